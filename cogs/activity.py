"""/did, /stats and /leaderboard join|leave|show: the action log, a member's own figures, the opt-in
leaderboard."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.app_commands import Choice, Range
from discord.ext import commands

from bot.discordbot.bot import JobbBot
from bot.discordbot.translator import T, options
from bot.discordbot.views import run_service
from bot.services import activity
from cogs._options import any_issue_autocomplete, catalog_choices, value

KIND_CHOICES = catalog_choices(activity.KIND_CHOICES)
STATUS_CHOICES = catalog_choices(activity.STATUS_CHOICES)
PERIOD_CHOICES = catalog_choices(activity.PERIOD_CHOICES)


class Activity(commands.Cog):
    """What members did: logging it, their own stats, and the leaderboard for those who opt in."""

    leaderboard_group = app_commands.Group(
        name=T("cmd.leaderboard.name"),
        description=T("cmd.leaderboard.description"),
        guild_only=True,
        allowed_contexts=app_commands.AppCommandContext(guild=True),
    )

    def __init__(self, bot: JobbBot) -> None:
        self.bot = bot

    @app_commands.command(name=T("cmd.did.name"), description=T("cmd.did.description"))
    @app_commands.guild_only()
    @options("cmd.did", "kind", "status", "issue", "link")
    @app_commands.choices(kind=KIND_CHOICES, status=STATUS_CHOICES)
    @app_commands.autocomplete(issue=any_issue_autocomplete)
    async def did(self, interaction: discord.Interaction[JobbBot], kind: Choice[str],
                  status: Choice[str] | None = None, issue: Range[str, 1, 100] | None = None,
                  link: Range[str, 1, 300] | None = None) -> None:
        """Log what the member did, or tried."""
        await run_service(interaction, activity.did, kind=kind.value, status=value(status), issue=issue or "",
                          link=link or "")

    @app_commands.command(name=T("cmd.stats.name"), description=T("cmd.stats.description"))
    @app_commands.guild_only()
    async def stats(self, interaction: discord.Interaction[JobbBot]) -> None:
        """Show the member's own actions, steps and streak."""
        await run_service(interaction, activity.stats)

    @leaderboard_group.command(
        name=T("cmd.leaderboard.join.name"), description=T("cmd.leaderboard.join.description")
    )
    async def leaderboard_join(self, interaction: discord.Interaction[JobbBot]) -> None:
        """Take part in the leaderboard."""
        await run_service(interaction, activity.leaderboard_join)

    @leaderboard_group.command(name=T("cmd.leaderboard.leave.name"),
                               description=T("cmd.leaderboard.leave.description"))
    async def leaderboard_leave(self, interaction: discord.Interaction[JobbBot]) -> None:
        """Leave the leaderboard."""
        await run_service(interaction, activity.leaderboard_leave)

    @leaderboard_group.command(
        name=T("cmd.leaderboard.show.name"), description=T("cmd.leaderboard.show.description")
    )
    @options("cmd.leaderboard.show", "period")
    @app_commands.choices(period=PERIOD_CHOICES)
    async def leaderboard_show(self, interaction: discord.Interaction[JobbBot],
                               period: Choice[str] | None = None) -> None:
        """Show the leaderboard of the week or the month."""
        await run_service(interaction, activity.leaderboard, period=value(period))


async def setup(bot: JobbBot) -> None:
    """Load the Activity cog."""
    await bot.add_cog(Activity(bot))
