"""What the browser tests share: which Chromium to launch, how the site is served, a visit.

The site is built once per run (``shared_site``) for ``http://labo.test/depot/``, served by
Python's own HTTP server on a free loopback port, and Chromium resolves ``labo.test`` to that
port and nothing else (``chromium_args``): every other name fails to resolve, and any other
address goes to a loopback "proxy" that refuses connections. Every request the browser makes
elsewhere is recorded too, so a test can assert there was none. Chromium blocks in its network
stack, so no request waits for the test's Python to let it go. No browser is ever downloaded:
the distribution's Chromium is used where it is installed (``/usr/bin/chromium``, as
``.ci/run`` installs it), else one that Playwright already has.
"""

from __future__ import annotations

import contextlib
import http.server
import os
import shutil
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import browser_axe
import pytest
from playwright import sync_api as playwright_api
from shared_site import SITE_URL

#: Chromium's switches for a quiet headless run: no sandbox (CI runs as root), no GPU, and none
#: of the background traffic (updates, field trials) that would leave the loopback.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def chromium_args(refusing_port: int, site_port: int) -> list[str]:
    """``CHROMIUM_ARGS``, and what keeps every request on the loopback.

    ``SITE_HOST`` resolves to the site's server at ``127.0.0.1:site_port`` and no other host
    name resolves (but 127.0.0.1), so not even a DNS query leaves; every other address but the
    loopback's (which Chromium never sends to a proxy) goes through a proxy at
    ``127.0.0.1:refusing_port``, a port the caller holds without listening: an IP address
    written in a page is refused there too.
    """
    return [
        *CHROMIUM_ARGS,
        f"--host-resolver-rules=MAP {SITE_HOST} 127.0.0.1:{site_port},"
        " MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        f"--proxy-server=http://127.0.0.1:{refusing_port}",
        f"--proxy-bypass-list={SITE_HOST}",
    ]


@contextlib.contextmanager
def refusing_port() -> Iterator[int]:
    """A loopback port bound and never listened on: every connection to it is refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as held:
        held.bind(("127.0.0.1", 0))
        yield held.getsockname()[1]


#: Where Debian and Ubuntu install Chromium; ``CHROMIUM`` names another executable.
DISTRIBUTION_CHROMIUM = "/usr/bin/chromium"


def chromium_executable(playwright: playwright_api.Playwright) -> str | None:
    """The Chromium to launch: ``$CHROMIUM``, the distribution's, or Playwright's own if present.

    Returns None for Playwright's own browser; skips the test when there is none at all.
    """
    for candidate in (os.environ.get("CHROMIUM"), DISTRIBUTION_CHROMIUM, shutil.which("chromium")):
        if candidate and Path(candidate).is_file():
            return candidate
    if Path(playwright.chromium.executable_path).is_file():
        return None
    pytest.skip(
        "aucun Chromium sur cette machine\u00a0: installez le paquet chromium "
        "(apt-get install chromium) pour lancer les tests dans un vrai navigateur"
    )


#: The project sub-path the site is served under, as GitHub Pages serves a project's site.
SUB_PATH = browser_axe.SUB_PATH
#: The site's host name, as the browser asks for it.
SITE_HOST = urlsplit(SITE_URL).hostname


class SubPathHandler(http.server.SimpleHTTPRequestHandler):
    """Serves the built site under ``SUB_PATH`` only, quietly."""

    def translate_path(self, path: str) -> str:
        if path == SUB_PATH + browser_axe.AXE_PATH:  # the tests' own copy, not a file of the site
            return str(browser_axe.AXE_SCRIPT)
        if not path.startswith(SUB_PATH):
            return str(Path(self.directory) / "introuvable" / "ailleurs")
        return super().translate_path("/" + path.removeprefix(SUB_PATH))

    def log_message(self, format: str, *args: object) -> None:
        """Served requests are not the test's output."""


@dataclass
class Visit:
    """A fresh page on the site, and what it tried to do that a test may refuse."""

    page: playwright_api.Page
    base_url: str
    outside_requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def open(self, path: str) -> None:
        """Load ``path`` (relative to the site's root) and wait until its scripts have run."""
        self.page.goto(self.base_url + path, wait_until="load")


class Reader:
    """One browser context, and one tab in it, for visits made one after the other, as a
    reader's browser: its HTTP cache, compiled scripts and renderer process are kept from one
    page to the next, which spares the browser most of a page's work after the first (a new
    tab costs a new renderer process, about a CPU-second).
    """

    def __init__(self, context: playwright_api.BrowserContext, base_url: str) -> None:
        self.context = context
        self.base_url = base_url
        self._site = urlsplit(base_url).netloc
        self._current: Visit | None = None
        self._page: playwright_api.Page | None = None
        context.on("request", self._record)

    def _record(self, request: playwright_api.Request) -> None:
        """Every request leaving the site, for the visit under way (workers' included)."""
        url = request.url
        if self._current and urlsplit(url).netloc != self._site and not url.startswith(_LOCAL):
            self._current.outside_requests.append(url)

    def _console(self, message: playwright_api.ConsoleMessage) -> None:
        if self._current and message.type == "error":
            self._current.console_errors.append(message.text)

    def _page_error(self, error: Exception) -> None:
        if self._current:
            self._current.console_errors.append(str(error))

    def _tab(self) -> playwright_api.Page:
        if self._page is None or self._page.is_closed():
            self._page = self.context.new_page()
            self._page.on("console", self._console)
            self._page.on("pageerror", self._page_error)
        return self._page

    @contextlib.contextmanager
    def visit(self) -> Iterator[Visit]:
        """A visit in the reader's tab: what it records starts empty."""
        visit = Visit(self._tab(), self.base_url)
        self._current = visit
        try:
            yield visit
        finally:
            self._current = None


@contextlib.contextmanager
def open_reader(browser: playwright_api.Browser, base_url: str, **options: Any) -> Iterator[Reader]:
    """A new browser context on the site, closed afterwards; ``options`` as Playwright takes."""
    context = browser.new_context(**options)
    try:
        yield Reader(context, base_url)
    finally:
        context.close()


@contextlib.contextmanager
def open_visit(browser: playwright_api.Browser, base_url: str, **options: Any) -> Iterator[Visit]:
    """A visit in a browser context of its own, closed afterwards."""
    with open_reader(browser, base_url, **options) as reader, reader.visit() as visit:
        yield visit


#: Addresses that never leave the browser: the page's own data and blobs.
_LOCAL = ("data:", "blob:", "about:")

DESKTOP = {"viewport": {"width": 1280, "height": 900}}
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
}
