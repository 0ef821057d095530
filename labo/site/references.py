"""Find ``/// exemple | path`` blocks in a page's Markdown, with their line numbers.

Used before rendering (to submit every example early), by the Markdown extension (to name the line
of a block in messages, and to turn a malformed block into an error), and by the tests (every
example is used by a page).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from labo.runner.service import DEFAULT_TIMEOUT

BLOCK_NAME = "exemple"
TIMEOUT_OPTION = "délai"
MAX_TIMEOUT = 120.0

_HEADER = re.compile(r"^(?P<fence>/{3,})\s*exemple\b(?P<rest>.*)$")
_OPTION = re.compile(r"^\s{2,}(?P<key>[^:\s]+)\s*:\s*(?P<value>.*?)\s*$")


@dataclass(frozen=True)
class Reference:
    """One ``exemple`` block: where it is, what it names, its options, or why it is malformed."""

    line: int  # 1-based line of the header in the page
    end_line: int  # 1-based line of the closing fence (== line when missing)
    path: str
    timeout: float = DEFAULT_TIMEOUT
    problem: str | None = None


def scan(markdown: str) -> list[Reference]:
    """Every ``exemple`` block of ``markdown``, in page order (fenced code blocks are skipped)."""
    return list(_scan(markdown.splitlines()))


def _scan(lines: list[str]) -> Iterator[Reference]:
    in_code: str | None = None
    index = 0
    while index < len(lines):
        line = lines[index]
        stripped = line.lstrip()
        fence = re.match(r"^(`{3,}|~{3,})", stripped)
        if fence:
            marker = fence.group(1)
            if in_code is None:
                in_code = marker[0] * len(marker)
            elif stripped.startswith(in_code):
                in_code = None
            index += 1
            continue
        header = None if in_code else _HEADER.match(line)
        if header is None:
            index += 1
            continue
        reference, index = _parse_block(lines, index, header)
        yield reference


def _parse_block(lines: list[str], start: int, header: re.Match[str]) -> tuple[Reference, int]:
    number = start + 1
    fence = header["fence"]
    rest = header["rest"].strip()
    problem: str | None = None
    path = ""
    if not rest.startswith("|"):
        problem = (
            "le bloc « exemple » doit nommer un fichier après une barre verticale : "
            "/// exemple | examples/pop3/deux_appareils.py"
        )
    else:
        path = rest[1:].strip()
        if not path:
            problem = "le bloc « exemple » ne nomme aucun fichier après « | »."
    timeout = DEFAULT_TIMEOUT
    index = start + 1
    while index < len(lines) and (option := _OPTION.match(lines[index])):
        key, value = option["key"], option["value"]
        if key != TIMEOUT_OPTION:
            problem = problem or (
                f"option « {key} » inconnue dans le bloc « exemple ». "
                f"Seule « {TIMEOUT_OPTION} » (en secondes) est reconnue."
            )
        else:
            try:
                timeout = float(value)
            except ValueError:
                timeout = -1.0
            if not 0 < timeout <= MAX_TIMEOUT:
                problem = problem or (
                    f"« {TIMEOUT_OPTION}: {value} » n'est pas un nombre de secondes "
                    f"entre 1 et {MAX_TIMEOUT:g}."
                )
                timeout = DEFAULT_TIMEOUT
        index += 1
    while index < len(lines) and lines[index].strip() != fence:
        if _HEADER.match(lines[index]):
            break
        index += 1
    if index >= len(lines) or lines[index].strip() != fence:
        problem = problem or (
            f"le bloc « exemple » ouvert ligne {number} n'est jamais fermé : "
            f"ajoutez une ligne « {fence} » après la légende."
        )
        return Reference(number, number, path, timeout, problem), start + 1
    return Reference(number, index + 1, path, timeout, problem), index + 1


def scan_docs(docs_dir: Path) -> dict[str, list[Reference]]:
    """The blocks of every Markdown page under ``docs_dir``, keyed by page path (posix)."""
    found: dict[str, list[Reference]] = {}
    for page in sorted(docs_dir.rglob("*.md")):
        references = scan(page.read_text(encoding="utf-8"))
        if references:
            found[page.relative_to(docs_dir).as_posix()] = references
    return found
