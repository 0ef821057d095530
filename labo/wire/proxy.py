"""The recording proxy: stands in front of one lab server and records every connection to it.

Recording on the wire, not inside each server, works the same for every client (smtplib, curl,
Thunderbird) and every server (aiosmtpd, pymap, ours), and shows the dialogue inside TLS because
the proxy terminates TLS on both legs. ``start_proxy`` is what ``labo.services`` calls on the
lab's loop; each accepted client gets a ``Relay`` (``labo.wire.relay``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from labo.identity import Service
from labo.tls import ProviderTLS
from labo.wire.relay import Relay, RelaySettings
from labo.wire.transcript import Recorder


class _Refused(asyncio.Protocol):
    """Stands in for a relay when a client is accepted while the proxy is closing."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport.abort()


class RecordingProxy:
    """A listening proxy and its live connections."""

    def __init__(
        self, settings: RelaySettings, on_closed: Callable[[], None] | None = None
    ) -> None:
        self._settings = settings
        self._on_closed = on_closed
        self._server: asyncio.Server | None = None
        self._port = 0
        self._relays: dict[Relay, None] = {}  # live connections, in opening order
        self._tasks: set[asyncio.Task[None]] = set()  # every relay's tasks, until they end
        self._idle = asyncio.Event()
        self._idle.set()
        self._closing = False

    async def listen(self, host: str, port: int) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(self._accept, host, port)
        self._port = self._server.sockets[0].getsockname()[1]

    @property
    def port(self) -> int:
        """The port clients connect to (the one asked for, or the ephemeral one given)."""
        return self._port

    async def wait_idle(self, timeout: float) -> bool:
        """Wait (at most ``timeout`` s) until every connection has closed; True if they did."""
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            return False
        return True

    async def drop_connections(self) -> None:
        """Cut every live connection, recording its end, and wait until their tasks are over."""
        for relay in list(self._relays):
            relay.drop()
        if self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        """Stop listening, then drop the live connections."""
        self._closing = True
        if self._server is not None:
            self._server.close()
        await self.drop_connections()
        if self._server is not None:
            await self._server.wait_closed()

    def _accept(self) -> asyncio.Protocol:
        if self._closing:
            return _Refused()
        relay = Relay(self._settings, tasks=self._tasks, on_closed=self._forget)
        self._relays[relay] = None
        self._idle.clear()
        return relay.client

    def _forget(self, relay: Relay) -> None:
        self._relays.pop(relay, None)
        if not self._relays:
            self._idle.set()
        if self._on_closed is not None and not self._closing:
            self._on_closed()


async def start_proxy(
    service: Service,
    *,
    backend_port: int,
    hostname: str,
    server_address: str,
    tls: ProviderTLS,
    recorder: Recorder,
    host: str,
    port: int,
    proxy_protocol: bool,
    on_closed: Callable[[], None] | None = None,
) -> RecordingProxy:
    """Listen on (``host``, ``port``) and relay each client to 127.0.0.1:``backend_port``.

    ``port`` 0 asks for an ephemeral port (see ``RecordingProxy.port``). With ``proxy_protocol``,
    each backend connection starts with a PROXY v1 header (``labo.wire.proxy_header``) naming
    the client's and ``server_address`` (the server's address on the lab's Internet); the proxy
    checks the server's certificate for ``hostname``. ``on_closed`` is called each time a
    connection has closed, once its end is recorded.
    """
    settings = RelaySettings(
        service=service,
        backend_port=backend_port,
        hostname=hostname,
        server_address=server_address,
        recorder=recorder,
        server_context=tls.server_context(),
        client_context=tls.client_context(),
        proxy_protocol=proxy_protocol,
    )
    proxy = RecordingProxy(settings, on_closed)
    await proxy.listen(host, port)
    return proxy
