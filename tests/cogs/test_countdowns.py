"""The countdown on Discord: /issue outcome and /issue countdown; the notifier's role ping, edits and pins.

/pledge and the pledge buttons are tested in tests/cogs/test_pledges.py."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from unittest.mock import AsyncMock, MagicMock

import discord
import pytest

from bot.app import App
from bot.delivery import MessageMissing
from bot.discordbot.checks import identity_of
from bot.discordbot.notifier import DiscordNotifier
from bot.errors import NotCoordinator
from bot.models import Issue, Workspace
from bot.replies import Channel, Literal, Reply, Role
from bot.services import countdowns
from cogs.issues import Issues
from tests.conftest import RecordingNotifier
from tests.helpers import (
    MockBot,
    MockGuild,
    MockMember,
    MockTextChannel,
    choice,
    sent,
    shown_text,
)
from tests.support.countdowns import issue_in_reach

NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)




async def test_issue_outcome_is_for_coordinators_and_closes_the_issue(bot: MockBot, interact: Any, app: App,
                                                                      admin: MockMember, member: MockMember,
                                                                      notifier: RecordingNotifier):
    issue_id = await issue_in_reach(app, identity_of(admin), identity_of(member))
    cog = Issues(bot)

    with pytest.raises(NotCoordinator):
        await Issues.issue_outcome.callback(cog, interact(), issue=str(issue_id),
                                            result=choice(countdowns.VoteResult.WON))
    done = interact(user=admin)
    await Issues.issue_outcome.callback(
        cog, done, issue=str(issue_id), result=choice(countdowns.VoteResult.WON), note="31 mot 30"
    )
    await app.dispatcher.run_due()

    assert shown_text(sent(done)).startswith("Resultatet för Parkering i centrum är registrerat: vunnen.")
    async with app.sessionmaker() as session:
        issue = await session.get_one(Issue, issue_id)
    assert (issue.status, issue.outcome, issue.outcome_note) == ("closed", "won", "31 mot 30")
    assert any(
        s.text.startswith("Beslutet om Parkering i centrum: vunnen") for s in notifier.to(f"dm:{member.id}")
    )


async def test_issue_countdown_sets_the_stages(bot: MockBot, interact: Any, app: App, admin: MockMember,
                                               member: MockMember):
    issue_id = await issue_in_reach(app, identity_of(admin), identity_of(member))
    interaction = interact(user=admin)

    await Issues.issue_countdown.callback(Issues(bot), interaction, days="7, 0", issue=str(issue_id))

    text = shown_text(sent(interaction))
    assert "Steg (dagar före beslutet): 7, 0" in text and "mobilisera (7 dagar före)" in text


# -- the notifier --------------------------------------------------------------------------------------------


def workspace_of(guild: MockGuild, **settings: Any) -> Workspace:
    return Workspace(id=1, platform="discord", external_id=str(guild.id), name=guild.name, language="sv",
                     timezone="Europe/Stockholm", created_at=NOW, updated_at=NOW, **settings)


@pytest.fixture
def discord_bot(guild: MockGuild) -> MockBot:
    return MockBot(guilds=[guild])


async def test_a_post_pings_the_member_role_and_only_it_and_returns_the_message_id(discord_bot: MockBot,
                                                                                    guild: MockGuild):
    channel = MockTextChannel(name="annonser")
    channel.send.return_value = MagicMock(id=555)
    discord_bot.get_channel.side_effect = lambda channel_id: channel if channel_id == channel.id else None
    workspace = workspace_of(guild, announcement_channel_id=str(channel.id), member_role_id="777")

    message_id = await DiscordNotifier(discord_bot).post(
        workspace, Channel.ANNOUNCEMENTS, Reply(body=Literal("Sista pushen!"), mention_role=Role.MEMBER,
                                                private=False))

    kwargs = channel.send.await_args.kwargs
    assert kwargs["content"] == "<@&777>\nSista pushen!"
    assert kwargs["allowed_mentions"].to_dict() == {"parse": [], "users": [], "roles": [777]}
    assert message_id == "555"


def partial_message(discord_bot: MockBot) -> MagicMock:
    message = MagicMock(spec=discord.PartialMessage)
    message.edit, message.pin, message.unpin = AsyncMock(), AsyncMock(), AsyncMock()
    discord_bot.get_partial_messageable.return_value.get_partial_message.return_value = message
    return message


def not_found() -> discord.NotFound:
    return discord.NotFound(
        MagicMock(status=404, reason="Not Found"), {"code": 10008, "message": "Unknown Message"}
    )


async def test_a_live_message_is_edited_in_place_and_pinned(discord_bot: MockBot, guild: MockGuild):
    message = partial_message(discord_bot)
    workspace = workspace_of(guild, announcement_channel_id="123")
    notifier = DiscordNotifier(discord_bot)

    await notifier.edit(
        workspace, Channel.ANNOUNCEMENTS, "456", Reply(body=Literal("13 dagar kvar"), private=False)
    )
    await notifier.pin(workspace, Channel.ANNOUNCEMENTS, "456")

    discord_bot.get_partial_messageable.assert_called_with(123)
    discord_bot.get_partial_messageable.return_value.get_partial_message.assert_called_with(456)
    kwargs = message.edit.await_args.kwargs
    assert kwargs["content"] == "13 dagar kvar" and kwargs["embed"] is None and kwargs["view"] is None
    assert message.pin.await_args.kwargs["reason"] == "Nedräkning av Jobbskaparna"


async def test_a_deleted_live_message_is_reported_missing(discord_bot: MockBot, guild: MockGuild):
    message = partial_message(discord_bot)
    message.edit.side_effect = not_found()
    message.pin.side_effect = not_found()
    message.unpin.side_effect = not_found()
    workspace = workspace_of(guild, announcement_channel_id="123")
    notifier = DiscordNotifier(discord_bot)

    with pytest.raises(MessageMissing):
        await notifier.edit(workspace, Channel.ANNOUNCEMENTS, "456", Reply(body=Literal("x"), private=False))
    with pytest.raises(MessageMissing):
        await notifier.pin(workspace, Channel.ANNOUNCEMENTS, "456")
    await notifier.unpin(workspace, Channel.ANNOUNCEMENTS, "456")  # gone is as good as unpinned
    with pytest.raises(MessageMissing):  # the channel was unset since
        await notifier.edit(workspace_of(guild), Channel.ANNOUNCEMENTS, "456", Reply(body=Literal("x")))
