"""Every page in a real browser: it loads cleanly, asks nothing of another site, and axe-core
finds nothing wrong that the site's own pages or styles cause, in both colour schemes.

Each page is opened once, in the light scheme, and axe checks it in one pass. Examples are all
rendered by the same code with the same styles: they are checked on the pages whose examples show
every kind of transcript line (``SPECIMENS``), with every tab shown at once (Code, Transcription,
Schéma, Postfix et Dovecot…), and emptied on the other pages before axe runs (axe's own
``exclude`` still walks what it leaves out: three seconds on the SMTP page). The dark scheme
changes colours only: on the specimens, axe checks the examples' contrast in it.
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

#: Pages whose examples show every kind of transcript line: numbered connections, TLS, badges.
SPECIMENS = ["", "imap/"]

#: Outside addresses a page might name: a host name, and an IP address that needs no lookup
#: (192.0.2.1: TEST-NET-1, reserved for documentation, RFC 5737).
OUTSIDE = ["http://example.net/labo-verification.png", "http://192.0.2.1/labo-verification.png"]
#: How Chromium fails such a request: its proxy refused it, or the name did not resolve.
REFUSED = ("net::ERR_PROXY_CONNECTION_FAILED", "net::ERR_NAME_NOT_RESOLVED")


#: Every example's content removed, its box (and anchor) kept.
EMPTY_EXAMPLES = (
    "() => document.querySelectorAll('.labo-run').forEach(run => run.replaceChildren())"
)


@dataclass(frozen=True)
class Report:
    """What one visit of a page gave: errors, requests elsewhere, accessibility violations."""

    console_errors: list[str]
    outside_requests: list[str]
    violations: list[Violation]


@pytest.fixture(scope="module")
def readers(browser: playwright_api.Browser, base_url: str) -> Iterator[dict[str, Reader]]:
    """One browser context per colour scheme, for every page the module visits in it."""
    with (
        open_reader(browser, base_url, **DESKTOP, color_scheme="light") as light,
        open_reader(browser, base_url, **DESKTOP, color_scheme="dark") as dark,
    ):
        yield {"light": light, "dark": dark}


@pytest.fixture(scope="module")
def report(readers: dict[str, Reader]) -> Callable[..., Report]:
    """Visit a page once per scheme asked for, and keep what each test asks about it."""
    reports: dict[tuple[str, str], Report] = {}

    def visit_once(path: str, scheme: str = "light") -> Report:
        if (path, scheme) not in reports:
            with readers[scheme].visit() as visit:
                visit.open(path)
                if path in SPECIMENS:
                    show_all_panels(visit.page)
                else:
                    visit.page.evaluate(EMPTY_EXAMPLES)
                if scheme == "light":
                    violations = run_axe(visit.page)
                else:
                    violations = run_axe(visit.page, include=".labo-run", rules=["color-contrast"])
                reports[path, scheme] = Report(
                    list(visit.console_errors), list(visit.outside_requests), violations
                )
        return reports[path, scheme]

    return visit_once


@pytest.mark.parametrize("path", PAGES)
def test_page_loads_without_console_error(report: Callable[..., Report], path: str) -> None:
    assert report(path).console_errors == []


@pytest.mark.parametrize("path", PAGES)
def test_page_requests_nothing_from_another_site(report: Callable[..., Report], path: str) -> None:
    assert report(path).outside_requests == []


@pytest.mark.parametrize("path", PAGES)
def test_page_has_no_accessibility_violation_of_its_own(
    report: Callable[..., Report], path: str
) -> None:
    assert [str(violation) for violation in report(path).violations] == []


@pytest.mark.parametrize("path", SPECIMENS)
def test_examples_reach_aa_contrast_in_the_dark_scheme(
    report: Callable[..., Report], path: str
) -> None:
    assert [str(violation) for violation in report(path, "dark").violations] == []


@pytest.mark.parametrize("url", OUTSIDE)
def test_outside_address_in_a_page_is_recorded_and_never_fetched(
    readers: dict[str, Reader], url: str
) -> None:
    with readers["light"].visit() as visit:
        visit.open("404.html")
        with visit.page.expect_event("requestfailed") as failed:
            visit.page.evaluate("url => { new Image().src = url; }", url)
    assert visit.outside_requests == [url]
    assert failed.value.url == url and failed.value.failure in REFUSED
