"""The lab's own POP3 server (RFC 1939, RFC 2449 CAPA, RFC 2595 STLS, RFC 5034 AUTH PLAIN).

No maintained asyncio POP3 server exists, and Twisted's is broken on Python 3 (see DESIGN.md), so
the lab has its own. It serves the shared Maildir store with the behaviour of a careful real
server: deletions applied only at QUIT, UIDL stable across IMAP flag changes, an exclusive
maildrop lock, and no password accepted before TLS unless the lab plays a legacy server.

Modules: ``server`` (listener, the lab's Backend), ``session`` (state machine and commands),
``channel`` (lines, backpressure, STLS upgrade), ``maildrop`` (snapshot, deletions, UPDATE),
``framing`` (CRLF, byte-stuffing, TOP), ``credentials`` (USER/PASS, APOP, PLAIN), ``banner``
(APOP timestamps).
"""

from __future__ import annotations

from labo.context import LabContext
from labo.identity import Service
from labo.pop3.server import Pop3Server
from labo.pop3.session import IDLE_TIMEOUT

__all__ = ["IDLE_TIMEOUT", "Pop3Server", "start"]


async def start(
    ctx: LabContext, service: Service, *, idle_timeout: float = IDLE_TIMEOUT
) -> Pop3Server:
    """Start ``service`` (pop3 or pop3s) on the running loop, on an ephemeral loopback port.

    ``idle_timeout`` exists for tests; the lab uses the RFC 1939 minimum of 10 minutes.
    """
    server = Pop3Server(ctx, service, idle_timeout=idle_timeout)
    await server.listen()
    return server
