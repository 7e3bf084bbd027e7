"""/rapid urgent: whether urgent rapid responses may reach a member in the quiet hours; for coordinators
/rapid-admin start|list|close: share a link with an ask and a time limit, see the tallies, close one early."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.app_commands import Choice, Range
from discord.ext import commands

from bot.discordbot.bot import JobbBot
from bot.discordbot.checks import coordinator_group
from bot.discordbot.translator import T
from bot.discordbot.views import run_service
from bot.services import rapid
from cogs._options import declared, given


class Rapid(commands.Cog):
    """Rapid response: the group answers a post, an article or a debate within hours."""

    rapid_group = app_commands.Group(
        name=T("cmd.rapid.name"),
        description=T("cmd.rapid.description"),
        guild_only=True,
        allowed_contexts=app_commands.AppCommandContext(guild=True),
    )
    # Discord hides only whole top-level commands: the coordinators' subcommands have a twin group, hidden
    # from members (the console and Slack keep them as `rapid start`).
    rapid_admin_group = coordinator_group(T("cmd.rapid_admin.name"), T("cmd.rapid_admin.description"))

    def __init__(self, bot: JobbBot) -> None:
        self.bot = bot

    @declared("rapid start", group=rapid_admin_group)
    async def rapid_start(self, interaction: discord.Interaction[JobbBot], link: Range[str, 1, 300],
                          ask: Range[str, 1, 300], deadline: Range[str, 1, 60],
                          issue: Range[str, 1, 100] | None = None, municipality: Choice[str] | None = None,
                          urgent: bool | None = None) -> None:
        """Share a link with an ask and a time limit; the followers are alerted at once."""
        settings = self.bot.app.settings
        quiet = (settings.quiet_hours_start, settings.quiet_hours_end)
        await run_service(interaction, rapid.start, quiet=quiet, **given(
            link=link, ask=ask, deadline=deadline, issue=issue, municipality=municipality, urgent=urgent))

    @declared("rapid list", group=rapid_admin_group)
    async def rapid_list(self, interaction: discord.Interaction[JobbBot]) -> None:
        """Open and recent rapid responses with their tallies."""
        await run_service(interaction, rapid.list_rapid)

    @declared("rapid close", group=rapid_admin_group)
    async def rapid_close(self, interaction: discord.Interaction[JobbBot],
                          number: Range[str, 1, 20] | None = None) -> None:
        """Close a rapid response before its time limit and post the tally."""
        await run_service(interaction, rapid.close, **given(number=number))

    @declared("rapid urgent", group=rapid_group)
    async def rapid_urgent(self, interaction: discord.Interaction[JobbBot],
                           allow: bool | None = None) -> None:
        """Choose whether urgent rapid responses may reach you in the quiet hours."""
        await run_service(interaction, rapid.urgent_setting, **given(allow=allow))


async def setup(bot: JobbBot) -> None:
    """Load the Rapid cog."""
    await bot.add_cog(Rapid(bot))
