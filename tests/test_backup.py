"""Backups and restores (bot.backup, `jobbskaparna backup` and `restore`) and the running bot's own backups.

The round trips run on SQLite while the bot's engine writes, and on the throwaway PostgreSQL the suite starts;
the command line is run through `bot.cli.main`, in a thread where a test is async (alembic runs its own loop).
"""

from __future__ import annotations

import asyncio
import gzip
import random
import shutil
import sqlite3
import subprocess
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert, select, text

from bot import backup, cli, db
from bot.app import App
from bot.clock import FrozenClock
from bot.config import Settings, load_settings
from bot.models import AuditLog, Member, Workspace
from tests.conftest import RecordingNotifier, identity
from tests.postgres import PostgresCluster
from tests.support.onboarding import onboard

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
PASSWORD = "hemligt-lösen-4711"


@pytest.fixture
def command_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run the command line in an empty folder whose data folder is tmp/data (SQLite unless DATABASE_URL)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def sqlite_settings(tmp_path: Path, template: Path, **overrides: object) -> Settings:
    """Settings for a migrated SQLite database in tmp/data (copied from the suite's template)."""
    (tmp_path / "data").mkdir(exist_ok=True)
    shutil.copy(template, tmp_path / "data" / "jobbskaparna.db")
    return load_settings(_env_file=None, data_dir=tmp_path / "data", **overrides)


def unpacked(path: Path, into: Path) -> sqlite3.Connection:
    """Open a gzipped SQLite backup."""
    with gzip.open(path, "rb") as packed, into.open("wb") as out:
        shutil.copyfileobj(packed, out)
    return sqlite3.connect(into)


def writes_in(connection: sqlite3.Connection) -> list[int]:
    return [row[0] for row in connection.execute(
        "SELECT json_extract(detail, '$.n') FROM audit_log WHERE action = 'write' ORDER BY id")]


async def test_a_sqlite_backup_taken_while_the_bot_writes_is_one_instant_of_it_and_restores_exactly(
        tmp_path: Path, sqlite_template: Path, command_line: Path):
    settings = sqlite_settings(tmp_path, sqlite_template)
    engine = db.create_engine(settings.effective_database_url)
    async with engine.begin() as connection:
        workspace = (await connection.execute(insert(Workspace).values(
            platform="test", external_id="guild-1", name="Testgruppen", created_at=NOW,
            updated_at=NOW).returning(Workspace.id))).scalar_one()
        # Some megabytes of history, so that the copy takes long enough for the writer to go on meanwhile.
        await connection.execute(insert(AuditLog), [
            {"workspace_id": workspace, "action": "history", "detail": {"text": f"{i:06d}" * 100},
             "created_at": NOW} for i in range(20_000)])
    written: list[int] = []
    stop = asyncio.Event()

    async def writer() -> None:
        # As the bot writes: one row a unit of work, in WAL mode, with its write lock taken at BEGIN.
        while not stop.is_set():
            async with engine.begin() as connection:
                await connection.execute(insert(AuditLog).values(
                    workspace_id=workspace, action="write", detail={"n": len(written)}, created_at=NOW))
            written.append(len(written))
            await asyncio.sleep(0)

    writing = asyncio.create_task(writer())
    while len(written) < 10:
        await asyncio.sleep(0.001)
    before_copy = len(written)
    path = await asyncio.to_thread(backup.backup_now, settings)
    after_copy = len(written)
    while len(written) < after_copy + 10:
        await asyncio.sleep(0.001)
    stop.set()
    await writing
    await engine.dispose()

    assert after_copy > before_copy, "the writer was held up for the whole copy"
    assert backup.BACKUP_NAME.match(path.name) and path.parent == settings.effective_backup_dir
    with unpacked(path, tmp_path / "copy.db") as copy:
        assert copy.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        in_copy = writes_in(copy)
    # The database at one instant between the first and the last write the copy overlapped: a prefix.
    assert before_copy <= len(in_copy) <= after_copy
    assert in_copy == list(range(len(in_copy)))

    assert await asyncio.to_thread(cli.main, ["restore", str(path), "--yes"]) == 0

    with sqlite3.connect(settings.data_dir / "jobbskaparna.db") as restored:
        assert writes_in(restored) == in_copy
        history = restored.execute("SELECT count(*) FROM audit_log WHERE action = 'history'").fetchone()
    assert history == (20_000,)
    [kept] = settings.effective_backup_dir.glob(f"{backup.BEFORE_RESTORE_PREFIX}*")
    with unpacked(kept, tmp_path / "before.db") as before:
        assert writes_in(before) == list(range(len(written)))


async def member_names(app: App) -> list[str]:
    async with app.sessionmaker() as session:
        return list((await session.scalars(select(Member.external_id).order_by(Member.external_id))).all())


async def test_a_restore_brings_back_what_the_services_had_written_at_the_backup(
        app: App, settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """On SQLite and on PostgreSQL: seed with the services, back up, change, restore, see the seeded state."""
    await onboard(app, identity("anna"))
    path = await asyncio.to_thread(backup.backup_now, settings)
    await onboard(app, identity("bo"))
    async with app.sessionmaker() as session, session.begin():
        await session.execute(text("UPDATE member SET company = 'Ändrat AB' WHERE external_id = 'anna'"))
    assert await member_names(app) == ["anna", "bo"]
    # As the operator would: the bot is stopped (its connections closed) before the restore.
    await app.engine.dispose()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", settings.effective_database_url)
    monkeypatch.setenv("DATA_DIR", str(settings.data_dir))

    assert await asyncio.to_thread(cli.main, ["restore", str(path), "--yes"]) == 0

    assert await member_names(app) == ["anna"]
    async with app.sessionmaker() as session:
        assert await session.scalar(select(Member.company)) == "Annas Blommor"
    kept = list(settings.effective_backup_dir.glob(f"{backup.BEFORE_RESTORE_PREFIX}*"))
    assert len(kept) == 1


def test_a_backup_by_hand_or_by_a_timer_keeps_the_newest_backup_keep_and_leaves_other_files(
        tmp_path: Path, sqlite_template: Path, command_line: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch):
    sqlite_settings(tmp_path, sqlite_template)
    monkeypatch.setenv("BACKUP_KEEP", "2")
    folder = command_line / "backups"
    folder.mkdir()
    older = [folder / f"jobbskaparna-2026010{day}-030000.sqlite3.gz" for day in (1, 2, 3)]
    for path in older:
        path.write_bytes(b"an older backup")
    other = folder / "notes.txt"
    other.write_text("not ours")

    assert cli.main(["backup"]) == 0

    left = sorted(path.name for path in folder.iterdir())
    made = [name for name in left if name.startswith("jobbskaparna-2026") and name not in
            {path.name for path in older}]
    assert left == sorted([older[2].name, *made, "notes.txt"]) and len(made) == 1
    assert capsys.readouterr().out.endswith("; 2 older removed (keeping 2)\n")


def test_the_command_line_says_where_the_backup_went_and_restores_after_a_yes(
        tmp_path: Path, sqlite_template: Path, command_line: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch):
    sqlite_settings(tmp_path, sqlite_template)
    folder = tmp_path / "elsewhere"

    assert cli.main(["backup", "--to", str(folder)]) == 0
    [path] = folder.iterdir()
    assert capsys.readouterr().out == f"jobbskaparna: backed the database up to {path}\n"

    questions: list[str] = []
    monkeypatch.setattr("builtins.input", lambda question: questions.append(question) or "yes")
    assert cli.main(["restore", str(path)]) == 0
    assert "Replace the SQLite database" in questions[0] and "stop the bot first" in questions[0]
    assert capsys.readouterr().out.startswith(f"jobbskaparna: restored {path} into the SQLite database")


def test_a_restore_not_confirmed_changes_nothing(tmp_path: Path, sqlite_template: Path, command_line: Path,
                                                 capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch):
    sqlite_settings(tmp_path, sqlite_template)
    assert cli.main(["backup"]) == 0
    [path] = (command_line / "backups").iterdir()
    database = command_line / "jobbskaparna.db"
    before = database.read_bytes()
    monkeypatch.setattr("builtins.input", lambda _question: "nej")

    assert cli.main(["restore", str(path)]) == 1

    assert capsys.readouterr().err == "jobbskaparna: nothing was restored\n"
    assert database.read_bytes() == before
    assert [p.name for p in (command_line / "backups").iterdir()] == [path.name]


def test_an_older_backup_is_migrated_to_this_version_s_schema(tmp_path: Path, command_line: Path):
    """A backup made by an older bot (an older schema revision) is brought up to date by the restore."""
    old = tmp_path / "old.db"
    db.migrate_sync(f"sqlite+aiosqlite:///{old}", "0021")

    assert cli.main(["restore", str(old), "--yes"]) == 0

    with sqlite3.connect(command_line / "jobbskaparna.db") as restored:
        head = restored.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    assert head == backup_head()


def test_a_migration_that_fails_after_the_restore_says_so_in_one_line(
        tmp_path: Path, sqlite_template: Path, command_line: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]):
    from alembic.util import CommandError

    sqlite_settings(tmp_path, sqlite_template)
    assert cli.main(["backup"]) == 0
    [path] = (command_line / "backups").iterdir()

    def failing(_url: str, _revision: str = "head") -> None:
        raise CommandError("Can't locate revision identified by '0099'\nmore detail")

    monkeypatch.setattr(backup.db, "migrate_sync", failing)
    capsys.readouterr()

    assert cli.main(["restore", str(path), "--yes"]) == 1

    [kept] = (command_line / "backups").glob(f"{backup.BEFORE_RESTORE_PREFIX}*")
    assert capsys.readouterr().err == (
        "jobbskaparna: restored, but migrating it to this version's schema failed: Can't locate revision "
        f"identified by '0099' (the database before is in {kept})\n")


def backup_head() -> str:
    from alembic.script import ScriptDirectory

    return str(ScriptDirectory.from_config(db.alembic_config("sqlite://")).get_current_head())


def make_garbage(path: Path) -> Path:
    path.write_bytes(b"this is not a backup\n" * 100)
    return path


def make_gzipped_garbage(path: Path) -> Path:
    path.write_bytes(gzip.compress(b"this is not a backup\n" * 100))
    return path


def make_truncated_backup(path: Path) -> Path:
    packed = gzip.compress(backup.SQLITE_MAGIC + random.Random(1).randbytes(100_000))
    path.write_bytes(packed[:len(packed) // 2])
    return path


def make_pgdump(path: Path) -> Path:
    path.write_bytes(backup.PGDUMP_MAGIC + b"\x01\x0e\x00" + b"\0" * 100)
    return path


def make_foreign_sqlite(path: Path) -> Path:
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE notes (body TEXT)")
    return path


def make_newer_backup(path: Path) -> Path:
    db.migrate_sync(f"sqlite+aiosqlite:///{path}")
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999'")
    return path


NOT_A_BACKUP = ("{file} is not a Jobbskaparna backup (neither a SQLite database nor a pg_dump custom-format "
                "dump)")


@pytest.mark.parametrize(("make", "name", "expected"), [
    (make_garbage, "garbage.sqlite3.gz", NOT_A_BACKUP),
    (make_gzipped_garbage, "x.gz", NOT_A_BACKUP),
    (make_truncated_backup, "cut.sqlite3.gz",
     "cannot read {file}: Compressed file ended before the end-of-stream marker was reached"),
    (make_pgdump, "jobbskaparna-20261201-090000.pgdump",
     ("{file} is a PostgreSQL dump, but the database is the SQLite database {database}: restore it into a "
      "PostgreSQL database (DATABASE_URL)")),
    (make_foreign_sqlite, "notes.db",
     "{file} is a SQLite database but not Jobbskaparna's (no alembic_version)"),
    (make_newer_backup, "newer.sqlite3",
     ("the backup's schema (9999) is newer than this version of Jobbskaparna knows: upgrade the bot, then "
      "restore")),
])
def test_a_file_that_is_not_a_backup_of_this_bot_is_refused_in_one_line_and_nothing_is_touched(
        tmp_path: Path, sqlite_template: Path, command_line: Path, capsys: pytest.CaptureFixture[str],
        make, name: str, expected: str):
    sqlite_settings(tmp_path, sqlite_template)
    database = command_line / "jobbskaparna.db"
    before = database.read_bytes()
    file = make(tmp_path / name)

    assert cli.main(["restore", str(file), "--yes"]) == 1

    out = capsys.readouterr()
    assert out.err == "jobbskaparna: " + expected.format(file=file, database=database) + "\n"
    assert out.out == ""
    assert database.read_bytes() == before
    assert sorted(p.name for p in command_line.iterdir()) == ["jobbskaparna.db"]


def test_a_missing_backup_file_is_a_usage_error(tmp_path: Path, command_line: Path,
                                               capsys: pytest.CaptureFixture[str]):
    assert cli.main(["restore", str(tmp_path / "nowhere.sqlite3.gz")]) == 2
    assert capsys.readouterr().err == f"jobbskaparna: no backup file at {tmp_path / 'nowhere.sqlite3.gz'}\n"


def test_restore_without_a_file_is_a_usage_error(command_line: Path, capsys: pytest.CaptureFixture[str]):
    with pytest.raises(SystemExit) as stopped:
        cli.main(["restore"])
    assert stopped.value.code == 2
    assert "the following arguments are required: FILE" in capsys.readouterr().err


def test_a_backup_of_a_database_that_does_not_exist_fails_in_one_line(tmp_path: Path, command_line: Path,
                                                                      capsys: pytest.CaptureFixture[str]):
    assert cli.main(["backup"]) == 1
    assert capsys.readouterr().err == f"jobbskaparna: no database at {command_line / 'jobbskaparna.db'}\n"
    assert not (command_line / "backups").exists() or not any((command_line / "backups").iterdir())


def test_a_database_in_the_backup_is_checked_before_it_gets_a_backup_s_name(
        tmp_path: Path, command_line: Path, capsys: pytest.CaptureFixture[str]):
    command_line.mkdir()
    make_foreign_sqlite(command_line / "jobbskaparna.db")

    assert cli.main(["backup"]) == 1

    database = command_line / "jobbskaparna.db"
    assert capsys.readouterr().err == (f"jobbskaparna: the copy of {database} is a SQLite database but not "
                                       "Jobbskaparna's (no alembic_version)\n")
    assert list((command_line / "backups").iterdir()) == []


def test_without_pg_dump_the_message_says_what_to_install(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(backup.shutil, "which", lambda _name: None)
    monkeypatch.setattr(backup.glob, "glob", lambda _pattern: [])

    with pytest.raises(backup.BackupError) as failed:
        backup.find_pg_tool("pg_dump")

    assert str(failed.value) == ("pg_dump is not installed: install postgresql-client (your server's "
                                 "version or newer)")


def test_the_newest_installed_pg_dump_is_found_when_none_is_on_the_path(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(backup.shutil, "which", lambda _name: None)
    installed = ["/usr/lib/postgresql/9/bin/pg_dump", "/usr/lib/postgresql/16/bin/pg_dump",
                 "/usr/lib/postgresql/15/bin/pg_dump"]
    monkeypatch.setattr(backup.glob, "glob", lambda _pattern: installed)

    assert backup.find_pg_tool("pg_dump") == "/usr/lib/postgresql/16/bin/pg_dump"


# --- PostgreSQL -------------------------------------------------------------------------------------------


@pytest.fixture
def postgres_url(postgres: PostgresCluster) -> Iterator[str]:
    """A fresh, migrated PostgreSQL database, with a password in its URL (the test cluster trusts anyone)."""
    name = postgres.new_database()
    yield postgres.url(name).replace("postgres@", f"postgres:{PASSWORD}@")
    postgres.finished(name)


@pytest.fixture
def seen_by_children(monkeypatch: pytest.MonkeyPatch) -> list[tuple[list[str], dict[str, str]]]:
    """The command lines and environments of the PostgreSQL tools run (they still run)."""
    seen: list[tuple[list[str], dict[str, str]]] = []
    real = subprocess.run

    def run(argv: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
        seen.append((list(argv), dict(kwargs.get("env") or {})))  # type: ignore[call-overload]
        return real(argv, **kwargs)  # type: ignore[call-overload,no-any-return]

    monkeypatch.setattr(backup.subprocess, "run", run)
    return seen


def test_the_password_goes_to_pg_dump_in_its_environment_and_never_into_output_or_command_line(
        postgres_url: str, tmp_path: Path, command_line: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture, seen_by_children):
    monkeypatch.setenv("DATABASE_URL", postgres_url)

    assert cli.main(["backup"]) == 0
    [path] = (command_line / "backups").iterdir()
    assert path.name.endswith(".pgdump") and backup.BACKUP_NAME.match(path.name)
    assert path.read_bytes().startswith(backup.PGDUMP_MAGIC)
    assert cli.main(["restore", str(path), "--yes"]) == 0

    out = capsys.readouterr()
    assert PASSWORD not in out.out + out.err + caplog.text
    assert seen_by_children and all(PASSWORD not in " ".join(argv) for argv, _ in seen_by_children)
    assert {env.get("PGPASSWORD") for _, env in seen_by_children} == {PASSWORD}


def test_an_older_dump_is_restored_into_a_newer_schema_and_migrated(
        postgres: PostgresCluster, tmp_path: Path, command_line: Path, monkeypatch: pytest.MonkeyPatch):
    """The tables a newer migration added are not in the older dump: they go, and the migration adds them."""
    name = "t_" + uuid.uuid4().hex[:12]
    postgres.psql(f"CREATE DATABASE {name}")
    url = postgres.url(name)
    db.migrate_sync(url, "0021")
    monkeypatch.setenv("DATABASE_URL", url)
    assert cli.main(["backup"]) == 0
    [path] = (command_line / "backups").iterdir()
    db.migrate_sync(url)

    assert cli.main(["restore", str(path), "--yes"]) == 0

    assert asyncio.run(revision_of(url)) == backup_head()


async def test_a_postgresql_restore_that_fails_on_the_way_changes_nothing(
        postgres_url: str, tmp_path: Path, command_line: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]):
    settings = load_settings(_env_file=None, database_url=postgres_url, data_dir=command_line)
    app = App(settings, FrozenClock(NOW))
    app.notifier = app.dispatcher.notifier = RecordingNotifier()
    await onboard(app, identity("anna"))
    path = await asyncio.to_thread(backup.backup_now, settings)
    await onboard(app, identity("bo"))
    await app.engine.dispose()
    real = backup._run_pg

    def failing_at_the_end(tool: str, arguments: list[str], *rest: object) -> str:
        if tool == "psql":  # the dump's script fails at its last statement, after every table was replaced
            script = Path(next(a for a in arguments if a.startswith("--file=")).removeprefix("--file="))
            script.write_text(script.read_text() + "\nSELECT 1 / 0;\n")
        return real(tool, arguments, *rest)  # type: ignore[arg-type]

    monkeypatch.setattr(backup, "_run_pg", failing_at_the_end)
    monkeypatch.setenv("DATABASE_URL", settings.effective_database_url)

    assert await asyncio.to_thread(cli.main, ["restore", str(path), "--yes"]) == 1

    err = capsys.readouterr().err
    assert err.startswith("jobbskaparna: psql failed: ") and err.endswith("ERROR:  division by zero\n")
    try:
        assert await member_names(app) == ["anna", "bo"]
    finally:
        await app.close()


async def revision_of(url: str) -> str:
    engine = db.create_engine(url)
    try:
        async with engine.connect() as connection:
            return str(await connection.scalar(text("SELECT version_num FROM alembic_version")))
    finally:
        await engine.dispose()


async def test_a_restore_asks_whether_the_bot_runs_when_others_are_connected_to_postgresql(
        postgres_url: str, command_line: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("DATABASE_URL", postgres_url)
    assert await asyncio.to_thread(cli.main, ["backup"]) == 0
    [path] = (command_line / "backups").iterdir()
    questions: list[str] = []
    monkeypatch.setattr("builtins.input", lambda question: questions.append(question) or "no")
    running_bot = db.create_engine(postgres_url)
    try:
        async with running_bot.connect() as connection:
            await connection.execute(text("SELECT 1"))
            assert await asyncio.to_thread(cli.main, ["restore", str(path)]) == 1
        await running_bot.dispose()
        assert await asyncio.to_thread(cli.main, ["restore", str(path)]) == 1
    finally:
        await running_bot.dispose()

    assert "1 other connection is open to it: is the bot running?" in questions[0]
    assert "is the bot running?" not in questions[1] and "stop the bot first" in questions[1]


def test_a_failing_pg_dump_says_why_in_one_line_without_the_password(
        postgres_url: str, command_line: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]):
    # Nothing listens on port 1 of the loopback.
    unreachable = postgres_url.rsplit("@", 1)[0] + "@127.0.0.1:1/jobbskaparna"
    monkeypatch.setenv("DATABASE_URL", unreachable)

    assert cli.main(["backup"]) == 1

    err = capsys.readouterr().err
    assert err.startswith("jobbskaparna: pg_dump failed: ") and err.count("\n") == 1
    assert "127.0.0.1" in err and PASSWORD not in err
    assert not any((command_line / "backups").iterdir())


def test_a_sqlite_backup_is_refused_by_a_postgresql_bot(
        postgres_url: str, tmp_path: Path, sqlite_template: Path, command_line: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    settings = sqlite_settings(tmp_path, sqlite_template)
    path = backup.backup_now(settings, tmp_path / "from-sqlite")
    monkeypatch.setenv("DATABASE_URL", postgres_url)

    assert cli.main(["restore", str(path), "--yes"]) == 1

    err = capsys.readouterr().err
    assert err.startswith(f"jobbskaparna: {path} is a SQLite backup, but the database is the PostgreSQL "
                          "database t_")
    assert err.endswith(": restore it into a SQLite database (DATABASE_URL)\n")
    assert PASSWORD not in err


# --- Retention and the schedule ---------------------------------------------------------------------------


def touch(folder: Path, *names: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).write_bytes(b"x")


def test_retention_keeps_the_newest_and_leaves_every_other_file_alone(tmp_path: Path):
    ours = [f"jobbskaparna-202611{day:02d}-030000.sqlite3.gz" for day in (3, 1, 5, 2, 4)]
    others = ["notes.txt", "jobbskaparna-before-restore-20261101-030000.sqlite3.gz", "jobbskaparna.db",
              "jobbskaparna-20261101.sqlite3.gz", ".jobbskaparna-20261106-030000.sqlite3.gz.77.gz.part"]
    touch(tmp_path, *ours, *others)

    deleted = backup.prune(tmp_path, 3)

    assert [p.name for p in deleted] == ["jobbskaparna-20261101-030000.sqlite3.gz",
                                         "jobbskaparna-20261102-030000.sqlite3.gz"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(others + [
        "jobbskaparna-20261103-030000.sqlite3.gz", "jobbskaparna-20261104-030000.sqlite3.gz",
        "jobbskaparna-20261105-030000.sqlite3.gz"])


def test_the_next_backup_is_due_one_interval_after_the_newest_or_now(tmp_path: Path):
    every = timedelta(hours=24)
    assert backup.due_at(tmp_path / "none-yet", every, NOW) == NOW
    touch(tmp_path, "jobbskaparna-20261130-120000.sqlite3.gz", "jobbskaparna-20261129-120000.pgdump",
          "jobbskaparna-before-restore-20261201-080000.sqlite3.gz")

    assert backup.due_at(tmp_path, every, NOW) == datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize("platform", ["discord", "slack"])
async def test_the_running_bot_takes_a_backup_at_start_when_the_newest_is_older_than_the_interval(
        tmp_path: Path, sqlite_template: Path, platform: str):
    settings = sqlite_settings(tmp_path, sqlite_template, backup_every_hours=24, backup_keep=2)
    folder = settings.effective_backup_dir
    touch(folder, "jobbskaparna-20261129-090000.sqlite3.gz", "jobbskaparna-20261130-085959.sqlite3.gz")
    app = App(settings, FrozenClock(NOW))
    try:
        await app.start(RecordingNotifier(), platform=platform)
        assert app.backups is not None
        await asyncio.wait_for(app.backups.attempted.wait(), timeout=60)
    finally:
        await app.close()

    assert sorted(p.name for p in folder.iterdir()) == ["jobbskaparna-20261130-085959.sqlite3.gz",
                                                        "jobbskaparna-20261201-090000.sqlite3.gz"]
    with unpacked(folder / "jobbskaparna-20261201-090000.sqlite3.gz", tmp_path / "copy.db") as copy:
        assert copy.execute("PRAGMA integrity_check").fetchall() == [("ok",)]


async def test_the_console_takes_no_backups(tmp_path: Path, sqlite_template: Path):
    settings = sqlite_settings(tmp_path, sqlite_template, backup_every_hours=24)
    app = App(settings, FrozenClock(NOW))
    try:
        await app.start(RecordingNotifier())
        assert app.backups is None
    finally:
        await app.close()


async def test_a_failed_scheduled_backup_is_logged_and_the_schedule_goes_on(
        tmp_path: Path, sqlite_template: Path, caplog: pytest.LogCaptureFixture):
    # A file where the folder should be: the backup cannot be written.
    settings = sqlite_settings(tmp_path, sqlite_template, backup_every_hours=24,
                               backup_dir=tmp_path / "not-a-folder")
    (tmp_path / "not-a-folder").write_text("")
    app = App(settings, FrozenClock(NOW))
    try:
        await app.start(RecordingNotifier(), platform="discord")
        assert app.backups is not None
        await asyncio.wait_for(app.backups.attempted.wait(), timeout=60)
        assert app.backups.running
    finally:
        await app.close()

    [record] = [r for r in caplog.records if r.name == "bot.backup"]
    assert record.getMessage() == ("The scheduled backup failed: cannot create the backup folder "
                                   f"{tmp_path / 'not-a-folder'}: File exists")


async def test_on_postgresql_the_process_that_does_not_get_the_lock_skips_the_backup(
        postgres_url: str, tmp_path: Path):
    settings = load_settings(_env_file=None, database_url=postgres_url, data_dir=tmp_path / "data",
                             backup_every_hours=24)
    folder = settings.effective_backup_dir
    engine = db.create_engine(postgres_url)
    other_process = db.create_engine(postgres_url)
    schedule = backup.BackupSchedule(settings, engine, lambda: NOW)
    try:
        async with other_process.connect() as connection:
            await connection.scalar(text("SELECT pg_advisory_lock(:key)"), {"key": backup.BACKUP_LOCK_KEY})
            assert await schedule.take()
            assert not folder.exists() or list(folder.iterdir()) == []
            await connection.scalar(text("SELECT pg_advisory_unlock(:key)"), {"key": backup.BACKUP_LOCK_KEY})

        assert await schedule.take()
        assert [p.name for p in folder.iterdir()] == ["jobbskaparna-20261201-090000.pgdump"]
        # A second process sharing the folder finds the backup taken and takes none.
        assert await backup.BackupSchedule(settings, other_process, lambda: NOW + timedelta(minutes=1)).take()
        assert [p.name for p in folder.iterdir()] == ["jobbskaparna-20261201-090000.pgdump"]
    finally:
        await engine.dispose()
        await other_process.dispose()

