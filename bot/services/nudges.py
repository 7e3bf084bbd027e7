"""The weekly nudges: each member's next step by DM at the group's day and hour; members pause and resume
them, and coordinators set the day, the hour, whether they go out, and the campaign's hashtag (/coach
settings).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import delivery, reminders, timeparse
from bot.contributions import Feature
from bot.errors import UserError
from bot.models import CoachingConfig, CoachingMember, Member, Reminder, Workspace
from bot.replies import (
    Button,
    ButtonStyle,
    Channel,
    Field,
    Join,
    Literal,
    Reply,
    Text,
    When,
    text,
)
from bot.services import drafts, ladder, streaks
from bot.services.coaching_settings import (
    WEEKLY_KIND,
    CoachingSettings,
    plan_nudges,
    schedule,
    settings_of,
)
from bot.services.context import Actor, apply_settings, settings_row

log = logging.getLogger(__name__)

# A nudge for a week the bot slept through is not sent days late; the next week's is planned as usual.
STALE_NUDGE = timedelta(days=2)

PAUSE_ACTION = "coaching.pause"
RESUME_ACTION = "coaching.resume"


# -- the weekly nudge ----------------------------------------------------------------------------------------


async def _describe_weekly(session: AsyncSession, reminder: Reminder) -> Text:
    """Name a skipped weekly nudge for the coordinators."""
    workspace = await session.get_one(Workspace, reminder.workspace_id)
    return text("coaching.skipped.weekly", when=When(reminder.due_at, workspace.timezone, "short"))


async def _plan_weekly(session: AsyncSession, reminder: Reminder, now: datetime
                       ) -> list[reminders.Planned] | reminders.InBatches:
    """Plan next week's nudge, then DM each member who wants nudges their next step, a batch at a time."""
    workspace = await session.get(Workspace, reminder.workspace_id)
    if workspace is None:
        return []
    settings = await settings_of(session, workspace.id)
    # The next week's nudge is planned first, so a member who cannot be nudged never breaks the chain.
    await plan_nudges(session, workspace, settings, max(now, reminder.due_at))
    if not settings.nudges:
        return []
    if now - reminder.due_at > STALE_NUDGE:
        log.info("Weekly nudge %s is %s late; skipped, next week's is planned", reminder.id,
                 now - reminder.due_at)
        return []
    # Every member is read and planned for outside this write transaction, a batch at a time (see
    # reminders.InBatches): at thousands of members, planning them all here held the write lock for seconds.
    workspace_id = workspace.id

    async def batch(reader: AsyncSession, after: int) -> tuple[list[reminders.Planned], int | None]:
        return await _nudge_batch(reader, workspace_id, settings, now, after)

    return reminders.InBatches(batch)


async def _nudge_batch(session: AsyncSession, workspace_id: int, settings: CoachingSettings, now: datetime,
                       after: int) -> tuple[list[reminders.Planned], int | None]:
    """Plan the nudges of the next members (by id) after `after`; return them and the cursor of the next
    batch (None after the last)."""
    workspace = await session.get_one(Workspace, workspace_id)
    paused = select(CoachingMember.member_id).where(CoachingMember.member_id == Member.id,
                                                    CoachingMember.paused.is_(True))
    # A member whose DMs were found closed lately is not nudged (a weekly mention in a channel would be
    # noise); some days later they are tried again, and nudged as before once a DM gets through.
    members = list(await session.scalars(select(Member).where(
        Member.workspace_id == workspace_id, Member.id > after, Member.onboarded_at.is_not(None),
        Member.dm_reminders.is_(True), delivery.dm_worth_trying_clause(now), ~paused.exists())
        .order_by(Member.id).limit(reminders.BATCH)))
    if not members:
        return [], None
    ids = [m.id for m in members]
    steps = await ladder.steps_of(session, workspace_id)
    member_streaks = await streaks.weeks_in_a_row(session, workspace, ids, now)
    finished_keys = await ladder.done_of(session, ids)
    planned = []
    for member in members:
        # The next useful step: one the member's experience skips is not nudged about.
        active, finished, current = ladder.standing(steps, finished_keys[member.id], member.experience)
        if current is None:
            continue  # at the top of the ladder: nothing to nudge about
        skipped = ladder.skipped_keys(active, finished_keys[member.id], member.experience)
        why = current.why_text(ladder.step_params(member, settings))
        nudge = Reply(
            title=text("coaching.nudge.title", number=active.index(current) + 1, total=len(active),
                       title=current.title_text()),
            body=Join((text("coaching.nudge.body"), why), separator="\n\n"),
            fields=(ladder.progress_field(finished, len(active), member_streaks[member.id], len(skipped)),),
            buttons=(ladder.next_button(),
                     Button(text("coaching.button.done"), ladder.DONE_ACTION, current.key,
                            ButtonStyle.SUCCESS),
                     Button(text("coaching.button.pause"), PAUSE_ACTION, style=ButtonStyle.SECONDARY)),
            private=False)
        # Quiet: a nudge tried again for a member whose DMs were closed mentions nobody in a channel if it
        # still cannot be delivered (every week would be noise).
        planned.append(reminders.Planned(nudge, member_id=member.id, channel=Channel.ANNOUNCEMENTS,
                                         quiet=True))
    return planned, (ids[-1] if len(members) == reminders.BATCH else None)


# -- /coach pause, resume ------------------------------------------------------------------------------------


def _moment(at: datetime, zone: str) -> When:
    # A timestamp on Discord, so that each reader sees the next nudge in their own zone.
    return When(at, zone, "full")


async def _member_state(session: AsyncSession, actor: Actor) -> CoachingMember:
    state = await session.get(CoachingMember, actor.member.id)
    if state is None:
        state = CoachingMember(member_id=actor.member.id, workspace_id=actor.workspace.id, paused=False,
                               created_at=actor.now, updated_at=actor.now)
        session.add(state)
    return state


async def pause(session: AsyncSession, actor: Actor, _arg: str = "") -> Reply:
    """Stop the weekly nudges for this member until they resume."""
    actor.require_onboarded()
    state = await _member_state(session, actor)
    if state.paused:
        return Reply(body=text("coaching.pause.already"), buttons=(_resume_button(),))
    state.paused, state.paused_at, state.updated_at = True, actor.now, actor.now
    return Reply(body=text("coaching.pause.done"), buttons=(_resume_button(),))


def _resume_button() -> Button:
    return Button(text("coaching.button.resume"), RESUME_ACTION, style=ButtonStyle.SECONDARY)


async def resume(session: AsyncSession, actor: Actor, _arg: str = "") -> Reply:
    """Start the weekly nudges again; asking for them also turns on DM reminders in the profile."""
    member = actor.require_onboarded()
    state = await _member_state(session, actor)
    state.paused, state.paused_at, state.updated_at = False, None, actor.now
    turned_on = not member.dm_reminders
    member.dm_reminders = True
    settings = await settings_of(session, actor.workspace.id)
    due = await plan_nudges(session, actor.workspace, settings, actor.now)
    if due is None:
        return Reply(body=text("coaching.resume.group_off"))
    return Reply(body=text("coaching.resume.done", when=_moment(due, actor.workspace.timezone),
                           dm=text("coaching.resume.dm_on") if turned_on else ""))


# -- coordinators: the settings ------------------------------------------------------------------------------


async def _config(session: AsyncSession, workspace_id: int, now: datetime) -> CoachingConfig:
    defaults = CoachingSettings()
    return await settings_row(session, CoachingConfig, workspace_id, hashtag=defaults.hashtag,
                              nudge_weekday=defaults.weekday, nudge_hour=defaults.hour,
                              nudges_enabled=defaults.nudges, created_at=now, updated_at=now)


def _hour(hour: int, quiet: tuple[int, int]) -> int:
    if not 0 <= hour <= 23:
        raise UserError("coaching.errors.hour", value=str(hour)[:10])
    start, end = quiet
    in_quiet = start != end and ((hour >= start or hour < end) if start > end else start <= hour < end)
    if in_quiet:
        raise UserError("coaching.errors.quiet_hour", hour=f"{hour:02d}", start=f"{start:02d}",
                        end=f"{end:02d}", last=f"{(start - 1) % 24:02d}")
    return hour


def _settings_reply(row: CoachingConfig, due: datetime | None, zone: str, changed: bool) -> Reply:
    settings = CoachingSettings.of(row)
    return Reply(title=text("coaching.settings.title"),
                 body=text("coaching.settings.saved" if changed else "coaching.settings.current"), fields=(
        Field(text("coaching.settings.hashtag"), Literal(row.hashtag), inline=True),
        Field(text("coaching.settings.schedule"), schedule(settings), inline=True),
        Field(text("coaching.settings.nudges"), text("coaching.settings.on" if row.nudges_enabled
                                                     else "coaching.settings.off"), inline=True),
        Field(text("coaching.settings.next"),
              _moment(due, zone) if due else text("coaching.settings.next_none")),
    ))


async def configure(session: AsyncSession, actor: Actor, *, hashtag: str | None = None,
                    day: str | int | None = None,
                    hour: int | None = None, nudges: bool | None = None,
                    quiet: tuple[int, int] = (21, 8)) -> Reply:
    """Change the campaign's hashtag and the weekly nudge's day, hour and on/off; show them all."""
    actor.require_coordinator()
    row = await _config(session, actor.workspace.id, actor.now)
    changes: dict[str, Any] = {}
    if hashtag:
        changes["hashtag"] = drafts.normalize_hashtag(hashtag)
    if day:
        changes["nudge_weekday"] = timeparse.parse_weekday(str(day), "coaching.errors.day")
    if hour is not None:
        changes["nudge_hour"] = _hour(hour, quiet)
    if nudges is not None:
        changes["nudges_enabled"] = nudges
    changed = apply_settings(session, actor, row, changes, "coaching.settings")
    due = await plan_nudges(session, actor.workspace, CoachingSettings.of(row), actor.now)
    return _settings_reply(row, due, actor.workspace.timezone, bool(changed))


FEATURE = Feature(
    "nudges",
    actions={PAUSE_ACTION: pause, RESUME_ACTION: resume},
    planners={WEEKLY_KIND: _plan_weekly},
    describers={WEEKLY_KIND: _describe_weekly},
)
