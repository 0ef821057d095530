"""Shared setup for the site tests: the site is built once per session, as `make build` does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from site_build import REPO, build
from site_config import load_config


@pytest.fixture(scope="session")
def config() -> dict[str, Any]:
    return load_config(REPO / "mkdocs.yml")


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The directory of a strict build of the repository as it is; the session stops if it fails."""
    site_dir = tmp_path_factory.mktemp("site")
    result = build(REPO, site_dir)
    if result.returncode != 0:
        pytest.fail(f"mkdocs build --strict a échoué\u00a0:\n{result.output}", pytrace=False)
    return site_dir
