"""Streaks: how many ISO weeks in a row a member did something, counted from every feature's activity."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot import contributions
from bot.models import Workspace
from bot.replies import Text, text


def _iso_week(day: date) -> tuple[int, int]:
    year, week, _ = day.isocalendar()
    return year, week


async def weeks_in_a_row(session: AsyncSession, workspace: Workspace, member_ids: Sequence[int],
                         now: datetime) -> dict[int, int]:
    """Count, per member, the ISO weeks in a row (in the workspace's zone) with at least one activity.

    The current week keeps the streak alive while it lasts: a streak ends only when a whole week went by
    empty.
    """
    if not member_ids:
        return {}
    tz = ZoneInfo(workspace.timezone)
    weeks: dict[int, set[tuple[int, int]]] = defaultdict(set)
    # Every feature's activity counts (the ladder's finished steps, logged actions, stories).
    for source in contributions.of(session).activity_sources:
        for member_id, at in await source(session, workspace.id, member_ids):
            weeks[member_id].add(_iso_week(at.astimezone(tz).date()))
    today = now.astimezone(tz).date()
    result = {}
    for member_id in member_ids:
        active = weeks.get(member_id, set())
        day = today if _iso_week(today) in active else today - timedelta(days=7)
        count = 0
        while _iso_week(day) in active:
            count += 1
            day -= timedelta(days=7)
        result[member_id] = count
    return result


def streak_text(weeks: int) -> Text:
    """Say how many weeks in a row the member has been active."""
    if weeks == 0:
        return text("coaching.streak.none")
    return text("coaching.streak.one" if weeks == 1 else "coaching.streak.many", weeks=weeks)
