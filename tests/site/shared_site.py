"""The repository's site, built once per test run and read by every test worker that needs it.

It is built as a deployment builds it: ``SITE_URL`` names a project sub-path (GitHub Pages serves
a project's site under ``/<projet>/``), so the sitemap, the 404 page's links and instant
navigation are those readers get. The address does not depend on any port: the browser tests
serve the directory on a free loopback port of their own and have Chromium resolve the name
there (``browser_session.chromium_args``), so one build serves every worker.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

import pytest
from site_build import REPO, build

#: A reserved name (RFC 6761 ``.test``) and the project sub-path the site is deployed under.
SITE_URL = "http://labo.test/depot/"


def _run_directory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory shared by every pytest-xdist worker of this run (this session's otherwise)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def shared_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The directory of a strict build of the repository as it is; the test fails if it failed.

    The first worker that needs it builds it while holding a lock; the others wait, then read
    the same directory (tests only read it).
    """
    shared = _run_directory(tmp_path_factory)
    site_dir, done = shared / "site-du-depot", shared / "site-du-depot.log"
    with (shared / "site-du-depot.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            result = build(REPO, site_dir, environment={"SITE_URL": SITE_URL})
            done.write_text(f"{result.returncode}\n{result.output}", encoding="utf-8")
    returncode, output = done.read_text(encoding="utf-8").split("\n", 1)
    if returncode != "0":
        pytest.fail(f"mkdocs build --strict a échoué\u00a0:\n{output}", pytrace=False)
    return site_dir
