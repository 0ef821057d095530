"""What one delivery attempt did for one recipient, as the transport reports it to the queue.

Three outcomes, as an SMTP client sees them (RFC 5321 §4.2.1): the message was taken (2xx), the
next hop asks to try again later (4xx, or no connection at all), or it refuses for good (5xx).

A failure without a reply (no connection, no MX found) has no reply code to quote: like Postfix,
the MTA then says what happened in its own words and gives the RFC 3463 status itself
(``enhanced``), rather than inventing a reply the next hop never sent.

A reply that did come is kept as sent (the DSN's ``Diagnostic-Code: smtp; …``), with who sent it
(``remote_mta``, ``remote_address``) and to which command (``in_reply_to``): the queue listing and
the report's text then say it in Postfix's words, ``host mx.example.org[198.51.100.25] said:
550 5.1.1 … (in reply to RCPT TO command)`` (``smtp_proto.c``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Delivered:
    """The next hop took the message for this recipient."""


@dataclass(frozen=True)
class Temporary:
    """Try again later: ``reply`` is what the next hop said (``451 4.3.0 …``), or, with
    ``enhanced`` (``4.4.1``), why no reply came (``connect to …: Connection refused``)."""

    reply: str
    enhanced: str | None = None
    remote_mta: str | None = None
    remote_address: str | None = None
    in_reply_to: str | None = None


@dataclass(frozen=True)
class Permanent:
    """Refused for good: ``reply`` is the refusal (``550 5.1.1 …``), ``remote_mta`` who said it;
    with ``enhanced``, ``reply`` is the MTA's own diagnostic."""

    reply: str
    remote_mta: str | None = None
    enhanced: str | None = None
    remote_address: str | None = None
    in_reply_to: str | None = None


Outcome = Delivered | Temporary | Permanent

_ENHANCED = re.compile(r"^[245]\d\d[ -]([245])\.(\d{1,3})\.(\d{1,3})(?:\s|$)")


def enhanced_status(reply: str, *, permanent: bool) -> str:
    """The RFC 3463 status of ``reply`` (``5.1.1``), or the generic ``5.0.0`` / ``4.0.0``."""
    found = _ENHANCED.match(reply)
    if found:
        return ".".join(found.groups())
    return "5.0.0" if permanent else "4.0.0"


def one_line(reply: str) -> str:
    """A multi-line SMTP reply as one line, for a DSN field or a queue listing."""
    return " ".join(part.strip() for part in reply.splitlines() if part.strip())


def reason(
    reply: str,
    *,
    remote_mta: str | None = None,
    remote_address: str | None = None,
    in_reply_to: str | None = None,
) -> str:
    """What Postfix logs, lists (``postqueue -p``) and reports for one recipient: a server's
    reply as ``host <name>[<address>] said: <reply> (in reply to <command>)``, the MTA's own
    words as they are."""
    if in_reply_to is None or remote_mta is None:
        return one_line(reply)
    host = f"{remote_mta}[{remote_address}]" if remote_address else remote_mta
    return f"host {host} said: {one_line(reply)} (in reply to {in_reply_to})"
