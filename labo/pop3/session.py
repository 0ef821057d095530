"""One POP3 conversation: the RFC 1939 state machine, one small method per command.

Shaped like aiosmtpd's SMTP class: a ``pop_<KEYWORD>`` method per command, and the states in
which each command is valid kept in one table, checked in one place (``_execute``). A command
that fails raises ``Refusal`` and the session answers ``-ERR`` and goes on.

The UPDATE state exists only inside QUIT: a session that ends any other way (the client leaves,
the idle timer fires, the lab drops it) removes nothing and releases its maildrop lock (§6).
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import re
import ssl
from collections.abc import Awaitable, Callable

from labo.context import LabContext
from labo.identity import Service, User
from labo.pop3.channel import LineChannel, LineTooLong
from labo.pop3.credentials import (
    MECHANISMS,
    check_apop,
    check_password,
    check_sasl_plain,
    decode_sasl_response,
)
from labo.pop3.framing import CRLF, dot_stuff, head_and_body_lines, text_lines
from labo.pop3.maildrop import Maildrop, MaildropEntry

log = logging.getLogger(__name__)

#: RFC 1939 §3: an idle session is ended after at least 10 minutes, without entering UPDATE.
IDLE_TIMEOUT = 600.0

#: RFC 2449 §4: a command line is at most 255 octets, CRLF included.
COMMAND_LINE_LIMIT = 255

#: A client response inside AUTH is base64 and may outgrow a command line (RFC 5034 §4).
SASL_LINE_LIMIT = 4096

PLAINTEXT_DISALLOWED = (
    "[AUTH] Plaintext authentication disallowed on non-secure (SSL/TLS) connections."
)

#: Message numbers and TOP line counts: ASCII digits only (``int`` would take "+1", "１", "1_0").
_DECIMAL = re.compile(r"[0-9]{1,10}")


class State(enum.Enum):
    AUTHORIZATION = "AUTHORIZATION"
    TRANSACTION = "TRANSACTION"


_AUTHORIZATION = frozenset({State.AUTHORIZATION})
_TRANSACTION = frozenset({State.TRANSACTION})
_ANY_STATE = frozenset(State)

#: Every command the server knows and the states that accept it.
COMMANDS: dict[str, frozenset[State]] = {
    "CAPA": _ANY_STATE,  # RFC 2449
    "QUIT": _ANY_STATE,
    "USER": _AUTHORIZATION,
    "PASS": _AUTHORIZATION,
    "APOP": _AUTHORIZATION,
    "AUTH": _AUTHORIZATION,  # RFC 5034
    "STLS": _AUTHORIZATION,  # RFC 2595
    "STAT": _TRANSACTION,
    "LIST": _TRANSACTION,
    "RETR": _TRANSACTION,
    "DELE": _TRANSACTION,
    "NOOP": _TRANSACTION,
    "RSET": _TRANSACTION,
    "TOP": _TRANSACTION,
    "UIDL": _TRANSACTION,
}


class Refusal(Exception):
    """A command fails; its text follows ``-ERR`` (with an RFC 2449 response code if any)."""


class Pop3Session:
    """Serves one connection from greeting to goodbye; ``run`` never lets an exception out."""

    def __init__(
        self,
        ctx: LabContext,
        service: Service,
        channel: LineChannel,
        *,
        banner: str,
        idle_timeout: float,
    ) -> None:
        self._ctx = ctx
        self._service = service
        self._channel = channel
        self._banner = banner
        self._idle_timeout = idle_timeout
        self._state = State.AUTHORIZATION
        self._login: str | None = None  # given by USER, waiting for PASS
        self._user: User | None = None  # whose maildrop lock this session holds
        self._maildrop: Maildrop | None = None
        self._finished = False

    # -- the conversation ----------------------------------------------------------------------

    async def run(self) -> None:
        """Greet, then serve commands until QUIT, departure, inactivity or cancellation."""
        try:
            await self._ok(f"{self._ctx.provider.host('pop').name} POP3 ready {self._banner}")
            while not self._finished:
                async with asyncio.timeout(self._idle_timeout):
                    await self._serve_next_command()
        except TimeoutError:
            self._say_idle_goodbye()
        except (ConnectionError, ssl.SSLError) as error:
            log.debug("POP3 client gone: %r", error)
        except asyncio.CancelledError:
            self._channel.abort()
            raise
        except Exception:
            log.exception("POP3 session failed")
        finally:
            self._release_maildrop()
            self._channel.close()

    async def _serve_next_command(self) -> None:
        try:
            line = await self._channel.readline(COMMAND_LINE_LIMIT)
        except LineTooLong:
            # Past the limit the client is not speaking POP3 (or is hostile): refuse and hang
            # up, without entering UPDATE, rather than resynchronise on whatever comes next.
            await self._err("Command line too long.")
            self._finished = True
            return
        if line is None:
            self._finished = True
            return
        try:
            await self._execute(line)
        except Refusal as refusal:
            await self._err(str(refusal))

    async def _execute(self, line: bytes) -> None:
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            raise Refusal("Invalid characters in command.") from None
        keyword, _, argument = text.partition(" ")
        keyword = keyword.upper()
        states = COMMANDS.get(keyword)
        if states is None:
            raise Refusal("Unknown command.")
        if self._state not in states:
            raise Refusal("Command not valid in this state.")
        handler: Callable[[str], Awaitable[None]] = getattr(self, f"pop_{keyword}")
        await handler(argument)

    def _say_idle_goodbye(self) -> None:
        with contextlib.suppress(ConnectionError):
            self._channel.write(b"-ERR Disconnected for inactivity." + CRLF)

    # -- commands valid in any state -----------------------------------------------------------

    async def pop_CAPA(self, argument: str) -> None:
        _expect_no_argument(argument, "CAPA")
        await self._ok_multiline("Capability list follows", text_lines(self._capabilities()))

    async def pop_QUIT(self, argument: str) -> None:
        _expect_no_argument(argument, "QUIT")
        self._finished = True
        if self._state is State.AUTHORIZATION:
            await self._ok("Logging out.")
            return
        outcome = self._require_maildrop().commit()  # the UPDATE state
        self._release_maildrop()
        if outcome.failed:
            raise Refusal("[SYS/TEMP] Some deleted messages were not removed.")
        await self._ok("Logging out, messages deleted." if outcome.removed else "Logging out.")

    # -- AUTHORIZATION state -------------------------------------------------------------------

    async def pop_USER(self, argument: str) -> None:
        self._require_login_allowed()
        words = argument.split()
        if len(words) != 1:
            raise Refusal("Syntax: USER name")
        self._login = words[0]
        await self._ok()  # the same answer for every name: no hint of which logins exist

    async def pop_PASS(self, argument: str) -> None:
        self._require_login_allowed()
        if not argument:
            raise Refusal("Syntax: PASS password")
        login, self._login = self._login, None
        if login is None:
            raise Refusal("No username given.")
        # The whole rest of the line is the password: it may contain spaces (RFC 1939 §7).
        await self._log_in(check_password(login, argument))

    async def pop_APOP(self, argument: str) -> None:
        self._require_login_allowed()
        words = argument.split()
        if len(words) != 2:
            raise Refusal("Syntax: APOP name digest")
        self._login = None
        await self._log_in(check_apop(words[0], self._banner, words[1]))

    async def pop_AUTH(self, argument: str) -> None:
        self._require_login_allowed()
        words = argument.split()
        if not words:  # the pre-RFC 5034 way to list mechanisms, still used by some clients
            await self._ok_multiline("Supported mechanisms follow", text_lines(list(MECHANISMS)))
            return
        if len(words) > 2:
            raise Refusal("Syntax: AUTH mechanism [initial-response]")
        if words[0].upper() not in MECHANISMS:
            raise Refusal("Unsupported authentication mechanism.")
        self._login = None
        response = words[1] if len(words) == 2 else await self._sasl_response()
        decoded = decode_sasl_response(response)
        if decoded is None:
            raise Refusal("Invalid base64 data in response.")
        await self._log_in(check_sasl_plain(decoded))

    async def pop_STLS(self, argument: str) -> None:
        _expect_no_argument(argument, "STLS")
        if self._channel.tls_active:
            raise Refusal("TLS is already active.")
        if self._service.tls != "starttls":
            raise Refusal("TLS is not available on this service.")
        await self._ok("Begin TLS negotiation now.")
        self._login = None  # RFC 2595 §4: forget what the client said before TLS
        await self._channel.start_tls(self._ctx.tls.server_context())

    # -- TRANSACTION state ---------------------------------------------------------------------

    async def pop_STAT(self, argument: str) -> None:
        _expect_no_argument(argument, "STAT")
        count, size = self._require_maildrop().stat()
        await self._ok(f"{count} {size}")

    async def pop_LIST(self, argument: str) -> None:
        words = argument.split()
        if len(words) > 1:
            raise Refusal("Syntax: LIST [msg]")
        if words:
            entry = self._message(words[0])
            await self._ok(f"{entry.number} {entry.size}")
            return
        maildrop = self._require_maildrop()
        count, size = maildrop.stat()
        listing = [f"{entry.number} {entry.size}" for entry in maildrop.present()]
        await self._ok_multiline(f"{count} messages ({size} octets)", text_lines(listing))

    async def pop_RETR(self, argument: str) -> None:
        words = argument.split()
        if len(words) != 1:
            raise Refusal("Syntax: RETR msg")
        content = self._content(self._message(words[0]))
        await self._ok_multiline(f"{len(content)} octets", content)

    async def pop_TOP(self, argument: str) -> None:
        words = argument.split()
        if len(words) != 2 or not _DECIMAL.fullmatch(words[1]):
            raise Refusal("Syntax: TOP msg n")
        content = self._content(self._message(words[0]))
        await self._ok_multiline("", head_and_body_lines(content, int(words[1])))

    async def pop_DELE(self, argument: str) -> None:
        words = argument.split()
        if len(words) != 1:
            raise Refusal("Syntax: DELE msg")
        self._message(words[0]).deleted = True  # only marked: files go at QUIT (UPDATE state)
        await self._ok("Marked to be deleted.")

    async def pop_NOOP(self, argument: str) -> None:
        _expect_no_argument(argument, "NOOP")
        await self._ok()

    async def pop_RSET(self, argument: str) -> None:
        _expect_no_argument(argument, "RSET")
        maildrop = self._require_maildrop()
        maildrop.undelete_all()
        count, size = maildrop.stat()
        await self._ok(f"maildrop has {count} messages ({size} octets)")

    async def pop_UIDL(self, argument: str) -> None:
        words = argument.split()
        if len(words) > 1:
            raise Refusal("Syntax: UIDL [msg]")
        if words:
            entry = self._message(words[0])
            await self._ok(f"{entry.number} {entry.key}")
            return
        present = self._require_maildrop().present()
        await self._ok_multiline("", text_lines([f"{e.number} {e.key}" for e in present]))

    # -- helpers -------------------------------------------------------------------------------

    def _capabilities(self) -> list[str]:
        """RFC 2449 §6: only what the client may use now, in this state, on this connection."""
        capabilities = ["TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING"]
        if self._state is State.AUTHORIZATION and self._login_allowed():
            capabilities += ["USER", "SASL " + " ".join(MECHANISMS)]
        if self._stls_available():
            capabilities.append("STLS")
        capabilities += ["EXPIRE NEVER", "IMPLEMENTATION labo"]
        return capabilities

    def _login_allowed(self) -> bool:
        """Like Dovecot's ``disable_plaintext_auth``: no password before TLS, unless legacy."""
        return self._channel.tls_active or self._ctx.options.pop3_plaintext_passwords

    def _require_login_allowed(self) -> None:
        if not self._login_allowed():
            raise Refusal(PLAINTEXT_DISALLOWED)

    def _stls_available(self) -> bool:
        return (
            self._service.tls == "starttls"
            and not self._channel.tls_active
            and self._state is State.AUTHORIZATION
        )

    async def _sasl_response(self) -> str:
        """Send the empty challenge and read the client's answer (RFC 5034 §4)."""
        await self._send(b"+ " + CRLF)
        try:
            line = await self._channel.readline(SASL_LINE_LIMIT)
        except LineTooLong:
            raise Refusal("Authentication response too long.") from None
        if line is None:
            raise ConnectionResetError("POP3 client left during AUTH")
        if line == b"*":
            raise Refusal("Authentication aborted.")
        try:
            return line.decode("ascii")
        except UnicodeDecodeError:
            raise Refusal("Invalid base64 data in response.") from None

    async def _log_in(self, user: User | None) -> None:
        """Enter TRANSACTION as ``user`` (None: the credentials were wrong), lock and snapshot."""
        if user is None:
            raise Refusal("[AUTH] Authentication failed.")
        if not self._ctx.store.try_lock(user):
            raise Refusal("[IN-USE] Mailbox is locked by another POP3 session.")
        self._user = user
        try:
            self._maildrop = Maildrop.open(self._ctx.store, user)
        except OSError:
            log.exception("POP3 could not open the maildrop of %s", user.login)
            self._release_maildrop()
            raise Refusal("[SYS/TEMP] Unable to open the mailbox.") from None
        self._state = State.TRANSACTION
        await self._ok("Logged in.")

    def _release_maildrop(self) -> None:
        if self._user is not None:
            self._ctx.store.unlock(self._user)
            self._user = None

    def _require_maildrop(self) -> Maildrop:
        assert self._maildrop is not None, "TRANSACTION state without a maildrop"
        return self._maildrop

    def _message(self, argument: str) -> MaildropEntry:
        """The message a command names; deleted or unknown ones are refused (RFC 1939 §5)."""
        if not _DECIMAL.fullmatch(argument):
            raise Refusal("Invalid message number.")
        entry = self._require_maildrop().entry(int(argument))
        if entry is None:
            raise Refusal("No such message.")
        if entry.deleted:
            raise Refusal("Message is deleted.")
        return entry

    def _content(self, entry: MaildropEntry) -> bytes:
        try:
            content = self._require_maildrop().read(entry)
        except OSError:
            log.exception("POP3 could not read message %s", entry.key)
            raise Refusal("[SYS/TEMP] Unable to read the message.") from None
        if content is None:
            raise Refusal("Message no longer exists.")
        return content

    async def _ok(self, text: str = "") -> None:
        await self._send(_status("+OK", text))

    async def _err(self, text: str) -> None:
        await self._send(_status("-ERR", text))

    async def _ok_multiline(self, text: str, payload: bytes) -> None:
        await self._send(_status("+OK", text) + dot_stuff(payload))

    async def _send(self, data: bytes) -> None:
        self._channel.write(data)
        await self._channel.drain()


def _status(indicator: str, text: str) -> bytes:
    return (f"{indicator} {text}" if text else indicator).encode("utf-8") + CRLF


def _expect_no_argument(argument: str, keyword: str) -> None:
    if argument.strip():
        raise Refusal(f"Syntax: {keyword}")
