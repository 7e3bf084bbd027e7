"""Benchmark: the bot's own time when a countdown stage fans out to N members,
and when it resumes N deliveries.

The notifier returns at once, so everything measured is the bot's own work: the stage's planner (followers,
drafts), writing one delivery row per recipient, claiming, sending and marking each one, and the live message.
Discord's limit (50 requests a second) needs N / 50 seconds for the same messages; the script prints the bot's
time as a share of that. It runs on SQLite (a file, WAL) and on a throwaway PostgreSQL cluster
(tests/postgres.py; skipped with a note when PostgreSQL is not installed).

    .venv/bin/python bench/countdown_fanout.py [--members N] [--databases sqlite,postgresql] [--concurrency C]

What runs, per database:
1. **Fan-out and send**: N onboarded members (DMs wanted) follow the municipality of an issue decided in
   15 days; the clock is set to its 14-day stage and `Dispatcher.run_due()` is timed. The fan-out (planning
   and writing the rows) and the sending are timed apart: first with no notifier (rows are written, nothing is
   sent), then with the instant notifier. While the fan-out runs, a member logs an action (`/did`) every
   50 ms: each one's wall time (p50, max) and how many failed (SQLite's "database is locked"); and the
   longest write transaction meanwhile (SQLite: from BEGIN IMMEDIATE, when the write lock is taken, to the
   commit; PostgreSQL: from its first write to the commit), which is what a command waits for at most.
2. **Resume after a crash**: the same stage on a fresh database is fanned out, every delivery is set to
   "claimed" and the first eight (the concurrency) to "sending", as a crash in the worst moment leaves them,
   and a new App on the same database times `resume()` and `run_due()`.

Every run checks that each member got exactly one message and nothing is left pending.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import meanwhile

DISCORD_RATE = 50  # requests a second: Discord's global limit for a bot
AIM = 0.01  # the bot's own work: under 1 % of the time Discord's limit needs
# Tuesday 1 December 2026, 10:00 in Stockholm; the decision is on 16 December, 18:00;
# its 14-day stage 2 Dec 09:00.
START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
STAGE = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)


class InstantNotifier:
    """A platform that accepts everything at once, counting what it got (and dropping repeated nonces)."""

    def __init__(self) -> None:
        self.dms: Counter[str] = Counter()
        self.posts = 0
        self.edits = 0
        self._nonces: set[str] = set()

    def _repeat(self, nonce: str | None) -> bool:
        if nonce is None:
            return False
        if nonce in self._nonces:
            return True
        self._nonces.add(nonce)
        return False

    async def send_direct(self, workspace: Any, member: Any, reply: Any, *, nonce: str | None = None) -> None:
        if not self._repeat(nonce):
            self.dms[member.external_id] += 1

    async def post(self, workspace: Any, channel: Any, reply: Any, *, nonce: str | None = None) -> str | None:
        if not self._repeat(nonce):
            self.posts += 1
        return f"m{self.posts}"

    async def edit(self, workspace: Any, channel: Any, message_id: str, reply: Any) -> None:
        self.edits += 1

    async def pin(self, workspace: Any, channel: Any, message_id: str) -> None:
        return None

    async def unpin(self, workspace: Any, channel: Any, message_id: str) -> None:
        return None

    async def grant_role(self, workspace: Any, member: Any, role: Any) -> None:
        return None

    async def revoke_role(self, workspace: Any, external_id: str, role: Any) -> None:
        return None

    async def delete_post(self, workspace: Any, channel: Any, message_id: str) -> None:
        return None

    async def find_sent(
        self, workspace: Any, member: Any, channel: Any, reply: Any, *, since: Any
    ) -> bool | None:
        return None  # cannot tell: an interrupted delivery is sent again (its nonce drops a repeat here)


@dataclass
class Figures:
    """One database's measurements."""

    database: str
    members: int
    fan_out: float
    longest_write: float
    did_p50: float
    did_max: float
    did_calls: int
    did_failed: int
    send: float
    send_cpu: float
    resume: float
    resume_cpu: float
    exact: bool


async def _populate(url: str, members: int) -> Any:
    """Migrate, create the workspace, N members following Karlskrona, and the issue;
    return the App's parts."""
    from sqlalchemy import insert, select, text

    from bot import db
    from bot.app import App
    from bot.clock import FrozenClock
    from bot.config import load_settings
    from bot.models import Follow, Member, Workspace
    from bot.services import issues
    from bot.services.context import Identity

    await db.migrate(url)
    # Quiet hours off: the figures must not depend on the hour; the clock is frozen at the stage anyway.
    settings = load_settings(_env_file=None, database_url=url, quiet_hours_start=0, quiet_hours_end=0)
    clock = FrozenClock(START)
    app = App(settings, clock)
    coordinator = Identity("bench", "guild", "karin", "Karin", "Bench", is_admin=True)
    await app.run(coordinator, issues.list_issues)  # creates the workspace and the coordinator
    async with app.sessionmaker() as session, session.begin():
        workspace = await session.scalar(select(Workspace))
        workspace.announcement_channel_id = "annonser"
        workspace.coordinator_channel_id = "koordinatorer"
        workspace.member_role_id = "Medlem"
        rows = [{"workspace_id": workspace.id, "external_id": f"m{i:05d}", "display_name": f"M {i}",
                 "joined_at": START, "consented_at": START, "onboarded_at": START, "dm_reminders": True,
                 "dm_open": True, "municipality": "karlskrona"} for i in range(members)]
        for chunk in range(0, len(rows), 2000):
            await session.execute(insert(Member), rows[chunk:chunk + 2000])
        ids = list(await session.scalars(select(Member.id).where(Member.external_id.like("m%"))))
        follows = [{"workspace_id": workspace.id, "member_id": member_id, "kind": "municipality",
                    "value": "karlskrona", "created_at": START} for member_id in ids]
        for chunk in range(0, len(follows), 2000):
            await session.execute(insert(Follow), follows[chunk:chunk + 2000])
    if app.engine.dialect.name == "postgresql":
        # A group does not grow by 10,000 members in a second: give the planner the statistics that
        # autovacuum would have gathered by the time a countdown comes.
        async with app.engine.connect() as connection:
            await connection.execute(text("ANALYZE"))
            await connection.commit()
    await app.run(coordinator, issues.create, title="Parkering i centrum", summary="200 platser försvinner.",
                  municipality="Karlskrona", body="kommunfullmäktige", decision="16 dec 18:00",
                  hashtag="#ParkeraKarlskrona", position="Behåll platserna.", ask_days="0")
    app.dispatcher.notifier = InstantNotifier()
    await app.dispatcher.run_due()  # the issue's alert, out of the way
    clock.set(STAGE)
    return app, settings, clock


class WriteTransactions:
    """The longest write transaction on an engine while watched: on SQLite from BEGIN IMMEDIATE (the write
    lock taken) to its end, elsewhere from the first INSERT, UPDATE or DELETE to its end."""

    WRITES = ("BEGIN IMMEDIATE", "INSERT", "UPDATE", "DELETE")

    def __init__(self, engine: Any) -> None:
        self._engine = engine.sync_engine
        self._writing: dict[int, float] = {}
        self.longest = 0.0

    def _statement(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if id(conn) not in self._writing and statement.lstrip().upper().startswith(self.WRITES):
            self._writing[id(conn)] = time.perf_counter()

    def _end(self, conn: Any) -> None:
        started = self._writing.pop(id(conn), None)
        if started is not None:
            self.longest = max(self.longest, time.perf_counter() - started)

    def __enter__(self) -> Self:
        from sqlalchemy import event

        event.listen(self._engine, "after_cursor_execute", self._statement)
        event.listen(self._engine, "commit", self._end)
        event.listen(self._engine, "rollback", self._end)
        return self

    def __exit__(self, *_exc: object) -> None:
        from sqlalchemy import event

        event.remove(self._engine, "after_cursor_execute", self._statement)
        event.remove(self._engine, "commit", self._end)
        event.remove(self._engine, "rollback", self._end)


async def _fan_out_beside_did(app: Any) -> tuple[float, float, list[float], list[str]]:
    """Run the due fan-out while a member logs an action every 50 ms; return the fan-out's wall time, the
    longest write transaction, each /did's wall time and the failures."""
    from bot.services.context import Identity

    member = Identity("bench", "guild", "m00001", "M 1", "Bench")
    latencies: list[float] = []
    failures: list[str] = []
    done = asyncio.Event()

    with WriteTransactions(app.engine) as writes:
        task = asyncio.create_task(meanwhile.log_actions(app, member, done, latencies, failures))
        await asyncio.sleep(0.1)
        wall = time.perf_counter()
        await app.dispatcher.run_due()
        fan_out = time.perf_counter() - wall
        done.set()
        await task
    return fan_out, writes.longest, sorted(latencies), failures


async def _pending(app: Any) -> int:
    from sqlalchemy import func, select

    from bot.delivery import CLAIMED, PENDING, SENDING
    from bot.models import Delivery

    async with app.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(Delivery)
                                        .where(Delivery.status.in_((PENDING, CLAIMED, SENDING)))) or 0)


async def measure(database: str, url_for: Any, members: int, concurrency: int | None) -> Figures:
    """Fan a stage out to `members`, then resume as many after a crash; time the bot's own work."""
    from sqlalchemy import select, update

    from bot.app import App
    from bot.delivery import CLAIMED, PENDING, SENDING, Delivery

    # 1. Fan-out, then send.
    app, settings, clock = await _populate(url_for(), members)
    if concurrency:
        app.dispatcher.concurrency = concurrency
    notifier = InstantNotifier()
    try:
        app.dispatcher.notifier = None
        fan_out, longest_write, dids, did_failures = await _fan_out_beside_did(app)
        if did_failures:
            print(f"  /did failed during the fan-out: {sorted(set(did_failures))[:2]}")
        app.dispatcher.notifier = notifier
        wall, cpu = time.perf_counter(), time.process_time()
        await app.dispatcher.run_due()
        send, send_cpu = time.perf_counter() - wall, time.process_time() - cpu
        exact = (
            len(notifier.dms) == members and set(notifier.dms.values()) == {1} and await _pending(app) == 0
        )
    finally:
        await app.close()

    # 2. A crash left every delivery of the stage claimed; a new process resumes them.
    app, settings, clock = await _populate(url_for(), members)
    try:
        app.dispatcher.notifier = None
        await app.dispatcher.run_due()
        # A crash in the middle of a fan-out leaves the claimed deliveries CLAIMED and the sends in flight (at
        # most the concurrency) SENDING; the worst case is every delivery claimed.
        in_flight = concurrency or app.dispatcher.concurrency
        async with app.sessionmaker() as session, session.begin():
            await session.execute(update(Delivery).where(Delivery.status == PENDING).values(status=CLAIMED))
            first = (
                select(Delivery.id).where(Delivery.status == CLAIMED).order_by(Delivery.id).limit(in_flight)
            )
            await session.execute(update(Delivery).where(Delivery.id.in_(first)).values(status=SENDING))
    finally:
        await app.close()
    restarted = App(settings, clock)
    if concurrency:
        restarted.dispatcher.concurrency = concurrency
    resumed = InstantNotifier()
    restarted.dispatcher.notifier = resumed
    try:
        wall, cpu = time.perf_counter(), time.process_time()
        await restarted.dispatcher.resume()
        await restarted.dispatcher.run_due()
        resume, resume_cpu = time.perf_counter() - wall, time.process_time() - cpu
        exact = exact and len(resumed.dms) == members and set(resumed.dms.values()) == {1} and \
            await _pending(restarted) == 0
    finally:
        await restarted.close()
    return Figures(database, members, fan_out, longest_write, statistics.median(dids), dids[-1], len(dids),
                   len(did_failures), send, send_cpu, resume, resume_cpu, exact)


def report(figures: Figures) -> None:
    """Print one database's figures against Discord's limit."""
    messages = figures.members + 2  # the DMs, the channel post and the live message
    discord = messages / DISCORD_RATE
    total = figures.fan_out + figures.send

    def share(seconds: float) -> str:
        verdict = "within" if seconds <= AIM * discord else "OVER"
        return f"{seconds / discord:7.2%} of Discord's {discord:.0f} s ({verdict} the 1 % aim)"

    print(f"{figures.database}: a stage to {figures.members:,} members ({messages:,} messages)")
    print(f"  fan-out (plan, write the rows)    {figures.fan_out:8.2f} s")
    print(f"  longest write transaction         {figures.longest_write * 1000:8.1f} ms")
    print(f"  /did meanwhile ({figures.did_calls} calls)         p50 {figures.did_p50 * 1000:6.1f} ms   "
          f"max {figures.did_max * 1000:6.1f} ms   {figures.did_failed} failed")
    print(f"  send (claim, send, mark)          {figures.send:8.2f} s   CPU {figures.send_cpu:6.2f} s")
    print(f"  bot's own time per recipient      {total / figures.members * 1e6:8.0f} µs  = {share(total)}")
    print(
        f"  resume {figures.members:,} after a crash       {figures.resume:8.2f} s"
        f"   CPU {figures.resume_cpu:6.2f} s"
        f"   = {figures.resume / figures.members * 1e6:.0f} µs a delivery = {share(figures.resume)}"
    )
    print(f"  every member exactly one message, nothing left pending: {'yes' if figures.exact else 'NO'}")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark on each database and print the figures; exit 1 if a message was lost or doubled."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--members", type=int, default=10_000, help="members the stage fans out to (10,000)")
    parser.add_argument("--databases", default="sqlite,postgresql", help="sqlite, postgresql or both")
    parser.add_argument("--concurrency", type=int, default=None, help="the Dispatcher's concurrent sends")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    from tests.postgres import PostgresCluster, find_bindir, start_cluster

    print(f"Discord's limit: {DISCORD_RATE} requests a second, so {args.members:,} messages need "
          f"{args.members / DISCORD_RATE:.0f} s; the aim: the bot's own work under {AIM:.0%} of that.")
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        for database in args.databases.split(","):
            if database == "sqlite":
                figures = asyncio.run(measure(
                    "SQLite", lambda: f"sqlite+aiosqlite:///{tmp}/{uuid.uuid4().hex}.db", args.members,
                    args.concurrency))
            elif database == "postgresql":
                if find_bindir() is None:
                    print("PostgreSQL: not installed here (no initdb); skipped")
                    continue
                cluster = start_cluster()
                try:
                    def url(cluster: PostgresCluster = cluster) -> str:
                        name = "b_" + uuid.uuid4().hex[:12]
                        cluster.psql(f"CREATE DATABASE {name}")
                        return cluster.url(name)

                    figures = asyncio.run(measure("PostgreSQL", url, args.members, args.concurrency))
                finally:
                    cluster.stop()
            else:
                parser.error(f"unknown database {database!r}")
            report(figures)
            ok = ok and figures.exact
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
