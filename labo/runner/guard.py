"""The network guard of a worker: in force and unaltered before each example, checked after.

One example calling ``netmap.uninstall()`` (or replacing ``socket.getaddrinfo``) must not leave
the next one unguarded. Before each example the guard is installed again if needed, then proved
to refuse (a name outside the lab, a loopback port that is not the lab's); after it, the guarded
functions must still be the ones installed, or the example fails and its worker is replaced.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

from labo import netmap
from labo.lab import Lab

#: A name no lab serves (RFC 6761 reserves ``.invalid``): the guard must refuse it.
_PROBE_NAME = "verification-de-la-garde.invalid"


class GuardBroken(RuntimeError):
    """The guard could not be put back: nothing may run in this worker any more."""


def _installed_functions() -> tuple[Callable[..., Any], ...]:
    return (socket.getaddrinfo, socket.socket.connect, socket.socket.connect_ex)


class Guard:
    """Keeps ``netmap`` routing to ``lab`` across the examples of one worker."""

    def __init__(self, lab: Lab) -> None:
        self._lab = lab
        self._functions: tuple[Callable[..., Any], ...] = ()

    def ensure(self) -> None:
        """Install the guard if it is off, then prove it refuses; raise ``GuardBroken`` if not."""
        if not netmap.is_active():
            lab = self._lab
            netmap.install(lab.endpoints(), allowed_ports=lab.backend_ports(), ca_file=lab.ca_file)
        self._functions = _installed_functions()
        problem = _refusal_problem()
        if problem:
            raise GuardBroken(problem)

    def altered(self) -> bool:
        """True when the guard was removed or its functions replaced since ``ensure``."""
        return not netmap.is_active() or _installed_functions() != self._functions

    def release(self) -> None:
        netmap.uninstall()


def _refusal_problem() -> str | None:
    """None when the guard refuses both a foreign name and a loopback port outside the lab."""
    try:
        socket.getaddrinfo(_PROBE_NAME, 25)
    except netmap.LabNameRefused:
        pass
    except OSError:
        return f"la garde réseau n'a pas refusé le nom {_PROBE_NAME}"
    else:
        return f"la garde réseau a laissé résoudre {_PROBE_NAME}"
    with socket.socket() as closed, socket.socket() as probe:
        closed.bind(("127.0.0.1", 0))  # bound, never listening: nothing can answer there
        try:
            probe.connect(closed.getsockname())
        except netmap.LabAddressRefused:
            return None
        except OSError:
            pass
    return "la garde réseau a laissé se connecter à un port local hors du labo"
