"""Browser tests: Debian's Chromium, driven by Playwright's async API, against the test's own web server.

One Chromium for the whole folder (starting it costs about a second), a fresh context (its own cookies and
storage) per test, at the desktop viewport unless the test asks for the phone (`viewport`). They run on SQLite
only: the HTTP-layer tests (tests/web) cover PostgreSQL. Every test here is marked `browser` (`-m browser`
selects them, `-m "not browser"` leaves them out); they run by default.

The tests and these fixtures share one event loop per folder (the browser lives in it), so the App and the
server are made in that loop too: this folder's `app` stands in for the suite's. A fixture of your own that
awaits goes in that loop as well: `@pytest_asyncio.fixture(loop_scope="package")`.

A page's test, in short (tests/browser/support.py has the helpers):

    @pytest.mark.parametrize("viewport", BOTH_VIEWPORTS)
    async def test_…(coordinator_page: Page, app: App, board_server: WebServer, viewport: str):
        page = coordinator_page                      # signed in through a link, on the board's first page
        await page.goto(server_root(board_server) + "/board/…")
        …                                            # press, fill, expect(…) as a person would
        await check_page(page, "board-…")
        # = screenshot (test-artifacts/screenshots/board-…-<viewport>.png), assert_accessible (axe-core: no
        # serious or critical WCAG 2.1 A/AA violation), assert_fits_width (no sideways scrolling on a phone)
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
import pytest_asyncio
from playwright.async_api import Browser, BrowserContext, Page, async_playwright
from pytest_asyncio import is_async_test

from bot.app import App
from bot.clock import FrozenClock
from bot.config import Settings, load_settings
from bot.contributions import Feature
from bot.web.server import WebServer
from tests.browser.support import CHROMIUM, CHROMIUM_FLAGS, VIEWPORTS, PageProblems, is_local, sign_in
from tests.conftest import RecordingNotifier
from tests.web.board.conftest import BOARD_URL, COORDINATOR

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


NewContext = Callable[[], Awaitable[BrowserContext]]


@pytest_asyncio.fixture(loop_scope="package")
async def new_context(chromium: Browser, viewport: str, page_problems: PageProblems
                      ) -> AsyncIterator[NewContext]:
    """Make a fresh browser context (another person's browser: no cookies, no storage) at the test's
    viewport, in Swedish and Stockholm's time; a request off this machine is aborted and fails the test, as
    do script errors and CSP breaches. All are closed at the test's end."""
    made: list[BrowserContext] = []

    async def make() -> BrowserContext:
        browser_context = await chromium.new_context(**VIEWPORTS[viewport].context_options(), locale="sv-SE",
                                                     timezone_id="Europe/Stockholm")
        made.append(browser_context)
        await browser_context.route(lambda url: not is_local(url), page_problems.block)
        browser_context.on("page", page_problems.watch)
        return browser_context

    yield make
    for browser_context in made:
        await browser_context.close()
    assert not page_problems, page_problems.report()


@pytest_asyncio.fixture(loop_scope="package")
async def context(new_context: NewContext) -> BrowserContext:
    """The test's browser context (see new_context)."""
    return await new_context()


@pytest_asyncio.fixture(loop_scope="package")
async def page(context: BrowserContext) -> Page:
    """A new tab of the test's context."""
    return await context.new_page()


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    """The test's settings with the board on (at tests/web/board's BOARD_URL: the links the bot gives start
    with it, and `board_link` turns them into the test server's)."""
    return load_settings(database_url=database_url, data_dir=tmp_path / "data", output_dir=tmp_path / "out",
                         board_url=BOARD_URL, _env_file=None)


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
    """The bot's web server (the board on) over the test's App, on a free port of 127.0.0.1, listening."""
    server = WebServer(app, "127.0.0.1", 0)
    await server.start()
    yield server
    await server.close()


@pytest_asyncio.fixture(loop_scope="package")
async def coordinator_page(page: Page, app: App, board_server: WebServer) -> Page:
    """The test's page signed in to the board, through a link, as a coordinator of the test workspace
    (tests/web/board's COORDINATOR, of guild-1), on the board's first page."""
    await sign_in(page, app, board_server, COORDINATOR)
    return page
