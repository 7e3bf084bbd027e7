"""Start the Discord bot, or only sync its slash commands; both read the validated Settings."""

from __future__ import annotations

import asyncio
import logging
import signal

import discord
import yarl
from discord import app_commands

from bot.app import App
from bot.clock import SystemClock
from bot.config import Settings, SettingsError
from bot.discordbot.bot import JobbBot
from bot.discordbot.checks import PLATFORM
from bot.platforms import stop_signals
from bot.web.server import serving

log = logging.getLogger(__name__)


def _token(settings: Settings) -> str:
    if settings.discord_token is None:
        raise SettingsError("Setting DISCORD_TOKEN: is required to run on Discord")
    return settings.discord_token.get_secret_value()


def apply_endpoints(settings: Settings) -> None:
    """Point discord.py at another API and gateway (a local test server) when the settings say so."""
    if settings.discord_api_base:
        discord.http.Route.BASE = settings.discord_api_base.rstrip("/")
    if settings.discord_gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway_url)


async def run_discord(settings: Settings) -> None:
    """Run the bot until it is stopped; SIGINT and SIGTERM close it cleanly (scheduler, database, gateway)."""
    token = _token(settings)
    apply_endpoints(settings)
    bot = JobbBot(App(settings, SystemClock()))
    loop = asyncio.get_running_loop()
    closing: set[asyncio.Task[None]] = set()

    def stop(signum: signal.Signals) -> None:
        log.info("Received %s; closing", signum.name)
        task = loop.create_task(bot.close())
        # Keep a reference: the loop holds tasks only weakly.
        closing.add(task)
        task.add_done_callback(closing.discard)

    with stop_signals(stop):
        async with bot, serving(bot.app, settings, {PLATFORM: bot.gateway_state}):
            await bot.start(token)


async def sync_commands(settings: Settings) -> int:
    """Log in, sync the slash commands to every scope whatever the stored hashes say, and log out.

    Return the process exit code: 0 when every scope was synced, 1 when Discord refused.
    """
    token = _token(settings)
    apply_endpoints(settings)
    bot = JobbBot(App(settings, SystemClock()), serve=False)
    async with bot:
        await bot.login(token)
        try:
            scopes = await bot.sync_commands(force=True)
        except (discord.HTTPException, app_commands.AppCommandError):
            log.exception("Syncing the slash commands failed")
            return 1
    log.info("Synced the slash commands to %s", ", ".join(scopes))
    return 0
