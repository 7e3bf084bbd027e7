"""Every Slack listener, registered in one place (as slack-samples/bolt-python-starter-template does)."""

from __future__ import annotations

import re

from slack_bolt.async_app import AsyncApp

from bot.slack import render
from bot.slack.listeners import actions, commands, events, messages, views


def register(app: AsyncApp) -> None:
    """Register the slash command, the buttons, the modals, the events and what members write to the bot."""
    app.command(render.COMMAND)(commands.jobb_command)
    app.action(re.compile("^" + re.escape(render.LINK_ACTION)))(actions.link_pressed)
    app.action(re.compile(r"^jb:"))(actions.button_pressed)
    app.view(re.compile("^" + re.escape(render.FORM_CALLBACK)))(views.form_submitted)
    app.view(re.compile("^" + re.escape(render.COMMAND_CALLBACK)))(views.command_form_submitted)
    app.event("team_join")(events.team_join)
    app.event("member_joined_channel")(events.member_joined_channel)
    # Every message event (edits and joins too, which it ignores), so that each is acknowledged.
    app.event("message")(messages.direct_message)
    app.event("app_mention")(messages.mention)
