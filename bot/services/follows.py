"""Following: members choose the municipalities, topics and issues they hear about; helpers offer a hand."""

from __future__ import annotations

import logging
import re
from typing import Any, cast

from sqlalchemy import CursorResult, Select, and_, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import validation
from bot.contributions import Feature, MemberData
from bot.errors import UserError
from bot.models import Follow, Issue, IssueHelper, Member
from bot.replies import (
    Button,
    ButtonStyle,
    Channel,
    Field,
    Join,
    Literal,
    PostToChannel,
    Reply,
    Text,
    text,
)
from bot.services import activity, civics
from bot.services.context import Actor, pressed_row
from bot.services.profile_fields import MUNICIPALITIES

log = logging.getLogger(__name__)

MUNICIPALITY, TOPIC, ISSUE = "municipality", "topic", "issue"
FOLLOW_ISSUE_ACTION = "follows.issue"
HELP_ACTION = "follows.help"
_SEPARATORS = re.compile(r"\s*[,;+/]\s*")


def issue_buttons(issue_id: int) -> tuple[Button, ...]:
    """The buttons under an issue alert: follow it, offer to help."""
    return (Button(text("follows.button.follow"), FOLLOW_ISSUE_ACTION, str(issue_id), ButtonStyle.PRIMARY),
            Button(text("follows.button.help"), HELP_ACTION, str(issue_id), ButtonStyle.SUCCESS))


def following(issue: Issue) -> Select[int]:
    """The ids of the members who follow an issue, its municipality or one of its topics (onboarded or
    not)."""
    matches = or_(and_(Follow.kind == MUNICIPALITY, Follow.value == issue.municipality),
                  and_(Follow.kind == ISSUE, Follow.value == str(issue.id)))
    if issue.topics:
        matches = or_(matches, and_(Follow.kind == TOPIC, Follow.value.in_(list(issue.topics))))
    return select(Follow.member_id).where(Follow.workspace_id == issue.workspace_id, matches)


async def followers(session: AsyncSession, issue: Issue) -> list[Member]:
    """Return the onboarded members who follow an issue, its municipality or one of its topics, by id."""
    return list(
        await session.scalars(
            select(Member)
            .where(
                Member.workspace_id == issue.workspace_id,
                Member.onboarded_at.is_not(None),
                Member.id.in_(following(issue)),
            )
            .order_by(Member.id)
        )
    )


async def follower_count(session: AsyncSession, issue: Issue) -> int:
    """Count the members `followers` returns, in SQL: each member once, onboarded ones only."""
    return await session.scalar(
        select(func.count())
        .select_from(Member)
        .where(
            Member.workspace_id == issue.workspace_id,
            Member.onboarded_at.is_not(None),
            Member.id.in_(following(issue)),
        )
    ) or 0


async def add_follow(session: AsyncSession, member: Member, kind: str, value: str, now: Any) -> bool:
    """Follow something; return False when the member already did."""
    exists = await session.scalar(select(Follow.id).where(Follow.member_id == member.id, Follow.kind == kind,
                                                          Follow.value == value))
    if exists is not None:
        return False
    session.add(Follow(workspace_id=member.workspace_id, member_id=member.id, kind=kind, value=value,
                       created_at=now))
    await session.flush()
    return True


def _parse(municipality: str | None, topic: str | None) -> list[tuple[str, str]]:
    problems: list[validation.FieldProblem] = []
    wanted: list[tuple[str, str]] = []
    for part in _SEPARATORS.split(municipality or ""):
        if part.strip():
            try:
                wanted.append((MUNICIPALITY, civics.municipality(part) or ""))
            except validation.FieldProblem as problem:
                problems.append(problem)
    try:
        wanted += [(TOPIC, t) for t in civics.topics(topic)]
    except validation.FieldProblem as problem:
        problems.append(problem)
    validation.collect(problems)
    return wanted


async def _named(session: AsyncSession, actor: Actor, municipality: str | None, topic: str | None,
                 issue: str | None
                 ) -> list[tuple[str, str]]:
    """What a command names, as (kind, value) pairs: municipalities and topics (checked), and an issue."""
    wanted = _parse(municipality, topic)
    if issue:
        found = await civics.find_issue(session, actor.workspace.id, issue)
        wanted.append((ISSUE, str(found.id)))
    return wanted


async def follow(session: AsyncSession, actor: Actor, municipality: str | None = None,
                 topic: str | None = None, issue: str | None = None) -> Reply:
    """Follow municipalities, topics or an issue; without anything given, show what the member follows."""
    member = actor.require_onboarded()
    wanted = await _named(session, actor, municipality, topic, issue)
    if not wanted:
        return await show(session, actor)
    added = [item for item in wanted if await add_follow(session, member, *item, actor.now)]
    shown = await show(session, actor)
    key = "follows.added" if added else "follows.already"
    return Reply(body=text(key, things=await _labels(session, actor, added or wanted)), fields=shown.fields)


async def unfollow(
    session: AsyncSession, actor: Actor, municipality: str | None = None, topic: str | None = None,
    issue: str | None = None,
) -> Reply:
    """Stop following municipalities, topics or an issue."""
    member = actor.require_onboarded()
    wanted = await _named(session, actor, municipality, topic, issue)
    if not wanted:
        raise UserError("follows.nothing_given")
    removed = []
    for kind, value in wanted:
        # A DELETE without RETURNING gives a CursorResult (Session.execute() is typed to return a Result).
        result = cast(CursorResult[Any], await session.execute(delete(Follow).where(
            Follow.member_id == member.id, Follow.kind == kind, Follow.value == value)))
        if result.rowcount:
            removed.append((kind, value))
    shown = await show(session, actor)
    if not removed:
        return Reply(body=text("follows.not_following", things=await _labels(session, actor, wanted)),
                     fields=shown.fields)
    return Reply(
        body=text("follows.removed", things=await _labels(session, actor, removed)), fields=shown.fields
    )


async def _labels(session: AsyncSession, actor: Actor, items: list[tuple[str, str]]) -> Join:
    shown: list[Text | Literal] = []
    for kind, value in items:
        if kind == MUNICIPALITY:
            shown.append(civics.municipality_label(value))
        elif kind == TOPIC:
            shown.append(text(f"topic.{value}"))
        else:
            issue = await session.get(Issue, int(value))
            shown.append(Literal(issue.title if issue is not None and issue.workspace_id == actor.workspace.id
                                 else f"#{value}"))
    return Join(tuple(shown))


async def show(session: AsyncSession, actor: Actor) -> Reply:
    """Show what the member follows."""
    member = actor.require_onboarded()
    rows = list(
        await session.scalars(select(Follow).where(Follow.member_id == member.id).order_by(Follow.id))
    )
    by_kind = {
        kind: [(r.kind, r.value) for r in rows if r.kind == kind] for kind in (MUNICIPALITY, TOPIC, ISSUE)
    }
    fields = []
    for kind in (MUNICIPALITY, TOPIC, ISSUE):
        value = await _labels(session, actor, by_kind[kind]) if by_kind[kind] else text("profile.empty")
        fields.append(Field(text(f"follows.field.{kind}"), value))
    body = text("follows.none") if not rows else text("follows.intro")
    return Reply(title=text("follows.title"), body=body, fields=tuple(fields))


async def follow_pressed(session: AsyncSession, actor: Actor, arg: str) -> Reply:
    """Follow the issue whose alert the button sits under."""
    member = actor.require_onboarded()
    issue = await pressed_row(session, actor, Issue, arg)
    added = await add_follow(session, member, ISSUE, str(issue.id), actor.now)
    return Reply(body=text("follows.issue_followed" if added else "follows.issue_already",
                           title=Literal(issue.title)))


async def help_pressed(session: AsyncSession, actor: Actor, arg: str) -> Reply:
    """Offer to help with an issue: follow it, and tell the coordinators (once)."""
    member = actor.require_onboarded()
    issue = await pressed_row(session, actor, Issue, arg)
    await add_follow(session, member, ISSUE, str(issue.id), actor.now)
    already = await session.scalar(select(IssueHelper.id).where(IssueHelper.issue_id == issue.id,
                                                                IssueHelper.member_id == member.id))
    if already is not None:
        return Reply(body=text("follows.help_already", title=Literal(issue.title)))
    session.add(IssueHelper(workspace_id=actor.workspace.id, issue_id=issue.id, member_id=member.id,
                            created_at=actor.now))
    log.info("Member %s offered to help with issue %s", member.id, issue.id)
    notice = Reply(body=text("follows.help_notice", name=Literal(member.display_name),
                             company=Literal(member.company or ""), title=Literal(issue.title),
                             municipality=civics.municipality_label(member.municipality)), private=False)
    return Reply(body=text("follows.help_thanks", title=Literal(issue.title)),
                 effects=(PostToChannel(Channel.COORDINATORS, notice),))


async def _link_written(session: AsyncSession, actor: Actor, arg: str, link: str | None) -> Reply | None:
    """A member sent a link back to an issue's alert: what they posted about it, logged for the issue (as
    /did with the issue). "Klart" alone says nothing about an alert."""
    if link is None:
        return None
    issue = await pressed_row(session, actor, Issue, arg)
    return await activity.did(session, actor, activity.ActivityKind.TWEET, issue=str(issue.id), link=link)


async def helpers(session: AsyncSession, issue: Issue) -> list[Member]:
    """Return the members who offered to help with an issue, in the order they offered."""
    return list(await session.scalars(select(Member).join(IssueHelper, IssueHelper.member_id == Member.id)
                                      .where(IssueHelper.issue_id == issue.id).order_by(IssueHelper.id)))


async def follow_own_municipality(session: AsyncSession, actor: Actor) -> None:
    """A new member follows their own municipality from the start."""
    member = actor.member
    if member.municipality and any(c.value == member.municipality for c in MUNICIPALITIES):
        await add_follow(session, member, MUNICIPALITY, member.municipality, actor.now)


async def _export(session: AsyncSession, member: Member) -> dict[str, Any]:
    follows = await session.scalars(select(Follow).where(Follow.member_id == member.id).order_by(Follow.id))
    helped = await session.execute(select(Issue.title, IssueHelper.created_at)
                                   .join(IssueHelper, IssueHelper.issue_id == Issue.id)
                                   .where(IssueHelper.member_id == member.id).order_by(IssueHelper.id))
    return {
        "follows": [{"kind": f.kind, "value": f.value, "since": f.created_at.isoformat()} for f in follows],
        "offered_help": [{"issue": title, "at": at.isoformat()} for title, at in helped],
    }


async def _erase(session: AsyncSession, member: Member) -> None:
    """Follows and offers of help go with the member row (ON DELETE CASCADE)."""


FEATURE = Feature(
    "follows",
    actions={FOLLOW_ISSUE_ACTION: follow_pressed, HELP_ACTION: help_pressed},
    answers={FOLLOW_ISSUE_ACTION: _link_written, HELP_ACTION: _link_written},
    on_onboarded=(follow_own_municipality,),
    member_data=(MemberData("issue_follows", _export, _erase,
                            covers=("follow.member_id", "issue_helper.member_id")),),
)
