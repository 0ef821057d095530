"""On the built site every example block shows what Postfix and Dovecot said, in a last tab."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

_FIGURE = re.compile(r'<figure class="labo-run".*?</figure>', re.S)
_LABELS = re.compile(r"<label [^>]*>([^<]*)</label>")


@pytest.fixture(scope="module")
def example_blocks(site: Path) -> dict[str, list[str]]:
    """Each built page's example figures, by page."""
    blocks = {}
    for page in sorted(site.rglob("*.html")):
        found = _FIGURE.findall(page.read_text(encoding="utf-8"))
        if found:
            blocks[page.relative_to(site).as_posix()] = found
    return blocks


def test_the_site_has_example_blocks(example_blocks: dict[str, list[str]]) -> None:
    assert sum(len(figures) for figures in example_blocks.values()) >= 18


def test_every_example_block_has_the_tab_avec_postfix_et_dovecot(
    example_blocks: dict[str, list[str]],
) -> None:
    without = [
        page
        for page, figures in example_blocks.items()
        for figure in figures
        if _LABELS.findall(figure) != ["Code", "Transcription", "Schéma", "Avec Postfix et Dovecot"]
    ]
    assert without == []


def test_every_reference_tab_shows_a_note_and_no_missing_transcript(
    example_blocks: dict[str, list[str]],
) -> None:
    figures = [figure for figures in example_blocks.values() for figure in figures]
    assert all('class="labo-reference__note"' in figure for figure in figures)
    assert not any("labo-reference__note--manque" in figure for figure in figures)
