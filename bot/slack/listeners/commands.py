"""`/jobb <command> option:value …`: every command of the shared text surface, as Slack users type it.

Slack has one level of slash commands, so one command, `/jobb`, takes the rest of the line as the console
does (`/jobb issue create title:"Parkering i centrum" decision:2026-12-17`), by English or Swedish names.
`/jobb` alone, or `/jobb help`, lists them. A command that opens a form on Discord opens a modal when given
no options; one that takes a file opens a modal with a file input.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck

from bot import commands, i18n
from bot.app import App
from bot.commands import Command, command_words
from bot.replies import Join, Literal, Renderable, Reply, text
from bot.services.context import Identity
from bot.slack import render
from bot.slack.adapter import Origin, SlackAdapter

log = logging.getLogger(__name__)

HELP = ("help",)
# With should_escape, Slack sends #channels, @users, @groups and links as <…> entities.
_ENTITY = re.compile(r"<((?:https?|mailto):[^|>]+)(?:\|[^>]*)?>|<([#@!][^|>]*)(?:\|[^>]*)?>")
# Slack's (and the Mac's) typographic double quotes, for quoting values with spaces.
_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"'})


@dataclass(frozen=True)
class SlackCommandContext:
    """What a shared command needs: the App and who acts."""

    app: App
    user: Identity

    def identity(self) -> Identity:
        return self.user


def _entity(match: re.Match[str]) -> str:
    if match.group(1):
        return match.group(1).removeprefix("mailto:")
    ref = match.group(2)
    if ref.startswith(("#", "@")):
        return ref  # <#C123|name> → #C123, <@U123> → @U123: /setup takes the ids
    if ref.startswith("!subteam^"):
        return "@" + ref.removeprefix("!subteam^")
    return ""  # <!here>, <!channel>: nothing an option takes


def command_line(raw: str) -> str:
    """Turn the text of a slash command back into what the user typed, with ids for channels and groups."""
    line = _ENTITY.sub(_entity, raw or "")
    line = line.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return line.translate(_QUOTES).strip()


def help_reply(table: tuple[Command, ...]) -> Reply:
    """The commands as Slack users type them, with the syntax."""
    lines: tuple[Renderable, ...] = tuple(
        text(
            "slack.help_line",
            path=command_words(c),
            description=text(c.catalog_key + ".description"),
        )
        for c in table
    )
    body = Join((text("slack.help.intro"), *lines), separator="\n")  # type: ignore[arg-type]
    return Reply(title=text("commands.help_title"), body=body)


def _label(command: Command, option: str) -> Renderable:
    for suffix in ("description", "name"):
        key = f"{command.catalog_key}.opt.{option}.{suffix}"
        if i18n.has(key):
            return text(key)
    return Literal(option)


def upload_view(command: Command, options: dict[str, Any], origin: Origin, language: str) -> dict[str, Any]:
    """The modal of a command that takes a file: Slack's file input, and its other options prefilled."""
    others = [(name, _label(command, name), str(options.get(name, ""))) for name in command.option_names
              if name not in command.files]
    return render.upload_modal(render.COMMAND_CALLBACK + " ".join(command.path), text("slack.upload.title"),
                               text(command.catalog_key + ".description"),
                               [(name, _label(command, name)) for name in command.files], others, language,
                               origin.metadata())


async def jobb_command(ack: AsyncAck, command: dict[str, Any], context: dict[str, Any]) -> None:
    """Run `/jobb …` and answer where it was typed."""
    await ack()
    adapter: SlackAdapter = context["jobb"]
    origin = Origin(
        command["team_id"],
        command["user_id"],
        command.get("channel_id"),
        command.get("response_url"),
        command.get("trigger_id"),
    )
    identity: Identity | None = None
    try:
        identity = await adapter.identity(origin, command.get("user_name", ""))
        words = commands.split(command_line(command.get("text", "")))
        found, options = commands.parse(words, adapter.commands) if words else (None, {})
        if found is None or found.path == HELP:
            await adapter.answer(origin, help_reply(adapter.commands), await adapter.language(identity))
            return
        if found.files:
            # A slash command cannot carry a file: Slack's file input in a modal can.
            await adapter.open_view(
                origin, upload_view(found, options, origin, await adapter.language(identity))
            )
            return
        context_ = SlackCommandContext(adapter.app, identity)
        await adapter.answer_first(origin, identity, lambda: found.run(context_, dict(options)))
    except Exception as error:  # noqa: BLE001 - the one answer path: every error is told to the user
        await adapter.fail(origin, error, identity)
