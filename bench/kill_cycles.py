"""Benchmark: kill -9 during fan-outs, an outage longer than Discord remembers nonces: lost or doubled?

Issue 12's target: "after 20 kill -9 during fan-outs with a 1-minute outage each, 0 lost and 0 doubled as the
recipients see them". The local Discord-protocol server (tests/e2e/fakediscord) runs in this process with
Discord's limits (50 requests a second globally, 5 messages per 5 s per channel, --latency a request) and a
nonce memory (--nonce-window) shorter than the outage, so that after a restart only the bot's own bookkeeping
keeps a message from going out twice. The bot is `python -m bot`, started as a user starts it
(tests/e2e/botprocess.py), in its own process, on a database seeded beforehand with the workspace as /setup
leaves it and --members onboarded members in Karlskrona who want DMs (each follows Karlskrona, as onboarding
leaves them).

    .venv/bin/python bench/kill_cycles.py [--cycles 20] [--outage 60] [--nonce-window 10] [--members 500]
        [--latency 0.05] [--seed N] [--keep] [--quick]

Each cycle: the server's owner runs /issue-admin create for a new issue in Karlskrona; the bot answers, and
the issue's alert fans out (a post in the announcement channel and a DM to every member). Once a random number
of its DMs arrived (between a fifth and three fifths of the members) and a random moment more (up to a
second), the bot process is killed with SIGKILL; after --outage seconds it is started again on the same
DATA_DIR and left to finish, until none of the alert's deliveries waits any more in its database. Then the
server's stored messages (what the recipients see, after its nonce dedup) are counted per recipient: expected
one each, lost when none, doubled for every one more. --quick is a fast check: 3 cycles, a 5 s outage, a 2 s
nonce window, 200 members.

It prints a line per cycle and the totals, and exits 1 if any message was lost or doubled.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import random
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

MESSAGES_ROUTE = "/channels/{channel_id}/messages"
ANNOUNCEMENTS = "annonser"
MUNICIPALITY = "karlskrona"
STOCKHOLM = ZoneInfo("Europe/Stockholm")
# The alert's title as Discord shows it: "📢 Ny fråga: <issue title>" (issues.alert.new); matched by its end.
TITLE_SEPARATOR = ": "
ANSWER_WAIT = 30.0
# The kill waits at most this long for the chosen number of DMs to arrive; then up to KILL_JITTER more seconds
# (Discord's global window), so that it falls at any point of the bot's pace: right after a burst of answers,
# with sends on the wire, or with answers not yet written.
PROGRESS_WAIT = 300.0
KILL_JITTER = 1.0
POLL = 0.02
# A delivery in any other status (pending, claimed, sending) still waits to be sent.
DONE = ("sent", "unreachable", "failed", "expired", "cancelled")


# --- seeding the database through the project's own code ----------------------------------------------------


async def seed(url: str, fake: Any, names: list[str]) -> int:
    """Migrate; create the workspace as /setup leaves it, and N onboarded members who want DMs and follow
    Karlskrona (what onboarding leaves: follows.follow_own_municipality). Return the members' count."""
    from sqlalchemy import insert, select

    from bot.models import Follow, Member
    from bot.services import follows
    from tests.e2e.seeding import app_with_workspace

    app, _owner, workspace_id = await app_with_workspace(url, fake, announcements=ANNOUNCEMENTS)
    try:
        now = app.clock.now()
        async with app.sessionmaker() as session, session.begin():
            joined = now - timedelta(days=30)
            await session.execute(insert(Member), [
                {"workspace_id": workspace_id, "external_id": str(fake.user_id(name)), "display_name": name,
                 "joined_at": joined, "consented_at": joined, "onboarded_at": joined, "dm_reminders": True,
                 "dm_open": True, "company": f"Företag {i} AB", "industry": "construction",
                 "company_size": "2-9", "municipality": MUNICIPALITY, "experience": "beginner"}
                for i, name in enumerate(names)])
            ids = list(await session.scalars(select(Member.id).where(
                Member.workspace_id == workspace_id, Member.onboarded_at.is_not(None))))
            await session.execute(insert(Follow), [
                {"workspace_id": workspace_id, "member_id": member_id, "kind": follows.MUNICIPALITY,
                 "value": MUNICIPALITY, "created_at": joined} for member_id in ids])
    finally:
        await app.close()
    return len(ids)


# --- what the server and the bot's database say -------------------------------------------------------------


def issue_title(number: int, token: str) -> str:
    """The title of cycle `number`'s issue (the token tells this run's issues from any other's)."""
    return f"Avbrott {number:03d} {token}"


def alert_issue(embeds: list[dict[str, Any]]) -> str | None:
    """The issue title an alert's embed names, if the message is an alert."""
    title = (embeds[0].get("title") or "") if embeds else ""
    return title.rsplit(TITLE_SEPARATOR, 1)[1] if TITLE_SEPARATOR in title else None


@dataclass
class Arrivals:
    """The alert DMs of one issue the server created, counted from its request log as they come; and the
    repeats it answered with the message it already had (its nonce memory at work)."""

    fake: Any
    title: str
    announcements: int
    seen: set[str] = field(default_factory=set)
    repeats: int = 0
    # Reads of a channel's messages: how the bot checks, after a restart, what Discord already has.
    lookups: int = 0
    _scanned: int = 0

    def __post_init__(self) -> None:
        self._scanned = len(self.fake.requests)

    def count(self) -> int:
        requests = self.fake.requests
        for recorded in requests[self._scanned:]:
            body = recorded.response_json
            if recorded.method == "GET" and recorded.route == MESSAGES_ROUTE:
                self.lookups += 1
            elif (recorded.method == "POST" and recorded.route == MESSAGES_ROUTE and recorded.status == 200
                    and isinstance(body, dict) and body.get("channel_id") != str(self.announcements)
                    and alert_issue(body.get("embeds") or []) == self.title):
                if body["id"] in self.seen:
                    self.repeats += 1
                self.seen.add(body["id"])
        self._scanned = len(requests)
        return len(self.seen)


def received(fake: Any, titles: dict[str, int]) -> tuple[Counter[tuple[int, int]], Counter[int]]:
    """Count the alerts the server stores (what the recipients see): per (cycle, member's user id) in their
    DMs, and per cycle in the announcement channel."""
    from tests.e2e.fakediscord.model import ChannelType

    world = fake.world
    announcements = fake.channel_id(ANNOUNCEMENTS)
    dms: Counter[tuple[int, int]] = Counter()
    posts: Counter[int] = Counter()
    for message in world.messages.values():
        if message.deleted or message.author_id != world.bot.id:
            continue
        cycle = titles.get(alert_issue(message.embeds) or "")
        if cycle is None:
            continue
        channel = world.channels[message.channel_id]
        if channel.type == ChannelType.DM and channel.recipient_id is not None:
            dms[(cycle, channel.recipient_id)] += 1
        elif message.channel_id == announcements:
            posts[cycle] += 1
    return dms, posts


def query(database: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    """Read the bot's own database (read-only; SQLite in WAL mode lets the bot write meanwhile)."""
    with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30)) as connection:
        return connection.execute(sql, params).fetchall()


def alert_statuses(database: Path, title: str) -> tuple[str | None, Counter[str]]:
    """The status of an issue's alert reminder, and its deliveries by status."""
    from bot.services.issues import ALERT_KIND

    # The alert of a new issue (version 1): issues._schedule_alert's key.
    rows = query(database, "SELECT r.status, d.status, count(d.id) FROM issue i "
                           "JOIN reminder r ON r.key = ? || ':' || i.id || ':v1' "
                           "LEFT JOIN delivery d ON d.reminder_id = r.id WHERE i.title = ? "
                           "GROUP BY r.status, d.status", ALERT_KIND, title)
    reminder = rows[0][0] if rows else None
    return reminder, Counter({status: count for _, status, count in rows if status is not None})


# --- one cycle ----------------------------------------------------------------------------------------------


@dataclass
class Cycle:
    """What one kill-and-restart cycle came to."""

    number: int
    kill_after: int  # DMs chosen to arrive before the kill
    kill_delay: float  # and the seconds after that (the kill then falls at any point of the bot's pace)
    at_kill: int = 0  # DMs that had arrived when the kill was sent
    landed: int = 0  # DMs the server created after that: sent whole, their answers never read by the bot
    left_sending: int = 0  # deliveries the killed process left being sent (in doubt) in the database
    left_claimed: int = 0  # deliveries it had claimed but not yet started (not in doubt)
    restart: float = 0.0  # seconds from the new process's start until it was connected
    finish: float = 0.0  # seconds from the restart until none of the alert's deliveries waited any more
    finished: bool = False
    nonce_hits: int = 0  # repeats the server answered with the message it already had
    lookups: int = 0  # reads of a channel's messages (the bot checking what Discord has)
    statuses: Counter[str] = field(default_factory=Counter)
    expected: int = 0
    received: int = 0
    lost: int = 0
    doubled: int = 0
    limited: int = 0
    note: str = ""


async def run_cycle(args: argparse.Namespace, fake: Any, bot: Any, cycle: Cycle, title: str,
                    announcements: int) -> None:
    """Fan an issue's alert out, kill the bot during it, wait the outage, restart it and let it finish."""
    limited = fake.rate_limited
    decision = (datetime.now(STOCKHOLM) + timedelta(days=200)).strftime("%Y-%m-%d 18:00")
    arrivals = Arrivals(fake, title, announcements)
    created = await fake.slash("owner", "issue-admin create", {
        "title": title, "summary": "Kommunen vill ta bort 200 parkeringsplatser vid Stortorget.",
        "municipality": MUNICIPALITY, "body": "kommunfullmaktige", "decision": decision,
        "hashtag": "#Avbrott", "position": "Behåll platserna."})
    answer = await created.wait_reply(ANSWER_WAIT)
    if title not in answer.embed_text():
        raise RuntimeError(f"/issue-admin create was not answered as expected: {answer.content!r} "
                           f"{answer.embeds!r}")
    deadline = time.monotonic() + PROGRESS_WAIT
    while arrivals.count() < cycle.kill_after:
        if bot.current.returncode is not None:
            raise RuntimeError(f"the bot exited with {bot.current.returncode}:\n{bot.current.output()}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {arrivals.count()} of the alert's DMs arrived in {PROGRESS_WAIT:.0f} s")
        await asyncio.sleep(POLL)
    await asyncio.sleep(cycle.kill_delay)
    cycle.at_kill = arrivals.count()
    await bot.kill()
    _, statuses = await asyncio.to_thread(alert_statuses, bot.database, title)
    cycle.left_sending, cycle.left_claimed = statuses["sending"], statuses["claimed"]
    if not any(statuses[status] for status in statuses if status not in DONE):
        cycle.note = "the fan-out was over before the kill"
    await asyncio.sleep(args.outage)
    cycle.landed = arrivals.count() - cycle.at_kill
    lookups = arrivals.lookups

    started = time.monotonic()
    await bot.start()
    cycle.restart = time.monotonic() - started
    deadline = started + args.finish_wait
    while True:
        reminder, statuses = await asyncio.to_thread(alert_statuses, bot.database, title)
        if reminder not in (None, "pending") and set(statuses) <= set(DONE):
            cycle.finished = True
            break
        if bot.current.returncode is not None:
            cycle.note = f"the restarted bot exited with {bot.current.returncode}"
            break
        if time.monotonic() > deadline:
            cycle.note = f"not finished {args.finish_wait:.0f} s after the restart"
            break
        await asyncio.sleep(0.25)
    cycle.finish = time.monotonic() - started
    arrivals.count()
    cycle.nonce_hits, cycle.lookups = arrivals.repeats, arrivals.lookups - lookups
    cycle.statuses = statuses
    cycle.limited = fake.rate_limited - limited


def tally(cycles: list[Cycle], fake: Any, titles: dict[str, int], user_ids: list[int]) -> None:
    """Count per cycle what the recipients see: every member's DMs and the announcement channel's posts."""
    dms, posts = received(fake, titles)
    for cycle in cycles:
        counts = [dms[(cycle.number, user_id)] for user_id in user_ids] + [posts[cycle.number]]
        cycle.expected = len(counts)
        cycle.received = sum(counts)
        cycle.lost = sum(1 for count in counts if count == 0)
        cycle.doubled = sum(count - 1 for count in counts if count > 1)


def report(args: argparse.Namespace, cycles: list[Cycle], problems: list[str]) -> bool:
    """Print a line per cycle and the totals; return True when nothing was lost or doubled."""
    print()
    print(f"{'cycle':>5} {'killed at':>9} {'landed':>6} {'sending/claimed':>15} {'restart':>7} {'finish':>7} "
          f"{'lookups':>7} {'expected':>8} {'received':>8} {'lost':>4} {'doubled':>7} {'nonce hits':>10} "
          f"{'429s':>5}  deliveries in the bot's database")
    for c in cycles:
        states = ", ".join(f"{status} {count}" for status, count in sorted(c.statuses.items()))
        left = f"{c.left_sending}/{c.left_claimed}"
        print(f"{c.number:>5} {c.at_kill:>9} {c.landed:>6} {left:>15} {c.restart:>6.1f}s {c.finish:>6.1f}s "
              f"{c.lookups:>7} {c.expected:>8} {c.received:>8} {c.lost:>4} {c.doubled:>7} {c.nonce_hits:>10} "
              f"{c.limited:>5}  {states}" + (f"  ({c.note})" if c.note else ""))
    print("(killed at: DMs arrived when the kill was sent; landed: DMs the server created after it, from "
          "requests sent whole; sending/claimed: deliveries the killed bot left in doubt / claimed but not "
          "started; lookups: reads of a channel's messages after the restart)")
    expected = sum(c.expected for c in cycles)
    got = sum(c.received for c in cycles)
    lost = sum(c.lost for c in cycles)
    doubled = sum(c.doubled for c in cycles)
    with_doubles = sum(1 for c in cycles if c.doubled)
    unfinished = sum(1 for c in cycles if not c.finished)
    restarts = sorted(c.restart for c in cycles)
    print()
    print(f"total: {len(cycles)} kill -9 cycles, {args.outage:g} s outage each, nonce window "
          f"{args.nonce_window:g} s, {args.members} members")
    print(f"  expected   {expected:8d}  (each cycle: one DM a member and one post in #{ANNOUNCEMENTS})")
    print(f"  received   {got:8d}")
    print(f"  lost       {lost:8d}")
    print(f"  doubled    {doubled:8d}  (in {with_doubles} of {len(cycles)} cycles; at most "
          f"{max((c.doubled for c in cycles), default=0)} in one)")
    print(f"  nonce hits {sum(c.nonce_hits for c in cycles):8d}  (repeats the server answered with the "
          f"message it already had: its nonce memory, not the bot's, kept these from doubling)")
    print(f"  left by the kills: {sum(c.left_sending for c in cycles)} deliveries being sent (in doubt: the "
          f"server may have them) and {sum(c.left_claimed for c in cycles)} claimed, not yet started; "
          f"{sum(c.landed for c in cycles)} DMs landed after the kills")
    if restarts:
        print(f"  restart (process start to connected): median {restarts[len(restarts) // 2]:.1f} s, "
              f"max {restarts[-1]:.1f} s; finish after the restart: max "
              f"{max(c.finish for c in cycles):.1f} s")
    if unfinished:
        print(f"  UNFINISHED: {unfinished} cycle(s) still had deliveries waiting")
    if problems:
        print(f"  the bot's logs and the server: {len(problems)} finding(s), the first ones:")
        for problem in problems[:8]:
            print(f"    {problem}")
    ok = lost == 0 and doubled == 0 and not unfinished
    print("result: " + ("0 lost, 0 doubled" if ok else "PROBLEM: messages were lost or doubled"
                        if lost or doubled else "PROBLEM: a fan-out did not finish"))
    return ok


# --- the run ------------------------------------------------------------------------------------------------


async def run(args: argparse.Namespace, workdir: Path) -> bool:
    from tests.e2e.botprocess import BotProcess
    from tests.e2e.fakediscord import FakeDiscord, MemberSpec, RateLimitConfig
    from tests.e2e.fakediscord.model import DEFAULT_MEMBERS

    rng = random.Random(args.seed)
    token = f"{rng.randrange(16 ** 4):04x}"
    names = [f"m{i:05d}" for i in range(args.members)]
    specs = [*DEFAULT_MEMBERS, *(MemberSpec(name, roles=("Medlem",)) for name in names)]
    fake = FakeDiscord(members=specs, rate_limits=RateLimitConfig(), latency=args.latency,
                       nonce_window=args.nonce_window)
    await fake.start()
    bot = BotProcess(fake, workdir / "bot", extra_env={"QUIET_HOURS_START": "0", "QUIET_HOURS_END": "0"})
    # Discord's 429s are the pace the bot rides out, not a finding; any other refusal is listed at the end.
    bot.expect_refusal(429)
    cycles: list[Cycle] = []
    titles: dict[str, int] = {}
    try:
        seeded = await seed(f"sqlite+aiosqlite:///{bot.database}", fake, names)
        user_ids = [fake.user_id(name) for name in names]
        announcements = fake.channel_id(ANNOUNCEMENTS)
        print(f"seeded: {seeded} onboarded members who want DMs and follow Karlskrona")
        await bot.start()
        low, high = max(1, args.members // 5), max(1, args.members * 3 // 5)
        for number in range(1, args.cycles + 1):
            cycle = Cycle(number, kill_after=rng.randint(low, high), kill_delay=rng.uniform(0, KILL_JITTER))
            title = issue_title(number, token)
            titles[title] = number
            cycles.append(cycle)
            try:
                await run_cycle(args, fake, bot, cycle, title, announcements)
            except RuntimeError as error:  # the figures so far are printed, and the run counts as failed
                cycle.note = str(error).splitlines()[0]
                print(f"cycle {number}: stopped: {error}", flush=True)
                break
            tally([cycle], fake, titles, user_ids)
            print(f"cycle {number}: killed after {cycle.at_kill} DMs ({cycle.landed} landed after the kill; "
                  f"{cycle.left_sending} left sending, {cycle.left_claimed} claimed), "
                  f"restarted in {cycle.restart:.1f} s, finished {cycle.finish:.1f} s later; "
                  f"{cycle.received} of {cycle.expected} received, {cycle.lost} lost, {cycle.doubled} doubled"
                  + (f" ({cycle.note})" if cycle.note else ""), flush=True)
        # Counted again at the end: a late repeat of an earlier cycle's message shows up in its own cycle.
        tally(cycles, fake, titles, user_ids)
    finally:
        await bot.stop()
        await fake.stop()
    return report(args, cycles, bot.problems())


def main(argv: list[str] | None = None) -> int:
    """Run the cycles and print the figures; exit 1 if a message was lost or doubled."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--cycles", type=int, default=20, help="kill -9 cycles (default 20)")
    parser.add_argument("--outage", type=float, default=60.0, help="seconds the bot stays down (default 60)")
    parser.add_argument("--nonce-window", type=float, default=10.0,
                        help="seconds the server remembers a message's nonce; Discord: minutes (default 10)")
    parser.add_argument("--members", type=int, default=500, help="members the alert goes to (default 500)")
    parser.add_argument("--latency", type=float, default=0.05,
                        help="seconds each request takes to answer, like Discord's round trip (default 0.05)")
    parser.add_argument("--finish-wait", type=float, default=600.0,
                        help="seconds a restarted bot may take to finish the fan-out; a failed send is tried "
                             "again after a minute (default 600)")
    parser.add_argument("--seed", type=int, default=None, help="seed of the random kill points")
    parser.add_argument("--keep", action="store_true", help="keep the bot's logs and database; print where")
    parser.add_argument("--quick", action="store_true",
                        help="a fast check: 3 cycles, 5 s outage, 2 s nonce window, 200 members")
    args = parser.parse_args(argv)
    if args.quick:
        args.cycles, args.outage, args.nonce_window, args.members = 3, 5.0, 2.0, 200
    if args.outage <= args.nonce_window:
        print(f"note: the outage ({args.outage:g} s) is not longer than the nonce window "
              f"({args.nonce_window:g} s): the server's nonce dedup may hide doubles")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("tests.e2e.fakediscord").setLevel(logging.ERROR)
    # The requests a killed bot left in flight (the server's --latency) are cut off: not a finding.
    logging.getLogger("aiohttp.server").setLevel(logging.CRITICAL)

    print(f"kill_cycles: {args.cycles} cycles, outage {args.outage:g} s, nonce window "
          f"{args.nonce_window:g} s, {args.members} members, {args.latency * 1000:.0f} ms a request, "
          f"Discord's rate limits; "
          f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    with tempfile.TemporaryDirectory(prefix="kill-cycles-") as tmp:
        workdir = Path(tempfile.mkdtemp(prefix="kill-cycles-")) if args.keep else Path(tmp)
        ok = asyncio.run(run(args, workdir))
        if args.keep:
            print(f"kept: the bot's output and database in {workdir / 'bot'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
