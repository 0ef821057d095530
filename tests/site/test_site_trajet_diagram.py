"""The journey page carries two drawings of one diagram: the wide one and its phone variant.

The stylesheet shows one or the other; these tests read the built page and the SVG source to
check that both are there, well-formed, told apart, described alike, and that the vertical one
is drawn to stay legible in a phone's 358 px column.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from site_build import REPO, built_page

SVG = "{http://www.w3.org/2000/svg}"
VERTICAL = REPO / "docs" / "assets" / "trajet-message-vertical.svg"

#: The class of each drawing, the vertical one first: the stylesheet's sibling rule hides the
#: wide one only when a vertical one comes before it.
CLASSES = ["trajet-message-vertical", "trajet-message"]

#: The text column of a 390 px phone, and the smallest legible text size in it (CSS px).
PHONE_COLUMN = 358
SMALLEST_TEXT = 12


@pytest.fixture(scope="module")
def drawings(site: Path) -> list[ET.Element]:
    """The SVG elements of the journey figure on the built page, parsed as XML, in page order."""
    html = built_page(site, "trajet.md").read_text(encoding="utf-8")
    figure = re.search(r'<figure class="schema-trajet">(.*?)</figure>', html, flags=re.S)
    assert figure, "la figure du trajet est introuvable sur la page"
    return [ET.fromstring(svg) for svg in re.findall(r"<svg\b.*?</svg>", figure[1], flags=re.S)]


@pytest.fixture(scope="module")
def vertical() -> ET.Element:
    return ET.parse(VERTICAL).getroot()


def labelled_by(svg: ET.Element) -> list[str]:
    """The tags that the drawing's ``aria-labelledby`` names, found inside the drawing itself."""
    tag_by_id = {e.get("id"): e.tag.removeprefix(SVG) for e in svg.iter() if e.get("id")}
    return [tag_by_id.get(label, "?") for label in svg.get("aria-labelledby", "").split()]


def text_of(svg: ET.Element, tag: str) -> str:
    element = svg.find(f"{SVG}{tag}")
    return "" if element is None else " ".join("".join(element.itertext()).split())


def test_journey_page_holds_the_vertical_drawing_then_the_wide_one(
    drawings: list[ET.Element],
) -> None:
    assert [svg.get("class") for svg in drawings] == CLASSES


def test_each_drawing_is_an_image_named_by_its_own_title_and_description(
    drawings: list[ET.Element],
) -> None:
    assert [(svg.get("role"), labelled_by(svg)) for svg in drawings] == [
        ("img", ["title", "desc"]),
        ("img", ["title", "desc"]),
    ]


def test_both_drawings_give_screen_readers_the_same_title_and_description(
    drawings: list[ET.Element],
) -> None:
    vertical, wide = drawings
    assert (text_of(vertical, "title"), text_of(vertical, "desc")) == (
        text_of(wide, "title"),
        text_of(wide, "desc"),
    )


def test_the_two_drawings_share_no_id(drawings: list[ET.Element]) -> None:
    vertical, wide = ({e.get("id") for e in svg.iter() if e.get("id")} for svg in drawings)
    assert vertical & wide == set()


def test_vertical_drawing_refers_only_to_its_own_marker(vertical: ET.Element) -> None:
    ids = {e.get("id") for e in vertical.iter() if e.get("id")}
    references = {
        reference
        for element in vertical.iter()
        for reference in re.findall(r"url\(#([^)]+)\)", element.get("marker-end", ""))
    }
    assert references and references <= ids


def test_vertical_drawing_draws_in_the_colours_of_the_page(vertical: ET.Element) -> None:
    """Fixed colours would vanish on one of the two palettes; the page's own colours cannot."""
    fixed = []
    for element in vertical.iter():
        for name in ("fill", "stroke"):
            value = element.get(name)
            if value is not None and value not in ("currentColor", "none"):
                fixed.append(f"{element.tag.removeprefix(SVG)} {name}={value}")
        for value in re.findall(r"(?:fill|stroke)\s*:\s*([^;]+)", element.get("style", "")):
            if not value.strip().startswith("var(--md-"):
                fixed.append(f"{element.tag.removeprefix(SVG)} style {value.strip()}")
    assert fixed == []


def test_vertical_drawing_is_no_wider_than_a_phone_column(vertical: ET.Element) -> None:
    width = float(vertical.get("viewBox", "0 0 0 0").split()[2])
    assert 0 < width <= PHONE_COLUMN


def test_vertical_drawing_keeps_every_text_legible_in_a_phone_column(
    vertical: ET.Element,
) -> None:
    """Each text's size, inherited from its groups, times the scale at the column's width."""
    width = float(vertical.get("viewBox", "0 0 0 0").split()[2])
    scale = min(1.0, PHONE_COLUMN / width)  # ``max-width: 100%``: shrunk, never enlarged
    too_small = []

    def walk(element: ET.Element, size: float | None) -> None:
        own = element.get("font-size")
        size = float(own) if own is not None else size
        if element.tag == f"{SVG}text" and (size is None or size * scale < SMALLEST_TEXT):
            too_small.append(f"{element.text!r}: {size}")
        for child in element:
            walk(child, size)

    walk(vertical, None)
    assert too_small == []
