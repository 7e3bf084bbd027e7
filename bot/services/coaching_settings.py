"""A workspace's coaching settings (the campaign's hashtag, the weekly nudge's day, hour and on/off) and the
one pending weekly nudge they plan.

Shared by the ladder, the writing help and the nudges: drafts carry the hashtag, and both a step taken and a
setting changed keep the next nudge planned.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot import reminders
from bot.models import CoachingConfig, Workspace
from bot.replies import Text, text

DEFAULT_HASHTAG = "#BlekingeFöretagare"
DEFAULT_WEEKDAY = 1  # Monday
DEFAULT_HOUR = 9

WEEKLY_KIND = "coaching.weekly"


@dataclass(frozen=True)
class CoachingSettings:
    """A workspace's coaching settings, stored or default."""

    hashtag: str = DEFAULT_HASHTAG
    weekday: int = DEFAULT_WEEKDAY
    hour: int = DEFAULT_HOUR
    nudges: bool = True

    @classmethod
    def of(cls, row: CoachingConfig) -> CoachingSettings:
        """The settings a stored row holds."""
        return cls(row.hashtag, row.nudge_weekday, row.nudge_hour, row.nudges_enabled)


async def settings_of(session: AsyncSession, workspace_id: int) -> CoachingSettings:
    """Return the workspace's coaching settings (the defaults until a coordinator changes them)."""
    row = await session.get(CoachingConfig, workspace_id)
    if row is None:
        return CoachingSettings()
    return CoachingSettings.of(row)


async def plan_nudges(session: AsyncSession, workspace: Workspace, settings: CoachingSettings, now: datetime
                      ) -> datetime | None:
    """Make sure exactly one weekly nudge is pending (none when nudges are off); return when it falls due."""
    return await reminders.keep_weekly(session, workspace_id=workspace.id, zone=workspace.timezone,
                                       kind=WEEKLY_KIND, enabled=settings.nudges, weekday=settings.weekday,
                                       hour=settings.hour, now=now)


def schedule(settings: CoachingSettings) -> Text:
    """Say when the weekly nudge goes out ("every Monday at 09:00")."""
    return text("coaching.when.weekly", day=text(f"coaching.day.{settings.weekday}"),
                hour=f"{settings.hour:02d}")
