"""Settings fail fast: a bad value stops the program with one clear line, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import Settings, SettingsError, load_settings


@pytest.mark.parametrize(("override", "expected"), [
    ({"default_timezone": "Europe/Karlskrona"}, "DEFAULT_TIMEZONE: unknown time zone 'Europe/Karlskrona'"),
    ({"database_url": "not a url"}, "DATABASE_URL: is not a database URL"),
    ({"database_url": "postgresql://u@h/db"}, "DATABASE_URL: needs the async driver"),
    ({"database_url": "mysql+aiomysql://u@h/db"}, "DATABASE_URL: driver 'mysql+aiomysql' is not supported"),
    ({"discord_guild_ids": "123,abc"}, "DISCORD_GUILD_IDS: '123' is not a Discord guild id"),
    ({"default_language": "de"}, "DEFAULT_LANGUAGE: unsupported language 'de'"),
    ({"openai_base_url": "api.openai.com/v1"}, "OPENAI_BASE_URL: is not an http(s) URL"),
    ({"openai_timeout": 0}, "OPENAI_TIMEOUT: Input should be greater than 0"),
    ({"discord_api_base": "127.0.0.1:8080/api/v10"}, "DISCORD_API_BASE: is not a http or https URL"),
    ({"discord_gateway_url": "http://127.0.0.1:8080/gateway"}, "DISCORD_GATEWAY_URL: is not a ws or wss URL"),
    ({"board_url": "tavla.example.se"}, "BOARD_URL: must be the board's public address"),
    ({"board_url": "https://tavla.example.se/?x=1"}, "BOARD_URL: must be an address without ?… or #…"),
])
def test_a_bad_setting_is_one_clear_line(override: dict[str, str], expected: str):
    with pytest.raises(SettingsError) as raised:
        load_settings(_env_file=None, **override)

    assert str(raised.value).startswith("Setting " + expected)
    assert "\n" not in str(raised.value)


def test_defaults_need_nothing_set(tmp_path: Path):
    settings = load_settings(_env_file=None, data_dir=tmp_path)

    assert settings.discord_token is None
    assert settings.effective_database_url == f"sqlite+aiosqlite:///{tmp_path.resolve()}/jobbskaparna.db"
    assert settings.guild_ids == []


def test_the_board_turns_the_web_server_on_and_its_address_is_kept_without_a_trailing_slash():
    assert load_settings(_env_file=None).effective_web_port is None
    settings = load_settings(_env_file=None, board_url=" https://tavla.example.se/ ")
    assert settings.board_url == "https://tavla.example.se"
    assert settings.effective_web_port == 8080
    with_port = load_settings(_env_file=None, board_url="https://t.example", web_port=9000)
    assert with_port.effective_web_port == 9000
    assert load_settings(_env_file=None, board_url="").board_url is None


def test_guild_ids_are_read_as_a_list():
    settings = load_settings(_env_file=None, discord_guild_ids="123456789012345678, 223456789012345678")

    assert settings.guild_ids == [123456789012345678, 223456789012345678]


def test_the_program_stops_with_one_line_and_no_traceback(tmp_path: Path):
    env = {**os.environ, "DEFAULT_TIMEZONE": "Mars/Olympus", "DATA_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "migrate"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 2
    assert (
        result.stderr.strip()
        == "jobbskaparna: Setting DEFAULT_TIMEZONE: unknown time zone 'Mars/Olympus' (try "
        "Europe/Stockholm)"
    )
    assert "Traceback" not in result.stderr


def test_a_secret_is_never_shown_in_the_settings_repr():
    settings = load_settings(_env_file=None, discord_token="super-secret-token")

    assert "super-secret-token" not in repr(settings) and "super-secret-token" not in str(settings)


def test_env_example_documents_every_setting():
    example = (Path(__file__).resolve().parent.parent / ".env.example").read_text(encoding="utf-8")
    documented = {line.split("=")[0].lstrip("# ").strip() for line in example.splitlines() if "=" in line}

    assert {name.upper() for name in Settings.model_fields} <= documented
