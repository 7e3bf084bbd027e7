"""/digest now|settings and /report: what the group did, for the coordinators."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.app_commands import Choice, Range
from discord.ext import commands

from bot.discordbot.bot import JobbBot
from bot.discordbot.checks import coordinator_group, coordinator_only
from bot.discordbot.translator import T, options
from bot.discordbot.views import run_service
from bot.services import digest, reports
from cogs._options import option


def _day_choices() -> list[Choice[int]]:
    return [Choice(name=T(f"time.weekday.{day - 1}"), value=day) for day in range(1, 8)]


class Digest(commands.Cog):
    """The weekly digest and the report of a date range."""

    # Every subcommand is for coordinators: the group is hidden from members, as a top-level command can be.
    digest_group = coordinator_group(T("cmd.digest.name"), T("cmd.digest.description"))

    def __init__(self, bot: JobbBot) -> None:
        self.bot = bot

    @digest_group.command(name=T("cmd.digest.now.name"), description=T("cmd.digest.now.description"))
    @coordinator_only()
    async def digest_now(self, interaction: discord.Interaction[JobbBot]) -> None:
        """Make the digest of the last seven days now."""
        # Drawing the chart takes a moment.
        await interaction.response.defer(thinking=True, ephemeral=True)
        await run_service(interaction, digest.digest_now)

    @digest_group.command(
        name=T("cmd.digest.settings.name"), description=T("cmd.digest.settings.description")
    )
    @coordinator_only()
    @options("cmd.digest.settings", "day", "hour", "announce", "enabled")
    @app_commands.choices(day=_day_choices())
    async def digest_settings(self, interaction: discord.Interaction[JobbBot], day: Choice[int] | None = None,
                              hour: Range[int, 0, 23] | None = None, announce: bool | None = None,
                              enabled: bool | None = None) -> None:
        """Change when the digest goes out and to whom; show the settings."""
        await run_service(interaction, digest.configure, day=option(day.value if day else None),
                          hour=option(hour), announce=option(announce), enabled=option(enabled))

    @app_commands.command(name=T("cmd.report.name"), description=T("cmd.report.description"))
    @app_commands.guild_only()
    @coordinator_only()
    @app_commands.rename(start=T("cmd.report.opt.from.name"), end=T("cmd.report.opt.to.name"))
    @app_commands.describe(start=T("cmd.report.opt.from.description"), end=T("cmd.report.opt.to.description"))
    async def report(self, interaction: discord.Interaction[JobbBot], start: Range[str, 1, 40] | None = None,
                     end: Range[str, 1, 40] | None = None) -> None:
        """Report a date range as text and CSV files."""
        await interaction.response.defer(thinking=True, ephemeral=True)
        await run_service(interaction, reports.report, start=start or "", end=end or "")


async def setup(bot: JobbBot) -> None:
    """Load the Digest cog."""
    await bot.add_cog(Digest(bot))
