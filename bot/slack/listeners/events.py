"""The welcome: someone joins the workspace (team_join), or someone new joins a channel the bot is in.

A federation that meets in its own workspace is welcomed on team_join. One that meets in a channel of a
bigger workspace invites the bot there: whoever joins that channel and has not been seen before is welcomed.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.services.context import Identity
from bot.slack.adapter import SlackAdapter
from bot.slack.directory import PLATFORM, user_from

log = logging.getLogger(__name__)


async def team_join(event: dict[str, Any], context: dict[str, Any]) -> None:
    """Welcome someone who joined the workspace, by DM (or in the welcome channel when Slack refuses it)."""
    adapter: SlackAdapter = context["jobb"]
    data = event.get("user") or {}
    if not data.get("id"):
        return
    user = user_from(data)
    if user.is_bot or user.deleted:
        return
    team = data.get("team_id") or context.get("team_id") or ""
    adapter.directory.remember(team, user)
    try:
        await adapter.app.member_joined(
            PLATFORM, team, await adapter.directory.team_name(team), user.id, user.name
        )
    except Exception:  # a listener has nobody to answer; the log must say who
        log.exception("Could not welcome user %s in team %s", user.id, team)


async def member_joined_channel(event: dict[str, Any], context: dict[str, Any]) -> None:
    """Welcome someone new who joined a channel the bot is in; people already known are not welcomed again."""
    adapter: SlackAdapter = context["jobb"]
    user_id = event.get("user", "")
    team = event.get("team") or context.get("team_id") or ""
    if not user_id or user_id == context.get("bot_user_id"):
        return
    try:
        if await adapter.app.has_member(Identity(PLATFORM, team, user_id, "")):
            return
        user = await adapter.directory.user(team, user_id)
        if user.is_bot or user.deleted:
            return
        await adapter.app.member_joined(
            PLATFORM, team, await adapter.directory.team_name(team), user_id, user.name
        )
    except Exception:  # a listener has nobody to answer; the log must say who
        log.exception(
            "Could not welcome user %s (joined channel %s) in team %s", user_id, event.get("channel"), team
        )
