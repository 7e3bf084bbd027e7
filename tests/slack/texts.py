"""Compare what Slack shows with what Discord shows: the same words, whatever the markup."""

from __future__ import annotations

import re
from typing import Any

from bot.discordbot.render import message_kwargs
from bot.replies import Reply
from tests.helpers import shown_text

# Discord timestamps <t:…>, Slack dates <!date^…|…>, mentions <@…>, <#…>, <!subteam^…>: each platform's own.
_TOKEN = re.compile(r"<[^<>]*>")
_WORD = re.compile(r"\w+")


def words(value: str) -> list[str]:
    """The words of a text, without markup, mentions or dates; `/jobb profile` counts as `/profile`."""
    value = _TOKEN.sub(" ", value.replace("/jobb ", "/"))
    value = value.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
    return _WORD.findall(value)


def discord_words(reply: Reply, language: str = "sv") -> list[str]:
    """The words Discord shows for a Reply (content, embed title, description and fields)."""
    return words(shown_text(message_kwargs(reply, language)))


def slack_text(message: dict[str, Any]) -> str:
    """All text a Slack message shows: header, sections, fields, context (not the notification fallback)."""
    parts: list[str] = []
    for block in message.get("blocks") or []:
        if block.get("type") in ("header", "section") and block.get("text"):
            parts.append(block["text"]["text"])
        for field in block.get("fields") or []:
            parts.append(field["text"])
        if block.get("type") == "context":
            parts += [element.get("text", "") for element in block.get("elements", [])]
    return "\n".join(parts)


def slack_words(message: dict[str, Any]) -> list[str]:
    """The words a Slack message shows."""
    return words(slack_text(message))


def button_ids(message: dict[str, Any]) -> list[str]:
    """The action_ids of a Slack message's buttons (link buttons left out)."""
    return [element["action_id"] for block in message.get("blocks") or [] if block.get("type") == "actions"
            for element in block["elements"] if "url" not in element]
