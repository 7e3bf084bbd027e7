"""Migrations and models cannot drift, and every migration can be reverted, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import AsyncConnection

from bot import db
from bot.models import Base


async def _diff(url: str) -> list[object]:
    engine = db.create_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync, opts={"compare_type": True}),
                                              Base.metadata))
    finally:
        await engine.dispose()


async def _tables(url: str) -> set[str]:
    engine = db.create_engine(url)
    try:
        async with engine.connect() as connection:
            return set(await connection.run_sync(lambda sync: inspect(sync).get_table_names()))
    finally:
        await engine.dispose()


async def _insert_workspace(connection: AsyncConnection, at: datetime) -> int:
    """Insert a workspace with plain SQL (the models may be ahead of the schema under test); return its id."""
    return (await connection.execute(text(
        "INSERT INTO workspace (platform, external_id, name, language, timezone, created_at, updated_at) "
        "VALUES ('discord', '1', 'Testgruppen', 'sv', 'Europe/Stockholm', :at, :at) RETURNING id"),
        {"at": at})).scalar_one()


async def test_the_migrated_schema_matches_the_models(database_url: str):
    assert await _diff(database_url) == []


async def test_every_migration_can_be_reverted_and_applied_again(database_url: str):
    await db.migrate(database_url)  # already at head: a second run changes nothing

    await asyncio.to_thread(command.downgrade, db.alembic_config(database_url), "base")
    assert await _tables(database_url) <= {"alembic_version"}

    await db.migrate(database_url)
    assert await _diff(database_url) == []


async def test_dms_refused_before_fallbacks_were_deliveries_are_not_mentioned_again(database_url: str):
    # Their fallbacks were posted (or lost) by the code of their time:
    # after the upgrade none counts as waiting.
    await asyncio.to_thread(command.downgrade, db.alembic_config(database_url), "0007")
    engine = db.create_engine(database_url)
    at = datetime(2026, 12, 1, 9, tzinfo=UTC)
    try:
        async with engine.begin() as connection:
            workspace = await _insert_workspace(connection, at)
            for key, status in (("1:member:1", "unreachable"), ("1:member:2", "sent")):
                await connection.execute(text(
                    "INSERT INTO delivery (workspace_id, key, nonce, message, status, not_before, attempts, "
                    "created_at) VALUES (:workspace, :key, 'n', '{}', :status, :at, 1, :at)"),
                    {"workspace": workspace, "key": key, "status": status, "at": at})
        await db.migrate(database_url)
        async with engine.connect() as connection:
            rows = (await connection.execute(text(
                "SELECT status, sent_at IS NOT NULL, sent_at = not_before FROM delivery ORDER BY key"))).all()
    finally:
        await engine.dispose()

    assert [tuple(row) for row in rows] == [("unreachable", True, True), ("sent", False, None)]


async def test_a_migration_that_rebuilds_the_members_table_keeps_what_points_at_members(database_url: str):
    # On SQLite, batch mode copies a table, drops the old one and renames the copy; with foreign keys on, the
    # drop would cascade to every delivery of every member. 0007's downgrade rebuilds `member`.
    engine = db.create_engine(database_url)
    at = datetime(2026, 12, 1, 9, tzinfo=UTC)
    try:
        async with engine.begin() as connection:
            workspace = await _insert_workspace(connection, at)
            member = (
                await connection.execute(
                    text(
                        "INSERT INTO member "
                        "(workspace_id, external_id, display_name, joined_at, dm_reminders, dm_open) "
                        "VALUES (:workspace, '7', 'Anna', :at, true, true) RETURNING id"
                    ),
                    {"workspace": workspace, "at": at},
                )
            ).scalar_one()
            await connection.execute(
                text(
                    "INSERT INTO delivery (workspace_id, member_id, key, nonce, message, status, not_before, "
                    "attempts, created_at) VALUES (:workspace, :member, 'k', 'n', '{}', 'sent', :at, 1, :at)"
                ),
                {"workspace": workspace, "member": member, "at": at},
            )
        await asyncio.to_thread(command.downgrade, db.alembic_config(database_url), "0006")
        await db.migrate(database_url)
        async with engine.connect() as connection:
            kept = (await connection.execute(text("SELECT count(*) FROM delivery WHERE member_id = :member"),
                                             {"member": member})).scalar_one()
    finally:
        await engine.dispose()

    assert kept == 1


async def test_every_workspace_gets_its_first_delivery_pruning_planned(database_url: str):
    await asyncio.to_thread(command.downgrade, db.alembic_config(database_url), "0008")
    engine = db.create_engine(database_url)
    at = datetime(2026, 12, 1, 9, tzinfo=UTC)
    try:
        async with engine.begin() as connection:
            workspace = await _insert_workspace(connection, at)
        await db.migrate(database_url)
        async with engine.connect() as connection:
            rows = (await connection.execute(text(
                "SELECT workspace_id, kind, status FROM reminder WHERE kind LIKE 'retention.%'"))).all()
    finally:
        await engine.dispose()

    assert [tuple(row) for row in rows] == [(workspace, "retention.daily", "pending")]


async def test_streaks_and_points_are_counted_once_from_history_when_they_begin_to_be_kept(database_url: str):
    # Before 0009 streaks and the leaderboard were counted from the whole history each time: the upgrade
    # counts each member's latest run of active weeks (in the workspace's zone) from their actions, steps and
    # stories, and their points per week and month from their actions and stories.
    await asyncio.to_thread(command.downgrade, db.alembic_config(database_url), "0008")
    engine = db.create_engine(database_url)
    # Sunday evening and Monday night in Stockholm (a week apart there), then two weeks later, a week on.
    times = [datetime(2026, 11, 1, 21, 30, tzinfo=UTC), datetime(2026, 11, 1, 23, 30, tzinfo=UTC),
             datetime(2026, 11, 16, 9, tzinfo=UTC), datetime(2026, 11, 23, 9, tzinfo=UTC)]
    try:
        async with engine.begin() as connection:
            workspace = await _insert_workspace(connection, times[0])
            members = [(await connection.execute(text(
                "INSERT INTO member (workspace_id, external_id, display_name, joined_at, dm_reminders, "
                "dm_open) VALUES (:workspace, :external, 'Anna', :at, true, true) RETURNING id"),
                {"workspace": workspace, "external": external, "at": times[0]})).scalar_one()
                for external in ("1", "2", "3")]
            for at in times[:2]:
                await connection.execute(text(
                    "INSERT INTO action (workspace_id, member_id, kind, status, created_at, updated_at) "
                    "VALUES (:workspace, :member, 'tweet', 'done', :at, :at)"),
                    {"workspace": workspace, "member": members[0], "at": at})
            await connection.execute(text(
                "INSERT INTO story (workspace_id, member_id, title, kind, value, visibility, credit, "
                "created_at, updated_at) "
                "VALUES (:workspace, :member, 't', 'tweet', 'v', 'group', 'name', :at, :at)"),
                {"workspace": workspace, "member": members[0], "at": times[2]})
            await connection.execute(text(
                "INSERT INTO action (workspace_id, member_id, kind, status, created_at, updated_at) "
                "VALUES (:workspace, :member, 'tweet', 'attempted', :at, :at)"),
                {"workspace": workspace, "member": members[1], "at": times[0]})
            step = (await connection.execute(text(
                "INSERT INTO coaching_step (workspace_id, key, kind, position, active, created_at, "
                "updated_at) VALUES (:workspace, 'intro', 'tweet', 1, true, :at, :at) RETURNING id"),
                {"workspace": workspace, "at": times[0]})).scalar_one()
            await connection.execute(text(
                "INSERT INTO coaching_progress (workspace_id, member_id, step_id, done_at) "
                "VALUES (:workspace, :member, :step, :at)"),
                {"workspace": workspace, "member": members[0], "step": step, "at": times[3]})
            # Anna takes part in the leaderboard.
            await connection.execute(text("UPDATE member SET onboarded_at = :at WHERE id = :member"),
                                     {"member": members[0], "at": times[0]})
            await connection.execute(text(
                "INSERT INTO activity_member (member_id, workspace_id, leaderboard, created_at, updated_at) "
                "VALUES (:member, :workspace, true, :at, :at)"),
                {"workspace": workspace, "member": members[0], "at": times[0]})
        await db.migrate(database_url)
        async with engine.connect() as connection:
            runs = {member_id: (first, last) for member_id, first, last in await connection.execute(text(
                "SELECT member_id, first_week, last_week FROM activity_streak"))}
            scores = {tuple(row) for row in await connection.execute(text(
                "SELECT member_id, period, start, actions, stories, points, shown FROM activity_score"))}
    finally:
        await engine.dispose()

    def week(at: datetime) -> int:
        return (at.astimezone(ZoneInfo("Europe/Stockholm")).date().toordinal() - 1) // 7

    # Anna: the story's week and the step's a week later; the two weeks of actions before are another run.
    assert runs == {members[0]: (week(times[2]), week(times[3])),
                    members[1]: (week(times[0]), week(times[0]))}
    assert week(times[1]) == week(times[0]) + 1 and week(times[2]) == week(times[1]) + 2
    november = 2026 * 12 + 10
    assert scores == {
        (members[0], "week", week(times[0]), 1, 0, 1, True),
        (members[0], "week", week(times[1]), 1, 0, 1, True),
        (members[0], "week", week(times[2]), 0, 1, 1, True),
        (members[0], "month", november, 2, 1, 3, True),
        (members[1], "week", week(times[0]), 1, 0, 1, False),
        (members[1], "month", november, 1, 0, 1, False)}


async def test_members_without_consent_lose_the_name_stored_before_consent_was_asked_for(database_url: str):
    await asyncio.to_thread(command.downgrade, db.alembic_config(database_url), "0010")
    engine = db.create_engine(database_url)
    at = datetime(2026, 12, 1, 9, tzinfo=UTC)
    try:
        async with engine.begin() as connection:
            workspace = await _insert_workspace(connection, at)
            for external_id, name, consented in (("7", "Anna", at), ("8", "Bo", None)):
                await connection.execute(text(
                    "INSERT INTO member (workspace_id, external_id, display_name, joined_at, consented_at, "
                    "dm_reminders, dm_open) "
                    "VALUES (:workspace, :external_id, :name, :at, :consented, true, true)"),
                    {"workspace": workspace, "external_id": external_id, "name": name, "at": at,
                     "consented": consented})
        await db.migrate(database_url)
        async with engine.connect() as connection:
            names = (await connection.execute(text(
                "SELECT external_id, display_name FROM member ORDER BY external_id"))).all()
    finally:
        await engine.dispose()

    assert [tuple(row) for row in names] == [("7", "Anna"), ("8", "")]


async def test_a_politicians_bodies_become_member_roles_and_nobody_has_left(database_url: str):
    # Before 0015 a politician had only the bodies; the upgrade gives each body the role "ledamot" (the roles
    # were not known), marks nobody as left and keeps "last checked" as it was (None stays never checked).
    await asyncio.to_thread(command.downgrade, db.alembic_config(database_url), "0014")
    engine = db.create_engine(database_url)
    at = datetime(2026, 12, 1, 9, tzinfo=UTC)
    columns = [sa.column(name) for name in ("workspace_id", "name", "name_key", "party", "municipality",
                                            "created_at", "updated_at")]
    before = sa.table("politician", sa.column("bodies", sa.JSON()), sa.column("checked_on", sa.Date()),
                      *columns)
    try:
        async with engine.begin() as connection:
            workspace = await _insert_workspace(connection, at)
            for name, bodies, checked in (
                    ("Åsa Ek", ["kommunfullmaktige", "kommunstyrelsen"], date(2026, 11, 2)),
                    ("Bo Berg", [], None)):
                await connection.execute(before.insert().values(
                    workspace_id=workspace, name=name, name_key=name.lower(), party="S",
                    municipality="karlskrona", bodies=bodies, checked_on=checked, created_at=at,
                    updated_at=at))
        await db.migrate(database_url)
        after = sa.table("politician", sa.column("name"), sa.column("roles", sa.JSON()),
                         sa.column("left_on", sa.Date()), sa.column("checked_on", sa.Date()))
        async with engine.connect() as connection:
            rows = {row.name: (row.roles, row.left_on, row.checked_on)
                    for row in await connection.execute(sa.select(after))}
    finally:
        await engine.dispose()

    assert rows == {"Åsa Ek": ({"kommunfullmaktige": "ledamot", "kommunstyrelsen": "ledamot"}, None,
                               date(2026, 11, 2)),
                    "Bo Berg": ({}, None, None)}
