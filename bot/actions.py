"""Buttons and forms by name: every platform looks up the same handler, so a button works after a restart."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Member
from bot.replies import Form, Reply
from bot.services.context import Actor

ActionHandler = Callable[[AsyncSession, Actor, str], Awaitable[Reply]]
FormHandler = Callable[[AsyncSession, Actor, Mapping[str, str], str], Awaitable[Reply]]
# The form a button opens, from the presser's member row (None before they have one) and the button's arg;
# None when the button has more to say than the form (then its action handler answers).
FormOpener = Callable[[Member | None, str], Form | None]
# The decorators hand back the function as it is, so calling it directly keeps its own signature (defaults).
_Action = TypeVar("_Action", bound=ActionHandler)
_Form = TypeVar("_Form", bound=FormHandler)
_Opener = TypeVar("_Opener", bound=FormOpener)

_ACTIONS: dict[str, ActionHandler] = {}
_FORMS: dict[str, FormHandler] = {}
_OPENERS: dict[str, FormOpener] = {}


def action(name: str) -> Callable[[_Action], _Action]:
    """Register what a button with this action name does; the button's arg is passed along."""

    def register(fn: _Action) -> _Action:
        _ACTIONS[name] = fn
        return fn

    return register


def form(form_id: str) -> Callable[[_Form], _Form]:
    """Register what submitting a form does with its values."""

    def register(fn: _Form) -> _Form:
        _FORMS[form_id] = fn
        return fn

    return register


def opens_form(name: str) -> Callable[[_Opener], _Opener]:
    """Register that a button with this action opens a form: it is answered with the form at once, with no
    unit of work before it (a modal must be the interaction's first answer, and a burst must not queue it)."""

    def register(fn: _Opener) -> _Opener:
        _OPENERS[name] = fn
        return fn

    return register


def form_opener(name: str) -> FormOpener | None:
    """Return how a button opens its form at once, if it does."""
    return _OPENERS.get(name)


def action_handler(name: str) -> ActionHandler | None:
    """Return the handler of a button action."""
    return _ACTIONS.get(name)


def form_handler(form_id: str) -> FormHandler | None:
    """Return the handler of a form."""
    return _FORMS.get(form_id)
