"""Benchmark: a reminder fanned out by DM to N members through the real discord.py HTTP stack.

The fake Discord server (tests/e2e/fakediscord) runs in a child process with Discord's limits switched
on: 50 requests a second globally, per-route buckets (5 messages per 5 s per channel, 50 a second for other
routes), and a round trip per request (--latency). This process is the bot: a JobbBot logged into the fake,
with the App's Dispatcher and its DiscordNotifier, the same delivery path a reminder takes in production.
The script prints what was achieved against the ceiling.

    .venv/bin/python bench/fanout_discord.py [--members N] [--rounds R] [--latency S] [--concurrency C]
        [--rate RPS]

A DM to a member the bot has not written to before takes two requests: POST /users/@me/channels opens
the DM channel, then POST /channels/{id}/messages sends. Both count against the global limit, so the first
round's ceiling is 25 messages a second. From the second round on the bot knows the DM channels: one
request a message, a ceiling of 50. After the rounds the bot is restarted (a new JobbBot and notifier on the
same database, which knows the DM channels only as the ids stored with the members) and sends one more
round. The figures count requests and messages separately.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import multiprocessing
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

GLOBAL_LIMIT = 50  # requests a second: Discord's global limit for a bot
KIND = "bench.everyone"
MESSAGES_ROUTE = "POST /channels/{channel_id}/messages"
OPEN_DM_ROUTE = "POST /users/@me/channels"


# --- the fake, in its own process, so that the CPU time measured here is the bot's alone -----------------


def serve_fake(members: int, latency: float, conn: Connection) -> None:
    """Run FakeDiscord with `members` members and Discord's rate limits until told to stop."""
    asyncio.run(_serve_fake(members, latency, conn))


async def _serve_fake(members: int, latency: float, conn: Connection) -> None:
    from tests.e2e.fakediscord import FakeDiscord, MemberSpec, RateLimitConfig

    logging.basicConfig(level=logging.ERROR)
    specs = [MemberSpec(f"m{i:05d}") for i in range(members)]
    limits = RateLimitConfig(global_limit=GLOBAL_LIMIT, global_window=1.0)
    fake = FakeDiscord(members=specs, rate_limits=limits, latency=latency)
    await fake.start()
    user_ids = [fake.user_id(spec.name) for spec in specs]
    conn.send({"env": fake.env(), "guild_id": fake.guild_id, "user_ids": user_ids})
    loop = asyncio.get_running_loop()
    mark = (0, 0, 0)
    while True:
        command = await loop.run_in_executor(None, conn.recv)
        if command == "mark":
            mark = (len(fake.requests), fake.rate_limited, fake.rate_limited_global)
            conn.send(mark)
        elif command == "report":
            conn.send(_fake_report(fake, specs, mark))
        else:
            break
    await fake.stop()


def _fake_report(fake: Any, specs: list[Any], mark: tuple[int, int, int]) -> dict[str, Any]:
    """Summarise what the fake saw since the mark: requests by route and status, 429s, DMs per member."""
    window = fake.requests[mark[0]:]
    accepted = [r for r in window if r.status < 400]
    return {
        "accepted_by_route": dict(Counter(f"{r.method} {r.route}" for r in accepted)),
        "statuses": dict(Counter(r.status for r in window)),
        "limited": fake.rate_limited - mark[1],
        "limited_global": fake.rate_limited_global - mark[2],
        "dm_counts": dict(Counter(len(fake.dm_messages(spec.name)) for spec in specs)),
        "unknown": len(fake.unknown_requests),
        "internal_errors": len(fake.internal_errors),
    }


# --- the bot, in this process ------------------------------------------------------------------------------


@dataclass
class Round:
    """One fan-out as the bot measured it, and what the fake saw meanwhile."""

    number: int
    restarted: bool
    wall: float
    cpu: float
    sent: int
    failed: int
    left_pending: int
    # The size of discord.py's table of per-route buckets after the round.
    buckets: int
    seen: dict[str, Any]


async def run_bot(fake: dict[str, Any], rounds: int, concurrency: int | None, rate: float | None,
                  conn: Connection, data_dir: Path) -> tuple[int, float, list[Round]]:
    """Log a JobbBot into the fake; time the Dispatcher fanning a reminder out to everyone, `rounds` times;
    then restart the bot on the same database and time one more."""
    from sqlalchemy import func, insert, select
    from sqlalchemy.ext.asyncio import AsyncSession

    from bot import reminders
    from bot.app import App
    from bot.clock import SystemClock
    from bot.config import load_settings
    from bot.contributions import Feature
    from bot.delivery import PENDING
    from bot.discordbot.bot import JobbBot
    from bot.discordbot.runner import apply_endpoints
    from bot.features import FEATURES
    from bot.models import Delivery, Member, Reminder
    from bot.replies import Reply, text
    from bot.services.context import get_or_create_workspace

    async def everyone(session: AsyncSession, reminder: Reminder, now: Any) -> list[reminders.Planned]:
        ids = await session.scalars(select(Member.id).where(Member.workspace_id == reminder.workspace_id))
        reply = Reply(body=text("onboarding.welcome.body"), private=False)
        return [reminders.Planned(reply, member_id=member_id) for member_id in ids]

    # The bot's features, and one that plans this benchmark's broadcast to everyone.
    features = (*FEATURES, Feature("benchmark broadcast", planners={KIND: everyone}))

    # Quiet hours off (start == end): the figures must not depend on the time of day the benchmark runs.
    extra = {} if rate is None else {"discord_global_rate": rate}
    settings = load_settings(_env_file=None, discord_token="fake-token",
                             discord_guild_ids=str(fake["guild_id"]),
                             discord_api_base=fake["env"]["DISCORD_API_BASE"],
                             discord_gateway_url=fake["env"]["DISCORD_GATEWAY_URL"], data_dir=data_dir,
                             database_url="", quiet_hours_start=0, quiet_hours_end=0, **extra)
    apply_endpoints(settings)

    async def fan_out(bot: JobbBot, workspace_id: int, number: int, restarted: bool) -> Round:
        app = bot.app
        now = app.clock.now()
        async with app.sessionmaker() as session, session.begin():
            await reminders.schedule(session, workspace_id=workspace_id, kind=KIND, key=f"{KIND}:{number}",
                                     due_at=now, now=now, grace=timedelta(hours=1))
        conn.send("mark")
        conn.recv()
        wall0, cpu0 = time.perf_counter(), time.process_time()
        report = await app.dispatcher.run_due()
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        async with app.sessionmaker() as session:
            pending = await session.scalar(select(func.count()).select_from(Delivery)
                                           .where(Delivery.status == PENDING))
        conn.send("report")
        return Round(number, restarted, wall, cpu, report.sent, report.failed, pending or 0,
                     len(bot.http._buckets), conn.recv())

    async def started() -> tuple[JobbBot, asyncio.Task[None]]:
        app = App(settings, SystemClock(), features)
        if concurrency is not None:
            app.dispatcher.concurrency = concurrency
        bot = JobbBot(app)
        runner = asyncio.create_task(bot.start("fake-token"))
        await asyncio.wait_for(bot.wait_until_ready(), 120)
        return bot, runner

    async def stopped(bot: JobbBot, runner: asyncio.Task[None]) -> None:
        await bot.close()
        await asyncio.wait_for(runner, 30)

    results = []
    bot, runner = await started()
    try:
        now = bot.app.clock.now()
        async with bot.app.sessionmaker() as session, session.begin():
            workspace = await get_or_create_workspace(session, "discord", str(fake["guild_id"]), "Bench", now)
            workspace_id = workspace.id
            await session.execute(insert(Member), [
                {"workspace_id": workspace_id, "external_id": str(user_id), "display_name": f"m{i:05d}",
                 "joined_at": now} for i, user_id in enumerate(fake["user_ids"])])
        for number in range(1, rounds + 1):
            results.append(await fan_out(bot, workspace_id, number, restarted=False))
        # The restart: what the notifier and discord.py remembered is gone;
        # the database keeps the DM channels.
        await stopped(bot, runner)
        bot, runner = await started()
        results.append(await fan_out(bot, workspace_id, rounds + 1, restarted=True))
    finally:
        await stopped(bot, runner)
    return bot.app.dispatcher.concurrency, settings.discord_global_rate, results


def print_round(members: int, result: Round) -> bool:
    """Print one round's figures; return True when every member got exactly one more message, none refused."""
    seen = result.seen
    messages = seen["accepted_by_route"].get(MESSAGES_ROUTE, 0)
    opens = seen["accepted_by_route"].get(OPEN_DM_ROUTE, 0)
    accepted = sum(seen["accepted_by_route"].values())
    sent = sum(seen["statuses"].values())
    per_message = accepted / messages if messages else float("nan")
    request_rate, message_rate = accepted / result.wall, messages / result.wall
    message_ceiling = GLOBAL_LIMIT / per_message
    exact = seen["dm_counts"].get(result.number, 0)
    refused = {status: n for status, n in seen["statuses"].items() if status >= 400 and status != 429}
    ok = (exact == members and result.failed == 0 and result.left_pending == 0 and not refused
          and not seen["unknown"] and not seen["internal_errors"])
    if result.restarted:
        known = "after a restart: only the DM channel ids stored with the members known"
    else:
        known = "DM channels known from round 1" if result.number > 1 else "every DM channel opened first"
    print(f"round {result.number}: one reminder to {members} members by DM ({known})")
    print(f"  wall time                 {result.wall:8.2f} s")
    print(f"  requests accepted         {accepted:8d}  ({opens} DM channel opens + {messages} messages"
          f" = {per_message:.2f} requests a message)")
    print(f"  requests a second         {request_rate:8.1f}  = {request_rate / GLOBAL_LIMIT:6.1%} of the "
          f"{GLOBAL_LIMIT}/s global limit")
    print(f"  messages a second         {message_rate:8.1f}  = {message_rate / message_ceiling:6.1%} of the "
          f"{message_ceiling:.1f}/s that {per_message:.2f} requests a message allow")
    print(
        f"  429s from the fake        {seen['limited']:8d}  ({seen['limited_global']} global) = "
        f"{seen['limited'] / max(sent, 1) * 1000:.1f} per 1,000 requests sent, all ridden out "
        f"(by discord.py, then the Dispatcher); other refusals: {refused or 'none'}"
    )
    if result.restarted:
        print(
            f"  requests a delivered DM   {sent / max(messages, 1):8.3f}  (every request sent, 429s included)"
        )
    print(f"  members with exactly {result.number} message(s): {exact} of {members}; failed {result.failed}, "
          f"left pending {result.left_pending}")
    per_thousand = result.cpu / max(result.sent, 1) * 1000
    print(f"  bot CPU                   {result.cpu:8.2f} s  = {per_thousand:.2f} s per 1,000 messages")
    print(f"  discord.py's buckets      {result.buckets:8d}  after the round")
    return ok


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its figures; exit 1 if a message was lost, doubled or refused."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--members", type=int, default=2000, help="members to fan out to (default 2000)")
    parser.add_argument("--rounds", type=int, default=2,
                        help="reminders in a row; from the second the DM channels are known (default 2)")
    parser.add_argument("--latency", type=float, default=0.05,
                        help="seconds each request takes to answer, like Discord's round trip (default 0.05)")
    parser.add_argument("--concurrency", type=int, default=None,
                        help="the Dispatcher's concurrent sends (default: the bot's own setting)")
    parser.add_argument("--rate", type=float, default=None,
                        help="the bot's pace in requests a second (default: its DISCORD_GLOBAL_RATE setting)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    # discord.py logs every 429 it rides out as a warning; the fake counts them instead.
    logging.getLogger("discord").setLevel(logging.ERROR)

    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    server = context.Process(target=serve_fake, args=(args.members, args.latency, theirs), daemon=True)
    server.start()
    try:
        fake = ours.recv()
        with tempfile.TemporaryDirectory() as tmp:
            concurrency, rate, rounds = asyncio.run(
                run_bot(fake, args.rounds, args.concurrency, args.rate, ours, Path(tmp))
            )
    finally:
        ours.send("stop")
        server.join(30)
    print(f"JobbBot -> fake Discord (in another process: the CPU figures are the bot's alone): global "
          f"limit {GLOBAL_LIMIT} requests/s, {args.latency * 1000:.0f} ms a request, Dispatcher concurrency "
          f"{concurrency}, the bot's pace {rate:g} requests/s")
    # Print every round, also after a bad one.
    verdicts = [print_round(args.members, result) for result in rounds]
    ok = all(verdicts)
    print("result: " + ("every 429 was ridden out; every member got exactly one message a round" if ok
                        else "PROBLEM: a message was lost, doubled or refused"))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
