"""/setup's look at the server: can the bot see and write in the chosen channels, and give the member role?

Reads only discord.py's cache (the bot's member, its top role, the channels' permission overwrites), so it
costs no request; what it finds goes back to the workspaces service as problems to show under the settings.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import discord
from discord import app_commands

from bot.i18n import catalog
from bot.replies import Field, Join, Literal, Mention, Text, text
from bot.services.workspaces import CHANNEL_SETTINGS, Problem, SetupCheck

# How Discord's settings name the permissions a channel needs (README, "Running on Discord").
PERMISSION_NAMES: dict[str, Text] = {
    "view_channel": text("setup.permission.view_channel"),
    "send_messages": text("setup.permission.send_messages"),
    "send_messages_in_threads": text("setup.permission.send_messages_in_threads"),
    "embed_links": text("setup.permission.embed_links"),
    "attach_files": text("setup.permission.attach_files"),
    "read_message_history": text("setup.permission.read_message_history"),
    "pin_messages": text("setup.permission.pin_messages"),
    "manage_threads": text("setup.permission.manage_threads"),
}
# Every chosen channel gets messages with embeds, buttons and files (charts, exports).
CHANNEL_NEEDS = ("view_channel", "send_messages", "embed_links", "attach_files", "read_message_history")
# A forum takes each story as a new post (Send Messages is "Create Posts" there) whose first message is a
# thread's; deleting a post (its author erased their data and chose so) deletes the thread: Manage Threads.
FORUM_NEEDS = (*CHANNEL_NEEDS, "send_messages_in_threads", "manage_threads")
# The countdown's live message is pinned in the announcement channel (Pin Messages, split from Manage
# Messages).
EXTRA_NEEDS = {"announcements": ("pin_messages",)}
# The member role is given and taken back (Manage Roles, the bot's role above it) and pinged before a vote
# (Mention All Roles, unless the role is mentionable).
ROLE_NEEDS = ("manage_roles", "mention_everyone")
# Everything the invite asks for (README, "Running on Discord"), and the scopes of the bot and its commands.
INVITE_PERMISSIONS = discord.Permissions(
    **dict.fromkeys((*FORUM_NEEDS, *(name for names in EXTRA_NEEDS.values() for name in names), *ROLE_NEEDS),
                    True))
INVITE_SCOPES = ("bot", "applications.commands")
DEVELOPER_PORTAL = "https://discord.com/developers/applications"
# A top-level command's name in the catalogs (cogs name commands with T("cmd.setup.name")).
TOP_LEVEL_NAME = re.compile(r"cmd\.[a-z_]+\.name")


def invite_url(application_id: int | None) -> str:
    """Return the URL that invites the bot with every permission and scope it needs."""
    if application_id is None:  # not logged in yet: the portal's OAuth2 page builds the same URL
        return DEVELOPER_PORTAL
    return discord.utils.oauth_url(application_id, permissions=INVITE_PERMISSIONS, scopes=INVITE_SCOPES)


def hidden_commands(tree: app_commands.CommandTree[Any]) -> tuple[Text | Literal, ...]:
    """Name the top-level slash commands Discord hides from members by default (the coordinators'), as the
    catalogs name them in each language."""
    keys = {name: key for key, name in catalog("en").items() if TOP_LEVEL_NAME.fullmatch(key)}
    tops = sorted((top for top in tree.get_commands(type=discord.AppCommandType.chat_input)
                   if isinstance(top, app_commands.Command | app_commands.Group)
                   and top.default_permissions is not None), key=lambda top: top.name)
    return tuple(text("setup.command", name=text(keys[top.name])) if top.name in keys
                 else Literal(f"/{top.name}") for top in tops)


def check_server(guild: discord.Guild, commands: Sequence[Text | Literal], chosen: Mapping[str, str]
                 ) -> SetupCheck:
    """Find what keeps the chosen channels and roles from working; tell how a coordinator role gets to see the
    coordinators' `commands`."""
    me = guild.me
    if me is None:  # the member cache has not caught up with the bot itself (just after joining)
        return SetupCheck(problems=(Problem("bot", text("setup.problem.bot_unknown")),))
    bot_role = Mention("role", str(me.top_role.id))
    problems: list[Problem] = []
    missing_on_server: dict[str, None] = {}  # an ordered set: the bot's role lacks these everywhere
    for setting in CHANNEL_SETTINGS:
        if setting in chosen:
            problems += _channel_problems(guild, me, setting, chosen[setting], missing_on_server)
    problems += _member_role_problems(guild, me, chosen, bot_role)
    coordinator_role = _role(guild, chosen.get("coordinator_role"))
    if "coordinator_role" in chosen and coordinator_role is None:
        problems.append(Problem("coordinator_role", text("setup.problem.role_gone")))
    if missing_on_server:
        problems.append(Problem("bot", text("setup.problem.server_permissions", bot_role=bot_role,
                                            permissions=_names(missing_on_server))))
    advice: tuple[Field, ...] = ()
    if coordinator_role is not None and commands:
        # Discord hides the coordinators' commands from all without Manage Server until an admin adds the
        # role; a bot cannot change that itself.
        advice = (
            Field(
                text("setup.field.coordinator_commands"),
                text(
                    "setup.coordinator_commands.discord",
                    role=Mention("role", str(coordinator_role.id)),
                    app=Literal(me.name),
                    commands=Join(tuple(commands)),
                ),
            ),
        )
    return SetupCheck(problems=tuple(problems), advice=advice)


def _channel_problems(guild: discord.Guild, me: discord.Member, setting: str, channel_id: str,
                      missing_on_server: dict[str, None]) -> list[Problem]:
    channel = guild.get_channel(int(channel_id)) if channel_id.isdigit() else None
    if not isinstance(channel, discord.TextChannel | discord.ForumChannel):
        return [Problem(setting, text("setup.problem.channel_gone"))]
    where = Mention("channel", channel_id)
    allowed = channel.permissions_for(me)
    on_server = me.guild_permissions
    if not allowed.view_channel:
        # Without it discord.py reports every other channel permission as missing too: this is the one to fix.
        if not on_server.view_channel:
            missing_on_server["view_channel"] = None
            return []
        return [Problem(setting, text("setup.problem.cannot_see", channel=where))]
    needs = (FORUM_NEEDS if isinstance(channel, discord.ForumChannel) else CHANNEL_NEEDS) + EXTRA_NEEDS.get(
        setting, ()
    )
    missing = [name for name in needs if not getattr(allowed, name)]
    # What the bot's role lacks on the whole server is fixed once, in the role; the rest in this channel.
    missing_on_server.update((name, None) for name in missing if not getattr(on_server, name))
    denied = [name for name in missing if getattr(on_server, name)]
    if not denied:
        return []
    key = "setup.problem.cannot_send" if "send_messages" in denied else "setup.problem.channel_denies"
    return [Problem(setting, text(key, channel=where, permissions=_names(denied)))]


def _member_role_problems(guild: discord.Guild, me: discord.Member, chosen: Mapping[str, str],
                          bot_role: Mention) -> list[Problem]:
    if "member_role" not in chosen:
        return []
    role = _role(guild, chosen["member_role"])
    if role is None:
        return [Problem("member_role", text("setup.problem.role_gone"))]
    mention = Mention("role", str(role.id))
    if role.is_default() or role.managed:
        return [Problem("member_role", text("setup.problem.role_not_grantable", role=mention))]
    problems: list[Problem] = []
    if role.position >= me.top_role.position:
        problems.append(
            Problem("member_role", text("setup.problem.role_order", role=mention, bot_role=bot_role))
        )
    if not me.guild_permissions.manage_roles:
        problems.append(
            Problem("member_role", text("setup.problem.manage_roles", role=mention, bot_role=bot_role))
        )
    announcements = _channel(guild, chosen.get("announcements"))
    # The countdown pings the member role in the announcement channel; a mentionable role needs no permission.
    # Where the bot cannot post at all, the channel's own problem says so.
    allowed = announcements.permissions_for(me) if announcements is not None else None
    if (
        allowed is not None
        and allowed.view_channel
        and allowed.send_messages
        and not allowed.mention_everyone
        and not role.mentionable
    ):
        problems.append(Problem("member_role", text("setup.problem.cannot_ping", role=mention,
                                                    channel=Mention("channel", chosen["announcements"]))))
    return problems


def _role(guild: discord.Guild, role_id: str | None) -> discord.Role | None:
    return guild.get_role(int(role_id)) if role_id and role_id.isdigit() else None


def _channel(guild: discord.Guild, channel_id: str | None) -> discord.abc.GuildChannel | None:
    return guild.get_channel(int(channel_id)) if channel_id and channel_id.isdigit() else None


def _names(permissions: Iterable[str]) -> Join:
    return Join(tuple(PERMISSION_NAMES[name] for name in permissions))
