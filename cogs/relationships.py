"""/relation add|list|remove|share: the politicians a member knows or has met; for coordinators
/relation-admin contacts: the members who know a politician."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.app_commands import Choice, Range
from discord.ext import commands

from bot.discordbot.bot import JobbBot
from bot.discordbot.checks import coordinator_group
from bot.discordbot.translator import T
from bot.discordbot.views import run_service
from bot.services import relationships
from cogs._options import declared, given


class Relationships(commands.Cog):
    """Members' relationships with the politicians."""

    relation_group = app_commands.Group(
        name=T("cmd.relation.name"),
        description=T("cmd.relation.description"),
        guild_only=True,
        allowed_contexts=app_commands.AppCommandContext(guild=True),
    )
    # Discord hides only whole top-level commands: the coordinators' view has a twin group, hidden from
    # members (the console and Slack keep it as `relation contacts`).
    relation_admin_group = coordinator_group(T("cmd.relation_admin.name"),
                                             T("cmd.relation_admin.description"))

    def __init__(self, bot: JobbBot) -> None:
        self.bot = bot

    @declared("relation add", group=relation_group)
    async def relation_add(self, interaction: discord.Interaction[JobbBot], politician: Range[str, 1, 100],
                           kind: Choice[str] | None = None, met_on: Range[str, 1, 40] | None = None,
                           how: Range[str, 1, 100] | None = None,
                           note: Range[str, 1, 300] | None = None) -> None:
        """Save that the member knows or has met a politician."""
        await run_service(interaction, relationships.add, **given(
            politician=politician, kind=kind, met_on=met_on, how=how, note=note))

    @declared("relation list", group=relation_group)
    async def relation_list(self, interaction: discord.Interaction[JobbBot]) -> None:
        """The politicians the member knows, and who sees it."""
        await run_service(interaction, relationships.list_relationships)

    @declared("relation remove", group=relation_group)
    async def relation_remove(self, interaction: discord.Interaction[JobbBot],
                              politician: Range[str, 1, 100]) -> None:
        """Remove a relationship."""
        await run_service(interaction, relationships.remove, politician=politician)

    @declared("relation share", group=relation_group)
    async def relation_share(self, interaction: discord.Interaction[JobbBot],
                             coordinators: bool | None = None) -> None:
        """Choose whether the coordinators may see the member's relationships; without an answer, ask."""
        await run_service(interaction, relationships.share, **given(shared=coordinators))

    @declared("relation contacts", group=relation_admin_group)
    async def relation_contacts(self, interaction: discord.Interaction[JobbBot],
                                politician: Range[str, 1, 100] | None = None) -> None:
        """The members who shared that they know a politician; without one, the politicians someone knows."""
        await run_service(interaction, relationships.contacts, **given(politician=politician))


async def setup(bot: JobbBot) -> None:
    """Load the Relationships cog."""
    await bot.add_cog(Relationships(bot))
