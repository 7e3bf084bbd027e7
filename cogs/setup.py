"""/setup: a coordinator chooses the group's channels, roles, language and time zone."""

from __future__ import annotations

from functools import partial

import discord
from discord import app_commands
from discord.ext import commands

from bot.discordbot.bot import JobbBot
from bot.discordbot.setupcheck import check_server, hidden_commands
from bot.discordbot.views import run_service
from bot.services import workspaces
from cogs._options import declared, given


class Setup(commands.Cog):
    """The group's settings."""

    def __init__(self, bot: JobbBot) -> None:
        self.bot = bot

    @declared("setup")
    async def setup_configure(self, interaction: discord.Interaction[JobbBot],
                              announcements: discord.TextChannel | None = None,
                              welcome: discord.TextChannel | None = None,
                              coordinators: discord.TextChannel | None = None,
                              member_role: discord.Role | None = None,
                              coordinator_role: discord.Role | None = None,
                              language: app_commands.Choice[str] | None = None,
                              timezone: app_commands.Range[str, 1, 64] | None = None,
                              stories: discord.TextChannel | discord.ForumChannel | None = None) -> None:
        """Change the settings given and show them all, with what the bot still lacks on the server."""
        guild = interaction.guild  # always set: the command is guild_only
        check = partial(check_server, guild, hidden_commands(self.bot.tree)) if guild is not None else None
        await run_service(interaction, workspaces.configure, check, **given(
            announcements=announcements, welcome=welcome, coordinators=coordinators, stories=stories,
            member_role=member_role, coordinator_role=coordinator_role, language=language, timezone=timezone))


async def setup(bot: JobbBot) -> None:
    """Load the Setup cog."""
    await bot.add_cog(Setup(bot))
