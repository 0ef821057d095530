"""One SMTP connection: aiosmtpd's ``SMTP`` protocol, adjusted where it falls short for the lab."""

from __future__ import annotations

import asyncio
import binascii
import contextlib
import logging
from asyncio import sslproto
from base64 import b64decode, b64encode
from typing import Any, AnyStr

from aiosmtpd.proxy_protocol import get_proxy
from aiosmtpd.smtp import ALLOWED_BEFORE_STARTTLS, MISSING, SMTP, TLSSetupException, _Missing

from labo.smtp import replies
from labo.smtp.lines import EndlessLine, read_line
from labo.smtp.policy import Policy

log = logging.getLogger(__name__)

#: RFC 5321 §4.5.3.1.4: a command line is at most 512 octets, CRLF included.
COMMAND_LINE_LIMIT = 512
#: Octets an extension adds to the MAIL line: SIZE (RFC 1870 §3), SMTPUTF8 (RFC 6531 §3.4).
SIZE_ALLOWANCE = 26
SMTPUTF8_ALLOWANCE = 10
#: RFC 5321 §4.5.3.1.6: a text line of DATA is at most 1000 octets, CRLF included (plus the dot
#: that transparency may add, RFC 5321 §4.5.2).
TEXT_LINE_LIMIT = 1000
#: A command line still without its end after this many octets is not a command: hang up.
ENDLESS_COMMAND_LINE = 64 * 1024
#: Unrecognized commands tolerated before hanging up (aiosmtpd's own budget).
UNRECOGNIZED_LIMIT = 5
#: Commands aiosmtpd answers that Postfix does not offer here, and that EHLO does not list.
_WITHDRAWN_COMMANDS = ("HELP", "VRFY", "EXPN")
#: The order Postfix lists SASL mechanisms in.
_AUTH_ORDER = ("PLAIN", "LOGIN")


class LabSMTP(SMTP):
    """aiosmtpd's session, with what the lab needs and aiosmtpd 1.4.6 lacks.

    * Its own command loop (``_handle_client``) and DATA reader: every line is bounded (RFC 5321
      §4.5.3.1) with bounded memory, an endless command line ends the connection, pipelined
      commands (RFC 2920) are answered in order, and whatever goes wrong ends in a protocol
      reply or a clean close, never in a traceback.
    * EHLO lists, in Postfix's order, only what the session implements: PIPELINING, SIZE,
      STARTTLS, AUTH, ENHANCEDSTATUSCODES, 8BITMIME, SMTPUTF8. HELP, VRFY and EXPN are gone.
    * Every reply is worded as Postfix words it, with its enhanced status code
      (``labo.smtp.replies``).
    * STARTTLS inside TLS is refused (``554 5.5.1``) instead of wrapping TLS in TLS.
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

    Live sessions register in ``sessions`` so the backend can drop them all.
    """

    def __init__(
        self, handler: Any, *, policy: Policy, sessions: set[LabSMTP], **kwargs: Any
    ) -> None:
        super().__init__(handler, **kwargs)
        self._policy = policy
        self._sessions = sessions
        self._unrecognized = 0
        self._hanging_up = False
        for name in _WITHDRAWN_COMMANDS:
            del self._smtp_methods[name]

    # -- connection -------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        upgrading = self._original_transport is not None  # second call, after STARTTLS
        # aiosmtpd starts a new session after STARTTLS (RFC 3207 §4.2): the client is still
        # the one the PROXY header named.
        previous = self.session if upgrading else None
        super().connection_made(transport)
        if previous is not None:
            assert self.session is not None
            self.session.proxy_data = previous.proxy_data
            self.session.lab_client_name = getattr(previous, "lab_client_name", "unknown")
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

    def _hang_up(self) -> None:
        self._hanging_up = True
        if self.transport is not None:
            self.transport.close()

    async def _last_words(self, status: str) -> None:
        """Say ``status`` if the client still listens, then hang up."""
        with contextlib.suppress(ConnectionError):
            await self.push(status)
        self._hang_up()

    async def push(self, status: AnyStr) -> None:
        """Postfix's wording, in UTF-8: an address echoed back may be one (RFC 6531)."""
        if isinstance(status, str):
            await super().push(replies.reword(status).encode("utf-8"))
        else:
            await super().push(status)

    # -- the command loop -------------------------------------------------------------------

    async def _handle_client(self) -> None:
        """aiosmtpd's loop, redone: bounded lines, Postfix's replies, clean ends only."""
        if self._proxy_timeout is not None and not await self._read_proxy_header():
            return
        await self.push(f"220 {self.hostname} {self.__ident__}")
        try:
            while self.transport is not None and not self._hanging_up:
                await self._serve_next_command()
        except asyncio.CancelledError:
            self._writer.close()
            raise
        except (ConnectionError, asyncio.IncompleteReadError):
            self._hang_up()
        except EndlessLine:
            await self._last_words(replies.LINE_TOO_LONG)
        except TLSSetupException as error:
            log.info("STARTTLS : négociation TLS échouée (%s)", error.__cause__)
            self._drop_failed_tls(error)
        except Exception as error:  # a bug here must not leave a client hanging
            log.error("session SMTP interrompue : %s: %s", type(error).__name__, error)
            await self._last_words(replies.internal_error(self.hostname))

    async def _read_proxy_header(self) -> bool:
        """The PROXY header (aiosmtpd's own step, kept): who the client is; False closes."""
        assert self.session is not None and self.transport is not None
        self._reset_timeout(self._proxy_timeout)
        try:
            self.session.proxy_data = await get_proxy(self._reader)
        except (ConnectionError, asyncio.IncompleteReadError):
            self._hang_up()
            return False
        accepted = bool(self.session.proxy_data) and await self._call_handler_hook(
            "PROXY", self.session.proxy_data
        )
        if accepted is MISSING or not accepted:
            self.transport.close()
            return False
        self._reset_timeout()
        return True

    async def _serve_next_command(self) -> None:
        raw = await read_line(self._reader, b"\n", give_up_after=ENDLESS_COMMAND_LINE)
        if raw is None:
            await self.push(replies.LINE_TOO_LONG)
            return
        line = raw.rstrip(b"\r\n")
        name, _, arg_bytes = line.partition(b" ")
        if not name or not name.isascii():
            await self.push(replies.BAD_SYNTAX)
            return
        command = name.upper().decode("ascii")
        if len(raw) > self._line_limit(command):
            await self.push(replies.LINE_TOO_LONG)
            return
        try:
            arg = arg_bytes.strip().decode("utf-8") or None
        except UnicodeDecodeError:
            await self.push(replies.BAD_UTF8)  # RFC 6531 §3.3: UTF-8, or nothing
            return
        method = self._smtp_methods.get(command)
        if method is None:
            await self._unrecognized_command()
        elif not self._tls_handshake_okay and command != "QUIT":
            await self.push(replies.INSECURE)
        elif (
            self.require_starttls
            and not self._tls_protocol
            and command not in ALLOWED_BEFORE_STARTTLS
        ):
            await self.push(replies.MUST_STARTTLS)  # RFC 3207 §4
        else:
            self._reset_timeout()
            await method(arg)

    def _line_limit(self, command: str) -> int:
        assert self.session is not None
        if command != "MAIL" or not self.session.extended_smtp:
            return COMMAND_LINE_LIMIT
        size = SIZE_ALLOWANCE if self.data_size_limit else 0
        return COMMAND_LINE_LIMIT + size + (SMTPUTF8_ALLOWANCE if self.enable_SMTPUTF8 else 0)

    async def _unrecognized_command(self) -> None:
        self._unrecognized += 1
        if self._unrecognized < UNRECOGNIZED_LIMIT:
            await self.push(replies.NOT_RECOGNIZED)
        else:
            await self._last_words(replies.too_many_errors(self.hostname))

    def _drop_failed_tls(self, error: Exception) -> None:
        """aiosmtpd's way out of a failed handshake: the TLS layer never reports the loss."""
        self._hanging_up = True
        for transport in (self.transport, self._original_transport):
            if transport is not None:
                transport.close()
        self.connection_lost(error)

    # -- commands ---------------------------------------------------------------------------

    async def smtp_EHLO(self, hostname: str) -> None:
        if not hostname:
            await self.push(replies.EHLO_SYNTAX)
            return
        self._set_rset_state()
        assert self.session is not None
        self.session.extended_smtp = True
        keywords = [self.hostname, *self._extensions()]
        response = [f"250-{keyword}" for keyword in keywords[:-1]] + [f"250 {keywords[-1]}"]
        status = await self._call_handler_hook("EHLO", hostname, response)
        if status is MISSING:
            self.session.host_name = hostname
        else:
            response = status
        for reply in response:
            await self.push(reply)

    def _extensions(self) -> list[str]:
        """What this session implements, in Postfix 3.7's order."""
        extensions = ["PIPELINING"]
        if self.data_size_limit:
            extensions.append(f"SIZE {self.data_size_limit}")
        if self.tls_context and not self._tls_protocol:
            extensions.append("STARTTLS")
        if self._policy.offers_auth and (self._tls_protocol or not self._auth_require_tls):
            extensions.append("AUTH " + " ".join(sorted(self._auth_methods, key=_auth_rank)))
        extensions += ["ENHANCEDSTATUSCODES", "8BITMIME"]
        if self.enable_SMTPUTF8:
            extensions.append("SMTPUTF8")
        return extensions

    async def smtp_STARTTLS(self, arg: str) -> None:
        if arg:
            await self.push(replies.STARTTLS_SYNTAX)
        elif self._tls_protocol is not None:  # after STARTTLS, or on 465 (implicit TLS)
            await self.push(replies.TLS_ALREADY_ACTIVE)
        else:
            await super().smtp_STARTTLS(arg)

    async def smtp_AUTH(self, arg: str) -> None:
        if not self._policy.offers_auth:
            await self.push(replies.AUTH_NOT_ENABLED)
            return
        await super().smtp_AUTH(arg)

    async def challenge_auth(
        self,
        challenge: str | bytes,
        encode_to_b64: bool = True,
        log_client_response: bool = False,
    ) -> bytes | _Missing:
        """aiosmtpd's, reading the client's answer as a bounded line: its ``readline`` raises
        ``ValueError`` on an answer longer than the reader's limit and leaves the rest of it to
        be read as commands."""
        if isinstance(challenge, str):
            challenge = challenge.encode("utf-8")
        await self.push(b"334 " + (b64encode(challenge) if encode_to_b64 else challenge))
        line = await read_line(self._reader, b"\n", give_up_after=ENDLESS_COMMAND_LINE)
        if line is None:
            await self.push(replies.AUTH_LINE_TOO_LONG)
            return MISSING
        if (answer := line.strip()) == b"*":  # RFC 4954 §4: the client cancels
            await self.push(replies.AUTH_ABORTED)
            return MISSING
        try:
            return b64decode(answer, validate=True)
        except binascii.Error:
            await self.push(replies.NOT_BASE64)
            return MISSING

    async def smtp_MAIL(self, arg: str | None) -> None:
        if arg and not arg.isascii() and self._may_start_mail() and not _declares_smtputf8(arg):
            await self.push(replies.UNDECLARED_UTF8)
            return
        await super().smtp_MAIL(arg)

    def _may_start_mail(self) -> bool:
        """MAIL gets past aiosmtpd's HELO and AUTH checks (which answer it otherwise)."""
        assert self.session is not None
        authenticated = bool(self.session.authenticated) or not self._auth_required
        return bool(self.session.host_name) and authenticated

    async def smtp_RCPT(self, arg: str | None) -> None:
        assert self.envelope is not None
        envelope = self.envelope
        if arg and not arg.isascii() and envelope.mail_from and not envelope.smtp_utf8:
            await self.push(replies.UNDECLARED_UTF8)
            return
        await super().smtp_RCPT(arg)

    async def smtp_DATA(self, arg: str) -> None:
        if await self.check_helo_needed() or await self.check_auth_needed("DATA"):
            return
        assert self.envelope is not None
        if not self.envelope.rcpt_tos:
            await self.push(replies.NEED_RCPT)
            return
        if arg:
            await self.push(replies.DATA_SYNTAX)
            return
        await self.push(replies.START_MAIL_INPUT)
        refusal, content = await self._read_message()
        if refusal is None:
            self.envelope.content = self.envelope.original_content = content
            status = await self._call_handler_hook("DATA")
        else:
            status = refusal
        self._set_post_data_state()
        await self.push(replies.OK if status is MISSING else status)

    async def _read_message(self) -> tuple[str | None, bytes]:
        """The message up to its lone dot, unstuffed (RFC 5321 §4.5.2), or why it is refused.

        A refused message is still read to its end, the reply coming after it (RFC 5321
        §4.2.5), but nothing more of it is kept.
        """
        limit = self.data_size_limit
        lines: list[bytes] = []
        size = 0
        refusal: str | None = None
        while (line := await read_line(self._reader, b"\r\n")) != b".\r\n":
            stuffed = line is not None and line.startswith(b".")
            if line is None or len(line) > TEXT_LINE_LIMIT + stuffed:
                refusal = refusal or replies.LINE_TOO_LONG
            elif limit and (size := size + len(line) - stuffed) > limit:
                refusal = refusal or replies.TOO_MUCH_DATA
            if refusal is not None:
                lines.clear()
            elif line is not None:
                lines.append(line[1:] if stuffed else line)
        return refusal, b"".join(lines)


def _auth_rank(mechanism: str) -> tuple[int, str]:
    known = mechanism in _AUTH_ORDER
    return (_AUTH_ORDER.index(mechanism) if known else len(_AUTH_ORDER), mechanism)


def _declares_smtputf8(arg: str) -> bool:
    """``FROM:<josé@example.net> SMTPUTF8``: the parameter comes after the address."""
    return "SMTPUTF8" in (word.upper() for word in arg.split()[1:])
