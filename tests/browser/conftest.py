"""Fixtures of the browser tests: one build and one server for the session, one Chromium a module.

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
    SUB_PATH,
    SubPathHandler,
    Visit,
    chromium_args,
    chromium_executable,
    open_visit,
    refusing_port,
)
from playwright import sync_api as playwright_api  # noqa: E402
from site_build import REPO, build  # noqa: E402


@pytest.fixture(scope="session")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The site, built for and served at ``http://127.0.0.1:<free port>/depot/``.

    The port is chosen first and the site built with ``SITE_URL`` set to that address, as a
    deployment does: the sitemap, hence instant navigation, and the 404 page's links use it.
    """
    site_dir = tmp_path_factory.mktemp("site-navigateur")
    handler = functools.partial(SubPathHandler, directory=str(site_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    url = f"http://127.0.0.1:{server.server_port}{SUB_PATH}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SITE_URL", url)
        result = build(REPO, site_dir)
    if result.returncode != 0:
        server.server_close()
        pytest.fail(f"mkdocs build --strict a échoué\u00a0:\n{result.output}", pytrace=False)
    thread = threading.Thread(target=server.serve_forever, name="site-http", daemon=True)
    thread.start()
    yield url
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture(scope="module")
def browser() -> Iterator[playwright_api.Browser]:
    """The module's Chromium: every test opens its own context in it."""
    with playwright_api.sync_playwright() as playwright, refusing_port() as port:
        executable = chromium_executable(playwright)
        launched = playwright.chromium.launch(executable_path=executable, args=chromium_args(port))
        yield launched
        launched.close()


@pytest.fixture
def visit(browser: playwright_api.Browser, base_url: str) -> Iterator[Visit]:
    """A desktop-sized visit in the light scheme."""
    with open_visit(browser, base_url, **DESKTOP) as opened:
        yield opened


@pytest.fixture(params=["light", "dark"], ids=["clair", "sombre"])
def visit_in_each_scheme(
    request: pytest.FixtureRequest, browser: playwright_api.Browser, base_url: str
) -> Iterator[Visit]:
    """A visit whose system preference is the light scheme, then the dark one (slate)."""
    with open_visit(browser, base_url, **DESKTOP, color_scheme=request.param) as opened:
        yield opened


@pytest.fixture
def phone_visit(browser: playwright_api.Browser, base_url: str) -> Iterator[Visit]:
    """A visit on a 390 px wide phone screen, touch included."""
    with open_visit(browser, base_url, **PHONE) as opened:
        yield opened
