"""The agenda watcher's sources, for coordinators: `/watch add|list|remove`. A source is a municipality's
notice board feed (RSS/Atom), a body's meeting calendar (iCal) or one agenda PDF; nothing is fetched unless
a coordinator added one. Each source has a reminder of its own for its next poll (bot.watcher.poll), which the
dispatcher runs: the fetch happens outside any transaction, and what it found is stored as agenda items for
the matcher.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot import reminders, validation
from bot.contributions import Feature, MemberData
from bot.errors import UserError
from bot.models import AgendaSource, Member, Reminder
from bot.replies import Join, Literal, Reply, Text, When, more_than_shown, text
from bot.services import civics
from bot.services.context import Actor, audit
from bot.watcher import poll
from bot.watcher.fetch import Fetcher


class SourceKind(StrEnum):
    """What a source is (the values the database keeps)."""

    FEED = poll.FEED
    CALENDAR = poll.CALENDAR
    PDF = poll.PDF


KIND = validation.ChoiceSet(SourceKind, "field.watch_kind", "watch.kind", {
    "rss": "feed", "atom": "feed", "flode": "feed", "ical": "calendar", "ics": "calendar",
    "kalender": "calendar"})
LISTED = 25


async def add(session: AsyncSession, actor: Actor, municipality: str | None = None,
              body: civics.Body | None = None, kind: SourceKind | None = None,
              url: str | None = None, committee: str | None = None) -> Reply:
    """Register a source to watch; its first poll is due at once."""
    actor.require_coordinator()
    values = validation.read_all({
        "municipality": lambda: civics.municipality(municipality),
        "body": lambda: civics.BODY.read(body, required=True),
        "kind": lambda: KIND.read(kind, required=True),
        "url": lambda: _url(url),
        "committee": lambda: validation.clean_text(committee, text("field.committee"), max_length=100),
    })
    if values["body"] == civics.COMMITTEE_BODY and not values["committee"]:
        raise validation.FieldProblem(text("field.committee"), text("issues.committee_required"))
    exists = await session.scalar(select(AgendaSource.id).where(
        AgendaSource.workspace_id == actor.workspace.id, AgendaSource.url == values["url"]))
    if exists is not None:
        raise UserError("watch.exists", source=Literal(f"#{exists}"))
    source = AgendaSource(
        workspace_id=actor.workspace.id, municipality=values["municipality"], body=str(values["body"]),
        committee=values["committee"] if values["body"] == civics.COMMITTEE_BODY else None,
        kind=str(values["kind"]), url=values["url"], added_by_member_id=actor.member.id, created_at=actor.now,
        next_poll_at=actor.now, failures=0)
    session.add(source)
    await session.flush()
    await poll.plan(session, source, actor.now, actor.now)
    audit(session, actor, "watch.added", source_id=source.id, kind=source.kind)
    return Reply(body=text("watch.added", line=_line(source),
                            hours=int(poll.POLL_INTERVAL.total_seconds() // 3600)))


def _url(raw: str | None) -> str:
    url = validation.web_url(raw, text("field.url"))
    if url is None:
        raise validation.FieldProblem(text("field.url"), text("errors.required"))
    return url


def _line(source: AgendaSource) -> Text:
    return text("watch.line", id=Literal(f"#{source.id}"), kind=text(f"watch.kind.{source.kind}"),
                municipality=civics.municipality_label(source.municipality),
                body=civics.body_label(source.body, source.committee), url=Literal(source.url))


def _state(source: AgendaSource, zone: str) -> Text:
    """A source's polling state: its last poll and how it went, and its next poll."""
    last: Text | str = (text("watch.state.never") if source.last_polled_at is None
                        else text("watch.state.last", when=When(source.last_polled_at, zone, "short")))
    problem: Text | str = ""
    if source.failures:
        problem = text("watch.state.failing", failures=source.failures,
                       error=poll.reason_text(source.last_error or ""))
    elif source.last_error:
        problem = text("watch.state.notice", error=poll.reason_text(source.last_error))
    return text("watch.state.line", last=last, problem=problem,
                next=When(source.next_poll_at, zone, "short"))


async def source_count(session: AsyncSession, workspace_id: int) -> int:
    """How many sources the workspace's watcher reads."""
    return await session.scalar(select(func.count()).select_from(AgendaSource)
                                .where(AgendaSource.workspace_id == workspace_id)) or 0


async def list_sources(session: AsyncSession, actor: Actor) -> Reply:
    """The workspace's sources with their last poll, errors and next poll."""
    actor.require_coordinator()
    rows = list(await session.scalars(
        select(AgendaSource).where(AgendaSource.workspace_id == actor.workspace.id)
        .order_by(AgendaSource.municipality, AgendaSource.id)))
    if not rows:
        return Reply(body=text("watch.none"))
    zone = actor.workspace.timezone
    lines = tuple(Join((_line(source), _state(source, zone)), "\n   ") for source in rows[:LISTED])
    return Reply(title=text("watch.title", count=len(rows)),
                 body=text("watch.body", lines=Join(lines, "\n", "• "),
                           more=more_than_shown("watch.more", len(rows), LISTED)))


async def remove(session: AsyncSession, actor: Actor, source: str | None = None) -> Reply:
    """Stop watching a source (by its number or its URL); the items it found stay."""
    actor.require_coordinator()
    found = await _find(session, actor, source)
    line = _line(found)
    await session.execute(update(Reminder).where(
        Reminder.workspace_id == actor.workspace.id, Reminder.kind == poll.KIND,
        Reminder.key.startswith(f"{poll.KIND}:{found.id}:", autoescape=True),
        Reminder.status == reminders.PENDING).values(status=reminders.CANCELLED))
    audit(session, actor, "watch.removed", source_id=found.id)
    await session.delete(found)
    return Reply(body=text("watch.removed", line=line))


async def _find(session: AsyncSession, actor: Actor, ref: str | None) -> AgendaSource:
    value = (ref or "").strip()
    if not value:
        raise validation.FieldProblem(text("field.watch_source"), text("errors.required"))
    query = select(AgendaSource).where(AgendaSource.workspace_id == actor.workspace.id)
    source_id = validation.record_id(value.removeprefix("#"))
    found = None
    if source_id is not None:
        found = await session.scalar(query.where(AgendaSource.id == source_id))
    if found is None:
        found = await session.scalar(query.where(AgendaSource.url.in_({value, f"https://{value}"})))
    if found is None:
        raise UserError("watch.unknown", value=Literal(value[:60]))
    return found


async def _poll_due(session: AsyncSession, reminder: Reminder, now: datetime) -> reminders.InBatches:
    """A source's poll is due: fetched and stored by the dispatcher after this transaction, as a 'batch' that
    reads and writes in sessions of its own (never across the network)."""
    source_id = int(reminder.payload.get("source", 0))

    async def run(reader: AsyncSession, after: int) -> tuple[list[reminders.Planned], int | None]:
        fetcher = reader.info.get(poll.FETCHER_KEY) or Fetcher()
        return await poll.poll_source(poll.Sessions.like(reader), source_id, now, fetcher), None

    return reminders.InBatches(run)


async def _export_added(session: AsyncSession, member: Member) -> list[dict[str, Any]]:
    rows = await session.scalars(select(AgendaSource).where(AgendaSource.added_by_member_id == member.id)
                                 .order_by(AgendaSource.id))
    return [{"id": s.id, "url": s.url, "created_at": s.created_at.isoformat()} for s in rows]


async def _erase_added(session: AsyncSession, member: Member) -> None:
    """The group's sources stay; who added them goes with the member row (SET NULL)."""


FEATURE = Feature(
    "watch_sources",
    planners={poll.KIND: _poll_due},
    member_data=(MemberData("watch_sources_added", _export_added, _erase_added,
                            covers=("agenda_source.added_by_member_id",)),),
)
