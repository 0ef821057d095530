"""Running one example in a worker's lab: what it leaves behind does not reach the next one."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from labo import netmap
from labo.lab import Lab
from labo.runner.execute import run_example


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    with Lab() as started, netmap.routed_to(started):
        yield started


def write(tmp_path: Path, source: str) -> Path:
    path = tmp_path / "exemple.py"
    path.write_text('"""Exemple de test."""\n' + source, encoding="utf-8")
    return path


def test_environment_changes_are_undone_after_the_example(lab: Lab, tmp_path: Path) -> None:
    path = write(tmp_path, 'import os\nos.environ["LABO_TEST_FUITE"] = "1"\n')
    assert run_example(lab, path, "examples/exemple.py").ok
    assert "LABO_TEST_FUITE" not in os.environ


def test_the_default_socket_timeout_is_restored(lab: Lab, tmp_path: Path) -> None:
    before = socket.getdefaulttimeout()
    path = write(tmp_path, "import socket\nsocket.setdefaulttimeout(0.001)\n")
    assert run_example(lab, path, "examples/exemple.py").ok
    assert socket.getdefaulttimeout() == before


def test_a_thread_left_running_is_reported(lab: Lab, tmp_path: Path) -> None:
    source = (
        "import threading\n"
        "arret = threading.Event()\n"
        "threading.Thread(target=arret.wait, args=(0.5,), name='oublie').start()\n"
    )
    result = run_example(lab, write(tmp_path, source), "examples/exemple.py")
    assert not result.ok
    assert "fils d'exécution actifs (oublie)" in (result.error or "")
