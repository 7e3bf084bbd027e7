"""Errors a user can read: each carries a catalog key, never a sentence in code."""

from __future__ import annotations

from typing import Any

from bot.replies import Text


class UserError(Exception):
    """A request the bot refuses, with a friendly reason; nothing was changed."""

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.text = Text(key, params)
        # Set by App.run to the language of the user who hit the error.
        self.language: str | None = None


class NotCoordinator(UserError):
    """The command is for coordinators."""

    def __init__(self) -> None:
        super().__init__("errors.coordinator_only")
