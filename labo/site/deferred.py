"""Examples whose HTML joins the page late, under MkDocs: rendering never waits for a worker.

Why: MkDocs converts every page's Markdown first, then fills the templates. If a block waited
for its example while its page converts, MkDocs would sit idle whenever the workers lag; with
this module the block leaves a placeholder, the workers keep running while MkDocs converts the
remaining pages, and the example is awaited and rendered when its page is filled
(``on_page_context``). There the search index is given a light version (the code and the
transcript as plain text: what a reader searches for, without the markup of four tabs and a
diagram that the search plugin would parse for nothing), and the full HTML takes its place in
the written page (``on_post_page``).

Without the MkDocs hook (another generator running the Markdown extension), nothing is deferred.
"""

from __future__ import annotations

import html
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass

#: What a deferred example becomes: its full HTML, and the light version the search indexes.
Rendered = tuple[str, str]

_PLACEHOLDER = re.compile(r'<div class="labo-exemple__a-venir" data-labo-jeton="(\d+)"></div>')
_WRAPPER = '<div class="labo-exemple__recherche" data-labo-jeton="{token}">{light}</div>'
#: A light version in the written page: it holds no ``div`` (its text is escaped).
_FILLED = re.compile(
    r'<div class="labo-exemple__recherche" data-labo-jeton="(\d+)">.*?</div>', re.DOTALL
)


@dataclass
class _State:
    active: bool = False
    pending: dict[str, Callable[[], Rendered]] | None = None
    #: Token → (the light wrapper put in the page, the full HTML that replaces it).
    filled: dict[str, tuple[str, str]] | None = None


_state = _State()
_tokens = itertools.count(1)


def start() -> None:
    """Defer from now on (the hook calls it before each build); forget the previous build."""
    _state.active, _state.pending, _state.filled = True, {}, {}


def stop() -> None:
    _state.active, _state.pending, _state.filled = False, None, None


def active() -> bool:
    return _state.active


def placeholder(produce: Callable[[], Rendered]) -> str:
    """The HTML left in the page for now; ``produce`` is called when the page is filled."""
    assert _state.pending is not None, "deferred.start() n'a pas été appelé"
    token = str(next(_tokens))
    _state.pending[token] = produce
    return f'<div class="labo-exemple__a-venir" data-labo-jeton="{token}"></div>'


def fill_for_search(content: str) -> str:
    """Await and render each example of a page; leave the light versions for the search index."""
    pending, filled = _state.pending, _state.filled
    if not pending or filled is None:
        return content

    def fill(match: re.Match[str]) -> str:
        token = match[1]
        produce = pending.pop(token, None)
        if produce is None:
            return match[0]
        full, light = produce()
        wrapper = _WRAPPER.format(token=token, light=light)
        filled[token] = (wrapper, full)
        return wrapper

    return _PLACEHOLDER.sub(fill, content)


def fill_for_page(output: str) -> str:
    """Put each example's full HTML in place of its light version in the written page."""
    filled = _state.filled
    if not filled:
        return output

    def fill(match: re.Match[str]) -> str:
        entry = filled.get(match[1])
        if entry is None or entry[0] != match[0]:
            return match[0]
        del filled[match[1]]
        return entry[1]

    return _FILLED.sub(fill, output)


def light_version(*texts: str) -> str:
    """The example as the search sees it: its code and transcripts, as plain text."""
    return "\n".join(
        f"<pre><code>{html.escape(text, quote=False)}</code></pre>" for text in texts if text
    )
