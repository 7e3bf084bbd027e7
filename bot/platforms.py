"""Run Discord and Slack in one process over one App: one database, one scheduler, one dispatcher.

Each adapter starts the App with its own notifier; deliveries go to the notifier of their workspace's
platform. Two processes (one per platform) against one database work as well: each sends only its own
platform's deliveries.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable, Iterator

from bot.app import App
from bot.clock import SystemClock
from bot.config import Settings, SettingsError

log = logging.getLogger(__name__)


@contextlib.contextmanager
def stop_signals(handler: Callable[[signal.Signals], object]) -> Iterator[None]:
    """While inside, call `handler` with the signal when the process gets SIGINT or SIGTERM (in the running
    loop)."""
    loop = asyncio.get_running_loop()
    added = []
    for signum in (signal.SIGINT, signal.SIGTERM):
        # Windows has no loop signal handlers; there Ctrl+C still ends the process.
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, handler, signum)
            added.append(signum)
    try:
        yield
    finally:
        for signum in added:
            loop.remove_signal_handler(signum)


async def run_both(settings: Settings) -> None:
    """Run the Discord bot and the Slack app until a signal, or until either stops; then close both."""
    if settings.discord_token is None:
        raise SettingsError("Setting DISCORD_TOKEN: is required to run on Discord")
    from bot.discordbot.bot import JobbBot
    from bot.discordbot.runner import apply_endpoints
    from bot.slack.runner import SlackService

    app = App(settings, SystemClock())
    slack = SlackService(app, settings)
    apply_endpoints(settings)
    discord_bot = JobbBot(app)
    stop = asyncio.Event()
    try:
        with stop_signals(lambda _: stop.set()):
            await slack.start()
            discord_task = asyncio.create_task(discord_bot.start(settings.discord_token.get_secret_value()))
            stopped = asyncio.create_task(stop.wait())
            done, _ = await asyncio.wait({discord_task, stopped}, return_when=asyncio.FIRST_COMPLETED)
            stopped.cancel()
            if discord_task in done:
                # Discord stopped by itself (closed, or failed to log in): the process ends, Slack with it.
                log.warning("The Discord bot stopped; stopping Slack too")
                discord_task.result()
            else:
                log.info("Stopping")
                # Slack first: it must not take requests once the Discord bot has closed the shared App.
                await slack.close()
                await discord_bot.close()
                with contextlib.suppress(asyncio.CancelledError):
                    await discord_task
    finally:
        await slack.close()
        if not discord_bot.is_closed():
            await discord_bot.close()
        # The Discord bot closes the App as it closes; closing again is harmless, and needed if it never started.
        await app.close()
