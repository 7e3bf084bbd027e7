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
from dataclasses import dataclass
from pathlib import Path


@dataclass
class PostgresCluster:
    """A running cluster; `url(db)` gives an asyncpg URL for one of its databases."""

    bindir: Path
    datadir: Path
    socketdir: Path
    port: int
    run_as: str | None

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
