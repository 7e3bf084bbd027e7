"""Writing what became of sent deliveries: the one write that runs for every few messages of a fan-out.

The Dispatcher lets a send's slot go only once its outcome is written (so that a crash leaves at most the
sends in flight in doubt), so this write sits on the path of every message. Through SQLAlchemy it costs about
1.5 ms on SQLite (two statements; most of it SQLAlchemy's work per statement and aiosqlite's thread hop per
call), more than the sends it records when the platform is fast. `SqliteOutcomeWriter` writes the same rows
with the standard library's sqlite3 in one worker thread, one hop per write: about 0.15 ms
(bench/countdown_fanout.py). Other databases (PostgreSQL, whose driver needs no thread) and the rare outcomes
that need more than these statements go through `write_with_sqlalchemy`.
"""

from __future__ import annotations

import asyncio
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, update
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.models import Delivery, Member

CLAIMED = "claimed"
SENDING = "sending"


@dataclass
class OutcomeWrite:
    """The rows one write changes, all in one transaction."""

    # The process whose claims these are (bot_process.id; None without a registry): only rows it still holds
    # change, so that a row given back meanwhile (the process was taken for dead) is neither started nor
    # marked by it.
    claimer: int | None = None
    # Claimed deliveries whose sends start now: they become SENDING, an attempt each.
    starting: list[int] = field(default_factory=list)
    # (delivery id, status, sent at) of sends that ended without an error.
    done: list[tuple[int, str, datetime | None]] = field(default_factory=list)
    # (delivery id, status, error, retry at or None, 1 when the try does not count as an attempt else 0).
    failed: list[tuple[int, str, str, datetime | None, int]] = field(default_factory=list)
    # Effects that went out: nothing repeats them, so their rows go.
    deleted: list[int] = field(default_factory=list)
    # Members whose DMs were refused (now), whose DMs went through again, and DM channels the platform opened.
    closed: list[int] = field(default_factory=list)
    reopened: list[int] = field(default_factory=list)
    opened: list[tuple[int, str]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return any(
            (self.starting, self.done, self.failed, self.deleted, self.closed, self.reopened, self.opened)
        )


_delivery, _member = Delivery.__table__, Member.__table__
_HELD = _delivery.c.claimed_by.is_not_distinct_from(bindparam("claimer"))
# RETURNING: only the rows it marked may be sent (a claim given back meanwhile is another process's now).
_START = (
    update(_delivery)
    .where(_delivery.c.id.in_(bindparam("ids", expanding=True)), _delivery.c.status == CLAIMED, _HELD)
    .values(status=SENDING, attempts=_delivery.c.attempts + 1)
    .returning(_delivery.c.id)
)
_DONE = (update(_delivery)
         .where(_delivery.c.id == bindparam("delivery"), _delivery.c.status == SENDING, _HELD)
         .values(status=bindparam("new_status"), last_error=None, sent_at=bindparam("at")))
_DELETE = delete(_delivery).where(
    _delivery.c.id.in_(bindparam("ids", expanding=True)), _delivery.c.status == SENDING, _HELD
)
_CLOSED = (update(_member).where(_member.c.id.in_(bindparam("ids", expanding=True)))
           .values(dm_open=False, dm_closed_at=bindparam("at")))
_REOPENED = (update(_member).where(_member.c.id.in_(bindparam("ids", expanding=True)))
             .values(dm_open=True, dm_closed_at=None))
_OPENED = update(_member).where(_member.c.id == bindparam("member")).values(dm_channel_id=bindparam("opened"))


async def write_with_sqlalchemy(connection: AsyncConnection, write: OutcomeWrite, now: datetime) -> set[int]:
    """Apply a write inside the connection's transaction (any database); return the ids of the `starting`
    rows it marked as being sent."""
    claimer = write.claimer
    started: set[int] = set()
    if write.starting:
        started = set(await connection.scalars(_START, {"ids": write.starting, "claimer": claimer}))
    if write.done:
        await connection.execute(
            _DONE, [{"delivery": i, "new_status": s, "at": at, "claimer": claimer} for i, s, at in write.done]
        )
    for delivery_id, status, error, retry_at, not_counted in write.failed:
        values: dict[str, Any] = {"status": status, "last_error": error, "sent_at": None}
        if retry_at is not None:
            values["not_before"] = retry_at
        if not_counted:
            values["attempts"] = _delivery.c.attempts - 1
        await connection.execute(update(_delivery).where(_delivery.c.id == delivery_id,
                                                         _delivery.c.status == SENDING, _HELD)
                                 .values(**values), {"claimer": claimer})
    if write.deleted:
        await connection.execute(_DELETE, {"ids": write.deleted, "claimer": claimer})
    if write.closed:
        await connection.execute(_CLOSED, {"ids": write.closed, "at": now})
    if write.reopened:
        await connection.execute(_REOPENED, {"ids": write.reopened})
    if write.opened:
        await connection.execute(_OPENED, [{"member": m, "opened": c} for m, c in write.opened])
    return started


class SqliteOutcomeWriter:
    """Write outcomes to a SQLite file through one sqlite3 connection in one worker thread (see the module).

    Same statements, same locking as the engine's units of work: BEGIN IMMEDIATE waits (up to the busy
    timeout) for another writer, in the worker thread, not on the event loop. Values are bound the way the
    engine's column types bind them, so what this writes reads back the same through SQLAlchemy.
    """

    def __init__(self, path: str, engine: AsyncEngine, busy_timeout_ms: int) -> None:
        self._path = path
        self._busy_timeout_ms = busy_timeout_ms
        dialect = engine.dialect
        self._stamp = _delivery.c.sent_at.type.bind_processor(dialect) or (lambda value: value)
        self._executor: ThreadPoolExecutor | None = None
        self._connection: sqlite3.Connection | None = None

    async def write(self, write: OutcomeWrite, now: datetime) -> set[int]:
        """Apply a write in one transaction (one hop to the worker thread); return the ids of the `starting`
        rows it marked as being sent."""
        if self._executor is None:
            self._executor = ThreadPoolExecutor(1, thread_name_prefix="outcomes")
        return await asyncio.get_running_loop().run_in_executor(self._executor, self._write, write, now)

    def close(self) -> None:
        """Close the connection and the worker thread (a later write opens them again)."""
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.submit(self._close_connection).result()
            executor.shutdown()

    def _close_connection(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def _connect(self) -> sqlite3.Connection:
        if self._connection is None:
            # isolation_level None: the transaction is ours (BEGIN IMMEDIATE below), as in bot.db.
            connection = sqlite3.connect(
                self._path, isolation_level=None, timeout=self._busy_timeout_ms / 1000
            )
            connection.execute(f"PRAGMA busy_timeout={self._busy_timeout_ms}")
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.execute("PRAGMA foreign_keys=ON")
            self._connection = connection
        return self._connection

    def _write(self, write: OutcomeWrite, now: datetime) -> set[int]:
        stamp = self._stamp
        claimer = write.claimer
        connection = self._connect()
        connection.execute("BEGIN IMMEDIATE")
        started: set[int] = set()
        try:
            if write.starting:
                marks = ", ".join("?" * len(write.starting))
                started = {row[0] for row in connection.execute(
                    "UPDATE delivery SET status = 'sending', attempts = attempts + 1 "
                    f"WHERE id IN ({marks}) AND status = 'claimed' AND claimed_by IS ? RETURNING id",
                    [*write.starting, claimer]).fetchall()}
            if write.done:
                connection.executemany(
                    "UPDATE delivery SET status = ?, last_error = NULL, sent_at = ? "
                    "WHERE id = ? AND status = 'sending' AND claimed_by IS ?",
                    [(status, None if at is None else stamp(at), i, claimer) for i, status, at in write.done],
                )
            if write.failed:
                connection.executemany(
                    "UPDATE delivery SET status = ?, last_error = ?, sent_at = NULL, "
                    "not_before = coalesce(?, not_before), attempts = attempts - ? "
                    "WHERE id = ? AND status = 'sending' AND claimed_by IS ?",
                    [(status, error, None if retry_at is None else stamp(retry_at), not_counted, i, claimer)
                     for i, status, error, retry_at, not_counted in write.failed])
            if write.deleted:
                connection.executemany("DELETE FROM delivery WHERE id = ? AND status = 'sending' "
                                       "AND claimed_by IS ?", [(i, claimer) for i in write.deleted])
            if write.closed:
                connection.executemany("UPDATE member SET dm_open = 0, dm_closed_at = ? WHERE id = ?",
                                       [(stamp(now), i) for i in write.closed])
            if write.reopened:
                connection.executemany("UPDATE member SET dm_open = 1, dm_closed_at = NULL WHERE id = ?",
                                       [(i,) for i in write.reopened])
            if write.opened:
                connection.executemany("UPDATE member SET dm_channel_id = ? WHERE id = ?",
                                       [(channel, i) for i, channel in write.opened])
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")
        return started


def sqlite_outcome_writer(engine: AsyncEngine, busy_timeout_ms: int) -> SqliteOutcomeWriter | None:
    """The fast writer for an engine on a SQLite file; None for other databases and in-memory SQLite."""
    url = make_url(str(engine.url))
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return SqliteOutcomeWriter(url.database, engine, busy_timeout_ms)
