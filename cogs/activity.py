"""/did, /contact, /stats and /leaderboard join|leave|show: the action log, a contact with a politician made
in any way, a member's own figures, the opt-in leaderboard."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.app_commands import Choice, Range
from discord.ext import commands

from bot.discordbot.bot import JobbBot
from bot.discordbot.translator import T
from bot.discordbot.views import run_service
from bot.services import activity, contacts
from cogs._options import declared, given


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

    @declared("did")
    async def did(self, interaction: discord.Interaction[JobbBot], kind: Choice[str],
                  status: Choice[str] | None = None, issue: Range[str, 1, 100] | None = None,
                  link: Range[str, 1, 300] | None = None) -> None:
        """Log what the member did, or tried."""
        await run_service(interaction, activity.did, **given(kind=kind, status=status, issue=issue,
                                                             link=link))

    @declared("contact")
    async def contact(self, interaction: discord.Interaction[JobbBot], politician: Range[str, 1, 100],
                      how: Choice[str], issue: Range[str, 1, 100] | None = None,
                      link: Range[str, 1, 300] | None = None, note: Range[str, 1, 500] | None = None,
                      answer: Choice[str] | None = None, said: Range[str, 1, 500] | None = None) -> None:
        """Report a question or a contact with a politician, made in any way."""
        await run_service(interaction, contacts.contact,
                          **given(politician=politician, how=how, issue=issue, link=link, note=note,
                                  answer=answer, said=said))

    @declared("stats")
    async def stats(self, interaction: discord.Interaction[JobbBot]) -> None:
        """Show the member's own actions, steps and streak."""
        await run_service(interaction, activity.stats)

    @declared("leaderboard join", group=leaderboard_group)
    async def leaderboard_join(self, interaction: discord.Interaction[JobbBot]) -> None:
        """Take part in the leaderboard."""
        await run_service(interaction, activity.leaderboard_join)

    @declared("leaderboard leave", group=leaderboard_group)
    async def leaderboard_leave(self, interaction: discord.Interaction[JobbBot]) -> None:
        """Leave the leaderboard."""
        await run_service(interaction, activity.leaderboard_leave)

    @declared("leaderboard show", group=leaderboard_group)
    async def leaderboard_show(self, interaction: discord.Interaction[JobbBot],
                               period: Choice[str] | None = None) -> None:
        """Show the leaderboard of the week or the month."""
        await run_service(interaction, activity.leaderboard, **given(period=period))


async def setup(bot: JobbBot) -> None:
    """Load the Activity cog."""
    await bot.add_cog(Activity(bot))
