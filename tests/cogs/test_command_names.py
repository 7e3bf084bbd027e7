"""A command named in a catalog text (`{cmd:issue create}`) is written as Discord shows it to the reader: in
their language, and a coordinators' subcommand in its `-admin` twin."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import discord

from bot.commands import all_commands
from bot.discordbot.bot import JobbBot
from bot.discordbot.render import command_format, render_text
from bot.replies import text

SWEDISH = "sv-SE"


def _names(payload: dict[str, Any], english: tuple[str, ...], swedish: tuple[str, ...]
           ) -> Iterator[tuple[tuple[str, ...], tuple[str, ...]]]:
    """Every command of a synced payload by its English and its Swedish words."""
    english = (*english, payload["name"])
    swedish = (*swedish, (payload.get("name_localizations") or {}).get(SWEDISH, payload["name"]))
    subcommands = [o for o in payload.get("options") or []
                   if o["type"] in (discord.AppCommandOptionType.subcommand.value,
                                    discord.AppCommandOptionType.subcommand_group.value)]
    if not subcommands:
        yield english, swedish
    for option in subcommands:
        yield from _names(option, english, swedish)


async def test_every_command_is_named_as_the_synced_tree_shows_it_in_each_language(synced: JobbBot):
    translator = synced.tree.translator
    assert translator is not None
    shown: dict[str, tuple[str, str]] = {}
    for top in synced.tree.get_commands():
        payload = await top.get_translated_payload(synced.tree, translator)
        for english, swedish in _names(payload, (), ()):
            declared_path = " ".join((english[0].removesuffix("-admin"), *english[1:]))
            shown[declared_path] = ("/" + " ".join(english), "/" + " ".join(swedish))

    paths = [" ".join(command.path) for command in all_commands() if command.discord]
    named = {path: (command_format(path, "en"), command_format(path, "sv")) for path in paths}
    assert named == shown
    assert shown["issue create"] == ("/issue-admin create", "/fråga-admin skapa")


def test_a_text_on_discord_names_the_command_in_the_admin_twin_where_discord_has_it():
    assert render_text(text("issues.none"), "sv") == (
        "Inga frågor här. En koordinator skapar en med /fråga-admin skapa.")
    assert render_text(text("issues.none"), "en") == (
        "No issues here. A coordinator creates one with /issue-admin create.")
