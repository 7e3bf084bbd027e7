"""/setup: a coordinator chooses the group's channels, roles, language and time zone."""

from __future__ import annotations

from functools import cache, partial
from zoneinfo import available_timezones

import discord
from discord import app_commands
from discord.ext import commands

from bot.discordbot.bot import JobbBot
from bot.discordbot.checks import coordinator_only
from bot.discordbot.setupcheck import check_server, hidden_commands
from bot.discordbot.translator import T, language_choices, options
from bot.discordbot.views import run_service
from bot.services import workspaces

Choice = app_commands.Choice
MAX_CHOICES = 25
# Shown before anything is typed: the zone of Blekinge first, then its neighbours.
SUGGESTED_ZONES = ("Europe/Stockholm", "Europe/Copenhagen", "Europe/Oslo", "Europe/Helsinki", "Europe/Berlin",
                   "Europe/London", "UTC")


@cache
def _zones() -> tuple[str, ...]:
    return tuple(sorted(available_timezones()))


def timezone_choices(current: str) -> list[Choice[str]]:
    """Suggest at most 25 time zones: names that start with what was typed first, then names that contain
    it."""
    needle = current.strip().lower().replace(" ", "_")
    if not needle:
        names = [zone for zone in SUGGESTED_ZONES if zone in _zones()]
    else:
        starts = [zone for zone in _zones() if zone.lower().startswith(needle)]
        contains = [zone for zone in _zones() if needle in zone.lower() and zone not in starts]
        names = starts + contains
    return [Choice(name=zone, value=zone) for zone in names[:MAX_CHOICES]]


def _id(item: discord.abc.Snowflake | None) -> str | None:
    return str(item.id) if item is not None else None


class Setup(commands.Cog):
    """The group's settings."""

    def __init__(self, bot: JobbBot) -> None:
        self.bot = bot

    @app_commands.command(name=T("cmd.setup.name"), description=T("cmd.setup.description"))
    @app_commands.guild_only()
    @coordinator_only()
    @options("cmd.setup", "announcements", "welcome", "coordinators", "stories", "member_role",
             "coordinator_role", "language", "timezone")
    @app_commands.choices(language=language_choices())
    async def setup_configure(self, interaction: discord.Interaction[JobbBot],
                              announcements: discord.TextChannel | None = None,
                              welcome: discord.TextChannel | None = None,
                              coordinators: discord.TextChannel | None = None,
                              member_role: discord.Role | None = None,
                              coordinator_role: discord.Role | None = None,
                              language: Choice[str] | None = None,
                              timezone: app_commands.Range[str, 1, 64] | None = None,
                              stories: discord.TextChannel | discord.ForumChannel | None = None) -> None:
        """Change the settings given and show them all, with what the bot still lacks on the server."""
        guild = interaction.guild  # always set: the command is guild_only
        check = partial(check_server, guild, hidden_commands(self.bot.tree)) if guild is not None else None
        await run_service(interaction, workspaces.configure, check,
                          announcements=_id(announcements), welcome=_id(welcome),
                          coordinators=_id(coordinators), stories=_id(stories),
                          member_role=_id(member_role), coordinator_role=_id(coordinator_role),
                          language=language.value if language is not None else None, timezone=timezone)

    @setup_configure.autocomplete("timezone")
    async def timezone_autocomplete(self, interaction: discord.Interaction[JobbBot], current: str
                                    ) -> list[Choice[str]]:
        """Suggest time zones matching what the coordinator typed."""
        return timezone_choices(current)


async def setup(bot: JobbBot) -> None:
    """Load the Setup cog."""
    await bot.add_cog(Setup(bot))
