"""/peer join|leave|status: members who opt in to learn from or teach each other; for coordinators
/peer-admin settings|pairs|now."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.app_commands import Choice, Range
from discord.ext import commands

from bot.discordbot.bot import JobbBot
from bot.discordbot.checks import coordinator_group
from bot.discordbot.translator import T
from bot.discordbot.views import run_service
from bot.services import pairing
from cogs._options import declared, given


class Pairing(commands.Cog):
    """Peers who teach peers: the opt-in pairing of learners with experienced members."""

    peer_group = app_commands.Group(
        name=T("cmd.peer.name"),
        description=T("cmd.peer.description"),
        guild_only=True,
        allowed_contexts=app_commands.AppCommandContext(guild=True),
    )
    # Discord hides only whole top-level commands: the coordinators' subcommands have a twin group, hidden
    # from members (the console and Slack keep them as `peer settings`).
    peer_admin_group = coordinator_group(T("cmd.peer_admin.name"), T("cmd.peer_admin.description"))

    def __init__(self, bot: JobbBot) -> None:
        self.bot = bot

    @declared("peer join", group=peer_group)
    async def peer_join(self, interaction: discord.Interaction[JobbBot],
                        role: Choice[str] | None = None) -> None:
        """Take part in the pairing, to learn or to teach."""
        await run_service(interaction, pairing.join, **given(role=role))

    @declared("peer leave", group=peer_group)
    async def peer_leave(self, interaction: discord.Interaction[JobbBot]) -> None:
        """Leave the pairing."""
        await run_service(interaction, pairing.leave)

    @declared("peer status", group=peer_group)
    async def peer_status(self, interaction: discord.Interaction[JobbBot]) -> None:
        """Show whether the member takes part, their latest pair and the next round."""
        await run_service(interaction, pairing.status)

    @declared("peer settings", group=peer_admin_group)
    async def peer_settings(self, interaction: discord.Interaction[JobbBot], enabled: bool | None = None,
                            rhythm: Choice[str] | None = None, day: Choice[int] | None = None,
                            hour: Range[int, 0, 23] | None = None) -> None:
        """Turn the rounds on or off and set when they go out; show the settings."""
        await run_service(interaction, pairing.configure, **given(enabled=enabled, rhythm=rhythm, day=day,
                                                                  hour=hour))

    @declared("peer pairs", group=peer_admin_group)
    async def peer_pairs(self, interaction: discord.Interaction[JobbBot]) -> None:
        """Show the pairs of the last rounds and whether they met."""
        await run_service(interaction, pairing.pairs)

    @declared("peer now", group=peer_admin_group)
    async def peer_now(self, interaction: discord.Interaction[JobbBot]) -> None:
        """Make a round at once."""
        await run_service(interaction, pairing.round_now)


async def setup(bot: JobbBot) -> None:
    """Load the Pairing cog."""
    await bot.add_cog(Pairing(bot))
