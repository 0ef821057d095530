"""The PROXY protocol header the lab's proxy may send ahead of the TLS handshake of ``imaps``.

It is read byte by byte from the raw socket: the handshake that follows must reach the TLS layer
whole, so not one byte past the header may be taken. A client that starts TLS straight away
(its first byte is a TLS record, never ``P``) is served without a header.
"""

from __future__ import annotations

import asyncio
import socket

from proxyprotocol import ProxyProtocol, ProxyProtocolSyntaxError
from proxyprotocol.result import ProxyResult

#: The longest version 1 header, CRLF included (PROXY protocol specification, §2.1).
V1_MAX_LENGTH = 107


async def read_header_before_tls(sock: socket.socket, parser: ProxyProtocol) -> ProxyResult | None:
    """Consume a PROXY v1 header if the connection starts with one; None if it does not.

    Raises ``ConnectionResetError`` if the peer leaves first and ``ProxyProtocolSyntaxError``
    for a malformed header.
    """
    loop = asyncio.get_running_loop()
    first = await _peek_byte(loop, sock)
    if not first:
        raise ConnectionResetError("connexion fermée avant la négociation TLS")
    if first != b"P":
        return None
    line = bytearray()
    while not line.endswith(b"\r\n"):
        if len(line) >= V1_MAX_LENGTH:
            raise ProxyProtocolSyntaxError("en-tête PROXY trop long")
        byte = await loop.sock_recv(sock, 1)
        if not byte:
            raise ConnectionResetError("connexion fermée au milieu de l'en-tête PROXY")
        line += byte
    return parser.unpack(bytes(line))


async def _peek_byte(loop: asyncio.AbstractEventLoop, sock: socket.socket) -> bytes:
    """The first byte waiting on ``sock``, left in place (empty at end of stream)."""
    while True:
        try:
            return sock.recv(1, socket.MSG_PEEK)
        except (BlockingIOError, InterruptedError):
            pass
        readable = loop.create_future()
        loop.add_reader(sock.fileno(), _settle, readable)
        try:
            await readable
        finally:
            loop.remove_reader(sock.fileno())


def _settle(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
