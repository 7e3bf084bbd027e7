"""The campaign board at federation scale (issue 21): signing in at once, each page cold and warm, a burst.

    .venv/bin/python bench/board.py [--members 10000] [--coordinators 10] [--rounds 20] [--keep]

The database is seeded as bench/service_latency.py seeds it (--members onboarded members, 300 politicians with
stances, 50 issues, 2,000 stories, a year of actions; cached per size in $TMPDIR/jobbskaparna-bench with
--keep, shared with that bench). The bot's web server runs over it with BOARD_URL set, in this process, on a
frozen clock. Then, over real HTTP on loopback (aiohttp's client, no JavaScript):

1. --coordinators coordinators sign in at once: each asks for a link (/board's service), opens it and presses
   its button; the wall time of each, from the link to the first page.
2. Each page of the board (the menu's, and the sessions page), first cold (the page's first request after the
   start: its template compiled, caches empty), then --rounds times warm, one after another: wall time p50 /
   p95, the SQL statements of one request, the size of the page.
3. A burst: the coordinators open the board's first page at the same moment, five times over; the wall time
   of each response (p50 / p95 / max) and the longest event-loop stall meanwhile (a heartbeat every 5 ms).

It prints figures and asserts nothing; the issue's targets are in bench/README.md beside them.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from alembic.script import ScriptDirectory

from bench.service_latency import (
    COORDINATOR,
    SEED_VERSION,
    Heartbeat,
    make_app,
    percentile,
    seed_only,
)
from bot import db
from bot.app import App
from bot.services import board
from bot.services.context import Identity
from bot.web.board import PAGES
from bot.web.server import WebServer
from tests.support.statements import counting

BOARD_URL = "http://tavla.bench"


def coordinator(index: int) -> Identity:
    """The index-th coordinator (the seeded one first)."""
    if index == 0:
        return COORDINATOR
    return Identity(COORDINATOR.platform, COORDINATOR.workspace_external_id, f"coordinator-{index}",
                    f"Koordinator {index}", COORDINATOR.workspace_name, is_admin=True)


async def sign_in(app: App, root: str, who: Identity) -> tuple[aiohttp.ClientSession, float]:
    """Ask for a link, open it, press its button; the browser and the wall time it took."""
    browser = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    started = time.perf_counter()
    reply = await app.run(who, board.login_link)
    path = reply.links[0].url.removeprefix(BOARD_URL)
    async with browser.get(root + path) as page:
        await page.read()
    async with browser.post(root + path) as opened:
        await opened.read()
        assert opened.status == 200, opened.status
    return browser, time.perf_counter() - started


async def fetch(browser: aiohttp.ClientSession, url: str) -> tuple[float, int, int]:
    started = time.perf_counter()
    async with browser.get(url) as response:
        body = await response.read()
    return time.perf_counter() - started, response.status, len(body)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


async def run(args: argparse.Namespace, url: str, workdir: Path) -> None:
    plain, _clock = make_app(url, workdir)
    await plain.close()
    # The same settings with the board on (its address reaches the units of work through the App).
    app = App(plain.settings.model_copy(update={"board_url": BOARD_URL}), plain.clock)
    server = WebServer(app, "127.0.0.1", 0)
    heartbeat = Heartbeat()
    browsers: list[aiohttp.ClientSession] = []
    try:
        async with app.sessionmaker() as session, session.begin():
            await db.gather_statistics(session)
        await server.start()
        root = f"http://127.0.0.1:{server.port}"
        heartbeat.start()

        signed = await asyncio.gather(*(sign_in(app, root, coordinator(i)) for i in range(args.coordinators)))
        browsers = [browser for browser, _ in signed]
        times = [took for _, took in signed]
        print(f"1. {args.coordinators} coordinators sign in at once (link, page, button, first page): p50 "
              f"{ms(percentile(times, .5))}, max {ms(max(times))}", flush=True)

        paths = [page.path for page in PAGES if page.nav] + ["/board/sessions"]
        print("2. each page, cold (first request after the start) and warm "
              f"({args.rounds} requests one after another):")
        first = browsers[0]
        for path in paths:
            cold, status, size = await fetch(first, root + path)
            warm = []
            with counting(app.engine) as counted:
                before = len(counted.statements)
                await fetch(first, root + path)
                statements = len(counted.statements) - before
            for _ in range(args.rounds):
                took, _, _ = await fetch(first, root + path)
                warm.append(took)
            print(f"   {path}: {status}, {size / 1024:.0f} KiB; cold {ms(cold)}; warm p50 "
                  f"{ms(percentile(warm, .5))}, p95 {ms(percentile(warm, .95))}; {statements} statements",
                  flush=True)

        target = root + paths[0]
        heartbeat.reset()
        burst: list[float] = []
        for _ in range(5):
            results = await asyncio.gather(*(fetch(browser, target) for browser in browsers))
            burst += [took for took, _, _ in results]
        print(f"3. burst: {args.coordinators} coordinators open {paths[0]} at once, 5 times: p50 "
              f"{ms(percentile(burst, .5))}, p95 {ms(percentile(burst, .95))}, max {ms(max(burst))}; "
              f"longest event-loop stall {ms(heartbeat.worst)}")
    finally:
        for browser in browsers:
            await browser.close()
        await heartbeat.stop()
        await server.close()
        await app.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--members", type=int, default=10000)
    parser.add_argument("--actions-per-member", type=int, default=10)
    parser.add_argument("--delivery-weeks", type=int, default=4)
    parser.add_argument("--coordinators", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--keep", action="store_true", help="keep the seeded SQLite file for the next run")
    parser.add_argument("--cache-dir", type=Path, default=Path(tempfile.gettempdir()) / "jobbskaparna-bench")
    args = parser.parse_args(argv)
    print(f"board: {args.members:,} members, {args.coordinators} coordinators, SQLite; "
          f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    with tempfile.TemporaryDirectory(prefix="board-bench-") as tmp:
        workdir = Path(tmp)
        head = ScriptDirectory.from_config(db.alembic_config("sqlite://")).get_current_head()
        name = f"v{SEED_VERSION}-r{head}-m{args.members}-a{args.actions_per_member}-d{args.delivery_weeks}.db"
        cached = args.cache_dir / name
        path = workdir / "bench.db"
        if not cached.exists():
            target = cached if args.keep else path
            target.parent.mkdir(parents=True, exist_ok=True)
            asyncio.run(seed_only(args, f"sqlite+aiosqlite:///{target}", workdir))
        if cached.exists():
            shutil.copy(cached, path)
        asyncio.run(run(args, f"sqlite+aiosqlite:///{path}", workdir))
    return 0


if __name__ == "__main__":
    sys.exit(main())
