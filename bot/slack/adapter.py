"""What the Slack listeners share: who acts, where to answer, and answering with a Reply in Block Kit.

A Slack answer goes where the user acted: through the request's response_url (ephemeral for a private
reply, in the channel for a public one; it works in channels the bot is not in), else in the channel (in
the thread of the message it answers), else by DM. Forms open as modals; a reply to a message offers its
form by a button. Files are uploaded where the answer goes, or by DM when the answer is private.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient
from sqlalchemy import and_, delete, or_, select

from bot import commands
from bot.app import Answering, App
from bot.commands import CommandError, Upload
from bot.db import insert_or_ignore
from bot.errors import UserError
from bot.models import SlackEvent, SlackForm
from bot.replies import Button, Form, Renderable, Reply, Text, form_from_json, form_to_json, text
from bot.services.context import Identity
from bot.slack import render
from bot.slack.directory import Directory, error_of
from bot.slack.notifier import SlackNotifier, upload

log = logging.getLogger(__name__)

RATE_LIMIT_RETRIES = 3
# Slack answers these when a modal's trigger (valid three seconds, usable once) can no longer open it.
STALE_TRIGGER = {"expired_trigger_id", "invalid_trigger_id", "exchanged_trigger_id"}
# Files a user uploads into a modal are read up to this size; the service judges what it accepts.
MAX_DOWNLOAD = 8_000_000
DOWNLOAD_TIMEOUT = 30.0
# Slack delivers an event again when it got no answer within three seconds (or the connection dropped), and
# in Socket Mode to any of the app's connected processes: the events are kept in the database (slack_event)
# for EVENT_MEMORY (Slack retries within minutes), so that none is answered twice, whichever process it
# reaches. The ids of this many recent events are kept in memory too: a repeat to the same process costs no
# query.
SEEN_EVENTS = 5000
EVENT_MEMORY = timedelta(hours=1)
# Forms offered by a button in a message (a message gives no trigger to open a modal with), kept in the
# database until opened, on whichever process the press reaches, for FORM_MEMORY (then the button says the
# form expired).
FORM_MEMORY = timedelta(days=1)
# How often a process sweeps what is older than these from the tables (one DELETE each).
SWEEP_EVERY = timedelta(minutes=10)


@dataclass(frozen=True)
class Origin:
    """Where a user acted in Slack, and so where the bot answers."""

    team_id: str
    user_id: str
    channel_id: str | None = None
    response_url: str | None = None
    trigger_id: str | None = None
    # A button on a message: an answer with replaces_source replaces that message.
    from_message: bool = False
    # A message written in a thread (or mentioning the bot in a channel): the answer goes in that thread.
    thread_ts: str | None = None

    @property
    def in_dm(self) -> bool:
        return bool(self.channel_id and self.channel_id.startswith("D"))

    def metadata(self) -> dict[str, Any]:
        """What a modal keeps of where it was opened, so that its answer goes there."""
        return {"channel": self.channel_id, "response_url": self.response_url}

    @classmethod
    def of_modal(
        cls, team_id: str, user_id: str, trigger_id: str | None, metadata: Mapping[str, Any]
    ) -> Origin:
        """Where a submitted modal was opened."""
        return cls(team_id, user_id, metadata.get("channel"), metadata.get("response_url"), trigger_id)


def read_metadata(view: Mapping[str, Any]) -> dict[str, Any]:
    """A modal's private_metadata, as written by render.modal."""
    try:
        data = json.loads(view.get("private_metadata") or "{}")
    except json.JSONDecodeError:
        return {}
    return data if isinstance(data, dict) else {}


class SlackAdapter:
    """The App on Slack: identities, answers, forms and files; the notifier for deliveries."""

    def __init__(self, app: App, client: AsyncWebClient) -> None:
        self.app = app
        self.client = client
        self.directory = Directory(client)
        self.notifier = SlackNotifier(client, self.directory)
        self.commands = commands.all_commands()
        self._seen_events: OrderedDict[str, None] = OrderedDict()
        self._swept_events: datetime | None = None
        self._swept_forms: datetime | None = None

    # -- who acts --------------------------------------------------------------------------------------------

    async def identity(self, origin: Origin, fallback_name: str = "") -> Identity:
        """Describe the acting user to the core."""
        return await self.directory.identity(origin.team_id, origin.user_id, fallback_name)

    async def language(self, identity: Identity) -> str:
        """The language to answer a user in."""
        return await self.app.language_of(identity)

    async def first_delivery(self, key: str) -> bool:
        """True the first time an event (known by `key`) arrives at any process; False when Slack delivers it
        again. An event without a key cannot be told from another: it is answered."""
        if not key:
            return True
        if key in self._seen_events:
            self._seen_events.move_to_end(key)
            return False
        self._seen_events[key] = None
        while len(self._seen_events) > SEEN_EVENTS:
            self._seen_events.popitem(last=False)
        now = self.app.clock.now()
        async with self.app.sessionmaker() as session, session.begin():
            # Insert-or-ignore: of two processes given the same event, one inserts it and answers.
            inserted = await session.execute(insert_or_ignore(session, SlackEvent, ("key",),
                                                              {"key": key[:250], "seen_at": now}))
            if self._swept_events is None or now - self._swept_events >= SWEEP_EVERY:
                self._swept_events = now
                await session.execute(delete(SlackEvent).where(SlackEvent.seen_at < now - EVENT_MEMORY))
        return bool(getattr(inserted, "rowcount", 0))

    # -- answering -------------------------------------------------------------------------------------------

    async def answer_first(
        self, origin: Origin, identity: Identity, run: Callable[[], Awaitable[Reply | None]]
    ) -> None:
        """Run a core call and answer with its Reply in the user's language (None: say nothing); only then
        send its effects."""
        async with self.app.answering(then_carry_out=False) as answering:
            reply = await run()
        try:
            if reply is not None:
                await self.answer(origin, reply, answering.language or await self.language(identity))
        finally:
            await self.finish(origin, answering)

    async def finish(self, origin: Origin, answering: Answering) -> None:
        """Send what the answer held back, and tell the user (privately) what it could not do."""
        await self.app.finish(answering)
        await self.app.say_notices(answering, lambda reply, language: self.deliver(
            origin, render.message(reply, language), private=True), (SlackApiError, aiohttp.ClientError))

    async def answer(self, origin: Origin, reply: Reply, language: str) -> None:
        """Answer where the user acted: a message (private or public), the form it opens, its files."""
        if reply.form is not None:
            await self.open_form(origin, reply.form, language)
            return
        note: Renderable | None = None
        if reply.files and await self._upload(origin, reply):
            note = text("slack.files_in_dm")
        payload = render.message(reply, language)
        if note is not None:
            payload["blocks"].append({"type": "context", "elements": [
                {"type": "mrkdwn", "text": render.mrkdwn(note, language)}]})
        await self.deliver(origin, payload, private=reply.private,
                           replace=reply.replaces_source and origin.from_message)

    async def deliver(self, origin: Origin, payload: dict[str, Any], *, private: bool, replace: bool = False
                      ) -> None:
        """Send a rendered message to where the user acted, by the first way that works."""
        if origin.response_url:
            body = dict(payload)
            if replace:
                body["replace_original"] = True
            else:
                body["response_type"] = "ephemeral" if private else "in_channel"
            if await self._respond(origin.response_url, body):
                return
        if origin.channel_id and not origin.in_dm:
            try:
                if private:
                    await self.client.chat_postEphemeral(
                        channel=origin.channel_id, user=origin.user_id, thread_ts=origin.thread_ts, **payload
                    )
                else:
                    await self.client.chat_postMessage(
                        channel=origin.channel_id, thread_ts=origin.thread_ts, **payload
                    )
                return
            except SlackApiError as exc:
                log.info(
                    "Could not answer in channel %s (%s); answering by DM", origin.channel_id, error_of(exc)
                )
        # A thread of the user's DM is answered in; a channel's thread does not exist in the DM.
        await self.client.chat_postMessage(channel=await self._dm_of(origin),
                                           thread_ts=origin.thread_ts if origin.in_dm else None, **payload)

    async def _respond(self, url: str, body: dict[str, Any]) -> bool:
        """Post to a response_url (valid 30 minutes, five times); False when Slack no longer takes it."""
        webhook = AsyncWebhookClient(
            url, retry_handlers=[AsyncRateLimitErrorRetryHandler(RATE_LIMIT_RETRIES)]
        )
        try:
            response = await webhook.send_dict(body)
        except aiohttp.ClientError:
            log.warning("Could not reach a response_url", exc_info=True)
            return False
        if response.status_code != 200:
            log.info("A response_url answered %s (%s)", response.status_code, response.body)
            return False
        return True

    async def _upload(self, origin: Origin, reply: Reply) -> bool:
        """Upload a reply's files where its answer goes; return True when they went to the DM instead."""
        if not reply.private and origin.channel_id:
            try:
                await upload(self.client, origin.channel_id, reply.files)
                return False
            except SlackApiError as exc:
                log.info("Could not upload into channel %s (%s); sending the files by DM", origin.channel_id,
                         error_of(exc))
        channel = await self._dm_of(origin)
        await upload(self.client, channel, reply.files)
        return channel != origin.channel_id

    async def _dm_of(self, origin: Origin) -> str:
        """The DM the user acted in, or else their DM with the bot."""
        if origin.in_dm and origin.channel_id:
            return origin.channel_id
        return await self.directory.dm_channel(origin.user_id)

    async def open_form(self, origin: Origin, form: Form, language: str) -> None:
        """Open a form as a modal; its answer goes where the form was opened."""
        await self.open_view(origin, render.modal(form, language, origin.metadata()))

    async def offer_form(self, origin: Origin, reply: Reply) -> Reply:
        """A reply to a message cannot open its form (a modal needs the trigger of a click): keep the form for
        the user in the database (the press may reach another process), and answer with a button that opens
        it."""
        form = reply.form
        if form is None:
            return reply
        now = self.app.clock.now()
        mine = (SlackForm.team_id == origin.team_id, SlackForm.user_id == origin.user_id,
                SlackForm.form_id == form.form_id)
        async with self.app.sessionmaker() as session, session.begin():
            # The newest offer of a form replaces an older one; now and then, what nobody opened in time goes.
            stale = and_(*mine)
            if self._swept_forms is None or now - self._swept_forms >= SWEEP_EVERY:
                self._swept_forms = now
                stale = or_(stale, SlackForm.created_at < now - FORM_MEMORY)
            await session.execute(delete(SlackForm).where(stale))
            session.add(SlackForm(team_id=origin.team_id, user_id=origin.user_id, form_id=form.form_id,
                                  form=form_to_json(form), created_at=now))
        opener = Button(text("form.button.open"), render.OPEN_FORM_ACTION, form.form_id)
        return Reply(body=text("form.open"), buttons=(opener,), private=reply.private)

    async def waiting_form(self, origin: Origin, form_id: str) -> Form:
        """The form offered to the user by offer_form; a form no longer kept has expired."""
        async with self.app.deferred_sessionmaker() as session:
            stored = await session.scalar(select(SlackForm.form).where(
                SlackForm.team_id == origin.team_id, SlackForm.user_id == origin.user_id,
                SlackForm.form_id == form_id, SlackForm.created_at >= self.app.clock.now() - FORM_MEMORY))
        if stored is None:
            raise UserError("errors.form_expired")
        return form_from_json(stored)

    async def open_view(self, origin: Origin, view: dict[str, Any]) -> None:
        """Open a modal with the request's trigger; a trigger that went stale is said as an expired form."""
        if not origin.trigger_id:
            raise UserError("errors.form_expired")
        try:
            await self.client.views_open(trigger_id=origin.trigger_id, view=view)
        except SlackApiError as exc:
            if error_of(exc) in STALE_TRIGGER:
                raise UserError("errors.form_expired") from exc
            raise

    async def fail(self, origin: Origin, error: BaseException, identity: Identity | None = None) -> None:
        """Tell the user what went wrong (only them); log what we did not expect with a code they can
        quote."""
        message, language = await self.explain(error, identity)
        try:
            await self.deliver(origin, render.message(Reply(body=message), language), private=True)
        except (SlackApiError, aiohttp.ClientError):
            log.warning("Could not tell user %s of team %s about an error", origin.user_id, origin.team_id,
                        exc_info=True)

    async def explain(self, error: BaseException, identity: Identity | None) -> tuple[Text, str]:
        """The text that tells a user about an error, and their language."""
        language = self.app.settings.default_language
        if isinstance(error, UserError) and error.language:
            language = error.language
        elif identity is not None:
            try:
                language = await self.language(identity)
            except Exception:  # the database may be what failed; the answer must still go out
                log.debug("Falling back to the default language", exc_info=True)
        if isinstance(error, UserError | CommandError):
            return error.text, language
        code = secrets.token_hex(4)
        log.error(
            "Unexpected error %s (user %s, team %s)",
            code,
            identity.user_external_id if identity else "?",
            identity.workspace_external_id if identity else "?",
            exc_info=error,
        )
        return text("errors.unexpected", code=code), language

    # -- files users give ------------------------------------------------------------------------------------

    async def download(self, file: Mapping[str, Any]) -> Upload:
        """Read a file a user uploaded into a modal (files:read), as a command's option takes it."""
        url = file.get("url_private_download") or file.get("url_private")
        if not url:
            raise UserError("errors.form_expired")
        headers = {"Authorization": f"Bearer {self.client.token}"}
        timeout = aiohttp.ClientTimeout(total=DOWNLOAD_TIMEOUT)
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.get(url, headers=headers) as response,
        ):
            response.raise_for_status()
            data = await response.content.read(MAX_DOWNLOAD + 1)
        return Upload(str(file.get("name") or file.get("title") or "file"), data)
