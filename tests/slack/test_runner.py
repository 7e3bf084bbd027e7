"""Running on Slack: Socket Mode against the fake's websocket, HTTP mode on a local port,
and what `run` picks."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest

from bot import cli
from bot.app import App
from bot.clock import FrozenClock
from bot.config import Settings, SettingsError, load_settings
from bot.slack.runner import EVENTS_PATH, SlackService
from tests.slack.conftest import SECRET, sign
from tests.slack.fakeslack import APP_TOKEN, BOT_TOKEN, TEAM_ID, FakeSlack


def slack_settings(settings: Settings, fake: FakeSlack, **changes: Any) -> Settings:
    return load_settings(
        _env_file=None,
        database_url=settings.database_url,
        data_dir=settings.data_dir,
        output_dir=settings.output_dir,
        slack_bot_token=BOT_TOKEN,
        slack_api_base=fake.api_base,
        **changes,
    )


async def eventually(check: Callable[[], bool], seconds: float = 10.0) -> None:
    for _ in range(int(seconds / 0.02)):
        if check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the condition did not hold in time")


def command_payload(fake: FakeSlack, text: str) -> dict[str, str]:
    return {
        "team_id": TEAM_ID,
        "channel_id": "C1",
        "user_id": "UANNA",
        "user_name": "anna",
        "command": "/jobb",
        "text": text,
        "response_url": fake.response_url(7),
        "trigger_id": "trigger-7",
        "api_app_id": "A0JOBB",
    }


async def test_socket_mode_connects_without_a_public_url_and_serves_a_command(
        settings: Settings, clock: FrozenClock, fake_slack: FakeSlack):
    config = slack_settings(settings, fake_slack, slack_app_token=APP_TOKEN)
    app = App(config, clock)
    service = SlackService(app, config)
    try:
        await service.start()
        [_opened] = fake_slack.calls_to("apps.connections.open")

        ack = await fake_slack.send_envelope("slash_commands", command_payload(fake_slack, "help"))
        await eventually(lambda: bool(fake_slack.responses_to(7)))

        assert ack["envelope_id"].startswith("env-")
        assert "`/jobb fråga skapa`" in json.dumps(fake_slack.responses_to(7)[0], ensure_ascii=False)
        assert app.dispatcher.platforms == {"slack"} and app.scheduler.running
    finally:
        await service.close()
        await app.close()


async def test_http_mode_serves_signed_requests_on_its_port_and_refuses_unsigned_ones(
        settings: Settings, clock: FrozenClock, fake_slack: FakeSlack):
    config = slack_settings(settings, fake_slack, slack_signing_secret=SECRET)
    app = App(config, clock)
    service = SlackService(app, config)
    try:
        await service.start(host="127.0.0.1", port=0)
        url = f"http://127.0.0.1:{service.port}{EVENTS_PATH}"
        body = urlencode(command_payload(fake_slack, "help"))
        signed = sign(body, "application/x-www-form-urlencoded")
        headers = {name: values[0] for name, values in signed.headers.items()}
        async with aiohttp.ClientSession() as session:
            async with session.post(url, data=body.encode(), headers=headers) as response:
                assert response.status == 200
            async with session.post(
                url, data=body.encode(), headers={**headers, "x-slack-signature": "v0=0"}
            ) as bad:
                assert bad.status == 401
        await eventually(lambda: bool(fake_slack.responses_to(7)))
        assert len(fake_slack.responses_to(7)) == 1
    finally:
        await service.close()
        await app.close()


def test_a_bot_token_alone_is_not_enough(tmp_path):
    config = load_settings(_env_file=None, data_dir=tmp_path, slack_bot_token=BOT_TOKEN)

    assert not config.slack_enabled
    with pytest.raises(SettingsError, match="SLACK_APP_TOKEN: is required for Socket Mode"):
        SlackService(App(config), config)


@pytest.mark.parametrize(("tokens", "expected"), [
    ({}, "console"),
    ({"discord_token": "d"}, "run"),
    ({"slack_bot_token": BOT_TOKEN, "slack_app_token": APP_TOKEN}, "slack"),
    ({"slack_bot_token": BOT_TOKEN, "slack_signing_secret": "s"}, "slack"),
    ({"discord_token": "d", "slack_bot_token": BOT_TOKEN, "slack_app_token": APP_TOKEN}, "both"),
])
def test_run_picks_the_platforms_whose_tokens_are_set(tmp_path, tokens: dict[str, str], expected: str):
    assert cli._platform_command(load_settings(_env_file=None, data_dir=tmp_path, **tokens)) == expected


def test_run_with_a_bot_token_but_no_app_token_stops_with_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)

    assert cli.main(["run"]) == 2
    assert capsys.readouterr().err.strip().startswith("jobbskaparna: Setting SLACK_APP_TOKEN: is required")


def test_slack_without_tokens_stops_with_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)

    assert cli.main(["slack"]) == 2
    assert (
        capsys.readouterr().err.strip()
        == "jobbskaparna: Setting SLACK_BOT_TOKEN: is required to run on Slack"
    )


@pytest.mark.parametrize(("override", "expected"), [
    ({"slack_bot_token": "xapp-1"}, "SLACK_BOT_TOKEN: is not a Slack bot token (it starts with xoxb-)"),
    ({"slack_app_token": "xoxb-1"}, "SLACK_APP_TOKEN: is not a Slack app-level token (it starts with xapp-)"),
    ({"slack_api_base": "slack.com/api"}, "SLACK_API_BASE: is not a http or https URL"),
])
def test_a_bad_slack_setting_is_one_clear_line(override: dict[str, str], expected: str):
    with pytest.raises(SettingsError) as raised:
        load_settings(_env_file=None, **override)

    assert str(raised.value).startswith("Setting " + expected)
