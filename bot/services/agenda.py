"""Agenda items proposed to the coordinators as issues, in good time.

The watcher (bot.watcher) stores the items of the agendas it reads as `new` and calls `items_stored`. Each
new item that names one of the group's topics or keywords (bot.services.agenda_matching) is `proposed`: posted
once to the coordinators' channel (a reminder keyed by the item, so a second poll or a restart posts nothing
twice), with the council meeting a committee's or the executive board's item is likely to reach: the next
meeting of the municipality's kommunfullmäktige after it, from the stored meetings of a council source. The
rest are `ignored`. An item with the title of one already proposed, dismissed or turned into an issue in the
same municipality (the same item at the next body, or from another source) is not proposed again.

"Skapa fråga" opens the issue form prefilled from the item; submitting it creates the issue (issues.create)
and marks the item `created`, linked to the issue. "Avfärda" marks it `dismissed`, for good.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import reminders, validation
from bot.contributions import Feature
from bot.errors import UserError
from bot.models import AgendaItem, AgendaMeeting, AgendaSettings, Issue, Reminder, Workspace
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
    Reply,
    Text,
    When,
    text,
)
from bot.services import civics, issues
from bot.services.agenda_matching import Match, match, read_keywords, title_key
from bot.services.context import Actor, apply_settings, audit, settings_row
from bot.services.profile_fields import MUNICIPALITIES

log = logging.getLogger(__name__)

NEW, PROPOSED, DISMISSED, CREATED, IGNORED = "new", "proposed", "dismissed", "created", "ignored"
# An item already looked at: another item with its title is not proposed again.
SETTLED = (PROPOSED, DISMISSED, CREATED)
PROPOSAL_KIND = "agenda.proposal"
# A proposal the bot could not post for a week (it was down) is skipped rather than posted stale.
PROPOSAL_GRACE = timedelta(days=7)
CREATE_ACTION = "agenda.create"
DISMISS_ACTION = "agenda.dismiss"
ISSUE_FORM = "agenda.issue"
# Bodies whose items go on to the council: the executive board and the committees.
PREPARING = (civics.Body.KOMMUNSTYRELSEN.value, civics.COMMITTEE_BODY)
MAX_KEYWORDS = 30
MAX_KEYWORD = 60
CLEAR = "-"
# The words of a title that make the suggested hashtag, and how many of them.
_HASHTAG_WORD = re.compile(r"[^\W\d_]{4,}")
_HASHTAG_SKIP = {"motion", "medborgarförslag", "ärende", "beslut", "angående", "gällande", "förslag", "inför",
                 "inom", "från", "till", "samt", "eller", "över", "under", "efter", "mellan", "kring", "fler",
                 "nytt", "avseende"}
HASHTAG_WORDS = 3


async def keywords_of(session: AsyncSession, workspace_id: int) -> list[str]:
    """The group's keywords (none until a coordinator sets them)."""
    row = await session.get(AgendaSettings, workspace_id)
    return list(row.keywords) if row else []


async def set_keywords(session: AsyncSession, actor: Actor, keywords: str | None = None) -> Reply:
    """Show the group's keywords, or replace them with a comma-separated list ("-" clears them)."""
    actor.require_coordinator()
    if keywords is None:
        return _keywords_reply(await keywords_of(session, actor.workspace.id), "agenda.keywords.shown")
    wanted = [] if keywords.strip() == CLEAR else read_keywords(keywords)
    label = text("field.keywords")
    for keyword in wanted:
        if len(keyword) > MAX_KEYWORD:
            raise validation.FieldProblem(label, text("agenda.keywords.too_long",
                                                      keyword=Literal(keyword[:40]), max=MAX_KEYWORD))
        if len(validation.fold(keyword)) < 3:
            raise validation.FieldProblem(label, text("agenda.keywords.too_short", keyword=Literal(keyword)))
    if len(wanted) > MAX_KEYWORDS:
        raise validation.FieldProblem(label, text("agenda.keywords.too_many", count=len(wanted),
                                                  max=MAX_KEYWORDS))
    row = await settings_row(session, AgendaSettings, actor.workspace.id, keywords=[], updated_at=actor.now)
    apply_settings(session, actor, row, {"keywords": wanted}, "agenda.keywords")
    return _keywords_reply(wanted, "agenda.keywords.saved")


def _keywords_reply(keywords: list[str], key: str) -> Reply:
    listed = Join(tuple(Literal(k) for k in keywords)) if keywords else text("agenda.keywords.none")
    return Reply(body=text(key, keywords=listed),
                 fields=(Field(text("agenda.keywords.topics"), civics.topics_label(civics.TOPICS)),))


async def items_stored(session: AsyncSession, workspace_id: int, now: datetime) -> int:
    """Look at a workspace's new agenda items: propose those that match (once), ignore the rest; return how
    many were proposed. The watcher calls it in the transaction that stored them."""
    items = list(await session.scalars(select(AgendaItem).where(
        AgendaItem.workspace_id == workspace_id, AgendaItem.status == NEW).order_by(AgendaItem.id)))
    if not items:
        return 0
    keywords = await keywords_of(session, workspace_id)
    meeting_ids = {item.meeting_id for item in items if item.meeting_id is not None}
    meeting_titles = {row.id: row.title for row in await session.execute(
        select(AgendaMeeting.id, AgendaMeeting.title).where(AgendaMeeting.id.in_(meeting_ids)))
    } if meeting_ids else {}
    earlier = await session.scalars(select(AgendaItem).where(
        AgendaItem.workspace_id == workspace_id, AgendaItem.status.in_(SETTLED),
        AgendaItem.municipality.in_({item.municipality for item in items})))
    settled = {(row.municipality, title_key(row.title)): row for row in earlier}
    proposed = 0
    for item in items:
        item.status_at = now
        key = (item.municipality, title_key(item.title))
        twin = settled.get(key)
        if twin is not None:
            # Seen before (at the previous body, or from another source): what the coordinators decided about
            # it holds; one still open is not proposed a second time.
            item.status = twin.status if twin.status in (DISMISSED, CREATED) else IGNORED
            item.issue_id = twin.issue_id
            continue
        found = match((item.title, meeting_titles.get(item.meeting_id or 0)), keywords)
        if found is None:
            item.status = IGNORED
            continue
        item.status = PROPOSED
        item.council_meeting_id = await _council_meeting_id(session, item, now)
        settled[key] = item
        await reminders.schedule(session, workspace_id=workspace_id, kind=PROPOSAL_KIND,
                                 key=f"{PROPOSAL_KIND}:{item.id}", due_at=now, now=now,
                                 payload={"item_id": item.id, "topic": found.topic, "keyword": found.keyword},
                                 grace=PROPOSAL_GRACE)
        proposed += 1
    log.info("Agenda items of workspace %s: %d looked at, %d proposed", workspace_id, len(items), proposed)
    return proposed


async def _council_meeting_id(session: AsyncSession, item: AgendaItem, now: datetime) -> int | None:
    """The next kommunfullmäktige meeting of the item's municipality after its meeting (a committee's or the
    executive board's item only)."""
    if item.body not in PREPARING:
        return None
    return cast(int | None, await session.scalar(
        select(AgendaMeeting.id).where(
            AgendaMeeting.workspace_id == item.workspace_id, AgendaMeeting.municipality == item.municipality,
            AgendaMeeting.body == civics.Body.KOMMUNFULLMAKTIGE.value,
            AgendaMeeting.starts_at > (item.meeting_at or now))
        .order_by(AgendaMeeting.starts_at, AgendaMeeting.id).limit(1)))


def _matched_label(topic: str | None, keyword: str | None) -> Text:
    if topic:
        return text("agenda.matched.topic", topic=text(f"topic.{topic}"))
    return text("agenda.matched.keyword", keyword=Literal(keyword or ""))


def _meeting_when(at: datetime, has_time: bool, zone: str) -> When:
    return When(at, zone, "full" if has_time else "date")


def proposal_reply(item: AgendaItem, council: AgendaMeeting | None, matched: Match, zone: str) -> Reply:
    """The proposal posted to the coordinators, with the buttons that create the issue or dismiss it."""
    fields = [
        Field(text("field.municipality"), civics.municipality_label(item.municipality), inline=True),
        Field(text("field.body"), civics.body_label(item.body, item.committee), inline=True),
        Field(text("agenda.field.meeting"),
              _meeting_when(item.meeting_at, item.meeting_has_time, zone) if item.meeting_at
              else text("agenda.meeting.unknown"), inline=True),
        Field(text("agenda.field.matched"), _matched_label(matched.topic, matched.keyword), inline=True),
    ]
    if council is not None:
        fields.append(Field(text("agenda.field.council"),
                            _meeting_when(council.starts_at, council.has_time, zone)))
    elif item.body in PREPARING:
        fields.append(Field(text("agenda.field.council"), text("agenda.council.unknown")))
    title = Literal(f"{item.number} {item.title}" if item.number else item.title)
    return Reply(
        title=text("agenda.proposal.title", title=title),
        body=text("agenda.proposal.body"),
        fields=tuple(fields),
        buttons=(Button(text("agenda.button.create"), CREATE_ACTION, str(item.id), ButtonStyle.SUCCESS),
                 Button(text("agenda.button.dismiss"), DISMISS_ACTION, str(item.id), ButtonStyle.SECONDARY)),
        links=(Link(text("agenda.link.source"), item.link),) if item.link else (),
        private=False,
    )


async def _plan_proposal(session: AsyncSession, reminder: Reminder, now: datetime) -> list[reminders.Planned]:
    """Post a proposal to the coordinators' channel, unless the item was settled meanwhile."""
    item = await session.get(AgendaItem, reminder.payload["item_id"])
    if item is None or item.status != PROPOSED:
        return []
    workspace = await session.get_one(Workspace, item.workspace_id)
    council = await session.get(AgendaMeeting, item.council_meeting_id) if item.council_meeting_id else None
    matched = Match(topic=reminder.payload.get("topic"), keyword=reminder.payload.get("keyword"))
    return [reminders.Planned(proposal_reply(item, council, matched, workspace.timezone),
                              channel=Channel.COORDINATORS)]


async def _describe_proposal(session: AsyncSession, reminder: Reminder) -> Text:
    """Name a skipped proposal for the coordinators."""
    item_id = reminder.payload.get("item_id")
    item = await session.get(AgendaItem, item_id) if isinstance(item_id, int) else None
    if item is None:
        # The item went with its workspace's data (or the row names none): said without its title.
        return text("agenda.skipped_gone")
    return text("agenda.skipped", title=Literal(item.title))


@dataclass(frozen=True)
class Proposal:
    """An item the watcher proposed, with the council meeting it is likely to reach (for the board)."""

    item: AgendaItem
    council: AgendaMeeting | None

    def meeting_when(self, zone: str) -> When | None:
        item = self.item
        return _meeting_when(item.meeting_at, item.meeting_has_time, zone) if item.meeting_at else None

    def council_when(self, zone: str) -> When | None:
        council = self.council
        return _meeting_when(council.starts_at, council.has_time, zone) if council else None

    @property
    def source_link(self) -> str | None:
        """The item's link when it is a web address: a feed or calendar may give any scheme (javascript:)."""
        link = self.item.link
        return link if link and urlsplit(link).scheme in ("http", "https") else None


def _proposals(workspace_id: int) -> Any:
    return (select(AgendaItem, AgendaMeeting)
            .outerjoin(AgendaMeeting, AgendaMeeting.id == AgendaItem.council_meeting_id)
            .where(AgendaItem.workspace_id == workspace_id, AgendaItem.status.in_(SETTLED)))


async def proposals(session: AsyncSession, workspace_id: int, *, limit: int) -> list[Proposal]:
    """The items proposed to the coordinators: those still open first, then those settled (an issue made,
    dismissed), the latest first."""
    rows = await session.execute(_proposals(workspace_id).order_by(
        case((AgendaItem.status == PROPOSED, 0), else_=1),
        func.coalesce(AgendaItem.status_at, AgendaItem.first_seen_at).desc(), AgendaItem.id.desc())
        .limit(limit))
    return [Proposal(item, council) for item, council in rows]


async def proposal(session: AsyncSession, workspace_id: int, item_id: int) -> Proposal | None:
    """One item proposed to the workspace's coordinators; None for any other (another workspace's too)."""
    row = (await session.execute(_proposals(workspace_id).where(AgendaItem.id == item_id))).first()
    return Proposal(*row) if row else None


async def _item(session: AsyncSession, actor: Actor, arg: str) -> AgendaItem:
    item_id = validation.record_id(arg)
    item = await session.get(AgendaItem, item_id) if item_id is not None else None
    if item is None or item.workspace_id != actor.workspace.id:
        raise UserError("agenda.unknown")
    return item


def _refuse_settled(item: AgendaItem) -> None:
    if item.status == CREATED:
        raise UserError("agenda.created_already", title=Literal(item.title), id=item.issue_id or 0)
    if item.status == DISMISSED:
        raise UserError("agenda.dismissed_already", title=Literal(item.title))


def suggested_hashtag(title: str) -> str:
    """A hashtag from an item's title: its first telling words, each capitalised ("#ParkeringStortorget")."""
    picked = [word for word in _HASHTAG_WORD.findall(title) if word.lower() not in _HASHTAG_SKIP]
    return "#" + "".join(word[:1].upper() + word[1:] for word in picked[:HASHTAG_WORDS])[:100]


def _moment(at: datetime, has_time: bool, zone: str) -> str:
    """A moment as the issue form reads it back ("2026-12-17 18:00", or only the date)."""
    local = at.astimezone(ZoneInfo(zone))
    return local.strftime("%Y-%m-%d %H:%M" if has_time else "%Y-%m-%d")


def issue_form(item: AgendaItem, council: AgendaMeeting | None, zone: str) -> Form:
    """The issue form prefilled from an item; decided at the council meeting when it is linked, else at the
    item's own meeting. The summary and the group's position are the coordinator's to write."""
    values = {"title": item.title[:100], "municipality": item.municipality, "body": item.body,
              "hashtag": suggested_hashtag(item.title)}
    if item.committee:
        values["committee"] = item.committee
    if council is not None:
        values["body"] = civics.Body.KOMMUNFULLMAKTIGE.value
        values.pop("committee", None)
        values["decision"] = _moment(council.starts_at, council.has_time, zone)
    elif item.meeting_at is not None:
        values["decision"] = _moment(item.meeting_at, item.meeting_has_time, zone)
    if item.link:
        values["source"] = item.link
    fields = (
        FormField("title", text("field.title"), required=True, max_length=100),
        FormField("summary", text("field.summary"), FieldKind.PARAGRAPH, required=True, max_length=1000,
                  placeholder=text("agenda.form.summary.placeholder")),
        FormField("position", text("field.position"), FieldKind.PARAGRAPH, required=True, max_length=1000,
                  placeholder=text("agenda.form.position.placeholder")),
        FormField("decision", text("field.decision"), required=True, max_length=60),
        FormField("hashtag", text("field.hashtag"), required=True, max_length=101),
        FormField("municipality", text("field.municipality"), FieldKind.CHOICE, required=True,
                  choices=MUNICIPALITIES),
        FormField("body", text("field.body"), FieldKind.CHOICE, required=True, choices=civics.BODY.choices),
        FormField("committee", text("field.committee"), max_length=100),
        FormField("source", text("field.source"), max_length=validation.MAX_URL),
    )
    return Form(ISSUE_FORM, text("agenda.form.title"), fields, arg=str(item.id), values=values)


async def open_issue_form(session: AsyncSession, actor: Actor, arg: str) -> Reply:
    """"Skapa fråga": open the issue form prefilled from the item."""
    actor.require_coordinator()
    item = await _item(session, actor, arg)
    _refuse_settled(item)
    council = await session.get(AgendaMeeting, item.council_meeting_id) if item.council_meeting_id else None
    return Reply(form=issue_form(item, council, actor.workspace.timezone))


async def create_issue(session: AsyncSession, actor: Actor, values: Mapping[str, str], arg: str) -> Reply:
    """Create the issue from the submitted form and mark the item created, linked to it."""
    actor.require_coordinator()
    item = await _item(session, actor, arg)
    _refuse_settled(item)

    def given(name: str) -> str | None:
        return (values.get(name) or "").strip() or None

    reply = await issues.create(
        session, actor, title=given("title"), summary=given("summary"), municipality=given("municipality"),
        # The form's choice is the body's value; issues.create reads it as it reads a typed one.
        body=cast(civics.Body | None, given("body")), decision=given("decision"), hashtag=given("hashtag"),
        position=given("position"), source=given("source"), committee=given("committee"))
    item.issue_id = await session.scalar(select(func.max(Issue.id)).where(
        Issue.workspace_id == actor.workspace.id, Issue.created_by_member_id == actor.member.id))
    item.status, item.status_at = CREATED, actor.now
    audit(session, actor, "agenda.issue_created", item_id=item.id, issue_id=item.issue_id)
    return reply


async def dismiss(session: AsyncSession, actor: Actor, arg: str) -> Reply:
    """"Avfärda": the item is not proposed again, from this source or another."""
    actor.require_coordinator()
    item = await _item(session, actor, arg)
    if item.status == CREATED:
        _refuse_settled(item)
    if item.status != DISMISSED:
        item.status, item.status_at = DISMISSED, actor.now
        audit(session, actor, "agenda.dismissed", item_id=item.id)
    return Reply(body=text("agenda.dismissed", title=Literal(item.title)), replaces_source=True,
                 private=False)


FEATURE = Feature(
    "agenda",
    actions={CREATE_ACTION: open_issue_form, DISMISS_ACTION: dismiss},
    forms={ISSUE_FORM: create_issue},
    planners={PROPOSAL_KIND: _plan_proposal},
    describers={PROPOSAL_KIND: _describe_proposal},
    impersonal={"agenda_settings.keywords": "the group's keywords for the agenda watcher, set by "
                                            "coordinators"},
)
