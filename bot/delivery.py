"""Delivery: fan due reminders out into one row per recipient, send each once, and apply effects.

The database is the truth. A reminder becomes delivery rows with unique keys (so a second fan-out adds
nothing); a row is claimed before it is sent and marked after the platform accepted it; rows left claimed by
a crash go back to pending at start, and the platform's nonce keeps the retry from doubling a message.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import json
import logging
import random
import secrets
from collections import defaultdict
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any, ParamSpec, Protocol, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import JSON, ColumnElement, bindparam, cast, delete, func, insert, or_, select, update
from sqlalchemy import Text as SQLText
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.types import TypeDecorator

from bot import reminders
from bot.clock import Clock
from bot.db import insert_or_ignore
from bot.models import Delivery, LiveMessage, Member, Reminder, Workspace
from bot.replies import (
    Button,
    ButtonStyle,
    Channel,
    Effect,
    Join,
    Literal,
    Mention,
    PostToChannel,
    Renderable,
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
# Not sent: by the time it could go out, what it was about had passed (Planned.expires_at).
EXPIRED = "expired"
MAX_ATTEMPTS = 5
# A send the platform throttled (HTTP 429 even after its client's own retries) is tried again in the same run,
# after the wait the platform named, this many times; then it goes back to pending with the attempt not
# counted. A rate limit is the platform's pace, not a fault of the message.
THROTTLED_RETRIES = 5
MAX_THROTTLE_WAIT = 60.0
# Deliveries claimed (and loaded) in one statement: the database work of claiming a fan-out to thousands grows
# by batches, not by messages. (Outcomes are written as they come, several at once: see _send_ids.)
CLAIM_BATCH = 500
# How long a write of outcomes waits for the other sends in flight to finish and join it.
MARK_GATHER = 0.025
# The key suffix of a delivery that tells the coordinators a reminder was skipped; these are sent together.
SKIPPED_SUFFIX = ":skipped"
LIVE_MARK = ":live:"
# An effect of a reply (a post, DM or role grant a command asked for) is stored with the command's transaction,
# due only this long after it: the adapter sends it right after answering the user (Dispatcher.send_now), and
# should the process die before that, the dispatcher sends it once this has passed.
EFFECT_HOLD = timedelta(seconds=30)
EFFECT_PREFIX = "effect:"
# What a member is told when their role could not be granted waits this long for the adapter to say it in the
# conversation (a follow-up) before the dispatcher sends it as a DM instead.
NOTICE_HOLD = timedelta(seconds=30)
ROLE_REFUSED = "role-refused"
# A member whose DMs were refused is tried again at their next personal DM this long after (and at once after
# they used a command, or pressed "send me a test DM"): people open their DMs, and must not be cut off for good.
RETRY_CLOSED_DMS_AFTER = timedelta(days=3)
# The button under a DM's channel fallback: "send me a test DM" (bot/services/reachability.py answers it).
TEST_DM_ACTION = "delivery.test_dm"
# Discord shows at most 25 buttons a message.
MAX_BUTTONS = 25


def dm_worth_trying(member: Member, now: datetime) -> bool:
    """Whether a DM to the member is worth a try: their DMs are open, or were found closed long enough ago."""
    return member.dm_open or member.dm_closed_at is None or now - member.dm_closed_at >= RETRY_CLOSED_DMS_AFTER


def dm_worth_trying_clause(now: datetime) -> ColumnElement[bool]:
    """dm_worth_trying as a condition on Member, for planners that select members in SQL."""
    return or_(Member.dm_open.is_(True), Member.dm_closed_at.is_(None),
               Member.dm_closed_at <= now - RETRY_CLOSED_DMS_AFTER)


class RecipientUnreachable(Exception):
    """The platform refused a direct message: the member's DMs are closed."""


class RoleNotGranted(Exception):
    """The platform refused to give a member a role (the bot lacks the permission, or its role sits below)."""


class MessageMissing(Exception):
    """The platform no longer has a message the bot posted (someone deleted it, or its channel)."""


class Throttled(Exception):
    """The platform asked the bot to slow down (HTTP 429) and its client has stopped retrying by itself."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"rate limited; retry after {retry_after:.2f} s")
        self.retry_after = retry_after


_P = ParamSpec("_P")
_R = TypeVar("_R")


def throttling(retry_after_of: Callable[[Exception], float | None]
               ) -> Callable[[Callable[_P, Coroutine[Any, Any, _R]]], Callable[_P, Coroutine[Any, Any, _R]]]:
    """Decorate a Notifier's methods so that the platform's own "too many requests" error becomes Throttled.

    `retry_after_of` returns the seconds to wait for such an error, and None for any other error.
    """
    def decorate(method: Callable[_P, Coroutine[Any, Any, _R]]) -> Callable[_P, Coroutine[Any, Any, _R]]:
        @functools.wraps(method)
        async def translated(*args: _P.args, **kwargs: _P.kwargs) -> _R:
            try:
                return await method(*args, **kwargs)
            except Exception as exc:
                retry_after = None if isinstance(exc, Throttled) else retry_after_of(exc)
                if retry_after is None:
                    raise
                raise Throttled(max(retry_after, 0.0)) from exc
        return translated
    return decorate


def retry_delay(attempts: int) -> timedelta:
    """How long a delivery waits after its `attempts`-th failed try: 1, 4, 16 and 64 minutes.

    A failure that a moment fixes (a timeout, a 5xx) is over by then; one that lasts is not hammered.
    """
    return timedelta(minutes=4 ** (max(attempts, 1) - 1))


class Notifier(Protocol):
    """What delivery needs from a platform: DMs, channel posts that can be edited and pinned, roles."""

    async def send_direct(self, workspace: Workspace, member: Member, reply: Reply, *, nonce: str | None = None
                          ) -> str | None:
        """Send a DM; raise RecipientUnreachable when the member cannot be reached. Return the DM channel's id
        where the platform has one worth keeping (stored with the member), else None."""

    async def post(self, workspace: Workspace, channel: Channel, reply: Reply, *, nonce: str | None = None
                   ) -> str | None:
        """Post in one of the workspace's channels; return the message's platform id (None when not posted)."""

    async def edit(self, workspace: Workspace, channel: Channel, message_id: str, reply: Reply) -> None:
        """Replace a posted message's content and buttons; raise MessageMissing when it is gone."""

    async def pin(self, workspace: Workspace, channel: Channel, message_id: str) -> None:
        """Pin a posted message in its channel; raise MessageMissing when it is gone."""

    async def unpin(self, workspace: Workspace, channel: Channel, message_id: str) -> None:
        """Unpin a message; one that is gone needs no unpinning (no error)."""

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
    expired: int = 0


class _EncodedJSON(TypeDecorator[str]):
    """A value for a JSON column given as its encoded text (bound as JSON, not encoded a second time)."""

    impl = JSON
    cache_ok = True

    def bind_processor(self, dialect: Any) -> None:
        return None


@dataclass(frozen=True)
class _Claimed:
    """A delivery this run claimed, loaded with its message, its member (for a DM) and workspace."""

    id: int
    workspace_id: int
    reminder_id: int | None
    channel: str | None
    nonce: str
    attempts: int
    message: dict[str, Any]
    reply: Reply
    member: Member | None
    workspace: Workspace


@dataclass(frozen=True)
class _Outcome:
    """What became of one send, to be written with others."""

    delivery_id: int
    workspace_id: int
    reminder_id: int | None
    member_id: int | None
    status: str
    error: str | None = None
    # A pending outcome waits until then (None: as it was due).
    retry_at: datetime | None = None
    # Throttled: the seconds the platform asked to wait. Such a try does not count as an attempt.
    throttled: float | None = None
    # A role grant the platform refused: the member and the coordinators are told (not retried: it takes a fix).
    role_refused: Role | None = None
    # A DM channel the platform opened (or moved to) for the member: stored, so a restart need not open it again.
    dm_channel: str | None = None
    # A DM went through to a member whose DMs were marked closed: the mark is cleared.
    reopened: bool = False
    # Unreachable without a try (their DMs were found closed lately): the time of that finding stays as it is.
    untried: bool = False


class Dispatcher:
    """Ask the database what is due now, fan it out, send it, and tell the scheduler when to wake next."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        clock: Clock,
        quiet_hours: QuietHours,
        *,
        concurrency: int = 8,
        deferred_sessionmaker: async_sessionmaker[AsyncSession] | None = None,
    ) -> None:
        self._sessionmaker = sessionmaker
        # For units of work that only read: on SQLite they do not wait for (or take) the write lock.
        self._reader = sessionmaker if deferred_sessionmaker is None else deferred_sessionmaker
        self._clock = clock
        self._quiet_hours = quiet_hours
        self.concurrency = concurrency
        self._lock = asyncio.Lock()
        self.notifier: Notifier | None = None
        # The platforms whose deliveries this process sends (None: all). Another process, or no process at
        # all, serves the rest; their rows are neither claimed nor waited for here.
        self.platforms: frozenset[str] | None = None
        self.on_next_wake: Callable[[datetime | None], None] | None = None

    async def resume(self, platforms: Iterable[str] | None = None) -> int:
        """Put deliveries a crash left claimed back to pending (of these platforms only); call once at start."""
        async with self._sessionmaker() as session, session.begin():
            result = await session.execute(update(Delivery).where(Delivery.status == SENDING,
                                                                  *self._platform_filter(platforms))
                                           .values(status=PENDING))
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
        async with self._reader() as session:
            next_reminder = await session.scalar(
                select(func.min(Reminder.due_at)).where(Reminder.status == reminders.PENDING))
            next_delivery = await session.scalar(
                select(func.min(Delivery.not_before)).where(Delivery.status == PENDING,
                                                            *self._platform_filter(self.platforms)))
        # An aggregate loses the column's UTC decorator on some drivers: re-attach the zone.
        candidates = [_aware(t) for t in (next_reminder, next_delivery) if t is not None]
        return min(candidates, default=None)

    @staticmethod
    def _platform_filter(platforms: Iterable[str] | None) -> tuple[Any, ...]:
        """The condition that keeps deliveries to workspaces of the given platforms (none: all)."""
        if platforms is None:
            return ()
        return (Delivery.workspace_id.in_(select(Workspace.id).where(Workspace.platform.in_(sorted(platforms)))),)

    async def _fan_out_due(self, now: datetime, report: DispatchReport) -> None:
        async with self._reader() as session:
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
                    await self._note_skipped(session, reminder, now)
                    continue
                planner = reminders.planner_for(reminder.kind)
                if planner is None:
                    log.error("No planner for reminder kind %s (reminder %s)", reminder.kind, reminder.id)
                    reminder.status = reminders.SKIPPED
                    report.skipped.append(reminder.id)
                    await self._note_skipped(session, reminder, now)
                    continue
                planned = await planner(session, reminder, now)
                await self._add_deliveries(session, reminder, planned, now)
                report.fanned_out += 1

    async def _add_deliveries(self, session: AsyncSession, reminder: Reminder, planned: Iterable[reminders.Planned],
                              now: datetime) -> None:
        workspace = await session.get_one(Workspace, reminder.workspace_id)
        tz = ZoneInfo(workspace.timezone)
        existing = set(await session.scalars(select(Delivery.key).where(Delivery.reminder_id == reminder.id)))
        rows: list[dict[str, object]] = []
        # A fan-out sends the same Reply to many: serialize each one once, to the text the row stores.
        stored: dict[tuple[object, ...], str] = {}
        for item in planned:
            if item.live is not None:
                recipient = f"{LIVE_MARK[1:]}{item.live}"
            elif item.member_id is not None:
                recipient = f"member:{item.member_id}"
            else:
                recipient = f"channel:{item.channel}"
            key = f"{reminder.id}:{recipient}"
            if key in existing:
                continue
            existing.add(key)
            shape = (id(item.reply), item.live, item.pinned, item.expires_at, item.quiet)
            if shape not in stored:
                message = reply_to_json(item.reply)
                if item.live is not None:
                    message["live"] = {"key": item.live, "pinned": item.pinned}
                if item.expires_at is not None:
                    message["expires"] = item.expires_at.isoformat()
                if item.quiet:
                    message["quiet"] = True
                stored[shape] = json.dumps(message)
            if item.live is not None:
                # The newest state of a live message replaces one still waiting to go out (latest wins).
                await session.execute(
                    update(Delivery).where(Delivery.workspace_id == reminder.workspace_id, Delivery.status == PENDING,
                                           Delivery.key.endswith(LIVE_MARK + item.live, autoescape=True))
                    .values(status=CANCELLED))
            not_before = self._quiet_hours.adjust(now, tz) if item.member_id is not None else now
            rows.append({"workspace_id": reminder.workspace_id, "reminder_id": reminder.id,
                         "member_id": item.member_id, "channel": str(item.channel), "key": key,
                         "nonce": nonce_for(key), "message_text": stored[shape], "status": PENDING,
                         "not_before": not_before, "attempts": 0, "created_at": now})
        if rows:
            # One multi-row insert with the message encoded once, not an ORM object (and a JSON encoding) per
            # recipient: a stage may fan out to thousands.
            await session.execute(insert(Delivery.__table__).values(
                message=bindparam("message_text", type_=_EncodedJSON())), rows)

    async def _note_skipped(self, session: AsyncSession, reminder: Reminder, now: datetime) -> None:
        """Record, with the skip itself, that the coordinators are to be told (sent with the other skips)."""
        workspace = await session.get_one(Workspace, reminder.workspace_id)
        line = await reminders.describe(session, reminder, workspace.timezone)
        key = f"{reminder.id}{SKIPPED_SUFFIX}"
        session.add(Delivery(
            workspace_id=reminder.workspace_id, reminder_id=reminder.id, member_id=None,
            channel=str(Channel.COORDINATORS), key=key, nonce=nonce_for(key),
            message=reply_to_json(Reply(body=line, private=False)), status=PENDING, not_before=now, created_at=now))

    async def _send_due(self, now: datetime, report: DispatchReport) -> None:
        async with self._reader() as session:
            rows = (await session.execute(
                select(Delivery.id, Delivery.workspace_id, Delivery.key)
                .where(Delivery.status == PENDING, Delivery.not_before <= now, *self._platform_filter(self.platforms))
                .order_by(Delivery.id))).all()
        notices: dict[int, list[int]] = defaultdict(list)
        due: list[int] = []
        for delivery_id, workspace_id, key in rows:
            if key.endswith(SKIPPED_SUFFIX):
                notices[workspace_id].append(delivery_id)
            else:
                due.append(delivery_id)
        for workspace_id, notice_ids in notices.items():
            await self._send_skip_notice(workspace_id, notice_ids, now, report)
        if due:
            await self._send_ids(due, now, report)

    async def send_now(self, delivery_ids: Iterable[int]) -> DispatchReport:
        """Send these deliveries at once, whenever they are due (a reply's effects, right after its answer).

        Runs beside a dispatch run: both claim a row before sending it, so each is sent once. What the platform
        throttled or what failed waits for its retry time, and the scheduler is told when that is.
        """
        report = DispatchReport()
        ids = sorted(delivery_ids)
        if ids and self.notifier is not None:
            await self._send_ids(ids, self._clock.now(), report)
            if self.on_next_wake is not None and (report.failed or report.sent < len(ids)):
                self.on_next_wake(await self.next_due_at())
        return report

    async def _send_ids(self, due: list[int], now: datetime, report: DispatchReport) -> None:
        """Claim, send and mark these deliveries; then reach those whose DMs turned out closed in a channel."""
        semaphore = asyncio.Semaphore(self.concurrency)
        unreachable: dict[tuple[int, int | None], list[int]] = defaultdict(list)
        workspaces: dict[int, Workspace] = {}
        messages: dict[str, tuple[dict[str, Any], Reply]] = {}
        # Outcomes waiting to be written, each with what its send waits on; and the sends holding a slot.
        waiting: list[tuple[_Outcome, asyncio.Future[None]]] = []
        marking = asyncio.Lock()
        active = 0

        async def mark(outcome: _Outcome) -> None:
            """Write an outcome at once, together with every other that came meanwhile (a group commit)."""
            loop = asyncio.get_running_loop()
            written = loop.create_future()
            waiting.append((outcome, written))
            async with marking:
                if not written.done():
                    # A write costs about as much for one outcome as for eight: wait a moment for the other
                    # sends in flight to finish, so that they go in the same write.
                    until = loop.time() + MARK_GATHER
                    while len(waiting) < active and loop.time() < until:
                        await asyncio.sleep(MARK_GATHER / 10)
                    batch = waiting[:]
                    waiting.clear()
                    try:
                        await self._mark([o for o, _ in batch], now)
                    except Exception:  # noqa: BLE001 - left claimed: resumed at start (a nonce drops a repeat)
                        log.exception("Could not mark %d sent deliveries", len(batch))
                    for _, done in batch:
                        done.set_result(None)

        async def send_one(claimed: _Claimed) -> None:
            nonlocal active
            async with semaphore:
                active += 1
                try:
                    await send_and_mark(claimed)
                finally:
                    active -= 1

        async def send_and_mark(claimed: _Claimed) -> None:
            outcome = await self._send(claimed, now)
            for _ in range(THROTTLED_RETRIES):
                if outcome.throttled is None:
                    break
                # Waiting while holding the slot slows the whole fan-out down to the platform's pace; the
                # jitter keeps the waiting sends from all trying again in the same instant.
                wait = min(outcome.throttled, MAX_THROTTLE_WAIT)
                await asyncio.sleep(wait + random.uniform(0, max(wait, 0.1) / 4))
                outcome = await self._send(claimed, now)
            if outcome.status == SENT:
                report.sent += 1
            elif outcome.status == UNREACHABLE:
                report.unreachable += 1
                unreachable[(outcome.workspace_id, outcome.reminder_id)].append(outcome.delivery_id)
            elif outcome.status == FAILED:
                report.failed += 1
            elif outcome.status == EXPIRED:
                report.expired += 1
            # The slot is let go only once the outcome is written: a crash can leave at most the sends in
            # flight (the concurrency) sent and not marked, not a batch; those a restart sends again, and
            # only Discord's nonce (remembered for minutes) keeps them from doubling. Shielded: a stop in
            # the middle must not cut the write short.
            await asyncio.shield(mark(outcome))

        # A TaskGroup, not gather: if one send dies (cancellation at shutdown), the others stop too instead of
        # running on detached while a restart resumes the same rows. Batches are claimed while the sends of the
        # previous ones run.
        async with asyncio.TaskGroup() as group:
            for start in range(0, len(due), CLAIM_BATCH):
                for claimed in await self._claim(due[start:start + CLAIM_BATCH], workspaces, messages):
                    group.create_task(send_one(claimed))
        for (workspace_id, reminder_id), delivery_ids in unreachable.items():
            await self._mention_unreachable(workspace_id, reminder_id, delivery_ids)

    async def _claim(self, ids: list[int], workspaces: dict[int, Workspace],
                     messages: dict[str, tuple[dict[str, Any], Reply]]) -> list[_Claimed]:
        """Claim a batch of deliveries (pending becomes sending) and load them with their members, at once.

        A fan-out stores the same message for many recipients: each distinct one is decoded once (the text is
        read as it is stored, not decoded by the driver row by row).
        """
        async with self._sessionmaker() as session, session.begin():
            claimed = list(await session.scalars(
                update(Delivery).where(Delivery.id.in_(ids), Delivery.status == PENDING)
                .values(status=SENDING, attempts=Delivery.attempts + 1).returning(Delivery.id)
                .execution_options(synchronize_session=False)))
            if not claimed:
                return []  # another process or run took them
            rows = (await session.execute(
                select(Delivery.id, Delivery.workspace_id, Delivery.reminder_id, Delivery.channel, Delivery.nonce,
                       Delivery.attempts, cast(Delivery.message, SQLText), Member)
                .outerjoin(Member, Member.id == Delivery.member_id)
                .where(Delivery.id.in_(claimed)).order_by(Delivery.id))).all()
            for workspace_id in {row[1] for row in rows} - workspaces.keys():
                workspaces[workspace_id] = await session.get_one(Workspace, workspace_id)
        loaded = []
        for delivery_id, workspace_id, reminder_id, channel, nonce, attempts, raw, member in rows:
            if raw not in messages:
                message = json.loads(raw)
                messages[raw] = (message, reply_from_json(message))
            message, reply = messages[raw]
            loaded.append(_Claimed(delivery_id, workspace_id, reminder_id, channel, nonce, attempts, message, reply,
                                   member, workspaces[workspace_id]))
        return loaded

    async def _mark(self, outcomes: list[_Outcome], now: datetime) -> None:
        """Write what became of sent deliveries: one statement per status, one per failure (they carry errors)."""
        by_status: dict[str, list[int]] = defaultdict(list)
        # An effect (no reminder behind it) that went out has done its work: nothing repeats it (its key is
        # unique to its command), and a post that names a member is not kept beside the channel's copy.
        done_effects: list[int] = []
        async with self._sessionmaker() as session, session.begin():
            for outcome in outcomes:
                if outcome.error is None and outcome.status == SENT and outcome.reminder_id is None:
                    done_effects.append(outcome.delivery_id)
                    continue
                if outcome.error is None:
                    by_status[outcome.status].append(outcome.delivery_id)
                    continue
                values: dict[str, Any] = {"status": outcome.status, "last_error": outcome.error, "sent_at": None}
                if outcome.status == PENDING and outcome.retry_at is not None:
                    values["not_before"] = outcome.retry_at
                if outcome.throttled is not None:
                    values["attempts"] = Delivery.attempts - 1  # the platform's pace, not the message's fault
                await session.execute(
                    update(Delivery).where(Delivery.id == outcome.delivery_id, Delivery.status == SENDING)
                    .values(**values))
            if done_effects:
                await session.execute(delete(Delivery).where(Delivery.id.in_(done_effects),
                                                             Delivery.status == SENDING))
            for status, delivery_ids in by_status.items():
                await session.execute(
                    update(Delivery).where(Delivery.id.in_(delivery_ids), Delivery.status == SENDING)
                    .values(status=status, last_error=None, sent_at=now if status == SENT else None))
            closed = sorted({o.member_id for o in outcomes
                             if o.status == UNREACHABLE and not o.untried and o.member_id is not None})
            if closed:
                # (Again) refused: the next try waits RETRY_CLOSED_DMS_AFTER from now.
                await session.execute(update(Member).where(Member.id.in_(closed)).values(dm_open=False,
                                                                                      dm_closed_at=now))
            reopened = sorted({o.member_id for o in outcomes if o.reopened and o.member_id is not None})
            if reopened:
                await session.execute(update(Member).where(Member.id.in_(reopened)).values(dm_open=True,
                                                                                        dm_closed_at=None))
            for outcome in outcomes:
                if outcome.role_refused is not None and outcome.member_id is not None:
                    await _note_role_refused(session, outcome, now)
            opened = [{"member": o.member_id, "opened": o.dm_channel} for o in outcomes if o.dm_channel is not None]
            if opened:
                member = Member.__table__
                await session.execute(update(member).where(member.c.id == bindparam("member"))
                                      .values(dm_channel_id=bindparam("opened")), opened)

    async def _send(self, claimed: _Claimed, now: datetime) -> _Outcome:
        """Send one claimed delivery; the database is not touched here (but for a live message's id)."""
        assert self.notifier is not None
        delivery, member, workspace = claimed, claimed.member, claimed.workspace
        delivery_id = delivery.id
        reply = claimed.reply
        live = delivery.message.get("live")
        role = delivery.message.get("grant_role")
        status, error = SENT, None
        expires = delivery.message.get("expires")
        try:
            if expires is not None and self._clock.now() > datetime.fromisoformat(expires):
                # Held back by quiet hours, or resumed after a long stop: what it was about is over.
                status = EXPIRED
                log.info("Delivery %s expired before it could be sent", delivery_id)
            elif role is not None:
                if member is not None:
                    await self.notifier.grant_role(workspace, member, Role(role))
            elif member is not None:
                # Planners decide who wants DMs; here only reachability counts.
                if not dm_worth_trying(member, now):
                    return _Outcome(delivery_id, delivery.workspace_id, delivery.reminder_id, member.id,
                                    UNREACHABLE, untried=True)
                used = await self.notifier.send_direct(workspace, member, reply, nonce=delivery.nonce)
                if not member.dm_open or (used is not None and used != member.dm_channel_id):
                    return _Outcome(delivery_id, delivery.workspace_id, delivery.reminder_id, member.id, SENT,
                                    dm_channel=used if used != member.dm_channel_id else None,
                                    reopened=not member.dm_open)
            elif live is not None:
                await self._update_live(workspace, Channel(delivery.channel), str(live["key"]),
                                        bool(live["pinned"]), reply, delivery.nonce, now)
            else:
                await self.notifier.post(workspace, Channel(delivery.channel), reply, nonce=delivery.nonce)
        except RecipientUnreachable:
            status = UNREACHABLE
        except RoleNotGranted as exc:
            log.warning("Delivery %s: the platform refused the %s role (%s)", delivery_id, role, exc)
            return _Outcome(delivery_id, delivery.workspace_id, delivery.reminder_id,
                            member.id if member is not None else None, FAILED, f"RoleNotGranted: {exc}"[:500],
                            role_refused=Role(role))
        except Throttled as exc:
            log.info("Delivery %s was throttled; trying again in %.2f s", delivery_id, exc.retry_after)
            return _Outcome(delivery_id, delivery.workspace_id, delivery.reminder_id,
                            member.id if member is not None else None, PENDING, f"Throttled: {exc}",
                            retry_at=self._clock.now() + timedelta(seconds=exc.retry_after),
                            throttled=exc.retry_after)
        except Exception as exc:  # noqa: BLE001 - one failing send must not stop the fan-out
            log.exception("Delivery %s failed", delivery_id)
            status = FAILED if delivery.attempts >= MAX_ATTEMPTS else PENDING
            error = f"{type(exc).__name__}: {exc}"[:500]
            retry_at = self._clock.now() + retry_delay(delivery.attempts)
            if member is not None and role is None:
                # A DM tried again is still no message at night (a role is no message: it goes at once).
                retry_at = self._quiet_hours.adjust(retry_at, ZoneInfo(workspace.timezone))
            return _Outcome(delivery_id, delivery.workspace_id, delivery.reminder_id,
                            member.id if member is not None else None, status, error, retry_at=retry_at)
        return _Outcome(delivery_id, delivery.workspace_id, delivery.reminder_id,
                        member.id if member is not None else None, status, error)

    async def _update_live(self, workspace: Workspace, channel: Channel, key: str, pinned: bool, reply: Reply,
                           nonce: str, now: datetime) -> None:
        """Edit the live message under `key`, or post it (again, if someone deleted it); then pin or unpin it."""
        assert self.notifier is not None
        async with self._reader() as session:
            row = await session.scalar(select(LiveMessage).where(LiveMessage.workspace_id == workspace.id,
                                                                 LiveMessage.key == key))
        message_id = row.message_id if row is not None and row.channel == str(channel) else None
        is_pinned = bool(row is not None and row.pinned and message_id is not None)
        if message_id is not None:
            try:
                await self.notifier.edit(workspace, channel, message_id, reply)
            except MessageMissing:
                log.info("Live message %s of workspace %s is gone; posting it again", key, workspace.id)
                message_id, is_pinned = None, False
        if message_id is None:
            message_id = await self.notifier.post(workspace, channel, reply, nonce=nonce)
            # Store the id at once: a crash before the pin must not make the next update post a second message.
            await self._store_live(workspace.id, key, channel, message_id, False, now)
            if message_id is None:
                return  # the channel is not set up; the next update tries again
        if pinned == is_pinned:
            return
        try:
            if pinned:
                await self.notifier.pin(workspace, channel, message_id)
            else:
                await self.notifier.unpin(workspace, channel, message_id)
        except MessageMissing:
            # Deleted between the post and the pin: the next update posts it again.
            await self._store_live(workspace.id, key, channel, None, False, now)
            return
        except Exception:  # noqa: BLE001 - the message is there; a missing pin permission must not resend it
            log.exception("Could not %s live message %s of workspace %s", "pin" if pinned else "unpin", key,
                          workspace.id)
            return
        await self._store_live(workspace.id, key, channel, message_id, pinned, now)

    async def _store_live(self, workspace_id: int, key: str, channel: Channel, message_id: str | None, pinned: bool,
                          now: datetime) -> None:
        values = {"channel": str(channel), "message_id": message_id, "pinned": pinned, "updated_at": now}
        for _ in range(2):
            try:
                async with self._sessionmaker() as session, session.begin():
                    updated = await session.execute(
                        update(LiveMessage).where(LiveMessage.workspace_id == workspace_id, LiveMessage.key == key)
                        .values(**values))
                    if not updated.rowcount:
                        session.add(LiveMessage(workspace_id=workspace_id, key=key, created_at=now, **values))
                return
            except IntegrityError:
                # Another process stored the same live message at that moment: update it instead.
                continue

    async def _send_skip_notice(self, workspace_id: int, delivery_ids: list[int], now: datetime,
                                report: DispatchReport) -> None:
        """Tell the coordinators in one message which reminders were skipped because they came too late."""
        assert self.notifier is not None
        claimed: list[int] = []
        for delivery_id in delivery_ids:
            async with self._sessionmaker() as session, session.begin():
                result = await session.execute(
                    update(Delivery).where(Delivery.id == delivery_id, Delivery.status == PENDING)
                    .values(status=SENDING, attempts=Delivery.attempts + 1))
            if result.rowcount:
                claimed.append(delivery_id)
        if not claimed:
            return
        async with self._reader() as session:
            deliveries = list(await session.scalars(select(Delivery).where(Delivery.id.in_(claimed))
                                                    .order_by(Delivery.id)))
            workspace = await session.get_one(Workspace, workspace_id)
        lines: list[Renderable] = [line for d in deliveries if (line := reply_from_json(d.message).body) is not None]
        listed = Join(tuple(lines), "\n", "• ")  # type: ignore[arg-type]
        reply = Reply(title=text("delivery.skipped.title", count=len(lines)),
                      body=text("delivery.skipped.body", lines=listed), private=False)
        values: dict[str, Any] = {"status": SENT, "last_error": None, "sent_at": now}
        try:
            await self.notifier.post(workspace, Channel.COORDINATORS, reply,
                                     nonce=nonce_for("skipped:" + ",".join(map(str, claimed))))
        except Throttled as exc:
            values = {"status": PENDING, "last_error": f"Throttled: {exc}", "sent_at": None,
                      "not_before": self._clock.now() + timedelta(seconds=exc.retry_after),
                      "attempts": Delivery.attempts - 1}
        except Exception as exc:  # noqa: BLE001 - retried later, like any delivery
            log.exception("Could not tell the coordinators of workspace %s about skipped reminders", workspace_id)
            attempts = max(d.attempts for d in deliveries)
            values = {"status": FAILED if attempts >= MAX_ATTEMPTS else PENDING,
                      "last_error": f"{type(exc).__name__}: {exc}"[:500], "sent_at": None,
                      "not_before": self._clock.now() + retry_delay(attempts)}
        status = values["status"]
        async with self._sessionmaker() as session, session.begin():
            await session.execute(
                update(Delivery).where(Delivery.id.in_(claimed), Delivery.status == SENDING).values(**values))
        if status == SENT:
            report.sent += len(claimed)
        elif status == FAILED:
            report.failed += len(claimed)

    async def _mention_unreachable(self, workspace_id: int, reminder_id: int | None, delivery_ids: list[int]
                                   ) -> None:
        """Reach members whose DMs are closed in a channel: one message per distinct text, mentioning them all.

        A broadcast (the same text to everyone) becomes one message; personal texts (each member's own next
        step or question) stay apart, so nobody is shown someone else's message as their own.
        """
        assert self.notifier is not None
        async with self._reader() as session:
            rows = (await session.execute(
                select(Delivery, Member).join(Member, Member.id == Delivery.member_id)
                .where(Delivery.id.in_(delivery_ids)).order_by(Delivery.id))).all()
            workspace = await session.get_one(Workspace, workspace_id)
        groups: dict[tuple[str, str], list[tuple[Delivery, Member]]] = defaultdict(list)
        for delivery, member in rows:
            if delivery.message.get("quiet"):
                continue  # not worth a mention in a channel
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


def store_effects(session: AsyncSession, workspace_id: int, effects: Iterable[Effect], now: datetime
                  ) -> list[Delivery]:
    """Store a reply's effects as deliveries in the reply's own unit of work, so that none is lost.

    They are due EFFECT_HOLD from now: the adapter answers the user first and then sends them at once
    (Dispatcher.send_now); should it never get there, the dispatcher does. Flush the session for their ids.
    """
    token = secrets.token_hex(8)
    rows = []
    for number, effect in enumerate(effects):
        key = f"{EFFECT_PREFIX}{token}:{number}"
        member_id: int | None = None
        if isinstance(effect, PostToChannel):
            channel, message = effect.channel, reply_to_json(effect.reply)
        elif isinstance(effect, SendDirect):
            # A DM, and the channel where the member is mentioned instead when their DMs are closed.
            member_id, channel, message = effect.member_id, effect.fallback, reply_to_json(effect.reply)
        else:
            member_id, channel = effect.member_id, Channel.WELCOME
            message = {**reply_to_json(Reply()), "grant_role": str(effect.role)}
        row = Delivery(workspace_id=workspace_id, reminder_id=None, member_id=member_id, channel=str(channel),
                       key=key, nonce=nonce_for(key), message=message, status=PENDING,
                       not_before=now + EFFECT_HOLD, attempts=0, created_at=now)
        session.add(row)
        rows.append(row)
    return rows


async def _note_role_refused(session: AsyncSession, outcome: _Outcome, now: datetime) -> None:
    """Store what the member and the coordinators are told when a role could not be granted.

    The member's notice waits NOTICE_HOLD, so that the adapter can say it in the conversation instead
    (claim_notices); the coordinators' goes out at once and says what to fix.
    """
    assert outcome.role_refused is not None and outcome.member_id is not None
    member = await session.get_one(Member, outcome.member_id)
    workspace = await session.get_one(Workspace, outcome.workspace_id)
    role_id = workspace.member_role_id if outcome.role_refused is Role.MEMBER else workspace.coordinator_role_id
    role = Mention("role", role_id) if role_id else Literal(str(outcome.role_refused))
    to_member = Reply(body=text("delivery.role_refused.member", role=role), private=False)
    to_coordinators = Reply(body=text("delivery.role_refused.coordinators", member=Mention("user", member.external_id),
                                      role=role), private=False)
    prefix = f"{ROLE_REFUSED}:{outcome.delivery_id}"
    for key, member_id, channel, reply, not_before in (
            (f"{prefix}:member", member.id, Channel.WELCOME, to_member, now + NOTICE_HOLD),
            (f"{prefix}:coordinators", None, Channel.COORDINATORS, to_coordinators, now)):
        # A grant tried again after /setup and refused again is not announced twice.
        await session.execute(insert_or_ignore(session, Delivery, ("key",), {
            "workspace_id": outcome.workspace_id, "reminder_id": None, "member_id": member_id,
            "channel": str(channel), "key": key, "nonce": nonce_for(key), "message": reply_to_json(reply),
            "status": PENDING, "not_before": not_before, "attempts": 0, "created_at": now}))


async def retry_refused_roles(session: AsyncSession, workspace_id: int, now: datetime) -> int:
    """Try again every role grant the platform refused in a workspace (after a coordinator fixed the cause)."""
    result = await session.execute(
        update(Delivery).where(Delivery.workspace_id == workspace_id, Delivery.status == FAILED,
                               Delivery.last_error.startswith("RoleNotGranted"))
        .values(status=PENDING, attempts=0, not_before=now, last_error=None))
    if result.rowcount:
        reminders.note_planned(session, now)
    return result.rowcount or 0


async def claim_notices(session: AsyncSession, effect_ids: Iterable[int]) -> list[tuple[int, Reply]]:
    """Claim the notices for the acting member that these effects left (a role that was refused), to be said
    in the conversation: they go from pending to sending; mark them with mark_notices once said."""
    keys = [f"{ROLE_REFUSED}:{effect_id}:member" for effect_id in effect_ids]
    rows = list(await session.scalars(
        update(Delivery).where(Delivery.key.in_(keys), Delivery.status == PENDING)
        .values(status=SENDING, attempts=Delivery.attempts + 1).returning(Delivery)
        .execution_options(synchronize_session=False)))
    return [(row.id, reply_from_json(row.message)) for row in rows]


async def mark_notices(session: AsyncSession, notice_ids: Iterable[int], said: bool, now: datetime) -> None:
    """Forget claimed notices that were said (as a sent effect is), or make them due at once (by DM)."""
    claimed = (Delivery.id.in_(list(notice_ids)), Delivery.status == SENDING)
    if said:
        await session.execute(delete(Delivery).where(*claimed))
    else:
        await session.execute(update(Delivery).where(*claimed).values(status=PENDING, not_before=now))


def channel_fallback(reply: Reply, mentions: tuple[str, ...]) -> Reply:
    """Turn a DM into a channel message for members whose DMs are closed: mention them, say why and how to allow
    DMs, with a button that sends the presser a test DM."""
    test = Button(text("delivery.button.test_dm"), TEST_DM_ACTION, style=ButtonStyle.SECONDARY)
    return Reply(body=text("delivery.dm_closed_fallback", body=reply.body) if reply.body else None,
                 title=reply.title, fields=reply.fields, buttons=(*reply.buttons, test)[:MAX_BUTTONS],
                 links=reply.links, private=False, mentions=mentions)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)
