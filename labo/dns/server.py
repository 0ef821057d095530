"""The lab's authoritative DNS server, on the lab's event loop, recording every lookup.

UDP as resolvers use first, and TCP on the same port for answers too long for UDP (a DKIM key),
which a resolver asks again over TCP when the UDP answer comes back truncated. Each answered
query becomes a numbered exchange of the transcript, labelled with who asked: the asker's port
is claimed in ``labels.REGISTRY``, as the recording proxy does for connections.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
from typing import cast

from labo.dns.responder import Exchange, Transport, respond
from labo.dns.zone import LabZone
from labo.wire.labels import EXTERNAL_CLIENT, REGISTRY, ClientInfo
from labo.wire.transcript import Recorder

#: The name transcripts give the lab's DNS server (French: readers see it).
RESOLVER_NAME = "résolveur du labo"

#: How many ephemeral UDP ports to try before giving up finding one free for TCP as well.
_PORT_ATTEMPTS = 20

_log = logging.getLogger(__name__)


class _Answerer:
    """What the UDP and TCP sides share: the zone, the recorder, the labelling."""

    def __init__(self, zone: LabZone, recorder: Recorder) -> None:
        self.zone = zone
        self.recorder = recorder

    def answer(self, packet: bytes, transport: Transport, asker: ClientInfo) -> bytes | None:
        """The response to send, after recording the exchange; None to stay silent."""
        try:
            exchange = respond(self.zone, packet, transport=transport)
        except Exception:  # a bug must not stop the server: log it, answer nothing
            _log.exception("DNS du labo : erreur en répondant à une requête de %s", asker.label)
            return None
        if exchange.response is not None:
            self._record(exchange, transport, asker)
        return exchange.response

    def _record(self, exchange: Exchange, transport: Transport, asker: ClientInfo) -> None:
        number = self.recorder.open_query(asker.label, asker.hostname, transport)
        self.recorder.line(number, "client", exchange.question.encode())
        for line in exchange.answer:
            self.recorder.line(number, "server", line.encode())


def _asker(port: int) -> ClientInfo:
    """Who registered the port a query came from; a client outside the lab otherwise."""
    return REGISTRY.claim(port) or ClientInfo(EXTERNAL_CLIENT, RESOLVER_NAME)


class _UdpProtocol(asyncio.DatagramProtocol):
    def __init__(self, answerer: _Answerer) -> None:
        self._answerer = answerer
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        response = self._answerer.answer(data, "udp", _asker(int(addr[1])))
        if response is not None and self.transport is not None:
            self.transport.sendto(response, addr)

    def error_received(self, exc: Exception) -> None:
        _log.debug("DNS du labo (udp) : %s", exc)  # e.g. ICMP port unreachable: asker gone


class DnsServer:
    """A running lab DNS server: one port, UDP and TCP. Matches ``labo.services.Backend``."""

    def __init__(self, answerer: _Answerer) -> None:
        self._answerer = answerer
        self._udp: asyncio.DatagramTransport | None = None
        self._tcp: asyncio.Server | None = None
        self._port = 0
        self._connections: dict[asyncio.Task[None], asyncio.StreamWriter] = {}

    @property
    def port(self) -> int:
        return self._port

    async def listen(self, host: str, port: int) -> None:
        """Bind UDP, then TCP on the same port; an ephemeral UDP port taken in TCP is retried."""
        loop = asyncio.get_running_loop()
        for _ in range(_PORT_ATTEMPTS if port == 0 else 1):
            udp, _protocol = await loop.create_datagram_endpoint(
                lambda: _UdpProtocol(self._answerer), local_addr=(host, port)
            )
            chosen = int(udp.get_extra_info("sockname")[1])
            try:
                self._tcp = await asyncio.start_server(self._serve_tcp, host, chosen)
            except OSError as error:
                udp.close()
                if error.errno != errno.EADDRINUSE or port != 0:
                    raise
                continue
            self._udp, self._port = udp, chosen
            return
        raise OSError(errno.EADDRINUSE, "aucun port libre à la fois en UDP et en TCP")

    async def drop_connections(self) -> None:
        """Cut the TCP connections (UDP has none) and wait until their tasks are over."""
        for writer in self._connections.values():
            writer.transport.abort()  # its task sees the end of stream and returns
        if self._connections:
            await asyncio.gather(*self._connections, return_exceptions=True)

    async def close(self) -> None:
        if self._udp is not None:
            self._udp.close()
        if self._tcp is not None:
            self._tcp.close()
        await self.drop_connections()
        if self._tcp is not None:
            await self._tcp.wait_closed()

    async def _serve_tcp(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Length-prefixed queries (RFC 1035 §4.2.2), answered in turn until the asker closes."""
        task = asyncio.current_task()
        assert task is not None
        self._connections[task] = writer
        peer = writer.get_extra_info("peername")
        asker = _asker(int(peer[1])) if peer else ClientInfo(EXTERNAL_CLIENT, RESOLVER_NAME)
        try:
            while True:
                size = int.from_bytes(await reader.readexactly(2), "big")
                response = self._answerer.answer(await reader.readexactly(size), "tcp", asker)
                if response is None:
                    break
                writer.write(len(response).to_bytes(2, "big") + response)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass  # the asker closed or the connection was dropped
        finally:
            del self._connections[task]
            writer.transport.abort()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()


async def start_dns(
    zone: LabZone, recorder: Recorder, host: str = "127.0.0.1", port: int = 0
) -> DnsServer:
    """Serve ``zone`` on (``host``, ``port``), UDP and TCP; port 0 picks a free one."""
    server = DnsServer(_Answerer(zone, recorder))
    await server.listen(host, port)
    return server
