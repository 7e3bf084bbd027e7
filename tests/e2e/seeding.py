"""Seeding a bot's database for a FakeDiscord directly (the benchmarks seed thousands of members this way)."""

from __future__ import annotations

from sqlalchemy import select

from bot import db
from bot.app import App
from bot.clock import SystemClock
from bot.config import load_settings
from bot.models import Workspace
from bot.services import issues
from bot.services.context import Identity

from .fakediscord import FakeDiscord


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
