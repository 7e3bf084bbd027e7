"""A coordinator signs in to the board in a real browser: the link the bot gave, its page's button, the board;
the same link opened again is refused. Each page is checked for accessibility and kept as a screenshot, at a
desktop's and a phone's width."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect

from bot import i18n
from bot.app import App
from bot.web.server import WebServer
from tests.browser.conftest import NewContext
from tests.browser.support import (
    BOTH_VIEWPORTS,
    assert_accessible,
    assert_fits_width,
    board_link,
    check_page,
    screenshot,
    server_root,
)
from tests.web.board.conftest import COORDINATOR


def sv(key: str, **params: object) -> str:
    return i18n.translate(key, "sv", **params)


@pytest.mark.parametrize("viewport", BOTH_VIEWPORTS)
async def test_a_coordinator_signs_in_through_the_link_and_the_link_then_is_spent(
        page: Page, app: App, board_server: WebServer, new_context: NewContext, viewport: str):
    link = await board_link(app, board_server, COORDINATOR)

    # The link's page: who signs in, and a button; opening it spent nothing (a link preview only GETs).
    opened = await page.goto(link)
    assert opened is not None and opened.status == 200
    await expect(page.get_by_role("heading", level=1)).to_have_text(sv("board.login.title"))
    await expect(page.get_by_text(sv("board.login.intro", group="Testgruppen"))).to_be_visible()
    button = page.get_by_role("button", name=sv("board.login.button"))
    await expect(button).to_be_visible()
    await check_page(page, "board-login")

    await button.click()
    await page.wait_for_url(lambda url: "/board/" in url and "/board/login/" not in url)

    # The board, as this coordinator of this group: its menu, their group's name, a way out.
    await expect(page.get_by_role("button", name=sv("board.logout"))).to_be_visible()
    await expect(page.locator("header")).to_contain_text("Testgruppen")
    await expect(page.get_by_role("heading", level=1)).to_be_visible()
    [cookie] = await page.context.cookies()
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    # Its width is checked below, on its own (the sessions page is the first until the board has sections).
    await screenshot(page, "board-first-page")
    await assert_accessible(page, "board-first-page")

    # The same link in another browser (forwarded, or read from a chat's history): refused, no button.
    other = await (await new_context()).new_page()
    refused = await other.goto(link)
    assert refused is not None and refused.status == 410
    await expect(other.get_by_text(sv("board.login.spent"))).to_be_visible()
    await expect(other.get_by_role("button", name=sv("board.login.button"))).to_have_count(0)
    assert await other.context.cookies() == []
    await check_page(other, "board-login-spent")

    # The first browser is still signed in.
    await page.reload()
    await expect(page.get_by_role("button", name=sv("board.logout"))).to_be_visible()


@pytest.mark.parametrize("viewport", ["phone"])
async def test_the_sessions_page_fits_a_phones_screen(coordinator_page: Page, board_server: WebServer,
                                                      viewport: str):
    await coordinator_page.goto(server_root(board_server) + "/board/sessions")
    await expect(coordinator_page.get_by_role("heading", level=1)).to_have_text(sv("board.sessions.title"))
    await assert_fits_width(coordinator_page, "board-sessions")
