"""A throwaway PostgreSQL cluster for the test session: initdb and pg_ctl in a temporary folder.

initdb refuses to run as root, so as root the cluster is run by the `postgres` system user (created by
Debian's postgresql package) through runuser.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path

# Databases of finished tests are dropped this many at a time (one psql run): each is a copy of the template
# (some 8 MB), and a session of thousands of them left to the end filled gigabytes and took most of a minute
# to delete.
DROP_EVERY = 64


@dataclass
class PostgresCluster:
    """A running cluster; `url(db)` gives an asyncpg URL for one of its databases."""

    bindir: Path
    datadir: Path
    socketdir: Path
    port: int
    run_as: str | None
    _finished: list[str] = field(default_factory=list)

    def new_database(self, prefix: str = "t_") -> str:
        """Create a fresh database from the migrated template; return its name (give it back with
        `finished`)."""
        name = prefix + uuid.uuid4().hex[:12]
        self.psql(f"CREATE DATABASE {name} TEMPLATE template_jobb")
        return name

    def finished(self, name: str) -> None:
        """Say a test is done with a database: it is dropped with the next batch (its connections, if any are
        left, are ended)."""
        self._finished.append(name)
        if len(self._finished) >= DROP_EVERY:
            names, self._finished = self._finished, []
            # One statement a -c: DROP DATABASE cannot run inside the transaction a multi-statement -c is.
            drops = [arg for name in names for arg in ("-c", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")]
            self._run([str(self.bindir / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                       "-d", "postgres", "-q", *drops], check=False)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"

    def psql(self, sql: str) -> None:
        self._run([str(self.bindir / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                   "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-q", "-c", sql])

    def stop(self) -> None:
        self._run(
            [str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-m", "immediate", "stop"], check=False
        )
        shutil.rmtree(self.datadir.parent, ignore_errors=True)

    def _run(self, argv: list[str], check: bool = True) -> None:
        _run(argv, self.run_as, check=check)


def find_bindir() -> Path | None:
    """Find the PostgreSQL server binaries: on the PATH, or in Debian's versioned folder."""
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).resolve().parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    return Path(candidates[0]).parent if candidates else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(argv: list[str], run_as: str | None, check: bool = True) -> None:
    if run_as:
        argv = ["runuser", "-u", run_as, "--", *argv]
    subprocess.run(argv, check=check, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=60)


def start_cluster() -> PostgresCluster:
    """Create and start a cluster on a free loopback port; fsync off, it only lives for the tests."""
    bindir = find_bindir()
    if bindir is None:
        raise FileNotFoundError("no PostgreSQL server binaries (initdb) on this machine")
    run_as = "postgres" if os.geteuid() == 0 else None
    base = Path(tempfile.mkdtemp(prefix="jobbskaparna-pg-"))
    if run_as:
        shutil.chown(base, user=run_as)
    datadir, socketdir = base / "data", base
    port = _free_port()
    _run([str(bindir / "initdb"), "-D", str(datadir), "-A", "trust", "-U", "postgres", "--no-sync",
          "-E", "UTF8", "--locale=C"], run_as)
    options = f"-p {port} -k {socketdir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
    _run(
        [str(bindir / "pg_ctl"), "-D", str(datadir), "-w", "-l", str(base / "log"), "-o", options, "start"],
        run_as,
    )
    return PostgresCluster(bindir, datadir, socketdir, port, run_as)
