"""Every page in a real browser: it loads cleanly, asks nothing of another site, and axe-core
finds nothing wrong that the site's own pages or styles cause, in both colour schemes.

The pages are read one after the other in one tab, in the nav's order, and axe checks each in
one pass, with every tab of its examples shown at once (Code, Transcription, Schéma, Postfix et
Dovecot…). Examples are all rendered by the same code with the same styles, so an example is
kept only when its markup holds a kind of element (tag and classes) that no example before it
held; the others are emptied, their box and anchor kept (axe's own ``exclude`` still walks what
it leaves out: three seconds on the SMTP page). Where examples were kept, the reader then
switches to the dark scheme with the header's toggle, and axe checks their contrast in it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from browser_axe import Violation, run_axe, show_all_panels
from browser_pages import page_paths
from browser_session import DESKTOP, Reader, open_reader
from playwright import sync_api as playwright_api

PAGES = page_paths()

#: Every page visited, axe run on each: the browser tests are among the first units of work.
pytestmark = pytest.mark.long_setup

#: Outside addresses a page might name: a host name, and an IP address that needs no lookup
#: (192.0.2.1: TEST-NET-1, reserved for documentation, RFC 5737).
OUTSIDE = ["http://example.net/labo-verification.png", "http://192.0.2.1/labo-verification.png"]
#: How Chromium fails such a request: its proxy refused it, or the name did not resolve.
REFUSED = ("net::ERR_PROXY_CONNECTION_FAILED", "net::ERR_NAME_NOT_RESOLVED")

#: Keep the examples whose markup holds a kind of element (tag and sorted classes) not in
#: ``seen``, empty the others; return every kind seen and how many examples were kept.
KEEP_NEW_MARKUP = """(seen) => {
    const known = new Set(seen);
    let kept = 0;
    for (const run of document.querySelectorAll('.labo-run')) {
        const kinds = new Set([...run.querySelectorAll('*')].map(
            element => [element.localName, ...[...element.classList].sort()].join('.')));
        const fresh = [...kinds].filter(kind => !known.has(kind));
        if (fresh.length) {
            fresh.forEach(kind => known.add(kind));
            kept += 1;
        } else {
            run.replaceChildren();
        }
    }
    return [[...known], kept];
}"""

#: The header's palette toggle, by the label Material gives it in mkdocs.yml (clicked through
#: the DOM: axe's pass may leave the header out of view).
TOGGLE = """(name) => {
    document.querySelector(`label[title="${name}"]`).click();
    return document.body.getAttribute('data-md-color-scheme');
}"""


@dataclass(frozen=True)
class Report:
    """What one visit of a page gave: errors, requests elsewhere, accessibility violations."""

    console_errors: list[str]
    outside_requests: list[str]
    violations: list[Violation]
    dark_violations: list[Violation]  # the kept examples' contrast in the dark scheme
    examples_kept: int


@pytest.fixture(scope="module")
def reader(browser: playwright_api.Browser, base_url: str) -> Iterator[Reader]:
    """One tab, in the light scheme, for every page the module visits."""
    with open_reader(browser, base_url, **DESKTOP, color_scheme="light") as opened:
        yield opened


@pytest.fixture(scope="module")
def report(reader: Reader) -> Callable[[str], Report]:
    """Visit a page once, and keep what each test asks about it."""
    reports: dict[str, Report] = {}
    seen: list[str] = []

    def visit_once(path: str) -> Report:
        if path not in reports:
            with reader.visit() as visit:
                visit.open(path)
                known, kept = visit.page.evaluate(KEEP_NEW_MARKUP, seen)
                seen[:] = known
                show_all_panels(visit.page)
                violations = run_axe(visit.page)
                dark = _dark_contrast(visit.page) if kept else []
                reports[path] = Report(
                    list(visit.console_errors),
                    list(visit.outside_requests),
                    violations,
                    dark,
                    kept,
                )
        return reports[path]

    return visit_once


def _dark_contrast(page: playwright_api.Page) -> list[Violation]:
    """The examples' contrast violations in the dark scheme; the page is left in the light one."""
    assert page.evaluate(TOGGLE, "Passer en mode sombre") == "slate"
    try:
        return run_axe(page, include=".labo-run", rules=["color-contrast"])
    finally:
        assert page.evaluate(TOGGLE, "Passer en mode clair") == "default"


@pytest.mark.parametrize("path", PAGES)
def test_page_loads_without_console_error(report: Callable[[str], Report], path: str) -> None:
    assert report(path).console_errors == []


@pytest.mark.parametrize("path", PAGES)
def test_page_requests_nothing_from_another_site(
    report: Callable[[str], Report], path: str
) -> None:
    assert report(path).outside_requests == []


@pytest.mark.parametrize("path", PAGES)
def test_page_has_no_accessibility_violation_of_its_own(
    report: Callable[[str], Report], path: str
) -> None:
    assert [str(violation) for violation in report(path).violations] == []


@pytest.mark.parametrize("path", PAGES)
def test_examples_reach_aa_contrast_in_the_dark_scheme(
    report: Callable[[str], Report], path: str
) -> None:
    assert [str(violation) for violation in report(path).dark_violations] == []


def test_the_first_page_with_examples_keeps_one_for_axe(report: Callable[[str], Report]) -> None:
    assert report("").examples_kept >= 1


@pytest.mark.parametrize("url", OUTSIDE)
def test_outside_address_in_a_page_is_recorded_and_never_fetched(reader: Reader, url: str) -> None:
    with reader.visit() as visit:
        visit.open("404.html")
        with visit.page.expect_event("requestfailed") as failed:
            visit.page.evaluate("url => { new Image().src = url; }", url)
    assert visit.outside_requests == [url]
    assert failed.value.url == url and failed.value.failure in REFUSED
