"""Reminder rows: what falls due when, and what a due reminder's planner (see bot.contributions) returns."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import CursorResult, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot import contributions, i18n
from bot.models import Reminder
from bot.replies import Channel, Literal, Renderable, Reply, When, text

log = logging.getLogger(__name__)

PENDING = "pending"
# Being fanned out in batches (InBatches): some of its deliveries may be written, not yet all.
FANNING = "fanning"
FANNED_OUT = "fanned_out"
SKIPPED = "skipped"
CANCELLED = "cancelled"
# Where a unit of work keeps the earliest due time it planned (session.info).
PLANNED_KEY = "jobb_planned_due"


@dataclass(frozen=True)
class Planned:
    """One message a due reminder sends: a DM to a member (falling back to a channel) or a channel post."""

    reply: Reply
    member_id: int | None = None
    # For a channel post: the channel. For a DM: where the member is mentioned if their DMs are closed.
    channel: Channel = Channel.ANNOUNCEMENTS
    # A live message: posted once in the channel under this key (e.g. "countdown:12"), then edited in place;
    # `pinned` says whether it should stay pinned after this update.
    live: str | None = None
    pinned: bool = False
    # Not sent after this moment (e.g. the vote it calls to), even if quiet hours or a restart held it back.
    expires_at: datetime | None = None
    # A DM that is not worth a mention in a channel when it cannot be delivered (a weekly nudge tried again).
    quiet: bool = False
    # A DM sent at once even in quiet hours (a rapid response the coordinators marked urgent); the planner
    # leaves it off for members who opted out of urgent alerts.
    urgent: bool = False


# How many recipients a batch of a fan-out plans: small enough that reading, planning and writing one holds
# neither the event loop nor SQLite's write lock for more than some milliseconds.
BATCH = 200


@dataclass(frozen=True)
class InBatches:
    """What a planner returns for a fan-out to many (every member): its messages a batch at a time.

    The planner itself runs in the reminder's write transaction and does there only what is quick (plans the
    next occurrence, checks the settings). The Dispatcher then calls `batch(session, after)` in a unit of work
    that only reads (on SQLite it takes no write lock), for the recipients after a cursor (0 at the start;
    e.g. the last member id of the batch before), and writes each batch's deliveries in a short write
    transaction of its own. `batch` returns the batch's messages and the cursor of the next one (None: that
    was the last). Each recipient's delivery has a unique key, so a fan-out that a crash cut between batches
    is planned again at the next start (the reminder stays FANNING): what was written is not written twice,
    what was not is written then.

    A fan-out whose batches write rows of their own (a round of questions assigns each member a politician)
    says `writes=True`: each batch is then read, planned and written in one short write transaction (a batch
    is bounded), its own rows and its deliveries together.
    """

    batch: Callable[[AsyncSession, int], Awaitable[tuple[list[Planned], int | None]]]
    writes: bool = False


def name_key(kind: str) -> str:
    """The catalog key that names a kind of reminder when no feature describes it."""
    return f"reminders.kind.{kind}"


async def describe(session: AsyncSession, reminder: Reminder, zone: str) -> Renderable:
    """Name a reminder for the coordinators: its feature's description, else the kind's name in the catalog
    (`reminders.kind.<kind>`) and its due time; the raw kind only for a kind nothing names (a bug, logged)."""
    fn = contributions.of(session).describers.get(reminder.kind)
    if fn is not None:
        return await fn(session, reminder)
    when = When(reminder.due_at, zone, "short")
    if i18n.has(name_key(reminder.kind)):
        return text("delivery.skipped.named", what=text(name_key(reminder.kind)), when=when)
    log.error("No describer and no catalog name for reminder kind %s", reminder.kind)
    return text("delivery.skipped.generic", kind=Literal(reminder.kind), when=when)


async def schedule(
    session: AsyncSession,
    *,
    workspace_id: int,
    kind: str,
    key: str,
    due_at: datetime,
    now: datetime,
    payload: dict[str, Any] | None = None,
    grace: timedelta | None = None,
) -> Reminder:
    """Create a reminder, or move a pending one with the same key; one that already fired stays as it is."""
    existing = await session.scalar(
        select(Reminder).where(Reminder.workspace_id == workspace_id, Reminder.key == key)
    )
    if existing is None or existing.status in (PENDING, CANCELLED):
        note_planned(session, due_at)
    if existing is not None:
        if existing.status in (PENDING, CANCELLED):
            existing.due_at = due_at
            existing.payload = payload or {}
            existing.grace_seconds = int(grace.total_seconds()) if grace else None
            existing.status = PENDING
        return existing
    reminder = Reminder(
        workspace_id=workspace_id,
        kind=kind,
        key=key,
        due_at=due_at,
        payload=payload or {},
        grace_seconds=int(grace.total_seconds()) if grace else None,
        status=PENDING,
        created_at=now,
    )
    session.add(reminder)
    await session.flush()
    log.debug("Scheduled reminder %s (%s) at %s", reminder.id, kind, due_at.isoformat())
    return reminder


def note_planned(session: AsyncSession, due_at: datetime) -> None:
    """Remember in the unit of work the earliest time it planned something for, so that the scheduler is told
    after the commit (and a unit of work that planned nothing costs the scheduler nothing)."""
    earliest = session.info.get(PLANNED_KEY)
    if earliest is None or due_at < earliest:
        session.info[PLANNED_KEY] = due_at


def planned_in(session: AsyncSession) -> datetime | None:
    """The earliest time a unit of work planned something for (see note_planned), if any."""
    return session.info.get(PLANNED_KEY)


def next_weekly(weekday: int, hour: int, zone: str, after: datetime) -> datetime:
    """Return the first ISO weekday at an hour o'clock local time strictly after `after`, in UTC."""
    tz = ZoneInfo(zone)
    day = after.astimezone(tz).date()
    day += timedelta(days=(weekday - day.isoweekday()) % 7)
    while True:
        # Built as wall-clock time in the zone, so a daylight-saving change keeps the hour.
        candidate = datetime.combine(day, time(hour), tzinfo=tz)
        if candidate > after:
            return candidate.astimezone(UTC)
        day += timedelta(days=7)


async def keep_weekly(session: AsyncSession, *, workspace_id: int, zone: str, kind: str, enabled: bool,
                      weekday: int, hour: int, now: datetime) -> datetime | None:
    """Keep exactly one pending reminder of a weekly kind, keyed by ISO week so no week gets two."""

    def week_key(due: datetime) -> str:
        year, week, _ = due.astimezone(ZoneInfo(zone)).isocalendar()
        return f"{kind}:{workspace_id}:{year}-W{week:02d}"

    return await keep_one_pending(
        session, workspace_id=workspace_id, kind=kind, enabled=enabled,
        next_due=lambda after: next_weekly(weekday, hour, zone, after), key_for=week_key, now=now,
        payload={"workspace_id": workspace_id})


async def keep_one_pending(
    session: AsyncSession,
    *,
    workspace_id: int,
    kind: str,
    enabled: bool,
    next_due: Callable[[datetime], datetime],
    key_for: Callable[[datetime], str],
    now: datetime,
    payload: dict[str, Any] | None = None,
) -> datetime | None:
    """Keep exactly one pending reminder of a recurring kind (none when it is off); return when it falls due.

    `next_due(after)` gives the next occurrence after a time and `key_for(due)` its key (e.g. the ISO week),
    so an occurrence that already went out is never planned again, even when its day or hour was moved.
    """
    pending = list(await session.scalars(select(Reminder).where(
        Reminder.workspace_id == workspace_id, Reminder.kind == kind, Reminder.status == PENDING)))
    if not enabled:
        for reminder in pending:
            reminder.status = CANCELLED
        return None
    due = next_due(now)
    planned = next((r for r in pending if r.key == key_for(due) and r.due_at == due), None)
    if planned is not None and len(pending) == 1:
        # As it should be (every command that shows the ladder comes here): nothing to read or change.
        return due
    while True:
        key = key_for(due)
        existing = await session.scalar(select(Reminder).where(Reminder.workspace_id == workspace_id,
                                                               Reminder.key == key))
        if existing is None or existing.status in (PENDING, CANCELLED):
            break
        due = next_due(due)
    for reminder in pending:
        # One already due is left to the dispatcher, which is about to send it.
        if reminder.key != key and reminder.due_at > now:
            reminder.status = CANCELLED
    await schedule(
        session, workspace_id=workspace_id, kind=kind, key=key, due_at=due, now=now, payload=payload
    )
    return due


async def pending_under(session: AsyncSession, *, workspace_id: int, kind: str, prefix: str) -> bool:
    """Whether a reminder of `kind` whose key starts with `prefix` is pending: one pending refresh of a live
    message serves every change until it fires, so a change that finds one plans none."""
    return await session.scalar(select(Reminder.id).where(
        Reminder.workspace_id == workspace_id, Reminder.kind == kind,
        Reminder.key.startswith(prefix, autoescape=True), Reminder.status == PENDING).limit(1)) is not None


async def cancel(session: AsyncSession, *, workspace_id: int, key: str) -> int:
    """Cancel a pending reminder by key; return how many were cancelled."""
    # An UPDATE without RETURNING gives a CursorResult, though Session.execute() is typed to return a Result.
    result = cast(CursorResult[Any], await session.execute(
        update(Reminder)
        .where(Reminder.workspace_id == workspace_id, Reminder.key == key, Reminder.status == PENDING)
        .values(status=CANCELLED)
    ))
    return result.rowcount or 0


async def cancel_prefixed(
    session: AsyncSession,
    *,
    workspace_id: int,
    prefix: str,
    keep: Collection[str] = (),
    kinds: Collection[str] | None = None,
) -> int:
    """Cancel the pending reminders whose key starts with `prefix` (of these kinds), but for the keys in
    `keep`, in one statement; return how many were cancelled."""
    query = update(Reminder).where(Reminder.workspace_id == workspace_id, Reminder.status == PENDING,
                                   Reminder.key.startswith(prefix, autoescape=True))
    if kinds is not None:
        query = query.where(Reminder.kind.in_(sorted(kinds)))
    if keep:
        query = query.where(Reminder.key.not_in(sorted(keep)))
    result = cast(CursorResult[Any], await session.execute(query.values(status=CANCELLED)))  # as above
    return result.rowcount or 0
