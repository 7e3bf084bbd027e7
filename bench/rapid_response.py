"""Benchmark: a rapid response at scale (issue 19): the start, its fan-out, and a burst of presses.

A SQLite database is seeded with --members onboarded members (10,000) who follow Karlskrona, two in three
wanting DMs. A coordinator starts a rapid response for Karlskrona's followers (`rapid.start`, as the adapters
call it), the Dispatcher fans its alert out (planned, not sent: no notifier), and then --presses members (500)
press "Jag har svarat/delat" one after another, the clock moving 100 ms between presses and the Dispatcher
running after each as a live bot would (so the live tally's refreshes fall due on the way). It prints the CPU
time of the start and of one press (p50/p99, ms, `time.process_time()`), the fan-out's wall time, and how many
refreshes of the live tally the presses asked for. Frozen clock: Tuesday 1 December 2026, 10:00 in Stockholm.

    .venv/bin/python bench/rapid_response.py [--members 10000] [--presses 500]

It asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert, select

from bot import db
from bot.app import App
from bot.clock import FrozenClock
from bot.config import load_settings
from bot.models import Follow, Member, RapidResponse, Reminder, Workspace
from bot.services import rapid
from bot.services.context import Identity

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
WORKSPACE = "bench-rapid"
COORDINATOR = Identity("discord", WORKSPACE, "coordinator", "Koordinator", "Förbundet", is_admin=True)
CHUNK = 5000


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def seed(app: App, members: int) -> None:
    async with app.sessionmaker() as session, session.begin():
        workspace_id = (await session.execute(insert(Workspace).values(
            platform="discord", external_id=WORKSPACE, name="Förbundet", language="sv",
            timezone="Europe/Stockholm", created_at=NOW, updated_at=NOW).returning(Workspace.id))
        ).scalar_one()
        rows = [{"workspace_id": workspace_id, "external_id": f"m{n:06d}", "display_name": f"Medlem {n}",
                 "joined_at": NOW, "consented_at": NOW, "onboarded_at": NOW, "municipality": "karlskrona",
                 "dm_reminders": n % 3 != 0, "dm_open": True} for n in range(members)]
        for start in range(0, len(rows), CHUNK):
            await session.execute(insert(Member), rows[start:start + CHUNK])
        ids = list(await session.scalars(select(Member.id).where(Member.workspace_id == workspace_id)))
        follows = [{"workspace_id": workspace_id, "member_id": member_id, "kind": "municipality",
                    "value": "karlskrona", "created_at": NOW} for member_id in ids]
        for start in range(0, len(follows), CHUNK):
            await session.execute(insert(Follow), follows[start:start + CHUNK])


async def main(members: int, presses: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        settings = load_settings(database_url=f"sqlite+aiosqlite:///{folder}/bench.db",
                                 data_dir=Path(folder) / "data", output_dir=Path(folder) / "out",
                                 _env_file=None)
        clock = FrozenClock(NOW)
        app = App(settings, clock)
        try:
            await db.migrate(settings.effective_database_url)
            await seed(app, members)
            quiet = (settings.quiet_hours_start, settings.quiet_hours_end)
            cpu = time.process_time()
            await app.run(COORDINATOR, rapid.start, link="https://x.com/kommunalrad/status/1", ask="Svara.",
                          deadline="2h", municipality="karlskrona", quiet=quiet)
            start_ms = (time.process_time() - cpu) * 1000
            wall = time.perf_counter()
            await app.dispatcher.run_due()
            fan_out_s = time.perf_counter() - wall
            async with app.sessionmaker() as session:
                rapid_id = await session.scalar(select(func.max(RapidResponse.id)))
            times = []
            for n in range(presses):
                who = Identity("discord", WORKSPACE, f"m{n:06d}", f"Medlem {n}", "Förbundet")
                cpu = time.process_time()
                await app.press(who, rapid.DONE_ACTION, str(rapid_id))
                times.append((time.process_time() - cpu) * 1000)
                clock.advance(timedelta(milliseconds=100))
                await app.dispatcher.run_due()
            async with app.sessionmaker() as session:
                refreshes = await session.scalar(select(func.count(Reminder.id)).where(
                    Reminder.kind == rapid.LIVE_KIND))
        finally:
            await app.close()
    print(f"members {members}: start {start_ms:.1f} ms CPU; fan-out {fan_out_s:.2f} s wall")
    p50, p99 = percentile(times, 0.5), percentile(times, 0.99)
    print(f"{presses} presses: p50 {p50:.1f} ms, p99 {p99:.1f} ms CPU; {refreshes} live tally refreshes")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--presses", type=int, default=500)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.members, arguments.presses))
