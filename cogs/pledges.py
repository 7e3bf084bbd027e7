"""/pledge: promise to act before a decision (tweet, contact a politician, attend), or see your pledges.

The countdown's commands are /issue-admin outcome and /issue-admin countdown (cogs/issues.py); the pledge
buttons are dispatched by name like every button (bot/discordbot/views.py), so they work after a restart.
"""

from __future__ import annotations

import discord
from discord.app_commands import Choice, Range
from discord.ext import commands

from bot.discordbot.bot import JobbBot
from bot.discordbot.views import run_service
from bot.services import pledges
from cogs._options import declared, given


class Pledges(commands.Cog):
    """Pledges before a decision."""

    def __init__(self, bot: JobbBot) -> None:
        self.bot = bot

    @declared("pledge")
    async def pledge(self, interaction: discord.Interaction[JobbBot], issue: Range[str, 1, 100] | None = None,
                     kind: Choice[str] | None = None) -> None:
        """Pledge to act before a decision; without options, show your pledges."""
        await run_service(interaction, pledges.pledge, **given(issue=issue, kind=kind))


async def setup(bot: JobbBot) -> None:
    """Load the Pledges cog."""
    await bot.add_cog(Pledges(bot))
