"""Tokens in the lab's own lines: the service named when a connection opens, the DNS transport,
and what a TLS line says (protocol version, cipher suite, alert of a failed handshake)."""

from __future__ import annotations

import re

from labo.render.annotations.tokens import Token, token

_SERVICE = re.compile(r":\d+ \(([a-z0-9]+)\)$")
_DNS_TRANSPORT = re.compile(r"\((udp|tcp)/\d+\)$")
_TLS = re.compile(r"^TLS établi\u00a0?: (\S+), (\S+)$")
_ALERT = re.compile(r"^échec TLS\u00a0?: ([A-Z0-9_]+) \(")


def note_tokens(kind: str, text: str) -> list[Token]:
    """Tokens of an ``open``, ``tls`` or notice line (French text around them stays plain)."""
    if kind == "open":
        service = _SERVICE.search(text)
        if service:
            return [token(service.start(1), service[1], "services", "services", service[1])]
        transport = _DNS_TRANSPORT.search(text)
        if transport:
            name = transport[0][1:-1]  # "udp/53"
            return [token(transport.start(1), name, "dns", "transports", name)]
        return []
    tls = _TLS.match(text)
    if tls:
        return [
            token(tls.start(1), tls[1], "tls", "versions", tls[1]),
            token(tls.start(2), tls[2], "tls", "suites", tls[2]),
        ]
    alert = _ALERT.match(text)
    if alert:
        return [token(alert.start(1), alert[1], "tls", "alertes", alert[1])]
    return []
