"""/politician list and /stance history; for coordinators /politician-admin
add|edit|remove|import|valmyndigheten|export and /stance-admin set|confirm|reject."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.app_commands import Choice, Range
from discord.ext import commands

from bot.discordbot.bot import JobbBot
from bot.discordbot.checks import coordinator_group
from bot.discordbot.translator import T
from bot.discordbot.views import run_service
from bot.errors import UserError
from bot.services import council_import, politicians, stances
from cogs._options import declared, given


class Politicians(commands.Cog):
    """The politicians who decide, and their stances on the issues."""

    politician_group = app_commands.Group(
        name=T("cmd.politician.name"),
        description=T("cmd.politician.description"),
        guild_only=True,
        allowed_contexts=app_commands.AppCommandContext(guild=True),
    )
    stance_group = app_commands.Group(
        name=T("cmd.stance.name"),
        description=T("cmd.stance.description"),
        guild_only=True,
        allowed_contexts=app_commands.AppCommandContext(guild=True),
    )
    # Discord hides only whole top-level commands: the coordinators' subcommands have twin groups, hidden from
    # members (the console and Slack keep them as `politician add`, `stance set`).
    politician_admin_group = coordinator_group(T("cmd.politician_admin.name"),
                                               T("cmd.politician_admin.description"))
    stance_admin_group = coordinator_group(T("cmd.stance_admin.name"), T("cmd.stance_admin.description"))

    def __init__(self, bot: JobbBot) -> None:
        self.bot = bot

    @declared("politician add", group=politician_admin_group)
    async def politician_add(
        self,
        interaction: discord.Interaction[JobbBot],
        name: Range[str, 1, 100],
        party: Range[str, 1, 40],
        municipality: Choice[str],
        body: Range[str, 1, 100] | None = None,
        role: Range[str, 1, 100] | None = None,
        roles: Range[str, 1, 200] | None = None,
        committee: Range[str, 1, 100] | None = None,
        x_handle: Range[str, 1, 60] | None = None,
        email: Range[str, 1, 200] | None = None,
        checked: Range[str, 1, 40] | None = None,
    ) -> None:
        """Add a politician."""
        await run_service(interaction, politicians.add, **given(
            name=name, party=party, municipality=municipality, body=body, role=role, roles=roles,
            committee=committee, x_handle=x_handle, email=email, checked=checked))

    @declared("politician edit", group=politician_admin_group)
    async def politician_edit(
        self,
        interaction: discord.Interaction[JobbBot],
        politician: Range[str, 1, 100],
        name: Range[str, 1, 100] | None = None,
        party: Range[str, 1, 40] | None = None,
        municipality: Choice[str] | None = None,
        body: Range[str, 1, 100] | None = None,
        role: Range[str, 1, 100] | None = None,
        roles: Range[str, 1, 200] | None = None,
        committee: Range[str, 1, 100] | None = None,
        x_handle: Range[str, 1, 60] | None = None,
        email: Range[str, 1, 200] | None = None,
        checked: Range[str, 1, 40] | None = None,
    ) -> None:
        """Change the fields given of a politician."""
        await run_service(interaction, politicians.edit, politician=politician, **given(
            name=name, party=party, municipality=municipality, body=body, role=role, roles=roles,
            committee=committee, x_handle=x_handle, email=email, checked=checked))

    @declared("politician remove", group=politician_admin_group)
    async def politician_remove(
        self,
        interaction: discord.Interaction[JobbBot],
        politician: Range[str, 1, 100],
        municipality: Choice[str] | None = None,
    ) -> None:
        """Ask to confirm removing a politician."""
        await run_service(interaction, politicians.remove, **given(politician=politician,
                                                                   municipality=municipality))

    @declared("politician list", group=politician_group)
    async def politician_list(
        self,
        interaction: discord.Interaction[JobbBot],
        municipality: Choice[str] | None = None,
        body: Choice[str] | None = None,
        party: Range[str, 1, 40] | None = None,
    ) -> None:
        """List the politicians."""
        await run_service(interaction, politicians.list_politicians,
                          **given(municipality=municipality, body=body, party=party))

    @declared("politician import", group=politician_admin_group)
    async def politician_import(
        self, interaction: discord.Interaction[JobbBot], file: discord.Attachment
    ) -> None:
        """Import politicians from a CSV attachment, all or nothing, with a report."""
        await interaction.response.defer(thinking=True, ephemeral=True)
        if file.size > politicians.MAX_CSV_BYTES:
            raise UserError("csv.too_big", max=politicians.MAX_CSV_BYTES // 1000)
        data = await file.read()
        await run_service(interaction, politicians.import_csv, data, file.filename)

    @declared("politician valmyndigheten", group=politician_admin_group)
    async def politician_valmyndigheten(
        self, interaction: discord.Interaction[JobbBot], file: discord.Attachment,
        municipality: Choice[str] | None = None,
    ) -> None:
        """Read the councils from Valmyndigheten's file and show what would change, to confirm."""
        await interaction.response.defer(thinking=True, ephemeral=True)
        if file.size > council_import.MAX_FILE_BYTES:
            raise UserError("csv.too_big", max=council_import.MAX_FILE_BYTES // 1000)
        data = await file.read()
        await run_service(interaction, council_import.import_file, data, file.filename,
                          **given(municipality=municipality))

    @declared("politician export", group=politician_admin_group)
    async def politician_export(self, interaction: discord.Interaction[JobbBot],
                                municipality: Choice[str] | None = None) -> None:
        """Send the politicians as a CSV file."""
        await interaction.response.defer(thinking=True, ephemeral=True)
        await run_service(interaction, politicians.export_csv, **given(municipality=municipality))

    @declared("stance set", group=stance_admin_group)
    async def stance_set(
        self,
        interaction: discord.Interaction[JobbBot],
        issue: Range[str, 1, 100],
        politician: Range[str, 1, 100],
        stance: Choice[str],
        source: Range[str, 1, 300] | None = None,
        municipality: Choice[str] | None = None,
    ) -> None:
        """Set a politician's stance on an issue."""
        await run_service(interaction, stances.set_stance, **given(
            issue=issue, politician=politician, stance=stance, source=source, municipality=municipality))

    @declared("stance confirm", group=stance_admin_group)
    async def stance_confirm(self, interaction: discord.Interaction[JobbBot], issue: Range[str, 1, 100],
                             politician: Range[str, 1, 100], municipality: Choice[str] | None = None) -> None:
        """Confirm a member's report of a stance."""
        await run_service(interaction, stances.confirm, **given(issue=issue, politician=politician,
                                                              municipality=municipality))

    @declared("stance reject", group=stance_admin_group)
    async def stance_reject(self, interaction: discord.Interaction[JobbBot], issue: Range[str, 1, 100],
                            politician: Range[str, 1, 100], municipality: Choice[str] | None = None) -> None:
        """Reject a member's report of a stance."""
        await run_service(interaction, stances.reject, **given(issue=issue, politician=politician,
                                                              municipality=municipality))

    @declared("stance history", group=stance_group)
    async def stance_history(self, interaction: discord.Interaction[JobbBot], issue: Range[str, 1, 100],
                             politician: Range[str, 1, 100], municipality: Choice[str] | None = None) -> None:
        """Show a politician's stances on an issue over time."""
        await run_service(interaction, stances.history, **given(issue=issue, politician=politician,
                                                              municipality=municipality))


async def setup(bot: JobbBot) -> None:
    """Load the Politicians cog."""
    await bot.add_cog(Politicians(bot))
