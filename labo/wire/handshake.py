"""TLS handshakes on one leg of a relayed connection, and how a failed one reads in a transcript.

A failure must read the same on every machine, so the transcript names the OpenSSL reason
(``TLSV1_ALERT_UNKNOWN_CA``) or a French summary, never the full message: it carries source line
numbers of the ``_ssl`` module that change between Python builds.
"""

from __future__ import annotations

import asyncio
import ssl
from typing import Literal

Side = Literal["client", "server"]

#: Long enough for any real client, short enough that a stalled handshake does not pin a
#: connection (asyncio's default is 60 s).
HANDSHAKE_TIMEOUT = 10.0

_WHERE = {"client": "côté client", "server": "côté serveur"}


class HandshakeFailed(Exception):
    """The TLS handshake of one leg failed; ``note`` is the transcript's line for it."""

    def __init__(self, side: Side, reason: str) -> None:
        super().__init__(f"{side}: {reason}")
        self.side = side
        self.reason = reason

    @property
    def note(self) -> str:
        return f"échec TLS\u00a0: {self.reason} ({_WHERE[self.side]})"


def failure_reason(exc: BaseException) -> str:
    """A short, stable account of why a handshake failed."""
    if isinstance(exc, ssl.SSLError) and exc.reason:
        return exc.reason
    if isinstance(exc, ConnectionAbortedError):
        return "négociation abandonnée (délai dépassé)"
    if isinstance(exc, ConnectionError | EOFError | ssl.SSLEOFError):
        return "connexion fermée pendant la négociation"
    return type(exc).__name__


async def secure(
    transport: asyncio.Transport,
    protocol: asyncio.BaseProtocol,
    context: ssl.SSLContext,
    *,
    side: Side,
    server_side: bool,
    server_hostname: str | None = None,
) -> asyncio.Transport:
    """Run the handshake on ``transport`` and return the TLS transport that replaces it.

    Raises HandshakeFailed; the plain transport is then closed (``loop.start_tls`` does it).
    """
    loop = asyncio.get_running_loop()
    try:
        secured = await loop.start_tls(
            transport,
            protocol,
            context,
            server_side=server_side,
            server_hostname=server_hostname,
            ssl_handshake_timeout=HANDSHAKE_TIMEOUT,
        )
    except (OSError, EOFError) as exc:  # ssl.SSLError and ConnectionError are OSErrors
        raise HandshakeFailed(side, failure_reason(exc)) from exc
    if secured is None:  # the connection was closed under the handshake
        raise HandshakeFailed(side, failure_reason(EOFError()))
    return secured
