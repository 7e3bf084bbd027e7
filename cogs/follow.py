"""/follow and /unfollow: the municipalities, topics and issues a member hears about."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.app_commands import Choice, Range
from discord.ext import commands

from bot.discordbot.bot import JobbBot
from bot.discordbot.translator import T, options
from bot.discordbot.views import run_service
from bot.services import follows
from cogs._options import MUNICIPALITY_CHOICES, TOPIC_CHOICES, any_issue_autocomplete, value

OPTIONS = ("municipality", "topic", "issue")


class Follow(commands.Cog):
    """What a member follows."""

    def __init__(self, bot: JobbBot) -> None:
        self.bot = bot

    @app_commands.command(name=T("cmd.follow.name"), description=T("cmd.follow.description"))
    @app_commands.guild_only()
    @options("cmd.follow", *OPTIONS)
    @app_commands.choices(municipality=MUNICIPALITY_CHOICES, topic=TOPIC_CHOICES)
    @app_commands.autocomplete(issue=any_issue_autocomplete)
    async def follow(self, interaction: discord.Interaction[JobbBot], municipality: Choice[str] | None = None,
                     topic: Choice[str] | None = None, issue: Range[str, 1, 100] | None = None) -> None:
        """Follow a municipality, a topic or an issue; without options, show what the member follows."""
        await run_service(interaction, follows.follow, municipality=value(municipality), topic=value(topic),
                          issue=issue or "")

    @app_commands.command(name=T("cmd.unfollow.name"), description=T("cmd.unfollow.description"))
    @app_commands.guild_only()
    @options("cmd.unfollow", *OPTIONS)
    @app_commands.choices(municipality=MUNICIPALITY_CHOICES, topic=TOPIC_CHOICES)
    @app_commands.autocomplete(issue=any_issue_autocomplete)
    async def unfollow(
        self,
        interaction: discord.Interaction[JobbBot],
        municipality: Choice[str] | None = None,
        topic: Choice[str] | None = None,
        issue: Range[str, 1, 100] | None = None,
    ) -> None:
        """Stop following a municipality, a topic or an issue."""
        await run_service(interaction, follows.unfollow, municipality=value(municipality), topic=value(topic),
                          issue=issue or "")


async def setup(bot: JobbBot) -> None:
    """Load the Follow cog."""
    await bot.add_cog(Follow(bot))
