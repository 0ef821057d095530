"""A reader's gestures in a real browser: following the nav, switching tabs with the keyboard,
reading on a phone, landing on a page that does not exist (searching: test_browser_search.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from browser_pages import OPEN_TABS
from browser_session import DESKTOP, SUB_PATH, Visit, open_visit
from playwright import sync_api as playwright_api

#: The first example's tabs on the page that holds it (Code, Transcription, …).
TABS = ".labo-run .tabbed-set"


#: What a token's tooltip shows, and what its lexicon entry says with `` — `` before the source.
TIP_AND_ENTRY = """token => {
    const entry = document.getElementById(token.getAttribute('aria-describedby'));
    const source = entry.querySelector('a').textContent;
    const said = entry.textContent.slice(0, -source.length).trimEnd() + ' — ' + source;
    return [getComputedStyle(token, '::after').content, JSON.stringify(said)];
}"""


@pytest.fixture(scope="module")
def smtp_by_instant_navigation(browser: playwright_api.Browser, base_url: str) -> Iterator[Visit]:
    """The SMTP page reached from the home page's nav (Material swaps the page's content), with
    its examples' transcripts shown; ``window.__marker`` was set on the home page."""
    with open_visit(browser, base_url, **DESKTOP) as visit:
        visit.open("")
        visit.page.wait_for_load_state("networkidle")  # the sitemap that instant navigation reads
        visit.page.evaluate("window.__marker = 'toujours là'")
        visit.page.click('.md-nav--primary a[href$="smtp/"]')
        visit.page.wait_for_url("**/smtp/")
        visit.page.wait_for_selector("h1:has-text('SMTP')")
        visit.page.evaluate(OPEN_TABS, "Transcription")
        yield visit


def test_nav_click_keeps_the_page_scripts_running(smtp_by_instant_navigation: Visit) -> None:
    assert smtp_by_instant_navigation.page.evaluate("window.__marker") == "toujours là"


def test_focused_token_shows_its_lexicon_entry_after_instant_navigation(
    smtp_by_instant_navigation: Visit,
) -> None:
    token = smtp_by_instant_navigation.page.locator(".labo-tok[tabindex='0'] >> visible=true")
    token.first.focus()
    shown, said = token.first.evaluate(TIP_AND_ENTRY)
    assert shown == said


def test_hovered_repeated_token_shows_its_lexicon_entry(smtp_by_instant_navigation: Visit) -> None:
    token = smtp_by_instant_navigation.page.locator(".labo-tok[tabindex='-1'] >> visible=true")
    token.first.hover()
    shown, said = token.first.evaluate(TIP_AND_ENTRY)
    assert shown == said


def test_token_shows_nothing_at_rest(smtp_by_instant_navigation: Visit) -> None:
    page = smtp_by_instant_navigation.page
    page.mouse.move(0, 0)
    page.evaluate("document.activeElement.blur()")
    token = page.locator(".labo-tok >> visible=true").nth(3)
    assert token.evaluate("token => getComputedStyle(token, '::after').content") == "none"


@pytest.fixture(scope="module")
def second_tab_from_the_keyboard(browser: playwright_api.Browser, base_url: str) -> Iterator[Visit]:
    """The POP3 page after a reader focused the first example's first tab and pressed → once.

    The tests that use it only read the page.
    """
    with open_visit(browser, base_url, **DESKTOP) as visit:
        visit.open("pop3/")
        visit.page.focus(f"{TABS} > input:nth-child(1)")
        visit.page.keyboard.press("ArrowRight")
        yield visit


def test_example_tabs_switch_with_the_arrow_keys(second_tab_from_the_keyboard: Visit) -> None:
    page = second_tab_from_the_keyboard.page
    assert page.is_checked(f"{TABS} > input:nth-child(2)")
    assert page.is_visible(f"{TABS} .labo-transcript")


def test_tab_focused_from_the_keyboard_shows_an_outline(
    second_tab_from_the_keyboard: Visit,
) -> None:
    page = second_tab_from_the_keyboard.page
    label = page.locator(f"{TABS} > .tabbed-labels > label:nth-child(2)").first
    assert label.evaluate("label => getComputedStyle(label).outlineStyle") == "solid"


@pytest.mark.parametrize("path", ["", "trajet/", "ports/", "imap/"])
def test_page_does_not_scroll_sideways_on_a_phone(phone_visit: Visit, path: str) -> None:
    phone_visit.open(path)
    width, screen = phone_visit.page.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth]"
    )
    assert width <= screen


def test_copy_button_leaves_the_code_clear_on_a_phone(phone_visit: Visit) -> None:
    phone_visit.open("pop3/")
    gap = phone_visit.page.evaluate(
        """() => {
            const pre = document.querySelector('.labo-run pre');
            const button = pre.querySelector('.md-code__nav').getBoundingClientRect();
            const code = pre.querySelector('code');
            const text = code.getBoundingClientRect().top
                + parseFloat(getComputedStyle(code).paddingTop);
            return text - button.bottom;
        }"""
    )
    assert gap >= 0


def test_missing_page_answers_in_french_with_links_under_the_sub_path(visit: Visit) -> None:
    visit.open("404.html")
    assert visit.page.inner_text("h1") == "Page introuvable"
    origin = visit.base_url.removesuffix(SUB_PATH)
    same_site = [
        href
        for href in visit.page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
        if href.startswith(origin)
    ]
    assert same_site and [href for href in same_site if not href.startswith(visit.base_url)] == []
