"""The site knows its own address (``site_url``): sitemap, French 404 page, French search.

The address comes from ``SITE_URL`` at deploy time; the run's site is built for a project
sub-path (``shared_site``), whose links the browser tests follow (tests/browser).
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as etree
from pathlib import Path
from typing import Any

import pytest
from shared_site import SITE_URL
from site_build import REPO
from site_config import nav_pages

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def search_config(site: Path) -> dict[str, Any]:
    return json.loads((site / "search" / "search_index.json").read_text("utf-8"))["config"]


def words(site: Path, text: str) -> list[str]:
    """``text`` cut as the search cuts it: Material applies the separator to every text."""
    separator = re.compile(search_config(site)["separator"])
    return [word for word in separator.split(text) if word]


def test_site_url_comes_from_the_environment_with_a_local_default() -> None:
    line = next(
        line
        for line in (REPO / "mkdocs.yml").read_text("utf-8").splitlines()
        if line.startswith("site_url:")
    )
    assert line.split("#")[0].strip() == 'site_url: !ENV [SITE_URL, "http://127.0.0.1:8000/"]'


def test_sitemap_lists_every_page(config: dict[str, Any], site: Path) -> None:
    tree = etree.parse(site / "sitemap.xml")
    listed = {loc.text for loc in tree.iter(f"{SITEMAP}loc")}
    expected = {
        SITE_URL + ("" if page == "index.md" else f"{page.removesuffix('.md')}/")
        for page in nav_pages(config)
    }
    assert listed == expected


def test_missing_page_is_in_french(site: Path) -> None:
    page = (site / "404.html").read_text("utf-8")
    assert "<h1>Page introuvable</h1>" in page and "Not found" not in page


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("l’authentification", "authentification"),
        ("d’alice", "alice"),
        ("qu’un", "un"),
        ("n’est", "est"),
        ("s’il", "il"),
        ("j’écris", "écris"),
        ("c’est", "est"),
        ("l'ancien", "ancien"),
    ],
)
def test_search_splits_elided_words(site: Path, text: str, word: str) -> None:
    assert words(site, text)[-1] == word


def test_search_keeps_reply_codes_whole(site: Path) -> None:
    assert words(site, "550 5.7.1 refusé") == ["550", "5.7.1", "refusé"]


def test_search_index_holds_the_transcripts(site: Path) -> None:
    docs = json.loads((site / "search" / "search_index.json").read_text("utf-8"))["docs"]
    assert any("8BITMIME" in doc["text"] for doc in docs if doc["location"].startswith("smtp/"))
