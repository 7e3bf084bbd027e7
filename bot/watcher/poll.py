"""One source's poll, in three steps so that no transaction is open while the network is waited on: read the
source's state (a short read), fetch and extract (no session at all), then store what was found, the polling
state and the next poll (a short write).

Politeness: a source is fetched every POLL_INTERVAL; the request is conditional (a 304 costs the server
nothing); after a failure the next poll waits POLL_INTERVAL × 2^failures, at most MAX_BACKOFF, and at least
as long as a 429/503's Retry-After says (up to MAX_RETRY_AFTER). An agenda PDF linked from a feed entry or a
calendar event is fetched once, when the entry is first seen (at most MAX_PDFS in one poll).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import cast
from zoneinfo import ZoneInfo

from sqlalchemy import CursorResult, delete, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot import db, reminders
from bot.models import AgendaItem, AgendaMeeting, AgendaSource, Reminder, Workspace
from bot.replies import Channel, Literal, Reply, Text, text
from bot.services import agenda as proposals
from bot.watcher import agenda, calendars, feeds, pdfs
from bot.watcher.agenda import Entry, Unreadable
from bot.watcher.fetch import Fetcher, FetchError

log = logging.getLogger(__name__)

# How often a source is asked: a council's notice goes up a week or more before its meeting.
POLL_INTERVAL = timedelta(hours=6)
MAX_BACKOFF = timedelta(days=1)
MAX_RETRY_AFTER = timedelta(days=7)
# After this many failures in a row the coordinators are told (once, until the source works again).
FAILURES_TOLD = 3
MAX_PDFS = 10
# The reminder kind of a source's next poll; its payload names the source.
KIND = "watch.poll"
# A fired poll's reminder row is removed this long after it was due.
TIDY_AFTER = timedelta(days=7)
NO_TEXT_LAYER = "no text layer"
UNREADABLE_PDF = "unreadable PDF"
# Where a session carries the Fetcher to use (tests shorten its timeouts); the default otherwise.
FETCHER_KEY = "jobbskaparna.watch_fetcher"

FEED, CALENDAR, PDF = "feed", "calendar", "pdf"
# The reasons said in the reader's language (the catalog's watch.error.*); others ("HTTP 404") as they are.
REASON_KEYS = {"timeout": "timeout", "too large": "too_large", "bad XML": "bad_xml",
               "not a feed": "not_a_feed", NO_TEXT_LAYER: "no_text_layer", UNREADABLE_PDF: "unreadable_pdf",
               "connection failed": "connection_failed", "too many redirects": "too_many_redirects",
               "internal error": "internal_error"}


def reason_text(reason: str) -> Text | Literal:
    """A stored reason as the coordinators read it."""
    key = REASON_KEYS.get(reason)
    return text(f"watch.error.{key}") if key else Literal(reason)


def poll_key(source_id: int, due: datetime) -> str:
    return f"{KIND}:{source_id}:{due.isoformat()}"


async def plan(session: AsyncSession, source: AgendaSource, due: datetime, now: datetime) -> None:
    """Plan the source's next poll (the database holds what is due; the scheduler is told after commit)."""
    source.next_poll_at = due
    await reminders.schedule(session, workspace_id=source.workspace_id, kind=KIND,
                             key=poll_key(source.id, due), due_at=due, now=now, payload={"source": source.id})


def backoff(failures: int) -> timedelta:
    """How long to wait after `failures` failures in a row."""
    return min(POLL_INTERVAL * (2 ** min(failures, 10)), MAX_BACKOFF)


@dataclass(frozen=True)
class Snapshot:
    """What a poll needs of its source, read before the fetch."""

    source_id: int
    kind: str
    url: str
    etag: str | None
    last_modified: str | None
    zone: str
    known_uids: frozenset[str]


@dataclass(frozen=True)
class FoundItem:
    number: str | None
    title: str
    link: str | None


@dataclass
class Result:
    """What the fetch and the extraction found, or why they failed."""

    error: str | None = None
    retry_at: datetime | None = None
    not_modified: bool = False
    etag: str | None = None
    last_modified: str | None = None
    # A problem that fetching again will not solve (a scanned agenda): said, but not counted as a failure.
    notice: str | None = None
    found: list[tuple[Entry, list[FoundItem]]] = field(default_factory=list)


@dataclass(frozen=True)
class Sessions:
    """Where a poll reads (without the write lock) and writes."""

    read: async_sessionmaker[AsyncSession]
    write: async_sessionmaker[AsyncSession]

    @classmethod
    def like(cls, session: AsyncSession) -> Sessions:
        """Sessions on the same database, with the same contributions, as a session of the App's."""
        bind = cast(AsyncEngine, session.bind)
        info = dict(session.info)
        return cls(async_sessionmaker(bind.execution_options(**{db.BEGIN_DEFERRED: True}),
                                      expire_on_commit=False, info=info),
                   async_sessionmaker(bind.execution_options(**{db.BEGIN_DEFERRED: False}),
                                      expire_on_commit=False, info=info))


async def poll_source(sessions: Sessions, source_id: int, now: datetime, fetcher: Fetcher | None = None
                      ) -> list[reminders.Planned]:
    """Poll one source: read, fetch outside any transaction, store. Returns the notice to the coordinators
    when the source has now failed FAILURES_TOLD times in a row."""
    async with sessions.read() as session:
        snapshot = await _snapshot(session, source_id)
    if snapshot is None:
        return []  # removed meanwhile
    try:
        result = await gather(snapshot, fetcher or Fetcher(), now)
    except Exception:
        # A bug in extraction must not make the poll run again at once, forever: stored as a failure.
        log.exception("Polling agenda source %s failed", source_id)
        result = Result(error="internal error")
    async with sessions.write() as session, session.begin():
        return await store(session, source_id, result, now)


async def _snapshot(session: AsyncSession, source_id: int) -> Snapshot | None:
    source = await session.get(AgendaSource, source_id)
    if source is None:
        return None
    zone = await session.scalar(select(Workspace.timezone).where(Workspace.id == source.workspace_id))
    uids = await session.scalars(select(AgendaMeeting.uid).where(AgendaMeeting.source_id == source_id))
    return Snapshot(source.id, source.kind, source.url, source.etag, source.last_modified,
                    zone or "Europe/Stockholm", frozenset(uids))


async def gather(snapshot: Snapshot, fetcher: Fetcher, now: datetime) -> Result:
    """Fetch the source (conditionally) and the agenda PDFs of its new entries; extract what they say."""
    async with fetcher.client() as client:
        try:
            fetched = await fetcher.get(client, snapshot.url, now, etag=snapshot.etag,
                                        last_modified=snapshot.last_modified)
        except FetchError as error:
            return Result(error=error.reason, retry_at=error.retry_at)
        if fetched.not_modified:
            return Result(not_modified=True)
        result = Result(etag=fetched.etag, last_modified=fetched.last_modified)
        try:
            if snapshot.kind == FEED:
                entries = feeds.parse_feed(fetched.body, snapshot.url, snapshot.zone)
            elif snapshot.kind == CALENDAR:
                entries = calendars.parse_calendar(fetched.body, snapshot.zone)
            else:
                entries = []
                entry, notice = _pdf_entry(fetched.body, snapshot.url, snapshot.url, None, snapshot.zone)
                result.notice = notice
                if entry is not None:
                    result.found.append((entry, [FoundItem(n, t, snapshot.url) for n, t in entry.items]))
        except Unreadable as error:
            return Result(error=error.reason)
        budget = MAX_PDFS
        for entry in entries:
            items = [FoundItem(number, title, entry.link) for number, title in entry.items]
            if entry.uid not in snapshot.known_uids:
                links = entry.pdf_links[:MAX_PDFS]
                if len(links) > budget:
                    # Its agenda waits for the next poll, which must then read the feed again (no validators).
                    result.etag = result.last_modified = None
                    continue
                for link in links:
                    budget -= 1
                    try:
                        document = await fetcher.get(client, link, now)
                    except FetchError as error:
                        log.info("Agenda PDF of source %s not fetched: %s", snapshot.source_id, error.reason)
                        result.notice = f"PDF: {error.reason}"
                        continue
                    read, notice = _pdf_entry(document.body, link, entry.uid, entry.when, snapshot.zone)
                    result.notice = notice or result.notice
                    if read is not None:
                        entry = replace(entry, when=entry.when or read.when)
                        items += [FoundItem(number, title, link) for number, title in read.items]
            result.found.append((entry, items))
        return result


def _pdf_entry(data: bytes, link: str, uid: str, when: agenda.MeetingTime | None, zone: str
               ) -> tuple[Entry | None, str | None]:
    """An agenda PDF as an entry (its heading, the meeting date it names, its items), or why it gave none."""
    try:
        items, body = pdfs.agenda_items(data)
    except pdfs.NoTextLayer:
        return None, NO_TEXT_LAYER
    except pdfs.UnreadablePdf:
        return None, UNREADABLE_PDF
    heading = next((line for line in body.splitlines() if line.strip()), link)
    when = when or agenda.find_meeting_time(body[:3000], zone)
    return Entry(uid=uid, title=heading[:300], link=link, when=when, items=tuple(items)), None


async def store(session: AsyncSession, source_id: int, result: Result, now: datetime
                ) -> list[reminders.Planned]:
    """Write a poll's outcome: the polling state, new meetings and items, the next poll."""
    source = await session.get(AgendaSource, source_id)
    if source is None:
        return []
    source.last_polled_at = now
    planned: list[reminders.Planned] = []
    if result.error is not None:
        source.failures += 1
        source.last_error = result.error[:200]
        due = now + backoff(source.failures)
        if result.retry_at is not None:
            due = max(due, min(result.retry_at, now + MAX_RETRY_AFTER))
        log.info("Agenda source %s failed (%d in a row): %s", source.id, source.failures, result.error)
        if source.failures >= FAILURES_TOLD and source.failure_told_at is None:
            source.failure_told_at = now
            planned.append(reminders.Planned(
                Reply(body=text("watch.failing", source=Literal(source.url), failures=source.failures,
                                error=reason_text(source.last_error)), private=False),
                channel=Channel.COORDINATORS))
    else:
        source.failures = 0
        source.failure_told_at = None
        source.last_ok_at = now
        due = now + POLL_INTERVAL
        if not result.not_modified:
            source.last_error = result.notice
            source.etag = result.etag[:200] if result.etag else None
            source.last_modified = result.last_modified[:64] if result.last_modified else None
            added = await _store_found(session, source, result.found, now)
            if added:
                log.info("Agenda source %s: %d new items", source.id, added)
                await proposals.items_stored(session, source.workspace_id, now)
    await plan(session, source, due, now)
    # The source's fired polls of last week are of no more use.
    await session.execute(delete(Reminder).where(
        Reminder.workspace_id == source.workspace_id, Reminder.kind == KIND,
        Reminder.key.startswith(f"{KIND}:{source.id}:", autoescape=True),
        Reminder.status == reminders.FANNED_OUT, Reminder.due_at < now - TIDY_AFTER))
    return planned


async def _store_found(session: AsyncSession, source: AgendaSource,
                       found: Sequence[tuple[Entry, list[FoundItem]]], now: datetime) -> int:
    """Store the meetings (updated when they moved) and the items not stored before; return how many were."""
    zone = await session.scalar(select(Workspace.timezone).where(Workspace.id == source.workspace_id))
    tz = ZoneInfo(zone or "Europe/Stockholm")
    existing = {meeting.uid: meeting for meeting in await session.scalars(
        select(AgendaMeeting).where(AgendaMeeting.source_id == source.id))}
    added = 0
    for entry, items in found:
        meeting = existing.get(entry.uid)
        if entry.when is not None:
            if meeting is None:
                meeting = AgendaMeeting(
                    workspace_id=source.workspace_id, source_id=source.id, municipality=source.municipality,
                    body=source.body, committee=source.committee, uid=entry.uid, created_at=now)
                session.add(meeting)
                existing[entry.uid] = meeting
            meeting.starts_at, meeting.has_time = entry.when.starts_at, entry.when.has_time
            meeting.title, meeting.updated_at = entry.title, now
            meeting.url = entry.link[:300] if entry.link else None
            await session.flush()
        when = entry.when
        for item in items:
            day = when.starts_at.astimezone(tz).date() if when else None
            values = {
                "workspace_id": source.workspace_id, "source_id": source.id,
                "meeting_id": meeting.id if meeting is not None and when is not None else None,
                "municipality": source.municipality, "body": source.body, "committee": source.committee,
                "meeting_at": when.starts_at if when else None,
                "meeting_has_time": when.has_time if when else False,
                "title": item.title, "number": item.number[:32] if item.number else None,
                "link": item.link[:300] if item.link else None,
                "fingerprint": agenda.fingerprint(item.title, source.body, source.committee, day),
                "status": "new", "first_seen_at": now}
            inserted = cast(CursorResult[object], await session.execute(
                db.insert_or_ignore(session, AgendaItem, ("workspace_id", "fingerprint"), values)))
            added += inserted.rowcount or 0
    return added
