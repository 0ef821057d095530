"""Read a built page with the standard library's HTML parser: what the site tests look at.

One pass collects the page language, every element with its attributes, inline styles and
scripts, abbreviations, tables and glossary terms. The resource helpers then list every URL a
browser would fetch on its own while showing the page (links a reader clicks are not fetched).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Element:
    tag: str
    attrs: dict[str, str]


@dataclass
class Page:
    lang: str | None = None
    elements: list[Element] = field(default_factory=list)
    styles: list[str] = field(default_factory=list)  # <style> contents
    inline_scripts: list[str] = field(default_factory=list)  # <script> without src
    abbreviations: list[tuple[str, str]] = field(default_factory=list)  # (title, text)
    tables: list[list[list[str]]] = field(default_factory=list)  # rows of cell texts
    terms: list[str] = field(default_factory=list)  # <dt> texts

    def has_class(self, name: str) -> bool:
        return any(name in element.attrs.get("class", "").split() for element in self.elements)


def _clean(text: str) -> str:
    """Collapse runs of white space (no-break spaces included) into one ordinary space."""
    return " ".join(text.split())


class _PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self._captures: list[list[str]] = []  # open text buffers (abbr, cell, term…)
        self._abbr_titles: list[str] = []
        self._raw: str | None = None  # "style" or "script" while inside one
        self._tables: list[list[list[str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        self.page.elements.append(Element(tag, values))
        if tag == "html":
            self.page.lang = values.get("lang")
        elif tag == "style" or (tag == "script" and "src" not in values):
            self._raw = tag
            self._captures.append([])
        elif tag in ("abbr", "dt", "td", "th"):
            if tag == "abbr":
                self._abbr_titles.append(values.get("title", ""))
            self._captures.append([])
        elif tag == "table":
            self._tables.append([])
        elif tag == "tr" and self._tables:
            self._tables[-1].append([])

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script") and self._raw == tag:
            self._raw = None
            text = "".join(self._captures.pop())
            (self.page.styles if tag == "style" else self.page.inline_scripts).append(text)
        elif tag in ("abbr", "dt", "td", "th") and self._captures:
            text = _clean("".join(self._captures.pop()))
            if tag == "abbr":
                self.page.abbreviations.append((self._abbr_titles.pop(), text))
            elif tag == "dt":
                self.page.terms.append(text)
            elif self._tables and self._tables[-1]:
                self._tables[-1][-1].append(text)
        elif tag == "table" and self._tables:
            self.page.tables.append(self._tables.pop())

    def handle_data(self, data: str) -> None:
        if self._raw is not None:
            self._captures[-1].append(data)
            return
        for buffer in self._captures:
            buffer.append(data)


def read_page(path: Path) -> Page:
    parser = _PageParser()
    parser.feed(path.read_text(encoding="utf-8"))
    parser.close()
    return parser.page


def parse_html(html: str) -> Page:
    parser = _PageParser()
    parser.feed(html)
    parser.close()
    return parser.page


# --- resources ------------------------------------------------------------------------------

#: <link rel="…"> values that make the browser fetch (or connect to) the target by itself.
LOADING_LINK_RELS = frozenset(
    {
        "stylesheet",
        "icon",
        "apple-touch-icon",
        "mask-icon",
        "manifest",
        "preload",
        "modulepreload",
        "prefetch",
        "preconnect",
        "dns-prefetch",
    }
)

#: Attributes holding a URL the browser fetches, per element (SVG's <image> and <use> included).
LOADING_ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "script": ("src",),
    "img": ("src", "srcset"),
    "source": ("src", "srcset"),
    "iframe": ("src",),
    "frame": ("src",),
    "video": ("src", "poster"),
    "audio": ("src",),
    "track": ("src",),
    "embed": ("src",),
    "object": ("data",),
    "input": ("src",),
    "image": ("href", "xlink:href"),
    "use": ("href", "xlink:href"),
}

_CSS_URL = re.compile(r"""url\(\s*(['"]?)(.*?)\1\s*\)|@import\s+(['"])(.*?)\3""", re.I)


def css_urls(css: str) -> list[str]:
    """Every URL a style sheet (or a style attribute) would fetch: url(…) and @import."""
    return [match[1] or match[3] for match in _CSS_URL.findall(css)]


def _srcset_urls(value: str) -> list[str]:
    return [candidate.split()[0] for candidate in value.split(",") if candidate.strip()]


def fetched_urls(page: Page) -> Iterator[tuple[str, str]]:
    """Yield ``(where, url)`` for every URL the browser fetches without a click."""
    for element in page.elements:
        attrs = element.attrs
        if element.tag == "link":
            rels = set(attrs.get("rel", "").lower().split())
            if rels & LOADING_LINK_RELS and attrs.get("href"):
                yield f"<link rel={attrs['rel']}>", attrs["href"]
        for name in LOADING_ATTRIBUTES.get(element.tag, ()):
            value = attrs.get(name)
            if not value:
                continue
            urls = _srcset_urls(value) if name == "srcset" else [value]
            for url in urls:
                yield f"<{element.tag} {name}>", url
        for url in css_urls(attrs.get("style", "")):
            yield f"<{element.tag} style>", url
    for css in page.styles:
        for url in css_urls(css):
            yield "<style>", url


def is_remote(url: str) -> bool:
    """True for a URL on another host: http(s)://… or protocol-relative //…"""
    url = url.strip()
    return url.startswith("//") or urlsplit(url).scheme.lower() in ("http", "https")
