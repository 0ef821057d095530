"""The pages of the site, as a reader's browser asks for them (directory URLs)."""

from __future__ import annotations

from site_build import REPO
from site_config import load_config, nav_pages


def page_paths() -> list[str]:
    """Every page of the nav, relative to the site root, then the 404 page."""
    paths = []
    for page in nav_pages(load_config(REPO / "mkdocs.yml")):
        stem = page.removesuffix(".md")
        paths.append("" if stem == "index" else f"{stem}/")
    return [*paths, "404.html"]


#: Material's content tabs of every example: show the panel whose label starts with ``label``.
OPEN_TABS = """(label) => {
    for (const set of document.querySelectorAll('.labo-run .tabbed-set')) {
        const labels = [...set.querySelectorAll(':scope > .tabbed-labels > label')];
        const index = labels.findIndex(each => each.textContent.trim().startsWith(label));
        if (index >= 0) set.querySelectorAll(':scope > input')[index].click();
    }
}"""
