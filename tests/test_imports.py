"""What the Discord bot imports at start: the heavy packages it does not need until they are used stay out.

matplotlib with numpy and Pillow (about 40 MB of memory) is imported when the first chart is drawn; openai
(about 15 MB) when a model key is set; Slack's packages when Slack runs. Each check runs in a fresh
interpreter, since this test process has long imported them all. See bench/idle_rss.py for what each costs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# What `python -m bot` does with a Discord token and nothing else, short of connecting: import the start path,
# build the App and the bot, load every cog; then list the heavy packages that got imported.
START_PATH = """
import asyncio, json, sys
from bot import cli
from bot.app import App
from bot.config import load_settings
from bot.discordbot.bot import JobbBot
from bot.discordbot import runner

async def main() -> None:
    settings = load_settings(_env_file=None, discord_token="x", database_url="sqlite+aiosqlite:///:memory:",
                             openai_api_key=sys.argv[1] or None)
    bot = JobbBot(App(settings))
    await bot.load_cogs()
    await bot.app.close()

asyncio.run(main())
heavy = ("matplotlib", "numpy", "PIL", "openai", "slack_bolt", "slack_sdk")
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules} & set(heavy))))
"""


def heavy_imports(openai_key: str = "") -> list[str]:
    """Run the start path in a fresh interpreter; return the heavy packages it imported."""
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("DISCORD_", "OPENAI_", "SLACK_", "DATABASE_URL"))}
    result = subprocess.run([sys.executable, "-c", START_PATH, openai_key], check=False, cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(("openai_key", "expected"), [("", []), ("sk-test", ["openai"])])
def test_the_discord_start_imports_no_chart_library_and_openai_only_with_a_key(openai_key: str,
                                                                               expected: list[str]) -> None:
    assert heavy_imports(openai_key) == expected


def test_drawing_a_chart_still_works_after_the_lazy_import() -> None:
    from bot import charts

    png = charts.stacked_columns(["v1"], [("a", [1])], title="t", ylabel="y", empty="-")
    assert png.startswith(b"\x89PNG")
