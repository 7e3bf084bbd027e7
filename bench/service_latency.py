"""Benchmark: every common command at federation scale (issue 14): CPU time, statements, event-loop stalls.

A database of a given size is seeded through the project's own models (bulk inserts): --members onboarded
members (10,000) in five municipalities, about --actions-per-member logged actions each (10) spread over the
year before the benchmark's instant (one member, "the most active", logs three a day), 50 issues (six inside
their countdown, with pledges and asks; ten closed; made with /issue create, so their reminders and countdowns
are as the bot plans them), 300 politicians with stances on the open issues, 2,000 stories with applause,
follows (every member their municipality, some a topic or an issue), members at every step of the coaching
ladder, leaderboard opt-ins, and --delivery-weeks (26) past weekly nudges with a delivery per member who wants
DMs (a few failed or unreachable, so /report has data). Then each command's service is called as the adapters
call it, `app.run(identity, service, **options)`, --calls times (200; --coordinator-calls for the coordinator
commands), on one event loop, with a frozen clock (Tuesday 1 December 2026, 10:00 in Stockholm).

    .venv/bin/python bench/service_latency.py [--db sqlite|postgres] [--members 10000]
        [--actions-per-member 10] [--delivery-weeks 26] [--calls 200] [--coordinator-calls N]
        [--commands did,stats,...] [--weekly-nudge] [--retention] [--explain 5] [--keep] [--cache-dir DIR]

Per command it prints: p50/p95/p99 of the process CPU time of one call (`time.process_time()`: every thread
of this process, aiosqlite's included, plus the chart worker process's CPU while the call drew a chart, from
/proc, in clock ticks of 10 ms; PostgreSQL's server processes are not counted) and of its wall time,
the SQL statements per call (a `before_cursor_execute` listener on the engine), the longest event-loop stall
while the command ran (a heartbeat task that wakes every 5 ms; the largest gap beyond that), and errors. The
issue's targets are printed beside the figures. Then the slowest statements (by the driver's wall time)
with their `EXPLAIN QUERY PLAN` (SQLite) or `EXPLAIN` (PostgreSQL).

--weekly-nudge: the scenario of the weekly coaching nudge: the clock moves to the moment the workspace's
weekly nudge falls due (the next Monday 09:00; what else falls due before it is marked done) and the
Dispatcher fans it out (its planner for `coaching_settings.WEEKLY_KIND`, as the scheduler would run it;
nothing is sent), while four members call /did one after another; it prints how long the fan-out took, the
/did wall latencies meanwhile, the longest stall, and the errors ("database is locked" among them).

--retention: last, the deliveries older than the retention age (with --delivery-weeks over 26, some are) are
pruned as the daily run prunes them, a batch a transaction; it prints how many, and how long a transaction
held the write lock (p50, max).

On SQLite the seeded file is cached per size and schema revision in --cache-dir (a temporary folder, kept with
--keep) and copied for each run, so a second run at the same size skips the seeding. --db postgres starts a
throwaway cluster (tests/postgres.py) and seeds it each time (then ANALYZE, as autovacuum would). It asserts
nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import random
import re
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from alembic.script import ScriptDirectory
from sqlalchemy import insert, select, text, update

from bot import db, reminders
from bot.app import App
from bot.clock import FrozenClock
from bot.config import load_settings
from bot.delivery import FAILED, SENT, UNREACHABLE, nonce_for
from bot.models import (
    Action,
    ActivityMember,
    Ask,
    CoachingMember,
    CoachingProgress,
    CoachingStep,
    Delivery,
    Follow,
    Issue,
    Member,
    Pledge,
    Politician,
    Reminder,
    Stance,
    Story,
    StoryApplause,
    Workspace,
)
from bot.replies import Reply, reply_to_json
from bot.replies import text as catalog_text
from bot.services import (
    activity,
    civics,
    digest,
    issues,
    ladder,
    pledges,
    profile,
    reports,
    retention,
    stances,
    streaks,
)
from bot.services.coaching_settings import WEEKLY_KIND, plan_nudges, settings_of
from bot.services.context import Identity
from tests.support.statements import Counted, Statement, counting

# The benchmark's instant: Tuesday 1 December 2026, 10:00 in Stockholm (the tests' START).
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
MUNICIPALITIES = ("karlskrona", "ronneby", "karlshamn", "solvesborg", "olofstrom")
MUNICIPALITY_NAMES = {"karlskrona": "Karlskrona", "ronneby": "Ronneby", "karlshamn": "Karlshamn",
                      "solvesborg": "Sölvesborg", "olofstrom": "Olofström"}
INDUSTRIES = ("construction", "retail", "restaurant", "it", "manufacturing", "services")
EXPERIENCE = ("none", "beginner", "intermediate", "advanced")
PARTIES = ("S", "M", "SD", "C", "V", "KD", "L", "MP")
ISSUES, COUNTDOWN_ISSUES, CLOSED_ISSUES = 50, 6, 10
POLITICIANS, STORIES = 300, 2000
CHUNK = 5000
SEED_VERSION = 2  # part of the cached file's name: change it when the seeding changes
WORKSPACE = "bench-federation"
HEARTBEAT = 0.005
# A long list of placeholders (an IN list) is shortened when a statement is printed.
PLACEHOLDER = r"(?:\?|\$\d+(?:::\w+)?|%\(\w+\)s)"
PLACEHOLDERS = re.compile(rf"({PLACEHOLDER})(?:, {PLACEHOLDER}){{5,}}")
# Issue 14's targets (CPU time of one call, p99, ms); at 50,000 members the coordinator commands may take 1 s.
MEMBER_TARGET_MS, COORDINATOR_TARGET_MS, COORDINATOR_TARGET_50K_MS = 10.0, 250.0, 1000.0
STALL_TARGET_MS, NUDGE_DID_TARGET_MS = 50.0, 100.0
COORDINATOR = Identity("discord", WORKSPACE, "coordinator", "Koordinator", "Förbundet", is_admin=True)


def member_identity(index: int) -> Identity:
    return Identity("discord", WORKSPACE, f"m{index:06d}", f"Medlem {index}", "Förbundet")


# --- seeding ------------------------------------------------------------------------------------------------


async def bulk(session: Any, model: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), CHUNK):
        await session.execute(insert(model), rows[start:start + CHUNK])


async def seed(app: App, args: argparse.Namespace) -> dict[str, int]:
    """Seed the workspace; return how many rows of each kind were made."""
    rng = random.Random(14)
    year_ago = NOW - timedelta(days=365)

    def some_time(after: datetime = year_ago) -> datetime:
        return after + timedelta(seconds=rng.uniform(0, (NOW - after).total_seconds() - 60))

    # The workspace, the coordinator and the issues, through the services (their reminders and countdowns
    # as the bot plans them), before the members: an issue's alert then has nobody to count.
    await app.run(COORDINATOR, ladder.configure_ladder)  # makes the workspace and stores the default ladder
    async with app.sessionmaker() as session, session.begin():
        workspace = await session.scalar(select(Workspace).where(Workspace.external_id == WORKSPACE))
        assert workspace is not None
        workspace.announcement_channel_id, workspace.welcome_channel_id = "100", "101"
        workspace.coordinator_channel_id, workspace.member_role_id = "102", "103"
        workspace.coordinator_role_id = "104"
        workspace_id = workspace.id
        step_ids = list(await session.scalars(select(CoachingStep.id).where(
            CoachingStep.workspace_id == workspace_id).order_by(CoachingStep.position)))
    for i in range(ISSUES):
        municipality = MUNICIPALITIES[i % len(MUNICIPALITIES)]
        days = 3 + i if i < COUNTDOWN_ISSUES else 20 + 4 * i
        decision = (NOW + timedelta(days=days)).strftime("%Y-%m-%d 18:00")
        topics = ",".join(civics.TOPICS[i % len(civics.TOPICS):i % len(civics.TOPICS) + 2])
        await app.run(COORDINATOR, issues.create, title=f"Fråga {i:02d} om {topics.split(',')[0]}",
                      summary=f"Kommunen beslutar om fråga {i}.",
                      municipality=MUNICIPALITY_NAMES[municipality],
                      body="kommunfullmaktige", decision=decision, hashtag=f"#Fraga{i:02d}",
                      position="Lyssna på företagen.", topics=topics)
    async with app.sessionmaker() as session:
        issue_rows = list(await session.scalars(select(Issue).where(Issue.workspace_id == workspace_id)
                                                .order_by(Issue.id)))
    for issue in issue_rows[-CLOSED_ISSUES:]:
        await app.run(COORDINATOR, issues.close, issue=issue.title, outcome=civics.Outcome.WON)
    open_issues = issue_rows[:-CLOSED_ISSUES]
    countdown = issue_rows[:COUNTDOWN_ISSUES]

    counts: dict[str, int] = {}
    async with app.sessionmaker() as session, session.begin():
        # Members: onboarded in the year, two in three want DMs, one in fifty has closed them.
        n = args.members
        joined = [some_time() for _ in range(n)]
        await bulk(session, Member, [{
            "workspace_id": workspace_id, "external_id": f"m{i:06d}", "display_name": f"Medlem {i}",
            "joined_at": joined[i], "consented_at": joined[i], "onboarded_at": joined[i],
            "dm_reminders": i % 3 != 0, "dm_open": i % 50 != 7, "company": f"Företag {i} AB",
            "industry": INDUSTRIES[i % len(INDUSTRIES)], "company_size": "2-9",
            "municipality": MUNICIPALITIES[i % len(MUNICIPALITIES)],
            "experience": EXPERIENCE[i % len(EXPERIENCE)], "x_handle": f"foretag{i}",
        } for i in range(n)])
        member_ids = list(await session.scalars(select(Member.id).where(
            Member.workspace_id == workspace_id, Member.external_id.like("m%")).order_by(Member.external_id)))
        counts["members"] = len(member_ids)

        # Follows: every member their municipality, one in five a topic, one in ten an open issue.
        follows = []
        for i, member_id in enumerate(member_ids):
            base = {"workspace_id": workspace_id, "member_id": member_id, "created_at": joined[i]}
            follows.append(base | {"kind": "municipality", "value": MUNICIPALITIES[i % len(MUNICIPALITIES)]})
            if i % 5 == 1:
                follows.append(base | {"kind": "topic", "value": civics.TOPICS[i % len(civics.TOPICS)]})
            if i % 10 == 2:
                follows.append(base | {"kind": "issue", "value": str(open_issues[i % len(open_issues)].id)})
        await bulk(session, Follow, follows)
        counts["follows"] = len(follows)

        # Actions: member 0 is the most active (three a day); the others 0 to 2 × the average, over the year.
        kinds = activity.KINDS
        actions = []
        for i, member_id in enumerate(member_ids):
            many = 3 * 365 if i == 0 else rng.randint(0, 2 * args.actions_per_member)
            for _ in range(many):
                at = some_time()
                actions.append({
                    "workspace_id": workspace_id, "member_id": member_id, "kind": rng.choice(kinds),
                    "status": "attempted" if rng.random() < 0.1 else "done",
                    "issue_id": rng.choice(issue_rows).id if rng.random() < 0.3 else None,
                    "link": f"https://x.com/m{i}/status/{len(actions)}" if rng.random() < 0.5 else None,
                    "source": "did", "created_at": at, "updated_at": at})
        await bulk(session, Action, actions)
        counts["actions"] = len(actions)

        # Politicians, 60 in each municipality, and their stances on the open issues of theirs (seven in ten).
        await bulk(session, Politician, [{
            "workspace_id": workspace_id, "name": f"Politiker {p}", "name_key": f"politiker {p}",
            "party": PARTIES[p % len(PARTIES)], "role": None, "municipality": MUNICIPALITIES[p % 5],
            "bodies": ["kommunfullmaktige"], "committee": None, "x_handle": f"pol{p}", "email": None,
            "checked_on": None, "created_at": year_ago, "updated_at": year_ago} for p in range(POLITICIANS)])
        by_municipality: dict[str, list[int]] = {}
        politician_rows = await session.execute(
            select(Politician.id, Politician.municipality).where(Politician.workspace_id == workspace_id))
        for politician_id, municipality in politician_rows:
            by_municipality.setdefault(municipality, []).append(politician_id)
        stance_rows = [{
            "workspace_id": workspace_id, "issue_id": issue.id, "politician_id": politician_id,
            "stance": rng.choice(("for", "against", "undecided")), "source_url": None,
            "status": civics.CONFIRMED, "reported_by_member_id": None, "decided_by_member_id": None,
            "created_at": issue.created_at, "decided_at": issue.created_at}
            for issue in open_issues for politician_id in by_municipality[issue.municipality]
            if rng.random() < 0.7]
        await bulk(session, Stance, stance_rows)
        counts["stances"] = len(stance_rows)

        # Pledges (one member in twenty of the municipality) and asks (one in ten) on the countdown issues.
        pledge_rows, ask_rows = [], []
        for issue in countdown:
            local = [m for i, m in enumerate(member_ids) if MUNICIPALITIES[i % 5] == issue.municipality]
            for member_id in rng.sample(local, len(local) // 20):
                status = rng.choice(("made", "made", "kept", "not_kept"))
                at = NOW - timedelta(hours=rng.uniform(1, 48))
                pledge_rows.append({
                    "workspace_id": workspace_id, "issue_id": issue.id, "member_id": member_id,
                    "kind": rng.choice(tuple(pledges.PLEDGE_KINDS)), "stage": "d7", "status": status,
                    "created_at": at, "followed_up_at": None, "kept_at": at if status == "kept" else None})
            for member_id in rng.sample(local, len(local) // 10):
                asked = rng.random() < 0.4
                ask_rows.append({
                    "workspace_id": workspace_id, "issue_id": issue.id, "member_id": member_id,
                    "politician_id": rng.choice(by_municipality[issue.municipality]), "round": 14,
                    "assigned_at": NOW - timedelta(days=2),
                    "asked_at": NOW - timedelta(days=1) if asked else None,
                    "asked_url": "https://x.com/a/status/1" if asked else None, "answer": None,
                    "answered_at": None})
        await bulk(session, Pledge, pledge_rows)
        await bulk(session, Ask, ask_rows)
        counts["pledges"], counts["asks"] = len(pledge_rows), len(ask_rows)

        # Stories, with 0 to 10 applause each.
        story_rows = []
        for s in range(STORIES):
            at = some_time()
            story_rows.append({
                "workspace_id": workspace_id, "member_id": rng.choice(member_ids), "title": f"Berättelse {s}",
                "kind": rng.choice(("tweet", "blog", "meeting", "media", "other")),
                "value": "Två nya kunder hörde av sig efter inlägget.", "link": None,
                "visibility": rng.choice(("group", "public")), "credit": rng.choice(("company", "name",
                                                                                      "anonymous")),
                "featured_at": at if s % 40 == 0 else None, "created_at": at, "updated_at": at})
        await bulk(session, Story, story_rows)
        story_ids = list(await session.scalars(select(Story.id).where(Story.workspace_id == workspace_id)))
        applause = [{"workspace_id": workspace_id, "story_id": story_id, "member_id": member_id,
                     "created_at": NOW - timedelta(days=1)}
                    for story_id in story_ids
                    for member_id in rng.sample(member_ids, min(len(member_ids), rng.randint(0, 10)))]
        await bulk(session, StoryApplause, applause)
        counts["stories"], counts["applause"] = len(story_rows), len(applause)

        # The coaching ladder: member i has done the first i mod (steps + 1) steps; one in twenty paused.
        progress = [{"workspace_id": workspace_id, "member_id": member_id, "step_id": step_ids[s],
                     "evidence_url": None, "done_at": some_time(joined[i])}
                    for i, member_id in enumerate(member_ids) for s in range(i % (len(step_ids) + 1))]
        await bulk(session, CoachingProgress, progress)
        counts["coaching_progress"] = len(progress)
        await bulk(session, CoachingMember, [{
            "member_id": member_id, "workspace_id": workspace_id, "paused": True, "paused_at": joined[i],
            "created_at": joined[i], "updated_at": joined[i]}
            for i, member_id in enumerate(member_ids) if i % 20 == 3])
        await bulk(session, ActivityMember, [{
            "member_id": member_id, "workspace_id": workspace_id, "leaderboard": i % 10 < 3,
            "created_at": joined[i], "updated_at": joined[i]}
            for i, member_id in enumerate(member_ids) if i % 10 < 5])

        # Past weekly nudges, each fanned out to the members who want DMs: mostly sent, a few not.
        nudge = reply_to_json(Reply(body=catalog_text("coaching.nudge.body")))
        wanting = [m for i, m in enumerate(member_ids) if i % 3 != 0]
        deliveries = 0
        for week in range(1, args.delivery_weeks + 1):
            due = NOW - timedelta(weeks=week)
            reminder_id = (await session.execute(insert(Reminder).values(
                workspace_id=workspace_id, kind=WEEKLY_KIND, key=f"{WEEKLY_KIND}:bench-past:{week}",
                due_at=due, grace_seconds=None, payload={}, status=reminders.FANNED_OUT,
                created_at=due - timedelta(days=7), fired_at=due).returning(Reminder.id))).scalar_one()
            rows = []
            for member_id in wanting:
                roll = rng.random()
                status = FAILED if roll < 0.01 else UNREACHABLE if roll < 0.03 else SENT
                key = f"{reminder_id}:member:{member_id}"
                rows.append({"workspace_id": workspace_id, "reminder_id": reminder_id, "member_id": member_id,
                             "channel": "announcements", "key": key, "nonce": nonce_for(key),
                             "message": nudge, "status": status, "not_before": due, "attempts": 1,
                             "last_error": "403 Forbidden" if status == FAILED else None, "created_at": due,
                             "sent_at": due + timedelta(seconds=30) if status == SENT else None})
            await bulk(session, Delivery, rows)
            deliveries += len(rows)
        counts["deliveries"] = deliveries

        # What was due while seeding (the issues' alerts, countdown stages) went out long ago.
        await session.execute(update(Reminder).where(Reminder.status == reminders.PENDING,
                                                     Reminder.due_at <= NOW, Reminder.kind != WEEKLY_KIND)
                              .values(status=reminders.FANNED_OUT, fired_at=NOW))
        await plan_nudges(session, workspace, await settings_of(session, workspace_id), NOW)
        # The counts the bot keeps where activity is written (each member's run of active weeks, the
        # leaderboard's points): bulk inserts pass them by, so they are counted once from history, as the
        # migration that began keeping them did.
        await streaks.recount(session, workspace)
        await activity.rescore(session, workspace)
    if app.engine.dialect.name == "postgresql":
        async with app.engine.connect() as connection:  # the statistics autovacuum would have gathered
            await connection.execute(text("ANALYZE"))
            await connection.commit()
    return counts


# --- measuring ----------------------------------------------------------------------------------------------


class Heartbeat:
    """A task that wakes every HEARTBEAT seconds and keeps the largest gap beyond that since `reset`."""

    def __init__(self) -> None:
        self.worst = 0.0
        self._task: asyncio.Task[None] | None = None

    async def _beat(self) -> None:
        last = time.perf_counter()
        while True:
            await asyncio.sleep(HEARTBEAT)
            now = time.perf_counter()
            self.worst = max(self.worst, now - last - HEARTBEAT)
            last = now

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._beat())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass

    def reset(self) -> None:
        self.worst = 0.0


@dataclass
class Case:
    """One command as measured: who calls it with what."""

    name: str
    coordinator: bool
    call: Callable[[int], Awaitable[Reply]]


@dataclass
class Figures:
    name: str
    coordinator: bool
    cpu: list[float] = field(default_factory=list)
    wall: list[float] = field(default_factory=list)
    statements: list[int] = field(default_factory=list)
    stall: float = 0.0
    errors: list[str] = field(default_factory=list)
    slowest: list[tuple[float, Statement]] = field(default_factory=list)


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)] if ordered else math.nan


def cases(app: App, found: dict[str, Any], args: argparse.Namespace) -> list[Case]:
    """The commands, each as the adapters run it (bot/commands.py names the services)."""
    members: list[int] = found["average_members"]
    issue_title: str = found["countdown_title"]
    issue_id: int = found["countdown_id"]
    run = app.run

    def avg(n: int) -> Identity:
        return member_identity(members[n % len(members)])

    def fresh(n: int) -> Identity:  # a different member for each call that adds a row (/did, pledges)
        return member_identity(members[(n * 7919) % len(members)] if n < len(members) else n % args.members)

    return [
        Case("issue list", False, lambda n: run(avg(n), issues.list_issues)),
        Case("issue show (member)", False, lambda n: run(avg(n), issues.show, issue=issue_title)),
        Case("stats", False, lambda n: run(avg(n), activity.stats)),
        Case("stats (most active)", False, lambda n: run(member_identity(0), activity.stats)),
        Case("did", False, lambda n: run(fresh(n), activity.did, kind=activity.ActivityKind.TWEET,
                                         link=f"https://x.com/bench/status/{n}")),
        Case("coach next", False, lambda n: run(avg(n), ladder.next_step, app.coach)),
        Case("leaderboard week", False, lambda n: run(avg(n), activity.leaderboard,
                                                      period=activity.Period.WEEK)),
        Case("leaderboard month", False, lambda n: run(avg(n), activity.leaderboard,
                                                       period=activity.Period.MONTH)),
        Case("pledge make", False, lambda n: run(fresh(n), pledges.pledge, issue=issue_title,
                                                 kind=pledges.PledgeKind.TWEET)),
        Case("pledge button", False, lambda n: run(fresh(n + 1), pledges.pledge_pressed,
                                                   f"{issue_id}-{pledges.PledgeKind.CONTACT.value}")),
        Case("pledge list", False, lambda n: run(avg(n), pledges.pledge)),
        Case("issue show (coordinator)", True, lambda n: run(COORDINATOR, issues.show, issue=issue_title)),
        Case("members", True, lambda n: run(COORDINATOR, profile.list_members)),
        Case("members (page 100)", True, lambda n: run(COORDINATOR, profile.list_members, page=100)),
        Case("digest now", True, lambda n: run(COORDINATOR, digest.digest_now)),
        Case("report (a month)", True, lambda n: run(COORDINATOR, reports.report, start="2026-11-01",
                                                     end="2026-11-30")),
        Case("issue map (PNG)", True, lambda n: run(COORDINATOR, stances.show_map, issue=issue_title)),
        Case("coach overview (PNG)", True, lambda n: run(COORDINATOR, ladder.overview)),
    ]


async def find(app: App) -> dict[str, Any]:
    """Pick the members and the issue the calls use: members with about the average number of actions."""
    async with app.sessionmaker() as session:
        workspace_id = await session.scalar(select(Workspace.id).where(Workspace.external_id == WORKSPACE))
        issue = (await session.execute(select(Issue.id, Issue.title).where(Issue.workspace_id == workspace_id)
                                       .order_by(Issue.decision_at).limit(1))).one()
        from sqlalchemy import func

        per_member = (await session.execute(
            select(Member.external_id, func.count(Action.id)).join(Action, Action.member_id == Member.id)
            .where(Member.workspace_id == workspace_id).group_by(Member.external_id))).all()
    average = sum(count for _, count in per_member) / max(1, len(per_member))
    typical = sorted(int(external[1:]) for external, count in per_member
                     if abs(count - average) <= 1 and external != "m000000")
    return {"average_members": typical[:500] or [1], "countdown_id": issue.id, "countdown_title": issue.title,
            "average_actions": average}


def worker_cpu(app: App) -> float:
    """The CPU seconds (user + system) of the chart worker's processes so far, from /proc: a chart drawn
    there is part of its command's cost, though not of the bot process's."""
    pool = app.charts._pool  # the bench looks inside
    total = 0
    for pid in list(getattr(pool, "_processes", None) or {}):
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / os.sysconf("SC_CLK_TCK")


async def measure(app: App, case: Case, calls: int, heartbeat: Heartbeat, counted: Counted,
                  warmup: int) -> Figures:
    figures = Figures(case.name, case.coordinator)
    for n in range(-warmup, calls):
        counted.reset()
        if n == 0:
            heartbeat.reset()
        cpu0, wall0, worker0 = time.process_time(), time.perf_counter(), worker_cpu(app)
        try:
            async with app.answering(then_carry_out=False):  # the effects are not sent: only the answer
                await case.call(n + warmup)
        except Exception as error:  # noqa: BLE001 - reported with the figures
            figures.errors.append(f"{type(error).__name__}: {error}"[:200])
        cpu = time.process_time() - cpu0 + worker_cpu(app) - worker0
        wall = time.perf_counter() - wall0
        if n < 0:
            continue
        figures.cpu.append(cpu)
        figures.wall.append(wall)
        figures.statements.append(counted.count)
        for statement in counted.statements:
            if not statement.executemany:
                figures.slowest.append((statement.seconds, statement))
        figures.slowest = sorted(figures.slowest, key=lambda item: -item[0])[:3]
    figures.stall = heartbeat.worst
    return figures


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f}"


def report(all_figures: list[Figures], members: int) -> None:
    print()
    print(f"{'command':<26} {'calls':>5}  {'CPU p50':>8} {'p95':>8} {'p99':>8}  {'wall p50':>8} {'p99':>8}  "
          f"{'stmts':>9}  {'stall':>7}  target (CPU p99)")
    for f in all_figures:
        target = (COORDINATOR_TARGET_50K_MS if members >= 50000 else COORDINATOR_TARGET_MS) \
            if f.coordinator else MEMBER_TARGET_MS
        p99 = percentile(f.cpu, 0.99) * 1000
        verdict = "met" if p99 <= target else "MISSED"
        stall = "" if f.stall * 1000 <= STALL_TARGET_MS else " MISSED"
        low, high = min(f.statements, default=0), max(f.statements, default=0)
        statements = f"{low}" if low == high else f"{low}-{high}"
        print(f"{f.name:<26} {len(f.cpu):>5}  {ms(percentile(f.cpu, .5))} {ms(percentile(f.cpu, .95))} "
              f"{ms(percentile(f.cpu, .99))}  {ms(percentile(f.wall, .5))} {ms(percentile(f.wall, .99))}  "
              f"{statements:>9}  {ms(f.stall)[2:]}  ≤ {target:.0f} ms: {verdict}; stall ≤ "
              f"{STALL_TARGET_MS:.0f} ms{stall}")
        for error in dict.fromkeys(f.errors):
            print(f"    {f.errors.count(error)} × {error}")
    print("(ms; CPU: time.process_time() of the process for one call, plus the chart worker's CPU for a "
          "chart; stall: the longest event-loop gap while the command ran)")


async def explain(app: App, all_figures: list[Figures], top: int) -> None:
    slowest = sorted(((seconds, statement, f.name) for f in all_figures for seconds, statement in f.slowest),
                     key=lambda item: -item[0])
    seen: set[str] = set()
    shown = 0
    postgres = app.engine.dialect.name == "postgresql"
    for seconds, statement, name in slowest:
        if shown >= top or statement.sql in seen:
            continue
        seen.add(statement.sql)
        shown += 1
        print(f"\n--- slowest statement {shown}: {seconds * 1000:.1f} ms (driver wall time), in {name}")
        print(PLACEHOLDERS.sub(lambda m: f"{m.group(1)}, … ({m.group(0).count(',') + 1} in all)",
                               " ".join(statement.sql.split()))[:1500])
        prefix = "EXPLAIN " if postgres else "EXPLAIN QUERY PLAN "
        try:
            async with app.engine.connect() as connection:
                rows = (await connection.exec_driver_sql(prefix + statement.sql, statement.parameters)).all()
            for row in rows:
                line = str(row[0] if postgres else row[-1])
                print("   ", line if len(line) <= 240 else line[:240] + " …")
        except Exception as error:  # noqa: BLE001 - a plan that cannot be shown is said so
            print(f"    (no plan: {type(error).__name__}: {str(error)[:200]})")


async def prune_all(app: App) -> None:
    """Prune the deliveries older than the retention age as the daily run does, a batch a transaction, and say
    how long each transaction held the write lock (wall time)."""
    async with app.sessionmaker() as session:
        workspace_id = await session.scalar(select(Workspace.id))
    assert workspace_id is not None
    before = NOW - retention.DEFAULT_AGE
    walls: list[float] = []
    pruned = 0
    while True:
        started = time.perf_counter()
        async with app.sessionmaker() as session, session.begin():
            count = await retention.prune_batch(session, workspace_id, before)
        walls.append(time.perf_counter() - started)
        pruned += count
        if count < retention.BATCH:
            break
    print(f"\nretention: {pruned:,} deliveries older than {retention.DEFAULT_AGE.days} days pruned in "
          f"{len(walls)} transactions of at most {retention.BATCH:,}; a transaction (the write lock held): "
          f"p50 {percentile(walls, .5) * 1000:.1f} ms, max {max(walls) * 1000:.1f} ms")


async def weekly_nudge(app: App, clock: FrozenClock, found: dict[str, Any], heartbeat: Heartbeat) -> None:
    """Fan the weekly nudge out while members log actions; print the /did latencies meanwhile."""
    async with app.sessionmaker() as session, session.begin():
        due = await session.scalar(select(Reminder.due_at).where(Reminder.kind == WEEKLY_KIND,
                                                                 Reminder.status == reminders.PENDING))
        if due is None:
            print("\nweekly nudge: none is planned")
            return
        # What else falls due before it (countdown stages, rounds of questions) is taken as done.
        await session.execute(update(Reminder).where(Reminder.status == reminders.PENDING,
                                                     Reminder.due_at <= due, Reminder.kind != WEEKLY_KIND)
                              .values(status=reminders.FANNED_OUT, fired_at=due))
    clock.set(due)
    app.dispatcher.notifier = None  # plan the deliveries; send none
    members: list[int] = found["average_members"]
    done = asyncio.Event()
    latencies: list[float] = []
    errors: list[str] = []

    async def member(worker: int) -> None:
        n = 0
        while not done.is_set() or n < 5:
            who = member_identity(members[(worker * 97 + n) % len(members)])
            started = time.perf_counter()
            try:
                async with app.answering(then_carry_out=False):
                    await app.run(who, activity.did, kind=activity.ActivityKind.BLOG,
                                  link=f"https://blog.example/{worker}/{n}")
            except Exception as error:  # noqa: BLE001 - reported
                errors.append(f"{type(error).__name__}: {str(error)[:150]}")
            latencies.append(time.perf_counter() - started)
            n += 1

    heartbeat.reset()
    workers = [asyncio.create_task(member(w)) for w in range(4)]
    await asyncio.sleep(0.05)
    started = time.perf_counter()
    cpu0 = time.process_time()
    fanned = await app.dispatcher.run_due()
    took, cpu = time.perf_counter() - started, time.process_time() - cpu0
    done.set()
    await asyncio.gather(*workers)
    async with app.sessionmaker() as session:
        from sqlalchemy import func

        planned = await session.scalar(select(func.count()).select_from(Delivery).join(
            Reminder, Reminder.id == Delivery.reminder_id).where(Reminder.kind == WEEKLY_KIND,
                                                                 Reminder.fired_at == clock.now()))
    print(f"\nweekly nudge: {fanned.fanned_out} reminder(s) fanned out into {planned:,} deliveries in "
          f"{took:.2f} s wall, {cpu:.2f} s CPU (the process, the /did calls included)")
    print(f"  /did meanwhile (4 members, one after another): {len(latencies)} calls, wall p50 "
          f"{percentile(latencies, .5) * 1000:.0f} ms, p95 {percentile(latencies, .95) * 1000:.0f} ms, p99 "
          f"{percentile(latencies, .99) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms "
          f"(target ≤ {NUDGE_DID_TARGET_MS:.0f} ms)")
    locked = sum("database is locked" in error for error in errors)
    print(f"  errors: {len(errors)} ('database is locked': {locked}); longest stall "
          f"{heartbeat.worst * 1000:.0f} ms (target ≤ {STALL_TARGET_MS:.0f} ms)")
    for error in dict.fromkeys(errors):
        print(f"    {errors.count(error)} × {error}")


# --- the run ------------------------------------------------------------------------------------------------


def make_app(url: str, workdir: Path) -> tuple[App, FrozenClock]:
    settings = load_settings(_env_file=None, database_url=url, data_dir=workdir / "data",
                             output_dir=workdir / "out", quiet_hours_start=0, quiet_hours_end=0)
    clock = FrozenClock(NOW)
    return App(settings, clock), clock


async def run(args: argparse.Namespace, url: str, workdir: Path, seeded: bool) -> None:
    if not seeded:
        await seed_only(args, url, workdir)
    app, clock = make_app(url, workdir)
    heartbeat = Heartbeat()
    try:
        async with app.sessionmaker() as session, session.begin():  # as the bot's start does
            await db.gather_statistics(session)
        found = await find(app)
        print(f"calls by members with about the average {found['average_actions']:.1f} actions "
              f"({len(found['average_members'])} of them), the most active member (m000000), the "
              f"coordinator; the issue: {found['countdown_title']!r}")
        wanted = {w.strip() for w in args.commands.split(",")} if args.commands else None
        heartbeat.start()
        all_figures = []
        with counting(app.engine) as counted:
            for case in cases(app, found, args):
                if wanted is not None and not any(w and case.name.startswith(w) for w in wanted):
                    continue
                calls = args.coordinator_calls if case.coordinator else args.calls
                figures = await measure(app, case, calls, heartbeat, counted, args.warmup)
                print(f"  {case.name}: CPU p50 {percentile(figures.cpu, .5) * 1000:.1f} ms, p99 "
                      f"{percentile(figures.cpu, .99) * 1000:.1f} ms", flush=True)
                all_figures.append(figures)
        if all_figures:
            report(all_figures, args.members)
            await explain(app, all_figures, args.explain)
        if args.weekly_nudge:
            await weekly_nudge(app, clock, found, heartbeat)
        if args.retention:
            await prune_all(app)
    finally:
        await heartbeat.stop()
        await app.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--members", type=int, default=10000, help="onboarded members (default 10000)")
    parser.add_argument("--actions-per-member", type=int, default=10, help="logged actions, average (10)")
    parser.add_argument("--delivery-weeks", type=int, default=26,
                        help="past weekly nudges, a delivery per member who wants DMs each (26)")
    parser.add_argument("--calls", type=int, default=200, help="calls per member command (200)")
    parser.add_argument("--coordinator-calls", type=int, default=None,
                        help="calls per coordinator command (default: --calls)")
    parser.add_argument("--warmup", type=int, default=2, help="calls first, not counted (2)")
    parser.add_argument("--commands", default="",
                        help="a comma-separated subset, by the start of the names printed (e.g. 'did,stats')")
    parser.add_argument("--weekly-nudge", action="store_true",
                        help="also: the weekly nudge's fan-out while members call /did")
    parser.add_argument("--explain", type=int, default=5,
                        help="how many of the slowest statements to explain (5)")
    parser.add_argument("--retention", action="store_true",
                        help="last, prune what the retention lets go, a batch a transaction, timing each")
    parser.add_argument("--keep", action="store_true", help="keep the cached SQLite database(s)")
    parser.add_argument("--cache-dir", type=Path, default=Path(tempfile.gettempdir()) / "jobbskaparna-bench",
                        help="where seeded SQLite files are cached (default: $TMPDIR/jobbskaparna-bench)")
    args = parser.parse_args(argv)
    if args.coordinator_calls is None:
        args.coordinator_calls = args.calls
    print(f"service_latency: {args.members:,} members, ~{args.actions_per_member} actions each, {args.db}, "
          f"{args.calls} calls a member command, {args.coordinator_calls} a coordinator command; "
          f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    with tempfile.TemporaryDirectory(prefix="service-latency-") as tmp:
        workdir = Path(tmp)
        if args.db == "sqlite":
            # The schema's head revision is part of the name too: a file seeded before a migration lacks its
            # columns, and every call on it would fail.
            head = ScriptDirectory.from_config(db.alembic_config("sqlite://")).get_current_head()
            name = (f"v{SEED_VERSION}-r{head}-m{args.members}-a{args.actions_per_member}"
                    f"-d{args.delivery_weeks}.db")
            cached = args.cache_dir / name
            path = workdir / "bench.db"
            if not cached.exists() and args.keep:
                args.cache_dir.mkdir(parents=True, exist_ok=True)
                asyncio.run(seed_only(args, f"sqlite+aiosqlite:///{cached}", workdir))
            seeded = cached.exists()
            if seeded:
                shutil.copy(cached, path)
                print(f"the seeded database from {cached} (copied: the calls change it)")
            asyncio.run(run(args, f"sqlite+aiosqlite:///{path}", workdir, seeded))
            return 0
        from tests.postgres import find_bindir, start_cluster

        if find_bindir() is None:
            print("PostgreSQL is not installed here (no initdb)")
            return 1
        cluster = start_cluster()
        try:
            database = "latency_" + uuid.uuid4().hex[:12]
            cluster.psql(f"CREATE DATABASE {database}")
            asyncio.run(run(args, cluster.url(database), workdir, False))
        finally:
            cluster.stop()
    return 0


async def seed_only(args: argparse.Namespace, url: str, workdir: Path) -> None:
    """Seed a database and print how long it took."""
    await db.migrate(url)
    app, _ = make_app(url, workdir)
    try:
        started = time.perf_counter()
        counts = await seed(app, args)
        print(f"seeded in {time.perf_counter() - started:.1f} s: "
              + ", ".join(f"{value:,} {name}" for name, value in counts.items()), flush=True)
    finally:
        await app.close()


if __name__ == "__main__":
    raise SystemExit(main())
