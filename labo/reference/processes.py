"""Find and end every process of the reference instances, whatever their names.

Postfix and Dovecot daemonize, rename their children and re-parent them to init, so neither a
child handle nor a process name identifies them. What does: each process has either its
instance's directory in its command line or environment (``dovecot -c DIR/…``, Postfix's
``MAIL_CONFIG``) or its working directory under it (Dovecot's children). Their descendants are
included, for any that changed all three.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

PROC = Path("/proc")


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:  # the process ended meanwhile, or a kernel thread
        return b""


def _belongs(pid: str, marker: str) -> bool:
    encoded = marker.encode()
    if encoded in _read(PROC / pid / "cmdline") or encoded in _read(PROC / pid / "environ"):
        return True
    try:
        cwd = os.readlink(PROC / pid / "cwd")
    except OSError:
        return False
    return cwd == marker or cwd.startswith(marker + "/")


def _parents() -> dict[int, int]:
    parents: dict[int, int] = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            stat = _read(entry / "stat").decode(errors="replace")
            fields = stat.rpartition(")")[2].split()  # the name may contain spaces and ")"
            if len(fields) > 1:
                parents[int(entry.name)] = int(fields[1])
    return parents


def find_processes(root: Path) -> set[int]:
    """Every live process of the instances that run from ``root``, and their descendants."""
    marker = str(root)
    own = os.getpid()
    found = {
        int(entry.name)
        for entry in PROC.iterdir()
        if entry.name.isdigit() and int(entry.name) != own and _belongs(entry.name, marker)
    }
    parents = _parents()
    grew = True
    while grew:
        children = {pid for pid, parent in parents.items() if parent in found} - found
        grew = bool(children)
        found |= children
    return {pid for pid in found if _is_alive(pid)}


def _is_alive(pid: int) -> bool:
    """True unless the process is gone or a zombie (a zombie holds nothing but its number)."""
    state = _read(PROC / str(pid) / "stat").decode(errors="replace").rpartition(")")[2].split()
    return bool(state) and state[0] != "Z"


def wait_gone(root: Path, timeout: float) -> set[int]:
    """Wait until no process of ``root`` is left (at most ``timeout`` s); return the survivors."""
    deadline = time.monotonic() + timeout
    while (left := find_processes(root)) and time.monotonic() < deadline:
        time.sleep(0.01)  # polling /proc: processes of other parents cannot be waited on
    return left


def kill_all(root: Path, timeout: float = 2.0) -> set[int]:
    """SIGKILL every process of ``root``; return any still alive after ``timeout`` s."""
    for pid in find_processes(root):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return wait_gone(root, timeout)
