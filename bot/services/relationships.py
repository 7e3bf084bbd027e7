"""Relationships: the politicians a member knows or has met, and the follow-up after a meeting.

A member records whom they know (from the association, their business, the neighbourhood) and whom they
have met, in their own words. The first time they are asked plainly whether the coordinators, and only they,
may see it; until they say yes it stays the member's own (their follow-ups still come). The coordinators see,
per politician, the members who shared a relationship, so that the right messenger asks; the politician map
shown to a coordinator marks who has a contact. A meeting recorded today or yesterday (here, or as an action
with a politician through bot.contributions' on_action) brings a reminder the next morning at 09:00: thank the
politician (a draft with share links) and share what you learned as a story.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import CursorResult, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot import delivery, reminders, timeparse, validation
from bot.contributions import Feature, MemberData
from bot.errors import UserError
from bot.i18n import render, translate
from bot.models import Action, Member, Politician, Relationship, Reminder, Workspace
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
from bot.services import activity, civics, drafts, profile_fields, stories, writing
from bot.services.context import Actor, audience_language, pressed_row


class RelationKind(StrEnum):
    """How a member knows a politician."""

    KNOW = "know"
    MET = "met"


KIND = validation.ChoiceSet(RelationKind, "relationships.field.kind", "relationships.kind",
                            {"kanner": "know", "kand": "know", "knows": "know", "traffat": "met",
                             "traffade": "met", "mott": "met", "meeting": "met", "mote": "met"})
MAX_HOW = 100
MAX_NOTE = 300
SHARE_ACTION = "relationships.share"
SAVE_ACTION = "relationships.save"
FOLLOWUP_ACTION = "relationships.followup"
FOLLOWUP_KIND = "relationships.followup"
# The morning after a meeting, local time; the Dispatcher holds DMs in quiet hours anyway.
FOLLOWUP_HOUR = 9
# A follow-up that a stopped bot could not send the same day is not worth sending later.
FOLLOWUP_GRACE = timedelta(hours=12)
# A meeting older than this (in days before today) is history: no follow-up.
FOLLOWUP_DAYS = 1
YES, NO = "yes", "no"
# An action that is a meeting with its politician: by its kind (/did), or by how a contact was made
# (activity.IN_PERSON: at a meeting or a fika).
MEETING_KINDS = frozenset({activity.ActivityKind.MEET.value, activity.ActivityKind.MEETING.value})
LISTED = 25
# The politicians named in the coordinators' overview, and the messengers named per politician on the map.
OVERVIEW_SHOWN = 25
MAP_MESSENGERS = 5
MAP_POLITICIANS = 8


# -- reading what was typed ----------------------------------------------------------------------------------


def _met_on(raw: str | None, today: date) -> date | None:
    """The day of a meeting: one that has come (today, yesterday, 3 dec, 2026-12-03); None: not given."""
    if raw is None or not raw.strip():
        return None
    label = text("relationships.field.met_on")
    try:
        day = timeparse.parse_date(raw, today, future=True)
    except UserError as error:
        raise validation.FieldProblem(label, error.text) from None
    if day > today:
        raise validation.FieldProblem(label, text("relationships.met_on_future", value=raw.strip()[:40]))
    return day


def _read(actor: Actor, kind: RelationKind | None, met_on: str | None, how: str | None,
          note: str | None) -> dict[str, Any]:
    """Every field checked at once, each problem naming its field."""
    return validation.read_all({
        "kind": lambda: KIND.read(kind),
        "met_on": lambda: _met_on(met_on, actor.today),
        "how": lambda: validation.clean_text(how, text("relationships.field.how"), max_length=MAX_HOW),
        "note": lambda: validation.clean_text(note, text("relationships.field.note"), max_length=MAX_NOTE),
    })


# -- the member's own --------------------------------------------------------------------------------------


async def _own(session: AsyncSession, member: Member, politician_id: int) -> Relationship | None:
    return await session.scalar(select(Relationship).where(Relationship.member_id == member.id,
                                                           Relationship.politician_id == politician_id))


async def _sharing(session: AsyncSession, member: Member) -> bool | None:
    """What the member chose about sharing their relationships: None when they have none yet (then they are
    asked), else whether the coordinators see them (one choice for all of them)."""
    return await session.scalar(select(Relationship.shared).where(Relationship.member_id == member.id)
                                .order_by(Relationship.shared.desc()).limit(1))


def _consent_question() -> tuple[Field, tuple[Button, ...]]:
    """The plain question whether the coordinators (only they) may see the member's relationships."""
    return (Field(text("relationships.field.sharing"), text("relationships.consent.question")),
            (Button(text("relationships.button.share_yes"), SHARE_ACTION, YES, ButtonStyle.SUCCESS),
             Button(text("relationships.button.share_no"), SHARE_ACTION, NO, ButtonStyle.SECONDARY)))


def _sharing_field(shared: bool) -> Field:
    return Field(text("relationships.field.sharing"),
                 text("relationships.sharing.shared" if shared else "relationships.sharing.private"))


async def _store(session: AsyncSession, actor: Actor, politician: Politician, kind: str, met_on: date | None,
                 how: str | None, note: str | None) -> tuple[Relationship, bool, bool | None]:
    """Record or update the member's relationship with a politician. Return it, whether it is new, and what
    the member chose about sharing before (None: never asked)."""
    member = actor.member
    sharing = await _sharing(session, member)
    row = await _own(session, member, politician.id)
    if row is None:
        row = Relationship(workspace_id=actor.workspace.id, member_id=member.id, politician_id=politician.id,
                           kind=kind, how=how, note=note, last_met_on=met_on, shared=bool(sharing),
                           created_at=actor.now, updated_at=actor.now)
        session.add(row)
        await session.flush()
        return row, True, sharing
    _update(row, kind, met_on, how, note, actor.now)
    return row, False, sharing


def _update(row: Relationship, kind: str, met_on: date | None, how: str | None, note: str | None,
            now: datetime) -> None:
    """Change a recorded relationship by what was said of it now (None: not said, kept as it was)."""
    # Having met someone is more than knowing them: a later "know" does not undo a meeting.
    if kind == RelationKind.MET or row.kind != RelationKind.MET:
        row.kind = kind
    row.how = how if how is not None else row.how
    row.note = note if note is not None else row.note
    if met_on is not None and (row.last_met_on is None or met_on > row.last_met_on):
        row.last_met_on = met_on
    row.updated_at = now


async def add(session: AsyncSession, actor: Actor, politician: str | None = None,
              kind: RelationKind | None = None, met_on: str | None = None, how: str | None = None,
              note: str | None = None) -> Reply:
    """Record that the member knows or has met a politician (or update it); a meeting of today or yesterday
    brings a follow-up the next morning."""
    actor.require_onboarded()
    values = _read(actor, kind, met_on, how, note)
    met_day = values["met_on"]
    if values["kind"] is None and met_day is None:
        raise validation.FieldProblem(text("relationships.field.kind"), text("relationships.kind_or_day"))
    found = await civics.find_politician(session, actor.workspace.id, politician)
    # A day of meeting says they met, whatever else was chosen.
    relation_kind = RelationKind.MET if met_day is not None else values["kind"]
    row, new, sharing = await _store(session, actor, found, relation_kind, met_day, values["how"],
                                     values["note"])
    fields, buttons = _saved(row, sharing)
    if met_day is not None:
        due = await plan_followup(session, actor.workspace, actor.member, found.id, met_day, actor.now)
        if due is not None:
            fields.append(Field(text("relationships.field.followup"),
                                text("relationships.followup.planned",
                                     when=When(due, actor.workspace.timezone, "short"))))
    return Reply(body=text("relationships.added" if new else "relationships.updated",
                           politician=civics.politician_label(found)),
                 fields=tuple(fields), buttons=buttons)


def _describe(row: Relationship) -> Join:
    """How the member knows the politician, in a line: knows / met on a day, how, the note."""
    parts: list[Renderable] = [text(f"relationships.kind.{row.kind}")]
    if row.last_met_on is not None:
        parts.append(text("relationships.last_met", when=_day(row.last_met_on)))
    if row.how:
        parts.append(Literal(row.how))
    if row.note:
        parts.append(Literal(row.note))
    return Join(tuple(parts), " – ")


def _day(day: date) -> When:
    # A date alone: noon UTC is the same day in every zone of the region.
    return When(datetime.combine(day, time(12), tzinfo=UTC), "UTC", "date")


async def list_relationships(session: AsyncSession, actor: Actor) -> Reply:
    """Show the politicians the member knows or has met, and whether the coordinators see them."""
    member = actor.require_onboarded()
    rows = (await session.execute(
        select(Relationship, Politician).join(Politician, Politician.id == Relationship.politician_id)
        .where(Relationship.member_id == member.id)
        .order_by(Politician.name_key, Politician.id).limit(LISTED + 1))).all()
    if not rows:
        return Reply(title=text("relationships.title"), body=text("relationships.none"))
    lines = tuple(Join((civics.politician_label(p), _describe(r)), ": ") for r, p in rows[:LISTED])
    total = len(rows) if len(rows) <= LISTED else await session.scalar(
        select(func.count()).select_from(Relationship).where(Relationship.member_id == member.id)) or 0
    shared = any(r.shared for r, _ in rows)
    body: tuple[Renderable, ...] = (Join(lines, "\n", "• "),)
    if total > LISTED:
        body += (text("relationships.more", count=total - LISTED),)
    return Reply(title=text("relationships.title"), body=Join(body, "\n"), fields=(_sharing_field(shared),))


async def remove(session: AsyncSession, actor: Actor, politician: str | None = None) -> Reply:
    """Forget the member's relationship with a politician (and a follow-up still to come about them)."""
    member = actor.require_onboarded()
    found = await civics.find_politician(session, actor.workspace.id, politician)
    row = await _own(session, member, found.id)
    if row is None:
        raise UserError("relationships.not_recorded", politician=civics.politician_label(found))
    await session.delete(row)
    await reminders.cancel_prefixed(session, workspace_id=actor.workspace.id,
                                    prefix=_followup_prefix(member.id, found.id))
    return Reply(body=text("relationships.removed", politician=civics.politician_label(found)))


async def share(session: AsyncSession, actor: Actor, shared: bool | None = None) -> Reply:
    """Say whether the coordinators may see the member's relationships; without an answer, ask."""
    member = actor.require_onboarded()
    if shared is None:
        question, buttons = _consent_question()
        return Reply(body=question.value, buttons=buttons)
    return await _set_sharing(session, actor, member, shared)


async def _set_sharing(session: AsyncSession, actor: Actor, member: Member, shared: bool) -> Reply:
    # The UPDATE's row count is how many relationships the choice now covers.
    changed = cast(CursorResult[Any], await session.execute(
        update(Relationship).where(Relationship.member_id == member.id)
        .values(shared=shared, updated_at=actor.now)))
    count = changed.rowcount or 0
    key = "relationships.share.yes" if shared else "relationships.share.no"
    return Reply(body=Join((text(key), text("relationships.share.count", count=count) if count else
                            text("relationships.share.none")), " "))


async def _share_pressed(session: AsyncSession, actor: Actor, arg: str) -> Reply:
    if arg not in (YES, NO):
        raise UserError("errors.unknown_button")
    member = actor.require_onboarded()
    reply = await _set_sharing(session, actor, member, arg == YES)
    return dataclasses.replace(reply, replaces_source=True)


# -- the coordinators' view ----------------------------------------------------------------------------------


async def contacts(session: AsyncSession, actor: Actor, politician: str | None = None) -> Reply:
    """For coordinators: the members who shared a relationship with a politician (how, when they last met);
    without one, the politicians with shared contacts and how many."""
    actor.require_coordinator()
    if politician is None or not politician.strip():
        return await _overview(session, actor)
    found = await civics.find_politician(session, actor.workspace.id, politician)
    shown = (Relationship.politician_id == found.id, Relationship.shared.is_(True),
             Member.onboarded_at.is_not(None))
    rows = (await session.execute(
        select(Relationship, Member).join(Member, Member.id == Relationship.member_id).where(*shown)
        .order_by(Relationship.kind.desc(), Relationship.last_met_on.desc().nulls_last(),
                  Member.display_name, Member.id).limit(LISTED + 1))).all()
    label = civics.politician_label(found)
    if not rows:
        return Reply(title=text("relationships.contacts.title", politician=label),
                     body=text("relationships.contacts.none", politician=label))
    lines = tuple(Join((_messenger(member), _describe(row)), ": ") for row, member in rows[:LISTED])
    body: tuple[Renderable, ...] = (text("relationships.contacts.intro"), Join(lines, "\n", "• "))
    if len(rows) > LISTED:
        total = await session.scalar(select(func.count()).select_from(Relationship).join(
            Member, Member.id == Relationship.member_id).where(*shown)) or 0
        body += (text("relationships.more", count=total - LISTED),)
    return Reply(title=text("relationships.contacts.title", politician=label), body=Join(body, "\n"))


def _messenger(member: Member) -> Literal:
    return Literal(f"{member.display_name} ({member.company})" if member.company else member.display_name)


async def _overview(session: AsyncSession, actor: Actor) -> Reply:
    count = func.count(Relationship.id).label("contacts")
    rows = (await session.execute(
        select(Politician, count).join(Relationship, Relationship.politician_id == Politician.id)
        .join(Member, Member.id == Relationship.member_id)
        .where(Politician.workspace_id == actor.workspace.id, Relationship.shared.is_(True),
               Member.onboarded_at.is_not(None))
        .group_by(Politician.id).order_by(count.desc(), Politician.name_key, Politician.id)
        .limit(OVERVIEW_SHOWN + 1))).all()
    if not rows:
        return Reply(title=text("relationships.overview.title"), body=text("relationships.overview.none"))
    lines = tuple(text("relationships.overview.line", politician=civics.politician_label(p), count=n)
                  for p, n in rows[:OVERVIEW_SHOWN])
    return Reply(title=text("relationships.overview.title"),
                 body=Join((text("relationships.overview.intro"), Join(lines, "\n", "• ")), "\n"))


async def shared_contacts(session: AsyncSession, workspace_id: int, politician_ids: Sequence[int]
                          ) -> dict[int, list[str]]:
    """The members (by name) who shared a relationship with each of these politicians, those who met them
    last first; for the coordinators' eyes only (the map shown to a coordinator). One statement."""
    if not politician_ids:
        return {}
    rows = (await session.execute(
        select(Relationship.politician_id, Member.display_name)
        .join(Member, Member.id == Relationship.member_id)
        .where(Relationship.workspace_id == workspace_id,
               Relationship.politician_id.in_(sorted(politician_ids)), Relationship.shared.is_(True),
               Member.onboarded_at.is_not(None))
        .order_by(Relationship.politician_id, Relationship.last_met_on.desc().nulls_last(),
                  Member.display_name, Member.id))).all()
    found: dict[int, list[str]] = defaultdict(list)
    for politician_id, name in rows:
        found[politician_id].append(name)
    return dict(found)


def map_marks(contacts_by_politician: dict[int, list[str]]) -> dict[int, Text]:
    """The map's mark of a politician with shared contacts ("🤝 2"), by politician id."""
    return {pid: text("relationships.map.mark", count=len(names))
            for pid, names in contacts_by_politician.items() if names}


def map_field(contacts_by_politician: dict[int, list[str]], names: dict[int, str]) -> Field | None:
    """The map's field (for coordinators) naming the messengers of the politicians on it who have some, in the
    map's order (`names`: the map's politicians by id, as shown); a few, the rest counted (a field holds 1024
    characters on Discord)."""
    known = [pid for pid in names if contacts_by_politician.get(pid)]
    if not known:
        return None
    lines: list[Renderable] = []
    for pid in known[:MAP_POLITICIANS]:
        found = contacts_by_politician[pid]
        messengers: list[Renderable] = [Literal(name) for name in found[:MAP_MESSENGERS]]
        if len(found) > MAP_MESSENGERS:
            messengers.append(text("relationships.more", count=len(found) - MAP_MESSENGERS))
        lines.append(text("relationships.map.line", politician=Literal(names[pid]),
                          messengers=Join(tuple(messengers))))
    if len(known) > MAP_POLITICIANS:
        lines.append(text("relationships.more", count=len(known) - MAP_POLITICIANS))
    return Field(text("relationships.map.field"), Join(tuple(lines), "\n", "• "))


async def known_by(session: AsyncSession, member_ids: Sequence[int], politician_ids: Sequence[int]
                   ) -> dict[int, set[int]]:
    """Which of the politicians each of the members shared that they know (met or know), in one statement: for
    the asks' assignment, so that the right messenger asks. A relationship not shared with the coordinators
    is the member's own and is not used."""
    if not member_ids or not politician_ids:
        return {}
    known: dict[int, set[int]] = defaultdict(set)
    for member_id, politician_id in (await session.execute(
            select(Relationship.member_id, Relationship.politician_id)
            .where(Relationship.shared.is_(True), Relationship.member_id.in_(sorted(set(member_ids))),
                   Relationship.politician_id.in_(sorted(set(politician_ids)))))).all():
        known[member_id].add(politician_id)
    return dict(known)


# -- the follow-up after a meeting --------------------------------------------------------------------------


def _followup_prefix(member_id: int, politician_id: int) -> str:
    return f"{FOLLOWUP_KIND}:{member_id}:{politician_id}:"


def followup_due(met_on: date, zone: str, now: datetime) -> datetime | None:
    """When the follow-up of a meeting goes out: the first 09:00 local after now, for a meeting today or
    yesterday; None for an older one."""
    tz = ZoneInfo(zone)
    today = now.astimezone(tz).date()
    if not 0 <= (today - met_on).days <= FOLLOWUP_DAYS:
        return None
    due = datetime.combine(today, time(FOLLOWUP_HOUR), tzinfo=tz)
    if due <= now:
        due = datetime.combine(today + timedelta(days=1), time(FOLLOWUP_HOUR), tzinfo=tz)
    return due.astimezone(UTC)


async def plan_followup(session: AsyncSession, workspace: Workspace, member: Member, politician_id: int,
                        met_on: date, now: datetime) -> datetime | None:
    """Plan the follow-up of a meeting with a politician (once per member, politician and morning, in the
    transaction that recorded it); return when it falls due, or None for a meeting too old for one."""
    due = followup_due(met_on, workspace.timezone, now)
    if due is None:
        return None
    day = due.astimezone(ZoneInfo(workspace.timezone)).date()
    await reminders.schedule(session, workspace_id=workspace.id, kind=FOLLOWUP_KIND,
                             key=f"{_followup_prefix(member.id, politician_id)}{day.isoformat()}",
                             due_at=due, now=now, grace=FOLLOWUP_GRACE,
                             payload={"member_id": member.id, "politician_id": politician_id,
                                      "met_on": met_on.isoformat()})
    return due


def _arg(politician_id: int, met_on: date) -> str:
    return f"{politician_id}-{met_on.strftime('%Y%m%d')}"


def _parse_arg(arg: str) -> tuple[str, date]:
    ref, _, day = arg.partition("-")
    try:
        return ref, datetime.strptime(day, "%Y%m%d").date()
    except ValueError:
        raise UserError("errors.unknown_button") from None


def thank_you_draft(member: Member, politician: Politician, language: str) -> str:
    """A thank-you after a meeting, in its readers' language: the politician by handle (else name), the
    member's town; shortened to fit X and its share button."""
    who = drafts.handle(politician.x_handle) or politician.name
    post = translate("relationships.thanks.draft", language, who=who,
                     town=render(writing.town(member), language))
    return drafts.shorten(" ".join(post.split()), drafts.shareable)


async def followup_reply(session: AsyncSession, workspace: Workspace, member: Member, politician: Politician,
                         met_on: date) -> Reply:
    """The follow-up of a meeting: thank the politician (a draft with share links), share what you learned as
    a story, and save the meeting when it is not recorded yet."""
    draft = thank_you_draft(member, politician, audience_language(workspace))
    label = civics.politician_label(politician)
    buttons = [stories.share_button()]
    if await _own(session, member, politician.id) is None:
        buttons.append(Button(text("relationships.button.save", politician=Literal(politician.name)),
                              SAVE_ACTION, _arg(politician.id, met_on), ButtonStyle.SECONDARY))
    return Reply(title=text("relationships.followup.title", politician=label),
                 body=text("relationships.followup.body", politician=label, when=_day(met_on)),
                 fields=(Field(text("relationships.followup.field.draft"), Literal(draft)),),
                 links=drafts.share_links(draft, platforms=profile_fields.platforms_of(member.platforms)),
                 buttons=tuple(buttons), private=False, personal=True)


async def _plan_followup(session: AsyncSession, reminder: Reminder, now: datetime) -> list[reminders.Planned]:
    """Send the member their follow-up: by DM when they want DMs, else a mention in the channel that opens it
    privately (who met whom is the member's own)."""
    member = await session.get(Member, reminder.payload.get("member_id", 0))
    politician = await session.get(Politician, reminder.payload.get("politician_id", 0))
    if member is None or member.onboarded_at is None or politician is None \
            or politician.workspace_id != reminder.workspace_id:
        return []
    met_on = date.fromisoformat(reminder.payload["met_on"])
    if delivery.wants_dm(member, now):
        workspace = await session.get_one(Workspace, reminder.workspace_id)
        reply = await followup_reply(session, workspace, member, politician, met_on)
        return [reminders.Planned(reply, member_id=member.id, channel=Channel.ANNOUNCEMENTS)]
    notice = Reply(body=text("relationships.followup.channel"),
                   buttons=(Button(text("relationships.button.show"), FOLLOWUP_ACTION,
                                   _arg(politician.id, met_on)),),
                   private=False, mentions=(member.external_id,))
    return [reminders.Planned(notice, channel=Channel.ANNOUNCEMENTS)]


async def _followup_pressed(session: AsyncSession, actor: Actor, arg: str) -> Reply:
    """Show the presser their own follow-up of a meeting with a politician (from the channel's notice)."""
    member = actor.require_onboarded()
    ref, met_on = _parse_arg(arg)
    politician = await pressed_row(session, actor, Politician, ref)
    reply = await followup_reply(session, actor.workspace, member, politician, met_on)
    return dataclasses.replace(reply, private=True, personal=False)


def _saved(row: Relationship, sharing: bool | None) -> tuple[list[Field], tuple[Button, ...]]:
    """What a reply that saved a relationship shows: the relationship, and who sees it, or (the member's
    first) the question whether the coordinators may, with its buttons."""
    fields = [Field(text("relationships.field.relationship"), _describe(row))]
    if sharing is None:
        question, buttons = _consent_question()
        return [*fields, question], buttons
    return [*fields, _sharing_field(row.shared)], ()


async def _save_pressed(session: AsyncSession, actor: Actor, arg: str) -> Reply:
    """Save the meeting a follow-up was about as a relationship ("I have met them")."""
    actor.require_onboarded()
    ref, met_on = _parse_arg(arg)
    politician = await pressed_row(session, actor, Politician, ref)
    row, new, sharing = await _store(session, actor, politician, RelationKind.MET, met_on, None, None)
    fields, buttons = _saved(row, sharing)
    return Reply(body=text("relationships.added" if new else "relationships.updated",
                           politician=civics.politician_label(politician)),
                 fields=tuple(fields), buttons=buttons)


async def _action_recorded(session: AsyncSession, actor: Actor, action: Action, new: bool) -> None:
    """A meeting with a politician logged as an action (/did, a reported contact at a meeting or a fika):
    the relationship, when recorded, has met them that day, and the follow-up comes the next morning."""
    is_meeting = action.kind in MEETING_KINDS or action.channel in activity.IN_PERSON
    # Only a meeting that took place brings a follow-up (an attempt is followed up by the action log).
    if action.politician_id is None or action.status != activity.DONE or not is_meeting:
        return
    met_on = action.created_at.astimezone(ZoneInfo(actor.workspace.timezone)).date()
    row = await _own(session, actor.member, action.politician_id)
    if row is not None:
        _update(row, RelationKind.MET, met_on, None, None, actor.now)
    await plan_followup(session, actor.workspace, actor.member, action.politician_id, met_on, actor.now)


async def _describe_followup(session: AsyncSession, reminder: Reminder) -> Text:
    """Name a skipped follow-up for the coordinators: whose (not with whom: that is the member's own)."""
    workspace = await session.get_one(Workspace, reminder.workspace_id)
    member = await session.get(Member, reminder.payload.get("member_id", 0))
    return text("relationships.skipped.followup",
                name=Literal(member.display_name) if member is not None else text("reminders.member_gone"),
                when=When(reminder.due_at, workspace.timezone, "short"))


# -- my data -------------------------------------------------------------------------------------------------


async def _export(session: AsyncSession, member: Member) -> list[dict[str, Any]]:
    rows = (await session.execute(
        select(Relationship, Politician).join(Politician, Politician.id == Relationship.politician_id)
        .where(Relationship.member_id == member.id).order_by(Relationship.id))).all()
    return [{"politician": p.name, "party": p.party, "kind": r.kind, "how": r.how, "note": r.note,
             "last_met_on": r.last_met_on.isoformat() if r.last_met_on else None,
             "shared_with_coordinators": r.shared, "created_at": r.created_at.isoformat(),
             "updated_at": r.updated_at.isoformat()} for r, p in rows]


async def _erase(session: AsyncSession, member: Member) -> None:
    """Relationships go; follow-ups still to come go with the member's reminders (bot.services.mydata)."""
    await session.execute(delete(Relationship).where(Relationship.member_id == member.id))


FEATURE = Feature(
    "relationships",
    actions={SHARE_ACTION: _share_pressed, SAVE_ACTION: _save_pressed, FOLLOWUP_ACTION: _followup_pressed},
    planners={FOLLOWUP_KIND: _plan_followup},
    on_action=(_action_recorded,),
    describers={FOLLOWUP_KIND: _describe_followup},
    member_data=(MemberData("relationships", _export, _erase,
                            covers=("relationship.member_id", "relationship.how", "relationship.note")),),
)
