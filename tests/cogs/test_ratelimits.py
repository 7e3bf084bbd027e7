"""The pacer under Discord's global limit and the bounded bucket table, and what they rely on in discord.py.

discord.py is pinned to 2.7.x; the tests marked "pin" fail loudly when an upgrade changes what
bot/discordbot/ratelimits.py relies on. tests/e2e/test_delivery_limits.py runs both against the fake server.
"""

from __future__ import annotations

import asyncio
import inspect
import math
from collections import deque
from collections.abc import AsyncIterator
from pathlib import Path

import discord
import pytest
import pytest_asyncio
import yarl
from discord.http import HTTPClient, Ratelimit, Route

from bot.app import App
from bot.config import load_settings
from bot.discordbot.bot import JobbBot
from bot.discordbot.ratelimits import BoundedHTTPClient, GlobalPacer, Pacer

API = "https://discord.com/api/v10"


# --- the pacer ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("rate", [48.0, 45.0, 10.0])
def test_turns_never_exceed_the_rate_in_any_window(rate: float):
    pacer = Pacer(rate)
    # Callers that keep asking, and a clock that jumps ahead now and then (a busy event loop wakes late).
    times, now = [], 1000.0
    for step in range(5000):
        if pacer._take(now):
            times.append(now)
        now += pacer.interval / 7 if step % 50 else pacer.interval * 3
    assert len(times) > 500
    # Any one-second window, wherever it starts (Discord's windows start where they start):
    # rate + 1.5 at most.
    most = max(sum(1 for t in times[i:] if t < start + 1.0) for i, start in enumerate(times))
    assert most <= math.floor(rate + 1.5)


def test_a_pacer_that_was_idle_lets_the_next_caller_go_at_once():
    pacer = Pacer(10.0)
    assert pacer._take(5.0)
    assert not pacer._take(5.0)
    # Time nobody used is not saved up: after a long pause, one goes, then the next waits again.
    assert pacer._take(60.0)
    assert not pacer._take(60.0)


async def test_callers_take_their_turns_in_the_order_they_came():
    pacer = Pacer(1000.0)
    order: list[int] = []

    async def caller(number: int) -> None:
        await pacer.wait()
        order.append(number)

    async with asyncio.TaskGroup() as group:
        for number in range(20):
            group.create_task(caller(number))
            await asyncio.sleep(0)  # each asks before the next is made
    assert order == list(range(20))
    assert pacer.waiting == 0


async def test_a_caller_cancelled_while_waiting_gives_its_turn_up():
    pacer = Pacer(50.0)
    await pacer.wait()  # the first goes at once; the next ones wait
    second = asyncio.create_task(pacer.wait())
    third = asyncio.create_task(pacer.wait())
    await asyncio.sleep(0)
    assert pacer.waiting == 2
    second.cancel()
    await asyncio.wait_for(third, 5)
    assert second.cancelled() and pacer.waiting == 0


# --- what counts against the global limit ----------------------------------------------------------------


@pytest.mark.parametrize(("url", "counts"), [
    (f"{API}/channels/1/messages", True),
    (f"{API}/users/@me/channels", True),
    (f"{API}/guilds/1/members/2/roles/3", True),
    (f"{API}/webhooks/1", True),  # the bot's own request about a webhook
    (f"{API}/interactions/1/tok/callback", False),
    (f"{API}/webhooks/1/tok", False),  # a follow-up
    (f"{API}/webhooks/1/tok/messages/@original", False),
    ("wss://gateway.discord.gg/?v=10&encoding=json", False),
    ("https://cdn.discordapp.com/avatars/1/a.png", False),
])
def test_interaction_responses_the_gateway_and_the_cdn_are_not_paced(url: str, counts: bool,
                                                                      monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(Route, "BASE", API)
    assert GlobalPacer(48.0).counts(yarl.URL(url)) is counts


def test_the_api_base_is_read_when_the_request_is_made(monkeypatch: pytest.MonkeyPatch):
    pacer = GlobalPacer(48.0)
    monkeypatch.setattr(Route, "BASE", API)
    assert pacer.counts(yarl.URL(f"{API}/channels/1/messages"))
    monkeypatch.setattr(Route, "BASE", "http://127.0.0.1:8080/api/v10")
    assert pacer.counts(yarl.URL("http://127.0.0.1:8080/api/v10/channels/1/messages"))
    assert not pacer.counts(yarl.URL(f"{API}/channels/1/messages"))
    assert not pacer.counts(yarl.URL("http://127.0.0.1:8080/api/v10/interactions/1/tok/callback"))


# --- the bounded bucket table ------------------------------------------------------------------------------


@pytest_asyncio.fixture
async def http() -> AsyncIterator[BoundedHTTPClient]:
    """discord.py's HTTP client made ours, logged in as far as the bucket table cares."""
    client = BoundedHTTPClient.adopt(HTTPClient(asyncio.get_running_loop()))
    client._global_over = asyncio.Event()
    client._global_over.set()
    yield client


def used_by_one_dm(bucket: Ratelimit, *, ago: float) -> None:
    """Leave a bucket as one message to a DM channel leaves it: 4 of 5 left in a 5-second window."""
    now = asyncio.get_running_loop().time()
    bucket.limit, bucket.remaining, bucket.dirty = 5, 4, True
    bucket.reset_after, bucket.expires = 5.0, now - ago + 5.0
    bucket._last_request = now - ago


def dm_key(channel_id: int) -> str:
    return f"abcdef0123456789:{channel_id}"


async def test_a_fan_out_to_many_dm_channels_leaves_the_table_bounded(http: BoundedHTTPClient):
    for channel_id in range(5000):
        used_by_one_dm(http.get_ratelimit(dm_key(channel_id)), ago=BoundedHTTPClient.GRACE + 1)
        assert len(http._buckets) <= BoundedHTTPClient.MAX_BUCKETS
    assert dm_key(4999) in http._buckets  # the newest stay, the oldest went


async def test_buckets_that_hold_requests_back_are_kept(
    http: BoundedHTTPClient, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(BoundedHTTPClient, "GRACE", 60.0)  # "just now" is long enough ago for nothing else
    old = BoundedHTTPClient.GRACE + 1
    limited = http.get_ratelimit(dm_key(0))  # the oldest, so the first looked at
    used_by_one_dm(limited, ago=old)
    limited.remaining = 0  # its window is not over: dropping it would let a request run into a 429
    limited.expires = asyncio.get_running_loop().time() + 5
    busy = http.get_ratelimit(dm_key(1))
    used_by_one_dm(busy, ago=old)
    busy.outgoing = 1  # a request is in flight
    taken = http.get_ratelimit(dm_key(2))  # taken just now by a request that has not acquired it yet
    for channel_id in range(3, 2000):
        used_by_one_dm(http.get_ratelimit(dm_key(channel_id)), ago=old)

    assert http._buckets[dm_key(0)] is limited
    assert http._buckets[dm_key(1)] is busy
    assert http._buckets[dm_key(2)] is taken
    assert len(http._buckets) <= BoundedHTTPClient.MAX_BUCKETS

    # Once its window is over, the limited bucket may go like the others.
    limited.expires = asyncio.get_running_loop().time() - 1
    for channel_id in range(2000, 2000 + 2 * BoundedHTTPClient.MAX_BUCKETS):
        used_by_one_dm(http.get_ratelimit(dm_key(channel_id)), ago=old)
    assert dm_key(0) not in http._buckets


async def test_nothing_is_dropped_while_the_global_limit_holds_requests_back(http: BoundedHTTPClient):
    http._global_over.clear()
    for channel_id in range(BoundedHTTPClient.MAX_BUCKETS + 50):
        used_by_one_dm(http.get_ratelimit(dm_key(channel_id)), ago=BoundedHTTPClient.GRACE + 1)
    assert len(http._buckets) == BoundedHTTPClient.MAX_BUCKETS + 50


async def test_a_table_below_the_bound_is_left_as_discord_py_leaves_it(http: BoundedHTTPClient):
    for channel_id in range(BoundedHTTPClient.MAX_BUCKETS):
        used_by_one_dm(http.get_ratelimit(dm_key(channel_id)), ago=3600)
    assert len(http._buckets) == BoundedHTTPClient.MAX_BUCKETS


# --- pins: what the two rely on in discord.py -------------------------------------------------------------


async def test_pin_a_ratelimit_has_the_state_the_bound_reads():
    bucket = Ratelimit(None)
    assert (bucket.outgoing, bucket.remaining, bucket.expires) == (0, 1, None)
    assert isinstance(bucket._pending_requests, deque) and not bucket._pending_requests
    assert isinstance(bucket._sleeping, asyncio.Lock)
    assert isinstance(bucket._last_request, float)
    assert not bucket.is_expired()


def test_pin_a_request_takes_its_bucket_then_waits_only_for_the_global_limit_before_acquiring_it():
    # The bound's GRACE and its pause during a global 429 cover the only wait between taking a bucket and
    # acquiring it; a new wait there would let the bound drop a bucket a request is about to use.
    source = inspect.getsource(HTTPClient.request)
    taken = source.index("ratelimit = self.get_ratelimit(key)")
    waits = source.index("await self._global_over.wait()")
    acquired = source.index("async with ratelimit:")
    assert taken < waits < acquired
    assert source[taken:acquired].count("await ") == 1
    # And a new bucket is what calls the method the bound replaces.
    assert "self._try_clear_expired_ratelimits()" in inspect.getsource(HTTPClient.get_ratelimit)


def test_pin_discord_py_hands_its_http_trace_to_the_session_of_every_request():
    # The pacer is an aiohttp request-start hook; interaction responses share the session (and are exempted
    # by their path).
    assert "trace_configs=None if self.http_trace is None else [self.http_trace]" in inspect.getsource(
        HTTPClient.static_login)
    assert "_HTTPClient__session" in inspect.getsource(discord.Interaction.__init__)


async def test_pin_the_bot_paces_and_bounds_the_one_http_client_every_part_of_discord_py_uses(tmp_path: Path):
    app = App(load_settings(_env_file=None, data_dir=tmp_path, discord_global_rate=40))
    try:
        bot = JobbBot(app)
        assert isinstance(bot.http, BoundedHTTPClient)
        # Changing the instance's class reached the connection state and the command tree: one client.
        assert bot._connection.http is bot.http
        assert bot.tree._http is bot.http
        assert bot.http.http_trace is not None
        assert bot.http.http_trace.on_request_start == [bot.pacer._on_request_start]
        assert bot.pacer.pacer.rate == 40
    finally:
        await app.close()
