"""The transcript: every connection's dialogue, in the order it happened, as recorded by the proxy.

The text form is what gets approved and committed next to each example, so it is stable,
line-oriented and readable in a pull-request diff::

    [1] ** ouverture : « client » → smtp.example.com:587 (submission)
    [1] S: 220 smtp.example.com ESMTP
    [1] C: EHLO client.example.com
    [1] ** TLS établi : TLSv1.3, TLS_AES_256_GCM_SHA384
    [1] ** fermeture

Besides the dialogue itself, the proxy notes what a reader needs to understand a transcript that
stops short, e.g. ``[2] ** échec TLS : TLSV1_ALERT_UNKNOWN_CA (côté client)``.

A DNS lookup (``labo.dns``) is an exchange of its own, opened like a connection but never closed::

    [4] ** requête DNS : « MTA d’example.com » → résolveur du labo (udp/53)
    [4] C: example.org. IN MX ?
    [4] S: example.org. 3600 IN MX 10 mx.example.org.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

EventKind = Literal["open", "client", "server", "tls", "close", "note"]

_PREFIX = {"client": "C: ", "server": "S: "}
#: The service name of DNS exchanges in ``ConnectionInfo`` (no mail service is called so).
DNS_SERVICE = "dns"
#: The standard DNS port, shown instead of the lab server's ephemeral one.
DNS_PORT = 53
_LINE = re.compile(r"^\[(\d+)\] (C: |S: |\*\* )(.*)$")


@dataclass(frozen=True)
class ConnectionInfo:
    """Who talked to whom: the lab service, the name and port the client used, and its label."""

    number: int
    service: str
    client: str
    hostname: str
    port: int


@dataclass(frozen=True)
class Event:
    """One thing that happened on one connection.

    ``text`` is a protocol line without its CRLF for ``client``/``server`` events, and a short
    French description for ``open``/``tls``/``close``/``note``.
    """

    connection: int
    kind: EventKind
    text: str

    def render(self) -> str:
        prefix = _PREFIX.get(self.kind, "** ")
        return f"[{self.connection}] {prefix}{self.text}"


@dataclass
class Transcript:
    """Events and connection descriptions, in recording order."""

    events: list[Event] = field(default_factory=list)
    connections: dict[int, ConnectionInfo] = field(default_factory=dict)

    def to_text(self) -> str:
        return "".join(event.render() + "\n" for event in self.events)

    @classmethod
    def from_text(cls, text: str) -> Transcript:
        """Parse the approved text form back into events (connection details stay in the text)."""
        transcript = cls()
        for number, line in enumerate(text.splitlines(), start=1):
            match = _LINE.match(line)
            if not match:
                raise ValueError(f"ligne {number} illisible dans la transcription : {line!r}")
            connection, prefix, rest = int(match[1]), match[2], match[3]
            if prefix == "C: ":
                kind: EventKind = "client"
            elif prefix == "S: ":
                kind = "server"
            elif rest.startswith(("ouverture", "requête DNS")):
                kind = "open"
            elif rest.startswith("TLS"):
                kind = "tls"
            elif rest.startswith("fermeture"):
                kind = "close"
            else:
                kind = "note"
            transcript.events.append(Event(connection, kind, rest))
        return transcript


def describe_open(info: ConnectionInfo) -> str:
    target = f"{info.hostname}:{info.port} ({info.service})"
    return f"ouverture\u00a0: «\u00a0{info.client}\u00a0» → {target}"


def describe_query(info: ConnectionInfo, transport: str) -> str:
    """The opening of a DNS exchange, ``transport`` being ``udp`` or ``tcp``."""
    target = f"{info.hostname} ({transport}/{info.port})"
    return f"requête DNS\u00a0: «\u00a0{info.client}\u00a0» → {target}"


def describe_tls(version: str, cipher: str) -> str:
    return f"TLS établi\u00a0: {version}, {cipher}"


#: Characters ``str.splitlines`` breaks on: left in a recorded line, they would cut it in two
#: in the text form (and a stray CR would vanish from an approved file read back).
_LINE_BREAKS = {
    ord(char): f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"
    for char in "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
}


def decode_line(raw: bytes) -> str:
    """Decode one wire line for display: UTF-8 when it is, escaped bytes otherwise, never lossy.

    Line-breaking characters inside the line are escaped too, so the text form keeps one event
    per line.
    """
    return raw.decode("utf-8", errors="backslashreplace").translate(_LINE_BREAKS)


#: How much text a kept transcript may hold: far above any page's needs (the longest example
#: records a few kilobytes), low enough that an example flooding the lab with short lines cannot
#: exhaust the build's memory.
MAX_KEPT_CHARACTERS = 4_000_000


def truncation_note(limit: int) -> str:
    return (
        f"… transcription tronquée\u00a0: plus de {limit:_} caractères enregistrés, la suite "
        "n'est pas gardée"
    ).replace("_", "\u202f")


class Recorder:
    """Collects events from the proxy's event-loop thread; read from any thread.

    ``sink`` sees every event as it happens (``python -m labo serve`` prints them); with
    ``keep=False`` nothing is stored, so a lab serving real clients for hours stays small. A kept
    transcript stops growing at ``MAX_KEPT_CHARACTERS``, with a note saying so.
    """

    def __init__(self, *, sink: Callable[[Event], None] | None = None, keep: bool = True) -> None:
        self._lock = threading.Lock()
        self._transcript = Transcript()
        self._next = 1
        self._sink = sink
        self._keep = keep
        self._kept_characters = 0
        self._full = False

    def open(self, service: str, client: str, hostname: str, port: int) -> int:
        info = self._number(service, client, hostname, port)
        self._append(Event(info.number, "open", describe_open(info)))
        return info.number

    def open_query(self, client: str, server: str, transport: str) -> int:
        """A DNS lookup: numbered like a connection, with no TLS and no close to record."""
        info = self._number(DNS_SERVICE, client, server, DNS_PORT)
        self._append(Event(info.number, "open", describe_query(info, transport)))
        return info.number

    def _number(self, service: str, client: str, hostname: str, port: int) -> ConnectionInfo:
        with self._lock:
            number = self._next
            self._next += 1
            info = ConnectionInfo(number, service, client, hostname, port)
            if self._keep:
                self._transcript.connections[number] = info
        return info

    def line(self, connection: int, kind: Literal["client", "server"], raw: bytes) -> None:
        self._append(Event(connection, kind, decode_line(raw)))

    def tls(self, connection: int, version: str, cipher: str) -> None:
        self._append(Event(connection, "tls", describe_tls(version, cipher)))

    def close(self, connection: int) -> None:
        self._append(Event(connection, "close", "fermeture"))

    def note(self, connection: int, text: str) -> None:
        """Something the reader must know that is neither a line nor a TLS change (French)."""
        self._append(Event(connection, "note", text))

    def _append(self, event: Event) -> None:
        with self._lock:
            if self._keep and not self._full:
                self._kept_characters += len(event.text)
                if self._kept_characters <= MAX_KEPT_CHARACTERS:
                    self._transcript.events.append(event)
                else:
                    self._full = True
                    note = truncation_note(MAX_KEPT_CHARACTERS)
                    self._transcript.events.append(Event(event.connection, "note", note))
            if self._sink is not None:
                self._sink(event)

    def snapshot(self) -> Transcript:
        with self._lock:
            return Transcript(list(self._transcript.events), dict(self._transcript.connections))

    def clear(self) -> None:
        with self._lock:
            self._transcript = Transcript()
            self._next = 1
            self._kept_characters = 0
            self._full = False
