"""Benchmark: a backup of a SQLite database of federation size while the bot writes, and its restore.

The database is the one bench/service_latency.py seeds (10,000 members, ~100,000 actions, 26 weeks of
deliveries: about 130 MB), from its cache (seeded there first when missing). A copy of it is the live
database.
A writer commits one row a unit of work through the bot's engine (WAL, write lock at BEGIN, as the services
write), one after another, and a heartbeat task measures how late the event loop wakes, while
`bot.backup.backup_now` runs in a thread as the scheduled backup does. Printed:

- the backup's wall time, and its parts measured apart: the copy through the online backup API, the
  integrity_check of the copy, gzip at level 1 and at level 6 (size and time);
- the writer's commits during the backup: how many, p50/p99 and the longest (against the same writer alone),
  and the longest event-loop stall;
- the same copy made in steps of 100 pages (the backup API's way of letting writers in between steps) under
  the same writer: how often SQLite restarted it from the first page, and whether it finished within
  --step-limit seconds;
- the restore of the backup (checks, the copy of the replaced database, the copy in, the migration).

    .venv/bin/python bench/backup.py [--source FILE] [--seconds 3] [--step-limit 20]

It asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, select

from bot import backup, db
from bot.config import Settings, load_settings
from bot.models import AuditLog, Workspace

HEARTBEAT = 0.005
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def default_source() -> Path:
    """The file bench/service_latency.py caches for its default size at the schema's head."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(db.alembic_config("sqlite://")).get_current_head()
    return Path(tempfile.gettempdir()) / "jobbskaparna-bench" / f"v2-r{head}-m10000-a10-d26.db"


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


class Writer:
    """Commit one audit row a unit of work, one after another, timing each; and watch the event loop."""

    def __init__(self, url: str) -> None:
        self.engine = db.create_engine(url)
        self.commits: list[float] = []
        self.stall = 0.0
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        async with self.engine.connect() as connection:
            self.workspace = (await connection.execute(select(Workspace.id).limit(1))).scalar_one()
        self._stop.clear()
        self._tasks = [asyncio.create_task(self._write()), asyncio.create_task(self._beat())]

    async def stop(self) -> None:
        self._stop.set()
        await asyncio.gather(*self._tasks)

    async def _write(self) -> None:
        while not self._stop.is_set():
            started = time.perf_counter()
            async with self.engine.begin() as connection:
                await connection.execute(insert(AuditLog).values(
                    workspace_id=self.workspace, action="bench", detail={"n": len(self.commits)},
                    created_at=NOW))
            self.commits.append(time.perf_counter() - started)
            await asyncio.sleep(0)

    async def _beat(self) -> None:
        last = time.perf_counter()
        while not self._stop.is_set():
            await asyncio.sleep(HEARTBEAT)
            now = time.perf_counter()
            self.stall = max(self.stall, now - last - HEARTBEAT)
            last = now

    def reset(self) -> None:
        self.commits, self.stall = [], 0.0


def describe(commits: list[float], stall: float) -> str:
    return (f"{len(commits)} commits, p50 {ms(percentile(commits, .5))}, p99 {ms(percentile(commits, .99))}, "
            f"longest {ms(max(commits, default=0))}; longest event-loop stall {ms(stall)}")


def parts(live: Path, work: Path) -> None:
    """The backup's parts, each measured apart (no writer)."""
    copy = work / "parts.db"
    started = time.perf_counter()
    with sqlite3.connect(live) as source, sqlite3.connect(copy) as target:
        source.backup(target)
    print(f"  the copy through the backup API (one step): {time.perf_counter() - started:.2f} s")
    started = time.perf_counter()
    with sqlite3.connect(copy) as target:
        result = target.execute("PRAGMA integrity_check").fetchone()[0]
    print(f"  integrity_check of the copy: {time.perf_counter() - started:.2f} s ({result})")
    for level in (1, 6):
        packed = work / f"parts-{level}.gz"
        started = time.perf_counter()
        with copy.open("rb") as plain, gzip.open(packed, "wb", compresslevel=level) as out:
            shutil.copyfileobj(plain, out, 1 << 20)
        print(f"  gzip level {level}: {time.perf_counter() - started:.2f} s, "
              f"{copy.stat().st_size / 1e6:.0f} MB -> {packed.stat().st_size / 1e6:.1f} MB")
        packed.unlink()
    copy.unlink()


def stepped(live: Path, work: Path, limit: float) -> str:
    """Copy in steps of 100 pages (as a backup that lets writers in between would); count the restarts."""
    restarts, last_remaining, started = 0, None, time.perf_counter()
    stop = threading.Event()

    def progress(_status: int, remaining: int, _total: int) -> None:
        nonlocal restarts, last_remaining
        if last_remaining is not None and remaining > last_remaining:
            restarts += 1
        last_remaining = remaining
        if time.perf_counter() - started > limit:
            stop.set()
            raise TimeoutError

    with sqlite3.connect(live) as source, sqlite3.connect(work / "stepped.db") as target:
        try:
            source.backup(target, pages=100, progress=progress, sleep=0)
            outcome = f"finished in {time.perf_counter() - started:.2f} s"
        except TimeoutError:
            outcome = f"not finished after {limit:.0f} s"
    (work / "stepped.db").unlink(missing_ok=True)
    return f"{outcome}, restarted from the first page {restarts} times"


async def run(args: argparse.Namespace, work: Path) -> None:
    live = work / "data" / "jobbskaparna.db"
    live.parent.mkdir()
    shutil.copy(args.source, live)
    url = f"sqlite+aiosqlite:///{live}"
    settings = load_settings(_env_file=None, data_dir=live.parent)
    print(f"the database: {live.stat().st_size / 1e6:.0f} MB (copied from {args.source})")

    print("the backup's parts, apart:")
    parts(live, work)

    writer = Writer(url)
    await writer.start()
    await asyncio.sleep(args.seconds)
    alone = (list(writer.commits), writer.stall)
    writer.reset()
    started = time.perf_counter()
    path = await asyncio.to_thread(backup.backup_now, settings)
    took = time.perf_counter() - started
    during = (list(writer.commits), writer.stall)
    print(f"the backup while the bot writes: {took:.2f} s, {path.stat().st_size / 1e6:.1f} MB ({path.name})")
    print(f"  the writer alone ({args.seconds:.0f} s): {describe(*alone)}")
    print(f"  the writer during the backup:  {describe(*during)}")

    if args.step_limit > 0:
        writer.reset()
        outcome = await asyncio.to_thread(stepped, live, work, args.step_limit)
        print(f"the copy in steps of 100 pages while the bot writes: {outcome}; the writer: "
              f"{describe(writer.commits, writer.stall)}")
    await writer.stop()
    await writer.engine.dispose()

    # In a thread, as `jobbskaparna restore` runs it: the migration at its end runs its own event loop.
    total, checked = await asyncio.to_thread(restore, settings, path)
    print(f"the restore: {total:.2f} s (of which the checks of the backup {checked:.2f} s)")


def restore(settings: Settings, path: Path) -> tuple[float, float]:
    started = time.perf_counter()
    with backup.prepared_restore(settings, path) as prepared:
        checked = time.perf_counter() - started
        prepared.apply()
    return time.perf_counter() - started, checked


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--source", type=Path, default=None,
                        help="the SQLite file to back up (default: service_latency's cached 10,000 members)")
    parser.add_argument("--seconds", type=float, default=3.0, help="the writer alone first, this long (3)")
    parser.add_argument("--step-limit", type=float, default=20.0,
                        help="give the stepped copy this long (20 s; 0: skip it)")
    args = parser.parse_args(argv)
    if args.source is None:
        args.source = default_source()
        if not args.source.exists():
            print(f"seeding {args.source} with bench/service_latency.py first (a few minutes)", flush=True)
            subprocess.run([sys.executable, str(ROOT / "bench" / "service_latency.py"), "--keep",
                            "--commands", "nothing-matches", "--calls", "1"], check=True)
    print(f"backup: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    with tempfile.TemporaryDirectory(prefix="backup-bench-") as tmp:
        asyncio.run(run(args, Path(tmp)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
