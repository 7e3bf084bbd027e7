"""Who sees which command on Discord, walked over the tree exactly as the sync sends it.

Discord hides only whole top-level commands, by their default permission. So every coordinator command (one
with the is_coordinator check) must sit in a top-level command hidden from those without Manage Server, and
every other command in one nobody is hidden from. The console and Slack have the same commands under their
plain names: `/issue-admin create` on Discord is `issue create` there.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import discord
from discord import app_commands

from bot.commands import all_commands, declared
from bot.discordbot.bot import JobbBot
from bot.discordbot.checks import is_coordinator
from bot.services import workspaces

# Discord sends a permission set as a string of its bits; discord.py builds the payload with an int.
MANAGE_SERVER = str(discord.Permissions(manage_guild=True).value)
# The suffix of a group that holds the coordinators' half of a group members use (/issue-admin beside /issue).
ADMIN_SUFFIX = "-admin"
Leaf = app_commands.Command[Any, ..., Any] | app_commands.ContextMenu
Top = app_commands.Command[Any, ..., Any] | app_commands.Group | app_commands.ContextMenu


def leaves(top: Top) -> Iterator[Leaf]:
    """The commands a user can run under a top-level command (the command itself when it has no
    subcommands)."""
    if isinstance(top, app_commands.Group):
        yield from (c for c in top.walk_commands() if isinstance(c, app_commands.Command))
    else:
        yield top


def for_coordinators(command: Leaf) -> bool:
    return is_coordinator in command.checks


async def hidden_by(bot: JobbBot, top: Top) -> str | None:
    """The default permission a top-level command is synced with, as Discord shows it (None: everyone sees
    it)."""
    payload = await top.get_translated_payload(bot.tree, bot.tree.translator)
    permissions = payload.get("default_member_permissions")
    return None if permissions is None else str(permissions)


async def test_every_coordinator_command_is_hidden_from_members_and_no_other_command_is(synced: JobbBot):
    wrong = []
    coordinators = set()
    for top in synced.tree.get_commands():
        hidden = await hidden_by(synced, top)
        for command in leaves(top):
            expected = MANAGE_SERVER if for_coordinators(command) else None
            if hidden != expected:
                wrong.append(f"/{command.qualified_name}: hidden by {hidden!r}, should be by {expected!r}")
            if for_coordinators(command):
                coordinators.add(command.qualified_name)

    assert wrong == []
    # Not true by having found nothing: the coordinators' commands are there, wholly and in groups.
    assert {"setup", "members", "report", "digest now", "issue-admin create", "coach-admin ladder",
            "story-admin export", "council-admin seats"} <= coordinators


async def test_no_top_level_command_mixes_coordinator_and_member_commands(synced: JobbBot):
    mixed = [
        top.name for top in synced.tree.get_commands() if len({for_coordinators(c) for c in leaves(top)}) > 1
    ]

    assert mixed == []


def text_path(command: Leaf) -> tuple[str, ...]:
    """A Discord command's path in the console and Slack: a coordinators' twin group goes by its plain
    name."""
    top, *rest = command.qualified_name.split()
    return (top.removesuffix(ADMIN_SUFFIX), *rest)


def option_name(parameter: app_commands.Parameter) -> str:
    """An option as the text commands call it: the name in its catalog key (`from` of /report is `start`
    here)."""
    key = parameter.locale_name.extras.get("key", "") if parameter.locale_name is not None else ""
    found = re.search(r"\.opt\.(\w+)\.name$", key)
    return found.group(1) if found else parameter.name


async def test_discord_the_console_and_slack_have_the_same_commands_and_options(synced: JobbBot):
    pairs = [(text_path(command), {option_name(p) for p in command.parameters})
             for top in synced.tree.get_commands() for command in leaves(top)
             if isinstance(command, app_commands.Command)]
    on_discord = dict(pairs)
    assert len(on_discord) == len(pairs), "two Discord commands are the same text command"
    # Text has more: `help`, a group's name alone for its everyday command (`issue` lists the issues), and
    # options only Slack needs (@here stands in for the member role on a workspace without user groups).
    in_text = {command.path: {option.name for option in command.options if option.discord}
               for command in all_commands() if command.discord}

    assert in_text == on_discord
    assert {command.path for command in all_commands() if not command.discord} == {
        ("help",), ("profile",), ("issue",), ("coach",), ("story",), ("leaderboard",)}
    only_text = [option.name for option in declared("setup").options if not option.discord]
    assert only_text == [workspaces.PING_HERE]


async def test_a_coordinators_twin_group_is_named_after_its_group_in_every_language(synced: JobbBot):
    payloads = {top.name: await top.get_translated_payload(synced.tree, synced.tree.translator)
                for top in synced.tree.get_commands()}
    twins = {name for name in payloads if name.endswith(ADMIN_SUFFIX)}

    assert twins == {"issue-admin", "council-admin", "politician-admin", "stance-admin", "media-admin",
                     "coach-admin", "story-admin", "relation-admin",
                     "rapid-admin", "peer-admin"}
    for twin in twins:
        names = payloads[twin]["name_localizations"]
        group = payloads[twin.removesuffix(ADMIN_SUFFIX)]["name_localizations"]
        assert names == {
            locale: name + ADMIN_SUFFIX for locale, name in group.items()
        }  # /fråga-admin, /issue-admin
