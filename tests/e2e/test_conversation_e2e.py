"""Talking to the coach on Discord, end to end: `python -m bot` against the local Discord-protocol server.

The bot asks for no message content intent, so the fake hides the text of every server message that does
not mention it, as Discord does. These scenarios hold to what any answer of the coach has (a text, and
buttons in a DM), not to its words, which the conversation service decides.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from bot.services import conversation
from bot.services.conversation import Said, Where
from tests.support.conversation import CONVERSATION

from .botprocess import BotProcess, checked_bot
from .fakediscord import FakeDiscord, MemberSpec, Message
from .fakediscord.model import DEFAULT_MEMBERS
from .seeding import bot_in_process
from .test_scenarios import WAIT, join_and_onboard, set_up_workspace

pytestmark = [pytest.mark.asyncio, pytest.mark.e2e]

GROUP = tuple(MemberSpec(f"medlem{i:02d}") for i in range(20))


def shows_something(message: Message) -> bool:
    """Tell whether a message shows a text (in its content or an embed)."""
    return bool(message.content.strip() or any(embed.get("description") or embed.get("title")
                                                for embed in message.embeds))


def answers_from(fake: FakeDiscord, channel_id: int, after: int) -> list[Message]:
    """Return the bot's messages in a channel after message id `after`, oldest first."""
    return [message for message in fake.world.channel_messages(channel_id)
            if message.author_id == fake.bot_user_id and message.id > after]


async def test_a_member_talks_to_the_coach_in_a_dm_and_by_mentions(fake_discord: FakeDiscord,
                                                                   jobbbot: BotProcess):
    fake = fake_discord
    await set_up_workspace(fake)
    await join_and_onboard(fake, "erik")

    asked = await fake.user_message("erik", "hur gör jag?", dm=True)
    answer = await fake.wait_for_dm("erik", lambda m: m.author_id == fake.bot_user_id and m.id > asked.id,
                                    WAIT)
    assert shows_something(answer) and answer.custom_ids()
    # The answer's buttons work as every button of the bot does.
    pressed = await fake.press("erik", answer, custom_id=answer.custom_ids()[0])
    await pressed.wait_response(WAIT)

    # A reply to the bot's answer is answered in the DM too.
    replied = await fake.user_message("erik", "klart", reply_to=answer)
    await fake.wait_for_dm("erik", lambda m: m.author_id == fake.bot_user_id and m.id > replied.id, WAIT)

    channel = fake.channel_id("annonser")
    chatter = await fake.user_message("erik", "hej allihop, vi ses på mötet", channel="annonser")
    first = await fake.user_message("erik", "vad är nästa steg?", channel="annonser", mention_bot=True)
    reply = await fake.wait_for_message(
        "annonser", lambda m: m.author_id == fake.bot_user_id and m.reference_id == first.id, WAIT)
    assert shows_something(reply)
    # A reply to the bot's answer whose only call to it is the reply's ping is talk among members.
    thanks = await fake.user_message("erik", "tack!", reply_to=reply)
    second = await fake.user_message("erik", "en sak till", channel="annonser", mention_bot=True)
    await fake.wait_for_message(
        "annonser", lambda m: m.author_id == fake.bot_user_id and m.reference_id == second.id, WAIT)
    await fake.wait_idle(WAIT)
    assert [m.reference_id for m in answers_from(fake, channel, chatter.id)] == [first.id, second.id]
    # The answers in the channel ping nobody: not the member they answer, not anyone the text names.
    replies = [sent for sent in fake.requests_to("POST", rf"/channels/{channel}/messages")
               if sent.json_body.get("message_reference")]
    assert len(replies) == 2
    for sent in replies:
        assert sent.json_body["allowed_mentions"]["parse"] == []
        assert not sent.json_body["allowed_mentions"].get("replied_user")
    assert thanks.id not in {m.reference_id for m in answers_from(fake, channel, chatter.id)}


async def test_the_same_conversation_as_in_the_console_and_on_slack(fake_discord: FakeDiscord,
                                                                   jobbbot: BotProcess):
    # tests/support/conversation.py: the lines every platform plays, and what each answer shows.
    fake = fake_discord
    await set_up_workspace(fake)
    await join_and_onboard(fake, "erik")

    for line in CONVERSATION:
        sent = await fake.user_message("erik", line.said, dm=True)
        answer = await fake.wait_for_dm(
            "erik", lambda m, after=sent.id: m.author_id == fake.bot_user_id and m.id > after, WAIT)
        shown = (answer.content + "\n" + answer.embed_text()).replace("**", "").replace("\\", "")
        for fragment in line.shows:
            assert fragment in shown, (line.said, fragment, shown)
        labels = [c.get("label") for c in answer.walk_components() if c.get("type") == 2]
        assert set(line.buttons) <= set(labels), (line.said, labels)


@pytest_asyncio.fixture
async def crowded_discord() -> AsyncIterator[FakeDiscord]:
    """The default server with twenty more members."""
    async with FakeDiscord(members=(*DEFAULT_MEMBERS, *GROUP)) as fake:
        yield fake


async def test_twenty_members_writing_at_once_are_each_answered_once(crowded_discord: FakeDiscord,
                                                                     tmp_path: Path):
    fake = crowded_discord
    async with checked_bot(fake, tmp_path / "bot", {"QUIET_HOURS_START": "0", "QUIET_HOURS_END": "0"}):
        asked = await asyncio.gather(*(fake.user_message(spec.name, "hej!", dm=True) for spec in GROUP))

        def answered() -> bool:
            return all(answers_from(fake, fake.dm_channel_id(spec.name), message.id)
                       for spec, message in zip(GROUP, asked, strict=True))

        await fake.wait_until(answered, WAIT, "an answer to each of the twenty DMs")
        await fake.wait_idle(WAIT)
        for spec, message in zip(GROUP, asked, strict=True):
            [answer] = answers_from(fake, fake.dm_channel_id(spec.name), message.id)
            assert shows_something(answer)
        assert fake.rate_limited == 0


async def test_the_bot_hands_over_the_text_and_the_buttons_of_the_message_answered(
        fake_discord: FakeDiscord, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    heard: list[Said] = []
    answer = conversation.answer

    async def recording(session, actor, said, model=None):  # type: ignore[no-untyped-def]
        heard.append(said)
        return await answer(session, actor, said, model)

    monkeypatch.setattr(conversation, "answer", recording)
    fake = fake_discord
    async with bot_in_process(fake, tmp_path, monkeypatch, [MemberSpec("anna")]):
        asked = await fake.user_message("anna", "hej", dm=True)
        first = await fake.wait_for_dm("anna", lambda m: m.author_id == fake.bot_user_id, WAIT)
        await fake.user_message("anna", "klart", reply_to=first)
        await fake.wait_until(lambda: len(heard) == 2, WAIT, "the reply to be handed over")
        mention = await fake.user_message("anna", "  och nu?", channel="annonser", mention_bot=True)
        await fake.wait_for_message("annonser", lambda m: m.reference_id == mention.id, WAIT)
    buttons = tuple(tuple(custom_id.split(":")[1:]) for custom_id in first.custom_ids())
    assert buttons and asked.id < first.id
    assert heard == [Said("hej", Where.DM, ()), Said("klart", Where.DM, buttons),
                     Said("och nu?", Where.MENTION, ())]
