"""Countdowns: the days before a decision, when the group's voice counts.

Every open issue counts down to its decision. At each stage (14, 7, 3 and 1 days before and the morning of the
vote, by default) the announcement channel is told, pinging the member role, and followers who want DMs get
the same call to action with a draft and share links. A live message in the announcement channel, pinned,
shows the days left, the pledges kept against those made and the stance summary; it is edited every day and
whenever a pledge changes. Members pledge to act (buttons, or /pledge); after the stage each pledge is
followed up ("did you?"). A decision that moves takes every pending reminder with it; a closed issue cancels
them. After the vote, /issue outcome records the result and followers get a follow-up with a thank-you draft.

Everything that falls due is a reminder row (the database is the truth), so restarts, `:advance` and a bot
that was down all end in the same place: a stage later than its grace is skipped and the coordinators are
told; nothing is sent after the vote it calls to.

An issue created (or a decision moved) inside the countdown gets the stage whose window it is in at once, as
long as the vote is still ahead: created 5 days before, the 7-day call to action goes out now. The stages
whose window has passed are skipped, and the coordinators are told in one message which and why. A stage that
already went out in this countdown is not sent again, nor one less urgent than the latest that went out: the
countdown never steps back. Only a decision moved so far that its countdown begins after the last stage went
out starts a new countdown.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import reminders, validation
from bot.actions import action
from bot.errors import UserError
from bot.i18n import normalize_language, render, translate
from bot.models import (
    Countdown,
    CountdownSettings,
    Issue,
    LiveMessage,
    Member,
    Pledge,
    Politician,
    Reminder,
    Workspace,
)
from bot.replies import (
    Button,
    ButtonStyle,
    Channel,
    Choice,
    Field,
    Join,
    Link,
    Literal,
    Renderable,
    Reply,
    Role,
    Text,
    When,
    text,
)
from bot.services import activity, asks, civics, drafts, follows, media, mydata, stances, stories
from bot.services import issues as issues_service
from bot.services.context import Actor, audit, language_of, pressed_row

log = logging.getLogger(__name__)

STAGE_KIND = "countdown.stage"
LIVE_KIND = "countdown.live"
FOLLOWUP_KIND = "countdown.followup"
OUTCOME_KIND = "countdown.outcome"
RESULT_DUE_KIND = "countdown.result_due"
KINDS = (STAGE_KIND, LIVE_KIND, FOLLOWUP_KIND, OUTCOME_KIND, RESULT_DUE_KIND)
# The coordinators are told which stages an issue that came in late (or a decision that moved) skipped.
LATE_KIND = "countdown.late"
# Why stages were skipped when the countdown was planned.
CREATED, MOVED, RESTAGED = "created", "moved", "stages"

DEFAULT_DAYS = (14, 7, 3, 1, 0)
MAX_DAYS = 60
# Stages fall at a set local time, so they keep their hour across the change to and from summer time.
STAGE_HOUR = 9
VOTE_MORNING_HOUR = 8
AFTER_VOTE_HOUR = 10
# The live message turns over to the next day just after local midnight.
LIVE_REFRESH = time(0, 5)
# How long after its time a stage may still go out (never past the next stage, never past the vote).
STAGE_GRACE = timedelta(days=1)
FOLLOWUP_DELAY = timedelta(hours=2)
FOLLOWUP_GRACE = timedelta(days=3)
OUTCOME_GRACE = timedelta(days=7)
RESULT_DUE_GRACE = timedelta(days=7)
# A decision nobody recorded the result of: the live message stops turning over after this.
LIVE_AFTER_VOTE = timedelta(days=14)

TWEET, CONTACT, ATTEND = "tweet", "contact", "attend"
PLEDGE_KINDS = (TWEET, CONTACT, ATTEND)
PLEDGE_CHOICES = tuple(Choice(k, text(f"pledge.kind.{k}")) for k in PLEDGE_KINDS)
PLEDGE_EMOJI = {TWEET: "🐦", CONTACT: "📞", ATTEND: "🏛️"}
# What a kept pledge counts as in the action log.
PLEDGE_ACTIVITY = {TWEET: "tweet", CONTACT: "ask", ATTEND: "meeting"}
MADE, KEPT, NOT_KEPT = "made", "kept", "not_kept"
VOTE_OUTCOMES = ("won", "lost", "other")
RESULT_CHOICES = tuple(Choice(o, text(f"issues.outcome.{o}")) for o in VOTE_OUTCOMES)
# Outcomes where no vote took place: nothing to follow up.
CALLED_OFF = ("postponed", "withdrawn")

PLEDGE_ACTION = "countdown.pledge"
KEPT_ACTION = "countdown.kept"
MISSED_ACTION = "countdown.missed"
MINE_ACTION = "countdown.mine"
AFTER = "after"
THERMOMETER = 10
MAX_TARGETS = 3
MAX_MENTIONS = 50
MINE_SHOWN = 6


# -- stages -----------------------------------------------------------------------------------------------------

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
    """When a stage falls due: 09:00 local time N days before, 08:00 on the day (always before the decision)."""
    due = _local(decision_day(issue, zone) - timedelta(days=days), VOTE_MORNING_HOUR if days == 0 else STAGE_HOUR,
                 zone)
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


def followup_point(stage_list: Sequence[Stage], label: str, kind: str) -> str:
    """After which stage a pledge is followed up: its own, or (attending, the last stage) after the vote."""
    if kind == ATTEND or not label.removeprefix("d").isdigit():
        return AFTER
    days = int(label.removeprefix("d"))
    return label if any(s.days < days for s in stage_list) else AFTER


def followup_due(issue: Issue, stage_list: Sequence[Stage], label: str, zone: str) -> datetime:
    """When a stage's pledges are followed up: a little after the next stage begins, or after the vote."""
    if label == AFTER:
        return after_vote(issue, zone)
    days = int(label.removeprefix("d"))
    later = [s for s in stage_list if s.days < days]
    return later[0].due + FOLLOWUP_DELAY if later else after_vote(issue, zone)


def parse_days(raw: str) -> list[int]:
    """Read "14, 7, 3, 1, 0" into [14, 7, 3, 1, 0] (0 is the morning of the vote); "av"/"off" means none."""
    return validation.day_list(raw, text("field.countdown_days"), problem="errors.countdown_days", lowest=0,
                               highest=MAX_DAYS)


async def workspace_days(session: AsyncSession, workspace_id: int) -> list[int]:
    """The workspace's default stages."""
    settings = await session.get(CountdownSettings, workspace_id)
    return list(settings.days) if settings is not None else list(DEFAULT_DAYS)


async def _countdown(session: AsyncSession, issue: Issue, now: datetime | None = None) -> Countdown | None:
    """The issue's countdown row; created when `now` is given."""
    row = await session.scalar(select(Countdown).where(Countdown.issue_id == issue.id))
    if row is None and now is not None:
        row = Countdown(workspace_id=issue.workspace_id, issue_id=issue.id, days=None, refreshes=0, voted_for=[],
                        created_at=now, updated_at=now)
        session.add(row)
        await session.flush()
    return row


async def days_for(session: AsyncSession, issue: Issue) -> list[int]:
    """An issue's stages: its own, or the workspace's."""
    row = await _countdown(session, issue)
    if row is not None and row.days is not None:
        return list(row.days)
    return await workspace_days(session, issue.workspace_id)


async def _zone(session: AsyncSession, workspace_id: int) -> str:
    return (await session.get_one(Workspace, workspace_id)).timezone


def _prefix(issue_id: int) -> str:
    return f"countdown:{issue_id}:"


def live_key(issue_id: int) -> str:
    """The key of an issue's live message."""
    return f"countdown:{issue_id}"


def _day_key(issue: Issue, zone: str) -> str:
    # Reminders are keyed by the decision's date: a new date is a new countdown (stages that went out may come
    # again for it), a new hour on the same date only moves what is pending, and nothing is sent twice.
    return decision_day(issue, zone).isoformat()


# -- planning ---------------------------------------------------------------------------------------------------

@issues_service.on_change
async def plan(session: AsyncSession, issue: Issue, now: datetime) -> None:
    """Plan, move or cancel an issue's countdown after it was created, changed or closed."""
    zone = await _zone(session, issue.workspace_id)
    if issue.status == civics.OPEN:
        # The hook runs when the issue is created (version 1, this very moment) and whenever it changes.
        reason = CREATED if issue.version == 1 and issue.created_at == now else MOVED
        await _plan_open(session, issue, now, zone, reason)
    else:
        await _finish(session, issue, now)


async def _stages_that_came(session: AsyncSession, issue: Issue, stage_list: Sequence[Stage]) -> set[int]:
    """The stages (days before) of the countdown under way that already came up: went out, or were skipped (and
    the coordinators told). Those of an earlier date count too, as long as they came after the countdown, by the
    current date, began; what came before that belongs to a countdown that the new date starts over."""
    if not stage_list:
        return set()
    rows = (await session.execute(select(Reminder.payload, Reminder.fired_at, Reminder.due_at).where(
        Reminder.workspace_id == issue.workspace_id, Reminder.kind == STAGE_KIND,
        Reminder.key.startswith(f"{_prefix(issue.id)}stage:", autoescape=True),
        Reminder.status.in_((reminders.FANNED_OUT, reminders.SKIPPED))))).all()
    start = stage_list[0].due
    return {int(payload["days"]) for payload, fired_at, due_at in rows
            if "days" in payload and (fired_at or due_at) >= start}


def _grace(due: datetime, stage: Stage) -> timedelta:
    """How late a stage planned for `due` may still go out: a day at most, and never once the next one began (a
    second at least: no grace at all would mean no limit)."""
    return max(min(STAGE_GRACE, stage.end - due), timedelta(seconds=1))


async def _plan_stages(session: AsyncSession, issue: Issue, stage_list: Sequence[Stage], now: datetime, zone: str,
                       reason: str) -> tuple[set[str], list[Stage]]:
    """Plan the stages still to come; the one whose window we are in goes out now, unless it (or a later one)
    already came; those whose window has passed are skipped and the coordinators told. Return the reminder keys
    to keep and the stages planned ahead."""
    day_key = _day_key(issue, zone)
    prefix = _prefix(issue.id)
    came = await _stages_that_came(session, issue, stage_list)
    latest = min(came, default=None)

    def came_already(stage: Stage) -> bool:
        # Never the same call twice, and never back to a less urgent one.
        return stage.days in came or (latest is not None and stage.days >= latest)

    rows = {r.key: r for r in await session.scalars(select(Reminder).where(
        Reminder.workspace_id == issue.workspace_id,
        Reminder.key.startswith(f"{prefix}stage:{day_key}:", autoescape=True)))}
    # The stage under way: the last one that began, while the vote is still ahead.
    begun = [s for s in stage_list if s.due <= now]
    current = begun[-1] if begun and issue.decision_at > now else None
    wanted: set[str] = set()
    ahead: list[Stage] = []
    skipped: list[Stage] = []
    now_stage: Stage | None = None
    for stage in stage_list:
        key = f"{prefix}stage:{day_key}:{stage.days}"
        payload = {"issue_id": issue.id, "days": stage.days, "decision": issue.decision_at.isoformat()}
        row = rows.get(key)
        if row is not None and row.status == reminders.PENDING and row.due_at <= now:
            # Fell due while the bot was away: the dispatcher sends it within its grace, or skips it and tells
            # the coordinators.
            wanted.add(key)
            await reminders.schedule(session, workspace_id=issue.workspace_id, kind=STAGE_KIND, key=key,
                                     due_at=row.due_at, now=now, grace=_grace(row.due_at, stage), payload=payload)
            continue
        if (row is not None and row.status not in (reminders.PENDING, reminders.CANCELLED)) or came_already(stage):
            continue
        if stage.due > now:
            wanted.add(key)
            ahead.append(stage)
            await reminders.schedule(session, workspace_id=issue.workspace_id, kind=STAGE_KIND, key=key,
                                     due_at=stage.due, now=now, grace=stage.grace, payload=payload)
        elif stage is current:
            # Its call to action still makes sense: out now (DMs still wait out quiet hours), never past the
            # next stage or the vote.
            now_stage = stage
            wanted.add(key)
            await reminders.schedule(session, workspace_id=issue.workspace_id, kind=STAGE_KIND, key=key,
                                     due_at=now, now=now, grace=_grace(now, stage), payload=payload)
        elif issue.decision_at > now:
            # Its window has passed: recorded as skipped, so that nothing brings it back in this countdown.
            skipped.append(stage)
            skip = await reminders.schedule(session, workspace_id=issue.workspace_id, kind=STAGE_KIND, key=key,
                                            due_at=stage.due, now=now, grace=stage.grace, payload=payload)
            skip.status = reminders.SKIPPED
            skip.fired_at = now
    if skipped:
        key = f"{prefix}late:{day_key}:{now_stage.days if now_stage is not None else '-'}"
        wanted.add(key)
        await reminders.schedule(session, workspace_id=issue.workspace_id, kind=LATE_KIND, key=key, due_at=now,
                                 now=now, payload={"issue_id": issue.id, "reason": reason,
                                                   "decision": issue.decision_at.isoformat(),
                                                   "left": days_left(issue, zone, now),
                                                   "skipped": [s.days for s in skipped],
                                                   "stage": now_stage.days if now_stage is not None else None})
        log.info("Countdown of issue %s (%s): stages %s skipped, %s goes out now", issue.id, reason,
                 [s.label for s in skipped], now_stage.label if now_stage is not None else None)
    return wanted, ahead


async def _plan_open(session: AsyncSession, issue: Issue, now: datetime, zone: str, reason: str = MOVED
                     ) -> list[Stage]:
    """Plan an open issue's countdown; return the stages planned ahead."""
    stage_list = stages(issue, await days_for(session, issue), zone)
    day_key = _day_key(issue, zone)
    prefix = _prefix(issue.id)
    wanted, ahead = await _plan_stages(session, issue, stage_list, now, zone, reason)
    # Pledges already made are followed up on the new dates too.
    open_pledges = (await session.execute(
        select(Pledge.stage, Pledge.kind).where(Pledge.issue_id == issue.id, Pledge.status == MADE,
                                                Pledge.followed_up_at.is_(None)).distinct())).all()
    for label, kind in open_pledges:
        wanted |= await _schedule_followups(session, issue, stage_list, label, kind, zone, now)
    result_key = f"{prefix}result:{day_key}"
    wanted.add(result_key)
    await reminders.schedule(session, workspace_id=issue.workspace_id, kind=RESULT_DUE_KIND, key=result_key,
                             due_at=after_vote(issue, zone) - timedelta(hours=1), now=now,
                             payload={"issue_id": issue.id}, grace=RESULT_DUE_GRACE)
    await _cancel(session, issue, (STAGE_KIND, FOLLOWUP_KIND, RESULT_DUE_KIND, LATE_KIND), keep=wanted)
    # The live message: shown from the first stage on (at once when that has passed), turned over daily, and
    # at the time of the decision (no more pledges: the result is coming).
    counting = bool(stage_list) and issue.decision_at > now
    vote_key = f"{prefix}live:vote:{day_key}"
    await _cancel(session, issue, (LIVE_KIND,), keep={vote_key} if counting else None,
                  prefix=f"{prefix}live:vote:")
    if counting:
        await reminders.schedule(session, workspace_id=issue.workspace_id, kind=LIVE_KIND, key=vote_key,
                                 due_at=issue.decision_at, now=now, payload={"issue_id": issue.id})
    if await _live_message(session, issue) is not None:
        await request_refresh(session, issue, now)
    elif counting:
        # Before the countdown begins only its start is planned; a decision that moves takes it along.
        start = max(stage_list[0].due, now)
        key = _day_turn_key(issue.id, start, zone)
        await _cancel(session, issue, (LIVE_KIND,), keep={key}, prefix=f"{prefix}live:day:")
        await reminders.schedule(session, workspace_id=issue.workspace_id, kind=LIVE_KIND, key=key, due_at=start,
                                 now=now, payload={"issue_id": issue.id})
    return ahead


def _day_turn_key(issue_id: int, at: datetime, zone: str) -> str:
    return f"{_prefix(issue_id)}live:day:{at.astimezone(ZoneInfo(zone)).date().isoformat()}"


async def _schedule_followups(session: AsyncSession, issue: Issue, stage_list: Sequence[Stage], label: str,
                              kind: str, zone: str, now: datetime) -> set[str]:
    """Plan the "did you?" of a pledge: after its stage (after the vote for attending), and a last one after the
    vote for anything left unanswered. Return the keys."""
    day_key = _day_key(issue, zone)
    # The last one, after the vote, asks about whatever is still unanswered then.
    points = {AFTER, followup_point(stage_list, label, kind)}
    keys = set()
    for point in sorted(points):
        key = f"{_prefix(issue.id)}followup:{day_key}:{point}"
        keys.add(key)
        await reminders.schedule(session, workspace_id=issue.workspace_id, kind=FOLLOWUP_KIND, key=key,
                                 due_at=max(followup_due(issue, stage_list, point, zone), now), now=now,
                                 payload={"issue_id": issue.id, "stage": point}, grace=FOLLOWUP_GRACE)
    return keys


async def _cancel(session: AsyncSession, issue: Issue, kinds: Sequence[str], keep: set[str] | None = None, *,
                  prefix: str | None = None) -> int:
    """Cancel an issue's pending reminders of some kinds (whose key starts with `prefix`), but those in `keep`."""
    return await reminders.cancel_prefixed(session, workspace_id=issue.workspace_id,
                                           prefix=prefix or _prefix(issue.id), keep=keep or (), kinds=kinds)


async def _finish(session: AsyncSession, issue: Issue, now: datetime) -> None:
    """A closed issue: no more stages or daily turns; after a vote, the follow-up; the live message's last state."""
    cancelled = await _cancel(session, issue, (STAGE_KIND, LIVE_KIND, RESULT_DUE_KIND, LATE_KIND))
    if issue.outcome in CALLED_OFF:
        cancelled += await _cancel(session, issue, (FOLLOWUP_KIND,))
    log.info("Countdown of issue %s ended (%s): %d reminders cancelled", issue.id, issue.outcome, cancelled)
    if issue.outcome in VOTE_OUTCOMES:
        await reminders.schedule(session, workspace_id=issue.workspace_id, kind=OUTCOME_KIND,
                                 key=f"{_prefix(issue.id)}outcome", due_at=now, now=now,
                                 payload={"issue_id": issue.id}, grace=OUTCOME_GRACE)
    if await _live_message(session, issue) is not None:
        await reminders.schedule(session, workspace_id=issue.workspace_id, kind=LIVE_KIND,
                                 key=f"{_prefix(issue.id)}live:final", due_at=now, now=now,
                                 payload={"issue_id": issue.id})


async def _live_message(session: AsyncSession, issue: Issue) -> LiveMessage | None:
    return await session.scalar(select(LiveMessage).where(LiveMessage.workspace_id == issue.workspace_id,
                                                          LiveMessage.key == live_key(issue.id)))


async def request_refresh(session: AsyncSession, issue: Issue, now: datetime) -> None:
    """Have the live message show the current state soon; one pending refresh serves every change until then.

    A closed issue's live message shows the result (or that it was closed) as its last state: no more refreshes.
    """
    if issue.status != civics.OPEN:
        return
    if await _live_message(session, issue) is None:
        return  # the countdown has not begun: its first post shows the state of that moment
    pending = await session.scalar(select(Reminder.id).where(
        Reminder.workspace_id == issue.workspace_id, Reminder.kind == LIVE_KIND,
        Reminder.key.startswith(f"{_prefix(issue.id)}live:r", autoescape=True),
        Reminder.status == reminders.PENDING).limit(1))
    if pending is not None:
        return
    row = await _countdown(session, issue, now)
    assert row is not None
    row.refreshes += 1
    await reminders.schedule(session, workspace_id=issue.workspace_id, kind=LIVE_KIND,
                             key=f"{_prefix(issue.id)}live:r{row.refreshes}", due_at=now, now=now,
                             payload={"issue_id": issue.id})


async def _continue_live(session: AsyncSession, issue: Issue, zone: str, now: datetime) -> None:
    """Plan tomorrow's turn of the live message (each day's key is its date, so this is idempotent).

    A result nobody records: the turns stop two weeks after the vote, the last one unpinning the message.
    """
    end = issue.decision_at + LIVE_AFTER_VOTE
    if issue.status != civics.OPEN or now >= end:
        return
    tomorrow = now.astimezone(ZoneInfo(zone)).date() + timedelta(days=1)
    due = datetime.combine(tomorrow, LIVE_REFRESH, tzinfo=ZoneInfo(zone)).astimezone(UTC)
    key = _day_turn_key(issue.id, due, zone)
    if due > end:
        due, key = end, f"{_prefix(issue.id)}live:end:{_day_key(issue, zone)}"
    await reminders.schedule(session, workspace_id=issue.workspace_id, kind=LIVE_KIND, key=key, due_at=due, now=now,
                             payload={"issue_id": issue.id})


# -- what is shown ----------------------------------------------------------------------------------------------

def pledge_buttons(issue_id: int) -> tuple[Button, ...]:
    """The buttons under every countdown message: promise to act."""
    styles = {TWEET: ButtonStyle.PRIMARY, CONTACT: ButtonStyle.PRIMARY, ATTEND: ButtonStyle.SUCCESS}
    return tuple(Button(text(f"pledge.button.{kind}"), PLEDGE_ACTION, f"{issue_id}-{kind}", styles[kind])
                 for kind in PLEDGE_KINDS)


async def pledge_counts(session: AsyncSession, issue_id: int) -> dict[str, tuple[int, int]]:
    """Pledges per kind: (made, kept)."""
    rows = (await session.execute(select(Pledge.kind, Pledge.status, func.count()).where(Pledge.issue_id == issue_id)
                                  .group_by(Pledge.kind, Pledge.status))).all()
    counts = {kind: [0, 0] for kind in PLEDGE_KINDS}
    for kind, status, count in rows:
        if kind in counts:
            counts[kind][0] += count
            if status == KEPT:
                counts[kind][1] += count
    return {kind: (made, kept) for kind, (made, kept) in counts.items()}


def thermometer(counts: dict[str, tuple[int, int]]) -> Text:
    """Pledges kept against pledges made, as a bar and per kind ("14 of 20 done")."""
    made = sum(m for m, _ in counts.values())
    kept = sum(k for _, k in counts.values())
    if not made:
        return text("countdown.no_pledges")
    filled = round(THERMOMETER * kept / made)
    kinds = tuple(text("countdown.kind_count", emoji=PLEDGE_EMOJI[kind], kind=text(f"pledge.kind.{kind}"),
                       kept=counts[kind][1], made=counts[kind][0]) for kind in PLEDGE_KINDS if counts[kind][0])
    return text("countdown.thermometer", bar=Literal("▰" * filled + "▱" * (THERMOMETER - filled)), kept=kept,
                made=made, kinds=Join(kinds, " · "))


def _when(issue: Issue, zone: str, style: str | None = None) -> When:
    return When(issue.decision_at, zone, style or ("full" if issue.decision_has_time else "date"))


def days_left(issue: Issue, zone: str, now: datetime) -> int:
    """Whole days from today to the decision's date, in local time."""
    return (decision_day(issue, zone) - now.astimezone(ZoneInfo(zone)).date()).days


async def _next_stage(session: AsyncSession, issue: Issue, now: datetime) -> tuple[int, datetime] | None:
    """The next stage planned (days before, when): a stage that already came in this countdown is not."""
    row = (await session.execute(select(Reminder.payload, Reminder.due_at).where(
        Reminder.workspace_id == issue.workspace_id, Reminder.kind == STAGE_KIND,
        Reminder.key.startswith(f"{_prefix(issue.id)}stage:", autoescape=True), Reminder.status == reminders.PENDING,
        Reminder.due_at > now).order_by(Reminder.due_at).limit(1))).first()
    return (int(row.payload.get("days", 0)), row.due_at) if row is not None else None


async def live_reply(session: AsyncSession, issue: Issue, zone: str, language: str, now: datetime) -> Reply:
    """The live message: the decision, days left, the pledge thermometer, the stance summary, what comes next."""
    counts = await pledge_counts(session, issue.id)
    title_label = Literal(issue.title)
    fields = [Field(text("countdown.field.decision"), _when(issue, zone), inline=True),
              Field(text("field.body"), civics.body_label(issue.body, issue.committee), inline=True),
              Field(text("field.hashtag"), Literal(issue.hashtag), inline=True)]
    buttons: tuple[Button, ...] = ()
    links: tuple[Link, ...] = ()
    if issue.status != civics.OPEN:
        # The result instead of the projection: no "votes missing" once the vote was held (or called off).
        outcome = issue.outcome or "other"
        title: Text = text("countdown.live.closed", title=title_label, outcome=text(f"issues.outcome.{outcome}"))
        body: Renderable = text(f"issues.outcome.text.{outcome}")
        fields.append(Field(text("countdown.field.result"), text(f"issues.outcome.{outcome}"), inline=True))
        if issue.outcome_note:
            fields.append(Field(text("field.note"), Literal(issue.outcome_note)))
        if issue.outcome in VOTE_OUTCOMES:
            politicians = await _voted_for(session, issue)
            if politicians:
                fields.append(Field(text("countdown.field.voted_for"),
                                    Join(tuple(civics.politician_label(p) for p in politicians))))
        fields.append(Field(text("countdown.field.pledges"), thermometer(counts)))
        if issue.outcome in VOTE_OUTCOMES:
            thanks = await _thanks_post(session, issue, language)
            if thanks is not None:
                fields.append(Field(text("countdown.field.thanks"), Literal(thanks)))
                links = drafts.share_links(thanks, url=issue.source_url, hashtag=issue.hashtag)
            fields.append(Field(text("countdown.field.story"), text("countdown.story_prompt")))
            buttons = (stories.share_button(),)
    elif now >= issue.decision_at:
        title = text("countdown.live.voted", title=title_label)
        body = text("countdown.live.voted_body")
        fields.append(Field(text("countdown.field.pledges"), thermometer(counts)))
        fields.append(Field(text("countdown.field.stances"),
                            stances.map_summary(await stances.build_model(session, issue))))
    else:
        left = days_left(issue, zone, now)
        title = text("countdown.live.title", title=title_label, days=text("countdown.days", count=left)
                     if left > 1 else text(f"countdown.days.{left}"))
        body = Literal(issue.summary)
        fields.append(Field(text("countdown.field.days_left"), Literal(str(left)), inline=True))
        fields.append(Field(text("countdown.field.pledges"), thermometer(counts)))
        fields.append(Field(text("countdown.field.stances"),
                            stances.map_summary(await stances.build_model(session, issue))))
        upcoming = await _next_stage(session, issue, now)
        if upcoming is not None:
            fields.append(Field(text("countdown.field.next"),
                                text("countdown.next", step=text(f"countdown.step.{step_of(upcoming[0])}"),
                                     when=When(upcoming[1], zone, "short"))))
        buttons = pledge_buttons(issue.id)
    return Reply(title=title, body=body, fields=tuple(fields), buttons=buttons, links=links, private=False)


async def _live_planned(session: AsyncSession, issue: Issue, workspace: Workspace, now: datetime
                        ) -> reminders.Planned:
    reply = await live_reply(session, issue, workspace.timezone, workspace.language, now)
    return reminders.Planned(reply, channel=Channel.ANNOUNCEMENTS, live=live_key(issue.id),
                             pinned=issue.status == civics.OPEN and now < issue.decision_at + LIVE_AFTER_VOTE)


@dataclass(frozen=True)
class DraftContext:
    """Whom a stage's draft names: the politicians to win over, the local media."""

    targets: tuple[str, ...]
    media: tuple[str, ...]


async def _draft_context(session: AsyncSession, issue: Issue) -> DraftContext:
    model = await stances.build_model(session, issue)
    targets = tuple(drafts.handle(r.handle) or r.name for r in model.priority[:MAX_TARGETS])
    handles = await media.handles_for(session, issue.workspace_id, issue.municipality)
    return DraftContext(targets, tuple("@" + h for h in handles))


def compose(issue: Issue, step: str, days: int, context: DraftContext, zone: str, language: str) -> str:
    """Write a stage's post for members to share: it names the targets or the media, carries the #hashtag, fits X."""
    local = issue.decision_at.astimezone(ZoneInfo(zone))
    day = f"{local.day} {translate(f'time.month.{local.month}', language)}"
    body = render(civics.body_label(issue.body, issue.committee), language)
    place = render(civics.municipality_label(issue.municipality), language)
    targets = list(context.targets)
    why = asks._first_sentence(issue.position)
    title = issue.title
    while True:
        # Without known targets the question goes to the whole body.
        named = " ".join(targets) or (translate("asks.draft.to_body", language, body=body, municipality=place)
                                      if step == "ask" else "")
        post = translate(f"countdown.draft.{step}", language, title=title, body=body, municipality=place, date=day,
                         days=days, targets=named, media=" ".join(context.media), why=why, hashtag=issue.hashtag)
        post = " ".join(post.split())
        if drafts.fits_x(post):
            return post
        if why:
            why = ""
        elif len(targets) > 1:
            targets.pop()
        elif len(title) > 20:
            title = title[: max(20, len(title) - 20)].rstrip() + "…"
        else:
            return post[:270]


def stage_reply(issue: Issue, stage: Stage, post: str, zone: str, days: int | None = None) -> Reply:
    """A stage's message: the call to action, the decision, a draft with share links, and the pledge buttons.

    `days` is how many days are really left, when the stage goes out later than its day (an issue that came in
    inside its window): the call to action is the stage's, the count the true one.
    """
    params: dict[str, Any] = {"title": Literal(issue.title), "days": stage.days if days is None else days,
                              "body": civics.body_label(issue.body, issue.committee),
                              "municipality": civics.municipality_label(issue.municipality),
                              "when": _when(issue, zone), "hashtag": Literal(issue.hashtag)}
    fields = [Field(text("countdown.field.decision"), _when(issue, zone), inline=True),
              Field(text("field.hashtag"), Literal(issue.hashtag), inline=True),
              Field(text("countdown.field.draft"), Literal(post))]
    links = drafts.share_links(post, url=issue.source_url, hashtag=issue.hashtag)
    if issue.source_url:
        links = (*links, Link(text("issues.link.source"), issue.source_url))
    return Reply(title=text(f"countdown.stage.{stage.step}.title", **params),
                 body=text(f"countdown.stage.{stage.step}.body", **params), fields=tuple(fields),
                 buttons=pledge_buttons(issue.id), links=links, private=False)


async def _issue_as_planned(session: AsyncSession, reminder: Reminder, now: datetime) -> Issue | None:
    """The open issue a countdown reminder is for, if its vote is still ahead and at the time it was planned for
    (when the decision moved since, the reminders planned for the new time follow instead)."""
    issue = await session.get(Issue, reminder.payload["issue_id"])
    if issue is None or issue.status != civics.OPEN or issue.decision_at <= now:
        return None
    planned_for = reminder.payload.get("decision")
    if planned_for is None or datetime.fromisoformat(planned_for) != issue.decision_at:
        return None
    return issue


@reminders.planner(STAGE_KIND)
async def _plan_stage(session: AsyncSession, reminder: Reminder, now: datetime) -> list[reminders.Planned]:
    issue = await _issue_as_planned(session, reminder, now)
    if issue is None:
        return []
    workspace = await session.get_one(Workspace, issue.workspace_id)
    zone = workspace.timezone
    stage = next((s for s in stages(issue, await days_for(session, issue), zone)
                  if s.days == reminder.payload["days"]), None)
    if stage is None:
        return []  # the stage was removed from the countdown
    context = await _draft_context(session, issue)
    by_language: dict[str, Reply] = {}
    # Out later than its day (the issue came in inside its window, or the bot was down): the true count.
    left = min(stage.days, max(days_left(issue, zone, now), 0))

    def reply_in(language: str) -> Reply:
        if language not in by_language:
            by_language[language] = stage_reply(issue, stage, compose(issue, stage.step, left, context, zone,
                                                                      language), zone, left)
        return by_language[language]

    post = replace(reply_in(workspace.language), mention_role=Role.MEMBER)
    # Never sent after the vote, even if quiet hours or a stop held a DM back.
    planned = [reminders.Planned(post, channel=Channel.ANNOUNCEMENTS, expires_at=issue.decision_at)]
    # Followers who want DMs get one; those whose DMs turn out closed are mentioned together in the channel.
    # The others are reached by the member role's ping. Only ids and languages: a stage may reach thousands.
    wanting = (await session.execute(select(Member.id, Member.language).where(
        Member.workspace_id == issue.workspace_id, Member.onboarded_at.is_not(None), Member.dm_reminders.is_(True),
        Member.id.in_(follows.following(issue))).order_by(Member.id))).all()
    planned += [reminders.Planned(reply_in(normalize_language(language or workspace.language)), member_id=member_id,
                                  channel=Channel.ANNOUNCEMENTS, expires_at=issue.decision_at)
                for member_id, language in wanting]
    planned.append(await _live_planned(session, issue, workspace, now))
    await _continue_live(session, issue, zone, now)
    log.info("Countdown stage %s of issue %s: %d DMs", stage.label, issue.id, len(wanting))
    return planned


@reminders.planner(LIVE_KIND)
async def _plan_live(session: AsyncSession, reminder: Reminder, now: datetime) -> list[reminders.Planned]:
    issue = await session.get(Issue, reminder.payload["issue_id"])
    if issue is None:
        return []
    if issue.status != civics.OPEN and (await _live_message(session, issue) is None
                                        or reminder.key != f"{_prefix(issue.id)}live:final"):
        return []  # closed before the countdown began: nothing to show; closed after: only its last state
    workspace = await session.get_one(Workspace, issue.workspace_id)
    await _continue_live(session, issue, workspace.timezone, now)
    return [await _live_planned(session, issue, workspace, now)]


def _stage_name(days: int) -> Text:
    return text("countdown.late.stage", step=text(f"countdown.step.{step_of(days)}"), before=before(days))


def late_reply(issue: Issue, payload: dict[str, Any], zone: str) -> Reply:
    """Tell the coordinators which stages were skipped and why, and which one goes out now instead."""
    left = int(payload.get("left", 0))
    when = _when(issue, zone)
    reason = payload.get("reason", MOVED)
    lead = text("countdown.late.lead", count=left) if left > 1 else text(f"countdown.late.lead.{left}")
    key = {CREATED: "countdown.late.created", RESTAGED: "countdown.late.stages"}.get(reason, "countdown.late.moved")
    why = text(key, lead=lead, when=when)
    body: Renderable = text("countdown.late.body", reason=why, skipped=Join(
        tuple(_stage_name(int(d)) for d in payload.get("skipped", [])), "\n", "• "))
    if payload.get("stage") is not None:
        body = Join((body, text("countdown.late.now", stage=_stage_name(int(payload["stage"])))), "\n")
    return Reply(title=text("countdown.late.title", title=Literal(issue.title)), body=body, private=False)


@reminders.planner(LATE_KIND)
async def _plan_late(session: AsyncSession, reminder: Reminder, now: datetime) -> list[reminders.Planned]:
    issue = await _issue_as_planned(session, reminder, now)
    if issue is None:
        return []
    zone = await _zone(session, issue.workspace_id)
    return [reminders.Planned(late_reply(issue, reminder.payload, zone), channel=Channel.COORDINATORS)]


# -- pledges ----------------------------------------------------------------------------------------------------

async def _make_pledge(session: AsyncSession, actor: Actor, issue: Issue, kind: str) -> Reply:
    member = actor.require_onboarded()
    if issue.status != civics.OPEN or issue.decision_at <= actor.now:
        raise UserError("pledge.too_late", title=Literal(issue.title))
    zone = actor.workspace.timezone
    stage_list = stages(issue, await days_for(session, issue), zone)
    stage = current_stage(stage_list, actor.now)
    label = stage.label if stage is not None else "d0"
    kind_label = text(f"pledge.kind.{kind}")
    existing = await session.scalar(select(Pledge.id).where(
        Pledge.issue_id == issue.id, Pledge.member_id == member.id, Pledge.kind == kind, Pledge.stage == label))
    if existing is not None:
        return Reply(body=text("pledge.already", kind=kind_label, title=Literal(issue.title)))
    session.add(Pledge(workspace_id=actor.workspace.id, issue_id=issue.id, member_id=member.id, kind=kind,
                       stage=label, status=MADE, created_at=actor.now))
    await session.flush()
    # Whoever pledges hears how the countdown goes.
    await follows.add_follow(session, member, follows.ISSUE, str(issue.id), actor.now)
    await _schedule_followups(session, issue, stage_list, label, kind, zone, actor.now)
    await request_refresh(session, issue, actor.now)
    asked_at = max(followup_due(issue, stage_list, followup_point(stage_list, label, kind), zone), actor.now)
    log.info("Member %s pledged %s on issue %s (%s)", member.id, kind, issue.id, label)
    counts = await pledge_counts(session, issue.id)
    return Reply(body=text("pledge.made", kind=kind_label, title=Literal(issue.title),
                           when=When(asked_at, zone, "short")),
                 fields=(Field(text("countdown.field.pledges"), thermometer(counts)),))


async def _issue_for_pledge(session: AsyncSession, actor: Actor, issue: str) -> Issue:
    if issue:
        return await civics.find_issue(session, actor.workspace.id, issue, open_only=True)
    upcoming = list(await session.scalars(select(Issue).where(
        Issue.workspace_id == actor.workspace.id, Issue.status == civics.OPEN, Issue.decision_at > actor.now)
        .order_by(Issue.decision_at, Issue.id).limit(2)))
    if len(upcoming) != 1:
        raise UserError("issues.missing")
    return upcoming[0]


async def pledge(session: AsyncSession, actor: Actor, issue: str = "", kind: str = "") -> Reply:
    """Promise to act before a decision; without a kind, show the buttons; without anything, your pledges."""
    actor.require_onboarded()
    if not issue and not kind:
        return await my_pledges(session, actor)
    found = await _issue_for_pledge(session, actor, issue)
    if not kind:
        mine = await my_pledges(session, actor, found)
        return Reply(title=text("pledge.menu.title", title=Literal(found.title)),
                     body=text("pledge.menu.body", when=_when(found, actor.workspace.timezone)),
                     fields=mine.fields, buttons=pledge_buttons(found.id))
    value = validation.choice(kind, text("field.pledge_kind"), PLEDGE_CHOICES, required=True)
    assert value is not None
    return await _make_pledge(session, actor, found, value)


@action(PLEDGE_ACTION)
async def pledge_pressed(session: AsyncSession, actor: Actor, arg: str) -> Reply:
    """Pledge the button's kind of action for its issue."""
    issue_id, _, kind = arg.partition("-")
    if kind not in PLEDGE_KINDS:
        raise UserError("errors.unknown_button")
    return await _make_pledge(session, actor, await pressed_row(session, actor, Issue, issue_id), kind)


async def _own_pledge(session: AsyncSession, actor: Actor, arg: str) -> Pledge:
    actor.require_onboarded()
    row = await pressed_row(session, actor, Pledge, arg)
    if row.member_id != actor.member.id:
        raise UserError("pledge.not_yours")
    return row


async def _answer(session: AsyncSession, actor: Actor, arg: str, kept: bool) -> Reply:
    row = await _own_pledge(session, actor, arg)
    issue = await session.get_one(Issue, row.issue_id)
    kind_label = text(f"pledge.kind.{row.kind}")
    if row.status != MADE:
        return Reply(body=text("pledge.answered_already", kind=kind_label, title=Literal(issue.title),
                               status=text(f"pledge.status.{row.status}")))
    row.status = KEPT if kept else NOT_KEPT
    row.kept_at = actor.now if kept else None
    row.followed_up_at = row.followed_up_at or actor.now
    if kept:
        await _record_action(session, actor, row, issue)
    await request_refresh(session, issue, actor.now)
    log.info("Member %s answered pledge %s: %s", actor.member.id, row.id, row.status)
    key = "pledge.kept" if kept else ("pledge.missed_open" if issue.status == civics.OPEN
                                      and issue.decision_at > actor.now else "pledge.missed")
    rest = await _open_pledges(session, actor.member.id, issue.id, followed_up=True)
    counts = await pledge_counts(session, issue.id)
    return Reply(body=text(key, kind=kind_label, title=Literal(issue.title)),
                 fields=(Field(text("countdown.field.pledges"), thermometer(counts)),),
                 buttons=answer_buttons(rest), replaces_source=True)


async def _record_action(session: AsyncSession, actor: Actor, row: Pledge, issue: Issue) -> None:
    """Log a kept pledge in the action log (once: the source names the pledge)."""
    await activity.record(session, actor, PLEDGE_ACTIVITY[row.kind], issue_id=issue.id, source=f"pledge:{row.id}")


@action(KEPT_ACTION)
async def kept_pressed(session: AsyncSession, actor: Actor, arg: str) -> Reply:
    """The member did what they pledged."""
    return await _answer(session, actor, arg, kept=True)


@action(MISSED_ACTION)
async def missed_pressed(session: AsyncSession, actor: Actor, arg: str) -> Reply:
    """The member did not get to it."""
    return await _answer(session, actor, arg, kept=False)


def answer_buttons(rows: Sequence[Pledge]) -> tuple[Button, ...]:
    """Two buttons per pledge: done, not done."""
    buttons: list[Button] = []
    for row in rows[:MINE_SHOWN]:
        buttons.append(Button(text(f"pledge.button.kept.{row.kind}"), KEPT_ACTION, str(row.id), ButtonStyle.SUCCESS))
        buttons.append(Button(text(f"pledge.button.missed.{row.kind}"), MISSED_ACTION, str(row.id),
                              ButtonStyle.SECONDARY))
    return tuple(buttons)


async def _open_pledges(session: AsyncSession, member_id: int, issue_id: int | None = None, *,
                        followed_up: bool = False) -> list[Pledge]:
    query = select(Pledge).where(Pledge.member_id == member_id, Pledge.status == MADE)
    if issue_id is not None:
        query = query.where(Pledge.issue_id == issue_id)
    if followed_up:
        query = query.where(Pledge.followed_up_at.is_not(None))
    return list(await session.scalars(query.order_by(Pledge.id)))


async def my_pledges(session: AsyncSession, actor: Actor, issue: Issue | None = None) -> Reply:
    """Show the member's pledges (on one issue, or on every issue still open or just decided)."""
    member = actor.require_onboarded()
    query = (select(Pledge, Issue).join(Issue, Issue.id == Pledge.issue_id)
             .where(Pledge.member_id == member.id).order_by(Issue.decision_at, Pledge.id))
    if issue is not None:
        query = query.where(Issue.id == issue.id)
    else:
        query = query.where((Issue.status == civics.OPEN) | (Pledge.status == MADE))
    rows = (await session.execute(query)).all()
    if not rows:
        return Reply(body=text("pledge.none"), fields=(Field(text("pledge.field.mine"), text("pledge.none")),)
                     if issue is not None else ())
    lines = tuple(text("pledge.line", emoji=PLEDGE_EMOJI.get(p.kind, ""), kind=text(f"pledge.kind.{p.kind}"),
                       title=Literal(i.title), status=text(f"pledge.status.{p.status}")) for p, i in rows)
    open_rows = [p for p, _ in rows if p.status == MADE]
    return Reply(title=text("pledge.mine.title"), body=text("pledge.mine.body") if open_rows else None,
                 fields=(Field(text("pledge.field.mine"), Join(lines, "\n", "• ")),),
                 buttons=answer_buttons(open_rows))


@action(MINE_ACTION)
async def mine_pressed(session: AsyncSession, actor: Actor, arg: str) -> Reply:
    """Show the member their pledges on the issue, to say whether they did it."""
    issue = await pressed_row(session, actor, Issue, arg)
    return await my_pledges(session, actor, issue)


@reminders.planner(FOLLOWUP_KIND)
async def _plan_followup(session: AsyncSession, reminder: Reminder, now: datetime) -> list[reminders.Planned]:
    issue = await session.get(Issue, reminder.payload["issue_id"])
    if issue is None or issue.outcome in CALLED_OFF:
        return []
    point = reminder.payload["stage"]
    query = select(Pledge).where(Pledge.issue_id == issue.id, Pledge.status == MADE, Pledge.followed_up_at.is_(None))
    if point != AFTER:
        query = query.where(Pledge.stage == point, Pledge.kind != ATTEND)
    rows = list(await session.scalars(query.order_by(Pledge.member_id, Pledge.id)))
    if not rows:
        return []
    by_member: dict[int, list[Pledge]] = defaultdict(list)
    for row in rows:
        row.followed_up_at = now
        by_member[row.member_id].append(row)
    members = {m.id: m for m in await session.scalars(select(Member).where(Member.id.in_(list(by_member))))}
    planned: list[reminders.Planned] = []
    in_channel: list[Member] = []
    for member_id, pledges in by_member.items():
        member = members[member_id]
        if not member.dm_reminders:
            in_channel.append(member)
            continue
        kinds = Join(tuple(text(f"pledge.kind.{p.kind}") for p in pledges))
        reply = Reply(title=text("pledge.followup.title", title=Literal(issue.title)),
                      body=text("pledge.followup.body", kinds=kinds), buttons=answer_buttons(pledges), private=False)
        planned.append(reminders.Planned(reply, member_id=member_id, channel=Channel.ANNOUNCEMENTS))
    if in_channel:
        mentioned = tuple(m.external_id for m in in_channel[:MAX_MENTIONS])
        planned.append(reminders.Planned(Reply(
            title=text("pledge.followup.title", title=Literal(issue.title)), body=text("pledge.followup.channel"),
            buttons=(Button(text("pledge.button.mine"), MINE_ACTION, str(issue.id)),), private=False,
            mentions=mentioned), channel=Channel.ANNOUNCEMENTS))
    log.info("Pledge follow-up (%s) of issue %s: %d members", point, issue.id, len(by_member))
    return planned


# -- the outcome --------------------------------------------------------------------------------------------------

async def _voted_for(session: AsyncSession, issue: Issue) -> list[Politician]:
    """Who voted our way: as recorded with the outcome, else those the map shows for us."""
    row = await _countdown(session, issue)
    ids = list(row.voted_for) if row is not None and row.voted_for else []
    if not ids:
        model = await stances.build_model(session, issue)
        ids = [r.politician_id for r in model.rows if r.stance == "for"]
    if not ids:
        return []
    found = {p.id: p for p in await session.scalars(select(Politician).where(
        Politician.id.in_(ids), Politician.workspace_id == issue.workspace_id))}
    return [found[i] for i in ids if i in found]


async def _thanks_post(session: AsyncSession, issue: Issue, language: str) -> str | None:
    """A post thanking the politicians who voted our way, by @handle or name; None when nobody is known."""
    politicians = await _voted_for(session, issue)
    if not politicians:
        return None
    names = [drafts.handle(p.x_handle) or p.name for p in politicians]
    outcome = issue.outcome if issue.outcome in VOTE_OUTCOMES else "other"
    while True:
        post = translate(f"countdown.thanks.{outcome}", language, names=", ".join(names), title=issue.title,
                         hashtag=issue.hashtag)
        if drafts.fits_x(post) or len(names) == 1:
            return post if drafts.fits_x(post) else post[:270]
        names.pop()


async def outcome_reply(session: AsyncSession, issue: Issue, language: str) -> Reply:
    """The follow-up after the vote: the result, a thank-you draft for those who voted our way, a story prompt."""
    outcome = issue.outcome or "other"
    fields = [Field(text("countdown.field.result"), text(f"issues.outcome.{outcome}"), inline=True)]
    if issue.outcome_note:
        fields.append(Field(text("field.note"), Literal(issue.outcome_note)))
    thanks = await _thanks_post(session, issue, language)
    links: tuple[Link, ...] = ()
    if thanks is not None:
        politicians = await _voted_for(session, issue)
        fields.append(Field(text("countdown.field.voted_for"), Join(tuple(civics.politician_label(p)
                                                                          for p in politicians))))
        fields.append(Field(text("countdown.field.thanks"), Literal(thanks)))
        links = drafts.share_links(thanks, url=issue.source_url, hashtag=issue.hashtag)
    fields.append(Field(text("countdown.field.story"), text("countdown.story_prompt")))
    counts = await pledge_counts(session, issue.id)
    if sum(m for m, _ in counts.values()):
        fields.append(Field(text("countdown.field.pledges"), thermometer(counts)))
    return Reply(title=text("countdown.outcome.title", title=Literal(issue.title),
                            outcome=text(f"issues.outcome.{outcome}")),
                 body=text(f"issues.outcome.text.{outcome}"), fields=tuple(fields),
                 buttons=(stories.share_button(),), links=links, private=False)


async def _outcome_recipients(session: AsyncSession, issue: Issue) -> list[Member]:
    """Who gets the follow-up after the vote: followers and those who pledged, who want DMs.

    The others see the result in the channel (the close announcement and the live message's last state).
    """
    members = {m.id: m for m in await follows.followers(session, issue)}
    pledgers = await session.scalars(select(Member).join(Pledge, Pledge.member_id == Member.id)
                                     .where(Pledge.issue_id == issue.id).distinct())
    for member in pledgers:
        members.setdefault(member.id, member)
    return sorted((m for m in members.values() if m.dm_reminders), key=lambda m: m.id)


@reminders.planner(OUTCOME_KIND)
async def _plan_outcome(session: AsyncSession, reminder: Reminder, now: datetime) -> list[reminders.Planned]:
    issue = await session.get(Issue, reminder.payload["issue_id"])
    if issue is None or issue.status == civics.OPEN or issue.outcome not in VOTE_OUTCOMES:
        return []
    workspace = await session.get_one(Workspace, issue.workspace_id)
    by_language: dict[str, Reply] = {}
    planned = []
    for member in await _outcome_recipients(session, issue):
        language = language_of(member, workspace)
        if language not in by_language:
            by_language[language] = await outcome_reply(session, issue, language)
        planned.append(reminders.Planned(by_language[language], member_id=member.id, channel=Channel.ANNOUNCEMENTS))
    log.info("Outcome follow-up of issue %s: %d DMs", issue.id, len(planned))
    return planned


@reminders.planner(RESULT_DUE_KIND)
async def _plan_result_due(session: AsyncSession, reminder: Reminder, now: datetime) -> list[reminders.Planned]:
    issue = await session.get(Issue, reminder.payload["issue_id"])
    if issue is None or issue.status != civics.OPEN or issue.decision_at > now:
        return []
    zone = await _zone(session, issue.workspace_id)
    return [reminders.Planned(Reply(title=text("countdown.result_due.title", title=Literal(issue.title)),
                                    body=text("countdown.result_due.body", id=issue.id, when=_when(issue, zone)),
                                    private=False), channel=Channel.COORDINATORS)]


async def record_outcome(session: AsyncSession, actor: Actor, issue: str = "", result: str = "", note: str = "",
                         voted_for: str = "") -> Reply:
    """Record how the vote went and close the issue; followers get the result and a thank-you draft."""
    actor.require_coordinator()
    found = await civics.find_issue(session, actor.workspace.id, issue)
    values = civics.read_all({
        "result": lambda: validation.choice(result, text("field.result"), RESULT_CHOICES, required=True),
    })
    politicians: list[Politician] = []
    for name in filter(None, (part.strip() for part in re.split(r"[,;]", voted_for or ""))):
        person = await civics.find_politician(session, actor.workspace.id, name, found.municipality)
        if person.id not in (p.id for p in politicians):
            politicians.append(person)
    # The one path that closes an issue: /issue close does the same, this adds who voted our way.
    closed = await issues_service.close(session, actor, issue=str(found.id), outcome=values["result"], note=note)
    row = await _countdown(session, found, actor.now)
    assert row is not None
    if politicians:
        row.voted_for = [p.id for p in politicians]
    else:
        row.voted_for = [p.id for p in await _voted_for(session, found)]
    row.updated_at = actor.now
    audit(session, actor, "issue.outcome", issue_id=found.id, outcome=values["result"], voted_for=row.voted_for)
    named = await _voted_for(session, found)
    count = len(await _outcome_recipients(session, found))
    return Reply(body=text("countdown.outcome.recorded", title=Literal(found.title),
                           outcome=text(f"issues.outcome.{values['result']}"), count=count),
                 fields=(Field(text("countdown.field.voted_for"),
                               Join(tuple(civics.politician_label(p) for p in named)) if named
                               else text("countdown.voted_for.none")),),
                 effects=closed.effects)


# -- settings ------------------------------------------------------------------------------------------------------

def _stages_label(stage_list: Sequence[Stage], zone: str, now: datetime) -> Text | Join:
    upcoming = [s for s in stage_list if s.due > now]
    if not upcoming:
        return text("countdown.days.nothing_planned")
    return Join(tuple(text("countdown.stage_line", step=text(f"countdown.step.{s.step}"), before=before(s.days),
                           when=When(s.due, zone, "short")) for s in upcoming), "\n", "• ")


async def configure(session: AsyncSession, actor: Actor, days: str = "", issue: str = "") -> Reply:
    """Set the countdown's stages (days before the decision) for one issue or as the default; show them."""
    actor.require_coordinator()
    zone = actor.workspace.timezone
    if issue:
        found = await civics.find_issue(session, actor.workspace.id, issue)
        if days:
            row = await _countdown(session, found, actor.now)
            assert row is not None
            row.days = parse_days(days)
            row.updated_at = actor.now
            audit(session, actor, "countdown.days", issue_id=found.id, days=row.days)
        chosen = await days_for(session, found)
        stage_list: list[Stage] = []
        if found.status == civics.OPEN:
            stage_list = await _plan_open(session, found, actor.now, zone, RESTAGED)
        if not chosen:
            return Reply(body=text("countdown.days.issue_off", title=Literal(found.title)))
        counts = await pledge_counts(session, found.id)
        return Reply(title=text("countdown.days.issue_title", title=Literal(found.title)),
                     body=text("countdown.days.issue", days=validation.day_list_label(chosen)),
                     fields=(Field(text("countdown.field.planned"), _stages_label(stage_list, zone, actor.now)),
                             Field(text("countdown.field.pledges"), thermometer(counts))))
    if days:
        chosen = parse_days(days)
        settings = await session.get(CountdownSettings, actor.workspace.id)
        if settings is None:
            session.add(CountdownSettings(workspace_id=actor.workspace.id, days=chosen, updated_at=actor.now))
        else:
            settings.days = chosen
            settings.updated_at = actor.now
        await session.flush()
        audit(session, actor, "countdown.default_days", days=chosen)
        open_issues = await session.scalars(select(Issue).where(Issue.workspace_id == actor.workspace.id,
                                                                Issue.status == civics.OPEN))
        for found in list(open_issues):
            row = await _countdown(session, found)
            # An issue with stages of its own keeps them (a JSON null is not SQL NULL, so this is checked here).
            if row is None or row.days is None:
                await _plan_open(session, found, actor.now, zone, RESTAGED)
    chosen = await workspace_days(session, actor.workspace.id)
    if not chosen:
        return Reply(body=text("countdown.days.workspace_off"))
    return Reply(body=text("countdown.days.workspace", days=validation.day_list_label(chosen)))


# -- the coordinators are told what was skipped -------------------------------------------------------------------

async def _describe(session: AsyncSession, reminder: Reminder) -> Renderable:
    issue = await session.get(Issue, reminder.payload.get("issue_id", 0))
    title = Literal(issue.title if issue is not None else f"#{reminder.payload.get('issue_id')}")
    zone = await _zone(session, reminder.workspace_id)
    when = When(reminder.due_at, zone, "short")
    if reminder.kind == STAGE_KIND:
        days = int(reminder.payload.get("days", 0))
        return text("countdown.skipped.stage", step=text(f"countdown.step.{step_of(days)}"), before=before(days),
                    title=title, when=when)
    return text(f"countdown.skipped.{reminder.kind.removeprefix('countdown.')}", title=title, when=when)


for _kind in KINDS:
    reminders.describer(_kind)(_describe)
reminders.describer(LATE_KIND)(_describe)  # "countdown.skipped.late"


# -- my data ------------------------------------------------------------------------------------------------------

async def _export(session: AsyncSession, member: Member) -> list[dict[str, Any]]:
    rows = (await session.execute(select(Pledge, Issue.title).join(Issue, Issue.id == Pledge.issue_id)
                                  .where(Pledge.member_id == member.id).order_by(Pledge.id))).all()

    def iso(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    return [{"issue": title, "kind": p.kind, "stage": p.stage, "status": p.status, "created_at": iso(p.created_at),
             "followed_up_at": iso(p.followed_up_at), "kept_at": iso(p.kept_at)} for p, title in rows]


async def _erase(session: AsyncSession, member: Member) -> None:
    """Pledges go with the member row (ON DELETE CASCADE); the live message counts them no more."""


mydata.data_hook("pledges", _export, _erase)
