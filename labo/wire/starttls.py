"""Spotting an accepted STARTTLS in a relayed dialogue, protocol by protocol.

The proxy must know the exact line after which both legs switch to TLS: the client's request
(SMTP ``STARTTLS``, POP3 ``STLS``, IMAP ``<tag> STARTTLS``) and the server's positive answer
(``220``, ``+OK``, ``<tag> OK``). Each watcher follows just enough of its protocol to tell a
command from data (an SMTP message after ``354``, IMAP literals, SASL exchanges), so that a line
reading "STARTTLS" inside a message is never taken for a request.

Limitation, by design: a request is answered by the first reply that fits it. Commands pipelined
*before* the request are assumed answered already, except where the protocol makes their replies
unmistakable (SMTP codes other than 220/4xx/5xx, untagged or other-tagged IMAP responses).
RFC 2920 §3.1, RFC 2595 §4 and RFC 9051 §6.2.1 forbid pipelining *after* the request.
"""

from __future__ import annotations

import enum
import re
from abc import ABC, abstractmethod

from labo.identity import Protocol


class Verdict(enum.Enum):
    """How the server answered the pending request."""

    ACCEPTED = enum.auto()
    REFUSED = enum.auto()


class UpgradeWatcher(ABC):
    """Follows one connection's dialogue, line by line in both directions, until TLS starts."""

    #: The request as the transcript and the proxy's notes name it.
    command: str

    def __init__(self) -> None:
        self.pending = False

    @abstractmethod
    def client_line(self, line: bytes) -> bool:
        """Follow one complete client line; True when it asks for TLS (then ``pending``)."""

    @abstractmethod
    def server_line(self, line: bytes) -> Verdict | None:
        """Follow one complete server line; the verdict when it answers the pending request."""


def _bare(line: bytes) -> bytes:
    """The line without its ending and surrounding blanks, upper-cased, for command matching."""
    return line.strip(b" \t\r\n").upper()


_SMTP_REPLY = re.compile(rb"(\d{3})(-?)")


class SMTPWatcher(UpgradeWatcher):
    """RFC 3207: ``STARTTLS`` answered by ``220`` (go ahead) or a 4xx/5xx refusal."""

    command = "STARTTLS"

    def __init__(self) -> None:
        super().__init__()
        self._greeted = False  # the first final reply is the greeting, never an answer
        self._in_message = False  # after 354: message lines until the lone "."
        self._challenged = False  # after 334: the next client line is a SASL response

    def client_line(self, line: bytes) -> bool:
        if self._in_message:
            self._in_message = line.rstrip(b"\r\n") != b"."
            return False
        if self._challenged:
            self._challenged = False
            return False
        if not self.pending and _bare(line) == b"STARTTLS":
            self.pending = True
            return True
        return False

    def server_line(self, line: bytes) -> Verdict | None:
        reply = _SMTP_REPLY.match(line)
        if reply is None or reply[2]:
            return None  # not a reply, or a continuation line of a multi-line reply
        code = reply[1]
        if not self._greeted:
            self._greeted = True
            return None
        self._in_message = code == b"354"
        self._challenged = code == b"334"
        if not self.pending:
            return None
        if code == b"220":
            self.pending = False
            return Verdict.ACCEPTED
        if code.startswith((b"4", b"5")):
            self.pending = False
            return Verdict.REFUSED
        return None  # the reply to a command pipelined before STARTTLS


class POP3Watcher(UpgradeWatcher):
    """RFC 2595 §4: ``STLS`` answered by ``+OK`` or ``-ERR``."""

    command = "STLS"

    def __init__(self) -> None:
        super().__init__()
        self._greeted = False  # the greeting is "+OK" too
        self._authenticating = False  # RFC 5034: client lines are SASL responses until +OK/-ERR

    def client_line(self, line: bytes) -> bool:
        if self._authenticating:
            return False
        words = _bare(line).split()
        if len(words) >= 2 and words[0] == b"AUTH":
            self._authenticating = True
            return False
        if not self.pending and words == [b"STLS"]:
            self.pending = True
            return True
        return False

    def server_line(self, line: bytes) -> Verdict | None:
        positive = line.startswith(b"+OK")
        if not (positive or line.startswith(b"-ERR")):
            return None  # a SASL challenge ("+ ...") or a line of a multi-line response
        if not self._greeted:
            self._greeted = True
            return None
        if self._authenticating:
            self._authenticating = False
            return None
        if not self.pending:
            return None
        self.pending = False
        return Verdict.ACCEPTED if positive else Verdict.REFUSED


_IMAP_LITERAL = re.compile(rb"\{(\d+)\+?\}\r?\n\Z")
_IMAP_STARTTLS = re.compile(rb"(\S+) STARTTLS[ \t]*\r?\n", re.IGNORECASE)
_IMAP_TAGGED = re.compile(rb"(\S+) (OK|NO|BAD)\b", re.IGNORECASE)
#: Responses whose text never holds a literal (RFC 9051 §7.1 resp-text, §7.5 continue-req):
#: a "{5}" at their end is words of the text, not a literal announced.
_IMAP_STATUS = re.compile(rb"(\+|\S+ (OK|NO|BAD|BYE|PREAUTH)\b)", re.IGNORECASE)


class _Literals:
    """Counts the octets of IMAP literals (``{N}``, ``{N+}``, ``~{N}``) in one direction.

    A literal's content is data, and the text that follows it continues the same command or
    response: neither may be read as the start of a new one. A synchronizing literal (``{N}``)
    only comes if the server invites it with ``+``; a tagged answer instead cancels it.
    """

    def __init__(self) -> None:
        self._remaining = 0
        self._continues = False  # the previous line ended with a literal
        self.synchronizing = False  # the announced literal awaits the server's "+"

    def text(self, line: bytes) -> tuple[bytes, bool] | None:
        """The protocol text of ``line`` and whether it starts a new command or response.

        None when the whole line belongs to a literal.
        """
        fresh = not self._continues
        start = 0
        self.synchronizing = False
        if self._remaining:
            if len(line) <= self._remaining:
                self._remaining -= len(line)
                return None
            start, self._remaining, fresh = self._remaining, 0, False
        literal = _IMAP_LITERAL.search(line, start)
        self._remaining = int(literal[1]) if literal else 0
        self._continues = literal is not None
        self.synchronizing = literal is not None and b"+" not in literal[0]
        return line[start:], fresh

    def cancel(self) -> None:
        """The server refused the command before its literal came: the next line is new."""
        self._remaining = 0
        self._continues = False
        self.synchronizing = False


class IMAPWatcher(UpgradeWatcher):
    """RFC 9051 §6.2.1: ``<tag> STARTTLS`` answered by ``<tag> OK`` or ``<tag> NO|BAD``."""

    command = "STARTTLS"

    def __init__(self) -> None:
        super().__init__()
        self._tag = b""
        self._client = _Literals()
        self._server = _Literals()

    def client_line(self, line: bytes) -> bool:
        parsed = self._client.text(line)
        if parsed is None or not parsed[1] or self.pending:
            return False
        request = _IMAP_STARTTLS.fullmatch(parsed[0])
        if request is None:
            return False
        self._tag = request[1]
        self.pending = True
        return True

    def server_line(self, line: bytes) -> Verdict | None:
        parsed = self._server.text(line)
        if parsed is None or not parsed[1]:
            return None
        if _IMAP_STATUS.match(parsed[0]):
            self._server.cancel()  # no literal in a status response or continuation request
        answer = _IMAP_TAGGED.match(parsed[0])
        if answer is not None and answer[1] not in (b"*", b"+") and self._client.synchronizing:
            self._client.cancel()  # the command was answered instead of its literal invited
        if not self.pending or answer is None or answer[1] != self._tag:
            return None  # untagged data, or the answer to a command sent before STARTTLS
        self.pending = False
        return Verdict.ACCEPTED if answer[2].upper() == b"OK" else Verdict.REFUSED


_WATCHERS: dict[Protocol, type[UpgradeWatcher]] = {
    "smtp": SMTPWatcher,
    "pop3": POP3Watcher,
    "imap": IMAPWatcher,
}


def watcher_for(protocol: Protocol) -> UpgradeWatcher:
    """A fresh watcher for one connection speaking ``protocol``."""
    return _WATCHERS[protocol]()
