"""French typography in what a reader sees: checked with file, line and column, fixed when safe.

The rules (see CONTRIBUTING.md): a no-break space before « : », « ; », « ? », « ! » and inside
guillemets (an ordinary space there lets the browser wrap the line before the punctuation), and
the typographic apostrophe. Code, HTML comments and tags, link targets, URLs, emoji shortcodes,
front matter keys and Markdown syntax are not prose and are left alone.

Checked: the pages (``docs/``), the shared snippets (``includes/``), the guide
(``CONTRIBUTING.md``), and in ``examples/`` the titles (first docstring line) and the device
labels (``appareil("…")``), which the site shows.

``python -m labo.typography`` lists the mistakes; ``--corriger`` (``make typo``) fixes them.
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

NB = "\u00a0"
#: No-break space, and the narrow one some typographers prefer: both keep the text together.
NO_BREAK = "\u00a0\u202f"
APOSTROPHE = "\u2019"

_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$")
_FRONT_MATTER_KEY = re.compile(r"^\s*[\w-]+:")
_NOT_PROSE = re.compile(
    r"(`+).+?\1"  # inline code
    r"|<!--.*?-->"  # HTML comment
    r"|<[^<>\n]+>"  # HTML tag or autolink
    r"|\]\([^)\s]*(?:\s+\"[^\"]*\")?\)"  # link or image target
    r"|\b[a-z][a-z0-9+.-]*://[^\s<>)\]]+"  # bare URL
    r"|(?<!\S):[a-z0-9_+-]+:(?!\S)",  # emoji shortcode (:material-email:)
    re.S,
)


def _sign(sign: str) -> str:
    return f"«{NB}{sign}{NB}»"


@dataclass(frozen=True)
class _Rule:
    pattern: re.Pattern[str]
    message: str


#: The pattern's group 1, when present, is the punctuation sign concerned.
_RULES: tuple[_Rule, ...] = (
    _Rule(re.compile(r"(?<=\S) ([:;?!])"), "espace ordinaire devant {sign}, il faut une insécable"),
    _Rule(re.compile(r"(?<=[\w»)\]*_])([;?!])"), "espace insécable manquante devant {sign}"),
    _Rule(
        re.compile(f"«(?![{NO_BREAK}])"), "espace insécable manquante après le guillemet ouvrant"
    ),
    _Rule(
        re.compile(f"(?<![{NO_BREAK}])»"), "espace insécable manquante avant le guillemet fermant"
    ),
    _Rule(re.compile(r"(?<=\w)'"), "apostrophe droite, il faut l’apostrophe typographique (’)"),
)


@dataclass(frozen=True)
class TypographyError:
    """A mistake at ``line`` and ``column`` (both from 1) of a text."""

    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"ligne {self.line}, colonne {self.column}{NB}: {self.message}"


@dataclass(frozen=True)
class Finding:
    """A mistake in a file of the project, printed as ``chemin:ligne:colonne : message``."""

    path: str
    error: TypographyError

    def __str__(self) -> str:
        return f"{self.path}:{self.error.line}:{self.error.column}{NB}: {self.error.message}"


@dataclass(frozen=True)
class _Edit:
    start: int
    end: int
    replacement: str


def _blank(line: str) -> str:
    return "x" * len(line)


def _mask(text: str) -> str:
    """Replace everything that is not prose by ``x`` (lines and lengths kept, so are positions)."""
    lines = text.split("\n")
    fence: str | None = None
    front_matter = bool(lines) and lines[0].strip() == "---"
    for index, line in enumerate(lines):
        if front_matter:
            if index > 0 and line.strip() in ("---", "..."):
                front_matter = False
                lines[index] = _blank(line)
            elif index > 0:
                lines[index] = _FRONT_MATTER_KEY.sub(lambda key: "x" * len(key[0]), line)
            else:
                lines[index] = _blank(line)
            continue
        opening = _FENCE.match(line)
        if fence is not None:
            if opening and opening[1][0] == fence[0] and len(opening[1]) >= len(fence):
                fence = None
            lines[index] = _blank(line)
        elif opening:
            fence = opening[1]
            lines[index] = _blank(line)
        elif _TABLE_RULE.match(line) and "-" in line:
            lines[index] = _blank(line)
    masked = "\n".join(lines)

    def hide(match: re.Match[str]) -> str:
        return re.sub(r"[^\n]", "x", match[0])

    return _NOT_PROSE.sub(hide, masked)


def _matches(text: str) -> Iterator[tuple[_Rule, re.Match[str]]]:
    masked = _mask(text)
    for rule in _RULES:
        for match in rule.pattern.finditer(masked):
            yield rule, match


def _position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def typography_errors(text: str) -> list[TypographyError]:
    """Every French spacing mistake in the prose of a Markdown (or SVG) text, in order."""
    errors: list[TypographyError] = []
    for rule, match in _matches(text):
        sign = _sign(match[1]) if rule.pattern.groups else ""
        errors.append(
            TypographyError(*_position(text, match.start()), rule.message.format(sign=sign))
        )
    return sorted(errors, key=lambda error: (error.line, error.column))


def _edits(text: str) -> list[_Edit]:
    """What ``fix_text`` changes: each match becomes a no-break space or an apostrophe."""
    edits: list[_Edit] = []
    for rule, match in _matches(text):
        index = _RULES.index(rule)
        start = match.start()
        if index == 0:  # "mot :" -> "mot\u00a0:"
            edits.append(_Edit(start, start + 1, NB))
        elif index == 1:  # "mot?" -> "mot\u00a0?"
            edits.append(_Edit(start, start, NB))
        elif index == 2:  # "« mot" or "«mot" -> "«\u00a0mot"
            after = match.end()
            end = after + 1 if text[after : after + 1] == " " else after
            edits.append(_Edit(after, end, NB))
        elif index == 3:  # "mot »" or "mot»" -> "mot\u00a0»"
            begin = start - 1 if start > 0 and text[start - 1] == " " else start
            edits.append(_Edit(begin, start, NB))
        else:  # "l'enveloppe" -> "l’enveloppe"
            edits.append(_Edit(start, start + 1, APOSTROPHE))
    return edits


def _apply(text: str, edits: Iterable[_Edit]) -> str:
    for edit in sorted(set(edits), key=lambda edit: (edit.start, edit.end), reverse=True):
        text = text[: edit.start] + edit.replacement + text[edit.end :]
    return text


def fix_text(text: str) -> str:
    """``text`` with every mistake ``typography_errors`` reports fixed; code is never touched."""
    return _apply(text, _edits(text))


# --- Python examples: the title and the device labels -----------------------------------------


@dataclass(frozen=True)
class _Segment:
    """Prose inside a Python string literal: ``start`` is its offset in the source."""

    start: int
    text: str
    #: False for a literal with backslash escapes: checked on its value, never rewritten.
    exact: bool


_QUOTE = re.compile(r"[rRuU]?(\"\"\"|'''|\"|')")


def _offsets(source: str) -> list[int]:
    starts = [0]
    starts.extend(match.end() for match in re.finditer("\n", source))
    return starts


def _char_column(line: str, byte_column: int) -> int:
    return len(line.encode("utf-8")[:byte_column].decode("utf-8", errors="ignore"))


def _literal(source: str, starts: list[int], node: ast.Constant) -> _Segment | None:
    """The first line of string literal ``node``, between its quotes."""
    if not isinstance(node.value, str) or node.lineno is None:
        return None
    lines = source.split("\n")
    line = lines[node.lineno - 1]
    column = _char_column(line, node.col_offset)
    quote = _QUOTE.match(line, column)
    if quote is None:
        return None
    begin = quote.end()
    closing = line.find(quote[1], begin)
    end = closing if closing >= 0 else len(line)
    raw = line[begin:end]
    if "\\" in raw:
        return _Segment(starts[node.lineno - 1] + begin, node.value.split("\n")[0], exact=False)
    return _Segment(starts[node.lineno - 1] + begin, raw, exact=True)


def _segments(source: str) -> list[_Segment]:
    """The example's title (docstring's first line) and its ``appareil("…")`` labels."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    starts = _offsets(source)
    literals: list[ast.Constant] = []
    first = tree.body[0] if tree.body else None
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
        literals.append(first.value)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
        if name == "appareil" and isinstance(node.args[0], ast.Constant):
            literals.append(node.args[0])
    found = (_literal(source, starts, literal) for literal in literals)
    return [segment for segment in found if segment is not None and segment.text]


def python_errors(source: str) -> list[TypographyError]:
    """The mistakes in an example's title and device labels, at their place in ``source``."""
    errors: list[TypographyError] = []
    for segment in _segments(source):
        line, column = _position(source, segment.start)
        for error in typography_errors(segment.text):
            shift = error.column - 1 if segment.exact else 0
            errors.append(TypographyError(line, column + shift, error.message))
    return sorted(errors, key=lambda error: (error.line, error.column))


def fix_python(source: str) -> str:
    """``source`` with its title and device labels fixed (literals with escapes are left)."""
    edits: list[_Edit] = []
    for segment in _segments(source):
        if segment.exact:
            shift = segment.start
            edits.extend(
                _Edit(e.start + shift, e.end + shift, e.replacement) for e in _edits(segment.text)
            )
    return _apply(source, edits)


# --- the project's files --------------------------------------------------------------------


def project_files(root: Path) -> list[Path]:
    """Every file whose text a reader sees on the site."""
    files = [
        *(root / "docs").rglob("*.md"),
        *(root / "docs").rglob("*.svg"),
        *(root / "includes").rglob("*.md"),
        *(root / "examples").rglob("*.py"),
    ]
    if (root / "CONTRIBUTING.md").is_file():
        files.append(root / "CONTRIBUTING.md")
    return sorted(files)


def _shown(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def check_file(path: Path, root: Path) -> list[Finding]:
    """The mistakes in one file, Markdown/SVG prose or a Python example."""
    text = path.read_text(encoding="utf-8")
    errors = python_errors(text) if path.suffix == ".py" else typography_errors(text)
    return [Finding(_shown(path, root), error) for error in errors]


def fix_file(path: Path) -> bool:
    """Fix one file in place; True when it changed."""
    text = path.read_text(encoding="utf-8")
    fixed = fix_python(text) if path.suffix == ".py" else fix_text(text)
    if fixed == text:
        return False
    path.write_text(fixed, encoding="utf-8")
    return True


def check_project(root: Path, paths: Iterable[Path] | None = None) -> list[Finding]:
    files = project_files(root) if paths is None else list(paths)
    return [finding for path in files for finding in check_file(path, root)]


HOW_TO_TYPE = (
    "Pour taper l’espace insécable (U+00A0)\u00a0: AltGr+Maj+Espace (Linux, clavier français), "
    "Alt+0160 (Windows), Option+Espace (macOS)\u00a0; ou laissez «\u00a0make typo\u00a0» "
    "corriger."
)


def _relevant(path: Path) -> bool:
    """A file given on the command line (pre-commit) that this check is about."""
    return path.suffix in (".md", ".svg") or (path.suffix == ".py" and "examples" in path.parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m labo.typography",
        description="Vérifie (ou corrige) la typographie française des pages, des inclusions et "
        "des titres et appareils des exemples.",
    )
    parser.add_argument(
        "fichiers", nargs="*", type=Path, help="fichiers à traiter (tous ceux du site par défaut)"
    )
    parser.add_argument(
        "--corriger",
        action="store_true",
        help="corrige sur place ce qui peut l’être sans risque (espaces insécables, apostrophes)",
    )
    args = parser.parse_args(argv)
    root = Path.cwd()
    paths = [p for p in args.fichiers if _relevant(p)] if args.fichiers else project_files(root)
    if args.corriger:
        changed = [path for path in paths if fix_file(path)]
        for path in changed:
            print(f"corrigé{NB}: {_shown(path, root)}")
        if any(path.suffix == ".py" for path in changed):
            print(
                "Un libellé d’appareil corrigé change la transcription de son exemple\u00a0: "
                "relisez-la et approuvez-la à nouveau (make bless F=examples/…)."
            )
    findings = check_project(root, paths)
    for finding in findings:
        print(finding, file=sys.stderr)
    if findings:
        word = "faute" if len(findings) == 1 else "fautes"
        print(f"{len(findings)} {word} de typographie. {HOW_TO_TYPE}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
