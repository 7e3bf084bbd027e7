"""The endpoint settings: unset, discord.py talks to Discord; set, to the server they name (a test server)."""

from __future__ import annotations

import discord
import pytest
import yarl

from bot.config import load_settings
from bot.discordbot.runner import apply_endpoints


@pytest.fixture(autouse=True)
def _restore_endpoints(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let monkeypatch put discord.py's class attributes back after each test; ignore the caller's env."""
    monkeypatch.delenv("DISCORD_API_BASE", raising=False)
    monkeypatch.delenv("DISCORD_GATEWAY_URL", raising=False)
    monkeypatch.setattr(discord.http.Route, "BASE", discord.http.Route.BASE)
    monkeypatch.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY",
                        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)


def test_unset_endpoints_leave_discord_itself():
    apply_endpoints(load_settings(_env_file=None))

    assert discord.http.Route.BASE == "https://discord.com/api/v10"
    assert discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY == yarl.URL("wss://gateway.discord.gg/")


def test_set_endpoints_point_discord_py_elsewhere():
    settings = load_settings(_env_file=None, discord_api_base="http://127.0.0.1:8080/api/v10/",
                             discord_gateway_url="ws://127.0.0.1:8080/gateway")

    apply_endpoints(settings)

    assert discord.http.Route.BASE == "http://127.0.0.1:8080/api/v10"
    assert discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY == yarl.URL("ws://127.0.0.1:8080/gateway")
