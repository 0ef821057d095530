"""Searching the site in French in a real browser: accents, capitals and elided articles do not
matter, transcripts are searched too, and the typed phrase comes first.

Material builds the search index in a worker, with ``lunr.fr.min.js``; the site's copy of that
file (``overrides/``) is Material's own with accent folding appended. One page is opened for the
whole module and each query is typed once.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import material
import pytest
from browser_session import DESKTOP, Visit, open_visit
from playwright import sync_api as playwright_api

REPO = Path(__file__).resolve().parents[2]

#: Where Material keeps the French language file its search worker loads, and where the site does.
LUNR_FR = Path("assets", "javascripts", "lunr", "min", "lunr.fr.min.js")
MATERIAL_LUNR_FR = Path(material.__file__).parent / "templates" / LUNR_FR
SITE_LUNR_FR = REPO / "overrides" / LUNR_FR

#: The line above the results: « Initialisation… », « Taper pour… », « 3 documents trouvés »…
META = "document.querySelector('.md-search-result__meta').textContent"

#: Every result Material renders once the query is answered: the page, then its sections.
READ_RESULTS = """() => [...document.querySelectorAll('.md-search-result__list > li')].map(
    item => [...item.querySelectorAll('a.md-search-result__link')].map(link => ({
        href: link.href,
        text: link.textContent,
        score: Number(link.querySelector('article').dataset.mdScore),
    })))"""

#: Material renders ten pages, then more as the list scrolls: scroll until all are there.
RENDER_ALL = """count => {
    const wrap = document.querySelector('.md-search__scrollwrap');
    wrap.scrollTop = wrap.scrollHeight;
    return document.querySelectorAll('.md-search-result__list > li').length >= count;
}"""


@dataclass(frozen=True)
class Result:
    """One result as the reader sees it."""

    location: str  # the page's path under the site, and ``#section`` for a section
    text: str  # title and preview, whitespace collapsed
    score: float  # Material's own, shown as ``data-md-score``


@dataclass(frozen=True)
class Answer:
    """What the search lists for a query: one group per page, in Material's order."""

    groups: list[list[Result]]
    marks: list[str]  # words highlighted in the previews
    missing: list[str]  # words listed after « Non trouvé »

    @property
    def locations(self) -> set[str]:
        return {result.location for group in self.groups for result in group}

    @property
    def pages(self) -> set[str]:
        return {group[0].location for group in self.groups}

    @property
    def best(self) -> Result:
        return max((result for group in self.groups for result in group), key=lambda r: r.score)


class SearchBox:
    """The search dialog of one open page; each query is typed once and its answer kept."""

    def __init__(self, visit: Visit) -> None:
        self.visit = visit
        self.page = visit.page
        self.answers: dict[str, Answer] = {}
        self.page.click(".md-search__input")
        self.page.wait_for_function(  # the search worker has built its index
            f"() => !{META}.trim().startsWith('Initialisation')"
        )

    def answer(self, query: str) -> Answer:
        if query not in self.answers:
            self.answers[query] = self._ask(query)
        return self.answers[query]

    def _type(self, query: str) -> None:
        """Put the whole query in the box and release one key: Material asks once, on keyup."""
        box = self.page.locator(".md-search__input")
        box.fill(query)
        box.press("End")

    def _ask(self, query: str) -> Answer:
        self._type("")
        self.page.wait_for_function(f"() => {META}.startsWith('Taper')")  # « Taper pour… »
        self._type(query)
        self.page.wait_for_function(  # « 11 documents trouvés », « Aucun document trouvé »…
            f"() => {META}.includes('trouvé')"
        )
        meta = self.page.inner_text(".md-search-result__meta")
        count = re.match(r"\d+", meta)
        self.page.wait_for_function(RENDER_ALL, arg=int(count.group()) if count else 0)
        groups = [
            [self._result(**link) for link in item] for item in self.page.evaluate(READ_RESULTS)
        ]
        return Answer(
            groups,
            marks=self.page.eval_on_selector_all(
                ".md-search-result mark", "marks => marks.map(mark => mark.textContent)"
            ),
            missing=self.page.eval_on_selector_all(
                ".md-search-result__terms del", "words => words.map(word => word.textContent)"
            ),
        )

    def _result(self, href: str, text: str, score: float) -> Result:
        address = urlsplit(href)
        page = address.path.removeprefix(urlsplit(self.visit.base_url).path)
        location = f"{page}#{address.fragment}" if address.fragment else page
        return Result(location, " ".join(text.split()), score)


@pytest.fixture(scope="module")
def search(browser: playwright_api.Browser, base_url: str) -> Iterator[SearchBox]:
    """The search of the home page, opened once for every test of the module."""
    with open_visit(browser, base_url, **DESKTOP) as visit:
        visit.open("")
        yield SearchBox(visit)


def test_site_lunr_fr_starts_with_materials_own_file_byte_for_byte() -> None:
    assert SITE_LUNR_FR.read_bytes().startswith(MATERIAL_LUNR_FR.read_bytes()), (
        f"{MATERIAL_LUNR_FR.name} a changé dans Material\u00a0: recopiez-le en tête de "
        f"{SITE_LUNR_FR.relative_to(REPO)} (voir CONTRIBUTING, « Dans un vrai navigateur »)"
    )


def test_search_without_accents_finds_the_sections_found_with_them(search: SearchBox) -> None:
    with_accents = search.answer("relève")
    assert "pop3/" in with_accents.pages
    assert search.answer("releve").locations == with_accents.locations


@pytest.mark.parametrize("query", ["RELÈVE", "RELEVE"])
def test_search_in_capitals_finds_the_sections_found_in_lowercase(
    search: SearchBox, query: str
) -> None:
    assert search.answer(query).locations == search.answer("relève").locations


def test_result_previews_show_the_words_with_their_accents(search: SearchBox) -> None:
    assert "relève" in search.answer("releve").marks


def test_missing_word_is_named_as_the_reader_spelled_it(search: SearchBox) -> None:
    missing = search.answer("mot relève").missing
    assert "relève" in missing and "releve" not in missing


def test_exact_phrase_puts_a_section_holding_it_first(search: SearchBox) -> None:
    answer = search.answer("mot de passe")
    assert answer.best in answer.groups[0]
    assert "#" in answer.best.location and "mot de passe" in answer.best.text.lower()


def test_french_stop_word_is_never_reported_missing(search: SearchBox) -> None:
    assert "de" not in search.answer("mot de passe").missing


def test_search_finds_a_word_after_an_elided_article(search: SearchBox) -> None:
    # The POP3 page only writes « l’authentification », never the bare word.
    assert "pop3/" in search.answer("authentification").pages


def test_search_finds_words_that_only_transcripts_show(search: SearchBox) -> None:
    assert "smtp/" in search.answer("8BITMIME").pages
