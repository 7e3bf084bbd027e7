"""The board from the console: a coordinator asks for a link in the console and signs in with a browser while
the console runs (the same App, the same web server as the bot's)."""

from __future__ import annotations

import asyncio
import io
import queue
import re
import socket
from pathlib import Path

import aiohttp

from bot.config import Settings
from bot.console import run_console
from tests.console.test_console import MORNING


class TypedLines(io.TextIOBase):
    """What a person types: lines handed over one at a time, the end when they stop (None)."""

    def __init__(self) -> None:
        self.lines: queue.Queue[str | None] = queue.Queue()

    def readline(self, size: int | None = -1) -> str:
        line = self.lines.get()
        return "" if line is None else line


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_a_coordinator_signs_in_to_the_board_from_a_link_the_console_gave(settings: Settings,
                                                                                 tmp_path: Path):
    port = free_port()
    settings = settings.model_copy(update={"board_url": f"http://127.0.0.1:{port}", "web_port": port})
    typed, out = TypedLines(), io.StringIO()
    console = asyncio.create_task(run_console(settings, stdin=typed, out=out, start=MORNING))
    try:
        typed.lines.put(":as Kim coordinator\n")
        typed.lines.put("/board\n")
        for _ in range(200):
            found = re.search(r"(http://127\.0\.0\.1:\d+/board/login/[\w-]+)", out.getvalue())
            if found:
                break
            await asyncio.sleep(0.05)
        assert found, out.getvalue()
        assert "Din länk till kampanjtavlan" in out.getvalue()

        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as browser:
            async with browser.get(found.group(1)) as page:
                assert page.status == 200 and "Logga in" in await page.text()
            async with browser.post(found.group(1)) as signed_in:
                assert signed_in.status == 200
                assert "Logga ut" in await signed_in.text()
    finally:
        typed.lines.put(None)
        await asyncio.wait_for(console, 30)
    assert out.getvalue().rstrip().endswith("Hej då!")
