"""Migrations and models cannot drift, and every migration can be reverted, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

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


async def test_the_migrated_schema_matches_the_models(database_url: str):
    assert await _diff(database_url) == []


async def test_every_migration_can_be_reverted_and_applied_again(database_url: str):
    await db.migrate(database_url)  # already at head: a second run changes nothing

    await asyncio.to_thread(command.downgrade, db.alembic_config(database_url), "base")
    assert await _tables(database_url) <= {"alembic_version"}

    await db.migrate(database_url)
    assert await _diff(database_url) == []
