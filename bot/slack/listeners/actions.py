"""Buttons (block_actions): every button names a core action, so it works in any message after any restart."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck

from bot.replies import parse_custom_id
from bot.services.context import Identity
from bot.slack import render
from bot.slack.adapter import Origin, SlackAdapter

log = logging.getLogger(__name__)


def origin_of(body: dict[str, Any]) -> Origin:
    """Where a button was pressed: its message's channel, the response_url, the trigger for a modal."""
    user = body.get("user") or {}
    team = (body.get("team") or {}).get("id") or user.get("team_id") or ""
    container = body.get("container") or {}
    channel = (body.get("channel") or {}).get("id") or container.get("channel_id")
    return Origin(team, user.get("id", ""), channel, body.get("response_url"), body.get("trigger_id"),
                  from_message=container.get("type") == "message")


async def button_pressed(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], context: dict[str, Any]
                         ) -> None:
    """Run a pressed button's action and answer with its reply (a modal, when it opens a form)."""
    await ack()
    adapter: SlackAdapter = context["jobb"]
    origin = origin_of(body)
    parsed = parse_custom_id(action.get("action_id", ""))
    if parsed is None:
        return
    identity: Identity | None = None
    try:
        identity = await adapter.identity(origin, (body.get("user") or {}).get("name", ""))
        pressed = identity
        if parsed[0] == render.OPEN_FORM_ACTION:
            form = await adapter.waiting_form(origin, parsed[1])
            await adapter.open_form(origin, form, await adapter.language(pressed))
            return
        opened = await adapter.app.opened_form(pressed, *parsed)
        if opened is not None:
            await adapter.open_form(origin, *opened)
            return
        await adapter.answer_first(origin, pressed, lambda: adapter.app.press(pressed, *parsed))
    except Exception as error:  # noqa: BLE001 - the one answer path: every error is told to the user
        await adapter.fail(origin, error, identity)


async def link_pressed(ack: AsyncAck) -> None:
    """A link button opens its page in the browser; Slack still tells the app, which only acknowledges."""
    await ack()
