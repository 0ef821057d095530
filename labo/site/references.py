"""Find ``/// exemple | path`` blocks in a page's Markdown, with their line numbers.

Used before rendering (to submit every example early), by the Markdown extension (to name the line
of a block in messages, and to turn a malformed block into an error), and by the tests (every
example is used by a page).

The rules are those of ``pymdownx.blocks``, which renders the blocks: a header ``/// name | path``
indented by at most three spaces inside its container (a note, a tab, a list item), options as YAML
lines indented by four more spaces right below it, and a closing fence of the same length. The
scanner must never accept what pymdownx refuses: pymdownx shows a block it refuses as plain text,
without a word, so everything the scanner flags is replaced by an error box before it gets there.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

from labo.runner.limits import DEFAULT_TIMEOUT, MAX_TIMEOUT, MIN_TIMEOUT

BLOCK_NAME = "exemple"
TIMEOUT_OPTION = "délai"

#: Python-Markdown expands tabs to this many columns before any block is recognised.
_TAB_LENGTH = 4
_NB = "\u00a0"

_HEADER = re.compile(r"^(?P<indent>[ ]*)(?P<fence>/{3,})[ ]*(?P<name>[\w-]+)(?P<rest>.*)$")
_ARGUMENT = re.compile(r"^[ ]*(?:\|[ ]*(?P<path>.*?))?[ ]*$")
_CODE_FENCE = re.compile(r"^[ ]*(`{3,}|~{3,})")
#: Lines that open a container whose indented content Python-Markdown parses as Markdown again:
#: admonitions and details, content tabs, blocks, list items, footnotes, definitions.
_CONTAINER = re.compile(
    r"^[ ]*(?:!!!|\?\?\?\+?|===[!+]?[ ]|/{3,}|[-*+][ ]|\d+[.)][ ]|\[\^[^\]]+\]:|:[ ])"
)
_MISPLACED_TIMEOUT = re.compile(rf"^[ ]*{TIMEOUT_OPTION}[ ]*:")


@dataclass(frozen=True)
class Reference:
    """One ``exemple`` block: where it is, what it names, its options, or why it is malformed."""

    line: int  # 1-based line of the header in the page
    end_line: int  # 1-based line of the closing fence (== line when missing)
    path: str
    timeout: float = DEFAULT_TIMEOUT
    problem: str | None = None


def scan(markdown: str, first_line: int = 1) -> list[Reference]:
    """Every ``exemple`` block of ``markdown``, in page order (code blocks are skipped).

    ``first_line`` is the page line where ``markdown`` starts: MkDocs strips the front matter
    before Markdown sees the page, and authors count lines in the file.
    """
    lines = [line.expandtabs(_TAB_LENGTH) for line in markdown.split("\n")]
    return list(_scan(lines, first_line - 1))


def _scan(lines: list[str], offset: int) -> Iterator[Reference]:
    in_code: str | None = None
    index = 0
    while index < len(lines):
        line = lines[index]
        fence = _CODE_FENCE.match(line)
        if fence:
            marker = fence.group(1)
            if in_code is None:
                in_code = marker
            elif marker[0] == in_code[0] and len(marker) >= len(in_code):
                in_code = None
            index += 1
            continue
        header = None if in_code else _HEADER.match(line)
        if header is None or not _is_ours(header) or not _starts_a_block(lines, index):
            index += 1
            continue
        reference, index = _parse_block(lines, index, header, offset)
        yield reference


def _is_ours(header: re.Match[str]) -> bool:
    """``exemple`` in any case, and names that look like a typing mistake for it (``exemples``)."""
    return header["name"].lower().startswith(BLOCK_NAME)


def _starts_a_block(lines: list[str], index: int) -> bool:
    """Whether pymdownx sees a block header here, not a line of an indented code block.

    Up to three spaces: a header at the top of the page. Deeper, the header must sit inside a
    container: the nearest less indented line above opens one (``!!! note``, ``=== "Onglet"``,
    ``- point``…) and the header is at most three spaces deeper than that container's content.
    """
    indent = _indent(lines[index])
    if indent < _TAB_LENGTH:
        return True
    for above in range(index - 1, -1, -1):
        line = lines[above]
        if not line.strip() or _indent(line) >= indent:
            continue
        return bool(_CONTAINER.match(line)) and indent - _indent(line) < 2 * _TAB_LENGTH
    return False


def _parse_block(
    lines: list[str], start: int, header: re.Match[str], offset: int
) -> tuple[Reference, int]:
    """The block whose header is ``lines[start]``; numbers are page lines (``offset`` added)."""
    number = start + 1 + offset
    fence = header["fence"]
    indent = len(header["indent"])
    problem = _header_problem(header)
    argument = _ARGUMENT.match(header["rest"])
    path = (argument["path"] or "") if argument else ""
    index = start + 1
    options: list[str] = []
    while index < len(lines) and _is_option_line(lines[index], indent):
        options.append(lines[index])
        index += 1
    timeout, option_problem = _parse_options(options)
    problem = problem or option_problem
    if problem is None and index < len(lines) and _MISPLACED_TIMEOUT.match(lines[index]):
        problem = (
            f"l'option «{_NB}{TIMEOUT_OPTION}{_NB}» doit être indentée de quatre espaces de plus "
            f"que «{_NB}{fence} {BLOCK_NAME}{_NB}», sur la ligne qui suit l'en-tête. "
            f"Écrivez par exemple{_NB}:\n{fence} {BLOCK_NAME} | {path or 'examples/…'}\n"
            f"    {TIMEOUT_OPTION}: 20"
        )
    while index < len(lines) and lines[index].strip() != fence:
        if (other := _HEADER.match(lines[index])) and _is_ours(other):
            break
        index += 1
    if index >= len(lines) or lines[index].strip() != fence:
        problem = problem or (
            f"le bloc «{_NB}{BLOCK_NAME}{_NB}» ouvert ligne {number} n'est jamais fermé{_NB}: "
            f"ajoutez une ligne «{_NB}{fence}{_NB}» après la légende."
        )
        return Reference(number, number, path, timeout, problem), start + 1
    return Reference(number, index + 1 + offset, path, timeout, problem), index + 1


def _header_problem(header: re.Match[str]) -> str | None:
    name = header["name"]
    if name.lower() != BLOCK_NAME:  # pymdownx ignores the case of block names
        return (
            f"bloc «{_NB}{name}{_NB}» inconnu{_NB}: le bloc des exemples s'appelle "
            f"«{_NB}{BLOCK_NAME}{_NB}», au singulier{_NB}: "
            f"{header['fence']} {BLOCK_NAME} | examples/…"
        )
    argument = _ARGUMENT.match(header["rest"])
    if argument is None or argument["path"] is None:
        return (
            f"le bloc «{_NB}{BLOCK_NAME}{_NB}» doit nommer un fichier après une barre "
            f"verticale{_NB}: /// exemple | examples/pop3/deux_appareils.py"
        )
    if not argument["path"]:
        return f"le bloc «{_NB}{BLOCK_NAME}{_NB}» ne nomme aucun fichier après «{_NB}|{_NB}»."
    return None


def _is_option_line(line: str, header_indent: int) -> bool:
    """pymdownx reads options from the lines right below the header indented by four more."""
    return _indent(line) >= header_indent + _TAB_LENGTH and bool(line.strip())


def _parse_options(lines: list[str]) -> tuple[float, str | None]:
    """The time limit the options set, or why pymdownx would refuse them."""
    if not lines:
        return DEFAULT_TIMEOUT, None
    text = textwrap.dedent("\n".join(lines))
    try:
        options = yaml.safe_load(text)
    except yaml.YAMLError:
        options = None
    if options is None or not isinstance(options, dict):
        return DEFAULT_TIMEOUT, (
            f"les options du bloc «{_NB}{BLOCK_NAME}{_NB}» ne se lisent pas{_NB}: "
            f"écrivez une option par ligne, sous la forme «{_NB}{TIMEOUT_OPTION}: 20{_NB}» "
            "(deux-points collé au nom, suivi d'une espace)."
        )
    for key, value in options.items():
        if key != TIMEOUT_OPTION:
            return DEFAULT_TIMEOUT, (
                f"option «{_NB}{key}{_NB}» inconnue dans le bloc «{_NB}{BLOCK_NAME}{_NB}». "
                f"Seule «{_NB}{TIMEOUT_OPTION}{_NB}» (en secondes) est reconnue."
            )
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not MIN_TIMEOUT <= value <= MAX_TIMEOUT
        ):
            return DEFAULT_TIMEOUT, (
                f"«{_NB}{TIMEOUT_OPTION}: {value}{_NB}» n'est pas un nombre de secondes "
                f"entre {MIN_TIMEOUT:g} et {MAX_TIMEOUT:g}."
            )
    timeout = options.get(TIMEOUT_OPTION, DEFAULT_TIMEOUT)
    return float(timeout), None


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def scan_docs(docs_dir: Path) -> dict[str, list[Reference]]:
    """The blocks of every Markdown page under ``docs_dir``, keyed by page path (posix)."""
    found: dict[str, list[Reference]] = {}
    for page in sorted(docs_dir.rglob("*.md")):
        references = scan(page.read_text(encoding="utf-8"))
        if references:
            found[page.relative_to(docs_dir).as_posix()] = references
    return found
