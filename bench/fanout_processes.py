"""Benchmark: a rapid response's alert by DM to N followers, sent by one bot process or by two (Discord's
shards split between them), on one PostgreSQL, against the local Discord-protocol server with Discord's
global limit (50 requests a second).

The bot processes are the real `python -m bot` (tests/e2e/botprocess.py), the fake runs in this process, the
database is a throwaway PostgreSQL cluster (tests/postgres.py). One process runs both shards
(DISCORD_SHARD_COUNT=2); two run shard 0 and shard 1 (DISCORD_SHARD_IDS). The followers' DM channels are
stored, so a DM is one request. The figures: time from the command to the first and to the last DM, DMs a
second over the sending, CPU seconds per bot process, the 429s.

    .venv/bin/python bench/fanout_processes.py [--members 5000 20000] [--processes 1 2] [--limit 50]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot import db
from tests.e2e.botprocess import BotProcess
from tests.e2e.fakediscord import FakeDiscord, MemberSpec, RateLimitConfig
from tests.e2e.fakediscord.model import DEFAULT_MEMBERS
from tests.e2e.test_multiprocess_e2e import AlertCount, follower, seed, start_rapid_response
from tests.postgres import PostgresCluster, start_cluster

TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Result:
    """One fan-out's figures."""

    members: int
    processes: int
    first: float  # seconds from the command's answer to the first DM accepted
    last: float  # ... to the last
    cpu: list[float]  # CPU seconds of each bot process over the whole run (start included)
    sent_by: list[int]  # DMs each process sent
    limited: int
    limited_global: int

    @property
    def rate(self) -> float:
        """DMs a second from the first to the last."""
        return self.members / max(self.last - self.first, 1e-9)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a running process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


async def run(cluster: PostgresCluster, members: int, processes: int, limit: int, workdir: Path) -> Result:
    """Seed a fresh database, start the processes, fan out, and measure."""
    name = f"bench_{members}_{processes}"
    cluster.psql(f"CREATE DATABASE {name} TEMPLATE template_jobb")
    url = cluster.url(name)
    specs = [*DEFAULT_MEMBERS, *(MemberSpec(follower(i)) for i in range(members))]
    async with FakeDiscord(members=specs, shards=2,
                           rate_limits=RateLimitConfig(global_limit=limit, global_window=1.0)) as fake:
        await seed(url, fake, members)
        common = {"DATABASE_URL": url, "DISCORD_SHARD_COUNT": "2", "QUIET_HOURS_START": "0",
                  "QUIET_HOURS_END": "0", "LOG_LEVEL": "WARNING"}
        ports = [fake.port] if processes == 1 else [fake.port, await fake.listen_also()]
        bots = [BotProcess(fake, workdir / f"{name}-p0", extra_env=dict(common))] if processes == 1 else [
            BotProcess(fake, workdir / f"{name}-p{shard}",
                       extra_env={**common, "DISCORD_SHARD_IDS": str(shard), **fake.env(ports[shard])})
            for shard in (0, 1)]
        try:
            for bot in bots:
                await bot.start()
            await fake.wait_ready(60, synced=True)
            count = AlertCount(fake, {fake.dm_channel_id(follower(i)) for i in range(members)})
            await start_rapid_response(fake)
            started = time.monotonic()
            first = None
            while count.update() < members:
                if first is None and count.requests:
                    first = time.monotonic() - started
                await asyncio.sleep(0.05)
            last = time.monotonic() - started
            cpu = [cpu_seconds(bot.current.process.pid) for bot in bots]
        finally:
            for bot in bots:
                await bot.stop()
        return Result(members, processes, first or last, last, cpu, [count.by_port[p] for p in ports],
                      fake.rate_limited, fake.rate_limited_global)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, nargs="+", default=[5000, 20000])
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2], choices=[1, 2])
    parser.add_argument("--limit", type=int, default=50, help="the fake's global limit a second (Discord 50)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    cluster = start_cluster()
    try:
        cluster.psql("CREATE DATABASE template_jobb")
        await db.migrate(cluster.url("template_jobb"))
        with tempfile.TemporaryDirectory(prefix="fanout-processes-") as workdir:
            print("| members | processes | first DM | last DM | DMs/s | CPU s per process | sent per process "
                  "| 429s (global) |")
            print("|---:|---:|---:|---:|---:|---|---|---:|")
            for members in args.members:
                for processes in args.processes:
                    result = await run(cluster, members, processes, args.limit, Path(workdir))
                    print(f"| {members:,} | {processes} | {result.first:.1f} s | {result.last:.1f} s "
                          f"| {result.rate:.1f} | {' / '.join(f'{c:.1f}' for c in result.cpu)} "
                          f"| {' / '.join(f'{n:,}' for n in result.sent_by)} "
                          f"| {result.limited} ({result.limited_global}) |", flush=True)
    finally:
        cluster.stop()


if __name__ == "__main__":
    asyncio.run(main())
