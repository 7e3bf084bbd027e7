"""Console scenario of the agenda watcher's sources, as a coordinator would type it: a notice board feed on a
local server is added, fetched at once and, after a day of failures, reported to the coordinators."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.config import Settings
from bot.console import run_console
from tests.support.local_server import LocalServer, Served, serving
from tests.watcher import files

MORNING = datetime(2026, 12, 1, 10, 0, tzinfo=ZoneInfo("Europe/Stockholm"))


@pytest.fixture
async def server() -> AsyncIterator[LocalServer]:
    async with serving() as local:
        yield local


async def console(settings: Settings, lines: list[str]) -> str:
    out = io.StringIO()
    await run_console(settings, stdin=io.StringIO("\n".join(lines) + "\n"), out=out, start=MORNING)
    return out.getvalue()


async def test_a_coordinator_watches_a_notice_board_and_hears_when_it_keeps_failing(
        settings: Settings, server: LocalServer):
    server.paths["/anslagstavla.rss"] = Served(files.rss([files.kf_notice(server.base)]))
    feed, gone = server.url("/anslagstavla.rss"), server.url("/flyttad.rss")

    output = await console(settings, [
        ":as Bo coordinator",
        f"/bevaka lägg-till kommun:Karlskrona organ:KF typ:flöde adress:{feed}",
        f"/watch add municipality:Karlskrona body:ks kind:rss url:{gone}",
        ":advance 1h",
        "/bevaka lista",
        ":advance 2d",
        ":as Anna",
        "/bevaka lista",
    ])

    assert f"Bevakas nu: **#1** flöde (RSS/Atom) – Karlskrona, kommunfullmäktige: {feed}" in output
    assert "**Bevakade källor (2)**" in output
    assert "senast hämtad 1 december 2026 10:00 · nästa hämtning 1 december 2026 16:00" in output
    assert "1 misslyckat försök i rad (HTTP 404)" in output
    # The third failure in a row is told in the coordinators' channel, once.
    assert output.count("[#koordinatorer] Bevakningen av") == 1
    assert f"Bevakningen av {gone} har misslyckats 3 gånger i rad (senast: HTTP 404)" in output
    assert "Det här kommandot är till för koordinatorer." in output
    assert len(server.requested("/anslagstavla.rss")) >= 2
