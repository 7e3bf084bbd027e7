"""Who is acting, and may they: the Identity of an interaction's user, and the coordinator check."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

import discord
from discord import app_commands

from bot.errors import UserError
from bot.services import workspaces
from bot.services.context import Identity

if TYPE_CHECKING:
    from bot.discordbot.bot import JobbBot

log = logging.getLogger(__name__)

PLATFORM = "discord"
CommandT = TypeVar("CommandT")
# Who sees coordinators' commands until a server admin changes it: those who may manage the server.
COORDINATOR_PERMISSIONS = discord.Permissions(manage_guild=True)


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
    return identity_of(member, interaction.locale)


def identity_of(member: discord.Member, locale: discord.Locale | None = None) -> Identity:
    """Describe a server member to the core; `locale`, the interaction's, is the language of their Discord
    (which answers them while they have not chosen one with /language)."""
    return Identity(
        platform=PLATFORM,
        workspace_external_id=str(member.guild.id),
        user_external_id=str(member.id),
        display_name=member.display_name,
        workspace_name=member.guild.name,
        role_ids=frozenset(str(role.id) for role in member.roles),
        is_admin=member.guild_permissions.manage_guild,
        locale=str(locale) if locale is not None else None,
    )


async def shared_guild(
    bot: JobbBot, user: discord.abc.User
) -> tuple[discord.Guild | None, discord.Member | None]:
    """Find the first server (by id) that the user and the bot share, and the user's member object there.

    The servers this process holds come first; when the bot is sharded across processes, one of another
    process's servers is found through the database.
    """
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
    if bot.holds_every_shard:
        return None, None
    return await _guild_on_another_shard(bot, user, {guild.id for guild in guilds})


async def _guild_on_another_shard(
    bot: JobbBot, user: discord.abc.User, held: set[int]
) -> tuple[discord.Guild | None, discord.Member | None]:
    """Find the user's server among those another process holds (DMs arrive at shard 0's process, whatever
    the server's shard): the database knows where they are a member, Discord their roles (2 requests)."""
    async with bot.app.sessionmaker() as session:
        external_ids = await workspaces.of_user(session, PLATFORM, str(user.id))
    for guild_id in sorted(int(e) for e in external_ids if e.isdigit() and int(e) not in held):
        try:
            guild = await bot.fetch_guild(guild_id)
            return guild, await guild.fetch_member(user.id)
        except (discord.NotFound, discord.Forbidden):
            continue  # the bot or the user left that server
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
    """Allow a command to coordinators only, and let Discord hide it from everyone without Manage Server.

    Discord's default permission can only name permissions, not our coordinator role, and a bot cannot set
    per-role command permissions itself. Manage Server is the README's coordinator rule, so server managers
    see the command; a server admin lets the coordinator role see it too under Server Settings → Integrations
    → Jobbskaparna. Who sees a command is only a hint: the check decides.

    Discord hides only whole top-level commands, so on a subcommand the default permission does nothing: a
    coordinators' subcommand belongs in a group made by coordinator_group() (tests/cogs/test_permissions.py
    walks the synced tree for that).
    """
    check = app_commands.check(is_coordinator)
    hide = app_commands.default_permissions(COORDINATOR_PERMISSIONS)

    def decorator(func: CommandT) -> CommandT:
        return hide(check(func))  # type: ignore[arg-type]

    return decorator


def coordinator_group(name: app_commands.locale_str,
                      description: app_commands.locale_str) -> app_commands.Group:
    """Make a top-level group for coordinators' subcommands, hidden from members as coordinator_only() hides.

    A feature whose group members use too keeps its coordinators' subcommands in a twin group of its own
    (`/issue-admin create` beside `/issue list`), defined in the same cog. One `/coordinator` group for all of
    them would be simpler, but Discord allows a command (with all its subcommands) 4000 characters, and the
    coordinators' subcommands together have about twice that.
    """
    return app_commands.Group(name=name, description=description, guild_only=True,
                              allowed_contexts=app_commands.AppCommandContext(guild=True),
                              default_permissions=COORDINATOR_PERMISSIONS)
