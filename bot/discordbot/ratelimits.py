"""Discord's limits, kept cheaply: one pacer below the global limit, and a bounded table of per-route buckets.

Discord allows a bot 50 requests a second (fixed one-second windows) on top of the per-route buckets that
discord.py tracks. discord.py meets the global limit only by running into it: a 429, a pause, and what it held
back arrives at once in the next window. `GlobalPacer` sends below the limit instead, so a fan-out keeps the
ceiling busy without being refused; it sits in aiohttp's request-start hook (discord.py's `http_trace`), the
last step before a request goes on the wire, so it sees every attempt (retries too) after discord.py's own
per-route and global waits, and nothing is spawned per request.

discord.py keeps a bucket per route and major parameter, so a DM to each of N members leaves N buckets, and
past 256 it scans them all each time it adds one (about N²/2 checks for a fan-out: 30 s of CPU at 20,000).
`BoundedHTTPClient` keeps the table near 256 instead, dropping the oldest buckets that hold nothing back.
"""

from __future__ import annotations

import asyncio
from collections import deque
from types import SimpleNamespace
from typing import cast

import aiohttp
import yarl
from discord.http import HTTPClient, Ratelimit, Route


class Pacer:
    """Let callers go at most `rate` a second, one after another in the order they came (first come, first
    served); a late wake-up may catch up by half an interval, never more."""

    # Any T seconds see at most rate·T + BURST turns (see _take): what pacers that share one limit leave for
    # each other (bot.processes.Budget).
    BURST = 1.5

    def __init__(self, rate: float) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.interval = 1.0 / rate
        # The loop time at which the next caller may go (a GCRA's "theoretical arrival time").
        self._next_at = float("-inf")
        self._waiting: deque[asyncio.Future[None]] = deque()
        # One timer for the whole line, armed for its head: no task and no timer per waiting caller.
        self._timer: asyncio.TimerHandle | None = None

    def set_rate(self, rate: float) -> None:
        """Go at `rate` a second from the next turn on (the processes of a platform share its global limit:
        bot.processes.Budget)."""
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.interval = 1.0 / rate

    @property
    def waiting(self) -> int:
        """Return how many callers wait for their turn."""
        return len(self._waiting)

    async def wait(self) -> None:
        """Return when it is the caller's turn; at once when nobody waits and the last turn is far enough
        back."""
        loop = asyncio.get_running_loop()
        if not self._waiting and self._take(loop.time()):
            return
        turn = loop.create_future()
        self._waiting.append(turn)
        if self._timer is None:
            self._timer = loop.call_at(self._next_at, self._release)
        # Cancelled while waiting: the future is cancelled too, and _release passes over it.
        await turn

    def _take(self, now: float) -> bool:
        """Take the turn at `now` if it has come, and plan the next one interval later."""
        if now < self._next_at:
            return False
        # A turn taken late moves the next one back by at most half an interval: a wake-up the event loop
        # delayed is mostly caught up, but time nobody used is not saved up as a burst. Any T seconds then see
        # at most rate·T + 1.5 turns: at 48 a second, 49 in a one-second window.
        self._next_at = max(now - self.interval / 2, self._next_at) + self.interval
        return True

    def _release(self) -> None:
        """Give the turn to the first caller still waiting, and arm the timer for the next one."""
        self._timer = None
        loop = asyncio.get_running_loop()
        while self._waiting and self._waiting[0].done():
            self._waiting.popleft()  # cancelled callers give their place up
        if self._waiting and self._take(loop.time()):
            self._waiting.popleft().set_result(None)
            while self._waiting and self._waiting[0].done():
                self._waiting.popleft()
        if self._waiting:
            self._timer = loop.call_at(self._next_at, self._release)


class GlobalPacer:
    """Pace every request to Discord's REST API that counts against the bot's global limit.

    Interaction responses and follow-ups (`/interactions/…`, `/webhooks/{application_id}/{token}…`) do not
    count, and must be answered within Discord's 3 seconds: they never wait. Neither does the gateway.
    """

    def __init__(self, rate: float) -> None:
        self.pacer = Pacer(rate)
        self._base: tuple[str, yarl.URL] | None = None
        # Requests that took their turn, and those that went without one (what the tests and the bench read).
        self.paced = 0
        self.exempt = 0

    def trace_config(self) -> aiohttp.TraceConfig:
        """Return the hook to give discord.py as `http_trace`: aiohttp awaits it before each request goes
        out."""
        config = aiohttp.TraceConfig()
        config.on_request_start.append(self._on_request_start)
        return config

    async def _on_request_start(self, session: aiohttp.ClientSession, context: SimpleNamespace,
                                params: aiohttp.TraceRequestStartParams) -> None:
        if self.counts(params.url):
            await self.pacer.wait()
            self.paced += 1
        else:
            self.exempt += 1

    def counts(self, url: yarl.URL) -> bool:
        """Tell whether a request to this URL counts against the global limit."""
        base = self._api_base()
        if url.host != base.host or url.port != base.port or not url.path.startswith(base.path + "/"):
            return False  # the gateway, the CDN
        parts = url.path[len(base.path):].split("/")
        # ['', 'interactions', id, token, 'callback'] and ['', 'webhooks', id, token, …]; a webhook by its id
        # alone (['', 'webhooks', id]) is the bot's own request and counts.
        return not (parts[1] == "interactions" or (parts[1] == "webhooks" and len(parts) > 3))

    def _api_base(self) -> yarl.URL:
        # Read at each request: the settings may point discord.py elsewhere after the bot was made (tests).
        if self._base is None or self._base[0] != Route.BASE:
            self._base = (Route.BASE, yarl.URL(Route.BASE.rstrip("/")))
        return self._base[1]


class BoundedHTTPClient(HTTPClient):
    """discord.py's HTTP client, whose table of per-route buckets stays near MAX_BUCKETS however many channels
    the bot writes to.

    discord.py calls `_try_clear_expired_ratelimits` each time it adds a bucket; its own version scans the
    whole table once there are 256, dropping only buckets unused for five minutes, so in a fan-out the table
    grows with the recipients and so does every scan. Here each new bucket past the bound looks at the oldest
    few instead, and drops those that hold nothing back: no request in or waiting, and either requests left or
    their window over. Dropping such a bucket loses nothing: a new one lets one request through, which brings
    the route's headers back.
    """

    # discord.py's own threshold: below it nothing changes.
    MAX_BUCKETS = 256
    # Buckets looked at for each one added past the bound: more than one, so the table shrinks after a burst.
    PRUNE_STEP = 4
    # A bucket used this recently (seconds) may belong to a request between taking it and acquiring it.
    GRACE = 1.0

    @classmethod
    def adopt(cls, http: HTTPClient) -> BoundedHTTPClient:
        """Make discord.py's client (already handed to the connection state and the command tree) one of ours.

        The subclass adds behaviour only, no state, so changing the instance's class keeps every reference.
        """
        http.__class__ = cls
        return cast(BoundedHTTPClient, http)

    def _try_clear_expired_ratelimits(self) -> None:
        """Drop a few of the oldest buckets that hold nothing back, once the table is past its bound."""
        buckets = self._buckets
        # While the global limit holds requests back, some of them have taken a bucket and not acquired it
        # yet.
        if len(buckets) <= self.MAX_BUCKETS or not self._global_over.is_set():
            return
        now = asyncio.get_running_loop().time()
        for _ in range(self.PRUNE_STEP):
            key = next(iter(buckets))
            bucket = buckets.pop(key)
            if not self._idle(bucket, now):
                buckets[key] = bucket  # still needed: to the back of the line
            if len(buckets) <= self.MAX_BUCKETS:
                break

    def _idle(self, bucket: Ratelimit, now: float) -> bool:
        """Tell whether a bucket holds nothing back, so that dropping it changes nothing."""
        in_use = bucket.outgoing or bucket._pending_requests or bucket._sleeping.locked()
        if in_use or now - bucket._last_request < self.GRACE:
            return False
        return bucket.remaining > 0 or bucket.expires is None or bucket.is_expired()
