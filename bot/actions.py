"""Buttons and forms by name: every platform looks up the same handler, so a button works after a restart."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from sqlalchemy.ext.asyncio import AsyncSession

from bot.replies import Reply
from bot.services.context import Actor

ActionHandler = Callable[[AsyncSession, Actor, str], Awaitable[Reply]]
FormHandler = Callable[[AsyncSession, Actor, Mapping[str, str], str], Awaitable[Reply]]

_ACTIONS: dict[str, ActionHandler] = {}
_FORMS: dict[str, FormHandler] = {}


def action(name: str) -> Callable[[ActionHandler], ActionHandler]:
    """Register what a button with this action name does; the button's arg is passed along."""

    def register(fn: ActionHandler) -> ActionHandler:
        _ACTIONS[name] = fn
        return fn

    return register


def form(form_id: str) -> Callable[[FormHandler], FormHandler]:
    """Register what submitting a form does with its values."""

    def register(fn: FormHandler) -> FormHandler:
        _FORMS[form_id] = fn
        return fn

    return register


def action_handler(name: str) -> ActionHandler | None:
    """Return the handler of a button action."""
    return _ACTIONS.get(name)


def form_handler(form_id: str) -> FormHandler | None:
    """Return the handler of a form."""
    return _FORMS.get(form_id)
