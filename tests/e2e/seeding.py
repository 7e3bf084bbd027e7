"""Seeding a bot's database for a FakeDiscord directly (the benchmarks seed thousands of members this way)."""

from __future__ import annotations

from bot.models import Workspace

from .fakediscord import FakeDiscord


def set_up_as_setup_does(workspace: Workspace, fake: FakeDiscord, *, announcements: str = "annonser") -> None:
    """Point a workspace at the fake's channels and roles, as /setup leaves it."""
    workspace.announcement_channel_id = str(fake.channel_id(announcements))
    workspace.welcome_channel_id = str(fake.channel_id("välkommen"))
    workspace.coordinator_channel_id = str(fake.channel_id("koordinatorer"))
    workspace.member_role_id = str(fake.role_id("Medlem"))
    workspace.coordinator_role_id = str(fake.role_id("Koordinator"))
