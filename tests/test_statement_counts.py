"""The SQL statements of each common command: as many with 30 members as with 3 (no N+1), at most a bound,
and none whose parameters grow with the members (an IN list of every member's id).

Two workspaces in one database, made alike: a coordinator, Anna and Bo onboarded through the core, an issue
inside its countdown with politicians and stances, and then 1 (small) or 28 (large) more members added
directly, each with the history the large one has ten times of: actions over the last month, a follow, steps
of the coaching ladder, a pledge, a story with applause, a failed delivery in November. Each command is run
once in each workspace by the same kind of user with the same history of their own, so its statements can
differ only by what the other members add. bench/service_latency.py measures the same commands at 10,000
members.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import reminders
from bot.app import App
from bot.clock import FrozenClock
from bot.delivery import FAILED, nonce_for
from bot.models import (
    Action,
    ActivityMember,
    Base,
    CoachingProgress,
    CoachingStep,
    Delivery,
    Follow,
    Issue,
    Member,
    Pledge,
    Reminder,
    Story,
    StoryApplause,
    Workspace,
)
from bot.replies import Reply
from bot.services import (
    activity,
    digest,
    follows,
    issues,
    ladder,
    pledges,
    politicians,
    profile,
    reports,
    stances,
)
from bot.services.context import Identity
from tests.conftest import START, identity
from tests.issue_fixtures import ISSUE, POLITICIANS_CSV
from tests.support.onboarding import onboard
from tests.support.statements import Counted, counting

SMALL, LARGE = 3, 30
TITLE = "Parkering i centrum"
# Five days after the suite's start: inside the issue's countdown, so pledges can be made.
DECISION = "2026-12-06 18:00"

# The statements of one call with 30 members on SQLite, where the unit of work's BEGIN IMMEDIATE is one of
# them (PostgreSQL's BEGIN goes another way and is not counted: one fewer there): first as the code was when
# this test was written (issue 14, commit b701e81), then lowered to the counts after issue 14's first round
# and /coach next's drafts reading only the issues they name. Lower a bound with the code that lowers the
# count; never raise one without saying why in the commit.
BOUNDS = {
    "issue list": 3,
    "issue show (member)": 3,
    "stats": 7,
    # The ninth reads the member's open pledge the action keeps (issue 19: pledges kept by matching actions).
    "did": 9,
    "coach next": 12,
    "leaderboard week": 5,
    "leaderboard month": 5,
    "pledge make": 15,
    "pledge button": 17,
    "pledge list": 3,
    "follow": 5,
    "issue show (coordinator)": 7,
    "members": 4,
    "digest now": 14,
    "report (a month)": 16,
    # The seventh reads, for a coordinator, the members who shared that they know a decider (issue 19).
    "issue map": 7,
    # The sixth reads which steps the named members did, to mark the steps their experience skips (issue 16).
    "coach overview": 6,
    "issue create": 39,
}
# Commands whose statements grow with the members today (an N+1): each case fails until it is fixed.
GROWS: dict[str, str] = {}  # none at b701e81: every count was the same with 3 and with 30 members
# Commands with a statement whose parameters grow with the members today (an IN list of member ids, which
# PostgreSQL refuses past 32,767): each case fails until it is fixed.
WIDENS = {
    "report (a month)": "stories.applause_counts takes an IN list of the period's stories (it grows with "
                        "what the members shared in the period, not with the members themselves)",
    "coach overview": "streaks.weeks_in_a_row and the named members' done steps are read with an IN list of "
                      "the members the overview names: at most ladder.OVERVIEW_NAMES a step, so it stops "
                      "growing there, but below that cap (30 members here) it widens with them",
}


def people(workspace: str) -> tuple[Identity, Identity, Identity]:
    """The coordinator, Anna and Bo of a workspace."""
    return (identity("karin", coordinator=True, workspace=workspace), identity("anna", workspace=workspace),
            identity("bo", workspace=workspace))


Call = Callable[[App, str], Awaitable[Reply]]


def coordinator(workspace: str) -> Identity:
    return people(workspace)[0]


def anna(workspace: str) -> Identity:
    return people(workspace)[1]


async def issue_id(app: App, workspace: str) -> int:
    async with app.sessionmaker() as session:
        found = await session.scalar(select(Issue.id).join(Workspace, Workspace.id == Issue.workspace_id)
                                     .where(Workspace.external_id == workspace, Issue.title == TITLE))
    assert found is not None
    return found


async def pledge_button(app: App, workspace: str) -> Reply:
    return await app.press(anna(workspace), pledges.PLEDGE_ACTION,
                           f"{await issue_id(app, workspace)}-{pledges.PledgeKind.CONTACT.value}")


COMMANDS: dict[str, Call] = {
    "issue list": lambda app, ws: app.run(anna(ws), issues.list_issues),
    "issue show (member)": lambda app, ws: app.run(anna(ws), issues.show, issue=TITLE),
    "stats": lambda app, ws: app.run(anna(ws), activity.stats),
    "did": lambda app, ws: app.run(anna(ws), activity.did, kind=activity.ActivityKind.TWEET,
                                   link="https://x.com/anna/status/2"),
    "coach next": lambda app, ws: app.run(anna(ws), ladder.next_step, None),
    "leaderboard week": lambda app, ws: app.run(anna(ws), activity.leaderboard, period=activity.Period.WEEK),
    "leaderboard month": lambda app, ws: app.run(anna(ws), activity.leaderboard,
                                                 period=activity.Period.MONTH),
    "pledge make": lambda app, ws: app.run(anna(ws), pledges.pledge, issue=TITLE,
                                           kind=pledges.PledgeKind.TWEET),
    "pledge button": pledge_button,
    "pledge list": lambda app, ws: app.run(anna(ws), pledges.pledge),
    "follow": lambda app, ws: app.run(anna(ws), follows.follow, topic="upphandling"),
    "issue show (coordinator)": lambda app, ws: app.run(coordinator(ws), issues.show, issue=TITLE),
    "members": lambda app, ws: app.run(coordinator(ws), profile.list_members),
    "digest now": lambda app, ws: app.run(coordinator(ws), digest.digest_now),
    "report (a month)": lambda app, ws: app.run(coordinator(ws), reports.report, start="2026-11-01",
                                                end="2026-11-30"),
    "issue map": lambda app, ws: app.run(coordinator(ws), stances.show_map, issue=TITLE),
    "coach overview": lambda app, ws: app.run(coordinator(ws), ladder.overview),
    "issue create": lambda app, ws: app.run(coordinator(ws), issues.create, **(ISSUE | {
        "title": "Nya cykelbanor", "decision": "2027-02-10 18:00", "topics": "infrastruktur"})),
}


async def add(session: AsyncSession, model: type[Base], rows: list[dict[str, Any]]) -> None:
    if rows:
        await session.execute(insert(model), rows)


async def workspace_of(app: App, name: str, members: int) -> None:
    """Make a workspace as the module's docstring says, with `members` members in all."""
    karin, anna_, bo = people(name)
    await onboard(app, anna_)
    await onboard(app, bo)
    await app.run(karin, issues.create, **(ISSUE | {"decision": DECISION, "topics": "parkering"}))
    await app.run(karin, politicians.import_csv, POLITICIANS_CSV.encode("utf-8"), "politiker.csv")
    for politician, stance in (("Åsa Ek", "for"), ("Björn Öst", "against")):
        await app.run(karin, stances.set_stance, issue=TITLE, politician=politician, stance=stance)
    await app.run(anna_, activity.did, kind=activity.ActivityKind.BLOG, link="https://anna.example/1")
    await app.run(anna_, ladder.done, step=None)
    now = START
    async with app.sessionmaker() as session, session.begin():
        workspace = await session.scalar(select(Workspace).where(Workspace.external_id == name))
        assert workspace is not None
        ws = workspace.id
        issue = await session.scalar(select(Issue).where(Issue.workspace_id == ws, Issue.title == TITLE))
        assert issue is not None
        steps = list(await session.scalars(select(CoachingStep.id).where(CoachingStep.workspace_id == ws)
                                           .order_by(CoachingStep.position)))
        others = members - 2
        await add(session, Member, [{
            "workspace_id": ws, "external_id": f"other{i}", "display_name": f"Medlem {i}", "joined_at": now,
            "consented_at": now, "onboarded_at": now - timedelta(days=40), "dm_reminders": True,
            "dm_open": i % 2 == 0, "company": f"Företag {i}", "industry": "retail", "company_size": "2-9",
            "municipality": "karlskrona", "experience": "none", "x_handle": f"other{i}"}
            for i in range(others)])
        ids = list(await session.scalars(select(Member.id).where(Member.workspace_id == ws,
                                                                 Member.external_id.like("other%"))))
        await add(session, Follow, [{
            "workspace_id": ws, "member_id": m, "kind": "municipality", "value": "karlskrona",
            "created_at": now} for m in ids])
        await add(session, Action, [{
            "workspace_id": ws, "member_id": m, "kind": "tweet", "status": "done", "issue_id": issue.id,
            "link": None, "source": "did", "created_at": now - timedelta(days=d * 3 + 1),
            "updated_at": now - timedelta(days=d * 3 + 1)} for m in ids for d in range(10)])
        await add(session, ActivityMember, [{
            "member_id": m, "workspace_id": ws, "leaderboard": True, "created_at": now, "updated_at": now}
            for m in ids])
        await add(session, CoachingProgress, [{
            "workspace_id": ws, "member_id": m, "step_id": steps[s], "evidence_url": None,
            "done_at": now - timedelta(days=s + 1)} for n, m in enumerate(ids) for s in range(n % 4)])
        await add(session, Pledge, [{
            "workspace_id": ws, "issue_id": issue.id, "member_id": m, "kind": "attend", "stage": "d7",
            "status": "made", "created_at": now - timedelta(hours=1), "followed_up_at": None, "kept_at": None}
            for m in ids])
        await add(session, Story, [{
            "workspace_id": ws, "member_id": m, "title": f"Berättelse {m}", "kind": "tweet",
            "value": "En ny kund.", "link": None, "visibility": "group", "credit": "company",
            "featured_at": None, "created_at": now - timedelta(days=5), "updated_at": now - timedelta(days=5)}
            for m in ids])
        story_ids = list(await session.scalars(select(Story.id).where(Story.workspace_id == ws)))
        await add(session, StoryApplause, [{
            "workspace_id": ws, "story_id": s, "member_id": m, "created_at": now}
            for s in story_ids for m in ids[:3]])
        november = now - timedelta(days=20)
        reminder = (await session.execute(insert(Reminder).values(
            workspace_id=ws, kind="coaching.weekly", key=f"coaching.weekly:{ws}:past", due_at=november,
            grace_seconds=None, payload={}, status=reminders.FANNED_OUT, created_at=november,
            fired_at=november).returning(Reminder.id))).scalar_one()
        await add(session, Delivery, [{
            "workspace_id": ws, "reminder_id": reminder, "member_id": m, "channel": "announcements",
            "key": f"{reminder}:member:{m}", "nonce": nonce_for(f"{reminder}:member:{m}"), "message": {},
            "status": FAILED, "not_before": november, "attempts": 5, "last_error": "403 Forbidden",
            "created_at": november, "sent_at": None} for m in ids])


async def statements_of(app: App, command: str, workspace: str) -> Counted:
    """Run one command (its effects held, not sent) and record its statements."""
    with counting(app.engine) as counted:
        async with app.answering(then_carry_out=False):
            await COMMANDS[command](app, workspace)
    return counted


async def small_and_large(app: App, clock: FrozenClock, command: str) -> tuple[Counted, Counted]:
    await workspace_of(app, "guild-small", SMALL)
    await workspace_of(app, "guild-large", LARGE)
    clock.advance(timedelta(minutes=5))
    return await statements_of(app, command, "guild-small"), await statements_of(app, command, "guild-large")


def cases(known: dict[str, str]) -> list[object]:
    return [pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=known[name]))
            if name in known else name for name in COMMANDS]


@pytest.mark.parametrize("command", cases(GROWS))
async def test_a_commands_statements_do_not_grow_with_the_members(app: App, clock: FrozenClock,
                                                                  command: str) -> None:
    counted_small, counted_large = await small_and_large(app, clock, command)
    small, large, large_sql = counted_small.count, counted_large.count, str(counted_large)

    assert large == small, f"{command}: {small} statements with {SMALL} members, {large} with {LARGE}:\n" \
                           f"{large_sql}"
    assert large <= BOUNDS[command], f"{command}: {large} statements (at most {BOUNDS[command]}):\n" \
                                     f"{large_sql}"


async def test_the_counter_counts_the_statements_inside_its_block_only(app: App) -> None:
    await app.run(anna("guild-1"), issues.list_issues)  # the workspace and the member exist: 3 statements
    with counting(app.engine) as counted:
        await app.run(anna("guild-1"), issues.list_issues)
    await app.run(anna("guild-1"), issues.list_issues)

    # On SQLite the unit of work's BEGIN IMMEDIATE (bot/db.py sends it itself) is one of them.
    kinds = [statement.sql.split()[0].upper() for statement in counted.statements]
    assert [kind for kind in kinds if kind != "BEGIN"] == ["SELECT", "SELECT"]
    assert counted.count <= BOUNDS["issue list"]


@pytest.mark.parametrize("command", cases(WIDENS))
async def test_no_statement_of_a_command_takes_more_parameters_with_more_members(
        app: App, clock: FrozenClock, command: str) -> None:
    small, large = await small_and_large(app, clock, command)

    assert large.widest == small.widest, (
        f"{command}: at most {small.widest} parameters a statement with {SMALL} members, {large.widest} with "
        f"{LARGE}:\n{large}")


async def test_coach_next_takes_as_many_statements_with_three_open_issues_as_with_one(
        app: App, clock: FrozenClock) -> None:
    await workspace_of(app, "guild-1", SMALL)
    clock.advance(timedelta(minutes=5))
    one = await statements_of(app, "coach next", "guild-1")
    for title, decision in (("Nya cykelbanor", "2027-02-10 18:00"),
                            ("Torghandelns avgifter", "2027-03-10 18:00")):
        await app.run(coordinator("guild-1"), issues.create,
                      **(ISSUE | {"title": title, "decision": decision}))
    three = await statements_of(app, "coach next", "guild-1")

    assert three.count == one.count, (
        f"{one.count} statements with one open issue, {three.count} with three:\n{three}")
