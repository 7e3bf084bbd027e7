"""Live pages: a stream of Server-Sent Events (GET /board/events) that tells a signed-in page when something
of its workspace changed, so that board.js fetches the page's live regions again.

Several bot processes may share one PostgreSQL, and a change made by another process (a member who reports a
stance on Discord while the board is served by this one) sends no signal here. So each stream polls a cheap
stamp of its workspace, every POLL_SECONDS: the newest audit row (every coordinator's change: issues,
politicians, stances set, confirmed or rejected, seats), the newest stance (a member's report), the pledges
made and answered, the questions given, asked and answered, and the newest change of an issue or a
politician. It sends an event only when the stamp changed, and a comment now and then so that proxies keep
the connection open. A stream ends when the browser goes, when its session ends (the page then reloads to the
signed-out page) and when the server closes.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from typing import Any

from aiohttp import web
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from bot.models import Ask, AuditLog, CouncilSeat, Issue, Pledge, Politician, Stance
from bot.services import board as logins
from bot.services import pledges
from bot.web.board.site import Board, Page

log = logging.getLogger(__name__)

EVENTS_PATH = "/board/events"
# How often a stream looks for a change: a page is at most this late, and each open page costs one small
# query this often.
POLL_SECONDS = 2.0
# A comment this often keeps proxies and load balancers from closing a quiet stream.
HEARTBEAT_SECONDS = 20.0
# How long a browser waits before it opens a stream again that broke (EventSource's `retry`), in ms.
RETRY_MS = 5000
# A stamp's digest, as a page carries it (data-live-since) and a stream compares it.
DIGEST_CHARS = 16


async def workspace_stamp(session: AsyncSession, workspace_id: int) -> str:
    """A digest of what the live pages show of a workspace, in one statement: it changes whenever the bot
    records something there (see the module's docstring), whichever process recorded it."""

    def newest(column: Any, *where: ColumnElement[bool]) -> Any:
        return select(func.max(column)).where(*where).scalar_subquery()

    def count(column: Any, *where: ColumnElement[bool]) -> Any:
        return select(func.count(column)).where(*where).scalar_subquery()

    values = (await session.execute(select(
        newest(AuditLog.id, AuditLog.workspace_id == workspace_id),
        newest(Stance.id, Stance.workspace_id == workspace_id),
        newest(Pledge.id, Pledge.workspace_id == workspace_id),
        # A pledge kept or not kept changes its row, not the newest id.
        count(Pledge.id, Pledge.workspace_id == workspace_id, Pledge.status != pledges.MADE),
        newest(Ask.id, Ask.workspace_id == workspace_id),
        count(Ask.asked_at, Ask.workspace_id == workspace_id),
        count(Ask.answered_at, Ask.workspace_id == workspace_id),
        # A stance answered is a new stance row; "no answer" after one is not.
        count(Ask.id, Ask.workspace_id == workspace_id, Ask.answer == "no_answer"),
        newest(Ask.answered_at, Ask.workspace_id == workspace_id),
        newest(Issue.updated_at, Issue.workspace_id == workspace_id),
        newest(Politician.updated_at, Politician.workspace_id == workspace_id),
        newest(CouncilSeat.updated_at, CouncilSeat.workspace_id == workspace_id),
    ))).one()
    return hashlib.sha256(repr(tuple(values)).encode()).hexdigest()[:DIGEST_CHARS]


class Live:
    """The event streams of one board: each polls its workspace's stamp until it ends."""

    def __init__(self, board: Board) -> None:
        self.board = board
        # Set when the server shuts down: every stream ends at once (the server waits for its handlers).
        self.closing = asyncio.Event()
        # How many streams are open now (each holds a connection and polls).
        self.open_streams = 0

    async def events(self, request: web.Request, visit: logins.Visit) -> web.StreamResponse:
        """The stream of a signed-in page: `change` when its workspace changed since the page was made (its
        `since` digest) or since the last event, `ended` when the session is over."""
        since = request.query.get("since") or None
        response = web.StreamResponse(headers={
            "Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-store",
            # nginx and the like must pass each event on at once, not buffer the stream.
            "X-Accel-Buffering": "no"})
        await response.prepare(request)
        loop = asyncio.get_running_loop()
        self.open_streams += 1
        try:
            await response.write(f"retry: {RETRY_MS}\n\n".encode())
            last = since
            next_beat = loop.time() + HEARTBEAT_SECONDS
            while not self.closing.is_set():
                stamp = await self._stamp(visit)
                if stamp is None:
                    await response.write(b"event: ended\ndata: ended\n\n")
                    break
                if last is not None and stamp != last:
                    await response.write(b"event: change\ndata: " + stamp.encode() + b"\n\n")
                    next_beat = loop.time() + HEARTBEAT_SECONDS
                elif loop.time() >= next_beat:
                    await response.write(b": still here\n\n")
                    next_beat = loop.time() + HEARTBEAT_SECONDS
                last = stamp
                try:
                    await asyncio.wait_for(self.closing.wait(), POLL_SECONDS)
                except TimeoutError:
                    pass
                if request.transport is None or request.transport.is_closing():
                    break  # the browser went
        except ConnectionResetError:
            pass  # the browser went while we wrote
        finally:
            self.open_streams -= 1
        return response

    async def _stamp(self, visit: logins.Visit) -> str | None:
        """The workspace's stamp, or None when the visit's session ended (signed out, ended or expired)."""
        async with self.board.app.deferred_sessionmaker() as session:
            if not await logins.is_open(session, visit.session.token_hash, self.board.app.clock.now()):
                return None
            return await workspace_stamp(session, visit.workspace.id)

    async def close(self, _web: web.Application) -> None:
        """End every stream (the server's shutdown would otherwise wait for them)."""
        self.closing.set()


# The server's Live (for a test or a probe to read how many streams are open).
LIVE_KEY = web.AppKey("board_live", Live)


def add_routes(board: Board) -> None:
    live = Live(board)
    board.server.web[LIVE_KEY] = live
    board.server.web.router.add_get(EVENTS_PATH, board.read(live.events))
    board.server.web.on_shutdown.append(live.close)


PAGE = Page("events", add_routes, nav=False)
