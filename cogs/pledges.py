"""/pledge: promise to act before a decision (tweet, contact a politician, attend), or see your pledges.

The countdown's commands are /issue-admin outcome and /issue-admin countdown (cogs/issues.py); the pledge
buttons are dispatched by name like every button (bot/discordbot/views.py), so they work after a restart.
"""

from __future__ import annotations

import discord
from discord import app_commands
from discord.app_commands import Choice, Range
from discord.ext import commands

from bot.discordbot.bot import JobbBot
from bot.discordbot.translator import T, options
from bot.discordbot.views import run_service
from bot.services import pledges
from cogs._options import catalog_choices, issue_autocomplete, value

OPTIONS = ("issue", "kind")
KIND_CHOICES = catalog_choices(pledges.PLEDGE_CHOICES)


class Pledges(commands.Cog):
    """Pledges before a decision."""

    def __init__(self, bot: JobbBot) -> None:
        self.bot = bot

    @app_commands.command(name=T("cmd.pledge.name"), description=T("cmd.pledge.description"))
    @app_commands.guild_only()
    @options("cmd.pledge", *OPTIONS)
    @app_commands.choices(kind=KIND_CHOICES)
    @app_commands.autocomplete(issue=issue_autocomplete)
    async def pledge(self, interaction: discord.Interaction[JobbBot], issue: Range[str, 1, 100] | None = None,
                     kind: Choice[str] | None = None) -> None:
        """Pledge to act before a decision; without options, show your pledges."""
        await run_service(interaction, pledges.pledge, issue=issue or "", kind=value(kind))


async def setup(bot: JobbBot) -> None:
    """Load the Pledges cog."""
    await bot.add_cog(Pledges(bot))
