"""The trace headers the MDA writes on top of every stored copy.

``Return-Path`` keeps the envelope sender (RFC 5321 §4.4: the final delivery adds it),
``Delivered-To`` the mailbox it was delivered to (Postfix's loop detection), and ``Received``
the hop: who connected, from where, how (RFC 3848 or RFC 6531 keyword), under which queue id
and when.
Lines end in CRLF like the rest of the stored message, and ``Received`` is folded to at most
78 characters per line (RFC 5322 §2.1.1). The last hop, from the MTA to the mailbox server, is
stamped as Dovecot stamps an LMTP delivery (``lmtp_received``), in Dovecot's own layout.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime

#: RFC 5322 §2.1.1: lines SHOULD NOT be longer than 78 characters, CRLF excluded.
MAX_LINE = 78

#: Starts a clause that ``fold`` puts on a line of its own, as Postfix lays out Received:.
NEW_LINE = "\n"

#: What a HELO argument may keep: a domain or an address literal (RFC 5321 §4.1.3). Anything
#: else a client sends (a bare CR, parentheses) would corrupt the header, so it becomes "_".
_NOT_HELO = re.compile(r"[^A-Za-z0-9.\-\[\]:_]")
_NOT_PRINTABLE = re.compile(r"[^\x20-\x7e]")


@dataclass(frozen=True)
class Arrival:
    """How one message reached the server: everything its ``Received`` header records."""

    helo: str
    peer_name: str  # the client's name as DNS confirms it (PTR, then A), else "unknown"
    peer_ip: str
    by: str  # the receiving server's own name
    protocol: str  # RFC 3848 keyword, see protocol_keyword()
    tls: str | None  # e.g. "TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256 bits)"
    queue_id: str
    when: datetime


def protocol_keyword(
    *, extended: bool, tls: bool, authenticated: bool, smtputf8: bool = False
) -> str:
    """The ``with`` keyword: SMTP, ESMTP, ESMTPS, ESMTPA or ESMTPSA (RFC 3848), or for mail
    sent with ``SMTPUTF8`` UTF8SMTP, UTF8SMTPS, UTF8SMTPA or UTF8SMTPSA (RFC 6531 §3.7.3)."""
    if not extended:
        return "SMTP"
    base = "UTF8SMTP" if smtputf8 else "ESMTP"
    return base + ("S" if tls else "") + ("A" if authenticated else "")


def angle(address: str) -> str:
    """An envelope address between angle brackets; the null reverse-path stays ``<>``.

    aiosmtpd hands the null reverse-path (``MAIL FROM:<>``, used by bounces) over as ``"<>"``.
    """
    if address in ("", "<>"):
        return "<>"
    return f"<{_printable(address)}>"


def address_literal(ip: str) -> str:
    """``[192.0.2.1]`` or ``[IPv6:2001:db8::1]`` (RFC 5321 §4.1.3)."""
    return f"[IPv6:{ip}]" if ":" in ip else f"[{ip}]"


def trace_headers(*, mail_from: str, recipient: str) -> bytes:
    """Return-Path and Delivered-To for the copy delivered to ``recipient``."""
    return fold("Return-Path", [angle(mail_from)]) + fold("Delivered-To", [_printable(recipient)])


def received_header(arrival: Arrival, recipient: str | None) -> bytes:
    """The ``Received`` field of one hop, as Postfix writes it.

    ``from <EHLO name> (<name DNS confirms> [<address>])``: the name the client gave, then the
    one the server verified (RFC 5321 §4.4); the TLS used; ``by`` this server ``with`` the RFC
    3848 keyword; ``for <rcpt>`` only when there is one recipient.
    """
    helo = _NOT_HELO.sub("_", arrival.helo) or "unknown"
    received = [
        f"from {helo} ({arrival.peer_name} {address_literal(arrival.peer_ip)})",
        *(
            [f"{NEW_LINE}(using {arrival.tls})", f"{NEW_LINE}(No client certificate requested)"]
            if arrival.tls
            else []
        ),
        f"{NEW_LINE}by {arrival.by} (labo)",
        f"with {arrival.protocol} id {arrival.queue_id}" + ("" if recipient else ";"),
        *([f"{NEW_LINE}for {angle(recipient)};"] if recipient else []),
        format_datetime(arrival.when),
    ]
    return fold("Received", received)


@dataclass(frozen=True)
class Handover:
    """The LMTP delivery from the MTA to the mailbox server that the lab's MDA stands for.

    ``lhlo`` and ``address`` are the MTA's (Postfix says its ``myhostname`` in LHLO), ``by`` the
    mailbox server's name, ``session`` Dovecot's session id and ``when`` the delivery time.
    """

    lhlo: str
    address: str
    by: str
    session: str
    when: datetime


def lmtp_session_id(*parts: str) -> str:
    """A Dovecot-like session id (22 base64 characters, a GUID's 128 bits) that the same
    ``parts`` (queue id, time) always give: Dovecot's is random, the lab's must be repeatable."""
    digest = hashlib.sha256("\0".join(parts).encode()).digest()[:16]
    return base64.b64encode(digest).decode("ascii").rstrip("=")


def lmtp_received(handover: Handover, *, mail_from: str, recipients: Sequence[str]) -> bytes:
    """The ``Received`` field Dovecot's LMTP server writes (``smtp-server-transaction.c``).

    Its layout, not Postfix's: one clause per line, ``id`` the session, ``(envelope-from …)``,
    and ``for <rcpt>`` only when the transaction has one recipient.
    """
    lines = [
        f"Received: from {_NOT_HELO.sub('_', handover.lhlo)} ([{handover.address}])",
        f"\tby {handover.by} with LMTP",
        f"\tid {handover.session}",
        f"\t(envelope-from {angle(mail_from)})",
    ]
    if len(recipients) == 1:
        lines.append(f"\tfor {angle(recipients[0])}")
    lines[-1] += f"; {format_datetime(handover.when)}"
    return "".join(line + "\r\n" for line in lines).encode("ascii")


def fold(name: str, clauses: Sequence[str]) -> bytes:
    """One header field, its clauses joined by spaces and folded before a clause that would
    overflow ``MAX_LINE`` or that starts with ``NEW_LINE``; a clause too long for any line is
    folded between its words."""
    lines: list[str] = []
    current = f"{name}:"
    empty = True  # nothing after the field name yet: never fold there
    for clause in clauses:
        if clause.startswith(NEW_LINE):
            clause = clause[len(NEW_LINE) :]
            if not empty:
                lines.append(current)
                current, empty = "\t" + clause.split(" ")[0], False
                clause = clause.partition(" ")[2]
                if not clause:
                    continue
        words = [clause] if len(clause) < MAX_LINE else clause.split(" ")
        for word in words:
            if not empty and len(current) + 1 + len(word) > MAX_LINE:
                lines.append(current)
                current = "\t" + word
            else:
                current += " " + word
            empty = False
    lines.append(current)
    return "".join(line + "\r\n" for line in lines).encode("ascii")


def _printable(text: str) -> str:
    return _NOT_PRINTABLE.sub("?", text)
