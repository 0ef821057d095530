"""Shared setup for the site tests: the site is built once per run, as `make build` does."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import Any

import pytest
from site_build import REPO, build
from site_config import load_config


@pytest.fixture(scope="session")
def config() -> dict[str, Any]:
    return load_config(REPO / "mkdocs.yml")


def _run_directory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory shared by every pytest-xdist worker of this run (this session's otherwise)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The directory of a strict build of the repository as it is; the session stops if it fails.

    The first worker that needs it builds it while holding a lock; the others wait, then read
    the same directory (tests only read it).
    """
    shared = _run_directory(tmp_path_factory)
    site_dir, done = shared / "site-du-depot", shared / "site-du-depot.log"
    with (shared / "site-du-depot.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            result = build(REPO, site_dir)
            done.write_text(f"{result.returncode}\n{result.output}", encoding="utf-8")
    returncode, output = done.read_text(encoding="utf-8").split("\n", 1)
    if returncode != "0":
        pytest.fail(f"mkdocs build --strict a échoué\u00a0:\n{output}", pytrace=False)
    return site_dir
