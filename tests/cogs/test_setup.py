"""/setup: channels, roles, language and time zone, for coordinators only."""

from __future__ import annotations

from typing import Any

import discord
import pytest
from discord import app_commands
from sqlalchemy import select

from bot.app import App
from bot.discordbot.checks import CoordinatorOnly, is_coordinator
from bot.errors import NotCoordinator, UserError
from bot.models import Workspace
from cogs.setup import Setup, timezone_choices
from tests.helpers import MockBot, MockForumChannel, MockGuild, MockMember, MockRole, MockTextChannel, sent


@pytest.fixture
def cog(bot: MockBot) -> Setup:
    return Setup(bot)


async def workspace(app: App, guild: MockGuild) -> Workspace:
    async with app.sessionmaker() as session:
        return await session.scalar(select(Workspace).where(Workspace.external_id == str(guild.id)))


async def test_a_coordinator_sets_channels_roles_language_and_time_zone(
        cog: Setup, interact: Any, app: App, guild: MockGuild, admin: MockMember, coordinator_role: MockRole):
    announcements, welcome = MockTextChannel(name="annonser"), MockTextChannel(name="välkommen")
    member_role = MockRole(name="Medlem")
    interaction = interact(user=admin)

    await Setup.setup_configure.callback(cog, interaction, announcements, welcome, None, member_role,
                                         coordinator_role, app_commands.Choice(name="English", value="en"),
                                         "Europe/Helsinki")

    row = await workspace(app, guild)
    assert row.announcement_channel_id == str(announcements.id)
    assert row.welcome_channel_id == str(welcome.id) and row.coordinator_channel_id is None
    assert (row.member_role_id, row.coordinator_role_id) == (str(member_role.id), str(coordinator_role.id))
    assert (row.language, row.timezone) == ("en", "Europe/Helsinki")
    embed = sent(interaction)["embed"]
    assert embed.title == "Settings"
    shown = {f.name: f.value for f in embed.fields}
    assert shown["Announcement channel"] == f"<#{announcements.id}>"
    assert shown["Coordinator role"] == f"<@&{coordinator_role.id}>"
    assert shown["Coordinators' channel"] == "not set"


async def test_setup_without_options_shows_the_settings(cog: Setup, interact: Any, admin: MockMember):
    interaction = interact(user=admin)

    await Setup.setup_configure.callback(cog, interaction)

    assert sent(interaction)["embed"].description == "Så här är gruppen inställd:"


async def test_an_unknown_time_zone_is_refused(cog: Setup, interact: Any, admin: MockMember):
    with pytest.raises(UserError) as refused:
        await Setup.setup_configure.callback(cog, interact(user=admin), timezone="Europe/Karlskrona")

    assert refused.value.text.key == "errors.timezone"


async def test_setup_is_for_coordinators(cog: Setup, interact: Any):
    interaction = interact()

    with pytest.raises(CoordinatorOnly):
        await is_coordinator(interaction)
    with pytest.raises(NotCoordinator):
        await Setup.setup_configure.callback(cog, interaction, language=app_commands.Choice(name="sv", value="sv"))


async def test_setup_is_hidden_from_members_by_default():
    assert Setup.setup_configure.default_permissions == discord.Permissions(manage_messages=True)


async def test_time_zones_are_suggested_as_the_coordinator_types(cog: Setup, interact: Any):
    suggested = await cog.timezone_autocomplete(interact(), "stock")

    assert [c.value for c in suggested] == ["Europe/Stockholm"]


@pytest.mark.parametrize("typed", ["", "a", "europe/", "America/"])
async def test_at_most_25_time_zones_are_suggested(typed: str):
    suggested = timezone_choices(typed)

    assert 0 < len(suggested) <= 25
    assert all(len(c.name) <= 100 for c in suggested)


async def test_before_typing_stockholm_comes_first():
    assert timezone_choices("")[0].value == "Europe/Stockholm"


async def test_names_that_start_with_the_typed_text_come_first():
    assert timezone_choices("europe/s")[0].value.startswith("Europe/S")


async def test_the_stories_channel_may_be_a_forum(cog: Setup, interact: Any, app: App, guild: MockGuild,
                                                 admin: MockMember):
    forum = MockForumChannel(name="berättelser")
    interaction = interact(user=admin)

    await Setup.setup_configure.callback(cog, interaction, stories=forum)

    assert (await workspace(app, guild)).stories_channel_id == str(forum.id)
    shown = {f.name: f.value for f in sent(interaction)["embed"].fields}
    assert shown["Berättelsekanal"] == f"<#{forum.id}>"
