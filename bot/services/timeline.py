"""An issue's countdown timeline: the stages before its decision, the morning after the vote, and the live
message's refresh; what the countdown (bot/services/countdowns.py) and the pledges made during it
(bot/services/pledges.py) both build on.

Stages fall at a set local time N days before the decision (14, 7, 3 and 1 days and the morning of the vote,
by default; per issue or per workspace). The countdown's reminders are keyed by the issue and the decision's
date (`key_prefix`, `day_key`), so a new date is a new countdown and a new hour on the same date only moves
them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import reminders, validation
from bot.models import (
    Countdown,
    CountdownSettings,
    Issue,
    LiveMessage,
    Reminder,
    Workspace,
)
from bot.replies import Literal, Text, When, text
from bot.services import civics

# The live message's turns and refreshes (the countdown plans and sends them; a pledge asks for a refresh).
LIVE_KIND = "countdown.live"

DEFAULT_DAYS = (14, 7, 3, 1, 0)
MAX_DAYS = 60
# Stages fall at a set local time, so they keep their hour across the change to and from summer time.
STAGE_HOUR = 9
VOTE_MORNING_HOUR = 8
AFTER_VOTE_HOUR = 10
# How long after its time a stage may still go out (never past the next stage, never past the vote).
STAGE_GRACE = timedelta(days=1)
# Outcomes where no vote took place: nothing to follow up.
CALLED_OFF = ("postponed", "withdrawn")


def before(days: int) -> Text:
    """Say how long before the decision a stage falls: "3 dagar före", "dagen före", "samma morgon"."""
    return text(f"countdown.before.{days}") if days in (0, 1) else text("countdown.before", count=days)


def step_of(days: int) -> str:
    """The call to action of a stage by how close the vote is."""
    if days == 0:
        return "vote"
    if days == 1:
        return "final"
    if days <= 4:
        return "media"
    if days <= 9:
        return "mobilize"
    return "ask"


@dataclass(frozen=True)
class Stage:
    """One stage of a countdown: days before the decision, when it falls due, and when the next one begins."""

    days: int
    due: datetime
    end: datetime

    @property
    def label(self) -> str:
        return f"d{self.days}"

    @property
    def step(self) -> str:
        return step_of(self.days)

    @property
    def grace(self) -> timedelta:
        return max(min(STAGE_GRACE, self.end - self.due), timedelta(0))


def decision_day(issue: Issue, zone: str) -> date:
    """The local date of the decision."""
    return issue.decision_at.astimezone(ZoneInfo(zone)).date()


def _local(day: date, hour: int, zone: str) -> datetime:
    # Wall-clock time in the zone: zoneinfo applies summer or winter time for that very date.
    return datetime.combine(day, time(hour), tzinfo=ZoneInfo(zone)).astimezone(UTC)


def stage_due(issue: Issue, days: int, zone: str) -> datetime:
    """When a stage falls due: 09:00 local time N days before, 08:00 on the day (always before the
    decision)."""
    due = _local(
        decision_day(issue, zone) - timedelta(days=days), VOTE_MORNING_HOUR if days == 0 else STAGE_HOUR, zone
    )
    return min(due, issue.decision_at - timedelta(hours=1))


def stages(issue: Issue, days: Sequence[int], zone: str) -> list[Stage]:
    """The issue's stages, earliest first; each ends where the next begins, the last at the decision."""
    ordered = sorted(set(days), reverse=True)
    if not ordered:
        return []
    dues = [stage_due(issue, d, zone) for d in ordered]
    ends = [*dues[1:], issue.decision_at]
    return [Stage(d, due, end) for d, due, end in zip(ordered, dues, ends, strict=True)]


def after_vote(issue: Issue, zone: str) -> datetime:
    """The morning after the decision, when pledges to attend are followed up."""
    return max(_local(decision_day(issue, zone) + timedelta(days=1), AFTER_VOTE_HOUR, zone),
               issue.decision_at + timedelta(hours=1))


def current_stage(stage_list: Sequence[Stage], now: datetime) -> Stage | None:
    """The stage under way: the last one that began, or the first before the countdown starts."""
    begun = [s for s in stage_list if s.due <= now]
    if begun:
        return begun[-1]
    return stage_list[0] if stage_list else None


def days_left(issue: Issue, zone: str, now: datetime) -> int:
    """Whole days from today to the decision's date, in local time."""
    return (decision_day(issue, zone) - now.astimezone(ZoneInfo(zone)).date()).days


def parse_days(raw: str) -> list[int]:
    """Read "14, 7, 3, 1, 0" into [14, 7, 3, 1, 0] (0 is the morning of the vote); "av"/"off" means none."""
    return validation.day_list(raw, text("field.countdown_days"), problem="errors.countdown_days", lowest=0,
                               highest=MAX_DAYS)


async def workspace_days(session: AsyncSession, workspace_id: int) -> list[int]:
    """The workspace's default stages."""
    settings = await session.get(CountdownSettings, workspace_id)
    return list(settings.days) if settings is not None else list(DEFAULT_DAYS)


async def countdown_row(session: AsyncSession, issue: Issue, now: datetime | None = None) -> Countdown | None:
    """The issue's countdown row; created when `now` is given."""
    row = await session.scalar(select(Countdown).where(Countdown.issue_id == issue.id))
    if row is None and now is not None:
        row = Countdown(
            workspace_id=issue.workspace_id,
            issue_id=issue.id,
            days=None,
            refreshes=0,
            voted_for=[],
            created_at=now,
            updated_at=now,
        )
        session.add(row)
        await session.flush()
    return row


async def days_for(session: AsyncSession, issue: Issue) -> list[int]:
    """An issue's stages: its own, or the workspace's."""
    row = await countdown_row(session, issue)
    if row is not None and row.days is not None:
        return list(row.days)
    return await workspace_days(session, issue.workspace_id)


async def zone_of(session: AsyncSession, workspace_id: int) -> str:
    """The workspace's time zone."""
    return (await session.get_one(Workspace, workspace_id)).timezone


def key_prefix(issue_id: int) -> str:
    """How the keys of an issue's countdown reminders begin."""
    return f"countdown:{issue_id}:"


def live_key(issue_id: int) -> str:
    """The key of an issue's live message."""
    return f"countdown:{issue_id}"


def day_key(issue: Issue, zone: str) -> str:
    """The decision's date, as the countdown's reminders are keyed."""
    # A new date is a new countdown (stages that went out may come again for it), a new hour on the same date
    # only moves what is pending, and nothing is sent twice.
    return decision_day(issue, zone).isoformat()


async def live_message(session: AsyncSession, issue: Issue) -> LiveMessage | None:
    """The issue's live message, once the countdown posted it."""
    return await session.scalar(select(LiveMessage).where(LiveMessage.workspace_id == issue.workspace_id,
                                                          LiveMessage.key == live_key(issue.id)))


async def request_refresh(session: AsyncSession, issue: Issue, now: datetime) -> None:
    """Have the live message show the current state soon; one pending refresh serves every change until then.

    A closed issue's live message shows the result (or that it was closed) as its last state: no more
    refreshes.
    """
    if issue.status != civics.OPEN:
        return
    if await live_message(session, issue) is None:
        return  # the countdown has not begun: its first post shows the state of that moment
    if await reminders.pending_under(session, workspace_id=issue.workspace_id, kind=LIVE_KIND,
                                     prefix=f"{key_prefix(issue.id)}live:r"):
        return
    row = await countdown_row(session, issue, now)
    assert row is not None
    row.refreshes += 1
    await schedule_live(session, issue, f"live:r{row.refreshes}", now, now)


async def schedule_live(session: AsyncSession, issue: Issue, key: str, due: datetime, now: datetime) -> None:
    """Have the issue's live message updated at `due`, under the countdown's reminder key `key` (after
    its prefix: "live:day:2026-12-14")."""
    await reminders.schedule(session, workspace_id=issue.workspace_id, kind=LIVE_KIND,
                             key=f"{key_prefix(issue.id)}{key}", due_at=due, now=now,
                             payload={"issue_id": issue.id})


async def describe_skipped(session: AsyncSession, reminder: Reminder, key: str, **params: object) -> Text:
    """Name a skipped countdown reminder for the coordinators: the catalog text `key` with the issue's title
    and when it was due."""
    issue = await session.get(Issue, reminder.payload.get("issue_id", 0))
    title = Literal(issue.title if issue is not None else f"#{reminder.payload.get('issue_id')}")
    zone = await zone_of(session, reminder.workspace_id)
    return text(key, title=title, when=When(reminder.due_at, zone, "short"), **params)
