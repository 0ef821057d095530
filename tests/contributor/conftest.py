"""Fixtures for the contributor's tools: a copy of the Makefile that borrows the project's Python.

The copy never shares the project's ``.venv`` itself: a ``make`` there that decided to reinstall
would run ``pip install -e`` from a directory without the package and break the real
environment. It gets its own ``.venv`` whose ``bin`` is the project's, with stamps newer than the
pins, so that nothing is installed; a reinstall, if one were attempted, would find no pip there.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def make_project(tmp_path: Path) -> Path:
    """A directory holding the Makefile and the pins, whose .venv is the project's own."""
    if shutil.which("make") is None:
        pytest.skip("make n’est pas installé sur cette machine")
    for name in ("Makefile", "pyproject.toml", "constraints.txt"):
        shutil.copy2(REPO / name, tmp_path / name)
    venv = tmp_path / ".venv"
    venv.mkdir()
    (venv / "bin").symlink_to(REPO / ".venv" / "bin")
    chosen = REPO / ".venv" / ".python"
    if chosen.exists():
        shutil.copy(chosen, venv / ".python")
    (venv / ".installed").touch()  # newer than the pins copied above: nothing to install
    return tmp_path


def run_make(directory: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    """``make`` as a contributor types it, without this test run's ``PYTHON`` or ``MAKEFLAGS``."""
    environment = {k: v for k, v in os.environ.items() if k not in {"PYTHON", "MAKEFLAGS"}}
    return subprocess.run(
        ["make", "--no-print-directory", *arguments],
        cwd=directory,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
