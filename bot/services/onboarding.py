"""Onboarding: welcome a member who joins, take their profile with consent, and show the first step."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import contributions, reminders, validation
from bot.contributions import Feature, MemberData
from bot.errors import UserError
from bot.i18n import LANGUAGES, translate
from bot.models import Member, Reminder, Workspace
from bot.replies import (
    Button,
    ButtonStyle,
    Channel,
    Field,
    Form,
    GrantRole,
    Join,
    Literal,
    Mention,
    PostToChannel,
    Reply,
    Role,
    SendDirect,
    Text,
    When,
    text,
)
from bot.services import ladder, retention
from bot.services.context import Actor, get_or_create_member, language_of, plan_purge
from bot.services.profile_fields import (
    CONSENT_FIELD,
    PROFILE_FIELDS,
    choice_label,
    parse_profile,
)

log = logging.getLogger(__name__)

FORM_ID = "onboarding"
START_ACTION = "onboarding.start"
NUDGE_KIND = "onboarding.nudge"
# A gentle reminder for a member who joined but has not filled in the form after two days.
NUDGE_AFTER = timedelta(days=2)
NUDGE_GRACE = timedelta(days=7)

def start_button() -> Button:
    """The button that opens the onboarding form; it works in any DM or channel, also after a restart."""
    return Button(text("onboarding.button.start"), START_ACTION, style=ButtonStyle.SUCCESS)


def onboarding_form() -> Form:
    """The onboarding form: the profile fields and, last, consent."""
    return Form(FORM_ID, text("onboarding.form.title"), (*PROFILE_FIELDS, CONSENT_FIELD))


def _nudge_key(member_id: int) -> str:
    return f"{NUDGE_KIND}:member:{member_id}"


def _addressed(member: Member) -> Mention:
    """The member as a message to them names them before they consented: their row holds no name, and each
    platform shows a mention as their name."""
    return Mention("user", member.external_id)


async def member_joined(session: AsyncSession, workspace: Workspace, external_id: str,
                        now: datetime) -> Reply | None:
    """Welcome someone who joined the server, and plan a nudge if they do not onboard; None if already
    onboarded, or if they declined consent before (they are sent nothing unasked)."""
    member, created = await get_or_create_member(session, workspace, external_id, "", now)
    if created:
        await plan_purge(session, workspace, now)
    elif member.consented_at is None:
        member.last_seen_at = now  # joining again is a contact too: the purge counts from here
    if member.onboarded_at is not None or member.consent_declined_at is not None:
        return None
    await reminders.schedule(
        session,
        workspace_id=workspace.id,
        kind=NUDGE_KIND,
        key=_nudge_key(member.id),
        due_at=now + NUDGE_AFTER,
        now=now,
        payload={"member_id": member.id},
        grace=NUDGE_GRACE,
    )
    welcome = Reply(title=text("onboarding.welcome.title"),
                    body=text("onboarding.welcome.body", name=_addressed(member),
                              days=retention.UNCONSENTED_KEPT.days,
                              languages=welcome_languages(language_of(member, workspace))),
                    buttons=(start_button(),), private=False)
    return Reply(effects=(SendDirect(member.id, welcome, fallback=Channel.WELCOME),))


def welcome_languages(reader_language: str) -> Join:
    """The welcome's word on /language: in the reader's language, and in each other language the bot speaks,
    for a newcomer who cannot read the server's (the platform does not tell their language before they use a
    command, so the welcome is in the server's)."""
    others = (Literal(translate("onboarding.welcome.switch", other)) for other in LANGUAGES
              if other != reader_language)
    return Join((text("onboarding.welcome.language"), *others), separator="\n")


async def start(session: AsyncSession, actor: Actor) -> Reply:
    """Open the onboarding form (refused when the member is already onboarded)."""
    if actor.member.onboarded_at is not None:
        raise UserError("onboarding.already_done")
    return Reply(form=onboarding_form())


def _start_form(member: Member | None, _arg: str) -> Form | None:
    # An onboarded member is told so by the action instead.
    return onboarding_form() if member is None or member.onboarded_at is None else None


async def _start_pressed(session: AsyncSession, actor: Actor, _arg: str) -> Reply:
    return await start(session, actor)


async def submit(session: AsyncSession, actor: Actor, values: Mapping[str, str], _arg: str = "") -> Reply:
    """Store the profile and the member's name when they consent; without consent store nothing of the form,
    mark that they declined (so they are sent nothing unasked) and say so."""
    member = actor.member
    if member.onboarded_at is not None:
        raise UserError("onboarding.already_done")
    if not validation.yes_no(values.get("consent", ""), CONSENT_FIELD.label, default=False):
        return await _declined(session, actor)
    profile = parse_profile(values, partial=False)
    for column, value in profile.items():
        setattr(member, column, value)
    member.display_name = actor.platform_name or member.display_name
    if member.language is None and actor.locale_language not in (None, actor.audience_language):
        # Kept from consent on, so that their DMs (which no platform locale comes with) speak the language
        # their platform speaks and their answers did; /language changes it.
        member.language = actor.locale_language
    member.consented_at = actor.now
    member.onboarded_at = actor.now
    # What was kept before consent for the purge and for sending nothing unasked has no more use.
    member.consent_declined_at = member.last_seen_at = None
    await reminders.cancel(session, workspace_id=actor.workspace.id, key=_nudge_key(member.id))
    await contributions.of(session).onboarded(session, actor)
    log.info("Member %s onboarded in workspace %s", member.id, actor.workspace.id)

    notice = Reply(
        body=text(
            "onboarding.coordinator_notice",
            name=Literal(member.display_name),
            company=Literal(member.company or ""),
            industry=choice_label("industry", member.industry),
            municipality=choice_label("municipality", member.municipality),
            experience=choice_label("experience", member.experience),
        ),
        private=False,
    )
    return Reply(
        title=text("onboarding.done.title", name=Literal(member.display_name)),
        body=text("onboarding.done.body"),
        fields=(Field(text("onboarding.done.first_step"), await ladder.first_step(session, actor)),),
        buttons=(ladder.next_button(),
                 Button(text("profile.button.show"), "profile.show", style=ButtonStyle.SECONDARY)),
        effects=(GrantRole(member.id, Role.MEMBER), PostToChannel(Channel.COORDINATORS, notice)),
    )


async def _declined(session: AsyncSession, actor: Actor) -> Reply:
    """Mark that the member declined consent and cancel their nudge: from now on the bot only answers them."""
    actor.member.consent_declined_at = actor.now
    await reminders.cancel(session, workspace_id=actor.workspace.id, key=_nudge_key(actor.member.id))
    log.info("Member %s declined consent in workspace %s", actor.member.id, actor.workspace.id)
    return Reply(body=text("onboarding.declined", days=retention.UNCONSENTED_KEPT.days),
                 buttons=(start_button(),))


async def _describe_nudge(session: AsyncSession, reminder: Reminder) -> Text:
    """Name a skipped nudge to get started for the coordinators."""
    member = await session.get(Member, reminder.payload.get("member_id", 0))
    workspace = await session.get_one(Workspace, reminder.workspace_id)
    return text("onboarding.skipped.nudge",
                name=_addressed(member) if member is not None else text("reminders.member_gone"),
                when=When(reminder.due_at, workspace.timezone, "short"))


async def _plan_nudge(session: AsyncSession, reminder: Reminder, now: datetime) -> list[reminders.Planned]:
    member = await session.get(Member, reminder.payload["member_id"])
    if member is None or member.onboarded_at is not None or member.consent_declined_at is not None:
        return []
    nudge = Reply(body=text("onboarding.nudge.body", name=_addressed(member)),
                  buttons=(start_button(),), private=False)
    # A member who has not onboarded has not chosen about DM reminders yet; the welcome came by DM too.
    return [reminders.Planned(nudge, member_id=member.id, channel=Channel.WELCOME)]


async def _export_nudge(session: AsyncSession, member: Member) -> list[dict[str, Any]]:
    rows = await session.scalars(select(Reminder).where(Reminder.workspace_id == member.workspace_id,
                                                        Reminder.key == _nudge_key(member.id)))
    return [{"due_at": nudge.due_at.isoformat(), "status": nudge.status} for nudge in rows]


async def _erase_nudge(session: AsyncSession, member: Member) -> None:
    """The nudge names the member by id in its key and payload, whatever became of it."""
    await session.execute(delete(Reminder).where(Reminder.workspace_id == member.workspace_id,
                                                 Reminder.key == _nudge_key(member.id)))


FEATURE = Feature(
    "onboarding",
    actions={START_ACTION: _start_pressed},
    forms={FORM_ID: submit},
    form_openers={START_ACTION: _start_form},
    planners={NUDGE_KIND: _plan_nudge},
    describers={NUDGE_KIND: _describe_nudge},
    member_data=(MemberData("onboarding_nudge", _export_nudge, _erase_nudge),),
)
