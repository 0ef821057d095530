"""Which tokenizer follows which connection, and the tokens of every line of a transcript.

A transcript read back from its approved text has no connection details: the protocol is then
told by the service named in the ``ouverture`` line, by ``requête DNS``, or by the greeting.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

from labo.identity import SERVICES
from labo.render.annotations.dns import DnsTokenizer
from labo.render.annotations.imap import ImapTokenizer
from labo.render.annotations.notes import note_tokens
from labo.render.annotations.pop3 import Pop3Tokenizer
from labo.render.annotations.smtp import SmtpTokenizer
from labo.render.annotations.tokens import Side, Token
from labo.wire.transcript import DNS_SERVICE, Event, Transcript

_OPEN_SERVICE = re.compile(r"\(([a-z0-9]+)\)$")


class Tokenizer(Protocol):
    def feed(self, side: Side, text: str) -> list[Token]: ...


_BY_PROTOCOL: dict[str, type[SmtpTokenizer] | type[Pop3Tokenizer] | type[ImapTokenizer]] = {
    "smtp": SmtpTokenizer,
    "pop3": Pop3Tokenizer,
    "imap": ImapTokenizer,
}


class _Sniffer:
    """A connection of unknown service: the server's greeting tells the protocol."""

    def __init__(self) -> None:
        self._tokenizer: Tokenizer | None = None

    def feed(self, side: Side, text: str) -> list[Token]:
        if self._tokenizer is None:
            if side == "client":
                return []
            if text.startswith("220"):
                self._tokenizer = SmtpTokenizer()
            elif text.startswith(("+OK", "-ERR")):
                self._tokenizer = Pop3Tokenizer()
            else:
                self._tokenizer = ImapTokenizer()
        return self._tokenizer.feed(side, text)


def _for_service(service: str | None) -> Tokenizer:
    if service == DNS_SERVICE:
        return DnsTokenizer()
    known = SERVICES.get(service or "")
    return _BY_PROTOCOL[known.protocol]() if known is not None else _Sniffer()


def _service_of(transcript: Transcript, event: Event) -> str | None:
    info = transcript.connections.get(event.connection)
    if info is not None:
        return info.service
    if event.kind == "open":
        if event.text.startswith("requête DNS"):
            return DNS_SERVICE
        match = _OPEN_SERVICE.search(event.text)
        return match[1] if match else None
    return None


def transcript_tokens(transcript: Transcript) -> list[list[Token]]:
    """For each event of ``transcript``, its tokens in line order (none in message content)."""
    tokenizers: dict[int, Tokenizer] = {}
    found: list[list[Token]] = []
    for event in transcript.events:
        if event.connection not in tokenizers and (
            event.kind == "open" or event.kind in ("client", "server")
        ):
            tokenizers[event.connection] = _for_service(_service_of(transcript, event))
        if event.kind in ("client", "server"):
            side: Side = "client" if event.kind == "client" else "server"
            found.append(_ordered(tokenizers[event.connection].feed(side, event.text)))
        else:
            found.append(note_tokens(event.kind, event.text))
    return found


def _ordered(tokens: Sequence[Token]) -> list[Token]:
    """Sorted, and without overlaps (the first token found keeps its place)."""
    kept: list[Token] = []
    end = 0
    for found in sorted(tokens, key=lambda t: (t.start, -t.end)):
        if found.start >= end and found.end > found.start:
            kept.append(found)
            end = found.end
    return kept
