"""The three lab SMTP listeners, built on the lab's running event loop.

``aiosmtpd.controller.Controller`` runs its own loop in its own thread and fails on an already
running one, so each listener is a plain ``loop.create_server`` whose protocol factory builds
one ``LabSMTP`` session per connection.
"""

from __future__ import annotations

import asyncio
import logging

from labo.context import LabContext
from labo.identity import Service
from labo.smtp.auth import authenticate
from labo.smtp.handler import DeliveryHandler
from labo.smtp.mta import Mta
from labo.smtp.policy import policy_for
from labo.smtp.session import LabSMTP

#: Greeting ``220 mx.example.org ESMTP``: no software name or version (aiosmtpd's default
#: ident "Python SMTP 1.4.6" would change every approved transcript at each upgrade).
IDENT = "ESMTP"

#: Largest accepted message, announced as ``SIZE`` in EHLO (RFC 1870); beyond it, 552 5.3.4.
MAX_MESSAGE_SIZE = 10 * 1024 * 1024

#: Idle time before the server hangs up (RFC 5321 §4.5.3.2.7: at least five minutes).
IDLE_TIMEOUT = 300.0

#: Seconds a connection has to send its PROXY header (the recording proxy sends it at once).
PROXY_TIMEOUT = 10.0

LISTEN_HOST = "127.0.0.1"


class SMTPBackend:
    """A listening SMTP service and its live sessions (the ``labo.services.Backend`` contract)."""

    def __init__(self, server: asyncio.Server, sessions: set[LabSMTP]) -> None:
        self._server = server
        self._sessions = sessions

    @property
    def port(self) -> int:
        return int(self._server.sockets[0].getsockname()[1])

    @property
    def live_sessions(self) -> int:
        """How many SMTP connections are open right now."""
        return len(self._sessions)

    async def drop_connections(self) -> None:
        """Cut every live session and wait until none of them can still deliver anything."""
        tasks = [task for session in list(self._sessions) if (task := session.abort())]
        await asyncio.gather(*tasks, return_exceptions=True)

    async def close(self) -> None:
        self._server.close()
        await self.drop_connections()
        await self._server.wait_closed()


async def start(ctx: LabContext, service: Service) -> SMTPBackend:
    """Serve ``service`` ("smtp", "submission" or "submissions") on an ephemeral loopback port."""
    _quiet_aiosmtpd_log()
    policy = policy_for(service)
    loop = asyncio.get_running_loop()
    if ctx.mta is None:  # one MTA per provider, shared by its three SMTP services
        ctx.mta = Mta(ctx)
        ctx.shared.on_connection_closed.append(ctx.mta.kick)
    handler = DeliveryHandler(policy, ctx, ctx.mta)
    sessions: set[LabSMTP] = set()

    def new_session() -> LabSMTP:
        return LabSMTP(
            handler,
            policy=policy,
            sessions=sessions,
            loop=loop,
            hostname=ctx.hostname_for(service),
            ident=IDENT,
            tls_context=ctx.tls.server_context() if policy.offers_starttls else None,
            require_starttls=policy.requires_starttls,
            auth_required=policy.requires_auth,
            authenticator=authenticate,
            data_size_limit=MAX_MESSAGE_SIZE,
            enable_SMTPUTF8=True,
            timeout=IDLE_TIMEOUT,
            # The recording proxy says who the client is on the lab's Internet.
            proxy_protocol_timeout=PROXY_TIMEOUT,
        )

    server = await loop.create_server(
        new_session,
        host=LISTEN_HOST,
        port=0,
        ssl=ctx.tls.server_context() if policy.implicit_tls else None,
    )
    return SMTPBackend(server, sessions)


def _quiet_aiosmtpd_log() -> None:
    """Keep only errors from aiosmtpd's ``mail.log`` logger.

    It warns "Session.login_data is deprecated" on every successful AUTH (its own smtp_AUTH
    sets that attribute) and logs each command, unknown command and lost connection. In a
    build that runs hundreds of examples this is noise: the transcript already shows every
    exchange. Errors (an exception in a handler) still come through.
    """
    logging.getLogger("mail.log").setLevel(logging.ERROR)


__all__ = ["IDENT", "MAX_MESSAGE_SIZE", "SMTPBackend", "start"]
