"""A real browser on the built site: Chromium driven by Playwright, one at a time.

The site is built once, served by Python's own HTTP server on a free loopback port, and every
request the browser makes elsewhere is blocked and recorded, so a test can assert there was none.
No browser is ever downloaded: the distribution's Chromium is used where it is installed
(``/usr/bin/chromium``, as ``.ci/run`` installs it), else one that Playwright already has.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

SITE_TESTS = Path(__file__).resolve().parents[1] / "site"
if str(SITE_TESTS) not in sys.path:
    sys.path.insert(0, str(SITE_TESTS))

from site_build import REPO, build  # noqa: E402

playwright_api = pytest.importorskip(
    "playwright.sync_api", reason="Playwright n’est pas installé\u00a0: make .venv/.installed"
)

#: Chromium's switches for a quiet headless run: no sandbox (CI runs as root), no GPU, and none
#: of the background traffic (updates, field trials) that would leave the loopback.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]

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


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A strict build of the repository, as `make build` makes it."""
    result = build(REPO, tmp_path_factory.mktemp("site-navigateur"))
    if result.returncode != 0:
        pytest.fail(f"mkdocs build --strict a échoué\u00a0:\n{result.output}", pytrace=False)
    return result.site_dir


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """Served requests are not the test's output."""


@pytest.fixture(scope="session")
def base_url(built_site: Path) -> Iterator[str]:
    """The built site served on 127.0.0.1, on a port the system chooses."""
    handler = functools.partial(_QuietHandler, directory=str(built_site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="site-http", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture(scope="session")
def browser() -> Iterator[playwright_api.Browser]:
    """The one Chromium of the session: every test opens its own context in it."""
    with playwright_api.sync_playwright() as playwright:
        executable = chromium_executable(playwright)
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@dataclass
class Visit:
    """A fresh browser context on the site, and what it tried to do that a test may refuse."""

    page: playwright_api.Page
    base_url: str
    outside_requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def open(self, path: str) -> None:
        """Load ``path`` (relative to the site's root) and wait until its scripts have run."""
        self.page.goto(self.base_url + path, wait_until="load")
        self.page.wait_for_load_state("networkidle")


def _visit(browser: playwright_api.Browser, base_url: str, **options: object) -> Iterator[Visit]:
    context = browser.new_context(**options)
    visit = Visit(context.new_page(), base_url)
    site = urlsplit(base_url).netloc

    def only_the_site(route: playwright_api.Route) -> None:
        if urlsplit(route.request.url).netloc == site:
            route.continue_()
        else:
            visit.outside_requests.append(route.request.url)
            route.abort()

    context.route("**/*", only_the_site)
    visit.page.on(
        "console",
        lambda message: (
            visit.console_errors.append(message.text) if message.type == "error" else None
        ),
    )
    visit.page.on("pageerror", lambda error: visit.console_errors.append(str(error)))
    yield visit
    context.close()


@pytest.fixture
def visit(browser: playwright_api.Browser, base_url: str) -> Iterator[Visit]:
    """A desktop-sized visit in the light scheme."""
    yield from _visit(browser, base_url, viewport={"width": 1280, "height": 900})


@pytest.fixture(params=["light", "dark"], ids=["clair", "sombre"])
def visit_in_each_scheme(
    request: pytest.FixtureRequest, browser: playwright_api.Browser, base_url: str
) -> Iterator[Visit]:
    """A visit whose system preference is the light scheme, then the dark one (slate)."""
    yield from _visit(
        browser, base_url, viewport={"width": 1280, "height": 900}, color_scheme=request.param
    )


@pytest.fixture
def phone_visit(browser: playwright_api.Browser, base_url: str) -> Iterator[Visit]:
    """A visit on a 390 px wide phone screen, touch included."""
    yield from _visit(
        browser,
        base_url,
        viewport={"width": 390, "height": 844},
        device_scale_factor=3,
        is_mobile=True,
        has_touch=True,
    )
