"""The "Transcription" block: every event of a transcript, long message bodies and long runs of
DNS lookups folded.

It is a ``<div class="highlight"><pre><code>`` like any code block, so Material adds its copy
button; ``data-copy`` makes that button copy the transcript's text form (``Transcript.to_text``),
folded lines included, whatever the page shows.

Protocol tokens carry their explanation (``labo.render.annotations``), and a folded lexicon
under the block lists them with their RFC sections.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import groupby

from labo.render.annotations import Annotator, catalogue, transcript_tokens
from labo.render.bodies import BodyKey, message_bodies
from labo.render.escape import attribute
from labo.render.lines import Content, connection_number, direction, render_empty, render_lines
from labo.render.repeats import FoldedQueries, folded_queries
from labo.wire.transcript import Event, Transcript

#: A message body longer than this many lines is folded (all of it, inside ``<details>``).
FOLD_AFTER = 12

BLOCK = "labo-transcript"
BODY = "labo-body"

LEGEND = (
    f'<span class="filename {BLOCK}__legend">'
    f"{direction('client')} envoyé par le client · {direction('server')} envoyé par le serveur"
    "</span>"
)


def interleaved(events: Sequence[Event]) -> bool:
    """True when a connection speaks again after another one spoke in between."""
    finished: set[int] = set()
    current: int | None = None
    for event in events:
        if event.connection == current:
            continue
        if event.connection in finished:
            return True
        if current is not None:
            finished.add(current)
        current = event.connection
    return False


def render_transcript(transcript: Transcript, *, block_id: str) -> str:
    """The transcript block; ``block_id`` must be unique on the page."""
    events = transcript.events
    numbered = interleaved(events)
    annotate = Annotator(events, transcript_tokens(transcript), catalogue(), block_id=block_id)
    if events:
        folds = _folds(message_bodies(transcript), folded_queries(events))
        lines = _render_grouped(events, folds, numbered, annotate)
    else:
        lines = render_empty()
    return (
        f'<div id="{attribute(block_id)}" class="language-text highlight {BLOCK}"'
        f' data-copy="{attribute(transcript.to_text())}">'
        f"{LEGEND}<pre><code>{lines}</code></pre></div>{annotate.lexicon()}"
    )


Fold = BodyKey | FoldedQueries


def _folds(
    bodies: Sequence[BodyKey | None], queries: Sequence[FoldedQueries | None]
) -> list[Fold | None]:
    """What each event may be folded with: its message body, or its run of DNS lookups."""
    pairs = zip(bodies, queries, strict=True)
    return [body if body is not None else query for body, query in pairs]


def _render_grouped(
    events: Sequence[Event], keys: Sequence[Fold | None], numbered: bool, content: Content
) -> str:
    parts: list[str] = []
    for key, group in groupby(zip(events, keys, strict=True), key=lambda pair: pair[1]):
        run = [event for event, _ in group]
        if isinstance(key, FoldedQueries):
            parts.append(_folded_queries(run, key, numbered))
        elif key is not None and len(run) > FOLD_AFTER:
            parts.append(_folded(run, numbered, content))
        else:
            parts.append(render_lines(run, numbered=numbered, content=content))
    return "".join(parts)


def _folded_queries(run: Sequence[Event], fold: FoldedQueries, numbered: bool) -> str:
    """The middle of a long run of DNS lookups in ``<details>``, every line inside.

    Its lines repeat the lookups shown around it, whose tokens carry their explanations: here
    they are plain text, or a week of retries would weigh a megabyte of identical tooltips.
    """
    summary = (
        f'<summary class="{BODY}__summary">{fold.summary()}'
        f'<span class="{BODY}__action"> — afficher</span></summary>'
    )
    lines = render_lines(run, numbered=numbered)
    return f'<details class="{BODY}">{summary}{lines}</details>'


def _folded(run: Sequence[Event], numbered: bool, content: Content) -> str:
    """A message body in ``<details>``: closed, its size said in French, every line inside."""
    first = run[0]
    summary = (
        f'<summary class="{BODY}__summary">{connection_number(first, numbered)}'
        f"{direction(first.kind)} {len(run)} lignes du message"
        f'<span class="{BODY}__action"> — afficher</span></summary>'
    )
    lines = render_lines(run, numbered=numbered, content=content)
    return f'<details class="{BODY}">{summary}{lines}</details>'
