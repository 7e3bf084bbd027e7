"""The weekly digest: what the group did and achieved, to the coordinators (and, if they like, to everyone).

Once a week, at a day and hour in the workspace's time zone (Monday 08:00 by default), the digest is posted in
the coordinators' channel: actions by kind, new members, coaching steps reached, featured stories, the
upcoming decisions with the days left, and a PNG chart of the activity over the last weeks. The coordinators'
copy also lists what the bot could not deliver that week, and why (bot/services/failures.py); the group's copy
does not. It is a reminder row that plans the next week's when it fires, so restarts and the console's
`:advance` both work. `/digest now` makes one on demand; `/digest settings` moves it, turns it off, or sends
it to the announcement channel too.
"""

from __future__ import annotations

import dataclasses
import logging
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import charts, reminders, timeparse, validation
from bot.contributions import Feature
from bot.i18n import render
from bot.models import (
    Action,
    CoachingProgress,
    CoachingStep,
    DigestConfig,
    Issue,
    Member,
    Reminder,
    Story,
    Workspace,
)
from bot.replies import (
    Attachment,
    Channel,
    Field,
    Join,
    Literal,
    Renderable,
    Reply,
    Text,
    When,
    more_than_shown,
    text,
)
from bot.services import activity, civics, failures, ladder, stories
from bot.services.context import Actor, apply_settings, settings_row

log = logging.getLogger(__name__)

DIGEST_KIND = "digest.weekly"
DEFAULT_WEEKDAY = 1  # Monday
DEFAULT_HOUR = 8
PERIOD = timedelta(days=7)
# A digest for a week the bot slept through is not posted days late; the next week's is planned as usual.
STALE_DIGEST = timedelta(days=2)
WEEKS_CHARTED = 8
DECISIONS_SHOWN = 5
NAMES_SHOWN = 20
FEATURED_SHOWN = 5


# -- settings and the schedule -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DigestSettings:
    """A workspace's digest settings, stored or default."""

    weekday: int = DEFAULT_WEEKDAY
    hour: int = DEFAULT_HOUR
    enabled: bool = True
    to_announcements: bool = False


async def settings_of(session: AsyncSession, workspace_id: int) -> DigestSettings:
    """Return the workspace's digest settings (the defaults until a coordinator changes them)."""
    row = await session.get(DigestConfig, workspace_id)
    if row is None:
        return DigestSettings()
    return DigestSettings(row.weekday, row.hour, row.enabled, row.to_announcements)


def next_digest_at(settings: DigestSettings, zone: str, after: datetime) -> datetime:
    """Return the first digest time strictly after `after`: the weekday and hour in the workspace's zone."""
    return reminders.next_weekly(settings.weekday, settings.hour, zone, after)


async def ensure_planned(session: AsyncSession, workspace: Workspace, now: datetime) -> datetime | None:
    """Make sure exactly one weekly digest is pending (none when it is off); return when it falls due."""
    settings = await settings_of(session, workspace.id)
    return await reminders.keep_weekly(session, workspace_id=workspace.id, zone=workspace.timezone,
                                       kind=DIGEST_KIND, enabled=settings.enabled, weekday=settings.weekday,
                                       hour=settings.hour, now=now)


async def _plan_when_someone_onboards(session: AsyncSession, actor: Actor) -> None:
    await ensure_planned(session, actor.workspace, actor.now)


# -- the figures ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    """What the group did in a period [start, end)."""

    start: datetime
    end: datetime
    actions: Mapping[tuple[str, str], int]  # how many actions of each (kind, status)
    new_members: tuple[str, ...]
    steps: tuple[tuple[Renderable, int], ...]  # (step title, how many reached it)
    stories: int
    public_stories: int
    featured: tuple[tuple[Story, Member], ...]
    # How the period's contacts with politicians were made ("phone": 2), in activity.CHANNEL's order.
    contacts: Mapping[str, int] = field(default_factory=dict)

    @property
    def steps_reached(self) -> int:
        return sum(count for _, count in self.steps)

    @property
    def actions_count(self) -> int:
        return sum(self.actions.values())


async def figures(session: AsyncSession, workspace: Workspace, start: datetime, end: datetime) -> Figures:
    """Count what the group did between start and end: actions, new members, coaching steps and stories.

    The database counts (on the workspace's created_at indexes); only the names shown are loaded.
    """
    # One statement: the actions by kind and status, and by the way of contact (none for most actions).
    counted = (await session.execute(
        select(Action.kind, Action.status, Action.channel, func.count()).where(
            Action.workspace_id == workspace.id, Action.created_at >= start, Action.created_at < end)
        .group_by(Action.kind, Action.status, Action.channel))).all()
    actions: Counter[tuple[str, str]] = Counter()
    by_channel: Counter[str] = Counter()
    for kind, status, channel, count in counted:
        actions[(kind, status)] += count
        if channel and status == activity.DONE:
            by_channel[channel] += count
    contacts = {channel.value: by_channel[channel.value] for channel in activity.ContactChannel
                if by_channel[channel.value]}
    members = list(await session.scalars(select(Member.display_name).where(
        Member.workspace_id == workspace.id, Member.onboarded_at >= start, Member.onboarded_at < end)
        .order_by(Member.onboarded_at, Member.id)))
    reached: dict[str, int] = dict((await session.execute(
        select(CoachingStep.key, func.count())
        .join(CoachingProgress, CoachingProgress.step_id == CoachingStep.id)
        .where(CoachingProgress.workspace_id == workspace.id, CoachingProgress.done_at >= start,
               CoachingProgress.done_at < end)
        .group_by(CoachingStep.key))).all())
    steps = [(step.title_text(), reached[step.key]) for step in await ladder.steps_of(session, workspace.id)
             if reached.get(step.key)]
    shared = dict((await session.execute(select(Story.visibility, func.count()).where(
        Story.workspace_id == workspace.id, Story.created_at >= start, Story.created_at < end)
        .group_by(Story.visibility))).all())
    featured = (await session.execute(select(Story, Member).join(Member, Member.id == Story.member_id).where(
        Story.workspace_id == workspace.id, Story.featured_at >= start, Story.featured_at < end)
        .order_by(Story.featured_at, Story.id))).all()
    return Figures(
        start,
        end,
        actions,
        tuple(members),
        tuple(steps),
        sum(shared.values()),
        shared.get(stories.PUBLIC, 0),
        tuple((story, member) for story, member in featured),
        contacts,
    )


def day_text(at: datetime, zone: str) -> Text:
    """Write a moment's local date as "23 november 2026"."""
    local = at.astimezone(ZoneInfo(zone))
    return text("digest.day", day=local.day, month=text(f"time.month.{local.month}"), year=local.year)


def period_text(start: datetime, end: datetime, zone: str) -> Text:
    """Write a period [start, end) as its first and last local dates."""
    return text(
        "digest.period", start=day_text(start, zone), end=day_text(end - timedelta(microseconds=1), zone)
    )


def actions_field(found: Figures) -> Field:
    """The actions by kind, done and tried."""
    # count_lines takes one (kind, status) per action: the counts, spelled out (ints, not rows).
    lines = activity.count_lines(list(Counter(found.actions).elements()))
    if found.contacts:
        lines.append(text("digest.actions.contacts", channels=Join(tuple(
            text("digest.actions.channel", channel=activity.channel_label(channel), count=count)
            for channel, count in found.contacts.items()), " · ")))
    return Field(text("digest.actions.title", count=found.actions_count),
                 Join(tuple(lines), separator="\n") if lines else text("digest.none"))


def members_field(found: Figures) -> Field:
    """The members who completed the onboarding."""
    names = found.new_members
    value: Renderable = text("digest.none")
    if names:
        value = text("digest.members.names", names=Join(tuple(Literal(n) for n in names[:NAMES_SHOWN])),
                     more=more_than_shown("digest.more", len(names), NAMES_SHOWN))
    return Field(text("digest.members.title", count=len(names)), value)


def steps_field(found: Figures) -> Field:
    """The coaching steps reached, by step."""
    lines = tuple(text("digest.steps.line", title=title, count=count) for title, count in found.steps)
    return Field(text("digest.steps.title", count=found.steps_reached),
                 Join(lines, separator="\n") if lines else text("digest.none"))


def stories_field(found: Figures, *, public_only: bool = False) -> Field:
    """The stories shared, and the featured ones by name; `public_only` (for a channel anyone in the server
    reads): a group-only story only counted, with where members read it."""
    lines: list[Renderable] = [
        text("digest.stories.shared", count=found.stories, public=found.public_stories)
    ]
    # A story a coordinator hid (wrong or sensitive) is for the group only, like a group-only one.
    named = [(story, member) for story, member in found.featured
             if not public_only or (story.visibility == stories.PUBLIC and story.hidden_at is None)]
    for story, member in named[:FEATURED_SHOWN]:
        lines.append(text("digest.stories.featured", id=story.id, title=Literal(story.title),
                          by=Literal(stories.group_byline(member))))
    if len(named) < len(found.featured):
        lines.append(text("digest.stories.featured_group", count=len(found.featured) - len(named)))
    return Field(text("digest.stories.title", count=found.stories), Join(tuple(lines), separator="\n"))


async def _decisions_field(session: AsyncSession, workspace: Workspace, after: datetime) -> Field:
    rows = list(await session.scalars(select(Issue).where(
        Issue.workspace_id == workspace.id, Issue.status == civics.OPEN, Issue.decision_at > after)
        .order_by(Issue.decision_at, Issue.id).limit(DECISIONS_SHOWN)))
    if not rows:
        return Field(text("digest.decisions.title"), text("digest.decisions.none"))
    zone = workspace.timezone
    today = after.astimezone(ZoneInfo(zone)).date()
    lines = []
    for issue in rows:
        days = (issue.decision_at.astimezone(ZoneInfo(zone)).date() - today).days
        left = text("digest.days.today") if days == 0 else text("digest.days.left", days=days)
        lines.append(text("digest.decisions.line", id=issue.id, title=Literal(issue.title), left=left,
                          when=civics.decision_when(issue, zone)))
    return Field(text("digest.decisions.title"), Join(tuple(lines), separator="\n"))


@dataclass(frozen=True)
class Weekly:
    """What the group did in each of some weeks (seven days each, the last one ending at an end): actions by
    kind (every kind of activity.KINDS, and any other stored), and stories ("story")."""

    starts: tuple[datetime, ...]
    counts: Mapping[str, list[int]]

    def local_days(self, zone: str) -> list[date]:
        """The first day of each week, in the workspace's time zone."""
        return [start.astimezone(ZoneInfo(zone)).date() for start in self.starts]


async def weekly(session: AsyncSession, workspace: Workspace, end: datetime, weeks: int = WEEKS_CHARTED
                 ) -> Weekly:
    """Count the actions by kind and the stories of the `weeks` weeks before `end` (the digest's chart; the
    board's)."""
    starts = [end - PERIOD * (weeks - i) for i in range(weeks)]
    first = starts[0]

    # The week of each action, counted by the database: CASE over the week starts (then grouped in an outer
    # query, so that PostgreSQL sees one expression, not two with their own parameters).
    week = case(*((Action.created_at < starts[i + 1], i) for i in range(weeks - 1)), else_=weeks - 1)
    dated = select(Action.kind.label("kind"), week.label("week")).where(
        Action.workspace_id == workspace.id, Action.created_at >= first, Action.created_at < end).subquery()
    actions = (await session.execute(select(dated.c.kind, dated.c.week, func.count())
                                     .group_by(dated.c.kind, dated.c.week))).all()
    shared = list(await session.scalars(select(Story.created_at).where(
        Story.workspace_id == workspace.id, Story.created_at >= first, Story.created_at < end)))
    counts: dict[str, list[int]] = {kind: [0] * weeks for kind in (*activity.KINDS, "story")}
    for kind, number, count in actions:
        counts.setdefault(kind, [0] * weeks)[number] += count
    for at in shared:
        counts["story"][min(int((at - first) / PERIOD), weeks - 1)] += 1
    return Weekly(tuple(starts), counts)


async def chart(session: AsyncSession, workspace: Workspace, end: datetime, language: str) -> bytes:
    """Draw the activity of the last weeks (seven days each, the last one ending at `end`) by kind, as a
    PNG."""
    zone = workspace.timezone
    found = await weekly(session, workspace, end)
    counts = found.counts
    local_starts = found.local_days(zone)
    labels = [render(text("digest.chart.week", date=f"{d.day}/{d.month}"), language) for d in local_starts]
    series = [(render(activity.kind_label(kind), language), counts[kind]) for kind in activity.KINDS]
    series.append((render(text("digest.chart.stories"), language), counts["story"]))
    description = {"weeks": [d.isoformat() for d in local_starts],
                   "actions": [sum(counts[k][i] for k in activity.KINDS) for i in range(WEEKS_CHARTED)],
                   "stories": counts["story"]}
    return await charts.render(session, charts.stacked_columns, labels, series,
                               title=render(text("digest.chart.title"), language),
                               ylabel=render(text("digest.chart.ylabel"), language),
                               empty=render(text("digest.chart.empty"), language), description=description)


async def build(session: AsyncSession, workspace: Workspace, *, end: datetime, language: str) -> Reply:
    """Make the digest of the seven days before `end`, with its chart."""
    return (await build_copies(session, workspace, end=end, language=language))[0]


async def build_copies(session: AsyncSession, workspace: Workspace, *, end: datetime, language: str
                       ) -> tuple[Reply, Reply]:
    """Make the digest of the seven days before `end`, with its chart: the group's own copy, and the copy for
    the announcements, which anyone in the server reads (group-only stories counted, not named)."""
    zone = workspace.timezone
    start = end - PERIOD
    found = await figures(session, workspace, start, end)
    png = await chart(session, workspace, end, language)
    year, week, _ = (end - timedelta(microseconds=1)).astimezone(ZoneInfo(zone)).isocalendar()
    decisions = await _decisions_field(session, workspace, end)

    def copy(public_only: bool) -> Reply:
        return Reply(title=text("digest.title", period=period_text(start, end, zone)),
                     body=text("digest.body"),
                     fields=(actions_field(found), members_field(found), steps_field(found),
                             stories_field(found, public_only=public_only), decisions),
                     files=(Attachment(f"aktivitet-{year}-v{week:02d}.png", png),), private=False)

    return copy(False), copy(True)


async def for_coordinators(
    session: AsyncSession, workspace: Workspace, reply: Reply, *, end: datetime
) -> Reply:
    """The coordinators' copy of a digest: with what could not be delivered in its week, if anything."""
    found = await failures.summary(session, workspace, end - PERIOD, end)
    return dataclasses.replace(reply, fields=(*reply.fields, failures.field(found))) if found else reply


async def _plan_digest(session: AsyncSession, reminder: Reminder, now: datetime
                       ) -> list[reminders.Planned] | reminders.InBatches:
    """Plan next week's digest, then post this week's to the coordinators (and the group, if chosen)."""
    workspace = await session.get(Workspace, reminder.workspace_id)
    if workspace is None:
        return []
    settings = await settings_of(session, workspace.id)
    # The next week's digest is planned first, so a digest that cannot be made never breaks the chain.
    await ensure_planned(session, workspace, max(now, reminder.due_at))
    if not settings.enabled:
        return []
    if now - reminder.due_at > STALE_DIGEST:
        log.info("Digest %s is %s late; skipped, next week's is planned", reminder.id, now - reminder.due_at)
        return []
    workspace_id, reminder_id, end = workspace.id, reminder.id, reminder.due_at

    async def made(reader: AsyncSession, _after: int) -> tuple[list[reminders.Planned], int | None]:
        # Counted and drawn outside the write transaction (one batch, see reminders.InBatches): the week's
        # figures read every action of the week, and the chart waits for the chart worker.
        found = await reader.get_one(Workspace, workspace_id)
        reply, announced = await build_copies(reader, found, end=end, language=found.language)
        coordinators = await for_coordinators(reader, found, reply, end=end)
        planned = [reminders.Planned(coordinators, channel=Channel.COORDINATORS)]
        if settings.to_announcements:
            planned.append(reminders.Planned(announced, channel=Channel.ANNOUNCEMENTS))
        log.info("Digest %s of workspace %s to %d channels", reminder_id, workspace_id, len(planned))
        return planned, None

    return reminders.InBatches(made)


# -- coordinators --------------------------------------------------------------------------------------------


async def digest_now(session: AsyncSession, actor: Actor) -> Reply:
    """Make the digest of the last seven days now, for the coordinator who asks."""
    actor.require_coordinator()
    await ensure_planned(session, actor.workspace, actor.now)
    # Up to and including this moment: what was logged a moment ago counts (the end of a period is excluded).
    end = actor.now + timedelta(microseconds=1)
    reply = await build(session, actor.workspace, end=end, language=actor.language)
    reply = await for_coordinators(session, actor.workspace, reply, end=end)
    return dataclasses.replace(reply, private=True)


def _hour(hour: int) -> int:
    if not 0 <= hour <= 23:
        raise validation.FieldProblem(text("digest.field.hour"),
                                      text("digest.errors.hour", value=str(hour)[:10]))
    return hour


async def _config(session: AsyncSession, workspace_id: int, now: datetime) -> DigestConfig:
    defaults = DigestSettings()
    return await settings_row(session, DigestConfig, workspace_id, weekday=defaults.weekday,
                              hour=defaults.hour, enabled=defaults.enabled,
                              to_announcements=defaults.to_announcements, created_at=now, updated_at=now)


async def configure(
    session: AsyncSession, actor: Actor, day: str | int | None = None, hour: int | None = None,
    announce: bool | None = None, enabled: bool | None = None,
) -> Reply:
    """Change the digest's weekday and hour, whether the group gets it too, and whether it goes out at all."""
    actor.require_coordinator()
    readers: dict[str, Any] = {}
    if day is not None and str(day).strip():
        readers["weekday"] = lambda: timeparse.parse_weekday(str(day), "digest.errors.day",
                                                             field=text("digest.field.day"))
    if hour is not None:
        readers["hour"] = lambda: _hour(hour)
    changes = validation.read_all(readers)
    if announce is not None:
        changes["to_announcements"] = announce
    if enabled is not None:
        changes["enabled"] = enabled
    row = await _config(session, actor.workspace.id, actor.now)
    changed = apply_settings(session, actor, row, changes, "digest.settings")
    due = await ensure_planned(session, actor.workspace, actor.now)
    zone = actor.workspace.timezone
    when = text("digest.settings.when", day=text(f"time.weekday.{row.weekday - 1}"), hour=f"{row.hour:02d}")
    return Reply(
        title=text("digest.settings.title"),
        body=text("digest.settings.saved" if changed else "digest.settings.current"),
        fields=(
            Field(text("digest.settings.schedule"), when, inline=True),
            Field(
                text("digest.settings.recipients"),
                text(
                    "digest.settings.to_group" if row.to_announcements else "digest.settings.to_coordinators"
                ),
                inline=True,
            ),
            Field(
                text("digest.settings.state"),
                text("digest.settings.on" if row.enabled else "digest.settings.off"),
                inline=True,
            ),
            Field(
                text("digest.settings.next"),
                When(due, zone, "full") if due else text("digest.settings.next_none"),
            ),
        ),
    )


FEATURE = Feature(
    "digest",
    planners={DIGEST_KIND: _plan_digest},
    on_onboarded=(_plan_when_someone_onboards,),
)
