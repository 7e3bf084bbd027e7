"""Counting the SQL statements an App sends: a context manager around its engine.

    with counting(app.engine) as counted:
        await app.run(ANNA, activity.stats)
    assert counted.count <= 11

Every statement the driver executes through a cursor is recorded, with its parameters and how long the
driver took (wall time, from `before_cursor_execute` to `after_cursor_execute`; a statement that fails is
not recorded). On SQLite the unit of work's `BEGIN IMMEDIATE`, which bot/db.py sends itself, is one of them;
COMMIT and ROLLBACK, and PostgreSQL's BEGIN, go through the connection and are not. Used by
tests/test_statement_counts.py and bench/service_latency.py.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

_STARTED = "statements.started"


@dataclass(frozen=True)
class Statement:
    """One statement as the driver got it."""

    sql: str
    parameters: Any
    seconds: float
    executemany: bool


@dataclass
class Counted:
    """The statements sent while counting, in order."""

    statements: list[Statement] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.statements)

    @property
    def widest(self) -> int:
        """The most parameters one statement took (an IN list that grows with the rows shows here); a
        statement run for many rows (executemany) counts one row's."""
        return max((_width(s.parameters[0] if s.executemany and s.parameters else s.parameters)
                    for s in self.statements), default=0)

    def reset(self) -> None:
        self.statements.clear()

    def __str__(self) -> str:
        return "\n".join(f"{n}. {' '.join(s.sql.split())[:300]}" for n, s in enumerate(self.statements, 1))


def _width(parameters: Any) -> int:
    if parameters is None:
        return 0
    return len(parameters)


@contextlib.contextmanager
def counting(engine: AsyncEngine) -> Iterator[Counted]:
    """Record every statement the engine's connections execute inside the block."""
    counted = Counted()
    sync_engine = engine.sync_engine

    def before(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
               ) -> None:
        conn.info.setdefault(_STARTED, []).append(time.perf_counter())

    def after(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
              ) -> None:
        started = conn.info.get(_STARTED) or [time.perf_counter()]
        seconds = time.perf_counter() - started.pop()
        counted.statements.append(Statement(statement, parameters, seconds, executemany))

    event.listen(sync_engine, "before_cursor_execute", before)
    event.listen(sync_engine, "after_cursor_execute", after)
    try:
        yield counted
    finally:
        event.remove(sync_engine, "before_cursor_execute", before)
        event.remove(sync_engine, "after_cursor_execute", after)
