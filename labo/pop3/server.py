"""The POP3 listener: accepts connections on the lab loop and runs one session task for each.

It is the ``Backend`` the lab expects (``labo.services``). It keeps a strong reference to every
session task and its connection, because asyncio 3.11's ``Server.close()`` leaves live
connections running: dropping them is this class's job.
"""

from __future__ import annotations

import asyncio

from labo.context import LabContext
from labo.identity import Service
from labo.pop3.banner import banner_source
from labo.pop3.channel import LineChannel
from labo.pop3.session import Pop3Session

#: Backends listen on loopback only; clients reach them through the recording proxy.
LISTEN_HOST = "127.0.0.1"


class Pop3Server:
    """One POP3 service: STLS on a plain port (``starttls``) or TLS from byte one (``implicit``)."""

    def __init__(self, ctx: LabContext, service: Service, *, idle_timeout: float) -> None:
        self._ctx = ctx
        self._service = service
        self._idle_timeout = idle_timeout
        self._banners = banner_source(ctx.store, ctx.provider.host("pop").name)
        self._server: asyncio.Server | None = None
        self._sessions: dict[asyncio.Task[None], LineChannel] = {}

    async def listen(self) -> None:
        """Start accepting connections on an ephemeral loopback port."""
        implicit = self._service.tls == "implicit"
        self._server = await asyncio.get_running_loop().create_server(
            lambda: LineChannel(self._open_session, tls_active=implicit),
            LISTEN_HOST,
            0,
            ssl=self._ctx.tls.server_context() if implicit else None,
        )

    @property
    def port(self) -> int:
        assert self._server is not None, "the POP3 server is not listening"
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    async def drop_connections(self) -> None:
        """End every session at once, without UPDATE: nothing is removed, every lock is released."""
        sessions = list(self._sessions.items())
        for task, channel in sessions:
            task.cancel()
            channel.abort()
        await asyncio.gather(*(task for task, _ in sessions), return_exceptions=True)

    async def close(self) -> None:
        """Stop listening, then drop the live sessions."""
        if self._server is not None:
            self._server.close()
        await self.drop_connections()
        if self._server is not None:
            await self._server.wait_closed()

    def _open_session(self, channel: LineChannel) -> None:
        session = Pop3Session(
            self._ctx,
            self._service,
            channel,
            banner=self._banners.next_banner(),
            idle_timeout=self._idle_timeout,
        )
        task = asyncio.get_running_loop().create_task(
            session.run(), name=f"pop3-session-{self._service.name}"
        )
        self._sessions[task] = channel
        task.add_done_callback(self._forget)

    def _forget(self, task: asyncio.Task[None]) -> None:
        self._sessions.pop(task, None)
