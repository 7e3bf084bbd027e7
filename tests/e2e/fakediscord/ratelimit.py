"""Per-route and global rate limits with Discord's headers and 429 bodies.

Discord's buckets are fixed windows: the first request opens a window of ``window`` seconds
that allows ``limit`` requests; the ``X-RateLimit-*`` headers describe it. A request over the
limit gets 429 with ``retry_after``. discord.py only honours a 429 that carries a ``Via``
header (otherwise it assumes a Cloudflare ban), so the server adds one to every response.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

MESSAGES_BUCKET = "POST /channels/{channel_id}/messages"
# Editing messages has a bucket of its own per channel, as tight as posting: a message kept up to date (a live
# tally) may be edited about five times in five seconds, whatever else goes on in its channel.
EDITS_BUCKET = "PATCH /channels/{channel_id}/messages/{message_id}"


@dataclass(frozen=True)
class RateLimitConfig:
    """Limits the fake enforces (windows in seconds); ``enabled=False`` turns them all off."""

    message_limit: int = 5
    message_window: float = 5.0
    edit_limit: int = 5
    edit_window: float = 5.0
    route_limit: int = 50
    route_window: float = 1.0
    global_limit: int = 50
    global_window: float = 1.0
    enabled: bool = True


@dataclass
class Decision:
    """The outcome for one request: extra headers, and a 429 body if it was refused."""

    headers: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] | None = None
    is_global: bool = False

    @property
    def allowed(self) -> bool:
        """Return True if the request may proceed."""
        return self.body is None


class Window:
    """A fixed window allowing ``limit`` hits per ``length`` seconds."""

    def __init__(self, limit: int, length: float) -> None:
        self.limit = limit
        self.length = length
        self.remaining = limit
        self.resets_at = 0.0

    def hit(self, now: float) -> bool:
        """Consume one hit if available; return False when exhausted."""
        if now >= self.resets_at:
            self.remaining = self.limit
            self.resets_at = now + self.length
        if self.remaining <= 0:
            return False
        self.remaining -= 1
        return True

    def reset_after(self, now: float) -> float:
        """Return the seconds until the window resets."""
        return max(self.resets_at - now, 0.0)


class RateLimiter:
    """Decide per request whether it is within the route bucket and the global limit."""

    def __init__(self, config: RateLimitConfig, clock: Callable[[], float] = time.monotonic) -> None:
        self.config = config
        self._clock = clock
        self._global = Window(config.global_limit, config.global_window)
        self._buckets: dict[tuple[str, str], Window] = {}
        self.limited = 0
        self.limited_global = 0

    def check(self, route: str, major: str, *, global_exempt: bool) -> Decision:
        """Apply the global limit, then the route's bucket; return headers and maybe a 429 body."""
        if not self.config.enabled:
            return Decision()
        now = self._clock()
        if not global_exempt and not self._global.hit(now):
            retry = self._global.reset_after(now)
            self.limited += 1
            self.limited_global += 1
            return Decision(
                headers={
                    "Retry-After": str(math.ceil(retry)),
                    "X-RateLimit-Global": "true",
                    "X-RateLimit-Scope": "global",
                },
                body=_too_many(retry, is_global=True),
                is_global=True,
            )
        limit, length = self._limit_for(route)
        window = self._buckets.setdefault((route, major), Window(limit, length))
        allowed = window.hit(now)
        reset_after = window.reset_after(now)
        headers = {
            "X-RateLimit-Limit": str(window.limit),
            "X-RateLimit-Remaining": str(window.remaining),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            # Discord's bucket hash names the route, shared across its major parameters.
            "X-RateLimit-Bucket": hashlib.md5(route.encode()).hexdigest()[:16],
        }
        if allowed:
            return Decision(headers=headers)
        self.limited += 1
        headers.update({"Retry-After": str(math.ceil(reset_after)), "X-RateLimit-Scope": "user"})
        return Decision(headers=headers, body=_too_many(reset_after, is_global=False))

    def _limit_for(self, route: str) -> tuple[int, float]:
        if route == MESSAGES_BUCKET:
            return self.config.message_limit, self.config.message_window
        if route == EDITS_BUCKET:
            return self.config.edit_limit, self.config.edit_window
        return self.config.route_limit, self.config.route_window


def _too_many(retry_after: float, *, is_global: bool) -> dict[str, Any]:
    return {
        "message": "You are being rate limited.",
        "retry_after": round(retry_after, 3),
        "global": is_global,
    }
