"""The built site: every page where the nav says, in French, with its abbreviations explained."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from site_abbreviations import read_abbreviations
from site_build import REPO, built_page
from site_config import nav_pages
from site_html import read_page

DOCS = REPO / "docs"
ABBREVIATIONS = dict(read_abbreviations(REPO / "includes" / "abreviations.md"))

#: Each protocol page and the abbreviation it is named after.
PROTOCOL_PAGES = {"smtp.md": "SMTP", "pop3.md": "POP3", "imap.md": "IMAP", "mapi.md": "MAPI"}

#: Pages that show the journey diagram, inlined so that it follows the light or dark palette.
DIAGRAM_PAGES = ("index.md", "trajet.md")
DIAGRAM = DOCS / "assets" / "trajet-message.svg"
SVG = "{http://www.w3.org/2000/svg}"


def test_every_nav_page_is_built(config: dict[str, Any], site: Path) -> None:
    missing = [page for page in nav_pages(config) if not built_page(site, page).is_file()]
    assert missing == []


def test_every_markdown_page_is_in_the_nav(config: dict[str, Any]) -> None:
    pages = {path.relative_to(DOCS).as_posix() for path in DOCS.rglob("*.md")}
    assert sorted(pages - set(nav_pages(config))) == []


def test_every_built_page_is_declared_french(site: Path) -> None:
    pages = sorted(site.rglob("*.html"))
    assert pages, "aucune page construite"
    other = [page.relative_to(site).as_posix() for page in pages if read_page(page).lang != "fr"]
    assert other == []


@pytest.mark.parametrize(("source", "abbreviation"), sorted(PROTOCOL_PAGES.items()))
def test_protocol_page_explains_its_abbreviation_on_hover(
    site: Path, source: str, abbreviation: str
) -> None:
    page = read_page(built_page(site, source))
    titles = {title for title, text in page.abbreviations if text == abbreviation}
    assert titles == {ABBREVIATIONS[abbreviation]}


@pytest.mark.parametrize("source", DIAGRAM_PAGES)
def test_journey_diagram_is_inlined_with_its_title_and_description(site: Path, source: str) -> None:
    page = read_page(built_page(site, source))
    diagrams = [
        e
        for e in page.elements
        if e.tag == "svg"
        and e.attrs.get("role") == "img"
        and "labo-diagram__svg" not in e.attrs.get("class", "")  # an example's « Schéma » tab
        and "trajet-message-vertical" not in e.attrs.get("class", "")  # its phone variant
    ]
    assert len(diagrams) == 1
    tag_by_id = {e.attrs["id"]: e.tag for e in page.elements if "id" in e.attrs}
    labels = diagrams[0].attrs.get("aria-labelledby", "").split()
    assert [tag_by_id.get(label) for label in labels] == ["title", "desc"]


def test_journey_diagram_draws_in_the_colours_of_the_page() -> None:
    """Fixed colours would vanish on one of the two palettes; the page's own colours cannot."""
    fixed = []
    for element in ET.parse(DIAGRAM).iter():
        for name in ("fill", "stroke"):
            value = element.get(name)
            if value is not None and value not in ("currentColor", "none"):
                fixed.append(f"{element.tag.removeprefix(SVG)} {name}={value}")
        for value in re.findall(r"(?:fill|stroke)\s*:\s*([^;]+)", element.get("style", "")):
            if not value.strip().startswith("var(--md-"):
                fixed.append(f"{element.tag.removeprefix(SVG)} style {value.strip()}")
    assert fixed == []


def test_contributing_guide_is_published_on_the_site(site: Path) -> None:
    html = built_page(site, "contribuer.md").read_text(encoding="utf-8")
    guide = (REPO / "CONTRIBUTING.md").read_text(encoding="utf-8")
    headings = re.findall(r"^#{1,3} (.+)$", guide, flags=re.M)
    assert headings
    assert [heading for heading in headings if heading not in html] == []
