"""LOG_FORMAT=json: each record one JSON object a line, with time, level, logger, message and exception;
text stays lines for a person; a setting's secrets stay out of either."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from bot.config import load_settings
from bot.log import json_formatter

ROOT = Path(__file__).resolve().parent.parent
# What the bot does at start (bot.cli), then a record, a record with a traceback and one with a line break.
LOGGING = """
import logging, sys
from bot.log import setup_logging
setup_logging("INFO", sys.argv[1])
log = logging.getLogger("bot.example")
log.info("Synced %d commands to %s", 12, "global")
try:
    1 / 0
except ZeroDivisionError:
    log.exception("Could not send delivery %s", 7)
log.warning('A "quoted"\\nsecond line')
logging.getLogger("bot.example").debug("not at INFO")
"""


def run_logging(log_format: str) -> list[str]:
    result = subprocess.run([sys.executable, "-c", LOGGING, log_format], cwd=ROOT, check=True,
                            capture_output=True, text=True, timeout=60,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    return result.stderr.splitlines()


def test_json_logs_are_one_object_a_line_with_time_level_logger_message_and_exception():
    lines = run_logging("json")
    records = [json.loads(line) for line in lines]

    assert [(r["level"], r["logger"], r["message"]) for r in records] == [
        ("INFO", "bot.example", "Synced 12 commands to global"),
        ("ERROR", "bot.example", "Could not send delivery 7"),
        ("WARNING", "bot.example", 'A "quoted"\nsecond line'),
    ]
    for record in records:
        assert datetime.fromisoformat(record["time"]).utcoffset() is not None
    assert "exception" not in records[0]
    assert records[1]["exception"].startswith("Traceback (most recent call last):")
    assert "ZeroDivisionError: division by zero" in records[1]["exception"]


def test_text_logs_stay_lines_for_a_person():
    lines = run_logging("text")

    assert lines[0].endswith("INFO    bot.example: Synced 12 commands to global")
    assert any(line == "ZeroDivisionError: division by zero" for line in lines)
    with pytest.raises(json.JSONDecodeError):
        json.loads(lines[0])


def test_a_settings_object_logged_shows_no_secret():
    settings = load_settings(_env_file=None, discord_token="secret-discord-token",
                             slack_bot_token="xoxb-secret-slack", openai_api_key="sk-secret-key")
    record = logging.LogRecord("bot.example", logging.INFO, __file__, 1, "Settings: %s", (settings,), None)

    line = json_formatter().format(record)

    assert "Settings: " in json.loads(line)["message"]
    for secret in ("secret-discord-token", "xoxb-secret-slack", "sk-secret-key"):
        assert secret not in line


def test_the_log_format_is_text_or_json():
    assert load_settings(_env_file=None).log_format == "text"
    assert load_settings(_env_file=None, log_format="json").log_format == "json"
    with pytest.raises(Exception, match="LOG_FORMAT"):
        load_settings(_env_file=None, log_format="xml")
