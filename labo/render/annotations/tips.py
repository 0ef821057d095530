"""Tooltips of annotated tokens: each explanation written once, in a stylesheet, not on every token.

A token carries the short key of its entry (``data-t="e42"``); the lexicon of its block ends with
a ``<style>`` that gives each of its keys the text of the tooltip, as generated content:
``[data-t=e42]:is(:hover,:focus)::after{content:"…"}`` (``labo.css`` draws the box). Generated
content is never selected, copied or indexed with the transcript, and the search skips styles.

Each block's sheet is complete, so the block shows its tooltips on any page, with any generator,
and after Material's instant navigation (which swaps the article, its styles included). On a
built page :func:`page_once` then keeps the first copy of each rule: a page of twelve transcripts
carries each explanation once in its sheets instead of once per token.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

#: The token's attribute that names its entry's rule.
KEY = "data-t"
#: Marks the ``<style>`` elements this module writes, so that :func:`page_once` finds them.
SHEET = "data-labo-tips"

#: What a CSS string in a ``<style>`` cannot hold as is: its quote, the backslash, control
#: characters (a newline would end the string) and ``<`` (``</style>`` would end the element).
_UNSAFE = re.compile(r'["\\<\x00-\x1f\x7f]')
_SHEETS = re.compile(f"(<style {SHEET}>)(.*?)(</style>)", re.S)


def _escape(match: re.Match[str]) -> str:
    character = match[0]
    if character in '"\\':
        return "\\" + character
    # A hex escape ends at the next space, which it swallows: always write that space.
    return f"\\{ord(character):x} "


def css_string(value: str) -> str:
    """``value`` as a double-quoted CSS string that reads back exactly, safe in ``<style>``."""
    return '"' + _UNSAFE.sub(_escape, value) + '"'


def rule(key: str, tip: str) -> str:
    """The rule that shows ``tip`` under a token with ``key``, on hover and on focus (a tap)."""
    return f"[{KEY}={key}]:is(:hover,:focus)::after{{content:{css_string(tip)}}}"


def sheet(tips: Iterable[tuple[str, str]]) -> str:
    """A ``<style>`` of one rule per line, for each ``(key, tip)``; empty without any."""
    rules = "\n".join(rule(key, tip) for key, tip in tips)
    return f"<style {SHEET}>{rules}</style>" if rules else ""


def page_once(page: str) -> str:
    """``page`` with each rule of its sheets kept only where it first appears.

    Rules are compared as written: one key always gives one text on a page. A sheet left empty
    is removed.
    """
    seen: set[str] = set()

    def first_copies(match: re.Match[str]) -> str:
        kept = [line for line in match[2].split("\n") if line not in seen]
        seen.update(kept)
        return f"{match[1]}{chr(10).join(kept)}{match[3]}" if kept else ""

    return _SHEETS.sub(first_copies, page)
