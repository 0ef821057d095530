"""Where the message itself crosses the wire: SMTP DATA, POP3 RETR/TOP answers, IMAP literals.

A message is dozens of lines that teach nothing about the protocol around them, so the renderer
folds long ones. Finding them takes each protocol's own rules: a long run of other lines (a CAPA
or LIST answer, a big EHLO reply) is protocol and stays in view.
"""

from __future__ import annotations

import re
from collections import deque
from typing import Literal, Protocol

from labo.identity import SERVICES
from labo.wire.transcript import DNS_SERVICE, ConnectionInfo, Transcript

Side = Literal["client", "server"]

#: Which message a body line belongs to: connection number, then rank of the body on it.
BodyKey = tuple[int, int]


class BodyTracker(Protocol):
    """Follows one connection's dialogue, line by line, in recording order."""

    @property
    def bodies(self) -> int:
        """How many message bodies have started so far (the current one's rank)."""
        ...

    def feed(self, side: Side, text: str) -> bool:
        """Take the next line; True when it is message content."""
        ...


class SmtpBodies:
    """Client lines after ``DATA`` and its ``354`` reply, up to the lone ``.`` (RFC 5321 §4.1.1.4).

    Under PIPELINING the replies to MAIL and RCPT may come between DATA and 354: only another
    client command cancels a pending DATA.
    """

    def __init__(self) -> None:
        self.bodies = 0
        self._data_sent = False
        self._in_body = False

    def feed(self, side: Side, text: str) -> bool:
        if side == "client":
            if self._in_body:
                if text == ".":
                    self._in_body = False
                    return False
                return True
            self._data_sent = text.strip().upper() == "DATA"
            return False
        if self._data_sent and text.startswith("354"):
            self._data_sent = False
            self._in_body = True
            self.bodies += 1
        return False


_POP3_BODY = frozenset({"RETR", "TOP"})
_POP3_LIST_ALWAYS = frozenset({"CAPA"})
_POP3_LIST_WITHOUT_ARGUMENT = frozenset({"LIST", "UIDL", "AUTH"})

Pop3Answer = Literal["single", "list", "body"]


class Pop3Bodies:
    """Server lines of a positive RETR/TOP answer, up to the lone ``.`` (RFC 1939 §3).

    Answers are matched to commands in order, so pipelined commands (RFC 2449) are followed too;
    a SASL exchange (``+ `` challenges and the client's replies) is not a command.
    """

    def __init__(self) -> None:
        self.bodies = 0
        self._expected: deque[Pop3Answer] = deque()
        self._answer: Pop3Answer | None = None  # the multi-line answer being read
        self._sasl_reply_due = False

    def feed(self, side: Side, text: str) -> bool:
        if side == "client":
            if self._sasl_reply_due:
                self._sasl_reply_due = False
            else:
                self._expected.append(_pop3_answer(text))
            return False
        if self._answer is not None:
            if text == ".":
                self._answer = None
                return False
            return self._answer == "body"
        if text == "+" or text.startswith("+ "):
            self._sasl_reply_due = True
            return False
        if not self._expected:
            return False  # the greeting
        answer = self._expected.popleft()
        if answer != "single" and text.startswith("+OK"):
            self._answer = answer
            if answer == "body":
                self.bodies += 1
        return False


def _pop3_answer(command: str) -> Pop3Answer:
    words = command.split()
    verb = words[0].upper() if words else ""
    if verb in _POP3_BODY:
        return "body"
    if verb in _POP3_LIST_ALWAYS or (verb in _POP3_LIST_WITHOUT_ARGUMENT and len(words) == 1):
        return "list"
    return "single"


#: A line announcing a literal: ``{342}``, ``{342+}`` (LITERAL+), ``~{342}`` (BINARY).
_IMAP_LITERAL = re.compile(r"~?\{(\d+)\+?\}$")


class ImapBodies:
    """The lines of an IMAP literal, on either side (RFC 9051 §4.3): FETCH bodies, APPEND.

    A literal counts octets, each line its own plus CRLF. When a literal ends inside a line, the
    rest of that line is protocol again and may announce the next literal.
    """

    def __init__(self) -> None:
        self.bodies = 0
        self._left: dict[Side, int] = {"client": 0, "server": 0}

    def feed(self, side: Side, text: str) -> bool:
        left = self._left[side]
        if left == 0:
            self._open(side, text)
            return False
        size = len(text.encode("utf-8")) + 2
        self._left[side] = max(0, left - size)
        if size > left:
            self._open(side, text)
        return True

    def _open(self, side: Side, text: str) -> None:
        match = _IMAP_LITERAL.search(text)
        if match and "[HEADER" in text.upper():
            return  # headers alone are what the reader came to see: never folded
        if match and int(match[1]) > 0:
            self._left[side] = int(match[1])
            self.bodies += 1


_TRACKERS: dict[str, type[SmtpBodies] | type[Pop3Bodies] | type[ImapBodies]] = {
    "smtp": SmtpBodies,
    "pop3": Pop3Bodies,
    "imap": ImapBodies,
}


class NoBodies:
    """A DNS exchange: a question and its records, never a message to fold."""

    bodies = 0

    def feed(self, side: Side, text: str) -> bool:
        return False


class GreetingSniffer:
    """For a connection of unknown service: the server's greeting tells the protocol."""

    def __init__(self) -> None:
        self._tracker: BodyTracker | None = None

    @property
    def bodies(self) -> int:
        return self._tracker.bodies if self._tracker is not None else 0

    def feed(self, side: Side, text: str) -> bool:
        if self._tracker is None:
            if side == "server":
                self._tracker = _tracker_for_greeting(text)
            return False
        return self._tracker.feed(side, text)


def _tracker_for_greeting(greeting: str) -> BodyTracker:
    if greeting.startswith("220"):
        return SmtpBodies()
    if greeting.startswith(("+OK", "-ERR")):
        return Pop3Bodies()
    return ImapBodies()  # "* OK", "* PREAUTH", "* BYE"


def tracker_for(info: ConnectionInfo | None) -> BodyTracker:
    """The tracker for a connection's protocol, known from its service or from its greeting."""
    if info is not None and info.service == DNS_SERVICE:
        return NoBodies()
    service = SERVICES.get(info.service) if info is not None else None
    if service is None:
        return GreetingSniffer()
    return _TRACKERS[service.protocol]()


def message_bodies(transcript: Transcript) -> list[BodyKey | None]:
    """For each event of ``transcript``, the message body it belongs to, or None."""
    trackers: dict[int, BodyTracker] = {}
    keys: list[BodyKey | None] = []
    for event in transcript.events:
        if event.kind not in ("client", "server"):
            keys.append(None)
            continue
        tracker = trackers.get(event.connection)
        if tracker is None:
            tracker = trackers[event.connection] = tracker_for(
                transcript.connections.get(event.connection)
            )
        side: Side = "client" if event.kind == "client" else "server"
        in_body = tracker.feed(side, event.text)
        keys.append((event.connection, tracker.bodies) if in_body else None)
    return keys
