"""The async engine, sessions and migrations: one place that knows how we talk to the database."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Table, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.sql.dml import Insert
from sqlalchemy.types import DateTime, TypeDecorator

from bot.contributions import SESSION_KEY, Contributions

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 5000


class UTCDateTime(TypeDecorator[datetime]):
    """Store aware datetimes as UTC and hand them back aware; SQLite forgets the zone otherwise."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use aware UTC")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def create_engine(url: str) -> AsyncEngine:
    """Create the engine; SQLite gets WAL, foreign keys, a busy timeout and write transactions that lock
    first."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: the driver leaves BEGIN to us (see _sqlite_begin).
        engine = create_async_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000,
                                                        "isolation_level": None})
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
        return engine
    return create_async_engine(url, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    # In WAL mode NORMAL syncs at checkpoints, not at every commit: a commit survives the bot being killed,
    # only a power cut or an OS crash may lose the last ones. Every unit of work is a commit (a fan-out's
    # outcomes are written as they come), and a sync each would cost more than the work itself.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    """Begin a unit of work: IMMEDIATE (take the write lock now), unless it is marked BEGIN_DEFERRED.

    A deferred transaction that reads and then writes cannot wait for the lock when another writer committed
    meanwhile: SQLite fails it at once with "database is locked", busy timeout or not. Taking the lock up
    front makes writers queue (bounded by the busy timeout) instead. Reads are deferred (WAL lets them read
    beside a writer), and so is a unit of work that waits on something slow before it writes (the coach's
    model), so that it does not hold every other writer up meanwhile.
    """
    if connection.get_execution_options().get(BEGIN_DEFERRED):
        connection.exec_driver_sql("BEGIN")
    else:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


# An execution option: begin the unit of work without the write lock (see _sqlite_begin).
BEGIN_DEFERRED = "jobb_begin_deferred"


# SQLite chooses its indexes by the statistics ANALYZE keeps (sqlite_stat1); without them it may look for one
# member's rows through the workspace's index (229 ms against 1 ms measured at 10,000 members, issue 14). With
# a limit ANALYZE samples each index instead of reading it whole: a few ms on a 500 MB database.
SQLITE_ANALYSIS_LIMIT = 1000


async def gather_statistics(session: AsyncSession) -> None:
    """Refresh the statistics the planner chooses indexes by (SQLite; PostgreSQL's autovacuum does it)."""
    if session.get_bind().dialect.name == "sqlite":
        connection = await session.connection()
        await connection.exec_driver_sql(f"PRAGMA analysis_limit={SQLITE_ANALYSIS_LIMIT}")
        await connection.exec_driver_sql("ANALYZE")


def create_sessionmaker(
    engine: AsyncEngine, contributions: Contributions, info: Mapping[str, Any] | None = None
) -> async_sessionmaker[AsyncSession]:
    """Return the session factory; one session per unit of work, carrying the App's contributions (and `info`,
    what the features read from their session: settings, the chart worker)."""
    return async_sessionmaker(engine, expire_on_commit=False,
                              info={**(info or {}), SESSION_KEY: contributions})


def create_deferred_sessionmaker(engine: AsyncEngine, contributions: Contributions,
                                 info: Mapping[str, Any] | None = None) -> async_sessionmaker[AsyncSession]:
    """Return a session factory whose units of work take SQLite's write lock only when they first write: for
    reads (they never wait for it), and for work that waits on something slow before writing."""
    return async_sessionmaker(engine.execution_options(**{BEGIN_DEFERRED: True}), expire_on_commit=False,
                              info={**(info or {}), SESSION_KEY: contributions})


def insert_or_ignore(session: AsyncSession, model: type[Any] | Table, unique: tuple[str, ...],
                     values: dict[str, Any]) -> Insert:
    """An INSERT of one row that does nothing when a row with the same `unique` columns exists (of a table,
    `values` may name only some columns, bound parameters among them, the rest given at execution: many rows).

    Get-or-create under concurrency: two units of work creating the same row cannot fail on the constraint
    (PostgreSQL waits for the other to commit, then skips). Both dialects spell it ON CONFLICT DO NOTHING.
    """
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(model).values(**values).on_conflict_do_nothing(index_elements=list(unique))


def is_locked(error: Exception) -> bool:
    """Tell whether a database error is SQLite's "database is locked" (the busy timeout ran out)."""
    return "database is locked" in str(getattr(error, "orig", error))


def is_unique_violation(error: Exception) -> bool:
    """Tell whether a database error is a unique constraint another unit of work won (PostgreSQL's 23505)."""
    cause = getattr(error, "orig", error)
    return getattr(cause, "sqlstate", None) == "23505" or "UNIQUE constraint failed" in str(cause) \
        or "duplicate key value" in str(cause)


def alembic_config(url: str) -> Config:
    """Build the alembic configuration for a database URL without an ini file."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["configure_logging"] = False
    return config


def migrate_sync(url: str, revision: str = "head") -> None:
    """Upgrade the schema to a revision (blocking; alembic runs its own event loop)."""
    command.upgrade(alembic_config(url), revision)


async def migrate(url: str, revision: str = "head") -> None:
    """Upgrade the schema from async code, in a thread so alembic may run its own loop."""
    log.info("Migrating the database to %s", revision)
    await asyncio.to_thread(migrate_sync, url, revision)
