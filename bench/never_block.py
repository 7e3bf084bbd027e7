"""Benchmark: does the event loop stay free, and does a write get through, while the heavy work runs?

Seeds a SQLite file (or PostgreSQL) with N onboarded members (DMs wanted), the stored coaching ladder with
each member's finished steps over the last year, ten logged actions a member over the year, an issue with 300
politicians in the council (a third of them with a confirmed stance) and the seats of their parties. Then:

1. **The coaching overview and the map** (`/coach overview`, `/issue map`, each a PNG): the process's CPU
   time and the wall time of each call (p50/p99), and the longest stall of the event loop meanwhile (a
   heartbeat task sleeps 5 ms at a time and records how late it wakes). The first call of each (cold: the
   chart worker starts, matplotlib is imported) is reported apart.
2. **The weekly nudge to every member**: the dispatcher fans it out (no notifier: planning and writing the
   rows only) while a member logs an action (`/did`) every 50 ms; the fan-out's wall time, each `/did`'s
   wall time (p50, max), how many failed (SQLite's "database is locked") and the longest loop stall.

    .venv/bin/python bench/never_block.py [--members N] [--calls C] [--databases sqlite,postgresql]
                                          [--analyze]

--analyze runs SQLite's ANALYZE after seeding: without its statistics SQLite searches a batch of members'
actions (streaks) through the workspace's index (every action of the workspace), not the member's.

Run it on a checkout to compare (PYTHONPATH=<checkout>): the figures before and after issue 14's changes are
in bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Self

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import meanwhile

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # Tuesday 10:00 in Stockholm
PARTIES = ("S", "M", "SD", "C", "V", "KD", "L", "MP")
HEARTBEAT = 0.005


class Heartbeat:
    """A task that sleeps HEARTBEAT at a time and keeps the longest it overslept: the loop's worst stall.

    On a machine shared with other work the wall time also counts the moments the process had no core; the
    CPU time the event loop's thread spent between two beats (`worst_cpu`) does not: it is the loop's own work
    that ran without a break (time waiting for the GIL is not in it).
    """

    def __init__(self) -> None:
        self.worst = 0.0
        self.worst_cpu = 0.0
        self._task: asyncio.Task[None] | None = None

    async def _beat(self) -> None:
        last, last_cpu = time.perf_counter(), time.thread_time()
        while True:
            await asyncio.sleep(HEARTBEAT)
            now, now_cpu = time.perf_counter(), time.thread_time()
            self.worst = max(self.worst, now - last - HEARTBEAT)
            self.worst_cpu = max(self.worst_cpu, now_cpu - last_cpu)
            last, last_cpu = now, now_cpu

    def __enter__(self) -> Self:
        self._task = asyncio.get_running_loop().create_task(self._beat())
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()


async def _populate(url: str, members: int, analyze: bool) -> Any:
    from sqlalchemy import insert, select, text

    from bot import app as app_module
    from bot import db
    from bot.app import App
    from bot.clock import FrozenClock
    from bot.config import load_settings
    from bot.models import (
        Action,
        CoachingProgress,
        CoachingStep,
        CouncilSeat,
        Member,
        Politician,
        Stance,
        Workspace,
    )
    from bot.services import issues, ladder
    from bot.services.context import Identity

    await db.migrate(url)
    settings = load_settings(_env_file=None, database_url=url, quiet_hours_start=0, quiet_hours_end=0)
    clock = FrozenClock(START)
    app = App(settings, clock)
    coordinator = Identity("bench", "guild", "karin", "Karin", "Bench", is_admin=True)
    await app.run(coordinator, issues.list_issues)  # the workspace and the coordinator
    await app.run(coordinator, issues.create, title="Parkering i centrum", summary="200 platser försvinner.",
                  municipality="Karlskrona", body="kommunfullmäktige", decision="16 dec 18:00",
                  hashtag="#ParkeraKarlskrona", position="Behåll platserna.", ask_days="0")
    rng = random.Random(14)
    year = [START - timedelta(days=rng.random() * 365) for _ in range(4096)]
    async with app.sessionmaker() as session, session.begin():
        workspace = await session.scalar(select(Workspace))
        assert workspace is not None
        ws = workspace.id
        workspace.announcement_channel_id = "annonser"
        workspace.coordinator_channel_id = "koordinatorer"
        issue_id = await session.scalar(text("SELECT id FROM issue"))
        steps = [{"workspace_id": ws, "key": key, "kind": kind, "position": n, "active": True,
                  "created_at": START, "updated_at": START}
                 for n, (key, kind) in enumerate(ladder.DEFAULT_LADDER, 1)]
        await session.execute(insert(CoachingStep), steps)
        step_ids = list(await session.scalars(select(CoachingStep.id).order_by(CoachingStep.position)))
        rows = [{"workspace_id": ws, "external_id": f"m{i:05d}", "display_name": f"Medlem {i:05d}",
                 "joined_at": START, "consented_at": START, "onboarded_at": START, "dm_reminders": True,
                 "dm_open": True, "municipality": "karlskrona", "company": f"Företag {i}",
                 "industry": "retail", "experience": "none"} for i in range(members)]
        for chunk in range(0, len(rows), 2000):
            await session.execute(insert(Member), rows[chunk:chunk + 2000])
        ids = list(await session.scalars(select(Member.id).where(Member.external_id.like("m%"))))
        progress, actions = [], []
        for number, member_id in enumerate(ids):
            for step_id in step_ids[:number % (len(step_ids) + 1)]:
                progress.append({"workspace_id": ws, "member_id": member_id, "step_id": step_id,
                                 "done_at": year[len(progress) % len(year)]})
            for _ in range(10):
                at = year[rng.randrange(len(year))]
                actions.append({"workspace_id": ws, "member_id": member_id, "kind": "tweet", "status": "done",
                                "source": "did", "created_at": at, "updated_at": at})
        for table, values in ((CoachingProgress, progress), (Action, actions)):
            for chunk in range(0, len(values), 5000):
                await session.execute(insert(table), values[chunk:chunk + 5000])
        politicians = [{"workspace_id": ws, "name": f"Politiker {i:03d}", "name_key": f"politiker {i:03d}",
                        "party": PARTIES[i % len(PARTIES)], "municipality": "karlskrona",
                        "bodies": ["kommunfullmäktige"], "created_at": START, "updated_at": START}
                       for i in range(300)]
        await session.execute(insert(Politician), politicians)
        politician_ids = list(await session.scalars(select(Politician.id).order_by(Politician.id)))
        await session.execute(insert(Stance), [
            {"workspace_id": ws, "issue_id": issue_id, "politician_id": pid, "stance": ("for", "against",
             "undecided")[n % 3], "status": "confirmed", "created_at": START, "decided_at": START}
            for n, pid in enumerate(politician_ids[::3])])
        await session.execute(insert(CouncilSeat), [
            {"workspace_id": ws, "municipality": "karlskrona", "body": "kommunfullmäktige",
             "committee_key": "", "party": party, "party_key": party.lower(), "seats": 3 + n,
             "updated_at": START}
            for n, party in enumerate(PARTIES)])
    if analyze or app.engine.dialect.name == "postgresql":
        # The statistics the query planner picks its indexes by (autovacuum gathers them on PostgreSQL).
        async with app.engine.connect() as connection:
            await connection.execute(text("ANALYZE"))
            await connection.commit()
    freeze = getattr(app_module, "freeze_start_up", None)  # a checkout before issue 14 has none
    if freeze is not None:
        freeze()  # as App.start() does at the end of a start
    return app, clock, coordinator


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


async def _calls(name: str, calls: int, call: Callable[[], Awaitable[Any]]) -> None:
    cpu, wall = [], []
    with Heartbeat() as cold_beat:
        c, w = time.process_time(), time.perf_counter()
        await call()
        cold_cpu, cold_wall = time.process_time() - c, time.perf_counter() - w
    with Heartbeat() as beat:
        for _ in range(calls):
            c, w = time.process_time(), time.perf_counter()
            await call()
            cpu.append(time.process_time() - c)
            wall.append(time.perf_counter() - w)
    cpu.sort()
    wall.sort()
    p99 = min(len(cpu) - 1, int(len(cpu) * 0.99))
    print(f"  {name}: cold {_ms(cold_cpu)} CPU / {_ms(cold_wall)} wall (loop stall {_ms(cold_beat.worst)}, "
          f"{_ms(cold_beat.worst_cpu)} CPU); warm CPU p50 {_ms(statistics.median(cpu))} p99 {_ms(cpu[p99])}, "
          f"wall p50 {_ms(statistics.median(wall))} p99 {_ms(wall[p99])}; "
          f"worst loop stall {_ms(beat.worst)}, {_ms(beat.worst_cpu)} CPU")


async def _nudge(app: Any, clock: Any, coordinator: Any, members: int) -> None:
    from sqlalchemy import func, select

    from bot.models import Delivery, Reminder
    from bot.services import nudges
    from bot.services.context import Identity

    app.dispatcher.notifier = None
    await app.dispatcher.run_due()  # what else is due (the issue's alert), out of the way
    await app.run(coordinator, nudges.configure, day="onsdag", hour=9)
    async with app.sessionmaker() as session:
        due = await session.scalar(select(func.min(Reminder.due_at)).where(Reminder.kind == "coaching.weekly",
                                                                           Reminder.status == "pending"))
    clock.set(due.replace(tzinfo=UTC) if due.tzinfo is None else due)
    app.dispatcher.notifier = None
    member = Identity("bench", "guild", "m00001", "Medlem 00001", "Bench")
    latencies: list[float] = []
    failures: list[str] = []
    done = asyncio.Event()

    with Heartbeat() as beat:
        task = asyncio.create_task(meanwhile.log_actions(app, member, done, latencies, failures))
        await asyncio.sleep(0.1)
        start = time.perf_counter()
        await app.dispatcher.run_due()
        fan_out = time.perf_counter() - start
        done.set()
        await task
    async with app.sessionmaker() as session:
        nudged = await session.scalar(select(func.count()).select_from(Delivery).join(Reminder)
                                      .where(Reminder.kind == "coaching.weekly"))
    latencies.sort()
    print(f"  weekly nudge to {nudged} of {members}: fan-out {_ms(fan_out)} wall; /did meanwhile "
          f"({len(latencies)} calls) p50 {_ms(statistics.median(latencies))} max {_ms(latencies[-1])}, "
          f"{len(failures)} failed {sorted(set(failures))[:2]}; worst loop stall {_ms(beat.worst)}, "
          f"{_ms(beat.worst_cpu)} CPU")


async def measure(database: str, url: str, members: int, calls: int, analyze: bool) -> None:
    from bot.services import activity, ladder, stances
    from bot.services.context import Identity

    print(f"{database}, {members} members{', ANALYZE' if analyze else ''}:")
    app, clock, coordinator = await _populate(url, members, analyze)
    try:
        await _calls("/coach overview", calls, lambda: app.run(coordinator, ladder.overview))
        await _calls("/issue map", calls, lambda: app.run(coordinator, stances.show_map, issue="Parkering"))
        member = Identity("bench", "guild", "m00002", "Medlem 00002", "Bench")
        await _calls("/did (alone)", calls,
                     lambda: app.run(member, activity.did, kind=activity.ActivityKind.TWEET))
        await _nudge(app, clock, coordinator, members)
    finally:
        await app.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--databases", default="sqlite")
    parser.add_argument("--analyze", action="store_true",
                        help="run ANALYZE on SQLite after seeding (PostgreSQL always gets it)")
    args = parser.parse_args()
    for database in args.databases.split(","):
        if database == "sqlite":
            folder = Path(tempfile.mkdtemp(prefix="never_block_"))
            url = f"sqlite+aiosqlite:///{folder / 'bench.db'}"
            asyncio.run(measure(database, url, args.members, args.calls, args.analyze))
        else:
            from tests.postgres import find_bindir, start_cluster

            if find_bindir() is None:
                print("postgresql: not installed here; skipped")
                continue
            cluster = start_cluster()
            try:
                name = f"bench_{uuid.uuid4().hex[:8]}"
                cluster.psql(f"CREATE DATABASE {name}")
                asyncio.run(measure(database, cluster.url(name), args.members, args.calls, True))
            finally:
                cluster.stop()


if __name__ == "__main__":
    main()
