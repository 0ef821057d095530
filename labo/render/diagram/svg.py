"""The diagram as inline SVG: lifelines side by side, one row per step, top to bottom.

The SVG keeps its size in pixels and its text at one fixed size: on a narrow screen the
container scrolls sideways (``labo.css``) rather than shrinking the text out of reach. A row's
text fits between the two lifelines of its arrow, cut with « … » when longer; the whole text is
in the row's ``<title>`` (a tooltip on hover) and in the list that follows the figure. A reply
of several lines says how many under its arrow.

Coordinates are integers and everything comes from the diagram alone, so the same transcript gives
the same bytes. Colours are CSS classes (``labo-diagram__…``) on Material's variables, so light and
dark schemes both apply; the presentation attributes only keep the drawing readable without CSS.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import accumulate

from labo.render.diagram.participants import Lifeline
from labo.render.diagram.steps import Diagram, Step, TlsSpan, lines_word, number_of
from labo.render.escape import attribute, text

SVG = "labo-diagram__svg"
_C = "labo-diagram"

#: Distance between two lifelines, in pixels.
COLUMN = 250
#: Width of the left margin that holds connection numbers.
GUTTER = 40
#: Width of a lifeline's head: room for a name of 21 characters.
HEAD_WIDTH = 180
#: Height of one step's row; a reply of several lines has a second line of text under its arrow.
ROW = 30
COUNT_ROW = 14
#: Text size, in pixels, never scaled, and the width a character takes in a monospace font.
FONT_SIZE = 13
CHAR_WIDTH = 0.6 * FONT_SIZE
HEAD_HEIGHT = 32
MARGIN = 8
#: Room kept free at each end of an arrow's text.
PAD = 6
LOOP = 28
#: How many lines of a step its tooltip shows at most.
TITLE_LINES = 30
_ELLIPSIS = "…"
_NB = "\u00a0"


def fit(value: str, width: float) -> str:
    """``value`` cut to what ``width`` pixels hold, with « … » when cut."""
    room = max(1, int(width // CHAR_WIDTH))
    return value if len(value) <= room else value[: room - 1] + _ELLIPSIS


def tooltip(step: Step) -> str:
    """The whole text a row stands for, its length capped for the longest message bodies."""
    lines = list(step.lines[:TITLE_LINES])
    hidden = len(step.lines) - len(lines)
    if hidden:
        lines.append(f"{_ELLIPSIS} ({lines_word(hidden)} de plus dans la transcription)")
    return "\n".join(lines)


def counted(step: Step) -> bool:
    """A reply of several lines: its arrow says how many."""
    return step.kind == "reply" and len(step.lines) > 1


class _Layout:
    """Where each lifeline and each row sits."""

    def __init__(self, diagram: Diagram) -> None:
        self.column = {lifeline.name: index for index, lifeline in enumerate(diagram.lifelines)}
        self.width = GUTTER + HEAD_WIDTH + max(0, len(diagram.lifelines) - 1) * COLUMN
        heights = [ROW + (COUNT_ROW if counted(step) else 0) for step in diagram.steps]
        first = MARGIN + HEAD_HEIGHT + 16
        self.tops = list(accumulate(heights, initial=first))
        self.height = self.tops[-1] + 12 + HEAD_HEIGHT + MARGIN

    def x(self, lifeline: Lifeline) -> int:
        return GUTTER + HEAD_WIDTH // 2 + self.column[lifeline.name] * COLUMN

    def row(self, index: int) -> tuple[int, int]:
        """The top and bottom of row ``index``."""
        return self.tops[index], self.tops[index + 1]


def _head(layout: _Layout, lifeline: Lifeline, top: int) -> str:
    x = layout.x(lifeline)
    width = HEAD_WIDTH - 2 * PAD
    return (
        f'<g class="{_C}__head {_C}__head--{lifeline.kind}"><title>{text(lifeline.name)}</title>'
        f'<rect x="{x - width // 2}" y="{top}" width="{width}" height="{HEAD_HEIGHT}" rx="4"'
        ' fill="none" stroke="currentColor"/>'
        f'<text x="{x}" y="{top + HEAD_HEIGHT // 2 + FONT_SIZE // 3}" text-anchor="middle">'
        f"{text(fit(lifeline.name, width - 2 * PAD))}</text></g>"
    )


def _lifeline(layout: _Layout, lifeline: Lifeline) -> str:
    x = layout.x(lifeline)
    top = MARGIN + HEAD_HEIGHT
    bottom = layout.height - MARGIN - HEAD_HEIGHT
    return (
        f'<line class="{_C}__lifeline" x1="{x}" y1="{top}" x2="{x}" y2="{bottom}"'
        ' stroke="currentColor" stroke-dasharray="4 4"/>'
    )


def _span(layout: _Layout, span: TlsSpan) -> str:
    left, right = sorted(layout.x(end) for end in span.ends)
    right = max(right, left + LOOP + PAD)
    top = layout.row(span.first)[0] + 4
    bottom = layout.row(span.last)[1] - 2
    return (
        f'<rect class="{_C}__tls" x="{left - 10}" y="{top}" width="{right - left + 20}"'
        f' height="{bottom - top}" rx="3" fill="currentColor" fill-opacity="0.12">'
        f"<title>[{span.connection}] chiffré par TLS</title></rect>"
    )


def _arrowhead(tip: int, y: int, leftward: bool) -> str:
    back = tip + 9 if leftward else tip - 9
    return f'<path d="M{tip} {y}L{back} {y - 4}L{back} {y + 4}Z" fill="currentColor"/>'


def _text(x: int, y: int, value: str, width: int, css_class: str = "") -> str:
    attributes = f' class="{_C}__{css_class}"' if css_class else ""
    return f'<text{attributes} x="{x}" y="{y}">{text(fit(value, width))}</text>'


def _step(layout: _Layout, index: int, step: Step, number: str) -> str:
    top = layout.row(index)[0]
    line_y = top + ROW - 8
    text_y = line_y - 5
    start, end = layout.x(step.source), layout.x(step.target)
    left, right = min(start, end), max(start, end)
    classes = f"{_C}__step {_C}__step--{step.kind} {_C}__step--{step.side}"
    parts = [f'<g class="{classes}"><title>{text(tooltip(step))}</title>']
    if number:
        parts.append(_text(MARGIN, text_y, number, GUTTER, "conn"))
    if step.kind in ("tls", "note"):
        if left == right:  # both ends on one lifeline: as wide as its head
            left, right = left - HEAD_WIDTH // 2 + PAD, right + HEAD_WIDTH // 2 - PAD
        parts.append(
            f'<rect class="{_C}__badge" x="{left + 2}" y="{top + 6}" width="{right - left - 4}"'
            f' height="{ROW - 8}" rx="4" fill="none" stroke="currentColor"/>'
        )
        parts.append(_text(left + 2 * PAD, line_y - 1, step.label, right - left - 4 * PAD))
    elif start == end:
        parts.append(
            f'<path class="{_C}__arrow" d="M{start} {line_y - 10}H{start + LOOP}V{line_y}'
            f'H{start + 10}" fill="none" stroke="currentColor"/>'
        )
        parts.append(_arrowhead(start + 1, line_y, True))
        width = min(COLUMN, layout.width - start) - LOOP - 3 * PAD
        parts.append(_text(start + LOOP + PAD, text_y, step.label, width))
        right = start + LOOP + PAD + width
    else:
        leftward = end < start
        tip = end + 1 if leftward else end - 1
        dash = ' stroke-dasharray="6 4"' if step.kind in ("reply", "close") else ""
        parts.append(
            f'<line class="{_C}__arrow" x1="{start}" y1="{line_y}" x2="{tip}" y2="{line_y}"'
            f' stroke="currentColor"{dash}/>'
        )
        if step.kind == "open":
            parts.append(f'<circle cx="{start}" cy="{line_y}" r="3" fill="currentColor"/>')
        if step.kind != "close":
            parts.append(_arrowhead(tip, line_y, leftward))
        parts.append(_text(left + PAD, text_y, step.label, right - left - 2 * PAD))
    if counted(step):
        count = f"({lines_word(len(step.lines))})"
        parts.append(_text(left + PAD, line_y + COUNT_ROW + 2, count, right - left, "count"))
    parts.append("</g>")
    return "".join(parts)


def render_svg(diagram: Diagram, *, title: str, description: str, ids: Sequence[str]) -> str:
    """The ``<svg>`` element; ``ids`` are two page-unique ids for its title and description."""
    layout = _Layout(diagram)
    title_id, description_id = ids
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="{SVG}" role="img"'
        f' width="{layout.width}" height="{layout.height}"'
        f' viewBox="0 0 {layout.width} {layout.height}" font-size="{FONT_SIZE}"'
        f' font-family="monospace" aria-labelledby="{attribute(title_id)}"'
        f' aria-describedby="{attribute(description_id)}">',
        f'<title id="{attribute(title_id)}">{text(title)}</title>',
        f'<desc id="{attribute(description_id)}">{text(description)}</desc>',
    ]
    parts.extend(_span(layout, span) for span in diagram.spans)
    parts.extend(_lifeline(layout, lifeline) for lifeline in diagram.lifelines)
    bottom = layout.height - MARGIN - HEAD_HEIGHT
    for top in (MARGIN, bottom):
        parts.extend(_head(layout, lifeline, top) for lifeline in diagram.lifelines)
    parts.extend(
        _step(layout, index, step, number_of(diagram, step))
        for index, step in enumerate(diagram.steps)
    )
    parts.append("</svg>")
    return "\n".join(parts)
