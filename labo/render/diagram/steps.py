"""From a transcript to the steps of a sequence diagram: one arrow per command, per reply and per
message body, plus the openings, TLS starts, notes and closings of each connection.

A reply of several lines (an EHLO answer, an IMAP SELECT) is one arrow: SMTP ends a reply on the
line whose code is followed by a space (RFC 5321 §4.2.1), IMAP on a tagged or continuation line
(RFC 9051 §2.2.2); for POP3 and DNS a reply is every line the server sends before the client
speaks again. A message body (found by ``labo.render.bodies``, the same rules that fold it in the
« Transcription » tab) is one arrow « message (N lignes) », its ending ``.`` included. The folded
middle of a long run of DNS lookups (``labo.render.repeats``) is one note row.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from labo.identity import SERVICES
from labo.render.bodies import BodyKey, message_bodies
from labo.render.diagram.participants import Lifeline, Link, parse_opening, unknown_link
from labo.render.repeats import FoldedQueries, folded_queries
from labo.render.transcript import interleaved
from labo.wire.transcript import Event, Transcript

Side = Literal["client", "server"]
StepKind = Literal["open", "command", "reply", "message", "tls", "note", "close"]

_SMTP_LAST_LINE = re.compile(r"^\d{3}(?: |$)")
_IMAP_LAST_LINE = re.compile(r"^(?:\+(?: |$)|[^*+\s]\S* (?:OK|NO|BAD)\b)", re.IGNORECASE)
#: Lines that close a literal or a list and say nothing on their own.
_CLOSING = frozenset({")", "."})
_LITERAL = re.compile(r"~?\{\d+\+?\}$")
_NB = "\u00a0"


@dataclass(frozen=True)
class Step:
    """One row of the diagram: ``lines`` is everything it stands for, ``label`` what it shows."""

    kind: StepKind
    connection: int
    source: Lifeline
    target: Lifeline
    label: str
    lines: tuple[str, ...]
    side: Side = "client"  # who sent it: the connection's client or its server


@dataclass(frozen=True)
class TlsSpan:
    """Rows ``first`` to ``last`` (inclusive) of a connection that TLS protects."""

    connection: int
    ends: tuple[Lifeline, Lifeline]
    first: int
    last: int


@dataclass(frozen=True)
class Diagram:
    """Lifelines left to right, steps top to bottom, TLS spans, and whether rows show ``[n]``."""

    lifelines: tuple[Lifeline, ...]
    steps: tuple[Step, ...]
    spans: tuple[TlsSpan, ...]
    numbered: bool


#: Rows that always show their connection's number, as the transcript's badges do.
_ALWAYS_NUMBERED = frozenset({"open", "tls", "close", "note"})


def number_of(diagram: Diagram, step: Step) -> str:
    """``[n]`` when the row shows its connection number: always on openings, TLS, notes and
    closings; on every row when connections interleave (as in the transcript). Else nothing."""
    shown = diagram.numbered or step.kind in _ALWAYS_NUMBERED
    return f"[{step.connection}]" if shown else ""


def lines_word(count: int) -> str:
    """« 1 ligne », « 3 lignes »."""
    return f"{count}{_NB}ligne" + ("s" if count > 1 else "")


def reply_label(lines: Sequence[str]) -> str:
    """The line that says most about a reply: one announcing a literal (what a FETCH brings),
    else the first that is neither untagged (``* …``) nor closing, else the first."""
    for line in lines:
        if _LITERAL.search(line):
            return line
    for line in lines:
        if not line.startswith("* ") and line not in _CLOSING:
            return line
    return lines[0]


def _ends_reply(protocol: str | None, line: str) -> bool:
    if protocol == "smtp":
        return bool(_SMTP_LAST_LINE.match(line))
    if protocol == "imap":
        return bool(_IMAP_LAST_LINE.match(line))
    return False


@dataclass
class _Builder:
    """Walks the events once, in recording order, keeping at most one step open."""

    numbered: bool
    links: dict[int, Link] = field(default_factory=dict)
    order: dict[str, Lifeline] = field(default_factory=dict)
    steps: list[Step] = field(default_factory=list)
    tls_from: dict[int, int] = field(default_factory=dict)
    spans: list[TlsSpan] = field(default_factory=list)
    pending: Step | None = None
    pending_body: BodyKey | None = None

    def link(self, number: int) -> Link:
        if number not in self.links:
            self.links[number] = unknown_link(number)
        link = self.links[number]
        for lifeline in (link.client, link.server):
            self.order.setdefault(lifeline.name, lifeline)
        return link

    def flush(self) -> None:
        if self.pending is not None:
            step = self.pending
            if step.kind == "message":
                body = step.lines[:-1] if step.lines[-1] == "." else step.lines
                label = f"message ({lines_word(len(body))})"
                step = replace(step, label=label)
            elif step.kind == "reply":
                step = replace(step, label=reply_label(step.lines))
            self.steps.append(step)
        self.pending = None
        self.pending_body = None

    def add(self, step: Step) -> None:
        self.flush()
        self.steps.append(step)

    def open(self, event: Event) -> None:
        link = parse_opening(event.connection, event.text) or unknown_link(event.connection)
        self.links[event.connection] = link
        self.link(event.connection)
        if link.is_dns:
            return  # the query arrow that follows says it all
        info = link.info
        label = f"ouverture{_NB}: {info.port} ({info.service})" if info else event.text
        self.row("open", event, label)

    def row(self, kind: StepKind, event: Event, label: str) -> None:
        """A row that is not a line of the dialogue: its event's text is its tooltip."""
        link = self.link(event.connection)
        self.add(Step(kind, event.connection, link.client, link.server, label, (event.text,)))

    def tls(self, event: Event) -> None:
        self.row("tls", event, event.text.partition(",")[0])  # the cipher is in the tooltip
        if event.text.startswith("TLS établi"):
            self.tls_from.setdefault(event.connection, len(self.steps) - 1)

    def close(self, event: Event) -> None:
        self.row("close", event, event.text)
        self.end_tls(event.connection, len(self.steps) - 1)

    def note(self, event: Event) -> None:
        self.row("note", event, event.text)

    def folded(self, event: Event, fold: FoldedQueries) -> None:
        """The first event of a folded run of lookups (an opening): one row for the whole run."""
        self.open(event)
        self.row("note", event, fold.summary())

    def end_tls(self, number: int, last: int) -> None:
        first = self.tls_from.pop(number, None)
        if first is not None:
            link = self.links[number]
            self.spans.append(TlsSpan(number, (link.client, link.server), first, last))

    def line(self, event: Event, body: BodyKey | None) -> None:
        link = self.link(event.connection)
        side: Side = "client" if event.kind == "client" else "server"
        client = side == "client"
        source, target = (link.client, link.server) if client else (link.server, link.client)
        pending = self.pending
        if pending is None or pending.connection != event.connection or pending.side != side:
            pending = None  # another connection or the other side spoke: the step is over
        if pending is not None and pending.kind == "message":
            if body is not None and body == self.pending_body:
                self.pending = replace(pending, lines=(*pending.lines, event.text))
                return
            if body is None and event.text == ".":  # the body's end, part of the message
                self.pending = replace(pending, lines=(*pending.lines, event.text))
                self.flush()
                return
            pending = None
        if body is not None:
            self.flush()
            self.pending = Step(
                "message", event.connection, source, target, "", (event.text,), side
            )
            self.pending_body = body
        elif client:
            self.add(Step("command", event.connection, source, target, event.text, (event.text,)))
        else:
            if pending is None:
                self.flush()
                pending = Step("reply", event.connection, source, target, "", (), side)
            self.pending = replace(pending, lines=(*pending.lines, event.text))
            if _ends_reply(_protocol(link), event.text):
                self.flush()

    def finish(self) -> Diagram:
        self.flush()
        for number in sorted(self.tls_from):
            self.end_tls(number, len(self.steps) - 1)
        resolvers = [lifeline for lifeline in self.order.values() if lifeline.kind == "resolver"]
        others = [lifeline for lifeline in self.order.values() if lifeline.kind != "resolver"]
        spans = sorted(self.spans, key=lambda span: (span.first, span.connection))
        return Diagram(tuple(others + resolvers), tuple(self.steps), tuple(spans), self.numbered)


def _protocol(link: Link) -> str | None:
    service = SERVICES.get(link.info.service) if link.info is not None else None
    return service.protocol if service is not None else None


def build_diagram(transcript: Transcript) -> Diagram:
    """The diagram of ``transcript``, recorded live or read back from its text form."""
    builder = _Builder(numbered=interleaved(transcript.events))
    connections = dict(transcript.connections)
    for event in transcript.events:
        if event.kind == "open" and event.connection not in connections:
            link = parse_opening(event.connection, event.text)
            if link is not None and link.info is not None:
                connections[event.connection] = link.info
    bodies = message_bodies(Transcript(transcript.events, connections))
    folds = folded_queries(transcript.events)
    shown: set[FoldedQueries] = set()
    for event, body, fold in zip(transcript.events, bodies, folds, strict=True):
        if fold is not None:
            if fold not in shown:
                shown.add(fold)
                builder.folded(event, fold)
        elif event.kind == "open":
            builder.open(event)
        elif event.kind in ("client", "server"):
            builder.line(event, body)
        elif event.kind == "tls":
            builder.tls(event)
        elif event.kind == "close":
            builder.close(event)
        else:
            builder.note(event)
    return builder.finish()
