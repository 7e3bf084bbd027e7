"""/watch add|list|remove: the agenda watcher's sources (notice board feeds, meeting calendars, agenda PDFs),
and /watch keywords: the group's own words that make an agenda item worth proposing; for coordinators."""

from __future__ import annotations

import discord
from discord.app_commands import Choice, Range
from discord.ext import commands

from bot.discordbot.bot import JobbBot
from bot.discordbot.checks import coordinator_group
from bot.discordbot.translator import T
from bot.discordbot.views import run_service
from bot.services import agenda, watch_sources
from cogs._options import declared, given


class Watch(commands.Cog):
    """The sources the agenda watcher polls."""

    # Every subcommand is for coordinators: the group is hidden from members, as a top-level command can be.
    watch_group = coordinator_group(T("cmd.watch.name"), T("cmd.watch.description"))

    def __init__(self, bot: JobbBot) -> None:
        self.bot = bot

    @declared("watch add", group=watch_group)
    async def watch_add(self, interaction: discord.Interaction[JobbBot], municipality: Choice[str],
                        body: Choice[str], kind: Choice[str], url: Range[str, 1, 300],
                        committee: Range[str, 1, 100] | None = None) -> None:
        """Watch a feed, a meeting calendar or an agenda PDF."""
        await run_service(interaction, watch_sources.add, **given(
            municipality=municipality, body=body, kind=kind, url=url, committee=committee))

    @declared("watch list", group=watch_group)
    async def watch_list(self, interaction: discord.Interaction[JobbBot]) -> None:
        """The watched sources with their last and next fetch."""
        await run_service(interaction, watch_sources.list_sources)

    @declared("watch remove", group=watch_group)
    async def watch_remove(self, interaction: discord.Interaction[JobbBot],
                           source: Range[str, 1, 300]) -> None:
        """Stop watching a source."""
        await run_service(interaction, watch_sources.remove, source=source)


    @declared("watch keywords", group=watch_group)
    async def watch_keywords(self, interaction: discord.Interaction[JobbBot],
                             keywords: Range[str, 1, 500] | None = None) -> None:
        """Show or set the group's keywords for the agendas."""
        await run_service(interaction, agenda.set_keywords, **given(keywords=keywords))


async def setup(bot: JobbBot) -> None:
    """Load the Watch cog."""
    await bot.add_cog(Watch(bot))
