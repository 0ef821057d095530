"""The journey diagram in a real browser: drawn top to bottom on a phone, legible there, and the
wide drawing on a desktop; a screen reader meets one diagram either way.

The tests only read the page: it is opened once on a phone and once on a desktop for them all.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from browser_session import DESKTOP, PHONE, Visit, open_visit
from playwright import sync_api as playwright_api

PAGE = "trajet/"
VERTICAL = "svg.trajet-message-vertical"
WIDE = "svg.trajet-message"

#: The title both drawings carry, where their accessible name begins (the description follows).
NAME = re.compile("^" + re.escape("Le trajet d’un e-mail, d’Alice à Bob"))

#: The smallest text a reader can read on a phone without zooming (CSS px).
SMALLEST_TEXT = 12

#: Each text's computed size times the scale the drawing is shown at; the smallest of them.
SMALLEST_RENDERED_TEXT = """svg => {
  const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
  const sizes = [...svg.querySelectorAll('text')].map(
    text => parseFloat(getComputedStyle(text).fontSize) * scale);
  return sizes.length ? Math.min(...sizes) : 0;
}"""


@pytest.fixture(scope="module")
def phone_visit(browser: playwright_api.Browser, base_url: str) -> Iterator[Visit]:
    """The journey page on a 390 px wide phone screen, for every test of the module."""
    with open_visit(browser, base_url, **PHONE) as opened:
        opened.open(PAGE)
        yield opened


@pytest.fixture(scope="module")
def visit(browser: playwright_api.Browser, base_url: str) -> Iterator[Visit]:
    """The journey page on a desktop, for every test of the module."""
    with open_visit(browser, base_url, **DESKTOP) as opened:
        opened.open(PAGE)
        yield opened


def diagrams_named(page: playwright_api.Page) -> int:
    """How many images with the diagram's name the accessibility tree holds."""
    return page.get_by_role("img", name=NAME).count()


def test_phone_shows_the_vertical_journey_diagram(phone_visit: Visit) -> None:
    assert phone_visit.page.is_visible(VERTICAL)


def test_phone_hides_the_wide_journey_diagram(phone_visit: Visit) -> None:
    assert phone_visit.page.is_hidden(WIDE)


def test_journey_diagram_fits_a_phone_screen_without_sideways_scroll(phone_visit: Visit) -> None:
    right, page_width, screen = phone_visit.page.evaluate(
        f"""[document.querySelector('{VERTICAL}').getBoundingClientRect().right,
             document.documentElement.scrollWidth, window.innerWidth]"""
    )
    assert max(right, page_width) <= screen


def test_smallest_text_of_the_journey_diagram_on_a_phone_is_legible(phone_visit: Visit) -> None:
    smallest = phone_visit.page.locator(VERTICAL).evaluate(SMALLEST_RENDERED_TEXT)
    assert smallest >= SMALLEST_TEXT


def test_rendered_text_boxes_of_the_journey_diagram_on_a_phone_are_legible(
    phone_visit: Visit,
) -> None:
    """The drawn glyphs, not only the declared sizes: a line box is taller than its font size."""
    heights = phone_visit.page.locator(f"{VERTICAL} text").evaluate_all(
        "texts => texts.map(text => text.getBoundingClientRect().height)"
    )
    assert heights and min(heights) >= SMALLEST_TEXT


def test_screen_reader_meets_one_journey_diagram_on_a_phone(phone_visit: Visit) -> None:
    assert diagrams_named(phone_visit.page) == 1


def test_desktop_shows_the_wide_journey_diagram(visit: Visit) -> None:
    assert visit.page.is_visible(WIDE)


def test_desktop_hides_the_vertical_journey_diagram(visit: Visit) -> None:
    assert visit.page.is_hidden(VERTICAL)


def test_screen_reader_meets_one_journey_diagram_on_a_desktop(visit: Visit) -> None:
    assert diagrams_named(visit.page) == 1
