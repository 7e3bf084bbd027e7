"""The deployment files, checked without a container engine: the Dockerfile linted by hadolint, compose.yaml
validated against the Compose Specification's schema, the systemd units verified by systemd-analyze, and the
health check wired to the settings and the route the bot serves.

hadolint and check-jsonschema come with the development dependencies (./dev installs them from the lock);
systemd-analyze is Debian's, which ./dev installs where it may.
"""

from __future__ import annotations

import http.server
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest
from ruamel.yaml import YAML

from bot.config import load_settings

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
COMPOSE = ROOT / "compose.yaml"
DEPLOY = ROOT / "deploy"
UNITS = ("jobbskaparna.service", "jobbskaparna-backup.service", "jobbskaparna-backup.timer")
VENV_BIN = Path(sys.executable).parent
# Where the image puts the health check script, and the command both the image and compose.yaml run.
HEALTHCHECK_IN_IMAGE = "/opt/jobbskaparna/healthcheck.py"
HEALTHCHECK_COMMAND = ["python", HEALTHCHECK_IN_IMAGE]


def tool(name: str) -> str:
    """A tool the development dependencies install beside this interpreter (not one found elsewhere)."""
    path = VENV_BIN / name
    assert path.is_file(), f"{name} is missing from {VENV_BIN}: run ./dev test, which installs the lock file"
    return str(path)


def run(*command: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=120, check=False)


def dockerfile_instructions() -> list[tuple[str, str]]:
    """The Dockerfile's instructions (keyword, arguments), continuation lines joined, comments left out."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    instructions = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, arguments = line.partition(" ")
            instructions.append((keyword.upper(), arguments.strip()))
    return instructions


def dockerfile_env() -> dict[str, str]:
    """The variables the final stage's ENV lines set."""
    env: dict[str, str] = {}
    for keyword, arguments in dockerfile_instructions():
        if keyword == "FROM":
            env = {}
        elif keyword == "ENV":
            env.update(re.findall(r"(\w+)=(\S+)", arguments))
    return env


def compose() -> dict:
    return YAML(typ="safe").load(COMPOSE)


# --- the Dockerfile -----------------------------------------------------------------------------------------

def test_hadolint_passes_the_dockerfile():
    result = run(tool("hadolint"), "--no-color", str(DOCKERFILE))
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_runs_here_and_finds_what_it_should(tmp_path: Path):
    # The check above means something only if the linter runs and reports: an untagged base image is DL3006.
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python\nCMD [\"python\"]\n")
    result = run(tool("hadolint"), "--no-color", str(bad))
    assert result.returncode != 0
    assert "DL3006" in result.stdout


def test_the_image_installs_the_production_lock_with_hashes_and_runs_as_no_root():
    instructions = dockerfile_instructions()
    runs = [arguments for keyword, arguments in instructions if keyword == "RUN"]
    assert any("--require-hashes -r requirements-prod.lock" in command for command in runs)
    assert any("--no-deps ." in command for command in runs)
    users = [arguments for keyword, arguments in instructions if keyword == "USER"]
    assert users and users[-1].split(":")[0] not in ("0", "root")
    assert ("ENTRYPOINT", '["jobbskaparna"]') in instructions
    assert ("VOLUME", '["/var/lib/jobbskaparna"]') in instructions
    assert any("postgresql-client" in command for command in runs), "pg_dump/pg_restore for backups"


def test_the_image_keeps_everything_in_its_volume():
    env = dockerfile_env()
    for setting in ("DATA_DIR", "OUTPUT_DIR"):
        assert env[setting].startswith("/var/lib/jobbskaparna/"), setting
    # The backups go where the settings put them by default: DATA_DIR/backups.
    assert "BACKUP_DIR" not in env


def test_the_image_copies_the_packages_pyproject_builds_and_dockerignore_lets_them_through():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = {name.rstrip("*") for name in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]}
    copied = []
    for keyword, arguments in dockerfile_instructions():
        if keyword == "COPY" and not arguments.startswith("--from"):
            copied += arguments.split()[:-1]
    assert packages <= set(copied)
    allowed = {line[1:].rstrip("/") for line in (ROOT / ".dockerignore").read_text().splitlines()
               if line.startswith("!")}
    assert set(copied) <= allowed, "a file the Dockerfile copies is left out of the build context"
    for source in copied:
        assert (ROOT / source).exists(), source


# --- compose.yaml -------------------------------------------------------------------------------------------

def check_compose(path: Path) -> subprocess.CompletedProcess[str]:
    return run(tool("check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(path))


def test_compose_file_is_valid_by_the_compose_specification():
    result = check_compose(COMPOSE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_compose_schema_check_finds_a_mistake(tmp_path: Path):
    # `condition: healthy` is not one of the conditions the specification allows (service_healthy is).
    wrong = tmp_path / "compose.yaml"
    wrong.write_text(COMPOSE.read_text().replace("condition: service_healthy", "condition: healthy"))
    result = check_compose(wrong)
    assert result.returncode != 0
    assert "condition" in result.stdout


def test_the_bot_waits_for_a_healthy_database_and_reaches_it_by_a_url_the_settings_accept(tmp_path: Path):
    services = compose()["services"]
    assert services["db"]["image"].split(":")[1].startswith("15")
    assert "pg_isready" in " ".join(services["db"]["healthcheck"]["test"])
    assert services["bot"]["depends_on"]["db"]["condition"] == "service_healthy"
    url = services["bot"]["environment"]["DATABASE_URL"].replace(
        "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD in .env}", "secret"
    )
    settings = load_settings(_env_file=None, database_url=url, data_dir=tmp_path)
    assert settings.effective_database_url == "postgresql+asyncpg://jobbskaparna:secret@db:5432/jobbskaparna"
    database = services["db"]["environment"]
    assert f"{database['POSTGRES_USER']}:" in url and url.endswith(f"/{database['POSTGRES_DB']}")


def test_compose_checks_the_bots_health_as_the_image_does():
    bot = compose()["services"]["bot"]
    assert bot["healthcheck"]["test"] == ["CMD", *HEALTHCHECK_COMMAND]
    healthchecks = [arguments for keyword, arguments in dockerfile_instructions() if keyword == "HEALTHCHECK"]
    assert len(healthchecks) == 1
    assert healthchecks[0].endswith('CMD ["python", "/opt/jobbskaparna/healthcheck.py"]')
    assert ("COPY", f"deploy/healthcheck.py {HEALTHCHECK_IN_IMAGE}") in dockerfile_instructions()
    # Inside the container, where the check runs: on the loopback and a port, in the image and (unless .env
    # sets them to something) in compose.
    image_env = dockerfile_env()
    assert image_env["WEB_HOST"] == "127.0.0.1" and image_env["WEB_PORT"].isdigit()
    for name in ("WEB_HOST", "WEB_PORT"):
        assert bot["environment"][name] == f"${{{name}:-{image_env[name]}}}"


# --- the health check script --------------------------------------------------------------------------------

class _Liveness(http.server.BaseHTTPRequestHandler):
    """A stand-in for the bot's liveness route: answers `status` and notes the paths asked for."""

    status: ClassVar[int]
    paths: ClassVar[list[str]]

    def do_GET(self) -> None:
        type(self).paths.append(self.path)
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def liveness_server() -> Iterator[tuple[int, type[_Liveness]]]:
    handler = type("Liveness", (_Liveness,), {"status": 200, "paths": []})
    server = http.server.HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], handler
    finally:
        server.shutdown()
        server.server_close()


def healthcheck(**env: str) -> subprocess.CompletedProcess[str]:
    environ = {key: value for key, value in os.environ.items() if not key.startswith("WEB_")} | env
    return subprocess.run([sys.executable, str(DEPLOY / "healthcheck.py")], env=environ, capture_output=True,
                          text=True, timeout=30, check=False)


def test_the_health_check_passes_when_liveness_answers_200(liveness_server: tuple[int, type[_Liveness]]):
    port, handler = liveness_server
    result = healthcheck(WEB_HOST="127.0.0.1", WEB_PORT=str(port))
    assert result.returncode == 0, result.stderr
    assert handler.paths == ["/health/live"]


def test_the_health_check_fails_when_liveness_answers_otherwise(liveness_server: tuple[int, type[_Liveness]]):
    port, handler = liveness_server
    handler.status = 503
    result = healthcheck(WEB_PORT=str(port))
    assert result.returncode == 1
    assert "answered 503" in result.stderr


def test_the_health_check_reaches_a_server_bound_to_every_address_through_the_loopback(
    liveness_server: tuple[int, type[_Liveness]],
):
    port, _ = liveness_server
    assert healthcheck(WEB_HOST="0.0.0.0", WEB_PORT=str(port)).returncode == 0


def test_the_health_check_fails_when_nothing_listens_or_the_endpoint_is_off():
    # A port that was free a moment ago and that nothing listens on (bound, never listened, closed).
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    refused = healthcheck(WEB_PORT=str(closed))
    assert refused.returncode == 1
    assert "did not answer" in refused.stderr
    off = healthcheck()
    assert off.returncode == 1
    assert "WEB_PORT is not set" in off.stderr


# --- the systemd units --------------------------------------------------------------------------------------

def test_systemd_analyze_verifies_the_units(tmp_path: Path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed here (./dev installs Debian's systemd where it may)")
    # verify also checks that ExecStart's program exists: point it at a stand-in for the venv's jobbskaparna.
    program = tmp_path / "jobbskaparna"
    program.write_text("#!/bin/sh\n")
    program.chmod(0o755)
    for unit in UNITS:
        text = (DEPLOY / unit).read_text()
        (tmp_path / unit).write_text(text.replace("/opt/jobbskaparna/.venv/bin/jobbskaparna", str(program)))
    result = run(analyze, "verify", *UNITS, cwd=tmp_path)
    # Unknown keys and other doubts are only warnings (exit 0): the units must draw none.
    assert result.returncode == 0 and result.stderr == "", result.stderr


def test_the_bot_runs_hardened_restarts_on_failure_and_keeps_its_data_in_its_state_directory():
    unit = (DEPLOY / "jobbskaparna.service").read_text()
    for line in ("Restart=on-failure", "KillSignal=SIGTERM", "DynamicUser=yes", "StateDirectory=jobbskaparna",
                 "ProtectSystem=strict", "NoNewPrivileges=yes", "PrivateTmp=yes",
                 "EnvironmentFile=/etc/jobbskaparna/jobbskaparna.env"):
        assert line in unit.splitlines(), line
    # The settings' relative folders (data, out) land in the state directory.
    assert "WorkingDirectory=/var/lib/jobbskaparna" in unit.splitlines()


def test_the_backup_runs_as_the_bots_user_with_its_settings_on_a_timer():
    backup = (DEPLOY / "jobbskaparna-backup.service").read_text().splitlines()
    bot = (DEPLOY / "jobbskaparna.service").read_text().splitlines()
    assert "ExecStart=/opt/jobbskaparna/.venv/bin/jobbskaparna backup" in backup
    for setting in ("User=", "EnvironmentFile=", "WorkingDirectory=", "StateDirectory="):
        line = [line for line in bot if line.startswith(setting)]
        assert line and line[0] in backup, setting
    timer = (DEPLOY / "jobbskaparna-backup.timer").read_text().splitlines()
    assert any(line.startswith("OnCalendar=") for line in timer)
