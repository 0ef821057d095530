"""French typography in the text a reader sees, checked on the sources so errors name a line.

The rules (see CONTRIBUTING.md): a no-break space before « : », « ; », « ? », « ! » and inside
guillemets (an ordinary space there lets the browser wrap the line before the punctuation), and
the typographic apostrophe. Code, HTML comments and tags, link targets and Markdown syntax are
not prose and are left out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: No-break space, and the narrow one some typographers prefer: both keep the text together.
NO_BREAK = "\u00a0\u202f"

_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$")
_NOT_PROSE = re.compile(
    r"(`+).+?\1"  # inline code
    r"|<!--.*?-->"  # HTML comment
    r"|<[^<>\n]+>"  # HTML tag or autolink
    r"|\]\([^)\s]*(?:\s+\"[^\"]*\")?\)",  # link or image target
    re.S,
)

_NB = "\u00a0"


def _sign(sign: str) -> str:
    return f"«{_NB}{sign}{_NB}»"


#: (pattern, message): the pattern's group 1, when present, is the punctuation sign concerned.
_CHECKS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?<=\S) ([:;?!])"), "espace ordinaire devant {sign}, il faut une insécable"),
    (re.compile(r"(?<=[\w»)\]*_])([;?!])"), "espace insécable manquante devant {sign}"),
    (re.compile(f"«(?![{NO_BREAK}])"), "espace insécable manquante après le guillemet ouvrant"),
    (re.compile(f"(?<![{NO_BREAK}])»"), "espace insécable manquante avant le guillemet fermant"),
    (re.compile(r"(?<=\w)'"), "apostrophe droite, il faut l’apostrophe typographique (’)"),
)


@dataclass(frozen=True)
class TypographyError:
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"ligne {self.line}, colonne {self.column}{_NB}: {self.message}"


def _mask(text: str) -> str:
    """Replace everything that is not prose by ``x`` (lines and lengths kept, so are positions)."""
    lines = text.split("\n")
    fence: str | None = None
    for index, line in enumerate(lines):
        opening = _FENCE.match(line)
        if fence is not None:
            if opening and opening[1][0] == fence[0] and len(opening[1]) >= len(fence):
                fence = None
            lines[index] = ""
        elif opening:
            fence = opening[1]
            lines[index] = ""
        elif _TABLE_RULE.match(line) and "-" in line:
            lines[index] = ""
    masked = "\n".join(lines)

    def hide(match: re.Match[str]) -> str:
        return re.sub(r"[^\n]", "x", match[0])

    return _NOT_PROSE.sub(hide, masked)


def typography_errors(text: str) -> list[TypographyError]:
    """Every French spacing mistake in the prose of a Markdown (or SVG) text, in order."""
    masked = _mask(text)
    errors: list[TypographyError] = []
    for pattern, message in _CHECKS:
        for match in pattern.finditer(masked):
            position = match.start()
            line = masked.count("\n", 0, position) + 1
            column = position - (masked.rfind("\n", 0, position) + 1) + 1
            sign = _sign(match[1]) if pattern.groups else ""
            errors.append(TypographyError(line, column, message.format(sign=sign)))
    return sorted(errors, key=lambda error: (error.line, error.column))
