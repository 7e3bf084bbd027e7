"""Modal submissions (view_submission): forms, and commands that take files.

A form is checked before the modal closes, so a problem shows under its field (or, when it concerns no one
field, on top of the modal), and what was entered stays. Slack waits three seconds for that answer; a
submission that takes longer closes the modal and answers by message when it is done.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck

from bot import commands
from bot.app import Answering
from bot.errors import UserError
from bot.replies import Reply
from bot.services.context import Identity
from bot.slack import render
from bot.slack.adapter import Origin, SlackAdapter, read_metadata
from bot.slack.listeners.commands import SlackCommandContext

log = logging.getLogger(__name__)

# How long a submission may take before the modal is closed without waiting (Slack allows three seconds).
ACK_BUDGET = 2.0


def modal_origin(body: dict[str, Any], metadata: dict[str, Any]) -> Origin:
    """Where the submitted modal was opened; its answer goes there."""
    user = body.get("user") or {}
    team = (body.get("team") or {}).get("id") or user.get("team_id") or ""
    return Origin.of_modal(team, user.get("id", ""), body.get("trigger_id"), metadata)


async def form_submitted(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: dict[str, Any]
                         ) -> None:
    """Hand a submitted form to the core; show its problems in the modal, or close it and answer."""
    adapter: SlackAdapter = context["jobb"]
    metadata = read_metadata(view)
    origin = modal_origin(body, metadata)
    form_id = view["callback_id"].removeprefix(render.FORM_CALLBACK)
    values = render.read_values(view.get("state", {}).get("values", {}))
    holder: dict[str, Identity] = {}

    async def submit() -> tuple[Reply, str, Answering]:
        identity = await adapter.identity(origin, (body.get("user") or {}).get("name", ""))
        holder["identity"] = identity
        # The effects wait until the modal is closed and the answer given (SlackAdapter.finish).
        async with adapter.app.answering(then_carry_out=False) as answering:
            reply = await adapter.app.submit(identity, form_id, values, str(metadata.get("arg", "")))
        return reply, answering.language or await adapter.language(identity), answering

    task = asyncio.ensure_future(submit())
    done, _ = await asyncio.wait({task}, timeout=ACK_BUDGET)
    if not done:
        # Slow (the model, or Slack's rate limits on the effects): close the modal, answer when done.
        await ack()
        adapter_task = asyncio.ensure_future(_answer_later(adapter, origin, task, holder))
        _keep(adapter_task)
        return
    try:
        reply, language, answering = task.result()
    except UserError as error:
        language = error.language or adapter.app.settings.default_language
        errors = render.field_errors(error, metadata.get("labels") or {}, language)
        if errors:
            await ack(response_action="errors", errors=errors)
        else:
            await ack(response_action="update", view=render.refilled(view, values, error.text, language))
        return
    except Exception as error:  # noqa: BLE001 - the one answer path: every error is told to the user
        await ack()
        await adapter.fail(origin, error, holder.get("identity"))
        return
    if reply.form is not None:
        # The form leads to another (a confirmation): show it in place of this one.
        await ack(response_action="update", view=render.modal(reply.form, language, origin.metadata()))
        await adapter.finish(origin, answering)
        return
    await ack()
    try:
        await adapter.answer(origin, reply, language)
    except Exception as error:  # noqa: BLE001 - the form was saved; say that the answer could not be shown
        await adapter.fail(origin, error, holder.get("identity"))
    finally:
        await adapter.finish(origin, answering)


_background: set[asyncio.Task[None]] = set()


def _keep(task: asyncio.Task[None]) -> None:
    """Keep a reference to a background answer until it is done (the loop holds tasks only weakly)."""
    _background.add(task)
    task.add_done_callback(_background.discard)


async def _answer_later(
    adapter: SlackAdapter,
    origin: Origin,
    task: asyncio.Future[tuple[Reply, str, Answering]],
    holder: dict[str, Identity],
) -> None:
    answering: Answering | None = None
    try:
        reply, language, answering = await task
        if reply.form is not None:
            await adapter.fail(origin, UserError("errors.form_expired"), holder.get("identity"))
            return
        await adapter.answer(origin, reply, language)
    except Exception as error:  # noqa: BLE001 - the one answer path: every error is told to the user
        await adapter.fail(origin, error, holder.get("identity"))
    finally:
        if answering is not None:
            await adapter.finish(origin, answering)


async def command_form_submitted(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any],
                                 context: dict[str, Any]) -> None:
    """Run a command with the file (and options) given in its modal; the answer comes as a message."""
    # Reading the file may take longer than Slack waits: close the modal first.
    await ack()
    adapter: SlackAdapter = context["jobb"]
    metadata = read_metadata(view)
    origin = modal_origin(body, metadata)
    identity: Identity | None = None
    try:
        identity = await adapter.identity(origin, (body.get("user") or {}).get("name", ""))
        path = view["callback_id"].removeprefix(render.COMMAND_CALLBACK).split()
        command, _ = commands.find(path, adapter.commands)
        state = view.get("state", {}).get("values", {})
        options: dict[str, Any] = {name: value for name, value in render.read_values(state).items() if value}
        for name, files in render.uploaded_files(state).items():
            if files:
                options[name] = await adapter.download(files[0])
        context_ = SlackCommandContext(adapter.app, identity)
        await adapter.answer_first(origin, identity, lambda: command.run(context_, options))
    except Exception as error:  # noqa: BLE001 - the one answer path: every error is told to the user
        await adapter.fail(origin, error, identity)
