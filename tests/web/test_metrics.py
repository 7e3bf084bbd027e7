"""/metrics: Prometheus's text format, the deliveries counted after a real dispatch, the backlog read from the
database, an interaction timed from its arrival in the Discord bot to its first response, Discord's 429s."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Self

import aiohttp
import discord
import pytest
from aiohttp import web
from prometheus_client.parser import text_string_to_metric_families

from bot.app import App
from bot.delivery import Throttled
from bot.discordbot.bot import JobbBot
from bot.metrics import Metrics
from bot.web.server import WebServer
from tests.conftest import START, RecordingNotifier
from tests.helpers import MockInteraction
from tests.web.conftest import get, pending_delivery


def samples(exposition: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Each sample of a scrape by its name and labels (parsed by the client library's own parser)."""
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(exposition) for sample in family.samples}


async def scrape(server: WebServer) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    status, body = await get(server, "/metrics")
    assert status == 200
    return samples(body)


async def test_metrics_are_served_in_the_text_format_with_the_process_metrics(server: WebServer):
    status, body = await get(server, "/metrics")

    assert status == 200
    names = {family.name for family in text_string_to_metric_families(body)}
    assert {"jobbskaparna_interactions_received", "jobbskaparna_interaction_first_response_seconds",
            "jobbskaparna_deliveries", "jobbskaparna_rate_limited_responses",
            "jobbskaparna_dispatcher_lag_seconds", "jobbskaparna_deliveries_pending"} <= names
    assert "process_resident_memory_bytes" in body
    assert "python_info" in body


async def test_the_backlog_is_read_from_the_database_when_scraped(app: App, server: WebServer):
    await pending_delivery(app, START - timedelta(seconds=300), key="late")
    await pending_delivery(app, START + timedelta(hours=2), key="tonight")

    scraped = await scrape(server)

    assert scraped[("jobbskaparna_dispatcher_lag_seconds", ())] == 300.0
    assert scraped[("jobbskaparna_deliveries_pending", ())] == 2.0


class ThrottlingOnce(RecordingNotifier):
    """Posts are throttled the first time (429, wait 0 s), then go out."""

    throttled = False

    async def post(self, workspace, channel, reply, *, nonce=None):
        if not self.throttled:
            self.throttled = True
            raise Throttled(0)
        return await super().post(workspace, channel, reply, nonce=nonce)


class Failing(RecordingNotifier):
    async def post(self, workspace, channel, reply, *, nonce=None):
        raise ConnectionError("the platform is down")


async def test_the_deliveries_of_a_dispatch_run_are_counted_by_platform_and_outcome(app: App,
                                                                                    server: WebServer):
    notifier = ThrottlingOnce()
    app.dispatcher.notifier = notifier
    await pending_delivery(app, START - timedelta(minutes=1), key="a")
    await pending_delivery(app, START - timedelta(minutes=1), key="b")

    report = await app.dispatcher.run_due()
    scraped = await scrape(server)

    assert report.sent == 2
    assert len(notifier.sent) == 2
    assert scraped[("jobbskaparna_deliveries_total", (("outcome", "sent"), ("platform", "test")))] == 2.0
    assert scraped[("jobbskaparna_deliveries_total", (("outcome", "throttled"), ("platform", "test")))] == 1.0
    # Sent: nothing waits any more.
    assert scraped[("jobbskaparna_deliveries_pending", ())] == 0.0


async def test_a_send_that_failed_is_counted_as_to_retry_and_then_sent(app: App, server: WebServer, clock):
    app.dispatcher.notifier = Failing()
    await pending_delivery(app, START - timedelta(minutes=1))
    await app.dispatcher.run_due()
    failed = await scrape(server)

    app.dispatcher.notifier = RecordingNotifier()
    clock.advance(timedelta(hours=1))
    await app.dispatcher.run_due()
    sent = await scrape(server)

    assert failed[("jobbskaparna_deliveries_total", (("outcome", "retry"), ("platform", "test")))] == 1.0
    assert ("jobbskaparna_deliveries_total", (("outcome", "sent"), ("platform", "test"))) not in failed
    assert sent[("jobbskaparna_deliveries_total", (("outcome", "sent"), ("platform", "test")))] == 1.0


class FakeDiscordAPI:
    """Answers an interaction's callback (204) and refuses a channel message (429), as Discord does."""

    def __init__(self) -> None:
        self.web = web.Application()
        self.web.router.add_post("/api/v10/interactions/{id}/{token}/callback", self.callback)
        self.web.router.add_post("/api/v10/channels/{id}/messages", self.limited)
        self.runner = web.AppRunner(self.web)
        self.base = ""

    async def callback(self, request: web.Request) -> web.Response:
        return web.Response(status=204)

    async def limited(self, request: web.Request) -> web.Response:
        return web.json_response(
            {"message": "You are being rate limited.", "retry_after": 0.1, "global": False}, status=429)

    async def __aenter__(self) -> Self:
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.base = f"http://127.0.0.1:{self.runner.addresses[0][1]}/api/v10"
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.runner.cleanup()


@pytest.fixture
async def discord_api() -> AsyncIterator[FakeDiscordAPI]:
    async with FakeDiscordAPI() as api:
        yield api


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_an_interaction_is_timed_from_its_arrival_to_its_callback_and_a_429_is_counted(
        app: App, server: WebServer, discord_api: FakeDiscordAPI):
    bot = JobbBot(app)
    pressed = MockInteraction(type=discord.InteractionType.component, id=1234567890)
    async with bot:
        # As discord.py does when the gateway delivers it.
        bot.dispatch("interaction", pressed)
        # The requests go through the session discord.py makes, with the bot's trace.
        async with aiohttp.ClientSession(trace_configs=[bot.http.http_trace]) as session:
            async with session.post(f"{discord_api.base}/interactions/1234567890/a-token/callback") as first:
                assert first.status == 204
            # A follow-up through the same callback changes nothing: only the first response is timed.
            async with session.post(f"{discord_api.base}/interactions/1234567890/a-token/callback"):
                pass
            async with session.post(f"{discord_api.base}/channels/42/messages") as refused:
                assert refused.status == 429
        scraped = await scrape(server)

    button = (("kind", "button"), ("platform", "discord"))
    assert scraped[("jobbskaparna_interactions_received_total", button)] == 1.0
    assert scraped[("jobbskaparna_interaction_first_response_seconds_count", button)] == 1.0
    assert 0 < scraped[("jobbskaparna_interaction_first_response_seconds_sum", button)] < 10
    assert scraped[("jobbskaparna_rate_limited_responses_total", (("platform", "discord"),))] == 1.0


def test_each_app_counts_in_a_registry_of_its_own():
    first, second = Metrics(), Metrics()
    first.throttled_by("discord")

    assert b'jobbskaparna_rate_limited_responses_total{platform="discord"} 1.0' in first.exposition()
    assert b'jobbskaparna_rate_limited_responses_total{platform="discord"}' not in second.exposition()


def test_interactions_never_answered_are_forgotten_beyond_a_bound(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr("bot.metrics.MAX_UNANSWERED", 3)
    metrics = Metrics()
    for key in ("1", "2", "3", "4"):
        metrics.received("discord", "command", key)

    metrics.answered("1")  # forgotten: the oldest went when the fourth came
    metrics.answered("4")

    exposition = metrics.exposition().decode()
    assert 'jobbskaparna_interactions_received_total{kind="command",platform="discord"} 4.0' in exposition
    assert 'jobbskaparna_interaction_first_response_seconds_count{kind="command",platform="discord"} 1.0' \
        in exposition
