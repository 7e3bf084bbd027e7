"""The `jobbskaparna` command: run the bot (Discord and/or Slack as the tokens say, else the console),
migrate, sync, back up and restore, and check the set-up (doctor)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.config import Settings, load_settings_or_exit
from bot.log import setup_logging
from bot.platforms import EXIT_FAILURE, StartError
from bot.web import WebServerError

log = logging.getLogger(__name__)

# The commands that start a platform: a failure there ends in one line on stderr (README, "Troubleshooting").
PLATFORM_COMMANDS = frozenset({"run", "both", "slack", "sync"})
# The log level of commands that write for a person on stdout, unless LOG_LEVEL is set: doctor's findings say
# what the log's warnings would (and discord.py warns of voice support it does not use).
QUIET_LOG = {"console": "WARNING", "doctor": "ERROR"}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jobbskaparna",
        description=(
            "Jobbskaparna: a coach for entrepreneurs on social media. Without a command it runs the Discord "
            "bot when DISCORD_TOKEN is set, the Slack app when SLACK_BOT_TOKEN and SLACK_APP_TOKEN are set "
            "(both in one process when both are), and the local console otherwise."
        ),
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_installed_version()}")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="Discord and/or Slack, as the tokens say (the console when none is set)")
    sub.add_parser("slack", help="only the Slack app (Socket Mode, or HTTP with SLACK_SIGNING_SECRET)")
    console = sub.add_parser("console", help="the whole bot in this terminal")
    console.add_argument(
        "--script", type=Path, help="read the lines from this file instead of standard input"
    )
    console.add_argument("--start", type=_local_time, metavar="'YYYY-MM-DD HH:MM'",
                         help="pretend the clock shows this local time at start (for repeatable scripts)")
    sub.add_parser("migrate", help="bring the database schema up to date")
    sub.add_parser("sync", help="register the slash commands with Discord now")
    backup = sub.add_parser("backup", help="back the database up into a file now (safe while the bot runs)")
    backup.add_argument("--to", type=Path, metavar="DIR", help="the folder (default: BACKUP_DIR)")
    backup.add_argument("--keep", type=_count, metavar="N",
                        help="then keep the newest N backups in the folder (default: BACKUP_KEEP; 0: all)")
    restore = sub.add_parser("restore", help="replace the database with a backup (stop the bot first)")
    restore.add_argument("file", type=Path, metavar="FILE", help="a file `jobbskaparna backup` made")
    restore.add_argument("--yes", action="store_true", help="do not ask before replacing the database")
    sub.add_parser("doctor", help="check what the bot needs on each platform and server, and how to fix it")
    return parser


def _installed_version() -> str:
    """The version of the installed distribution (what pip installed), not a copy kept in the code."""
    try:
        return version("jobbskaparna")
    except PackageNotFoundError:
        return "(not installed: run it through ./dev or after pip install)"


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run what it asks for."""
    args = _parser().parse_args(argv)
    settings = load_settings_or_exit()
    command = args.command or "run"
    if command == "run" and settings.slack_bot_token is not None and not settings.slack_enabled:
        print(
            "jobbskaparna: Setting SLACK_APP_TOKEN: is required with SLACK_BOT_TOKEN (or set "
            "SLACK_SIGNING_SECRET to serve Slack over HTTP)",
            file=sys.stderr,
        )
        return 2
    if command == "run":
        command = _platform_command(settings)
    # The console prints the conversation, doctor its findings, on stdout; keep the log quiet unless asked.
    quiet = command in QUIET_LOG and "LOG_LEVEL" not in _env()
    setup_logging(QUIET_LOG[command] if quiet else settings.log_level, settings.log_format)
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
        elif command in ("slack", "both"):
            return _slack(command, settings)
        elif command == "doctor":
            from bot.doctor import run_doctor

            return run_doctor(settings)
        elif command == "migrate":
            from bot.db import migrate_sync

            migrate_sync(settings.effective_database_url)
            print("jobbskaparna: the database is up to date")
        elif command in ("backup", "restore"):
            return _backup(args, settings)
        else:
            return _discord(command, settings)
    except KeyboardInterrupt:
        return 130
    except WebServerError as exc:
        # The health and metrics server could not listen (its port taken): one line, not a traceback.
        print(f"jobbskaparna: {exc}", file=sys.stderr)
        return 1
    except StartError as error:
        print(f"jobbskaparna: {error}", file=sys.stderr)
        return error.exit_code
    except Exception as error:
        if command not in PLATFORM_COMMANDS:
            raise
        # One line for whoever started the bot; the traceback is logged for those who ask (LOG_LEVEL=DEBUG).
        log.debug("The bot stopped on an unexpected error", exc_info=True)
        print(f"jobbskaparna: stopped by an unexpected error ({type(error).__name__}: {error}); "
              "LOG_LEVEL=DEBUG logs where it happened", file=sys.stderr)
        return EXIT_FAILURE
    return 0


def _count(value: str) -> int:
    if not value.isdigit():
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of backups like 7 (0 keeps all)")
    return int(value)


def _local_time(value: str) -> datetime:
    try:
        return datetime.strptime(value, "%Y-%m-%d %H:%M")
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a time like '2026-12-01 09:00'") from None


def _platform_command(settings: Settings) -> str:
    """What `run` runs: the platforms whose tokens are set, or the console."""
    if settings.discord_token is not None and settings.slack_enabled:
        return "both"
    if settings.slack_enabled:
        return "slack"
    if settings.discord_token is not None:
        return "run"
    return "console"


def _slack(command: str, settings: Settings) -> int:
    from bot.config import SettingsError

    try:
        if command == "both":
            from bot.platforms import run_both

            asyncio.run(run_both(settings))
        else:
            from bot.slack.runner import run_slack

            asyncio.run(run_slack(settings))
    except SettingsError as exc:
        print(f"jobbskaparna: {exc}", file=sys.stderr)
        return 2
    return 0


def _discord(command: str, settings: Settings) -> int:
    if settings.discord_token is None:
        print("jobbskaparna: Setting DISCORD_TOKEN: is required for this command", file=sys.stderr)
        return 2
    from bot.discordbot.runner import run_discord, sync_commands

    if command == "sync":
        return asyncio.run(sync_commands(settings))
    asyncio.run(run_discord(settings))
    return 0


def _backup(args: argparse.Namespace, settings: Settings) -> int:
    """Take a backup, or restore one after asking; one line says how it went (exit 1 when it failed)."""
    from bot import backup

    try:
        if args.command == "backup":
            made = backup.backup_now(settings, args.to)
            # A backup taken by a timer or by hand keeps the folder as the bot's own schedule does.
            keep = settings.backup_keep if args.keep is None else args.keep
            removed = backup.prune(made.parent, keep) if keep > 0 else []
            older = f"; {len(removed)} older removed (keeping {keep})" if removed else ""
            print(f"jobbskaparna: backed the database up to {made}{older}")
            return 0
        if not args.file.is_file():
            print(f"jobbskaparna: no backup file at {args.file}", file=sys.stderr)
            return 2
        with backup.prepared_restore(settings, args.file) as restore:
            others = None if args.yes else restore.others_connected()
            open_now = f"{others} other connection is" if others == 1 else f"{others} other connections are"
            running = f" {open_now} open to it: is the bot running?" if others else ""
            if not args.yes and not _confirm(
                f"Replace {restore.database.describe()} with {args.file}? Everything written since that "
                f"backup is lost (stop the bot first).{running} Type yes to go on: "
            ):
                print("jobbskaparna: nothing was restored", file=sys.stderr)
                return 1
            before = restore.apply()
    except backup.BackupError as error:
        print(f"jobbskaparna: {error}", file=sys.stderr)
        return 1
    kept = f"; the database as it was is kept in {before}" if before is not None else ""
    print(f"jobbskaparna: restored {args.file} into {restore.database.describe()}{kept}")
    return 0


def _confirm(question: str) -> bool:
    try:
        return input(question).strip().lower() in ("yes", "y", "ja", "j")
    except EOFError:  # nobody to answer (a script): no
        print()
        return False


def _env() -> dict[str, str]:
    return dict(os.environ)


if __name__ == "__main__":
    raise SystemExit(main())
