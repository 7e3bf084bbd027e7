"""/digest now|settings and /report: what the group did, for the coordinators."""

from __future__ import annotations

import discord
from discord.app_commands import Choice, Range
from discord.ext import commands

from bot.discordbot.bot import JobbBot
from bot.discordbot.checks import coordinator_group
from bot.discordbot.translator import T
from bot.discordbot.views import run_service
from bot.services import digest, reports
from cogs._options import declared, given


class Digest(commands.Cog):
    """The weekly digest and the report of a date range."""

    # Every subcommand is for coordinators: the group is hidden from members, as a top-level command can be.
    digest_group = coordinator_group(T("cmd.digest.name"), T("cmd.digest.description"))

    def __init__(self, bot: JobbBot) -> None:
        self.bot = bot

    @declared("digest now", group=digest_group)
    async def digest_now(self, interaction: discord.Interaction[JobbBot]) -> None:
        """Make the digest of the last seven days now."""
        # Drawing the chart takes a moment.
        await interaction.response.defer(thinking=True, ephemeral=True)
        await run_service(interaction, digest.digest_now)

    @declared("digest settings", group=digest_group)
    async def digest_settings(self, interaction: discord.Interaction[JobbBot], day: Choice[int] | None = None,
                              hour: Range[int, 0, 23] | None = None, announce: bool | None = None,
                              enabled: bool | None = None) -> None:
        """Change when the digest goes out and to whom; show the settings."""
        await run_service(interaction, digest.configure, **given(day=day, hour=hour, announce=announce,
                                                                 enabled=enabled))

    @declared("report")
    async def report(self, interaction: discord.Interaction[JobbBot], start: Range[str, 1, 40] | None = None,
                     end: Range[str, 1, 40] | None = None) -> None:
        """Report a date range as text and CSV files."""
        await interaction.response.defer(thinking=True, ephemeral=True)
        await run_service(interaction, reports.report, **given(start=start, end=end))


async def setup(bot: JobbBot) -> None:
    """Load the Digest cog."""
    await bot.add_cog(Digest(bot))
