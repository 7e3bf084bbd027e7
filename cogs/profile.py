"""/profile show|edit, /language, and the coordinators' /members."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.discordbot.bot import JobbBot
from bot.discordbot.checks import coordinator_only
from bot.discordbot.translator import T, language_choices, options
from bot.discordbot.views import run_service
from bot.services import profile
from bot.services.profile_fields import CHOICES
from cogs._options import catalog_choices, value

Choice = app_commands.Choice


def field_choices(field_name: str) -> list[Choice[str]]:
    """Offer a profile field's choices as slash-command choices, named in the reader's language."""
    return catalog_choices(CHOICES[field_name])


class Profile(commands.Cog):
    """A member's own profile and language, and the list of members for coordinators."""

    profile_group = app_commands.Group(name=T("cmd.profile.name"), description=T("cmd.profile.description"),
                                       guild_only=True,
                                       allowed_contexts=app_commands.AppCommandContext(guild=True))

    def __init__(self, bot: JobbBot) -> None:
        self.bot = bot

    @profile_group.command(name=T("cmd.profile.show.name"), description=T("cmd.profile.show.description"))
    async def profile_show(self, interaction: discord.Interaction[JobbBot]) -> None:
        """Show the member their profile."""
        await run_service(interaction, profile.show)

    @profile_group.command(name=T("cmd.profile.edit.name"), description=T("cmd.profile.edit.description"))
    async def profile_edit(self, interaction: discord.Interaction[JobbBot]) -> None:
        """Open the profile form, filled in with what is stored."""
        await run_service(interaction, profile.edit)

    @app_commands.command(name=T("cmd.language.name"), description=T("cmd.language.description"))
    @app_commands.guild_only()
    @options("cmd.language", "language")
    @app_commands.choices(language=language_choices())
    async def language_set(self, interaction: discord.Interaction[JobbBot], language: Choice[str]) -> None:
        """Choose the language the bot uses with this member."""
        await run_service(interaction, profile.set_language, language.value)

    @app_commands.command(name=T("cmd.members.name"), description=T("cmd.members.description"))
    @app_commands.guild_only()
    @coordinator_only()
    @options("cmd.members", "municipality", "industry", "experience")
    @app_commands.choices(municipality=field_choices("municipality"), industry=field_choices("industry"),
                          experience=field_choices("experience"))
    async def members_list(
        self,
        interaction: discord.Interaction[JobbBot],
        municipality: Choice[str] | None = None,
        industry: Choice[str] | None = None,
        experience: Choice[str] | None = None,
    ) -> None:
        """List the onboarded members, optionally filtered."""
        await interaction.response.defer(thinking=True, ephemeral=True)
        await run_service(interaction, profile.list_members, municipality=value(municipality),
                          industry=value(industry), experience=value(experience))


async def setup(bot: JobbBot) -> None:
    """Load the Profile cog."""
    await bot.add_cog(Profile(bot))
