"""Fixtures of the browser tests: the run's site served on a free port, one Chromium a module.

Chromium is stopped at the end of each module: Playwright's synchronous API keeps an event loop
running in the main thread while it lives, and the other modules that the same test worker runs
next (``asyncio.run`` in the lab's tests) must not find one.
"""

from __future__ import annotations

import functools
import http.server
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

SITE_TESTS = Path(__file__).resolve().parents[1] / "site"
if str(SITE_TESTS) not in sys.path:
    sys.path.insert(0, str(SITE_TESTS))

from browser_session import (  # noqa: E402
    DESKTOP,
    PHONE,
    Reader,
    SubPathHandler,
    Visit,
    chromium_args,
    chromium_executable,
    open_reader,
    open_visit,
    refusing_port,
)
from playwright import sync_api as playwright_api  # noqa: E402
from shared_site import SITE_URL, shared_site  # noqa: E402


@pytest.fixture(scope="session")
def site_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """The free loopback port that serves the run's site (``shared_site``) under ``SUB_PATH``;
    Chromium resolves the site's host name there (``chromium_args``)."""
    site_dir = shared_site(tmp_path_factory)
    handler = functools.partial(SubPathHandler, directory=str(site_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="site-http", daemon=True)
    thread.start()
    yield server.server_port
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture(scope="session")
def base_url() -> str:
    """``http://labo.test/depot/``: the site's address, as a deployment under a sub-path."""
    return SITE_URL


@pytest.fixture(scope="module")
def browser(site_port: int) -> Iterator[playwright_api.Browser]:
    """The module's Chromium: every test opens its own context in it."""
    with playwright_api.sync_playwright() as playwright, refusing_port() as port:
        executable = chromium_executable(playwright)
        arguments = chromium_args(port, site_port)
        launched = playwright.chromium.launch(executable_path=executable, args=arguments)
        yield launched
        launched.close()


@pytest.fixture
def visit(browser: playwright_api.Browser, base_url: str) -> Iterator[Visit]:
    """A desktop-sized visit in the light scheme."""
    with open_visit(browser, base_url, **DESKTOP) as opened:
        yield opened


@pytest.fixture(scope="module")
def phone(browser: playwright_api.Browser, base_url: str) -> Iterator[Reader]:
    """A 390 px wide phone screen, touch included, read page after page in one tab."""
    with open_reader(browser, base_url, **PHONE) as reader:
        yield reader


@pytest.fixture
def phone_visit(phone: Reader) -> Iterator[Visit]:
    """A visit on the module's phone (its tab and cache kept from the visit before)."""
    with phone.visit() as visit:
        yield visit
