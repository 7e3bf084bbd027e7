"""The first run's lines that the bot process tests (tests/e2e/test_first_run.py) cannot provoke: the gateway
refusing a token REST took, Discord refusing the commands' payload, an unexpected error, and the invite URL
the README gives."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import discord
import pytest

from bot import cli
from bot.discordbot.bot import sync_refusal
from bot.discordbot.runner import WRONG_TOKEN, start_error
from bot.discordbot.setupcheck import invite_url

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def closed(code: int) -> discord.ConnectionClosed:
    return discord.ConnectionClosed(SimpleNamespace(close_code=code), shard_id=None)  # type: ignore[arg-type]


def http_error(status: int, code: int, message: str) -> discord.HTTPException:
    response = SimpleNamespace(status=status, reason="")
    return discord.HTTPException(response, {"code": code, "message": message})  # type: ignore[arg-type]


def test_the_gateway_refusing_the_token_says_what_rest_refusing_it_says():
    # Discord refuses a wrong token on REST first; only a token reset between the two meets close 4004.
    explained = start_error(closed(4004), 1)

    assert explained is not None and (str(explained), explained.exit_code) == (WRONG_TOKEN, 2)
    assert str(start_error(discord.LoginFailure("Improper token has been passed."), None)) == WRONG_TOKEN


def test_a_close_the_bot_cannot_explain_is_left_as_it_is():
    assert start_error(closed(4000), 1) is None
    assert start_error(ValueError("a bug"), 1) is None


def test_the_invite_url_asks_for_what_the_readme_lists():
    url = invite_url(1234)

    assert url == ("https://discord.com/oauth2/authorize?client_id=1234&scope=bot+applications.commands"
                   "&permissions=2252092140145664")
    assert "permissions=2252092140145664" in README


def test_commands_refused_for_access_say_to_invite_again_and_a_refused_payload_says_what_discord_said():
    missing_access = sync_refusal(http_error(403, 50001, "Missing Access"), 1234)
    bad_payload = sync_refusal(http_error(400, 50035, "Invalid Form Body"), 1234)

    assert missing_access.startswith("Discord refused the slash commands (403 Missing Access): ")
    assert missing_access.endswith(f"invite it again with {invite_url(1234)}")
    assert bad_payload == ("Discord refused the slash commands (400, code 50035: Invalid Form Body): the "
                           "commands registered before keep working")


def test_an_unexpected_error_at_start_is_one_line_and_exit_code_1(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DISCORD_TOKEN", "x")

    def broken(command: str, settings: Any) -> int:
        raise RuntimeError("something nobody foresaw")

    monkeypatch.setattr(cli, "_discord", broken)

    assert cli.main(["run"]) == 1
    err = capsys.readouterr().err
    assert re.fullmatch(r"jobbskaparna: stopped by an unexpected error \(RuntimeError: something nobody "
                        r"foresaw\); LOG_LEVEL=DEBUG logs where it happened\n", err), err


def test_an_unexpected_error_in_another_command_is_not_hidden(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("a bug in migrate")

    monkeypatch.setattr("bot.db.migrate_sync", broken)

    with pytest.raises(RuntimeError, match="a bug in migrate"):
        cli.main(["migrate"])
