"""Operating-system isolation of a worker, with Linux user, mount, network and PID namespaces.

Why: the in-process guard (``labo.netmap``) sees only Python sockets; a subprocess, ``ctypes`` or a
raw socket bypasses it, and nothing in Python stops an example writing into the project. Where
unprivileged namespaces exist, the worker (before it starts any thread) takes its own network with
only loopback up (its lab listens there), gets empty private ``/tmp``, ``/var/tmp``, ``/run``
and ``/dev/shm`` (where other programs keep their unix sockets, which network namespaces do not
cover; the paths it needs there are bound back), sees the protected paths read-only, then enters
a second user and mount namespace so that the example, which holds capabilities only there,
cannot remount them writable or unmount them (the kernel locks mounts inherited from a more
privileged namespace).

No PID namespace: a process that unshared one can no longer start threads, and the lab needs them.
The processes an example starts are followed by ``labo.runner.processes`` instead.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import os
import socket
import struct
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

#: The summary line's words for each level of isolation.
NAMESPACES = "espaces de noms Linux (réseau réduit au bouclage, projet en lecture seule)"
GUARD_ONLY = "garde réseau en Python seulement (espaces de noms Linux indisponibles)"

_CLONE_NEWNS = 0x00020000
_CLONE_NEWUSER = 0x10000000
_CLONE_NEWNET = 0x40000000
_MS_RDONLY = 0x1
_MS_NOSUID = 0x2
_MS_NODEV = 0x4
_MS_REMOUNT = 0x20
_MS_BIND = 0x1000
_MS_REC = 0x4000
_MS_PRIVATE = 0x40000
_SIOCGIFFLAGS = 0x8913
_SIOCSIFFLAGS = 0x8914
_IFF_UP = 0x1
_O_PATH = getattr(os, "O_PATH", 0o10000000)

#: Where programs keep unix sockets and shared memory: private and empty for the worker.
PRIVATE_DIRECTORIES = (Path("/tmp"), Path("/var/tmp"), Path("/run"), Path("/dev/shm"))


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def _check(result: int) -> None:
    if result != 0:
        error = ctypes.get_errno()
        raise OSError(error, os.strerror(error))


def _enter_user_namespace(flags: int) -> None:
    """Unshare ``flags`` with a new user namespace in which this process keeps its own ids."""
    uid, gid = os.geteuid(), os.getegid()
    _check(_libc().unshare(_CLONE_NEWUSER | flags))
    Path("/proc/self/setgroups").write_text("deny")
    Path("/proc/self/uid_map").write_text(f"{uid} {uid} 1")
    Path("/proc/self/gid_map").write_text(f"{gid} {gid} 1")


def _read_only(path: Path) -> None:
    libc = _libc()
    target = os.fsencode(path)
    _check(libc.mount(target, target, None, _MS_BIND | _MS_REC, None))
    _check(libc.mount(None, target, None, _MS_REMOUNT | _MS_BIND | _MS_RDONLY, None))


def _kept(needed: Sequence[Path]) -> list[Path]:
    """The ``needed`` paths inside a private directory, without those inside another kept one."""
    existing = {path.resolve() for path in needed if path.exists()}
    inside = [p for p in existing if any(p.is_relative_to(d) for d in PRIVATE_DIRECTORIES)]
    return sorted(p for p in inside if not any(p != q and p.is_relative_to(q) for q in inside))


def _private_directories(needed: Sequence[Path]) -> None:
    """Mount an empty tmpfs on each private directory, then bind the ``needed`` paths back."""
    libc = _libc()
    kept = [(path, os.open(path, _O_PATH | os.O_DIRECTORY)) for path in _kept(needed)]
    try:
        for directory in PRIVATE_DIRECTORIES:
            if directory.is_dir() and not directory.is_symlink():
                target = os.fsencode(directory)
                flags = _MS_NOSUID | _MS_NODEV
                _check(libc.mount(b"tmpfs", target, b"tmpfs", flags, b"mode=1777"))
        for path, descriptor in kept:
            path.mkdir(parents=True, exist_ok=True)
            source = os.fsencode(f"/proc/self/fd/{descriptor}")
            _check(libc.mount(source, os.fsencode(path), None, _MS_BIND | _MS_REC, None))
    finally:
        for _, descriptor in kept:
            os.close(descriptor)


def _loopback_up() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        request = struct.pack("16sH", b"lo", 0)
        flags = struct.unpack("16sH", fcntl.ioctl(probe, _SIOCGIFFLAGS, request)[:18])[1]
        fcntl.ioctl(probe, _SIOCSIFFLAGS, struct.pack("16sH", b"lo", flags | _IFF_UP))


def _needed(protected: Sequence[Path]) -> list[Path]:
    """What the worker must still see: the protected paths, its directory, Python itself."""
    python = [Path(sys.prefix), Path(sys.base_prefix), Path(sys.executable).parent]
    imports = [Path(entry) for entry in sys.path if entry and Path(entry).is_dir()]
    return [*protected, Path.cwd(), Path(tempfile.gettempdir()), *python, *imports]


def _confine(protected: Sequence[Path]) -> None:
    """Confine the calling process; it must have no other thread (``unshare`` requires it)."""
    _enter_user_namespace(_CLONE_NEWNS | _CLONE_NEWNET)
    _check(_libc().mount(b"none", b"/", None, _MS_REC | _MS_PRIVATE, None))
    _private_directories(_needed(protected))
    for path in protected:
        _read_only(path)
    _loopback_up()
    _enter_user_namespace(_CLONE_NEWNS)  # locks the mounts above


def scratch_directory() -> Path:
    """A fresh directory on the confined process's private, memory-backed ``/tmp``."""
    return Path(tempfile.mkdtemp(prefix="labo-", dir=PRIVATE_DIRECTORIES[0]))


def available() -> bool:
    """Whether this machine lets a process confine itself, tried in a throwaway child."""
    if not sys.platform.startswith("linux"):
        return False
    child = os.fork()
    if child == 0:
        code = 1
        with contextlib.suppress(BaseException):
            _confine(())
            code = 0
        os._exit(code)
    _, status = os.waitpid(child, 0)
    return os.waitstatus_to_exitcode(status) == 0


def confine(protected: Sequence[Path]) -> None:
    """Confine this process (single-threaded): own network, ``protected`` directories read-only."""
    _confine([path for path in protected if path.is_dir()])
