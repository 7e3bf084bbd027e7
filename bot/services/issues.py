"""Issues: the decisions the group wants to influence, their alerts, the calendar and the group's hashtags.

Creating an issue, or changing it materially, plans an alert due at once (a reminder row, so it is recorded
and survives a restart): it is posted in the announcement channel and sent to the followers of the
municipality, of one of its topics, or of the issue itself.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, not_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import contributions, delivery, ics, reminders, timeparse, validation
from bot.contributions import Feature, MemberData
from bot.errors import UserError
from bot.i18n import render
from bot.models import Ask, Issue, Member, Reminder, Workspace
from bot.replies import (
    Attachment,
    Channel,
    Field,
    Join,
    Link,
    Literal,
    PostToChannel,
    Reply,
    Text,
    When,
    more_than_shown,
    text,
)
from bot.services import asks, audience, civics, drafts, follows, media, stances
from bot.services.context import Actor, audit

log = logging.getLogger(__name__)

ALERT_KIND = "issues.alert"
# An alert that could not go out for three days (the bot was down) is skipped rather than sent stale.
ALERT_GRACE = timedelta(days=3)
# Changes that followers are told about; rewording the summary or our position is not one of them.
MATERIAL = ("title", "municipality", "body", "committee", "decision_at", "hashtag")
FIELD_NAMES = ("title", "summary", "municipality", "body", "committee", "decision", "hashtag", "position",
               "source", "topics", "ask_days")
CLEAR = "-"
LISTED = 25


class IssueStatus(StrEnum):
    """Which issues a list shows."""

    OPEN = "open"
    CLOSED = "closed"
    ALL = "all"


STATUS = validation.ChoiceSet(IssueStatus, "field.status", "issues.status")
STATUS_CHOICES = STATUS.choices

async def _changed(session: AsyncSession, issue: Issue, now: datetime) -> None:
    """Let the features that plan around an issue (the rounds of questions, the countdown) follow it."""
    await contributions.of(session).issue_changed(session, issue, now)


def _read(actor: Actor, values: Mapping[str, str | None]) -> dict[str, Any]:
    """Check the values given (None: not given), report every problem at once, and return model columns."""
    zone = actor.workspace.timezone

    def decision(raw: str) -> timeparse.Moment:
        try:
            return timeparse.parse_moment(raw, actor.now, zone)
        except UserError as error:
            raise validation.FieldProblem(text("field.decision"), error.text) from None

    def optional(read: Any) -> Any:
        return lambda raw: None if raw.strip() == CLEAR else read(raw)

    readers = {
        "title": lambda raw: validation.clean_text(raw, text("field.title"), max_length=100, required=True),
        "summary": lambda raw: validation.clean_text(
            raw, text("field.summary"), max_length=1000, required=True
        ),
        "municipality": lambda raw: civics.municipality(raw),
        "body": lambda raw: civics.BODY.read(raw, required=True),
        "committee": optional(
            lambda raw: validation.clean_text(raw, text("field.committee"), max_length=100)
        ),
        "decision": decision,
        "hashtag": drafts.normalize_hashtag,
        "position": lambda raw: validation.clean_text(
            raw, text("field.position"), max_length=1000, required=True
        ),
        "source": optional(lambda raw: validation.web_url(raw, text("field.source"))),
        "topics": lambda raw: [] if raw.strip() == CLEAR else civics.topics(raw),
        "ask_days": lambda raw: None if raw.strip() in ("", CLEAR) else asks.parse_ask_days(raw),
    }
    problems: list[validation.FieldProblem] = []
    columns: dict[str, Any] = {}
    for name, raw in values.items():
        try:
            value = readers[name]("" if raw is None else raw)  # a required field not given says so
        except validation.FieldProblem as problem:
            problems.append(problem)
            continue
        if name == "decision":
            columns["decision_at"], columns["decision_has_time"] = value.at, value.has_time
        elif name == "source":
            columns["source_url"] = value
        else:
            columns[name] = value
    validation.collect(problems)
    return columns


def _check_committee(body: str, committee: str | None) -> None:
    if body == civics.COMMITTEE_BODY and not committee:
        raise validation.FieldProblem(text("field.committee"), text("issues.committee_required"))


async def _schedule_alert(session: AsyncSession, issue: Issue, now: datetime, change: str,
                          changed: list[str]) -> None:
    await reminders.schedule(session, workspace_id=issue.workspace_id, kind=ALERT_KIND,
                             key=f"{ALERT_KIND}:{issue.id}:v{issue.version}", due_at=now, now=now,
                             payload={"issue_id": issue.id, "version": issue.version, "change": change,
                                      "changed": changed}, grace=ALERT_GRACE)


async def create(
    session: AsyncSession,
    actor: Actor,
    title: str | None = None,
    summary: str | None = None,
    municipality: str | None = None,
    body: civics.Body | None = None,
    decision: str | None = None,
    hashtag: str | None = None,
    position: str | None = None,
    source: str | None = None,
    committee: str | None = None,
    topics: str | None = None,
    ask_days: str | None = None,
) -> Reply:
    """Create an issue; followers get an alert, and the rounds of questions are planned."""
    actor.require_coordinator()
    columns = _read(actor, {"title": title, "summary": summary, "municipality": municipality, "body": body,
                            "decision": decision, "hashtag": hashtag, "position": position, "source": source,
                            "committee": committee, "topics": topics, "ask_days": ask_days})
    _check_committee(columns["body"], columns.get("committee"))
    issue = Issue(workspace_id=actor.workspace.id, status=civics.OPEN, version=1,
                  created_by_member_id=actor.member.id, created_at=actor.now, updated_at=actor.now, **columns)
    session.add(issue)
    await session.flush()
    audit(session, actor, "issue.created", issue_id=issue.id)
    await _schedule_alert(session, issue, actor.now, "created", [])
    await _changed(session, issue, actor.now)
    planned = await asks.planned_rounds(session, issue)
    count = await follows.follower_count(session, issue)
    log.info("Issue %s created in workspace %s", issue.id, actor.workspace.id)
    return Reply(
        title=text("issues.created.title", title=Literal(issue.title)),
        body=text("issues.created.body", count=count),
        fields=(
            *_fields(issue, actor.workspace.timezone),
            Field(text("issues.field.rounds"), _rounds_label(planned, actor.workspace.timezone)),
        ),
    )


async def edit(session: AsyncSession, actor: Actor, issue: str | None = None, **changes: str | None) -> Reply:
    """Change the fields given; a material change (time, body, place, title, hashtag) alerts the followers
    again."""
    actor.require_coordinator()
    validation.refuse_unknown_fields(changes, FIELD_NAMES)
    found = await civics.find_issue(session, actor.workspace.id, issue)
    if found.status != civics.OPEN:
        raise UserError("issues.closed_already", title=Literal(found.title))
    given = {name: value for name, value in changes.items() if value}  # None (or empty): not given
    if not given:
        raise UserError("issues.nothing_to_change")
    columns = _read(actor, given)
    _check_committee(columns.get("body", found.body), columns.get("committee", found.committee))
    changed = [name for name, value in columns.items() if getattr(found, name) != value]
    if not changed:
        return Reply(body=text("issues.unchanged", title=Literal(found.title)))
    for name in changed:
        setattr(found, name, columns[name])
    found.updated_at = actor.now
    material = [name for name in changed if name in MATERIAL]
    if material:
        found.version += 1
        await _schedule_alert(session, found, actor.now, "changed", material)
    audit(session, actor, "issue.edited", issue_id=found.id, changed=sorted(changed))
    await _changed(session, found, actor.now)
    planned = await asks.planned_rounds(session, found)
    return Reply(
        title=text("issues.edited.title", title=Literal(found.title)),
        body=text("issues.edited.alerted" if material else "issues.edited.quiet"),
        fields=(
            *_fields(found, actor.workspace.timezone),
            Field(text("issues.field.rounds"), _rounds_label(planned, actor.workspace.timezone)),
        ),
    )


async def close(
    session: AsyncSession, actor: Actor, issue: str | None = None, outcome: civics.Outcome | None = None,
    note: str | None = None
) -> Reply:
    """Close an issue with its outcome; no more questions go out about it, and the group is told."""
    actor.require_coordinator()
    found = await civics.find_issue(session, actor.workspace.id, issue)
    if found.status != civics.OPEN:
        raise UserError("issues.closed_already", title=Literal(found.title))
    values = validation.read_all(
        {
            "outcome": lambda: civics.OUTCOME.required(outcome),
            "note": lambda: validation.clean_text(note, text("field.note"), max_length=300),
        }
    )
    result, comment = values["outcome"], values["note"]
    found.status = civics.CLOSED
    found.outcome = result
    found.outcome_note = comment
    found.closed_at = found.updated_at = actor.now
    await _changed(session, found, actor.now)
    audit(session, actor, "issue.closed", issue_id=found.id, outcome=result)
    announcement = Reply(
        title=text("issues.closed.announcement", title=Literal(found.title)),
        body=text(f"issues.outcome.text.{result}"),
        fields=(Field(text("field.note"), Literal(comment)),) if comment else (),
        private=False,
    )
    return Reply(body=text("issues.closed.done", title=Literal(found.title),
                           outcome=text(f"issues.outcome.{result}")),
                 effects=(PostToChannel(Channel.ANNOUNCEMENTS, announcement),))


def _fields(issue: Issue, zone: str) -> tuple[Field, ...]:
    fields = [
        Field(text("field.municipality"), civics.municipality_label(issue.municipality), inline=True),
        Field(text("field.body"), civics.body_label(issue.body, issue.committee), inline=True),
        Field(text("field.decision"), civics.decision_when(issue, zone), inline=True),
        Field(text("field.hashtag"), Literal(issue.hashtag), inline=True),
    ]
    if issue.topics:
        fields.append(Field(text("field.topics"), civics.topics_label(issue.topics), inline=True))
    fields.append(Field(text("field.position"), Literal(issue.position)))
    if issue.source_url:
        fields.append(Field(text("field.source"), Literal(issue.source_url)))
    return tuple(fields)


def _rounds_label(planned: list[datetime], zone: str) -> Text | Join:
    if not planned:
        return text("asks.days.nothing_planned")
    return Join(tuple(When(at, zone, "short") for at in planned))


def alert_reply(issue: Issue, zone: str, change: str, changed: list[str]) -> Reply:
    """The alert about a new or changed issue, with buttons to follow it and to offer help."""
    fields = list(_fields(issue, zone))
    if changed:
        names = tuple(text(f"issues.changed.{name}") for name in changed)
        fields.insert(0, Field(text("issues.alert.field.changed"), Join(names)))
    title_key = "issues.alert.new" if change == "created" else "issues.alert.changed"
    return Reply(title=text(title_key, title=Literal(issue.title)), body=Literal(issue.summary),
                 fields=tuple(fields), buttons=follows.issue_buttons(issue.id),
                 links=(Link(text("issues.link.source"), issue.source_url),) if issue.source_url else (),
                 private=False)


async def _describe_alert(session: AsyncSession, reminder: Reminder) -> Text:
    """Name a skipped alert for the coordinators."""
    issue = await session.get(Issue, reminder.payload["issue_id"])
    workspace = await session.get_one(Workspace, reminder.workspace_id)
    return text(
        "issues.skipped.alert",
        title=Literal(issue.title if issue else f"#{reminder.payload['issue_id']}"),
        when=When(reminder.due_at, workspace.timezone, "short"),
    )


async def _plan_alert(session: AsyncSession, reminder: Reminder, now: datetime
                      ) -> list[reminders.Planned] | reminders.InBatches:
    """Alert the followers of an issue that changed: a DM to those who want one, a batch at a time (see
    reminders.InBatches), and a post in the channel that mentions the others."""
    issue = await session.get(Issue, reminder.payload["issue_id"])
    if issue is None or issue.status != civics.OPEN or issue.version != reminder.payload["version"]:
        return []  # closed meanwhile, or a newer alert about it follows
    workspace = await session.get_one(Workspace, issue.workspace_id)
    reply = alert_reply(issue, workspace.timezone, reminder.payload["change"], reminder.payload["changed"])
    issue_id, workspace_id = issue.id, issue.workspace_id
    following = follows.following(issue)
    # Planners decide who wants DMs (delivery.wants_dm, here in SQL); followers who did not allow them are
    # mentioned in the channel post.
    wants = delivery.wants_dm_clause(now)
    of_followers = (Member.workspace_id == workspace_id, Member.onboarded_at.is_not(None),
                    Member.id.in_(following))
    dms = 0

    async def batch(reader: AsyncSession, after: int) -> tuple[list[reminders.Planned], int | None]:
        nonlocal dms
        planned = []
        if after == 0:
            # The post first, mentioning the first MAX_MENTIONS of those not reached by DM.
            mentioned = await delivery.channel_mentions(reader, (*of_followers, not_(wants)),
                                                        "Alert for issue %s", issue_id)
            planned.append(reminders.Planned(dataclasses.replace(reply, mentions=mentioned),
                                             channel=Channel.ANNOUNCEMENTS))
        by_dm = list(await reader.scalars(select(Member.id).where(*of_followers, wants, Member.id > after)
                                          .order_by(Member.id).limit(reminders.BATCH)))
        planned += [reminders.Planned(reply, member_id=member_id, channel=Channel.ANNOUNCEMENTS)
                    for member_id in by_dm]
        dms += len(by_dm)
        if len(by_dm) == reminders.BATCH:
            return planned, by_dm[-1]
        log.info("Alert for issue %s: %d DMs", issue_id, dms)
        return planned, None

    return reminders.InBatches(batch)


async def list_issues(
    session: AsyncSession, actor: Actor, status: IssueStatus | None = None, municipality: str | None = None
) -> Reply:
    """List the issues: open ones by the soonest decision, or closed ones, in a municipality when given."""
    wanted = status or IssueStatus.OPEN
    query = select(Issue).where(Issue.workspace_id == actor.workspace.id)
    if wanted != "all":
        query = query.where(Issue.status == wanted)
    place = civics.municipality(municipality, required=False)
    if place:
        query = query.where(Issue.municipality == place)
    order = (Issue.decision_at, Issue.id) if wanted == "open" else (Issue.decision_at.desc(), Issue.id)
    rows = list(await session.scalars(query.order_by(*order)))
    if not rows:
        return Reply(body=text("issues.none"))
    zone = actor.workspace.timezone
    lines = tuple(text("issues.line", id=i.id, title=Literal(i.title),
                       municipality=civics.municipality_label(i.municipality),
                       body=civics.body_label(i.body, i.committee),
                       when=civics.decision_when(i, zone, "short"),
                       hashtag=Literal(i.hashtag),
                       status=text("issues.line.closed", outcome=text(f"issues.outcome.{i.outcome}"))
                       if i.status == civics.CLOSED else "")
                  for i in rows[:LISTED])
    return Reply(title=text("issues.title", count=len(rows)),
                 body=text("issues.body", lines=Join(lines, "\n", "• "),
                           more=more_than_shown("issues.more", len(rows), LISTED)))


async def show(session: AsyncSession, actor: Actor, issue: str | None = None) -> Reply:
    """Show an issue; coordinators also see its followers, helpers and questions asked."""
    found = await civics.find_issue(session, actor.workspace.id, issue)
    zone = actor.workspace.timezone
    fields = list(_fields(found, zone))
    if found.status == civics.CLOSED:
        fields.insert(0, Field(text("field.status"), text("issues.line.closed",
                                                          outcome=text(f"issues.outcome.{found.outcome}"))))
        if found.outcome_note:
            fields.insert(1, Field(text("field.note"), Literal(found.outcome_note)))
    if actor.is_coordinator:
        helpers = await follows.helpers(session, found)
        asked = await session.scalar(select(func.count(Ask.id)).where(Ask.issue_id == found.id,
                                                                      Ask.asked_at.is_not(None)))
        fields += [
            Field(
                text("issues.field.followers"),
                Literal(str(await follows.follower_count(session, found))),
                inline=True,
            ),
            Field(text("issues.field.asked"), Literal(str(asked or 0)), inline=True),
            Field(
                text("issues.field.helpers"),
                Join(tuple(Literal(m.display_name) for m in helpers)) if helpers else text("profile.empty"),
            ),
            Field(text("issues.field.rounds"), _rounds_label(await _pending_rounds(session, found), zone)),
        ]
    return Reply(title=text("issues.show.title", id=found.id, title=Literal(found.title)),
                 body=Literal(found.summary), fields=tuple(fields),
                 buttons=follows.issue_buttons(found.id) if found.status == civics.OPEN else (),
                 links=(Link(text("issues.link.source"), found.source_url),) if found.source_url else ())


async def _pending_rounds(session: AsyncSession, issue: Issue) -> list[datetime]:
    return list(await session.scalars(select(Reminder.due_at).where(
        Reminder.workspace_id == issue.workspace_id, Reminder.kind == asks.ASK_KIND,
        Reminder.key.startswith(asks.round_key_prefix(issue), autoescape=True),
        Reminder.status == reminders.PENDING)
        .order_by(Reminder.due_at)))


async def open_issues(session: AsyncSession, workspace_id: int) -> list[Issue]:
    """The workspace's open issues, the soonest decision first (the calendar, the hashtags, the campaign
    board)."""
    return list(await session.scalars(select(Issue).where(Issue.workspace_id == workspace_id,
                                                          Issue.status == civics.OPEN)
                                      .order_by(Issue.decision_at, Issue.id)))


async def calendar(session: AsyncSession, actor: Actor) -> Reply:
    """Send the open issues' decision dates as a calendar file (.ics) to import or subscribe to."""
    rows = await open_issues(session, actor.workspace.id)
    language = actor.language
    zone = actor.workspace.timezone
    events = []
    for issue in rows:
        # A decision without a known time is an all-day event on its date.
        start = (
            issue.decision_at
            if issue.decision_has_time
            else issue.decision_at.astimezone(ZoneInfo(zone)).date()
        )
        body = render(civics.body_label(issue.body, issue.committee), language)
        place = render(civics.municipality_label(issue.municipality), language)
        description = render(text("issues.ics.description", summary=Literal(issue.summary),
                                  position=Literal(issue.position), hashtag=Literal(issue.hashtag)), language)
        events.append(
            ics.Event(
                uid=f"issue-{issue.id}-{actor.workspace.platform}-{actor.workspace.external_id}@jobbskaparna",
                start=start,
                summary=render(text("issues.ics.summary", title=Literal(issue.title), body=body), language),
                description=description,
                location=f"{body}, {place}",
                url=issue.source_url,
                sequence=issue.version - 1,
                last_modified=issue.updated_at,
            )
        )
    name = render(
        text("issues.ics.name", workspace=Literal(actor.workspace.name or "Jobbskaparna")), language
    )
    data = ics.calendar(name, events, actor.now)
    return Reply(body=text("issues.calendar.body", count=len(events)),
                 files=(Attachment("jobbskaparna-beslut.ics", data),))


def ready_text(found: Issue, handles: Sequence[str], zone: str, language: str) -> str:
    """The ready text to copy for an issue's hashtag: it fits X and its X button; media beyond the first two
    give way, then the title's last words, then the prose, never the hashtag or a handle that stays."""
    outlets = ["@" + h for h in handles]

    def build(title: str) -> str:
        ready = text("hashtag.ready.issue", title=Literal(title),
                     municipality=civics.municipality_label(found.municipality),
                     body=civics.body_label(found.body, found.committee),
                     date=When(found.decision_at, zone, "date"),
                     hashtag=Literal(found.hashtag), media=Literal(" ".join(outlets)))
        return " ".join(render(ready, language).split())

    return drafts.give_way(build, found.title, outlets)


async def hashtags(session: AsyncSession, actor: Actor, issue: str | None = None) -> Reply:
    """Show the group's hashtags with a ready text to copy; for one issue, with share links."""
    zone = actor.workspace.timezone
    if issue:
        found = await civics.find_issue(session, actor.workspace.id, issue)
        handles = await media.handles_for(session, actor.workspace.id, found.municipality)
        # The ready text is to be posted, for the town to read: in its language (see services.audience).
        readers = actor.audience_language
        post = ready_text(found, handles, zone, readers)
        return audience.explained(Reply(title=text("hashtag.issue.title", hashtag=Literal(found.hashtag)),
                                        fields=(Field(text("hashtag.field.ready"), Literal(post)),),
                                        links=drafts.share_links(post, url=found.source_url)),
                                  actor.language, readers)
    rows = await open_issues(session, actor.workspace.id)
    if not rows:
        return Reply(body=text("hashtag.none"))
    tags: list[str] = []
    for found in rows:
        if found.hashtag.lower() not in (t.lower() for t in tags):
            tags.append(found.hashtag)
    lines = tuple(text("hashtag.line", hashtag=Literal(i.hashtag), title=Literal(i.title),
                       when=civics.decision_when(i, zone, "short")) for i in rows)
    # The ready text is to be posted, for the town to read: in its language (see services.audience).
    ready = render(text("hashtag.ready.all", hashtags=Literal(" ".join(tags))), actor.audience_language)
    return audience.explained(Reply(title=text("hashtag.title"), body=Join(lines, "\n", "• "),
                                    fields=(Field(text("hashtag.field.ready"), Literal(ready)),)),
                              actor.language, actor.audience_language)


async def choices(session: AsyncSession, workspace_id: int, current: str, *, open_only: bool = True
                  ) -> list[tuple[str, str]]:
    """Suggest issues whose title contains what was typed, soonest decision first, as (label, id) pairs."""
    query = select(Issue).where(Issue.workspace_id == workspace_id)
    if open_only:
        query = query.where(Issue.status == civics.OPEN)
    wanted = civics.name_key(current)
    rows = await session.scalars(query.order_by(Issue.decision_at, Issue.id))
    return [(f"#{i.id} {i.title}"[:100], str(i.id)) for i in rows
            if not wanted or wanted in civics.name_key(i.title) or wanted == str(i.id)][:25]


async def open_issue_contexts(session: AsyncSession, workspace_id: int, municipality: str | None
                              ) -> list[drafts.IssueContext]:
    """The open issues for drafts, soonest decision first, in one statement; whom to ask and which media to
    ping come from issue_targets, for the issues a draft names."""
    query = select(Issue).where(Issue.workspace_id == workspace_id, Issue.status == civics.OPEN)
    if municipality:
        query = query.where(Issue.municipality == municipality)
    return [drafts.IssueContext(
        id=issue.id, title=issue.title, municipality=issue.municipality, hashtag=issue.hashtag,
        decision_at=issue.decision_at, position=issue.position, source_url=issue.source_url, body=issue.body,
        committee=issue.committee, topics=tuple(issue.topics or ()))
        for issue in await session.scalars(query.order_by(Issue.decision_at, Issue.id))]


async def issue_targets(session: AsyncSession, workspace_id: int, contexts: Sequence[drafts.IssueContext]
                        ) -> list[drafts.IssueContext]:
    """Fill in whom to ask (the map's priority targets) and which media to ping for each issue, in five
    statements whatever their number."""
    if not contexts:
        return []
    rows = list(await session.scalars(select(Issue).where(
        Issue.workspace_id == workspace_id, Issue.id.in_(sorted({c.id for c in contexts})))))
    models = await stances.build_models(session, rows)
    handles = await media.handles_by_municipality(session, workspace_id, [row.municipality for row in rows])
    found = []
    for context in contexts:
        if context.id not in models:
            found.append(context)
            continue
        priority = models[context.id].priority
        found.append(dataclasses.replace(
            context, target_handles=tuple(r.handle for r in priority if r.handle),
            target_names=tuple(r.name for r in priority),
            handle_names=tuple(r.name for r in priority if r.handle),
            media_handles=tuple(handles.get(context.municipality, ()))))
    return found


async def _export_created(session: AsyncSession, member: Member) -> list[dict[str, Any]]:
    rows = await session.scalars(select(Issue).where(Issue.created_by_member_id == member.id)
                                 .order_by(Issue.id))
    return [{"id": i.id, "title": i.title, "created_at": i.created_at.isoformat()} for i in rows]


async def _erase_created(session: AsyncSession, member: Member) -> None:
    """The group's issues stay; who created them goes with the member row (SET NULL)."""


FEATURE = Feature(
    "issues",
    planners={ALERT_KIND: _plan_alert},
    describers={ALERT_KIND: _describe_alert},
    issue_sources=(open_issue_contexts,),
    issue_targets=(issue_targets,),
    member_data=(MemberData("issues_created", _export_created, _erase_created,
                            covers=("issue.created_by_member_id",)),),
    impersonal={"issue.topics": "the issue's topics, chosen from the bot's list"},
)
