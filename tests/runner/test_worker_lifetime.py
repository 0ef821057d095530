"""A worker does not outlive the process that started it, even one killed with SIGKILL.

A build killed by ``kill -9`` cannot stop its workers (each leads a session of its own); the
worker watches its parent and ends, with whatever its example started, as soon as it is gone.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from labo.runner import processes

#: How long the processes get to appear, then to disappear: a deadline, not a pause.
DEADLINE_S = 60.0

#: The example: starts a long `sleep`, then waits far longer than the test.
STUCK_EXAMPLE = '''"""Reste bloqué avec un processus fils."""
import subprocess, time
subprocess.Popen(["sleep", "300"])
time.sleep(300)
'''

#: A parent that starts a pool of one worker and submits the stuck example, then waits.
PARENT = """
import sys, time
from pathlib import Path
from labo.runner.example import resolve
from labo.runner.pool import WorkerPool
root = Path(sys.argv[1])
pool = WorkerPool(1, [root])
pool.submit(resolve(root, "examples/bloque.py"), 600.0)
time.sleep(600)
"""


def _alive(pid: int) -> bool:
    """A process with this pid runs (a zombie does not count)."""
    try:
        state = (Path(f"/proc/{pid}") / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _wait_for(condition: Callable[[], bool]) -> bool:
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def parent(tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    (tmp_path / "examples").mkdir()
    (tmp_path / "examples" / "bloque.py").write_text(STUCK_EXAMPLE, encoding="utf-8")
    process = subprocess.Popen([sys.executable, "-c", PARENT, str(tmp_path)])
    try:
        yield process
    finally:
        process.kill()
        process.wait()


@pytest.mark.skipif(not hasattr(os, "pidfd_open"), reason="pidfd_open indisponible ici")
def test_killing_the_parent_with_sigkill_ends_the_worker_and_its_example_processes(
    parent: subprocess.Popen[bytes],
) -> None:
    def sleep_started() -> bool:
        found = processes.descendants(parent.pid)
        return any(processes.describe(pid).startswith("sleep") for pid in found)

    assert _wait_for(sleep_started), "l'exemple n'a pas démarré son processus fils"
    left_behind = processes.descendants(parent.pid)
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    assert _wait_for(lambda: not any(_alive(pid) for pid in left_behind)), [
        pid for pid in left_behind if _alive(pid)
    ]
