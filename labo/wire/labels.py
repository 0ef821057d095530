"""Client labels: which device ("le téléphone de Bob") opened which connection.

In-process clients bind their socket before connecting (see ``labo.netmap``), so the local port is
known before the proxy accepts the connection and the label is registered without a race.
"""

from __future__ import annotations

import contextlib
import contextvars
import threading
from collections.abc import Iterator
from dataclasses import dataclass

from labo.identity import DEVICE_NETWORK, FIRST_DEVICE_HOST

DEFAULT_CLIENT = "client"

#: The label of a connection nobody registered: a real client (curl, Thunderbird) under
#: ``python -m labo serve``, outside the process.
EXTERNAL_CLIENT = "client externe"

_current = contextvars.ContextVar("labo_client_label", default=DEFAULT_CLIENT)


@dataclass(frozen=True)
class ClientInfo:
    label: str
    hostname: str  # the name the client asked for, e.g. smtp.example.com
    #: The client's address on the lab's Internet (a server's own, for the lab's MTA); None for
    #: a device, which gets a home address from ``DEVICES``.
    address: str | None = None


_address = contextvars.ContextVar[str | None]("labo_client_address", default=None)


@contextlib.contextmanager
def appareil(label: str, adresse: str | None = None) -> Iterator[None]:
    """Label the connections opened inside this block (``with appareil("téléphone de Bob"):``).

    ``adresse`` is the device's address on the lab's Internet, the one servers see (their PROXY
    header, ``Received:``, SPF): a server of its own, e.g. ``"203.0.113.25"`` for the outsider's
    ``mail.example.net``. By default a device gets a home address of its own (``DEVICES``).
    """
    label_token = _current.set(label)
    address_token = _address.set(adresse)
    try:
        yield
    finally:
        _address.reset(address_token)
        _current.reset(label_token)


def current_label() -> str:
    return _current.get()


def current_address() -> str | None:
    """The address ``appareil(…, adresse=…)`` gave the code running now, if any."""
    return _address.get()


class LabelRegistry:
    """Maps a client's local port to its label until the proxy claims it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_port: dict[int, ClientInfo] = {}

    def register(self, port: int, info: ClientInfo) -> None:
        with self._lock:
            self._by_port[port] = info

    def register_unless_known(self, port: int, info: ClientInfo) -> None:
        """Keep a registration the connecting code made itself (the lab's own MTA does)."""
        with self._lock:
            self._by_port.setdefault(port, info)

    def claim(self, port: int) -> ClientInfo | None:
        with self._lock:
            return self._by_port.pop(port, None)

    def clear(self) -> None:
        with self._lock:
            self._by_port.clear()


class DeviceAddresses:
    """Home addresses for client devices: 203.0.113.101, .102… in the order devices appear.

    Servers see each device under one stable address for a whole scenario (the PROXY header
    and ``Received:`` show it); numbering by first appearance keeps transcripts repeatable.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_label: dict[str, str] = {}

    def address_for(self, label: str) -> str:
        with self._lock:
            address = self._by_label.get(label)
            if address is None:
                address = f"{DEVICE_NETWORK}.{FIRST_DEVICE_HOST + len(self._by_label)}"
                self._by_label[label] = address
            return address

    def clear(self) -> None:
        with self._lock:
            self._by_label.clear()


#: One registry per process: the lab and the code it serves share it.
REGISTRY = LabelRegistry()

#: The devices' addresses, per process like ``REGISTRY`` and cleared with it at each lab reset.
DEVICES = DeviceAddresses()
