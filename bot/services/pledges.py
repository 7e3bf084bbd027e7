"""Pledges: members promise to act before a decision (tweet, contact a politician, attend the vote), and say
afterwards whether they did.

A pledge is made with the buttons under every countdown message or with /pledge, against the countdown's stage
under way. After its stage (attending: after the vote) the member is asked "did you?": by DM with a button per
pledge, or, for a member who wants no DMs, by a mention in the announcement channel with a button that shows
their pledges. A kept pledge goes into the action log. The countdown's live message counts the pledges kept
against those made (the thermometer), and refreshes whenever a pledge changes.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import delivery, reminders, validation
from bot.contributions import Feature, MemberData
from bot.errors import UserError
from bot.models import Action, Issue, Member, Pledge, Reminder
from bot.replies import (
    Button,
    ButtonStyle,
    Channel,
    Field,
    Join,
    Literal,
    Renderable,
    Reply,
    Text,
    When,
    text,
)
from bot.services import activity, civics, follows, timeline
from bot.services.context import Actor, pressed_row
from bot.services.timeline import Stage

log = logging.getLogger(__name__)

FOLLOWUP_KIND = "countdown.followup"
FOLLOWUP_DELAY = timedelta(hours=2)
FOLLOWUP_GRACE = timedelta(days=3)
# The follow-up point of pledges asked about after the vote (the others are asked after their stage, "d7").
AFTER = "after"



class PledgeKind(StrEnum):
    """What a member promises to do before a decision."""

    TWEET = "tweet"
    CONTACT = "contact"
    ATTEND = "attend"


PLEDGE = validation.ChoiceSet(PledgeKind, "field.pledge_kind", "pledge.kind")
TWEET, CONTACT, ATTEND = (kind.value for kind in PledgeKind)
PLEDGE_KINDS = (TWEET, CONTACT, ATTEND)
PLEDGE_EMOJI = {TWEET: "🐦", CONTACT: "📞", ATTEND: "🏛️"}
# What a kept pledge counts as in the action log.
PLEDGE_ACTIVITY = {TWEET: "tweet", CONTACT: "ask", ATTEND: "meeting"}
# The pledge an action keeps, by the action's kind, however it was logged (/did, a button, a reported
# contact): a question or a meeting with a politician, by any way of contact, keeps the contact pledge. A blog
# post or a media contact keeps none: the pledge named what the member would do, and a blog is not a post on
# X.
KEPT_BY = {"tweet": TWEET, "ask": CONTACT, "meet": CONTACT, "meeting": ATTEND}
# The source of the action a pledge's own "kept" button logs ("pledge:12"): that pledge is kept already.
PLEDGE_SOURCE = "pledge:"
MADE, KEPT, NOT_KEPT = "made", "kept", "not_kept"

PLEDGE_ACTION = "countdown.pledge"
KEPT_ACTION = "countdown.kept"
MISSED_ACTION = "countdown.missed"
MINE_ACTION = "countdown.mine"
THERMOMETER = 10
MINE_SHOWN = 6


# -- follow-ups ----------------------------------------------------------------------------------------------

def followup_point(stage_list: Sequence[Stage], label: str, kind: str) -> str:
    """After which stage a pledge is followed up: its own, or (attending, the last stage) after the vote."""
    if kind == ATTEND or not label.removeprefix("d").isdigit():
        return AFTER
    days = int(label.removeprefix("d"))
    return label if any(s.days < days for s in stage_list) else AFTER


def followup_due(issue: Issue, stage_list: Sequence[Stage], label: str, zone: str) -> datetime:
    """When a stage's pledges are followed up: a little after the next stage begins, or after the vote."""
    if label == AFTER:
        return timeline.after_vote(issue, zone)
    days = int(label.removeprefix("d"))
    later = [s for s in stage_list if s.days < days]
    return later[0].due + FOLLOWUP_DELAY if later else timeline.after_vote(issue, zone)


async def _schedule_followups(session: AsyncSession, issue: Issue, stage_list: Sequence[Stage], label: str,
                              kind: str, zone: str, now: datetime) -> set[str]:
    """Plan the "did you?" of a pledge: after its stage (after the vote for attending), and a last one after
    the vote for anything left unanswered. Return the keys."""
    day_key = timeline.day_key(issue, zone)
    # The last one, after the vote, asks about whatever is still unanswered then.
    points = {AFTER, followup_point(stage_list, label, kind)}
    keys = set()
    for point in sorted(points):
        key = f"{timeline.key_prefix(issue.id)}followup:{day_key}:{point}"
        keys.add(key)
        await reminders.schedule(session, workspace_id=issue.workspace_id, kind=FOLLOWUP_KIND, key=key,
                                 due_at=max(followup_due(issue, stage_list, point, zone), now), now=now,
                                 payload={"issue_id": issue.id, "stage": point}, grace=FOLLOWUP_GRACE)
    return keys


async def plan_followups(session: AsyncSession, issue: Issue, stage_list: Sequence[Stage], zone: str,
                         now: datetime) -> set[str]:
    """Plan the follow-ups of the pledges made on an issue (again, after its countdown was planned anew: they
    follow the new dates). Return the keys of the reminders to keep."""
    open_pledges = (await session.execute(
        select(Pledge.stage, Pledge.kind).where(Pledge.issue_id == issue.id, Pledge.status == MADE,
                                                Pledge.followed_up_at.is_(None)).distinct())).all()
    keys: set[str] = set()
    for label, kind in open_pledges:
        keys |= await _schedule_followups(session, issue, stage_list, label, kind, zone, now)
    return keys


# -- what is shown -------------------------------------------------------------------------------------------


def pledge_buttons(issue_id: int) -> tuple[Button, ...]:
    """The buttons under every countdown message: promise to act."""
    styles = {TWEET: ButtonStyle.PRIMARY, CONTACT: ButtonStyle.PRIMARY, ATTEND: ButtonStyle.SUCCESS}
    return tuple(Button(text(f"pledge.button.{kind}"), PLEDGE_ACTION, f"{issue_id}-{kind}", styles[kind])
                 for kind in PLEDGE_KINDS)


async def pledge_counts(session: AsyncSession, issue_id: int) -> dict[str, tuple[int, int]]:
    """Pledges per kind: (made, kept)."""
    return (await pledge_counts_of(session, [issue_id]))[issue_id]


async def pledge_counts_of(session: AsyncSession, issue_ids: Sequence[int]
                           ) -> dict[int, dict[str, tuple[int, int]]]:
    """Pledges per kind, (made, kept), of several issues (by issue id), in one statement: what the countdown
    shows, for the campaign board's list of issues."""
    counts = {issue_id: {kind: [0, 0] for kind in PLEDGE_KINDS} for issue_id in issue_ids}
    if issue_ids:
        rows = (
            await session.execute(
                select(Pledge.issue_id, Pledge.kind, Pledge.status, func.count())
                .where(Pledge.issue_id.in_(sorted(set(issue_ids))))
                .group_by(Pledge.issue_id, Pledge.kind, Pledge.status)
            )
        ).all()
        for issue_id, kind, status, count in rows:
            if kind in counts[issue_id]:
                counts[issue_id][kind][0] += count
                if status == KEPT:
                    counts[issue_id][kind][1] += count
    return {issue_id: {kind: (made, kept) for kind, (made, kept) in kinds.items()}
            for issue_id, kinds in counts.items()}


def thermometer(counts: dict[str, tuple[int, int]]) -> Text:
    """Pledges kept against pledges made, as a bar and per kind ("14 of 20 done")."""
    made = sum(m for m, _ in counts.values())
    kept = sum(k for _, k in counts.values())
    if not made:
        return text("countdown.no_pledges")
    filled = round(THERMOMETER * kept / made)
    kinds = tuple(
        text(
            "countdown.kind_count",
            emoji=PLEDGE_EMOJI[kind],
            kind=text(f"pledge.kind.{kind}"),
            kept=counts[kind][1],
            made=counts[kind][0],
        )
        for kind in PLEDGE_KINDS
        if counts[kind][0]
    )
    return text("countdown.thermometer", bar=Literal("▰" * filled + "▱" * (THERMOMETER - filled)), kept=kept,
                made=made, kinds=Join(kinds, " · "))


async def pledgers(session: AsyncSession, issue: Issue) -> list[Member]:
    """The members who pledged anything on the issue."""
    return list(await session.scalars(select(Member).join(Pledge, Pledge.member_id == Member.id)
                                      .where(Pledge.issue_id == issue.id).distinct()))


# -- pledging ------------------------------------------------------------------------------------------------

async def _make_pledge(session: AsyncSession, actor: Actor, issue: Issue, kind: str) -> Reply:
    member = actor.require_onboarded()
    if issue.status != civics.OPEN or issue.decision_at <= actor.now:
        raise UserError("pledge.too_late", title=Literal(issue.title))
    zone = actor.workspace.timezone
    stage_list = timeline.stages(issue, await timeline.days_for(session, issue), zone)
    stage = timeline.current_stage(stage_list, actor.now)
    label = stage.label if stage is not None else "d0"
    kind_label = text(f"pledge.kind.{kind}")
    existing = await session.scalar(
        select(Pledge.id).where(
            Pledge.issue_id == issue.id,
            Pledge.member_id == member.id,
            Pledge.kind == kind,
            Pledge.stage == label,
        )
    )
    if existing is not None:
        return Reply(body=text("pledge.already", kind=kind_label, title=Literal(issue.title)))
    session.add(Pledge(workspace_id=actor.workspace.id, issue_id=issue.id, member_id=member.id, kind=kind,
                       stage=label, status=MADE, created_at=actor.now))
    await session.flush()
    # Whoever pledges hears how the countdown goes.
    await follows.add_follow(session, member, follows.ISSUE, str(issue.id), actor.now)
    await _schedule_followups(session, issue, stage_list, label, kind, zone, actor.now)
    await timeline.request_refresh(session, issue, actor.now)
    asked_at = max(followup_due(issue, stage_list, followup_point(stage_list, label, kind), zone), actor.now)
    log.info("Member %s pledged %s on issue %s (%s)", member.id, kind, issue.id, label)
    counts = await pledge_counts(session, issue.id)
    return Reply(body=text("pledge.made", kind=kind_label, title=Literal(issue.title),
                           when=When(asked_at, zone, "short")),
                 fields=(Field(text("countdown.field.pledges"), thermometer(counts)),))


async def _issue_for_pledge(session: AsyncSession, actor: Actor, issue: str | None) -> Issue:
    if issue:
        return await civics.find_issue(session, actor.workspace.id, issue, open_only=True)
    upcoming = list(await session.scalars(select(Issue).where(
        Issue.workspace_id == actor.workspace.id, Issue.status == civics.OPEN, Issue.decision_at > actor.now)
        .order_by(Issue.decision_at, Issue.id).limit(2)))
    if len(upcoming) != 1:
        raise UserError("issues.missing")
    return upcoming[0]


async def pledge(
    session: AsyncSession, actor: Actor, issue: str | None = None, kind: PledgeKind | None = None
) -> Reply:
    """Promise to act before a decision; without a kind, show the buttons; without anything, your pledges."""
    actor.require_onboarded()
    if not issue and not kind:
        return await my_pledges(session, actor)
    found = await _issue_for_pledge(session, actor, issue)
    if not kind:
        mine = await my_pledges(session, actor, found)
        return Reply(title=text("pledge.menu.title", title=Literal(found.title)),
                     body=text("pledge.menu.body",
                               when=civics.decision_when(found, actor.workspace.timezone)),
                     fields=mine.fields, buttons=pledge_buttons(found.id))
    return await _make_pledge(session, actor, found, kind)


async def pledge_pressed(session: AsyncSession, actor: Actor, arg: str) -> Reply:
    """Pledge the button's kind of action for its issue."""
    issue_id, _, kind = arg.partition("-")
    if kind not in PLEDGE_KINDS:
        raise UserError("errors.unknown_button")
    return await _make_pledge(session, actor, await pressed_row(session, actor, Issue, issue_id), kind)


# -- did you? ------------------------------------------------------------------------------------------------

async def _own_pledge(session: AsyncSession, actor: Actor, arg: str) -> Pledge:
    actor.require_onboarded()
    row = await pressed_row(session, actor, Pledge, arg)
    if row.member_id != actor.member.id:
        raise UserError("pledge.not_yours")
    return row


async def _answer(session: AsyncSession, actor: Actor, arg: str, kept: bool, link: str | None = None
                  ) -> Reply:
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
        row.kept_by_action_id = (await _record_action(session, actor, row, issue, link)).id
    await timeline.request_refresh(session, issue, actor.now)
    log.info("Member %s answered pledge %s: %s", actor.member.id, row.id, row.status)
    key = "pledge.kept" if kept else ("pledge.missed_open" if issue.status == civics.OPEN
                                      and issue.decision_at > actor.now else "pledge.missed")
    rest = await _open_pledges(session, actor.member.id, issue.id, followed_up=True)
    counts = await pledge_counts(session, issue.id)
    return Reply(body=text(key, kind=kind_label, title=Literal(issue.title)),
                 fields=(Field(text("countdown.field.pledges"), thermometer(counts)),),
                 buttons=answer_buttons(rest), replaces_source=True)


async def _record_action(session: AsyncSession, actor: Actor, row: Pledge, issue: Issue,
                         link: str | None = None) -> Action:
    """Log a kept pledge in the action log (once: the source names the pledge), with its link if any."""
    return await activity.record(
        session, actor, PLEDGE_ACTIVITY[row.kind], issue_id=issue.id, link=link,
        source=f"{PLEDGE_SOURCE}{row.id}"
    )


async def keep_by_action(session: AsyncSession, actor: Actor, action: Action, new: bool) -> None:
    """Keep the member's open pledge that a done action fulfils (activity's on_action hook): one of the
    action's kind (KEPT_BY) on its issue, or, for an action about no issue, on the open issue decided soonest;
    made before the action. One pledge per action: an action recorded again (the answer after the question)
    keeps no second one. The reply to the action says so (activity.tell_in_reply)."""
    kind = KEPT_BY.get(action.kind)
    if kind is None or action.status != activity.DONE or (action.source or "").startswith(PLEDGE_SOURCE):
        return
    if not new and await session.scalar(select(Pledge.id).where(Pledge.kept_by_action_id == action.id)
                                        .limit(1)) is not None:
        return
    query = (select(Pledge, Issue).join(Issue, Issue.id == Pledge.issue_id)
             .where(Pledge.member_id == action.member_id, Pledge.kind == kind, Pledge.status == MADE,
                    Pledge.created_at <= action.created_at))
    if action.issue_id is not None:
        query = query.where(Pledge.issue_id == action.issue_id)
    else:
        query = query.where(Issue.status == civics.OPEN, Issue.decision_at > actor.now)
    found = (await session.execute(query.order_by(Issue.decision_at, Pledge.created_at, Pledge.id).limit(1))
             ).first()
    if found is None:
        return
    row, issue = found
    row.status, row.kept_at, row.kept_by_action_id = KEPT, actor.now, action.id
    await session.flush()
    await timeline.request_refresh(session, issue, actor.now)
    activity.tell_in_reply(session, action, Field(text("pledge.field.kept_by_action"), text(
        "pledge.kept_by_action", kind=text(f"pledge.kind.{row.kind}"), title=Literal(issue.title))))
    log.info("Member %s kept pledge %s by action %s", action.member_id, row.id, action.id)


async def kept_pressed(session: AsyncSession, actor: Actor, arg: str) -> Reply:
    """The member did what they pledged."""
    return await _answer(session, actor, arg, kept=True)


async def _kept_written(session: AsyncSession, actor: Actor, arg: str, link: str | None) -> Reply:
    """A member wrote "klart" (or sent a link to what they did) back to the follow-up: kept, as the button."""
    return await _answer(session, actor, arg, kept=True, link=link)


async def missed_pressed(session: AsyncSession, actor: Actor, arg: str) -> Reply:
    """The member did not get to it."""
    return await _answer(session, actor, arg, kept=False)


def answer_buttons(rows: Sequence[Pledge]) -> tuple[Button, ...]:
    """Two buttons per pledge: done, not done."""
    buttons: list[Button] = []
    for row in rows[:MINE_SHOWN]:
        buttons.append(
            Button(text(f"pledge.button.kept.{row.kind}"), KEPT_ACTION, str(row.id), ButtonStyle.SUCCESS)
        )
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


async def mine_pressed(session: AsyncSession, actor: Actor, arg: str) -> Reply:
    """Show the member their pledges on the issue, to say whether they did it."""
    issue = await pressed_row(session, actor, Issue, arg)
    return await my_pledges(session, actor, issue)


async def _plan_followup(session: AsyncSession, reminder: Reminder, now: datetime
                         ) -> list[reminders.Planned] | reminders.InBatches:
    """Ask the members who pledged whether they did it: by DM, a batch of members at a time, each batch's
    pledges marked followed up with its DMs in one short write transaction (reminders.InBatches.writes); those
    without DMs are mentioned together in the channel after the last batch."""
    issue = await session.get(Issue, reminder.payload["issue_id"])
    if issue is None or issue.outcome in timeline.CALLED_OFF:
        return []
    point = reminder.payload["stage"]
    issue_id, title = issue.id, issue.title
    conditions = [Pledge.issue_id == issue_id, Pledge.status == MADE]
    if point != AFTER:
        conditions += [Pledge.stage == point, Pledge.kind != ATTEND]
    # What this follow-up marks its pledges with: the time its fan-out began (the same when a stop made it
    # start over), so that its last batch finds the members of every batch, also of those before a stop.
    stamp = reminder.fired_at or now
    members_in_all = 0

    async def batch(writer: AsyncSession, after: int) -> tuple[list[reminders.Planned], int | None]:
        nonlocal members_in_all
        due = (*conditions, Pledge.followed_up_at.is_(None))
        member_ids = list(await writer.scalars(select(Pledge.member_id).where(*due, Pledge.member_id > after)
                                               .group_by(Pledge.member_id).order_by(Pledge.member_id)
                                               .limit(reminders.BATCH)))
        planned: list[reminders.Planned] = []
        if member_ids:
            # The batch's members by a range of ids, not an IN list.
            in_batch = Pledge.member_id.between(member_ids[0], member_ids[-1])
            rows = list(await writer.scalars(select(Pledge).where(*due, in_batch)
                                             .order_by(Pledge.member_id, Pledge.id)))
            by_member: dict[int, list[Pledge]] = defaultdict(list)
            for row in rows:
                row.followed_up_at = stamp
                by_member[row.member_id].append(row)
            wanting = set(await writer.scalars(select(Member.id).where(
                Member.id.in_(member_ids), Member.dm_reminders.is_(True))))  # a batch at most
            for member_id, pledges in by_member.items():
                if member_id not in wanting:
                    continue
                kinds = Join(tuple(text(f"pledge.kind.{p.kind}") for p in pledges))
                reply = Reply(
                    title=text("pledge.followup.title", title=Literal(title)),
                    body=text("pledge.followup.body", kinds=kinds),
                    buttons=answer_buttons(pledges),
                    private=False,
                    personal=True,
                )
                planned.append(reminders.Planned(reply, member_id=member_id, channel=Channel.ANNOUNCEMENTS))
            members_in_all += len(member_ids)
        if len(member_ids) == reminders.BATCH:
            return planned, member_ids[-1]
        # The last batch: those without DMs, of every batch, mentioned in the channel.
        followed_up = select(Pledge.member_id).where(*conditions, Pledge.followed_up_at == stamp)
        mentioned = await delivery.channel_mentions(
            writer, (Member.id.in_(followed_up), Member.dm_reminders.is_(False)),
            "Pledge follow-up of issue %s", issue_id)
        if mentioned:
            planned.append(
                reminders.Planned(
                    Reply(
                        title=text("pledge.followup.title", title=Literal(title)),
                        body=text("pledge.followup.channel"),
                        buttons=(Button(text("pledge.button.mine"), MINE_ACTION, str(issue_id)),),
                        private=False,
                        mentions=mentioned,
                    ),
                    channel=Channel.ANNOUNCEMENTS,
                )
            )
        log.info("Pledge follow-up (%s) of issue %s: %d members", point, issue_id, members_in_all)
        return planned, None

    return reminders.InBatches(batch, writes=True)


async def _describe_followup(session: AsyncSession, reminder: Reminder) -> Renderable:
    return await timeline.describe_skipped(session, reminder, "countdown.skipped.followup")


# -- my data -------------------------------------------------------------------------------------------------


async def _export(session: AsyncSession, member: Member) -> list[dict[str, Any]]:
    rows = (await session.execute(select(Pledge, Issue.title).join(Issue, Issue.id == Pledge.issue_id)
                                  .where(Pledge.member_id == member.id).order_by(Pledge.id))).all()

    def iso(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    return [
        {
            "issue": title,
            "kind": p.kind,
            "stage": p.stage,
            "status": p.status,
            "created_at": iso(p.created_at),
            "followed_up_at": iso(p.followed_up_at),
            "kept_at": iso(p.kept_at),
            "kept_by_action_id": p.kept_by_action_id,
        }
        for p, title in rows
    ]


async def _erase(session: AsyncSession, member: Member) -> None:
    """Pledges go with the member row (ON DELETE CASCADE); the live message counts them no more."""


FEATURE = Feature(
    "pledges",
    actions={
        PLEDGE_ACTION: pledge_pressed,
        KEPT_ACTION: kept_pressed,
        MISSED_ACTION: missed_pressed,
        MINE_ACTION: mine_pressed,
    },
    answers={KEPT_ACTION: _kept_written},
    on_action=(keep_by_action,),
    planners={FOLLOWUP_KIND: _plan_followup},
    describers={FOLLOWUP_KIND: _describe_followup},
    member_data=(MemberData("pledges", _export, _erase, covers=("pledge.member_id",)),),
)
