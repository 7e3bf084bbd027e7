"""Backups of the database and their restore: SQLite through its online backup API, PostgreSQL through its own
dump tools; and the schedule that takes them while the bot runs.

A backup is one file in the backup folder, named `jobbskaparna-YYYYMMDD-HHMMSS` (UTC) and `.sqlite3.gz` or
`.pgdump`. It is written under a hidden temporary name and renamed when complete, so a file under a backup's
name is always whole. Every message is one line a person can act on (BackupError); none holds the password.
"""

from __future__ import annotations

import asyncio
import contextlib
import glob
import gzip
import logging
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text as sql_text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot import db
from bot.background import Background
from bot.config import Settings

log = logging.getLogger(__name__)

STAMP_FORMAT = "%Y%m%d-%H%M%S"
SQLITE_SUFFIX = ".sqlite3.gz"
POSTGRES_SUFFIX = ".pgdump"
# Only files named like this are ours: retention deletes nothing else in the folder. A plain .sqlite3 (a
# backup unpacked by hand, or made by an older version) counts too.
BACKUP_NAME = re.compile(r"^jobbskaparna-(\d{8}-\d{6})\.(?:sqlite3(?:\.gz)?|pgdump)$")
# The copy of the database a restore replaced; not matched by BACKUP_NAME, so retention never deletes it.
BEFORE_RESTORE_PREFIX = "jobbskaparna-before-restore-"

# gzip level 1: the 134 MB database bench/backup.py seeds (10,000 members) becomes 26 MB in 0.8 s; level 6
# saves another 2 MB for 2.2 s. A SQLite file is mostly free space and repeated text, so it always pays.
GZIP_LEVEL = 1
COPY_CHUNK = 1 << 20
# How long the copy waits for SQLite's lock when a writer holds it (the bot's own busy timeout).
SQLITE_TIMEOUT = db.SQLITE_BUSY_TIMEOUT_MS / 1000

SQLITE_MAGIC = b"SQLite format 3\x00"
GZIP_MAGIC = b"\x1f\x8b"
PGDUMP_MAGIC = b"PGDMP"

# One key for "a backup is being taken" on PostgreSQL (pg_try_advisory_lock): "jobbBKUP" as a 64-bit number.
BACKUP_LOCK_KEY = int.from_bytes(b"jobbBKUP", "big")
# After a failed scheduled backup, the next try comes this soon (or one interval, if that is sooner).
RETRY_AFTER = timedelta(hours=1)


class BackupError(Exception):
    """A backup or restore cannot be done; the message is one line that says why (and holds no secret)."""


@dataclass(frozen=True)
class Database:
    """The configured database, as the backup tools need it."""

    url: URL

    @property
    def is_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"

    @property
    def path(self) -> Path:
        """The SQLite file."""
        return Path(self.url.database or "")

    def describe(self) -> str:
        """Say which database this is, without the password."""
        if self.is_sqlite:
            return f"the SQLite database {self.path}"
        return f"the PostgreSQL database {self.url.database} on {self.url.host or 'localhost'}:" \
               f"{self.url.port or 5432}"


def database_of(settings: Settings) -> Database:
    """Return the database the settings configure."""
    url = make_url(settings.effective_database_url)
    database = Database(url)
    if database.is_sqlite and (not url.database or url.database == ":memory:"):
        raise BackupError("the database is in memory: there is nothing to back up or restore")
    return database


def backup_name(when: datetime, suffix: str, prefix: str = "jobbskaparna-") -> str:
    """Name a backup taken at `when` (its time in UTC)."""
    return f"{prefix}{when.astimezone(UTC).strftime(STAMP_FORMAT)}{suffix}"


def backup_now(settings: Settings, directory: Path | None = None, *, now: datetime | None = None) -> Path:
    """Take a backup of the configured database into `directory` (BACKUP_DIR); return the file."""
    database = database_of(settings)
    directory = directory or settings.effective_backup_dir
    when = now or datetime.now(UTC)
    suffix = SQLITE_SUFFIX if database.is_sqlite else POSTGRES_SUFFIX
    target = directory / backup_name(when, suffix)
    if target.exists():
        raise BackupError(f"{target} exists already (a backup in the same second): try again")
    _make_folder(directory)
    if database.is_sqlite:
        _backup_sqlite(database.path, target)
    else:
        _backup_postgres(database.url, target)
    return target


def _make_folder(directory: Path) -> None:
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise BackupError(f"cannot create the backup folder {directory}: {error.strerror}") from None


# --- SQLite -------------------------------------------------------------------------------------------------


def _backup_sqlite(source: Path, target: Path, *, check: bool = True) -> None:
    """Copy a SQLite database through the online backup API into a gzipped file, checked before it is named.

    The copy is made in one step: one read transaction, so the copy is the database at one instant. In WAL
    mode (the bot's, see bot.db) a reader never blocks a writer, so the bot writes on meanwhile. A copy in
    steps of some pages would let writers in between steps too, but SQLite restarts a stepped backup from the
    first page whenever another connection writes, so under a steady writer it would never finish (measured in
    bench/backup.py).
    """
    if not source.is_file():
        raise BackupError(f"no database at {source}")
    raw = _temporary(target, ".sqlite3")
    packed = _temporary(target, ".gz")
    try:
        try:
            with contextlib.closing(sqlite3.connect(source, timeout=SQLITE_TIMEOUT)) as live, \
                    contextlib.closing(sqlite3.connect(raw)) as copy:
                live.backup(copy)
                if check:
                    _check_jobbskaparna(copy, f"the copy of {source}")
                # One self-contained file: the copy is in WAL mode like its source; a restore sets it back.
                copy.execute("PRAGMA journal_mode=DELETE")
        except sqlite3.Error as error:
            raise BackupError(f"cannot copy {source}: {error}") from None
        try:
            with raw.open("rb") as plain, gzip.open(packed, "wb", compresslevel=GZIP_LEVEL) as out:
                shutil.copyfileobj(plain, out, COPY_CHUNK)
            _publish(packed, target)
        except OSError as error:
            raise BackupError(f"cannot write {target}: {error.strerror or error}") from None
    finally:
        raw.unlink(missing_ok=True)
        packed.unlink(missing_ok=True)


def _temporary(target: Path, suffix: str) -> Path:
    """A hidden name beside the target, not matched by BACKUP_NAME."""
    return target.with_name(f".{target.name}.{os.getpid()}{suffix}.part")


def _publish(written: Path, target: Path) -> None:
    """Make a written file durable, then give it its final name (a rename: never half a file under it)."""
    with written.open("rb+") as out:
        os.fsync(out.fileno())
    os.replace(written, target)
    with contextlib.suppress(OSError):  # not every file system lets a folder be synced
        folder = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)


def _check_jobbskaparna(connection: sqlite3.Connection, what: str) -> str:
    """Check a SQLite database is whole and is Jobbskaparna's; return its schema revision."""
    try:
        problems = [row[0] for row in connection.execute("PRAGMA integrity_check")]
        if problems != ["ok"]:
            raise BackupError(f"{what} is damaged (integrity_check: {problems[0]})")
        revision = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError as error:
        if "no such table" in str(error):
            raise BackupError(f"{what} is a SQLite database but not Jobbskaparna's (no alembic_version)") \
                from None
        raise BackupError(f"{what} cannot be read: {error}") from None
    if revision is None:
        raise BackupError(f"{what} has no schema revision (alembic_version is empty)")
    return str(revision[0])


def _unpack_sqlite(file: Path, beside: Path) -> Path:
    """Copy a SQLite backup (gzipped or not) to a temporary file in `beside`; return it.

    A file that is not gzipped is read through the backup API too: a database copied by hand may be in WAL
    mode, with part of its content still in its -wal file.
    """
    fd, name = tempfile.mkstemp(prefix=".jobbskaparna-restore-", suffix=".part", dir=beside)
    os.close(fd)
    unpacked = Path(name)
    try:
        gzipped, _ = _head(file)
        if gzipped:
            with gzip.open(file, "rb") as packed, unpacked.open("wb") as out:
                shutil.copyfileobj(packed, out, COPY_CHUNK)
        else:
            with contextlib.closing(sqlite3.connect(file, timeout=SQLITE_TIMEOUT)) as source, \
                    contextlib.closing(sqlite3.connect(unpacked)) as copy:
                source.backup(copy)
    except (OSError, EOFError, zlib.error, sqlite3.Error) as error:
        unpacked.unlink(missing_ok=True)
        raise BackupError(f"cannot read {file}: {getattr(error, 'strerror', None) or error}") from None
    except BaseException:
        unpacked.unlink(missing_ok=True)
        raise
    return unpacked


# --- PostgreSQL ---------------------------------------------------------------------------------------------


def find_pg_tool(name: str) -> str:
    """Find pg_dump or pg_restore: on the PATH, else the newest in Debian's /usr/lib/postgresql/*/bin."""
    found = shutil.which(name)
    if found:
        return found

    def version(path: str) -> int:
        number = Path(path).parent.parent.name
        return int(number) if number.isdigit() else 0

    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=version, reverse=True)
    if candidates:
        return candidates[0]
    raise BackupError(f"{name} is not installed: install postgresql-client (your server's version or newer)")


def _connection_arguments(url: URL) -> tuple[list[str], dict[str, str]]:
    """The command-line arguments and environment that connect a PostgreSQL tool to the database.

    The password goes into the child's environment (PGPASSWORD), never onto its command line, which any user
    of the machine can read in the process list. --no-password: a tool never waits for one at a prompt.
    """
    arguments = ["--no-password"]
    host = url.host or url.query.get("host")
    if isinstance(host, str) and host:
        arguments += ["--host", host]
    if url.port:
        arguments += ["--port", str(url.port)]
    if url.username:
        arguments += ["--username", url.username]
    environment = dict(os.environ)
    if url.password is not None:
        environment["PGPASSWORD"] = str(url.password)
    ssl = url.query.get("sslmode") or url.query.get("ssl")
    if isinstance(ssl, str) and ssl:
        # asyncpg spells "require" and the other libpq modes alike; "true" means require.
        environment["PGSSLMODE"] = "require" if ssl == "true" else ssl
    return arguments, environment


def _run_pg(tool: str, arguments: list[str], url: URL, environment: dict[str, str]) -> str:
    """Run a PostgreSQL tool; on failure raise BackupError with its last line of error (password hidden)."""
    executable = find_pg_tool(tool)
    try:
        done = subprocess.run([executable, *arguments], env=environment, capture_output=True, text=True,
                              check=False)
    except OSError as error:
        raise BackupError(f"cannot run {executable}: {error.strerror}") from None
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        # The first error line says what went wrong; what follows are hints ("Is the server running…").
        errors = [line for line in lines if line.startswith(f"{tool}: error: ") or "ERROR:" in line]
        reason = (errors or lines or [f"exit status {done.returncode}"])[0]
        for prefix in (f"{tool}: error: ", f"{tool}: "):
            reason = reason.removeprefix(prefix)
        if url.password:
            reason = reason.replace(str(url.password), "***")
        raise BackupError(f"{tool} failed: {reason}")
    return done.stdout


def _backup_postgres(url: URL, target: Path) -> None:
    """Dump a PostgreSQL database in pg_dump's custom format (compressed; pg_restore reads it)."""
    arguments, environment = _connection_arguments(url)
    written = _temporary(target, "")
    try:
        _run_pg("pg_dump", ["--format=custom", f"--file={written}", *arguments, str(url.database)], url,
                environment)
        _publish(written, target)
    finally:
        written.unlink(missing_ok=True)


# The restore empties the schema first, in its own transaction. pg_restore --clean drops only what the dump
# holds, and cannot drop it when a table a newer migration added (not in an older dump) refers to it.
CLEAR_SCHEMA = """DO $$ DECLARE found record; BEGIN
  FOR found IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' LOOP
    EXECUTE format('DROP TABLE IF EXISTS public.%I CASCADE', found.tablename);
  END LOOP;
END $$"""


def _restore_postgres(file: Path, url: URL, work: Path) -> None:
    """Replace the database's tables with a dump's, in one transaction: all of it, or nothing changed.

    pg_restore writes the dump out as SQL (without owners and grants: they name the roles of the server the
    dump came from), and psql runs it after CLEAR_SCHEMA, all in one transaction.
    """
    arguments, environment = _connection_arguments(url)
    script = work / f".jobbskaparna-restore-{os.getpid()}.sql.part"
    try:
        _run_pg("pg_restore", ["--no-owner", "--no-privileges", f"--file={script}", str(file)], url,
                environment)
        _run_pg("psql", ["--no-psqlrc", "--quiet", "--single-transaction", "--set=ON_ERROR_STOP=1",
                         *arguments, f"--dbname={url.database}", f"--command={CLEAR_SCHEMA}",
                         f"--file={script}"], url, environment)
    finally:
        script.unlink(missing_ok=True)


def _dump_revision(file: Path, url: URL) -> str:
    """Read a custom-format dump's schema revision (its alembic_version row) without restoring it."""
    _, environment = _connection_arguments(url)
    listing = _run_pg("pg_restore", ["--list", str(file)], url, environment)
    if "TABLE public alembic_version" not in listing and "TABLE DATA public alembic_version" not in listing:
        raise BackupError(f"{file} is a PostgreSQL dump but not Jobbskaparna's (no alembic_version)")
    script = _run_pg("pg_restore", ["--data-only", "--table=alembic_version", "--file=-", str(file)], url,
                     environment)
    rows = script.split("FROM stdin;\n", 1)[-1].split("\n\\.", 1)[0].strip().splitlines()
    if not rows or not rows[0].strip():
        raise BackupError(f"{file} has no schema revision (alembic_version is empty)")
    return rows[0].strip()


# --- Restore ------------------------------------------------------------------------------------------------


def _head(file: Path) -> tuple[bool, bytes]:
    """Whether a file is gzipped, and its first bytes (unpacked): what it holds, whatever its name says."""
    try:
        with file.open("rb") as stream:
            head = stream.read(16)
            if not head.startswith(GZIP_MAGIC):
                return False, head
            stream.seek(0)
            with gzip.open(stream) as unpacked:
                return True, unpacked.read(16)
    except (gzip.BadGzipFile, EOFError, zlib.error):
        return True, b""
    except OSError as error:
        raise BackupError(f"cannot read {file}: {error.strerror}") from None


def _kind(file: Path) -> str:
    """Tell what a file holds: "sqlite" (gzipped or not), "postgresql" (a custom-format dump) or "unknown"."""
    gzipped, head = _head(file)
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PGDUMP_MAGIC) and not gzipped:
        return "postgresql"
    return "unknown"


def _known_revision(revision: str, settings: Settings) -> None:
    """Refuse a backup from a newer version of the bot: its schema is one these migrations do not know."""
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    scripts = ScriptDirectory.from_config(db.alembic_config(settings.effective_database_url))
    try:
        found = scripts.get_revision(revision)
    except CommandError:
        found = None
    if found is None:
        raise BackupError(f"the backup's schema ({revision}) is newer than this version of Jobbskaparna "
                          "knows: upgrade the bot, then restore")


@dataclass
class Restore:
    """A backup checked and ready to replace the database: `apply()` does it, `discard()` forgets it."""

    settings: Settings
    database: Database
    file: Path
    revision: str
    # SQLite: the backup unpacked and checked, beside the database.
    unpacked: Path | None = None
    # What the database was before the restore, once applied.
    before: Path | None = field(default=None, init=False)

    def others_connected(self) -> int | None:
        """How many other sessions are connected to the PostgreSQL database (a running bot has some); None on
        SQLite, or when it cannot be asked (the restore will say why)."""
        if self.database.is_sqlite:
            return None

        async def count() -> int:
            engine = db.create_engine(self.settings.effective_database_url)
            try:
                async with engine.connect() as connection:
                    return int(await connection.scalar(sql_text(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                        "AND pid <> pg_backend_pid()")) or 0)
            finally:
                await engine.dispose()

        try:
            return asyncio.run(count())
        except (OSError, SQLAlchemyError):  # unreachable, or not allowed to look: pg_restore says why
            return None

    def apply(self, *, now: datetime | None = None) -> Path | None:
        """Keep a copy of the current database, replace it with the backup, migrate to this version's schema.

        Return the copy of what was replaced (None when there was no database yet).
        """
        when = now or datetime.now(UTC)
        directory = self.settings.effective_backup_dir
        _make_folder(directory)
        if self.database.is_sqlite:
            self.before = self._apply_sqlite(directory, when)
        else:
            self.before = directory / backup_name(when, POSTGRES_SUFFIX, BEFORE_RESTORE_PREFIX)
            _backup_postgres(self.database.url, self.before)
            _restore_postgres(self.file, self.database.url, directory)
        # An older backup restored into a newer bot: bring its schema up to date as a start would.
        from alembic.util import CommandError

        try:
            db.migrate_sync(self.settings.effective_database_url)
        except (SQLAlchemyError, CommandError) as error:
            reason = (str(error).splitlines() or [type(error).__name__])[0]
            raise BackupError(f"restored, but migrating it to this version's schema failed: {reason} (the "
                              f"database before is in {self.before})") from None
        return self.before

    def _apply_sqlite(self, directory: Path, when: datetime) -> Path | None:
        assert self.unpacked is not None
        live = self.database.path
        before: Path | None = None
        if live.exists():
            before = directory / backup_name(when, SQLITE_SUFFIX, BEFORE_RESTORE_PREFIX)
            try:
                _backup_sqlite(live, before, check=False)
            except BackupError as error:
                raise BackupError(f"{error}; nothing was restored (move the damaged file away and restore "
                                  "again)") from None
        # Through the backup API the other way, not a rename: the database's -wal and -shm files belong to
        # its old content, and a file renamed in under them would be read with them (a damaged database).
        try:
            live.parent.mkdir(parents=True, exist_ok=True)
            with contextlib.closing(sqlite3.connect(self.unpacked)) as backup, \
                    contextlib.closing(sqlite3.connect(live, timeout=SQLITE_TIMEOUT)) as database:
                backup.backup(database)
                database.execute("PRAGMA journal_mode=WAL")
        except (sqlite3.Error, OSError) as error:
            raise BackupError(f"cannot write {live}: {error}; the database before is in {before}") from None
        finally:
            self.discard()
        return before

    def discard(self) -> None:
        """Delete the unpacked copy."""
        if self.unpacked is not None:
            self.unpacked.unlink(missing_ok=True)
            self.unpacked = None


@contextlib.contextmanager
def prepared_restore(settings: Settings, file: Path) -> Iterator[Restore]:
    """Check that `file` is a backup this bot can restore into its database, touching nothing; yield it."""
    database = database_of(settings)
    if not file.is_file():
        raise BackupError(f"no file at {file}")
    kind = _kind(file)
    if kind == "unknown":
        raise BackupError(f"{file} is not a Jobbskaparna backup (neither a SQLite database nor a pg_dump "
                          "custom-format dump)")
    wanted = "sqlite" if database.is_sqlite else "postgresql"
    if kind != wanted:
        made_by = "a PostgreSQL dump" if kind == "postgresql" else "a SQLite backup"
        raise BackupError(f"{file} is {made_by}, but the database is {database.describe()}: restore it into "
                          f"a {'PostgreSQL' if kind == 'postgresql' else 'SQLite'} database (DATABASE_URL)")
    restore: Restore
    if database.is_sqlite:
        beside = database.path.parent
        _make_folder(beside)
        unpacked = _unpack_sqlite(file, beside)
        try:
            with contextlib.closing(sqlite3.connect(unpacked)) as connection:
                revision = _check_jobbskaparna(connection, str(file))
        except BaseException:
            unpacked.unlink(missing_ok=True)
            raise
        restore = Restore(settings, database, file, revision, unpacked)
    else:
        restore = Restore(settings, database, file, _dump_revision(file, database.url))
    try:
        _known_revision(restore.revision, settings)
        yield restore
    finally:
        restore.discard()


# --- Retention and the schedule -----------------------------------------------------------------------------


def backups_in(directory: Path) -> list[tuple[datetime, Path]]:
    """The backups in a folder (only files named like ours), oldest first."""
    found = []
    with contextlib.suppress(FileNotFoundError, NotADirectoryError):
        for path in directory.iterdir():
            match = BACKUP_NAME.match(path.name)
            if match and path.is_file():
                found.append((datetime.strptime(match[1], STAMP_FORMAT).replace(tzinfo=UTC), path))
    return sorted(found)


def prune(directory: Path, keep: int) -> list[Path]:
    """Delete the oldest backups beyond the newest `keep`; other files in the folder are left alone."""
    doomed = [path for _, path in backups_in(directory)[:-keep]] if keep > 0 else []
    for path in doomed:
        path.unlink(missing_ok=True)
        log.info("Deleted the old backup %s", path.name)
    return doomed


def due_at(directory: Path, every: timedelta, now: datetime) -> datetime:
    """When the next backup is due: one interval after the newest, or now when there is none."""
    backups = backups_in(directory)
    return now if not backups else backups[-1][0] + every


class BackupSchedule:
    """Take a backup every BACKUP_EVERY_HOURS and keep the newest BACKUP_KEEP, while the bot runs.

    A plain task that sleeps until the next backup is due, rather than an APScheduler job: what is due is
    read from the backup folder each time (the newest backup's name), so a restart takes one at once when the
    last is older than the interval, and a backup taken by hand counts. The work runs in a thread: the event
    loop stays free for the members. On PostgreSQL several processes may share the database: an advisory
    lock lets one take the backup, and the others skip (and find it taken, when they share the folder).
    """

    def __init__(self, settings: Settings, engine: AsyncEngine, now: Callable[[], datetime]) -> None:
        self._settings = settings
        self._engine = engine
        self._now = now
        self.every = timedelta(hours=settings.backup_every_hours)
        self.directory = settings.effective_backup_dir
        self._task = Background("backups", self._run)
        # Set after each attempt (for tests and whoever waits for the first one).
        self.attempted = asyncio.Event()

    @property
    def running(self) -> bool:
        """Tell whether the schedule runs."""
        return self._task.running

    def start(self) -> None:
        """Start taking backups (the first at once, when one is due)."""
        self._task.start()

    async def stop(self) -> None:
        """Stop; a backup being written in its thread finishes (its file is complete or not named at all)."""
        await self._task.stop()

    async def _run(self) -> None:
        while True:
            try:
                wait = (due_at(self.directory, self.every, self._now()) - self._now()).total_seconds()
            except OSError as error:  # the folder cannot be read: the backup will say why, and is retried
                log.warning("Cannot read the backup folder %s: %s", self.directory, error.strerror)
                wait = 0
            if wait > 0:
                await asyncio.sleep(wait)
            if not await self.take():
                await asyncio.sleep(min(self.every, RETRY_AFTER).total_seconds())

    async def take(self) -> bool:
        """Take a backup if one is due and no other process is taking it; False when it failed."""
        try:
            if self._engine.dialect.name == "postgresql":
                await self._take_locked()
            else:
                await asyncio.to_thread(self._take_if_due)
            return True
        except BackupError as error:
            log.warning("The scheduled backup failed: %s", error)
        except Exception:
            log.exception("The scheduled backup failed")
        finally:
            self.attempted.set()
        return False

    async def _take_locked(self) -> None:
        async with self._engine.connect() as connection:
            # Autocommit: no transaction stays open while the dump runs; the lock belongs to the session.
            connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
            locked = await connection.scalar(sql_text("SELECT pg_try_advisory_lock(:key)"),
                                             {"key": BACKUP_LOCK_KEY})
            if not locked:
                log.info("Another process is taking the backup; skipped")
                return
            try:
                await asyncio.to_thread(self._take_if_due)
            finally:
                await connection.execute(sql_text("SELECT pg_advisory_unlock(:key)"),
                                         {"key": BACKUP_LOCK_KEY})

    def _take_if_due(self) -> None:
        now = self._now()
        if due_at(self.directory, self.every, now) > now:
            return  # another process sharing the folder took it meanwhile
        path = backup_now(self._settings, self.directory, now=now)
        log.info("Backed up the database to %s", path)
        prune(self.directory, self._settings.backup_keep)
