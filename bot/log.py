"""Logging set up once at start: one handler, quiet libraries; lines for a person, or JSON for a collector."""

from __future__ import annotations

import logging
import sys

TEXT_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
# The record's fields a JSON line carries, under the names log collectors expect; `time` is added as an ISO
# 8601 UTC timestamp and `exception` (the traceback) only when there is one. Arguments passed with `extra=`
# are added too, as they are in no other field.
JSON_FIELDS = "%(levelname)s %(name)s %(message)s"
JSON_NAMES = {"levelname": "level", "name": "logger", "exc_info": "exception"}


def setup_logging(level: str = "INFO", log_format: str = "text") -> None:
    """Log to stderr with time, level and module (one JSON object a line with log_format="json"); keep
    discord.py's HTTP chatter at warnings."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(json_formatter() if log_format == "json" else
                         logging.Formatter(TEXT_FORMAT, datefmt="%Y-%m-%d %H:%M:%S"))
    logging.basicConfig(level=level.upper(), handlers=[handler])
    logging.getLogger("discord").setLevel(logging.INFO)
    logging.getLogger("discord.http").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)


def json_formatter() -> logging.Formatter:
    """The formatter of JSON lines: a maintained library's (python-json-logger), which escapes whatever a
    message holds and keeps a traceback in one field."""
    # Imported here: only a JSON log needs it.
    from pythonjsonlogger.json import JsonFormatter

    # Swedish stays readable (å, ä, ö as they are, not escaped): a log collector reads UTF-8.
    return JsonFormatter(JSON_FIELDS, rename_fields=JSON_NAMES, timestamp="time", json_ensure_ascii=False)
