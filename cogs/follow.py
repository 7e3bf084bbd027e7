"""/follow and /unfollow: the municipalities, topics and issues a member hears about."""

from __future__ import annotations

import discord
from discord.app_commands import Choice, Range
from discord.ext import commands

from bot.discordbot.bot import JobbBot
from bot.discordbot.views import run_service
from bot.services import follows
from cogs._options import declared, given


class Follow(commands.Cog):
    """What a member follows."""

    def __init__(self, bot: JobbBot) -> None:
        self.bot = bot

    @declared("follow")
    async def follow(self, interaction: discord.Interaction[JobbBot], municipality: Choice[str] | None = None,
                     topic: Choice[str] | None = None, issue: Range[str, 1, 100] | None = None) -> None:
        """Follow a municipality, a topic or an issue; without options, show what the member follows."""
        await run_service(interaction, follows.follow, **given(municipality=municipality, topic=topic,
                                                               issue=issue))

    @declared("unfollow")
    async def unfollow(
        self,
        interaction: discord.Interaction[JobbBot],
        municipality: Choice[str] | None = None,
        topic: Choice[str] | None = None,
        issue: Range[str, 1, 100] | None = None,
    ) -> None:
        """Stop following a municipality, a topic or an issue."""
        await run_service(interaction, follows.unfollow, **given(municipality=municipality, topic=topic,
                                                                   issue=issue))


async def setup(bot: JobbBot) -> None:
    """Load the Follow cog."""
    await bot.add_cog(Follow(bot))
