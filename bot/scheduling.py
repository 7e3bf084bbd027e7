"""APScheduler only wakes the dispatcher up; what is due lives in the database.

One date job (a fixed id, replaced on every change) sleeps until the earliest due row. A missed wake-up loses
nothing: the next run asks the database what is due at that moment.

Several processes on one PostgreSQL database wake each other: a process that fanned something out says so on
a channel (NOTIFY), and the others' DueListener wakes their scheduler, so that they join the sending at once
instead of at their safety tick.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    JobExecutionEvent,
    JobSubmissionEvent,
)
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.engine import make_url

from bot.background import Background
from bot.clock import Clock
from bot.delivery import DUE_CHANNEL, Dispatcher

log = logging.getLogger(__name__)

WAKE_JOB_ID = "dispatcher:wake"
# Re-check the database now and then even without a known due time: another process may have added rows.
SAFETY_INTERVAL = timedelta(minutes=5)
# How long a stop waits for an interrupted dispatch to let go of the database.
STOP_TIMEOUT = 10.0
# How long a stop lets a running dispatch finish before it ends it (what it has not sent is resumed at start).
FINISH_TIMEOUT = 1.0


class Scheduler:
    """Wake the dispatcher when the next row falls due, and on a slow safety tick."""

    def __init__(self, dispatcher: Dispatcher, clock: Clock) -> None:
        self._dispatcher = dispatcher
        self._clock = clock
        # misfire_grace_time=None: a wake-up that comes late still runs (the default 1 s silently drops it).
        self._scheduler = AsyncIOScheduler(
            timezone=UTC, job_defaults={"misfire_grace_time": None, "coalesce": True, "max_instances": 1})
        self._scheduler.add_listener(self._log_job_event, EVENT_JOB_ERROR | EVENT_JOB_MISSED)
        self._scheduler.add_listener(self._while_dispatching, EVENT_JOB_MAX_INSTANCES)
        dispatcher.on_next_wake = self._set_wake_job
        self._running: set[asyncio.Task[object]] = set()
        self._stopping = False
        # A wake-up asked for while a dispatch runs (a button pressed meanwhile planned something due now):
        # APScheduler skips a second instance of the job, so the running one goes round once more instead.
        self._dispatching = False
        self._again = False
        # When the one wake-up job is set for (None: not set), so that a wake_by later than that costs
        # nothing.
        self._next_wake: datetime | None = None

    @property
    def running(self) -> bool:
        return self._scheduler.running

    def start(self) -> None:
        """Start inside the running event loop; the first wake-up runs at once to catch up."""
        self._stopping = False
        self._scheduler.start()
        self._scheduler.add_job(self._wake, "interval", seconds=SAFETY_INTERVAL.total_seconds(),
                                id="dispatcher:safety", replace_existing=True)
        self.wake_at(self._clock.now())

    def shutdown(self) -> None:
        """Stop without waiting for running jobs; the database keeps what they did not finish."""
        self._stopping = True
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)

    async def stop(self) -> None:
        """Stop: let a dispatch that is about to end finish, end one that is not, and wait until it has let go
        of the database."""
        self._stopping = True
        running = list(self._running)
        if running:
            # Most dispatches take milliseconds; one cancelled in the middle of a database call leaves the
            # connection pool to log an error as it cleans up, so a short one is let finish.
            await asyncio.wait(running, timeout=FINISH_TIMEOUT)
        # Shutting APScheduler down cancels the jobs it runs.
        self.shutdown()
        running = [task for task in running if not task.done()]
        if running:
            await asyncio.wait(running, timeout=STOP_TIMEOUT)

    async def _wake(self) -> None:
        """Run the dispatcher; a stop in the middle of a dispatch is no error: the next start resumes it."""
        if self._stopping:
            return
        task = asyncio.current_task()
        if task is not None:
            self._running.add(task)
        self._next_wake = None
        try:
            while True:
                self._again = False
                self._dispatching = True
                try:
                    await self._dispatcher.run_due()
                finally:
                    self._dispatching = False
                if not self._again or self._stopping:
                    break
        except asyncio.CancelledError:
            if not self._stopping:
                raise
            log.info("Stopped a dispatch in the middle; the next start resumes its deliveries")
        finally:
            if task is not None:
                self._running.discard(task)

    def wake_at(self, when: datetime | None) -> None:
        """Set the one wake-up job to a time on the injected clock (which may run ahead of the wall clock)."""
        self._set_wake_job(when)

    def wake_by(self, when: datetime) -> None:
        """Make sure the dispatcher wakes no later than `when` (a command planned something due then).

        Cheaper than wake_at after every command: no query, and nothing to do when a wake-up comes sooner.
        """
        if not self._scheduler.running:
            return
        if self._dispatching:
            # The running dispatch may have read "what is next" before the plan was committed: go round again.
            self._again = True
            return
        if self._next_wake is not None and self._next_wake <= when:
            return
        self._set_wake_job(when)

    def _set_wake_job(self, when: datetime | None) -> None:
        """Set the wake-up job (the dispatcher's own "next due" after a run comes here directly)."""
        if not self._scheduler.running:
            return
        if self._dispatching and when is not None and when <= self._clock.now():
            # Due already, during a dispatch: a job now would be skipped (one instance at a time); go round.
            self._again = True
            return
        self._next_wake = when
        if when is None:
            if self._scheduler.get_job(WAKE_JOB_ID):
                self._scheduler.remove_job(WAKE_JOB_ID)
            return
        delay = max(when - self._clock.now(), timedelta(0))
        self._scheduler.add_job(self._wake, "date", run_date=datetime.now(UTC) + delay,
                                id=WAKE_JOB_ID, replace_existing=True)

    def _while_dispatching(self, event: JobSubmissionEvent) -> None:
        """A wake-up came while a dispatch runs (APScheduler skips it): the running one goes round again."""
        if event.job_id == WAKE_JOB_ID:
            self._again = True
            self._next_wake = None

    @staticmethod
    def _log_job_event(event: JobExecutionEvent) -> None:
        if event.exception is not None:
            log.error("Scheduled job %s failed", event.job_id, exc_info=event.exception)
        else:
            log.warning("Scheduled job %s missed its time", event.job_id)


# How long a listener whose connection failed or dropped waits before it connects again.
RECONNECT_AFTER = 5.0
# How often a listener looks whether its connection is still open (a drop the driver did not report).
CHECK_EVERY = 30.0


class DueListener:
    """Listen on PostgreSQL for other processes' "due now" (DUE_CHANNEL) and call `on_due` with the time.

    One connection of its own (LISTEN holds it), outside the engine's pool; when it drops it is made again,
    and `on_due` is called at once then, in case something was said meanwhile. What this process said itself
    is not heard (the payload names the process).
    """

    def __init__(self, database_url: str, on_due: Callable[[datetime], Any],
                 process_id: Callable[[], int | None]) -> None:
        url = make_url(database_url)
        self._dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._on_due = on_due
        self._process_id = process_id
        self._task = Background("scheduling:listen", self._listen_forever)
        # Set while listening (tests wait for it).
        self.listening = asyncio.Event()

    @staticmethod
    def applies(database_url: str) -> bool:
        """Whether the database can carry the wake-ups (PostgreSQL; SQLite serves one process)."""
        return make_url(database_url).get_backend_name() == "postgresql"

    def start(self) -> None:
        self._task.start()

    async def stop(self) -> None:
        await self._task.stop()

    async def _listen_forever(self) -> None:
        import asyncpg  # type: ignore[import-untyped]  # only with PostgreSQL, whose driver it is

        first = True
        while True:
            connection = None
            try:
                # Shielded: a connect cancelled halfway (a stop right after the start) leaves the driver a
                # future nobody reads; it is let finish, and closed below.
                connecting = asyncio.ensure_future(asyncpg.connect(self._dsn))
                try:
                    connection = await asyncio.shield(connecting)
                except asyncio.CancelledError:
                    await asyncio.wait([connecting], timeout=STOP_TIMEOUT)
                    if connecting.done() and not connecting.cancelled() and connecting.exception() is None:
                        connection = connecting.result()
                    raise
                lost = asyncio.Event()
                connection.add_termination_listener(lambda _connection, lost=lost: lost.set())
                await connection.add_listener(DUE_CHANNEL, self._heard)
                self.listening.set()
                if not first:
                    log.info("Listening for other processes' wake-ups again")
                    self._on_due(datetime.now(UTC))  # what was said while the connection was down
                first = False
                while not connection.is_closed():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(lost.wait(), CHECK_EVERY)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("Could not listen for other processes' wake-ups; trying again", exc_info=True)
            finally:
                self.listening.clear()
                if connection is not None and not connection.is_closed():
                    with contextlib.suppress(Exception):
                        await connection.close(timeout=STOP_TIMEOUT)
            first = False
            await asyncio.sleep(RECONNECT_AFTER)

    def _heard(self, _connection: object, _pid: int, _channel: str, payload: str) -> None:
        sender, _, when = payload.partition(" ")
        if sender == str(self._process_id()):
            return  # this process's own
        try:
            due = datetime.fromisoformat(when)
        except ValueError:
            log.warning("A wake-up with an unreadable time: %r", payload)
            return
        self._on_due(due)
