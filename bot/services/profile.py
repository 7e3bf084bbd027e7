"""A member's own profile and language, and the coordinators' list of members."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import validation
from bot.contributions import Feature
from bot.errors import UserError
from bot.i18n import Language, render
from bot.models import Member
from bot.replies import (
    Button,
    ButtonStyle,
    Field,
    Form,
    Join,
    Literal,
    Reply,
    Text,
    text,
)
from bot.services.context import Actor
from bot.services.profile_fields import (
    CHOICES,
    PROFILE_FIELDS,
    choice_label,
    parse_profile,
    platforms_label,
)

EDIT_FORM_ID = "profile.edit"
MEMBERS_SHOWN = 30
PAGE_ACTION = "members.page"
# The filters of the members list, in the order a page button's arg keeps them.
MEMBER_FILTERS = ("municipality", "industry", "experience")


def _value(member: Member, name: str) -> Text | Literal | Join:
    value = getattr(member, name)
    if name == "platforms":
        return platforms_label(value)
    if name in CHOICES:
        return choice_label(name, value)
    if name == "dm_reminders":
        return text("common.yes" if value else "common.no")
    if name == "x_handle" and value:
        return Literal("@" + value)
    return Literal(value) if value else text("profile.empty")


async def show(session: AsyncSession, actor: Actor, _arg: str = "") -> Reply:
    """Show the member their profile, with a button to edit it."""
    member = actor.require_onboarded()
    fields = tuple(
        Field(f.label, _value(member, f.name), inline=f.name not in ("goal", "offer", "facts"))
        for f in PROFILE_FIELDS
    )
    language = Field(text("field.language"), text(f"language.{actor.language}"), inline=True)
    return Reply(title=text("profile.title", name=Literal(member.display_name)), fields=(*fields, language),
                 buttons=(Button(text("profile.button.edit"), "profile.edit", style=ButtonStyle.SECONDARY),))


async def edit(session: AsyncSession, actor: Actor, _arg: str = "") -> Reply:
    """Open the profile form filled in with what is stored."""
    member = actor.require_onboarded()
    values = {}
    for f in PROFILE_FIELDS:
        value = getattr(member, f.name)
        if f.name == "dm_reminders":
            values[f.name] = "ja" if value else "nej"
        elif f.name == "platforms":
            if value:
                values[f.name] = render(platforms_label(value), actor.language)
        elif value:
            values[f.name] = str(value)
    return Reply(form=Form(EDIT_FORM_ID, text("profile.form.title"), PROFILE_FIELDS, values=values))


async def update(session: AsyncSession, actor: Actor, values: Mapping[str, str], _arg: str = "") -> Reply:
    """Change the fields given; every value is checked before anything is stored."""
    member = actor.require_onboarded()
    validation.refuse_unknown_fields(values, (f.name for f in PROFILE_FIELDS))
    if not values:
        raise UserError("profile.nothing_to_change")
    changes = parse_profile(values, partial=True)
    for column, value in changes.items():
        setattr(member, column, value)
    shown = await show(session, actor)
    return Reply(body=text("profile.saved"), title=shown.title, fields=shown.fields, buttons=shown.buttons)


async def set_language(session: AsyncSession, actor: Actor, language: Language | None = None) -> Reply:
    """Choose the language the bot uses with this member."""
    chosen = Language(validation.LANGUAGE.required(language))
    actor.member.language = chosen.value
    return Reply(body=text("language.changed", language=text(f"language.{chosen.value}")))


def _page_arg(page: int, filters: Mapping[str, str | None]) -> str:
    """A page button's arg: the page and the filters it keeps (stored choice values, none with a '-')."""
    return "-".join((str(page), *(filters[name] or "" for name in MEMBER_FILTERS)))


async def list_members(session: AsyncSession, actor: Actor, *, municipality: str | None = None,
                       industry: str | None = None, experience: str | None = None, page: int = 1) -> Reply:
    """List the onboarded members for a coordinator, optionally filtered, a page at a time.

    Only the page is loaded (in the order of the (workspace, display name, id) index) and the total is
    counted in SQL; the buttons under it show the previous and the next page with the same filters.
    """
    actor.require_coordinator()
    conditions = [Member.workspace_id == actor.workspace.id, Member.onboarded_at.is_not(None)]
    given = {"municipality": municipality, "industry": industry, "experience": experience}
    kept: dict[str, str | None] = dict.fromkeys(MEMBER_FILTERS)
    shown_filters = []
    problems = []
    for name, raw in given.items():
        if not raw:
            continue
        try:
            value = validation.choice(raw, text(f"field.{name}"), CHOICES[name])
        except validation.FieldProblem as problem:
            problems.append(problem)
            continue
        conditions.append(getattr(Member, name) == value)
        kept[name] = value
        shown_filters.append(choice_label(name, value))
    validation.collect(problems)
    total = await session.scalar(select(func.count()).select_from(Member).where(*conditions)) or 0
    if not total:
        return Reply(body=text("members.none"))
    pages = -(-total // MEMBERS_SHOWN)
    # A page that is gone (members left since the button was shown) shows the last one.
    page = min(max(page, 1), pages)
    members = list(await session.scalars(select(Member).where(*conditions)
                                         .order_by(Member.display_name, Member.id)
                                         .offset((page - 1) * MEMBERS_SHOWN).limit(MEMBERS_SHOWN)))
    lines = tuple(text("members.line", name=Literal(m.display_name), company=Literal(m.company or ""),
                       industry=choice_label("industry", m.industry),
                       municipality=choice_label("municipality", m.municipality),
                       experience=choice_label("experience", m.experience)) for m in members)
    body = Join(lines, separator="\n", bullet="• ")
    buttons = []
    if page > 1:
        buttons.append(Button(text("members.button.previous"), PAGE_ACTION, _page_arg(page - 1, kept),
                              ButtonStyle.SECONDARY))
    if page < pages:
        buttons.append(Button(text("members.button.next"), PAGE_ACTION, _page_arg(page + 1, kept),
                              ButtonStyle.SECONDARY))
    return Reply(
        title=text("members.title", count=total),
        body=text("members.body", lines=body,
                  more=text("members.page", page=page, pages=pages) if pages > 1 else ""),
        fields=(Field(text("members.filters"), Join(tuple(shown_filters))),) if shown_filters else (),
        buttons=tuple(buttons),
    )


async def _page_pressed(session: AsyncSession, actor: Actor, arg: str) -> Reply:
    """Show another page of the members list in place of the one whose button was pressed."""
    actor.require_coordinator()
    page, *values = arg.split("-")
    page_number = validation.whole_number(page)
    if page_number is None or page_number < 0 or len(values) != len(MEMBER_FILTERS):
        raise UserError("errors.unknown_button")
    filters = dict(zip(MEMBER_FILTERS, (value or None for value in values), strict=True))
    reply = await list_members(session, actor, page=page_number, **filters)
    return dataclasses.replace(reply, replaces_source=True)


FEATURE = Feature(
    "profile",
    actions={"profile.show": show, "profile.edit": edit, PAGE_ACTION: _page_pressed},
    forms={EDIT_FORM_ID: update},
)
