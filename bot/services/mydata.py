"""A member's own data: export all of it as JSON, or erase all of it.

Every feature that stores something about a member declares it (`Feature.member_data`), so `/mydata` covers
it; tests/test_member_data.py checks that every column that can refer to a member is declared. What no single
feature owns is here: the member row, the messages stored for them or about them (deliveries), the reminders
planned about them, and the audit log.

Erasure is one transaction: the features' erasers, the reminders about the member, the stored messages that
name them (scrubbed: the group's copy of a digest keeps its figures but loses her name), and the member row.
What the platform holds goes after the answer, as durable effects: the member role is taken back, and the
posts of their stories are deleted when they chose so.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Text as SQLText
from sqlalchemy import cast, delete, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import contributions
from bot.contributions import Feature, MemberData
from bot.i18n import render
from bot.models import AuditLog, Delivery, Member, Reminder, SlackForm, Workspace
from bot.replies import (
    Attachment,
    Button,
    ButtonStyle,
    Channel,
    DeletePost,
    Effect,
    Join,
    Reply,
    RevokeRole,
    Role,
    reply_from_json,
    text,
)
from bot.services.context import Actor, audit, language_of

log = logging.getLogger(__name__)


DELETE_CONFIRM = "mydata.delete_confirm"
DELETE_CANCEL = "mydata.delete_cancel"
# The confirm button's arg: delete the posts of the member's stories too, or keep them in the channel.
DELETE_POSTS = "posts"
KEEP_POSTS = "keep"
# What a stored message shows where it named an erased member (a catalog text, in the reader's language).
ERASED_TEXT = {"key": "mydata.erased_member", "params": {}}
# A stored message's files (reply_to_json), which the scrub leaves alone.
FILES = "files"
# What replaces an erased member's name inside a plain string of a stored message or audit detail.
ERASED_MARK = "—"
# The member columns the export leaves out: row ids, which mean nothing outside the database.
NOT_EXPORTED = frozenset({"id", "workspace_id"})


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


# -- what names a member -------------------------------------------------------------------------------------


def identifiers(member: Member) -> list[str]:
    """What identifies the member in a stored text: their platform id, name, company and X handle."""
    found = {member.external_id, member.display_name, member.company or "", member.x_handle or ""}
    # Longest first, so that "Anna Berg" goes as a whole before "Anna" could.
    return sorted((value.strip() for value in found if len(value.strip()) >= 2), key=len, reverse=True)


def _pattern(member: Member) -> re.Pattern[str]:
    found = identifiers(member)
    if not found:
        return re.compile("(?!)")  # nothing to look for: matches nothing (an empty alternation matches all)
    # Whole words only: "Al" is not scrubbed out of "Allt". And as written: a name is stored as its member
    # wrote it, and a name that is also a word ("Per") leaves the word ("2 inlägg per vecka") in other texts.
    return re.compile("(?<!\\w)(?:" + "|".join(re.escape(v) for v in found) + ")(?!\\w)")


def _candidates(column: Any, member: Member) -> Any:
    """A cheap condition on a JSON column for rows that may name the member (checked in Python after)."""
    if not identifiers(member):
        return false()
    forms = set()
    for value in identifiers(member):
        # As stored: JSON escapes what is not ASCII (the default serializer), but a raw form costs nothing.
        forms |= {json.dumps(value)[1:-1], value}
    as_text = cast(column, SQLText)
    return or_(*(as_text.ilike(f"%{form}%", escape="\\") for form in
                 (f.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") for f in sorted(forms))))


def _scrubbed(value: Any, member: Member, pattern: re.Pattern[str]) -> Any:
    """A stored message (or audit detail) with the member taken out: a mention of them or a proper noun that
    names them becomes the catalog's "a member who erased their data", their id goes from lists, and their
    name from plain strings."""
    if isinstance(value, dict):
        if value.get("mention") == "user" and value.get("id") == member.external_id:
            return dict(ERASED_TEXT)
        if isinstance(value.get("literal"), str) and pattern.search(value["literal"]):
            return dict(ERASED_TEXT)
        # A stored file (a digest's chart, base64) names no one, and a name found in its letters is chance.
        return {key: item if key == FILES else None if key.endswith("member_id") and item == member.id
                else _scrubbed(item, member, pattern) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrubbed(item, member, pattern) for item in value if item != member.external_id]
    if isinstance(value, str):
        return pattern.sub(ERASED_MARK, value)
    return value


def _names(value: Any, member: Member, pattern: re.Pattern[str]) -> bool:
    return _scrubbed(value, member, pattern) != value


async def _naming(session: AsyncSession, member: Member) -> list[Delivery]:
    """The stored messages not addressed to the member that name them (a digest, a notice, a channel
    fallback that mentions them)."""
    pattern = _pattern(member)
    rows = await session.scalars(select(Delivery).where(
        Delivery.workspace_id == member.workspace_id, or_(Delivery.member_id.is_(None),
                                                          Delivery.member_id != member.id),
        _candidates(Delivery.message, member)).order_by(Delivery.id))
    return [row for row in rows if _names(row.message, member, pattern)]


async def _reminders_about(session: AsyncSession, member: Member) -> list[Reminder]:
    """The reminders planned about the member (a nudge to finish the onboarding), whatever their status."""
    rows = await session.scalars(select(Reminder).where(
        Reminder.workspace_id == member.workspace_id,
        or_(cast(Reminder.payload, SQLText).like('%"member_id": ' + str(member.id) + "%"),
            Reminder.key.like(f"%:member:{member.id}"))).order_by(Reminder.id))
    return [row for row in rows
            if row.payload.get("member_id") == member.id or row.key.endswith(f":member:{member.id}")]


# -- export --------------------------------------------------------------------------------------------------


def _shown(reply: Reply, language: str) -> dict[str, Any]:
    """A stored message as its reader saw it, in plain text."""
    return {
        "title": render(reply.title, language) if reply.title is not None else None,
        "body": render(reply.body, language) if reply.body is not None else None,
        "fields": [[render(f.name, language), render(f.value, language)] for f in reply.fields],
        "links": [link.url for link in reply.links],
    }


async def _export_profile(session: AsyncSession, member: Member) -> dict[str, Any]:
    # Every column of the member row, so that a column a later issue adds is exported without a change here.
    return {column.key: _iso(getattr(member, column.key)) for column in Member.__table__.columns
            if column.key not in NOT_EXPORTED}


async def _export_deliveries(session: AsyncSession, member: Member) -> dict[str, Any]:
    language = language_of(member, member.workspace)
    rows = await session.scalars(
        select(Delivery).where(Delivery.member_id == member.id).order_by(Delivery.id)
    )
    sent = [{"created_at": _iso(d.created_at), "status": d.status, "sent_at": _iso(d.sent_at),
             "channel": d.channel, "message": _shown(reply_from_json(d.message), language)} for d in rows]
    naming = [{"created_at": _iso(d.created_at), "status": d.status, "channel": d.channel,
               "message": _shown(reply_from_json(d.message), language)}
              for d in await _naming(session, member)]
    return {"to_you": sent, "about_you": naming}


async def _export_reminders(session: AsyncSession, member: Member) -> list[dict[str, Any]]:
    return [{"kind": r.kind, "key": r.key, "due_at": _iso(r.due_at), "status": r.status,
             "payload": r.payload, "created_at": _iso(r.created_at), "fired_at": _iso(r.fired_at)}
            for r in await _reminders_about(session, member)]


async def _export_audit(session: AsyncSession, member: Member) -> list[dict[str, Any]]:
    rows = await session.scalars(
        select(AuditLog).where(AuditLog.actor_member_id == member.id).order_by(AuditLog.id)
    )
    return [{"at": _iso(a.created_at), "action": a.action, "detail": a.detail} for a in rows]


def _slack_forms_of(member: Member) -> tuple[Any, ...]:
    """The forms offered to the member on Slack and not opened yet (bot.slack.adapter.offer_form)."""
    team = select(Workspace.external_id).where(Workspace.id == member.workspace_id,
                                               Workspace.platform == "slack").scalar_subquery()
    return (SlackForm.team_id == team, SlackForm.user_id == member.external_id)


async def _export_slack_forms(session: AsyncSession, member: Member) -> list[dict[str, Any]]:
    return [{"form_id": f.form_id, "form": f.form, "created_at": _iso(f.created_at)}
            for f in await session.scalars(select(SlackForm).where(*_slack_forms_of(member)))]


async def _erase_slack_forms(session: AsyncSession, member: Member) -> None:
    await session.execute(delete(SlackForm).where(*_slack_forms_of(member)))


async def export(session: AsyncSession, actor: Actor) -> Reply:
    """Send the member a JSON file of everything stored about them."""
    member = actor.member
    data: dict[str, Any] = {"workspace": actor.workspace.name, "exported_at": actor.now.isoformat()}
    for stored in sorted(contributions.of(session).member_data, key=lambda stored: stored.name):
        data[stored.name] = await stored.export(session, member)
    payload = json.dumps(data, ensure_ascii=False, indent=2).encode()
    return Reply(body=text("mydata.export.body"),
                 files=(Attachment(f"jobbskaparna-{member.external_id}.json", payload),))


# -- erasure -------------------------------------------------------------------------------------------------


async def _erase_profile(session: AsyncSession, member: Member) -> None:
    """The member row goes last (mydata.erase); deliveries to them go with it (ON DELETE CASCADE)."""


async def _erase_deliveries(session: AsyncSession, member: Member) -> None:
    """Scrub the member out of stored messages to others: the group keeps its digest, without her name."""
    pattern = _pattern(member)
    for row in await _naming(session, member):
        row.message = _scrubbed(row.message, member, pattern)


async def _erase_reminders(session: AsyncSession, member: Member) -> None:
    """Reminders about the member go, also fired and cancelled ones (their deliveries with them)."""
    ids = [row.id for row in await _reminders_about(session, member)]
    if ids:
        await session.execute(delete(Reminder).where(Reminder.id.in_(ids)))


async def _erase_audit(session: AsyncSession, member: Member) -> None:
    """Audit rows keep what was changed but not by whom (the actor is SET NULL with the member row); a detail
    that names the member is scrubbed."""
    pattern = _pattern(member)
    for row in await session.scalars(select(AuditLog).where(AuditLog.workspace_id == member.workspace_id,
                                                            _candidates(AuditLog.detail, member))):
        if _names(row.detail, member, pattern):
            row.detail = _scrubbed(row.detail, member, pattern)


async def _posts(session: AsyncSession, member: Member) -> list[tuple[Channel, str]]:
    found = []
    for stored in contributions.of(session).member_data:
        if stored.posts is not None:
            found.extend(await stored.posts(session, member))
    return found


async def delete_request(session: AsyncSession, actor: Actor) -> Reply:
    """Ask the member to confirm that everything is to be erased, and whether their story posts go too."""
    posts = await _posts(session, actor.member)
    cancel = Button(text("mydata.delete.button.cancel"), DELETE_CANCEL, style=ButtonStyle.SECONDARY)
    if not posts:
        return Reply(body=text("mydata.delete.confirm"), buttons=(
            Button(text("mydata.delete.button.confirm"), DELETE_CONFIRM, style=ButtonStyle.DANGER),
            cancel))
    asked = (text("mydata.delete.confirm"), text("mydata.delete.confirm_posts", count=len(posts)))
    return Reply(body=Join(asked, separator="\n\n"),
                 buttons=(Button(text("mydata.delete.button.confirm_posts"), DELETE_CONFIRM, DELETE_POSTS,
                                 ButtonStyle.DANGER),
                          Button(text("mydata.delete.button.confirm_keep"), DELETE_CONFIRM, KEEP_POSTS,
                                 ButtonStyle.DANGER),
                          cancel))


async def erase(session: AsyncSession, actor: Actor, arg: str = "") -> Reply:
    """Erase everything about the member in one transaction; the audit log keeps only that an erasure
    happened. The member role is taken back, and the story posts deleted if chosen, after the answer."""
    member = actor.member
    posts = await _posts(session, member)
    delete_posts = arg == DELETE_POSTS
    for stored in contributions.of(session).member_data:
        await stored.erase(session, member)
    audit(session, actor, "member.data_deleted", anonymous=True)
    await session.flush()
    await session.execute(delete(Member).where(Member.id == member.id))
    log.info("Erased the data of a member in workspace %s", actor.workspace.id)
    effects: list[Effect] = [RevokeRole(member.external_id, Role.MEMBER)]
    if delete_posts:
        effects.extend(DeletePost(channel, message_id) for channel, message_id in posts)
    # One message, no embed: what stays is as much the answer as what went.
    stays = Join((text("mydata.delete.stays.title"),
                  _what_stays(coordinator=actor.is_coordinator, kept_posts=bool(posts) and not delete_posts)),
                 "\n")
    return Reply(body=Join((text("mydata.delete.done"), stays), "\n\n"),
                 effects=tuple(effects), replaces_source=True)


def _what_stays(*, coordinator: bool, kept_posts: bool) -> Join:
    lines: Iterable[str] = ("audit", "inbox", "channels", *(("coordinator",) if coordinator else ()),
                            *(("posts",) if kept_posts else ()))
    return Join(tuple(text(f"mydata.delete.stays.{line}") for line in lines), separator="\n", bullet="• ")


async def _delete_cancelled(session: AsyncSession, actor: Actor, _arg: str = "") -> Reply:
    return Reply(body=text("mydata.delete.cancelled"), replaces_source=True)


FEATURE = Feature(
    "mydata",
    actions={DELETE_CONFIRM: erase, DELETE_CANCEL: _delete_cancelled},
    member_data=(
        # The profile is the member row, exported column by column and erased with the row.
        MemberData("profile", _export_profile, _erase_profile, covers=("member.platforms",)),
        MemberData("deliveries", _export_deliveries, _erase_deliveries,
                   covers=("delivery.member_id", "delivery.message")),
        MemberData("reminders", _export_reminders, _erase_reminders,
                   covers=("reminder.payload", "reminder.key")),
        MemberData("audit_log", _export_audit, _erase_audit,
                   covers=("audit_log.actor_member_id", "audit_log.detail")),
        # A form offered by a button on Slack, waiting to be opened: its prefilled values are the member's.
        MemberData("slack_forms", _export_slack_forms, _erase_slack_forms, covers=("slack_form.form",)),
    ),
    impersonal={
        "delivery.key": "a delivery's key names its reminder and recipient by row id; the rows about a "
                        "member go with the member (CASCADE) or their reminder",
        "delivery.last_error": "the platform's error, by ids and codes; the log says no names",
        "slack_event.key": "a Slack event's id, or its channel and timestamp: ids, swept after an hour",
    },
)
