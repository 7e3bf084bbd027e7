"""The action log: what members did for the cause (or tried), retry reminders, /stats and the leaderboard.

Other features log through `record()`: the asks' buttons, a countdown's prompts (`log_buttons`). An action
that matches a coaching step (a tweet, a question to a politician, a blog post, a media contact) marks that
step done, and every action counts for the member's streak. An attempt (a politician who did not answer) is
followed up three days later with a reminder to try again.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Integer,
    bindparam,
    case,
    delete,
    func,
    insert,
    null,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.sql.dml import Insert

from bot import contributions, reminders, validation
from bot.contributions import Feature, MemberData
from bot.errors import UserError
from bot.models import (
    Action,
    ActivityMember,
    ActivityScore,
    ActivityStreak,
    Issue,
    Member,
    Politician,
    Reminder,
    Story,
    StoryApplause,
    Workspace,
)
from bot.replies import (
    Button,
    ButtonStyle,
    Channel,
    Field,
    Join,
    Link,
    Literal,
    Renderable,
    Reply,
    Text,
    When,
    text,
)
from bot.services import civics, ladder, streaks
from bot.services.context import Actor, pressed_row

log = logging.getLogger(__name__)



class ActivityKind(StrEnum):
    """What a member did."""

    TWEET = "tweet"
    ASK = "ask"
    BLOG = "blog"
    MEDIA = "media"
    MEET = "meet"
    MEETING = "meeting"


class ActivityStatus(StrEnum):
    """Whether it was done, or only tried."""

    DONE = "done"
    ATTEMPTED = "attempted"


class ContactChannel(StrEnum):
    """How a member reached a politician: a question on X, or by e-mail, phone or letter, at a meeting or a
    fika."""

    X = "x"
    EMAIL = "email"
    PHONE = "phone"
    LETTER = "letter"
    MEETING = "meeting"
    FIKA = "fika"


class Period(StrEnum):
    """The time a leaderboard counts."""

    WEEK = "week"
    MONTH = "month"


KINDS = tuple(kind.value for kind in ActivityKind)
DONE, ATTEMPTED = ActivityStatus.DONE.value, ActivityStatus.ATTEMPTED.value
STATUSES = (DONE, ATTEMPTED)
# Words people type for a kind or a status, folded (no case, no diacritics), besides the values and labels.
KIND_ALIASES = {
    "tweetade": "tweet",
    "tweeted": "tweet",
    "tweeta": "tweet",
    "x": "tweet",
    "post": "tweet",
    "inlagg": "tweet",
    "fragade": "ask",
    "asked": "ask",
    "fraga": "ask",
    "question": "ask",
    "bloggade": "blog",
    "blogged": "blog",
    "blogg": "blog",
    "press": "media",
    "journalist": "media",
    "kontaktade media": "media",
    "traffade": "meet",
    "met": "meet",
    "politiker": "meet",
    "mote": "meeting",
    "moten": "meeting",
    "attended": "meeting",
}
STATUS_ALIASES = {"gjort": DONE, "klart": DONE, "ja": DONE, "forsok": ATTEMPTED, "forsokte": ATTEMPTED,
                  "tried": ATTEMPTED, "attempt": ATTEMPTED, "no answer": ATTEMPTED, "inget svar": ATTEMPTED}
KIND = validation.ChoiceSet(ActivityKind, "activity.field.kind", "activity.kind", KIND_ALIASES)
STATUS = validation.ChoiceSet(ActivityStatus, "activity.field.status", "activity.status", STATUS_ALIASES)
# Words people type for a way of contact, folded, besides the values and labels.
CHANNEL_ALIASES = {"twitter": "x", "e-post": "email", "epost": "email", "mejl": "email", "mail": "email",
                   "e-mail": "email", "telefon": "phone", "ringde": "phone", "samtal": "phone",
                   "call": "phone", "brev": "letter", "mote": "meeting", "traffade": "meeting",
                   "kaffe": "fika", "coffee": "fika"}
CHANNEL = validation.ChoiceSet(ContactChannel, "contacts.field.how", "activity.channel", CHANNEL_ALIASES)
# Contacts in person: logged as a meeting with the politician ("meet") when they are about no issue.
IN_PERSON = frozenset({ContactChannel.MEETING.value, ContactChannel.FIKA.value})
KIND_CHOICES = KIND.choices
STATUS_CHOICES = STATUS.choices
# The coaching step kind an action advances.
COACHING_KINDS = {"tweet": "tweet", "ask": "question", "blog": "blog", "media": "media"}

# Where a unit of work's session keeps what on_action hooks want an action's reply to say, by action id.
REPLY_NOTES_KEY = "jobbskaparna.action_reply_notes"
RETRY_KIND = "activity.retry"
RETRY_AFTER = timedelta(days=3)
# A retry the bot slept through for more than two days is dropped rather than sent stale.
RETRY_GRACE = timedelta(days=2)
MAX_RETRIES = 3
RETRY_DONE_ACTION = "activity.retry_done"
RETRY_LATER_ACTION = "activity.retry_later"
RETRY_STOP_ACTION = "activity.retry_stop"
LOG_ACTION = "activity.log"
STATS_ACTION = "activity.stats"
JOIN_ACTION = "activity.join"
LEAVE_ACTION = "activity.leave"
DID_SOURCE = "did"
BUTTON_SOURCE = "button"

PERIOD_ALIASES = {"vecka": "week", "veckan": "week", "manad": "month", "manaden": "month"}
PERIOD = validation.ChoiceSet(Period, "activity.field.period", "activity.period", PERIOD_ALIASES)
LEADERBOARD_SHOWN = 10
MEDALS = {1: "🥇", 2: "🥈", 3: "🥉"}


# -- time in the workspace's zone ----------------------------------------------------------------------------


def day_start(day: date, zone: str) -> datetime:
    """Return the start of a local day (midnight in the zone, daylight saving included) in UTC."""
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(zone)).astimezone(UTC)


def period_start(period: str, now: datetime, zone: str) -> datetime:
    """Return when the current week (from Monday) or month began, in the zone, as UTC."""
    today = now.astimezone(ZoneInfo(zone)).date()
    first = today - timedelta(days=today.weekday()) if period == "week" else today.replace(day=1)
    return day_start(first, zone)


def kind_label(kind: str) -> Text:
    """Name a kind of action."""
    return text(f"activity.kind.{kind}")


def channel_label(channel: str | None) -> Text:
    """Name a way of contact ("📧 e-post"); a question logged before there were ways of contact was on X."""
    return text(f"activity.channel.{channel or ContactChannel.X.value}")


# -- logging an action ---------------------------------------------------------------------------------------


async def record(
    session: AsyncSession,
    actor: Actor,
    kind: str,
    status: str = DONE,
    issue_id: int | None = None,
    link: str | None = None,
    source: str | None = None,
    *,
    politician_id: int | None = None,
    channel: str | None = None,
    note: str | None = None,
) -> Action:
    """Log what a member did or tried; an attempt gets a retry reminder, a done action may reach a coaching
    step.

    A source that names one prompt ("asks:12", with a colon) is logged once: recording it again updates that
    action (an answer that came after all turns the attempt into done). `politician_id` and `channel` say whom
    and how (a question by e-mail, a meeting), when the action is about a politician; `note` is the member's
    note of it.
    """
    logged, _ = await _record(session, actor, kind, status, issue_id, link, source,
                              politician_id=politician_id, channel=channel, note=note)
    return logged


async def _record(session: AsyncSession, actor: Actor, kind: str, status: str, issue_id: int | None,
                  link: str | None, source: str | None, *, politician_id: int | None = None,
                  channel: str | None = None, note: str | None = None) -> tuple[Action, ladder.Step | None]:
    if kind not in KINDS:
        raise ValueError(f"unknown kind of action {kind!r}")
    if status not in STATUSES:
        raise ValueError(f"unknown status of action {status!r}")
    existing = None
    if source and ":" in source:
        existing = await session.scalar(
            select(Action).where(
                Action.workspace_id == actor.workspace.id,
                Action.member_id == actor.member.id,
                Action.source == source,
            )
        )
    if existing is None:
        logged = Action(workspace_id=actor.workspace.id, member_id=actor.member.id, kind=kind, status=status,
                        issue_id=issue_id, politician_id=politician_id, channel=channel, link=link,
                        note=note, source=source[:64] if source else None, created_at=actor.now,
                        updated_at=actor.now)
        session.add(logged)
        await streaks.added(session, actor.workspace, actor.member.id, actor.now)
        await scored(session, actor.workspace, actor.member.id, actor.now, actions=1)
    else:
        logged = existing
        logged.kind, logged.status, logged.updated_at = kind, status, actor.now
        logged.issue_id = issue_id if issue_id is not None else logged.issue_id
        logged.link = link or logged.link
        logged.politician_id = politician_id if politician_id is not None else logged.politician_id
        logged.channel = channel or logged.channel
        logged.note = note or logged.note
    await session.flush()
    log.info("Member %s logged a %s (%s) in workspace %s", actor.member.id, kind, status, actor.workspace.id)
    step = await _follow_up(session, actor, logged, new=existing is None)
    # Other features act on it in the same transaction (a pledge it fulfils is kept).
    await contributions.of(session).action_recorded(session, actor, logged, existing is None)
    return logged, step


async def _follow_up(session: AsyncSession, actor: Actor, logged: Action, new: bool = False
                     ) -> ladder.Step | None:
    """After an attempt, plan its retry; after a success, drop the retries of the same thing and climb the
    ladder."""
    if logged.status == ATTEMPTED:
        await _plan_retry(session, logged, actor.now, 1)
        return None
    await _cancel_retries(session, logged, new=new)
    coaching_kind = COACHING_KINDS.get(logged.kind)
    if coaching_kind is None:
        return None
    return await ladder.complete_kind(session, actor, coaching_kind, link=logged.link)


async def did(session: AsyncSession, actor: Actor, kind: ActivityKind | None = None,
              status: ActivityStatus | None = None, issue: str | None = None,
              link: str | None = None) -> Reply:
    """Log what the member did (or only tried), optionally for an issue and with a link."""
    actor.require_onboarded()
    values = validation.read_all({
        "kind": lambda: KIND.required(kind),
        "status": lambda: status or ActivityStatus.DONE,
        "link": lambda: validation.web_url(link, text("activity.field.link")),
    })
    found = await civics.find_issue(session, actor.workspace.id, issue) if (issue or "").strip() else None
    return await record_and_reply(session, actor, values["kind"], values["status"], issue=found,
                                  link=values["link"], source=DID_SOURCE)


async def record_and_reply(session: AsyncSession, actor: Actor, kind: str, status: str = DONE, *,
                           issue: Issue | None = None, link: str | None = None, source: str | None = None,
                           politician_id: int | None = None, channel: str | None = None,
                           note: str | None = None, fields: Sequence[Field] = ()) -> Reply:
    """Log an action (with whom and how, and the member's note: a reported contact) and answer as /did does,
    with `fields` first."""
    logged, step = await _record(session, actor, kind, status, issue.id if issue else None, link, source,
                                 politician_id=politician_id, channel=channel, note=note)
    return await _logged_reply(session, actor, logged, issue, step, fields)


def tell_in_reply(session: AsyncSession, logged: Action, said: Field) -> None:
    """Have the reply to an action say what a feature's on_action hook did with it (a pledge it kept): kept
    with the unit of work's session, so only the reply of this unit of work says it, and with no statement."""
    session.info.setdefault(REPLY_NOTES_KEY, {}).setdefault(logged.id, []).append(said)


def told_in_reply(session: AsyncSession, logged: Action) -> tuple[Field, ...]:
    """What the features' on_action hooks asked the reply to an action to say (tell_in_reply)."""
    return tuple(session.info.get(REPLY_NOTES_KEY, {}).get(logged.id, ()))


async def _logged_reply(session: AsyncSession, actor: Actor, logged: Action, issue: Issue | None,
                        step: ladder.Step | None, first: Sequence[Field] = ()) -> Reply:
    zone = actor.workspace.timezone
    fields: list[Field] = list(first)
    if issue is not None:
        fields.append(Field(text("activity.field.issue"), Literal(issue.title), inline=True))
    if logged.link:
        fields.append(Field(text("activity.field.link"), Literal(logged.link), inline=True))
    if step is not None:
        fields.append(
            Field(text("activity.logged.step_title"), text("activity.logged.step", title=step.title_text()))
        )
    fields.extend(told_in_reply(session, logged))
    week = await session.scalar(select(func.count(Action.id)).where(
        Action.member_id == actor.member.id, Action.created_at >= period_start("week", actor.now, zone)))
    member_id = actor.member.id
    streak = await streaks.of_member(session, actor.workspace, member_id, actor.now)
    fields.append(Field(text("activity.logged.week_title"),
                        text("activity.logged.week", count=week or 0, streak=streaks.streak_text(streak))))
    if logged.status == ATTEMPTED:
        title = text("activity.logged.attempted.title", kind=kind_label(logged.kind))
        body: Renderable = text("activity.logged.attempted.body",
                                when=When(actor.now + RETRY_AFTER, zone, "date"))
    else:
        title = text("activity.logged.done.title", kind=kind_label(logged.kind))
        body = text("activity.logged.done.body")
    return Reply(title=title, body=body, fields=tuple(fields),
                 buttons=(Button(text("activity.button.stats"), STATS_ACTION, style=ButtonStyle.SECONDARY),))


def log_buttons(kind: str, issue_id: int | None = None) -> tuple[Button, Button]:
    """Buttons for a prompt (a call to act before a vote) that log the action done, or tried, as /did does."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind of action {kind!r}")
    arg = f"{kind}-{issue_id or 0}"
    return (
        Button(text("activity.button.log_done"), LOG_ACTION, f"{arg}-{DONE}", ButtonStyle.SUCCESS),
        Button(
            text("activity.button.log_attempted"), LOG_ACTION, f"{arg}-{ATTEMPTED}", ButtonStyle.SECONDARY
        ),
    )


async def _log_pressed(session: AsyncSession, actor: Actor, arg: str) -> Reply:
    kind, _, rest = arg.partition("-")
    issue_ref, _, status = rest.partition("-")
    no_issue = issue_ref == "0"  # logged without an issue
    issue_id = None if no_issue else validation.record_id(issue_ref)
    if kind not in KINDS or status not in STATUSES or (not no_issue and issue_id is None):
        raise UserError("errors.unknown_button")
    actor.require_onboarded()
    found = None if no_issue else await pressed_row(session, actor, Issue, issue_ref)
    logged, step = await _record(
        session, actor, kind, status, found.id if found else None, None, BUTTON_SOURCE
    )
    return await _logged_reply(session, actor, logged, found, step)


# -- retries after an attempt --------------------------------------------------------------------------------


def _retry_prefix(action_id: int) -> str:
    return f"{RETRY_KIND}:{action_id}:"


def _retry_key(action_id: int, round_number: int) -> str:
    return f"{_retry_prefix(action_id)}{round_number}"


async def _plan_retry(session: AsyncSession, logged: Action, now: datetime, round_number: int) -> datetime:
    due = now + RETRY_AFTER
    await reminders.schedule(session, workspace_id=logged.workspace_id, kind=RETRY_KIND,
                             key=_retry_key(logged.id, round_number), due_at=due, now=now,
                             payload={"action_id": logged.id, "round": round_number}, grace=RETRY_GRACE)
    return due


async def _cancel_retries(session: AsyncSession, logged: Action, new: bool = False) -> None:
    """Cancel the pending retries of this action (none when it is new) and of the member's attempts at the
    same thing."""
    same_issue = Action.issue_id.is_(None) if logged.issue_id is None else Action.issue_id == logged.issue_id
    attempt = (Action.kind == logged.kind) & same_issue & (Action.status == ATTEMPTED)
    attempts = list(
        await session.scalars(
            select(Action.id).where(Action.member_id == logged.member_id,
                                    attempt if new else or_(Action.id == logged.id, attempt))
        )
    )
    for action_id in attempts:
        await reminders.cancel_prefixed(
            session, workspace_id=logged.workspace_id, prefix=_retry_prefix(action_id)
        )


def _retry_reply(logged: Action, issue: Issue | None, zone: str) -> Reply:
    about = text("activity.retry.about", title=Literal(issue.title)) if issue is not None else ""
    arg = str(logged.id)
    return Reply(
        title=text("activity.retry.title"),
        body=text("activity.retry.body", kind=kind_label(logged.kind), about=about,
                  when=When(logged.created_at, zone, "date")),
        buttons=(Button(text("activity.retry.button.done"), RETRY_DONE_ACTION, arg, ButtonStyle.SUCCESS),
                 Button(text("activity.retry.button.later"), RETRY_LATER_ACTION, arg, ButtonStyle.SECONDARY),
                 Button(text("activity.retry.button.stop"), RETRY_STOP_ACTION, arg, ButtonStyle.SECONDARY)),
        links=(Link(text("activity.retry.link"), logged.link),) if logged.link else (),
        private=False, personal=True)


async def _describe_retry(session: AsyncSession, reminder: Reminder) -> Text:
    """Name a skipped reminder to try again for the coordinators: whose, and what they tried."""
    workspace = await session.get_one(Workspace, reminder.workspace_id)
    when = When(reminder.due_at, workspace.timezone, "short")
    logged = await session.get(Action, reminder.payload.get("action_id", 0))
    if logged is None:
        return text("activity.skipped.retry_gone", when=when)
    member = await session.get(Member, logged.member_id)
    issue = await session.get(Issue, logged.issue_id) if logged.issue_id else None
    about = text("activity.skipped.retry.about", title=Literal(issue.title)) if issue is not None else ""
    return text("activity.skipped.retry",
                name=Literal(member.display_name) if member is not None else text("reminders.member_gone"),
                what=kind_label(logged.kind), about=about, when=when)


async def _plan_retry_reminder(
    session: AsyncSession, reminder: Reminder, now: datetime
) -> list[reminders.Planned]:
    """Remind a member who only managed an attempt to try again, unless they did it meanwhile."""
    logged = await session.get(Action, reminder.payload["action_id"])
    if logged is None or logged.status != ATTEMPTED:
        return []
    same_issue = Action.issue_id.is_(None) if logged.issue_id is None else Action.issue_id == logged.issue_id
    succeeded = await session.scalar(select(Action.id).where(
        Action.member_id == logged.member_id, Action.kind == logged.kind, same_issue, Action.status == DONE,
        Action.created_at >= logged.created_at).limit(1))
    member = await session.get(Member, logged.member_id)
    if succeeded is not None or member is None:
        return []
    workspace = await session.get_one(Workspace, logged.workspace_id)
    issue = await session.get(Issue, logged.issue_id) if logged.issue_id else None
    reply = _retry_reply(logged, issue, workspace.timezone)
    if member.dm_reminders:
        return [reminders.Planned(reply, member_id=member.id, channel=Channel.ANNOUNCEMENTS)]
    # A member who wants no DMs is reminded by a mention in the group's channel, as the asks do.
    return [reminders.Planned(dataclasses.replace(reply, mentions=(member.external_id,)),
                              channel=Channel.ANNOUNCEMENTS)]


async def _own_action(session: AsyncSession, actor: Actor, arg: str) -> Action:
    found = await pressed_row(session, actor, Action, arg)
    if found.member_id != actor.member.id:
        raise UserError("errors.not_your_button")
    return found


async def _retry_done(session: AsyncSession, actor: Actor, arg: str, link: str | None = None) -> Reply:
    """The retry's "done" button, or a member's "klart" (or the link they sent) written back to the retry."""
    found = await _own_action(session, actor, arg)
    found.status, found.updated_at = DONE, actor.now
    found.link = link or found.link
    step = await _follow_up(session, actor, found)
    issue = await session.get(Issue, found.issue_id) if found.issue_id else None
    reply = await _logged_reply(session, actor, found, issue, step)
    return dataclasses.replace(reply, replaces_source=True)


async def _retry_later(session: AsyncSession, actor: Actor, arg: str) -> Reply:
    found = await _own_action(session, actor, arg)
    planned = await session.scalar(select(func.count(Reminder.id)).where(
        Reminder.workspace_id == actor.workspace.id, Reminder.key.like(f"{RETRY_KIND}:{found.id}:%")))
    if found.status != ATTEMPTED or (planned or 0) >= MAX_RETRIES:
        await _cancel_retries(session, found)
        return Reply(body=text("activity.retry.last"), replaces_source=True)
    due = await _plan_retry(session, found, actor.now, (planned or 0) + 1)
    return Reply(body=text("activity.retry.later", when=When(due, actor.workspace.timezone, "date")),
                 replaces_source=True)


async def _retry_stop(session: AsyncSession, actor: Actor, arg: str) -> Reply:
    found = await _own_action(session, actor, arg)
    await _cancel_retries(session, found)
    return Reply(body=text("activity.retry.stopped"), replaces_source=True)


# -- /stats --------------------------------------------------------------------------------------------------


async def _on_leaderboard(session: AsyncSession, member_id: int) -> bool:
    row = await session.get(ActivityMember, member_id)
    return bool(row and row.leaderboard)


def count_lines(rows: Sequence[tuple[str, str]] | Mapping[tuple[str, str], int]) -> list[Text]:
    """One line per kind that occurs: how many done, and how many only tried (from the (kind, status) of
    each action, or their counts)."""
    counts = rows if isinstance(rows, Mapping) else Counter(rows)
    done = Counter({kind: n for (kind, status), n in counts.items() if status == DONE})
    tried = Counter({kind: n for (kind, status), n in counts.items() if status == ATTEMPTED})
    lines = []
    for kind in KINDS:
        if done[kind] and tried[kind]:
            lines.append(
                text("activity.count.both", kind=kind_label(kind), done=done[kind], tried=tried[kind])
            )
        elif done[kind]:
            lines.append(text("activity.count.done", kind=kind_label(kind), done=done[kind]))
        elif tried[kind]:
            lines.append(text("activity.count.tried", kind=kind_label(kind), tried=tried[kind]))
    return lines


async def stats(session: AsyncSession, actor: Actor, _arg: str = "") -> Reply:
    """Show the member's own actions, stories, coaching steps and streak."""
    member = actor.require_onboarded()
    zone = actor.workspace.timezone
    week_start, month_start = period_start("week", actor.now, zone), period_start("month", actor.now, zone)
    # Counted by the database, through the member's index: per kind and status, and this week and month.
    counts: dict[tuple[str, str], int] = {}
    week = month = 0
    for kind, status, count, in_week, in_month in await session.execute(
            select(Action.kind, Action.status, func.count(),
                   func.count(case((Action.created_at >= week_start, 1))),
                   func.count(case((Action.created_at >= month_start, 1))))
            .where(Action.member_id == member.id).group_by(Action.kind, Action.status)):
        counts[kind, status] = count
        week, month = week + in_week, month + in_month
    lines = count_lines(counts)
    stories, applause = (await session.execute(
        select(func.count(func.distinct(Story.id)), func.count(StoryApplause.id))
        .select_from(Story).outerjoin(StoryApplause, StoryApplause.story_id == Story.id)
        .where(Story.member_id == member.id))).one()
    finished, total = await ladder.step_counts(session, actor.workspace.id, member.id)
    streak = await streaks.of_member(session, actor.workspace, member.id, actor.now)
    on_board = await _on_leaderboard(session, member.id)
    fields = (
        Field(
            text("activity.stats.actions", count=sum(counts.values())),
            Join(tuple(lines), separator="\n") if lines else text("activity.stats.no_actions"),
        ),
        Field(
            text("activity.stats.period_title"),
            text(
                "activity.stats.period",
                week=week,
                month=month,
            ),
        ),
        Field(
            text("activity.stats.stories_title"),
            text("activity.stats.stories", count=stories, applause=applause),
        ),
        Field(
            text("activity.stats.coaching_title"),
            text(
                "activity.stats.coaching",
                bar=Literal(ladder.bar(finished, total)),
                done=finished,
                total=total,
                streak=streaks.streak_text(streak),
            ),
        ),
        Field(
            text("activity.stats.leaderboard_title"),
            text("activity.stats.on_board" if on_board else "activity.stats.off_board"),
        ),
    )
    return Reply(title=text("activity.stats.title", name=Literal(member.display_name)), fields=fields,
                 buttons=(_board_button(on_board),))


# -- the leaderboard -----------------------------------------------------------------------------------------


def _board_button(on_board: bool) -> Button:
    if on_board:
        return Button(text("activity.button.leave"), LEAVE_ACTION, style=ButtonStyle.SECONDARY)
    return Button(text("activity.button.join"), JOIN_ACTION, style=ButtonStyle.SUCCESS)


async def _set_leaderboard(session: AsyncSession, actor: Actor, wanted: bool) -> bool:
    """Set the member's choice; return whether it changed."""
    row = await session.get(ActivityMember, actor.member.id)
    if row is None:
        row = ActivityMember(member_id=actor.member.id, workspace_id=actor.workspace.id, leaderboard=False,
                             created_at=actor.now, updated_at=actor.now)
        session.add(row)
    if row.leaderboard == wanted:
        return False
    row.leaderboard, row.updated_at = wanted, actor.now
    await session.execute(update(ActivityScore).where(ActivityScore.member_id == actor.member.id)
                          .values(shown=wanted))
    return True


async def leaderboard_join(session: AsyncSession, actor: Actor, _arg: str = "") -> Reply:
    """Take part in the leaderboard: the member's name and counts are shown to the group."""
    actor.require_onboarded()
    changed = await _set_leaderboard(session, actor, True)
    return Reply(body=text("activity.leaderboard.joined" if changed else "activity.leaderboard.already_in"),
                 buttons=(_board_button(True),))


async def leaderboard_leave(session: AsyncSession, actor: Actor, _arg: str = "") -> Reply:
    """Leave the leaderboard: the member is no longer shown."""
    actor.require_onboarded()
    changed = await _set_leaderboard(session, actor, False)
    return Reply(body=text("activity.leaderboard.left" if changed else "activity.leaderboard.already_out"),
                 buttons=(_board_button(False),))


def _period_title(period: str, now: datetime, zone: str) -> Text:
    local = now.astimezone(ZoneInfo(zone))
    if period == "week":
        return text("activity.leaderboard.title.week", week=local.isocalendar()[1])
    return text("activity.leaderboard.title.month", month=text(f"time.month.{local.month}"), year=local.year)


# -- the leaderboard's points, kept where actions and stories are written ------------------------------------


def _periods(at: datetime, zone: str) -> dict[str, int]:
    """Number the week and the month (in the zone) that a moment falls in, as ActivityScore does."""
    local = at.astimezone(ZoneInfo(zone)).date()
    return {Period.WEEK.value: streaks.week_number(local),
            Period.MONTH.value: local.year * 12 + local.month - 1}


@functools.cache
def _score_upsert(dialect: str) -> Insert:
    """Add to a member's points of one period, or start them; whether they are shown is asked of the database.

    Made once per dialect, with bound parameters only, so that SQLAlchemy compiles it once.
    """
    table = ActivityScore.__table__
    member_id = bindparam("member_id", type_=Integer)
    shown = (select(ActivityMember.member_id).join(Member, Member.id == ActivityMember.member_id)
             .where(ActivityMember.member_id == member_id, ActivityMember.leaderboard.is_(True),
                    Member.onboarded_at.is_not(None)).exists())
    upsert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table).values(
        member_id=member_id, period=bindparam("period"), start=bindparam("start"),
        workspace_id=bindparam("workspace_id"), actions=bindparam("actions"), stories=bindparam("stories"),
        points=bindparam("points"), shown=shown)
    return upsert.on_conflict_do_update(
        index_elements=["member_id", "period", "start"],
        set_={"actions": table.c.actions + upsert.excluded.actions,
              "stories": table.c.stories + upsert.excluded.stories,
              "points": table.c.points + upsert.excluded.points,
              "shown": upsert.excluded.shown})


async def scored(session: AsyncSession, workspace: Workspace, member_id: int, at: datetime, *,
                 actions: int = 0, stories: int = 0) -> None:
    """Count actions or stories (taken back when negative) in the member's points of the week and the month
    of `at`, in one statement."""
    await session.execute(_score_upsert(session.get_bind().dialect.name), [
        {"member_id": member_id, "period": period, "start": start, "workspace_id": workspace.id,
         "actions": actions, "stories": stories, "points": actions + stories}
        for period, start in _periods(at, workspace.timezone).items()])


async def rescore(session: AsyncSession, workspace: Workspace) -> None:
    """Count the workspace's points again from its actions and stories (after its time zone changed)."""
    await session.flush()
    tally: dict[tuple[int, str, int], list[int]] = defaultdict(lambda: [0, 0])
    for index, (member_column, at_column, workspace_column) in enumerate((
            (Action.member_id, Action.created_at, Action.workspace_id),
            (Story.member_id, Story.created_at, Story.workspace_id))):
        for member_id, at in await session.execute(select(member_column, at_column)
                                                   .where(workspace_column == workspace.id)):
            for period, start in _periods(at, workspace.timezone).items():
                tally[member_id, period, start][index] += 1
    shown = set(await session.scalars(
        select(ActivityMember.member_id).join(Member, Member.id == ActivityMember.member_id)
        .where(ActivityMember.workspace_id == workspace.id, ActivityMember.leaderboard.is_(True),
               Member.onboarded_at.is_not(None))))
    await session.execute(delete(ActivityScore).where(ActivityScore.workspace_id == workspace.id))
    rows = [{"member_id": member_id, "period": period, "start": start, "workspace_id": workspace.id,
             "actions": actions, "stories": stories, "points": actions + stories, "shown": member_id in shown}
            for (member_id, period, start), (actions, stories) in tally.items()]
    for first in range(0, len(rows), 1000):
        await session.execute(insert(ActivityScore), rows[first:first + 1000])


@dataclasses.dataclass(frozen=True)
class _Scored:
    """A member on the leaderboard with points in the period."""

    member_id: int
    name: str
    actions: int
    stories: int
    rank: int | None = None  # counted by the database only for the member asking, when below the top

    @property
    def points(self) -> int:
        return self.actions + self.stories


async def _top(session: AsyncSession, workspace: Workspace, period: Period, now: datetime, member_id: int
               ) -> list[_Scored]:
    """The members on the board with points in the period, as far as the top shows them (all who have as many
    points as the last one shown, so that names can order a tie), and the asking member with their rank.

    One statement over the index of the period's points: the top rows, and the rows above the asking member
    for their rank; only the rows shown are read into Python.
    """
    start = _periods(now, workspace.timezone)[period.value]
    higher = aliased(ActivityScore)

    def board(score: type[ActivityScore]) -> tuple[ColumnElement[bool], ...]:
        return (score.workspace_id == workspace.id, score.period == period.value, score.start == start,
                score.shown.is_(True))

    # The points of the last place shown (every scored member counts when fewer are scored).
    last_shown = func.coalesce(
        select(ActivityScore.points).where(*board(ActivityScore), ActivityScore.points > 0)
        .order_by(ActivityScore.points.desc())
        .offset(LEADERBOARD_SHOWN - 1).limit(1).scalar_subquery(), 1)
    rank = (select(func.count() + 1).where(*board(higher), higher.points > ActivityScore.points)
            .scalar_subquery())
    # The name looked up row by row, by key: a join would let PostgreSQL's planner, which cannot know how few
    # rows the top is, read every member.
    name = select(Member.display_name).where(Member.id == ActivityScore.member_id).scalar_subquery()
    shown = (ActivityScore.member_id, name, ActivityScore.actions, ActivityScore.stories)
    # Two parts, so that each is a range of the index: the top (from the last place shown up: at least 1
    # point), and the asking member when below it (found by their key; their rank from the points above).
    rows = await session.execute(union_all(
        select(*shown, null()).where(*board(ActivityScore), ActivityScore.points >= last_shown),
        select(*shown, rank).where(*board(ActivityScore), ActivityScore.member_id == member_id,
                                   ActivityScore.points > 0, ActivityScore.points < last_shown)))
    return [_Scored(*row) for row in rows]


async def leaderboard(session: AsyncSession, actor: Actor, period: Period | None = None) -> Reply:
    """Rank the members who opted in by their actions and stories this week or this month."""
    chosen = period or Period.WEEK
    workspace = actor.workspace
    title = _period_title(chosen, actor.now, workspace.timezone)
    on_board = actor.member.onboarded_at is not None and await _on_leaderboard(session, actor.member.id)
    buttons = (_board_button(on_board),) if actor.member.onboarded_at is not None else ()
    found = await _top(session, workspace, chosen, actor.now, actor.member.id)
    if not found:
        anyone = on_board or await session.scalar(
            select(ActivityMember.member_id).join(Member, Member.id == ActivityMember.member_id)
            .where(ActivityMember.workspace_id == workspace.id, ActivityMember.leaderboard.is_(True),
                   Member.onboarded_at.is_not(None)).limit(1)) is not None
        key = f"activity.leaderboard.empty.{chosen}" if anyone else "activity.leaderboard.nobody"
        return Reply(title=title, body=text(key), buttons=buttons)
    shown = sorted(found, key=lambda entry: (-entry.points, entry.name.lower(), entry.member_id))
    # Every member with more points than the last shown was read: a place is one more than those before it
    # with more points, as the database counts it for the asking member below the top.
    ranked: list[tuple[int, _Scored]] = []
    for position, entry in enumerate(shown, 1):
        if entry.rank is not None and position > LEADERBOARD_SHOWN:
            ranked.append((entry.rank, entry))
        else:
            tied = ranked and ranked[-1][1].points == entry.points
            ranked.append((ranked[-1][0] if tied else position, entry))

    def line(rank: int, entry: _Scored) -> Text:
        return text(
            "activity.leaderboard.line",
            rank=MEDALS.get(rank, f"{rank}."),
            name=Literal(entry.name),
            points=entry.points,
            actions=entry.actions,
            stories=entry.stories,
        )

    lines = [line(*entry) for entry in ranked[:LEADERBOARD_SHOWN]]
    mine = next((entry for entry in ranked[LEADERBOARD_SHOWN:] if entry[1].member_id == actor.member.id),
                None)
    if mine is not None:
        lines.append(text("activity.leaderboard.you", line=line(*mine)))
    return Reply(title=title, body=Join(tuple(lines), separator="\n"),
                 fields=(Field(text("activity.leaderboard.how_title"), text("activity.leaderboard.how")),),
                 buttons=buttons)


# -- streaks and /mydata -------------------------------------------------------------------------------------


async def _actions(session: AsyncSession, workspace_id: int, member_ids: Sequence[int] | None
                   ) -> list[tuple[int, datetime]]:
    """Every action counts for streaks, logged or only tried, in the week it was logged."""
    query = select(Action.member_id, Action.created_at)
    # Members' own rows through the member index; the workspace's (None) through the workspace's.
    query = query.where(Action.workspace_id == workspace_id) if member_ids is None \
        else query.where(Action.member_id.in_(member_ids))
    return [(member_id, at) for member_id, at in await session.execute(query)]


async def _export(session: AsyncSession, member: Member) -> list[dict[str, Any]]:
    rows = await session.execute(select(Action, Issue.title, Politician.name)
                                 .outerjoin(Issue, Issue.id == Action.issue_id)
                                 .outerjoin(Politician, Politician.id == Action.politician_id)
                                 .where(Action.member_id == member.id).order_by(Action.created_at, Action.id))
    return [{"kind": a.kind, "status": a.status, "issue": title, "politician": politician,
             "channel": a.channel, "link": a.link, "note": a.note, "source": a.source,
             "at": a.created_at.isoformat(), "updated_at": a.updated_at.isoformat()}
            for a, title, politician in rows]


async def _export_scores(session: AsyncSession, member: Member) -> dict[str, Any]:
    """The leaderboard's points and the run of active weeks, as kept for the member (their actions and
    stories, counted)."""
    scores = await session.scalars(select(ActivityScore).where(ActivityScore.member_id == member.id)
                                   .order_by(ActivityScore.period, ActivityScore.start))
    streak = await session.get(ActivityStreak, member.id)
    return {
        "scores": [{"period": s.period, "start": s.start, "actions": s.actions, "stories": s.stories,
                    "points": s.points, "shown": s.shown} for s in scores],
        "streak_weeks": [streak.first_week, streak.last_week] if streak is not None else None,
    }


async def _erase_scores(session: AsyncSession, member: Member) -> None:
    """Scores and the streak go with the member row (ON DELETE CASCADE)."""


async def _erase(session: AsyncSession, member: Member) -> None:
    own = set(await session.scalars(select(Action.id).where(Action.member_id == member.id)))
    # The retries planned for the member's attempts go with them, fired or not.
    retries = [r.id for r in await session.scalars(select(Reminder).where(
        Reminder.workspace_id == member.workspace_id, Reminder.kind == RETRY_KIND))
        if r.payload.get("action_id") in own]
    if retries:
        await session.execute(delete(Reminder).where(Reminder.id.in_(retries)))
    await session.execute(delete(Action).where(Action.member_id == member.id))
    await session.execute(update(ActivityScore).where(ActivityScore.member_id == member.id)
                          .values(points=ActivityScore.points - ActivityScore.actions, actions=0))
    await streaks.removed(session, await session.get_one(Workspace, member.workspace_id), member.id)


async def _export_choice(session: AsyncSession, member: Member) -> dict[str, Any]:
    return {"leaderboard": await _on_leaderboard(session, member.id)}


async def _erase_choice(session: AsyncSession, member: Member) -> None:
    await session.execute(delete(ActivityMember).where(ActivityMember.member_id == member.id))
    await session.execute(update(ActivityScore).where(ActivityScore.member_id == member.id)
                          .values(shown=False))


FEATURE = Feature(
    "activity",
    actions={
        LOG_ACTION: _log_pressed,
        RETRY_DONE_ACTION: _retry_done,
        RETRY_LATER_ACTION: _retry_later,
        RETRY_STOP_ACTION: _retry_stop,
        STATS_ACTION: stats,
        JOIN_ACTION: leaderboard_join,
        LEAVE_ACTION: leaderboard_leave,
    },
    answers={RETRY_DONE_ACTION: _retry_done},
    planners={RETRY_KIND: _plan_retry_reminder},
    describers={RETRY_KIND: _describe_retry},
    activity_sources=(_actions,),
    member_data=(
        MemberData("actions", _export, _erase, covers=("action.member_id",)),
        MemberData("leaderboard", _export_choice, _erase_choice, covers=("activity_member.member_id",)),
        MemberData("activity_scores", _export_scores, _erase_scores,
                   covers=("activity_score.member_id", "activity_streak.member_id")),
    ),
)
