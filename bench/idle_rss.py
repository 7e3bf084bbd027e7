"""Benchmark: the resident memory of the idle Discord process with N members, and where it goes.

The real bot (``python -m bot``, started as a user starts it, as tests/e2e/botprocess.py does) logs into the
local Discord-protocol server (tests/e2e/fakediscord, in a child process) whose guild has N members. Once the
bot has identified, received its guild (every member, as Discord sends a guild that is not "large") and synced
its commands, the script lets it settle and reads its memory from /proc: VmRSS (and the peak, VmHWM), the
anonymous part (the Python heap) and the file-backed part (shared libraries), and USS/PSS from
/proc/PID/smaps_rollup.

    .venv/bin/python bench/idle_rss.py [--members N] [--small M] [--settle S] [--no-chart] [--no-breakdown]

Where it goes:

- **Members**: the bot is run twice, with --small members and with N; the difference, divided by the members
  added, is the cost of a member (discord.py's member and user caches, and what parsing the guild left
  behind).
- **Imports**: the bot runs with ``-X importtime``, which lists every module it imported; a fresh interpreter
  then imports the heavy packages one after the other, in the order of the table, and reads its RSS after
  each, so each row is what that package adds to those above it (shared dependencies count for the first row
  that needs them). Rows the bot did not import come last and are marked so.
- **The rest** is what the running bot holds beyond its imports: the database engine and its statement
  caches, the scheduler, the threads' malloc arenas, the guild.
- **A chart**: then /setup, a member's onboarding and the coaching overview (which draws a chart), and the
  memory once idle again: matplotlib is imported for the first chart and stays.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import logging
import multiprocessing
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TARGET_MB = 120.0  # issue 12: idle RSS of the Discord process with 2,000 members
START_TIMEOUT = 120.0
# Settings the bot reads; taken out of the inherited environment so the developer's own cannot leak in
# (a Slack token would start the Slack app too, an OpenAI key the model client).
SETTING_PREFIXES = ("DISCORD_", "SLACK_", "OPENAI_", "DATABASE_URL", "DATA_DIR", "OUTPUT_DIR", "DEFAULT_",
                    "QUIET_HOURS_", "LOG_LEVEL")
# The heavy packages, each with the modules the bot (or the library) imports from it.
PACKAGES: list[tuple[str, list[str]]] = [
    ("discord.py, aiohttp", ["discord", "discord.ext.commands"]),
    ("SQLAlchemy (async ORM)", ["sqlalchemy", "sqlalchemy.orm", "sqlalchemy.ext.asyncio"]),
    ("aiosqlite", ["aiosqlite"]),
    ("pydantic-settings", ["pydantic_settings"]),
    ("alembic", ["alembic.command", "alembic.config"]),
    ("APScheduler", ["apscheduler.schedulers.asyncio"]),
    ("openai", ["openai"]),
    ("numpy", ["numpy"]),
    ("Pillow", ["PIL.Image"]),
    ("matplotlib (Figure, Agg)", ["matplotlib.figure", "matplotlib.backends.backend_agg"]),
    ("slack_bolt, slack_sdk", ["slack_bolt.async_app", "slack_sdk.web.async_client"]),
]
OWN = "the bot's own modules (bot.*, cogs.*)"
HEAVY = {"matplotlib", "numpy", "PIL", "openai", "slack_bolt", "slack_sdk"}
# Run in a fresh interpreter: import each step's modules, print the RSS (kB) after each step as JSON.
IMPORT_PROBE = """
import importlib, json, sys
def rss():
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
steps = json.loads(sys.argv[1])
seen = [("python", rss())]
for label, modules in steps:
    for name in modules:
        importlib.import_module(name)
    seen.append((label, rss()))
print(json.dumps(seen))
"""


# --- the fake, in its own process, so that its memory and CPU are not the bot's -----------------------------


def serve_fake(members: int, conn: Connection) -> None:
    """Run FakeDiscord with `members` members (no rate limits, no latency) until told to stop."""
    asyncio.run(_serve_fake(members, conn))


async def _serve_fake(members: int, conn: Connection) -> None:
    from tests.e2e.fakediscord import FakeDiscord, MemberSpec

    logging.basicConfig(level=logging.ERROR)
    fake = FakeDiscord(members=[MemberSpec(f"m{i:05d}") for i in range(members)])
    await fake.start()
    conn.send({"env": fake.env(), "guild_id": fake.guild_id, "members": len(fake.world.members)})
    loop = asyncio.get_running_loop()
    while (command := await loop.run_in_executor(None, conn.recv)) != "stop":
        if command == "status":
            gateway = fake.gateway
            conn.send({"identified": fake.identifies > 0, "syncs": fake.command_syncs,
                       "guild_sent": gateway.connected
                       and any(e["t"] == "GUILD_CREATE" for e in gateway.events)})
        elif command == "chart":
            from tests.e2e.test_scenarios import join_and_onboard, set_up_workspace

            # The coaching overview draws its chart once someone is onboarded; the owner manages the server,
            # so is a coordinator.
            await set_up_workspace(fake)
            await join_and_onboard(fake, "erik")
            overview = await fake.slash("owner", "coach-admin overview")
            reply = await overview.wait_reply(60)
            conn.send([a.filename for a in reply.attachments])
    await fake.stop()


# --- the bot process and its memory -------------------------------------------------------------------------


@dataclass
class Memory:
    """One reading of a process's memory, in MB."""

    rss: float
    peak: float
    anon: float
    file: float
    pss: float | None
    uss: float | None
    threads: int


@dataclass
class Run:
    """One start of the bot against a fake with some members, read when idle."""

    members: int
    start_seconds: float
    ready: Memory
    idle: Memory
    charted: Memory | None = None
    imported: list[str] = field(default_factory=list)
    imported_for_chart: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def read_memory(pid: int) -> Memory:
    """Read VmRSS, VmHWM, RssAnon, RssFile, Threads from /proc/PID/status; PSS and USS from smaps_rollup."""
    status: dict[str, str] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        status[key] = value.strip()

    def mb(value: str) -> float:
        return int(value.split()[0]) / 1024

    pss = uss = None
    rollup = Path(f"/proc/{pid}/smaps_rollup")
    try:
        lines = rollup.read_text().splitlines()
        fields = {k: v.strip() for k, _, v in (line.partition(":") for line in lines)}
        pss = mb(fields["Pss"])
        uss = mb(fields["Private_Clean"]) + mb(fields["Private_Dirty"])
    except (OSError, KeyError):
        pass  # an older kernel has no smaps_rollup: RSS alone then
    return Memory(rss=mb(status["VmRSS"]), peak=mb(status["VmHWM"]), anon=mb(status["RssAnon"]),
                  file=mb(status["RssFile"]), pss=pss, uss=uss, threads=int(status["Threads"]))


def environment(fake: dict[str, Any], workdir: Path) -> dict[str, str]:
    """Return the environment a user would set to run the bot against the fake (as BotProcess does)."""
    env = {name: value for name, value in os.environ.items() if not name.startswith(SETTING_PREFIXES)}
    env.update(fake["env"])
    env.update(DISCORD_TOKEN="fake-token", DISCORD_GUILD_IDS=str(fake["guild_id"]),
               DATA_DIR=str(workdir / "data"), OUTPUT_DIR=str(workdir / "out"), LOG_LEVEL="INFO",
               PYTHONUNBUFFERED="1", PYTHONPATH=str(ROOT))
    return env


def run_bot(members: int, settle: float, *, chart: bool = False) -> Run:
    """Start the fake with `members` members and the bot against it; read the bot's memory once it is idle.

    With `chart`, then ask for a chart (the coaching overview) and read the memory again once idle.
    """
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    server = context.Process(target=serve_fake, args=(members, theirs), daemon=True)
    server.start()
    try:
        fake = ours.recv()
        with tempfile.TemporaryDirectory() as tmp:
            workdir = Path(tmp)
            stderr_path = workdir / "bot.stderr"
            with stderr_path.open("wb") as stderr:
                # -X importtime writes every import to stderr (a line each; the memory it costs is nil).
                process = subprocess.Popen([sys.executable, "-X", "importtime", "-m", "bot"], cwd=workdir,
                                           env=environment(fake, workdir), stdin=subprocess.DEVNULL,
                                           stdout=subprocess.DEVNULL, stderr=stderr)
            try:
                started = time.monotonic()
                _wait_ready(ours, process, stderr_path)
                start_seconds = time.monotonic() - started
                ready = read_memory(process.pid)
                # Idle: after its start-up work (migration, command sync, the dispatcher's resume) nothing
                # runs but the gateway's heartbeat and the scheduler's timer.
                time.sleep(settle)
                if process.poll() is not None:
                    raise RuntimeError(f"the bot exited while idle:\n{stderr_path.read_text()[-4000:]}")
                idle = read_memory(process.pid)
                # What the idle bot had imported, before the chart below imports more.
                imported, _ = _read_log(stderr_path.read_text(errors="replace"))
                charted = None
                if chart:
                    ours.send("chart")
                    if not ours.recv():
                        raise RuntimeError("the coaching overview came without its chart")
                    time.sleep(settle)
                    charted = read_memory(process.pid)
            finally:
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
                    try:
                        process.wait(30)
                    except subprocess.TimeoutExpired:
                        process.kill()
                        process.wait()
            everything, errors = _read_log(stderr_path.read_text(errors="replace"))
            imported_for_chart = everything[len(imported):]
    finally:
        ours.send("stop")
        server.join(30)
    return Run(fake["members"], start_seconds, ready, idle, charted, imported, imported_for_chart, errors)


def _wait_ready(conn: Connection, process: subprocess.Popen[bytes], stderr_path: Path) -> None:
    """Wait until the bot identified, got its guild and synced its commands (its last start-up work)."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log = stderr_path.read_text()[-4000:]
            raise RuntimeError(f"the bot exited with {process.returncode}:\n{log}")
        conn.send("status")
        status = conn.recv()
        if status["identified"] and status["guild_sent"] and status["syncs"] > 0:
            return
        time.sleep(0.2)
    raise TimeoutError(f"the bot was not ready after {START_TIMEOUT:.0f} s")


def _read_log(log: str) -> tuple[list[str], list[str]]:
    """Split the bot's stderr into the modules it imported (in order) and its error and traceback lines."""
    imported, errors = [], []
    for line in log.splitlines():
        if line.startswith("import time:"):
            name = line.rpartition("|")[2].strip()
            if name != "imported package":
                imported.append(name)
        elif " ERROR " in line or " CRITICAL " in line or line.startswith("Traceback"):
            errors.append(line)
    return imported, errors


# --- imports, in a fresh interpreter ------------------------------------------------------------------------


def import_costs(imported: set[str]) -> list[tuple[str, float, bool]]:
    """Return (package, MB it adds to the rows above, imported by the bot) for each heavy package."""
    import pkgutil

    import cogs

    cog_modules = [m.name for m in pkgutil.iter_modules(cogs.__path__, prefix="cogs.")
                   if not m.name.rpartition(".")[2].startswith("_")]
    steps = [(label, modules, modules[0] in imported) for label, modules in PACKAGES]
    # What the bot imports first, in the table's order; then what it does not, to show what it saved.
    ordered = [s for s in steps if s[2]] + [(OWN, ["bot.discordbot.runner", *cog_modules], True)] + \
        [s for s in steps if not s[2]]
    result = subprocess.run([sys.executable, "-c", IMPORT_PROBE, json.dumps([(s[0], s[1]) for s in ordered])],
                            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True,
                            text=True, check=True)
    seen = json.loads(result.stdout)
    rows = [("python (interpreter, site)", seen[0][1] / 1024, True)]
    for (label, _, used), (before, after) in zip(ordered, itertools.pairwise(seen), strict=True):
        rows.append((label, (after[1] - before[1]) / 1024, used))
    return rows


# --- the report ---------------------------------------------------------------------------------------------


def print_memory(run: Run) -> None:
    """Print one run's memory when ready and when idle."""
    idle, ready = run.idle, run.ready
    extra = ""
    if idle.pss is not None and idle.uss is not None:
        extra = f", PSS {idle.pss:.1f}, USS {idle.uss:.1f}"
    print(f"bot with {run.members} members in the guild (ready after {run.start_seconds:.1f} s):")
    print(f"  ready        RSS {ready.rss:6.1f} MB")
    print(f"  idle         RSS {idle.rss:6.1f} MB (peak {idle.peak:.1f}){extra}")
    print(f"               anonymous {idle.anon:.1f} MB (the Python heap), file-backed {idle.file:.1f} MB "
          f"(shared libraries), {idle.threads} threads")
    if run.charted is not None:
        print(f"  idle after /setup, a member's onboarding and the first chart (the coaching overview): "
              f"RSS {run.charted.rss:.1f} MB ({run.charted.rss - idle.rss:+.1f})")
        heavy = sorted({name.split(".")[0] for name in run.imported_for_chart} & HEAVY)
        print(f"               heavy packages imported for it, and kept: {', '.join(heavy) or 'none'}")
    if run.errors:
        print(f"  PROBLEM: the bot logged {len(run.errors)} error line(s), e.g. {run.errors[0]}")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its figures; exit 1 if the bot logged an error."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--members", type=int, default=2000, help="members in the guild (default 2000)")
    parser.add_argument("--small", type=int, default=0,
                        help="members in the comparison run that prices a member (default 0: the owner and "
                             "the bot only)")
    parser.add_argument("--settle", type=float, default=15.0,
                        help="seconds to let the bot idle after its start-up work (default 15)")
    parser.add_argument("--no-chart", action="store_true",
                        help="do not ask for a chart after the idle reading (by default one is drawn, and "
                             "the memory read again)")
    parser.add_argument("--no-breakdown", action="store_true",
                        help="only the run with --members: no per-member price, no import costs")
    args = parser.parse_args(argv)

    big = run_bot(args.members, args.settle, chart=not args.no_chart)
    print_memory(big)
    runs = [big]
    if not args.no_breakdown:
        small = run_bot(args.small, args.settle)
        runs.append(small)
        print_memory(small)
        added = big.members - small.members
        if added > 0:
            cost = (big.idle.rss - small.idle.rss) * 1024 / added
            print(f"  a member costs {cost:.2f} kB of idle RSS ({big.idle.rss - small.idle.rss:+.1f} MB for "
                  f"{added} more); peak {(big.idle.peak - small.idle.peak) * 1024 / added:.2f} kB")
        print()
        imported = set(big.imported)
        rows = import_costs(imported)
        print("imports, each row what it adds to those above it (a fresh interpreter, no bot running):")
        total = 0.0
        for label, cost, used in rows:
            mark = "" if used else "   (not imported by the bot)"
            total += cost if used else 0.0
            print(f"  {label:42s} {cost:6.1f} MB{mark}")
        print(f"  {'imports the bot makes, in all':42s} {total:6.1f} MB")
        print(f"  {'the rest of the idle RSS (' + str(small.members) + ' members)':42s} "
              f"{small.idle.rss - total:6.1f} MB: engine, caches, scheduler, threads' arenas, the guild")
        heavy = sorted({name.split(".")[0] for name in imported} & HEAVY)
        print(f"  heavy packages imported by the idle bot: {', '.join(heavy) or 'none'}")
    print()
    verdict = "met" if big.idle.rss <= TARGET_MB else "NOT met"
    print(f"issue 12's target, idle RSS <= {TARGET_MB:.0f} MB (set for 2,000 members), with {args.members} "
          f"members: {verdict} ({big.idle.rss:.1f} MB)")
    if big.charted is not None:
        after = "met" if big.charted.rss <= TARGET_MB else "NOT met"
        print(f"  and once a chart was drawn: {after} ({big.charted.rss:.1f} MB)")
    return 1 if any(run.errors for run in runs) else 0


if __name__ == "__main__":
    raise SystemExit(main())
