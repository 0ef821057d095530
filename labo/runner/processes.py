"""The processes an example leaves behind: found through ``/proc``, named, and killed.

A worker is a child subreaper (``PR_SET_CHILD_SUBREAPER``) and leads its own session, so every
process an example starts, even one that forked twice or left the session, stays its descendant
(or, under namespaces, a descendant of the PID namespace's init, itself the worker's child).
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import select
import signal
import threading
from pathlib import Path

_PROC = Path("/proc")
_PR_SET_CHILD_SUBREAPER = 36
#: Kill rounds before giving up on a tree that keeps forking.
_ROUNDS = 20


def become_subreaper() -> None:
    """Orphans of this process's descendants become its children instead of init's."""
    if (_PROC / "self").exists():
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def _table() -> dict[int, tuple[int, str]]:
    """pid → (parent pid, state) of every process visible in ``/proc``."""
    table = {}
    for entry in _PROC.iterdir() if _PROC.exists() else ():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        state, parent = stat.rsplit(")", 1)[1].split()[:2]
        table[int(entry.name)] = (int(parent), state)
    return table


@functools.cache
def _children_listed() -> bool:
    """Whether the kernel lists each thread's children in ``/proc`` (``CONFIG_PROC_CHILDREN``)."""
    return (_PROC / "self" / "task" / str(os.getpid()) / "children").exists()


def _children(pid: int) -> list[int]:
    """The children of ``pid``, from its threads' ``children`` files.

    A few small files, where the whole ``/proc`` table costs one file per process of the
    machine: a worker looks for leftovers after every example.
    """
    try:
        tasks = os.listdir(_PROC / str(pid) / "task")
    except OSError:
        return []
    found: list[int] = []
    for task in tasks:
        try:
            text = (_PROC / str(pid) / "task" / task / "children").read_text()
        except OSError:  # the thread has just ended
            continue
        found += [int(child) for child in text.split()]
    return found


def _state(pid: int) -> str | None:
    """``pid``'s state letter (``Z``: zombie), or None when it is gone."""
    try:
        return (_PROC / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None


def descendants(pid: int, *, exclude: frozenset[int] = frozenset()) -> list[int]:
    """Live (not zombie) descendants of ``pid``, except ``exclude`` (but their own descendants)."""
    if not _children_listed():
        return _descendants_from_table(pid, exclude)
    found, pending = [], _children(pid)
    while pending:
        current = pending.pop()
        pending.extend(_children(current))
        state = _state(current)
        if current not in exclude and state is not None and state != "Z":
            found.append(current)
    return sorted(found)


def _descendants_from_table(pid: int, exclude: frozenset[int]) -> list[int]:
    table = _table()
    children: dict[int, list[int]] = {}
    for child, (parent, _) in table.items():
        children.setdefault(parent, []).append(child)
    found, pending = [], list(children.get(pid, []))
    while pending:
        current = pending.pop()
        pending.extend(children.get(current, []))
        if current not in exclude and table[current][1] != "Z":
            found.append(current)
    return sorted(found)


def describe(pid: int) -> str:
    """``sleep 91 (pid 1234)``: the command line, or the name when it is hidden."""
    try:
        command = (_PROC / str(pid) / "cmdline").read_bytes().rstrip(b"\0").replace(b"\0", b" ")
        text = command.decode("utf-8", "replace") or (_PROC / str(pid) / "comm").read_text()
    except OSError:
        text = "?"
    return f"{text.strip()[:80]} (pid {pid})"


def kill_descendants(pid: int, *, exclude: frozenset[int] = frozenset()) -> None:
    """SIGKILL every descendant of ``pid`` (but ``exclude``), again until none is left."""
    for _ in range(_ROUNDS):
        left = descendants(pid, exclude=exclude)
        if not left:
            break
        for victim in left:
            with contextlib.suppress(OSError):
                os.kill(victim, signal.SIGKILL)


def reap_children(exclude: frozenset[int] = frozenset()) -> None:
    """Collect this process's dead children, so that none stays a zombie."""
    if _children_listed():
        children = _children(os.getpid())
    else:
        children = [child for child, (parent, _) in _table().items() if parent == os.getpid()]
    for child in children:
        if child not in exclude and _state(child) == "Z":
            with contextlib.suppress(ChildProcessError):
                os.waitpid(child, os.WNOHANG)


def cpu_seconds(pid: int) -> float:
    """CPU time (user and system) process ``pid`` has used so far; 0.0 when it is gone."""
    try:
        fields = (_PROC / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def kill_tree(pid: int) -> None:
    """Kill ``pid``, its process group, and every process below it (descendants first)."""
    kill_descendants(pid)
    with contextlib.suppress(OSError):
        os.killpg(pid, signal.SIGKILL)
    with contextlib.suppress(OSError):
        os.kill(pid, signal.SIGKILL)


def end_with_parent(parent: int) -> None:
    """When process ``parent`` ends, kill this process's descendants, then this process.

    A build killed with SIGKILL cannot stop its workers, which run in sessions of their own; a
    thread waits on a pidfd of the parent (no polling) and ends the worker, with whatever an
    example started, as soon as the parent is gone. Where pidfds are missing (not Linux), the
    worker still ends when its pipe closes between two examples.
    """
    if not hasattr(os, "pidfd_open"):
        return
    try:
        descriptor = os.pidfd_open(parent)
    except OSError:  # already gone
        os._exit(1)

    def wait() -> None:
        select.select([descriptor], [], [])
        kill_descendants(os.getpid())
        os._exit(1)

    threading.Thread(target=wait, name="fin-avec-le-parent", daemon=True).start()
