"""Seeding a bot's database for a FakeDiscord directly (the benchmarks seed thousands of members this way)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterable
from pathlib import Path
from typing import Any

import pytest
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route
from sqlalchemy import insert, select

from bot import db
from bot.app import App
from bot.clock import SystemClock
from bot.config import load_settings
from bot.contributions import Feature
from bot.discordbot.bot import JobbBot
from bot.features import FEATURES
from bot.models import Member, Workspace
from bot.services import issues
from bot.services.context import Identity, get_or_create_workspace

from .fakediscord import FakeDiscord, MemberSpec

# How long the bot may take to connect, and to stop.
READY_TIMEOUT = 30.0


async def app_with_workspace(url: str, fake: FakeDiscord, *, announcements: str = "annonser"
                             ) -> tuple[App, Identity, int]:
    """Migrate the database and return an App on it (quiet hours off: figures must not depend on the hour),
    the server owner, and the id of the workspace, set up as /setup leaves it. Close the App when done."""
    await db.migrate(url)
    settings = load_settings(_env_file=None, database_url=url, quiet_hours_start=0, quiet_hours_end=0)
    app = App(settings, SystemClock())
    guild = str(fake.guild_id)
    owner = Identity("discord", guild, str(fake.user_id("owner")), "Owner", "Jobbskaparna", is_admin=True)
    try:
        await app.run(owner, issues.list_issues)  # creates the workspace and the owner's member row
        async with app.sessionmaker() as session, session.begin():
            workspace = await session.scalar(select(Workspace).where(Workspace.external_id == guild))
            assert workspace is not None
            set_up_as_setup_does(workspace, fake, announcements=announcements)
            return app, owner, workspace.id
    except BaseException:
        await app.close()
        raise


def set_up_as_setup_does(workspace: Workspace, fake: FakeDiscord, *, announcements: str = "annonser") -> None:
    """Point a workspace at the fake's channels and roles, as /setup leaves it."""
    workspace.announcement_channel_id = str(fake.channel_id(announcements))
    workspace.welcome_channel_id = str(fake.channel_id("välkommen"))
    workspace.coordinator_channel_id = str(fake.channel_id("koordinatorer"))
    workspace.member_role_id = str(fake.role_id("Medlem"))
    workspace.coordinator_role_id = str(fake.role_id("Koordinator"))


@contextlib.asynccontextmanager
async def bot_in_process(fake: FakeDiscord, data_dir: Path, monkeypatch: pytest.MonkeyPatch,
                         members: Iterable[MemberSpec], *, set_up: Callable[[Workspace], None] | None = None,
                         features: Iterable[Feature] = FEATURES, **settings: Any) -> AsyncIterator[JobbBot]:
    """Run JobbBot, made of `features`, against the fake in this process, with the workspace (set up by
    `set_up`) and `members` known to the database. Quiet hours off: a test must not depend on the time of day
    it runs."""
    monkeypatch.setattr(Route, "BASE", fake.api_base)
    monkeypatch.setattr(DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(fake.gateway_url))
    config = load_settings(
        _env_file=None,
        discord_token="fake-token",
        discord_guild_ids=str(fake.guild_id),
        data_dir=data_dir,
        database_url="",
        quiet_hours_start=0,
        quiet_hours_end=0,
        **settings,
    )
    client = JobbBot(App(config, features=features), guild_ready_timeout=0.1)
    task = asyncio.create_task(client.start("fake-token"))
    try:
        await fake.wait_ready(READY_TIMEOUT)
        now = client.app.clock.now()
        async with client.app.sessionmaker() as session, session.begin():
            workspace = await get_or_create_workspace(
                session, "discord", str(fake.guild_id), "Jobbskaparna", now
            )
            if set_up is not None:
                set_up(workspace)
            await session.execute(insert(Member), [
                {"workspace_id": workspace.id, "external_id": str(fake.user_id(spec.name)),
                 "display_name": spec.name, "joined_at": now} for spec in members])
        yield client
    finally:
        await client.close()
        await asyncio.wait_for(task, READY_TIMEOUT)
