"""Run the Slack app: Socket Mode with an app-level token (no public URL), or HTTP with the signing secret."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from contextlib import contextmanager

import aiohttp
from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_sdk.errors import SlackApiError

from bot.app import App
from bot.clock import SystemClock
from bot.config import Settings, SettingsError
from bot.platforms import EXIT_CONFIGURATION, StartError, database_explained, stop_signals
from bot.slack.app import DEFAULT_API_BASE, build_app, web_client
from bot.slack.directory import PLATFORM
from bot.web import CLOSED, CONNECTING, OK
from bot.web.server import serving

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
# Slack's answers to a token it does not take: wrong, revoked (the app removed), or of the wrong kind.
REFUSED_TOKEN = frozenset({"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired",
                           "not_allowed_token_type"})
BOT_TOKEN_FIX = ("copy the Bot User OAuth Token again from https://api.slack.com/apps → your app → "
                 "OAuth & Permissions (install the app again if it was removed)")
APP_TOKEN_FIX = ("generate an app-level token with the scope connections:write at "
                 "https://api.slack.com/apps → your app → Basic Information → App-Level Tokens")


def check_settings(settings: Settings) -> None:
    """Refuse to start without what the chosen mode needs, in one line."""
    if settings.slack_bot_token is None:
        raise SettingsError("Setting SLACK_BOT_TOKEN: is required to run on Slack")
    if settings.slack_app_token is None and settings.slack_signing_secret is None:
        raise SettingsError(
            "Setting SLACK_APP_TOKEN: is required for Socket Mode (or set SLACK_SIGNING_SECRET "
            "to serve Slack over HTTP)"
        )


class SlackService:
    """The Slack side of a process: the bolt app over a (possibly shared) App, connected or listening."""

    def __init__(self, app: App, settings: Settings) -> None:
        check_settings(settings)
        assert settings.slack_bot_token is not None
        self.app = app
        self.settings = settings
        self.client = web_client(settings.slack_bot_token.get_secret_value(), settings.slack_api_base,
                                 on_rate_limited=lambda: app.metrics.throttled_by(PLATFORM))
        secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else ""
        self.bolt, self.adapter = build_app(app, self.client, signing_secret=secret)
        self._handler: AsyncSocketModeHandler | None = None
        self._runner: web.AppRunner | None = None
        self.port: int | None = None
        self._closed = False

    @property
    def socket_mode(self) -> bool:
        return self.settings.slack_app_token is not None

    async def start(self, *, host: str = "0.0.0.0", port: int | None = None) -> None:  # Slack calls in
        """Check the bot token, start the App's deliveries for Slack, connect (Socket Mode) or listen (HTTP).

        A token Slack refuses, or Slack out of reach, stops the start with a StartError of one line.
        """
        with self._explained("SLACK_BOT_TOKEN", BOT_TOKEN_FIX):
            await self.client.auth_test()
        with database_explained(self.settings.effective_database_url):
            await self.app.start(self.adapter.notifier, platform=PLATFORM)
        if self.socket_mode:
            assert self.settings.slack_app_token is not None
            app_token = self.settings.slack_app_token.get_secret_value()
            self._handler = AsyncSocketModeHandler(self.bolt, app_token, web_client=self.client)
            with self._explained("SLACK_APP_TOKEN", APP_TOKEN_FIX):
                # Asked here, not by the Socket Mode client, which would log and retry a refused token
                # forever; it connects to the address it is given.
                opened = await self.client.apps_connections_open(app_token=app_token)
            self._handler.client.wss_uri = opened["url"]
            await self._handler.connect_async()
            log.info("Connected to Slack in Socket Mode")
            return
        self._runner = web.AppRunner(self.bolt.web_app(path=EVENTS_PATH))
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, self.settings.slack_http_port if port is None else port)
        await site.start()
        # The port actually bound (port 0 picks a free one).
        self.port = int(self._runner.addresses[0][1])
        log.info("Serving Slack over HTTP on port %s at %s", self.port, EVENTS_PATH)

    async def state(self) -> str:
        """Slack's state for /health/ready: "ok" while connected (Socket Mode) or listening (HTTP)."""
        if self._closed:
            return CLOSED
        if self._handler is not None:
            # The Socket Mode connection (not the Web API client: it calls no Slack method).
            connection = self._handler.client
            return OK if await connection.is_connected() else CONNECTING
        return OK if self._runner is not None else CONNECTING

    @contextmanager
    def _explained(self, setting: str, fix: str) -> Iterator[None]:
        """Turn a refused token or an unreachable Slack into a StartError of one line."""
        try:
            yield
        except SlackApiError as error:
            code = error.response.get("error")
            if code in REFUSED_TOKEN:
                raise StartError(f"{setting} is not accepted by Slack ({code}): {fix}", EXIT_CONFIGURATION) \
                    from error
            raise StartError(f"Slack refused the start ({code}) for {setting}") from error
        except (aiohttp.ClientConnectionError, TimeoutError) as error:
            base = self.settings.slack_api_base or DEFAULT_API_BASE
            reason = error.os_error.strerror if isinstance(error, aiohttp.ClientConnectorError) else None
            reason = reason or str(error) or "no answer in time"
            raise StartError(f"Slack cannot be reached at {base} ({reason}): check the network, or "
                             "SLACK_API_BASE") from error

    async def close(self) -> None:
        """Disconnect or stop listening; the App is closed by whoever owns it."""
        self._closed = True
        if self._handler is not None:
            await self._handler.close_async()
            self._handler = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


async def run_slack(settings: Settings) -> None:
    """Run only Slack until SIGINT or SIGTERM; then disconnect and close the scheduler and the database."""
    check_settings(settings)
    app = App(settings, SystemClock())
    service = SlackService(app, settings)
    stop = asyncio.Event()
    try:
        with stop_signals(lambda _: stop.set()):
            async with serving(app, settings, {PLATFORM: service.state}):
                await service.start()
                await stop.wait()
                log.info("Stopping")
    finally:
        await service.close()
        await app.close()
