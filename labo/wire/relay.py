"""One relayed connection: client ↔ proxy ↔ lab server, recorded line by line.

Each leg is an ``asyncio.Protocol`` rather than a stream because the STARTTLS handoff must
control every byte: a ``StreamReader`` reads ahead into a buffer nobody can inspect, and bytes it
read in clear after the request would later come out as if they had been decrypted. Here, reading
stops the instant the request (then the answer) is seen, the rest of that chunk is held back, and
``loop.start_tls`` takes over sockets nothing has read ahead of.

While a leg is being reached or secured, whatever the legs report (data, end of stream, loss)
waits in arrival order and is handled once the handshake is over, so the transcript never
depends on which of two concurrent handshakes finished first.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import ssl
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, cast

from labo.identity import Service
from labo.wire.handshake import HandshakeFailed, Side, secure
from labo.wire.labels import DEVICES, EXTERNAL_CLIENT, REGISTRY, ClientInfo
from labo.wire.lines import LineSplitter, strip_line_ending
from labo.wire.proxy_header import proxy_header
from labo.wire.starttls import Verdict, watcher_for
from labo.wire.transcript import Recorder

#: Where the lab servers listen, behind their proxies.
BACKEND_HOST = "127.0.0.1"

#: Notes the proxy adds to a transcript (French: readers see them).
UNREACHABLE_NOTE = "serveur du labo injoignable"
_FROM = {"client": "du client", "server": "du serveur"}

_log = logging.getLogger(__name__)

EventKind = Literal["data", "eof", "lost"]


class State(enum.Enum):
    CONNECTING = enum.auto()  # reaching the lab server (and, for implicit TLS, both handshakes)
    RELAYING = enum.auto()
    AWAITING_ANSWER = enum.auto()  # the client asked for TLS: it is not read until the answer
    UPGRADING = enum.auto()  # both legs' STARTTLS handshakes
    CLOSED = enum.auto()


#: While the legs are reached or secured, their events wait to be handled in arrival order.
_WAITING = (State.CONNECTING, State.UPGRADING)


@dataclass(frozen=True)
class RelaySettings:
    """What every connection through one proxy shares."""

    service: Service
    backend_port: int
    #: The server's name (its certificate's, checked by the proxy) and its lab address.
    hostname: str
    server_address: str
    recorder: Recorder
    server_context: ssl.SSLContext  # what the proxy presents to clients
    client_context: ssl.SSLContext  # how the proxy checks the lab server
    proxy_protocol: bool
    #: Where the server listens: the lab's servers on 127.0.0.1, the reference servers on
    #: their provider's own loopback address (``labo.reference``).
    backend_host: str = BACKEND_HOST
    #: Who a client nobody registered is, by its address: a reference Postfix relaying from
    #: its provider's loopback address is that provider's MTA.
    peers: Mapping[str, ClientInfo] = field(default_factory=dict)


class _Unreachable(Exception):
    """The lab server refused the proxy's connection."""


class Leg(asyncio.Protocol):
    """One side of a relayed connection; reports everything to its relay."""

    def __init__(self, relay: Relay, side: Side) -> None:
        self.relay = relay
        self.side = side
        self.transport: asyncio.Transport | None = None
        self.reading = True
        self.secured = False  # a TLS handshake started: the SSL layer now calls this protocol
        self.ended = False  # end of stream or loss seen: nothing more will be read
        self.congested = False  # its write buffer is full: the other leg must stop reading

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        if self.side == "client":
            self.relay.client_connected()
        elif self.relay.closed:  # reached the server just as the connection was dropped
            self.transport.abort()

    def data_received(self, data: bytes) -> None:
        self.relay.leg_event(self, "data", data)

    def eof_received(self) -> bool:
        return self.relay.leg_eof(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.relay.leg_event(self, "lost")

    def pause_writing(self) -> None:
        self.relay.leg_congested(self, True)

    def resume_writing(self) -> None:
        self.relay.leg_congested(self, False)


class Relay:
    """Relays one client connection to the lab server and records what both say."""

    def __init__(
        self,
        settings: RelaySettings,
        *,
        tasks: set[asyncio.Task[None]],
        on_closed: Callable[[Relay], None],
    ) -> None:
        self.settings = settings
        self.client = Leg(self, "client")
        self.server = Leg(self, "server")
        self.number = 0
        self._proxy_tasks = tasks  # the proxy's strong references, awaited when it drops
        self._tasks: set[asyncio.Task[None]] = set()
        self._on_closed = on_closed
        self._state = State.CONNECTING
        self._implicit = settings.service.tls == "implicit"
        self._watcher = (
            watcher_for(settings.service.protocol) if settings.service.tls == "starttls" else None
        )
        self._lines = {"client": LineSplitter(), "server": LineSplitter()}
        self._waiting: list[tuple[Leg, EventKind, bytes]] = []
        self._held = b""  # client bytes that followed its TLS request, until the answer
        self._client_port = 0
        self._client_address = ""

    @property
    def closed(self) -> bool:
        return self._state is State.CLOSED

    # -- lifecycle -------------------------------------------------------------------------------

    def client_connected(self) -> None:
        """A client was accepted: record who it is, then reach the lab server."""
        self._pause(self.client)  # nothing is read before the server is reached and TLS is on
        peer = self._transport(self.client).get_extra_info("peername")
        self._client_port = int(peer[1]) if peer else 0
        info = REGISTRY.claim(self._client_port) if self._client_port else None
        if info is None and peer:
            info = self.settings.peers.get(str(peer[0]))
        if info is None:
            info = ClientInfo(EXTERNAL_CLIENT, self.settings.hostname)
        self._client_address = info.address or DEVICES.address_for(info.label)
        service = self.settings.service
        self.number = self.settings.recorder.open(
            service.name, info.label, info.hostname, service.port
        )
        self._spawn(self._connect(), "connexion")

    def drop(self) -> None:
        """Cut the connection now (lab reset or shutdown); its tasks are cancelled."""
        self._finish(abort=True)

    # -- what the legs report --------------------------------------------------------------------

    def leg_event(self, leg: Leg, kind: EventKind, data: bytes = b"") -> None:
        if self._state in _WAITING:
            self._waiting.append((leg, kind, data))
        else:
            self._handle(leg, kind, data)

    def leg_eof(self, leg: Leg) -> bool:
        """End of stream from ``leg``'s peer; True keeps a plain transport open for writing."""
        self.leg_event(leg, "eof")
        # asyncio's SSL layer cannot stay half-open and warns if asked to.
        return not (self.closed or leg.secured)

    def leg_congested(self, leg: Leg, congested: bool) -> None:
        leg.congested = congested
        self._sync_reading()

    # -- reaching the server and securing the legs ----------------------------------------------

    async def _connect(self) -> None:
        """On implicit TLS, the client's handshake first, recorded, then the server: what the
        server does on connection (a DNS lookup) always comes after « TLS établi »."""
        try:
            if self._implicit:
                async with asyncio.TaskGroup() as group:
                    self._child(group, self._secure(self.client), "TLS client")
                if self.closed:
                    return
                self._record_tls()
            async with asyncio.TaskGroup() as group:
                self._child(group, self._reach_server(), "serveur")
        except BaseExceptionGroup as failures:
            self._fail(failures)
            return
        if self.closed:
            return
        self._resume()

    async def _reach_server(self) -> None:
        loop = asyncio.get_running_loop()
        host, port = self.settings.backend_host, self.settings.backend_port
        try:
            await loop.create_connection(lambda: self.server, host, port)
        except OSError as exc:
            _log.warning(
                "proxy %s : le serveur du labo (%s:%d) refuse la connexion : %s",
                self.settings.service.name,
                host,
                port,
                exc,
            )
            raise _Unreachable from exc
        if self._implicit:
            await self._secure(self.server)
        if self.settings.proxy_protocol:
            # The first bytes the server reads: in clear before STARTTLS, and inside TLS on an
            # implicit-TLS listener, which asyncio decrypts before pymap reads the header.
            header = proxy_header(
                self._client_address,
                self._client_port,
                self.settings.server_address,
                self.settings.service.port,
            )
            self._write(self.server, header)

    async def _upgrade(self) -> None:
        """STARTTLS accepted: the client's handshake with the proxy, the proxy's with the server."""
        try:
            async with asyncio.TaskGroup() as group:
                self._child(group, self._secure(self.client), "TLS client")
                self._child(group, self._secure(self.server), "TLS serveur")
        except BaseExceptionGroup as failures:
            self._fail(failures)
            return
        if self.closed:
            return
        self._record_tls()
        self._resume()

    async def _secure(self, leg: Leg) -> None:
        towards_client = leg is self.client
        leg.secured = True
        leg.transport = await secure(
            self._transport(leg),
            leg,
            self.settings.server_context if towards_client else self.settings.client_context,
            side=leg.side,
            server_side=towards_client,
            server_hostname=None if towards_client else self.settings.hostname,
        )
        leg.reading = True  # a fresh TLS transport reads

    def _record_tls(self) -> None:
        ssl_object = self._transport(self.client).get_extra_info("ssl_object")
        cipher = ssl_object.cipher()
        self.settings.recorder.tls(self.number, ssl_object.version(), cipher[0])

    def _fail(self, failures: BaseExceptionGroup[BaseException]) -> None:
        """Record why the connection could not go on, then close it."""
        if self.closed:
            return  # dropped meanwhile: the handshake failed because of it
        for failure in failures.exceptions:
            if isinstance(failure, HandshakeFailed):
                self._note(failure.note)
                break
            if isinstance(failure, _Unreachable):
                self._note(UNREACHABLE_NOTE)
                break
        else:
            _log.error(
                "proxy %s, connexion %d : erreur inattendue",
                self.settings.service.name,
                self.number,
                exc_info=failures,
            )
        self._finish(abort=True)

    def _resume(self) -> None:
        """Relay again, handling first what the legs reported meanwhile, in that order."""
        self._state = State.RELAYING
        waiting, self._waiting = self._waiting, []
        for leg, kind, data in waiting:
            self._handle(leg, kind, data)
        self._sync_reading()

    # -- relaying --------------------------------------------------------------------------------

    def _handle(self, leg: Leg, kind: EventKind, data: bytes) -> None:
        if self.closed:
            return
        if kind == "data":
            self._on_data(leg, data)
        elif kind == "eof":
            self._on_eof(leg)
        else:
            self._on_lost(leg)

    def _on_data(self, leg: Leg, data: bytes) -> None:
        while data and not self.closed:
            if self._state in _WAITING:  # read in clear just before a handshake: never relayed
                self._discard(leg, data)
                return
            if leg is self.client and self._state is State.AWAITING_ANSWER:
                # Held until the answer; reading must still stop (below), or the client's
                # handshake could arrive before the upgrade and be lost among waiting events.
                self._held += data
                break
            data = self._consume(leg, data)
        if leg is self.server and self._state is State.RELAYING and self._held:
            held, self._held = self._held, b""  # TLS refused: what followed the request goes on
            self._on_data(self.client, held)
        self._sync_reading()

    def _consume(self, leg: Leg, data: bytes) -> bytes:
        """Record and forward ``data`` up to the line that changes the state; return the rest."""
        for line, end in self._lines[leg.side].feed(data):
            self.settings.recorder.line(self.number, leg.side, strip_line_ending(line))
            if self._watcher is None:
                continue
            if leg is self.client:
                if self._watcher.client_line(line):
                    self._state = State.AWAITING_ANSWER
                    return self._cut(leg, data, end)
                continue
            verdict = self._watcher.server_line(line)
            if verdict is Verdict.REFUSED:
                self._state = State.RELAYING
                return self._cut(leg, data, end)
            if verdict is Verdict.ACCEPTED:
                rest = self._cut(leg, data, end)
                self._begin_upgrade()
                return rest
        self._forward(leg, data)
        return b""

    def _cut(self, leg: Leg, data: bytes, end: int) -> bytes:
        """Forward ``data`` up to ``end`` only; the rest goes back to the caller."""
        self._forward(leg, data[:end])
        self._lines[leg.side].clear()
        return data[end:]

    def _begin_upgrade(self) -> None:
        self._state = State.UPGRADING
        # Not one more byte is read in clear from either leg: the handshakes read them.
        self._pause(self.client)
        self._pause(self.server)
        self._watcher = None
        if self._held:
            self._discard(self.client, self._held)
            self._held = b""
        self._spawn(self._upgrade(), "STARTTLS")

    def _on_eof(self, leg: Leg) -> None:
        leg.ended = True
        self._flush(leg)
        server = self.server.transport
        if (
            leg is self.client
            and self._state is State.RELAYING
            and not leg.secured
            and server is not None
            and server.can_write_eof()
        ):
            server.write_eof()  # the server sees the client's half-close and may still answer
            return
        self._finish()

    def _on_lost(self, leg: Leg) -> None:
        leg.ended = True
        self._flush(leg)
        self._finish()

    def _forward(self, leg: Leg, data: bytes) -> None:
        """Send what ``leg`` received to the other side, unaltered."""
        self._write(self.server if leg is self.client else self.client, data)

    def _write(self, leg: Leg, data: bytes) -> None:
        transport = leg.transport
        if data and transport is not None and not transport.is_closing():
            transport.write(data)

    def _flush(self, leg: Leg) -> None:
        tail = self._lines[leg.side].flush()
        if tail is not None:
            self.settings.recorder.line(self.number, leg.side, strip_line_ending(tail))

    def _discard(self, leg: Leg, data: bytes) -> None:
        count = len(data)
        octets = "octet" if count == 1 else "octets"
        self._note(
            f"ignoré\u00a0: {count} {octets} en clair {_FROM[leg.side]} avant la négociation TLS"
        )

    def _note(self, text: str) -> None:
        self.settings.recorder.note(self.number, text)

    # -- reading, writing, closing ---------------------------------------------------------------

    def _pause(self, leg: Leg) -> None:
        transport = leg.transport
        if leg.reading and transport is not None and not transport.is_closing():
            transport.pause_reading()
        leg.reading = False

    def _sync_reading(self) -> None:
        """Read a leg unless its peer's buffer is full, it ended, or it awaits a TLS answer."""
        if self._state not in (State.RELAYING, State.AWAITING_ANSWER):
            return  # connecting or upgrading: the handshakes own the transports
        for leg, other in ((self.client, self.server), (self.server, self.client)):
            wanted = not (
                leg.ended
                or other.congested
                or (leg is self.client and self._state is State.AWAITING_ANSWER)
            )
            transport = leg.transport
            if transport is None or transport.is_closing() or wanted == leg.reading:
                continue
            if wanted:
                transport.resume_reading()
            else:
                transport.pause_reading()
            leg.reading = wanted

    def _finish(self, *, abort: bool = False) -> None:
        """Close both legs and record the end of the connection, once."""
        if self.closed:
            return
        self._state = State.CLOSED
        self._waiting.clear()
        self._held = b""
        self._flush(self.client)
        self._flush(self.server)
        self.settings.recorder.close(self.number)
        for leg in (self.client, self.server):
            transport = leg.transport
            if transport is not None and not transport.is_closing():
                if abort:
                    transport.abort()
                else:
                    transport.close()  # after sending what is still buffered
        current = asyncio.current_task()
        for task in self._tasks:
            if task is not current:
                task.cancel()
        self._on_closed(self)

    def _transport(self, leg: Leg) -> asyncio.Transport:
        assert leg.transport is not None, f"{leg.side} leg used before it was connected"
        return leg.transport

    def _spawn(self, coroutine: Coroutine[Any, Any, None], purpose: str) -> None:
        task = asyncio.get_running_loop().create_task(
            self._guarded(coroutine), name=self._task_name(purpose)
        )
        for tasks in (self._tasks, self._proxy_tasks):
            tasks.add(task)
            task.add_done_callback(tasks.discard)

    def _child(
        self, group: asyncio.TaskGroup, coroutine: Coroutine[Any, Any, None], purpose: str
    ) -> None:
        group.create_task(coroutine, name=self._task_name(purpose))

    def _task_name(self, purpose: str) -> str:
        return f"labo-proxy {self.settings.service.name} [{self.number}] {purpose}"

    async def _guarded(self, coroutine: Coroutine[Any, Any, None]) -> None:
        """Run one of the relay's tasks; an unexpected error closes the connection, logged."""
        try:
            await coroutine
        except asyncio.CancelledError:
            raise
        except Exception:
            _log.exception(
                "proxy %s, connexion %d : erreur inattendue",
                self.settings.service.name,
                self.number,
            )
            self._finish(abort=True)
