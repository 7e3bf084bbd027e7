"""Talking to the coach on Discord: which messages the listener answers, what it hands over, and where."""

from __future__ import annotations

import re
from typing import Any
from unittest.mock import MagicMock

import discord
import pytest

from bot.app import App
from bot.discordbot.messages import text_without_mention
from bot.errors import UserError
from bot.i18n import translate
from bot.replies import Button, Form, FormField, Reply, text
from bot.services import conversation
from bot.services.conversation import Said, Where
from cogs.conversation import Conversation
from tests.helpers import (
    MockBot,
    MockDMChannel,
    MockGuild,
    MockMember,
    MockMessage,
    MockTextChannel,
    MockUser,
    custom_ids,
    press,
    shown_text,
)


@pytest.fixture
def me(bot: MockBot) -> MockUser:
    """The bot's own user."""
    bot.user = MockUser(name="jobbskaparna", bot=True)
    return bot.user


@pytest.fixture
def cog(bot: MockBot, me: MockUser) -> Conversation:
    return Conversation(bot)


def message(author: Any, content: str, *, guild: MockGuild | None = None, reply_to: Any = None,
            pinged: Any = None, **kwargs: Any) -> MockMessage:
    """A message as discord.py hands it over: in `guild`'s channel, or (no guild) in a DM with the bot.

    `raw_mentions` is read from the text, as discord.py does; `pinged` is the author of `reply_to` when the
    reply pings them (in `mentions`, not in the text)."""
    channel = MockTextChannel(guild=guild) if guild is not None else MockDMChannel()
    reference = None
    if reply_to is not None:
        reference = discord.MessageReference(message_id=reply_to.id, channel_id=channel.id)
        reference.resolved = reply_to
    made = MockMessage(author=author, content=content, guild=guild, channel=channel, reference=reference,
                       webhook_id=None, **kwargs)
    made.raw_mentions = [int(user_id) for user_id in re.findall(r"<@!?(\d+)>", content)]
    made.mentions = [pinged] if pinged is not None else []
    made.is_system.return_value = False
    return made


def bot_message(me: MockUser, *custom_id_list: str) -> MockMessage:
    """One of the bot's messages with buttons."""
    row = discord.ActionRow({"type": 1, "components": [
        {"type": 2, "style": 1, "label": custom_id, "custom_id": custom_id} for custom_id in custom_id_list]})
    return MockMessage(author=me, content="Nästa steg", components=[row])


def dm_sent(made: MockMessage) -> dict[str, Any]:
    """The keyword arguments of the one message sent in the DM of `made`."""
    made.channel.send.assert_awaited_once()
    return made.channel.send.await_args.kwargs


def reply_sent(made: MockMessage) -> dict[str, Any]:
    """The keyword arguments of the one reply to `made` in its channel."""
    made.reply.assert_awaited_once()
    return made.reply.await_args.kwargs


@pytest.fixture
def heard(monkeypatch: pytest.MonkeyPatch) -> list[Said]:
    """Record what the service is handed over (it still answers as it does)."""
    said: list[Said] = []
    answer = conversation.answer

    async def recording(session: Any, actor: Any, what: Said, model: Any = None) -> Reply | None:
        said.append(what)
        return await answer(session, actor, what, model)

    monkeypatch.setattr(conversation, "answer", recording)
    return said


async def test_a_dm_is_answered_in_the_dm_with_buttons(cog: Conversation, member: MockMember,
                                                       heard: list[Said]):
    dm = message(member, "hur gör jag?")

    await cog.on_message(dm)

    kwargs = dm_sent(dm)
    assert shown_text(kwargs) and custom_ids(kwargs)
    assert heard == [Said("hur gör jag?", Where.DM, ())]
    dm.reply.assert_not_awaited()


async def test_a_channel_message_without_the_bots_mention_is_ignored(
        cog: Conversation, member: MockMember, guild: MockGuild, heard: list[Said]):
    other = MockMember(guild=guild, name="erik")
    said = message(member, f"{other.mention} hur gör jag? @everyone", guild=guild)

    await cog.on_message(said)

    assert heard == []
    said.reply.assert_not_awaited()
    said.channel.send.assert_not_awaited()


async def test_a_mention_is_answered_as_a_reply_without_the_mention_in_the_text(
        cog: Conversation, me: MockUser, member: MockMember, guild: MockGuild, heard: list[Said]):
    said = message(member, f"<@{me.id}> hur gör jag?", guild=guild)

    await cog.on_message(said)

    kwargs = reply_sent(said)
    assert kwargs["mention_author"] is False and shown_text(kwargs) and custom_ids(kwargs)
    assert kwargs["allowed_mentions"].everyone is False
    assert heard == [Said("hur gör jag?", Where.MENTION, ())]
    said.channel.send.assert_not_awaited()


async def test_only_the_mention_is_answered_with_an_empty_text(
        cog: Conversation, me: MockUser, member: MockMember, guild: MockGuild, heard: list[Said]):
    said = message(member, f"  <@!{me.id}> ", guild=guild)

    await cog.on_message(said)

    reply_sent(said)
    assert heard == [Said("", Where.MENTION, ())]


def test_the_mention_is_taken_out_with_its_spaces_and_other_mentions_stay():
    assert text_without_mention("hej <@42> hur gör jag?", 42) == "hej hur gör jag?"
    assert text_without_mention("<@!42>\nklart <@7>", 42) == "klart <@7>"


async def test_the_ping_of_a_reply_alone_is_not_a_mention(
        cog: Conversation, me: MockUser, member: MockMember, guild: MockGuild, heard: list[Said]):
    said = message(member, "klart!", guild=guild, reply_to=bot_message(me, "jb:ladder.next:"), pinged=me)

    await cog.on_message(said)

    assert heard == []
    said.reply.assert_not_awaited()


@pytest.mark.parametrize("kind", ["own", "bot", "webhook", "system"])
async def test_own_bots_webhooks_and_system_messages_are_ignored(
        cog: Conversation, me: MockUser, member: MockMember, kind: str, heard: list[Said]):
    author = {"own": me, "bot": MockUser(name="annanbot", bot=True)}.get(kind, member)
    said = message(author, "hej")
    if kind == "webhook":
        said.webhook_id = 1234
    if kind == "system":
        said.is_system.return_value = True

    await cog.on_message(said)

    assert heard == []
    said.channel.send.assert_not_awaited()


async def test_a_reply_to_a_bot_message_hands_over_its_buttons(
        cog: Conversation, me: MockUser, member: MockMember, heard: list[Said]):
    answered = bot_message(me, "jb:ladder.done:follow", "jb:ladder.done_link:follow")

    await cog.on_message(message(member, "klart", reply_to=answered))

    assert heard == [Said("klart", Where.DM, (("ladder.done", "follow"), ("ladder.done_link", "follow")))]


async def test_a_reply_to_someone_elses_message_hands_over_no_buttons(
        cog: Conversation, me: MockUser, member: MockMember, guild: MockGuild, heard: list[Said]):
    theirs = bot_message(me, "jb:ladder.next:")
    theirs.author = MockMember(guild=guild, name="erik")

    await cog.on_message(message(member, f"<@{me.id}> klart", guild=guild, reply_to=theirs))

    assert heard == [Said("klart", Where.MENTION, ())]


async def test_no_answer_sends_nothing(cog: Conversation, member: MockMember,
                                       monkeypatch: pytest.MonkeyPatch):
    async def silent(*_args: Any, **_kwargs: Any) -> None:
        return None

    monkeypatch.setattr(conversation, "answer", silent)
    dm = message(member, "hej")

    await cog.on_message(dm)

    dm.channel.send.assert_not_awaited()


async def test_a_user_error_answers_its_text_in_the_members_language(
        cog: Conversation, me: MockUser, member: MockMember, guild: MockGuild,
        monkeypatch: pytest.MonkeyPatch):
    async def refusing(*_args: Any, **_kwargs: Any) -> None:
        raise UserError("errors.form_expired")

    monkeypatch.setattr(conversation, "answer", refusing)
    said = message(member, f"<@{me.id}> hej", guild=guild)

    await cog.on_message(said)

    assert reply_sent(said)["content"] == translate("errors.form_expired", "sv")


async def test_an_unexpected_error_answers_with_a_code_and_is_logged(
        cog: Conversation, member: MockMember, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture):
    async def failing(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(conversation, "answer", failing)
    dm = message(member, "hej")

    await cog.on_message(dm)

    [record] = [r for r in caplog.records if r.name == "cogs.conversation"]
    code = re.search(r"Unexpected error (\w+)", record.getMessage())
    assert code is not None
    assert dm_sent(dm)["content"] == translate("errors.unexpected", "sv", code=code[1])


async def test_a_closed_dm_is_logged_not_raised(cog: Conversation, member: MockMember,
                                                caplog: pytest.LogCaptureFixture):
    dm = message(member, "hej")
    dm.channel.send.side_effect = discord.Forbidden(
        MagicMock(status=403, reason="Forbidden"),
        {"code": 50007, "message": "Cannot send messages to this user"})

    await cog.on_message(dm)

    logged = [r.getMessage() for r in caplog.records if r.name == "cogs.conversation"]
    assert any("Discord error 50007" in line for line in logged)
    assert dm.channel.send.await_count == 1  # no error message tried through the closed DM


async def test_a_user_without_a_shared_server_is_told_the_bot_is_for_its_members(
        cog: Conversation, app: App, heard: list[Said]):
    stranger = MockUser(name="okänd")
    dm = message(stranger, "hej")

    await cog.on_message(dm)

    assert heard == []
    assert dm_sent(dm)["content"] == translate("discord.no_shared_server", app.settings.default_language)


async def test_a_form_in_the_answer_comes_as_a_button_that_opens_it(
        cog: Conversation, member: MockMember, monkeypatch: pytest.MonkeyPatch, interact: Any):
    label = text("profile.button.edit")
    form = Form("profile.edit", label, (FormField("company", label),))

    async def with_form(*_args: Any, **_kwargs: Any) -> Reply:
        return Reply(form=form, buttons=(Button(text("coaching.button.next"), "ladder.next"),))

    monkeypatch.setattr(conversation, "answer", with_form)
    dm = message(member, "ändra min profil")

    await cog.on_message(dm)

    [opener] = custom_ids(dm_sent(dm))
    pressing = interact()
    await press(pressing, opener)
    modal = pressing.response.send_modal.await_args.args[0]
    assert [label.component.custom_id for label in modal.children] == ["company"]
