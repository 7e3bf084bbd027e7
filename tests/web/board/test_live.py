"""Live pages: the event stream tells a signed-in page when its workspace changed (whatever recorded it),
never for another workspace's change, and ends with the session and with the server; the stamp it polls
moves for every change the campaign page shows."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
import pytest
from sqlalchemy import select

from bot.app import App
from bot.models import Member, Pledge, Workspace
from bot.services import asks, issues, pledges, politicians, stances
from bot.web.board import live
from bot.web.server import WebServer
from tests.issue_fixtures import ANNA, COORDINATOR, create_issue, import_politicians
from tests.support.onboarding import onboard
from tests.web.board.conftest import OTHER_COORDINATOR, BoardClient

# A hang guard only: each read is answered within a few polls.
READ_TIMEOUT = 10


@pytest.fixture(autouse=True)
def quick_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    """Poll often, and write a comment after every poll that found nothing new (so a test sees each poll)."""
    monkeypatch.setattr(live, "POLL_SECONDS", 0.02)
    monkeypatch.setattr(live, "HEARTBEAT_SECONDS", 0)


class Stream:
    """An open event stream, read one message at a time."""

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self.response = response

    async def message(self) -> str | None:
        """The next message (`event: …` or a `: …` comment); None when the stream ended."""
        lines: list[str] = []
        while True:
            raw = await asyncio.wait_for(self.response.content.readline(), READ_TIMEOUT)
            if not raw:
                return None
            line = raw.decode().rstrip("\n")
            if line:
                lines.append(line)
            elif lines:
                if lines[0].startswith("retry:"):
                    lines = []
                    continue
                return "\n".join(lines)

    async def until_event(self) -> str | None:
        """The next event (the comments before it skipped); None when the stream ended."""
        while True:
            message = await self.message()
            if message is None or message.startswith("event:"):
                return message


@asynccontextmanager
async def stream(client: BoardClient, since: str | None = None) -> AsyncIterator[Stream]:
    path = "/board/events" + (f"?since={since}" if since else "")
    async with client.http.get(client.root + path) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/event-stream")
        yield Stream(response)


async def workspace_id_of(app: App, workspace: str = "guild-1") -> int:
    async with app.sessionmaker() as session:
        workspace_id = await session.scalar(select(Workspace.id).where(Workspace.external_id == workspace))
    assert workspace_id is not None
    return workspace_id


async def stamp_of(app: App) -> str:
    """The stamp of the test workspace (guild-1)."""
    workspace_id = await workspace_id_of(app)
    async with app.sessionmaker() as session:
        return await live.workspace_stamp(session, workspace_id)


async def a_question_for_anna(app: App) -> int:
    await import_politicians(app)
    issue_id = await create_issue(app)
    await onboard(app, ANNA)
    await app.run(ANNA, asks.my_question, issue="Parkering")
    return issue_id


async def test_a_members_report_in_chat_reaches_the_open_page(app: App, coordinator: BoardClient):
    issue_id = await a_question_for_anna(app)

    async with stream(coordinator) as events:
        assert (await events.message() or "").startswith(":")  # polling, nothing new yet
        await app.press(ANNA, asks.ANSWER_ACTION, f"{issue_id}-for")  # in chat, not on the board

        event = await events.until_event()

    assert event is not None and event.startswith("event: change\ndata: ")
    assert event.removeprefix("event: change\ndata: ") == await stamp_of(app)


async def test_a_page_made_before_a_change_hears_of_it_when_its_stream_opens(app: App,
                                                                            coordinator: BoardClient):
    await a_question_for_anna(app)
    _, page = await coordinator.get("/board/campaign")
    since = re.search(r'data-live-since="([0-9a-f]+)"', page)
    assert since is not None
    await app.run(COORDINATOR, stances.set_stance, issue="Parkering", politician="Åsa Ek", stance="for")

    async with stream(coordinator, since[1]) as events:
        first = await events.message()

    assert first is not None and first.startswith("event: change")


async def test_another_workspaces_change_sends_nothing(app: App, coordinator: BoardClient,
                                                       other_coordinator: BoardClient):
    await a_question_for_anna(app)
    since = await stamp_of(app)
    other = OTHER_COORDINATOR
    await app.run(other, politicians.import_csv, b"Namn;Parti;Kommun;Organ\nOlle Ek;S;Ronneby;KF\n",
                  "p.csv")
    await app.run(other, issues.create, title="Hamnen", summary="Om hamnen.", municipality="Ronneby",
                  body="KF", decision="2027-02-01 18:00", hashtag="#Hamnen", position="Öppen hamn.")
    await app.run(other, stances.set_stance, issue="Hamnen", politician="Olle Ek", stance="against")

    async with stream(coordinator, since) as events:
        first = await events.message()

    assert first is not None and first.startswith(":")  # the first poll found nothing new
    assert await stamp_of(app) == since


async def test_the_stream_ends_when_the_session_ends(app: App, coordinator: BoardClient):
    await coordinator.get("/board/campaign")

    async with stream(coordinator) as events:
        assert (await events.message() or "").startswith(":")
        status, _ = await coordinator.post("/board/logout")
        assert status == 200

        ended = await events.until_event()
        after = await events.message()

    assert ended == "event: ended\ndata: ended"
    assert after is None  # the server closed the stream


async def test_a_stream_ends_when_the_browser_goes(monkeypatch: pytest.MonkeyPatch, server: WebServer,
                                                   coordinator: BoardClient):
    # A quiet stream: no write fails to tell it the browser went; it must see the connection go.
    monkeypatch.setattr(live, "HEARTBEAT_SECONDS", 3600)
    streams = server.web[live.LIVE_KEY]

    async def open_streams(count: int) -> None:
        while streams.open_streams != count:
            await asyncio.sleep(0.01)

    async with stream(coordinator) as events:
        await asyncio.wait_for(open_streams(1), READ_TIMEOUT)
        events.response.close()  # the tab is closed

    await asyncio.wait_for(open_streams(0), READ_TIMEOUT)


async def test_closing_the_server_ends_open_streams_at_once(
        monkeypatch: pytest.MonkeyPatch, server: WebServer, coordinator: BoardClient):
    monkeypatch.setattr(live, "POLL_SECONDS", 3600)  # only the server's shutdown wakes the stream

    async with stream(coordinator) as events:
        assert (await events.message() or "").startswith(":")
        await asyncio.wait_for(server.close(), READ_TIMEOUT)  # would wait aiohttp's 60 s for the stream

        assert await events.message() is None


async def test_signed_out_the_stream_is_refused(browser: BoardClient):
    status, body = await browser.get("/board/events")

    assert status == 401
    assert "text/event-stream" not in body and "Du är inte inloggad" in body


async def test_the_stamp_moves_with_every_change_the_campaign_page_shows(app: App):
    """Under the tests' frozen clock, so that no change is seen by its time alone."""
    issue_id = await a_question_for_anna(app)
    stamps = [await stamp_of(app)]
    steps = {
        "a member reports a stance": lambda: app.press(ANNA, asks.ANSWER_ACTION, f"{issue_id}-against"),
        "a coordinator confirms it": lambda: confirm_the_report(app),
        "a member answers no answer": lambda: app.press(ANNA, asks.ANSWER_ACTION, f"{issue_id}-no_answer"),
        "a member pledges": lambda: app.run(ANNA, pledges.pledge, issue="Parkering", kind="tweet"),
        "the pledge is kept": lambda: keep_annas_pledge(app),
        "a politician is edited": lambda: app.run(COORDINATOR, politicians.edit, politician="Åsa Ek",
                                                  role="Ordförande"),
        "the seats are entered": lambda: app.run(COORDINATOR, stances.set_seats, municipality="Karlskrona",
                                                 body="KF", seats="S:20, M:15"),
        "the issue is edited": lambda: app.run(COORDINATOR, issues.edit, issue="Parkering",
                                               summary="Nu 300 platser."),
        "the issue is closed": lambda: app.run(COORDINATOR, issues.close, issue="Parkering", outcome="won"),
    }
    for step, change in steps.items():
        await change()
        stamps.append(await stamp_of(app))
        assert stamps[-1] != stamps[-2], step


async def confirm_the_report(app: App) -> object:
    async with app.sessionmaker() as session:
        (waiting,) = await stances.waiting_reports(session, await workspace_id_of(app))
    return await app.press(COORDINATOR, stances.CONFIRM_ACTION, str(waiting.stance.id))


async def keep_annas_pledge(app: App) -> object:
    async with app.sessionmaker() as session:
        pledge_id = await session.scalar(select(Pledge.id).join(Member, Member.id == Pledge.member_id)
                                         .where(Member.external_id == "anna"))
    return await app.press(ANNA, pledges.KEPT_ACTION, str(pledge_id))
