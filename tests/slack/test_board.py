"""/jobb board on Slack: the same one-time link, answered privately, for coordinators only."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.config import Settings, load_settings
from tests.slack.conftest import SETUP_LINE, Slack
from tests.slack.texts import slack_text


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return load_settings(database_url=database_url, data_dir=tmp_path / "data", output_dir=tmp_path / "out",
                         board_url="https://tavla.example.se", _env_file=None)


async def test_a_coordinator_gets_the_link_privately_and_a_member_is_refused(slack: Slack):
    await slack.command("UKIM", SETUP_LINE)

    _, number = await slack.command("UKIM", "tavlan")
    [answer] = slack.fake.responses_to(number)
    assert answer["response_type"] == "ephemeral"
    assert "https://tavla.example.se/board/login/" in json.dumps(answer)
    assert "Din länk till kampanjtavlan" in slack_text(answer)

    _, number = await slack.command("UANNA", "board")
    [refused] = slack.fake.responses_to(number)
    assert refused["response_type"] == "ephemeral"
    assert "/board/login/" not in json.dumps(refused)
