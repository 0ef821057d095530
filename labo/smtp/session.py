"""One SMTP connection: aiosmtpd's ``SMTP`` protocol, adjusted where it falls short for the lab."""

from __future__ import annotations

import asyncio
import collections
from asyncio import sslproto
from typing import Any, AnyStr

from aiosmtpd.smtp import SMTP, syntax

from labo.smtp.policy import Policy

#: aiosmtpd replies without an RFC 3463 enhanced status code, reworded as Postfix words them so
#: that every refusal in a transcript carries one, like the handler's own replies.
_ENHANCED_REPLIES = {
    "552 Error: message size exceeds fixed maximum message size": (
        "552 5.3.4 Message size exceeds fixed limit"
    ),
    "552 Error: Too much mail data": "552 5.3.4 Message size exceeds fixed limit",
    "530 Must issue a STARTTLS command first": "530 5.7.0 Must issue a STARTTLS command first",
}


class LabSMTP(SMTP):
    """aiosmtpd's session, with what the lab needs and aiosmtpd 1.4.6 lacks.

    * Implicit TLS (port 465, RFC 8314): aiosmtpd counts as encrypted only a session that ran
      its own STARTTLS (``_tls_protocol``). On a listener created with ``ssl=``, it therefore
      hides AUTH from EHLO and answers AUTH with 538, although every byte is already
      encrypted (upstream issues #274 and #281, fix unreleased in 1.4.6). When the transport is
      TLS from the start, this class records its SSL protocol where aiosmtpd looks, and fills
      ``session.ssl`` as STARTTLS would, so the Received header reports it too.
      ``auth_require_tls=False`` would also show AUTH, but on every listener and with a warning
      for each connection; this keeps "no AUTH in clear" enforced by aiosmtpd itself.
    * AUTH exists only where the policy offers it: an MX answers it as Postfix does without
      SASL, ``503 5.5.1 Error: authentication not enabled``, even before STARTTLS.
    * A few of aiosmtpd's own replies get the enhanced status code they lack (``push``).
    * ``command_size_limits`` is a class attribute in aiosmtpd, cleared by every new session
      and raised by every EHLO: one session's EHLO would change another's MAIL line limit.
      Each session gets its own.

    Live sessions register in ``sessions`` so the backend can drop them all.
    """

    def __init__(
        self, handler: Any, *, policy: Policy, sessions: set[LabSMTP], **kwargs: Any
    ) -> None:
        self.command_size_limits = collections.defaultdict(lambda: SMTP.command_size_limit)
        super().__init__(handler, **kwargs)
        self._policy = policy
        self._sessions = sessions

    @property
    def offers_auth(self) -> bool:
        """Read by HELP (``@syntax(when=...)``) to list AUTH only where it exists."""
        return self._policy.offers_auth

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        upgrading = self._original_transport is not None  # second call, after STARTTLS
        # aiosmtpd starts a new session after STARTTLS (RFC 3207 §4.2): the client is still
        # the one the PROXY header named.
        proxy_data = self.session.proxy_data if upgrading and self.session else None
        super().connection_made(transport)
        if proxy_data is not None:
            assert self.session is not None
            self.session.proxy_data = proxy_data
        self._sessions.add(self)
        if not upgrading and isinstance(transport, sslproto._SSLProtocolTransport):
            self._adopt_implicit_tls(transport)

    def _adopt_implicit_tls(self, transport: sslproto._SSLProtocolTransport) -> None:
        assert self.session is not None
        self._tls_protocol = transport._ssl_protocol
        self.session.ssl = {
            name: transport.get_extra_info(name)
            for name in ("ssl_object", "peercert", "cipher", "compression")
        }

    def connection_lost(self, error: Exception | None) -> None:
        self._sessions.discard(self)
        super().connection_lost(error)

    def abort(self) -> asyncio.Task[None] | None:
        """Cut the connection at once (lab reset or stop); returns the task to wait for."""
        transport = self._original_transport or self.transport
        if transport is not None:
            transport.abort()
        task = self._handler_coroutine
        if task is not None:
            task.cancel()
        return task

    async def push(self, status: AnyStr) -> None:
        if isinstance(status, str):
            await super().push(_ENHANCED_REPLIES.get(status, status))
        else:
            await super().push(status)

    @syntax("AUTH <mechanism>", when="offers_auth")
    async def smtp_AUTH(self, arg: str) -> None:
        if not self._policy.offers_auth:
            await self.push("503 5.5.1 Error: authentication not enabled")
            return
        await super().smtp_AUTH(arg)
