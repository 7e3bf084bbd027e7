"""Delivery: fan due reminders out into one row per recipient, send each once, and apply effects.

The database is the truth. A reminder becomes delivery rows with unique keys (so a second fan-out adds
nothing); a row is claimed before it is sent, marked as being sent when its send starts, and marked after the
platform accepted it. Rows a crash left claimed go back to pending at start; the few that were being sent are
looked up with the platform (Notifier.find_sent) before they go again, so that nobody gets a message twice.

Several processes may share the database (bot.processes): a claim names its process (claimed_by), claims skip
rows another process has locked (PostgreSQL's FOR UPDATE SKIP LOCKED), and only the claims of a process found
dead, or of this process's previous run, are given back.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import json
import logging
import random
import secrets
import typing
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Coroutine, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any, ParamSpec, Protocol, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import (
    JSON,
    ColumnElement,
    CursorResult,
    Executable,
    and_,
    bindparam,
    cast,
    delete,
    func,
    or_,
    select,
    update,
)
from sqlalchemy import Text as SQLText
from sqlalchemy import text as sql_text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
)
from sqlalchemy.orm import load_only
from sqlalchemy.types import TypeDecorator

from bot import contributions, reminders
from bot.clock import Clock
from bot.db import SQLITE_BUSY_TIMEOUT_MS, insert_or_ignore
from bot.models import UNTOLD, Delivery, LiveMessage, Member, Reminder, Workspace
from bot.outcomes import (
    CLAIMED,
    SENDING,
    OutcomeWrite,
    sqlite_outcome_writer,
    write_with_sqlalchemy,
)
from bot.platforms import mention_limits
from bot.processes import live_processes
from bot.replies import (
    Button,
    ButtonStyle,
    Channel,
    Effect,
    GrantRole,
    Join,
    Literal,
    Mention,
    PostToChannel,
    Renderable,
    Reply,
    RevokeRole,
    Role,
    SendDirect,
    Text,
    more_than_shown,
    reply_from_json,
    reply_to_json,
    text,
)
from bot.services import audience

log = logging.getLogger(__name__)

PENDING = "pending"
# CLAIMED: claimed by a dispatch run and waiting for a free slot: never started, so a crash leaves nothing in
# doubt. SENDING: being sent: the platform may or may not have it. After a crash these (at most the
# Dispatcher's concurrency) are checked with the platform before they are sent again (Notifier.find_sent).
# (Defined in bot.outcomes, which writes them.)
SENT = "sent"
UNREACHABLE = "unreachable"
FAILED = "failed"
CANCELLED = "cancelled"
# Not sent: by the time it could go out, what it was about had passed (Planned.expires_at).
EXPIRED = "expired"
# The entry that marks a stored DM as urgent (Planned.urgent): quiet hours do not hold it back.
URGENT_ENTRY = "urgent"
MAX_ATTEMPTS = 5
# What a send's outcome is called in the metrics (DispatchReport.outcomes): a pending one was a failure to try
# again; a throttled try is counted as THROTTLED, whatever its status.
OUTCOME_LABELS = {SENT: SENT, UNREACHABLE: UNREACHABLE, FAILED: FAILED, EXPIRED: EXPIRED, PENDING: "retry"}
THROTTLED = "throttled"
# A send the platform throttled (HTTP 429 even after its client's own retries) is tried again in the same run,
# after the wait the platform named, this many times; then it goes back to pending with the attempt not
# counted. A rate limit is the platform's pace, not a fault of the message.
THROTTLED_RETRIES = 5
MAX_THROTTLE_WAIT = 60.0
# The PostgreSQL channel on which a process says it fanned something out that is due now ("<process id>
# <ISO time>"): the other processes join the sending (bot.scheduling.DueListener).
DUE_CHANNEL = "jobbskaparna_due"
# Deliveries claimed (and loaded) in one statement: the database work of claiming a fan-out to thousands grows
# by batches, not by messages. (Outcomes are written as they come, several at once: see _send_ids.)
CLAIM_BATCH = 500
# What a delivery that was being sent when the bot stopped says until it is sent: in doubt whether the
# platform got it, it is checked with the platform before it goes again.
INTERRUPTED = "Interrupted: the bot stopped while sending this"
# The key suffix of a delivery that tells the coordinators a reminder was skipped; these are sent together.
SKIPPED_SUFFIX = ":skipped"
LIVE_MARK = ":live:"
# An effect of a reply (a post, DM or role grant a command asked for) is stored with the command's
# transaction, due only this long after it: the adapter sends it right after answering the user
# (Dispatcher.send_now), and should the process die before that, the dispatcher sends it once this has passed.
EFFECT_HOLD = timedelta(seconds=30)
EFFECT_PREFIX = "effect:"
# What a member is told when their role could not be granted waits this long for the adapter to say it in the
# conversation (a follow-up) before the dispatcher sends it as a DM instead.
NOTICE_HOLD = timedelta(seconds=30)
ROLE_REFUSED = "role-refused"
# The entries of a stored effect that takes a role from a user (by platform id), or deletes a post.
REVOKE_ROLE = "revoke_role"
DELETE_POST = "delete_post"
# A member whose DMs were refused is tried again at their next personal DM this long after (and at once after
# they used a command, or pressed "send me a test DM"): people open their DMs, and must not be cut off for
# good.
RETRY_CLOSED_DMS_AFTER = timedelta(days=3)
# A planner's channel post for the members who get no DM mentions at most this many of them (the others see
# the post all the same): a longer list of pings is noise.
MAX_MENTIONS = 50
# The button under a DM's channel fallback: "send me a test DM" (bot/services/reachability.py answers it).
TEST_DM_ACTION = "delivery.test_dm"
# The button under a personal DM's channel fallback: "show me my message", privately (reachability.py too).
SHOW_PERSONAL_ACTION = "delivery.show_personal"
# Discord shows at most 25 buttons a message.
MAX_BUTTONS = 25
# The key mark of a channel message that mentions members whose DMs were refused (a "fallback"): stored before
# it is sent, one per run of members that fits one message of the platform (bot.platforms.mention_limits).
FALLBACK_MARK = ":fallback:"
# The entry that marks a stored message as a fallback: its post must land, so a channel that takes nothing
# (not set up, gone, closed to the bot) is a refusal, not a message sent.
FALLBACK_ENTRY = "fallback"
NOT_POSTED = "NotPosted"
# A refused DM whose fallback failed as well keeps why, as "FallbackFailed: <the fallback's error>" (for the
# digest and /report: the member was reached neither way).
FALLBACK_FAILED = "FallbackFailed"
# The key prefix of the coordinators' notice that a fallback did not get through (a plain post: if it fails
# too, nothing more is sent about it).
UNREACHED_PREFIX = "unreached:"
# Members named in that notice; the rest are counted.
UNREACHED_SHOWN = 20
# Every run looks for refused DMs without a fallback and failed fallbacks the coordinators were not told of:
# asked with the partial index's own condition, spelled as in the index, so that SQLite uses it.
UNTOLD_INDEXED = sql_text(UNTOLD)


# The member's columns a send reads (the notifiers' and dm_worth_trying's); a claim loads only these.
SENDING_NEEDS = (Member.id, Member.workspace_id, Member.external_id, Member.display_name, Member.language,
                 Member.dm_open, Member.dm_closed_at, Member.dm_channel_id)


def dm_worth_trying(member: Member, now: datetime) -> bool:
    """Whether a DM to the member is worth a try: their DMs are open, or were found closed long enough ago."""
    return (
        member.dm_open or member.dm_closed_at is None or now - member.dm_closed_at >= RETRY_CLOSED_DMS_AFTER
    )


def dm_worth_trying_clause(now: datetime) -> ColumnElement[bool]:
    """dm_worth_trying as a condition on Member, for planners that select members in SQL."""
    return or_(Member.dm_open.is_(True), Member.dm_closed_at.is_(None),
               Member.dm_closed_at <= now - RETRY_CLOSED_DMS_AFTER)


def wants_dm(member: Member, now: datetime) -> bool:
    """Whether a planner sends the member a DM: they asked for them, and a DM is worth a try (the others are
    mentioned in the channel's post instead)."""
    return member.dm_reminders and dm_worth_trying(member, now)


def wants_dm_clause(now: datetime) -> ColumnElement[bool]:
    """wants_dm as a condition on Member, for planners that select members in SQL (never NULL: neither
    dm_reminders nor dm_open is nullable)."""
    return and_(Member.dm_reminders.is_(True), dm_worth_trying_clause(now))


async def channel_mentions(session: AsyncSession, where: Sequence[ColumnElement[bool]], about: str,
                           *args: object) -> tuple[str, ...]:
    """The members (`where`, by id) a planner's channel post mentions, at most MAX_MENTIONS, read in SQL a
    bounded page; when some are left out, the log says how many (as capped_mentions does)."""
    shown = list(await session.scalars(select(Member.external_id).where(*where).order_by(Member.id)
                                       .limit(MAX_MENTIONS)))
    if len(shown) == MAX_MENTIONS:
        total = await session.scalar(select(func.count()).select_from(Member).where(*where)) or 0
        if total > MAX_MENTIONS:
            log.warning(about + ": %d members mentioned, %d left out", *args, MAX_MENTIONS,
                        total - MAX_MENTIONS)
    return tuple(shown)


def capped_mentions(members: Sequence[Member], about: str, *args: object) -> tuple[str, ...]:
    """The members a planner's channel post mentions instead of DMing them, at most MAX_MENTIONS; when some
    are left out, the log says so and names the post (`about` % `args`, e.g. "Ask round of issue %s", 12)."""
    if len(members) > MAX_MENTIONS:
        log.warning(about + ": %d members mentioned, %d left out", *args, MAX_MENTIONS,
                    len(members) - MAX_MENTIONS)
    return tuple(m.external_id for m in members[:MAX_MENTIONS])


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

    async def send_direct(
        self, workspace: Workspace, member: Member, reply: Reply, *, nonce: str | None = None
    ) -> str | None:
        """Send a DM; raise RecipientUnreachable when the member cannot be reached. Return the DM channel's id
        where the platform has one worth keeping (stored with the member), else None."""

    async def post(self, workspace: Workspace, channel: Channel, reply: Reply, *, nonce: str | None = None
                   ) -> str | None:
        """Post in one of the workspace's channels; return the message's platform id (None when not
        posted)."""

    async def edit(self, workspace: Workspace, channel: Channel, message_id: str, reply: Reply) -> None:
        """Replace a posted message's content and buttons; raise MessageMissing when it is gone."""

    async def pin(self, workspace: Workspace, channel: Channel, message_id: str) -> None:
        """Pin a posted message in its channel; raise MessageMissing when it is gone."""

    async def unpin(self, workspace: Workspace, channel: Channel, message_id: str) -> None:
        """Unpin a message; one that is gone needs no unpinning (no error)."""

    async def grant_role(self, workspace: Workspace, member: Member, role: Role) -> None:
        """Give a member one of the workspace's roles."""

    async def revoke_role(self, workspace: Workspace, external_id: str, role: Role) -> None:
        """Take one of the workspace's roles from a user (by platform id); one who does not hold it, or left,
        needs nothing."""

    async def delete_post(self, workspace: Workspace, channel: Channel, message_id: str) -> None:
        """Delete a message the bot posted in one of the workspace's channels (a forum post: its thread); one
        that is gone needs nothing."""

    async def find_sent(self, workspace: Workspace, member: Member | None, channel: Channel, reply: Reply, *,
                        since: datetime) -> bool | None:
        """Whether the platform already has this message, sent by the bot since `since`: a DM to `member`, or
        (member None) a post in `channel`. None when it cannot tell. Asked only of a delivery that was being
        sent when the bot stopped, so that it is not sent twice once the platform forgot its nonce."""


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
        quiet = (
            (hour >= self.start or hour < self.end)
            if self.start > self.end
            else self.start <= hour < self.end
        )
        if not quiet:
            return when
        day = local.date() if hour < self.end else local.date() + timedelta(days=1)
        # Build the wall-clock time in the zone, so the daylight-saving change is handled by zoneinfo.
        return datetime.combine(day, time(self.end), tzinfo=tz).astimezone(when.tzinfo)


def nonce_for(key: str) -> str:
    """Derive a stable message nonce (Discord allows 25 characters) from a delivery key."""
    return hashlib.blake2b(key.encode(), digest_size=10).hexdigest()


async def _execute_dml(session: AsyncSession, statement: Executable) -> CursorResult[Any]:
    """Run an INSERT, UPDATE or DELETE without RETURNING; its result is a CursorResult (it has the rowcount),
    though Session.execute() is typed to return a plain Result."""
    return typing.cast(CursorResult[Any], await session.execute(statement))


@dataclass
class DispatchReport:
    """What one dispatch run did, for logs, the console and tests."""

    fanned_out: int = 0
    skipped: list[int] = field(default_factory=list)
    sent: int = 0
    unreachable: int = 0
    failed: int = 0
    expired: int = 0
    # Each send's outcome by the platform it went to, for the metrics (bot.metrics): "sent", "unreachable",
    # "failed" (for good), "expired", "retry" (failed, to be tried again) and "throttled" (each try the
    # platform throttled).
    outcomes: Counter[tuple[str, str]] = field(default_factory=Counter)

    def tally(self, platform: str, outcome: _Outcome) -> None:
        """Count one send's outcome under its platform."""
        label = THROTTLED if outcome.throttled is not None else OUTCOME_LABELS.get(outcome.status)
        if label is not None:
            self.outcomes[(platform, label)] += 1


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
    # It was being sent when the bot stopped (INTERRUPTED): the platform is asked first whether it has it.
    interrupted: bool
    created_at: datetime

    @property
    def post_channel(self) -> Channel:
        """The channel a post (a delivery without a member) goes to; such rows are stored with one."""
        if self.channel is None:
            raise ValueError(f"delivery {self.id} has neither a member nor a channel")
        return Channel(self.channel)


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
    # A role grant the platform refused: the member and the coordinators are told (not retried: it takes a
    # fix).
    role_refused: Role | None = None
    # A DM channel the platform opened (or moved to) for the member: stored, so a restart need not open it
    # again.
    dm_channel: str | None = None
    # A DM went through to a member whose DMs were marked closed: the mark is cleared.
    reopened: bool = False
    # Unreachable without a try (their DMs were found closed lately): the time of that finding stays as it is.
    untried: bool = False



def _recipient(item: reminders.Planned) -> str:
    """Who a planned message goes to, as its delivery key names them (after the reminder's id)."""
    if item.live is not None:
        return f"{LIVE_MARK[1:]}{item.live}"
    if item.member_id is not None:
        return f"member:{item.member_id}"
    return f"channel:{item.channel}"


def _coordinators_notice(workspace_id: int, reminder_id: int | None, key: str, reply: Reply, now: datetime
                         ) -> Delivery:
    """A message to the coordinators' channel about a reminder, stored to go out with the next sends."""
    return Delivery(workspace_id=workspace_id, reminder_id=reminder_id, member_id=None,
                    channel=str(Channel.COORDINATORS), key=key, nonce=nonce_for(key),
                    message=reply_to_json(reply), status=PENDING, not_before=now, attempts=0, created_at=now)

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
        self._engine: AsyncEngine = sessionmaker.kw["bind"]
        # Outcomes are written for every few sends: on a SQLite file, by a writer of its own (bot.outcomes).
        self._fast_writer = sqlite_outcome_writer(self._engine, SQLITE_BUSY_TIMEOUT_MS)
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
        # Told what each run did, once it is complete (the metrics count it).
        self.on_report: Callable[[DispatchReport], None] | None = None
        # This process's id in the registry (bot.processes), set at start: its claims carry it, and only a
        # dead process's claims are given back. None (no registry: tests of one dispatcher): every claim is
        # this process's, and resume() gives them all back.
        self.process_id: int | None = None
        # On PostgreSQL claims wait for no lock another process holds (SKIP LOCKED); SQLite has one writer.
        self._postgres = self._engine.dialect.name == "postgresql"

    def _held(self, column: Any) -> ColumnElement[bool]:
        """The condition that a claim (`column`: Delivery.claimed_by or Reminder.claimed_by) is this
        process's."""
        return typing.cast(ColumnElement[bool], column.is_not_distinct_from(self.process_id))

    async def resume(self, platforms: Iterable[str] | None = None) -> int:
        """Put deliveries a crash left claimed back to pending; call once at start.

        With a registry (process_id set), what goes back is what this process's previous run held (before
        registering it held nothing) and what dead processes held, of any platform; the live processes' claims
        stay theirs. Without one, every claim of these platforms goes back. Those that were being sent are
        marked INTERRUPTED: the platform may have them, and their next send asks it first (Discord forgets a
        nonce after minutes, and Slack has none).
        """
        if self.process_id is not None:
            return await self._give_back_dead(self._clock.now(), at_start=True)
        platform = self.platform_filter(platforms)
        # A fan-out in batches that a crash cut short is planned again (it writes only what is missing).
        reminder_platform = () if platforms is None else (
            Reminder.workspace_id.in_(select(Workspace.id).where(Workspace.platform.in_(sorted(platforms)))),)
        async with self._engine.begin() as connection:
            count = await _give_back(connection, platform, platform)
            fanning = await connection.execute(update(Reminder).where(Reminder.status == reminders.FANNING,
                                                                      *reminder_platform)
                                               .values(status=reminders.PENDING, claimed_by=None))
        if count:
            log.info("Resuming %d deliveries that were being sent when the bot stopped", count)
        if fanning.rowcount:
            log.info("Resuming %d fan-outs that were being planned when the bot stopped", fanning.rowcount)
        return count

    async def give_back_dead(self, now: datetime) -> int:
        """Give back what processes found dead at `now` held (at each heartbeat); return how many deliveries
        and fan-outs went back. Two processes doing it at once give each row back once (the conditions are
        checked again under the row's lock)."""
        return await self._give_back_dead(now, at_start=False)

    async def _give_back_dead(self, now: datetime, *, at_start: bool) -> int:
        live = live_processes(now)

        def gone(column: Any) -> ColumnElement[bool]:
            dead = and_(column.is_not(None), column != self.process_id, column.not_in(live))
            # At start this process holds nothing: its previous run's claims (SQLite may give a registry id
            # out again) go back, and so do claims that name no process (rows claimed before there was a
            # registry).
            return or_(dead, column.is_(None), column == self.process_id) if at_start else dead

        async with self._engine.begin() as connection:
            count = await _give_back(connection, (gone(Delivery.claimed_by),), (gone(Delivery.claimed_by),))
            # A fan-out in batches cut short is planned again (it writes only what is missing).
            fanning = await connection.execute(update(Reminder).where(Reminder.status == reminders.FANNING,
                                                                      gone(Reminder.claimed_by))
                                               .values(status=reminders.PENDING, claimed_by=None))
        if count:
            log.info("Resuming %d deliveries that %s held", count,
                     "this process's last run or a dead process" if at_start else "a dead process")
        if fanning.rowcount:
            log.info("Resuming %d fan-outs that %s was planning", fanning.rowcount,
                     "this process's last run or a dead process" if at_start else "a dead process")
        return count + (fanning.rowcount or 0)

    async def run_due(self) -> DispatchReport:
        """Fan out every due reminder and send every due delivery; safe to call at any time, any number of
        times."""
        async with self._lock:
            report = DispatchReport()
            now = self._clock.now()
            await self._fan_out_due(now, report)
            if self.notifier is not None:
                await self._send_due(now, report)
            if self.on_next_wake is not None:
                self.on_next_wake(await self.next_due_at())
            if report.fanned_out or report.sent or report.skipped:
                log.info(
                    "Dispatch: %d fanned out, %d skipped, %d sent, %d unreachable, %d failed",
                    report.fanned_out,
                    len(report.skipped),
                    report.sent,
                    report.unreachable,
                    report.failed,
                )
            if self.on_report is not None:
                self.on_report(report)
            return report

    async def next_due_at(self) -> datetime | None:
        """Return when something next falls due: a pending reminder or a delivery waiting out quiet hours."""
        async with self._reader() as session:
            next_reminder = await session.scalar(
                select(func.min(Reminder.due_at)).where(Reminder.status == reminders.PENDING))
            next_delivery = await session.scalar(
                select(func.min(Delivery.not_before)).where(Delivery.status == PENDING,
                                                            *self.platform_filter(self.platforms)))
        # An aggregate loses the column's UTC decorator on some drivers: re-attach the zone.
        candidates = [_aware(t) for t in (next_reminder, next_delivery) if t is not None]
        return min(candidates, default=None)

    @staticmethod
    def platform_filter(platforms: Iterable[str] | None) -> tuple[Any, ...]:
        """The condition that keeps deliveries to workspaces of the given platforms (none: all)."""
        if platforms is None:
            return ()
        return (
            Delivery.workspace_id.in_(select(Workspace.id).where(Workspace.platform.in_(sorted(platforms)))),
        )

    async def _fan_out_due(self, now: datetime, report: DispatchReport) -> None:
        async with self._reader() as session:
            due_ids = list(await session.scalars(
                select(Reminder.id).where(Reminder.status == reminders.PENDING, Reminder.due_at <= now)
                .order_by(Reminder.due_at)))
        for reminder_id in due_ids:
            batches: reminders.InBatches | None = None
            async with self._sessionmaker() as session, session.begin():
                # Set only when a fan-out in batches was cut short (resume() made it pending again).
                started = await session.scalar(select(Reminder.fired_at).where(Reminder.id == reminder_id))
                claimed = await _execute_dml(session,
                    update(Reminder).where(Reminder.id == reminder_id, Reminder.status == reminders.PENDING)
                    .values(status=reminders.FANNED_OUT, fired_at=started or now))
                if not claimed.rowcount:
                    continue  # another process or run took it
                reminder = await session.get_one(Reminder, reminder_id)
                # A fan-out that had begun is finished, however late: some members already have theirs.
                late = reminder.grace_seconds is not None and now > reminder.due_at + timedelta(
                    seconds=reminder.grace_seconds)
                if late and started is None:
                    reminder.status = reminders.SKIPPED
                    report.skipped.append(reminder.id)
                    log.info(
                        "Skipped reminder %s (%s): %s late", reminder.id, reminder.kind, now - reminder.due_at
                    )
                    await self._note_skipped(session, reminder, now)
                    continue
                planner = contributions.of(session).planners.get(reminder.kind)
                if planner is None:
                    log.error("No planner for reminder kind %s (reminder %s)", reminder.kind, reminder.id)
                    reminder.status = reminders.SKIPPED
                    report.skipped.append(reminder.id)
                    await self._note_skipped(session, reminder, now)
                    continue
                planned = await planner(session, reminder, now)
                if isinstance(planned, reminders.InBatches):
                    reminder.status = reminders.FANNING
                    # Planned by this process: another gives it back only once this one is found dead.
                    reminder.claimed_by = self.process_id
                    batches = planned
                else:
                    await self._add_deliveries(session, reminder, planned, now)
            if batches is not None:
                await self._fan_out_in_batches(reminder, batches, now)
            report.fanned_out += 1
        if report.fanned_out and self._postgres:
            await self._tell_others(now)

    async def _tell_others(self, now: datetime) -> None:
        """Tell the other processes on the database that deliveries are due now, so that they help send
        them (NOTIFY is sent when the transaction commits)."""
        try:
            async with self._engine.begin() as connection:
                said = f"{self.process_id} {now.isoformat()}"
                await connection.execute(select(func.pg_notify(DUE_CHANNEL, said)))
        except Exception:  # they find the rows at their next wake-up all the same
            log.warning("Could not tell the other processes about due deliveries", exc_info=True)

    async def _fan_out_in_batches(self, reminder: Reminder, batches: reminders.InBatches, now: datetime
                                  ) -> None:
        """Plan a fan-out a batch at a time, each read without the write lock and written in a short
        transaction of its own; then mark the reminder fanned out."""
        after: int | None = 0
        count = 0
        try:
            while after is not None:
                if batches.writes:
                    # The batch writes rows of its own (e.g. who asks whom): with its deliveries, in one
                    # short write transaction.
                    async with self._sessionmaker() as session, session.begin():
                        planned, after = await batches.batch(session, after)
                        if planned:
                            await self._add_deliveries(session, reminder, planned, now, batch=True)
                    count += len(planned)
                    continue
                async with self._reader() as session:
                    planned, after = await batches.batch(session, after)
                if planned:
                    async with self._sessionmaker() as session, session.begin():
                        await self._add_deliveries(session, reminder, planned, now, batch=True)
                    count += len(planned)
        except Exception:
            # A batch failed (the database, a bug): pending again, so that the next run plans the rest (its
            # fired_at says it began). A stop or a kill leaves it fanning, for the next start to resume.
            async with self._sessionmaker() as session, session.begin():
                await session.execute(update(Reminder).where(Reminder.id == reminder.id,
                                                             Reminder.status == reminders.FANNING,
                                                             self._held(Reminder.claimed_by))
                                      .values(status=reminders.PENDING, claimed_by=None))
            raise
        async with self._sessionmaker() as session, session.begin():
            await session.execute(update(Reminder).where(Reminder.id == reminder.id,
                                                         Reminder.status == reminders.FANNING)
                                  .values(status=reminders.FANNED_OUT, claimed_by=None))
        log.info("Reminder %s (%s) fanned out in batches to %d", reminder.id, reminder.kind, count)

    async def _add_deliveries(
        self, session: AsyncSession, reminder: Reminder, planned: Iterable[reminders.Planned], now: datetime,
        *, batch: bool = False
    ) -> None:
        """Write a fan-out's deliveries, but for those already written (a fan-out run again writes nothing
        twice): all of the reminder's are looked up, or for a batch only the batch's own keys."""
        workspace = await session.get_one(Workspace, reminder.workspace_id)
        tz = ZoneInfo(workspace.timezone)
        planned = list(planned)
        if batch:
            keys = [f"{reminder.id}:{_recipient(item)}" for item in planned]
            existing = set(await session.scalars(select(Delivery.key).where(Delivery.key.in_(keys))))
        else:
            existing = set(await session.scalars(select(Delivery.key).where(
                Delivery.reminder_id == reminder.id)))
        rows: list[dict[str, object]] = []
        # A fan-out sends the same Reply to many: serialize each one once, to the text the row stores.
        stored: dict[tuple[object, ...], str] = {}
        for item in planned:
            key = f"{reminder.id}:{_recipient(item)}"
            if key in existing:
                continue
            existing.add(key)
            shape = (id(item.reply), item.live, item.pinned, item.expires_at, item.quiet, item.urgent)
            if shape not in stored:
                message = reply_to_json(item.reply)
                if item.live is not None:
                    message["live"] = {"key": item.live, "pinned": item.pinned}
                if item.expires_at is not None:
                    message["expires"] = item.expires_at.isoformat()
                if item.quiet:
                    message["quiet"] = True
                if item.urgent:
                    message[URGENT_ENTRY] = True
                stored[shape] = json.dumps(message)
            if item.live is not None:
                # The newest state of a live message replaces one still waiting to go out (latest wins).
                await session.execute(
                    update(Delivery)
                    .where(
                        Delivery.workspace_id == reminder.workspace_id,
                        Delivery.status == PENDING,
                        Delivery.key.endswith(LIVE_MARK + item.live, autoescape=True),
                    )
                    .values(status=CANCELLED)
                )
            # Quiet hours hold a DM back, unless it is urgent (for members who did not opt out of that).
            not_before = self._quiet_hours.adjust(now, tz) if item.member_id is not None and not item.urgent \
                else now
            rows.append({"workspace_id": reminder.workspace_id, "reminder_id": reminder.id,
                         "member_id": item.member_id, "channel": str(item.channel), "key": key,
                         "nonce": nonce_for(key), "message_text": stored[shape], "status": PENDING,
                         "not_before": not_before, "attempts": 0, "created_at": now})
        if rows:
            # One multi-row insert with the message encoded once, not an ORM object (and a JSON encoding) per
            # recipient: a stage may fan out to thousands. A row another process wrote meanwhile (it planned
            # the same batch, taken for dead) is left as it is.
            await session.execute(insert_or_ignore(session, Delivery.__table__, ("key",), {
                "message": bindparam("message_text", type_=_EncodedJSON())}), rows)

    async def _note_skipped(self, session: AsyncSession, reminder: Reminder, now: datetime) -> None:
        """Record, with the skip itself, that the coordinators are to be told (sent with the other skips)."""
        workspace = await session.get_one(Workspace, reminder.workspace_id)
        line = await reminders.describe(session, reminder, workspace.timezone)
        session.add(_coordinators_notice(reminder.workspace_id, reminder.id, f"{reminder.id}{SKIPPED_SUFFIX}",
                                         Reply(body=line, private=False), now))

    async def _send_due(self, now: datetime, report: DispatchReport) -> None:
        # What a stop (or a failed write) left between a refused DM and its fallback, or between a fallback
        # that failed and the coordinators' notice, is stored now and goes out with the rest.
        await self._store_fallbacks(now)
        await self._note_unreached(now)
        async with self._reader() as session:
            rows = (
                await session.execute(
                    select(Delivery.id, Delivery.workspace_id, Delivery.key)
                    .where(
                        Delivery.status == PENDING,
                        Delivery.not_before <= now,
                        *self.platform_filter(self.platforms),
                    )
                    .order_by(Delivery.id)
                )
            ).all()
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
            # A fallback retried here that failed for good is told now, not at the next run.
            await self._tell_unreached(now, report)

    async def send_now(self, delivery_ids: Iterable[int]) -> DispatchReport:
        """Send these deliveries at once, whenever they are due (a reply's effects, right after its answer).

        Runs beside a dispatch run: both claim a row before sending it, so each is sent once. What the
        platform throttled or what failed waits for its retry time, and the scheduler is told when that is.
        """
        report = DispatchReport()
        ids = sorted(delivery_ids)
        if ids and self.notifier is not None:
            await self._send_ids(ids, self._clock.now(), report)
            if self.on_next_wake is not None and (report.failed or report.sent < len(ids)):
                self.on_next_wake(await self.next_due_at())
        if self.on_report is not None:
            self.on_report(report)
        return report

    async def _send_ids(self, due: list[int], now: datetime, report: DispatchReport) -> None:
        """Claim, send and mark these deliveries; then reach those whose DMs turned out closed in a channel.

        One writer does all the writing, and a send starts only once the writer has marked it as in flight:
        a batch is claimed ahead (CLAIMED), and each write of outcomes also marks the sends that take the
        freed slots (SENDING) in the same transaction. So at any moment at most `concurrency` deliveries are
        SENDING, and after a crash exactly those are in doubt (resume() tells them from the ones never
        started). The writes group themselves: what finishes while one is written goes in the next.
        """
        unreachable: dict[tuple[int, int | None], list[int]] = defaultdict(list)
        workspaces: dict[int, Workspace] = {}
        messages: dict[str, tuple[dict[str, Any], Reply]] = {}
        queue: deque[_Claimed] = deque()
        finished: list[_Outcome] = []
        wake = asyncio.Event()
        room = asyncio.Event()  # the claimer may claim the next batch
        claimed_all = False
        in_flight = 0  # sends marked SENDING whose outcome is not written yet
        flying: set[int] = set()  # their ids
        claiming: asyncio.Future[list[_Claimed]] | None = None  # a claim under way

        async def claimer() -> None:
            nonlocal claimed_all, claiming
            try:
                for start in range(0, len(due), CLAIM_BATCH):
                    # Claim the next batch while the sends of this one run, not all of them at once: what is
                    # claimed and not started is held from other processes until they finish or resume() runs.
                    while len(queue) > CLAIM_BATCH // 2:
                        room.clear()
                        await room.wait()
                    # Shielded: a unit of work cut off halfway may leave its connection holding the write
                    # lock.
                    claiming = asyncio.ensure_future(self._claim(due[start:start + CLAIM_BATCH], workspaces,
                                                                 messages))
                    queue.extend(await asyncio.shield(claiming))
                    claiming = None
                    wake.set()
            finally:
                claimed_all = True
                wake.set()

        async def send(claimed: _Claimed) -> None:
            outcome = await self._send(claimed, now)
            report.tally(claimed.workspace.platform, outcome)
            for _ in range(THROTTLED_RETRIES):
                if outcome.throttled is None:
                    break
                # Waiting while holding the slot slows the whole fan-out down to the platform's pace; the
                # jitter keeps the waiting sends from all trying again in the same instant.
                wait = min(outcome.throttled, MAX_THROTTLE_WAIT)
                await asyncio.sleep(wait + random.uniform(0, max(wait, 0.1) / 4))
                outcome = await self._send(claimed, now)
                report.tally(claimed.workspace.platform, outcome)
            if outcome.status == SENT:
                report.sent += 1
            elif outcome.status == UNREACHABLE:
                report.unreachable += 1
                unreachable[(outcome.workspace_id, outcome.reminder_id)].append(outcome.delivery_id)
            elif outcome.status == FAILED:
                report.failed += 1
            elif outcome.status == EXPIRED:
                report.expired += 1
            finished.append(outcome)
            wake.set()

        async def writer(group: asyncio.TaskGroup) -> None:
            nonlocal in_flight
            while not (claimed_all and not queue and in_flight == 0):
                await wake.wait()
                wake.clear()
                outcomes = finished[:]
                finished.clear()
                free = self.concurrency - (in_flight - len(outcomes))
                starting = [queue.popleft() for _ in range(min(free, len(queue)))]
                if len(queue) <= CLAIM_BATCH // 2:
                    room.set()
                if not outcomes and not starting:
                    continue
                try:
                    # Shielded: a stop in the middle must not cut the write short.
                    started = await asyncio.shield(self._mark(outcomes, now,
                                                              starting=[c.id for c in starting]))
                except Exception:
                    # The run stops (the next one tries again): what it holds is let go below.
                    log.exception("Could not write the outcomes of %d deliveries", len(outcomes))
                    queue.extendleft(reversed(starting))  # not marked as being sent: never started
                    raise
                if len(started) < len(starting):
                    # Given back while they waited (this process was taken for dead): another sends them.
                    log.warning("%d claimed deliveries were given back before they were sent",
                                len(starting) - len(started))
                    starting = [claimed for claimed in starting if claimed.id in started]
                in_flight += len(starting) - len(outcomes)
                for outcome in outcomes:
                    flying.discard(outcome.delivery_id)
                for claimed in starting:
                    flying.add(claimed.id)
                    group.create_task(send(claimed))

        # A TaskGroup, not gather: if one send dies (cancellation at shutdown), the others stop too instead of
        # running on detached while a restart resumes the same rows.
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(claimer())
                group.create_task(writer(group))
        finally:
            if claiming is not None:
                # Stopped during a claim: let it finish, so that what it claimed is given back too.
                with contextlib.suppress(Exception):
                    queue.extend(await claiming)
            if queue or flying:
                # Stopped early (a failed write, or the bot stopping): the claimed deliveries go back at once
                # rather than wait for the next start; those that were being sent are in doubt.
                await asyncio.shield(self._release([c.id for c in queue], sorted(flying)))
        if unreachable:
            await self._reach_in_channel([i for ids in unreachable.values() for i in ids], now, report)

    async def _release(self, claimed: list[int], in_doubt: list[int]) -> None:
        """Give back what a stopped run held: claimed deliveries become pending, those being sent pending and
        INTERRUPTED (see resume). Best effort: what this cannot write, resume() does at the next start."""
        try:
            held = self._held(Delivery.claimed_by)
            async with self._engine.begin() as connection:
                await _give_back(connection, (Delivery.id.in_(claimed), held),
                                 (Delivery.id.in_(in_doubt), held))
        except Exception:  # resume() at the next start puts them back
            log.exception("Could not give back %d claimed deliveries", len(claimed) + len(in_doubt))

    async def _claim(self, ids: list[int], workspaces: dict[int, Workspace],
                     messages: dict[str, tuple[dict[str, Any], Reply]]) -> list[_Claimed]:
        """Claim a batch of deliveries (pending becomes claimed) and load them with their members, at once.

        A fan-out stores the same message for many recipients: each distinct one is decoded once (the text is
        read as it is stored, not decoded by the driver row by row).
        """
        pending: ColumnElement[bool] = and_(Delivery.id.in_(ids), Delivery.status == PENDING)
        if self._postgres:
            # Rows another process is claiming are skipped, not waited for: it takes them, this takes the
            # rest (still one statement).
            pending = Delivery.id.in_(select(Delivery.id).where(pending).with_for_update(skip_locked=True))
        async with self._sessionmaker() as session, session.begin():
            claimed = list(await session.scalars(
                update(Delivery).where(pending)
                .values(status=CLAIMED, claimed_by=self.process_id).returning(Delivery.id)
                .execution_options(synchronize_session=False)))
            if not claimed:
                return []  # another process or run took them
            rows = (
                await session.execute(
                    select(
                        Delivery.id,
                        Delivery.workspace_id,
                        Delivery.reminder_id,
                        Delivery.channel,
                        Delivery.nonce,
                        Delivery.attempts,
                        Delivery.last_error == INTERRUPTED,
                        Delivery.created_at,
                        cast(Delivery.message, SQLText),
                        Member,
                    )
                    .outerjoin(Member, Member.id == Delivery.member_id)
                    # What sending needs of a member, not the whole profile: loading ten datetimes a row, of
                    # thousands, costs more than the rest of the claim.
                    .options(load_only(*SENDING_NEEDS))
                    .where(Delivery.id.in_(claimed))
                    .order_by(Delivery.id)
                )
            ).all()
            for workspace_id in {row[1] for row in rows} - workspaces.keys():
                workspaces[workspace_id] = await session.get_one(Workspace, workspace_id)
        loaded = []
        for (
            delivery_id,
            workspace_id,
            reminder_id,
            channel,
            nonce,
            attempts,
            interrupted,
            created_at,
            raw,
            member,
        ) in rows:
            if raw not in messages:
                message = json.loads(raw)
                messages[raw] = (message, reply_from_json(message))
            message, reply = messages[raw]
            # The attempt this will be: it is counted when the send starts (_mark's `starting`).
            loaded.append(
                _Claimed(
                    delivery_id,
                    workspace_id,
                    reminder_id,
                    channel,
                    nonce,
                    attempts + 1,
                    message,
                    reply,
                    member,
                    workspaces[workspace_id],
                    bool(interrupted),
                    _aware(created_at),
                )
            )
        return loaded

    async def _mark(self, outcomes: list[_Outcome], now: datetime, *, starting: Iterable[int] = ()
                    ) -> set[int]:
        """Write what became of sent deliveries, and mark the claimed deliveries in `starting` as being sent
        (an attempt each), in one transaction; return those it marked (the others were given back meanwhile:
        they are not this process's to send)."""
        write = OutcomeWrite(starting=list(starting), claimer=self.process_id)
        for outcome in outcomes:
            if outcome.error is not None:
                # A pending outcome waits until retry_at; a throttled try is the platform's pace, not an
                # attempt.
                retry_at = outcome.retry_at if outcome.status == PENDING else None
                write.failed.append((outcome.delivery_id, outcome.status, outcome.error, retry_at,
                                     int(outcome.throttled is not None)))
            elif outcome.status == SENT and outcome.reminder_id is None:
                # An effect (no reminder behind it) that went out has done its work: nothing repeats it (its
                # key is unique to its command), and a post that names a member is not kept beside the
                # channel's copy.
                write.deleted.append(outcome.delivery_id)
            else:
                write.done.append(
                    (outcome.delivery_id, outcome.status, now if outcome.status == SENT else None)
                )
        # (Again) refused: the next try waits RETRY_CLOSED_DMS_AFTER from now.
        write.closed = sorted({o.member_id for o in outcomes
                               if o.status == UNREACHABLE and not o.untried and o.member_id is not None})
        write.reopened = sorted({o.member_id for o in outcomes if o.reopened and o.member_id is not None})
        write.opened = [(o.member_id, o.dm_channel) for o in outcomes
                        if o.dm_channel is not None and o.member_id is not None]
        refused = [o for o in outcomes if o.role_refused is not None and o.member_id is not None]
        if not write and not refused:
            return set()
        if self._fast_writer is not None and not refused:
            return await self._fast_writer.write(write, now)
        async with self._engine.begin() as connection:
            started = await write_with_sqlalchemy(connection, write, now)
            if refused:
                # The session joins the connection's transaction (and leaves committing it to the connection).
                async with AsyncSession(bind=connection) as session:
                    for outcome in refused:
                        await _note_role_refused(session, outcome, now)
        return started

    def close(self) -> None:
        """Let go of what the dispatcher holds beside the engine (the outcome writer's connection)."""
        if self._fast_writer is not None:
            self._fast_writer.close()

    async def _send(self, claimed: _Claimed, now: datetime) -> _Outcome:
        """Send one claimed delivery; the database is not touched here (but for a live message's id)."""
        assert self.notifier is not None
        delivery, member, workspace = claimed, claimed.member, claimed.workspace
        delivery_id = delivery.id
        reply = claimed.reply
        live = delivery.message.get("live")
        role = delivery.message.get("grant_role")
        revoke, doomed = delivery.message.get(REVOKE_ROLE), delivery.message.get(DELETE_POST)
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
            elif revoke is not None:
                await self.notifier.revoke_role(workspace, str(delivery.message["user"]), Role(revoke))
            elif doomed is not None:
                await self.notifier.delete_post(workspace, delivery.post_channel, str(doomed))
            elif claimed.interrupted and live is None and await self._already_sent(claimed):
                log.info("Delivery %s was sent before the bot stopped; not sending it again", delivery_id)
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
                await self._update_live(workspace, delivery.post_channel, str(live["key"]),
                                        bool(live["pinned"]), reply, delivery.nonce, now)
            else:
                posted = await self.notifier.post(workspace, delivery.post_channel, reply,
                                                  nonce=delivery.nonce)
                if posted is None and delivery.message.get(FALLBACK_ENTRY):
                    # The members it names are not reached: the coordinators are told (_note_unreached). Not
                    # tried again: the channel takes a fix by them, not time.
                    return _Outcome(
                        delivery_id,
                        delivery.workspace_id,
                        delivery.reminder_id,
                        None,
                        FAILED,
                        f"{NOT_POSTED}: the {delivery.channel} channel is not set up, gone, or closed"
                        " to the bot",
                    )
        except RecipientUnreachable:
            status = UNREACHABLE
        except RoleNotGranted as exc:
            assert role is not None  # only grant_role raises it
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
        except Exception as exc:  # one failing send must not stop the fan-out
            log.exception("Delivery %s failed", delivery_id)
            status = FAILED if delivery.attempts >= MAX_ATTEMPTS else PENDING
            error = f"{type(exc).__name__}: {exc}"[:500]
            retry_at = self._clock.now() + retry_delay(delivery.attempts)
            if member is not None and role is None and not delivery.message.get(URGENT_ENTRY):
                # A DM tried again is still no message at night (a role is no message: it goes at once; an
                # urgent one neither waits).
                retry_at = self._quiet_hours.adjust(retry_at, ZoneInfo(workspace.timezone))
            return _Outcome(delivery_id, delivery.workspace_id, delivery.reminder_id,
                            member.id if member is not None else None, status, error, retry_at=retry_at)
        return _Outcome(delivery_id, delivery.workspace_id, delivery.reminder_id,
                        member.id if member is not None else None, status, error)

    async def _already_sent(self, claimed: _Claimed) -> bool:
        """Ask the platform whether a delivery interrupted by a stop went out (see Notifier.find_sent).

        Only the sends in flight when the bot stopped are asked about (at most the concurrency), each costing
        a request or two: a crash must not make anyone get a message twice, also after Discord forgot the
        nonce (minutes) and on Slack, which has none. Not knowing means sending it (again).
        """
        assert self.notifier is not None
        try:
            found = await self.notifier.find_sent(
                claimed.workspace,
                claimed.member,
                Channel(claimed.channel or Channel.ANNOUNCEMENTS),
                claimed.reply,
                since=claimed.created_at,
            )
        except Exception:  # a failed check must not stop the send itself
            log.exception("Could not check whether delivery %s went out before the stop", claimed.id)
            return False
        return bool(found)

    async def _update_live(self, workspace: Workspace, channel: Channel, key: str, pinned: bool, reply: Reply,
                           nonce: str, now: datetime) -> None:
        """Edit the live message under `key`, or post it (again, if someone deleted it); then pin or unpin
        it."""
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
            # Store the id at once: a crash before the pin must not make the next update post a second
            # message.
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
        except Exception:  # the message is there; a missing pin permission must not resend it
            log.exception("Could not %s live message %s of workspace %s", "pin" if pinned else "unpin", key,
                          workspace.id)
            return
        await self._store_live(workspace.id, key, channel, message_id, pinned, now)

    async def _store_live(
        self,
        workspace_id: int,
        key: str,
        channel: Channel,
        message_id: str | None,
        pinned: bool,
        now: datetime,
    ) -> None:
        values = {"channel": str(channel), "message_id": message_id, "pinned": pinned, "updated_at": now}
        for _ in range(2):
            try:
                async with self._sessionmaker() as session, session.begin():
                    updated = await _execute_dml(
                        session,
                        update(LiveMessage)
                        .where(LiveMessage.workspace_id == workspace_id, LiveMessage.key == key)
                        .values(**values),
                    )
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
                result = await _execute_dml(session,
                    update(Delivery).where(Delivery.id == delivery_id, Delivery.status == PENDING)
                    .values(status=SENDING, attempts=Delivery.attempts + 1, claimed_by=self.process_id))
            if result.rowcount:
                claimed.append(delivery_id)
        if not claimed:
            return
        async with self._reader() as session:
            deliveries = list(await session.scalars(select(Delivery).where(Delivery.id.in_(claimed))
                                                    .order_by(Delivery.id)))
            workspace = await session.get_one(Workspace, workspace_id)
        lines: list[Renderable] = [
            line for d in deliveries if (line := reply_from_json(d.message).body) is not None
        ]
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
        except Exception as exc:  # retried later, like any delivery
            log.exception(
                "Could not tell the coordinators of workspace %s about skipped reminders", workspace_id
            )
            attempts = max(d.attempts for d in deliveries)
            values = {"status": FAILED if attempts >= MAX_ATTEMPTS else PENDING,
                      "last_error": f"{type(exc).__name__}: {exc}"[:500], "sent_at": None,
                      "not_before": self._clock.now() + retry_delay(attempts)}
        status = values["status"]
        async with self._sessionmaker() as session, session.begin():
            await session.execute(update(Delivery).where(Delivery.id.in_(claimed), Delivery.status == SENDING,
                                                         self._held(Delivery.claimed_by)).values(**values))
        if status == SENT:
            report.sent += len(claimed)
        elif status == FAILED:
            report.failed += len(claimed)

    async def _reach_in_channel(self, delivery_ids: list[int], now: datetime, report: DispatchReport) -> None:
        """Mention the members of these refused DMs in a channel: store the fallbacks and send them now, then
        tell the coordinators about any that did not get through."""
        fallbacks = await self._store_fallbacks(now, delivery_ids)
        if fallbacks:
            # Channel posts name nobody to DM: this run reaches no further.
            await self._send_ids(fallbacks, now, report)
            await self._tell_unreached(now, report)

    async def _tell_unreached(self, now: datetime, report: DispatchReport) -> None:
        """Send the coordinators' notices about fallbacks that failed for good (stored first)."""
        notices = await self._note_unreached(now)
        if notices:
            await self._send_ids(notices, now, report)

    async def _store_fallbacks(self, now: datetime, delivery_ids: list[int] | None = None) -> list[int]:
        """Store the channel messages that mention the members of refused DMs; return their ids.

        For these unreachable DMs, or (None) for every one that no fallback covers yet, of this dispatcher's
        platforms. A DM is covered once: its sent_at becomes the time its fallback was stored, in the same
        transaction, so a repeat (or another process) finds nothing left to do. The DMs are marked as their
        sends end, the fallbacks stored when the run's sends are done (so that everyone a text did not reach
        is named in as few messages as the platform allows); a stop in between leaves the DMs uncovered, and
        the next run stores their fallbacks.
        """
        uncovered = (
            Delivery.status == UNREACHABLE,
            Delivery.sent_at.is_(None),
            Delivery.member_id.is_not(None),
        )
        if delivery_ids is None:
            async with self._reader() as session:
                delivery_ids = list(
                    await session.scalars(
                        select(Delivery.id)
                        .where(UNTOLD_INDEXED, *uncovered, *self.platform_filter(self.platforms))
                        .order_by(Delivery.id)
                    )
                )
        if not delivery_ids:
            return []
        try:
            async with self._sessionmaker() as session, session.begin():
                rows: list[_Refused] = []
                for start in range(0, len(delivery_ids), CLAIM_BATCH):
                    covered = list(
                        await session.scalars(
                            update(Delivery)
                            .where(Delivery.id.in_(delivery_ids[start : start + CLAIM_BATCH]), *uncovered)
                            .values(sent_at=now)
                            .returning(Delivery.id)
                            .execution_options(synchronize_session=False)
                        )
                    )
                    if covered:
                        result = await session.execute(
                            select(Delivery.id, Delivery.workspace_id, Delivery.reminder_id, Delivery.channel,
                                   Delivery.key, cast(Delivery.message, SQLText), Member.external_id)
                            .join(Member, Member.id == Delivery.member_id).where(Delivery.id.in_(covered)))
                        rows += [(i, w, r, c, k, m, e) for i, w, r, c, k, m, e in result]
                stored = await _add_fallbacks(session, sorted(rows), now)
        except Exception:  # the DMs stay uncovered: the next run stores their fallbacks
            log.exception("Could not store the channel fallbacks of refused DMs")
            return []
        return [row.id for row in stored]

    async def _note_unreached(self, now: datetime) -> list[int]:
        """Tell the coordinators about every fallback that failed for good: whom it did not reach, where and
        why.

        One post in the coordinators' channel per fallback, stored in the transaction that marks the fallback
        as told (its sent_at); return their ids. A notice that fails in turn is reported nowhere else: no
        loop.
        """
        # bot.services.failures reads this module's names, so it is imported once both exist.
        from bot.services import failures

        untold = (Delivery.status == FAILED, Delivery.sent_at.is_(None),
                  Delivery.key.contains(FALLBACK_MARK, autoescape=True))
        async with self._reader() as session:
            failed = list(await session.scalars(
                select(Delivery.id).where(UNTOLD_INDEXED, *untold, *self.platform_filter(self.platforms))))
        if not failed:
            return []
        try:
            async with self._sessionmaker() as session, session.begin():
                told = list(await session.scalars(
                    update(Delivery).where(Delivery.id.in_(failed), *untold)
                    .values(sent_at=now).returning(Delivery.id).execution_options(synchronize_session=False)))
                notices = []
                for fallback in await session.scalars(select(Delivery).where(Delivery.id.in_(told))
                                                      .order_by(Delivery.id)):
                    workspace = await session.get_one(Workspace, fallback.workspace_id)
                    mentioned = [str(m) for m in fallback.message.get("mentions", ())]
                    names = dict((await session.execute(
                        select(Member.external_id, Member.display_name).where(
                            Member.workspace_id == workspace.id, Member.external_id.in_(mentioned)))).all())
                    listed: list[Renderable] = [Literal(names[m]) if names.get(m) else Mention("user", m)
                                                for m in mentioned]
                    # The DMs it stood in for were stored with it (their sent_at is its created_at).
                    same_reminder = (Delivery.reminder_id.is_(None) if fallback.reminder_id is None
                                     else Delivery.reminder_id == fallback.reminder_id)
                    await session.execute(update(Delivery).where(
                        Delivery.workspace_id == workspace.id, Delivery.status == UNREACHABLE, same_reminder,
                        Delivery.channel == fallback.channel, Delivery.sent_at == fallback.created_at,
                        Delivery.member_id.in_(select(Member.id).where(Member.workspace_id == workspace.id,
                                                                       Member.external_id.in_(mentioned))))
                        .values(last_error=f"{FALLBACK_FAILED}: {fallback.last_error}"[:500])
                        .execution_options(synchronize_session=False))
                    more = more_than_shown("digest.more", len(listed), UNREACHED_SHOWN)
                    where, reason = failures.post_failed(
                        workspace, fallback.channel or str(Channel.ANNOUNCEMENTS), fallback.last_error
                    )
                    shown = [*listed[:UNREACHED_SHOWN], *([more] if isinstance(more, Text) else [])]
                    names_shown = Join(tuple(shown), ", ")
                    reply = Reply(title=text("delivery.unreached.title", count=len(mentioned)),
                                  body=text("delivery.unreached.body", channel=where, reason=reason,
                                            names=names_shown), private=False)
                    notice = _coordinators_notice(workspace.id, fallback.reminder_id,
                                                  f"{UNREACHED_PREFIX}{fallback.id}", reply, now)
                    session.add(notice)
                    notices.append(notice)
                await session.flush()
        except Exception:  # the fallbacks stay untold: the next run tells the coordinators
            log.exception("Could not tell the coordinators about fallbacks that failed")
            return []
        if notices:
            log.warning("%d channel fallbacks failed; the coordinators are told", len(notices))
        return [notice.id for notice in notices]


# A refused DM, as its fallback needs it: id, workspace, reminder, channel, key, message (as stored), and the
# member's platform id.
_Refused = tuple[int, int, int | None, str | None, str, str, str]


async def _add_fallbacks(session: AsyncSession, rows: Iterable[_Refused], now: datetime) -> list[Delivery]:
    """Add the fallbacks of these refused DMs to the session, due now.

    One message per distinct text and channel: a broadcast names everyone it did not reach, in runs that fit a
    message of the platform, each member once; personal texts (each member's own next step or question) stay
    apart, so nobody is shown someone else's message as their own.
    """
    decoded: dict[str, dict[str, Any]] = {}
    # A personal DM's fallback stands alone (its button opens that one DM); others group by their text.
    groups: dict[tuple[int, int | None, str, str, int | None], dict[str, tuple[int, str]]] = defaultdict(dict)
    for delivery_id, workspace_id, reminder_id, channel, key, raw, external_id in rows:
        if raw not in decoded:
            decoded[raw] = _for_the_channel(json.loads(raw))
        message = decoded[raw]
        if message.get("quiet"):
            continue  # not worth a mention in a channel
        shape = json.dumps(message, sort_keys=True)
        alone = delivery_id if message.get("personal") else None
        # The member of two DMs of the same text (two commands' effects) is named once.
        groups[(workspace_id, reminder_id, channel or str(Channel.ANNOUNCEMENTS), shape, alone)].setdefault(
            external_id, (delivery_id, key))
    platforms = dict((await session.execute(select(Workspace.id, Workspace.platform).where(
        Workspace.id.in_({workspace_id for workspace_id, *_ in groups})))).all())
    added = []
    for (workspace_id, reminder_id, channel, shape, alone), members in groups.items():
        message = json.loads(shape)
        reply = reply_from_json(message)
        pinged = await _role_pinged(session, reminder_id, channel)
        covered = list(members.values())
        start = 0
        for run in mention_limits(platforms[workspace_id]).split(list(members)):
            first_id, first_key = covered[start]
            start += len(run)
            # Unique: each DM is covered once, by the run that starts with it.
            key = f"{reminder_id if reminder_id is not None else first_key}{FALLBACK_MARK}{first_id}"
            fallback = {
                **reply_to_json(channel_fallback(reply, run, already_pinged=pinged, dm_id=alone)),
                FALLBACK_ENTRY: True,
            }
            if "expires" in message:
                fallback["expires"] = message["expires"]  # a call to a vote is not posted after it
            row = Delivery(
                workspace_id=workspace_id,
                reminder_id=reminder_id,
                member_id=None,
                channel=channel,
                key=key,
                nonce=nonce_for(key),
                message=fallback,
                status=PENDING,
                not_before=now,
                attempts=0,
                created_at=now,
            )
            session.add(row)
            added.append(row)
    await session.flush()
    return added


def _for_the_channel(message: dict[str, Any]) -> dict[str, Any]:
    """A refused DM as the channel is to read it: without the word to a member who reads another language
    than its drafts (services.audience), so that it is the same message as the other members', and in the
    channel's language only (the notifier renders a channel's messages in the workspace's language)."""
    if "body" not in message or "fields" not in message:
        return message  # not a message (a role, a deletion)
    reply = reply_from_json(message)
    general = audience.unexplained(reply)
    return message if general is reply else message | {"body": reply_to_json(general)["body"]}


async def _role_pinged(session: AsyncSession, reminder_id: int | None, channel: str) -> Role | None:
    """The role that the reminder's own post in `channel` pinged, if that post went out (a countdown
    stage's)."""
    if reminder_id is None:
        return None
    role = await session.scalar(select(Delivery.message["mention_role"].as_string()).where(
        Delivery.key == f"{reminder_id}:channel:{channel}", Delivery.status == SENT))
    return Role(role) if role else None


async def _give_back(connection: AsyncConnection, claimed: tuple[ColumnElement[bool], ...],
                     sending: tuple[ColumnElement[bool], ...]) -> int:
    """Make claimed deliveries (of these conditions) pending again, and those being sent pending and
    INTERRUPTED: the platform may have them, so their next send asks it first. Return how many changed."""
    delivery = Delivery.__table__
    given_back = await connection.execute(update(delivery).where(delivery.c.status == CLAIMED, *claimed)
                                          .values(status=PENDING, claimed_by=None))
    in_doubt = await connection.execute(update(delivery).where(delivery.c.status == SENDING, *sending)
                                        .values(status=PENDING, last_error=INTERRUPTED, claimed_by=None))
    return (given_back.rowcount or 0) + (in_doubt.rowcount or 0)


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
            if effect.keep_as is not None:
                # Posted as a live message: its id is kept under the key (and a second send edits it).
                message["live"] = {"key": effect.keep_as, "pinned": False}
        elif isinstance(effect, SendDirect):
            # A DM, and the channel where the member is mentioned instead when their DMs are closed.
            member_id, channel, message = effect.member_id, effect.fallback, reply_to_json(effect.reply)
        elif isinstance(effect, GrantRole):
            member_id, channel = effect.member_id, Channel.WELCOME
            message = {**reply_to_json(Reply()), "grant_role": str(effect.role)}
        elif isinstance(effect, RevokeRole):
            # No member row: the erasure that asks for it removes the row in the same transaction.
            channel = Channel.WELCOME
            message = {**reply_to_json(Reply()), REVOKE_ROLE: str(effect.role), "user": effect.external_id}
        else:
            channel = effect.channel
            message = {**reply_to_json(Reply()), DELETE_POST: effect.message_id}
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
    role_id = (
        workspace.member_role_id if outcome.role_refused is Role.MEMBER else workspace.coordinator_role_id
    )
    role = Mention("role", role_id) if role_id else Literal(str(outcome.role_refused))
    to_member = Reply(body=text("delivery.role_refused.member", role=role), private=False)
    to_coordinators = Reply(
        body=text(
            "delivery.role_refused.coordinators", member=Mention("user", member.external_id), role=role
        ),
        private=False,
    )
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
    """Try again every role grant the platform refused in a workspace (after a coordinator fixed the
    cause)."""
    result = await _execute_dml(session,
        update(Delivery).where(Delivery.workspace_id == workspace_id, Delivery.status == FAILED,
                               Delivery.last_error.startswith("RoleNotGranted"))
        .values(status=PENDING, attempts=0, not_before=now, last_error=None))
    if result.rowcount:
        reminders.note_planned(session, now)
    return result.rowcount or 0


async def claim_notices(session: AsyncSession, effect_ids: Iterable[int], claimer: int | None = None
                        ) -> list[tuple[int, Reply]]:
    """Claim the notices for the acting member that these effects left (a role that was refused), to be said
    in the conversation: they go from pending to sending, held by the process `claimer` (so that another
    process starting meanwhile leaves them alone); mark them with mark_notices once said."""
    keys = [f"{ROLE_REFUSED}:{effect_id}:member" for effect_id in effect_ids]
    rows = list(await session.scalars(
        update(Delivery).where(Delivery.key.in_(keys), Delivery.status == PENDING)
        .values(status=SENDING, attempts=Delivery.attempts + 1, claimed_by=claimer).returning(Delivery)
        .execution_options(synchronize_session=False)))
    return [(row.id, reply_from_json(row.message)) for row in rows]


async def mark_notices(session: AsyncSession, notice_ids: Iterable[int], said: bool, now: datetime) -> None:
    """Forget claimed notices that were said (as a sent effect is), or make them due at once (by DM)."""
    claimed = (Delivery.id.in_(list(notice_ids)), Delivery.status == SENDING)
    if said:
        await session.execute(delete(Delivery).where(*claimed))
    else:
        await session.execute(update(Delivery).where(*claimed).values(status=PENDING, not_before=now,
                                                                      claimed_by=None))


def channel_fallback(reply: Reply, mentions: tuple[str, ...], *, already_pinged: Role | None = None,
                     dm_id: int | None = None) -> Reply:
    """Turn a DM into a channel message for members whose DMs are closed: mention them, say why and how to
    allow DMs, with a button that sends the presser a test DM.

    `already_pinged`: the role a post of the same moment pinged (a countdown stage's post pings the member
    role). Each member is still named, so that they know the message is theirs, but those who hold that role
    are not pinged a second time where the platform can leave them out (Discord: allowed_mentions lists only
    the others; Slack cannot name a member without notifying them, so there they are pinged again).
    """
    test = Button(text("delivery.button.test_dm"), TEST_DM_ACTION, style=ButtonStyle.SECONDARY)
    if reply.personal and dm_id is not None:
        # Anyone in the channel reads it: a personal DM (`dm_id`, the refused one, which keeps its text) is
        # named, not shown, and its member opens it privately.
        show = Button(text("delivery.button.show_personal"), SHOW_PERSONAL_ACTION, str(dm_id))
        return Reply(body=text("delivery.dm_closed_personal"), buttons=(show, test), private=False,
                     mentions=mentions, already_pinged=already_pinged)
    return Reply(body=text("delivery.dm_closed_fallback", body=reply.body) if reply.body else None,
                 title=reply.title, fields=reply.fields, buttons=(*reply.buttons, test)[:MAX_BUTTONS],
                 links=reply.links, private=False, mentions=mentions, already_pinged=already_pinged)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)
