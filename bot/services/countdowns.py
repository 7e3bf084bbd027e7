"""Countdowns: the days before a decision, when the group's voice counts.

Every open issue counts down to its decision. At each stage (14, 7, 3 and 1 days before and the morning of the
vote, by default; bot/services/timeline.py says when each falls) the announcement channel is told, pinging
the member role, and followers who want DMs get the same call to action with a draft and share links. A live
message in the announcement channel, pinned, shows the days left, the pledges kept against those made and the
stance summary; it is edited every day and whenever a pledge changes. Members pledge to act
(bot/services/pledges.py). A decision that moves takes every pending reminder with it (the pledges' follow-ups
too); a closed issue cancels them. After the vote, /issue outcome records the result and followers get a
follow-up with a thank-you draft.

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
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import reminders, validation
from bot.contributions import Feature
from bot.i18n import normalize_language, render, translate
from bot.models import CountdownSettings, Issue, Member, Pledge, Politician, Reminder, Workspace
from bot.replies import (
    Button,
    Channel,
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
from bot.services import (
    asks,
    audience,
    civics,
    drafts,
    follows,
    media,
    pledges,
    profile_fields,
    stances,
    stories,
    timeline,
    writing,
)
from bot.services import issues as issues_service
from bot.services.context import Actor, audience_language, audit, language_of, settings_row
from bot.services.timeline import LIVE_KIND, Stage

log = logging.getLogger(__name__)

STAGE_KIND = "countdown.stage"
OUTCOME_KIND = "countdown.outcome"
RESULT_DUE_KIND = "countdown.result_due"
KINDS = (STAGE_KIND, LIVE_KIND, OUTCOME_KIND, RESULT_DUE_KIND)
# The coordinators are told which stages an issue that came in late (or a decision that moved) skipped.
LATE_KIND = "countdown.late"
# Why stages were skipped when the countdown was planned.
CREATED, MOVED, RESTAGED = "created", "moved", "stages"

# The live message turns over to the next day just after local midnight.
LIVE_REFRESH = time(0, 5)
OUTCOME_GRACE = timedelta(days=7)
RESULT_DUE_GRACE = timedelta(days=7)
# A decision nobody recorded the result of: the live message stops turning over after this.
LIVE_AFTER_VOTE = timedelta(days=14)



class VoteResult(StrEnum):
    """How a vote went: the outcomes a recorded vote can have."""

    WON = "won"
    LOST = "lost"
    OTHER = "other"


RESULT = validation.ChoiceSet(VoteResult, "field.result", "issues.outcome")
VOTE_OUTCOMES = tuple(r.value for r in VoteResult)

MAX_TARGETS = 3


# -- planning ------------------------------------------------------------------------------------------------


async def plan(session: AsyncSession, issue: Issue, now: datetime) -> None:
    """Plan, move or cancel an issue's countdown after it was created, changed or closed."""
    zone = await timeline.zone_of(session, issue.workspace_id)
    if issue.status == civics.OPEN:
        # The hook runs when the issue is created (version 1, this very moment) and whenever it changes.
        reason = CREATED if issue.version == 1 and issue.created_at == now else MOVED
        await _plan_open(session, issue, now, zone, reason)
    else:
        await _finish(session, issue, now)


async def _stages_that_came(session: AsyncSession, issue: Issue, stage_list: Sequence[Stage]) -> set[int]:
    """The stages (days before) of the countdown under way that already came up: went out, or were skipped
    (and the coordinators told). Those of an earlier date count too, as long as they came after the countdown,
    by the current date, began; what came before that belongs to a countdown that the new date starts over."""
    if not stage_list:
        return set()
    rows = (await session.execute(select(Reminder.payload, Reminder.fired_at, Reminder.due_at).where(
        Reminder.workspace_id == issue.workspace_id, Reminder.kind == STAGE_KIND,
        Reminder.key.startswith(f"{timeline.key_prefix(issue.id)}stage:", autoescape=True),
        Reminder.status.in_((reminders.FANNED_OUT, reminders.SKIPPED))))).all()
    start = stage_list[0].due
    return {int(payload["days"]) for payload, fired_at, due_at in rows
            if "days" in payload and (fired_at or due_at) >= start}


def _grace(due: datetime, stage: Stage) -> timedelta:
    """How late a stage planned for `due` may still go out: a day at most, and never once the next one began
    (a second at least: no grace at all would mean no limit)."""
    return max(min(timeline.STAGE_GRACE, stage.end - due), timedelta(seconds=1))


async def _plan_stages(
    session: AsyncSession, issue: Issue, stage_list: Sequence[Stage], now: datetime, zone: str, reason: str
) -> tuple[set[str], list[Stage]]:
    """Plan the stages still to come; the one whose window we are in goes out now, unless it (or a later one)
    already came; those whose window has passed are skipped and the coordinators told. Return the reminder
    keys to keep and the stages planned ahead."""
    day_key = timeline.day_key(issue, zone)
    prefix = timeline.key_prefix(issue.id)
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

    async def plan(key: str, stage: Stage, due_at: datetime, grace: timedelta) -> Reminder:
        return await reminders.schedule(
            session, workspace_id=issue.workspace_id, kind=STAGE_KIND, key=key, due_at=due_at, now=now,
            grace=grace,
            payload={"issue_id": issue.id, "days": stage.days, "decision": issue.decision_at.isoformat()})

    for stage in stage_list:
        key = f"{prefix}stage:{day_key}:{stage.days}"
        row = rows.get(key)
        if row is not None and row.status == reminders.PENDING and row.due_at <= now:
            # Fell due while the bot was away: the dispatcher sends it within its grace, or skips it and tells
            # the coordinators.
            wanted.add(key)
            await plan(key, stage, row.due_at, _grace(row.due_at, stage))
            continue
        settled = row is not None and row.status not in (reminders.PENDING, reminders.CANCELLED)
        if settled or came_already(stage):
            continue
        if stage.due > now:
            wanted.add(key)
            ahead.append(stage)
            await plan(key, stage, stage.due, stage.grace)
        elif stage is current:
            # Its call to action still makes sense: out now (DMs still wait out quiet hours), never past the
            # next stage or the vote.
            now_stage = stage
            wanted.add(key)
            await plan(key, stage, now, _grace(now, stage))
        elif issue.decision_at > now:
            # Its window has passed: recorded as skipped, so that nothing brings it back in this countdown.
            skipped.append(stage)
            skip = await plan(key, stage, stage.due, stage.grace)
            skip.status = reminders.SKIPPED
            skip.fired_at = now
    if skipped:
        key = f"{prefix}late:{day_key}:{now_stage.days if now_stage is not None else '-'}"
        wanted.add(key)
        await reminders.schedule(
            session,
            workspace_id=issue.workspace_id,
            kind=LATE_KIND,
            key=key,
            due_at=now,
            now=now,
            payload={
                "issue_id": issue.id,
                "reason": reason,
                "decision": issue.decision_at.isoformat(),
                "left": timeline.days_left(issue, zone, now),
                "skipped": [s.days for s in skipped],
                "stage": now_stage.days if now_stage is not None else None,
            },
        )
        log.info("Countdown of issue %s (%s): stages %s skipped, %s goes out now", issue.id, reason,
                 [s.label for s in skipped], now_stage.label if now_stage is not None else None)
    return wanted, ahead


async def _plan_open(session: AsyncSession, issue: Issue, now: datetime, zone: str, reason: str = MOVED
                     ) -> list[Stage]:
    """Plan an open issue's countdown; return the stages planned ahead."""
    stage_list = timeline.stages(issue, await timeline.days_for(session, issue), zone)
    day_key = timeline.day_key(issue, zone)
    prefix = timeline.key_prefix(issue.id)
    wanted, ahead = await _plan_stages(session, issue, stage_list, now, zone, reason)
    # Pledges already made are followed up on the new dates too.
    wanted |= await pledges.plan_followups(session, issue, stage_list, zone, now)
    result_key = f"{prefix}result:{day_key}"
    wanted.add(result_key)
    await reminders.schedule(session, workspace_id=issue.workspace_id, kind=RESULT_DUE_KIND, key=result_key,
                             due_at=timeline.after_vote(issue, zone) - timedelta(hours=1), now=now,
                             payload={"issue_id": issue.id}, grace=RESULT_DUE_GRACE)
    await _cancel(session, issue, (STAGE_KIND, pledges.FOLLOWUP_KIND, RESULT_DUE_KIND, LATE_KIND),
                  keep=wanted)
    # The live message: shown from the first stage on (at once when that has passed), turned over daily, and
    # at the time of the decision (no more pledges: the result is coming).
    counting = bool(stage_list) and issue.decision_at > now
    vote_key = f"live:vote:{day_key}"
    await _cancel(session, issue, (LIVE_KIND,), keep={prefix + vote_key} if counting else None,
                  prefix=f"{prefix}live:vote:")
    if counting:
        await timeline.schedule_live(session, issue, vote_key, issue.decision_at, now)
    if await timeline.live_message(session, issue) is not None:
        await timeline.request_refresh(session, issue, now)
    elif counting:
        # Before the countdown begins only its start is planned; a decision that moves takes it along.
        start = max(stage_list[0].due, now)
        key = _day_turn_key(start, zone)
        await _cancel(session, issue, (LIVE_KIND,), keep={prefix + key}, prefix=f"{prefix}live:day:")
        await timeline.schedule_live(session, issue, key, start, now)
    return ahead


def _day_turn_key(at: datetime, zone: str) -> str:
    return f"live:day:{at.astimezone(ZoneInfo(zone)).date().isoformat()}"


async def _cancel(session: AsyncSession, issue: Issue, kinds: Sequence[str], keep: set[str] | None = None, *,
                  prefix: str | None = None) -> int:
    """Cancel an issue's pending reminders of some kinds (whose key starts with `prefix`), but those in
    `keep`."""
    return await reminders.cancel_prefixed(session, workspace_id=issue.workspace_id,
                                           prefix=prefix or timeline.key_prefix(issue.id), keep=keep or (),
                                           kinds=kinds)


async def _finish(session: AsyncSession, issue: Issue, now: datetime) -> None:
    """A closed issue: no more stages or daily turns; after a vote, the follow-up; the live message's last
    state."""
    cancelled = await _cancel(session, issue, (STAGE_KIND, LIVE_KIND, RESULT_DUE_KIND, LATE_KIND))
    if issue.outcome in timeline.CALLED_OFF:
        cancelled += await _cancel(session, issue, (pledges.FOLLOWUP_KIND,))
    log.info("Countdown of issue %s ended (%s): %d reminders cancelled", issue.id, issue.outcome, cancelled)
    if issue.outcome in VOTE_OUTCOMES:
        await reminders.schedule(session, workspace_id=issue.workspace_id, kind=OUTCOME_KIND,
                                 key=f"{timeline.key_prefix(issue.id)}outcome", due_at=now, now=now,
                                 payload={"issue_id": issue.id}, grace=OUTCOME_GRACE)
    if await timeline.live_message(session, issue) is not None:
        await timeline.schedule_live(session, issue, "live:final", now, now)


async def _continue_live(session: AsyncSession, issue: Issue, zone: str, now: datetime) -> None:
    """Plan tomorrow's turn of the live message (each day's key is its date, so this is idempotent).

    A result nobody records: the turns stop two weeks after the vote, the last one unpinning the message.
    """
    end = issue.decision_at + LIVE_AFTER_VOTE
    if issue.status != civics.OPEN or now >= end:
        return
    tomorrow = now.astimezone(ZoneInfo(zone)).date() + timedelta(days=1)
    due = datetime.combine(tomorrow, LIVE_REFRESH, tzinfo=ZoneInfo(zone)).astimezone(UTC)
    key = _day_turn_key(due, zone)
    if due > end:
        due, key = end, f"live:end:{timeline.day_key(issue, zone)}"
    await timeline.schedule_live(session, issue, key, due, now)


# -- what is shown -------------------------------------------------------------------------------------------


async def _next_stage(session: AsyncSession, issue: Issue, now: datetime) -> tuple[int, datetime] | None:
    """The next stage planned (days before, when): a stage that already came in this countdown is not."""
    row = (await session.execute(select(Reminder.payload, Reminder.due_at).where(
        Reminder.workspace_id == issue.workspace_id, Reminder.kind == STAGE_KIND,
        Reminder.key.startswith(f"{timeline.key_prefix(issue.id)}stage:", autoescape=True),
        Reminder.status == reminders.PENDING, Reminder.due_at > now)
        .order_by(Reminder.due_at).limit(1))).first()
    return (int(row.payload.get("days", 0)), row.due_at) if row is not None else None


async def live_reply(session: AsyncSession, issue: Issue, zone: str, language: str, now: datetime) -> Reply:
    """The live message: the decision, days left, the pledge thermometer, the stance summary, what comes
    next."""
    counts = await pledges.pledge_counts(session, issue.id)
    title_label = Literal(issue.title)
    fields = [Field(text("countdown.field.decision"), civics.decision_when(issue, zone), inline=True),
              Field(text("field.body"), civics.body_label(issue.body, issue.committee), inline=True),
              Field(text("field.hashtag"), Literal(issue.hashtag), inline=True)]
    buttons: tuple[Button, ...] = ()
    links: tuple[Link, ...] = ()
    if issue.status != civics.OPEN:
        # The result instead of the projection: no "votes missing" once the vote was held (or called off).
        outcome = issue.outcome or "other"
        title: Text = text(
            "countdown.live.closed", title=title_label, outcome=text(f"issues.outcome.{outcome}")
        )
        body: Renderable = text(f"issues.outcome.text.{outcome}")
        fields.append(Field(text("countdown.field.result"), text(f"issues.outcome.{outcome}"), inline=True))
        if issue.outcome_note:
            fields.append(Field(text("field.note"), Literal(issue.outcome_note)))
        if issue.outcome in VOTE_OUTCOMES:
            politicians = await _voted_for(session, issue)
            if politicians:
                fields.append(Field(text("countdown.field.voted_for"),
                                    Join(tuple(civics.politician_label(p) for p in politicians))))
        fields.append(Field(text("countdown.field.pledges"), pledges.thermometer(counts)))
        if issue.outcome in VOTE_OUTCOMES:
            thanks = await _thanks_post(session, issue, language)
            if thanks is not None:
                fields.append(Field(text("countdown.field.thanks"), Literal(thanks)))
                links = drafts.share_links(thanks, url=issue.source_url)
            fields.append(Field(text("countdown.field.story"), text("countdown.story_prompt")))
            buttons = (stories.share_button(),)
    elif now >= issue.decision_at:
        title = text("countdown.live.voted", title=title_label)
        body = text("countdown.live.voted_body")
        fields.append(Field(text("countdown.field.pledges"), pledges.thermometer(counts)))
        fields.append(Field(text("countdown.field.stances"),
                            stances.map_summary(await stances.build_model(session, issue))))
    else:
        left = timeline.days_left(issue, zone, now)
        title = text("countdown.live.title", title=title_label, days=text("countdown.days", count=left)
                     if left > 1 else text(f"countdown.days.{left}"))
        body = Literal(issue.summary)
        fields.append(Field(text("countdown.field.days_left"), Literal(str(left)), inline=True))
        fields.append(Field(text("countdown.field.pledges"), pledges.thermometer(counts)))
        fields.append(Field(text("countdown.field.stances"),
                            stances.map_summary(await stances.build_model(session, issue))))
        upcoming = await _next_stage(session, issue, now)
        if upcoming is not None:
            step = text(f"countdown.step.{timeline.step_of(upcoming[0])}")
            fields.append(Field(text("countdown.field.next"),
                                text("countdown.next", step=step, when=When(upcoming[1], zone, "short"))))
        buttons = pledges.pledge_buttons(issue.id)
    return Reply(title=title, body=body, fields=tuple(fields), buttons=buttons, links=links, private=False)


async def _live_planned(session: AsyncSession, issue: Issue, workspace: Workspace, now: datetime
                        ) -> reminders.Planned:
    reply = await live_reply(session, issue, workspace.timezone, workspace.language, now)
    return reminders.Planned(reply, channel=Channel.ANNOUNCEMENTS, live=timeline.live_key(issue.id),
                             pinned=issue.status == civics.OPEN and now < issue.decision_at + LIVE_AFTER_VOTE)


@dataclass(frozen=True)
class DraftContext:
    """Whom a stage's draft names: the politicians to win over, the local media."""

    targets: tuple[str, ...]
    media: tuple[str, ...]


async def _draft_context(session: AsyncSession, issue: Issue) -> DraftContext:
    model = await stances.build_model(session, issue)
    targets = tuple(drafts.handle(r.handle) or r.name for r in model.priority[:MAX_TARGETS])
    if not targets:
        # Nobody left to win over, but deciders known: the body's chair is asked rather than the body.
        chair = civics.addressee(await civics.deciders(session, issue), issue)
        targets = (drafts.handle(chair.x_handle) or chair.name,) if chair is not None else ()
    handles = await media.handles_for(session, issue.workspace_id, issue.municipality)
    return DraftContext(targets, tuple("@" + h for h in handles))


def told_stakes(stakes: Sequence[str], why: str, group_stake: str) -> list[tuple[str, str]]:
    """The ways a draft may tell what an issue means, most told first: the member's stake (richest first)
    with the issue's why and without, then the group's with the why, the why alone, the group's alone,
    nothing."""
    return [(stake, reason) for stake in stakes for reason in (why, "")] + [
        (group_stake, why), ("", why), (group_stake, ""), ("", "")]


def compose(issue: Issue, step: str, days: int, context: DraftContext, zone: str, language: str,
            stakes: Sequence[str] = ()) -> str:
    """Write a stage's post for members to share: it names the targets or the media, says what the issue
    means for the business (the member's `stakes`, richest first, else the group's), carries the #hashtag,
    fits X."""
    local = issue.decision_at.astimezone(ZoneInfo(zone))
    day = f"{local.day} {translate(f'time.month.{local.month}', language)}"
    body = render(civics.body_label(issue.body, issue.committee), language)
    place = render(civics.municipality_label(issue.municipality), language)
    targets = list(context.targets)
    outlets = list(context.media)
    group_stake = translate("coaching.stake.group", language, municipality=place)
    told = told_stakes(stakes, asks._first_sentence(issue.position), group_stake)
    stake, why = told[0]

    def build(title: str) -> str:
        named = " ".join(targets)
        # Without anyone known to ask, the question is a public one about how the body votes: a body is
        # never greeted as a person.
        key = "ask_public" if step == "ask" and not targets else step
        post = translate(f"countdown.draft.{key}", language, title=title, body=body, municipality=place,
                         date=day, days=days, targets=named, media=" ".join(outlets), stake=stake, why=why,
                         hashtag=issue.hashtag)
        # A shortened title before the template's full stop: its ellipsis ends the sentence.
        return " ".join(post.split()).replace(drafts.ELLIPSIS + ".", drafts.ELLIPSIS)

    # What gives way, in turn: the business told more plainly and the why, targets beyond the first, media
    # beyond the first two, the title's last words, the prose; the handles that stay and the hashtag are
    # never cut.
    for stake, why in told:
        if drafts.shareable(build(issue.title)):
            break
    while not drafts.shareable(build(issue.title)) and len(targets) > 1:
        targets.pop()
    return drafts.give_way(build, issue.title, outlets)


def stage_reply(issue: Issue, stage: Stage, post: str, zone: str, days: int | None = None,
                platforms: Sequence[str] = profile_fields.DEFAULT_PLATFORMS) -> Reply:
    """A stage's message: the call to action, the decision, a draft with share links, and the pledge buttons.

    `days` is how many days are really left, when the stage goes out later than its day (an issue that came in
    inside its window): the call to action is the stage's, the count the true one.
    """
    params: dict[str, Any] = {"title": Literal(issue.title), "days": stage.days if days is None else days,
                              "body": civics.body_label(issue.body, issue.committee),
                              "municipality": civics.municipality_label(issue.municipality),
                              "when": civics.decision_when(issue, zone), "hashtag": Literal(issue.hashtag)}
    fields = [Field(text("countdown.field.decision"), civics.decision_when(issue, zone), inline=True),
              Field(text("field.hashtag"), Literal(issue.hashtag), inline=True),
              Field(text("countdown.field.draft"), Literal(post))]
    links = drafts.share_links(post, url=issue.source_url, platforms=platforms)
    if issue.source_url:
        links = (*links, Link(text("issues.link.source"), issue.source_url))
    return Reply(title=text(f"countdown.stage.{stage.step}.title", **params),
                 body=text(f"countdown.stage.{stage.step}.body", **params), fields=tuple(fields),
                 buttons=pledges.pledge_buttons(issue.id), links=links, private=False)


async def _issue_as_planned(session: AsyncSession, reminder: Reminder, now: datetime) -> Issue | None:
    """The open issue a countdown reminder is for, if its vote is still ahead and at the time it was planned
    for (when the decision moved since, the reminders planned for the new time follow instead)."""
    issue = await session.get(Issue, reminder.payload["issue_id"])
    if issue is None or issue.status != civics.OPEN or issue.decision_at <= now:
        return None
    planned_for = reminder.payload.get("decision")
    if planned_for is None or datetime.fromisoformat(planned_for) != issue.decision_at:
        return None
    return issue


async def _plan_stage(session: AsyncSession, reminder: Reminder, now: datetime
                      ) -> list[reminders.Planned] | reminders.InBatches:
    """Plan a stage: its post in the channel, a DM to each follower who wants one, a batch at a time (see
    reminders.InBatches), and the live message's new state after the last batch."""
    issue = await _issue_as_planned(session, reminder, now)
    if issue is None:
        return []
    workspace = await session.get_one(Workspace, issue.workspace_id)
    zone = workspace.timezone
    stage = next((s for s in timeline.stages(issue, await timeline.days_for(session, issue), zone)
                  if s.days == reminder.payload["days"]), None)
    if stage is None:
        return []  # the stage was removed from the countdown
    context = await _draft_context(session, issue)
    # Followers in the same language, with the same business told and on the same platforms, get the same
    # message: composed once.
    drafted: dict[tuple[str, tuple[str, ...], tuple[str, ...]], Reply] = {}
    # Out later than its day (the issue came in inside its window, or the bot was down): the true count.
    left = min(stage.days, max(timeline.days_left(issue, zone, now), 0))
    # The draft is for the politicians and the town to read: in their language, whoever shares it.
    readers = audience_language(workspace)

    def reply_in(language: str, stakes: tuple[str, ...] = (),
                 platforms: tuple[str, ...] = profile_fields.DEFAULT_PLATFORMS) -> Reply:
        """The stage read in `language`; its draft in the readers' (with the member's business told, for the
        platforms they use), explained in `language` when the two differ."""
        key = (language, stakes, platforms)
        if key not in drafted:
            draft = compose(issue, stage.step, left, context, zone, readers, stakes)
            staged = stage_reply(issue, stage, draft, zone, left, platforms)
            drafted[key] = audience.explained(staged, language, readers)
        return drafted[key]

    post = replace(reply_in(readers), mention_role=Role.MEMBER)
    await _continue_live(session, issue, zone, now)
    # Followers who want DMs get one; those whose DMs turn out closed are mentioned together in the channel.
    # The others are reached by the member role's ping. A stage may reach thousands: they are read and written
    # a batch at a time, outside this write transaction (with only what a DM needs read).
    following = follows.following(issue)
    dms = 0

    async def batch(reader: AsyncSession, after: int) -> tuple[list[reminders.Planned], int | None]:
        nonlocal dms
        # Never sent after the vote, even if quiet hours or a stop held a DM back.
        planned = [reminders.Planned(post, channel=Channel.ANNOUNCEMENTS, expires_at=issue.decision_at)
                   ] if after == 0 else []
        # A follower's DM tells what the issue means for their own business.
        wanting = list(await reader.scalars(
            select(Member)
            .where(Member.workspace_id == issue.workspace_id, Member.id > after,
                   Member.onboarded_at.is_not(None), Member.dm_reminders.is_(True), Member.id.in_(following))
            .order_by(Member.id).limit(reminders.BATCH)))
        for member in wanting:
            language = normalize_language(member.language or workspace.language)
            planned.append(reminders.Planned(
                reply_in(language, writing.stakes(member, readers),
                         profile_fields.platforms_of(member.platforms)),
                member_id=member.id, channel=Channel.ANNOUNCEMENTS, expires_at=issue.decision_at))
        dms += len(wanting)
        if len(wanting) == reminders.BATCH:
            return planned, wanting[-1].id
        # The last batch: the live message as it stands once every follower's call is written.
        live_issue = await reader.get_one(Issue, issue.id)
        live_workspace = await reader.get_one(Workspace, workspace.id)
        planned.append(await _live_planned(reader, live_issue, live_workspace, now))
        log.info("Countdown stage %s of issue %s: %d DMs", stage.label, issue.id, dms)
        return planned, None

    return reminders.InBatches(batch)


async def _plan_live(session: AsyncSession, reminder: Reminder, now: datetime) -> list[reminders.Planned]:
    issue = await session.get(Issue, reminder.payload["issue_id"])
    if issue is None:
        return []
    if issue.status != civics.OPEN and (await timeline.live_message(session, issue) is None
                                        or reminder.key != f"{timeline.key_prefix(issue.id)}live:final"):
        return []  # closed before the countdown began: nothing to show; closed after: only its last state
    workspace = await session.get_one(Workspace, issue.workspace_id)
    await _continue_live(session, issue, workspace.timezone, now)
    return [await _live_planned(session, issue, workspace, now)]


def _stage_name(days: int) -> Text:
    return text("countdown.late.stage", step=text(f"countdown.step.{timeline.step_of(days)}"),
                before=timeline.before(days))


def late_reply(issue: Issue, payload: dict[str, Any], zone: str) -> Reply:
    """Tell the coordinators which stages were skipped and why, and which one goes out now instead."""
    left = int(payload.get("left", 0))
    when = civics.decision_when(issue, zone)
    reason = payload.get("reason", MOVED)
    lead = text("countdown.late.lead", count=left) if left > 1 else text(f"countdown.late.lead.{left}")
    key = {CREATED: "countdown.late.created", RESTAGED: "countdown.late.stages"}.get(
        reason, "countdown.late.moved"
    )
    why = text(key, lead=lead, when=when)
    body: Renderable = text("countdown.late.body", reason=why, skipped=Join(
        tuple(_stage_name(int(d)) for d in payload.get("skipped", [])), "\n", "• "))
    if payload.get("stage") is not None:
        body = Join((body, text("countdown.late.now", stage=_stage_name(int(payload["stage"])))), "\n")
    return Reply(title=text("countdown.late.title", title=Literal(issue.title)), body=body, private=False)


async def _plan_late(session: AsyncSession, reminder: Reminder, now: datetime) -> list[reminders.Planned]:
    issue = await _issue_as_planned(session, reminder, now)
    if issue is None:
        return []
    zone = await timeline.zone_of(session, issue.workspace_id)
    return [reminders.Planned(late_reply(issue, reminder.payload, zone), channel=Channel.COORDINATORS)]


# -- the outcome ---------------------------------------------------------------------------------------------


async def _voted_for(session: AsyncSession, issue: Issue) -> list[Politician]:
    """Who voted our way: as recorded with the outcome, else those the map shows for us."""
    row = await timeline.countdown_row(session, issue)
    ids = list(row.voted_for) if row is not None and row.voted_for else []
    if not ids:
        model = await stances.build_model(session, issue)
        ids = [r.politician_id for r in model.rows if r.stance == "for"]
    if not ids:
        return []
    found = {p.id: p for p in await session.scalars(select(Politician).where(
        Politician.id.in_(ids), Politician.workspace_id == issue.workspace_id))}
    return [found[i] for i in ids if i in found]


async def _thanks_post(session: AsyncSession, issue: Issue, language: str, stakes: Sequence[str] = ()
                      ) -> str | None:
    """A post thanking the politicians who voted our way, by @handle or name, saying what the decision
    means for the business (the member's `stakes`, richest first, else the group's); None when nobody is
    known."""
    politicians = await _voted_for(session, issue)
    if not politicians:
        return None
    names = [drafts.handle(p.x_handle) or p.name for p in politicians]
    outcome = issue.outcome if issue.outcome in VOTE_OUTCOMES else "other"
    place = render(civics.municipality_label(issue.municipality), language)
    group_stake = translate("coaching.stake.group", language, municipality=place)
    return thanks_text(names, outcome, issue.title, issue.hashtag, language,
                       [stake for stake, _ in told_stakes(stakes, "", group_stake)])


def thanks_text(names: Sequence[str], outcome: str, title: str, hashtag: str, language: str,
                stakes: Sequence[str] = ("",)) -> str:
    """Thank those who voted our way (@handles or names, the first ones when not all fit), saying what the
    decision means for the business (the first of `stakes` that fits), shortened to fit X and its X button
    by cutting prose, never a handle or the hashtag."""
    names = list(names)
    stake = stakes[0] if stakes else ""

    def build() -> str:
        return " ".join(translate(f"countdown.thanks.{outcome}", language, names=", ".join(names),
                                  title=title, stake=stake, hashtag=hashtag).split())

    for stake in (*stakes, ""):
        if drafts.shareable(build()):
            break
    while not drafts.shareable(build()) and len(names) > 1:
        names.pop()
    return drafts.shorten(build(), drafts.shareable)


async def outcome_reply(session: AsyncSession, issue: Issue, language: str, stakes: Sequence[str] = (),
                        platforms: Sequence[str] = profile_fields.DEFAULT_PLATFORMS) -> Reply:
    """The follow-up after the vote: the result, a thank-you draft for those who voted our way (with what
    the decision means for the member's business, shared on their platforms), a story prompt."""
    outcome = issue.outcome or "other"
    fields = [Field(text("countdown.field.result"), text(f"issues.outcome.{outcome}"), inline=True)]
    if issue.outcome_note:
        fields.append(Field(text("field.note"), Literal(issue.outcome_note)))
    thanks = await _thanks_post(session, issue, language, stakes)
    links: tuple[Link, ...] = ()
    if thanks is not None:
        politicians = await _voted_for(session, issue)
        fields.append(Field(text("countdown.field.voted_for"), Join(tuple(civics.politician_label(p)
                                                                          for p in politicians))))
        fields.append(Field(text("countdown.field.thanks"), Literal(thanks)))
        links = drafts.share_links(thanks, url=issue.source_url, platforms=platforms)
    fields.append(Field(text("countdown.field.story"), text("countdown.story_prompt")))
    counts = await pledges.pledge_counts(session, issue.id)
    if sum(m for m, _ in counts.values()):
        fields.append(Field(text("countdown.field.pledges"), pledges.thermometer(counts)))
    return Reply(title=text("countdown.outcome.title", title=Literal(issue.title),
                            outcome=text(f"issues.outcome.{outcome}")),
                 body=text(f"issues.outcome.text.{outcome}"), fields=tuple(fields),
                 buttons=(stories.share_button(),), links=links, private=False)


def _outcome_recipients(issue: Issue) -> tuple[ColumnElement[bool], ...]:
    """Who gets the follow-up after the vote, as a condition on Member: followers and those who pledged, who
    want DMs.

    The others see the result in the channel (the close announcement and the live message's last state).
    """
    follower = and_(Member.onboarded_at.is_not(None), Member.id.in_(follows.following(issue)))
    pledged = Member.id.in_(select(Pledge.member_id).where(Pledge.issue_id == issue.id))
    return Member.workspace_id == issue.workspace_id, Member.dm_reminders.is_(True), or_(follower, pledged)


async def _plan_outcome(session: AsyncSession, reminder: Reminder, now: datetime
                        ) -> list[reminders.Planned] | reminders.InBatches:
    """Plan the follow-up after the vote: a DM to each recipient, a batch at a time (reminders.InBatches)."""
    issue = await session.get(Issue, reminder.payload["issue_id"])
    if issue is None or issue.status == civics.OPEN or issue.outcome not in VOTE_OUTCOMES:
        return []
    issue_id, workspace_id = issue.id, issue.workspace_id
    recipients = _outcome_recipients(issue)
    # Recipients in the same language, with the same business told and on the same platforms, get the same
    # message: composed once.
    drafted: dict[tuple[str, tuple[str, ...], tuple[str, ...]], Reply] = {}
    count = 0

    async def batch(reader: AsyncSession, after: int) -> tuple[list[reminders.Planned], int | None]:
        nonlocal count
        found = await reader.get_one(Issue, issue_id)
        workspace = await reader.get_one(Workspace, workspace_id)
        members = list(await reader.scalars(select(Member).where(*recipients, Member.id > after)
                                            .order_by(Member.id).limit(reminders.BATCH)))
        planned = []
        for member in members:
            language = language_of(member, workspace)
            # The thank-you is for the politicians to read: in their language, explained in the member's.
            readers = audience_language(workspace)
            key = (language, writing.stakes(member, readers), profile_fields.platforms_of(member.platforms))
            if key not in drafted:
                thanked = await outcome_reply(reader, found, readers, key[1], key[2])
                drafted[key] = audience.explained(thanked, language, readers)
            planned.append(
                reminders.Planned(drafted[key], member_id=member.id, channel=Channel.ANNOUNCEMENTS)
            )
        count += len(members)
        if len(members) == reminders.BATCH:
            return planned, members[-1].id
        log.info("Outcome follow-up of issue %s: %d DMs", issue_id, count)
        return planned, None

    return reminders.InBatches(batch)


async def _plan_result_due(
    session: AsyncSession, reminder: Reminder, now: datetime
) -> list[reminders.Planned]:
    issue = await session.get(Issue, reminder.payload["issue_id"])
    if issue is None or issue.status != civics.OPEN or issue.decision_at > now:
        return []
    zone = await timeline.zone_of(session, issue.workspace_id)
    return [reminders.Planned(Reply(title=text("countdown.result_due.title", title=Literal(issue.title)),
                                    body=text("countdown.result_due.body", id=issue.id,
                                              when=civics.decision_when(issue, zone)),
                                    private=False), channel=Channel.COORDINATORS)]


async def record_outcome(
    session: AsyncSession,
    actor: Actor,
    issue: str | None = None,
    result: VoteResult | None = None,
    note: str | None = None,
    voted_for: str | None = None,
) -> Reply:
    """Record how the vote went and close the issue; followers get the result and a thank-you draft."""
    actor.require_coordinator()
    found = await civics.find_issue(session, actor.workspace.id, issue)
    outcome = civics.Outcome(RESULT.required(result))
    politicians: list[Politician] = []
    for name in filter(None, (part.strip() for part in re.split(r"[,;]", voted_for or ""))):
        person = await civics.find_politician(session, actor.workspace.id, name, found.municipality)
        if person.id not in (p.id for p in politicians):
            politicians.append(person)
    # The one path that closes an issue: /issue close does the same, this adds who voted our way.
    closed = await issues_service.close(
        session, actor, issue=str(found.id), outcome=outcome, note=note
    )
    row = await timeline.countdown_row(session, found, actor.now)
    assert row is not None
    if politicians:
        row.voted_for = [p.id for p in politicians]
    else:
        row.voted_for = [p.id for p in await _voted_for(session, found)]
    row.updated_at = actor.now
    audit(
        session, actor, "issue.outcome", issue_id=found.id, outcome=outcome, voted_for=row.voted_for
    )
    named = await _voted_for(session, found)
    count = await session.scalar(select(func.count()).select_from(Member)
                                 .where(*_outcome_recipients(found))) or 0
    return Reply(body=text("countdown.outcome.recorded", title=Literal(found.title),
                           outcome=text(f"issues.outcome.{outcome}"), count=count),
                 fields=(Field(text("countdown.field.voted_for"),
                               Join(tuple(civics.politician_label(p) for p in named)) if named
                               else text("countdown.voted_for.none")),),
                 effects=closed.effects)


# -- settings ------------------------------------------------------------------------------------------------


def _stages_label(stage_list: Sequence[Stage], zone: str, now: datetime) -> Text | Join:
    upcoming = [s for s in stage_list if s.due > now]
    if not upcoming:
        return text("countdown.days.nothing_planned")
    lines = tuple(text("countdown.stage_line", step=text(f"countdown.step.{s.step}"),
                       before=timeline.before(s.days), when=When(s.due, zone, "short")) for s in upcoming)
    return Join(lines, "\n", "• ")


async def configure(
    session: AsyncSession, actor: Actor, days: str | None = None, issue: str | None = None
) -> Reply:
    """Set the countdown's stages (days before the decision) for one issue or as the default; show them."""
    actor.require_coordinator()
    zone = actor.workspace.timezone
    if issue:
        found = await civics.find_issue(session, actor.workspace.id, issue)
        if days:
            row = await timeline.countdown_row(session, found, actor.now)
            assert row is not None
            row.days = timeline.parse_days(days)
            row.updated_at = actor.now
            audit(session, actor, "countdown.days", issue_id=found.id, days=row.days)
        chosen = await timeline.days_for(session, found)
        stage_list: list[Stage] = []
        if found.status == civics.OPEN:
            stage_list = await _plan_open(session, found, actor.now, zone, RESTAGED)
        if not chosen:
            return Reply(body=text("countdown.days.issue_off", title=Literal(found.title)))
        counts = await pledges.pledge_counts(session, found.id)
        return Reply(
            title=text("countdown.days.issue_title", title=Literal(found.title)),
            body=text("countdown.days.issue", days=validation.day_list_label(chosen)),
            fields=(
                Field(text("countdown.field.planned"), _stages_label(stage_list, zone, actor.now)),
                Field(text("countdown.field.pledges"), pledges.thermometer(counts)),
            ),
        )
    if days:
        chosen = timeline.parse_days(days)
        settings = await settings_row(session, CountdownSettings, actor.workspace.id, days=chosen,
                                      updated_at=actor.now)
        settings.days, settings.updated_at = chosen, actor.now
        audit(session, actor, "countdown.default_days", days=chosen)
        open_issues = await session.scalars(select(Issue).where(Issue.workspace_id == actor.workspace.id,
                                                                Issue.status == civics.OPEN))
        for found in list(open_issues):
            row = await timeline.countdown_row(session, found)
            # An issue with stages of its own keeps them (a JSON null is not SQL NULL, so this is checked
            # here).
            if row is None or row.days is None:
                await _plan_open(session, found, actor.now, zone, RESTAGED)
    chosen = await timeline.workspace_days(session, actor.workspace.id)
    if not chosen:
        return Reply(body=text("countdown.days.workspace_off"))
    return Reply(body=text("countdown.days.workspace", days=validation.day_list_label(chosen)))


# -- the coordinators are told what was skipped --------------------------------------------------------------


async def _describe(session: AsyncSession, reminder: Reminder) -> Renderable:
    if reminder.kind == STAGE_KIND:
        days = int(reminder.payload.get("days", 0))
        return await timeline.describe_skipped(session, reminder, "countdown.skipped.stage",
                                               step=text(f"countdown.step.{timeline.step_of(days)}"),
                                               before=timeline.before(days))
    return await timeline.describe_skipped(session, reminder,
                                           f"countdown.skipped.{reminder.kind.removeprefix('countdown.')}")


FEATURE = Feature(
    "countdowns",
    planners={
        STAGE_KIND: _plan_stage,
        LIVE_KIND: _plan_live,
        LATE_KIND: _plan_late,
        OUTCOME_KIND: _plan_outcome,
        RESULT_DUE_KIND: _plan_result_due,
    },
    # Each kind is named for the coordinators as "countdown.skipped.<kind>" (a stage by its step).
    describers={kind: _describe for kind in (*KINDS, LATE_KIND)},
    on_issue_changed=(plan,),
    impersonal={"countdown.days": "days before a decision",
                "countdown_settings.days": "days before a decision",
                "countdown.voted_for": "ids of politicians, who are public office holders, not members"},
)
