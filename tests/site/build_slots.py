"""At most a core's worth of site builds at once, across every pytest-xdist worker of a run.

A build holds one slot, a lock file taken with ``flock``, for as long as it runs; the slots live
in a directory named after the run (``PYTEST_XDIST_TESTRUNUID``, the same in every worker), so
two workers on a two-core machine never run four builds together. The kernel drops a lock when
its process dies, so a crashed worker never keeps a slot.
"""

from __future__ import annotations

import fcntl
import itertools
import os
import tempfile
from pathlib import Path

#: How many builds may run at once: the cores this process may use.
SLOTS = max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1)

_turn = itertools.count()


def _directory() -> Path:
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID") or f"pid{os.getpid()}"
    directory = Path(tempfile.gettempdir()) / f"messagerie-builds-{run}"
    directory.mkdir(exist_ok=True)
    return directory


class BuildSlot:
    """One held slot; :meth:`release` gives it back (closing the file drops the lock)."""

    def __init__(self, descriptor: int) -> None:
        self._descriptor = descriptor

    def release(self) -> None:
        if self._descriptor >= 0:
            os.close(self._descriptor)
            self._descriptor = -1


def _open(index: int) -> int:
    return os.open(_directory() / f"{index}.lock", os.O_CREAT | os.O_RDWR, 0o600)


def try_acquire() -> BuildSlot | None:
    """A free slot, or None at once if every slot is taken."""
    for index in range(SLOTS):
        descriptor = _open(index)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)
            continue
        return BuildSlot(descriptor)
    return None


def acquire() -> BuildSlot:
    """A slot, waiting for one if needed.

    Only call it while holding no other slot (two processes each holding one and waiting for
    another would wait forever); :func:`try_acquire` is for taking more.
    """
    slot = try_acquire()
    if slot is not None:
        return slot
    descriptor = _open(next(_turn) % SLOTS)
    fcntl.flock(descriptor, fcntl.LOCK_EX)
    return BuildSlot(descriptor)
