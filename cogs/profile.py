"""/profile show|edit, /language, and the coordinators' /members."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.discordbot.bot import JobbBot
from bot.discordbot.translator import T
from bot.discordbot.views import run_service
from bot.services import profile
from cogs._options import declared, given

Choice = app_commands.Choice


class Profile(commands.Cog):
    """A member's own profile and language, and the list of members for coordinators."""

    profile_group = app_commands.Group(name=T("cmd.profile.name"), description=T("cmd.profile.description"),
                                       guild_only=True,
                                       allowed_contexts=app_commands.AppCommandContext(guild=True))

    def __init__(self, bot: JobbBot) -> None:
        self.bot = bot

    @declared("profile show", group=profile_group)
    async def profile_show(self, interaction: discord.Interaction[JobbBot]) -> None:
        """Show the member their profile."""
        await run_service(interaction, profile.show)

    @declared("profile edit", group=profile_group)
    async def profile_edit(self, interaction: discord.Interaction[JobbBot]) -> None:
        """Open the profile form, filled in with what is stored."""
        await run_service(interaction, profile.edit)

    @declared("language")
    async def language_set(self, interaction: discord.Interaction[JobbBot], language: Choice[str]) -> None:
        """Choose the language the bot uses with this member."""
        await run_service(interaction, profile.set_language, **given(language=language))

    @declared("members")
    async def members_list(
        self,
        interaction: discord.Interaction[JobbBot],
        municipality: Choice[str] | None = None,
        industry: Choice[str] | None = None,
        experience: Choice[str] | None = None,
    ) -> None:
        """List the onboarded members, optionally filtered."""
        await interaction.response.defer(thinking=True, ephemeral=True)
        await run_service(interaction, profile.list_members,
                          **given(municipality=municipality, industry=industry, experience=experience))


async def setup(bot: JobbBot) -> None:
    """Load the Profile cog."""
    await bot.add_cog(Profile(bot))
