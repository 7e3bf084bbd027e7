"""/media list and, for coordinators, /media-admin add|remove: local media and journalists, by
municipality."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.app_commands import Choice, Range
from discord.ext import commands

from bot.discordbot.bot import JobbBot
from bot.discordbot.checks import coordinator_group
from bot.discordbot.translator import T
from bot.discordbot.views import run_service
from bot.services import media as media_service
from cogs._options import declared, given


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

    @declared("media add", group=media_admin_group)
    async def media_add(self, interaction: discord.Interaction[JobbBot], name: Range[str, 1, 100],
                        municipality: Choice[str], x_handle: Range[str, 1, 60] | None = None,
                        kind: Choice[str] | None = None, outlet: Range[str, 1, 100] | None = None,
                        email: Range[str, 1, 200] | None = None) -> None:
        """Add a local outlet or journalist."""
        await run_service(interaction, media_service.add, **given(
            name=name, municipality=municipality, x_handle=x_handle, kind=kind, outlet=outlet, email=email))

    @declared("media list", group=media_group)
    async def media_list(
        self, interaction: discord.Interaction[JobbBot], municipality: Choice[str] | None = None
    ) -> None:
        """List the media contacts."""
        await run_service(interaction, media_service.list_media, **given(municipality=municipality))

    @declared("media remove", group=media_admin_group)
    async def media_remove(self, interaction: discord.Interaction[JobbBot], media: Range[str, 1, 100],
                           municipality: Choice[str] | None = None) -> None:
        """Remove a media contact."""
        await run_service(interaction, media_service.remove, **given(media=media, municipality=municipality))


async def setup(bot: JobbBot) -> None:
    """Load the Media cog."""
    await bot.add_cog(Media(bot))
