"""One IMAP connection: pymap's, plus the limits it lacks and the lab proxy's PROXY header.

pymap answers a line longer than asyncio's stream limit with ``BYE [SERVERBUG]``, reads a
literal of any announced size into memory before parsing it, and its recursive parser dies on
deep nesting (``* BYE [SERVERBUG]``, a traceback in the log); a literal size of thousands of
digits even crashes it. Here a line longer than :data:`~labo.imap.config.MAX_LINE`, or a literal
beyond the command budget (64 KiB before login), gets ``BAD [TOOBIG]`` then ``BYE``: the rest of
its bytes follow on the wire, so the connection cannot go on; a command nested deeper than
:data:`~labo.imap.config.MAX_NESTING` gets ``BAD``.

Every client is treated as remote, wherever it connects from: pymap trusts loopback peers as
secure (LOGIN before STARTTLS), which would make the lab unlike a real server. The recording
proxy still announces its client with a PROXY protocol v1 header as the first line; it is read
and logged here, never answered.
"""

from __future__ import annotations

import asyncio
import logging
import re
from asyncio import StreamReader, StreamWriter

from proxyprotocol import ProxyProtocolSyntaxError
from proxyprotocol.sock import SocketInfo, SocketInfoLocal
from pymap.config import IMAPConfig
from pymap.exceptions import ResponseError
from pymap.imap import IMAPConnection
from pymap.imap.state import ConnectionState
from pymap.interfaces.login import LoginInterface
from pymap.parsing import Params
from pymap.parsing.command import Command
from pymap.parsing.command.nonauth import LoginCommand
from pymap.parsing.commands import Commands, InvalidCommand
from pymap.parsing.exceptions import NotParseable
from pymap.parsing.response import (
    CommandResponse,
    ResponseBad,
    ResponseBye,
    ResponseCode,
    ResponseNo,
    ResponseOk,
    UntaggedResponse,
)
from pymap.parsing.specials import Tag
from pymap.parsing.state import ExpectContinuation, ParsingInterrupt
from pymap.selected import SelectedMailbox

from labo.imap.commands import ENABLEABLE, EnableCommand, NamespaceCommand, UnselectCommand
from labo.imap.config import MAX_COMMAND, MAX_NESTING, MAX_UNAUTHENTICATED_COMMAND
from labo.imap.names import DELIMITER

_log = logging.getLogger(__name__)

#: A line ending with a non-synchronizing literal announcement, as pymap matches it.
_LITERAL_PLUS = re.compile(rb"{(\d+)\+}\r?\n$")

#: Beyond this many digits a literal size is absurd (and ``int()`` refuses 4,300 digits).
_MAX_SIZE_DIGITS = 12

_QUOTE, _BACKSLASH, _OPEN, _CLOSE = b'"\\()'

_TOOBIG = ResponseCode.of(b"TOOBIG")
_PRIVACYREQUIRED = ResponseCode.of(b"PRIVACYREQUIRED")


class CommandRefused(ResponseError):
    """A command refused while it is read, before pymap parses it."""

    def __init__(self, head: bytes) -> None:
        super().__init__()
        self.head = head  # the start of the offending line, where its tag is

    def get_response(self, tag: bytes) -> ResponseBad:
        raise NotImplementedError


class LineTooLong(CommandRefused):
    """A command line beyond the limit: BAD then BYE, since the rest of it is on its way."""

    def get_response(self, tag: bytes) -> ResponseBad:
        response = ResponseBad(tag, b"Command line too long.", _TOOBIG)
        response.add_untagged(ResponseBye(b"Too much data, closing the connection."))
        return response


class NestedTooDeep(CommandRefused):
    """Parentheses nested beyond :data:`MAX_NESTING`: refused before pymap's parser recurses."""

    def get_response(self, tag: bytes) -> ResponseBad:
        return ResponseBad(tag, b"Command nested too deeply.")


class LiteralTooLarge(CommandRefused):
    """A literal beyond the command budget: BAD then BYE, since its bytes are on their way."""

    def get_response(self, tag: bytes) -> ResponseBad:
        response = ResponseBad(tag, b"Literal too large.", _TOOBIG)
        response.add_untagged(ResponseBye(b"Too much data, closing the connection."))
        return response


class RefusedCommand(InvalidCommand):
    """Stands for a command refused while it was read, so pymap answers it like any other."""

    def __init__(self, tag: bytes, error: CommandRefused) -> None:
        super().__init__(Params(tag=tag), None)
        self.error = error


class UnparseableCommand(InvalidCommand):
    """A command pymap's parser failed on with an error instead of a parse failure."""

    @property
    def message(self) -> bytes:
        return b"Invalid command."


class RemoteSocketInfo(SocketInfoLocal):
    """The connection's socket details, for a client pymap must never trust as local."""

    @property
    def from_localhost(self) -> bool:
        return False


class LabConnectionState(ConnectionState):
    """pymap's command dispatcher, answering the commands refused at reading time.

    It also says BYE with the last BAD a client may get in a row (pymap closes the connection
    then, but without a word), refuses LOGIN before STARTTLS with NO [PRIVACYREQUIRED], and
    answers UNSELECT, NAMESPACE and ENABLE (:mod:`.commands`) as Dovecot does.
    """

    def __init__(self, login: LoginInterface, config: IMAPConfig) -> None:
        super().__init__(login, config)
        self._bad_in_a_row = 0

    async def do_login(self, cmd: LoginCommand) -> tuple[CommandResponse, SelectedMailbox | None]:
        if b"LOGINDISABLED" in self.capability:
            # RFC 5530's code for it, as Dovecot answers (pymap says NO [CANNOT]).
            text = b"Plaintext authentication disallowed before STARTTLS."
            return ResponseNo(cmd.tag, text, _PRIVACYREQUIRED), None
        return await super().do_login(cmd)

    async def do_unselect(self, cmd: UnselectCommand) -> tuple[CommandResponse, None]:
        self._selected = None  # unlike CLOSE, nothing is expunged (RFC 3691)
        return ResponseOk(cmd.tag, b"Unselect completed."), None

    async def do_namespace(self, cmd: NamespaceCommand) -> tuple[CommandResponse, None]:
        # One personal namespace with no prefix, no other users' or shared ones (RFC 2342).
        response = ResponseOk(cmd.tag, b"Namespace completed.")
        response.add_untagged(UntaggedResponse(b'NAMESPACE (("" "%b")) NIL NIL' % _delimiter()))
        return response, None

    async def do_enable(self, cmd: EnableCommand) -> tuple[CommandResponse, None]:
        enabled = [name for name in cmd.capabilities if name in ENABLEABLE]
        response = ResponseOk(cmd.tag, b"Enabled.")
        response.add_untagged(UntaggedResponse(b" ".join([b"ENABLED", *enabled])))
        return response, None

    async def do_command(self, cmd: Command) -> CommandResponse:
        if isinstance(cmd, RefusedCommand):
            response: CommandResponse = cmd.error.get_response(cmd.tag)
        else:
            response = await super().do_command(cmd)
        self._bad_in_a_row = self._bad_in_a_row + 1 if response.is_bad else 0
        limit = self.config.bad_command_limit
        if limit and self._bad_in_a_row >= limit:
            response.add_untagged(ResponseBye(b"Too many errors, closing the connection."))
        return response


class LabImapConnection(IMAPConnection):
    """pymap's connection loop with line and literal limits and the optional PROXY line."""

    __slots__ = ["_budget", "_command_head", "_depth", "_expect_proxy_header", "_received"]

    def __init__(
        self,
        commands: Commands,
        config: IMAPConfig,
        reader: StreamReader,
        writer: StreamWriter,
        sock_info: SocketInfo,
        *,
        proxy_header_expected: bool = True,
    ) -> None:
        super().__init__(commands, config, reader, writer, sock_info)
        self._expect_proxy_header = proxy_header_expected
        self._command_head: bytes | None = None
        self._received = 0
        self._budget = MAX_UNAUTHENTICATED_COMMAND
        self._depth = 0

    async def read_command(self, state: ConnectionState) -> Command:
        self._command_head = None
        self._received = 0
        self._depth = 0
        self._budget = MAX_COMMAND if _logged_in(state) else MAX_UNAUTHENTICATED_COMMAND
        try:
            return await super().read_command(state)
        except CommandRefused as exc:
            return RefusedCommand(_tag_of(self._command_head or exc.head), exc)
        except (ValueError, RecursionError):
            # pymap's parser lets some errors escape (an absurdly long number, for one).
            return UnparseableCommand(Params(tag=_tag_of(self._command_head or b"")), None)

    async def _interrupt(
        self, state: ConnectionState, interrupt: ParsingInterrupt, continuations: list[memoryview]
    ) -> None:
        """Refuse a synchronizing literal over the budget before inviting it with ``+``."""
        expected = interrupt.expected
        if isinstance(expected, ExpectContinuation):
            self._check_budget(expected.literal_length, self._command_head or b"")
        await super()._interrupt(state, interrupt, continuations)

    async def readline(self) -> memoryview:
        line = await self._read_line()
        if self._expect_proxy_header:
            self._expect_proxy_header = False
            if line.startswith(b"PROXY ") and self._accept_proxy_header(line):
                line = await self._read_line()
        if self._command_head is None:
            self._command_head = line[:64]
        buffer = bytearray(line)
        while (match := _LITERAL_PLUS.search(buffer)) is not None:
            digits = match.group(1)
            if len(digits) > _MAX_SIZE_DIGITS:
                raise LiteralTooLarge(bytes(buffer[:64]))
            size = int(digits)
            self._count(size, bytes(buffer[:64]))
            buffer += await self.reader.readexactly(size)
            buffer += await self._read_line()
        self._print("%s -->| %s", buffer)
        return memoryview(buffer)

    async def read_continuation(self, literal_length: int) -> memoryview:
        self._count(literal_length, b"")
        return await super().read_continuation(literal_length)

    async def _read_line(self) -> bytes:
        try:
            line = await self.reader.readuntil(b"\n")
        except asyncio.IncompleteReadError as exc:
            raise EOFError("connection closed in the middle of a line") from exc
        except asyncio.LimitOverrunError as exc:
            head = await self.reader.readexactly(min(exc.consumed, 64))
            raise LineTooLong(head) from None  # BYE follows: the rest is never read
        self._count(len(line), line[:64])
        self._depth, deepest = _nesting(line, self._depth)
        if deepest > MAX_NESTING:
            raise NestedTooDeep(line[:64])
        return line

    def _count(self, size: int, head: bytes) -> None:
        self._check_budget(size, head)
        self._received += size

    def _check_budget(self, size: int, head: bytes) -> None:
        if self._received + size > self._budget:
            raise LiteralTooLarge(head)

    def _accept_proxy_header(self, line: bytes) -> bool:
        """Read the lab proxy's PROXY v1 line; False if it is not one (pymap will answer it)."""
        try:
            result = self.config.proxy_protocol.unpack(line)
        except (ProxyProtocolSyntaxError, ValueError):
            return False
        _log.debug("IMAP : client annoncé par le proxy : %s → %s", result.peername, result.sockname)
        return True


def _logged_in(state: ConnectionState) -> bool:
    """Whether the connection has a session (pymap's ``session`` raises until login)."""
    try:
        state.session  # noqa: B018 - the property raises when there is no session
    except AttributeError:
        return False
    return True


def _nesting(line: bytes, level: int) -> tuple[int, int]:
    """The parenthesis level after ``line`` and the deepest it reached, from ``level``.

    Quoted strings are skipped; an over-estimate is harmless (the limit is far above real use).
    The level carries over to the next line of the same command (after a literal).
    """
    deepest = level
    quoted = escaped = False
    for byte in line:
        if quoted:
            if escaped:
                escaped = False
            elif byte == _BACKSLASH:
                escaped = True
            elif byte == _QUOTE:
                quoted = False
        elif byte == _QUOTE:
            quoted = True
        elif byte == _OPEN:
            level += 1
            deepest = max(deepest, level)
        elif byte == _CLOSE:
            level = max(level - 1, 0)
    return level, deepest


def _tag_of(line: bytes) -> bytes:
    """The tag a line starts with, or ``*`` when it has none."""
    try:
        tag, _ = Tag.parse(memoryview(line), Params())
    except NotParseable:
        return b"*"
    return tag.value


def _delimiter() -> bytes:
    return DELIMITER.encode("ascii")
