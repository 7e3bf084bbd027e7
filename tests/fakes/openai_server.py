"""A fake OpenAI-compatible server on 127.0.0.1: `POST /v1/chat/completions`, in the ways a real one behaves.

respx cannot intercept openai 3.x (it patches httpx, the client uses httpx2), so the client talks HTTP to
this server through its base_url, exactly as it would to any OpenAI-compatible server.

Modes: "ok" answers with `content` as the assistant's message; "slow" waits `delay` seconds first; "error"
answers HTTP 500; "malformed" answers a body that is not JSON. Every request body is kept in `requests`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web


def free_port() -> int:
    """Return a port on 127.0.0.1 that nothing listens on (for a server that is down)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class FakeOpenAI:
    """Serve chat completions from 127.0.0.1 on an ephemeral port."""

    def __init__(self) -> None:
        self.mode = "ok"
        self.content = "{}"
        self.delay = 5.0
        self.requests: list[dict[str, Any]] = []
        self._stopping = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def answer(self, value: Any) -> None:
        """Answer the next requests with this JSON value (or string) as the assistant's message."""
        self.mode = "ok"
        self.content = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._completions)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        self._stopping.set()
        if self._runner is not None:
            await self._runner.cleanup()

    def prompts(self, index: int = -1) -> tuple[str, str]:
        """Return the (system, user) messages of a request."""
        messages = self.requests[index]["messages"]
        return messages[0]["content"], messages[1]["content"]

    async def _completions(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.requests.append(body)
        if self.mode == "slow":
            # Sleep, unless the server is being stopped: a test should not wait for a reply nobody reads.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.delay)
        if self.mode == "error":
            return web.json_response({"error": {"message": "boom", "type": "server_error", "code": None}},
                                     status=500)
        if self.mode == "malformed":
            return web.Response(body=b'{"id": "chatcmpl-1", "choices": [', content_type="application/json")
        return web.json_response(
            {
                "id": "chatcmpl-test",
                "object": "chat.completion",
                "created": 1_700_000_000,
                "model": body["model"],
                "choices": [
                    {
                        "index": 0,
                        "finish_reason": "stop",
                        "message": {"role": "assistant", "content": self.content},
                    }
                ],
                "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
            }
        )


@contextlib.asynccontextmanager
async def serving() -> AsyncIterator[FakeOpenAI]:
    """A FakeOpenAI, started, and stopped after (the fixtures and tests that need a model use this)."""
    server = FakeOpenAI()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
