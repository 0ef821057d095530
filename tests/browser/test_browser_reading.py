"""A reader's gestures in a real browser: following the nav, switching tabs with the keyboard,
reading on a phone, landing on a page that does not exist (searching: test_browser_search.py)."""

from __future__ import annotations

import pytest
from browser_session import SUB_PATH, Visit

#: The first example's tabs on the page that holds it (Code, Transcription, …).
TABS = ".labo-run .tabbed-set"


def test_nav_click_keeps_the_page_scripts_running(visit: Visit) -> None:
    visit.open("")
    visit.page.wait_for_load_state("networkidle")  # the sitemap that instant navigation reads
    visit.page.evaluate("window.__marker = 'toujours là'")
    visit.page.click('.md-nav--primary a[href$="smtp/"]')
    visit.page.wait_for_url("**/smtp/")
    visit.page.wait_for_selector("h1:has-text('SMTP')")
    assert visit.page.evaluate("window.__marker") == "toujours là"


def test_example_tabs_switch_with_the_arrow_keys(visit: Visit) -> None:
    visit.open("pop3/")
    visit.page.focus(f"{TABS} > input:nth-child(1)")
    visit.page.keyboard.press("ArrowRight")
    assert visit.page.is_checked(f"{TABS} > input:nth-child(2)")
    assert visit.page.is_visible(f"{TABS} .labo-transcript")


def test_tab_focused_from_the_keyboard_shows_an_outline(visit: Visit) -> None:
    visit.open("pop3/")
    visit.page.focus(f"{TABS} > input:nth-child(1)")
    visit.page.keyboard.press("ArrowRight")
    label = visit.page.locator(f"{TABS} > .tabbed-labels > label:nth-child(2)").first
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
