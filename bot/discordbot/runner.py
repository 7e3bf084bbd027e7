"""Start the Discord bot, or only sync its slash commands; both read the validated Settings."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Iterator

import aiohttp
import discord
import yarl
from discord import app_commands

from bot.app import App
from bot.clock import SystemClock
from bot.config import Settings, SettingsError
from bot.discordbot.bot import JobbBot, sync_refusal
from bot.discordbot.checks import PLATFORM
from bot.discordbot.setupcheck import DEVELOPER_PORTAL
from bot.platforms import EXIT_CONFIGURATION, StartError, stop_signals
from bot.web.server import serving

log = logging.getLogger(__name__)

# The gateway's close code for a token it does not accept (REST answers 401 instead).
AUTHENTICATION_FAILED = 4004
WRONG_TOKEN = ("DISCORD_TOKEN is not accepted by Discord: copy the bot's token again from the Developer "
               "Portal (Bot → Reset Token)")


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

    with stop_signals(stop), first_connection_quiet(bot):
        async with bot, serving(bot.app, settings, {PLATFORM: bot.gateway_state}):
            try:
                await bot.start(token)
            except Exception as error:  # noqa: BLE001 - explained when it can be, else raised as it is
                raise start_error(error, bot.application_id, gateway=connecting(bot)) or error


def connecting(bot: discord.Client) -> bool:
    """Tell whether the bot logged in (REST answered) but never reached the gateway."""
    if isinstance(bot, discord.AutoShardedClient):
        return bot.user is not None and not bot.shards
    return bot.user is not None and bot.ws is None


@contextlib.contextmanager
def first_connection_quiet(bot: discord.Client) -> Iterator[None]:
    """Until the bot first reaches the gateway, log discord.py's failed attempts in one line each, without
    the traceback: such a start ends with one line that says why (start_error)."""

    def one_line(record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None and connecting(bot):
            record.msg, record.args = f"{record.getMessage()} ({record.exc_info[1]})", ()
            record.exc_info, record.exc_text = None, None
        return True

    client_log = logging.getLogger("discord.client")
    client_log.addFilter(one_line)
    try:
        yield
    finally:
        client_log.removeFilter(one_line)


def start_error(error: BaseException, application_id: int | None, *, gateway: bool = False
                ) -> StartError | None:
    """Explain in one line why Discord stopped the start, when it is something the user can fix or check
    (a token, an intent, the network); None for anything else. `gateway`: the bot logged in but had not
    reached the gateway yet."""
    if gateway and (unreachable := _connection_error(error)) is not None:
        # discord.py 2.7 retries the first connection, then fails on its own None websocket: the cause is
        # the connection error it was handling.
        return StartError(
            f"Discord's gateway cannot be reached at {discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY} "
            f"({_reason(unreachable)}): check the network, or DISCORD_GATEWAY_URL")
    if isinstance(error, discord.LoginFailure) or (
            isinstance(error, discord.ConnectionClosed) and error.code == AUTHENTICATION_FAILED):
        return StartError(WRONG_TOKEN, EXIT_CONFIGURATION)
    if isinstance(error, discord.PrivilegedIntentsRequired):
        page = f"{DEVELOPER_PORTAL}/{application_id}/bot" if application_id else DEVELOPER_PORTAL
        return StartError(
            "Discord refused the Server Members intent: turn on Server Members Intent in the Developer "
            f"Portal (Bot → Privileged Gateway Intents) at {page}", EXIT_CONFIGURATION)
    # Only the HTTP client's errors: an OSError of another kind may be the database's (bot/platforms.py).
    if isinstance(error, aiohttp.ClientConnectionError):
        return _unreachable(_reason(error))
    if isinstance(error, discord.DiscordServerError):
        return StartError(f"Discord answered {error.status} ({error.text or 'a server error'}): it has "
                          "trouble of its own; start again in a while")
    return None


def _connection_error(error: BaseException | None) -> aiohttp.ClientConnectionError | None:
    """Return the HTTP client's connection error that is the error or that it happened in, if any."""
    while error is not None:
        if isinstance(error, aiohttp.ClientConnectionError):
            return error
        error = error.__cause__ or error.__context__
    return None


def _reason(error: aiohttp.ClientConnectionError) -> str:
    if isinstance(error, aiohttp.ClientConnectorError):
        # Refused, no route, or a name that does not resolve: the OS's reason says which.
        return error.os_error.strerror or str(error.os_error)
    return str(error) or "no answer in time"


def _unreachable(reason: str) -> StartError:
    return StartError(f"Discord cannot be reached at {discord.http.Route.BASE} ({reason}): check the "
                      "network, or DISCORD_API_BASE")


async def sync_commands(settings: Settings) -> int:
    """Log in, sync the slash commands to every scope whatever the stored hashes say, and log out.

    Return the process exit code: 0 when every scope was synced. Discord refusing them is a StartError of one
    line (exit code 1).
    """
    token = _token(settings)
    apply_endpoints(settings)
    bot = JobbBot(App(settings, SystemClock()), serve=False)
    async with bot:
        try:
            await bot.login(token)
        except Exception as error:  # noqa: BLE001 - explained when it can be, else raised as it is
            raise start_error(error, None) or error
        try:
            scopes = await bot.sync_commands(force=True)
        except discord.HTTPException as error:
            log.debug("Discord refused the slash commands", exc_info=True)
            raise StartError(sync_refusal(error, bot.application_id)) from error
        except app_commands.AppCommandError:
            log.exception("Syncing the slash commands failed")
            return 1
    log.info("Synced the slash commands to %s", ", ".join(scopes))
    return 0
