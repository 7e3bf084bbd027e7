"""Talk to the coach on Discord: what a member writes to the bot in a DM, or to it by a mention in a
channel."""

from __future__ import annotations

import logging
import secrets
from typing import Any

import discord
from discord.ext import commands

from bot.discordbot.bot import JobbBot
from bot.discordbot.checks import identity_of, shared_guild
from bot.discordbot.messages import is_for_the_bot, said_in
from bot.discordbot.render import message_kwargs
from bot.discordbot.views import form_opener
from bot.errors import UserError
from bot.replies import Reply, text
from bot.services.context import Identity

log = logging.getLogger(__name__)


class Conversation(commands.Cog):
    """Answer DMs to the bot, and messages in the server that mention it, with the coach's answer."""

    def __init__(self, bot: JobbBot) -> None:
        self.bot = bot

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        """Answer a message written to the bot where it was written: in the DM, or as a reply in the channel.

        discord.py runs each event in a task of its own, so a slow answer holds up no other message; the sends
        wait their turn in the bot's pacer like every other request.
        """
        me = self.bot.user
        if me is None or not is_for_the_bot(message, me.id):
            return
        app = self.bot.app
        language = app.settings.default_language
        try:
            identity = await self._identity(message)
            async with app.answering() as answering:
                reply = await app.converse(identity, said_in(message, me.id))
                language = answering.language or language
                if reply is not None:
                    await self._send(message, reply, language)
            await app.say_notices(answering, lambda notice, language: self._send(message, notice, language),
                                  (discord.HTTPException,))
        except UserError as error:
            await self._tell(message, Reply(body=error.text), error.language or language)
        except discord.HTTPException as failed:
            # Closed DMs, a channel the bot may not write in, Discord down: nobody to tell but the log.
            _log_unsent(message, failed)
        except Exception as error:  # a listener has nobody else to answer: the member gets a code to quote
            code = secrets.token_hex(4)
            log.error("Unexpected error %s answering a message (user %s, guild %s)", code, message.author.id,
                      message.guild.id if message.guild else None, exc_info=error)
            await self._tell(message, Reply(body=text("errors.unexpected", code=code)), language)

    async def _identity(self, message: discord.Message) -> Identity:
        """Who wrote: the server member; in a DM, the member of the first server shared with the bot (as a
        button pressed in a DM). The message carries no locale: the member's or the server's language
        answers."""
        author = message.author
        if isinstance(author, discord.Member):
            return identity_of(author)
        if message.guild is not None:
            member = message.guild.get_member(author.id)
        else:
            _, member = await shared_guild(self.bot, author)
        if member is None:
            raise UserError("discord.no_shared_server")
        return identity_of(member)

    async def _send(self, message: discord.Message, reply: Reply, language: str) -> None:
        """Send a Reply where the member wrote: in the DM, or as a reply to their message (no ping)."""
        if reply.form is not None:
            # A message is no interaction, so no modal can open from it: a button opens the form instead.
            reply = form_opener(self.bot.forms, message.author.id, reply.form, language)
        kwargs: dict[str, Any] = message_kwargs(reply, language, ephemeral=False)
        if message.guild is None:
            await message.channel.send(**kwargs)
        else:
            await message.reply(**kwargs, mention_author=False)

    async def _tell(self, message: discord.Message, reply: Reply, language: str) -> None:
        """Send what went wrong, as `_send` sends; a failure to send it only goes to the log."""
        try:
            await self._send(message, reply, language)
        except discord.HTTPException as failed:
            _log_unsent(message, failed)


def _log_unsent(message: discord.Message, failed: discord.HTTPException) -> None:
    log.warning("Could not answer message %s of user %s (guild %s): HTTP %s, Discord error %s", message.id,
                message.author.id, message.guild.id if message.guild else None, failed.status, failed.code)


async def setup(bot: JobbBot) -> None:
    """Load the Conversation cog."""
    await bot.add_cog(Conversation(bot))
