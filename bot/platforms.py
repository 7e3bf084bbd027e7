"""The platforms: what one message may carry on each, and Discord and Slack run in one process over one App.

The core splits what it writes for many members (a channel message mentioning everyone whose DMs are closed)
by the limits of the workspace's platform, read here; each platform's renderer holds the same numbers.

Each adapter starts the App with its own notifier; deliveries go to the notifier of their workspace's
platform. Two processes (one per platform) against one database work as well: each sends only its own
platform's deliveries.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from bot.clock import SystemClock
from bot.config import Settings, SettingsError

log = logging.getLogger(__name__)

# How a start that stops ends (README, "Troubleshooting"): a setting the user must fix (a token, an intent),
# or another failure (the network, an unexpected error). Ctrl+C ends with 130, as shells expect.
EXIT_CONFIGURATION = 2
EXIT_FAILURE = 1


class StartError(Exception):
    """The start cannot go on; the message is one line that says what is wrong and how to fix it."""

    def __init__(self, message: str, exit_code: int = EXIT_FAILURE) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@contextlib.contextmanager
def database_explained(url: str) -> Iterator[None]:
    """While inside (the App's start: the migration, the first queries), turn a database out of reach or
    refusing into a StartError of one line."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import DBAPIError

    try:
        yield
    except (OSError, DBAPIError) as error:
        import aiohttp

        if isinstance(error, aiohttp.ClientError):  # a platform's request, not the database's
            raise
        cause = getattr(error, "orig", None) or error
        reason = f"{type(cause).__name__}: {cause}".splitlines()[0]
        shown = make_url(url).render_as_string(hide_password=True)
        raise StartError(f"The database at {shown} cannot be used ({reason}): check DATABASE_URL and that "
                         "the database server runs") from error


@dataclass(frozen=True)
class MentionLimits:
    """How many members one channel message may mention on a platform, and the room their mentions may
    take."""

    # User ids one message may ping (None: no limit of its own).
    users: int | None
    # Characters the mentions may take together, written as `written` and separated by one space.
    characters: int | None
    written: str = "<@{}>"

    def split(self, user_ids: Sequence[str]) -> list[tuple[str, ...]]:
        """Split user ids, in order, into the fewest runs that each fit one message."""
        runs: list[tuple[str, ...]] = []
        current: list[str] = []
        used = 0
        for user_id in user_ids:
            width = len(self.written.format(user_id)) + (1 if current else 0)
            full = (self.users is not None and len(current) >= self.users) or (
                self.characters is not None and used + width > self.characters)
            if current and full:
                runs.append(tuple(current))
                current, used, width = [], 0, width - 1
            current.append(user_id)
            used += width
        if current:
            runs.append(tuple(current))
        return runs


# Discord writes a message's mentions in its content (2,000 characters; see bot/discordbot/render.py, which
# puts the body in an embed when both do not fit) and takes at most 100 user ids in allowed_mentions.
DISCORD_MENTIONS = MentionLimits(users=100, characters=2000)
# Slack writes them in one section block (3,000 characters; bot/slack/render.py) and has no limit on their
# number.
SLACK_MENTIONS = MentionLimits(users=None, characters=3000)
# The console (and a test's platform) prints whatever it is given.
NO_LIMITS = MentionLimits(users=None, characters=None)
MENTION_LIMITS = {"discord": DISCORD_MENTIONS, "slack": SLACK_MENTIONS}


def mention_limits(platform: str) -> MentionLimits:
    """Return what one channel message may mention on a platform."""
    return MENTION_LIMITS.get(platform, NO_LIMITS)


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
    # Imported here: the App imports the delivery core, which reads this module's limits.
    from bot.app import App
    from bot.discordbot.bot import JobbBot
    from bot.discordbot.runner import apply_endpoints, connecting, first_connection_quiet, start_error
    from bot.slack.runner import SlackService
    from bot.web.server import start_serving

    app = App(settings, SystemClock())
    slack = SlackService(app, settings)
    apply_endpoints(settings)
    discord_bot = JobbBot(app)
    stop = asyncio.Event()
    web_server = None
    discord_task: asyncio.Task[None] | None = None
    try:
        with stop_signals(lambda _: stop.set()), first_connection_quiet(discord_bot):
            web_server = await start_serving(app, settings, {"discord": discord_bot.gateway_state,
                                                             "slack": slack.state})
            await slack.start()
            discord_task = asyncio.create_task(discord_bot.start(settings.discord_token.get_secret_value()))
            stopped = asyncio.create_task(stop.wait())
            done, _ = await asyncio.wait({discord_task, stopped}, return_when=asyncio.FIRST_COMPLETED)
            stopped.cancel()
            if discord_task in done:
                # Discord stopped by itself (closed, or failed to log in): the process ends, Slack with it.
                failure = discord_task.exception()
                if failure is not None:
                    raise start_error(failure, discord_bot.application_id,
                                      gateway=connecting(discord_bot)) or failure
                log.warning("The Discord bot stopped; stopping Slack too")
            else:
                log.info("Stopping")
                # Slack first: it must not take requests once the Discord bot has closed the shared App.
                await slack.close()
                await discord_bot.close()
                with contextlib.suppress(asyncio.CancelledError):
                    await discord_task
    finally:
        if web_server is not None:
            await web_server.close()
        await slack.close()
        # A sharded client that never started (Slack failed first) cannot be closed (discord.py 2.7 closes a
        # queue its start makes); the App below is all it holds.
        if discord_task is not None and not discord_bot.is_closed():
            await discord_bot.close()
        # The Discord bot closes the App as it closes; closing again is harmless, and needed if it never
        # started.
        await app.close()
