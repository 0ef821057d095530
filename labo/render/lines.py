"""One transcript event as one line of HTML: a formatter per kind of event.

Client and server lines keep their textual prefix (``C:``/``S:``) next to their colour, so they
read right without colour, in a screen reader and once copied. Open, TLS and close events, and
notes (``note`` or any kind added later), are badges whose icon comes from the stylesheet.

Each line is a ``<span>`` ending with its newline, laid out as a block by ``labo.css``, inside the
``<pre><code>`` Material gives a copy button to: the markup carries no newline between lines.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from labo.render.escape import text
from labo.wire.transcript import Event

LINE = "labo-line"
DIRECTION = "labo-dir"
CONNECTION = "labo-line__conn"
BADGE = "labo-badge"

#: The textual prefix of each side, as in the transcript's text form.
PREFIXES = {"client": "C:", "server": "S:"}
#: Event kinds with a style of their own (``labo-line--<kind>``); any other kind is a notice.
STYLED_KINDS = frozenset({"client", "server", "open", "tls", "close"})
NOTICE = "notice"


def direction(side: str) -> str:
    """The coloured ``C:``/``S:`` prefix, shared by lines, folded bodies and the legend."""
    return f'<span class="{DIRECTION} {DIRECTION}--{side}">{PREFIXES[side]}</span>'


def connection_number(event: Event, shown: bool) -> str:
    """``[2] `` before a line when connections interleave, nothing otherwise."""
    return f'<span class="{CONNECTION}">[{event.connection}]</span> ' if shown else ""


#: The HTML of an event's own text: escaped as is, or with its tokens annotated.
Content = Callable[[Event], str]


def plain(event: Event) -> str:
    return text(event.text)


def _line(modifier: str, content: str) -> str:
    return f'<span class="{LINE} {LINE}--{modifier}">{content}\n</span>'


def _spoken(event: Event, numbered: bool, content: Content) -> str:
    return _line(
        event.kind,
        f"{connection_number(event, numbered)}{direction(event.kind)} {content(event)}",
    )


def _badge(event: Event, numbered: bool, content: Content) -> str:
    modifier = event.kind if event.kind in STYLED_KINDS else NOTICE
    return _line(
        modifier,
        f'{connection_number(event, numbered)}<span class="{BADGE}">{content(event)}</span>',
    )


Formatter = Callable[[Event, bool, Content], str]

FORMATTERS: dict[str, Formatter] = {
    "client": _spoken,
    "server": _spoken,
    "open": _badge,
    "tls": _badge,
    "close": _badge,
}


def render_line(event: Event, *, numbered: bool, content: Content = plain) -> str:
    """One event; kinds the renderer does not know yet are shown as notices, never dropped."""
    return FORMATTERS.get(event.kind, _badge)(event, numbered, content)


def render_lines(events: Sequence[Event], *, numbered: bool, content: Content = plain) -> str:
    return "".join(render_line(event, numbered=numbered, content=content) for event in events)


def render_empty() -> str:
    """What an example that opened no connection shows instead of a dialogue."""
    return _line(NOTICE, f'<span class="{BADGE}">aucun échange enregistré</span>')
