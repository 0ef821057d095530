"""Glue between a service description and the code that serves it.

Each protocol package exposes ``async def start(ctx, service) -> Backend``: one provider's server
(``ctx`` is that provider's context) listening on an ephemeral loopback port, plain for
``starttls`` services and TLS from the first byte for ``implicit`` ones. The recording proxy
then stands in front of it.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Protocol

from labo.context import LabContext
from labo.identity import Service
from labo.wire.transcript import Recorder

#: The servers that read the client's address from a PROXY header (POP3 never shows it).
PROXY_PROTOCOL_SERVERS = frozenset({"smtp", "imap"})


class Backend(Protocol):
    """A running server: where it listens, and how to drop or stop it."""

    @property
    def port(self) -> int: ...

    async def drop_connections(self) -> None: ...

    async def close(self) -> None: ...


@dataclass
class RunningService:
    """A backend and the recording proxy in front of it."""

    backend: Backend
    proxy: Backend

    @property
    def port(self) -> int:
        return self.proxy.port

    async def drop_connections(self) -> None:
        await self.proxy.drop_connections()
        await self.backend.drop_connections()

    async def close(self) -> None:
        await self.proxy.close()
        await self.backend.close()


async def start_service(
    ctx: LabContext, service: Service, recorder: Recorder, host: str, port: int
) -> RunningService:
    from labo.wire.proxy import start_proxy

    package = importlib.import_module(f"labo.{service.protocol}")
    backend: Backend = await package.start(ctx, service)
    try:
        proxy = await start_proxy(
            service,
            backend_port=backend.port,
            hostname=ctx.hostname_for(service),
            server_address=ctx.provider.host(service.host_role).address,
            tls=ctx.tls,
            recorder=recorder,
            host=host,
            port=port,
            # The PROXY protocol header tells the server its client's address on the lab's
            # Internet: the MX writes it in Received: and checks SPF against it; pymap would
            # trust a 127.0.0.1 peer as "secure" (no LOGINDISABLED before STARTTLS).
            proxy_protocol=service.protocol in PROXY_PROTOCOL_SERVERS,
            on_closed=ctx.shared.connection_closed,
        )
    except BaseException:
        await backend.close()  # e.g. the proxy's port is taken: the lab never knew this backend
        raise
    return RunningService(backend, proxy)
