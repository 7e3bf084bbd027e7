"""The board over the test's App (on SQLite and PostgreSQL; the web server is tests/web's `server`), and
browsers signed in as coordinators of two workspaces.

`BoardClient` is a browser without JavaScript: it keeps its cookies, follows redirects, and sends forms with
the CSRF token the last page it read carried, as a real form does.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.app import App
from bot.config import Settings, load_settings
from bot.services import board
from bot.services.context import Identity
from bot.web.server import WebServer
from tests.conftest import identity

BOARD_URL = "http://tavla.test"
CSRF_FIELD = re.compile(r'name="csrf" value="([^"]+)"')


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    """The test's settings with the board on."""
    return load_settings(database_url=database_url, data_dir=tmp_path / "data", output_dir=tmp_path / "out",
                         board_url=BOARD_URL, _env_file=None)


class BoardClient:
    """A browser on the board, without JavaScript."""

    def __init__(self, app: App, server: WebServer) -> None:
        self.app = app
        self.root = f"http://127.0.0.1:{server.port}"
        # unsafe=True: keep cookies of an address given by IP (the test server's).
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        self.csrf: str | None = None
        self.last_url = ""

    async def close(self) -> None:
        await self.http.close()

    async def get(self, path: str, **kwargs: Any) -> tuple[int, str]:
        """Open a page; remember the CSRF token its forms carry."""
        async with self.http.get(self.root + path, **kwargs) as response:
            body = await response.text()
            self.last_url = str(response.url)
        self._remember(body)
        return response.status, body

    async def get_bytes(self, path: str) -> tuple[int, bytes, Mapping[str, str]]:
        """Download a file (an export, a feed)."""
        async with self.http.get(self.root + path) as response:
            return response.status, await response.read(), dict(response.headers)

    async def post(self, path: str, data: Mapping[str, Any] | aiohttp.FormData | None = None, *,
                   csrf: bool = True, **kwargs: Any) -> tuple[int, str]:
        """Send a form as the page did (with its CSRF token unless csrf=False); follow where it leads."""
        if isinstance(data, aiohttp.FormData):
            form = data
            if csrf and self.csrf:
                form.add_field("csrf", self.csrf)
        else:
            form = aiohttp.FormData()
            for name, value in (data or {}).items():
                form.add_field(name, value)
            if csrf and self.csrf:
                form.add_field("csrf", self.csrf)
        async with self.http.post(self.root + path, data=form, **kwargs) as response:
            body = await response.text()
            self.last_url = str(response.url)
        self._remember(body)
        return response.status, body

    async def link_for(self, who: Identity) -> str:
        """The path of the one-time link the bot gives `who` (as /board answers them)."""
        reply = await self.app.run(who, board.login_link)
        url = reply.links[0].url
        assert url.startswith(BOARD_URL + "/board/login/")
        return url.removeprefix(BOARD_URL)

    async def sign_in(self, who: Identity) -> str:
        """Ask for a link as `who`, open it and press its button; return the page the board opened on."""
        path = await self.link_for(who)
        status, _ = await self.get(path)
        assert status == 200
        status, body = await self.post(path, csrf=False)
        assert status == 200, body
        return body

    def _remember(self, body: str) -> None:
        found = CSRF_FIELD.search(body)
        if found:
            self.csrf = found.group(1)


COORDINATOR = identity("kim", coordinator=True)
# A coordinator of another workspace, who must never see the first one's data.
OTHER_COORDINATOR = Identity("test", "guild-2", "olle", "Olle", "Andra gruppen", is_admin=True)


@pytest.fixture
async def browser(app: App, server: WebServer) -> AsyncIterator[BoardClient]:
    """A browser that has not signed in."""
    client = BoardClient(app, server)
    yield client
    await client.close()


@pytest.fixture
async def coordinator(app: App, server: WebServer) -> AsyncIterator[BoardClient]:
    """A browser signed in as a coordinator of the test workspace (guild-1)."""
    client = BoardClient(app, server)
    await client.sign_in(COORDINATOR)
    yield client
    await client.close()


@pytest.fixture
async def other_coordinator(app: App, server: WebServer) -> AsyncIterator[BoardClient]:
    """A browser signed in as a coordinator of another workspace (guild-2)."""
    client = BoardClient(app, server)
    await client.sign_in(OTHER_COORDINATOR)
    yield client
    await client.close()
