"""The bot sharded across processes: each process runs its shards, one syncs the commands, and whatever a
handler needs of a server another process holds comes from the database and Discord, not from the cache."""

from __future__ import annotations

from unittest.mock import AsyncMock, MagicMock

import discord
import pytest

from bot.app import App
from bot.config import load_settings
from bot.discordbot.bot import JobbBot
from bot.discordbot.checks import identity_from, identity_of
from bot.discordbot.notifier import DiscordNotifier
from bot.errors import UserError
from bot.metrics import Metrics
from bot.models import Workspace
from bot.replies import Channel, Reply
from tests.helpers import (
    MockBot,
    MockForumChannel,
    MockGuild,
    MockInteraction,
    MockMember,
    MockRole,
    MockUser,
)
from tests.support.onboarding import onboard


def sharded_bot(shard_count: int | None, shard_ids: str = "") -> JobbBot:
    settings = load_settings(_env_file=None, discord_shard_count=shard_count, discord_shard_ids=shard_ids)
    return JobbBot(MagicMock(spec=App, settings=settings, metrics=Metrics()))


@pytest.mark.parametrize(
    ("count", "ids", "runs", "syncs", "holds_all"),
    [
        (None, "", None, True, True),  # unsharded: discord.py asks Discord for the count, runs them all
        (2, "", None, True, True),  # two shards, both in this process
        (2, "0", [0], True, False),
        (2, "1", [1], False, False),
        (4, "0-1,3", [0, 1, 3], True, False),
    ],
)
def test_the_shard_settings_choose_what_the_process_runs_and_only_shard_0_syncs(
        count: int | None, ids: str, runs: list[int] | None, syncs: bool, holds_all: bool):
    bot = sharded_bot(count, ids)

    assert bot.shard_count == count
    assert bot.shard_ids == runs
    assert bot.syncs_commands is syncs
    assert bot.holds_every_shard is holds_all


async def test_the_process_without_shard_0_starts_without_syncing_the_commands():
    bot = sharded_bot(2, "1")
    bot.app.processes = MagicMock()  # the process registry (an App's instance attribute)
    bot.sync_commands = AsyncMock()  # type: ignore[method-assign]

    await bot.setup_hook()

    bot.app.start.assert_awaited_once()  # type: ignore[attr-defined]
    bot.sync_commands.assert_not_awaited()


@pytest.fixture
def other_shards_guild() -> tuple[MockGuild, MockMember, MockRole]:
    """A server on another process's shard, with Anna in it as a coordinator."""
    role = MockRole(name="Koordinator")
    guild = MockGuild(name="Jobbskaparna Skåne", roles=[role])
    return guild, MockMember(guild=guild, name="anna", roles=[role]), role


async def test_a_dm_press_on_shard_0_finds_the_members_server_that_another_process_holds(
        app: App, other_shards_guild: tuple[MockGuild, MockMember, MockRole]):
    guild, member, role = other_shards_guild
    await onboard(app, identity_of(member))
    shard_0 = MockBot(app=app, guilds=[])  # DMs arrive here; the member's server is not in its cache
    shard_0.holds_every_shard = False
    shard_0.fetch_guild.return_value = guild
    guild.fetch_member.return_value = member
    pressed_in_dm = MockInteraction(user=MockUser(id=member.id, name="anna"), client=shard_0,
                                    type=discord.InteractionType.component)

    identity = await identity_from(pressed_in_dm)

    assert identity.workspace_external_id == str(guild.id)
    assert identity.user_external_id == str(member.id)
    assert str(role.id) in identity.role_ids  # the coordinator check sees the member's roles
    shard_0.fetch_guild.assert_awaited_once_with(guild.id)
    guild.fetch_member.assert_awaited_once_with(member.id)


async def test_a_dm_from_someone_in_no_known_server_is_refused_without_asking_discord(app: App):
    shard_0 = MockBot(app=app, guilds=[])
    shard_0.holds_every_shard = False
    stranger = MockInteraction(user=MockUser(name="okänd"), client=shard_0)

    with pytest.raises(UserError) as refused:
        await identity_from(stranger)

    assert refused.value.text.key == "errors.guild_only"
    shard_0.fetch_guild.assert_not_awaited()


async def test_a_process_holding_every_shard_does_not_look_beyond_its_cache(
        app: App, other_shards_guild: tuple[MockGuild, MockMember, MockRole]):
    _, member, _ = other_shards_guild
    await onboard(app, identity_of(member))
    alone = MockBot(app=app, guilds=[])  # left the server: its cache is the whole truth
    alone.holds_every_shard = True

    with pytest.raises(UserError):
        await identity_from(MockInteraction(user=MockUser(id=member.id), client=alone))

    alone.fetch_guild.assert_not_awaited()


def forum_workspace(guild: MockGuild, forum_id: int) -> Workspace:
    return Workspace(id=1, platform="discord", external_id=str(guild.id), name=guild.name, language="sv",
                     timezone="Europe/Stockholm", stories_channel_id=str(forum_id))


async def test_a_forum_post_of_a_server_another_process_holds_is_edited_in_its_thread(guild: MockGuild):
    forum = MockForumChannel(name="berättelser")
    bot = MockBot(guilds=[])
    bot.get_channel.return_value = None  # not cached: the forum's server is on another shard
    bot.fetch_channel.return_value = forum
    post = MagicMock(spec=discord.PartialMessage, edit=AsyncMock())
    bot.get_partial_messageable.return_value.get_partial_message.return_value = post
    notifier = DiscordNotifier(bot)
    workspace = forum_workspace(guild, forum.id)

    await notifier.edit(workspace, Channel.STORIES, "777", Reply.say("profile.saved"))
    await notifier.edit(workspace, Channel.STORIES, "777", Reply.say("profile.saved"))

    # The post's thread has the id of its first message: the message is looked for there, not in the forum.
    bot.get_partial_messageable.assert_called_with(777)
    assert post.edit.await_count == 2
    bot.fetch_channel.assert_awaited_once_with(forum.id)  # a channel's type is asked once
