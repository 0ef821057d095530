"""The Zensical check (``make zensical``): what it reads from a built site, what it calls a
difference, and, when ``.venv-zensical`` exists, the real comparison with the MkDocs build."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import build_slots
import pytest
from site_build import REPO

from labo.render.error import BOX
from labo.render.escape import attribute
from labo.site.zensical_check import Block, BuiltSite, differences, read_site

ZENSICAL = REPO / ".venv-zensical" / "bin" / "zensical"
NB = "\u00a0"
TRANSCRIPT = "C: EHLO ordinateur.example.com\nS: 250-smtp.example.com\nS: 250 SMTPUTF8"


def _transcript_block(block_id: str, text: str) -> str:
    return f'<div id="{block_id}" class="labo-transcript" data-copy="{attribute(text)}"></div>'


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project with two pages, docs/index.md and docs/smtp.md."""
    (tmp_path / "docs").mkdir()
    for page in ("index.md", "smtp.md"):
        (tmp_path / "docs" / page).write_text("# Page\n", encoding="utf-8")
    return tmp_path


def _site(project: Path, name: str, pages: dict[str, str]) -> Path:
    """A built site named ``name`` whose pages (path: body HTML) are given."""
    site = project / name
    for path, body in pages.items():
        page = site / path
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text(f"<html><body>{body}</body></html>", encoding="utf-8")
    return site


def _read(project: Path, name: str, pages: dict[str, str]) -> BuiltSite:
    return read_site(_site(project, name, pages), project / "docs")


def test_a_transcript_is_read_back_exactly_as_the_reader_copies_it(project: Path) -> None:
    text = 'S: 250 <alice@example.com> "ok" & fin\n\tsuite\x1b'
    built = _read(
        project, "site", {"smtp/index.html": _transcript_block("exemple-a__dialogue", text)}
    )
    assert built.transcripts == {Block("docs/smtp.md", "exemple-a__dialogue"): text}


def test_a_built_page_is_named_after_its_markdown_source(project: Path) -> None:
    pages = {"index.html": _transcript_block("b", TRANSCRIPT)}
    pages["smtp/index.html"] = _transcript_block("a", TRANSCRIPT)
    built = _read(project, "site", pages)
    assert {block.page for block in built.transcripts} == {"docs/index.md", "docs/smtp.md"}


def test_identical_transcripts_make_no_difference(project: Path) -> None:
    pages = {"smtp/index.html": _transcript_block("exemple-a__dialogue", TRANSCRIPT)}
    assert differences(_read(project, "mk", pages), _read(project, "zen", pages)) == []


def test_a_changed_transcript_names_the_page_the_example_and_the_first_line_that_differs(
    project: Path,
) -> None:
    mkdocs = _read(project, "mk", {"smtp/index.html": _transcript_block("exemple-a", TRANSCRIPT)})
    changed = TRANSCRIPT.replace("250 SMTPUTF8", "250 8BITMIME")
    zensical = _read(project, "zen", {"smtp/index.html": _transcript_block("exemple-a", changed)})
    [found] = differences(mkdocs, zensical)
    assert found.startswith(f"docs/smtp.md, exemple «{NB}exemple-a{NB}»{NB}: ")
    assert "ligne 3" in found
    assert "8BITMIME" in found


def test_a_transcript_missing_from_the_zensical_site_is_a_difference(project: Path) -> None:
    mkdocs = _read(project, "mk", {"smtp/index.html": _transcript_block("exemple-a", TRANSCRIPT)})
    zensical = _read(project, "zen", {"smtp/index.html": "<p>rien</p>"})
    assert differences(mkdocs, zensical) == [
        f"docs/smtp.md, exemple «{NB}exemple-a{NB}»{NB}: absent du site Zensical"
    ]


def test_an_error_box_in_the_zensical_site_is_a_difference(project: Path) -> None:
    block = _transcript_block("exemple-a", TRANSCRIPT)
    mkdocs = _read(project, "mk", {"smtp/index.html": block})
    box = f'<div class="admonition failure {BOX}" id="exemple-b"></div>'
    zensical = _read(project, "zen", {"smtp/index.html": block + box})
    assert differences(mkdocs, zensical) == [
        f"docs/smtp.md{NB}: 1 boîte(s) d’erreur dans le site Zensical"
    ]


def test_a_mkdocs_site_without_any_transcript_is_refused(project: Path) -> None:
    empty = _read(project, "mk", {"smtp/index.html": "<p>rien</p>"})
    assert differences(empty, empty) == [
        "le site MkDocs ne contient aucune transcription (data-copy)"
    ]


@pytest.mark.timeout(600)
@pytest.mark.skipif(
    not ZENSICAL.exists(),
    reason="l’environnement .venv-zensical n’existe pas (make zensical le crée)",
)
def test_zensical_builds_every_transcript_byte_for_byte_as_mkdocs(site: Path) -> None:
    command = [sys.executable, "-m", "labo.site.zensical_check", "--zensical", str(ZENSICAL)]
    slot = build_slots.acquire()
    try:
        result = subprocess.run(
            [*command, "--site-mkdocs", str(site)],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    finally:
        slot.release()
    assert result.returncode == 0, result.stderr
    assert "transcriptions identiques octet pour octet" in result.stdout
