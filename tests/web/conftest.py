"""A web server over the test's App, on a free port of this machine, and a client to ask it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import aiohttp
import pytest

from bot.app import App
from bot.delivery import PENDING, nonce_for
from bot.models import Delivery
from bot.replies import Channel, Literal, Reply, reply_to_json
from bot.services.context import get_or_create_workspace
from bot.web.server import WebServer


@pytest.fixture
async def server(app: App) -> AsyncIterator[WebServer]:
    """The web server over the test's App (port 0: a free one), already listening."""
    web_server = WebServer(app, "127.0.0.1", 0)
    await web_server.start()
    yield web_server
    await web_server.close()


async def get(server: WebServer, path: str) -> tuple[int, str]:
    """Ask the server for a path; return the status and the body."""
    assert server.address is not None
    url = f"http://127.0.0.1:{server.port}{path}"
    async with aiohttp.ClientSession() as session, session.get(url) as got:
        return got.status, await got.text()


async def get_json(server: WebServer, path: str) -> tuple[int, Any]:
    """Ask the server for a path that answers JSON."""
    assert server.address is not None
    url = f"http://127.0.0.1:{server.port}{path}"
    async with aiohttp.ClientSession() as session, session.get(url) as got:
        return got.status, await got.json()


async def pending_delivery(app: App, not_before: datetime, *, platform: str = "test", key: str = "d1"
                           ) -> None:
    """Write one pending delivery (a post to the announcements) due at `not_before`, of a workspace on
    `platform`."""
    now = app.clock.now()
    async with app.sessionmaker() as session, session.begin():
        workspace = await get_or_create_workspace(session, platform, f"guild-{platform}", "Testgruppen", now)
        session.add(Delivery(workspace_id=workspace.id, channel=Channel.ANNOUNCEMENTS.value, key=key,
                             nonce=nonce_for(key), message=reply_to_json(Reply(body=Literal("Hej"))),
                             status=PENDING, not_before=not_before, created_at=now))
