"""/report: what the group did in a date range, as text and CSV files, and who could not be reached.

For the coordinators, and the federation they report to: actions by kind, stories, pledges, new members and
coaching steps; the actions, stories and pledges as CSV files (Excel in Sweden opens them as they are); the
members the bot could not reach (DMs closed, deliveries that failed), so a coordinator can reach them another
way; and what the bot could not deliver, by kind of message and with the reason, also as a CSV file of its
own.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import csvexport, delivery, i18n, timeparse, validation
from bot.errors import UserError
from bot.i18n import render
from bot.models import Action, Delivery, Issue, Member, Pledge, Politician
from bot.replies import (
    Attachment,
    Field,
    Join,
    Literal,
    Mention,
    Renderable,
    Reply,
    Text,
    When,
    more_than_shown,
    text,
)
from bot.services import activity, digest, failures, stories
from bot.services.context import Actor, audit

log = logging.getLogger(__name__)

PLEDGE_STATUSES = ("made", "kept", "not_kept")
UNREACHED_SHOWN = 25
MAX_DAYS = 3 * 366


def _day(raw: str, label: Text, today: date, *, is_end: bool = False, start: date | None = None) -> date:
    """Read a day of the range, naming the field when it cannot be read. The start must have come; the end
    may lie ahead (a report up to Friday, asked on Wednesday), and without a year it is the first such day on
    or after the start."""
    try:
        return timeparse.parse_date(raw, today, future=is_end, on_or_after=start)
    except UserError as error:
        problem = (
            text("report.errors.future", value=raw.strip()[:40])
            if error.text.key == "time.future_date"
            else error.text
        )
        raise validation.FieldProblem(label, problem) from None


def _range(actor: Actor, start: str | None, end: str | None) -> tuple[date, date]:
    """Read the range: from the first of the month up to today unless given; refuse one that ends before it
    starts."""
    today = actor.today
    read: dict[str, date | None] = {}  # the start, once read: a yearless end is the first such day after it

    def read_start() -> date | None:
        read["from"] = _day(start, text("report.field.from"), today) if start and start.strip() else None
        return read["from"]

    days = validation.read_all({
        "from": read_start,
        "to": lambda: _day(end, text("report.field.to"), today, is_end=True, start=read.get("from"))
        if end and end.strip() else today,
    })
    last: date = days["to"]
    # Without a start, the month the report ends in; one that ends ahead starts with this month.
    first: date = days["from"] or min(last, today).replace(day=1)
    if last < first:
        raise UserError("report.errors.range", start=first.isoformat(), end=last.isoformat())
    if (last - first).days > MAX_DAYS:
        raise UserError("report.errors.too_long", years=3)
    return first, last


def _label(key: str, value: str) -> Renderable:
    """A catalog label for a stored value, or the value itself when the catalog has none (a newer kind)."""
    return text(key) if i18n.has(key) else Literal(value)


async def report(
    session: AsyncSession, actor: Actor, start: str | None = None, end: str | None = None
) -> Reply:
    """Report a date range: a summary, the actions, stories and pledges as CSV, and who could not be
    reached."""
    actor.require_coordinator()
    first, last = _range(actor, start, end)
    workspace = actor.workspace
    zone, language = workspace.timezone, actor.language
    since = activity.day_start(first, zone)
    until = activity.day_start(last + timedelta(days=1), zone)
    found = await digest.figures(session, workspace, since, until)

    # The columns the CSV file shows, not ORM rows (a member row would bring its workspace along).
    actions = (await session.execute(
        select(Action.created_at, Member.display_name, Action.kind, Action.status, Issue.title,
               Politician.name, Action.channel, Action.link, Action.source)
        .join(Member, Member.id == Action.member_id)
        .outerjoin(Issue, Issue.id == Action.issue_id)
        .outerjoin(Politician, Politician.id == Action.politician_id)
        .where(Action.workspace_id == workspace.id, Action.created_at >= since, Action.created_at < until)
        .order_by(Action.created_at, Action.id))).all()
    shared = await stories.stories_in(session, workspace.id, audience=stories.GROUP, since=since, until=until)
    pledges = (await session.execute(
        select(Pledge, Member, Issue.title).join(Member, Member.id == Pledge.member_id)
        .join(Issue, Issue.id == Pledge.issue_id)
        .where(Pledge.workspace_id == workspace.id, Pledge.created_at >= since, Pledge.created_at < until)
        .order_by(Pledge.created_at, Pledge.id))).all()
    unreached = await _unreached(session, workspace.id, since, until)
    undelivered = await failures.summary(session, workspace, since, until)

    def r(item: Renderable) -> str:
        return render(item, language)

    tz = ZoneInfo(zone)

    def local(at: datetime) -> str:
        # "2026-11-03 18:00": isoformat is C all through, strftime ten times slower (a row a call).
        return at.astimezone(tz).isoformat(" ", "minutes")[:16]

    kinds = {kind: r(activity.kind_label(kind)) for kind in {kind for _, _, kind, *_ in actions}}
    statuses = {status: r(text(f"activity.status.{status}")) for status in {row[3] for row in actions}}
    # How a contact was made ("📞 telefon"); blank for an action that was no contact with a politician.
    channels = {channel: r(activity.channel_label(channel)) if channel else ""
                for channel in {row[6] for row in actions}}
    pledge_rows = [
        [
            local(p.created_at),
            m.display_name,
            title,
            r(_label(f"report.pledge.kind.{p.kind}", p.kind)),
            p.stage,
            r(_label(f"report.pledge.status.{p.status}", p.status)),
            local(p.kept_at) if p.kept_at else "",
        ]
        for p, m, title in pledges
    ]
    counts = await stories.applause_counts(session, [story.id for story, _ in shared])
    stamp = f"{first.isoformat()}_{last.isoformat()}"

    def header(name: str, columns: Sequence[str]) -> list[str]:
        return [r(text(f"report.csv.{name}.{column}")) for column in columns]

    def actions_csv() -> bytes:
        return csvexport.table(
            header("actions", ("date", "member", "kind", "status", "issue", "politician", "channel", "link",
                               "source")),
            ([local(at), name, kinds[kind], statuses[status], title or "", politician or "",
              channels[channel], link or "", source or ""]
             for at, name, kind, status, title, politician, channel, link, source in actions))

    # The period's actions are the bulk of a report (tens of thousands of rows in a federation's month): their
    # file is written in a thread, so the event loop goes on answering others meanwhile.
    files = [
        Attachment(f"{r(text('report.file.actions'))}_{stamp}.csv", await asyncio.to_thread(actions_csv)),
        Attachment(f"{r(text('report.file.stories'))}_{stamp}.csv",
                   stories.csv_file(shared, counts, stories.GROUP, language, zone)),
        Attachment(f"{r(text('report.file.pledges'))}_{stamp}.csv", csvexport.table(
            header("pledges", ("date", "member", "issue", "kind", "stage", "status", "kept")), pledge_rows)),
    ]
    if unreached:
        files.append(
            Attachment(
                f"{r(text('report.file.unreached'))}_{stamp}.csv",
                csvexport.table(
                    header("unreached", ("member", "dm_closed", "failed", "x_handle", "linkedin")),
                    [
                        [
                            r(m.named),
                            r(text("common.yes" if not m.dm_open else "common.no")),
                            failed,
                            m.x_handle or "",
                            m.linkedin_url or "",
                        ]
                        for m, failed in unreached
                    ],
                ),
            )
        )
    if undelivered:
        files.append(Attachment(f"{r(text('report.file.failures'))}_{stamp}.csv", csvexport.table(
            header("failures", ("date", "kind", "target", "status", "reason")),
            [[local(f.at), r(f.kind), r(f.target), r(f.status), r(f.reason)]
             for f in await failures.listed(session, workspace, since, until)])))
    audit(session, actor, "report.made", start=first.isoformat(), end=last.isoformat())
    log.info("Report %s–%s made in workspace %s", first, last, workspace.id)
    pledge_counts = Counter(p.status for p, _, _ in pledges)
    return Reply(
        title=text("report.title", period=digest.period_text(since, until, zone)),
        body=text("report.body"),
        fields=(
            # The days as read, as timestamps (a title cannot show them), so a typed range is confirmed.
            Field(text("report.field.period"), text(
                "report.period", start=When(timeparse.day_moment(first, zone), zone, "date"),
                end=When(timeparse.day_moment(last, zone), zone, "date"))),
            digest.actions_field(found),
            Field(
                text("report.stories.title", count=len(shared)),
                text(
                    "report.stories.counts",
                    public=found.public_stories,
                    featured=sum(1 for story, _ in shared if story.featured_at is not None),
                ),
            ),
            Field(
                text("report.pledges.title", count=len(pledges)),
                Join(
                    tuple(
                        text(
                            "report.pledges.line",
                            status=_label(f"report.pledge.status.{status}", status),
                            count=pledge_counts[status],
                        )
                        for status in PLEDGE_STATUSES
                        if pledge_counts[status]
                    ),
                    separator="\n",
                )
                if pledges
                else text("digest.none"),
            ),
            digest.members_field(found),
            digest.steps_field(found),
            _unreached_field(unreached),
            failures.field(undelivered),
        ),
        files=tuple(files),
    )


@dataclass(frozen=True)
class _Unreached:
    """What the report shows of a member it could not reach (their columns, not a whole member row)."""

    display_name: str
    external_id: str
    dm_open: bool
    x_handle: str | None
    linkedin_url: str | None

    @property
    def named(self) -> Renderable:
        """Their name; someone who has not consented has none stored (their welcome may not have reached
        them), and is mentioned instead."""
        return Literal(self.display_name) if self.display_name else Mention("user", self.external_id)


async def _unreached(session: AsyncSession, workspace_id: int, since: object, until: object
                     ) -> list[tuple[_Unreached, int]]:
    """Members whose DMs are closed, or to whom a delivery failed in the range, with how many failed.

    One query: the failures are counted per member in a subquery (on the delivery's (workspace, status,
    created_at) index) and joined, so no list of member ids travels as parameters.
    """
    failed = (select(Delivery.member_id.label("member_id"), func.count().label("failed"))
              .where(Delivery.workspace_id == workspace_id, Delivery.member_id.is_not(None),
                     Delivery.status.in_((delivery.UNREACHABLE, delivery.FAILED)),
                     Delivery.created_at >= since, Delivery.created_at < until)
              .group_by(Delivery.member_id).subquery())
    rows = await session.execute(
        select(Member.display_name, Member.external_id, Member.dm_open, Member.x_handle, Member.linkedin_url,
               func.coalesce(failed.c.failed, 0))
        .outerjoin(failed, failed.c.member_id == Member.id)
        .where(Member.workspace_id == workspace_id,
               or_(Member.dm_open.is_(False), failed.c.failed.is_not(None)))
        .order_by(Member.display_name, Member.id))
    return [(_Unreached(name, external_id, dm_open, x_handle, linkedin), count)
            for name, external_id, dm_open, x_handle, linkedin, count in rows]


def _unreached_field(unreached: Sequence[tuple[_Unreached, int]]) -> Field:
    if not unreached:
        return Field(text("report.unreached.title", count=0), text("report.unreached.none"))
    lines = []
    for member, failed in unreached[:UNREACHED_SHOWN]:
        reasons: list[Text] = []
        if not member.dm_open:
            reasons.append(text("report.unreached.dm_closed"))
        if failed:
            reasons.append(text("report.unreached.failed", count=failed))
        ways = [f"@{member.x_handle}" if member.x_handle else "", member.linkedin_url or ""]
        lines.append(text("report.unreached.line", name=member.named,
                          reasons=Join(tuple(reasons), separator="; "),
                          ways=text("report.unreached.ways", ways=Literal(", ".join(w for w in ways if w)))
                          if any(ways) else ""))
    more = more_than_shown("digest.more", len(unreached), UNREACHED_SHOWN)
    if isinstance(more, Text):  # "" when nothing was cut
        lines.append(more)
    return Field(text("report.unreached.title", count=len(unreached)), Join(tuple(lines), separator="\n"))
