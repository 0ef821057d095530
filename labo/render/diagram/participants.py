"""Who talks to whom: the lifelines of a sequence diagram, read from a transcript's opening lines.

The opening lines are the only place a recorded transcript names its parties
(``ouverture : « ordinateur d'Alice » → smtp.example.com:587 (submission)``), and an approved
transcript read back from its file keeps nothing else, so they are parsed here rather than taken
from ``Transcript.connections``.

A provider's servers also act as clients: « MSA d'example.com » and « MTA d'example.com » are
``smtp.example.com`` asking DNS or relaying, « MX d'example.org » is ``mx.example.org``. They share
the lifeline of the host they run on, so that a message is seen leaving the server it reached.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from labo.identity import PROVIDERS, Role
from labo.wire.transcript import DNS_SERVICE, ConnectionInfo

LifelineKind = Literal["device", "server", "resolver"]

#: The label of the DNS resolver's lifeline, whatever the transcript calls it.
RESOLVER = "résolveur DNS"
#: Lifelines of a connection whose opening line was not recorded.
UNKNOWN_CLIENT = "client"
UNKNOWN_SERVER = "serveur"

_SPACE = "[ \u00a0]*"
_OPEN = re.compile(
    rf"^ouverture{_SPACE}:{_SPACE}«{_SPACE}(?P<client>.+?){_SPACE}»{_SPACE}→{_SPACE}"
    r"(?P<host>\S+?):(?P<port>\d+) \((?P<service>[^)]*)\)$"
)
_QUERY = re.compile(
    rf"^requête DNS{_SPACE}:{_SPACE}«{_SPACE}(?P<client>.+?){_SPACE}»{_SPACE}→{_SPACE}"
    r"(?P<server>.+?) \((?P<transport>\w+)/(?P<port>\d+)\)$"
)
#: Labels the lab gives its own servers when they act as clients, and the host each runs on.
_SERVER_ROLES: dict[str, Role] = {"MSA": "smtp", "MTA": "smtp", "MX": "mx"}
_SERVER_LABEL = re.compile(r"^(?P<role>MSA|MTA|MX) d['’](?P<domain>[\w.-]+)$")


@dataclass(frozen=True)
class Lifeline:
    """One participant: ``name`` identifies it and is shown at the top of its line."""

    name: str
    kind: LifelineKind


@dataclass(frozen=True)
class Link:
    """One numbered connection or DNS lookup: its two lifelines and what the opening line said."""

    number: int
    client: Lifeline
    server: Lifeline
    info: ConnectionInfo | None

    @property
    def is_dns(self) -> bool:
        return self.server.kind == "resolver"


def client_lifeline(label: str) -> Lifeline:
    """A device by its label, or the host a provider's MSA, MTA or MX runs on."""
    match = _SERVER_LABEL.match(label)
    provider = PROVIDERS.get(match["domain"]) if match else None
    if match and provider is not None:
        return Lifeline(provider.host(_SERVER_ROLES[match["role"]]).name, "server")
    return Lifeline(label, "device")


def parse_opening(number: int, text: str) -> Link | None:
    """The link an ``open`` event describes, or None when its text is not an opening line."""
    match = _OPEN.match(text)
    if match:
        info = ConnectionInfo(
            number, match["service"], match["client"], match["host"], int(match["port"])
        )
        return Link(number, client_lifeline(info.client), Lifeline(info.hostname, "server"), info)
    match = _QUERY.match(text)
    if match:
        info = ConnectionInfo(
            number, DNS_SERVICE, match["client"], match["server"], int(match["port"])
        )
        return Link(number, client_lifeline(info.client), Lifeline(RESOLVER, "resolver"), info)
    return None


def unknown_link(number: int) -> Link:
    """The link of a connection that speaks before (or without) an opening line."""
    client, server = Lifeline(UNKNOWN_CLIENT, "device"), Lifeline(UNKNOWN_SERVER, "server")
    return Link(number, client, server, None)
