"""Fixtures for the Discord adapter: a real App on SQLite, a MockBot around it, a server with members."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.app import App
from bot.discordbot.bot import JobbBot
from bot.discordbot.translator import CatalogTranslator
from tests.helpers import MockBot, MockGuild, MockInteraction, MockMember, MockRole


@pytest.fixture
def database_url(tmp_path: Path, sqlite_template: Path) -> str:
    """Run the adapter tests on SQLite only: the services' own tests cover PostgreSQL."""
    path = tmp_path / "cogs.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture
def guild() -> MockGuild:
    return MockGuild(name="Jobbskaparna Blekinge")


@pytest.fixture
def coordinator_role(guild: MockGuild) -> MockRole:
    role = MockRole(name="Koordinator")
    guild.roles.append(role)
    return role


@pytest.fixture
def member(guild: MockGuild) -> MockMember:
    return MockMember(guild=guild, name="anna", display_name="Anna")


@pytest.fixture
def admin(guild: MockGuild) -> MockMember:
    """Make a member who may manage the server, and so is a coordinator even before /setup."""
    return MockMember(guild=guild, name="karin", display_name="Karin", manage_guild=True)


@pytest.fixture
def bot(app: App, guild: MockGuild) -> MockBot:
    return MockBot(app=app, guilds=[guild])


@pytest.fixture
def interact(bot: MockBot, member: MockMember):
    """Make an interaction by a user (the member by default) on the bot."""

    def make(user: Any = None, **kwargs: Any) -> MockInteraction:
        return MockInteraction(user=user if user is not None else member, client=bot, **kwargs)

    return make


@pytest.fixture
async def synced(app: App) -> AsyncIterator[JobbBot]:
    """The bot as `jobbskaparna sync` builds it: every cog loaded, the translator set; never connected."""
    bot = JobbBot(app)
    await bot.tree.set_translator(CatalogTranslator())
    await bot.load_cogs()
    yield bot
