"""Every page in a real browser: it loads cleanly, asks nothing of another site, and axe-core
finds nothing wrong that the site's own pages or styles cause, in both colour schemes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from browser_axe import Violation, run_axe
from browser_pages import OPEN_TABS, page_paths
from browser_session import DESKTOP, Visit, open_visit

PAGES = page_paths()

#: Every page visited, axe run on each: the browser tests are among the first units of work.
pytestmark = pytest.mark.long_setup

#: Pages whose examples show every kind of transcript line: numbered connections, TLS, badges.
SPECIMENS = ["", "imap/"]


@dataclass(frozen=True)
class Report:
    """What one visit of a page gave: errors, requests elsewhere, accessibility violations."""

    console_errors: list[str]
    outside_requests: list[str]
    violations: list[Violation]


@pytest.fixture(scope="module")
def report(browser: object, base_url: str) -> Callable[[str], Report]:
    """Visit a page once (light scheme, desktop) and keep what each test asks about it.

    The examples are checked on their own, in both schemes and with each tab open (below): on
    the rest of the page, axe checks everything.
    """
    reports: dict[str, Report] = {}

    def visit_once(path: str) -> Report:
        if path not in reports:
            with open_visit(browser, base_url, **DESKTOP) as visit:  # type: ignore[arg-type]
                visit.open(path)
                violations = run_axe(visit.page, exclude=".labo-run")
                reports[path] = Report(
                    list(visit.console_errors), list(visit.outside_requests), violations
                )
        return reports[path]

    return visit_once


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


@pytest.mark.parametrize("path", SPECIMENS)
def test_transcripts_reach_aa_contrast(visit_in_each_scheme: Visit, path: str) -> None:
    visit_in_each_scheme.open(path)
    visit_in_each_scheme.page.evaluate(OPEN_TABS, "Transcription")
    found = run_axe(visit_in_each_scheme.page, include=".labo-run")
    assert [str(violation) for violation in found] == []


def test_example_code_reaches_aa_contrast(visit_in_each_scheme: Visit) -> None:
    visit_in_each_scheme.open("imap/")
    found = run_axe(visit_in_each_scheme.page, include=".labo-run")
    assert [str(violation) for violation in found] == []
