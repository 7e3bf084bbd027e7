"""A local HTTP server playing a municipality's web site for the agenda watcher's tests (aiohttp's test
server on 127.0.0.1): each path serves what a test put there, answers a matching If-None-Match or
If-Modified-Since with 304 as a real server would, and records every request's headers. Nothing leaves the
machine. The watcher's, the agenda's, the console's and the e2e tests all serve through it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from aiohttp import web
from aiohttp.test_utils import TestServer


@dataclass
class Served:
    """What one path answers."""

    body: bytes = b""
    content_type: str = "application/rss+xml"
    status: int = 200
    etag: str | None = None
    last_modified: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    # Set: the answer waits until the test opens the gate.
    gate: asyncio.Event | None = None


@dataclass
class Request:
    path: str
    headers: dict[str, str]


class LocalServer:
    """Serves `paths` from 127.0.0.1; `requests` lists what came in."""

    def __init__(self) -> None:
        self.paths: dict[str, Served] = {}
        self.requests: list[Request] = []
        self._server: TestServer | None = None

    def url(self, path: str) -> str:
        assert self._server is not None
        return str(self._server.make_url(path))

    @property
    def base(self) -> str:
        return self.url("").rstrip("/")

    def requested(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.path == path]

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(Request(request.path, dict(request.headers)))
        served = self.paths.get(request.path)
        if served is None:
            return web.Response(status=404, text="Sidan finns inte")
        if served.delay:
            await asyncio.sleep(served.delay)
        if served.gate is not None:
            await served.gate.wait()
        headers = dict(served.headers)
        if served.etag:
            headers["ETag"] = served.etag
            if request.headers.get("If-None-Match") == served.etag:
                return web.Response(status=304, headers=headers)
        if served.last_modified:
            headers["Last-Modified"] = served.last_modified
            if request.headers.get("If-Modified-Since") == served.last_modified:
                return web.Response(status=304, headers=headers)
        return web.Response(status=served.status, body=served.body, content_type=served.content_type,
                            headers=headers)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("GET", "/{tail:.*}", self._handle)
        self._server = TestServer(app, host="127.0.0.1")
        await self._server.start_server()

    async def close(self) -> None:
        if self._server is not None:
            await self._server.close()


@contextlib.asynccontextmanager
async def serving() -> AsyncIterator[LocalServer]:
    """A LocalServer, started, and closed after."""
    local = LocalServer()
    await local.start()
    try:
        yield local
    finally:
        await local.close()
