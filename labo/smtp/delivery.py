"""The MDA's write (RFC 5598 §4.3.3): one copy per recipient in its Maildir, all or none.

Stored messages use CRLF line endings, the wire form of RFC 5321 §2.3.8 and RFC 5322 §2.1:
the POP3 and IMAP servers send a file as it is and announce its size as the file's size, so
what a client downloads is byte for byte what the sender's client sent, plus the trace headers.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
from collections.abc import Sequence

from labo.identity import User
from labo.smtp.headers import Handover, lmtp_received, trace_headers
from labo.store import MailStore

log = logging.getLogger(__name__)

_LINE_END = re.compile(rb"\r\n|\r|\n")


class DeliveryError(Exception):
    """Some copy could not be written; the copies already written have been withdrawn."""


def crlf_lines(content: bytes) -> bytes:
    """``content`` with every line ending as CRLF.

    aiosmtpd splits DATA on CRLF only, so a bare CR or LF a careless client left inside a line
    reaches us as is; normalising it keeps every stored file in one line-ending convention.
    """
    return _LINE_END.sub(b"\r\n", content)


def deliver_copies(
    store: MailStore,
    recipients: Sequence[User],
    content: bytes,
    *,
    mail_from: str,
    handover: Handover | None = None,
) -> list[str]:
    """Store one copy of ``content`` per recipient, each under its own trace headers.

    ``content`` is the queued message, whose ``Received:`` fields already tell its way here;
    the final delivery adds ``Return-Path:`` and ``Delivered-To:`` on top (RFC 5321 §4.4), above
    the ``Received:`` of the ``handover`` to the mailbox server, the same on every copy (one
    LMTP transaction for all the recipients, as Postfix hands them to Dovecot).

    Returns the Maildir keys. If a write fails, the copies already in ``new/`` are removed
    before ``DeliveryError`` is raised: the client is told to retry (451), and a retry must
    not give the first recipients a second copy. The store writes ``tmp/`` then renames, so
    the copy that failed never appears half-written in ``new/``.
    """
    body = crlf_lines(content)
    if handover is not None:
        addresses = [user.address for user in recipients]
        body = lmtp_received(handover, mail_from=mail_from, recipients=addresses) + body
    delivered: list[tuple[User, str]] = []
    try:
        for user in recipients:
            message = trace_headers(mail_from=mail_from, recipient=user.address) + body
            delivered.append((user, store.deliver(user, message)))
    except OSError as error:
        _withdraw(store, delivered)
        raise DeliveryError(f"écriture impossible dans la boîte aux lettres : {error}") from error
    return [key for _, key in delivered]


def _withdraw(store: MailStore, delivered: Sequence[tuple[User, str]]) -> None:
    for user, key in delivered:
        path = store.maildir(user) / "new" / key
        try:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
        except OSError:
            log.exception("copie %s impossible à retirer après un échec de livraison", path)
