"""Buttons that survive restarts, forms as modal pages, and answering an interaction with a Reply."""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

import discord
from discord import ui

from bot.discordbot.checks import identity_from
from bot.discordbot.render import (
    CUSTOM_ID_TEMPLATE,
    form_pages,
    message_kwargs,
    modal_title,
    page_items,
    read_values,
    render_text,
)
from bot.discordbot.tree import (
    EPHEMERAL_DEFERRAL,
    answer,
    handle_interaction_error,
    send_ephemeral,
)
from bot.errors import UserError
from bot.replies import Button, ButtonStyle, Form, FormField, Reply, text
from bot.services.context import Identity
from bot.validation import FieldProblem, FormProblems, whole_number

if TYPE_CHECKING:
    from bot.discordbot.bot import JobbBot

log = logging.getLogger(__name__)

# An answer not ready this long after the interaction was created is deferred (Discord allows three seconds).
DEFER_AFTER = 1.0
# A button of the adapter itself: open page N of a form whose earlier pages are kept in memory.
FORM_PAGE_ACTION = "discord.form_page"
# Modal custom_ids: discord.py finds an open modal by custom_id alone, so each gets a random token.
MODAL_PREFIX = "jbform:"
MODAL_TIMEOUT = 30 * 60.0
FORM_TTL = 60 * 60.0
MAX_FORMS = 2000


def _bot(interaction: discord.Interaction[Any]) -> JobbBot:
    return cast("JobbBot", interaction.client)


@dataclass
class FormState:
    """A form being filled in over several modal pages: what the user entered so far."""

    form: Form
    language: str
    values: dict[str, str]
    expires_at: float

    @property
    def pages(self) -> list[tuple[FormField, ...]]:
        return form_pages(self.form)

    def submitted_values(self) -> dict[str, str]:
        """Return a value for every field of the form, empty where nothing was entered."""
        return {f.name: self.values.get(f.name, "") for f in self.form.fields}


@dataclass
class FormSessions:
    """Forms in progress, by (user id, form id), in memory: a restart loses them, and the user starts over."""

    ttl: float = FORM_TTL
    max_forms: int = MAX_FORMS
    _forms: OrderedDict[tuple[int, str], FormState] = field(default_factory=OrderedDict)
    # Modals shown and not yet submitted, by custom_id, with when they expire.
    open_modals: dict[str, tuple[FormPageModal, float]] = field(default_factory=dict)

    def start(self, user_id: int, form: Form, language: str) -> FormState:
        """Begin a form for a user (replacing one they left half-done), prefilled with the form's values."""
        self._prune()
        state = FormState(form, language, dict(form.values), time.monotonic() + self.ttl)
        self._forms.pop((user_id, form.form_id), None)
        self._forms[(user_id, form.form_id)] = state
        while len(self._forms) > self.max_forms:
            self._forms.popitem(last=False)
        return state

    def get(self, user_id: int, form_id: str) -> FormState | None:
        """Return the user's form in progress, or None when there is none (or it expired)."""
        self._prune()
        return self._forms.get((user_id, form_id))

    def finish(self, user_id: int, form_id: str) -> None:
        """Forget a submitted form."""
        self._forms.pop((user_id, form_id), None)

    def shown(self, modal: FormPageModal) -> None:
        """Remember a modal that is being shown, until it is submitted or expires (the start or the lookup of
        its form, just before, let go of the expired ones)."""
        self.open_modals[modal.custom_id] = (modal, time.monotonic() + MODAL_TIMEOUT)

    def closed(self, modal: FormPageModal) -> None:
        """Forget a submitted modal, here and in discord.py's store."""
        self.open_modals.pop(modal.custom_id, None)
        modal.stop()

    def _prune(self) -> None:
        now = time.monotonic()
        for key in [k for k, state in self._forms.items() if state.expires_at <= now]:
            del self._forms[key]
        for modal, _ in [entry for entry in self.open_modals.values() if entry[1] <= now]:
            self.closed(modal)


class ActionButton(ui.DynamicItem[ui.Button[ui.View]], template=CUSTOM_ID_TEMPLATE):
    """Every button the bot sends: its custom_id names a core action, so it works after any restart."""

    def __init__(self, action: str, arg: str = "", *, label: str | None = None,
                 style: discord.ButtonStyle = discord.ButtonStyle.primary) -> None:
        super().__init__(ui.Button(label=label, style=style, custom_id=f"jb:{action}:{arg}"))
        self.action = action
        self.arg = arg

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: ui.Item[Any], match: re.Match[str], /
    ) -> ActionButton:
        """Rebuild the button from a pressed custom_id."""
        button = cast("ui.Button[ui.View]", item)
        return cls(match["action"], match["arg"], label=button.label, style=button.style)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Run the button's action and answer with its reply (a form it opens: at once)."""
        try:
            if self.action == FORM_PAGE_ACTION:
                await open_form_page(interaction, self.arg)
                return
            app = _bot(interaction).app
            identity = await identity_from(interaction)
            if not await opened_at_once(interaction, identity, self.action, self.arg):
                await answer_first(interaction, app.press, identity, self.action, self.arg)
        except Exception as error:  # noqa: BLE001 - discord.py would only log it; the user gets an answer
            await handle_interaction_error(interaction, error)


class FormPageModal(ui.Modal):
    """One page (at most five fields) of a form."""

    def __init__(self, sessions: FormSessions, state: FormState, page: int) -> None:
        pages = state.pages
        # No timeout of discord.py's: the modal is registered before it is shown (see show_modal), which
        # discord.py allows only for a modal without one; FormSessions expires it instead.
        super().__init__(title=modal_title(state.form, page, len(pages), state.language), timeout=None,
                         custom_id=f"{MODAL_PREFIX}{secrets.token_hex(4)}:{page}")
        self.sessions = sessions
        self.form_id = state.form.form_id
        self.language = state.language
        self.page = page
        self.page_count = len(pages)
        for item in page_items(pages[page], state.values, state.language):
            self.add_item(item)

    async def on_submit(self, interaction: discord.Interaction[Any], /) -> None:
        """Keep this page's values; show the next page's button, or submit the whole form."""
        try:
            await submit_page(interaction, self)
        finally:
            self.sessions.closed(self)

    # The signature of discord.ui.Modal.on_error; discord.py's Modal itself overrides BaseView.on_error (which
    # also takes the item) incompatibly, and mypy checks this override against both.
    async def on_error(  # type: ignore[override]
            self, interaction: discord.Interaction[Any], error: Exception, /) -> None:
        """Answer a failed submit."""
        await handle_interaction_error(interaction, error)


def build_modal(sessions: FormSessions, state: FormState, page: int) -> FormPageModal:
    """Build a form's modal page."""
    return FormPageModal(sessions, state, page)


async def show_modal(interaction: discord.Interaction[Any], sessions: FormSessions, state: FormState,
                     page: int) -> None:
    """Show a form's page as the answer to `interaction`.

    The modal is registered with discord.py before it is shown: discord.py would otherwise store it only once
    Discord has answered the request that shows it, and a submit that arrives first would be dropped
    unanswered.
    """
    modal = build_modal(sessions, state, page)
    sessions.shown(modal)
    interaction.client.add_view(modal)
    try:
        await interaction.response.send_modal(modal)
    except BaseException:
        sessions.closed(modal)
        raise


async def run_service(interaction: discord.Interaction[Any], call: Any, *args: Any, **kwargs: Any) -> None:
    """Run one service call as the interaction's user and answer with its Reply."""
    app = _bot(interaction).app
    await answer_first(interaction, app.run, await identity_from(interaction), call, *args, **kwargs)


async def run_form_service(interaction: discord.Interaction[Any], action: str, call: Any) -> None:
    """Run a command that opens a form: with the form at once, as its button does, when the form needs nothing
    written first (actions.opens_form); otherwise through its service."""
    identity = await identity_from(interaction)
    if not await opened_at_once(interaction, identity, action, ""):
        await answer_first(interaction, _bot(interaction).app.run, identity, call)


async def opened_at_once(
    interaction: discord.Interaction[Any], identity: Identity, action: str, arg: str
) -> bool:
    """Answer with the form that `action` opens, read without writing anything; False when it has none."""
    opened = await _bot(interaction).app.opened_form(identity, action, arg)
    if opened is None:
        return False
    await open_form(interaction, *opened)
    return True


async def answer_first(interaction: discord.Interaction[Any], run: Callable[..., Awaitable[Reply]],
                       identity: Identity, *args: Any, **kwargs: Any) -> None:
    """Run a core call (App.run, press or submit) and answer with its Reply, in the user's language; only then
    send its effects (posts, DMs, roles), and tell the user in a follow-up what they did not do as asked."""
    app = _bot(interaction).app
    async with app.answering() as answering:
        # A task of its own (it shares this context, so its effects are held like the rest), so that a call
        # that is still running when the interaction grows old can be deferred instead of failing.
        work = asyncio.ensure_future(run(identity, *args, **kwargs))
        if not interaction.response.is_done():
            await defer_if_late(interaction, work)
        reply = await work
        await send_reply(interaction, reply, answering.language or app.settings.default_language)
    # What the user is still to be told goes in a follow-up (the interaction lives 15 minutes), else by DM.
    await app.say_notices(answering, lambda reply, language: interaction.followup.send(
        **message_kwargs(reply, language)), (discord.HTTPException,))


async def defer_if_late(interaction: discord.Interaction[Any], work: asyncio.Future[Any]) -> None:
    """Defer the interaction when `work` is not done by DEFER_AFTER seconds after it was created.

    Discord gives an interaction three seconds for its first answer. When the whole group acts at once the
    answers queue for the one event loop; a deferral ("thinking…", or a pressed button's loading state) keeps
    every one of them from failing, and the answer replaces it when it is ready.
    """
    age = (discord.utils.utcnow() - interaction.created_at).total_seconds()
    try:
        await asyncio.wait_for(asyncio.shield(work), timeout=min(max(DEFER_AFTER - age, 0.0), DEFER_AFTER))
        return
    except TimeoutError:
        pass
    if interaction.response.is_done():
        return
    if interaction.type is discord.InteractionType.component:
        await interaction.response.defer()
    else:
        await interaction.response.defer(ephemeral=True, thinking=True)
        interaction.extras[EPHEMERAL_DEFERRAL] = True


async def send_reply(interaction: discord.Interaction[Any], reply: Reply, language: str) -> None:
    """Answer with a Reply already known to be in `language`."""
    if reply.form is not None:
        await open_form(interaction, reply.form, language)
        return
    deferred_update = interaction.response.type is discord.InteractionResponseType.deferred_message_update
    if reply.replaces_source and interaction.message is not None and (
            not interaction.response.is_done() or deferred_update):
        # Edit the message whose button was pressed; without buttons in the reply the old ones go away.
        kwargs = message_kwargs(reply, language, ephemeral=False)
        kwargs.setdefault("view", None)
        kwargs.setdefault("embed", None)
        kwargs.pop("files", None)
        if deferred_update:
            await interaction.edit_original_response(**kwargs)
        else:
            await interaction.response.edit_message(**kwargs)
        return
    await answer(interaction, **message_kwargs(reply, language))


async def open_form(interaction: discord.Interaction[Any], form: Form, language: str) -> None:
    """Start a form: open its first page, or offer a button that opens it when a modal cannot be shown now."""
    sessions = _bot(interaction).forms
    if interaction.response.is_done():
        # Discord opens a modal only as the first answer to an interaction (not after a defer).
        await send_reply(interaction, form_opener(sessions, interaction.user.id, form, language), language)
        return
    await show_modal(interaction, sessions, _started(sessions, interaction.user.id, form, language), 0)


def form_opener(sessions: FormSessions, user_id: int, form: Form, language: str) -> Reply:
    """Start a form for a user and return a reply whose button opens its first page: the answer where a modal
    cannot be shown (after a defer, or to a message, which is no interaction)."""
    _started(sessions, user_id, form, language)
    return _page_button_reply("form.open", "form.button.open", form.form_id, 0)


def _started(sessions: FormSessions, user_id: int, form: Form, language: str) -> FormState:
    state = sessions.start(user_id, form, language)
    if not state.pages:
        log.error("Form %s has no fields", form.form_id)
        raise UserError("errors.unknown_form")
    return state


async def open_form_page(interaction: discord.Interaction[Any], arg: str) -> None:
    """Open page N of a form in progress (the arg is "form_id/N"); say so when the form was lost."""
    form_id, _, page = arg.rpartition("/")
    sessions = _bot(interaction).forms
    state = sessions.get(interaction.user.id, form_id)
    page_number = whole_number(page)
    if state is None or page_number is None or not 0 <= page_number < len(state.pages):
        raise UserError("errors.form_expired")
    await show_modal(interaction, sessions, state, page_number)


async def submit_page(interaction: discord.Interaction[Any], modal: FormPageModal) -> None:
    """Keep a submitted page's values; on the last page hand the whole form to the core."""
    sessions = modal.sessions
    state = sessions.get(interaction.user.id, modal.form_id)
    if state is None:
        raise UserError("errors.form_expired")
    state.values.update(read_values(modal.children))
    next_page = modal.page + 1
    if next_page < modal.page_count:
        continuation = _page_button_reply("form.continue", "form.button.continue", modal.form_id, next_page,
                                          page=modal.page + 1, pages=modal.page_count)
        await send_reply(interaction, continuation, state.language)
        return
    bot = _bot(interaction)
    identity = await identity_from(interaction)
    form = state.form
    try:
        await answer_first(
            interaction, bot.app.submit, identity, form.form_id, state.submitted_values(), form.arg
        )
    except UserError as error:
        # Keep what was entered, so that fixing one field does not mean typing everything again.
        language = error.language or state.language
        retry = Reply(
            body=error.text,
            buttons=(
                Button(
                    text("form.button.fix"),
                    FORM_PAGE_ACTION,
                    f"{form.form_id}/{_problem_page(state, error)}",
                    style=ButtonStyle.SECONDARY,
                ),
            ),
        )
        await send_reply(interaction, retry, language)
        return
    sessions.finish(interaction.user.id, form.form_id)


def _page_button_reply(
    body_key: str, button_key: str, form_id: str, target_page: int, **params: Any
) -> Reply:
    return Reply(body=text(body_key, **params),
                 buttons=(Button(text(button_key), FORM_PAGE_ACTION, f"{form_id}/{target_page}"),))


def _problem_page(state: FormState, error: UserError) -> int:
    """Return the page of the first field the core refused, so the fix starts there."""
    problems = error.problems if isinstance(error, FormProblems) else [error]
    labels = [p.field_label for p in problems if isinstance(p, FieldProblem)]
    for number, fields in enumerate(state.pages):
        if any(f.label in labels for f in fields):
            return number
    return 0


async def answer_stale_modal(interaction: discord.Interaction[Any]) -> None:
    """Answer the submit of a modal this process does not know (shown before a restart, or expired)."""
    if interaction.type is not discord.InteractionType.modal_submit:
        return
    data: Mapping[str, Any] = interaction.data or {}
    custom_id = str(data.get("custom_id", ""))
    if not custom_id.startswith(MODAL_PREFIX) or custom_id in _bot(interaction).forms.open_modals:
        return
    if interaction.response.is_done():
        return
    try:
        language = await _bot(interaction).app.language_of(await identity_from(interaction))
        await send_ephemeral(interaction, content=render_text(text("errors.form_expired"), language))
    except Exception as error:  # noqa: BLE001 - same answer path as every other interaction
        await handle_interaction_error(interaction, error)
