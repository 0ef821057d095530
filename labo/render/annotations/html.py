"""Annotated transcript lines, and the lexicon that goes with them.

A token becomes ``<span class="labo-tok" tabindex=… aria-describedby=… data-t=…>``:

- sighted readers see the explanation on hover, on keyboard focus and on tap (a tap focuses an
  element with a ``tabindex``): generated content, given by the rule of the token's key in the
  ``<style>`` that ends the lexicon (``tips``), so it is neither selected nor copied with the
  transcript (the copy button copies ``data-copy`` anyway), and each explanation is written
  once, not on every token;
- screen readers read the lexicon entry the token points to (``aria-describedby``);
- the lexicon, folded under the transcript, lists each explanation once with its RFC link;
  it is left out of the search index (``data-search-exclude``), which has the transcript.

Only the first occurrence of each explanation is in the tab order (``tabindex="0"``); the
others can still be focused by a tap or a click (``tabindex="-1"``), so the keyboard does not
stop on every ``250``.
"""

from __future__ import annotations

from collections.abc import Sequence

from labo.render.annotations.catalogue import Catalogue, Entry
from labo.render.annotations.tips import KEY, sheet
from labo.render.annotations.tokens import Token
from labo.render.escape import attribute, inline, text
from labo.wire.transcript import Event

TOKEN = "labo-tok"
LEXICON = "labo-lexique"
#: A token's own text is shown in the lexicon when shorter than this; its key otherwise.
_SHORT = 30


class Annotator:
    """Marks up the events of one transcript block, in rendering order, and builds its lexicon."""

    def __init__(
        self,
        events: Sequence[Event],
        tokens: Sequence[Sequence[Token]],
        known: Catalogue,
        *,
        block_id: str,
    ) -> None:
        self._tokens = {id(event): found for event, found in zip(events, tokens, strict=True)}
        self._known = known
        self._block_id = block_id
        self._ids: dict[Entry, str] = {}
        self._labels: dict[Entry, str] = {}

    def __call__(self, event: Event) -> str:
        """The HTML of ``event.text``, its explained tokens wrapped."""
        value = event.text
        parts: list[str] = []
        position = 0
        for found in self._tokens.get(id(event), ()):
            entry = self._known.explain(found)
            if entry is None:
                continue
            parts.append(text(value[position : found.start]))
            parts.append(self._wrap(entry, value[found.start : found.end]))
            position = found.end
        parts.append(text(value[position:]))
        return "".join(parts)

    def _wrap(self, entry: Entry, shown: str) -> str:
        first = entry not in self._ids
        if first:
            self._ids[entry] = f"{self._block_id}-j{len(self._ids) + 1}"
            self._labels[entry] = shown if len(shown) < _SHORT else entry.key
        return (
            f'<span class="{TOKEN}" tabindex="{0 if first else -1}"'
            f' aria-describedby="{attribute(self._ids[entry])}"'
            f' {KEY}="{self._known.short_key(entry)}">{text(shown)}</span>'
        )

    def lexicon(self) -> str:
        """The folded list of this block's explanations, in order of first appearance."""
        if not self._ids:
            return ""
        count = len(self._ids)
        items = "".join(
            f'<div class="{LEXICON}__entree"><dt><code>{text(self._labels[entry])}</code></dt>'
            f'<dd id="{attribute(identifier)}">{_expansion(entry)}{inline(entry.explanation)} '
            f'<a href="{attribute(entry.url)}">{text(entry.source)}</a></dd></div>'
            for entry, identifier in self._ids.items()
        )
        noun = "jeton expliqué" if count == 1 else "jetons expliqués"
        return (
            f'<details class="{LEXICON}" data-search-exclude>'
            f"<summary>Lexique de la transcription\u00a0: {count} {noun}</summary>"
            f"<dl>{items}</dl>{self._sheet()}</details>"
        )

    def _sheet(self) -> str:
        return sheet((self._known.short_key(entry), entry.tip) for entry in self._ids)


def _expansion(entry: Entry) -> str:
    """An acronym's English expansion, before the French sentence."""
    if not entry.acronym:
        return ""
    return f'<i lang="en">{text(entry.acronym)}</i>\u00a0: '
