"""Rapid response (snabbrespons): a link the coordinators want answered or shared within hours.

A coordinator shares a link (a politician's post, an article, a debate) with a short ask and a deadline. The
followers of the issue (or of the municipality) get an alert with reply drafts and share links, planned as a
reminder due at once (recorded, so a restart loses nothing, and fanned out a batch at a time). Those who acted
say so with one press: it counts as an action (`activity.record`, source "rapid:<id>"), once per member. The
coordinators see the tally live in one message in their channel, refreshed by a reminder a few seconds after
a press: one pending refresh serves every press until then, so a burst of presses is a handful of edits. At
the deadline a reminder (never skipped, however late) closes it: the live message shows the final tally and
the announcements thank those who acted, with the numbers.

Quiet hours hold for the DMs (the Dispatcher applies them) and the alert expires at the deadline; an urgent
alert is sent at once, day or night, to every member but those who opted out of urgent alerts.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, func, not_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import delivery, reminders, timeparse, validation
from bot.contributions import Feature, MemberData
from bot.errors import UserError
from bot.i18n import normalize_language, render
from bot.models import Follow, Issue, Member, RapidAnswer, RapidMember, RapidResponse, Reminder, Workspace
from bot.replies import (
    Button,
    ButtonStyle,
    Channel,
    Field,
    FieldKind,
    Form,
    FormField,
    Join,
    Link,
    Literal,
    Renderable,
    Reply,
    Text,
    When,
    more_than_shown,
    text,
)
from bot.services import activity, audience, civics, coaching_settings, drafts, follows, media
from bot.services.context import Actor, audience_language, audit, pressed_row, record_form

log = logging.getLogger(__name__)

ALERT_KIND = "rapid.alert"
LIVE_KIND = "rapid.live"
CLOSE_KIND = "rapid.close"
DONE_ACTION = "rapid.done"
LINK_ACTION = "rapid.link"
LINK_FORM = "rapid.link"
OPEN, CLOSED = "open", "closed"
# The deadline: at least this far ahead (an alert needs time to be read), at most this far (it is rapid).
MIN_DEADLINE = timedelta(minutes=5)
MAX_DEADLINE = timedelta(hours=48)
MAX_ASK = 300
# A press asks for the live tally to be refreshed this long after it; every press until then rides along.
# Discord lets a channel's messages be edited about five times in five seconds: one edit in this time leaves
# room for everything else the bot says there.
REFRESH_DELAY = timedelta(seconds=5)
# The live tally names the first who acted; the rest are counted.
NAMES_SHOWN = 15
LISTED = 15
DRAFTS = 3
# "2h", "30m", "1h30m", "90 min", "2 timmar", "om 2 h": a duration from now (folded: no å ä ö).
_DURATION = re.compile(
    r"^(?:(?:om|in)\s+)?(?:(\d{1,3})\s*(?:h|t|tim|timme|timmar|hour|hours|hr|hrs))?\s*"
    r"(?:(\d{1,4})\s*(?:m|min|mins|minut|minuter|minute|minutes))?$")
_CLOCK = re.compile(r"^(?:kl\.?\s*)?\d{1,2}[:.]\d{2}$")


def live_key(rapid_id: int) -> str:
    """The key of a rapid response's live tally in the coordinators' channel."""
    return f"rapid:{rapid_id}"


def _key_prefix(rapid_id: int) -> str:
    return f"rapid:{rapid_id}:"


def _source(rapid_id: int) -> str:
    """The source of the action a press records: one per member and rapid response."""
    return f"rapid:{rapid_id}"


# -- reading what the coordinator typed -------------------------------------------------------------------


def parse_deadline(raw: str | None, now: datetime, zone: str) -> datetime:
    """Read a deadline: a duration from now ("2h", "30m", "1h30m", "90 min"), a time today ("22:30") or a
    moment as issue decisions take it ("17 dec 18:00"); between MIN_DEADLINE and MAX_DEADLINE from now."""
    label = text("rapid.field.deadline")
    typed = (raw or "").strip()
    if not typed:
        raise validation.FieldProblem(label, text("errors.required"))
    folded = validation.fold(typed)
    duration = _DURATION.match(folded)
    if duration and (duration[1] or duration[2]):
        at = now + timedelta(hours=int(duration[1] or 0), minutes=int(duration[2] or 0))
    else:
        try:
            # A time of day alone is today's.
            moment = timeparse.parse_moment(f"i dag {typed}" if _CLOCK.match(folded) else typed, now, zone)
        except UserError as error:
            raise validation.FieldProblem(label, error.text) from None
        at = moment.at
    if at - now < MIN_DEADLINE:
        raise validation.FieldProblem(label, text("rapid.deadline.too_soon",
                                                  minutes=int(MIN_DEADLINE.total_seconds() // 60)))
    if at - now > MAX_DEADLINE:
        raise validation.FieldProblem(label, text("rapid.deadline.too_far",
                                                  hours=int(MAX_DEADLINE.total_seconds() // 3600)))
    return at


# -- who gets it ------------------------------------------------------------------------------------------


def _following(rapid: RapidResponse, issue: Issue | None) -> Select[int]:
    """The ids of the members who follow the rapid response's issue (its municipality, topics or itself), or
    its municipality."""
    if issue is not None:
        return follows.following(issue)
    return select(Follow.member_id).where(Follow.workspace_id == rapid.workspace_id,
                                          Follow.kind == follows.MUNICIPALITY,
                                          Follow.value == (rapid.municipality or ""))


def _audience(rapid: RapidResponse, issue: Issue | None) -> tuple[ColumnElement[bool], ...]:
    """The onboarded followers a rapid response alerts, as conditions on Member."""
    return (Member.workspace_id == rapid.workspace_id, Member.onboarded_at.is_not(None),
            Member.id.in_(_following(rapid, issue)))


def _opted_out() -> ColumnElement[bool]:
    """Members who asked not to be woken by urgent alerts (no row: urgent alerts are allowed)."""
    return Member.id.in_(select(RapidMember.member_id).where(RapidMember.urgent.is_(False)))


async def _count(session: AsyncSession, *where: ColumnElement[bool]) -> int:
    return await session.scalar(select(func.count()).select_from(Member).where(*where)) or 0


async def _issue_of(session: AsyncSession, rapid: RapidResponse) -> Issue | None:
    return await session.get(Issue, rapid.issue_id) if rapid.issue_id is not None else None


# -- starting one -----------------------------------------------------------------------------------------


async def start(
    session: AsyncSession,
    actor: Actor,
    link: str | None = None,
    ask: str | None = None,
    deadline: str | None = None,
    issue: str | None = None,
    municipality: str | None = None,
    urgent: bool | None = None,
    quiet: tuple[int, int] = (21, 8),
) -> Reply:
    """Share a link with an ask and a deadline: the followers of the issue (or municipality) are alerted at
    once, and the coordinators are told who will get it, and when."""
    actor.require_coordinator()
    zone = actor.workspace.timezone

    def read_link() -> str:
        label = text("rapid.field.link")
        url = validation.web_url(link, label)
        if url is None:
            raise validation.FieldProblem(label, text("errors.required"))
        return url

    def read_place() -> str | None:
        """The municipality whose followers are alerted (None: the issue's, which is read below)."""
        if not issue and not municipality:
            raise validation.FieldProblem(text("rapid.field.target"), text("rapid.target_required"))
        return civics.municipality(municipality) if municipality and not issue else None

    values = validation.read_all({
        "link": read_link,
        "ask": lambda: validation.clean_text(ask, text("rapid.field.ask"), max_length=MAX_ASK, required=True),
        "deadline": lambda: parse_deadline(deadline, actor.now, zone),
        "place": read_place,
    })
    found = await civics.find_issue(session, actor.workspace.id, issue, open_only=True) if issue else None
    place = found.municipality if found is not None else values["place"]
    rapid = RapidResponse(workspace_id=actor.workspace.id, issue_id=found.id if found else None,
                          municipality=place, link=values["link"], ask=values["ask"], urgent=bool(urgent),
                          status=OPEN, deadline_at=values["deadline"], created_by_member_id=actor.member.id,
                          alerted=0, refreshes=0, created_at=actor.now)
    session.add(rapid)
    await session.flush()
    audit(session, actor, "rapid.started", rapid_id=rapid.id, issue_id=rapid.issue_id, urgent=rapid.urgent)
    # The alert is due at once and may not go out after the deadline; the close falls due at the deadline and
    # is never skipped (a close that fell due while the bot was down runs at its start).
    await reminders.schedule(session, workspace_id=rapid.workspace_id, kind=ALERT_KIND,
                             key=f"{_key_prefix(rapid.id)}alert", due_at=actor.now, now=actor.now,
                             payload={"rapid_id": rapid.id}, grace=rapid.deadline_at - actor.now)
    await reminders.schedule(session, workspace_id=rapid.workspace_id, kind=CLOSE_KIND,
                             key=f"{_key_prefix(rapid.id)}close", due_at=rapid.deadline_at, now=actor.now,
                             payload={"rapid_id": rapid.id})
    log.info("Rapid response %s started in workspace %s", rapid.id, actor.workspace.id)
    return Reply(title=text("rapid.started.title"),
                 body=await _summary(session, rapid, found, actor.now, zone, quiet),
                 fields=_fields(rapid, found, zone))


async def _summary(session: AsyncSession, rapid: RapidResponse, issue: Issue | None, now: datetime, zone: str,
                   quiet: tuple[int, int]) -> Join:
    """Who will get the alert: how many follow, how many by DM, and how many wait for the quiet hours."""
    reached = _audience(rapid, issue)
    total = await _count(session, *reached)
    by_dm = await _count(session, *reached, delivery.wants_dm_clause(now))
    lines: list[Text] = [text("rapid.started.reach", count=total, dms=by_dm, channel=total - by_dm)]
    quiet_until = delivery.QuietHours(*quiet).adjust(now, ZoneInfo(zone))
    if quiet_until > now and by_dm:
        waiting = by_dm if not rapid.urgent else await _count(
            session, *reached, delivery.wants_dm_clause(now), _opted_out())
        if waiting and quiet_until >= rapid.deadline_at:
            lines.append(text("rapid.started.quiet_missed" if not rapid.urgent else "rapid.started.opted_out",
                              count=waiting))
        elif waiting:
            lines.append(text("rapid.started.quiet_wait", count=waiting,
                              when=When(quiet_until, zone, "short")))
    if rapid.urgent:
        lines.append(text("rapid.started.urgent"))
    lines.append(text("rapid.started.live"))
    return Join(tuple(lines), "\n")


def _fields(rapid: RapidResponse, issue: Issue | None, zone: str) -> tuple[Field, ...]:
    fields = [Field(text("rapid.field.ask"), Literal(rapid.ask)),
              Field(text("rapid.field.link"), Literal(rapid.link)),
              Field(text("rapid.field.deadline"), When(rapid.deadline_at, zone), inline=True)]
    if issue is not None:
        fields.append(Field(text("rapid.field.issue"), Literal(issue.title), inline=True))
    elif rapid.municipality:
        fields.append(Field(text("field.municipality"), civics.municipality_label(rapid.municipality),
                            inline=True))
    return tuple(fields)


# -- the alert --------------------------------------------------------------------------------------------


def compose_drafts(place: str, hashtag: str, handle: str | None, link: str, language: str) -> list[str]:
    """The reply drafts of an alert, in the readers' language: each with the hashtag, the local media's handle
    where known and the link, shortened (prose only) to fit X and its share button."""
    outlet = "@" + handle if handle else ""
    posts = []
    for number in range(1, DRAFTS + 1):
        post = render(text(f"rapid.draft.{number}", place=Literal(place), hashtag=Literal(hashtag),
                           media=Literal(outlet), link=Literal(link)), language)
        posts.append(drafts.shorten(" ".join(post.split()), drafts.shareable))
    return posts


async def alert_reply(session: AsyncSession, rapid: RapidResponse, issue: Issue | None, workspace: Workspace
                      ) -> Reply:
    """The alert: the ask, the link, the drafts with share links, the deadline, and the buttons to say one
    acted."""
    # The drafts are for the town to read: in its language (see services.audience).
    zone, readers = workspace.timezone, audience_language(workspace)
    municipality = issue.municipality if issue is not None else rapid.municipality
    hashtag = issue.hashtag if issue is not None else (
        await coaching_settings.settings_of(session, workspace.id)).hashtag
    handles = await media.handles_for(session, workspace.id, municipality) if municipality else []
    place = render(civics.municipality_label(municipality), readers) if municipality else ""
    posts = compose_drafts(place, hashtag, handles[0] if handles else None, rapid.link, readers)
    fields = [Field(text("rapid.field.deadline"), When(rapid.deadline_at, zone), inline=True)]
    if issue is not None:
        fields.append(Field(text("rapid.field.issue"), Literal(issue.title), inline=True))
    fields += [Field(text("rapid.alert.draft", number=n), Literal(post)) for n, post in enumerate(posts, 1)]
    links = (Link(text("rapid.alert.open"), rapid.link),
             *(Link(text("rapid.alert.share", number=n), drafts.x_intent(post))
               for n, post in enumerate(posts, 1)))
    title = "rapid.alert.title_urgent" if rapid.urgent else "rapid.alert.title"
    return Reply(title=text(title), body=text("rapid.alert.body", ask=Literal(rapid.ask)),
                 fields=tuple(fields), links=links, buttons=_buttons(rapid.id), private=False)


def _buttons(rapid_id: int) -> tuple[Button, ...]:
    return (Button(text("rapid.button.done"), DONE_ACTION, str(rapid_id), ButtonStyle.SUCCESS),
            Button(text("rapid.button.link"), LINK_ACTION, str(rapid_id), ButtonStyle.SECONDARY))


async def _plan_alert(session: AsyncSession, reminder: Reminder, now: datetime
                      ) -> list[reminders.Planned] | reminders.InBatches:
    """Alert the followers: the post in the announcements (mentioning those who get no DM) and the live tally
    first, then a DM to each who wants one, a batch at a time; none of it after the deadline."""
    rapid = await session.get(RapidResponse, reminder.payload["rapid_id"])
    if rapid is None or rapid.status != OPEN:
        return []
    workspace = await session.get_one(Workspace, rapid.workspace_id)
    issue = await _issue_of(session, rapid)
    reply = await alert_reply(session, rapid, issue, workspace)
    reached = _audience(rapid, issue)
    rapid.alerted = await _count(session, *reached)
    live = await _live_planned(session, rapid, workspace, now)
    wants = delivery.wants_dm_clause(now)
    rapid_id, deadline, urgent = rapid.id, rapid.deadline_at, rapid.urgent
    readers, default = audience_language(workspace), normalize_language(workspace.language)
    # The drafts are in the town's language: a member who reads another is told why (once per language).
    by_language: dict[str, Reply] = {}

    def read_in(language: str | None) -> Reply:
        reader = normalize_language(language or default)
        if reader not in by_language:
            by_language[reader] = audience.explained(reply, reader, readers)
        return by_language[reader]

    dms = 0

    async def batch(reader: AsyncSession, after: int) -> tuple[list[reminders.Planned], int | None]:
        nonlocal dms
        planned = []
        if after == 0:
            mentioned = await delivery.channel_mentions(reader, (*reached, not_(wants)),
                                                        "Rapid response %s", rapid_id)
            planned += [reminders.Planned(dataclasses.replace(reply, mentions=mentioned),
                                          channel=Channel.ANNOUNCEMENTS, expires_at=deadline), live]
        rows = (await reader.execute(select(Member.id, Member.language, _opted_out())
                                     .where(*reached, wants, Member.id > after)
                                     .order_by(Member.id).limit(reminders.BATCH))).all()
        # Urgent: at once, day or night, but for those who opted out (quiet hours hold for them).
        planned += [reminders.Planned(read_in(language), member_id=member_id, channel=Channel.ANNOUNCEMENTS,
                                      expires_at=deadline, urgent=urgent and not opted_out)
                    for member_id, language, opted_out in rows]
        dms += len(rows)
        if len(rows) == reminders.BATCH:
            return planned, rows[-1][0]
        log.info("Rapid response %s: %d DMs", rapid_id, dms)
        return planned, None

    return reminders.InBatches(batch)


# -- pressing "I replied/shared" --------------------------------------------------------------------------


def _is_open(rapid: RapidResponse, now: datetime) -> bool:
    return rapid.status == OPEN and now < rapid.deadline_at


async def answered(session: AsyncSession, actor: Actor, rapid_ref: str, link: str | None = None) -> Reply:
    """Record that the member replied or shared (once), as an action; the live tally follows shortly."""
    member = actor.require_onboarded()
    rapid = await pressed_row(session, actor, RapidResponse, rapid_ref)
    url = validation.web_url(link, text("rapid.field.your_link")) if link else None
    if not _is_open(rapid, actor.now):
        return Reply(body=text("rapid.press.closed"))
    mine = await session.scalar(select(RapidAnswer).where(RapidAnswer.rapid_id == rapid.id,
                                                          RapidAnswer.member_id == member.id))
    if mine is not None:
        if url and mine.link != url:
            mine.link = url
            await activity.record(session, actor, activity.ActivityKind.TWEET, issue_id=rapid.issue_id,
                                  link=url, source=_source(rapid.id))
            return Reply(body=text("rapid.press.link_added"))
        return Reply(body=text("rapid.press.already"))
    session.add(RapidAnswer(workspace_id=rapid.workspace_id, rapid_id=rapid.id, member_id=member.id, link=url,
                            created_at=actor.now))
    await session.flush()
    await activity.record(session, actor, activity.ActivityKind.TWEET, issue_id=rapid.issue_id, link=url,
                          source=_source(rapid.id))
    await request_refresh(session, rapid, actor.now)
    return Reply(body=text("rapid.press.thanks" if url is None else "rapid.press.thanks_link"))


async def _done_pressed(session: AsyncSession, actor: Actor, arg: str) -> Reply:
    return await answered(session, actor, arg)


def link_form(rapid_id: int) -> Form:
    """The form that takes the link to what the member posted."""
    return Form(LINK_FORM, text("rapid.form.title"), (
        FormField("link", text("rapid.field.your_link"), FieldKind.SHORT, required=True,
                  max_length=validation.MAX_URL, placeholder=text("rapid.form.placeholder")),),
        arg=str(rapid_id))


async def _link_pressed(session: AsyncSession, actor: Actor, arg: str) -> Reply:
    actor.require_onboarded()
    rapid = await pressed_row(session, actor, RapidResponse, arg)
    if not _is_open(rapid, actor.now):
        return Reply(body=text("rapid.press.closed"))
    return Reply(form=link_form(rapid.id))


async def _link_submitted(session: AsyncSession, actor: Actor, values: Mapping[str, str], arg: str = ""
                          ) -> Reply:
    return await answered(session, actor, arg, values.get("link") or None)


async def _link_written(session: AsyncSession, actor: Actor, arg: str, link: str | None) -> Reply | None:
    """A member answered the alert in a conversation: "klart" is the press, a link the press with it."""
    return await answered(session, actor, arg, link)


# -- the live tally ---------------------------------------------------------------------------------------


async def request_refresh(session: AsyncSession, rapid: RapidResponse, now: datetime) -> None:
    """Have the live tally show the current state in REFRESH_DELAY; one pending refresh serves every press
    until then."""
    if rapid.status != OPEN:
        return
    if await reminders.pending_under(session, workspace_id=rapid.workspace_id, kind=LIVE_KIND,
                                     prefix=f"{_key_prefix(rapid.id)}live:"):
        return
    rapid.refreshes += 1
    await reminders.schedule(session, workspace_id=rapid.workspace_id, kind=LIVE_KIND,
                             key=f"{_key_prefix(rapid.id)}live:r{rapid.refreshes}",
                             due_at=now + REFRESH_DELAY, now=now, payload={"rapid_id": rapid.id})


async def tally(session: AsyncSession, rapid: RapidResponse) -> tuple[int, list[str]]:
    """How many acted, and the names of the first NAMES_SHOWN who did, in the order they did."""
    count = await session.scalar(select(func.count(RapidAnswer.id)).where(RapidAnswer.rapid_id == rapid.id))
    names = list(await session.scalars(select(Member.display_name).join(RapidAnswer,
                                                                        RapidAnswer.member_id == Member.id)
                                       .where(RapidAnswer.rapid_id == rapid.id).order_by(RapidAnswer.id)
                                       .limit(NAMES_SHOWN)))
    return count or 0, names


async def live_reply(session: AsyncSession, rapid: RapidResponse, zone: str, now: datetime) -> Reply:
    """The coordinators' live tally: acted of alerted, who acted, the time left (or that it closed)."""
    count, names = await tally(session, rapid)
    issue = await _issue_of(session, rapid)
    closed = rapid.status != OPEN or now >= rapid.deadline_at
    fields = [Field(text("rapid.field.ask"), Literal(rapid.ask)),
              Field(text("rapid.field.link"), Literal(rapid.link)),
              Field(text("rapid.live.acted"), text("rapid.live.count", count=count, alerted=rapid.alerted),
                    inline=True),
              Field(text("rapid.field.deadline"), When(rapid.deadline_at, zone), inline=True)]
    if names:
        who: list[Renderable] = [Join(tuple(Literal(name) for name in names))]
        if count > len(names):
            who.append(text("rapid.live.more", count=count - len(names)))
        fields.append(Field(text("rapid.live.who"), Join(tuple(who), " ")))
    title = text("rapid.live.closed" if closed else "rapid.live.title", what=_what(rapid, issue))
    return Reply(title=title, fields=tuple(fields), private=False)


def _what(rapid: RapidResponse, issue: Issue | None) -> Literal | Text:
    """What a rapid response is about: its issue's title, else its municipality."""
    return Literal(issue.title) if issue is not None else civics.municipality_label(rapid.municipality)


async def _live_planned(session: AsyncSession, rapid: RapidResponse, workspace: Workspace, now: datetime
                        ) -> reminders.Planned:
    reply = await live_reply(session, rapid, workspace.timezone, now)
    return reminders.Planned(reply, channel=Channel.COORDINATORS, live=live_key(rapid.id))


async def _plan_live(session: AsyncSession, reminder: Reminder, now: datetime) -> list[reminders.Planned]:
    rapid = await session.get(RapidResponse, reminder.payload["rapid_id"])
    if rapid is None or rapid.status != OPEN:
        return []  # closed: its close showed the last state
    workspace = await session.get_one(Workspace, rapid.workspace_id)
    return [await _live_planned(session, rapid, workspace, now)]


# -- the close --------------------------------------------------------------------------------------------


async def _plan_close(session: AsyncSession, reminder: Reminder, now: datetime) -> list[reminders.Planned]:
    """At the deadline (or when closed early): the live tally's last state, and the thanks with the tally."""
    rapid = await session.get(RapidResponse, reminder.payload["rapid_id"])
    if rapid is None:
        return []
    if rapid.status == OPEN:
        rapid.status, rapid.closed_at = CLOSED, now
    await reminders.cancel_prefixed(session, workspace_id=rapid.workspace_id,
                                    prefix=f"{_key_prefix(rapid.id)}live:", kinds=(LIVE_KIND,))
    workspace = await session.get_one(Workspace, rapid.workspace_id)
    count, _ = await tally(session, rapid)
    issue = await _issue_of(session, rapid)
    thanks = Reply(title=text("rapid.thanks.title", what=_what(rapid, issue)),
                   body=text("rapid.thanks.body" if count else "rapid.thanks.none", count=count,
                             alerted=rapid.alerted, ask=Literal(rapid.ask)),
                   links=(Link(text("rapid.alert.open"), rapid.link),), private=False)
    log.info("Rapid response %s closed: %d of %d acted", rapid.id, count, rapid.alerted)
    return [await _live_planned(session, rapid, workspace, now),
            reminders.Planned(thanks, channel=Channel.ANNOUNCEMENTS)]


async def close(session: AsyncSession, actor: Actor, number: str | None = None) -> Reply:
    """Close a rapid response before its deadline: the tally is posted now, and presses say it closed."""
    actor.require_coordinator()
    found = await _find(session, actor, number)
    if found is None:
        return Reply(body=text("rapid.none_open"))
    if found.status != OPEN:
        raise UserError("rapid.close.already", number=found.id)
    found.status, found.closed_at = CLOSED, actor.now
    # The close reminder posts the tally now instead of at the deadline.
    await reminders.schedule(session, workspace_id=found.workspace_id, kind=CLOSE_KIND,
                             key=f"{_key_prefix(found.id)}close", due_at=actor.now, now=actor.now,
                             payload={"rapid_id": found.id})
    audit(session, actor, "rapid.closed", rapid_id=found.id)
    count, _ = await tally(session, found)
    return Reply(body=text("rapid.close.done", number=found.id, count=count, alerted=found.alerted))


async def _find(session: AsyncSession, actor: Actor, ref: str | None) -> RapidResponse | None:
    """A rapid response by its number; without one, the only open one (None: none is open)."""
    label = text("rapid.field.number")
    if ref:
        found = await session.get(RapidResponse, validation.record_id(ref.strip().removeprefix("#")) or 0)
        if found is None or found.workspace_id != actor.workspace.id:
            raise validation.FieldProblem(label, text("rapid.unknown", value=Literal(ref.strip()[:20])))
        return found
    open_ones = list(await session.scalars(select(RapidResponse).where(
        RapidResponse.workspace_id == actor.workspace.id, RapidResponse.status == OPEN).limit(2)))
    if len(open_ones) > 1:
        raise validation.FieldProblem(label, text("rapid.which"))
    return open_ones[0] if open_ones else None


async def list_rapid(session: AsyncSession, actor: Actor) -> Reply:
    """The open rapid responses and the recent closed ones, with their tallies."""
    actor.require_coordinator()
    mine = RapidResponse.workspace_id == actor.workspace.id
    rows = list(await session.scalars(select(RapidResponse).where(mine).order_by(
        (RapidResponse.status == OPEN).desc(), RapidResponse.id.desc()).limit(LISTED)))
    if not rows:
        return Reply(body=text("rapid.list.none"))
    counts = dict((await session.execute(
        select(RapidAnswer.rapid_id, func.count(RapidAnswer.id))
        .where(RapidAnswer.rapid_id.in_([r.id for r in rows])).group_by(RapidAnswer.rapid_id))).all())
    zone = actor.workspace.timezone
    lines = tuple(text("rapid.list.line_open" if r.status == OPEN else "rapid.list.line_closed",
                       number=r.id, ask=Literal(r.ask), count=counts.get(r.id, 0), alerted=r.alerted,
                       when=When(r.deadline_at, zone, "short")) for r in rows)
    total = await session.scalar(select(func.count(RapidResponse.id)).where(mine)) or 0
    return Reply(title=text("rapid.list.title"),
                 body=text("rapid.list.body", lines=Join(lines, "\n", "• "),
                           more=more_than_shown("rapid.list.more", total, LISTED)))


# -- a member's choice about urgent alerts ----------------------------------------------------------------


async def urgent_setting(session: AsyncSession, actor: Actor, allow: bool | None = None) -> Reply:
    """Allow or refuse urgent alerts at night (without `allow`: show the choice)."""
    member = actor.require_onboarded()
    row = await session.get(RapidMember, member.id)
    if allow is not None:
        if row is None:
            row = RapidMember(member_id=member.id, workspace_id=member.workspace_id, urgent=allow,
                              updated_at=actor.now)
            session.add(row)
        elif row.urgent != allow:
            row.urgent, row.updated_at = allow, actor.now
    allowed = row.urgent if row is not None else True
    return Reply(body=text("rapid.urgent.allowed" if allowed else "rapid.urgent.refused"))


# -- naming, exporting and erasing ------------------------------------------------------------------------


async def _describe(session: AsyncSession, reminder: Reminder) -> Text:
    rapid = await session.get(RapidResponse, reminder.payload.get("rapid_id", 0))
    workspace = await session.get_one(Workspace, reminder.workspace_id)
    return text("rapid.skipped", ask=Literal(rapid.ask if rapid is not None else "–"),
                when=When(reminder.due_at, workspace.timezone, "short"))


async def _export(session: AsyncSession, member: Member) -> dict[str, Any]:
    answers = await session.execute(select(RapidResponse.ask, RapidAnswer.link, RapidAnswer.created_at)
                                    .join(RapidAnswer, RapidAnswer.rapid_id == RapidResponse.id)
                                    .where(RapidAnswer.member_id == member.id).order_by(RapidAnswer.id))
    started = await session.scalars(select(RapidResponse)
                                    .where(RapidResponse.created_by_member_id == member.id)
                                    .order_by(RapidResponse.id))
    setting = await session.get(RapidMember, member.id)
    return {
        "answered": [{"ask": ask, "link": link, "at": at.isoformat()} for ask, link, at in answers],
        "started": [{"id": r.id, "ask": r.ask, "link": r.link, "at": r.created_at.isoformat()}
                    for r in started],
        "urgent_alerts": None if setting is None else setting.urgent,
    }


async def _erase(session: AsyncSession, member: Member) -> None:
    """Answers and the urgent choice go with the member row (CASCADE); the group's rapid responses stay
    without who started them (SET NULL)."""


FEATURE = Feature(
    "rapid",
    actions={DONE_ACTION: _done_pressed, LINK_ACTION: _link_pressed},
    forms={LINK_FORM: _link_submitted},
    form_openers={LINK_ACTION: record_form(link_form)},
    answers={DONE_ACTION: _link_written, LINK_ACTION: _link_written},
    planners={ALERT_KIND: _plan_alert, LIVE_KIND: _plan_live, CLOSE_KIND: _plan_close},
    describers={ALERT_KIND: _describe, LIVE_KIND: _describe, CLOSE_KIND: _describe},
    member_data=(MemberData("rapid_responses", _export, _erase,
                            covers=("rapid_answer.member_id", "rapid_member.member_id",
                                    "rapid_response.created_by_member_id")),),
)
