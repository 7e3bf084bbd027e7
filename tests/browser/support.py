"""What a browser test needs besides its fixtures: the viewports, screenshots kept as artifacts, the
accessibility and width checks (check_page: both and a screenshot), what the page did that it must not
(third-party requests, script errors, CSP), and signing in to the board through a link.

Chromium is Debian's (/usr/bin/chromium), never a browser Playwright downloads; `./dev test` installs it.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from axe_playwright_python.async_playwright import Axe
from playwright.async_api import ConsoleMessage, Page, Request, Route

from bot.app import App
from bot.services import board
from bot.services.context import Identity
from bot.web.server import WebServer
from tests.web.board.conftest import BOARD_URL

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
# Playwright adds --headless itself (headless is its default) and a fresh, temporary user-data-dir per launch.
# The rest keep the browser from reaching out on its own (updates, sync, field trials, QUIC probes) on a
# machine whose only network is the loopback, and let it run as root in a container (no sandbox).
CHROMIUM_FLAGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


@dataclass(frozen=True)
class Viewport:
    """A window size to test at; a phone also honours the page's <meta name="viewport"> and touch."""

    name: str
    width: int
    height: int
    phone: bool = False

    def context_options(self) -> dict[str, Any]:
        return {"viewport": {"width": self.width, "height": self.height}, "is_mobile": self.phone,
                "has_touch": self.phone}


DESKTOP = Viewport("desktop", 1280, 800)
PHONE = Viewport("phone", 390, 844, phone=True)
VIEWPORTS = {viewport.name: viewport for viewport in (DESKTOP, PHONE)}
# For @pytest.mark.parametrize("viewport", BOTH_VIEWPORTS): the test runs at each.
BOTH_VIEWPORTS = tuple(VIEWPORTS)


def screenshot_dir() -> Path:
    """Where screenshots go: $TEST_ARTIFACTS, by default test-artifacts/screenshots/ at the repository root
    (ignored by git; CI keeps the folder)."""
    return Path(os.environ.get("TEST_ARTIFACTS") or ROOT / "test-artifacts" / "screenshots")


def _viewport_name(page: Page) -> str:
    size = page.viewport_size or {"width": 0, "height": 0}
    for viewport in VIEWPORTS.values():
        if (viewport.width, viewport.height) == (size["width"], size["height"]):
            return viewport.name
    return f"{size['width']}x{size['height']}"


async def screenshot(page: Page, name: str) -> Path:
    """Save the whole page (not only the window) as `<name>-<viewport>.png` in screenshot_dir(); return the
    file. A later run overwrites it, so the folder always shows the latest look of each page."""
    folder = screenshot_dir()
    folder.mkdir(parents=True, exist_ok=True)
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-")
    path = folder / f"{slug}-{_viewport_name(page)}.png"
    await page.screenshot(path=path, full_page=True)
    return path


# What the board promises: WCAG 2.1 at levels A and AA (axe-core's tags for them and for 2.0's, which 2.1
# includes).
WCAG_21_AA = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")
# axe's impacts are minor, moderate, serious and critical; the last two block a person from using the page.
BLOCKING_IMPACTS = frozenset({"serious", "critical"})
# axe-core as axe-playwright-python bundles it (its release pins the version): read once, injected per check.
_AXE = Axe()


def _selector(target: Any) -> str:
    # A node inside an iframe or a shadow root is a list of selectors, outermost first.
    return " >> ".join(target) if isinstance(target, list) else str(target)


def describe_violations(name: str, url: str, violations: list[dict[str, Any]]) -> str:
    """axe's violations as a reader wants them: per rule its impact, help text and link, then each node's
    selector and what to fix there."""
    heading = (f"{name} ({url}): {len(violations)} serious or critical accessibility violation(s) (axe-core, "
               "WCAG 2.1 A/AA):")
    lines = [heading]
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']} — "
                     f"{violation['helpUrl']}")
        for node in violation["nodes"]:
            selector = " ".join(_selector(target) for target in node["target"])
            summary = " ".join(node.get("failureSummary", "").split())
            lines.append(f"    {selector}: {summary}")
    return "\n".join(lines)


async def accessibility_violations(page: Page) -> list[dict[str, Any]]:
    """Run axe-core in the page with the WCAG 2.1 A and AA rules; return its serious and critical
    violations (the minor and moderate ones are not returned)."""
    options = {"runOnly": {"type": "tag", "values": list(WCAG_21_AA)}, "resultTypes": ["violations"]}
    results = await _AXE.run(page, options=options)
    return [violation for violation in results.response["violations"]
            if violation["impact"] in BLOCKING_IMPACTS]


async def assert_accessible(page: Page, name: str) -> None:
    """Fail when the page as it is now has a serious or critical WCAG 2.1 A/AA violation; `name` says which
    page in the message."""
    violations = await accessibility_violations(page)
    assert not violations, describe_violations(name, page.url, violations)


def is_local(url: str) -> bool:
    """Whether a URL stays on this machine (the test's server) or in the page (data:, blob:, about:)."""
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", "about"):
        return True
    return parts.hostname in ("127.0.0.1", "localhost", "::1")


@dataclass
class PageProblems:
    """What pages did during a test that no page of ours may do: a request off this machine (aborted before
    it leaves: no third-party requests), an uncaught script error, a content-security-policy violation.

    The context fixture fails the test with them at its end; a test that provokes one on purpose reads and
    clears them."""

    third_party_requests: list[str] = field(default_factory=list)
    script_errors: list[str] = field(default_factory=list)
    csp_violations: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.third_party_requests or self.script_errors or self.csp_violations)

    def clear(self) -> None:
        self.third_party_requests.clear()
        self.script_errors.clear()
        self.csp_violations.clear()

    async def block(self, route: Route, request: Request) -> None:
        self.third_party_requests.append(request.url)
        await route.abort("blockedbyclient")

    def on_console(self, message: ConsoleMessage) -> None:
        # Chromium reports a CSP refusal as a console error ("Refused to … because it violates the following
        # Content Security Policy directive …"); other console errors (a 404'd favicon) are not ours to judge.
        if message.type == "error" and "Content Security Policy" in message.text:
            self.csp_violations.append(message.text)

    def on_page_error(self, error: Exception) -> None:
        self.script_errors.append(str(error))

    def watch(self, page: Page) -> None:
        page.on("console", self.on_console)
        page.on("pageerror", self.on_page_error)

    def report(self) -> str:
        return (f"the pages made third-party requests {self.third_party_requests}, had script errors "
                f"{self.script_errors}, broke their CSP {self.csp_violations}")


async def assert_fits_width(page: Page, name: str) -> None:
    """Fail when the page is wider than the screen, so that a phone would zoom out or scroll sideways (a
    wide table should scroll in its own box instead)."""
    # Not window.innerWidth: a phone widens its layout viewport to fit a page that overflows.
    screen = (page.viewport_size or {"width": 0})["width"]
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= screen, (f"{name} ({page.url}) is {width} px wide, wider than the "
                             f"{_viewport_name(page)}'s {screen} px")


async def check_page(page: Page, name: str) -> None:
    """What every page of the board must pass, as it is now: the accessibility check and the screen's width;
    and a screenshot of it, taken first, so that a failure can be seen."""
    await screenshot(page, name)
    await assert_accessible(page, name)
    await assert_fits_width(page, name)


def server_root(server: WebServer) -> str:
    """The test server's address (the links the bot gives name BOARD_URL instead)."""
    return f"http://127.0.0.1:{server.port}"


async def board_link(app: App, server: WebServer, who: Identity) -> str:
    """The one-time link the bot gives `who` (as /board answers them), on the test's server."""
    reply = await app.run(who, board.login_link)
    [link] = reply.links
    assert link.url.startswith(BOARD_URL + "/board/login/"), link.url
    return server_root(server) + link.url.removeprefix(BOARD_URL)


async def sign_in(page: Page, app: App, server: WebServer, who: Identity) -> None:
    """Sign `page` in as `who` as a person does: open the link, press its button; wait for the board."""
    link = await board_link(app, server, who)
    await page.goto(link)
    # The page's only button, whichever language it is in (the coordinator's).
    await page.locator("main").get_by_role("button").click()
    await page.wait_for_url(lambda url: "/board/" in url and "/board/login/" not in url)
