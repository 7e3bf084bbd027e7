"""The real bot in a subprocess, started exactly as a user starts it, pointed at a FakeDiscord.

`BotProcess.start()` runs ``python -m bot`` with the settings in the environment (a fake token, the fake's
guild, a temporary DATA_DIR, DISCORD_API_BASE/DISCORD_GATEWAY_URL from ``fake.env()``), in a temporary working
folder so that no developer's ``.env`` leaks in, with stdout and stderr in files. `problems()` lists what must
not happen in any scenario: a traceback or an error in the bot's log, a request the fake does not know, an
error inside the fake, or a 4xx answer other than those the scenario provokes on purpose (`expect_refusal`).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.config import parse_shard_ids

from .fakediscord import FakeDiscord, Recorded
from .fakediscord.gateway import Gateway

TOKEN = "fake-token"
# Generous: a loaded two-core CI machine may take seconds to start Python, import discord.py and migrate.
START_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0
# Settings the bot reads; taken out of the inherited environment so the developer's own cannot leak in.
SETTING_PREFIXES = ("DISCORD_", "DATABASE_URL", "DATA_DIR", "OUTPUT_DIR", "DEFAULT_", "QUIET_HOURS_",
                    "LOG_LEVEL", "OPENAI_")
ERROR_LINE = re.compile(r"^\S+ \S+ (ERROR|CRITICAL) ", re.MULTILINE)


@dataclass
class Run:
    """One start of the bot process and where its output went."""

    number: int
    process: asyncio.subprocess.Process
    stdout: Path
    stderr: Path
    watcher: asyncio.Task[Any] | None = None

    @property
    def returncode(self) -> int | None:
        """Return the exit code, or None while it runs."""
        return self.process.returncode

    def output(self) -> str:
        """Return what the process wrote, stderr (the log) last."""
        return f"{self.stdout.read_text(errors='replace')}{self.stderr.read_text(errors='replace')}"


@dataclass
class BotProcess:
    """`python -m bot` against a FakeDiscord, startable again on the same DATA_DIR."""

    fake: FakeDiscord
    workdir: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    runs: list[Run] = field(default_factory=list)
    # (status, Discord error code) pairs a scenario provokes on purpose; code None allows any code.
    expected_refusals: set[tuple[int, int | None]] = field(default_factory=set)

    @property
    def data_dir(self) -> Path:
        """Return the bot's DATA_DIR (its SQLite database lives here)."""
        return self.workdir / "data"

    @property
    def database(self) -> Path:
        """Return the path of the bot's SQLite database."""
        return self.data_dir / "jobbskaparna.db"

    @property
    def current(self) -> Run:
        """Return the latest run."""
        if not self.runs:
            raise RuntimeError("the bot was never started")
        return self.runs[-1]

    def environment(self) -> dict[str, str]:
        """Return the environment a user would set to run the bot against the fake."""
        env = {name: value for name, value in os.environ.items() if not name.startswith(SETTING_PREFIXES)}
        env.update(self.fake.env())
        env.update(DISCORD_TOKEN=TOKEN, DISCORD_GUILD_IDS=str(self.fake.guild_id),
                   DATA_DIR=str(self.data_dir), OUTPUT_DIR=str(self.workdir / "out"), LOG_LEVEL="INFO",
                   PYTHONUNBUFFERED="1")
        env.update(self.extra_env)
        return env

    async def start(self, timeout: float = START_TIMEOUT) -> Run:
        """Start the bot; wait until it identified on the gateway (after its setup) and was sent its guild."""
        identified = self.fake.identifies
        number = len(self.runs) + 1
        self.workdir.mkdir(parents=True, exist_ok=True)
        stdout, stderr = self.workdir / f"bot-{number}.stdout", self.workdir / f"bot-{number}.stderr"
        with stdout.open("wb") as out, stderr.open("wb") as err:
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", cwd=self.workdir, env=self.environment(),
                stdin=asyncio.subprocess.DEVNULL, stdout=out, stderr=err)
        run = Run(number, process, stdout, stderr)
        run.watcher = asyncio.create_task(self._watch(run))
        self.runs.append(run)
        await self.wait(lambda: self.fake.identifies > identified and self._guild_sent(), timeout,
                        "the bot to connect to the gateway")
        return run

    def _guild_sent(self) -> bool:
        """Tell whether the process's gateway sessions got their READY, and the one holding the guild its
        GUILD_CREATE (sent after READY on IDENTIFY)."""
        def sent(gateway: Gateway) -> bool:
            last = "GUILD_CREATE" if gateway.holds_guild() else "READY"
            return gateway.connected and any(event["t"] == last for event in gateway.events)

        return all(sent(gateway) for gateway in self.gateways())

    def gateways(self) -> list[Gateway]:
        """Return the fake's gateway sessions of the shards this process runs (DISCORD_SHARD_IDS; shard 0's
        unless set)."""
        shard_ids = self.extra_env.get("DISCORD_SHARD_IDS")
        if not shard_ids:
            return [self.fake.gateway]
        return [self.fake.shards.session(shard) for shard in parse_shard_ids(shard_ids)]

    async def _watch(self, run: Run) -> None:
        """Wake every waiter when the process ends, so a crash fails a wait at once."""
        await run.process.wait()
        self.fake.notify()

    async def wait(self, predicate: Callable[[], Any], timeout: float, what: str) -> None:
        """Wait for `predicate`; fail at once, with the bot's output, if the bot process ends meanwhile."""
        run = self.current
        try:
            await self.fake.wait_until(lambda: predicate() or run.returncode is not None, timeout, what)
        except TimeoutError as error:
            raise AssertionError(f"{error}\n{self.output()}") from None
        if run.returncode is not None and not predicate():
            raise AssertionError(
                f"the bot exited with {run.returncode} while waiting for {what}:\n{run.output()}")

    async def terminate(self, timeout: float = STOP_TIMEOUT) -> int:
        """Send SIGTERM (what systemd and docker stop send) and return the exit code."""
        run = self.current
        if run.returncode is None:
            run.process.send_signal(signal.SIGTERM)
        return await self._reap(run, timeout)

    async def kill(self) -> int:
        """SIGKILL the bot (a crash or power loss: no clean-up runs) and return the exit code."""
        run = self.current
        if run.returncode is None:
            run.process.kill()
        code = await self._reap(run, STOP_TIMEOUT)
        # The kernel closed the socket; wait until the fake noticed, so the next start is a new connection.
        await self.fake.wait_until(lambda: not any(g.connected for g in self.gateways()), STOP_TIMEOUT,
                                   "the fake to see the killed bot's gateway connection close")
        return code

    async def stop(self) -> None:
        """Stop whatever still runs: SIGTERM, then SIGKILL if it does not end in time."""
        for run in self.runs:
            if run.returncode is None:
                run.process.send_signal(signal.SIGTERM)
                try:
                    await self._reap(run, STOP_TIMEOUT)
                except TimeoutError:
                    run.process.kill()
                    await run.process.wait()

    @staticmethod
    async def _reap(run: Run, timeout: float) -> int:
        code = await asyncio.wait_for(run.process.wait(), timeout)
        if run.watcher is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await run.watcher
        return code

    def expect_refusal(self, status: int, code: int | None = None) -> None:
        """Allow answers with this status (and Discord error code) that the scenario provokes on purpose."""
        self.expected_refusals.add((status, code))

    def output(self) -> str:
        """Return every run's output, headed by its number."""
        return "\n".join(f"--- bot run {run.number} (exit code {run.returncode}) ---\n{run.output()}"
                         for run in self.runs)

    def refused(self) -> list[Recorded]:
        """Return the fake's 4xx answers that no scenario asked for."""
        def expected(recorded: Recorded) -> bool:
            code = recorded.response_json.get("code") if isinstance(recorded.response_json, dict) else None
            return (recorded.status, code) in self.expected_refusals or (recorded.status, None) in \
                self.expected_refusals

        return [r for r in self.fake.requests if 400 <= r.status < 500 and not expected(r)]

    def problems(self) -> list[str]:
        """List what went wrong in any run: tracebacks and errors in the log, unknown or refused requests."""
        found = []
        for run in self.runs:
            log = run.output()
            if "Traceback (most recent call last)" in log:
                found.append(f"bot run {run.number} logged a traceback")
            errors = ERROR_LINE.findall(log)
            if errors:
                found.append(f"bot run {run.number} logged {len(errors)} errors")
        for recorded in self.fake.unknown_requests:
            found.append(f"unknown request {recorded.method} {recorded.path}")
        for error in self.fake.internal_errors:
            found.append(f"the fake failed internally: {error!r}")
        for recorded in self.refused():
            found.append(f"the fake refused {recorded.method} {recorded.path}: {recorded.status} "
                         f"{recorded.response_json} (body sent: {recorded.json_body})")
        return found


@contextlib.asynccontextmanager
async def checked_bot(fake: FakeDiscord, workdir: Path, extra_env: dict[str, str] | None = None
                      ) -> AsyncIterator[BotProcess]:
    """Run the real bot (`python -m bot`) against the fake; fail if it misbehaved in any way along the way."""
    bot = BotProcess(fake, workdir, extra_env=dict(extra_env or {}))
    try:
        await bot.start()
        yield bot
    finally:
        await bot.stop()
    problems = bot.problems()
    assert not problems, "\n".join(problems) + "\n" + bot.output()
