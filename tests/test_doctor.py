"""Doctor's look at the database and the model, on SQLite and PostgreSQL (the platforms' checks run against
the fake Discord and Slack in tests/e2e/test_doctor.py)."""

from __future__ import annotations

import socket
from pathlib import Path

from bot import db
from bot.config import Settings, load_settings
from bot.doctor import INFO, OK, PROBLEM, Finding, check_database, check_openai, report


def settings_for(tmp_path: Path, **values: object) -> Settings:
    return load_settings(_env_file=None, data_dir=tmp_path / "data", **values)


async def test_a_migrated_database_is_ok_and_its_workspaces_are_read(settings: Settings):
    findings, workspaces = await check_database(settings)

    [finding] = findings
    assert finding.status == OK and "answers and is migrated to the head revision" in finding.text
    assert workspaces == {}


async def test_a_database_behind_the_code_is_told_to_migrate(tmp_path: Path):
    path = tmp_path / "old.db"
    await db.migrate(f"sqlite+aiosqlite:///{path}", "0021")

    [finding], workspaces = await check_database(settings_for(tmp_path, database_url=f"sqlite+aiosqlite:///{path}"))

    assert finding.status == PROBLEM and workspaces == {}
    assert " is at revision 0021, this version needs " in finding.text
    assert finding.text.endswith(": run `jobbskaparna migrate` (a start migrates too)")


async def test_a_sqlite_file_not_made_yet_is_information_and_is_not_made_by_doctor(tmp_path: Path):
    [finding], _ = await check_database(settings_for(tmp_path))

    assert finding.status == INFO and "does not exist yet: the bot creates it when it starts" in finding.text
    assert not (tmp_path / "data").exists()


async def test_a_database_server_out_of_reach_is_a_finding_without_the_password(tmp_path: Path):
    with socket.socket() as probe:  # a port nothing listens on once the probe is closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"postgresql+asyncpg://jobb:hemligt@127.0.0.1:{port}/jobb"

    [finding], _ = await check_database(settings_for(tmp_path, database_url=url))

    assert finding.status == PROBLEM
    assert finding.text.startswith(f"postgresql+asyncpg://jobb:***@127.0.0.1:{port}/jobb does not answer (")
    assert "hemligt" not in finding.text


def test_the_model_is_information_only(tmp_path: Path):
    assert check_openai(settings_for(tmp_path)).status == INFO
    assert check_openai(settings_for(tmp_path, openai_api_key="sk-test")) == Finding(
        "OpenAI", INFO, "OPENAI_API_KEY is set: the coach asks gpt-4o-mini (not tried here)")


def test_the_report_groups_findings_by_area_and_counts_the_problems():
    findings = [Finding("Discord", OK, "a"), Finding("Slack", PROBLEM, "b"), Finding("Discord", PROBLEM, "c")]

    assert report(findings) == "Discord\n  ok       a\n  PROBLEM  c\nSlack\n  PROBLEM  b\n2 problems to fix."
    assert report([Finding("Database", OK, "fine")]).endswith("\nAll is well.")
