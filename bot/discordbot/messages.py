"""Read a message a member wrote: whether it is for the bot, its text, and which of the bot's messages it
answers."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

import discord

from bot.replies import parse_custom_id
from bot.services.conversation import Said, Where


def is_for_the_bot(message: discord.Message, bot_id: int) -> bool:
    """Tell whether the bot answers a message: every message a person writes in a DM with it; in a server's
    channel or thread only one whose text mentions the bot by its user mention.

    Never the bot's own messages, other bots', webhooks' or system messages (joins, pins…). In a channel,
    @everyone, @here and a role the bot has do not count, and neither does the ping of a reply to one of the
    bot's messages alone: Discord pings the replied-to author by default, and a member answering a group post
    in a thread of talk among members is not talking to the bot. `raw_mentions` reads the text only, so the
    reply's ping (in `mentions`, not in the text) is left out.
    """
    if message.author.bot or message.webhook_id is not None or message.is_system():
        return False
    if message.guild is None:
        return isinstance(message.channel, discord.DMChannel)
    return bot_id in message.raw_mentions


def said_in(message: discord.Message, bot_id: int) -> Said:
    """Return what a member said to the bot: the text without the bot's mentions, where, and the buttons of
    the bot's message it replies to."""
    where = Where.DM if message.guild is None else Where.MENTION
    return Said(text_without_mention(message.content, bot_id), where, answered_buttons(message, bot_id))


def text_without_mention(content: str, bot_id: int) -> str:
    """Take the bot's mentions (`<@id>`, and the older nickname form `<@!id>`) out of a message's text, with
    the spaces around them, and trim it; other mentions stay."""
    return re.sub(rf"[ \t]*<@!?{bot_id}>[ \t]*", " ", content).strip()


def answered_buttons(message: discord.Message, bot_id: int) -> tuple[tuple[str, str], ...]:
    """Return the (action, arg) of the buttons of the bot's message that `message` replies to; empty when it
    replies to nothing, to someone else's message, or to one that was deleted.

    Discord sends the replied-to message with the reply (`reference.resolved`), its buttons included, so no
    request is needed.
    """
    reference = message.reference
    answered = reference.resolved if reference is not None else None
    if not isinstance(answered, discord.Message) or answered.author.id != bot_id:
        return ()
    return tuple(action for action in map(parse_custom_id, _custom_ids(answered.components)) if action)


def _custom_ids(components: Iterable[Any]) -> Iterator[str]:
    """Yield the custom_ids of the buttons among a message's components, rows and containers walked into."""
    for component in components:
        if isinstance(component, discord.Button):
            if component.custom_id:
                yield component.custom_id
            continue
        yield from _custom_ids(getattr(component, "children", ()))
        accessory = getattr(component, "accessory", None)
        if accessory is not None:
            yield from _custom_ids((accessory,))
