"""Nothing on the site is fetched from another host: no font, script, style, image or frame.

Reading the site must not tell a third party who reads what. Links a reader follows (the RFCs)
are fine: the browser fetches them only on a click.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from site_html import css_urls, fetched_urls, is_remote, parse_html, read_page

#: URLs on font or script CDNs, the usual way a theme loads third-party resources.
CDN_URL = re.compile(
    r"(?:https?:)?//(?:[\w-]+\.)*"
    r"(?:fonts\.googleapis\.com|fonts\.gstatic\.com|fonts\.bunny\.net|use\.typekit\.net"
    r"|unpkg\.com|cdn\.jsdelivr\.net|cdnjs\.cloudflare\.com|ajax\.googleapis\.com"
    r"|code\.jquery\.com|bootstrapcdn\.com|fontawesome\.com|polyfill\.io|esm\.sh|skypack\.dev)"
    r"""[^\s"'`)]*"""
)

#: CDN URLs inside Material's JavaScript bundle, each loaded only in a case this site avoids.
KNOWN_THEME_FALLBACKS = {
    # Loaded only on a page that holds a Mermaid diagram: see test_no_page_holds_a_mermaid_diagram.
    "https://unpkg.com/mermaid@11/dist/mermaid.min.js",
    # Loaded only by browsers without ResizeObserver, which every current browser has.
    "https://unpkg.com/resize-observer-polyfill",
}

#: Mentions of these URLs in Material's bundle are licence notices, never fetched.
LICENCE_NOTICES = {"https://fontawesome.com", "https://fontawesome.com/license/free"}


@pytest.fixture(scope="module")
def html_files(site: Path) -> list[Path]:
    files = sorted(site.rglob("*.html"))
    assert files, "aucune page construite"
    return files


def test_no_page_fetches_a_resource_from_another_host(site: Path, html_files: list[Path]) -> None:
    remote = [
        f"{path.relative_to(site)}: {where} {url}"
        for path in html_files
        for where, url in fetched_urls(read_page(path))
        if is_remote(url)
    ]
    assert remote == []


def test_no_inline_script_mentions_a_cdn(site: Path, html_files: list[Path]) -> None:
    found = [
        f"{path.relative_to(site)}: {url}"
        for path in html_files
        for script in read_page(path).inline_scripts
        for url in CDN_URL.findall(script)
    ]
    assert found == []


def test_no_stylesheet_fetches_a_resource_from_another_host(site: Path) -> None:
    sheets = sorted(site.rglob("*.css"))
    assert sheets, "aucune feuille de style construite"
    remote = [
        f"{sheet.relative_to(site)}: {url}"
        for sheet in sheets
        for url in css_urls(sheet.read_text(encoding="utf-8"))
        if is_remote(url)
    ]
    assert remote == []


def test_theme_scripts_reach_a_cdn_only_through_known_fallbacks(site: Path) -> None:
    scripts = sorted(site.rglob("*.js"))
    assert scripts, "aucun script construit"
    found = {url for script in scripts for url in CDN_URL.findall(script.read_text("utf-8"))}
    assert sorted(found - KNOWN_THEME_FALLBACKS - LICENCE_NOTICES) == []


def test_no_page_holds_a_mermaid_diagram(site: Path, html_files: list[Path]) -> None:
    pages = [path.relative_to(site).as_posix() for path in html_files]
    with_mermaid = [page for page, path in zip(pages, html_files, strict=True) if _mermaid(path)]
    assert with_mermaid == []


def _mermaid(path: Path) -> bool:
    return read_page(path).has_class("mermaid")


# --- the scanner itself -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "html",
    [
        '<script src="https://cdn.example.net/app.js"></script>',
        '<link rel="stylesheet" href="//cdn.example.net/theme.css">',
        '<link rel="preload" as="font" href="https://fonts.example.net/a.woff2">',
        '<link rel="icon" href="https://example.net/favicon.ico">',
        '<img src="http://example.net/photo.png" alt="">',
        '<img srcset="photo.png 1x, https://example.net/photo@2x.png 2x" alt="">',
        '<picture><source srcset="https://example.net/photo.webp"></picture>',
        '<iframe src="https://example.net/video"></iframe>',
        "<div style=\"background: url('https://example.net/bg.png')\"></div>",
        '<style>@import "https://example.net/fonts.css";</style>',
        '<svg><image href="https://example.net/logo.png"/></svg>',
    ],
)
def test_scanner_flags_a_remote_resource(html: str) -> None:
    assert [url for _, url in fetched_urls(parse_html(html)) if is_remote(url)]


@pytest.mark.parametrize(
    "html",
    [
        '<a href="https://www.rfc-editor.org/rfc/rfc5321">RFC 5321</a>',
        '<script src="../assets/javascripts/bundle.js"></script>',
        '<link rel="stylesheet" href="assets/stylesheets/main.css">',
        '<img src="data:image/png;base64,iVBORw0KGgo=" alt="">',
        '<svg><use href="#trajet-fleche"/></svg>',
    ],
)
def test_scanner_accepts_local_resources_and_plain_links(html: str) -> None:
    assert [url for _, url in fetched_urls(parse_html(html)) if is_remote(url)] == []


def test_cdn_pattern_finds_a_font_stylesheet() -> None:
    text = 'e.href="https://fonts.googleapis.com/css?family=Roboto"'
    assert CDN_URL.findall(text) == ["https://fonts.googleapis.com/css?family=Roboto"]
