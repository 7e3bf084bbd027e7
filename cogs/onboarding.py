"""/onboard and the welcome of members who join."""

from __future__ import annotations

import logging

import discord
from discord.ext import commands

from bot.discordbot.bot import JobbBot
from bot.discordbot.checks import PLATFORM
from bot.discordbot.views import run_form_service
from bot.services import onboarding
from cogs._options import declared

log = logging.getLogger(__name__)


class Onboarding(commands.Cog):
    """Welcome new members and take their profile, with consent."""

    def __init__(self, bot: JobbBot) -> None:
        self.bot = bot

    @declared("onboard")
    async def onboard(self, interaction: discord.Interaction[JobbBot]) -> None:
        """Open the onboarding form."""
        await run_form_service(interaction, onboarding.START_ACTION, onboarding.start)

    @commands.Cog.listener()
    async def on_member_join(self, member: discord.Member) -> None:
        """Welcome someone who joined the server, by DM or in the welcome channel."""
        if member.bot:
            return
        try:
            await self.bot.app.member_joined(
                PLATFORM, str(member.guild.id), member.guild.name, str(member.id), member.display_name
            )
        except Exception:  # a listener has nobody to answer; the log must say who
            log.exception("Could not welcome member %s in guild %s", member.id, member.guild.id)


async def setup(bot: JobbBot) -> None:
    """Load the Onboarding cog."""
    await bot.add_cog(Onboarding(bot))
