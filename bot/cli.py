"""The `jobbskaparna` command: run the bot (Discord with a token, else the console), migrate, sync."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.config import Settings, load_settings_or_exit
from bot.log import setup_logging

log = logging.getLogger(__name__)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="jobbskaparna", description=(
        "Jobbskaparna: a coach for entrepreneurs on social media. Without a command it runs the Discord bot "
        "when DISCORD_TOKEN is set, and the local console otherwise."))
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="the Discord bot (the console when DISCORD_TOKEN is not set)")
    console = sub.add_parser("console", help="the whole bot in this terminal")
    console.add_argument("--script", type=Path, help="read the lines from this file instead of standard input")
    console.add_argument("--start", type=_local_time, metavar="'YYYY-MM-DD HH:MM'",
                         help="pretend the clock shows this local time at start (for repeatable scripts)")
    sub.add_parser("migrate", help="bring the database schema up to date")
    sub.add_parser("sync", help="register the slash commands with Discord now")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run what it asks for."""
    args = _parser().parse_args(argv)
    settings = load_settings_or_exit()
    command = args.command or "run"
    if command == "run" and settings.discord_token is None:
        command = "console"
    # The console prints the conversation on stdout; keep the log quiet unless asked.
    setup_logging(settings.log_level if command != "console" or "LOG_LEVEL" in _env() else "WARNING")
    try:
        if command == "console":
            from bot.console import run_console

            script = getattr(args, "script", None)
            if script is not None and not script.is_file():
                print(f"jobbskaparna: no script file at {script}", file=sys.stderr)
                return 2
            start = getattr(args, "start", None)
            if start is not None:
                start = start.replace(tzinfo=ZoneInfo(settings.default_timezone))
            asyncio.run(run_console(settings, script=script, start=start))
        elif command == "migrate":
            from bot.db import migrate_sync

            migrate_sync(settings.effective_database_url)
            print("jobbskaparna: the database is up to date")
        else:
            return _discord(command, settings)
    except KeyboardInterrupt:
        return 130
    return 0


def _local_time(value: str) -> datetime:
    try:
        return datetime.strptime(value, "%Y-%m-%d %H:%M")
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a time like '2026-12-01 09:00'") from None


def _discord(command: str, settings: Settings) -> int:
    if settings.discord_token is None:
        print("jobbskaparna: Setting DISCORD_TOKEN: is required for this command", file=sys.stderr)
        return 2
    from bot.discordbot.runner import run_discord, sync_commands

    if command == "sync":
        return asyncio.run(sync_commands(settings))
    asyncio.run(run_discord(settings))
    return 0


def _env() -> dict[str, str]:
    return dict(os.environ)


if __name__ == "__main__":
    raise SystemExit(main())
