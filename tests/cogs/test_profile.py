"""/profile show|edit, /language and the coordinators' /members."""

from __future__ import annotations

from typing import Any

import discord
import pytest
from sqlalchemy import select

from bot.app import App
from bot.commands import declared
from bot.discordbot.checks import CoordinatorOnly, identity_of, is_coordinator
from bot.discordbot.views import FORM_PAGE_ACTION, FormPageModal
from bot.errors import NotCoordinator, UserError
from bot.models import Member
from bot.services import workspaces
from bot.services.profile_fields import CHOICES
from cogs._options import discord_choices
from cogs.profile import Profile
from tests.helpers import (
    MockBot,
    MockGuild,
    MockMember,
    MockRole,
    choice,
    custom_ids,
    fill_modal,
    press,
    sent,
)
from tests.support.onboarding import onboard


@pytest.fixture
def cog(bot: MockBot) -> Profile:
    return Profile(bot)


async def test_show_refuses_someone_without_a_profile(cog: Profile, interact: Any):
    with pytest.raises(UserError) as refused:
        await Profile.profile_show.callback(cog, interact())

    assert refused.value.text.key == "profile.not_onboarded"


async def test_show_answers_with_the_profile_as_an_embed(
    cog: Profile, interact: Any, app: App, member: MockMember
):
    await onboard(app, identity_of(member), "solvesborg")
    interaction = interact()

    await Profile.profile_show.callback(cog, interaction)

    answer = sent(interaction)
    assert answer["ephemeral"] is True
    assert answer["embed"].title == "Profil: Anna"
    assert {f.name: f.value for f in answer["embed"].fields}["Kommun"] == "Sölvesborg"
    assert custom_ids(answer) == ["jb:profile.edit:"]


async def test_edit_opens_the_form_prefilled_and_saves_the_change(cog: Profile, interact: Any, app: App,
                                                                  member: MockMember):
    await onboard(app, identity_of(member), "solvesborg")
    opening = interact()
    await Profile.profile_edit.callback(cog, opening)
    first: FormPageModal = opening.response.send_modal.await_args.args[0]
    assert first.form_id == "profile.edit" and first.page_count == 3
    assert first.children[0].component.default == "Annas Blommor"

    page_one = interact(type=discord.InteractionType.modal_submit)
    fill_modal(first, page_one, {"company": "Annas Blommor & Co"})
    await first.on_submit(page_one)
    pressed = interact()
    await press(pressed, f"jb:{FORM_PAGE_ACTION}:profile.edit/1")
    second: FormPageModal = pressed.response.send_modal.await_args.args[0]
    page_two = interact(type=discord.InteractionType.modal_submit)
    fill_modal(second, page_two, {})
    await second.on_submit(page_two)
    pressed = interact()
    await press(pressed, f"jb:{FORM_PAGE_ACTION}:profile.edit/2")
    third: FormPageModal = pressed.response.send_modal.await_args.args[0]
    page_three = interact(type=discord.InteractionType.modal_submit)
    fill_modal(third, page_three, {"goal": "Fler kunder"})
    await third.on_submit(page_three)

    answer = sent(page_three)
    assert answer["embed"].description == "Sparat!"
    async with app.sessionmaker() as session:
        row = await session.scalar(select(Member).where(Member.external_id == str(member.id)))
    assert (row.company, row.goal, row.municipality) == ("Annas Blommor & Co", "Fler kunder", "solvesborg")


async def test_language_switches_and_answers_in_the_new_language(cog: Profile, interact: Any, app: App,
                                                                 member: MockMember):
    await onboard(app, identity_of(member), "solvesborg")
    interaction = interact()

    await Profile.language_set.callback(cog, interaction, choice("en"))

    assert sent(interaction)["content"] == "Done! I will write to you in English from now on."
    shown = interact()
    await Profile.profile_show.callback(cog, shown)
    assert sent(shown)["embed"].title == "Profile: Anna"


async def test_members_is_refused_to_a_member(cog: Profile, interact: Any):
    interaction = interact()

    with pytest.raises(CoordinatorOnly):
        await is_coordinator(interaction)
    with pytest.raises(NotCoordinator):
        await Profile.members_list.callback(cog, interaction)


async def test_members_lists_the_onboarded_for_a_coordinator_after_a_defer(
    cog: Profile, interact: Any, app: App, member: MockMember, admin: MockMember
):
    await onboard(app, identity_of(member), "solvesborg")
    interaction = interact(user=admin)

    assert await is_coordinator(interaction) is True
    await Profile.members_list.callback(cog, interaction, choice("solvesborg"), None, None)

    interaction.response.defer.assert_awaited_once_with(thinking=True, ephemeral=True)
    answer = interaction.edit_original_response.await_args.kwargs
    assert answer["embed"].title == "Medlemmar (1)"
    assert "**Anna**, Annas Blommor" in answer["embed"].description


async def test_members_filters_to_none(cog: Profile, interact: Any, app: App, member: MockMember,
                                       admin: MockMember):
    await onboard(app, identity_of(member), "solvesborg")
    interaction = interact(user=admin)

    await Profile.members_list.callback(cog, interaction, choice("karlskrona"), None, None)

    assert sent(interaction)["content"] == "Inga medlemmar matchar."


async def test_the_configured_coordinator_role_passes_the_check(
    interact: Any, app: App, guild: MockGuild, admin: MockMember, coordinator_role: MockRole
):
    await app.run(identity_of(admin), workspaces.configure, coordinator_role=str(coordinator_role.id))
    helper = MockMember(guild=guild, name="cecilia", roles=[coordinator_role])

    assert await is_coordinator(interact(user=helper)) is True


async def test_members_choices_come_from_the_profile_fields():
    for name in ("municipality", "industry", "experience"):
        choices = discord_choices(declared("members").option(name))
        assert len(choices) <= 25
        assert [c.value for c in choices] == [o.value for o in CHOICES[name]]
