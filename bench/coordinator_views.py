"""Coordinator views at federation scale: /members, /issue show, /digest now and /report, CPU time per call.

    .venv/bin/python bench/coordinator_views.py [--members N] [--calls C] [--database-url URL]

Seeds a database (SQLite in a temporary directory unless a URL is given) through the project's models: N
members (10,000 by default) with follows, ten actions a member over the last year, 50 issues, 2,000 stories,
and the deliveries of a year of weekly nudges (one a member a week, 2 % of them refused). Then calls each
service C times (50 by default) as a coordinator and prints p50/p95/p99 of the process CPU time of one call
(and the wall time: on PostgreSQL the server's work is not in this process's CPU time);
last, prunes the deliveries older than the default retention as the daily run does, a batch a transaction,
and prints how long each transaction held the write lock. Figures, not tests: nothing here asserts a timing.
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import random
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

from bot import db
from bot.app import App
from bot.clock import FrozenClock
from bot.config import load_settings
from bot.models import Action, Delivery, Follow, Issue, Member, Reminder, Story, Workspace
from bot.services import digest, issues, profile, reports, retention
from bot.services.context import Identity

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
MUNICIPALITIES = ("karlskrona", "ronneby", "karlshamn", "solvesborg", "olofstrom")
INDUSTRIES = ("construction", "retail", "hospitality", "tech", "manufacturing", "services")
KINDS = ("tweet", "ask", "blog", "media", "meet")
BOSS = Identity("console", "bench", "boss", "Boss", "Bench", is_admin=True)


async def _chunks(app: App, table: object, rows: Sequence[Mapping[str, Any]], size: int = 5000) -> None:
    for start in range(0, len(rows), size):
        async with app.sessionmaker() as session, session.begin():
            await session.execute(insert(table), rows[start:start + size])  # type: ignore[arg-type]


async def seed(app: App, members: int) -> None:
    """Fill the database through the models, in bulk."""
    rng = random.Random(14)
    await app.ensure_workspace("console", "bench", "Bench", {})
    async with app.sessionmaker() as session:
        workspace_id = await session.scalar(select(Workspace.id).where(Workspace.external_id == "bench"))
    year_ago = NOW - timedelta(days=365)
    member_rows = [{"workspace_id": workspace_id, "external_id": f"m{i}", "display_name": f"Medlem {i:05d}",
                    "joined_at": year_ago, "consented_at": year_ago,
                    "onboarded_at": year_ago + timedelta(minutes=rng.randrange(365 * 24 * 60)),
                    "dm_reminders": True, "dm_open": rng.random() > 0.02, "company": f"Företag {i}",
                    "industry": rng.choice(INDUSTRIES), "company_size": "2-9",
                    "municipality": rng.choice(MUNICIPALITIES), "experience": rng.choice(("none", "active"))}
                   for i in range(members)]
    await _chunks(app, Member.__table__, member_rows)
    async with app.sessionmaker() as session:
        ids = list(await session.scalars(select(Member.id).where(Member.workspace_id == workspace_id)))
    await _chunks(app, Follow.__table__, [
        {"workspace_id": workspace_id, "member_id": m, "kind": "municipality",
         "value": rng.choice(MUNICIPALITIES), "created_at": year_ago} for m in ids])
    await _chunks(app, Issue.__table__, [
        {"workspace_id": workspace_id, "title": f"Fråga {i}", "summary": "…",
         "municipality": MUNICIPALITIES[i % 5], "body": "kommunfullmaktige",
         "decision_at": NOW + timedelta(days=i), "decision_has_time": True, "hashtag": f"#F{i}",
         "position": "…", "topics": [], "status": "open", "version": 1,
         "created_at": year_ago, "updated_at": year_ago} for i in range(50)])
    await _chunks(app, Action.__table__, [
        {"workspace_id": workspace_id, "member_id": rng.choice(ids), "kind": rng.choice(KINDS),
         "status": "done", "created_at": (at := NOW - timedelta(minutes=rng.randrange(365 * 24 * 60))),
         "updated_at": at}
        for _ in range(members * 10)])
    await _chunks(app, Story.__table__, [
        {"workspace_id": workspace_id, "member_id": rng.choice(ids), "title": f"Berättelse {i}",
         "kind": "tweet", "value": "…", "visibility": rng.choice(("group", "public")), "credit": "name",
         "created_at": (at := NOW - timedelta(minutes=rng.randrange(365 * 24 * 60))), "updated_at": at}
        for i in range(2000)])
    for week in range(52):
        due = NOW - timedelta(weeks=52 - week)
        async with app.sessionmaker() as session, session.begin():
            reminder_id = (await session.execute(insert(Reminder).values(
                workspace_id=workspace_id, kind="coaching.weekly", key=f"bench:{week}", due_at=due,
                payload={}, status="fanned_out", created_at=due, fired_at=due)
                .returning(Reminder.id))).scalar_one()
        await _chunks(app, Delivery.__table__, [
            {"workspace_id": workspace_id, "reminder_id": reminder_id, "member_id": m, "channel": "welcome",
             "key": f"{reminder_id}:member:{m}", "nonce": f"n{reminder_id}-{m}", "message": {"body": None},
             "status": "unreachable" if (refused := rng.random() < 0.02) else "sent", "not_before": due,
             "attempts": 1, "created_at": due, "sent_at": None if refused else due} for m in ids])


async def measure(app: App, name: str, call: Callable[[], Awaitable[object]], calls: int) -> None:
    times, walls = [], []
    for _ in range(calls):
        start, wall = time.process_time(), time.perf_counter()
        await call()
        times.append((time.process_time() - start) * 1000)
        walls.append((time.perf_counter() - wall) * 1000)
    q = statistics.quantiles(times, n=100, method="inclusive")
    w = statistics.quantiles(walls, n=100, method="inclusive")
    print(f"{name:28} CPU p50 {q[49]:7.1f} ms  p95 {q[94]:7.1f} ms  p99 {q[98]:7.1f} ms"
          f"   wall p50 {w[49]:7.1f} ms  p99 {w[98]:7.1f} ms")


async def prune(app: App) -> None:
    """Prune what the default retention lets go, a batch a transaction as the daily run does; time each."""
    async with app.sessionmaker() as session:
        workspace_id = await session.scalar(select(Workspace.id).where(Workspace.external_id == "bench"))
    assert workspace_id is not None
    before = NOW - retention.DEFAULT_AGE
    walls, cpus, pruned = [], [], 0
    while True:
        wall, cpu = time.perf_counter(), time.process_time()
        async with app.sessionmaker() as session, session.begin():
            count = await retention.prune_batch(session, workspace_id, before)
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
        pruned += count
        if count < retention.BATCH:
            break
    print(f"retention: {pruned} deliveries pruned in {len(walls)} transactions of at most {retention.BATCH}; "
          f"a transaction (the write lock held) p50 {statistics.median(walls):.1f} ms, "
          f"max {max(walls):.1f} ms wall, p50 {statistics.median(cpus):.1f} ms CPU")


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--calls", type=int, default=50)
    parser.add_argument("--database-url", default="")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = options.database_url or f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        settings = load_settings(database_url=url, data_dir=Path(tmp), output_dir=Path(tmp), _env_file=None)
        app = App(settings, FrozenClock(NOW))
        await db.migrate(url)
        started = time.perf_counter()
        await seed(app, options.members)
        print(f"seeded {options.members} members in {time.perf_counter() - started:.0f} s")
        calls = options.calls
        await measure(app, "/members (all, first page)", lambda: app.run(BOSS, profile.list_members), calls)
        if "page" in inspect.signature(profile.list_members).parameters:
            await measure(app, "/members (page 100)",
                          lambda: app.run(BOSS, profile.list_members, page=100), calls)
        await measure(app, "/issue show (coordinator)", lambda: app.run(BOSS, issues.show, "1"), calls)
        await measure(app, "/digest now", lambda: app.run(BOSS, digest.digest_now), calls)
        await measure(app, "/report (a month)", lambda: app.run(BOSS, reports.report, "2026-11-01",
                                                                  "2026-11-30"), calls)
        await prune(app)
        await app.close()


if __name__ == "__main__":
    asyncio.run(main())
