"""The browser tests' own tools, proved on small pages this test serves: the accessibility check fails on a
serious violation, screenshots land where the README says, and a page that reaches off the machine, throws or
breaks its CSP fails the test."""

from __future__ import annotations

import struct
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from aiohttp import web
from playwright.async_api import Page

from tests.browser.support import (
    BOTH_VIEWPORTS,
    VIEWPORTS,
    PageProblems,
    assert_accessible,
    assert_fits_width,
    screenshot,
)

# The board's policy (bot/web/board): only this origin's scripts, styles and images.
CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:"


def html(title: str, body: str, head: str = "") -> str:
    return (f'<!doctype html><html lang="sv"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title>'
            f'{head}</head><body><main><h1>{title}</h1>{body}</main></body></html>')


PAGES = {
    "/good": html("Politiker", '<form method="post"><label for="name">Namn</label> '
                                '<input id="name" name="name"><button>Spara</button></form>'),
    # An input no label names: axe's "label" rule (critical).
    "/unlabelled": html("Politiker", '<form method="post"><input id="name" name="name"><button>Spara</button>'
                                     '</form>'),
    # Light grey on white, 1.35:1 where AA asks 4.5:1: axe's "color-contrast" rule (serious).
    "/faint": html("Politiker", '<p class="faint">Uppdaterad i går</p>',
                   '<link rel="stylesheet" href="/faint.css">'),
    "/third-party": html("Politiker", '<img src="https://cdn.third-party.invalid/logo.png" alt="Logga">'),
    "/inline-script": html("Politiker", '<p>Hej</p><script>document.title = "ändrad"</script>'),
    "/throws": html("Politiker", '<p>Hej</p>', '<script src="/throws.js"></script>'),
    # A block wider than a phone: the phone zooms out, its layout viewport (window.innerWidth) grows with it.
    "/wide": html("Politiker", '<p class="wide">Hej</p>', '<link rel="stylesheet" href="/wide.css">'),
}
FILES = {
    "/faint.css": ("text/css", ".faint { color: #ddd; background: #fff; }"),
    "/throws.js": ("text/javascript", "throw new Error('trasig');"),
    "/wide.css": ("text/css", ".wide { width: 600px; }"),
}


async def serve(request: web.Request) -> web.Response:
    path = request.path
    if path in PAGES:
        response = web.Response(text=PAGES[path], content_type="text/html")
    elif path in FILES:
        content_type, text = FILES[path]
        response = web.Response(text=text, content_type=content_type)
    else:
        raise web.HTTPNotFound()
    # The CSP would refuse the third-party image before any request: without it, the guard has to catch it.
    if path != "/third-party":
        response.headers["Content-Security-Policy"] = CSP
    return response


@pytest_asyncio.fixture(loop_scope="package")
async def site() -> AsyncIterator[str]:
    """The pages above on a free port of 127.0.0.1; its base URL."""
    application = web.Application()
    application.router.add_get("/{path:.*}", serve)
    runner = web.AppRunner(application, access_log=None)
    await runner.setup()
    tcp = web.TCPSite(runner, "127.0.0.1", 0)
    await tcp.start()
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


async def test_an_accessible_page_passes_the_check_under_the_boards_csp(page: Page, site: str):
    await page.goto(f"{site}/good")
    await assert_accessible(page, "good")


async def test_an_input_without_a_label_fails_the_check_naming_the_rule_the_node_and_the_help(
        page: Page, site: str):
    await page.goto(f"{site}/unlabelled")
    with pytest.raises(AssertionError) as failure:
        await assert_accessible(page, "unlabelled")
    message = str(failure.value)
    assert "unlabelled" in message and f"{site}/unlabelled" in message
    assert "- label (critical): Form elements must have labels" in message
    assert "#name:" in message


async def test_text_with_too_little_contrast_fails_the_check(page: Page, site: str):
    await page.goto(f"{site}/faint")
    with pytest.raises(AssertionError,
                       match=r"color-contrast \(serious\)[\s\S]*\n    p: .*contrast of 1\.35"):
        await assert_accessible(page, "faint")


@pytest.mark.parametrize("viewport", ["phone"])
async def test_a_page_wider_than_a_phones_screen_fails_the_width_check(page: Page, site: str, viewport: str):
    await page.goto(f"{site}/good")
    await assert_fits_width(page, "good")
    await page.goto(f"{site}/wide")
    with pytest.raises(AssertionError, match=r"/wide\) is 6\d\d px wide, wider than the phone's 390 px"):
        await assert_fits_width(page, "wide")


@pytest.mark.parametrize("viewport", BOTH_VIEWPORTS)
async def test_a_screenshot_is_the_whole_page_at_the_viewports_width_under_test_artifacts(
        page: Page, site: str, viewport: str, tmp_path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("TEST_ARTIFACTS", str(tmp_path))
    await page.goto(f"{site}/good")
    path = await screenshot(page, "harness good")
    assert path == tmp_path / f"harness-good-{viewport}.png"
    png = path.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, _ = struct.unpack(">II", png[16:24])
    assert width == VIEWPORTS[viewport].width


@pytest.mark.parametrize(("path", "kind"), [("/third-party", "third_party_requests"),
                                            ("/inline-script", "csp_violations"),
                                            ("/throws", "script_errors")])
async def test_what_a_page_must_not_do_is_recorded_and_would_fail_the_test(
        page: Page, site: str, page_problems: PageProblems, path: str, kind: str):
    await page.goto(f"{site}{path}", wait_until="load")
    # The console and error events may arrive a moment after the load.
    await page.wait_for_function("() => true")
    assert getattr(page_problems, kind), page_problems.report()
    assert bool(page_problems)
    if kind == "third_party_requests":
        assert page_problems.third_party_requests == ["https://cdn.third-party.invalid/logo.png"]
    # Provoked on purpose: cleared, so that the context does not fail this test at its end.
    page_problems.clear()


async def test_a_good_page_leaves_no_problem(page: Page, site: str, page_problems: PageProblems):
    await page.goto(f"{site}/good")
    assert not page_problems
