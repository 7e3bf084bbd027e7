"""Streaks: how many ISO weeks in a row a member did something, counted from every feature's activity.

A member's latest run of active weeks (its first and last week, `ActivityStreak`) is kept where activity is
written, so that no streak is counted from the whole history: a feature that records activity tells
`added()`, one that deletes some tells `removed()` (the member's run is then counted again from their own
history, which every feature offers as an activity source), and a changed time zone counts the workspace's
runs again (`recount()`). An erased member's run goes with the member's row.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import contributions
from bot.models import ActivityStreak, Workspace
from bot.replies import Text, text

# Where a session keeps the runs it wrote (the session's identity map forgets an unchanged row no one holds).
HELD = "streaks.runs"
# Past this many members the runs are read for the whole workspace and picked in Python: an IN list that grows
# with the members would meet PostgreSQL's limit on the arguments of one statement (32,767 with asyncpg).
MAX_LISTED = 500


def week_number(day: date) -> int:
    """Number the ISO week of a day so that weeks in a row have numbers in a row (0 = the week of
    0001-01-01, a Monday)."""
    return (day.toordinal() - 1) // 7


def week_of(at: datetime, zone: str) -> int:
    """Return the number of the ISO week (in the zone) that a moment falls in."""
    return week_number(at.astimezone(ZoneInfo(zone)).date())


def latest_run(weeks: Iterable[int]) -> tuple[int, int] | None:
    """Return the first and the last week of the latest run of weeks in a row (None without any week)."""
    ordered = sorted(set(weeks), reverse=True)
    if not ordered:
        return None
    first = ordered[0]
    for week in ordered[1:]:
        if week != first - 1:
            break
        first = week
    return first, ordered[0]


def streak_at(first: int, last: int, current: int) -> int:
    """How many weeks in a row a run makes in the current week: the current week keeps it alive, and a whole
    week gone by empty ends it (a run that ends after the current week is not asked about here)."""
    return last - first + 1 if current - 1 <= last <= current else 0


async def _history(session: AsyncSession, workspace: Workspace, member_ids: Sequence[int] | None
                   ) -> dict[int, set[int]]:
    """Every feature's activity of the members (of the whole workspace for None), as weeks per member."""
    weeks: dict[int, set[int]] = defaultdict(set)
    tz = ZoneInfo(workspace.timezone)
    for source in contributions.of(session).activity_sources:
        for member_id, at in await source(session, workspace.id, member_ids):
            weeks[member_id].add(week_number(at.astimezone(tz).date()))
    return weeks


async def _run(session: AsyncSession, member_id: int) -> ActivityStreak | None:
    """The member's run, as this session wrote it or as it is stored; the session holds on to it."""
    held: dict[int, ActivityStreak] = session.info.setdefault(HELD, {})
    if member_id not in held:
        run = await session.get(ActivityStreak, member_id)
        if run is None:
            return None
        held[member_id] = run
    return held[member_id]


async def added(session: AsyncSession, workspace: Workspace, member_id: int, at: datetime) -> None:
    """Count activity a feature just recorded for a member (at `at`) in their run of active weeks."""
    week = week_of(at, workspace.timezone)
    run = await _run(session, member_id)
    if run is None:
        run = ActivityStreak(member_id=member_id, workspace_id=workspace.id, first_week=week, last_week=week)
        session.add(run)
        session.info.setdefault(HELD, {})[member_id] = run
    elif week == run.last_week + 1:
        run.last_week = week
    elif week > run.last_week + 1:
        run.first_week = run.last_week = week
    elif week == run.first_week - 1:
        # Activity dated just before the run may join it to an earlier one: count the member's run again.
        await removed(session, workspace, member_id)
    # A week inside the run, or long before it, leaves the latest run as it is.


async def removed(session: AsyncSession, workspace: Workspace, member_id: int) -> None:
    """Count a member's run again from their history, after a feature deleted some of their activity."""
    await session.flush()
    run = latest_run((await _history(session, workspace, [member_id])).get(member_id, ()))
    row = await _run(session, member_id)
    held = session.info.setdefault(HELD, {})
    if run is None:
        if row is not None:
            await session.delete(row)
        held.pop(member_id, None)
    elif row is None:
        held[member_id] = ActivityStreak(member_id=member_id, workspace_id=workspace.id, first_week=run[0],
                                         last_week=run[1])
        session.add(held[member_id])
    else:
        row.first_week, row.last_week = run


async def recount(session: AsyncSession, workspace: Workspace) -> None:
    """Count every member's run of the workspace again from history (after its time zone changed)."""
    await session.flush()
    session.info.pop(HELD, None)
    weeks = await _history(session, workspace, None)
    # An ORM delete: the rows the session holds are marked deleted, so the new rows below replace them.
    await session.execute(delete(ActivityStreak).where(ActivityStreak.workspace_id == workspace.id))
    rows = [{"member_id": member_id, "workspace_id": workspace.id, "first_week": run[0], "last_week": run[1]}
            for member_id, member_weeks in weeks.items() if (run := latest_run(member_weeks)) is not None]
    for start in range(0, len(rows), 1000):
        await session.execute(insert(ActivityStreak), rows[start:start + 1000])


async def of_member(session: AsyncSession, workspace: Workspace, member_id: int, now: datetime) -> int:
    """Count one member's weeks in a row (as weeks_in_a_row), from their run (which the session may hold)."""
    run = await _run(session, member_id)
    if run is None:
        return 0
    current = week_of(now, workspace.timezone)
    if run.last_week <= current:
        return streak_at(run.first_week, run.last_week, current)
    return (await weeks_in_a_row(session, workspace, [member_id], now))[member_id]


async def weeks_in_a_row(session: AsyncSession, workspace: Workspace, member_ids: Sequence[int] | None,
                         now: datetime) -> dict[int, int]:
    """Count, per member, the ISO weeks in a row (in the workspace's zone) with at least one activity.

    The current week keeps the streak alive while it lasts: a streak ends only when a whole week went by
    empty. None asks for every member of the workspace (in one query, with no list of ids); the answer then
    holds the members with a streak, and any other id counts 0.
    """
    current = week_of(now, workspace.timezone)
    query = select(ActivityStreak.member_id, ActivityStreak.first_week, ActivityStreak.last_week)
    if member_ids is None or len(member_ids) > MAX_LISTED:
        # Only the runs that reach last week or later: those that ended before count 0.
        query = query.where(ActivityStreak.workspace_id == workspace.id,
                            ActivityStreak.last_week >= current - 1)
    elif not member_ids:
        return {}
    else:
        query = query.where(ActivityStreak.member_id.in_(member_ids))
    result: dict[int, int] = defaultdict(int) if member_ids is None else dict.fromkeys(member_ids, 0)
    asked = None if member_ids is None else set(member_ids)
    later: list[int] = []
    for member_id, first, last in await session.execute(query):
        if asked is not None and member_id not in asked:
            continue
        if last > current:
            later.append(member_id)  # asked about a time before their latest activity: count from history
        else:
            result[member_id] = streak_at(first, last, current)
    if later:
        history = await _history(session, workspace, later)
        for member_id in later:
            run = latest_run(week for week in history.get(member_id, ()) if week <= current)
            result[member_id] = streak_at(*run, current) if run is not None else 0
    return result


def streak_text(weeks: int) -> Text:
    """Say how many weeks in a row the member has been active."""
    if weeks == 0:
        return text("coaching.streak.none")
    return text("coaching.streak.weeks", weeks=weeks)
