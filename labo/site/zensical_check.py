"""``make zensical``: build the site with Zensical too, and check that every transcript a reader
can copy is byte for byte the one MkDocs builds.

Material for MkDocs reaches end of life on 2027-05-05 and Zensical succeeds it; the examples live
in a Markdown extension so that the move keeps them. This check shows it still holds.

Zensical builds a fresh copy of the project: its ``site_dir`` must lie inside the project, and
its page cache would keep pages whose examples changed. Its ``--strict`` lets our extension's
warnings through (exit 0), so an error box in its site counts as a difference here.
"""

from __future__ import annotations

import argparse
import html
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from labo.render.error import BOX
from labo.site.project import copy_project

NB = "\u00a0"
DEFAULT_ZENSICAL = Path(".venv-zensical/bin/zensical")
BUILD_TIMEOUT_S = 600


@dataclass(frozen=True, order=True)
class Block:
    """A transcript on the built site: the page's source (``docs/smtp.md``) and the block's id."""

    page: str
    block_id: str


@dataclass(frozen=True)
class BuiltSite:
    """What one page of a built site holds that this check compares."""

    transcripts: dict[Block, str]
    error_boxes: list[str]  # source pages showing an error box


#: A numeric character reference: decoded here as a browser does, control characters included
#: (``html.unescape`` drops those, and transcripts carry ESC and friends as ``&#27;``).
_NUMERIC_REFERENCE = re.compile(r"&#(?:[xX]([0-9a-fA-F]+)|([0-9]+));")
_ATTRIBUTE = re.compile(r"""\s([a-zA-Z-]+)=(?:"([^"]*)"|'([^']*)')""")


def _decode(raw: str) -> str:
    """An attribute value as written → the text a browser gives the copy button."""
    parts: list[str] = []
    position = 0
    for match in _NUMERIC_REFERENCE.finditer(raw):
        parts.append(html.unescape(raw[position : match.start()]))
        code = int(match[1], 16) if match[1] else int(match[2])
        parts.append(chr(code) if 0 < code <= sys.maxunicode else "\ufffd")
        position = match.end()
    parts.append(html.unescape(raw[position:]))
    return "".join(parts)


class _PageScanner(HTMLParser):
    """Collects the ``data-copy`` text of every block with an id, and counts error boxes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.copies: dict[str, str] = {}
        self.error_boxes = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if BOX in (values.get("class") or "").split():
            self.error_boxes += 1
        block_id = values.get("id")
        if block_id is None or "data-copy" not in values:
            return
        # The value as written, decoded below: HTMLParser's own decoding drops control characters.
        raw = {
            m[1]: m[2] if m[2] is not None else m[3]
            for m in _ATTRIBUTE.finditer(self.get_starttag_text() or "")
        }
        written = raw.get("data-copy")  # None only if unquoted: no reference to decode then
        self.copies[block_id] = values["data-copy"] or "" if written is None else _decode(written)


def source_page(html_page: Path, site_dir: Path, docs_dir: Path) -> str:
    """``smtp/index.html`` → ``docs/smtp.md`` (``docs/smtp/index.md`` when that one exists)."""
    relative = html_page.relative_to(site_dir)
    if relative.name == "index.html":
        parts = relative.parent.parts
        candidates = [Path(*parts, "index.md")]
        if parts:
            candidates.append(Path(*parts[:-1], f"{parts[-1]}.md"))
    else:
        candidates = [relative.with_suffix(".md")]
    for candidate in candidates:
        if (docs_dir / candidate).is_file():
            return f"{docs_dir.name}/{candidate.as_posix()}"
    return f"{relative.as_posix()} (page construite)"


def read_site(site_dir: Path, docs_dir: Path) -> BuiltSite:
    """Every transcript of a built site, keyed by page and block id."""
    transcripts: dict[Block, str] = {}
    error_boxes: list[str] = []
    for html_page in sorted(site_dir.rglob("*.html")):
        scanner = _PageScanner()
        scanner.feed(html_page.read_text(encoding="utf-8"))
        scanner.close()
        page = source_page(html_page, site_dir, docs_dir)
        for block_id, copy in scanner.copies.items():
            transcripts[Block(page, block_id)] = copy
        error_boxes += [page] * scanner.error_boxes
    return BuiltSite(transcripts, error_boxes)


def _first_difference(expected: str, actual: str) -> str:
    """Where two transcripts part: the first line that differs, as each generator wrote it."""
    expected_lines, actual_lines = expected.split("\n"), actual.split("\n")
    for number, (left, right) in enumerate(zip(expected_lines, actual_lines, strict=False), 1):
        if left != right:
            return f"ligne {number}{NB}: MkDocs «{NB}{left!r}{NB}», Zensical «{NB}{right!r}{NB}»"
    number = min(len(expected_lines), len(actual_lines)) + 1
    longer = "MkDocs" if len(expected_lines) > len(actual_lines) else "Zensical"
    return f"à partir de la ligne {number}, seul {longer} a encore du texte"


def differences(mkdocs: BuiltSite, zensical: BuiltSite) -> list[str]:
    """Every way the Zensical site departs from the MkDocs one, in French, one line each."""
    found: list[str] = []
    if not mkdocs.transcripts:
        found.append("le site MkDocs ne contient aucune transcription (data-copy)")
    for block in sorted(mkdocs.transcripts.keys() | zensical.transcripts.keys()):
        where = f"{block.page}, exemple «{NB}{block.block_id}{NB}»"
        expected, actual = mkdocs.transcripts.get(block), zensical.transcripts.get(block)
        if actual is None:
            found.append(f"{where}{NB}: absent du site Zensical")
        elif expected is None:
            found.append(f"{where}{NB}: absent du site MkDocs")
        elif expected != actual:
            found.append(
                f"{where}{NB}: transcription différente, {_first_difference(expected, actual)}"
            )
    for page in sorted(set(zensical.error_boxes)):
        count = zensical.error_boxes.count(page)
        found.append(f"{page}{NB}: {count} boîte(s) d’erreur dans le site Zensical")
    return found


@dataclass(frozen=True)
class Build:
    returncode: int
    output: str
    seconds: float


def _run(command: Sequence[str], cwd: Path, env: dict[str, str]) -> Build:
    started = time.monotonic()
    result = subprocess.run(
        command,
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        encoding="utf-8",
        errors="replace",
        timeout=BUILD_TIMEOUT_S,
        check=False,
    )
    return Build(result.returncode, result.stdout, time.monotonic() - started)


def build_with_mkdocs(root: Path, site_dir: Path) -> Build:
    """``mkdocs build --strict`` of the repository itself, as ``make build`` does."""
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    command = [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site_dir)]
    return _run(command, root, env)


def build_with_zensical(root: Path, zensical: Path, project: Path) -> Build:
    """``zensical build --strict --clean`` of a copy of ``root``; the site lands in project/site.

    ``labo`` is imported from ``root`` (``PYTHONPATH``): Zensical's environment holds the lab's
    dependencies but neither MkDocs nor the project itself.
    """
    copy_project(root, project)
    path = os.pathsep.join(p for p in (str(root), os.environ.get("PYTHONPATH", "")) if p)
    env = dict(os.environ, PYTHONPATH=path)
    return _run([str(zensical), "build", "--strict", "--clean"], project, env)


def zensical_version(zensical: Path) -> str:
    result = subprocess.run(
        [str(zensical), "--version"], capture_output=True, text=True, check=False, timeout=60
    )
    return result.stdout.strip() or "version inconnue"


def _indented(output: str) -> Iterator[str]:
    for line in output.rstrip().splitlines():
        yield f"    {line}"


def check(root: Path, zensical: Path, work: Path, mkdocs_site: Path | None = None) -> int:
    """Build with both generators and compare; 0 when every transcript is identical."""
    docs_dir = root / "docs"
    if mkdocs_site is None:
        mkdocs_site = work / "site-mkdocs"
        print("Construction avec MkDocs…", flush=True)
        mkdocs = build_with_mkdocs(root, mkdocs_site)
        if mkdocs.returncode != 0:
            print("La construction MkDocs a échoué (make build la refait)\u00a0:", file=sys.stderr)
            print("\n".join(_indented(mkdocs.output)), file=sys.stderr)
            return 2
        print(f"MkDocs{NB}: construit en {mkdocs.seconds:.1f}{NB}s.")
    print(f"Construction avec Zensical {zensical_version(zensical)}…", flush=True)
    project = work / "projet-zensical"
    zensical_build = build_with_zensical(root, zensical, project)
    if zensical_build.returncode != 0:
        print("La construction Zensical a échoué\u00a0:", file=sys.stderr)
        print("\n".join(_indented(zensical_build.output)), file=sys.stderr)
        return 2
    print(f"Zensical{NB}: construit en {zensical_build.seconds:.1f}{NB}s.")
    expected = read_site(mkdocs_site, docs_dir)
    found = differences(expected, read_site(project / "site", docs_dir))
    if found:
        print(f"{len(found)} différence(s) entre Zensical et MkDocs{NB}:", file=sys.stderr)
        for line in found:
            print(f"  - {line}", file=sys.stderr)
        print("Ce qu’a affiché Zensical\u00a0:", file=sys.stderr)
        print("\n".join(_indented(zensical_build.output)), file=sys.stderr)
        return 1
    pages = len({block.page for block in expected.transcripts})
    print(
        f"{len(expected.transcripts)} transcriptions identiques octet pour octet "
        f"sous MkDocs et Zensical ({pages} pages)."
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m labo.site.zensical_check",
        description="Construit le site avec Zensical et compare chaque transcription "
        "avec celle de MkDocs (make zensical).",
    )
    parser.add_argument(
        "--zensical",
        type=Path,
        default=DEFAULT_ZENSICAL,
        help=f"la commande zensical à utiliser (par défaut{NB}: {DEFAULT_ZENSICAL})",
    )
    parser.add_argument(
        "--site-mkdocs",
        type=Path,
        default=None,
        help="un site déjà construit par mkdocs build --strict, au lieu d’en construire un",
    )
    args = parser.parse_args(argv)
    root = Path.cwd()
    if not (root / "mkdocs.yml").is_file():
        parser.error("lancez cette commande depuis la racine du dépôt (là où est mkdocs.yml)")
    if not args.zensical.is_file():
        parser.error(f"{args.zensical} n’existe pas{NB}: make zensical crée .venv-zensical")
    with tempfile.TemporaryDirectory(prefix="messagerie-zensical-") as work:
        return check(root, args.zensical.resolve(), Path(work), args.site_mkdocs)


if __name__ == "__main__":
    sys.exit(main())
