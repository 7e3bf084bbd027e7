"""Delivery: fan due reminders out into one row per recipient, send each once, and apply effects.

The database is the truth. A reminder becomes delivery rows with unique keys (so a second fan-out adds
nothing); a row is claimed before it is sent and marked after the platform accepted it; rows left claimed by
a crash go back to pending at start, and the platform's nonce keeps the retry from doubling a message.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import reminders
from bot.clock import Clock
from bot.models import Delivery, Member, Reminder, Workspace
from bot.replies import (
    Channel,
    Effect,
    GrantRole,
    PostToChannel,
    Reply,
    Role,
    SendDirect,
    reply_from_json,
    reply_to_json,
    text,
)

log = logging.getLogger(__name__)

PENDING = "pending"
SENDING = "sending"
SENT = "sent"
UNREACHABLE = "unreachable"
FAILED = "failed"
CANCELLED = "cancelled"
MAX_ATTEMPTS = 5


class RecipientUnreachable(Exception):
    """The platform refused a direct message: the member's DMs are closed."""


class Notifier(Protocol):
    """What delivery needs from a platform: send a DM, post in a channel, grant a role."""

    async def send_direct(self, workspace: Workspace, member: Member, reply: Reply, *, nonce: str | None = None) -> None:
        """Send a DM; raise RecipientUnreachable when the member cannot be reached."""

    async def post(self, workspace: Workspace, channel: Channel, reply: Reply, *, nonce: str | None = None) -> None:
        """Post in one of the workspace's channels."""

    async def grant_role(self, workspace: Workspace, member: Member, role: Role) -> None:
        """Give a member one of the workspace's roles."""


@dataclass(frozen=True)
class QuietHours:
    """No DMs between start and end o'clock local time; what falls due then waits until end."""

    start: int = 21
    end: int = 8

    def adjust(self, when: datetime, tz: ZoneInfo) -> datetime:
        """Move a time that falls in quiet hours to the next end of quiet hours, in the workspace's zone."""
        if self.start == self.end:
            return when
        local = when.astimezone(tz)
        hour = local.hour
        quiet = (hour >= self.start or hour < self.end) if self.start > self.end else self.start <= hour < self.end
        if not quiet:
            return when
        day = local.date() if hour < self.end else local.date() + timedelta(days=1)
        # Build the wall-clock time in the zone, so the daylight-saving change is handled by zoneinfo.
        return datetime.combine(day, time(self.end), tzinfo=tz).astimezone(when.tzinfo)


def nonce_for(key: str) -> str:
    """Derive a stable message nonce (Discord allows 25 characters) from a delivery key."""
    return hashlib.blake2b(key.encode(), digest_size=10).hexdigest()


@dataclass
class DispatchReport:
    """What one dispatch run did, for logs, the console and tests."""

    fanned_out: int = 0
    skipped: list[int] = field(default_factory=list)
    sent: int = 0
    unreachable: int = 0
    failed: int = 0


class Dispatcher:
    """Ask the database what is due now, fan it out, send it, and tell the scheduler when to wake next."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: Clock,
        quiet_hours: QuietHours,
        *,
        concurrency: int = 8,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._clock = clock
        self._quiet_hours = quiet_hours
        self.concurrency = concurrency
        self._lock = asyncio.Lock()
        self.notifier: Notifier | None = None
        self.on_next_wake: Callable[[datetime | None], None] | None = None

    async def resume(self) -> int:
        """Put deliveries a crash left claimed back to pending; call once at start."""
        async with self._sessionmaker() as session, session.begin():
            result = await session.execute(update(Delivery).where(Delivery.status == SENDING).values(status=PENDING))
        count = result.rowcount or 0
        if count:
            log.info("Resuming %d deliveries that were being sent when the bot stopped", count)
        return count

    async def run_due(self) -> DispatchReport:
        """Fan out every due reminder and send every due delivery; safe to call at any time, any number of times."""
        async with self._lock:
            report = DispatchReport()
            now = self._clock.now()
            await self._fan_out_due(now, report)
            if self.notifier is not None:
                await self._send_due(now, report)
            if self.on_next_wake is not None:
                self.on_next_wake(await self.next_due_at())
            if report.fanned_out or report.sent or report.skipped:
                log.info("Dispatch: %d fanned out, %d skipped, %d sent, %d unreachable, %d failed",
                         report.fanned_out, len(report.skipped), report.sent, report.unreachable, report.failed)
            return report

    async def next_due_at(self) -> datetime | None:
        """Return when something next falls due: a pending reminder or a delivery waiting out quiet hours."""
        async with self._sessionmaker() as session:
            next_reminder = await session.scalar(
                select(func.min(Reminder.due_at)).where(Reminder.status == reminders.PENDING))
            next_delivery = await session.scalar(
                select(func.min(Delivery.not_before)).where(Delivery.status == PENDING))
        # An aggregate loses the column's UTC decorator on some drivers: re-attach the zone.
        candidates = [_aware(t) for t in (next_reminder, next_delivery) if t is not None]
        return min(candidates, default=None)

    async def _fan_out_due(self, now: datetime, report: DispatchReport) -> None:
        async with self._sessionmaker() as session:
            due_ids = list(await session.scalars(
                select(Reminder.id).where(Reminder.status == reminders.PENDING, Reminder.due_at <= now)
                .order_by(Reminder.due_at)))
        for reminder_id in due_ids:
            async with self._sessionmaker() as session, session.begin():
                claimed = await session.execute(
                    update(Reminder).where(Reminder.id == reminder_id, Reminder.status == reminders.PENDING)
                    .values(status=reminders.FANNED_OUT, fired_at=now))
                if not claimed.rowcount:
                    continue  # another process or run took it
                reminder = await session.get_one(Reminder, reminder_id)
                if reminder.grace_seconds is not None and now > reminder.due_at + timedelta(
                        seconds=reminder.grace_seconds):
                    reminder.status = reminders.SKIPPED
                    report.skipped.append(reminder.id)
                    log.info("Skipped reminder %s (%s): %s late", reminder.id, reminder.kind, now - reminder.due_at)
                    continue
                planner = reminders.planner_for(reminder.kind)
                if planner is None:
                    log.error("No planner for reminder kind %s (reminder %s)", reminder.kind, reminder.id)
                    reminder.status = reminders.SKIPPED
                    report.skipped.append(reminder.id)
                    continue
                planned = await planner(session, reminder, now)
                await self._add_deliveries(session, reminder, planned, now)
                report.fanned_out += 1

    async def _add_deliveries(self, session: AsyncSession, reminder: Reminder, planned: Iterable[reminders.Planned],
                              now: datetime) -> None:
        workspace = await session.get_one(Workspace, reminder.workspace_id)
        tz = ZoneInfo(workspace.timezone)
        existing = set(await session.scalars(select(Delivery.key).where(Delivery.reminder_id == reminder.id)))
        for item in planned:
            recipient = f"member:{item.member_id}" if item.member_id is not None else f"channel:{item.channel}"
            key = f"{reminder.id}:{recipient}"
            if key in existing:
                continue
            existing.add(key)
            not_before = self._quiet_hours.adjust(now, tz) if item.member_id is not None else now
            session.add(Delivery(
                workspace_id=reminder.workspace_id, reminder_id=reminder.id, member_id=item.member_id,
                channel=str(item.channel), key=key, nonce=nonce_for(key),
                message=reply_to_json(item.reply), status=PENDING, not_before=not_before, created_at=now))

    async def _send_due(self, now: datetime, report: DispatchReport) -> None:
        async with self._sessionmaker() as session:
            due = list(await session.scalars(
                select(Delivery.id).where(Delivery.status == PENDING, Delivery.not_before <= now)
                .order_by(Delivery.id)))
        if not due:
            return
        semaphore = asyncio.Semaphore(self.concurrency)
        unreachable: dict[tuple[int, int], list[int]] = defaultdict(list)

        async def send_one(delivery_id: int) -> None:
            async with semaphore:
                outcome = await self._send(delivery_id, now)
            if outcome is None:
                return
            status, workspace_id, reminder_id = outcome
            if status == SENT:
                report.sent += 1
            elif status == UNREACHABLE:
                report.unreachable += 1
                unreachable[(workspace_id, reminder_id)].append(delivery_id)
            elif status == FAILED:
                report.failed += 1

        # A TaskGroup, not gather: if one send dies (cancellation at shutdown), the others stop too
        # instead of running on detached while a restart resumes the same rows.
        async with asyncio.TaskGroup() as group:
            for delivery_id in due:
                group.create_task(send_one(delivery_id))
        for (workspace_id, reminder_id), delivery_ids in unreachable.items():
            await self._mention_unreachable(workspace_id, reminder_id, delivery_ids)

    async def _send(self, delivery_id: int, now: datetime) -> tuple[str, int, int] | None:
        assert self.notifier is not None
        async with self._sessionmaker() as session, session.begin():
            claimed = await session.execute(
                update(Delivery).where(Delivery.id == delivery_id, Delivery.status == PENDING)
                .values(status=SENDING, attempts=Delivery.attempts + 1))
            if not claimed.rowcount:
                return None
        async with self._sessionmaker() as session:
            delivery = await session.get_one(Delivery, delivery_id)
            workspace = await session.get_one(Workspace, delivery.workspace_id)
            member = await session.get(Member, delivery.member_id) if delivery.member_id else None
        reply = reply_from_json(delivery.message)
        status, error = SENT, None
        try:
            if member is not None:
                # Planners decide who wants DMs; here only reachability counts.
                if not member.dm_open:
                    raise RecipientUnreachable
                await self.notifier.send_direct(workspace, member, reply, nonce=delivery.nonce)
            else:
                await self.notifier.post(workspace, Channel(delivery.channel), reply, nonce=delivery.nonce)
        except RecipientUnreachable:
            status = UNREACHABLE
        except Exception as exc:  # noqa: BLE001 - one failing send must not stop the fan-out
            log.exception("Delivery %s failed", delivery_id)
            status = FAILED if delivery.attempts >= MAX_ATTEMPTS else PENDING
            error = f"{type(exc).__name__}: {exc}"[:500]
        async with self._sessionmaker() as session, session.begin():
            await session.execute(
                update(Delivery).where(Delivery.id == delivery_id, Delivery.status == SENDING)
                .values(status=status, last_error=error, sent_at=now if status == SENT else None))
            if status == UNREACHABLE and member is not None and member.dm_open:
                await session.execute(update(Member).where(Member.id == member.id).values(dm_open=False))
        return status, delivery.workspace_id, delivery.reminder_id

    async def _mention_unreachable(self, workspace_id: int, reminder_id: int, delivery_ids: list[int]) -> None:
        """Reach members whose DMs are closed in a channel: one message per distinct text, mentioning them all.

        A broadcast (the same text to everyone) becomes one message; personal texts (each member's own next
        step or question) stay apart, so nobody is shown someone else's message as their own.
        """
        assert self.notifier is not None
        async with self._sessionmaker() as session:
            rows = (await session.execute(
                select(Delivery, Member).join(Member, Member.id == Delivery.member_id)
                .where(Delivery.id.in_(delivery_ids)).order_by(Delivery.id))).all()
            workspace = await session.get_one(Workspace, workspace_id)
        groups: dict[tuple[str, str], list[tuple[Delivery, Member]]] = defaultdict(list)
        for delivery, member in rows:
            channel = delivery.channel or str(Channel.ANNOUNCEMENTS)
            groups[(channel, json.dumps(delivery.message, sort_keys=True))].append((delivery, member))
        for (channel, _), group in groups.items():
            first_delivery = group[0][0]
            reply = channel_fallback(reply_from_json(first_delivery.message), tuple(m.external_id for _, m in group))
            try:
                await self.notifier.post(workspace, Channel(channel), reply,
                                         nonce=nonce_for(f"{reminder_id}:fallback:{first_delivery.id}"))
            except Exception:  # noqa: BLE001 - the DMs are recorded as unreachable either way
                log.exception("Could not post the channel fallback for reminder %s", reminder_id)


async def apply_effects(
    sessionmaker: async_sessionmaker[AsyncSession],
    notifier: Notifier,
    workspace_id: int,
    effects: Iterable[Effect],
) -> None:
    """Carry out what a service asked for after its transaction committed: DMs, channel posts, roles."""
    for effect in effects:
        async with sessionmaker() as session:
            workspace = await session.get_one(Workspace, workspace_id)
            member = await session.get(Member, effect.member_id) if not isinstance(effect, PostToChannel) else None
        try:
            if isinstance(effect, PostToChannel):
                await notifier.post(workspace, effect.channel, effect.reply)
            elif member is None:
                log.warning("Effect %s for a member who is gone", type(effect).__name__)
            elif isinstance(effect, GrantRole):
                await notifier.grant_role(workspace, member, effect.role)
            elif isinstance(effect, SendDirect):
                await _send_direct_or_mention(sessionmaker, notifier, workspace, member, effect)
        except Exception:  # noqa: BLE001 - the user's own answer was given; log and go on with the rest
            log.exception("Effect %s failed in workspace %s", type(effect).__name__, workspace_id)


async def _send_direct_or_mention(sessionmaker: async_sessionmaker[AsyncSession], notifier: Notifier,
                                  workspace: Workspace, member: Member, effect: SendDirect) -> None:
    if member.dm_open:
        try:
            await notifier.send_direct(workspace, member, effect.reply)
            return
        except RecipientUnreachable:
            async with sessionmaker() as session, session.begin():
                await session.execute(update(Member).where(Member.id == member.id).values(dm_open=False))
            log.info("Member %s has closed DMs; mentioning them in %s instead", member.id, effect.fallback)
    await notifier.post(workspace, effect.fallback, channel_fallback(effect.reply, (member.external_id,)))


def channel_fallback(reply: Reply, mentions: tuple[str, ...]) -> Reply:
    """Turn a DM into a channel message for members whose DMs are closed: mention them and say why."""
    return Reply(body=text("delivery.dm_closed_fallback", body=reply.body) if reply.body else None,
                 title=reply.title, fields=reply.fields, buttons=reply.buttons, links=reply.links,
                 private=False, mentions=mentions)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)
