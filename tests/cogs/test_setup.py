"""/setup: channels, roles, language and time zone, for coordinators only."""

from __future__ import annotations

from typing import Any

import discord
import pytest
from discord import app_commands
from sqlalchemy import select

from bot.app import App
from bot.discordbot.bot import JobbBot
from bot.discordbot.checks import CoordinatorOnly, is_coordinator
from bot.errors import NotCoordinator, UserError
from bot.models import Workspace
from bot.validation import FieldProblem
from cogs._options import timezone_autocomplete, timezone_choices
from cogs.setup import Setup
from tests.helpers import (
    MockBot,
    MockForumChannel,
    MockGuild,
    MockMember,
    MockRole,
    MockTextChannel,
    sent,
    shown_text,
)

# What the bot's role is given by the invite link (README, "Running on Discord"), plus Pin Messages.
INVITED = discord.Permissions(
    view_channel=True,
    send_messages=True,
    send_messages_in_threads=True,
    manage_threads=True,
    embed_links=True,
    attach_files=True,
    read_message_history=True,
    manage_roles=True,
    pin_messages=True,
    mention_everyone=True,
)


@pytest.fixture
def cog(bot: MockBot) -> Setup:
    return Setup(bot)


@pytest.fixture(autouse=True)
def me(guild: MockGuild) -> MockMember:
    """The bot in the server: its own role stands high, with the permissions of the invite."""
    role = MockRole(name="Jobbskaparna", position=10, managed=True)
    guild.roles.append(role)
    bot_member = MockMember(guild=guild, roles=[role], name="Jobbskaparna", bot=True)
    bot_member.top_role = role
    bot_member.guild_permissions = INVITED
    guild.me = bot_member
    guild.get_channel.side_effect = lambda channel_id: None
    return bot_member


def channel(guild: MockGuild, name: str, *, forum: bool = False, allowed: discord.Permissions = INVITED
            ) -> MockTextChannel | MockForumChannel:
    """A channel of the server in which the bot has `allowed` (its role's permissions and the overwrites)."""
    made = MockForumChannel(name=name) if forum else MockTextChannel(name=name)
    made.permissions_for.return_value = allowed
    known = {made.id: made}
    previous = guild.get_channel.side_effect
    guild.get_channel.side_effect = lambda channel_id: known.get(channel_id) or previous(channel_id)
    return made


def role(guild: MockGuild, name: str, *, position: int = 2, mentionable: bool = False, managed: bool = False
         ) -> MockRole:
    made = MockRole(name=name, position=position, mentionable=mentionable, managed=managed)
    guild.roles.append(made)
    return made


def without(*names: str) -> discord.Permissions:
    return discord.Permissions(INVITED.value & ~discord.Permissions(**dict.fromkeys(names, True)).value)


def fields(interaction: Any) -> dict[str, str]:
    return {f.name: f.value for f in sent(interaction)["embed"].fields}


async def workspace(app: App, guild: MockGuild) -> Workspace:
    async with app.sessionmaker() as session:
        return await session.scalar(select(Workspace).where(Workspace.external_id == str(guild.id)))


async def test_a_coordinator_sets_channels_roles_language_and_time_zone(
        cog: Setup, interact: Any, app: App, guild: MockGuild, admin: MockMember, coordinator_role: MockRole):
    announcements, welcome = channel(guild, "annonser"), channel(guild, "välkommen")
    member_role = role(guild, "Medlem")
    # An admin whose Discord speaks English (a Swedish one is answered in Swedish: their Discord's language).
    interaction = interact(user=admin, locale=discord.Locale.american_english)

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

    # Told under the field's name, as every field's problem.
    assert isinstance(refused.value, FieldProblem) and refused.value.problem.key == "errors.timezone"


async def test_setup_is_for_coordinators(cog: Setup, interact: Any):
    interaction = interact()

    with pytest.raises(CoordinatorOnly):
        await is_coordinator(interaction)
    with pytest.raises(NotCoordinator):
        await Setup.setup_configure.callback(
            cog, interaction, language=app_commands.Choice(name="sv", value="sv")
        )


async def test_setup_is_hidden_from_members_by_default():
    assert Setup.setup_configure.default_permissions == discord.Permissions(manage_guild=True)


async def test_time_zones_are_suggested_as_the_coordinator_types(cog: Setup, interact: Any):
    suggested = await timezone_autocomplete(interact(), "stock")

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
    forum = channel(guild, "berättelser", forum=True)
    interaction = interact(user=admin)

    await Setup.setup_configure.callback(cog, interaction, stories=forum)

    assert (await workspace(app, guild)).stories_channel_id == str(forum.id)
    shown = {f.name: f.value for f in sent(interaction)["embed"].fields}
    assert shown["Berättelsekanal"] == f"<#{forum.id}>"


async def test_when_all_is_in_order_setup_says_so(
    cog: Setup, interact: Any, guild: MockGuild, admin: MockMember
):
    interaction = interact(user=admin)

    await Setup.setup_configure.callback(
        cog,
        interaction,
        channel(guild, "annonser"),
        channel(guild, "välkommen"),
        channel(guild, "koordinatorer"),
        role(guild, "Medlem"),
        stories=channel(guild, "berättelser", forum=True),
    )

    shown = fields(interaction)
    assert shown["Behörigheter"].startswith("✅ Allt är i ordning")
    assert not any(name.startswith("⚠️") for name in shown)
    assert "Koordinatorernas kommandon" not in shown  # no coordinator role chosen


async def test_a_member_role_above_the_bots_and_no_manage_roles_are_both_named_with_the_fix(
        cog: Setup, interact: Any, guild: MockGuild, admin: MockMember, me: MockMember):
    me.guild_permissions = without("manage_roles")
    member_role = role(guild, "Medlem", position=11)
    interaction = interact(user=admin)

    await Setup.setup_configure.callback(cog, interaction, member_role=member_role)

    problem = fields(interaction)["⚠️ Medlemsroll"]
    assert problem.startswith(f"• Botens roll (<@&{me.top_role.id}>) står under <@&{member_role.id}>")
    assert "Dra botens roll ovanför" in problem and "Serverinställningar → Roller" in problem
    assert "\n• Boten saknar behörigheten Hantera roller" in problem
    assert "Behörigheter" not in fields(interaction)


async def test_a_channel_the_bot_cannot_write_in_is_named_with_what_it_lacks(
        cog: Setup, interact: Any, guild: MockGuild, admin: MockMember):
    announcements = channel(guild, "annonser", allowed=without("send_messages", "embed_links"))
    interaction = interact(user=admin)

    await Setup.setup_configure.callback(cog, interaction, announcements)

    assert fields(interaction)["⚠️ Annonskanal"] == (
        f"Boten kan inte skriva i <#{announcements.id}>. "
        "Där saknar den: Skicka meddelanden och skapa inlägg, "
        "Bädda in länkar. Ge botens roll det som saknas under kanalens inställningar → Behörigheter."
    )


async def test_a_private_channel_the_bot_cannot_see_says_only_that(
        cog: Setup, interact: Any, guild: MockGuild, admin: MockMember):
    # discord.py reports every text permission missing where View Channel is; only that one is the fix.
    coordinators = channel(guild, "koordinatorer", allowed=discord.Permissions.none())
    interaction = interact(user=admin)

    await Setup.setup_configure.callback(cog, interaction, coordinators=coordinators)

    assert fields(interaction)["⚠️ Koordinatorskanal"].startswith(f"Boten ser inte <#{coordinators.id}>")


async def test_what_the_bots_role_lacks_everywhere_is_named_once_for_the_role(
        cog: Setup, interact: Any, guild: MockGuild, admin: MockMember, me: MockMember):
    me.guild_permissions = without("pin_messages", "attach_files")
    lacking = without("pin_messages", "attach_files")
    interaction = interact(user=admin)

    await Setup.setup_configure.callback(cog, interaction, channel(guild, "annonser", allowed=lacking),
                                         channel(guild, "välkommen", allowed=lacking))

    shown = fields(interaction)
    assert shown["⚠️ Botens roll"] == (
        f"Boten saknar på hela servern: Bifoga filer, Fäst meddelanden. "
        f"Slå på det som saknas för botens roll "
        f"(<@&{me.top_role.id}>) under Serverinställningar → Roller."
    )
    assert "⚠️ Annonskanal" not in shown and "⚠️ Välkomstkanal" not in shown


async def test_a_forum_needs_posts_and_messages_in_them(cog: Setup, interact: Any, guild: MockGuild,
                                                        admin: MockMember):
    forum = channel(guild, "berättelser", forum=True, allowed=without("send_messages_in_threads"))
    interaction = interact(user=admin)

    await Setup.setup_configure.callback(cog, interaction, stories=forum)

    assert fields(interaction)["⚠️ Berättelsekanal"].startswith(
        f"I <#{forum.id}> saknar boten: Skicka meddelanden i trådar och inlägg.")


async def test_a_forum_needs_manage_threads_to_delete_an_erased_members_post(
        cog: Setup, interact: Any, guild: MockGuild, admin: MockMember):
    forum = channel(guild, "berättelser", forum=True, allowed=without("manage_threads"))
    interaction = interact(user=admin)

    await Setup.setup_configure.callback(cog, interaction, stories=forum)

    assert fields(interaction)["⚠️ Berättelsekanal"].startswith(
        f"I <#{forum.id}> saknar boten: Hantera trådar och inlägg.")


@pytest.mark.parametrize(("mentionable", "pinged"), [(False, False), (True, True)])
async def test_the_member_role_must_be_pingable_in_the_announcements(
        cog: Setup, interact: Any, guild: MockGuild, admin: MockMember, mentionable: bool, pinged: bool):
    announcements = channel(guild, "annonser", allowed=without("mention_everyone"))
    member_role = role(guild, "Medlem", mentionable=mentionable)
    interaction = interact(user=admin)

    await Setup.setup_configure.callback(cog, interaction, announcements, member_role=member_role)

    shown = fields(interaction)
    assert ("⚠️ Medlemsroll" not in shown) is pinged
    if not pinged:
        assert shown["⚠️ Medlemsroll"].startswith(
            f"Boten kan inte nämna <@&{member_role.id}> i <#{announcements.id}>"
        )
        assert "Nämn @everyone, @here och alla roller" in shown["⚠️ Medlemsroll"]


async def test_a_role_an_integration_manages_cannot_be_the_member_role(
        cog: Setup, interact: Any, guild: MockGuild, admin: MockMember):
    booster = role(guild, "Server Booster", managed=True)
    interaction = interact(user=admin)

    await Setup.setup_configure.callback(cog, interaction, member_role=booster)

    assert fields(interaction)["⚠️ Medlemsroll"].startswith(
        f"<@&{booster.id}> sköts av Discord eller en integration"
    )


async def test_setup_without_options_checks_what_was_saved(cog: Setup, interact: Any, guild: MockGuild,
                                                           admin: MockMember):
    announcements = channel(guild, "annonser")
    await Setup.setup_configure.callback(cog, interact(user=admin), announcements)
    guild.get_channel.side_effect = lambda channel_id: None  # the channel was deleted since
    interaction = interact(user=admin)

    await Setup.setup_configure.callback(cog, interaction)

    assert sent(interaction)["embed"].description == "Så här är gruppen inställd:"
    assert fields(interaction)["⚠️ Annonskanal"].startswith("Kanalen finns inte längre")


@pytest.fixture
async def commands(app: App, bot: MockBot) -> None:
    """Give the bot its real command tree, every cog loaded."""
    real = JobbBot(app)
    await real.load_cogs()
    bot.tree = real.tree


@pytest.mark.usefixtures("commands")
async def test_a_coordinator_role_gets_told_how_to_see_the_coordinator_commands(
        cog: Setup, interact: Any, admin: MockMember, coordinator_role: MockRole, me: MockMember):
    interaction = interact(user=admin)

    await Setup.setup_configure.callback(cog, interaction, coordinator_role=coordinator_role)

    advice = fields(interaction)["Koordinatorernas kommandon"]
    assert f"Så ser <@&{coordinator_role.id}> dem också" in advice
    assert f"Serverinställningar → Integrationer → {me.name}" in advice
    named = advice.rpartition(": ")[2].rstrip(".").split(", ")
    assert {"/inställningar", "/medlemmar", "/rapport", "/sammanfattning", "/fråga-admin"} <= set(named)
    assert "/profil" not in named and "/fråga" not in named  # what members use is not hidden


@pytest.mark.usefixtures("commands")
async def test_the_coordinator_advice_is_in_the_readers_language(
        cog: Setup, interact: Any, admin: MockMember, coordinator_role: MockRole):
    interaction = interact(user=admin, locale=discord.Locale.american_english)

    await Setup.setup_configure.callback(cog, interaction, coordinator_role=coordinator_role,
                                         language=app_commands.Choice(name="English", value="en"))

    shown = shown_text(sent(interaction))
    assert "Server Settings → Integrations" in shown and "/setup, " in shown and "/issue-admin" in shown
    assert "✅ All in order" in shown


async def test_without_a_coordinator_role_there_is_no_advice(cog: Setup, interact: Any, admin: MockMember,
                                                            bot: MockBot):
    bot.tree.get_commands.return_value = [Setup.setup_configure]
    interaction = interact(user=admin)

    await Setup.setup_configure.callback(cog, interaction)

    assert "Koordinatorernas kommandon" not in fields(interaction)


async def test_before_the_bot_knows_itself_the_check_says_so(cog: Setup, interact: Any, guild: MockGuild,
                                                            admin: MockMember):
    guild.me = None
    interaction = interact(user=admin)

    await Setup.setup_configure.callback(cog, interaction)

    assert fields(interaction)["⚠️ Botens roll"].startswith("Boten hittar inte sig själv")
