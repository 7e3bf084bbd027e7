"""/mydata export|delete: a member's own data, as a file or erased."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.discordbot.bot import JobbBot
from bot.discordbot.translator import T
from bot.discordbot.views import run_service
from bot.services import mydata
from cogs._options import declared

# An export reads everything stored about a member: once a minute is plenty.
EXPORT_RATE, EXPORT_PER = 1, 60.0


def _per_member(interaction: discord.Interaction[JobbBot]) -> tuple[int | None, int]:
    return interaction.guild_id, interaction.user.id


class MyData(commands.Cog):
    """Export or erase everything the bot stores about the member."""

    mydata_group = app_commands.Group(name=T("cmd.mydata.name"), description=T("cmd.mydata.description"),
                                      guild_only=True,
                                      allowed_contexts=app_commands.AppCommandContext(guild=True))

    def __init__(self, bot: JobbBot) -> None:
        self.bot = bot

    @declared("mydata export", group=mydata_group)
    @app_commands.checks.cooldown(EXPORT_RATE, EXPORT_PER, key=_per_member)
    async def mydata_export(self, interaction: discord.Interaction[JobbBot]) -> None:
        """Send the member a JSON file of everything stored about them."""
        await interaction.response.defer(thinking=True, ephemeral=True)
        await run_service(interaction, mydata.export)

    @declared("mydata delete", group=mydata_group)
    async def mydata_delete(self, interaction: discord.Interaction[JobbBot]) -> None:
        """Ask the member to confirm that everything is to be erased."""
        await run_service(interaction, mydata.delete_request)


async def setup(bot: JobbBot) -> None:
    """Load the MyData cog."""
    await bot.add_cog(MyData(bot))
