"""Escaping: every string the renderer puts on a page goes through here, nothing else writes text.

Transcripts carry whatever crossed the wire (``<alice@example.com>``, ``&``, quotes,
``</script>``…), so text is always escaped, never trusted.
"""

from __future__ import annotations

import html
import re

#: C0 controls (except tab and newline) and DEL: invisible or mangled by browsers when raw.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
#: In an attribute every control character, newline included, becomes a character reference so
#: that the value survives any whitespace handling on its way into the page.
_ATTRIBUTE_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_CODE_SPAN = re.compile(r"`([^`]+)`")


def _picture(match: re.Match[str]) -> str:
    """The Unicode "control picture" of a control character (␀, ␛, ␡…), visible and harmless."""
    code = ord(match[0])
    return "\u2421" if code == 0x7F else chr(0x2400 + code)


def text(value: str) -> str:
    """Element content: markup escaped, control characters shown as their pictures."""
    return html.escape(_CONTROL.sub(_picture, value), quote=True)


def attribute(value: str) -> str:
    """A double-quoted attribute value that reads back exactly as ``value``."""
    escaped = html.escape(value, quote=True)
    return _ATTRIBUTE_CONTROL.sub(lambda match: f"&#{ord(match[0])};", escaped)


def inline(value: str) -> str:
    """A title or caption: escaped text where `backquoted` words become ``<code>``.

    Example docstrings name commands that way (« Le téléphone envoie `RETR 1` »).
    """
    parts: list[str] = []
    position = 0
    for match in _CODE_SPAN.finditer(value):
        parts.append(text(value[position : match.start()]))
        parts.append(f"<code>{text(match[1])}</code>")
        position = match.end()
    parts.append(text(value[position:]))
    return "".join(parts)
