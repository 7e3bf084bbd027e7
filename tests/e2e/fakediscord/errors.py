"""Errors a REST handler raises to answer with Discord's error status and JSON body."""

from __future__ import annotations

from typing import Any

from . import payloads


class ApiError(Exception):
    """Answer the current request with ``status`` and ``{"code", "message"[, "errors"]}``."""

    def __init__(self, status: int, code: int, message: str, errors: dict[str, Any] | None = None) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status = status
        self.body = payloads.error(code, message, errors)


class InvalidFormBody(ApiError):
    """Answer 400 with code 50035 and the nested ``errors`` tree Discord uses."""

    def __init__(self, errors: dict[str, Any]) -> None:
        super().__init__(400, 50035, "Invalid Form Body", errors)


def not_found(what: str, code: int) -> ApiError:
    """Return a 404 ``Unknown <what>`` error."""
    return ApiError(404, code, f"Unknown {what}")


UNKNOWN_CHANNEL = 10003
UNKNOWN_GUILD = 10004
UNKNOWN_MEMBER = 10007
UNKNOWN_MESSAGE = 10008
UNKNOWN_ROLE = 10011
UNKNOWN_USER = 10013
UNKNOWN_WEBHOOK = 10015
UNKNOWN_INTERACTION = 10062
UNKNOWN_COMMAND = 10063
MAX_PINS = 30003
ALREADY_ACKNOWLEDGED = 40060
MISSING_ACCESS = 50001
EMPTY_MESSAGE = 50006
CANNOT_DM_USER = 50007
MISSING_PERMISSIONS = 50013
INVALID_WEBHOOK_TOKEN = 50027
INVALID_RECIPIENT = 50033
