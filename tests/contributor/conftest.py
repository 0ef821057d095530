"""Fixtures for the contributor's tools: a copy of the Makefile that reuses the project's .venv."""

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
        shutil.copy2(REPO / name, tmp_path / name)  # copy2: the .venv stamp stays newer
    (tmp_path / ".venv").symlink_to(REPO / ".venv")
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
