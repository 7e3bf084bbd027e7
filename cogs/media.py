"""/media list and, for coordinators, /media-admin add|remove: local media and journalists, by
municipality."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.app_commands import Choice, Range
from discord.ext import commands

from bot.discordbot.bot import JobbBot
from bot.discordbot.checks import coordinator_group, coordinator_only
from bot.discordbot.translator import T, options
from bot.discordbot.views import run_service
from bot.services import media as media_service
from cogs._options import MEDIA_KIND_CHOICES, MUNICIPALITY_CHOICES, media_autocomplete, value

ADD_OPTIONS = ("name", "municipality", "x_handle", "kind", "outlet", "email")


class Media(commands.Cog):
    """Local media and journalists, pinged in every draft about an issue in their municipality."""

    media_group = app_commands.Group(
        name=T("cmd.media.name"),
        description=T("cmd.media.description"),
        guild_only=True,
        allowed_contexts=app_commands.AppCommandContext(guild=True),
    )
    # Discord hides only whole top-level commands: the coordinators' subcommands have a twin group, hidden
    # from members (the console and Slack keep them as `media add`).
    media_admin_group = coordinator_group(T("cmd.media_admin.name"), T("cmd.media_admin.description"))

    def __init__(self, bot: JobbBot) -> None:
        self.bot = bot

    @media_admin_group.command(name=T("cmd.media.add.name"), description=T("cmd.media.add.description"))
    @coordinator_only()
    @options("cmd.media.add", *ADD_OPTIONS)
    @app_commands.choices(municipality=MUNICIPALITY_CHOICES, kind=MEDIA_KIND_CHOICES)
    async def media_add(self, interaction: discord.Interaction[JobbBot], name: Range[str, 1, 100],
                        municipality: Choice[str], x_handle: Range[str, 1, 60] | None = None,
                        kind: Choice[str] | None = None, outlet: Range[str, 1, 100] | None = None,
                        email: Range[str, 1, 200] | None = None) -> None:
        """Add a local outlet or journalist."""
        await run_service(interaction, media_service.add, name=name, municipality=municipality.value,
                          x_handle=x_handle or "", kind=value(kind), outlet=outlet or "", email=email or "")

    @media_group.command(name=T("cmd.media.list.name"), description=T("cmd.media.list.description"))
    @options("cmd.media.list", "municipality")
    @app_commands.choices(municipality=MUNICIPALITY_CHOICES)
    async def media_list(
        self, interaction: discord.Interaction[JobbBot], municipality: Choice[str] | None = None
    ) -> None:
        """List the media contacts."""
        await run_service(interaction, media_service.list_media, municipality=value(municipality))

    @media_admin_group.command(name=T("cmd.media.remove.name"), description=T("cmd.media.remove.description"))
    @coordinator_only()
    @options("cmd.media.remove", "media", "municipality")
    @app_commands.choices(municipality=MUNICIPALITY_CHOICES)
    @app_commands.autocomplete(media=media_autocomplete)
    async def media_remove(self, interaction: discord.Interaction[JobbBot], media: Range[str, 1, 100],
                           municipality: Choice[str] | None = None) -> None:
        """Remove a media contact."""
        await run_service(interaction, media_service.remove, media=media, municipality=value(municipality))


async def setup(bot: JobbBot) -> None:
    """Load the Media cog."""
    await bot.add_cog(Media(bot))
