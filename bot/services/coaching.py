"""Coaching: a ladder from the first tweet to the first blog post, with drafts, feedback and weekly nudges.

Every step says what it brings the member's business, in their trade and town; drafts come from the coach's
templates, or from the model when the App has one (the model is asked before anything is written, so a slow
model holds no write lock). Buttons never wait for the model: Discord wants their answer within 3 seconds.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import delivery, reminders, validation
from bot.actions import action, form, opens_form
from bot.coach import BlogPlan, Brief, CoachModel, chart, rules, templates
from bot.errors import UserError
from bot.i18n import render
from bot.models import CoachingConfig, CoachingMember, CoachingProgress, CoachingStep, Member, Reminder, Workspace
from bot.replies import (
    Attachment,
    Button,
    ButtonStyle,
    Channel,
    Field,
    Form,
    FormField,
    Join,
    Link,
    Literal,
    Renderable,
    Reply,
    Text,
    When,
    text,
)
from bot.services import drafts, mydata
from bot.services.context import Actor, audit
from bot.services.profile_fields import choice_label

log = logging.getLogger(__name__)

# The default ladder, in order: (key, kind). A workspace's coordinators may reorder, edit, add and retire steps.
DEFAULT_LADDER = (("intro", "tweet"), ("follow", "follow"), ("ask", "question"), ("blog", "blog"),
                  ("media", "media"), ("story", "story"))
DEFAULT_KEYS = frozenset(key for key, _ in DEFAULT_LADDER)
KINDS = ("tweet", "follow", "question", "blog", "media", "story")
DEFAULT_HASHTAG = "#BlekingeFöretagare"
DEFAULT_WEEKDAY = 1  # Monday
DEFAULT_HOUR = 9

WEEKLY_KIND = "coaching.weekly"
# A nudge for a week the bot slept through is not sent days late; the next week's is planned as usual.
STALE_NUDGE = timedelta(days=2)

DONE_ACTION = "coaching.done"
DONE_LINK_ACTION = "coaching.done_link"
NEXT_ACTION = "coaching.next"
UNDO_ACTION = "coaching.undo"
PAUSE_ACTION = "coaching.pause"
RESUME_ACTION = "coaching.resume"
DONE_FORM = "coaching.done"

MAX_TOPIC = 100
MAX_TEXT = 2000
MAX_ISSUES_LISTED = 5
MAX_FOLLOW_LINKS = 5
BAR_WIDTH = 10
STEP_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
WEEKDAY_NAMES = {
    1: ("mandag", "monday", "man", "mon"), 2: ("tisdag", "tuesday", "tis", "tue"),
    3: ("onsdag", "wednesday", "ons", "wed"), 4: ("torsdag", "thursday", "tor", "thu"),
    5: ("fredag", "friday", "fre", "fri"), 6: ("lordag", "saturday", "lor", "sat"),
    7: ("sondag", "sunday", "son", "sun"),
}
KIND_ALIASES = {"följa": "follow", "folja": "follow", "fråga": "question", "fraga": "question", "blogg": "blog",
                "berättelse": "story", "berattelse": "story"}


# -- the ladder -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """A rung of the ladder as members see it: the stored row, or a default not yet stored."""

    key: str
    kind: str
    position: int
    active: bool = True
    title: str | None = None
    why: str | None = None
    example: str | None = None

    @property
    def custom(self) -> bool:
        """Tell whether a coordinator wrote any of the step's texts."""
        return bool(self.title or self.why or self.example) or self.key not in DEFAULT_KEYS

    def title_text(self) -> Text | Literal:
        """Return the step's title: the coordinator's, or the catalog's."""
        return Literal(self.title) if self.title else text(f"coaching.step.{self.key}.title")

    def why_text(self, params: Mapping[str, Any]) -> Text | Literal:
        """Return why the step matters for the member's business."""
        return Literal(self.why) if self.why else text(f"coaching.step.{self.key}.why", **params)

    def example_text(self, params: Mapping[str, Any]) -> Text | Literal:
        """Return an example of the step done."""
        return Literal(self.example) if self.example else text(f"coaching.step.{self.key}.example", **params)


def _step(row: CoachingStep) -> Step:
    return Step(row.key, row.kind, row.position, row.active, row.title, row.why, row.example)


def _default_steps() -> list[Step]:
    return [Step(key, kind, number) for number, (key, kind) in enumerate(DEFAULT_LADDER, 1)]


async def ladder(session: AsyncSession, workspace_id: int) -> list[Step]:
    """Return the workspace's whole ladder in order (retired steps too); the default one until it is stored."""
    rows = list(await session.scalars(select(CoachingStep).where(CoachingStep.workspace_id == workspace_id)
                                      .order_by(CoachingStep.position, CoachingStep.id)))
    return [_step(row) for row in rows] if rows else _default_steps()


async def _stored_ladder(session: AsyncSession, workspace_id: int, now: datetime) -> list[CoachingStep]:
    """Return the ladder's rows, storing the default ladder first when the workspace has none."""
    rows = list(await session.scalars(select(CoachingStep).where(CoachingStep.workspace_id == workspace_id)
                                      .order_by(CoachingStep.position, CoachingStep.id)))
    if rows:
        return rows
    rows = [CoachingStep(workspace_id=workspace_id, key=step.key, kind=step.kind, position=step.position, active=True,
                         created_at=now, updated_at=now) for step in _default_steps()]
    session.add_all(rows)
    await session.flush()
    return rows


async def _done(session: AsyncSession, member_id: int) -> dict[str, CoachingProgress]:
    """Return the member's finished steps by step key."""
    rows = await session.execute(select(CoachingStep.key, CoachingProgress)
                                 .join(CoachingProgress, CoachingProgress.step_id == CoachingStep.id)
                                 .where(CoachingProgress.member_id == member_id))
    return {key: progress for key, progress in rows}


async def _done_by_member(session: AsyncSession, workspace_id: int) -> dict[int, set[str]]:
    """Return the keys of the finished steps of every member of a workspace, in one query."""
    finished: dict[int, set[str]] = defaultdict(set)
    rows = await session.execute(select(CoachingProgress.member_id, CoachingStep.key)
                                 .join(CoachingStep, CoachingStep.id == CoachingProgress.step_id)
                                 .where(CoachingProgress.workspace_id == workspace_id))
    for member_id, key in rows:
        finished[member_id].add(key)
    return finished


def _position(steps: Sequence[Step], done: Mapping[str, Any] | set[str]) -> tuple[list[Step], int, Step | None]:
    """Return the active steps, how many of them are done, and the first one not done (None at the top)."""
    active = [s for s in steps if s.active]
    finished = sum(1 for s in active if s.key in done)
    current = next((s for s in active if s.key not in done), None)
    return active, finished, current


def bar(done: int, total: int) -> str:
    """Draw progress as a bar of ten blocks."""
    filled = round(BAR_WIDTH * done / total) if total else 0
    return "█" * filled + "░" * (BAR_WIDTH - filled)


# -- settings ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CoachingSettings:
    """A workspace's coaching settings, stored or default."""

    hashtag: str = DEFAULT_HASHTAG
    weekday: int = DEFAULT_WEEKDAY
    hour: int = DEFAULT_HOUR
    nudges: bool = True


async def settings_of(session: AsyncSession, workspace_id: int) -> CoachingSettings:
    """Return the workspace's coaching settings (the defaults until a coordinator changes them)."""
    row = await session.get(CoachingConfig, workspace_id)
    if row is None:
        return CoachingSettings()
    return CoachingSettings(row.hashtag, row.nudge_weekday, row.nudge_hour, row.nudges_enabled)


async def _config(session: AsyncSession, workspace_id: int, now: datetime) -> CoachingConfig:
    row = await session.get(CoachingConfig, workspace_id)
    if row is None:
        defaults = CoachingSettings()
        row = CoachingConfig(workspace_id=workspace_id, hashtag=defaults.hashtag, nudge_weekday=defaults.weekday,
                             nudge_hour=defaults.hour, nudges_enabled=defaults.nudges, created_at=now,
                             updated_at=now)
        session.add(row)
        await session.flush()
    return row


# -- the weekly nudge's schedule --------------------------------------------------------------------------------


async def _plan_nudges(session: AsyncSession, workspace: Workspace, settings: CoachingSettings, now: datetime
                       ) -> datetime | None:
    """Make sure exactly one weekly nudge is pending (none when nudges are off); return when it falls due."""
    return await reminders.keep_weekly(session, workspace_id=workspace.id, zone=workspace.timezone,
                                       kind=WEEKLY_KIND, enabled=settings.nudges, weekday=settings.weekday,
                                       hour=settings.hour, now=now)


# -- streaks ----------------------------------------------------------------------------------------------------

# Where activity comes from: (session, workspace id, member ids) -> [(member id, when)]. Coaching feeds the
# steps members finish; other features (actions, stories) register their own source, and their activity counts.
ActivitySource = Callable[[AsyncSession, int, Sequence[int]], Awaitable[list[tuple[int, datetime]]]]
_activity_sources: list[ActivitySource] = []


def activity_source(fn: ActivitySource) -> ActivitySource:
    """Register a feature's activity (something a member did, and when) so that it counts for streaks."""
    _activity_sources.append(fn)
    return fn


@activity_source
async def _steps_done(session: AsyncSession, workspace_id: int, member_ids: Sequence[int]
                      ) -> list[tuple[int, datetime]]:
    rows = await session.execute(select(CoachingProgress.member_id, CoachingProgress.done_at).where(
        CoachingProgress.workspace_id == workspace_id, CoachingProgress.member_id.in_(member_ids)))
    return [(member_id, done_at) for member_id, done_at in rows]


def _iso_week(day: date) -> tuple[int, int]:
    year, week, _ = day.isocalendar()
    return year, week


async def streaks(session: AsyncSession, workspace: Workspace, member_ids: Sequence[int], now: datetime
                  ) -> dict[int, int]:
    """Count, per member, the ISO weeks in a row (in the workspace's zone) with at least one activity.

    The current week keeps the streak alive while it lasts: a streak ends only when a whole week went by empty.
    """
    if not member_ids:
        return {}
    tz = ZoneInfo(workspace.timezone)
    weeks: dict[int, set[tuple[int, int]]] = defaultdict(set)
    for source in _activity_sources:
        for member_id, at in await source(session, workspace.id, member_ids):
            weeks[member_id].add(_iso_week(at.astimezone(tz).date()))
    today = now.astimezone(tz).date()
    result = {}
    for member_id in member_ids:
        active = weeks.get(member_id, set())
        day = today if _iso_week(today) in active else today - timedelta(days=7)
        count = 0
        while _iso_week(day) in active:
            count += 1
            day -= timedelta(days=7)
        result[member_id] = count
    return result


def streak_text(weeks: int) -> Text:
    """Say how many weeks in a row the member has been active."""
    if weeks == 0:
        return text("coaching.streak.none")
    return text("coaching.streak.one" if weeks == 1 else "coaching.streak.many", weeks=weeks)


# -- what a draft knows about the member ------------------------------------------------------------------------


def _town(member: Member) -> Renderable:
    if member.municipality and member.municipality != "other":
        return choice_label("municipality", member.municipality)
    return text("coaching.municipality.other")


def _company(member: Member, language: str) -> str:
    return member.company or render(text("coaching.company.default"), language)


def _brief(actor: Actor, settings: CoachingSettings, *, topic: str = "",
           issue: drafts.IssueContext | None = None) -> Brief:
    """Take from the profile only what a draft needs: never the name, the handles or any id."""
    member = actor.member
    language = actor.language
    return Brief(language=language, company=_company(member, language), industry=member.industry or "other",
                 municipality=render(_town(member), language), experience=member.experience or "none",
                 goal=member.goal or "", hashtag=_hashtag_for(settings, issue), topic=topic, issue=issue,
                 timezone=actor.workspace.timezone)


async def _asked_brief(session: AsyncSession, actor: Actor, *, topic: str = "", issue: str = "") -> Brief:
    """The brief for a draft the member asked for: about the topic and the open issue they named (both checked)."""
    wanted_topic = _topic(topic)
    chosen = await _find_issue(session, actor, issue)
    return _brief(actor, await settings_of(session, actor.workspace.id), topic=wanted_topic, issue=chosen)


def _hashtag_for(settings: CoachingSettings, issue: drafts.IssueContext | None) -> str:
    """Use the issue's own hashtag for a draft about it, else the campaign's."""
    if issue is not None and issue.hashtag:
        try:
            return drafts.normalize_hashtag(issue.hashtag)
        except validation.FieldProblem:
            log.warning("Issue %s has an unusable hashtag; using the campaign's", issue.id)
    return settings.hashtag


def _step_params(member: Member, settings: CoachingSettings) -> dict[str, Any]:
    industry = member.industry if member.industry in templates.INDUSTRIES else "other"
    town = _town(member)
    return {"company": Literal(member.company or ""), "municipality": town, "hashtag": settings.hashtag,
            "value": text(f"coaching.value.{industry}", municipality=town)}


def _when(issue: drafts.IssueContext, actor: Actor) -> str:
    if issue.decision_at is None:
        return ""
    local = issue.decision_at.astimezone(ZoneInfo(actor.workspace.timezone))
    return render(text("coaching.when.date", date=f"{local.day}/{local.month}"), actor.language)


async def _open_issues(session: AsyncSession, actor: Actor) -> list[drafts.IssueContext]:
    return await drafts.open_issues(session, actor.workspace.id, actor.member.municipality)


async def _find_issue(session: AsyncSession, actor: Actor, raw: str) -> drafts.IssueContext | None:
    """Find an open issue by its number or its title (any municipality of the workspace); None when not asked."""
    wanted = (raw or "").strip().removeprefix("#")
    if not wanted:
        return None
    issues = await drafts.open_issues(session, actor.workspace.id, None)
    folded = validation.fold(wanted)
    for issue in issues:
        if wanted.isdigit() and issue.id == int(wanted):
            return issue
    exact = [i for i in issues if validation.fold(i.title) == folded]
    partial = [i for i in issues if folded in validation.fold(i.title)]
    if exact or len(partial) == 1:
        return (exact or partial)[0]
    if not issues:
        raise UserError("coaching.errors.unknown_issue_none", value=wanted[:60])
    raise UserError("coaching.errors.unknown_issue", value=wanted[:60], issues=_issue_list(issues))


def _issue_list(issues: Sequence[drafts.IssueContext]) -> Join:
    return Join(tuple(Literal(f"{i.id}: {i.title}") for i in issues[:MAX_ISSUES_LISTED]), separator="; ")


def _issue_hint(issues: Sequence[drafts.IssueContext], actor: Actor) -> Field:
    lines = tuple(text("coaching.issue.line", id=i.id, title=Literal(i.title), when=_when(i, actor))
                  for i in issues[:MAX_ISSUES_LISTED])
    return Field(text("coaching.tweets.issues"), Join((*lines, text("coaching.tweets.issues_hint")),
                                                      separator="\n"))


def _about(issue: drafts.IssueContext | None, topic: str) -> Renderable:
    """Name what drafts are about: the issue, the member's topic, or their business."""
    if issue is not None:
        return Literal(issue.title)
    return Literal(topic) if topic else text("coaching.tweets.any")


def _topic(raw: str) -> str:
    return validation.clean_text(raw, text("coaching.field.topic"), max_length=MAX_TOPIC) or ""


def _share(post: str, hashtag: str, number: int | None = None) -> tuple[Link, ...]:
    """The post's share links (X, LinkedIn, Facebook), numbered when there are several drafts."""
    links = []
    for link in drafts.share_links(post, hashtag=hashtag):
        label = text("coaching.share.numbered", number=number, label=link.label) if number else link.label
        links.append(Link(label, link.url))
    return tuple(links)


# -- /coach next ------------------------------------------------------------------------------------------------


def next_button() -> Button:
    """The button that shows the member's next step (from a nudge, the onboarding or a finished step)."""
    return Button(text("coaching.button.next"), NEXT_ACTION)


def _done_buttons(step: Step) -> tuple[Button, ...]:
    return (Button(text("coaching.button.done"), DONE_ACTION, step.key, ButtonStyle.SUCCESS),
            Button(text("coaching.button.done_link"), DONE_LINK_ACTION, step.key, ButtonStyle.SECONDARY))


def _tip(step: Step, experience: str | None) -> Text:
    if experience in ("beginner", "active"):
        return text(f"coaching.tip.{experience}")
    return text(f"coaching.tip.none.{step.kind}")


def _progress_field(finished: int, total: int, streak: int) -> Field:
    return Field(text("coaching.next.progress"), text("coaching.progress.line", bar=Literal(bar(finished, total)),
                                                        done=finished, total=total, streak=streak_text(streak)))


async def first_step(session: AsyncSession, actor: Actor) -> Text:
    """Describe the member's first step on the ladder, and plan the weekly nudges (for the onboarding)."""
    member = actor.member
    settings = await settings_of(session, actor.workspace.id)
    active, _, current = _position(await ladder(session, actor.workspace.id), await _done(session, member.id))
    await _plan_nudges(session, actor.workspace, settings, actor.now)
    if current is None:
        return text("coaching.next.all_done.body")
    return text("coaching.first_step", number=active.index(current) + 1, total=len(active),
                title=current.title_text(), why=current.why_text(_step_params(member, settings)))


async def next_step(session: AsyncSession, actor: Actor, model: CoachModel | None = None) -> Reply:
    """Show the member's next step: why it pays off, an example, a ready draft, and buttons to mark it done."""
    member = actor.require_onboarded()
    workspace = actor.workspace
    settings = await settings_of(session, workspace.id)
    active, finished, current = _position(await ladder(session, workspace.id), await _done(session, member.id))
    streak = (await streaks(session, workspace, [member.id], actor.now))[member.id]
    if current is None:
        await _plan_nudges(session, workspace, settings, actor.now)
        return Reply(title=text("coaching.next.all_done.title"), body=text("coaching.next.all_done.body"),
                     fields=(_progress_field(finished, len(active), streak),))
    issues = await _open_issues(session, actor)
    # The first steps are about the member's own business; from the question on, the soonest open issue.
    issue = issues[0] if issues and current.kind in ("question", "blog", "media", "story") else None
    brief = _brief(actor, settings, issue=issue)
    params = _step_params(member, settings)
    fields: list[Field] = [Field(text("coaching.next.example"), current.example_text(params))]
    links: tuple[Link, ...] = ()
    draft = await _step_draft(current, brief, model)
    if isinstance(draft, BlogPlan):
        fields += _blog_fields(draft)
    elif current.kind in templates.TWEET_KINDS:
        fields.append(Field(text("coaching.next.draft_tweet", length=drafts.x_length(draft), limit=drafts.X_LIMIT),
                            Literal(draft)))
        links = _share(draft, brief.hashtag)
    else:
        fields.append(Field(text("coaching.next.draft"), Literal(draft)))
    if current.kind == "follow":
        follow_field, follow_links = _follow(issues, brief)
        fields.append(follow_field)
        links += follow_links
    fields.append(Field(text("coaching.next.tip"), _tip(current, member.experience)))
    if issue is not None:
        fields.append(Field(text("coaching.next.issue", municipality=brief.municipality),
                            text("coaching.issue.line", id=issue.id, title=Literal(issue.title),
                                 when=_when(issue, actor))))
    fields.append(_progress_field(finished, len(active), streak))
    why = current.why_text(params)
    body: Renderable = Join((why, text("coaching.next.goal", goal=Literal(member.goal))), separator="\n\n") \
        if member.goal else why
    # Written last: the model was asked before anything was written.
    await _plan_nudges(session, workspace, settings, actor.now)
    return Reply(title=text("coaching.next.title", number=active.index(current) + 1, total=len(active),
                            title=current.title_text()),
                 body=body, fields=tuple(fields), buttons=_done_buttons(current), links=links)


async def _step_draft(step: Step, brief: Brief, model: CoachModel | None) -> str | BlogPlan:
    """The step's ready draft: the model's when it is usable, else the template's."""
    title = render(step.title_text(), brief.language)
    if step.kind == "blog":
        plan = await model.blog(brief) if model is not None else None
        return plan or templates.blog(brief, brief.hashtag)
    tweet = step.kind in templates.TWEET_KINDS
    if model is not None:
        proposed = await model.step_draft(brief, title, tweet=tweet, hashtag=brief.hashtag)
        if proposed is not None:
            usable = templates.complete(proposed, brief, brief.hashtag) if tweet else proposed
            if usable is not None:
                return usable
    if tweet:
        return templates.step_tweet(brief, step.kind, brief.hashtag)
    return templates.step_text(brief, step.kind, brief.hashtag)


def _follow(issues: Sequence[drafts.IssueContext], brief: Brief) -> tuple[Field, tuple[Link, ...]]:
    """Whom to follow: the politicians and media of the open issues, or a search when none are known."""
    handles: list[str] = []
    for issue in issues:
        for handle in (*issue.target_handles, *issue.media_handles):
            name = drafts.handle(handle)
            if name and name not in handles:
                handles.append(name)
    if handles:
        links = tuple(Link(text("coaching.follow.open", handle=h), f"https://x.com/{h[1:]}")
                      for h in handles[:MAX_FOLLOW_LINKS])
        return Field(text("coaching.next.follow"), Literal(", ".join(handles))), links
    search = f"https://x.com/search?q={quote(brief.municipality)}&f=user"
    return (Field(text("coaching.next.follow"), text("coaching.follow.search", municipality=brief.municipality)),
            (Link(text("coaching.follow.search_link"), search),))


def _blog_fields(plan: BlogPlan) -> list[Field]:
    return [
        Field(text("coaching.blog.titles"), Join(tuple(Literal(t) for t in plan.titles), separator="\n",
                                                 bullet="• ")),
        Field(text("coaching.blog.heading.problem"), Literal(plan.problem)),
        Field(text("coaching.blog.heading.business"), Literal(plan.business)),
        Field(text("coaching.blog.heading.politicians"), Literal(plan.politicians)),
        Field(text("coaching.blog.heading.action"), Literal(plan.action)),
    ]


@action(NEXT_ACTION)
async def _next_pressed(session: AsyncSession, actor: Actor, _arg: str = "") -> Reply:
    return await next_step(session, actor)


# -- /coach done ------------------------------------------------------------------------------------------------


def _find_step(rows: Sequence[CoachingStep], raw: str) -> CoachingStep:
    """Find an active step by its key or its number on the ladder."""
    active = [row for row in rows if row.active]
    wanted = validation.fold(raw)
    if wanted.isdigit() and 1 <= int(wanted) <= len(active):
        return active[int(wanted) - 1]
    for row in active:
        if row.key == wanted:
            return row
    raise UserError("coaching.errors.unknown_step", value=raw[:40],
                    steps=Join(tuple(Literal(f"{n}: {row.key}") for n, row in enumerate(active, 1))))


async def done(session: AsyncSession, actor: Actor, *, step: str = "", link: str = "") -> Reply:
    """Mark a step done (the current one unless named), with an optional link as evidence; show the bar move."""
    member = actor.require_onboarded()
    url = validation.web_url(link, text("coaching.field.link"))
    rows = await _stored_ladder(session, actor.workspace.id, actor.now)
    finished_before = await _done(session, member.id)
    if step.strip():
        row = _find_step(rows, step)
    else:
        row = next((r for r in rows if r.active and r.key not in finished_before), None)
        if row is None:
            return Reply(body=text("coaching.done.nothing_left"), buttons=(next_button(),))
    title = _step(row).title_text()
    existing = finished_before.get(row.key)
    if existing is not None:
        if url:
            existing.evidence_url = url
            return Reply(body=text("coaching.done.link_saved", title=title, url=url))
        return Reply(body=text("coaching.done.already", title=title), buttons=(next_button(),))
    session.add(CoachingProgress(workspace_id=actor.workspace.id, member_id=member.id, step_id=row.id,
                                 evidence_url=url, done_at=actor.now))
    await session.flush()
    log.info("Member %s finished coaching step %s in workspace %s", member.id, row.id, actor.workspace.id)
    settings = await settings_of(session, actor.workspace.id)
    await _plan_nudges(session, actor.workspace, settings, actor.now)
    steps = [_step(r) for r in rows]
    active, finished, current = _position(steps, {*finished_before, row.key})
    streak = (await streaks(session, actor.workspace, [member.id], actor.now))[member.id]
    fields = [_progress_field(finished, len(active), streak)]
    if url:
        fields.insert(0, Field(text("coaching.done.evidence"), Literal(url)))
    if current is not None:
        fields.append(Field(text("coaching.done.next"), text("coaching.done.next_line",
                                                             number=active.index(current) + 1,
                                                             title=current.title_text())))
        buttons = (next_button(), Button(text("coaching.button.undo"), UNDO_ACTION, row.key, ButtonStyle.SECONDARY))
    else:
        fields.append(Field(text("coaching.done.next"), text("coaching.done.finished")))
        buttons = (Button(text("coaching.button.undo"), UNDO_ACTION, row.key, ButtonStyle.SECONDARY),)
    return Reply(title=text("coaching.done.title", title=title), fields=tuple(fields), buttons=buttons)


async def complete_kind(session: AsyncSession, actor: Actor, kind: str, *, link: str | None = None) -> Step | None:
    """Mark the member's first open step of a kind done, because another feature saw them do it; return it.

    None when the member has not onboarded or has no open step of that kind; steps already done stay as they are.
    """
    member = actor.member
    if member.onboarded_at is None:
        return None
    rows = await _stored_ladder(session, actor.workspace.id, actor.now)
    finished = await _done(session, member.id)
    row = next((r for r in rows if r.active and r.kind == kind and r.key not in finished), None)
    if row is None:
        return None
    session.add(CoachingProgress(workspace_id=actor.workspace.id, member_id=member.id, step_id=row.id,
                                 evidence_url=link, done_at=actor.now))
    await session.flush()
    log.info("Member %s reached coaching step %s in workspace %s by a %s", member.id, row.id, actor.workspace.id,
             kind)
    await _plan_nudges(session, actor.workspace, await settings_of(session, actor.workspace.id), actor.now)
    return _step(row)


async def step_counts(session: AsyncSession, workspace_id: int, member_id: int) -> tuple[int, int]:
    """Return how many of the ladder's active steps the member has done, and how many there are."""
    active, finished, _ = _position(await ladder(session, workspace_id), await _done(session, member_id))
    return finished, len(active)


def done_form(step_key: str) -> Form:
    """The form that marks a step done with a link as evidence."""
    return Form(DONE_FORM, text("coaching.form.done.title"), (
        FormField("link", text("coaching.field.link"), max_length=validation.MAX_URL,
                  placeholder=text("coaching.field.link.placeholder"),
                  description=text("coaching.field.link.description")),), arg=step_key)


@action(DONE_ACTION)
async def _done_pressed(session: AsyncSession, actor: Actor, arg: str = "") -> Reply:
    return await done(session, actor, step=arg)


@opens_form(DONE_LINK_ACTION)
def _done_link_form(member: Member | None, arg: str) -> Form | None:
    # The step is checked when the form comes back; someone who has not onboarded is told by the action.
    return done_form(arg) if member is not None and member.onboarded_at is not None else None


@action(DONE_LINK_ACTION)
async def _done_link_pressed(session: AsyncSession, actor: Actor, arg: str = "") -> Reply:
    actor.require_onboarded()
    return Reply(form=done_form(arg))


@form(DONE_FORM)
async def _done_submitted(session: AsyncSession, actor: Actor, values: Mapping[str, str], arg: str = "") -> Reply:
    return await done(session, actor, step=arg, link=values.get("link", ""))


@action(UNDO_ACTION)
async def undo(session: AsyncSession, actor: Actor, arg: str = "") -> Reply:
    """Take back a step marked done by mistake."""
    member = actor.require_onboarded()
    rows = await _stored_ladder(session, actor.workspace.id, actor.now)
    row = _find_step(rows, arg)
    result = await session.execute(delete(CoachingProgress).where(CoachingProgress.member_id == member.id,
                                                                  CoachingProgress.step_id == row.id))
    title = _step(row).title_text()
    if not result.rowcount:
        return Reply(body=text("coaching.undo.not_done", title=title), replaces_source=True)
    return Reply(body=text("coaching.undo.done", title=title), buttons=(next_button(),), replaces_source=True)


# -- /coach progress, pause, resume -----------------------------------------------------------------------------


async def progress(session: AsyncSession, actor: Actor) -> Reply:
    """Show the whole ladder with the member's finished steps, the bar, the streak and the nudges."""
    member = actor.require_onboarded()
    steps = await ladder(session, actor.workspace.id)
    finished_steps = await _done(session, member.id)
    active, finished, current = _position(steps, finished_steps)
    lines = []
    for number, step in enumerate(active, 1):
        progress_row = finished_steps.get(step.key)
        mark = "done" if progress_row else ("current" if step is current else "todo")
        evidence = text("coaching.progress.evidence", url=progress_row.evidence_url) \
            if progress_row and progress_row.evidence_url else ""
        lines.append(text(f"coaching.progress.{mark}", number=number, title=step.title_text(), evidence=evidence))
    streak = (await streaks(session, actor.workspace, [member.id], actor.now))[member.id]
    state = await session.get(CoachingMember, member.id)
    settings = await settings_of(session, actor.workspace.id)
    return Reply(title=text("coaching.progress.title"), body=Join(tuple(lines), separator="\n"),
                 fields=(_progress_field(finished, len(active), streak),
                         Field(text("coaching.progress.nudges"), _nudge_state(member, state, settings))),
                 buttons=(next_button(),) if current is not None else ())


def _nudge_state(member: Member, state: CoachingMember | None, settings: CoachingSettings) -> Text:
    if not settings.nudges:
        return text("coaching.nudges.off_for_group")
    if state is not None and state.paused:
        return text("coaching.nudges.paused")
    if not member.dm_reminders:
        return text("coaching.nudges.no_dm")
    return text("coaching.nudges.on", schedule=_schedule(settings))


def _schedule(settings: CoachingSettings) -> Text:
    return text("coaching.when.weekly", day=text(f"coaching.day.{settings.weekday}"), hour=f"{settings.hour:02d}")


def _moment(at: datetime, zone: str) -> Text:
    local = at.astimezone(ZoneInfo(zone))
    return text("coaching.when.moment", day=text(f"coaching.day.{local.isoweekday()}"),
                date=f"{local.day}/{local.month}", time=local.strftime("%H:%M"))


async def _member_state(session: AsyncSession, actor: Actor) -> CoachingMember:
    state = await session.get(CoachingMember, actor.member.id)
    if state is None:
        state = CoachingMember(member_id=actor.member.id, workspace_id=actor.workspace.id, paused=False,
                               created_at=actor.now, updated_at=actor.now)
        session.add(state)
    return state


@action(PAUSE_ACTION)
async def pause(session: AsyncSession, actor: Actor, _arg: str = "") -> Reply:
    """Stop the weekly nudges for this member until they resume."""
    actor.require_onboarded()
    state = await _member_state(session, actor)
    if state.paused:
        return Reply(body=text("coaching.pause.already"), buttons=(_resume_button(),))
    state.paused, state.paused_at, state.updated_at = True, actor.now, actor.now
    return Reply(body=text("coaching.pause.done"), buttons=(_resume_button(),))


def _resume_button() -> Button:
    return Button(text("coaching.button.resume"), RESUME_ACTION, style=ButtonStyle.SECONDARY)


@action(RESUME_ACTION)
async def resume(session: AsyncSession, actor: Actor, _arg: str = "") -> Reply:
    """Start the weekly nudges again; asking for them also turns on DM reminders in the profile."""
    member = actor.require_onboarded()
    state = await _member_state(session, actor)
    state.paused, state.paused_at, state.updated_at = False, None, actor.now
    turned_on = not member.dm_reminders
    member.dm_reminders = True
    settings = await settings_of(session, actor.workspace.id)
    due = await _plan_nudges(session, actor.workspace, settings, actor.now)
    if due is None:
        return Reply(body=text("coaching.resume.group_off"))
    return Reply(body=text("coaching.resume.done", when=_moment(due, actor.workspace.timezone),
                           dm=text("coaching.resume.dm_on") if turned_on else ""))


# -- /coach tweet, blog, feedback -------------------------------------------------------------------------------


async def tweet(session: AsyncSession, actor: Actor, model: CoachModel | None = None, *, topic: str = "",
                issue: str = "") -> Reply:
    """Three draft tweets within X's limit, each with the hashtag, the issue's handles and share links."""
    actor.require_onboarded()
    brief = await _asked_brief(session, actor, topic=topic, issue=issue)
    wanted_topic, chosen = brief.topic, brief.issue
    posts: list[str] = []
    if model is not None:
        for proposed in await model.tweets(brief, brief.hashtag) or []:
            usable = templates.complete(proposed, brief, brief.hashtag)
            if usable is not None and usable not in posts:
                posts.append(usable)
    for fallback in templates.tweets(brief, brief.hashtag):
        if len(posts) >= 3:
            break
        if fallback not in posts:
            posts.append(fallback)
    fields = [Field(text("coaching.tweets.draft", number=n, length=drafts.x_length(post), limit=drafts.X_LIMIT),
                    Literal(post)) for n, post in enumerate(posts[:3], 1)]
    if chosen is None:
        issues = await _open_issues(session, actor)
        if issues:
            fields.append(_issue_hint(issues, actor))
    links = tuple(link for n, post in enumerate(posts[:3], 1) for link in _share(post, brief.hashtag, n))
    about = _about(chosen, wanted_topic)
    return Reply(title=text("coaching.tweets.title", topic=about), body=text("coaching.tweets.body"),
                 fields=tuple(fields), links=links)


async def blog(session: AsyncSession, actor: Actor, model: CoachModel | None = None, *, topic: str = "",
               issue: str = "") -> Reply:
    """A blog prompt: title ideas and an outline with the member's business-value angle."""
    actor.require_onboarded()
    brief = await _asked_brief(session, actor, topic=topic, issue=issue)
    wanted_topic, chosen = brief.topic, brief.issue
    plan = await model.blog(brief) if model is not None else None
    plan = plan or templates.blog(brief, brief.hashtag)
    fields = _blog_fields(plan)
    if chosen is None and not wanted_topic:
        issues = await _open_issues(session, actor)
        if issues:
            fields.append(_issue_hint(issues, actor))
    fields.append(Field(text("coaching.blog.done_title"), text("coaching.blog.done_hint")))
    about = _about(chosen, wanted_topic)
    return Reply(title=text("coaching.blog.reply.title", topic=about), body=text("coaching.blog.reply.body"),
                 fields=tuple(fields))


def _feedback_kind(raw: str) -> str:
    folded = validation.fold(raw or "")
    if not folded:
        return ""
    kind = {"tweet": rules.TWEET, "blog": rules.BLOG, "blogg": rules.BLOG, "inlagg": rules.TWEET,
            "stycke": rules.BLOG, "paragraph": rules.BLOG, "post": rules.TWEET}.get(folded)
    if kind is None:
        raise UserError("coaching.errors.feedback_kind", value=raw[:20])
    return kind


async def feedback(session: AsyncSession, actor: Actor, model: CoachModel | None = None, *, draft: str = "",
                   issue: str = "", kind: str = "") -> Reply:
    """Feedback on a draft: the three most important fixes first, then an improved version in the member's voice."""
    actor.require_onboarded()
    draft = validation.clean_text(draft, text("coaching.field.text"), max_length=MAX_TEXT, required=True) or ""
    requested = _feedback_kind(kind)
    brief = await _asked_brief(session, actor, issue=issue)
    chosen = brief.issue
    issues = [chosen] if chosen else await _open_issues(session, actor)
    politicians = [f"@{h.lstrip('@')}" for i in issues for h in i.target_handles if h]
    politicians += [n for i in issues for n in i.target_names if n]
    media = [h for i in issues for h in i.media_handles if h]
    # Without a chosen issue, suggest the handles of the soonest one in the member's municipality.
    suggest = brief if chosen or not issues else dataclasses.replace(brief, issue=issues[0])
    draft_kind = rules.kind_of(draft, requested)
    findings = rules.review(draft, suggest, brief.hashtag, draft_kind, politicians=politicians, media=media)
    first, more, good = rules.first_fixes(findings)
    improved = rules.improve(draft, suggest, brief.hashtag, draft_kind, findings)
    comments: tuple[str, ...] = ()
    if model is not None:
        told = [render(f.message, actor.language) for f in findings if not f.ok]
        answer = await model.feedback(brief, draft, draft_kind, told)
        if answer is not None:
            comments = answer.comments
            if answer.improved and _usable_improvement(answer.improved, draft_kind, brief.hashtag):
                improved = answer.improved
    fields: list[Field] = []
    if first:
        fields.append(Field(text("coaching.feedback.first"), Join(
            tuple(text("coaching.feedback.numbered", number=n, message=f.message) for n, f in enumerate(first, 1)),
            separator="\n")))
    if more:
        fields.append(Field(text("coaching.feedback.more"), Join(tuple(f.message for f in more), separator="\n",
                                                                 bullet="• ")))
    if good:
        fields.append(Field(text("coaching.feedback.good"), Join(tuple(f.message for f in good), separator="\n",
                                                                 bullet="✓ ")))
    if comments:
        fields.append(Field(text("coaching.feedback.model"), Join(tuple(Literal(c) for c in comments),
                                                                  separator="\n", bullet="• ")))
    summary = text("coaching.feedback.summary", count=len(first) + len(more)) if first else \
        text("coaching.feedback.all_good")
    if draft_kind == rules.TWEET:
        fields.append(Field(text("coaching.feedback.improved_tweet", length=drafts.x_length(improved),
                                 limit=drafts.X_LIMIT), Literal(improved)))
        return Reply(title=text("coaching.feedback.title.tweet"), body=summary, fields=tuple(fields),
                     links=_share(improved, brief.hashtag) if templates.shareable(improved, brief.hashtag) else ())
    body = Join((summary, text("coaching.feedback.improved_paragraph"), Literal(improved)), separator="\n\n")
    return Reply(title=text("coaching.feedback.title.blog"), body=body, fields=tuple(fields))


def _usable_improvement(improved: str, kind: str, hashtag: str) -> bool:
    if rules.harsh_word(improved) is not None:
        return False  # the model repeated an insult the feedback asks the member to drop
    if kind == rules.TWEET:
        return templates.shareable(improved, hashtag) and templates.has_tag(improved, hashtag)
    return len(improved) <= MAX_TEXT


# -- coordinators: overview, settings, the ladder ---------------------------------------------------------------


async def overview(session: AsyncSession, actor: Actor) -> Reply:
    """Show a coordinator who stands on which step, as text and as a bar chart."""
    actor.require_coordinator()
    workspace = actor.workspace
    language = actor.language
    members = list(await session.scalars(select(Member).where(Member.workspace_id == workspace.id,
                                                              Member.onboarded_at.is_not(None))
                                         .order_by(Member.display_name, Member.id)))
    if not members:
        return Reply(body=text("coaching.overview.empty"))
    steps = await ladder(session, workspace.id)
    active = [s for s in steps if s.active]
    finished_keys = await _done_by_member(session, workspace.id)
    paused = set(await session.scalars(select(CoachingMember.member_id).where(
        CoachingMember.workspace_id == workspace.id, CoachingMember.paused.is_(True))))
    member_streaks = await streaks(session, workspace, [m.id for m in members], actor.now)
    on_step: dict[str | None, list[Renderable]] = defaultdict(list)
    for member in members:
        current = next((s.key for s in active if s.key not in finished_keys[member.id]), None)
        on_step[current].append(text("coaching.overview.member", name=Literal(member.display_name),
                                     streak=text("coaching.overview.streak", weeks=member_streaks[member.id])
                                     if member_streaks[member.id] else "",
                                     paused=text("coaching.overview.paused") if member.id in paused else ""))
    lines: list[Renderable] = []
    labels, counts = [], []
    for number, step in enumerate(active, 1):
        names = on_step.get(step.key, [])
        lines.append(text("coaching.overview.step", number=number, title=step.title_text(), count=len(names),
                          names=Join(tuple(names)) if names else text("coaching.overview.nobody")))
        labels.append(render(text("coaching.chart.step", number=number, title=step.title_text()), language))
        counts.append(len(names))
    finished = on_step.get(None, [])
    lines.append(text("coaching.overview.finished", count=len(finished),
                      names=Join(tuple(finished)) if finished else text("coaching.overview.nobody")))
    labels.append(render(text("coaching.chart.finished"), language))
    counts.append(len(finished))
    png = chart.horizontal_bars(labels, counts, title=render(text("coaching.chart.title"), language),
                                 xlabel=render(text("coaching.chart.xlabel"), language))
    return Reply(title=text("coaching.overview.title", count=len(members)), body=Join(tuple(lines), separator="\n"),
                 files=(Attachment("coaching-overview.png", png),))


def _weekday(raw: str) -> int:
    folded = validation.fold(raw)
    if folded.isdigit() and 1 <= int(folded) <= 7:
        return int(folded)
    for number, names in WEEKDAY_NAMES.items():
        if folded in names:
            return number
    raise UserError("coaching.errors.day", value=raw[:20])


def _hour(raw: str | int, quiet: tuple[int, int]) -> int:
    value = str(raw).strip().removesuffix(":00")
    if not value.isdigit() or not 0 <= int(value) <= 23:
        raise UserError("coaching.errors.hour", value=str(raw)[:10])
    hour = int(value)
    start, end = quiet
    in_quiet = start != end and ((hour >= start or hour < end) if start > end else start <= hour < end)
    if in_quiet:
        raise UserError("coaching.errors.quiet_hour", hour=f"{hour:02d}", start=f"{start:02d}", end=f"{end:02d}",
                        last=f"{(start - 1) % 24:02d}")
    return hour


def _settings_reply(row: CoachingConfig, due: datetime | None, zone: str, changed: bool) -> Reply:
    settings = CoachingSettings(row.hashtag, row.nudge_weekday, row.nudge_hour, row.nudges_enabled)
    return Reply(title=text("coaching.settings.title"),
                 body=text("coaching.settings.saved" if changed else "coaching.settings.current"), fields=(
        Field(text("coaching.settings.hashtag"), Literal(row.hashtag), inline=True),
        Field(text("coaching.settings.schedule"), _schedule(settings), inline=True),
        Field(text("coaching.settings.nudges"), text("coaching.settings.on" if row.nudges_enabled
                                                     else "coaching.settings.off"), inline=True),
        Field(text("coaching.settings.next"), _moment(due, zone) if due else text("coaching.settings.next_none")),
    ))


async def configure(session: AsyncSession, actor: Actor, *, hashtag: str = "", day: str = "", hour: str | int = "",
                    nudges: str | bool = "", quiet: tuple[int, int] = (21, 8)) -> Reply:
    """Change the campaign's hashtag and the weekly nudge's day, hour and on/off; show them all."""
    actor.require_coordinator()
    row = await _config(session, actor.workspace.id, actor.now)
    changes: dict[str, Any] = {}
    if hashtag:
        changes["hashtag"] = drafts.normalize_hashtag(hashtag)
    if day:
        changes["nudge_weekday"] = _weekday(day)
    if hour != "":
        changes["nudge_hour"] = _hour(hour, quiet)
    if nudges != "":
        changes["nudges_enabled"] = validation.yes_no(nudges, text("coaching.settings.nudges"))
    changed = sorted(name for name, value in changes.items() if getattr(row, name) != value)
    for name in changed:
        setattr(row, name, changes[name])
    if changed:
        row.updated_at = actor.now
        audit(session, actor, "coaching.settings", changed=changed)
    due = await _plan_nudges(session, actor.workspace, CoachingSettings(row.hashtag, row.nudge_weekday, row.nudge_hour,
                                                                row.nudges_enabled), actor.now)
    return _settings_reply(row, due, actor.workspace.timezone, bool(changed))


def _kind(raw: str) -> str:
    folded = (raw or "").strip().lower()
    kind = KIND_ALIASES.get(folded, folded)
    if kind not in KINDS:
        raise UserError("coaching.errors.kind", value=raw[:20],
                        kinds=Join(tuple(text(f"coaching.kind.{k}") for k in KINDS)))
    return kind


def _ladder_reply(rows: Sequence[CoachingStep], changed: bool) -> Reply:
    active = [r for r in rows if r.active]
    retired = [r for r in rows if not r.active]

    def line(number: int | str, row: CoachingStep) -> Text:
        step = _step(row)
        return text("coaching.ladder.line", number=number, title=step.title_text(), step=row.key,
                    kind=text(f"coaching.kind.{row.kind}"),
                    custom=text("coaching.ladder.custom") if step.custom else "")

    fields = [Field(text("coaching.ladder.retired"), Join(tuple(line("–", r) for r in retired), separator="\n"))] \
        if retired else []
    fields.append(Field(text("coaching.ladder.how"), text("coaching.ladder.hint")))
    return Reply(title=text("coaching.ladder.title", count=len(active)),
                 body=Join((text("coaching.ladder.saved" if changed else "coaching.ladder.current"),
                            *(line(n, r) for n, r in enumerate(active, 1))), separator="\n"),
                 fields=tuple(fields))


async def configure_ladder(session: AsyncSession, actor: Actor, *, step: str = "", title: str = "", why: str = "",
                           example: str = "", kind: str = "", position: str | int = "", active: str | bool = "",
                           reset: str | bool = "") -> Reply:
    """Show the ladder; or add a step (a new key) or change one: its texts, kind, place, or whether it is used."""
    actor.require_coordinator()
    rows = await _stored_ladder(session, actor.workspace.id, actor.now)
    if not step.strip():
        if any((title, why, example, kind, position != "", active != "", reset != "")):
            raise UserError("coaching.errors.step_needed")
        return _ladder_reply(rows, changed=False)
    key = validation.fold(step)
    if not STEP_KEY.match(key):
        raise UserError("coaching.errors.step_key", value=step[:40])
    problems: list[validation.FieldProblem] = []
    values: dict[str, str | None] = {}
    for name, raw, limit in (("title", title, 100), ("why", why, 500), ("example", example, 500)):
        try:
            values[name] = validation.clean_text(raw, text(f"coaching.field.{name}"), max_length=limit)
        except validation.FieldProblem as problem:
            problems.append(problem)
    validation.collect(problems)
    row = next((r for r in rows if r.key == key), None)
    if row is None:
        missing = [text(f"coaching.field.{name}") for name in ("title", "why", "example") if not values[name]]
        if missing:
            raise UserError("coaching.errors.new_step_needs", fields=Join(tuple(missing)))
        row = CoachingStep(workspace_id=actor.workspace.id, key=key, kind=_kind(kind or "tweet"),
                           position=max((r.position for r in rows), default=0) + 1, active=True,
                           created_at=actor.now, updated_at=actor.now)
        session.add(row)
        rows.append(row)
        changed = ["created"]
    else:
        changed = []
        if kind:
            row.kind = _kind(kind)
            changed.append("kind")
    if reset != "" and validation.yes_no(reset, text("coaching.field.reset")):
        if row.key not in DEFAULT_KEYS:
            raise UserError("coaching.errors.reset_custom", step=row.key)
        row.title = row.why = row.example = None
        row.kind = dict(DEFAULT_LADDER)[row.key]
        changed.append("reset")
    for name, value in values.items():
        if value:
            setattr(row, name, value)
            changed.append(name)
    if active != "":
        wanted = validation.yes_no(active, text("coaching.field.active"))
        if not wanted and row.active and sum(1 for r in rows if r.active) == 1:
            raise UserError("coaching.errors.last_step")
        if wanted != row.active:
            row.active = wanted
            changed.append("active")
    if position != "":
        _move(rows, row, position)
        changed.append("position")
    if changed:
        row.updated_at = actor.now
        await session.flush()
        audit(session, actor, "coaching.ladder", step=row.key, changed=sorted(set(changed)))
    rows.sort(key=lambda r: (r.position, r.id or 0))
    return _ladder_reply(rows, changed=bool(changed))


def _move(rows: list[CoachingStep], row: CoachingStep, raw: str | int) -> None:
    """Put a step at a place among the active steps (1 = first) and renumber the whole ladder."""
    value = str(raw).strip()
    active = [r for r in sorted(rows, key=lambda r: (r.position, r.id or 0)) if r.active and r is not row]
    if not value.isdigit() or not 1 <= int(value) <= len(active) + 1:
        raise UserError("coaching.errors.position", value=value[:10], max=len(active) + 1)
    active.insert(int(value) - 1, row)
    retired = [r for r in sorted(rows, key=lambda r: (r.position, r.id or 0)) if r not in active]
    for number, item in enumerate([*active, *retired], 1):
        item.position = number


# -- options for the adapters -----------------------------------------------------------------------------------


async def issue_options(session: AsyncSession, platform: str, workspace_external_id: str, current: str
                        ) -> list[tuple[str, str]]:
    """Suggest open issues (title, id) matching what was typed, for an adapter's autocomplete; reads only."""
    workspace = await session.scalar(select(Workspace).where(Workspace.platform == platform,
                                                             Workspace.external_id == workspace_external_id))
    if workspace is None:
        return []
    wanted = validation.fold(current)
    return [(issue.title, str(issue.id)) for issue in await drafts.open_issues(session, workspace.id, None)
            if wanted in validation.fold(issue.title) or wanted == str(issue.id)]


async def step_options(session: AsyncSession, platform: str, workspace_external_id: str, current: str
                       ) -> list[tuple[str, str]]:
    """Suggest the ladder's steps (key and title) matching what was typed, for an adapter's autocomplete."""
    workspace = await session.scalar(select(Workspace).where(Workspace.platform == platform,
                                                             Workspace.external_id == workspace_external_id))
    steps = await ladder(session, workspace.id) if workspace is not None else _default_steps()
    language = workspace.language if workspace is not None else "sv"
    wanted = validation.fold(current)
    found = []
    for step in steps:
        name = render(step.title_text(), language)
        if wanted in step.key or wanted in validation.fold(name):
            found.append((f"{step.key}: {name}", step.key))
    return found


# -- the weekly nudge -------------------------------------------------------------------------------------------


@reminders.describer(WEEKLY_KIND)
async def _describe_weekly(session: AsyncSession, reminder: Reminder) -> Text:
    """Name a skipped weekly nudge for the coordinators."""
    workspace = await session.get_one(Workspace, reminder.workspace_id)
    return text("coaching.skipped.weekly", when=When(reminder.due_at, workspace.timezone, "short"))


@reminders.planner(WEEKLY_KIND)
async def _plan_weekly(session: AsyncSession, reminder: Reminder, now: datetime) -> list[reminders.Planned]:
    """DM each member who wants nudges their next step, then plan next week's nudge."""
    workspace = await session.get(Workspace, reminder.workspace_id)
    if workspace is None:
        return []
    settings = await settings_of(session, workspace.id)
    # The next week's nudge is planned first, so a member who cannot be nudged never breaks the chain.
    await _plan_nudges(session, workspace, settings, max(now, reminder.due_at))
    if not settings.nudges:
        return []
    if now - reminder.due_at > STALE_NUDGE:
        log.info("Weekly nudge %s is %s late; skipped, next week's is planned", reminder.id, now - reminder.due_at)
        return []
    paused = set(await session.scalars(select(CoachingMember.member_id).where(
        CoachingMember.workspace_id == workspace.id, CoachingMember.paused.is_(True))))
    # A member whose DMs were found closed lately is not nudged (a weekly mention in a channel would be noise);
    # some days later they are tried again, and nudged as before once a DM gets through.
    members = [m for m in await session.scalars(select(Member).where(
        Member.workspace_id == workspace.id, Member.onboarded_at.is_not(None), Member.dm_reminders.is_(True),
        delivery.dm_worth_trying_clause(now)).order_by(Member.id)) if m.id not in paused]
    if not members:
        return []
    steps = await ladder(session, workspace.id)
    member_streaks = await streaks(session, workspace, [m.id for m in members], now)
    finished_keys = await _done_by_member(session, workspace.id)
    planned = []
    for member in members:
        active, finished, current = _position(steps, finished_keys[member.id])
        if current is None:
            continue  # at the top of the ladder: nothing to nudge about
        why = current.why_text(_step_params(member, settings))
        nudge = Reply(
            title=text("coaching.nudge.title", number=active.index(current) + 1, total=len(active),
                       title=current.title_text()),
            body=Join((text("coaching.nudge.body"), why), separator="\n\n"),
            fields=(_progress_field(finished, len(active), member_streaks[member.id]),),
            buttons=(next_button(), Button(text("coaching.button.done"), DONE_ACTION, current.key,
                                           ButtonStyle.SUCCESS),
                     Button(text("coaching.button.pause"), PAUSE_ACTION, style=ButtonStyle.SECONDARY)),
            private=False)
        # Quiet: a nudge tried again for a member whose DMs were closed mentions nobody in a channel if it
        # still cannot be delivered (every week would be noise).
        planned.append(reminders.Planned(nudge, member_id=member.id, channel=Channel.ANNOUNCEMENTS, quiet=True))
    log.info("Weekly nudge %s: %d members in workspace %s", reminder.id, len(planned), workspace.id)
    return planned


# -- /mydata ----------------------------------------------------------------------------------------------------


async def _export(session: AsyncSession, member: Member) -> dict[str, Any]:
    rows = await session.execute(select(CoachingStep.key, CoachingProgress)
                                 .join(CoachingProgress, CoachingProgress.step_id == CoachingStep.id)
                                 .where(CoachingProgress.member_id == member.id).order_by(CoachingProgress.done_at))
    state = await session.get(CoachingMember, member.id)
    return {
        "steps_done": [{"step": key, "done_at": p.done_at.isoformat(), "evidence_url": p.evidence_url}
                       for key, p in rows],
        "nudges_paused": bool(state and state.paused),
        "paused_at": state.paused_at.isoformat() if state and state.paused_at else None,
    }


async def _erase(session: AsyncSession, member: Member) -> None:
    await session.execute(delete(CoachingProgress).where(CoachingProgress.member_id == member.id))
    await session.execute(delete(CoachingMember).where(CoachingMember.member_id == member.id))


mydata.data_hook("coaching", _export, _erase)
