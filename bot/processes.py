"""The registry of running bot processes: who is alive, so that only a dead process's claims are given back.

Several processes may share one PostgreSQL database (Discord's shards split across them, Slack beside them).
Each registers a row at start (`bot_process`), heartbeats every HEARTBEAT_EVERY, and deletes the row at a
clean stop. A process whose heartbeat is older than DEAD_AFTER is dead: the deliveries and fan-outs it
claimed go back to pending (those it was sending, in doubt, are asked of the platform first: bot.delivery).
The live processes of a platform share its global rate limit (`Budget`). No lock service: the rows are the
truth.

On SQLite (one process) the same code runs: one row, its own heartbeat.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Select, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.background import Background
from bot.clock import Clock
from bot.models import BotProcess

log = logging.getLogger(__name__)

# How often a running process says it is alive. Each beat is one small UPDATE (and the look for dead
# processes' claims, two more); a process that stops beating is found dead DEAD_AFTER later.
HEARTBEAT_EVERY = timedelta(seconds=10)
# A process silent this long is dead: six beats missed, longer than any pause of a healthy process (a long
# garbage collection, a slow database), short enough that its claims do not wait long for another process.
DEAD_AFTER = timedelta(seconds=60)
# A dead process's row is kept a while (for whoever looks at the table), then deleted.
FORGET_AFTER = timedelta(hours=1)


def machine() -> str:
    """Name the machine a process runs on, precisely enough that two processes of the same name see each
    other's process ids: the host name and, on Linux, the pid namespace (two containers may share a host name,
    never a pid namespace)."""
    name = socket.gethostname()
    with contextlib.suppress(OSError):
        name += "/" + os.readlink("/proc/self/ns/pid")  # e.g. "pid:[4026531836]"
    return name


def _running(pid: int) -> bool:
    """Tell whether a process with this id runs (in this process's pid namespace)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it runs, as another user
        return True
    return True


def live_processes(now: datetime) -> Select[Any]:
    """The ids of the processes alive at `now` (their heartbeat is recent enough), as a subquery."""
    return select(BotProcess.id).where(BotProcess.heartbeat_at >= now - DEAD_AFTER)


class RateLimited(Protocol):
    """What shares a platform's budget: a pacer whose rate can change (bot.discordbot.ratelimits.Pacer)."""

    BURST: float

    def set_rate(self, rate: float) -> None: ...


@dataclass
class Budget:
    """A platform's global rate, shared by its live processes: each goes at `rate` / their number.

    Discord's global limit is per bot, whatever the process: its pacer takes a share. Slack has no global
    limit but per-method tiers per workspace, and its client waits out a 429 (Retry-After) and tries again
    (bot.slack: AsyncRateLimitErrorRetryHandler); what still comes back throttled waits as any delivery
    does (delivery.Throttled). So Slack shares nothing here.
    """

    platform: str
    rate: float
    pacer: RateLimited
    share: int = 1

    def apply(self, processes: int) -> None:
        """Give the pacer its share of the rate among `processes` live processes of the platform.

        Each pacer may go a little over its rate in a given second (its BURST); n pacers' bursts add up. So
        the n shares are what one pacer's worst second allows, less the others' bursts: together they never
        go over what one process at the whole rate would (measured: at rate / n each, two processes met
        Discord's global limit at a second's edge a hundred times in a fan-out of 5,000).
        """
        processes = max(processes, 1)
        rate = max((self.rate - self.pacer.BURST * (processes - 1)) / processes, self.rate / processes / 2)
        if processes != self.share:
            log.info("%d live %s processes: this one paces at %.1f requests a second", processes,
                     self.platform, rate)
        self.share = processes
        self.pacer.set_rate(rate)


class Registry:
    """This process's row in the registry: registered at start, beating while it runs, gone at a clean
    stop."""

    def __init__(self, engine: AsyncEngine, clock: Clock, *, host: str | None = None,
                 pid: int | None = None) -> None:
        self._engine = engine
        self._clock = clock
        self.host = host or machine()
        self.pid = os.getpid() if pid is None else pid
        self.process_id: int | None = None
        self.platforms: frozenset[str] = frozenset()
        self.shards: tuple[int, ...] = ()
        self._budgets: dict[str, Budget] = {}
        self._beating = Background("processes:heartbeat", self._beat_forever)
        # What else runs at each beat (the dispatcher gives back dead processes' claims).
        self.on_beat: list[Callable[[datetime], Any]] = []

    async def register(self, platforms: Iterable[str] = (), shards: Iterable[int] = ()) -> int:
        """Insert this process's row (or, registered already, record more platforms or shards); return its
        id."""
        self.platforms |= frozenset(platforms)
        self.shards = tuple(sorted({*self.shards, *shards}))
        now = self._clock.now()
        values: dict[str, Any] = {"platforms": ",".join(sorted(self.platforms)),
                  "shards": ",".join(map(str, self.shards)) or None, "heartbeat_at": now}
        async with self._engine.begin() as connection:
            if self.process_id is not None:
                updated = await connection.execute(update(BotProcess).where(BotProcess.id == self.process_id)
                                                   .values(**values))
                if updated.rowcount:
                    return self.process_id
                values["id"] = self.process_id  # taken for dead meanwhile: the same id, so its claims stay
            self.process_id = await connection.scalar(insert(BotProcess).values(
                host=self.host[:255], pid=self.pid, started_at=now, **values).returning(BotProcess.id))
        assert self.process_id is not None
        log.info("Registered as process %s (%s on %s, pid %s)", self.process_id, values["platforms"] or "-",
                 self.host, self.pid)
        return self.process_id

    async def bury_the_dead_here(self) -> list[int]:
        """At start, after registering: take for dead at once the processes of this machine that are gone,
        rather than wait DEAD_AFTER for their heartbeat to age (a bot killed and started again, by systemd or
        a container's restart policy, gives back at once what it held). Gone is a process id that no longer
        runs, or this process's own id under another row (a previous run: two live processes of one machine
        never share an id, so a container whose bot is always pid 1 finds its last run). Return their ids."""
        assert self.process_id is not None
        async with self._engine.begin() as connection:
            rows = (await connection.execute(select(BotProcess.id, BotProcess.pid).where(
                BotProcess.host == self.host[:255], BotProcess.id != self.process_id))).all()
            gone = [row.id for row in rows if row.pid == self.pid or not _running(row.pid)]
            if gone:
                # Dead as of long ago: the claims go back below (App.start resumes), the rows later.
                await connection.execute(update(BotProcess).where(BotProcess.id.in_(gone)).values(
                    heartbeat_at=self._clock.now() - DEAD_AFTER - DEAD_AFTER))
        if gone:
            log.info("Processes %s of this machine are gone: what they held goes back now",
                     ", ".join(map(str, gone)))
        return gone

    def share(self, platform: str, pacer: RateLimited, rate: float) -> Budget:
        """Share a platform's global `rate` with its other live processes: the pacer's rate follows their
        number at each beat."""
        budget = self._budgets[platform] = Budget(platform, rate, pacer)
        return budget

    def start(self) -> None:
        """Beat in the background until stop()."""
        self._beating.start()

    async def _beat_forever(self) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_EVERY.total_seconds())
            try:
                await self.beat()
            except asyncio.CancelledError:
                raise
            except Exception:  # the database may be away for a moment: the next beat tries again
                log.exception("Heartbeat of process %s failed", self.process_id)

    async def beat(self) -> None:
        """Say this process is alive, share the budgets among the live processes, and run what runs at each
        beat."""
        if self.process_id is None:
            return
        now = self._clock.now()
        async with self._engine.begin() as connection:
            updated = await connection.execute(update(BotProcess).where(BotProcess.id == self.process_id)
                                               .values(heartbeat_at=now))
            alive = list(await connection.scalars(
                select(BotProcess.platforms).where(BotProcess.id.in_(live_processes(now))))) \
                if self._budgets else []
            # The rows of processes dead long ago go (what they claimed went back when they were found dead).
            await connection.execute(delete(BotProcess).where(BotProcess.heartbeat_at < now - FORGET_AFTER))
        if not updated.rowcount:
            # Another process found this one dead (a pause longer than DEAD_AFTER) and removed the row: back
            # under the same id, so that what it still holds stays its own.
            log.warning("Process %s was taken for dead; registering again", self.process_id)
            await self.register()
        self._apply_budgets(alive)
        for hook in self.on_beat:
            await hook(now)

    async def share_now(self) -> None:
        """Give each shared budget its share among the live processes now (at start: a process that joins
        others paces at its share from its first request, not from its first beat)."""
        if not self._budgets:
            return
        now = self._clock.now()
        async with self._engine.connect() as connection:
            self._apply_budgets(list(await connection.scalars(
                select(BotProcess.platforms).where(BotProcess.id.in_(live_processes(now))))))

    def _apply_budgets(self, alive: list[str]) -> None:
        """Share each budget among the live processes whose platforms (`alive`, one "a,b" a process) name
        its platform."""
        for platform, budget in self._budgets.items():
            budget.apply(sum(platform in row.split(",") for row in alive))

    async def live_count(self, platform: str) -> int:
        """How many live processes serve a platform (this one included)."""
        now = self._clock.now()
        async with self._engine.connect() as connection:
            rows = await connection.scalars(select(BotProcess.platforms).where(
                BotProcess.id.in_(live_processes(now))))
            return sum(platform in row.split(",") for row in rows)

    async def stop(self) -> None:
        """Stop beating and delete this process's row: a clean stop leaves nothing for the others to wait
        out."""
        await self._beating.stop()
        if self.process_id is None:
            return
        try:
            async with self._engine.begin() as connection:
                await connection.execute(delete(BotProcess).where(BotProcess.id == self.process_id))
        except Exception:  # the row ages out: the others take the process for dead after DEAD_AFTER
            log.exception("Could not remove process %s from the registry", self.process_id)
        self.process_id = None
