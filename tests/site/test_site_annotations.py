"""Annotated transcripts on the site: every token explained on the built pages, the build warns
about a token no data file explains, and the glossary and abbreviations agree with the data."""

from __future__ import annotations

import logging
import re
from collections import Counter
from pathlib import Path

import pytest
from site_abbreviations import read_abbreviations
from site_build import REPO
from site_html import read_page

from labo.render.annotations import Entry, catalogue
from labo.render.reference import ReferenceRun
from labo.site import context
from labo.site.extension import report_unexplained
from labo.wire.transcript import Transcript

NB = "\u00a0"
GLOSSARY = REPO / "docs" / "glossaire.md"
#: A glossary entry: its term on one line, then its definition indented after ":   ".
_ENTRY = re.compile(r"^(?P<term>\S[^\n]*)\n:   (?P<definition>(?:.*\n?)(?:(?: {4}.*)?\n?)*)", re.M)
_RFC = re.compile(r"RFC (\d+)")
_EXPANSION = re.compile(r"\(\*(?P<expansion>[^*]+)\*\)")


def _glossary() -> dict[str, tuple[str, str]]:
    """Glossary term (without its expansion and backquotes) → (expansion, definition)."""
    entries = {}
    for match in _ENTRY.finditer(GLOSSARY.read_text(encoding="utf-8")):
        term = match["term"].split(" (")[0].strip("`")
        expansion = _EXPANSION.search(match["term"])
        entries[term] = (expansion["expansion"] if expansion else "", match["definition"])
    return entries


GLOSSARY_ENTRIES = _glossary()
SHARED_TERMS = sorted(term for term in GLOSSARY_ENTRIES if catalogue().by_key(term))


def test_glossary_and_data_files_share_terms() -> None:
    assert {"IDLE", "STARTTLS", "UIDL", "NXDOMAIN"} <= set(SHARED_TERMS)


@pytest.mark.parametrize("term", SHARED_TERMS)
def test_glossary_cites_an_rfc_the_data_files_cite_for_the_same_token(term: str) -> None:
    glossary_rfcs = set(map(int, _RFC.findall(GLOSSARY_ENTRIES[term][1])))
    data_rfcs = {entry.rfc for entry in catalogue().by_key(term)}
    assert not glossary_rfcs or glossary_rfcs & data_rfcs, (glossary_rfcs, data_rfcs)


def _same_case(abbreviation: str) -> list[Entry]:
    """Entries for the token spelt as the abbreviation (the service « imap » is not « IMAP »)."""
    return [entry for entry in catalogue().by_key(abbreviation) if entry.key == abbreviation]


@pytest.mark.parametrize(
    ("abbreviation", "title"),
    [
        (abbreviation, title)
        for abbreviation, title in read_abbreviations(REPO / "includes" / "abreviations.md")
        if " — " in title and _same_case(abbreviation)
    ],
)
def test_an_abbreviation_and_the_data_files_expand_a_token_alike(
    abbreviation: str, title: str
) -> None:
    expansion = title.split(" — ")[0]
    assert {entry.acronym for entry in _same_case(abbreviation)} == {expansion}
    glossary_expansion = GLOSSARY_ENTRIES.get(abbreviation, ("", ""))[0]
    assert glossary_expansion in ("", expansion)


def test_the_build_names_page_line_example_token_and_file_for_an_unexplained_token(
    caplog: pytest.LogCaptureFixture,
) -> None:
    transcript = Transcript.from_text(
        f"[1] ** ouverture{NB}: «{NB}client{NB}» → mx.example.org:25 (smtp)\n[1] C: XYZZY\n"
    )
    context.set_page("docs/smtp.md")
    try:
        with caplog.at_level(logging.WARNING, logger="mkdocs.plugins.labo.exemples"):
            report_unexplained(12, "examples/smtp/nouveau.py", transcript, ReferenceRun())
    finally:
        context.set_page(None)
    assert caplog.messages == [
        f"docs/smtp.md, ligne 12, exemple examples/smtp/nouveau.py{NB}: jeton sans explication "
        f"«{NB}XYZZY{NB}» (smtp, commandes){NB}: ajoutez la clé «{NB}XYZZY{NB}» à la catégorie "
        f"«{NB}commandes{NB}» de data/annotations/smtp.yml"
    ]


# --- the built site -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pages_with_transcripts(site: Path) -> dict[str, str]:
    pages = {}
    for page in sorted(site.rglob("*.html")):
        text = page.read_text(encoding="utf-8")
        if "labo-transcript" in text:
            pages[page.relative_to(site).as_posix()] = text
    return pages


def test_every_transcript_on_the_site_has_annotated_tokens_and_a_lexicon(
    pages_with_transcripts: dict[str, str],
) -> None:
    assert pages_with_transcripts
    for name, text in pages_with_transcripts.items():
        blocks = text.count('class="language-text highlight labo-transcript"')
        assert text.count('<details class="labo-lexique"') == blocks, name
        assert 'class="labo-tok"' in text, name


def test_every_annotation_points_to_one_lexicon_entry_of_its_page(
    site: Path, pages_with_transcripts: dict[str, str]
) -> None:
    for name in pages_with_transcripts:
        elements = read_page(site / name).elements
        ids = Counter(element.attrs["id"] for element in elements if "id" in element.attrs)
        described = {
            element.attrs["aria-describedby"]
            for element in elements
            if "labo-tok" in element.attrs.get("class", "")
        }
        assert [target for target in described if ids[target] != 1] == [], name


def test_every_token_on_a_page_finds_its_explanation_in_exactly_one_rule(
    pages_with_transcripts: dict[str, str],
) -> None:
    for name, text in pages_with_transcripts.items():
        keys = set(re.findall(r'class="labo-tok"[^>]* data-t="(\w+)"', text))
        rules = Counter(re.findall(r"(?:^|<style data-labo-tips>)\[data-t=(\w+)\]", text, re.M))
        assert keys and {key: rules[key] for key in keys} == dict.fromkeys(keys, 1), name
        assert set(rules) == keys, name
