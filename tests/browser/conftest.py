"""Browser tests: Debian's Chromium, driven by Playwright's async API, against the test's own web server.

One Chromium for the whole folder (starting it costs about a second), a fresh context (its own cookies and
storage) per test, at the desktop viewport unless the test asks for the phone (`viewport`). They run on SQLite
only: the HTTP-layer tests (tests/web) cover PostgreSQL. Every test here is marked `browser` (`-m browser`
selects them, `-m "not browser"` leaves them out); they run by default.

The tests and these fixtures share one event loop per folder (the browser lives in it), so the App and the
server are made in that loop too: this folder's `app` stands in for the suite's.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from playwright.async_api import Browser, BrowserContext, Page, async_playwright
from pytest_asyncio import is_async_test

from bot.app import App
from bot.clock import FrozenClock
from bot.config import Settings
from bot.contributions import Feature
from bot.web.server import WebServer
from tests.browser.support import CHROMIUM, CHROMIUM_FLAGS, VIEWPORTS, PageProblems, is_local
from tests.conftest import RecordingNotifier

HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # A conftest's hook sees the whole session's items: mark only this folder's.
    browser_loop = pytest.mark.asyncio(loop_scope="package")
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.browser)
            if is_async_test(item):
                item.add_marker(browser_loop, append=False)


@pytest_asyncio.fixture(scope="package", loop_scope="package")
async def chromium() -> AsyncIterator[Browser]:
    """Debian's Chromium, headless, started once for the folder."""
    if not CHROMIUM.exists():
        reason = (f"Chromium is not installed ({CHROMIUM}): the browser tests need Debian's package "
                  "(`./dev test` installs it when run as root; or apt-get install chromium)")
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI must run them")
        pytest.skip(reason)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=list(CHROMIUM_FLAGS))
        yield browser
        await browser.close()


@pytest.fixture
def viewport() -> str:
    """The window the test's page has: "desktop" (1280×800) unless the test parametrises it ("phone",
    390×844; `BOTH_VIEWPORTS` for each)."""
    return "desktop"


@pytest.fixture
def page_problems() -> PageProblems:
    """What the test's pages did that they must not; the context fails the test with it at its end."""
    return PageProblems()


@pytest_asyncio.fixture(loop_scope="package")
async def context(chromium: Browser, viewport: str, page_problems: PageProblems
                  ) -> AsyncIterator[BrowserContext]:
    """A fresh browser context (no cookies, no storage) at the test's viewport, in Swedish and Stockholm's
    time; a request off this machine is aborted and fails the test, as do script errors and CSP breaches."""
    browser_context = await chromium.new_context(**VIEWPORTS[viewport].context_options(), locale="sv-SE",
                                                 timezone_id="Europe/Stockholm")
    await browser_context.route(lambda url: not is_local(url), page_problems.block)
    browser_context.on("page", page_problems.watch)
    yield browser_context
    await browser_context.close()
    assert not page_problems, page_problems.report()


@pytest_asyncio.fixture(loop_scope="package")
async def page(context: BrowserContext) -> Page:
    """A new tab of the test's context."""
    return await context.new_page()


@pytest.fixture
def database_url(tmp_path: Path, sqlite_template: Path) -> str:
    """SQLite only: a copy of the migrated template (the suite's own fixture runs PostgreSQL too)."""
    path = tmp_path / "test.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite+aiosqlite:///{path}"


@pytest_asyncio.fixture(loop_scope="package")
async def app(settings: Settings, clock: FrozenClock, notifier: RecordingNotifier,
              features: tuple[Feature, ...]) -> AsyncIterator[App]:
    """The suite's App (frozen clock, recording notifier, scheduler not started), in the browser's loop."""
    application = App(settings, clock, features)
    application.notifier = notifier
    application.dispatcher.notifier = notifier
    yield application
    await application.close()


@pytest_asyncio.fixture(loop_scope="package")
async def board_server(app: App) -> AsyncIterator[WebServer]:
    """The bot's web server over the test's App, on a free port of 127.0.0.1, already listening."""
    server = WebServer(app, "127.0.0.1", 0)
    await server.start()
    yield server
    await server.close()
