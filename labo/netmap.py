"""Route in-process clients to the lab, and refuse every other destination before a packet leaves.

Examples read like real code (``smtplib.SMTP("smtp.example.com", 587)``). While routing is
active, ``socket.getaddrinfo`` answers a lab host name on a standard port with the loopback port
of the recording proxy of that provider's service, and refuses any other name without asking a
resolver; a lab host's documentation address (``198.51.100.25``, never contacted) on a standard
port is routed the same way;
``socket.socket.connect`` routes a host name the same way (CPython would resolve it in C, before
any audit event). A ``socket.connect`` audit hook then refuses every address that is not the
lab's (other loopback ports and raw IP addresses included) before the connection is attempted;
it also refuses name lookups and datagrams that bypass the routed functions.

Audit hooks cannot be removed, so one is installed the first time and consults this module's
state: outside the active period it does nothing. Known gap: ``sendto``/``sendmsg`` given a host
name (not an address) resolve it in C before the hook refuses the datagram.

The hook also tells the proxy whom it serves. Before a client's socket connects to a proxy, the
hook binds it to a loopback port and registers, under that port, the device label
(``labels.appareil``) and the host name the client asked for; the proxy sees that port as its
peer and claims the registration, so there is no race.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import socket
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from labo.identity import PROVIDERS, SERVICES
from labo.wire.labels import REGISTRY, ClientInfo, current_address, current_label

#: (host, port) where clients reach each service, by (provider domain, service name)
#: (``Lab.endpoints``).
Endpoints = Mapping[tuple[str, str], tuple[str, int]]

#: Every lab host name and documentation address, with the provider it belongs to.
_LAB_HOSTS: dict[str, str] = {
    key: domain
    for domain, provider in PROVIDERS.items()
    for host in provider.hosts.values()
    for key in (host.name, host.address)
}
_LAB_NAMES = frozenset(name for name in _LAB_HOSTS if not name[0].isdigit())
#: A documentation address's host name, as transcripts show it.
_LAB_HOST_NAME = {
    host.address: host.name for provider in PROVIDERS.values() for host in provider.hosts.values()
}
_WILDCARDS = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}
_REFUSED = "Connexion refusée par le labo\u00a0: "


class LabConnectionRefused(OSError):
    """The lab refused to let this connection (or name lookup) leave; the message says why."""


class LabNameRefused(LabConnectionRefused, socket.gaierror):
    """A name the lab does not serve: refused like a name that does not resolve."""


class LabAddressRefused(LabConnectionRefused, ConnectionRefusedError):
    """An address that is not one of the lab's: refused like a closed port."""


class RoutableLab(Protocol):
    """What ``routed_to`` needs from a running ``labo.lab.Lab``."""

    def endpoints(self) -> dict[tuple[str, str], tuple[str, int]]: ...

    def backend_ports(self) -> set[int]: ...

    @property
    def ca_file(self) -> Path: ...


@dataclass(frozen=True)
class _Policy:
    """What the lab serves while routing is active."""

    #: (lab host name or address, standard port) → (loopback address, proxy port) of the
    #: service behind it: ("smtp.example.com", 587), ("192.0.2.10", 587)
    routes: Mapping[tuple[str, int], tuple[str, int]]
    #: every (address, port) a socket may connect to: the proxies and the servers behind them
    reachable: frozenset[tuple[str, int]]
    #: the proxies: a client connecting there is labelled for the transcript
    proxies: frozenset[tuple[str, int]]
    system_getaddrinfo: Callable[..., list[Any]]
    #: ``socket.socket``'s own entries for the methods routing replaces (None: inherited)
    previous_methods: Mapping[str, Any]
    previous_ca_file: str | None
    ca_file: str | None

    def served(self) -> str:
        """What may be reached, for the end of every refusal message."""
        ports = ", ".join(str(port) for port in sorted({port for _, port in self.routes}))
        return f"Noms servis\u00a0: {', '.join(sorted(_LAB_NAMES))}\u00a0; ports\u00a0: {ports}."


_lock = threading.Lock()
_policy: _Policy | None = None
_hook_installed = False
#: The resolver routing replaced; what a stale reference to the routed function falls back to.
_system_getaddrinfo: Callable[..., list[Any]] = socket.getaddrinfo
#: The ``connect`` methods routing wraps: in C they resolve a host name themselves, before the
#: audit event, so a name must be routed (or refused) before they see it.
_system_connect: Callable[[socket.socket, Any], None] = socket.socket.connect
_system_connect_ex: Callable[[socket.socket, Any], int] = socket.socket.connect_ex
#: The host name each thread last looked up, by the (address, port) it was routed to.
_asked = threading.local()
#: The same, for clients that resolve in one thread and connect in another (asyncio executors).
_asked_anywhere: dict[tuple[str, int], str] = {}


# -- activation ---------------------------------------------------------------------------------


def install(
    endpoints: Endpoints,
    *,
    allowed_ports: Iterable[int] = (),
    ca_file: str | os.PathLike[str] | None = None,
) -> None:
    """Route lab names to ``endpoints`` and refuse everything else, until ``uninstall``.

    ``allowed_ports`` are the loopback ports of the servers behind the proxies (the proxies
    connect to them from the lab's thread). With ``ca_file``, ``SSL_CERT_FILE`` names it for the
    period, so contexts from ``ssl.create_default_context()`` trust the lab's certificates.
    """
    global _policy, _hook_installed, _system_getaddrinfo, _system_connect, _system_connect_ex
    with _lock:
        if _policy is not None:
            raise RuntimeError("le routage vers le labo est déjà actif dans ce processus")
        unknown = sorted(
            f"{domain}/{name}"
            for domain, name in endpoints
            if domain not in PROVIDERS or name not in SERVICES
        )
        if unknown:
            raise ValueError(f"services inconnus du labo\u00a0: {', '.join(unknown)}")
        routes: dict[tuple[str, int], tuple[str, int]] = {}
        for (domain, name), (host, port) in endpoints.items():
            for key, owner in _LAB_HOSTS.items():
                if owner == domain:
                    routes[(key, SERVICES[name].port)] = (_loopback(host), port)
        hosts = {host for host, _ in routes.values()} | {"127.0.0.1"}
        proxies = frozenset(routes.values())
        servers = {(host, port) for port in set(allowed_ports) for host in hosts}
        policy = _Policy(
            routes=routes,
            reachable=proxies | servers,
            proxies=proxies,
            system_getaddrinfo=socket.getaddrinfo,
            previous_methods={name: socket.socket.__dict__.get(name) for name in _ROUTED_METHODS},
            previous_ca_file=os.environ.get("SSL_CERT_FILE"),
            ca_file=None if ca_file is None else os.fspath(ca_file),
        )
        if not _hook_installed:
            sys.addaudithook(_audit)
            _hook_installed = True
        if policy.ca_file is not None:
            os.environ["SSL_CERT_FILE"] = policy.ca_file
        _system_getaddrinfo = policy.system_getaddrinfo
        _system_connect, _system_connect_ex = socket.socket.connect, socket.socket.connect_ex
        socket.getaddrinfo = _routed_getaddrinfo
        for name, method in _ROUTED_METHODS.items():
            setattr(socket.socket, name, method)
        _policy = policy


def uninstall() -> None:
    """Back to the process's own resolver and network; does nothing when routing is off."""
    global _policy
    with _lock:
        policy, _policy = _policy, None
        if policy is None:
            return
        if socket.getaddrinfo is _routed_getaddrinfo:
            socket.getaddrinfo = policy.system_getaddrinfo
        for name, method in _ROUTED_METHODS.items():
            if socket.socket.__dict__.get(name) is not method:
                continue  # replaced again since: not ours to restore
            previous = policy.previous_methods[name]
            if previous is None:
                delattr(socket.socket, name)
            else:
                setattr(socket.socket, name, previous)
        if policy.ca_file is not None:
            if policy.previous_ca_file is None:
                os.environ.pop("SSL_CERT_FILE", None)
            else:
                os.environ["SSL_CERT_FILE"] = policy.previous_ca_file
        _asked_anywhere.clear()


def is_active() -> bool:
    return _policy is not None


@contextlib.contextmanager
def route_to(
    endpoints: Endpoints,
    *,
    allowed_ports: Iterable[int] = (),
    ca_file: str | os.PathLike[str] | None = None,
) -> Iterator[None]:
    """``install`` for the duration of a ``with`` block."""
    install(endpoints, allowed_ports=allowed_ports, ca_file=ca_file)
    try:
        yield
    finally:
        uninstall()


@contextlib.contextmanager
def routed_to(lab: RoutableLab) -> Iterator[None]:
    """Route every lab service to ``lab``, trusting its CA, for the duration of the block."""
    endpoints = lab.endpoints()
    with route_to(endpoints, allowed_ports=lab.backend_ports(), ca_file=lab.ca_file):
        yield


# -- name resolution ----------------------------------------------------------------------------


def _routed_getaddrinfo(
    host: str | bytes | None,
    port: str | bytes | int | None,
    family: int = 0,
    type: int = 0,
    proto: int = 0,
    flags: int = 0,
) -> list[Any]:
    """``socket.getaddrinfo`` while routing is active: lab names only, resolved by the lab."""
    policy = _policy
    name = None if host is None else _text(host)
    if policy is None:  # uninstalled since the caller looked this function up
        return _system_getaddrinfo(host, port, family, type, proto, flags)
    if name and _is_address(name) and (_normalised(name), _port_number(port)) in policy.routes:
        name = _normalised(name)  # a lab host's documentation address: routed like its name
    elif not name or _is_address(name):  # nothing to resolve, nothing leaves
        numeric = socket.AI_NUMERICHOST if name else 0
        infos = policy.system_getaddrinfo(host, port, family, type, proto, flags | numeric)
        if name:
            for *_, sockaddr in infos:
                _remember(sockaddr[0], sockaddr[1], name)
        return infos
    asked = f"{name}:{_port_text(port)}"
    key = name.rstrip(".").lower()
    if key not in _LAB_HOSTS:
        raise LabNameRefused(f"{_REFUSED}{asked} n'est pas un serveur du labo. {policy.served()}")
    standard = _port_number(port)
    route = policy.routes.get((key, standard)) if standard is not None else None
    if route is None:
        raise LabNameRefused(
            f"{_REFUSED}{asked} n'est pas un service du labo (port non servi). {policy.served()}"
        )
    address, proxy_port = route
    _remember(address, proxy_port, name)
    infos = policy.system_getaddrinfo(
        address, proxy_port, family, type, proto, flags | socket.AI_NUMERICHOST
    )
    if flags & socket.AI_CANONNAME and infos:
        first = infos[0]
        infos[0] = (*first[:3], name, first[4])
    return infos


def _routed_connect(self: socket.socket, address: Any) -> None:
    """``socket.socket.connect`` while routing is active: a host name goes through the lab."""
    _system_connect(self, _routed_address(self, address))


def _routed_connect_ex(self: socket.socket, address: Any) -> int:
    """``socket.socket.connect_ex`` while routing is active, like ``_routed_connect``."""
    return _system_connect_ex(self, _routed_address(self, address))


_ROUTED_METHODS: dict[str, Callable[..., Any]] = {
    "connect": _routed_connect,
    "connect_ex": _routed_connect_ex,
}


def _routed_address(sock: socket.socket, address: Any) -> Any:
    """``address`` with its host name resolved by the lab (or refused); others unchanged."""
    policy = _policy
    if policy is None or sock.family not in (socket.AF_INET, socket.AF_INET6):
        return address
    if not isinstance(address, tuple) or len(address) < 2:
        return address
    target = _target(sock, address)
    if target is not None and target in policy.routes:
        route = policy.routes[target]  # a lab host's documentation address
        _remember(*route, _LAB_HOST_NAME.get(target[0], target[0]))
        return route if sock.family == socket.AF_INET else (f"::ffff:{route[0]}", route[1], 0, 0)
    if not _names_a_host(address):
        return address
    infos = _routed_getaddrinfo(address[0], address[1], sock.family, sock.type)
    return infos[0][4]


def _thread_lookups() -> dict[tuple[str, int], str]:
    lookups: dict[tuple[str, int], str] | None = getattr(_asked, "lookups", None)
    if lookups is None:
        lookups = _asked.lookups = {}
    return lookups


def _remember(address: str, port: int, name: str) -> None:
    key = (_normalised(address), port)
    _thread_lookups()[key] = name
    with _lock:
        _asked_anywhere[key] = name


def _asked_for(address: str, port: int) -> str:
    """The name the client looked up to reach (address, port); the address itself otherwise.

    Each lookup serves one connection: the next one to that address must look it up again.
    """
    key = (address, port)
    with _lock:
        anywhere = _asked_anywhere.pop(key, None)
    return _thread_lookups().pop(key, None) or anywhere or address


def _port_number(port: str | bytes | int | None) -> int | None:
    """A port as a number: digits, or an IANA service name the lab serves (``submission``)."""
    if port is None or isinstance(port, int):
        return port
    text = _text(port)
    if text.isdigit():
        return int(text)
    service = SERVICES.get(text.lower())
    return service.port if service else None


def _port_text(port: str | bytes | int | None) -> str:
    if port is None:
        return "(aucun port)"
    return str(port) if isinstance(port, int) else _text(port)


# -- the audit hook -----------------------------------------------------------------------------


def _audit(event: str, args: tuple[Any, ...]) -> None:
    """Consulted on every audit event of the process: cheap unless routing is active."""
    if not event.startswith("socket."):
        return
    policy = _policy
    if policy is None:
        return
    if event == "socket.connect":
        _check_connect(policy, args[0], args[1])
    elif event in ("socket.sendto", "socket.sendmsg"):
        _check_send(policy, args[0], args[1])
    elif event in ("socket.getaddrinfo", "socket.gethostbyname"):
        _check_lookup(policy, args[0])
    elif event == "socket.gethostbyaddr":
        _check_reverse_lookup(policy, args[0])
    elif event == "socket.getnameinfo":
        sockaddr = args[0]
        _check_reverse_lookup(policy, sockaddr[0] if isinstance(sockaddr, tuple) else sockaddr)


def _check_connect(policy: _Policy, sock: socket.socket, address: Any) -> None:
    if sock.family == socket.AF_UNIX:
        return
    target = _target(sock, address)
    if target is None and _names_a_host(address):
        raise LabAddressRefused(
            f"{_REFUSED}connect() résoudrait {_describe(address)} hors du labo\u00a0; passez par "
            f"socket.create_connection(), qui consulte le labo. {policy.served()}"
        )
    if target is None or target not in policy.reachable:
        raise LabAddressRefused(
            f"{_REFUSED}{_describe(address)} n'est pas un serveur du labo. {policy.served()}"
        )
    if target in policy.proxies and sock.type == socket.SOCK_STREAM:
        _label(sock, target)


def _check_send(policy: _Policy, sock: socket.socket, address: Any) -> None:
    if address is None or sock.family == socket.AF_UNIX:
        return  # a connected socket: its destination was checked at connect
    target = _target(sock, address)
    if target is not None and _is_lab_reply(policy, sock, target):
        return
    if target is None or target not in policy.reachable:
        raise LabAddressRefused(
            f"Envoi refusé par le labo\u00a0: {_describe(address)} n'est pas un serveur du labo. "
            f"{policy.served()}"
        )


def _is_lab_reply(policy: _Policy, sock: socket.socket, target: tuple[str, int]) -> bool:
    """A lab server answering a datagram (the lab DNS): from a lab port, to a loopback one."""
    local = sock.getsockname()
    source = (_normalised(local[0]), local[1])
    return source in policy.reachable and ipaddress.ip_address(target[0]).is_loopback


def _check_lookup(policy: _Policy, host: Any) -> None:
    """A resolver call that did not go through the routed ``getaddrinfo`` (or its numeric path)."""
    name = _text(host) if isinstance(host, str | bytes) else ""
    if not name or _is_address(name):
        return
    if name.rstrip(".").lower() in _LAB_NAMES:
        why = f"{name} n'est routé que par socket.getaddrinfo, avec un port"
    else:
        why = f"{name} n'est pas un nom du labo"
    raise LabNameRefused(f"Résolution refusée par le labo\u00a0: {why}. {policy.served()}")


def _check_reverse_lookup(policy: _Policy, address: Any) -> None:
    text = _text(address) if isinstance(address, str | bytes) else str(address)
    if _is_address(text) and ipaddress.ip_address(_normalised(text)).is_loopback:
        return
    raise LabNameRefused(
        f"Résolution refusée par le labo\u00a0: le nom de {text} n'est pas cherché hors du labo. "
        f"{policy.served()}"
    )


def _label(sock: socket.socket, target: tuple[str, int]) -> None:
    """Bind ``sock`` if needed and register who connects from its port, for the proxy."""
    local_port = sock.getsockname()[1]
    if local_port == 0:
        sock.bind(("::" if sock.family == socket.AF_INET6 else "127.0.0.1", 0))
        local_port = sock.getsockname()[1]
    info = ClientInfo(current_label(), _asked_for(*target), address=current_address())
    REGISTRY.register_unless_known(local_port, info)


# -- addresses ----------------------------------------------------------------------------------


def _target(sock: socket.socket, address: Any) -> tuple[str, int] | None:
    """(normalised address, port) of an INET destination; None for anything else."""
    if sock.family not in (socket.AF_INET, socket.AF_INET6):
        return None
    if not isinstance(address, tuple) or len(address) < 2:
        return None
    host, port = address[0], address[1]
    if not isinstance(host, str | bytes) or not isinstance(port, int):
        return None
    if not _is_address(_text(host)):
        return None  # a host name here would be resolved inside connect(), unrouted
    return _normalised(_text(host)), port


def _names_a_host(address: Any) -> bool:
    """True for an INET address given by host name, which connect() would resolve itself."""
    if not isinstance(address, tuple) or not address:
        return False
    host = address[0]
    return isinstance(host, str | bytes) and bool(host) and not _is_address(_text(host))


def _text(value: str | bytes) -> str:
    return value.decode("ascii", "replace") if isinstance(value, bytes) else value


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text.partition("%")[0])
    except ValueError:
        return False
    return True


def _normalised(address: str) -> str:
    """One spelling per address: compressed, IPv4-mapped IPv6 as IPv4, no zone."""
    ip = ipaddress.ip_address(address.partition("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.compressed


def _loopback(host: str) -> str:
    """Where in-process clients reach a proxy listening on ``host``."""
    address = _WILDCARDS.get(host, host)
    if address == "localhost":
        address = "127.0.0.1"
    if not _is_address(address) or not ipaddress.ip_address(_normalised(address)).is_loopback:
        raise ValueError(
            f"le labo doit écouter sur une adresse locale pour être routé, pas sur {host!r}"
        )
    return _normalised(address)


def _describe(address: Any) -> str:
    """An address as a message shows it: ``127.0.0.1:25``, ``[::1]:25``."""
    if isinstance(address, tuple) and len(address) >= 2:
        first = address[0]
        host = _text(first) if isinstance(first, str | bytes) else str(first)
        return f"[{host}]:{address[1]}" if ":" in host else f"{host}:{address[1]}"
    return repr(address)
