"""What members write to the bot: a message in its DM (the app's Messages tab), or one mentioning it.

The listener only turns the event into who wrote, where and what (a Said), hands it to the core
(App.converse) and answers where it was written: in the DM, or in the thread of the message that mentioned
the bot. What to answer is the core's to decide.

Bolt acknowledges an event before its listener runs (unless process_before_response, when the listener runs
first). Slack delivers an event again when it had no acknowledgement within three seconds, or the connection
dropped: a message is answered once, however often it arrives (SlackAdapter.first_delivery).
"""

from __future__ import annotations

import re
from typing import Any

from bot.replies import Reply
from bot.services.context import Identity
from bot.services.conversation import Said, Where
from bot.slack.adapter import Origin, SlackAdapter

# Slack escapes these three in message text (and only these); user and channel references stay as written.
_ESCAPES = (("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&"))
# Slack wraps a link as <https://…> or <https://…|what it showed>: the member wrote the address.
_LINK = re.compile(r"<((?:https?|mailto):[^|>]+)(?:\|[^>]*)?>")


def said_text(raw: str, bot_user_id: str | None) -> str:
    """What the member wrote: the bot's mentions taken out, links as addresses, Slack's escapes decoded,
    trimmed."""
    if bot_user_id:
        raw = re.sub(rf"[ \t]*<@{re.escape(bot_user_id)}(?:\|[^>]*)?>", "", raw)
    raw = _LINK.sub(lambda link: link.group(1).removeprefix("mailto:"), raw)
    for escaped, plain in _ESCAPES:
        raw = raw.replace(escaped, plain)
    return raw.strip()


def written_by_a_person(event: dict[str, Any], bot_user_id: str | None) -> bool:
    """A new message a person wrote: not one of a bot (this one included), not an edit, a deletion, a join,
    a thread broadcast or any other subtype."""
    user = event.get("user")
    return (not event.get("subtype") and not event.get("bot_id") and "edited" not in event
            and bool(user) and user != bot_user_id)


async def direct_message(body: dict[str, Any], event: dict[str, Any], context: dict[str, Any]) -> None:
    """A message in the bot's DM (message.im); messages in channels are answered only when they mention it."""
    if event.get("channel_type") == "im":
        await _converse(body, event, context)


async def mention(body: dict[str, Any], event: dict[str, Any], context: dict[str, Any]) -> None:
    """A message mentioning the bot (app_mention); Slack sends none for DMs, but one would be a DM."""
    await _converse(body, event, context)


def _in_dm(event: dict[str, Any]) -> bool:
    return event.get("channel_type") == "im" or str(event.get("channel", "")).startswith("D")


async def _converse(body: dict[str, Any], event: dict[str, Any], context: dict[str, Any]) -> None:
    adapter: SlackAdapter = context["jobb"]
    bot_user_id = context.get("bot_user_id")
    if not written_by_a_person(event, bot_user_id):
        return
    channel, ts = event.get("channel", ""), event.get("ts", "")
    # By the message, not the event: a retry, and a DM that would come as message.im and as app_mention, are
    # one message.
    if not await adapter.first_delivery(f"{channel}/{ts}" if channel and ts else body.get("event_id", "")):
        return
    in_dm = _in_dm(event)
    # A mention is answered in its thread (one that starts at it, when it stood alone); a DM in the thread it
    # was written in, if any.
    thread = event.get("thread_ts") or (None if in_dm else ts or None)
    team = event.get("team") or body.get("team_id") or context.get("team_id") or ""
    origin = Origin(team, event["user"], channel or None, thread_ts=thread)
    said = Said(said_text(event.get("text") or "", bot_user_id), Where.DM if in_dm else Where.MENTION)
    identity: Identity | None = None
    try:
        identity = await adapter.identity(origin)
        conversing = identity

        async def answer() -> Reply | None:
            reply = await adapter.app.converse(conversing, said)
            return None if reply is None else await adapter.offer_form(origin, reply)

        await adapter.answer_first(origin, identity, answer)
    except Exception as error:  # noqa: BLE001 - the one answer path: every error is told to the user
        await adapter.fail(origin, error, identity)
