"""Who is acting, and may they: the Identity of an interaction's user, and the coordinator check."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

import discord
from discord import app_commands
from bot.errors import UserError
from bot.services.context import Identity

if TYPE_CHECKING:
    from bot.discordbot.bot import JobbBot

log = logging.getLogger(__name__)

PLATFORM = "discord"
CommandT = TypeVar("CommandT")


class CoordinatorOnly(app_commands.CheckFailure):
    """The command is for the group's coordinators."""


async def identity_from(interaction: discord.Interaction[Any]) -> Identity:
    """Return who acts in an interaction; in a DM, as the member of the first server shared with the bot."""
    user = interaction.user
    guild = interaction.guild
    member = user if isinstance(user, discord.Member) else None
    if guild is None:
        guild, member = await shared_guild(cast("JobbBot", interaction.client), user)
    elif member is None:
        member = guild.get_member(user.id)
    if guild is None or member is None:
        raise UserError("errors.guild_only")
    return identity_of(member)


def identity_of(member: discord.Member) -> Identity:
    """Describe a server member to the core."""
    return Identity(
        platform=PLATFORM,
        workspace_external_id=str(member.guild.id),
        user_external_id=str(member.id),
        display_name=member.display_name,
        workspace_name=member.guild.name,
        role_ids=frozenset(str(role.id) for role in member.roles),
        is_admin=member.guild_permissions.manage_guild,
    )


async def shared_guild(bot: JobbBot, user: discord.abc.User) -> tuple[discord.Guild | None, discord.Member | None]:
    """Find the first server (by id) that the user and the bot share, and the user's member object there."""
    guilds = sorted(bot.guilds, key=lambda g: g.id)
    for guild in guilds:
        member = guild.get_member(user.id)
        if member is not None:
            return guild, member
    # Before the member lists have arrived (just after a start) the cache knows nobody: ask Discord.
    for guild in guilds:
        if guild.chunked:
            continue
        try:
            return guild, await guild.fetch_member(user.id)
        except discord.NotFound:
            continue
    return None, None


async def is_coordinator(interaction: discord.Interaction[Any]) -> bool:
    """Pass server managers and members with the workspace's coordinator role; refuse everyone else."""
    if interaction.guild is None:
        raise app_commands.NoPrivateMessage
    identity = await identity_from(interaction)
    if not await cast("JobbBot", interaction.client).app.is_coordinator(identity):
        raise CoordinatorOnly
    return True


def coordinator_only() -> Callable[[CommandT], CommandT]:
    """Allow a command to coordinators only, and let Discord hide it from ordinary members.

    Discord's default permission can only name permissions, not our coordinator role; Manage Messages is
    what a coordinator (moderator) role usually has and ordinary members do not. It only decides who sees
    the command (a server admin can change that under Server Settings → Integrations); the check decides.
    """
    check = app_commands.check(is_coordinator)
    hide = app_commands.default_permissions(manage_messages=True)

    def decorator(func: CommandT) -> CommandT:
        return hide(check(func))  # type: ignore[arg-type]

    return decorator
