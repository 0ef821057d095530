"""IMAP for the lab: pymap's maildir backend serving the store's Maildirs.

``start(ctx, service)`` runs one listener on the lab's event loop: ``imap`` (port 143's role)
speaks in clear and offers STARTTLS, announcing LOGINDISABLED until TLS is on; ``imaps`` (993's
role) is TLS from the first byte. Every lab user logs in with their login and password and finds
the Maildir that SMTP delivers to and POP3 reads. What a scenario does shows the same on the wire
and on disk in every run: greeting, UIDVALIDITY, MAILBOXID, message ids, file names, dates.
"""

from __future__ import annotations

from labo.context import LabContext
from labo.identity import Service
from labo.imap.server import ImapBackend

__all__ = ["ImapBackend", "start"]


async def start(ctx: LabContext, service: Service) -> ImapBackend:
    """Start serving ``service`` (``imap`` or ``imaps``) on 127.0.0.1, on an ephemeral port."""
    backend = ImapBackend(ctx, service)
    await backend.start()
    return backend
