"""One client connection seen as lines: bounded reads, write backpressure, upgrade to TLS.

Built on ``asyncio.Protocol`` rather than streams because STLS must throw away whatever the
client sent before the TLS handshake (STARTTLS command injection, CVE-2011-0411), and streams
offer no public way to empty their buffer. Owning the buffer also bounds memory: an endless line
is dropped as it arrives, and reading pauses while too many pipelined commands wait.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable

#: Reading pauses above this many buffered octets and resumes below the low mark.
HIGH_WATER = 64 * 1024
LOW_WATER = 16 * 1024


class LineTooLong(Exception):
    """A line exceeded the limit: what was received of it is dropped, and so will be the rest."""


class LineChannel(asyncio.Protocol):
    """Protocol object of one connection; ``on_open`` is called once it is established."""

    def __init__(self, on_open: Callable[[LineChannel], None], *, tls_active: bool) -> None:
        self.tls_active = tls_active
        self._on_open = on_open
        self._transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self._discarding = False  # inside the tail of an overlong line
        self._eof = False
        self._lost = False
        self._reading_paused = False
        self._writing_paused = False
        self._data_waiter: asyncio.Future[None] | None = None
        self._drain_waiter: asyncio.Future[None] | None = None

    # -- asyncio.Protocol callbacks ------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        self._on_open(self)

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        if self._discarding:
            self._drop_overlong_tail()
        if len(self._buffer) > HIGH_WATER and not self._reading_paused:
            self._reading_paused = True
            self._require_transport().pause_reading()
        self._wake(self._data_waiter)

    def eof_received(self) -> bool:
        self._eof = True
        self._wake(self._data_waiter)
        # Keep a plain connection open for writing: a client that half-closes after its last
        # command still gets the replies. TLS has no half-close, so let it close.
        return not self.tls_active

    def connection_lost(self, exc: Exception | None) -> None:
        self._lost = True
        self._eof = True
        self._wake(self._data_waiter)
        self._wake(self._drain_waiter)

    def pause_writing(self) -> None:
        self._writing_paused = True

    def resume_writing(self) -> None:
        self._writing_paused = False
        self._wake(self._drain_waiter)

    # -- what the session uses -----------------------------------------------------------------

    async def readline(self, limit: int) -> bytes | None:
        """The next line without its CRLF (a bare LF is accepted); None once the client is gone.

        ``limit`` counts the octets of the line with its CRLF (RFC 2449 §4). A longer line
        raises ``LineTooLong`` as soon as it is known to be too long; its tail is discarded as it
        arrives. Complete lines received before the client closed are still returned; a partial
        last line is not.
        """
        while True:
            end = self._buffer.find(b"\n")
            if end >= 0:
                line = bytes(self._buffer[:end]).removesuffix(b"\r")
                del self._buffer[: end + 1]
                self._resume_reading_if_drained()
                if len(line) + 2 > limit:
                    raise LineTooLong
                return line
            if len(self._buffer) + 1 > limit:  # even a bare LF next would make it too long
                self._buffer.clear()
                self._discarding = True
                self._resume_reading_if_drained()
                raise LineTooLong
            if self._eof:
                return None
            await self._wait_for_data()

    def write(self, data: bytes) -> None:
        """Queue ``data`` for sending; raises ConnectionResetError once the client is gone."""
        transport = self._require_transport()
        if self._lost or transport.is_closing():
            raise ConnectionResetError("POP3 client connection lost")
        transport.write(data)

    async def drain(self) -> None:
        """Wait while the client reads slower than we write (transport flow control)."""
        while self._writing_paused and not self._lost:
            await self._wait_for_drain()
        if self._lost:
            raise ConnectionResetError("POP3 client connection lost")

    async def start_tls(self, context: ssl.SSLContext) -> None:
        """Upgrade to TLS as the server, after dropping any input the client sent ahead of it.

        Nothing is awaited between emptying the buffer and ``loop.start_tls`` pausing the
        transport, so no plaintext byte can slip in between and be taken as a protected command.
        """
        transport = self._require_transport()
        self._buffer.clear()
        self._discarding = False
        self._reading_paused = False  # start_tls resumes reading on the raw transport itself
        loop = asyncio.get_running_loop()
        upgraded = await loop.start_tls(transport, self, context, server_side=True)
        if upgraded is None:  # the connection closed during the handshake
            raise ConnectionResetError("POP3 client left during the TLS handshake")
        self._transport = upgraded
        self.tls_active = True

    def close(self) -> None:
        """Close once queued replies are sent."""
        if self._transport is not None:
            self._transport.close()

    def abort(self) -> None:
        """Close at once, dropping queued replies (the lab resets or stops)."""
        if self._transport is not None:
            self._transport.abort()

    # -- internals ---------------------------------------------------------------------------

    def _require_transport(self) -> asyncio.Transport:
        if self._transport is None:
            raise ConnectionResetError("POP3 client connection not established")
        return self._transport

    def _drop_overlong_tail(self) -> None:
        end = self._buffer.find(b"\n")
        if end < 0:
            self._buffer.clear()
        else:
            del self._buffer[: end + 1]
            self._discarding = False

    def _resume_reading_if_drained(self) -> None:
        if self._reading_paused and len(self._buffer) <= LOW_WATER:
            self._reading_paused = False
            if self._transport is not None and not self._transport.is_closing():
                self._transport.resume_reading()

    async def _wait_for_data(self) -> None:
        self._data_waiter = asyncio.get_running_loop().create_future()
        try:
            await self._data_waiter
        finally:
            self._data_waiter = None

    async def _wait_for_drain(self) -> None:
        self._drain_waiter = asyncio.get_running_loop().create_future()
        try:
            await self._drain_waiter
        finally:
            self._drain_waiter = None

    @staticmethod
    def _wake(waiter: asyncio.Future[None] | None) -> None:
        if waiter is not None and not waiter.done():
            waiter.set_result(None)
