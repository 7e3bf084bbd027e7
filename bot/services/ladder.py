"""The coaching ladder: steps from the first tweet to the first blog post, each member's way up it (/coach
next, done, progress), and the coordinators' overview of it and changes to it.

Every step says what it brings the member's business, in their trade and town, and comes with a ready draft:
the coach's template, or the model's when the App has one (the model is asked before anything is written, so
a slow model holds no write lock). Buttons never wait for the model: Discord wants their answer within 3
seconds.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, cast
from urllib.parse import quote

from sqlalchemy import CursorResult, case, delete, false, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import charts, validation
from bot.coach import BlogPlan, Brief, CoachModel, chart, templates
from bot.contributions import Feature, MemberData
from bot.errors import UserError
from bot.i18n import render
from bot.models import CoachingMember, CoachingProgress, CoachingStep, Member, Workspace
from bot.replies import (
    Attachment,
    Button,
    ButtonStyle,
    Field,
    Form,
    FormField,
    Join,
    Link,
    Literal,
    Renderable,
    Reply,
    Text,
    text,
)
from bot.services import audience, drafts, profile_fields, streaks, writing
from bot.services.coaching_settings import (
    CoachingSettings,
    plan_nudges,
    schedule,
    settings_of,
)
from bot.services.context import Actor, audit
from bot.services.profile_fields import INDUSTRIES

log = logging.getLogger(__name__)

# The default ladder, in order: (key, kind). A workspace's coordinators may reorder, edit, add and retire
# steps.
DEFAULT_LADDER = (("intro", "tweet"), ("follow", "follow"), ("ask", "question"), ("blog", "blog"),
                  ("media", "media"), ("story", "story"))
DEFAULT_KEYS = frozenset(key for key, _ in DEFAULT_LADDER)
INDUSTRY_VALUES = frozenset(choice.value for choice in INDUSTRIES)

# The default steps a member's experience of social media (the onboarding's choice) lets them skip: someone
# already active has a profile, posts and follows the people who matter, so they start at asking a
# politician. A skipped step is not done: it is shown as skipped, counts for no streak, and the member may
# still do it. The skips are read from the profile each time, so a changed experience moves the ladder and
# keeps what is done. Steps a coordinator added are never skipped.
SKIPPED_BY_EXPERIENCE: Mapping[str, frozenset[str]] = {
    "none": frozenset(),
    "beginner": frozenset(),
    "active": frozenset({"intro", "follow"}),
}


class StepKind(StrEnum):
    """What a step asks the member to do (the values the database keeps)."""

    TWEET = "tweet"
    FOLLOW = "follow"
    QUESTION = "question"
    BLOG = "blog"
    MEDIA = "media"
    STORY = "story"


# A step's kind, by its value or its name in either language ("fråga", "berättelse").
STEP_KIND = validation.ChoiceSet(StepKind, "coaching.field.kind", "coaching.kind",
                                 problem="coaching.errors.kind")

DONE_ACTION = "coaching.done"
DONE_LINK_ACTION = "coaching.done_link"
NEXT_ACTION = "coaching.next"
UNDO_ACTION = "coaching.undo"
DONE_FORM = "coaching.done"

MAX_FOLLOW_LINKS = 5
BAR_WIDTH = 10
# The coaching overview names this many members on each step (in name order) and counts the others.
OVERVIEW_NAMES = 25
STEP_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")


# -- the ladder ----------------------------------------------------------------------------------------------


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

    def example_text(self, params: Mapping[str, Any], industry: str | None = None) -> Text | Literal:
        """Return an example of the step done: the coordinator's, or the catalog's by a business of the
        member's trade (each default step has one for every industry of the onboarding)."""
        if self.example:
            return Literal(self.example)
        return text(f"coaching.step.{self.key}.example.{industry_of(industry)}", **params)


def _step(row: CoachingStep) -> Step:
    return Step(row.key, row.kind, row.position, row.active, row.title, row.why, row.example)


def _default_steps() -> list[Step]:
    return [Step(key, kind, number) for number, (key, kind) in enumerate(DEFAULT_LADDER, 1)]


async def steps_of(session: AsyncSession, workspace_id: int) -> list[Step]:
    """Return the workspace's whole ladder in order (retired steps too); the default one until it is
    stored."""
    rows = await _stored_steps(session, workspace_id)
    return [_step(row) for row in rows] if rows else _default_steps()


async def _stored_steps(session: AsyncSession, workspace_id: int) -> list[CoachingStep]:
    return list(await session.scalars(select(CoachingStep).where(CoachingStep.workspace_id == workspace_id)
                                      .order_by(CoachingStep.position, CoachingStep.id)))


async def _stored_ladder(session: AsyncSession, workspace_id: int, now: datetime) -> list[CoachingStep]:
    """Return the ladder's rows, storing the default ladder first when the workspace has none."""
    rows = list(await session.scalars(select(CoachingStep).where(CoachingStep.workspace_id == workspace_id)
                                      .order_by(CoachingStep.position, CoachingStep.id)))
    if rows:
        return rows
    rows = [CoachingStep(workspace_id=workspace_id, key=step.key, kind=step.kind, position=step.position,
                         active=True, created_at=now, updated_at=now) for step in _default_steps()]
    session.add_all(rows)
    await session.flush()
    return rows


async def _ladder_of(session: AsyncSession, workspace_id: int, member_id: int
                     ) -> tuple[list[Step], dict[str, CoachingProgress]]:
    """Return the workspace's whole ladder (as steps_of) and the member's finished steps by key, in one
    query: the ladder's rows, each with the member's progress on it (through the (member_id, step_id)
    index)."""
    rows, finished = await _rows_and_done(session, workspace_id, member_id)
    if not rows:
        return _default_steps(), {}  # nothing can be done of a ladder not stored yet
    return [_step(row) for row in rows], finished


async def _rows_and_done(session: AsyncSession, workspace_id: int, member_id: int
                         ) -> tuple[list[CoachingStep], dict[str, CoachingProgress]]:
    """Return the ladder's stored rows in order and the member's finished steps by key, in one query."""
    rows = (await session.execute(
        select(CoachingStep, CoachingProgress).where(CoachingStep.workspace_id == workspace_id)
        .outerjoin(CoachingProgress, (CoachingProgress.step_id == CoachingStep.id)
                   & (CoachingProgress.member_id == member_id))
        .order_by(CoachingStep.position, CoachingStep.id))).all()
    return [row for row, _ in rows], {row.key: done for row, done in rows if done is not None}


async def _stored_rows_and_done(session: AsyncSession, workspace_id: int, member_id: int, now: datetime
                                ) -> tuple[list[CoachingStep], dict[str, CoachingProgress]]:
    """As _rows_and_done, storing the default ladder first when the workspace has none."""
    rows, finished = await _rows_and_done(session, workspace_id, member_id)
    return (rows, finished) if rows else (await _stored_ladder(session, workspace_id, now), {})


async def done_of(session: AsyncSession, member_ids: Sequence[int]) -> dict[int, set[str]]:
    """Return the keys of the finished steps of some members (a batch of them), in one query."""
    finished: dict[int, set[str]] = defaultdict(set)
    rows = await session.execute(select(CoachingProgress.member_id, CoachingStep.key)
                                 .join(CoachingStep, CoachingStep.id == CoachingProgress.step_id)
                                 .where(CoachingProgress.member_id.in_(member_ids)))
    for member_id, key in rows:
        finished[member_id].add(key)
    return finished


def industry_of(industry: str | None) -> str:
    """Return the industry whose texts apply: one of the onboarding's (the catalogs' "other" for none we
    know)."""
    return industry if industry in INDUSTRY_VALUES else "other"


def skipped_keys(steps: Sequence[Step], done: Mapping[str, Any] | set[str], experience: str | None
                 ) -> frozenset[str]:
    """Return the keys of the active steps the member's experience lets them skip and they have not done."""
    skippable = SKIPPED_BY_EXPERIENCE.get(experience or "none", frozenset())
    return frozenset(s.key for s in steps if s.active and s.key in skippable and s.key not in done)


def standing(steps: Sequence[Step], done: Mapping[str, Any] | set[str], experience: str | None = None
             ) -> tuple[list[Step], int, Step | None]:
    """Return the active steps, how many of them are done, and the first one neither done nor skipped for the
    member's experience (None at the top)."""
    active = [s for s in steps if s.active]
    finished = sum(1 for s in active if s.key in done)
    skipped = skipped_keys(active, done, experience)
    current = next((s for s in active if s.key not in done and s.key not in skipped), None)
    return active, finished, current


def bar(done: int, total: int, skipped: int = 0) -> str:
    """Draw progress as a bar of ten blocks: the steps done, the steps skipped (lighter), then the rest."""
    filled = round(BAR_WIDTH * done / total) if total else 0
    passed = round(BAR_WIDTH * (done + skipped) / total) if total else 0
    return "█" * filled + "▒" * (passed - filled) + "░" * (BAR_WIDTH - passed)


async def _steps_done(session: AsyncSession, workspace_id: int, member_ids: Sequence[int] | None
                      ) -> list[tuple[int, datetime]]:
    """A finished step counts for streaks, in the week it was finished."""
    query = select(CoachingProgress.member_id, CoachingProgress.done_at)
    # Members' own rows through the (member_id, step_id) index; the workspace's (None) through its own.
    query = query.where(CoachingProgress.workspace_id == workspace_id) if member_ids is None \
        else query.where(CoachingProgress.member_id.in_(member_ids))
    return [(member_id, done_at) for member_id, done_at in await session.execute(query)]


def step_params(member: Member, settings: CoachingSettings) -> dict[str, Any]:
    """The member's business, town and the campaign's hashtag, for a step's texts (why, an example)."""
    industry = industry_of(member.industry)
    town = writing.town(member)
    return {"company": Literal(member.company or ""), "municipality": town, "hashtag": settings.hashtag,
            "value": text(f"coaching.value.{industry}", municipality=town)}


# -- /coach next ---------------------------------------------------------------------------------------------


def next_button() -> Button:
    """The button that shows the member's next step (from a nudge, the onboarding or a finished step)."""
    return Button(text("coaching.button.next"), NEXT_ACTION)


def _done_buttons(step: Step) -> tuple[Button, ...]:
    return (Button(text("coaching.button.done"), DONE_ACTION, step.key, ButtonStyle.SUCCESS),
            Button(text("coaching.button.done_link"), DONE_LINK_ACTION, step.key, ButtonStyle.SECONDARY))


def _tip(step: Step, experience: str | None) -> Text:
    """A tip for the step's kind at the member's level: how to begin, how to go on, or how to go further."""
    level = experience if experience in SKIPPED_BY_EXPERIENCE else "none"
    return text(f"coaching.tip.{level}.{step.kind}")


def progress_field(finished: int, total: int, streak: int, skipped: int = 0) -> Field:
    """The member's progress as a field: the bar, the steps done of all, the steps skipped, and the streak."""
    line = text("coaching.progress.line", bar=Literal(bar(finished, total, skipped)), done=finished,
                total=total, streak=streaks.streak_text(streak))
    if not skipped:
        return Field(text("coaching.next.progress"), line)
    return Field(text("coaching.next.progress"),
                 Join((line, text("coaching.progress.skipped_count", count=skipped)), separator="\n"))


def _skipped_field(active: Sequence[Step], skipped: frozenset[str]) -> Field:
    """Name the steps the member skips for their experience, and that they may still do them."""
    numbers = [number for number, step in enumerate(active, 1) if step.key in skipped]
    names = Join(tuple(text("coaching.skips.step", number=number, title=active[number - 1].title_text())
                       for number in numbers))
    return Field(text("coaching.skips.title"), text("coaching.skips.body", steps=names, example=numbers[0]))


async def first_step(session: AsyncSession, actor: Actor) -> Text:
    """Describe the member's first step on the ladder, and plan the weekly nudges (for the onboarding)."""
    member = actor.member
    settings = await settings_of(session, actor.workspace.id)
    steps, finished_steps = await _ladder_of(session, actor.workspace.id, member.id)
    active, _, current = standing(steps, finished_steps, member.experience)
    await plan_nudges(session, actor.workspace, settings, actor.now)
    if current is None:
        return text("coaching.next.all_done.body")
    first = text("coaching.first_step", number=active.index(current) + 1, total=len(active),
                 title=current.title_text(), why=current.why_text(step_params(member, settings)))
    if not skipped_keys(active, finished_steps, member.experience):
        return first
    return text("coaching.first_step.skipping", first=first,
                experience=text(f"choice.experience.{member.experience}"))


async def next_step(session: AsyncSession, actor: Actor, model: CoachModel | None = None) -> Reply:
    """Show the member's next step: why it pays off, an example, a ready draft, and buttons to mark it
    done."""
    member = actor.require_onboarded()
    workspace = actor.workspace
    settings = await settings_of(session, workspace.id)
    steps, finished_steps = await _ladder_of(session, workspace.id, member.id)
    active, finished, current = standing(steps, finished_steps, member.experience)
    skipped = skipped_keys(active, finished_steps, member.experience)
    streak = await streaks.of_member(session, workspace, member.id, actor.now)
    if current is None:
        await plan_nudges(session, workspace, settings, actor.now)
        return Reply(title=text("coaching.next.all_done.title"), body=text("coaching.next.all_done.body"),
                     fields=(progress_field(finished, len(active), streak, len(skipped)),
                             *((_skipped_field(active, skipped),) if skipped else ())))
    issues = await writing.local_issues(session, actor)
    # The first steps are about the member's own business; from the question on, the soonest open issue.
    # Whom to ask is read only for the issues the draft names: that one, or all of them for whom to follow.
    issue = None
    if issues and current.kind in ("question", "blog", "media", "story"):
        issue = (await writing.with_targets(session, actor, issues[:1]))[0]
    elif current.kind == "follow":
        issues = await writing.with_targets(session, actor, issues)
    brief = writing.member_brief(actor, settings, issue=issue)
    params = step_params(member, settings)
    fields: list[Field] = [Field(text("coaching.next.example"),
                                 current.example_text(params, member.industry))]
    links: tuple[Link, ...] = ()
    draft = await _step_draft(current, brief, model)
    if isinstance(draft, BlogPlan):
        fields += writing.blog_fields(draft)
    elif current.kind in templates.TWEET_KINDS:
        fields.append(Field(text("coaching.next.draft_tweet", length=drafts.x_length(draft),
                                 limit=drafts.X_LIMIT), Literal(draft)))
        links = writing.share(draft, brief.issue, platforms=profile_fields.platforms_of(member.platforms))
    else:
        fields.append(Field(text("coaching.next.draft"), Literal(draft)))
    if current.kind == "follow":
        follow_field, follow_links = _follow(issues, brief)
        fields.append(follow_field)
        links += follow_links
    fields.append(Field(text("coaching.next.tip"), _tip(current, member.experience)))
    if issue is not None:
        fields.append(Field(text("coaching.next.issue", municipality=writing.town(member)),
                            text("coaching.issue.line", id=issue.id, title=Literal(issue.title),
                                 when=writing.decision_date(issue, actor))))
    fields.append(progress_field(finished, len(active), streak, len(skipped)))
    if skipped:
        fields.append(_skipped_field(active, skipped))
    why = current.why_text(params)
    body: Renderable = Join((why, text("coaching.next.goal", goal=Literal(member.goal))), separator="\n\n") \
        if member.goal else why
    # Written last: the model was asked before anything was written.
    await plan_nudges(session, workspace, settings, actor.now)
    reply = Reply(title=text("coaching.next.title", number=active.index(current) + 1, total=len(active),
                             title=current.title_text()),
                  body=body, fields=tuple(fields), buttons=_done_buttons(current), links=links)
    return audience.explained(reply, actor.language, brief.language)


async def _step_draft(step: Step, brief: Brief, model: CoachModel | None) -> str | BlogPlan:
    """The step's ready draft: the model's when it is usable, else the template's."""
    title = render(step.title_text(), brief.language)
    if step.kind == "blog":
        plan = await model.blog(brief) if model is not None else None
        return plan or templates.blog(brief, brief.hashtag)
    tweet = step.kind in templates.TWEET_KINDS
    if model is not None:
        # A tweet comes completed with the hashtag and the issue's handles; both kinds vetted by the guard.
        proposed = await model.step_draft(brief, title, tweet=tweet, hashtag=brief.hashtag)
        if proposed is not None:
            return proposed
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
    return (Field(text("coaching.next.follow"),
                  text("coaching.follow.search", municipality=brief.municipality)),
            (Link(text("coaching.follow.search_link"), search),))


async def _next_pressed(session: AsyncSession, actor: Actor, _arg: str = "") -> Reply:
    return await next_step(session, actor)


# -- /coach done ---------------------------------------------------------------------------------------------


def _find_step(rows: Sequence[CoachingStep], raw: str) -> CoachingStep:
    """Find an active step by its key or its number on the ladder."""
    active = [row for row in rows if row.active]
    wanted = validation.fold(raw)
    number = validation.whole_number(raw)  # as typed: folding reads "３" as 3
    if number is not None and 1 <= number <= len(active):
        return active[number - 1]
    for row in active:
        if row.key == wanted:
            return row
    raise UserError("coaching.errors.unknown_step", value=raw[:40],
                    steps=Join(tuple(Literal(f"{n}: {row.key}") for n, row in enumerate(active, 1))))


async def done(
    session: AsyncSession, actor: Actor, *, step: str | None = None, link: str | None = None
) -> Reply:
    """Mark a step done (the current one unless named), with an optional link as evidence; show the bar
    move."""
    member = actor.require_onboarded()
    url = validation.web_url(link, text("coaching.field.link"))
    rows, finished_before = await _stored_rows_and_done(session, actor.workspace.id, member.id, actor.now)
    if step is not None and step.strip():
        row = _find_step(rows, step)  # a step the member's experience skips may still be done
    else:
        _, _, upcoming = standing([_step(r) for r in rows], finished_before, member.experience)
        if upcoming is None:
            return Reply(body=text("coaching.done.nothing_left"), buttons=(next_button(),))
        row = next(r for r in rows if r.key == upcoming.key)
    title = _step(row).title_text()
    existing = finished_before.get(row.key)
    if existing is not None:
        if url:
            existing.evidence_url = url
            return Reply(body=text("coaching.done.link_saved", title=title, url=url))
        return Reply(body=text("coaching.done.already", title=title), buttons=(next_button(),))
    session.add(CoachingProgress(workspace_id=actor.workspace.id, member_id=member.id, step_id=row.id,
                                 evidence_url=url, done_at=actor.now))
    await streaks.added(session, actor.workspace, member.id, actor.now)
    await session.flush()
    log.info("Member %s finished coaching step %s in workspace %s", member.id, row.id, actor.workspace.id)
    settings = await settings_of(session, actor.workspace.id)
    await plan_nudges(session, actor.workspace, settings, actor.now)
    steps = [_step(r) for r in rows]
    finished_now = {*finished_before, row.key}
    active, finished, current = standing(steps, finished_now, member.experience)
    skipped = skipped_keys(active, finished_now, member.experience)
    streak = await streaks.of_member(session, actor.workspace, member.id, actor.now)
    fields = [progress_field(finished, len(active), streak, len(skipped))]
    if url:
        fields.insert(0, Field(text("coaching.done.evidence"), Literal(url)))
    if current is not None:
        fields.append(Field(text("coaching.done.next"), text("coaching.done.next_line",
                                                             number=active.index(current) + 1,
                                                             title=current.title_text())))
        buttons: tuple[Button, ...] = (next_button(),
                                       Button(text("coaching.button.undo"), UNDO_ACTION, row.key,
                                              ButtonStyle.SECONDARY))
    else:
        fields.append(Field(text("coaching.done.next"), text("coaching.done.finished")))
        buttons = (Button(text("coaching.button.undo"), UNDO_ACTION, row.key, ButtonStyle.SECONDARY),)
    return Reply(title=text("coaching.done.title", title=title), fields=tuple(fields), buttons=buttons)


async def complete_kind(session: AsyncSession, actor: Actor, kind: str, *, link: str | None = None
                        ) -> Step | None:
    """Mark the member's first open step of a kind done, because another feature saw them do it; return it.

    None when the member has not onboarded or has no open step of that kind; steps already done stay as they
    are.
    """
    member = actor.member
    if member.onboarded_at is None:
        return None
    rows, finished = await _stored_rows_and_done(session, actor.workspace.id, member.id, actor.now)
    skipped = skipped_keys([_step(r) for r in rows], finished, member.experience)
    open_rows = [r for r in rows if r.active and r.kind == kind and r.key not in finished]
    # A step on the member's way up first; a step their experience skips only when it is the only one of the
    # kind (they did it after all, and it is done, not skipped, from now on).
    row = next((r for r in open_rows if r.key not in skipped), None) or next(iter(open_rows), None)
    if row is None:
        return None
    session.add(CoachingProgress(workspace_id=actor.workspace.id, member_id=member.id, step_id=row.id,
                                 evidence_url=link, done_at=actor.now))
    await streaks.added(session, actor.workspace, member.id, actor.now)
    await session.flush()
    log.info("Member %s reached coaching step %s in workspace %s by a %s", member.id, row.id,
             actor.workspace.id, kind)
    await plan_nudges(session, actor.workspace, await settings_of(session, actor.workspace.id), actor.now)
    return _step(row)


async def step_counts(session: AsyncSession, workspace_id: int, member_id: int) -> tuple[int, int]:
    """Return how many of the ladder's active steps the member has done, and how many there are."""
    active, finished, _ = standing(*await _ladder_of(session, workspace_id, member_id))
    return finished, len(active)


def done_form(step_key: str) -> Form:
    """The form that marks a step done with a link as evidence."""
    return Form(DONE_FORM, text("coaching.form.done.title"), (
        FormField("link", text("coaching.field.link"), max_length=validation.MAX_URL,
                  placeholder=text("coaching.field.link.placeholder"),
                  description=text("coaching.field.link.description")),), arg=step_key)


async def _done_pressed(session: AsyncSession, actor: Actor, arg: str = "") -> Reply:
    return await done(session, actor, step=arg)


def _done_link_form(member: Member | None, arg: str) -> Form | None:
    # The step is checked when the form comes back; someone who has not onboarded is told by the action.
    return done_form(arg) if member is not None and member.onboarded_at is not None else None


async def _done_link_pressed(session: AsyncSession, actor: Actor, arg: str = "") -> Reply:
    actor.require_onboarded()
    return Reply(form=done_form(arg))


async def _done_submitted(session: AsyncSession, actor: Actor, values: Mapping[str, str], arg: str = ""
                          ) -> Reply:
    return await done(session, actor, step=arg, link=values.get("link"))


async def _done_written(session: AsyncSession, actor: Actor, arg: str, link: str | None) -> Reply:
    """A member wrote "klart" (or sent a link) back to a message with a step's done button: as the button (or
    its form with the link) does."""
    return await done(session, actor, step=arg, link=link)


async def undo(session: AsyncSession, actor: Actor, arg: str = "") -> Reply:
    """Take back a step marked done by mistake."""
    member = actor.require_onboarded()
    rows = await _stored_ladder(session, actor.workspace.id, actor.now)
    row = _find_step(rows, arg)
    # A DELETE without RETURNING gives a CursorResult (Session.execute() is typed to return a Result).
    result = cast(CursorResult[Any], await session.execute(delete(CoachingProgress).where(
        CoachingProgress.member_id == member.id, CoachingProgress.step_id == row.id)))
    title = _step(row).title_text()
    if not result.rowcount:
        return Reply(body=text("coaching.undo.not_done", title=title), replaces_source=True)
    await streaks.removed(session, actor.workspace, member.id)
    return Reply(body=text("coaching.undo.done", title=title), buttons=(next_button(),), replaces_source=True)


# -- /coach progress -----------------------------------------------------------------------------------------


async def progress(session: AsyncSession, actor: Actor) -> Reply:
    """Show the whole ladder with the member's finished steps, the bar, the streak and the nudges."""
    member = actor.require_onboarded()
    steps, finished_steps = await _ladder_of(session, actor.workspace.id, member.id)
    active, finished, current = standing(steps, finished_steps, member.experience)
    skipped = skipped_keys(active, finished_steps, member.experience)
    lines = []
    for number, step in enumerate(active, 1):
        progress_row = finished_steps.get(step.key)
        mark = "done" if progress_row else ("current" if step is current else
                                            "skipped" if step.key in skipped else "todo")
        evidence = text("coaching.progress.evidence", url=progress_row.evidence_url) \
            if progress_row and progress_row.evidence_url else ""
        lines.append(text(f"coaching.progress.{mark}", number=number, title=step.title_text(),
                          evidence=evidence))
    streak = await streaks.of_member(session, actor.workspace, member.id, actor.now)
    state = await session.get(CoachingMember, member.id)
    settings = await settings_of(session, actor.workspace.id)
    return Reply(title=text("coaching.progress.title"), body=Join(tuple(lines), separator="\n"),
                 fields=(progress_field(finished, len(active), streak, len(skipped)),
                         Field(text("coaching.progress.nudges"), _nudge_state(member, state, settings))),
                 buttons=(next_button(),) if current is not None else ())


def _nudge_state(member: Member, state: CoachingMember | None, settings: CoachingSettings) -> Text:
    """Say whether the member gets the weekly nudges, and when (or why not)."""
    if not settings.nudges:
        return text("coaching.nudges.off_for_group")
    if state is not None and state.paused:
        return text("coaching.nudges.paused")
    if not member.dm_reminders:
        return text("coaching.nudges.no_dm")
    return text("coaching.nudges.on", schedule=schedule(settings))


# -- coordinators: the overview and the ladder ---------------------------------------------------------------


Standee = tuple[int, str, bool, str | None]  # a member on a step: id, name, paused, experience


def _standing(workspace_id: int, stored: bool) -> Any:
    """The onboarded members, each with the step they stand on (the first active step they have neither
    finished nor skip for their experience; None past the top), as a subquery (member_id, name, step_id,
    paused, experience).

    Before the ladder is stored nobody has finished a step: each stands on the first default step their
    experience does not skip, by its stand-in id (minus its number).
    """
    experience = func.coalesce(Member.experience, "none")  # no NULL may make a skip unknown
    if stored:
        finished = select(CoachingProgress.id).where(CoachingProgress.member_id == Member.id,
                                                     CoachingProgress.step_id == CoachingStep.id
                                                     ).correlate(Member, CoachingStep)
        skips = [(experience == level) & CoachingStep.key.in_(sorted(keys))
                 for level, keys in SKIPPED_BY_EXPERIENCE.items() if keys]
        current: Any = (select(CoachingStep.id).where(CoachingStep.workspace_id == workspace_id,
                                                      CoachingStep.active.is_(True), ~finished.exists(),
                                                      ~or_(false(), *skips))
                        .order_by(CoachingStep.position, CoachingStep.id).limit(1).correlate(Member)
                        .scalar_subquery())
    else:
        firsts = {level: -next(number for number, (key, _) in enumerate(DEFAULT_LADDER, 1) if key not in keys)
                  for level, keys in SKIPPED_BY_EXPERIENCE.items()}
        later = {level: literal(stand_in) for level, stand_in in firsts.items() if stand_in != -1}
        current = case(later, value=experience, else_=literal(-1)) if later else literal(-1)
    paused = select(CoachingMember.member_id).where(CoachingMember.member_id == Member.id,
                                                    CoachingMember.paused.is_(True)).exists()
    return select(Member.id.label("member_id"), Member.display_name.label("name"),
                  current.label("step_id"), paused.label("paused"),
                  Member.experience.label("experience")).where(
        Member.workspace_id == workspace_id, Member.onboarded_at.is_not(None)).subquery()


async def _standings(session: AsyncSession, workspace_id: int, shown: int, stored: bool
                     ) -> tuple[dict[int | None, int], dict[int | None, list[Standee]]]:
    """Count the onboarded members per step they stand on (see _standing), and name the first `shown` of
    each step by name.

    The database does the counting: one query, whatever the number of members, returns at most `shown` rows
    per step, each with its step's count.
    """
    standing = _standing(workspace_id, stored)
    ranked = select(
        standing,
        func.row_number().over(partition_by=standing.c.step_id,
                               order_by=(standing.c.name, standing.c.member_id)).label("rank"),
        func.count().over(partition_by=standing.c.step_id).label("count"),
    ).subquery()
    rows = await session.execute(select(ranked.c.step_id, ranked.c.count, ranked.c.member_id, ranked.c.name,
                                        ranked.c.paused, ranked.c.experience).where(ranked.c.rank <= shown)
                                 .order_by(ranked.c.step_id, ranked.c.rank))
    counts: dict[int | None, int] = {}
    names: dict[int | None, list[Standee]] = defaultdict(list)
    for step_id, count, member_id, name, is_paused, member_experience in rows:
        counts[step_id] = count
        names[step_id].append((member_id, name, bool(is_paused), member_experience))
    return counts, names


def _active_steps(rows: Sequence[CoachingStep]) -> list[tuple[Step, int]]:
    """The ladder's active steps in order, each with the id members' standings name it by: its row's, or
    before the ladder is stored a default step's stand-in id (minus its number)."""
    if rows:
        return [(_step(row), row.id) for row in rows if row.active]
    return [(step, -number) for number, step in enumerate(_default_steps(), 1)]


@dataclass(frozen=True)
class LadderStanding:
    """The ladder as the coordinators' overview counts it, and a page of the onboarded members by name with
    the step each stands on (for the board)."""

    # (number, title, members on it) for each active step, in order.
    steps: tuple[tuple[int, Text | Literal, int], ...]
    # The members past the top step.
    finished: int
    # (name, step number or None past the top, paused) of the page's members.
    members: tuple[tuple[str, int | None, bool], ...]
    page: int
    pages: int

    @property
    def total(self) -> int:
        return sum(count for _, _, count in self.steps) + self.finished


async def standing_page(session: AsyncSession, workspace_id: int, *, page: int, per_page: int
                        ) -> LadderStanding:
    """Count the onboarded members on each step as /coach overview does, and list a page of them by name
    with their step (a page past the last shows the last)."""
    rows = await _stored_steps(session, workspace_id)
    steps = _active_steps(rows)
    numbers = {step_id: number for number, (_, step_id) in enumerate(steps, 1)}
    standing = _standing(workspace_id, bool(rows))
    counts: dict[int | None, int] = {
        step_id: count for step_id, count in await session.execute(
            select(standing.c.step_id, func.count()).group_by(standing.c.step_id))}
    pages = max(1, -(-sum(counts.values()) // per_page))
    page = min(max(page, 1), pages)
    listed = await session.execute(select(standing.c.name, standing.c.step_id, standing.c.paused)
                                   .order_by(standing.c.name, standing.c.member_id)
                                   .offset((page - 1) * per_page).limit(per_page))
    return LadderStanding(
        steps=tuple((number, step.title_text(), counts.get(step_id, 0))
                    for number, (step, step_id) in enumerate(steps, 1)),
        finished=counts.get(None, 0),
        members=tuple((name, numbers.get(step_id), bool(paused)) for name, step_id, paused in listed),
        page=page, pages=pages)


async def overview(session: AsyncSession, actor: Actor) -> Reply:
    """Show a coordinator who stands on which step, as text and as a bar chart."""
    actor.require_coordinator()
    workspace = actor.workspace
    language = actor.language
    rows = await _stored_steps(session, workspace.id)
    counts, names = await _standings(session, workspace.id, OVERVIEW_NAMES, stored=bool(rows))
    total = sum(counts.values())
    if not total:
        return Reply(body=text("coaching.overview.empty"))
    steps = _active_steps(rows)
    shown_ids = [member_id for group in names.values() for member_id, *_ in group]
    # The streaks and finished steps of the members named only (at most OVERVIEW_NAMES a step), not of every
    # member.
    member_streaks = await streaks.weeks_in_a_row(session, workspace, shown_ids, actor.now)
    finished = await done_of(session, shown_ids) if rows else {}
    ladder_steps = [step for step, _ in steps]
    skipping = {member_id: len(skipped_keys(ladder_steps, finished.get(member_id, set()), member_experience))
                for group in names.values() for member_id, _, _, member_experience in group}

    def named(step_id: int | None) -> Renderable:
        shown: list[Renderable] = [
            text("coaching.overview.member", name=Literal(name),
                 streak=text("coaching.overview.streak", weeks=member_streaks[member_id])
                 if member_streaks[member_id] else "",
                 paused=text("coaching.overview.paused") if is_paused else "",
                 skipped=text("coaching.overview.skipped", count=skipping[member_id])
                 if skipping[member_id] else "")
            for member_id, name, is_paused, _ in names.get(step_id, [])]
        if not shown:
            return text("coaching.overview.nobody")
        if counts[step_id] > len(shown):
            shown.append(text("coaching.overview.more", count=counts[step_id] - len(shown)))
        return Join(tuple(shown))

    lines: list[Renderable] = []
    labels, values = [], []
    for number, (step, step_id) in enumerate(steps, 1):
        lines.append(text("coaching.overview.step", number=number, title=step.title_text(),
                          count=counts.get(step_id, 0), names=named(step_id)))
        labels.append(render(text("coaching.chart.step", number=number, title=step.title_text()), language))
        values.append(counts.get(step_id, 0))
    lines.append(text("coaching.overview.finished", count=counts.get(None, 0), names=named(None)))
    if any(skipping.values()):
        lines.append(text("coaching.overview.skipped_legend"))
    labels.append(render(text("coaching.chart.finished"), language))
    values.append(counts.get(None, 0))
    png = await charts.render(session, chart.horizontal_bars, labels, values,
                              title=render(text("coaching.chart.title"), language),
                              xlabel=render(text("coaching.chart.xlabel"), language))
    return Reply(title=text("coaching.overview.title", count=total),
                 body=Join(tuple(lines), separator="\n"), files=(Attachment("coaching-overview.png", png),))


def _ladder_reply(rows: Sequence[CoachingStep], changed: bool) -> Reply:
    active = [r for r in rows if r.active]
    retired = [r for r in rows if not r.active]

    def line(number: int | str, row: CoachingStep) -> Text:
        step = _step(row)
        return text("coaching.ladder.line", number=number, title=step.title_text(), step=row.key,
                    kind=text(f"coaching.kind.{row.kind}"),
                    custom=text("coaching.ladder.custom") if step.custom else "")

    fields = [Field(text("coaching.ladder.retired"),
                    Join(tuple(line("–", r) for r in retired), separator="\n"))] if retired else []
    fields.append(Field(text("coaching.ladder.how"), text("coaching.ladder.hint")))
    return Reply(title=text("coaching.ladder.title", count=len(active)),
                 body=Join((text("coaching.ladder.saved" if changed else "coaching.ladder.current"),
                            *(line(n, r) for n, r in enumerate(active, 1))), separator="\n"),
                 fields=tuple(fields))


async def configure_ladder(session: AsyncSession, actor: Actor, *, step: str | None = None,
                           title: str | None = None, why: str | None = None, example: str | None = None,
                           kind: StepKind | None = None, position: int | None = None,
                           active: bool | None = None, reset: bool | None = None) -> Reply:
    """Show the ladder; or add a step (a new key) or change one: its texts, kind, place, or whether it is
    used."""
    actor.require_coordinator()
    rows = await _stored_ladder(session, actor.workspace.id, actor.now)
    if step is None or not step.strip():
        if any((title, why, example, kind)) or (position, active, reset) != (None, None, None):
            raise UserError("coaching.errors.step_needed")
        return _ladder_reply(rows, changed=False)
    key = validation.fold(step)
    if not STEP_KEY.match(key):
        raise validation.FieldProblem(text("cmd.coach.ladder.opt.step.name"),
                                      text("coaching.errors.step_key", value=step[:40]))
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
        row = CoachingStep(workspace_id=actor.workspace.id, key=key, kind=kind or StepKind.TWEET,
                           position=max((r.position for r in rows), default=0) + 1, active=True,
                           created_at=actor.now, updated_at=actor.now)
        session.add(row)
        rows.append(row)
        changed = ["created"]
    else:
        changed = []
        if kind:
            row.kind = kind
            changed.append("kind")
    if reset:
        if row.key not in DEFAULT_KEYS:
            raise UserError("coaching.errors.reset_custom", step=row.key)
        row.title = row.why = row.example = None
        row.kind = dict(DEFAULT_LADDER)[row.key]
        changed.append("reset")
    for name, value in values.items():
        if value:
            setattr(row, name, value)
            changed.append(name)
    if active is not None:
        if not active and row.active and sum(1 for r in rows if r.active) == 1:
            raise UserError("coaching.errors.last_step")
        if active != row.active:
            row.active = active
            changed.append("active")
    if position is not None:
        _move(rows, row, position)
        changed.append("position")
    if changed:
        row.updated_at = actor.now
        await session.flush()
        audit(session, actor, "coaching.ladder", step=row.key, changed=sorted(set(changed)))
    rows.sort(key=lambda r: (r.position, r.id or 0))
    return _ladder_reply(rows, changed=bool(changed))


def _move(rows: list[CoachingStep], row: CoachingStep, position: int) -> None:
    """Put a step at a place among the active steps (1 = first) and renumber the whole ladder."""
    active = [r for r in sorted(rows, key=lambda r: (r.position, r.id or 0)) if r.active and r is not row]
    if not 1 <= position <= len(active) + 1:
        raise UserError("coaching.errors.position", value=str(position)[:10], max=len(active) + 1)
    active.insert(position - 1, row)
    retired = [r for r in sorted(rows, key=lambda r: (r.position, r.id or 0)) if r not in active]
    for number, item in enumerate([*active, *retired], 1):
        item.position = number


# -- options for the adapters --------------------------------------------------------------------------------


async def step_options(session: AsyncSession, platform: str, workspace_external_id: str, current: str
                       ) -> list[tuple[str, str]]:
    """Suggest the ladder's steps (key and title) matching what was typed, for an adapter's autocomplete."""
    workspace = await session.scalar(select(Workspace).where(Workspace.platform == platform,
                                                             Workspace.external_id == workspace_external_id))
    steps = await steps_of(session, workspace.id) if workspace is not None else _default_steps()
    language = workspace.language if workspace is not None else "sv"
    wanted = validation.fold(current)
    found = []
    for step in steps:
        name = render(step.title_text(), language)
        if wanted in step.key or wanted in validation.fold(name):
            found.append((f"{step.key}: {name}", step.key))
    return found


# -- /mydata -------------------------------------------------------------------------------------------------


async def _export(session: AsyncSession, member: Member) -> dict[str, Any]:
    rows = await session.execute(select(CoachingStep.key, CoachingProgress)
                                 .join(CoachingProgress, CoachingProgress.step_id == CoachingStep.id)
                                 .where(CoachingProgress.member_id == member.id)
                                 .order_by(CoachingProgress.done_at))
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
    await streaks.removed(session, await session.get_one(Workspace, member.workspace_id), member.id)


FEATURE = Feature(
    "ladder",
    actions={
        NEXT_ACTION: _next_pressed,
        DONE_ACTION: _done_pressed,
        DONE_LINK_ACTION: _done_link_pressed,
        UNDO_ACTION: undo,
    },
    forms={DONE_FORM: _done_submitted},
    form_openers={DONE_LINK_ACTION: _done_link_form},
    answers={DONE_ACTION: _done_written, DONE_LINK_ACTION: _done_written},
    activity_sources=(_steps_done,),
    # One "coaching" part of the export, as before the nudges had their own module: the steps done and
    # whether the member paused the nudges (a single row, erased here too).
    member_data=(MemberData("coaching", _export, _erase,
                            covers=("coaching_progress.member_id", "coaching_member.member_id")),),
    impersonal={"coaching_step.key": "a rung of the ladder, named by the bot or a coordinator"},
)
