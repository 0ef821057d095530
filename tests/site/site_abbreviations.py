"""Read includes/abreviations.md, the abbreviation definitions appended to every page."""

from __future__ import annotations

import re
from pathlib import Path

#: Python-Markdown's abbreviation syntax: ``*[SMTP]: Simple Mail Transfer Protocol``.
DEFINITION = re.compile(r"^\*\[(?P<abbr>[^\]]+)\]:[ \t]*(?P<title>.*)$")


def read_abbreviations(path: Path) -> list[tuple[str, str]]:
    """``(abbreviation, expansion)`` for each definition line, in file order."""
    definitions = []
    for line in path.read_text(encoding="utf-8").splitlines():
        match = DEFINITION.match(line)
        if match:
            definitions.append((match["abbr"], match["title"].strip()))
    return definitions


def stray_lines(path: Path) -> list[str]:
    """Non-blank lines that are not definitions: on every page they would show up as text."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.strip() and not DEFINITION.match(line)]
