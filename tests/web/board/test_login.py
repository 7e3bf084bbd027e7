"""Signing in to the board: a one-time link spent by a POST, sessions that end, writes that carry their
token."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta

import aiohttp
import pytest
from sqlalchemy import func, select

from bot.app import App
from bot.clock import FrozenClock
from bot.errors import NotCoordinator, UserError
from bot.models import AuditLog, BoardLink, BoardSession
from bot.services import board, mydata
from bot.web.board import PAGES
from bot.web.board.site import CONTENT_SECURITY_POLICY, preferred_language
from bot.web.server import WebServer
from tests.conftest import identity
from tests.web.board.conftest import BOARD_URL, COORDINATOR, OTHER_COORDINATOR, BoardClient

MEMBER = identity("mia")


async def count(app: App, model: type[BoardLink | BoardSession]) -> int:
    async with app.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_the_link_is_given_to_a_coordinator_only_and_only_its_hash_is_kept(app: App):
    reply = await app.run(COORDINATOR, board.login_link)

    assert reply.private
    [link] = reply.links
    token = link.url.removeprefix(f"{BOARD_URL}/board/login/")
    assert len(token) >= 43
    async with app.sessionmaker() as session:
        stored = list(await session.scalars(select(BoardLink.token_hash)))
    assert stored == [board.token_hash(token)]
    with pytest.raises(NotCoordinator):
        await app.run(MEMBER, board.login_link)
    assert await count(app, BoardLink) == 1


async def test_opening_the_link_spends_nothing_until_its_button_is_pressed(app: App, browser: BoardClient):
    path = await browser.link_for(COORDINATOR)

    # A link preview, a scanner, the coordinator opening it twice: all only GET.
    for _ in range(3):
        status, page = await browser.get(path)
        assert status == 200
        assert 'method="post"' in page and "Logga in" in page and "Testgruppen" in page
    async with app.sessionmaker() as session:
        assert (await session.scalar(select(BoardLink.spent_at))) is None

    status, page = await browser.post(path, csrf=False)
    assert status == 200
    # The board opens on its first page.
    assert browser.last_url.endswith(next(page.path for page in PAGES if page.nav))
    assert "Logga ut" in page
    async with app.sessionmaker() as session:
        assert (await session.scalar(select(BoardLink.spent_at))) is not None
        assert await session.scalar(select(func.count()).select_from(AuditLog)
                                    .where(AuditLog.action == "board.login")) == 1


async def test_a_link_works_once(app: App, server: WebServer, browser: BoardClient):
    path = await browser.link_for(COORDINATOR)
    await browser.post(path, csrf=False)

    # Someone else (another browser) with the same link later.
    other = BoardClient(app, server)
    try:
        status, page = await other.get(path)
        assert status == 410 and "redan använd" in page and 'method="post"' not in page
        status, page = await other.post(path, csrf=False)
        assert status == 410
        status, _ = await other.get("/board/sessions")
        assert status == 401
    finally:
        await other.close()
    assert await count(app, BoardSession) == 1


async def test_two_presses_at_once_open_one_session(app: App, server: WebServer, browser: BoardClient):
    path = await browser.link_for(COORDINATOR)
    others = [BoardClient(app, server) for _ in range(4)]
    try:
        results = await asyncio.gather(*(other.post(path, csrf=False) for other in others))
    finally:
        for other in others:
            await other.close()

    assert sorted(status for status, _ in results) == [200, 410, 410, 410]
    assert await count(app, BoardSession) == 1


async def test_an_expired_or_unknown_link_says_so_and_how_to_get_a_new_one(
        app: App, clock: FrozenClock, browser: BoardClient):
    path = await browser.link_for(COORDINATOR)
    clock.advance(board.LINK_LIFETIME + timedelta(seconds=1))

    status, page = await browser.get(path)
    assert status == 410 and "gått ut" in page and "/tavlan" in page
    status, _ = await browser.post(path, csrf=False)
    assert status == 410
    status, page = await browser.get("/board/login/" + "x" * 43)
    assert status == 410 and "känner jag inte igen" in page
    assert await count(app, BoardSession) == 0


async def test_the_board_needs_a_session(browser: BoardClient):
    for path in ("/board/sessions", "/board/"):
        status, page = await browser.get(path, headers={"Accept-Language": "en-GB,en;q=0.9,sv;q=0.5"})
        if path == "/board/":
            # The start sends to the first page, which asks for a session.
            assert browser.last_url.endswith(next(page.path for page in PAGES if page.nav))
        assert status == 401
        assert "You are not signed in" in page and "/board" in page


async def test_a_write_without_the_sessions_token_or_from_another_site_changes_nothing(
        app: App, coordinator: BoardClient):
    status, page = await coordinator.post("/board/language", {"language": "en", "next": "/board/sessions"},
                                          csrf=False)
    assert status == 403 and "sparade inget" in page

    coordinator.csrf = "not-the-token"
    status, _ = await coordinator.post("/board/language", {"language": "en"}, csrf=True)
    assert status == 403

    await coordinator.get("/board/sessions")
    status, _ = await coordinator.post("/board/language", {"language": "en"},
                                       headers={"Origin": "https://angripare.example"})
    assert status == 403
    async with app.sessionmaker() as session:
        assert await session.scalar(select(BoardSession.language)) == "sv"

    # The same form from the board itself.
    status, page = await coordinator.post("/board/language", {"language": "en", "next": "/board/sessions"},
                                          headers={"Origin": BOARD_URL})
    assert status == 200 and "Your sign-ins" in page and '<html lang="en">' in page


async def test_the_language_switch_goes_back_only_to_the_board(coordinator: BoardClient):
    await coordinator.post("/board/language", {"language": "en", "next": "//angripare.example/x"})
    # The board's start (and from there its first page), not the other site.
    assert coordinator.last_url.startswith(coordinator.root)
    assert coordinator.last_url.endswith(next(page.path for page in PAGES if page.nav))


async def test_signing_out_ends_the_session_for_good(app: App, server: WebServer, coordinator: BoardClient):
    cookies = {cookie.key: cookie.value for cookie in coordinator.http.cookie_jar}
    status, page = await coordinator.post("/board/logout")
    assert status == 200 and "Du är utloggad" in page

    # The same cookie, kept by someone, opens nothing any more.
    replay = aiohttp.ClientSession(cookies=cookies)
    try:
        async with replay.get(f"http://127.0.0.1:{server.port}/board/sessions") as response:
            assert response.status == 401
    finally:
        await replay.close()
    assert await count(app, BoardSession) == 0


async def test_a_session_ends_at_its_time(app: App, clock: FrozenClock, coordinator: BoardClient):
    clock.advance(timedelta(hours=app.settings.board_session_hours) - timedelta(minutes=1))
    assert (await coordinator.get("/board/sessions"))[0] == 200

    clock.advance(timedelta(minutes=2))
    assert (await coordinator.get("/board/sessions"))[0] == 401


async def test_a_coordinator_ends_a_session_of_theirs_from_another(app: App, server: WebServer,
                                                                    coordinator: BoardClient):
    phone = BoardClient(app, server)
    try:
        await phone.sign_in(COORDINATOR)
        _, page = await coordinator.get("/board/sessions")
        hashes = re.findall(r'name="session" value="([0-9a-f]{64})"', page)
        assert len(hashes) == 2
        phones = next(h for h in hashes if h != _own_hash(page))
        await coordinator.post("/board/sessions/end", {"session": phones})

        assert (await phone.get("/board/sessions"))[0] == 401
        assert (await coordinator.get("/board/sessions"))[0] == 200
    finally:
        await phone.close()


def _own_hash(page: str) -> str:
    """The hash of the session the page was shown in (its row says "den här")."""
    row = next(row for row in page.split("<tr>") if "den här" in row)
    return re.findall(r'name="session" value="([0-9a-f]{64})"', row)[0]


async def test_a_coordinator_cannot_end_another_workspaces_session(
        app: App, coordinator: BoardClient, other_coordinator: BoardClient):
    _, page = await coordinator.get("/board/sessions")
    theirs = _own_hash(page)
    _, other_page = await other_coordinator.get("/board/sessions")
    assert theirs not in other_page and "Testgruppen" not in other_page.split("<main")[1]

    await other_coordinator.post("/board/sessions/end", {"session": theirs})
    assert (await coordinator.get("/board/sessions"))[0] == 200


async def test_an_erased_coordinator_is_signed_out(app: App, coordinator: BoardClient):
    await app.run(COORDINATOR, mydata.delete_request)
    await app.press(COORDINATOR, mydata.DELETE_CONFIRM, mydata.KEEP_POSTS)

    assert (await coordinator.get("/board/sessions"))[0] == 401


async def test_every_page_forbids_scripts_styles_and_frames_from_elsewhere(browser: BoardClient,
                                                                           coordinator: BoardClient):
    path = await browser.link_for(COORDINATOR)
    async with browser.http.get(browser.root + path) as login_page, \
            coordinator.http.get(coordinator.root + "/board/sessions") as board_page:
        for response in (login_page, board_page):
            assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
            assert response.headers["Referrer-Policy"] == "no-referrer"
            assert response.headers["X-Frame-Options"] == "DENY"
        assert board_page.headers["Cache-Control"] == "no-store"
        page = await board_page.text()
    assert "unsafe-inline" not in CONTENT_SECURITY_POLICY and "default-src 'none'" in CONTENT_SECURITY_POLICY
    # Nothing on the page comes from anywhere but the board.
    assert not re.search(r'(src|href)="(https?:)?//', page)
    assert "<script>" not in page and "style=" not in page


async def test_the_session_cookie_is_http_only_and_same_site(browser: BoardClient):
    path = await browser.link_for(COORDINATOR)
    async with browser.http.post(browser.root + path, allow_redirects=False) as response:
        assert response.status == 303
        cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    # Over http (this test's BOARD_URL) it cannot be Secure; over https it is __Host- and Secure.
    assert cookie.startswith("board=")


async def test_the_board_is_off_without_its_address(app: App, server: WebServer):
    off = App(app.settings.model_copy(update={"board_url": None}), app.clock)
    try:
        with pytest.raises(UserError) as refused:
            await off.run(COORDINATOR, board.login_link)
        assert refused.value.text.key == "board.off"
        web_server = WebServer(off, "127.0.0.1", 0)
        await web_server.start()
        try:
            async with aiohttp.ClientSession() as http, \
                    http.get(f"http://127.0.0.1:{web_server.port}/board/sessions") as response:
                assert response.status == 404
        finally:
            await web_server.close()
    finally:
        await off.close()


def test_the_language_of_a_page_without_a_session_is_the_browsers_first_of_ours():
    assert preferred_language("en-GB,en;q=0.9,sv;q=0.8", "sv") == "en"
    assert preferred_language("de-DE,sv;q=0.7,en;q=0.9", "sv") == "en"
    assert preferred_language("fi, de", "sv") == "sv"
    assert preferred_language(None, "en") == "en"
    assert preferred_language("sv;q=0, en;q=0.1", "sv") == "en"


async def test_another_workspaces_coordinator_gets_a_session_of_their_own(
        coordinator: BoardClient, other_coordinator: BoardClient):
    _, mine = await coordinator.get("/board/sessions")
    _, theirs = await other_coordinator.get("/board/sessions")
    assert "Testgruppen" in mine
    assert OTHER_COORDINATOR.workspace_external_id != COORDINATOR.workspace_external_id
    assert _own_hash(mine) != _own_hash(theirs)
