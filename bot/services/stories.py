"""Stories: members tell what social media brought their business; the group applauds, coordinators feature
them.

Who sees a story, wherever it is read (/story list, search and show, the 👏 button, the suggestions while one
types): a public story anyone in the server; a group-only story the members who onboarded and consented, and
the coordinators (Actor.in_group); its author always. Anyone else is told that the group's stories are for
members and how to become one (/onboard); a story of another workspace does not exist for them.

A story is posted in the stories channel (in a forum channel, one post per story) and exported for a blog or a
newsletter as Markdown and CSV. Who may see it is the member's choice: the group only, or also the
federation's public material, named as they chose (name and company, name only, or no name). The public export
holds nothing else about them. A coordinator may hide a story from everything meant for outsiders (it is
wrong or sensitive) and show it again. A group may publish a public stories page (bot.web.board.public): its
public stories, not hidden, with an Atom feed. A member's stories are their data: /mydata delete erases them,
with the applause they got.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, delete, false, func, or_, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot import csvexport, validation
from bot.contributions import Feature, MemberData
from bot.errors import UserError
from bot.i18n import render
from bot.models import ActivityScore, Issue, LiveMessage, Member, Story, StoryApplause, Workspace
from bot.replies import (
    Attachment,
    Button,
    ButtonStyle,
    Channel,
    Choice,
    DeletePost,
    Field,
    FieldKind,
    Form,
    FormField,
    Join,
    Link,
    Literal,
    Mention,
    PostToChannel,
    Reply,
    Text,
    more_than_shown,
    text,
)
from bot.services import activity, board, civics, ladder, streaks, workspaces
from bot.services.context import Actor, Identity, audit, is_coordinator, is_group_member, workspace_row

log = logging.getLogger(__name__)

KINDS = ("tweet", "blog", "meeting", "media", "other")
KIND_CHOICES = tuple(Choice(kind, text(f"stories.kind.{kind}")) for kind in KINDS)
GROUP, PUBLIC = "group", "public"
# What the member chooses in the form: who may see the story, and how public material names them.
CONSENTS = {"group": (GROUP, "name"), "public": (PUBLIC, "company"), "public_name": (PUBLIC, "name"),
            "public_anonymous": (PUBLIC, "anonymous")}
CONSENT_CHOICES = tuple(Choice(value, text(f"stories.visibility.{value}")) for value in CONSENTS)
CONSENT_ALIASES = {"grupp": "group", "gruppen": "group", "bara gruppen": "group", "publik": "public",
                   "offentlig": "public", "anonym": "public_anonymous", "anonymous": "public_anonymous"}


class Audience(StrEnum):
    """Whom an export of the stories is for."""

    PUBLIC = PUBLIC
    GROUP = GROUP


AUDIENCE = validation.ChoiceSet(Audience, "stories.field.audience", "stories.audience",
                                {"publik": PUBLIC, "grupp": GROUP, "gruppen": GROUP})

FORM_ID = "stories.share"
SHARE_ACTION = "stories.share"
APPLAUD_ACTION = "stories.applaud"
FEATURE_ACTION = "stories.feature"
DELETE_CONFIRM = "stories.delete_confirm"
DELETE_CANCEL = "stories.delete_cancel"
# A story's post in the stories channel is kept under this key and the story's id (a LiveMessage), so that
# its author can have it deleted with their data.
POST_KEY = "story:"
MAX_TITLE = 100
MAX_VALUE = 1000
LISTED = 15
MARKDOWN_SPECIAL = "\\`*_[]<>#|"


def share_form(issue: str = "") -> Form:
    """The story form: title, what I did, what it brought my business, a link, and who may see it; `issue`:
    the id of the issue the story is about (a form has room for five fields: the command carries it)."""
    return Form(
        FORM_ID,
        text("stories.form.title"),
        (
            FormField(
                "title",
                text("stories.field.title"),
                required=True,
                max_length=MAX_TITLE,
                placeholder=text("stories.field.title.placeholder"),
            ),
            FormField(
                "kind", text("stories.field.kind"), FieldKind.CHOICE, required=True, choices=KIND_CHOICES
            ),
            FormField(
                "value",
                text("stories.field.value"),
                FieldKind.PARAGRAPH,
                required=True,
                max_length=MAX_VALUE,
                placeholder=text("stories.field.value.placeholder"),
            ),
            FormField(
                "link",
                text("stories.field.link"),
                max_length=validation.MAX_URL,
                placeholder=text("stories.field.link.placeholder"),
            ),
            FormField(
                "visibility",
                text("stories.field.visibility"),
                FieldKind.CHOICE,
                required=True,
                choices=CONSENT_CHOICES,
            ),
        ),
        arg=issue,
        values={"visibility": "group"},
    )


def share_button() -> Button:
    """The button that opens the story form (for other features' messages: the coaching's story step)."""
    return Button(text("stories.button.share"), SHARE_ACTION, style=ButtonStyle.SUCCESS)


def _share_form(member: Member | None, arg: str) -> Form | None:
    # Someone who has not onboarded is pointed to /onboard by the action instead; an issue named is looked
    # up by the action first (an unknown one is told before anything is typed).
    return share_form() if member is not None and member.onboarded_at is not None and not arg else None


async def start_share(session: AsyncSession, actor: Actor, issue: str = "") -> Reply:
    """Open the story form; `issue`: the issue the story is about (any of the workspace's, closed ones
    too)."""
    actor.require_onboarded()
    about = await civics.find_issue(session, actor.workspace.id, issue) if issue else None
    return Reply(form=share_form(str(about.id) if about else ""))


def _choice(
    raw: str | None, label: Text, choices: Sequence[Choice], aliases: Mapping[str, str], default: str
) -> str:
    folded = validation.fold(raw or "")
    return validation.choice(aliases.get(folded, folded), label, choices) or default


async def share(session: AsyncSession, actor: Actor, values: Mapping[str, str], arg: str = "") -> Reply:
    """Store a story and post it in the stories channel; an empty or broken one is refused with every
    problem. The issue it is about: the form's `arg` (the command's `issue`), or `values["issue"]` (the
    console and Slack give the form's fields as options)."""
    member = actor.require_onboarded()
    issue_ref = (values.get("issue") or arg or "").strip()
    about = await civics.find_issue(session, actor.workspace.id, issue_ref) if issue_ref else None
    read = validation.read_all({
        "title": lambda: validation.clean_text(values.get("title", ""), text("stories.field.title"),
                                               max_length=MAX_TITLE, required=True),
        "kind": lambda: validation.choice(values.get("kind", ""), text("stories.field.kind"), KIND_CHOICES,
                                          required=True),
        "value": lambda: validation.clean_text(values.get("value", ""), text("stories.field.value"),
                                               max_length=MAX_VALUE, required=True),
        "link": lambda: validation.web_url(values.get("link", ""), text("stories.field.link")),
        "visibility": lambda: _choice(values.get("visibility", ""), text("stories.field.visibility"),
                                      CONSENT_CHOICES, CONSENT_ALIASES, "group"),
    })
    visibility, credit = CONSENTS[read["visibility"]]
    story = Story(
        workspace_id=actor.workspace.id,
        member_id=member.id,
        title=read["title"],
        kind=read["kind"],
        value=read["value"],
        link=read["link"],
        visibility=visibility,
        credit=credit,
        issue_id=about.id if about else None,
        created_at=actor.now,
        updated_at=actor.now,
    )
    session.add(story)
    await session.flush()
    await streaks.added(session, actor.workspace, member.id, actor.now)
    await activity.scored(session, actor.workspace, member.id, actor.now, stories=1)
    log.info(
        "Member %s shared story %s (%s) in workspace %s", member.id, story.id, visibility, actor.workspace.id
    )
    step = await ladder.complete_kind(session, actor, "story", link=story.link)
    notice = Reply(
        body=text(
            "stories.notice",
            name=Literal(member.display_name),
            title=Literal(story.title),
            id=story.id,
            visibility=consent_label(story),
        ),
        buttons=(Button(text("stories.button.feature"), FEATURE_ACTION, str(story.id)),),
        private=False,
    )
    fields = [Field(text("stories.field.visibility"), consent_label(story))]
    if step is not None:
        fields.append(
            Field(text("stories.shared.step_title"), text("stories.shared.step", title=step.title_text()))
        )
    effects: list[PostToChannel] = [PostToChannel(Channel.COORDINATORS, notice)]
    if story.visibility == GROUP and not actor.workspace.stories_channel_id:
        # Not in the announcements the stories channel falls back to: anyone in the server may read those.
        body = text("stories.shared.body_group_no_channel")
    else:
        channel = workspaces.channel_id(actor.workspace, Channel.STORIES)
        body = text("stories.shared.body", channel=Mention("channel", channel)) if channel \
            else text("stories.shared.body_no_channel")
        effects.insert(0, PostToChannel(Channel.STORIES, post_reply(story, member, 0, about=about),
                                          keep_as=f"{POST_KEY}{story.id}"))
    return Reply(title=text("stories.shared.title"), body=body, fields=tuple(fields), effects=tuple(effects))


# -- how a story is shown ------------------------------------------------------------------------------------


def kind_label(kind: str) -> Text:
    """Name what the member did."""
    return text(f"stories.kind.{kind}")


def consent_label(story: Story) -> Text:
    """Say who may see a story and how public material names its author."""
    if story.visibility == GROUP:
        return text("stories.visibility.group")
    return text({"company": "stories.visibility.public", "name": "stories.visibility.public_name"}.get(
        story.credit, "stories.visibility.public_anonymous"))


def group_byline(member: Member) -> str:
    """Name the author within the group: their name, and their company when they gave one."""
    return f"{member.display_name}, {member.company}" if member.company else member.display_name


def public_byline(story: Story, member: Member, language: str) -> str:
    """Name the author in public material exactly as they chose: name and company, name only, or no name."""
    if story.credit == "anonymous":
        return render(text("stories.byline.anonymous"), language)
    if story.credit == "company":
        return group_byline(member)
    return member.display_name


def applaud_button(story_id: int, count: int) -> Button:
    """The 👏 button under a story, with how many found it inspiring."""
    return Button(
        text("stories.button.applaud", count=count), APPLAUD_ACTION, str(story_id), ButtonStyle.SECONDARY
    )


def post_reply(story: Story, author: Member, applause: int, *, private: bool = False,
               about: Issue | None = None) -> Reply:
    """The story as posted in the channel: title, what it brought, who, what they did, the issue it is about,
    the link and the 👏."""
    fields = [Field(text("stories.post.by"), Literal(group_byline(author)), inline=True),
              Field(text("stories.post.kind"), kind_label(story.kind), inline=True),
              Field(text("stories.post.number"), Literal(f"#{story.id}"), inline=True)]
    if about is not None:
        fields.append(Field(text("stories.post.about"), Literal(about.title)))
    if story.featured_at is not None:
        fields.insert(0, Field(text("stories.post.featured_title"), text("stories.post.featured")))
    return Reply(title=Literal(story.title), body=Literal(story.value), fields=tuple(fields),
                 buttons=(applaud_button(story.id, applause),),
                 links=(Link(text("stories.post.link"), story.link),) if story.link else (), private=private)


async def issue_of(session: AsyncSession, story: Story) -> Issue | None:
    """The issue a story is about (None: none, or it was deleted)."""
    return None if story.issue_id is None else await session.get(Issue, story.issue_id)


async def applause_counts(session: AsyncSession, story_ids: Sequence[int]) -> dict[int, int]:
    """Return how many 👏 each story has."""
    if not story_ids:
        return {}
    rows = await session.execute(select(StoryApplause.story_id, func.count(StoryApplause.id))
                                 .where(StoryApplause.story_id.in_(list(story_ids))).group_by(StoryApplause.story_id))
    return dict(rows.all())


def visible_to(actor: Actor) -> ColumnElement[bool]:
    """The condition on Story of the stories an actor may see (of their workspace; see the module's doc)."""
    return _visible(actor.in_group, actor.member.id)


def _visible(in_group: bool, member_id: int | None) -> ColumnElement[bool]:
    if in_group:
        return true()
    own = Story.member_id == member_id if member_id is not None else false()
    return or_(Story.visibility == PUBLIC, own)


def may_see(actor: Actor, story: Story) -> bool:
    """Whether an actor may see a story of their workspace: what visible_to says, for one story."""
    return actor.in_group or story.visibility == PUBLIC or story.member_id == actor.member.id


def _group_only_hint(actor: Actor) -> tuple[Field, ...]:
    """Tell someone who sees only the public stories why, and how to see the group's too."""
    if actor.in_group:
        return ()
    return (Field(text("stories.group_only.title"), text("stories.group_only.hint")),)


async def _story(session: AsyncSession, actor: Actor, ref: str | None, *, button: bool = False,
                 shown: bool = False) -> Story:
    """Find one of the workspace's stories by its number (#12 or 12); `shown`: one the actor may see."""
    value = (ref or "").strip().removeprefix("#")
    if not value:
        raise UserError("stories.missing")
    found = await workspace_row(session, actor, Story, value)
    if found is None:
        raise UserError("errors.unknown_button" if button else "stories.unknown", value=Literal(value[:20]))
    if shown and not may_see(actor, found):
        raise UserError("stories.group_only.refused", id=found.id)
    return found


async def applaud(session: AsyncSession, actor: Actor, arg: str) -> Reply:
    """Add the member's 👏 to a story, or take it back; the post shows the new count."""
    member = actor.require_onboarded()
    story = await _story(session, actor, arg, button=True, shown=True)
    given = await session.scalar(select(StoryApplause).where(StoryApplause.story_id == story.id,
                                                             StoryApplause.member_id == member.id))
    if given is None:
        session.add(StoryApplause(workspace_id=actor.workspace.id, story_id=story.id, member_id=member.id,
                                  created_at=actor.now))
    else:
        await session.delete(given)
    await session.flush()
    count = (await applause_counts(session, [story.id])).get(story.id, 0)
    author = await session.get_one(Member, story.member_id)
    return dataclasses.replace(post_reply(story, author, count, private=True,
                                          about=await issue_of(session, story)), replaces_source=True)


# -- finding stories -----------------------------------------------------------------------------------------


async def _with_authors(session: AsyncSession, query: Any) -> list[tuple[Story, Member]]:
    return [
        (story, member)
        for story, member in (
            await session.execute(
                query.join(Member, Member.id == Story.member_id).order_by(
                    Story.created_at.desc(), Story.id.desc()
                )
            )
        ).all()
    ]


def _lines(rows: Sequence[tuple[Story, Member]], counts: Mapping[int, int]) -> tuple[Text, ...]:
    return tuple(
        text(
            "stories.list.line",
            id=story.id,
            title=Literal(story.title),
            by=Literal(member.display_name),
            kind=kind_label(story.kind),
            applause=counts.get(story.id, 0),
            featured=text("stories.list.featured") if story.featured_at else "",
        )
        for story, member in rows[:LISTED]
    )


def _listing(actor: Actor, title: Text, rows: Sequence[tuple[Story, Member]], counts: Mapping[int, int]
             ) -> Reply:
    return Reply(title=title, body=text("stories.list.body", lines=Join(_lines(rows, counts), "\n"),
                                        more=more_than_shown("stories.list.more", len(rows), LISTED)),
                 fields=(Field(text("stories.list.how_title"), text("stories.list.how")),
                         *_group_only_hint(actor)))


async def list_stories(session: AsyncSession, actor: Actor, featured: bool = False) -> Reply:
    """List the stories the actor may see, newest first; only the featured ones when asked."""
    query = select(Story, Member).where(Story.workspace_id == actor.workspace.id, visible_to(actor))
    if featured:
        query = query.where(Story.featured_at.is_not(None))
    rows = await _with_authors(session, query)
    if not rows:
        return Reply(body=text("stories.list.none_featured" if featured else "stories.list.none"),
                     fields=_group_only_hint(actor),
                     buttons=(share_button(),) if actor.member.onboarded_at else ())
    counts = await applause_counts(session, [story.id for story, _ in rows[:LISTED]])
    key = "stories.list.title_featured" if featured else "stories.list.title"
    return _listing(actor, text(key, count=len(rows)), rows, counts)


async def search(session: AsyncSession, actor: Actor, query: str | None = None) -> Reply:
    """Find the stories the actor may see whose title, text, author or company contains the words given."""
    wanted = validation.clean_text(query, text("stories.field.search"), max_length=100, required=True) or ""
    words = validation.fold(wanted).split()
    rows = [(story, member) for story, member in await _with_authors(
        session, select(Story, Member).where(Story.workspace_id == actor.workspace.id, visible_to(actor)))
        if all(word in validation.fold(" ".join((story.title, story.value, member.display_name,
                                                 member.company or ""))) for word in words)]
    if not rows:
        return Reply(body=text("stories.search.none", query=Literal(wanted)), fields=_group_only_hint(actor))
    counts = await applause_counts(session, [story.id for story, _ in rows[:LISTED]])
    return _listing(actor, text("stories.search.title", query=Literal(wanted), count=len(rows)), rows, counts)


async def show(session: AsyncSession, actor: Actor, story: str | None = None) -> Reply:
    """Show one story (one the actor may see) with its 👏 button."""
    found = await _story(session, actor, story, shown=True)
    author = await session.get_one(Member, found.member_id)
    count = (await applause_counts(session, [found.id])).get(found.id, 0)
    return post_reply(found, author, count, private=True, about=await issue_of(session, found))


async def about(session: AsyncSession, actor: Actor, story: str | None = None, issue: str | None = None
                ) -> Reply:
    """Say which issue (decision) a story is about, or that it is about none (no issue given): the story's
    author or a coordinator. Any of the workspace's issues, closed ones too: a story after the decision tells
    what it meant."""
    found = await _story(session, actor, story)
    if found.member_id != actor.member.id and not actor.is_coordinator:
        raise UserError("stories.about.not_yours", story=found.id)
    wanted = (issue or "").strip()
    linked = await civics.find_issue(session, actor.workspace.id, wanted) if wanted else None
    title = Literal(found.title)
    if (linked.id if linked else None) == found.issue_id:
        return Reply(body=text("stories.about.already", title=title, issue=Literal(linked.title))
                     if linked else text("stories.about.already_none", title=title))
    found.issue_id, found.updated_at = (linked.id if linked else None), actor.now
    audit(session, actor, "story.about", story_id=found.id, issue_id=found.issue_id)
    if linked is None:
        return Reply(body=text("stories.about.removed", title=title))
    return Reply(body=text("stories.about.done", title=title, issue=Literal(linked.title)))


async def choices(session: AsyncSession, identity: Identity, current: str) -> list[tuple[str, str]]:
    """Suggest the stories a user may see whose number or title matches what was typed, newest first, as
    (label, id) pairs; read without creating anything (nothing for a server the bot does not know)."""
    row = (await session.execute(
        select(Workspace, Member).outerjoin(
            Member, (Member.workspace_id == Workspace.id) & (Member.external_id == identity.user_external_id))
        .where(Workspace.platform == identity.platform,
               Workspace.external_id == identity.workspace_external_id))).first()
    if row is None:
        return []
    workspace, member = row
    query = select(Story).where(Story.workspace_id == workspace.id, _visible(
        is_coordinator(identity, workspace) or is_group_member(member), member.id if member else None))
    wanted = validation.fold((current or "").removeprefix("#"))
    rows = await session.scalars(query.order_by(Story.created_at.desc(), Story.id.desc()))
    return [(f"#{s.id} {s.title}"[:100], str(s.id)) for s in rows
            if not wanted or wanted in validation.fold(s.title) or wanted == str(s.id)][:25]


# -- coordinators: featuring and export ----------------------------------------------------------------------


async def feature(
    session: AsyncSession, actor: Actor, story: str | None = None, remove: bool = False
) -> Reply:
    """Feature a story (it is announced to the group and lifted in the digest), or take the feature back."""
    actor.require_coordinator()
    found = await _story(session, actor, story)
    title = Literal(found.title)
    if remove:
        if found.featured_at is None:
            return Reply(body=text("stories.feature.not_featured", title=title))
        found.featured_at, found.updated_at = None, actor.now
        audit(session, actor, "story.unfeatured", story_id=found.id)
        return Reply(body=text("stories.feature.removed", title=title))
    if found.featured_at is not None:
        return Reply(body=text("stories.feature.already", title=title))
    found.featured_at, found.updated_at = actor.now, actor.now
    audit(session, actor, "story.featured", story_id=found.id)
    if found.visibility == GROUP:
        # The announcements are read by anyone in the server: a group-only story is only pointed to there.
        announcement = Reply(body=text("stories.feature.announcement_group", id=found.id), private=False)
    else:
        author = await session.get_one(Member, found.member_id)
        count = (await applause_counts(session, [found.id])).get(found.id, 0)
        announcement = dataclasses.replace(post_reply(found, author, count,
                                                      about=await issue_of(session, found)),
                                           title=text("stories.feature.announcement", title=title))
    return Reply(body=text("stories.feature.done", title=title),
                 effects=(PostToChannel(Channel.ANNOUNCEMENTS, announcement),))


async def hide(session: AsyncSession, actor: Actor, story: str | None = None) -> Reply:
    """Hide a story from the public page and the public exports (it is wrong or sensitive); the group still
    sees it."""
    actor.require_coordinator()
    found = await _story(session, actor, story)
    title = Literal(found.title)
    if found.hidden_at is not None:
        return Reply(body=text("stories.hide.already", title=title))
    found.hidden_at, found.updated_at = actor.now, actor.now
    audit(session, actor, "story.hidden", story_id=found.id)
    return Reply(body=text("stories.hide.done", title=title, id=found.id))


async def unhide(session: AsyncSession, actor: Actor, story: str | None = None) -> Reply:
    """Show a hidden story again where its author allowed it."""
    actor.require_coordinator()
    found = await _story(session, actor, story)
    title = Literal(found.title)
    if found.hidden_at is None:
        return Reply(body=text("stories.hide.not_hidden", title=title))
    found.hidden_at, found.updated_at = None, actor.now
    audit(session, actor, "story.unhidden", story_id=found.id)
    return Reply(body=text("stories.hide.undone", title=title))


async def _feature_pressed(session: AsyncSession, actor: Actor, arg: str) -> Reply:
    actor.require_coordinator()
    found = await _story(session, actor, arg, button=True)
    return await feature(session, actor, str(found.id))


def _date(at: datetime, zone: str) -> Text:
    local = at.astimezone(ZoneInfo(zone))
    return text("stories.date", day=local.day, month=text(f"time.month.{local.month}"), year=local.year)


def _markdown(value: str) -> str:
    """Escape what Markdown would read as formatting, so a member's text shows as they wrote it."""
    return "".join("\\" + char if char in MARKDOWN_SPECIAL else char for char in value)


def _markdown_url(url: str) -> str:
    return url.replace("<", "%3C").replace(">", "%3E").replace(" ", "%20")


def markdown_file(rows: Sequence[tuple[Story, Member]], audience: str, workspace_name: str, language: str,
                  zone: str, now: datetime) -> bytes:
    """Write stories as Markdown for a blog post or a newsletter; public ones name the author as they
    chose."""

    def r(item: Text | str) -> str:
        return render(item, language)

    lines = [
        f"# {r(text(f'stories.export.heading.{audience}', workspace=Literal(_markdown(workspace_name))))}",
        "",
        f"_{r(text('stories.export.made', date=_date(now, zone), count=len(rows)))}_",
        "",
    ]
    for story, member in rows:
        byline = public_byline(story, member, language) if audience == PUBLIC else group_byline(member)
        meta = " · ".join([_markdown(byline), r(kind_label(story.kind)), r(_date(story.created_at, zone))])
        if story.featured_at is not None:
            meta += " · ⭐ " + r(text("stories.export.featured"))
        lines += [f"## {_markdown(story.title)}", "", f"*{meta}*", ""]
        lines += [_markdown(paragraph) if paragraph.strip() else "" for paragraph in story.value.splitlines()]
        lines.append("")
        if story.link:
            lines += [f"{r(text('stories.post.link'))}: <{_markdown_url(story.link)}>", ""]
        lines += ["---", ""]
    return "\n".join(lines).encode("utf-8")


def csv_file(rows: Sequence[tuple[Story, Member]], counts: Mapping[int, int], audience: str, language: str,
             zone: str) -> bytes:
    """Write stories as CSV; public ones carry nothing about the author beyond the byline they chose."""
    columns = ["date", "title", "kind", "value", "link", "by", "featured", "applause"]
    if audience == GROUP:
        columns.append("visibility")
    header = [render(text(f"stories.csv.{column}"), language) for column in columns]
    body = []
    for story, member in rows:
        row: list[object] = [
            story.created_at.astimezone(ZoneInfo(zone)).date().isoformat(),
            story.title,
            render(kind_label(story.kind), language),
            story.value,
            story.link or "",
            public_byline(story, member, language) if audience == PUBLIC else group_byline(member),
            render(text("common.yes" if story.featured_at else "common.no"), language),
            counts.get(story.id, 0),
        ]
        if audience == GROUP:
            row.append(render(consent_label(story), language))
        body.append(row)
    return csvexport.table(header, body)


async def stories_in(
    session: AsyncSession,
    workspace_id: int,
    *,
    audience: str,
    since: datetime | None = None,
    until: datetime | None = None,
    featured_only: bool = False,
) -> list[tuple[Story, Member]]:
    """Return the stories an audience may see (public: only those the members made public), oldest first."""
    query = (
        select(Story, Member)
        .join(Member, Member.id == Story.member_id)
        .where(Story.workspace_id == workspace_id)
    )
    if audience == PUBLIC:
        # A story a coordinator hid (wrong or sensitive) stays out of everything meant for outsiders.
        query = query.where(Story.visibility == PUBLIC, Story.hidden_at.is_(None))
    if since is not None:
        query = query.where(Story.created_at >= since)
    if until is not None:
        query = query.where(Story.created_at < until)
    if featured_only:
        query = query.where(Story.featured_at.is_not(None))
    return [(story, member) for story, member in (await session.execute(
        query.order_by(Story.created_at, Story.id))).all()]


async def export(
    session: AsyncSession, actor: Actor, audience: Audience | None = None, featured: bool = False
) -> Reply:
    """Export the stories as Markdown and CSV: for the public (only public stories), or for the group."""
    actor.require_coordinator()
    chosen = audience or Audience.PUBLIC
    workspace = actor.workspace
    rows = await stories_in(session, workspace.id, audience=chosen, featured_only=featured)
    counts = await applause_counts(session, [story.id for story, _ in rows])
    language, zone = actor.language, workspace.timezone
    stamp = actor.now.astimezone(ZoneInfo(zone)).date().isoformat()
    name = render(text(f"stories.export.file.{chosen}"), language)
    audit(session, actor, "stories.exported", audience=chosen, count=len(rows))
    return Reply(
        body=text("stories.exported", count=len(rows), audience=text(f"stories.audience.{chosen}")),
        files=(
            Attachment(
                f"{name}-{stamp}.md",
                markdown_file(rows, chosen, workspace.name or "Jobbskaparna", language, zone, actor.now),
            ),
            Attachment(f"{name}-{stamp}.csv", csv_file(rows, counts, chosen, language, zone)),
        ),
    )


# -- the public stories page ---------------------------------------------------------------------------------

# The public page's address: BOARD_URL + PUBLIC_PATH + the workspace's slug (in Swedish: the public reads it).
PUBLIC_PATH = "/berattelser/"
SLUG_LENGTH = 32
# A group without a usable name still gets an address.
DEFAULT_SLUG = "jobbskaparna"
# The newest public stories the page and the feed show.
PUBLIC_SHOWN = 50
# An issue's public page, below the group's: /berattelser/<slug>/fraga/<issue id>.
ISSUE_PATH = "/fraga/"
# The issues a status answer links to (link buttons: a row holds five).
ISSUES_LINKED = 4


def slug_of(name: str) -> str:
    """An address part made of a group's name: "Blekinge Jobbskapare!" -> "blekinge-jobbskapare"."""
    folded = validation.fold(name)
    words = "".join(char if char.isascii() and char.isalnum() else " " for char in folded).split()
    slug = "-".join(words)[:SLUG_LENGTH].strip("-")
    return slug or DEFAULT_SLUG


async def _free_slug(session: AsyncSession, name: str) -> str:
    """The group's slug, with a number when another group has it already."""
    base = slug_of(name)
    taken = set(await session.scalars(select(Workspace.public_slug).where(
        or_(Workspace.public_slug == base, Workspace.public_slug.like(f"{base}-%")))))
    number = 1
    slug = base
    while slug in taken:
        number += 1
        slug = f"{base}-{number}"
    return slug


def public_url(base_url: str, slug: str) -> str:
    """The public stories page's address."""
    return f"{base_url}{PUBLIC_PATH}{slug}"


def public_issue_url(base_url: str, slug: str, issue_id: int) -> str:
    """The address of an issue's public page: what the decision means for businesses here."""
    return f"{public_url(base_url, slug)}{ISSUE_PATH}{issue_id}"


async def public_page(session: AsyncSession, actor: Actor, on: bool | None = None) -> Reply:
    """Publish the group's public stories page (on), take it down (off), or say whether it is published and
    where (not given)."""
    actor.require_coordinator()
    base_url = session.info.get(board.URL_KEY)
    if base_url is None:
        raise UserError("board.off")
    workspace = actor.workspace
    if on is None:
        if workspace.public_slug is None:
            return Reply(body=text("stories.public.status_off"))
        # The pages of the issues with public stories, the latest decisions first: to send to a politician.
        issue_links = tuple(
            Link(text("stories.public.issue_link", title=Literal(issue.title[:60])),
                 public_issue_url(base_url, workspace.public_slug, issue.id))
            for issue, _ in (await public_issues(session, workspace.id))[:ISSUES_LINKED])
        return Reply(body=text("stories.public.status_on"),
                     links=(Link(text("stories.public.link"), public_url(base_url, workspace.public_slug)),
                            *issue_links))
    if not on:
        if workspace.public_slug is None:
            return Reply(body=text("stories.public.already_off"))
        workspace.public_slug, workspace.updated_at = None, actor.now
        audit(session, actor, "stories.public_off")
        return Reply(body=text("stories.public.off"))
    if workspace.public_slug is None:
        workspace.public_slug = await _free_slug(session, workspace.name or "")
        workspace.updated_at = actor.now
        audit(session, actor, "stories.public_on", slug=workspace.public_slug)
        body = text("stories.public.on")
    else:
        body = text("stories.public.already_on")
    return Reply(body=body,
                 links=(Link(text("stories.public.link"), public_url(base_url, workspace.public_slug)),))


def public_condition() -> ColumnElement[bool]:
    """The stories the public page shows: public, not hidden, and by a member who is still in the group and
    consented (a member who erased their data has no stories left anyway)."""
    return (Story.visibility == PUBLIC) & Story.hidden_at.is_(None) & Member.consented_at.is_not(None) \
        & Member.onboarded_at.is_not(None)


async def published_workspace(session: AsyncSession, slug: str) -> Workspace | None:
    """The workspace whose public stories page has this address (None: no such page, or taken down)."""
    return await session.scalar(select(Workspace).where(Workspace.public_slug == slug))


async def public_stories(session: AsyncSession, workspace_id: int, limit: int = PUBLIC_SHOWN, *,
                         issue_id: int | None = None) -> list[tuple[Story, Member]]:
    """The public page's stories (`issue_id`: those about that issue): the featured first, then the newest."""
    query = select(Story, Member).join(Member, Member.id == Story.member_id).where(
        Story.workspace_id == workspace_id, public_condition())
    if issue_id is not None:
        query = query.where(Story.issue_id == issue_id)
    rows = await session.execute(
        query.order_by(Story.featured_at.is_(None), Story.created_at.desc(), Story.id.desc()).limit(limit))
    return [(story, member) for story, member in rows.all()]


async def public_issue(session: AsyncSession, workspace_id: int, issue_id: int) -> Issue | None:
    """An issue of the workspace, for its public page (None: no such issue in this workspace). Whatever the
    group decided about it is public already: its alerts publish the position and the hashtag."""
    return await session.scalar(select(Issue).where(Issue.id == issue_id, Issue.workspace_id == workspace_id))


async def public_issues(session: AsyncSession, workspace_id: int) -> list[tuple[Issue, int]]:
    """The issues that public stories are about, with how many, the latest decision first."""
    rows = await session.execute(
        select(Issue, func.count(Story.id)).join(Story, Story.issue_id == Issue.id)
        .join(Member, Member.id == Story.member_id)
        .where(Issue.workspace_id == workspace_id, Story.workspace_id == workspace_id, public_condition())
        .group_by(Issue.id).order_by(Issue.decision_at.desc(), Issue.id.desc()))
    return [(issue, count) for issue, count in rows.all()]


async def public_story(session: AsyncSession, workspace_id: int, story_id: int
                       ) -> tuple[Story, Member] | None:
    """One story of the public page (None: no such story, or not one for the public)."""
    row = (await session.execute(
        select(Story, Member).join(Member, Member.id == Story.member_id)
        .where(Story.workspace_id == workspace_id, Story.id == story_id, public_condition()))).first()
    return None if row is None else (row[0], row[1])


@dataclasses.dataclass(frozen=True)
class BoardStories:
    """A page of the workspace's stories for its coordinators' board, and the issues they may be about."""

    rows: list[tuple[Story, Member, int]]
    page: int
    pages: int
    total: int
    # Every issue of the workspace (id, title), the latest decision first: what a story may be about.
    issues: list[tuple[int, str]]


async def board_rows(session: AsyncSession, workspace_id: int, *, page: int = 1, per_page: int = PUBLIC_SHOWN,
                     issue_id: int | None = None) -> BoardStories:
    """A page of the workspace's stories for its coordinators' board (`issue_id`: those about that issue),
    newest first, with their applause; a page past the last shows the last."""
    condition = Story.workspace_id == workspace_id
    if issue_id is not None:
        condition &= Story.issue_id == issue_id
    total = await session.scalar(select(func.count(Story.id)).where(condition)) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    rows = await _with_authors(session, select(Story, Member).where(condition)
                               .offset((page - 1) * per_page).limit(per_page))
    counts = await applause_counts(session, [story.id for story, _ in rows])
    issues = [(found_id, title) for found_id, title in await session.execute(
        select(Issue.id, Issue.title).where(Issue.workspace_id == workspace_id)
        .order_by(Issue.decision_at.desc(), Issue.id.desc()))]
    return BoardStories([(story, member, counts.get(story.id, 0)) for story, member in rows], page, pages,
                        total, issues)


# -- deleting a story ----------------------------------------------------------------------------------------


async def delete_request(session: AsyncSession, actor: Actor, story: str | None = None) -> Reply:
    """Ask to confirm deleting a story: the author's own, or any for a coordinator."""
    found = await _story(session, actor, story)
    _require_deletable(actor, found)
    arg = str(found.id)
    return Reply(body=text("stories.delete.confirm", title=Literal(found.title)), buttons=(
        Button(text("stories.delete.button.confirm"), DELETE_CONFIRM, arg, ButtonStyle.DANGER),
        Button(text("stories.delete.button.cancel"), DELETE_CANCEL, arg, ButtonStyle.SECONDARY)))


async def _delete_confirmed(session: AsyncSession, actor: Actor, arg: str) -> Reply:
    found = await workspace_row(session, actor, Story, arg)
    if found is None:
        return Reply(body=text("stories.delete.gone"), replaces_source=True)
    if found.member_id != actor.member.id:
        _require_deletable(actor, found)
        audit(session, actor, "story.deleted", story_id=found.id)
    title = Literal(found.title)
    # The bot's post of the story goes with it (a forum's whole post), after the answer.
    post = await session.scalar(select(LiveMessage).where(LiveMessage.workspace_id == actor.workspace.id,
                                                          LiveMessage.key == f"{POST_KEY}{found.id}"))
    effects: tuple[DeletePost, ...] = ()
    if post is not None:
        if post.message_id is not None:
            effects = (DeletePost(Channel(post.channel), post.message_id),)
        await session.delete(post)
    await session.delete(found)
    await streaks.removed(session, actor.workspace, found.member_id)
    await activity.scored(session, actor.workspace, found.member_id, found.created_at, stories=-1)
    log.info("Story %s deleted in workspace %s", found.id, actor.workspace.id)
    return Reply(body=text("stories.delete.done", title=title), replaces_source=True, effects=effects)


def _require_deletable(actor: Actor, story: Story) -> None:
    """Refuse unless the story is the actor's own or the actor is a coordinator: saying whose story it is, not
    that the command is for coordinators (it is not)."""
    if story.member_id != actor.member.id and not actor.is_coordinator:
        raise UserError("stories.delete.not_yours", story=story.id)


async def _delete_cancelled(session: AsyncSession, actor: Actor, arg: str) -> Reply:
    return Reply(body=text("stories.delete.cancelled"), replaces_source=True)


# -- streaks and /mydata -------------------------------------------------------------------------------------


async def _shared(
    session: AsyncSession, workspace_id: int, member_ids: Sequence[int] | None
) -> list[tuple[int, datetime]]:
    """A shared story counts for streaks, in the week it was shared."""
    query = select(Story.member_id, Story.created_at)
    # Members' own rows through the member index; the workspace's (None) through the workspace's.
    query = query.where(Story.workspace_id == workspace_id) if member_ids is None \
        else query.where(Story.member_id.in_(member_ids))
    return [(member_id, at) for member_id, at in await session.execute(query)]


async def _export(session: AsyncSession, member: Member) -> dict[str, Any]:
    stories = list(
        await session.scalars(select(Story).where(Story.member_id == member.id).order_by(Story.id))
    )
    applauded = (await session.execute(select(Story.title, StoryApplause.created_at)
                                       .join(StoryApplause, StoryApplause.story_id == Story.id)
                                       .where(StoryApplause.member_id == member.id)
                                       .order_by(StoryApplause.id))).all()
    posts = dict((await session.execute(select(LiveMessage.key, LiveMessage.message_id).where(
        LiveMessage.workspace_id == member.workspace_id,
        LiveMessage.key.in_([f"{POST_KEY}{s.id}" for s in stories])))).all())
    return {
        "stories": [
            {
                "id": s.id,
                "title": s.title,
                "kind": s.kind,
                "value": s.value,
                "link": s.link,
                "visibility": s.visibility,
                "credit": s.credit,
                "featured_at": s.featured_at.isoformat() if s.featured_at else None,
                "hidden_at": s.hidden_at.isoformat() if s.hidden_at else None,
                "at": s.created_at.isoformat(),
                "updated_at": s.updated_at.isoformat(),
                # The platform's id of the story's post in the stories channel.
                "post": posts.get(f"{POST_KEY}{s.id}"),
            }
            for s in stories
        ],
        "applauded": [{"story": title, "at": at.isoformat()} for title, at in applauded],
    }


async def _post_keys(session: AsyncSession, member: Member) -> list[str]:
    return [f"{POST_KEY}{story_id}"
            for story_id in await session.scalars(select(Story.id).where(Story.member_id == member.id))]


async def _posts(session: AsyncSession, member: Member) -> list[tuple[Channel, str]]:
    """The posts of the member's stories in the stories channel (those whose id was kept)."""
    keys = await _post_keys(session, member)
    rows = await session.execute(select(LiveMessage.channel, LiveMessage.message_id).where(
        LiveMessage.workspace_id == member.workspace_id, LiveMessage.key.in_(keys),
        LiveMessage.message_id.is_not(None)).order_by(LiveMessage.id))
    return [(Channel(channel), message_id) for channel, message_id in rows if message_id is not None]


async def _erase(session: AsyncSession, member: Member) -> None:
    """A member's stories are their data: they go, with the applause they got and gave, and the ids of their
    posts (mydata deletes the posts themselves when the member chose so)."""
    await session.execute(delete(LiveMessage).where(LiveMessage.workspace_id == member.workspace_id,
                                                    LiveMessage.key.in_(await _post_keys(session, member))))
    await session.execute(delete(StoryApplause).where(StoryApplause.member_id == member.id))
    own = select(Story.id).where(Story.member_id == member.id)
    await session.execute(delete(StoryApplause).where(StoryApplause.story_id.in_(own)))
    await session.execute(delete(Story).where(Story.member_id == member.id))
    await session.execute(update(ActivityScore).where(ActivityScore.member_id == member.id)
                          .values(points=ActivityScore.points - ActivityScore.stories, stories=0))
    await streaks.removed(session, await session.get_one(Workspace, member.workspace_id), member.id)


FEATURE = Feature(
    "stories",
    actions={
        SHARE_ACTION: start_share,
        APPLAUD_ACTION: applaud,
        FEATURE_ACTION: _feature_pressed,
        DELETE_CONFIRM: _delete_confirmed,
        DELETE_CANCEL: _delete_cancelled,
    },
    forms={FORM_ID: share},
    form_openers={SHARE_ACTION: _share_form},
    activity_sources=(_shared,),
    member_data=(MemberData("stories", _export, _erase,
                            covers=("story.member_id", "story_applause.member_id", "live_message.key"),
                            posts=_posts),),
)
