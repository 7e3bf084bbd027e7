"""Retention: settled deliveries older than DELIVERY_RETENTION_DAYS are pruned, and members who never
consented are purged UNCONSENTED_KEPT after their last use of the bot, daily, in short batches.

A delivery row that went out (sent), or that never will (cancelled, expired), is of no more use once it is
old: what keeps a fan-out from sending twice is the reminder's own status (a reminder is fanned out once, in
the same transaction that adds its deliveries, and one that fired is never planned again), so a settled row
of a reminder that fired long ago protects nothing. Kept for good: what /report and the digest show about
what could not be delivered (failed and unreachable rows, few), every row still to act on (pending, claimed,
being sent), and the notices that a role could not be granted (their key keeps a grant refused again from
being announced twice).

Before consent a member row holds only what the welcome and answering them need (their platform id, when they
joined and last used the bot, a language they chose, whether they declined); a member who has not consented
UNCONSENTED_KEPT after that last use is deleted with everything that refers to them, through every feature's
eraser, as /mydata delete erases (the welcome and the README say so).

The pruning is a reminder like the app's other recurring work: one a workspace a day (04:00 local time),
planned in the database. Each run deletes at most BATCH rows in its own short transaction; when there were
more, it plans a follow-up due at once, which the dispatcher runs as its next unit of work, so no write lock
is held for long, and other work goes in between.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import CursorResult, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import contributions, db, delivery, reminders
from bot.contributions import Feature
from bot.models import Delivery, Member, Reminder, Workspace

if TYPE_CHECKING:  # bot.services.context imports this module (it plans the daily run for new members)
    from bot.services.context import Actor

log = logging.getLogger(__name__)

DAILY_KIND = "retention.daily"
# A follow-up of a day's run that had more to prune than one batch.
BATCH_KIND = "retention.batch"
# The session info key under which the App's session factory carries DELIVERY_RETENTION_DAYS.
AGE_KEY = "jobbskaparna.delivery_retention"
DEFAULT_AGE = timedelta(days=180)
HOUR = 4
# Rows deleted in one transaction: a few milliseconds of the write lock on SQLite.
BATCH = 1000
# What a delivery settles as, and is pruned in when old; failed and unreachable rows are what /report shows.
PRUNED = (delivery.SENT, delivery.CANCELLED, delivery.EXPIRED)
# The retention reminders that ran are themselves removed after this long.
TIDY_AFTER = timedelta(days=7)
# A member who never consented is purged this long after their last use of the bot (joining counts); stated in
# the welcome, the answer to a declined consent, and the README.
UNCONSENTED_KEPT = timedelta(days=30)
# Members purged in one transaction: each goes through every feature's eraser (a few statements each).
PURGE_BATCH = 25


def age_of(session: AsyncSession) -> timedelta:
    """How long settled deliveries are kept (the App's DELIVERY_RETENTION_DAYS)."""
    return cast(timedelta, session.info.get(AGE_KEY, DEFAULT_AGE))


def next_run(zone: str, after: datetime) -> datetime:
    """The first HOUR o'clock local time strictly after `after`."""
    tz = ZoneInfo(zone)
    day = after.astimezone(tz).date()
    while True:
        candidate = datetime.combine(day, time(HOUR), tzinfo=tz)
        if candidate > after:
            return candidate.astimezone(UTC)
        day += timedelta(days=1)


async def ensure_planned(session: AsyncSession, workspace: Workspace, now: datetime) -> datetime | None:
    """Keep exactly one daily pruning pending for a workspace (keyed by the local date)."""
    zone = workspace.timezone

    def day_key(due: datetime) -> str:
        return f"{DAILY_KIND}:{workspace.id}:{due.astimezone(ZoneInfo(zone)).date().isoformat()}"

    return await reminders.keep_one_pending(session, workspace_id=workspace.id, kind=DAILY_KIND, enabled=True,
                                            next_due=lambda after: next_run(zone, after), key_for=day_key,
                                            now=now)


async def _plan_when_someone_onboards(session: AsyncSession, actor: Actor) -> None:
    await ensure_planned(session, actor.workspace, actor.now)


def prunable(workspace_id: int, before: datetime) -> Any:
    """The ids of the workspace's settled deliveries created before `before` that may go (at most BATCH)."""
    return (select(Delivery.id)
            .where(Delivery.workspace_id == workspace_id, Delivery.status.in_(PRUNED),
                   Delivery.created_at < before,
                   ~Delivery.key.startswith(f"{delivery.ROLE_REFUSED}:", autoescape=True),
                   # Belt and braces: nothing of a reminder that could still fan out (none that fired can).
                   or_(Delivery.reminder_id.is_(None),
                       Delivery.reminder_id.not_in(select(Reminder.id).where(
                           Reminder.workspace_id == workspace_id, Reminder.status == reminders.PENDING))))
            .limit(BATCH))


async def prune_batch(session: AsyncSession, workspace_id: int, before: datetime) -> int:
    """Delete one batch of old settled deliveries of a workspace; return how many went."""
    # A DELETE without RETURNING gives a CursorResult (Session.execute() is typed to return a Result).
    result = cast(CursorResult[Any], await session.execute(
        delete(Delivery).where(Delivery.id.in_(prunable(workspace_id, before).scalar_subquery()))
        .execution_options(synchronize_session=False)))
    return result.rowcount or 0


def unconsented(workspace_id: int, before: datetime) -> Any:
    """The workspace's members who never consented and last used the bot before `before` (at most
    PURGE_BATCH); a row from before the last use was kept (migration 0011) counts from when they joined."""
    return (select(Member)
            .where(Member.workspace_id == workspace_id, Member.consented_at.is_(None),
                   func.coalesce(Member.last_seen_at, Member.joined_at) < before)
            .order_by(Member.id).limit(PURGE_BATCH))


async def purge_batch(session: AsyncSession, workspace_id: int, before: datetime) -> int:
    """Delete one batch of members who never consented, with all that refers to them; return how many went."""
    members = list(await session.scalars(unconsented(workspace_id, before)))
    for member in members:
        for stored in contributions.of(session).member_data:
            await stored.erase(session, member)
    if members:
        await session.flush()
        # Their deliveries go with them (ON DELETE CASCADE), audit rows keep the fact without them (SET NULL).
        await session.execute(delete(Member).where(Member.id.in_([member.id for member in members]))
                              .execution_options(synchronize_session=False))
        for member in members:
            session.expunge(member)
    return len(members)


async def _prune(session: AsyncSession, reminder: Reminder, now: datetime) -> list[reminders.Planned]:
    """Prune one batch and purge one; plan the next batch at once when there may be more, and the next day's
    run."""
    workspace = await session.get(Workspace, reminder.workspace_id)
    if workspace is None:
        return []
    if reminder.kind == DAILY_KIND:
        await ensure_planned(session, workspace, max(now, reminder.due_at))
        await session.execute(delete(Reminder).where(
            Reminder.workspace_id == workspace.id, Reminder.kind.in_((DAILY_KIND, BATCH_KIND)),
            Reminder.status == reminders.FANNED_OUT, Reminder.due_at < now - TIDY_AFTER))
        await db.gather_statistics(session)  # the tables grew (and shrink here) day by day
    pruned = await prune_batch(session, workspace.id, now - age_of(session))
    purged = await purge_batch(session, workspace.id, now - UNCONSENTED_KEPT)
    if pruned == BATCH or purged == PURGE_BATCH:
        number = int(reminder.payload.get("batch", 0)) + 1
        await reminders.schedule(session, workspace_id=workspace.id, kind=BATCH_KIND,
                                 key=f"{BATCH_KIND}:{reminder.id}:{number}", due_at=now, now=now,
                                 payload={"batch": number})
    if pruned:
        log.info("Pruned %d settled deliveries of workspace %s", pruned, workspace.id)
    if purged:
        log.info("Purged %d members without consent of workspace %s", purged, workspace.id)
    return []


FEATURE = Feature(
    "retention",
    planners={DAILY_KIND: _prune, BATCH_KIND: _prune},
    on_onboarded=(_plan_when_someone_onboards,),
)
