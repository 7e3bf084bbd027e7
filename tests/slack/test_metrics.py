"""Slack's part of the metrics: each command, button and form timed from its receipt to the ack, the 429s
Slack answers counted, events not taken for interactions."""

from __future__ import annotations

from bot.metrics import Metrics
from bot.slack.app import web_client
from tests.slack.conftest import GENERAL, Slack
from tests.slack.fakeslack import BOT_TOKEN, FakeSlack


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
