"""Shared setup for the tests of the examples engine: tiny projects, and the site build helpers.

The build helpers live in ``tests/site/site_build.py``; that folder is put on ``sys.path`` here so
that this folder can run on its own as well as with the whole suite.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

SITE_TESTS = Path(__file__).resolve().parents[1] / "site"
if str(SITE_TESTS) not in sys.path:
    sys.path.insert(0, str(SITE_TESTS))

from example_projects import write_example  # noqa: E402

from labo.runner import service  # noqa: E402


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """An empty project root: ``examples/`` and ``docs/``, nothing else."""
    (tmp_path / "examples").mkdir()
    (tmp_path / "docs").mkdir()
    return tmp_path


@pytest.fixture
def example_file(project: Path) -> Callable[[str, str], str]:
    """Write ``examples/<relative>`` in ``project`` and return its reference."""

    def write(relative: str, body: str) -> str:
        return write_example(project, relative, body)

    return write


@pytest.fixture
def no_current_service() -> Iterator[None]:
    """The extension starts a module-wide service when no hook did: stop it after the test."""
    service.stop()
    yield
    service.stop()
