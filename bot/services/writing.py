"""Writing help: draft tweets, blog prompts and feedback on a member's draft (/coach tweet, blog, feedback).

Drafts are about the member's business in their trade and town, and about the open issue they name; they come
from the coach's templates, or from the model when the App has one, and always pass the template's checks. The
ladder's ready drafts for a step start from the same brief.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import validation
from bot.coach import BlogPlan, Brief, CoachModel, rules, templates
from bot.errors import UserError
from bot.i18n import render
from bot.models import Member, Workspace
from bot.replies import Field, Join, Link, Literal, Renderable, Reply, Text, text
from bot.services import audience, drafts, profile_fields
from bot.services.coaching_settings import CoachingSettings, settings_of
from bot.services.context import Actor
from bot.services.profile_fields import choice_label

log = logging.getLogger(__name__)


class DraftKind(StrEnum):
    """What a draft for feedback is (guessed from its length when not said)."""

    TWEET = rules.TWEET
    BLOG = rules.BLOG


# Read by value, by name ("bloggstycke", "blog paragraph") or by a shorter word for it.
DRAFT_KIND = validation.ChoiceSet(
    DraftKind, "coaching.feedback.field.kind", "coaching.feedback.kind",
    {"blogg": "blog", "stycke": "blog", "paragraph": "blog", "inlagg": "tweet", "post": "tweet"},
    problem="coaching.errors.feedback_kind")

MAX_TOPIC = 100
MAX_TEXT = 2000
MAX_ISSUES_LISTED = 5


# -- what a draft knows about the member ---------------------------------------------------------------------


def town(member: Member) -> Renderable:
    """Name the member's municipality; the region when they chose none of its municipalities."""
    if member.municipality and member.municipality != "other":
        return choice_label("municipality", member.municipality)
    return text("coaching.municipality.other")


def _company(member: Member, language: str) -> str:
    return member.company or render(text("coaching.company.default"), language)


def business_brief(member: Member, language: str) -> Brief:
    """What a draft says of the member's business (its name, trade, town, offer and facts), with no issue."""
    return Brief(language=language, company=_company(member, language), industry=member.industry or "other",
                 municipality=render(town(member), language), experience=member.experience or "none",
                 goal="", hashtag="", offer=member.offer or "", facts=member.facts or "")


def stakes(member: Member, language: str) -> tuple[str, ...]:
    """What an issue means for the member's business, in their own terms: the richest sentence first, then
    plainer ones (a draft takes the first that fits)."""
    return tuple(templates.stake(brief) for brief in templates.plainer(business_brief(member, language)))


def member_brief(actor: Actor, settings: CoachingSettings, *, topic: str = "",
                 issue: drafts.IssueContext | None = None) -> Brief:
    """Take from the profile only what a draft needs: never the name, the handles or any id. A draft is
    written in its readers' language (context.audience_language), which may not be the member's."""
    member = actor.member
    language = actor.audience_language
    return Brief(language=language, company=_company(member, language), industry=member.industry or "other",
                 municipality=render(town(member), language), experience=member.experience or "none",
                 goal=member.goal or "", hashtag=_hashtag_for(settings, issue), topic=topic, issue=issue,
                 timezone=actor.workspace.timezone, offer=member.offer or "", facts=member.facts or "")


async def _asked_brief(session: AsyncSession, actor: Actor, *, topic: str | None = None,
                       issue: str | None = None) -> Brief:
    """The brief for a draft the member asked for: about the topic and the open issue they named (both
    checked)."""
    wanted_topic = _topic(topic)
    chosen = await _find_issue(session, actor, issue)
    settings = await settings_of(session, actor.workspace.id)
    return member_brief(actor, settings, topic=wanted_topic, issue=chosen)


def _hashtag_for(settings: CoachingSettings, issue: drafts.IssueContext | None) -> str:
    """Use the issue's own hashtag for a draft about it, else the campaign's."""
    if issue is not None and issue.hashtag:
        try:
            return drafts.normalize_hashtag(issue.hashtag)
        except validation.FieldProblem:
            log.warning("Issue %s has an unusable hashtag; using the campaign's", issue.id)
    return settings.hashtag


def decision_date(issue: drafts.IssueContext, actor: Actor) -> str:
    """Say when the issue is decided (" den 17/12"), in the workspace's zone; empty when no date is known."""
    return drafts.decision_date(issue, actor.workspace.timezone, actor.language)


async def local_issues(session: AsyncSession, actor: Actor) -> list[drafts.IssueContext]:
    """Return the open issues in the member's municipality (all when they named none), soonest decision
    first, without their targets (with_targets adds them for the issues a draft names)."""
    return await drafts.open_issues(session, actor.workspace.id, actor.member.municipality)


async def with_targets(session: AsyncSession, actor: Actor, issues: Sequence[drafts.IssueContext]
                       ) -> list[drafts.IssueContext]:
    """Return the issues with whom to ask and which media to ping, in a fixed number of statements."""
    return await drafts.with_targets(session, actor.workspace.id, issues)


async def _find_issue(session: AsyncSession, actor: Actor, raw: str | None) -> drafts.IssueContext | None:
    """Find an open issue by its number or its title (any municipality of the workspace); None when not
    asked."""
    wanted = (raw or "").strip().removeprefix("#")
    if not wanted:
        return None
    issues = await drafts.open_issues(session, actor.workspace.id, None)
    folded = validation.fold(wanted)
    issue_id = validation.record_id(wanted)
    for issue in issues:
        if issue.id == issue_id:
            return (await with_targets(session, actor, [issue]))[0]
    exact = [i for i in issues if validation.fold(i.title) == folded]
    partial = [i for i in issues if folded in validation.fold(i.title)]
    if exact or len(partial) == 1:
        return (await with_targets(session, actor, [(exact or partial)[0]]))[0]
    if not issues:
        raise UserError("coaching.errors.unknown_issue_none", value=wanted[:60])
    raise UserError("coaching.errors.unknown_issue", value=wanted[:60], issues=_issue_list(issues))


def _issue_list(issues: Sequence[drafts.IssueContext]) -> Join:
    return Join(tuple(Literal(f"{i.id}: {i.title}") for i in issues[:MAX_ISSUES_LISTED]), separator="; ")


def _issue_hint(issues: Sequence[drafts.IssueContext], actor: Actor) -> Field:
    lines = tuple(text("coaching.issue.line", id=i.id, title=Literal(i.title), when=decision_date(i, actor))
                  for i in issues[:MAX_ISSUES_LISTED])
    return Field(text("coaching.tweets.issues"), Join((*lines, text("coaching.tweets.issues_hint")),
                                                      separator="\n"))


def _about(issue: drafts.IssueContext | None, topic: str) -> Renderable:
    """Name what drafts are about: the issue, the member's topic, or their business."""
    if issue is not None:
        return Literal(issue.title)
    return Literal(topic) if topic else text("coaching.tweets.any")


def _topic(raw: str | None) -> str:
    return validation.clean_text(raw, text("coaching.field.topic"), max_length=MAX_TOPIC) or ""


def share(post: str, issue: drafts.IssueContext | None, number: int | None = None,
          platforms: Sequence[str] = profile_fields.DEFAULT_PLATFORMS) -> tuple[Link, ...]:
    """The post's share links on the member's platforms (X; Facebook with the issue's source), numbered when
    there are several drafts.

    A LinkedIn post is longer than a tweet: it comes as a text of its own with one share link of the source
    (linkedin_draft), not with each tweet.
    """
    links = []
    tweet_platforms = tuple(platform for platform in platforms if platform != "linkedin")
    for link in drafts.share_links(post, url=issue.source_url if issue is not None else None,
                                   platforms=tweet_platforms):
        label = text("coaching.share.numbered", number=number, label=link.label) if number else link.label
        links.append(Link(label, link.url))
    return tuple(links)


def linkedin_draft(brief: Brief, member: Member) -> tuple[Field | None, tuple[Link, ...]]:
    """For a member who uses LinkedIn: the LinkedIn post as copy-ready text, and a plain share link of the
    issue's source when there is one; nothing for the others."""
    if "linkedin" not in profile_fields.platforms_of(member.platforms):
        return None, ()
    post = templates.linkedin(brief, brief.hashtag)
    field = Field(text("coaching.linkedin.draft", length=len(post)), Literal(post))
    source = brief.issue.source_url if brief.issue is not None else None
    return field, drafts.share_links(post, url=source, platforms=("linkedin",))


# -- /coach tweet, blog, feedback ----------------------------------------------------------------------------


async def tweet(session: AsyncSession, actor: Actor, model: CoachModel | None = None, *,
                topic: str | None = None, issue: str | None = None) -> Reply:
    """Three draft tweets within X's limit, each with the hashtag, the issue's handles and share links."""
    actor.require_onboarded()
    brief = await _asked_brief(session, actor, topic=topic, issue=issue)
    wanted_topic, chosen = brief.topic, brief.issue
    posts: list[str] = []
    if model is not None:
        # Completed with the hashtag and the issue's handles and vetted by the coach's guard.
        for usable in await model.tweets(brief, brief.hashtag) or []:
            if usable not in posts:
                posts.append(usable)
    for fallback in templates.tweets(brief, brief.hashtag):
        if len(posts) >= 3:
            break
        if fallback not in posts:
            posts.append(fallback)
    fields = [Field(text("coaching.tweets.draft", number=n, length=drafts.x_length(post),
                         limit=drafts.X_LIMIT), Literal(post)) for n, post in enumerate(posts[:3], 1)]
    if chosen is None:
        issues = await local_issues(session, actor)
        if issues:
            fields.append(_issue_hint(issues, actor))
    platforms = profile_fields.platforms_of(actor.member.platforms)
    links = tuple(link for n, post in enumerate(posts[:3], 1)
                  for link in share(post, brief.issue, n, platforms))
    linkedin_field, linkedin_links = linkedin_draft(brief, actor.member)
    if linkedin_field is not None:
        fields.append(linkedin_field)
    about = _about(chosen, wanted_topic)
    body: Renderable = text("coaching.tweets.body")
    if not (actor.member.offer or actor.member.facts):
        body = Join((body, text("coaching.tweets.tell_more")), separator="\n\n")
    reply = Reply(title=text("coaching.tweets.title", topic=about), body=body,
                  fields=tuple(fields), links=(*links, *linkedin_links))
    return audience.explained(reply, actor.language, brief.language)


def blog_fields(plan: BlogPlan) -> list[Field]:
    """A blog plan as fields: the title ideas, then the outline's four parts."""
    return [
        Field(text("coaching.blog.titles"), Join(tuple(Literal(t) for t in plan.titles), separator="\n",
                                                 bullet="• ")),
        Field(text("coaching.blog.heading.problem"), Literal(plan.problem)),
        Field(text("coaching.blog.heading.business"), Literal(plan.business)),
        Field(text("coaching.blog.heading.politicians"), Literal(plan.politicians)),
        Field(text("coaching.blog.heading.action"), Literal(plan.action)),
    ]


async def blog(session: AsyncSession, actor: Actor, model: CoachModel | None = None, *,
               topic: str | None = None, issue: str | None = None) -> Reply:
    """A blog prompt: title ideas and an outline with the member's business-value angle."""
    actor.require_onboarded()
    brief = await _asked_brief(session, actor, topic=topic, issue=issue)
    wanted_topic, chosen = brief.topic, brief.issue
    plan = await model.blog(brief) if model is not None else None
    plan = plan or templates.blog(brief, brief.hashtag)
    fields = blog_fields(plan)
    if chosen is None and not wanted_topic:
        issues = await local_issues(session, actor)
        if issues:
            fields.append(_issue_hint(issues, actor))
    fields.append(Field(text("coaching.blog.done_title"), text("coaching.blog.done_hint")))
    about = _about(chosen, wanted_topic)
    reply = Reply(title=text("coaching.blog.reply.title", topic=about), body=text("coaching.blog.reply.body"),
                  fields=tuple(fields))
    return audience.explained(reply, actor.language, brief.language)


async def feedback(session: AsyncSession, actor: Actor, model: CoachModel | None = None, *,
                   draft: str | None = None, issue: str | None = None, kind: DraftKind | None = None
                   ) -> Reply:
    """Feedback on a draft: the three most important fixes first, then an improved version in the member's
    voice."""
    actor.require_onboarded()
    draft = validation.clean_text(draft, text("coaching.field.text"), max_length=MAX_TEXT,
                                  required=True) or ""
    # The member's own draft, in whatever language they wrote it: the coach answers in theirs, the model too.
    brief = dataclasses.replace(await _asked_brief(session, actor, issue=issue), language=actor.language)
    also_accepted: tuple[str, ...] = ()
    if brief.issue is None:
        inferred = await _issue_of_draft(session, actor, draft)
        if inferred is not None:
            # The member did not tie the draft to the issue: the campaign's hashtag does as well as its own.
            also_accepted = (brief.hashtag,)
            brief = dataclasses.replace(
                member_brief(actor, await settings_of(session, actor.workspace.id), issue=inferred),
                language=actor.language)
    chosen = brief.issue
    issues = [chosen] if chosen else await with_targets(session, actor, await local_issues(session, actor))
    politicians = [f"@{h.lstrip('@')}" for i in issues for h in i.target_handles if h]
    politicians += [n for i in issues for n in i.target_names if n]
    media = [h for i in issues for h in i.media_handles if h]
    # Without a chosen issue, suggest the handles of the soonest one in the member's municipality.
    suggest = brief if chosen or not issues else dataclasses.replace(brief, issue=issues[0])
    draft_kind = rules.kind_of(draft, kind or "")
    findings = rules.review(draft, suggest, brief.hashtag, draft_kind, politicians=politicians, media=media,
                            also_accepted=also_accepted)
    first, more, good = rules.first_fixes(findings)
    improved = rules.improve(draft, suggest, brief.hashtag, draft_kind, politicians=politicians, media=media,
                             also_accepted=also_accepted)

    def better(candidate: str) -> bool:
        """Tell whether the model's improved version keeps what the draft has and passes what it passed."""
        after = rules.review(candidate, suggest, brief.hashtag, draft_kind, politicians=politicians,
                             media=media, also_accepted=also_accepted)
        return (rules.keeps(draft, candidate) and rules.failing(after) <= rules.failing(findings)
                and rules.penalty(after) <= rules.penalty(findings))

    comments: tuple[str, ...] = ()
    if model is not None:
        told = [render(f.message, actor.language) for f in findings if not f.ok]
        answer = await model.feedback(brief, draft, draft_kind, told)
        if answer is not None:
            comments = answer.comments
            if answer.improved and _usable_improvement(answer.improved, draft_kind, brief.hashtag) \
                    and better(answer.improved):
                improved = answer.improved
    fields: list[Field] = []
    if first:
        fields.append(Field(text("coaching.feedback.first"), Join(
            tuple(text("coaching.feedback.numbered", number=n, message=f.message)
                  for n, f in enumerate(first, 1)),
            separator="\n")))
    if more:
        fields.append(Field(text("coaching.feedback.more"),
                            Join(tuple(f.message for f in more), separator="\n", bullet="• ")))
    if good:
        fields.append(Field(text("coaching.feedback.good"),
                            Join(tuple(f.message for f in good), separator="\n", bullet="✓ ")))
    if comments:
        fields.append(Field(text("coaching.feedback.model"), Join(tuple(Literal(c) for c in comments),
                                                                  separator="\n", bullet="• ")))
    summary = _summary(len(first) + len(more))
    if draft_kind == rules.TWEET:
        fields.append(Field(text("coaching.feedback.improved_tweet", length=drafts.x_length(improved),
                                 limit=drafts.X_LIMIT), Literal(improved)))
        links = share(improved, brief.issue) if templates.shareable(improved) else ()
        return Reply(title=text("coaching.feedback.title.tweet"), body=summary, fields=tuple(fields),
                     links=links)
    body = Join((summary, text("coaching.feedback.improved_paragraph"), Literal(improved)), separator="\n\n")
    return Reply(title=text("coaching.feedback.title.blog"), body=body, fields=tuple(fields))


def _summary(fixes: int) -> Text:
    """Say how many things there are to fix (one, several, or none)."""
    if not fixes:
        return text("coaching.feedback.all_good")
    if fixes == 1:
        return text("coaching.feedback.summary_one")
    return text("coaching.feedback.summary", count=fixes)


async def _issue_of_draft(session: AsyncSession, actor: Actor, draft: str) -> drafts.IssueContext | None:
    """Work out which open issue of the workspace a draft is about from its hashtags and handles; None when
    it names none (then nothing is read)."""
    if "#" not in draft and "@" not in draft:
        return None
    every = await with_targets(session, actor, await drafts.open_issues(session, actor.workspace.id, None))
    return rules.infer_issue(draft, every, actor.member.municipality)


def _usable_improvement(improved: str, kind: str, hashtag: str) -> bool:
    if rules.harsh_word(improved) is not None:
        return False  # the model repeated an insult the feedback asks the member to drop
    if kind == rules.TWEET:
        return templates.shareable(improved) and templates.has_tag(improved, hashtag)
    return len(improved) <= MAX_TEXT


# -- options for the adapters --------------------------------------------------------------------------------


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
