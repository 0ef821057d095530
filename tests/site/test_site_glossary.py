"""Every abbreviation the pages explain on hover is also defined in the glossary."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from site_abbreviations import read_abbreviations, stray_lines
from site_build import REPO, built_page
from site_html import read_page

ABBREVIATIONS_FILE = REPO / "includes" / "abreviations.md"
DEFINITIONS = read_abbreviations(ABBREVIATIONS_FILE)


@pytest.fixture(scope="module")
def glossary_terms(site: Path) -> list[str]:
    terms = read_page(built_page(site, "glossaire.md")).terms
    assert terms, "le glossaire ne contient aucun terme défini"
    return terms


@pytest.mark.parametrize("abbreviation", [abbreviation for abbreviation, _ in DEFINITIONS])
def test_abbreviation_is_defined_in_the_glossary(
    glossary_terms: list[str], abbreviation: str
) -> None:
    # MS must not be found inside MS-OXCRPC, nor POP inside POP3.
    alone = re.compile(rf"(?<![\w-]){re.escape(abbreviation)}(?![\w-])")
    assert [term for term in glossary_terms if alone.search(term)]


def test_abbreviation_file_holds_only_definitions() -> None:
    assert stray_lines(ABBREVIATIONS_FILE) == []


def test_each_abbreviation_is_defined_once() -> None:
    counts = Counter(abbreviation for abbreviation, _ in DEFINITIONS)
    assert sorted(abbreviation for abbreviation, count in counts.items() if count > 1) == []


def test_each_abbreviation_has_an_expansion() -> None:
    assert [abbreviation for abbreviation, title in DEFINITIONS if not title] == []
