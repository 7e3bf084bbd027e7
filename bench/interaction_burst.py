"""Benchmark: N interactions at the same instant, answered by the real bot process within Discord's 3 seconds?

The local Discord-protocol server (tests/e2e/fakediscord) runs in this process with Discord's limits: the
initial response to an interaction within 3 s (later: 404 10062, "This interaction failed" for the user), 5
posts per 5 s per channel, 50 requests a second globally (interaction responses excepted), and --latency
seconds before each request is handled (a round trip to Discord). The bot is `python -m bot`, started as a
user starts it (tests/e2e/botprocess.py), on a database seeded beforehand with --members onboarded members,
their history and a few issues, one of them inside its countdown (so its live message
carries the pledge buttons).

    .venv/bin/python bench/interaction_burst.py [--n 200] [--db sqlite|postgres] [--members 1000]
        [--actions 10] [--latency 0.05] [--keep]

Two bursts of N interactions, each from a different member where there are enough: the first right after the
start (cold), the second once the bot is idle again (warm). A burst is a mix of what members use most: /did,
/stats, /coach next, a pledge button under the countdown's live message, /issue list. Per burst it prints the
share answered within 3 s, the time from an interaction's creation to its initial response as the server saw
it (p50, p95, p99, max; an interaction never answered counts as infinitely late), answers that said "something
went wrong", the bot process's CPU time (user + system, from /proc, until it is idle again) per interaction
(the server in this process and PostgreSQL's processes are not counted), and how often its log says "database
is locked". It asserts nothing; the targets are printed beside the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import math
import os
import re
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

WINDOW = 3.0  # seconds: Discord's deadline for an interaction's initial response
DEFERRED_MESSAGE, DEFERRED_UPDATE = 5, 6  # the callback types of a deferral
CALLBACK_ROUTE = "/interactions/{interaction_id}/{token}/callback"
MIX = ("did", "stats", "coach next", "pledge button", "issue list")
TARGETS = {"in_time_200": 1.0, "in_time_500": 0.99, "p99": 1.5, "cpu_ms": 5.0, "locks": 0}
STOCKHOLM = ZoneInfo("Europe/Stockholm")
# A record of the bot's log (bot/log.py): "2026-12-06 23:36:42 ERROR   name: message", then its traceback.
LOG_RECORD = re.compile(r"(?m)^(?=\d{4}-\d\d-\d\d \d\d:\d\d:\d\d )")
LOG_ERROR = re.compile(r"^\S+ \S+ (ERROR|CRITICAL) ")
QUIET = 1.0  # seconds without a request to the server: the bot is idle again
SETTLE = 120.0  # at most this long for a burst to be answered and the bot to be idle


# --- the bot's process --------------------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """Return a process's CPU time (user + system, all its threads) from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # After the command name: state is field 3, utime field 14, stime field 15 (1-based, man 5 proc).
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def log_size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


def log_since(path: Path, offset: int) -> str:
    with path.open("rb") as handle:
        handle.seek(offset)
        return handle.read().decode(errors="replace")


# --- seeding the database through the project's own code ----------------------------------------------------


async def seed(url: str, fake: Any, members: list[str], actions_per_member: int) -> dict[str, int]:
    """Migrate; create the workspace as /setup leaves it, N onboarded members with a history,
    and three issues."""
    from sqlalchemy import insert, select

    from bot.models import Action, Member
    from bot.services import issues
    from tests.e2e.seeding import app_with_workspace

    app, owner, workspace_id = await app_with_workspace(url, fake)
    try:
        now = app.clock.now()
        async with app.sessionmaker() as session, session.begin():
            joined = now - timedelta(days=90)
            rows = [
                {
                    "workspace_id": workspace_id,
                    "external_id": str(fake.user_id(name)),
                    "display_name": name.capitalize(),
                    "joined_at": joined,
                    "consented_at": joined,
                    "onboarded_at": joined,
                    "dm_reminders": False,
                    "dm_open": True,
                    "company": f"Företag {i} AB",
                    "industry": "construction",
                    "company_size": "2-9",
                    "municipality": "karlskrona",
                    "experience": "beginner",
                    "x_handle": f"@foretag{i}",
                }
                for i, name in enumerate(members)
            ]
            for start in range(0, len(rows), 2000):
                await session.execute(insert(Member), rows[start:start + 2000])
            ids = list(await session.scalars(select(Member.id).where(Member.workspace_id == workspace_id,
                                                                     Member.onboarded_at.is_not(None))))
            kinds = ("tweet", "ask", "blog", "media", "meet", "meeting")
            history = [
                {
                    "workspace_id": workspace_id,
                    "member_id": member_id,
                    "kind": kinds[(n + k) % len(kinds)],
                    "status": "done",
                    "issue_id": None,
                    "link": None,
                    "source": "did",
                    "created_at": now - timedelta(days=(n * 7 + k * 3) % 80, hours=k),
                    "updated_at": now - timedelta(days=(n * 7 + k * 3) % 80, hours=k),
                }
                for n, member_id in enumerate(ids)
                for k in range(actions_per_member)
            ]
            for start in range(0, len(history), 5000):
                await session.execute(insert(Action), history[start:start + 5000])
        if app.engine.dialect.name == "postgresql":
            from sqlalchemy import text

            async with app.engine.connect() as connection:  # the statistics autovacuum would have gathered
                await connection.execute(text("ANALYZE"))
                await connection.commit()
        for days, title in (
            (5, "Parkering i centrum"),
            (40, "Nya cykelbanor"),
            (60, "Torghandelns avgifter"),
        ):
            decision = (datetime.now(STOCKHOLM) + timedelta(days=days)).strftime("%Y-%m-%d 18:00")
            await app.run(owner, issues.create, title=title, summary=f"{title}: kommunen beslutar.",
                          municipality="Karlskrona", body="kommunfullmaktige", decision=decision,
                          hashtag="#" + title.split()[0], position="Lyssna på företagen.", ask_days="0")
    finally:
        await app.close()
    return {"members": len(ids), "actions": len(history)}


# --- one burst ----------------------------------------------------------------------------------------------


@dataclass
class Burst:
    """The interactions of one burst and what the server saw of the bot's answers."""

    fake: Any
    mark: int  # fake.requests index when the burst began
    inters: list[Any] = field(default_factory=list)
    by_id: dict[int, Any] = field(default_factory=dict)
    kinds: dict[int, str] = field(default_factory=dict)
    # id -> (seconds after the interaction's creation, the request): the bot's first initial response
    first_callback: dict[int, tuple[float, Any]] = field(default_factory=dict)
    _scanned: int = 0

    def scan(self) -> None:
        """Take the initial responses the server recorded since the last look (the first per interaction)."""
        requests = self.fake.requests
        started = self.fake._started_at  # the time base of Recorded.at
        for recorded in requests[max(self._scanned, self.mark):]:
            if recorded.route != CALLBACK_ROUTE:
                continue
            inter = self.by_id.get(int(recorded.path.split("/")[2]))
            if inter is not None and inter.id not in self.first_callback:
                self.first_callback[inter.id] = (recorded.at + started - inter.created_at, recorded)
        self._scanned = len(requests)

    def all_tried(self) -> bool:
        self.scan()
        return len(self.first_callback) == len(self.inters)


def pick_pledge_buttons(fake: Any) -> tuple[Any, list[str]] | None:
    """Return the countdown's live message and its pledge buttons' custom_ids, if it was posted."""
    for message in reversed(fake.messages_in("annonser")):
        pledges = [c for c in message.custom_ids() if c.startswith("jb:countdown.pledge:")]
        if pledges:
            return message, pledges
    return None


async def quiet(fake: Any, timeout: float) -> None:
    """Wait until the server got no request for QUIET seconds (the bot is idle again), at most `timeout`."""
    deadline = time.monotonic() + timeout
    count, since = len(fake.requests), time.monotonic()
    while time.monotonic() < deadline:
        await asyncio.sleep(0.1)
        if len(fake.requests) != count:
            count, since = len(fake.requests), time.monotonic()
        elif time.monotonic() - since >= QUIET:
            return


async def fire(fake: Any, users: list[str], live: tuple[Any, list[str]] | None, round_number: int) -> Burst:
    """Send one interaction per user at the same instant, cycling through the mix."""
    burst = Burst(fake, len(fake.requests))

    def act(i: int, user: str) -> tuple[str, Any]:
        kind = MIX[i % len(MIX)]
        if kind == "did":
            link = f"https://x.com/{user}/status/{round_number}{i}"
            return kind, fake.slash(user, "did", {"kind": "tweet", "link": link})
        if kind == "pledge button":
            if live is None:
                return "pledge", fake.slash(user, "pledge", {})
            message, pledges = live
            return kind, fake.press(user, message, custom_id=pledges[i % len(pledges)])
        return kind, fake.slash(user, kind)

    planned = [act(i, user) for i, user in enumerate(users)]
    sent = await asyncio.gather(*(call for _, call in planned))
    burst.inters = list(sent)
    burst.by_id = {inter.id: inter for inter in sent}
    burst.kinds = {inter.id: kind for (kind, _), inter in zip(planned, sent, strict=True)}
    return burst


# --- figures ------------------------------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (math.inf for an interaction never answered)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def seconds(value: float) -> str:
    return "never" if math.isinf(value) else f"{value:.2f} s"


def error_prefixes() -> tuple[str, ...]:
    from bot.i18n import translate

    return tuple(
        translate("errors.unexpected", language, code="\0").split("\0")[0] for language in ("sv", "en")
    )


@dataclass
class Figures:
    """What one burst came to."""

    label: str
    n: int
    spread: float
    in_time: int
    latencies: list[float]
    by_kind: dict[str, list[float]]
    refused_late: int
    never: int
    errors: int
    # Initial responses that were a deferral ("thinking…", or a pressed button's loading state): the answer
    # came after, as an edit or a follow-up.
    deferred: int
    cpu: float
    settle: float
    locks: int
    error_lines: int
    limited: int
    limited_global: int


def summarise(label: str, burst: Burst, cpu: float, settle: float, log: str, limited: tuple[int, int]
              ) -> Figures:
    burst.scan()
    latencies: list[float] = []
    by_kind: dict[str, list[float]] = {}
    in_time = refused_late = never = errors = deferred = 0
    prefixes = error_prefixes()
    for inter in burst.inters:
        deferred += inter.response_type in (DEFERRED_MESSAGE, DEFERRED_UPDATE)
        first = burst.first_callback.get(inter.id)
        latency = first[0] if first is not None else math.inf
        # Something failed before the answer (not the answer's lateness): its first answer says so.
        if first is not None and any(
            p in json.dumps(first[1].json_body, ensure_ascii=False) for p in prefixes
        ):
            errors += 1
        latencies.append(latency)
        by_kind.setdefault(burst.kinds[inter.id], []).append(latency)
        if inter.response is not None and inter.acknowledged_at - inter.created_at <= WINDOW:
            in_time += 1
        elif first is None:
            never += 1
        else:
            refused_late += 1
    records = LOG_RECORD.split(log)
    created = [inter.created_at for inter in burst.inters]
    return Figures(label, len(burst.inters), max(created) - min(created), in_time, latencies, by_kind,
                   refused_late, never, errors, deferred, cpu, settle,
                   sum("database is locked" in record for record in records),
                   sum(1 for record in records if LOG_ERROR.match(record)),
                   *limited)


def report(figures: Figures) -> None:
    n = figures.n
    aim = TARGETS["in_time_500"] if n >= 500 else TARGETS["in_time_200"]
    lat = figures.latencies
    print(f"{figures.label}: {n} interactions sent within {figures.spread * 1000:.0f} ms")
    print(f"  answered within 3 s        {figures.in_time:6d} of {n} = {figures.in_time / n:6.1%}   "
          f"(target {aim:.0%})")
    print(f"  too late (404 10062)       {figures.refused_late:6d}; never answered {figures.never}")
    print(
        f"  to the initial response    p50 {seconds(percentile(lat, 0.50))}"
        f"  p95 {seconds(percentile(lat, 0.95))}"
        f"  p99 {seconds(percentile(lat, 0.99))}  max {seconds(max(lat))}   (target p99 ≤ {TARGETS['p99']} s)"
    )
    for kind, values in figures.by_kind.items():
        ok = sum(1 for v in values if v <= WINDOW)
        print(f"    {kind:<16} {len(values):4d}: {ok / len(values):6.1%} in time, p50 "
              f"{seconds(percentile(values, 0.5))}, p95 {seconds(percentile(values, 0.95))}")
    print(
        f"  deferred first             {figures.deferred:6d}   (the answer followed as an edit or follow-up)"
    )
    print(f"  'something went wrong'     {figures.errors:6d}   (first answers that said so, in time or not)")
    per = figures.cpu / n * 1000
    print(f"  bot CPU                    {figures.cpu:6.2f} s = {per:.1f} ms per interaction   "
          f"(target ≤ {TARGETS['cpu_ms']:.0f} ms; until idle, {figures.settle:.1f} s after the burst)")
    print(
        f"  'database is locked'       {figures.locks:6d}   (target {TARGETS['locks']}; log records); errors "
        f"logged: {figures.error_lines}"
    )
    print(f"  429s from the server       {figures.limited:6d} ({figures.limited_global} global)")


# --- the run ------------------------------------------------------------------------------------------------


async def run(args: argparse.Namespace, workdir: Path, database_url: str | None) -> list[Figures]:
    from tests.e2e.botprocess import BotProcess
    from tests.e2e.fakediscord import FakeDiscord, MemberSpec
    from tests.e2e.fakediscord.model import DEFAULT_MEMBERS

    names = [f"m{i:05d}" for i in range(args.members)]
    specs = [*DEFAULT_MEMBERS, *(MemberSpec(name, roles=("Medlem",)) for name in names)]
    fake = FakeDiscord(members=specs, latency=args.latency)
    await fake.start()
    bot = BotProcess(fake, workdir / "bot", extra_env={"QUIET_HOURS_START": "0", "QUIET_HOURS_END": "0"})
    url = database_url or f"sqlite+aiosqlite:///{bot.database}"
    if database_url:
        bot.extra_env["DATABASE_URL"] = database_url
    results = []
    try:
        seeded = await seed(url, fake, names, args.actions)
        print(f"seeded: {seeded['members']:,} onboarded members, {seeded['actions']:,} actions, 3 issues "
              f"(one inside its countdown)")
        started = await bot.start()
        pid = started.process.pid
        live = None
        try:
            await fake.wait_until(
                lambda: pick_pledge_buttons(fake) is not None, 30, "the countdown's live message"
            )
            live = pick_pledge_buttons(fake)
        except TimeoutError:
            print(
                "the countdown's live message did not appear: "
                "/pledge (the list) takes the pledge buttons' place"
            )
        await quiet(fake, 30)
        for number, label in ((1, "burst 1 (cold: right after the start)"), (2, "burst 2 (warm)")):
            offset = (number - 1) * args.n
            users = [names[(offset + i) % len(names)] for i in range(args.n)]
            log_offset = log_size(started.stderr)
            limited = (fake.rate_limited, fake.rate_limited_global)
            cpu0 = cpu_seconds(pid)
            burst = await fire(fake, users, live, number)
            fired = time.monotonic()
            with contextlib.suppress(TimeoutError):  # what was not answered by then is reported as such
                await fake.wait_until(
                    burst.all_tried, SETTLE, "every interaction of the burst to be answered"
                )
            await quiet(fake, SETTLE)
            settle = time.monotonic() - fired - QUIET
            cpu = cpu_seconds(pid) - cpu0
            log = log_since(started.stderr, log_offset)
            results.append(summarise(label, burst, cpu, settle, log,
                                     (fake.rate_limited - limited[0], fake.rate_limited_global - limited[1])))
            report(results[-1])
    finally:
        await bot.stop()
        await fake.stop()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--n", type=int, default=200, help="interactions at the same instant (default 200)")
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite", help="the bot's database")
    parser.add_argument("--members", type=int, default=1000, help="onboarded members in the database (1000)")
    parser.add_argument("--actions", type=int, default=10, help="logged actions per member (default 10)")
    parser.add_argument("--latency", type=float, default=0.05,
                        help="seconds each request takes to answer, like Discord's round trip (default 0.05)")
    parser.add_argument(
        "--keep", action="store_true", help="keep the bot's log (and SQLite database); print where"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("tests.e2e.fakediscord").setLevel(logging.ERROR)
    # A request the stopped bot left in flight (the server's --latency) is cut off at the end: not a finding.
    logging.getLogger("aiohttp.server").setLevel(logging.CRITICAL)

    print(
        f"interaction_burst: {args.n} at once, {args.members:,} members, {args.db}, "
        f"{args.latency * 1000:.0f} ms a request; mix: {', '.join(MIX)}; "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    )
    with tempfile.TemporaryDirectory(prefix="interaction-burst-") as tmp:
        workdir = Path(tempfile.mkdtemp(prefix="interaction-burst-")) if args.keep else Path(tmp)
        if args.db == "sqlite":
            asyncio.run(run(args, workdir, None))
        else:
            from tests.postgres import find_bindir, start_cluster

            if find_bindir() is None:
                print("PostgreSQL is not installed here (no initdb)")
                return 1
            cluster = start_cluster()
            try:
                name = "burst_" + uuid.uuid4().hex[:12]
                cluster.psql(f"CREATE DATABASE {name}")
                asyncio.run(run(args, workdir, cluster.url(name)))
            finally:
                cluster.stop()
        if args.keep:
            print(f"kept: the bot's output and database in {workdir / 'bot'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
