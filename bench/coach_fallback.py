"""Benchmark: how long each coaching command takes when the model answers, is slow, fails, or is down.

A local fake of the OpenAI API (tests/fakes/openai_server.py) serves `POST /v1/chat/completions` on 127.0.0.1;
the App's own CoachModel talks to it over HTTP with the configured timeout. For each way the model can behave
and each command that may ask it, the script runs the service as the console and the cogs do and prints the
wall time against the timeout, and whether the answer came from the model or from the templates.

    .venv/bin/python bench/coach_fallback.py [--timeout S] [--slow S] [--repeat N]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.app import App
from bot.clock import FrozenClock
from bot.coach import CoachModel
from bot.config import load_settings
from bot.i18n import render
from bot.services import ladder, onboarding, writing
from bot.services.context import Identity
from tests.fakes.openai_server import FakeOpenAI, free_port

MEMBER = Identity("bench", "guild", "anna", "Anna", "Bench")
PROFILE = {
    "company": "Annas Blommor",
    "industry": "retail",
    "company_size": "2-9",
    "municipality": "karlskrona",
    "experience": "none",
    "dm_reminders": "ja",
    "consent": "ja",
}
ANSWERS = {
    "next": {"draft": "Annas Blommor finns nu på X!"},
    "tweet": {"tweets": ["Ett", "Två", "Tre"]},
    "blog": {"titles": ["A", "B", "C"], "problem": "P", "business": "B", "politicians": "P", "action": "A"},
    "feedback": {"comments": ["Bra!"], "improved": "Bättre #BlekingeFöretagare"},
}
COMMANDS = {
    "next": (ladder.next_step, {}),
    "tweet": (writing.tweet, {"topic": "Parkering"}),
    "blog": (writing.blog, {"topic": "Parkering"}),
    "feedback": (writing.feedback, {"draft": "Parkeringen vid torget behövs."}),
}
MODES = ("answers", "slow", "http_500", "malformed", "down")


async def run(timeout: float, slow: float, repeat: int) -> None:
    logging.disable(logging.WARNING)
    fake = FakeOpenAI()
    await fake.start()
    with tempfile.TemporaryDirectory() as folder:
        settings = load_settings(data_dir=Path(folder), output_dir=Path(folder) / "out", _env_file=None)
        app = App(settings, FrozenClock(datetime(2026, 12, 1, 9, 0, tzinfo=UTC)))
        try:
            from bot import db

            await db.migrate(settings.effective_database_url)
            await app.submit(MEMBER, onboarding.FORM_ID, PROFILE)
            print(f"timeout {timeout:.2f} s, slow model {slow:.2f} s, {repeat} runs each; wall time in ms "
                  "(median, max) and where the answer came from")
            print(f"{'model':<10}" + "".join(f"{name:>24}" for name in COMMANDS))
            for mode in MODES:
                base_url = f"http://127.0.0.1:{free_port()}/v1" if mode == "down" else fake.base_url
                model = CoachModel(api_key="sk-bench", model="bench", timeout=timeout, base_url=base_url)
                cells = []
                for name, (call, options) in COMMANDS.items():
                    fake.answer(ANSWERS[name])
                    fake.mode = {"slow": "slow", "http_500": "error", "malformed": "malformed"}.get(
                        mode, "ok"
                    )
                    fake.delay = slow
                    template = render_reply(await app.run(MEMBER, call, **options))
                    times, source = [], "templates"
                    for _ in range(repeat):
                        start = time.perf_counter()
                        reply = await app.run(MEMBER, call, model, **options)
                        times.append((time.perf_counter() - start) * 1000)
                        if render_reply(reply) != template:
                            source = "model"
                    cells.append(f"{statistics.median(times):7.0f} {max(times):6.0f} {source:>9}")
                await model.close()
                print(f"{mode:<10}" + "".join(f"{cell:>24}" for cell in cells))
        finally:
            await app.close()
            await fake.stop()


def render_reply(reply: object) -> str:
    parts = [getattr(reply, "title", None), getattr(reply, "body", None)]
    fields = getattr(reply, "fields", ())
    return "\n".join([render(p, "sv") for p in parts if p is not None]
                     + [render(f.value, "sv") for f in fields])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=2.0, help="the model's timeout (OPENAI_TIMEOUT)")
    parser.add_argument("--slow", type=float, default=5.0, help="how long the slow model takes to answer")
    parser.add_argument("--repeat", type=int, default=3, help="runs per command and mode")
    args = parser.parse_args()
    asyncio.run(run(args.timeout, args.slow, args.repeat))


if __name__ == "__main__":
    main()
