"""The Discord notifier: DMs (closed ones reported), channel posts with mentions, roles; nonces passed on."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any
from unittest.mock import AsyncMock, MagicMock

import discord
import pytest

from bot.delivery import RecipientUnreachable, RoleNotGranted, Throttled
from bot.discordbot.notifier import DiscordNotifier
from bot.models import Member, Workspace
from bot.replies import Channel, Literal, Reply, Role, text
from tests.helpers import (
    MockBot,
    MockDMChannel,
    MockForumChannel,
    MockGuild,
    MockMember,
    MockRole,
    MockTextChannel,
    MockUser,
)

NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)


def forbidden(code: int) -> discord.Forbidden:
    response = MagicMock(status=403, reason="Forbidden")
    return discord.Forbidden(response, {"code": code, "message": "Cannot send messages to this user"})


def rows(guild: MockGuild, user_id: int, **settings: Any) -> tuple[Workspace, Member]:
    workspace = Workspace(
        id=1,
        platform="discord",
        external_id=str(guild.id),
        name=guild.name,
        language=settings.pop("language", "sv"),
        timezone="Europe/Stockholm",
        created_at=NOW,
        updated_at=NOW,
        **settings,
    )
    member = Member(id=7, workspace_id=1, external_id=str(user_id), display_name="Anna", joined_at=NOW,
                    language=None, dm_open=True)
    return workspace, member


@pytest.fixture
def dm() -> MockDMChannel:
    return MockDMChannel()


@pytest.fixture
def user(dm: MockDMChannel) -> MockUser:
    user = MockUser(name="anna")
    user.create_dm.return_value = dm
    return user


@pytest.fixture
def notifier_bot(guild: MockGuild, user: MockUser) -> MockBot:
    discord_bot = MockBot(guilds=[guild])
    discord_bot.get_user.side_effect = lambda user_id: user if user_id == user.id else None
    return discord_bot


async def test_a_dm_is_sent_with_its_nonce_in_the_members_language(notifier_bot: MockBot, guild: MockGuild,
                                                                   user: MockUser, dm: MockDMChannel):
    workspace, member = rows(guild, user.id)
    member.language = "en"

    await DiscordNotifier(notifier_bot).send_direct(
        workspace, member, Reply.say("profile.saved"), nonce="n0nce"
    )

    kwargs = dm.send.await_args.kwargs
    assert kwargs["content"] == "Saved!"
    assert kwargs["nonce"] == "n0nce"
    assert "ephemeral" not in kwargs
    assert kwargs["allowed_mentions"].to_dict() == {"parse": [], "users": []}


async def test_closed_dms_raise_recipient_unreachable(notifier_bot: MockBot, guild: MockGuild, user: MockUser,
                                                      dm: MockDMChannel):
    dm.send.side_effect = forbidden(50007)
    workspace, member = rows(guild, user.id)

    with pytest.raises(RecipientUnreachable):
        await DiscordNotifier(notifier_bot).send_direct(workspace, member, Reply.say("profile.saved"))


async def test_other_refusals_are_not_mistaken_for_closed_dms(notifier_bot: MockBot, guild: MockGuild,
                                                             user: MockUser, dm: MockDMChannel):
    dm.send.side_effect = forbidden(50001)
    workspace, member = rows(guild, user.id)

    with pytest.raises(discord.Forbidden):
        await DiscordNotifier(notifier_bot).send_direct(workspace, member, Reply.say("profile.saved"))


def too_many_requests(retry_after: str) -> discord.HTTPException:
    response = MagicMock(status=429, reason="Too Many Requests", headers={"Retry-After": retry_after})
    return discord.HTTPException(response, {"message": "You are being rate limited.", "retry_after": 0.2})


async def test_a_429_that_discord_py_gave_up_on_becomes_throttled_with_discords_wait(
        notifier_bot: MockBot, guild: MockGuild, user: MockUser, dm: MockDMChannel):
    workspace, member = rows(guild, user.id)
    notifier = DiscordNotifier(notifier_bot)

    dm.send.side_effect = too_many_requests("3")
    with pytest.raises(Throttled) as raised:
        await notifier.send_direct(workspace, member, Reply.say("profile.saved"))
    assert raised.value.retry_after == 3.0

    # discord.py raises RateLimited instead when the wait is longer than the client allows.
    channel = MockTextChannel(name="välkommen")
    channel.send.side_effect = discord.RateLimited(7.5)
    notifier_bot.get_channel.side_effect = lambda channel_id: channel if channel_id == channel.id else None
    workspace.welcome_channel_id = str(channel.id)
    with pytest.raises(Throttled) as raised:
        await notifier.post(workspace, Channel.WELCOME, Reply(body=Literal("Hej"), private=False))
    assert raised.value.retry_after == 7.5


async def test_other_http_errors_are_not_mistaken_for_throttling(notifier_bot: MockBot, guild: MockGuild,
                                                                user: MockUser, dm: MockDMChannel):
    dm.send.side_effect = discord.HTTPException(MagicMock(status=500, reason="Server Error"), "oops")
    workspace, member = rows(guild, user.id)

    with pytest.raises(discord.HTTPException):
        await DiscordNotifier(notifier_bot).send_direct(workspace, member, Reply.say("profile.saved"))


async def test_the_dm_channel_is_opened_once_and_remembered(notifier_bot: MockBot, guild: MockGuild,
                                                            user: MockUser, dm: MockDMChannel):
    remembered = MagicMock(spec=discord.PartialMessageable, send=AsyncMock())
    notifier_bot.get_partial_messageable.return_value = remembered
    workspace, member = rows(guild, user.id)
    notifier = DiscordNotifier(notifier_bot)

    await notifier.send_direct(workspace, member, Reply.say("profile.saved"), nonce="first")
    await notifier.send_direct(workspace, member, Reply.say("profile.saved"), nonce="second")

    user.create_dm.assert_awaited_once()
    assert dm.send.await_args.kwargs["nonce"] == "first"
    notifier_bot.get_partial_messageable.assert_called_once_with(dm.id, type=discord.ChannelType.private)
    assert remembered.send.await_args.kwargs["nonce"] == "second"


async def test_a_user_discord_no_longer_knows_is_unreachable(notifier_bot: MockBot, guild: MockGuild):
    notifier_bot.http.start_private_message = AsyncMock(side_effect=discord.HTTPException(
        MagicMock(status=400, reason="Bad Request"), {"code": 50033, "message": "Invalid Recipient(s)"}
    ))
    workspace, member = rows(guild, 42)

    with pytest.raises(RecipientUnreachable):
        await DiscordNotifier(notifier_bot).send_direct(workspace, member, Reply.say("profile.saved"))


async def test_a_user_this_process_does_not_know_gets_the_dm_without_being_fetched_first(
        notifier_bot: MockBot, guild: MockGuild):
    # A member of a server on another process's shard: not in this process's cache.
    notifier_bot.http.start_private_message = AsyncMock(return_value={"id": "555", "type": 1})
    opened = MagicMock(spec=discord.PartialMessageable, send=AsyncMock())
    notifier_bot.get_partial_messageable.return_value = opened
    workspace, member = rows(guild, 42)

    notifier = DiscordNotifier(notifier_bot)

    channel_id = await notifier.send_direct(workspace, member, Reply.say("profile.saved"))

    assert channel_id == "555"
    notifier_bot.http.start_private_message.assert_awaited_once_with(42)
    notifier_bot.fetch_user.assert_not_called()
    notifier_bot.get_partial_messageable.assert_called_once_with(555, type=discord.ChannelType.private)
    assert opened.send.await_args.kwargs["content"] == "Sparat!"


async def test_a_post_mentions_and_pings_only_the_members_named(notifier_bot: MockBot, guild: MockGuild):
    channel = MockTextChannel(name="välkommen")
    notifier_bot.get_channel.side_effect = lambda channel_id: channel if channel_id == channel.id else None
    workspace, _ = rows(guild, 1, welcome_channel_id=str(channel.id), language="en")
    reply = Reply(body=text("onboarding.nudge.body", name="Anna"), mentions=("42", "43"), private=False)

    await DiscordNotifier(notifier_bot).post(workspace, Channel.WELCOME, reply, nonce="abc")

    kwargs = channel.send.await_args.kwargs
    assert kwargs["content"].startswith("<@42> <@43>\nHi Anna!")
    assert kwargs["allowed_mentions"].to_dict() == {"parse": [], "users": [42, 43]}
    assert kwargs["nonce"] == "abc"


async def test_a_post_to_a_channel_not_set_up_is_skipped_with_a_warning(
    notifier_bot: MockBot, guild: MockGuild, caplog: pytest.LogCaptureFixture
):
    workspace, _ = rows(guild, 1)

    with caplog.at_level(logging.WARNING, logger="bot.discordbot.notifier"):
        await DiscordNotifier(notifier_bot).post(workspace, Channel.ANNOUNCEMENTS, Reply.say("common.done"))

    notifier_bot.get_channel.assert_not_called()
    assert "no announcements channel" in caplog.text


async def test_the_configured_role_is_granted(notifier_bot: MockBot, guild: MockGuild):
    role = MockRole(name="Medlem")
    discord_member = MockMember(guild=guild)
    workspace, member = rows(guild, discord_member.id, member_role_id=str(role.id))
    notifier_bot.get_guild.side_effect = lambda guild_id: guild if guild_id == guild.id else None

    await DiscordNotifier(notifier_bot).grant_role(workspace, member, Role.MEMBER)

    [granted] = discord_member.add_roles.await_args.args
    assert granted.id == role.id
    assert discord_member.add_roles.await_args.kwargs["reason"] == "Tilldelad av Jobbskaparna"


async def test_no_role_is_granted_before_setup_chose_one(notifier_bot: MockBot, guild: MockGuild):
    discord_member = MockMember(guild=guild)
    workspace, member = rows(guild, discord_member.id)

    await DiscordNotifier(notifier_bot).grant_role(workspace, member, Role.COORDINATOR)

    discord_member.add_roles.assert_not_awaited()


async def test_a_role_the_bot_may_not_grant_is_reported_as_not_granted(
    notifier_bot: MockBot, guild: MockGuild
):
    discord_member = MockMember(guild=guild)
    discord_member.add_roles.side_effect = forbidden(50013)
    workspace, member = rows(guild, discord_member.id, member_role_id="5")
    notifier_bot.get_guild.side_effect = lambda guild_id: guild

    with pytest.raises(RoleNotGranted, match="50013"):
        await DiscordNotifier(notifier_bot).grant_role(workspace, member, Role.MEMBER)


async def test_an_erased_members_role_is_taken_back_and_one_who_left_needs_nothing(notifier_bot: MockBot,
                                                                                   guild: MockGuild):
    role = MockRole(name="Medlem")
    discord_member = MockMember(guild=guild)
    workspace, _ = rows(guild, discord_member.id, member_role_id=str(role.id))
    notifier_bot.get_guild.side_effect = lambda guild_id: guild

    await DiscordNotifier(notifier_bot).revoke_role(workspace, str(discord_member.id), Role.MEMBER)

    [taken] = discord_member.remove_roles.await_args.args
    assert taken.id == role.id
    assert discord_member.remove_roles.await_args.kwargs["reason"] == (
        "Medlemmen bad Jobbskaparna radera sina uppgifter")
    guild.get_member.side_effect = lambda user_id: None
    gone = MagicMock(status=404, reason="Not Found")
    guild.fetch_member.side_effect = discord.NotFound(gone, "Unknown Member")
    await DiscordNotifier(notifier_bot).revoke_role(workspace, "123", Role.MEMBER)  # left: no error


async def test_a_deleted_story_post_is_its_message_or_in_a_forum_its_thread(notifier_bot: MockBot,
                                                                            guild: MockGuild):
    text_channel, forum = MockTextChannel(name="berättelser"), MockForumChannel(name="forum")
    thread = MagicMock(spec=discord.Thread)
    thread.delete = AsyncMock()
    channels = {text_channel.id: text_channel, forum.id: forum, 99: thread}
    notifier_bot.get_channel.side_effect = channels.get
    message = MagicMock(spec=discord.PartialMessage)
    message.delete = AsyncMock()
    notifier_bot.get_partial_messageable.return_value.get_partial_message.return_value = message

    in_text, _ = rows(guild, 1, stories_channel_id=str(text_channel.id))
    await DiscordNotifier(notifier_bot).delete_post(in_text, Channel.STORIES, "98")
    in_forum, _ = rows(guild, 1, stories_channel_id=str(forum.id))
    await DiscordNotifier(notifier_bot).delete_post(in_forum, Channel.STORIES, "99")

    message.delete.assert_awaited_once()
    assert thread.delete.await_args.kwargs["reason"] == "Medlemmen bad Jobbskaparna radera sina uppgifter"


async def test_a_post_in_a_forum_channel_is_a_new_post_named_after_the_title(notifier_bot: MockBot,
                                                                            guild: MockGuild):
    forum = MockForumChannel(name="berättelser")
    thread = MagicMock(spec=discord.Thread)
    forum.create_thread.return_value = discord.channel.ThreadWithMessage(thread, MagicMock(id=99))
    notifier_bot.get_channel.side_effect = lambda channel_id: forum if channel_id == forum.id else None
    workspace, _ = rows(guild, 1, stories_channel_id=str(forum.id))
    reply = Reply(title=Literal("Tweeten\ngav *tre* kunder"), body=Literal("Tre nya kunder."), private=False)

    message_id = await DiscordNotifier(notifier_bot).post(workspace, Channel.STORIES, reply, nonce="abc")

    kwargs = forum.create_thread.await_args.kwargs
    assert kwargs["name"] == "Tweeten gav *tre* kunder"  # one line, as written: a name shows no markdown
    assert kwargs["embed"].title == "Tweeten\ngav \\*tre\\* kunder" and "nonce" not in kwargs
    assert kwargs["allowed_mentions"].to_dict() == {"parse": [], "users": []}
    assert message_id == "99"


async def test_stories_go_to_the_announcements_until_a_stories_channel_is_chosen(notifier_bot: MockBot,
                                                                                 guild: MockGuild):
    channel = MockTextChannel(name="annonser")
    notifier_bot.get_channel.side_effect = lambda channel_id: channel if channel_id == channel.id else None
    workspace, _ = rows(guild, 1, announcement_channel_id=str(channel.id))

    await DiscordNotifier(notifier_bot).post(workspace, Channel.STORIES, Reply(title=Literal("Rubrik")))

    assert channel.send.await_args.kwargs["embed"].title == "Rubrik"


async def test_a_stored_dm_channel_is_used_without_opening_one_and_a_gone_one_is_opened_anew(
        notifier_bot: MockBot, guild: MockGuild, user: MockUser, dm: MockDMChannel):
    stored = MagicMock(spec=discord.PartialMessageable, send=AsyncMock())
    notifier_bot.get_partial_messageable.return_value = stored
    workspace, member = rows(guild, user.id)
    member.dm_channel_id = "4242"

    # After a restart: the id stored with the member is used as it is, no request to open the channel.
    used = await DiscordNotifier(notifier_bot).send_direct(workspace, member, Reply.say("profile.saved"))

    assert used == "4242"
    notifier_bot.get_partial_messageable.assert_called_once_with(4242, type=discord.ChannelType.private)
    user.create_dm.assert_not_awaited()

    # Discord says Unknown Channel: the channel is opened anew, the message sent there, and its id returned.
    stored.send.side_effect = discord.NotFound(MagicMock(status=404, reason="Not Found"),
                                               {"code": 10003, "message": "Unknown Channel"})
    used = await DiscordNotifier(notifier_bot).send_direct(workspace, member, Reply.say("profile.saved"))

    assert used == str(dm.id)
    dm.send.assert_awaited_once()


async def test_a_fallback_after_a_role_ping_names_everyone_and_pings_only_who_lacks_the_role(
        notifier_bot: MockBot, guild: MockGuild):
    member_role = MockRole(name="Medlem")
    guild.roles.append(member_role)
    holder, newcomer = (
        MockMember(guild=guild, name="anna", roles=[member_role]),
        MockMember(guild=guild, name="bo"),
    )
    channel = MockTextChannel(name="annonser")
    notifier_bot.get_channel.side_effect = lambda channel_id: channel if channel_id == channel.id else None
    workspace, _ = rows(guild, 1, announcement_channel_id=str(channel.id), member_role_id=str(member_role.id))
    # Someone the bot does not have in memory is pinged: twice is better than not at all.
    stranger = "4242"
    reply = Reply(body=Literal("Tre dagar kvar"), mentions=(str(holder.id), str(newcomer.id), stranger),
                  private=False, already_pinged=Role.MEMBER)

    await DiscordNotifier(notifier_bot).post(workspace, Channel.ANNOUNCEMENTS, reply)

    kwargs = channel.send.await_args.kwargs
    assert kwargs["content"].startswith(f"<@{holder.id}> <@{newcomer.id}> <@{stranger}>\n")
    assert kwargs["allowed_mentions"].to_dict() == {"parse": [], "users": [newcomer.id, int(stranger)]}
