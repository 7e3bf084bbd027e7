"""Slack's part of the metrics and the readiness check: each command, button and form timed from its receipt
to the ack, the 429s Slack answers counted, events not taken for interactions; Slack's state as
/health/ready reads it in Socket Mode and in HTTP mode."""

from __future__ import annotations

from bot.app import App
from bot.clock import FrozenClock
from bot.config import Settings
from bot.metrics import Metrics
from bot.slack.app import web_client
from bot.slack.runner import SlackService
from tests.slack.conftest import GENERAL, SECRET, Slack
from tests.slack.fakeslack import APP_TOKEN, BOT_TOKEN, FakeSlack
from tests.slack.test_runner import slack_settings


def sample(metrics: Metrics, line_start: str) -> float | None:
    for line in metrics.exposition().decode().splitlines():
        if line.startswith(line_start + " "):
            return float(line.rsplit(" ", 1)[1])
    return None


async def test_a_command_and_a_button_are_counted_and_timed_to_their_ack(slack: Slack):
    response, _ = await slack.command("UANNA", "help")
    pressed, _ = await slack.press("UANNA", "jb:no.such.action:1", channel=GENERAL)
    metrics = slack.app.metrics

    assert (response.status, pressed.status) == (200, 200)
    command = '{kind="command",platform="slack"}'
    button = '{kind="button",platform="slack"}'
    assert sample(metrics, "jobbskaparna_interactions_received_total" + command) == 1.0
    assert sample(metrics, "jobbskaparna_interaction_first_response_seconds_count" + command) == 1.0
    assert sample(metrics, "jobbskaparna_interaction_first_response_seconds_count" + button) == 1.0


async def test_an_event_is_not_an_interaction(slack: Slack):
    await slack.event({"type": "member_joined_channel", "user": "UBO", "channel": GENERAL})

    assert "jobbskaparna_interactions_received_total{" not in slack.app.metrics.exposition().decode()


async def test_each_429_slack_answers_is_counted(fake_slack: FakeSlack):
    metrics = Metrics()
    client = web_client(BOT_TOKEN, fake_slack.api_base, on_rate_limited=lambda: metrics.throttled_by("slack"))
    fake_slack.rate_limit("chat.postMessage", retry_after=0, times=2)

    await client.chat_postMessage(channel=GENERAL, text="Hej")

    assert [c.status for c in fake_slack.calls_to("chat.postMessage")] == [429, 429, 200]
    assert sample(metrics, 'jobbskaparna_rate_limited_responses_total{platform="slack"}') == 2.0


async def test_slack_is_ready_once_connected_in_socket_mode_and_closed_after(
        settings: Settings, clock: FrozenClock, fake_slack: FakeSlack):
    config = slack_settings(settings, fake_slack, slack_app_token=APP_TOKEN)
    app = App(config, clock)
    service = SlackService(app, config)
    try:
        before = await service.state()
        await service.start()
        connected = await service.state()
    finally:
        await service.close()
        await app.close()

    assert (before, connected, await service.state()) == ("connecting", "ok", "closed")


async def test_slack_is_ready_while_serving_in_http_mode(settings: Settings, clock: FrozenClock,
                                                         fake_slack: FakeSlack):
    config = slack_settings(settings, fake_slack, slack_signing_secret=SECRET)
    app = App(config, clock)
    service = SlackService(app, config)
    try:
        await service.start(host="127.0.0.1", port=0)
        serving = await service.state()
    finally:
        await service.close()
        await app.close()

    assert (serving, await service.state()) == ("ok", "closed")
