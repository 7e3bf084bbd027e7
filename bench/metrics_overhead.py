"""What the metrics cost: per interaction (counted, timed), per send of a delivery, per scrape of /metrics.

    .venv/bin/python bench/metrics_overhead.py [--rounds N] [--pending N]

Per interaction: the Discord bot's two hooks as they run in the bot (`dispatch("interaction")` counting and
starting the clock; the aiohttp trace's request end seeing the callback and observing the histogram), and
Slack's (one observation). Per send: DispatchReport.tally and the report counted into the registry. Per
scrape: the text exposition, and the backlog query (`bot.web.health.backlog`) over a SQLite database holding
--pending pending deliveries. Prints microseconds per call (the best of five runs of --rounds calls).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
import timeit
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import discord
import yarl

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot import db, reminders
from bot.app import App
from bot.config import load_settings
from bot.delivery import PENDING, SENT, DispatchReport, _Outcome, nonce_for
from bot.discordbot.metrics import InteractionMetrics
from bot.metrics import Metrics
from bot.models import Delivery
from bot.replies import Literal, Reply, reply_to_json
from bot.services.context import get_or_create_workspace
from bot.web.health import backlog

assert reminders  # the models' relationships need the module imported


def per_call(run: object, rounds: int) -> float:
    """Microseconds per call, the best of five runs."""
    return min(timeit.repeat(run, number=rounds, repeat=5)) / rounds * 1e6  # type: ignore[arg-type]


def interaction_figures(rounds: int) -> None:
    metrics = Metrics()
    hooks = InteractionMetrics(metrics)
    ids = iter(range(10**12))
    # What discord.py hands the hooks: an interaction (only its type and id are read), aiohttp's request end.
    interaction = SimpleNamespace(type=discord.InteractionType.application_command, id=0)
    params = SimpleNamespace(response=SimpleNamespace(status=204), url=None)
    loop = asyncio.new_event_loop()

    def discord_interaction() -> None:
        interaction.id = next(ids)
        hooks.received(interaction)  # type: ignore[arg-type]
        params.url = yarl.URL(f"https://discord.com/api/v10/interactions/{interaction.id}/tok/callback")
        coroutine = hooks._on_request_end(None, None, params)  # type: ignore[arg-type]
        try:
            coroutine.send(None)
        except StopIteration:
            pass

    def url_only() -> None:
        yarl.URL(f"https://discord.com/api/v10/interactions/{next(ids)}/tok/callback")

    def slack_interaction() -> None:
        metrics.responded("slack", "command", 0.012)

    full = per_call(discord_interaction, rounds)
    url = per_call(url_only, rounds)
    print(f"Discord interaction, both hooks:       {full:6.2f} µs "
          f"(of which {url:.2f} µs building the test's URL, which aiohttp has anyway)")
    print(f"Slack interaction (one observation):   {per_call(slack_interaction, rounds):6.2f} µs")
    report = DispatchReport()
    outcome = _Outcome(1, 1, None, None, SENT)
    tally = per_call(lambda: report.tally("discord", outcome), rounds)
    print(f"Delivery send (DispatchReport.tally):  {tally:6.2f} µs")
    one_run = DispatchReport()
    for label in ("sent", "unreachable", "throttled"):
        one_run.outcomes[("discord", label)] = 100
    counted = per_call(lambda: metrics.record_dispatch(one_run), rounds)
    print(f"Dispatch run counted (3 outcomes):     {counted:6.2f} µs")
    exposition = per_call(metrics.exposition, max(rounds // 100, 10))
    print(f"Exposition of the registry:            {exposition:6.0f} µs")
    loop.close()


async def scrape_figures(pending: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        settings = load_settings(_env_file=None, data_dir=Path(folder), database_url="")
        await db.migrate(settings.effective_database_url)
        app = App(settings)
        now = app.clock.now()
        async with app.sessionmaker() as session, session.begin():
            workspace = await get_or_create_workspace(session, "discord", "guild", "Bench", now)
            message = reply_to_json(Reply(body=Literal("Hej")))
            session.add_all(Delivery(workspace_id=workspace.id, channel="announcements", key=f"k{i}",
                                     nonce=nonce_for(f"k{i}"), message=message, status=PENDING,
                                     not_before=now - timedelta(seconds=i % 600), created_at=now)
                            for i in range(pending))
        app.dispatcher.platforms = frozenset({"discord"})
        timings = []
        for _ in range(20):
            started = time.perf_counter()
            read = await backlog(app)
            timings.append(time.perf_counter() - started)
        print(f"Backlog query over {pending:,} pending (SQLite): {min(timings) * 1e3:6.2f} ms best, "
              f"{sorted(timings)[len(timings) // 2] * 1e3:.2f} ms median (lag {read.lag_seconds:.0f} s, "
              f"{read.pending:,} pending)")
        await app.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=100_000)
    parser.add_argument("--pending", type=int, default=10_000)
    args = parser.parse_args()
    print(f"Python {sys.version.split()[0]}, {args.rounds:,} calls a run")
    interaction_figures(args.rounds)
    asyncio.run(scrape_figures(args.pending))


if __name__ == "__main__":
    main()
