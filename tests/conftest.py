"""Fixtures shared by the whole suite: a migrated database on SQLite and on PostgreSQL, an App, a clock."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot import db
from bot.app import App
from bot.clock import FrozenClock
from bot.config import Settings, load_settings
from bot.contributions import Feature
from bot.delivery import MessageMissing, RecipientUnreachable
from bot.features import FEATURES
from bot.models import Member, Workspace
from bot.replies import Channel, Reply, Role
from bot.services.context import Identity, language_of
from tests.postgres import PostgresCluster, find_bindir, start_cluster
from tests.support.replies import shown

# Tuesday 1 December 2026, 10:00 in Stockholm: a working day, outside quiet hours.
START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def pytest_configure(config: pytest.Config) -> None:
    # Settings must not pick up a developer's .env or environment in tests.
    for key in list(os.environ):
        if key.startswith(("DISCORD_", "OPENAI_", "DATABASE_URL", "SLACK_")):
            del os.environ[key]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once; each test gets a copy."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    db.migrate_sync(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresCluster]:
    """A throwaway PostgreSQL cluster with a migrated template database."""
    if os.environ.get("TEST_POSTGRES_URL"):
        pytest.skip("TEST_POSTGRES_URL given: use that server instead")  # pragma: no cover
    if find_bindir() is None:
        pytest.skip("PostgreSQL is not installed here (no initdb); the PostgreSQL runs are skipped")
    cluster = start_cluster()
    try:
        cluster.psql("CREATE DATABASE template_jobb")
        db.migrate_sync(cluster.url("template_jobb"))
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, migrated database for one test, on each engine the bot supports."""
    if request.param == "sqlite":
        path = tmp_path / "test.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite+aiosqlite:///{path}"
    cluster: PostgresCluster = request.getfixturevalue("postgres")
    name = cluster.new_database()
    request.addfinalizer(lambda: cluster.finished(name))
    return cluster.url(name)


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return load_settings(database_url=database_url, data_dir=tmp_path / "data", output_dir=tmp_path / "out",
                         _env_file=None)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


@dataclass
class Sent:
    """One message the bot sent, rendered in its reader's language."""

    to: str
    text: str
    reply: Reply
    nonce: str | None = None


@dataclass
class RecordingNotifier:
    """A Notifier that records what would have been sent; members in `closed` have closed DMs.

    Like Discord with enforce_nonce, a second message with a nonce already seen is dropped (and counted), and
    the first message's id is returned again. Posts get ids "m1", "m2", …; an edit is recorded as sent to
    "edit:<channel>" with the message id in `edited`; ids in `deleted` are gone (edit and pin raise
    MessageMissing; delete_post adds to them); `pins` holds what is pinned; `revoked` the roles taken back.
    """

    sent: list[Sent] = field(default_factory=list)
    dropped_repeats: int = 0
    roles: list[tuple[str, Role]] = field(default_factory=list)
    revoked: list[tuple[str, Role]] = field(default_factory=list)
    closed: set[str] = field(default_factory=set)
    ids: dict[str, str] = field(default_factory=dict)
    edited: list[str] = field(default_factory=list)
    pins: set[str] = field(default_factory=set)
    deleted: set[str] = field(default_factory=set)
    posts: int = 0

    async def send_direct(
        self, workspace: Workspace, member: Member, reply: Reply, *, nonce: str | None = None
    ) -> None:
        if member.external_id in self.closed:
            raise RecipientUnreachable
        if self._repeat(nonce):
            return
        text = shown(reply, language_of(member, workspace))
        self.sent.append(Sent(f"dm:{member.external_id}", text, reply, nonce))

    async def post(self, workspace: Workspace, channel: Channel, reply: Reply, *, nonce: str | None = None
                   ) -> str | None:
        if self._repeat(nonce):
            return self.ids.get(nonce or "")
        self.sent.append(Sent(f"channel:{channel}", shown(reply, workspace.language), reply, nonce))
        self.posts += 1
        message_id = f"m{self.posts}"
        if nonce is not None:
            self.ids[nonce] = message_id
        return message_id

    async def edit(self, workspace: Workspace, channel: Channel, message_id: str, reply: Reply) -> None:
        if message_id in self.deleted:
            raise MessageMissing
        self.sent.append(Sent(f"edit:{channel}", shown(reply, workspace.language), reply))
        self.edited.append(message_id)

    async def pin(self, workspace: Workspace, channel: Channel, message_id: str) -> None:
        if message_id in self.deleted:
            raise MessageMissing
        self.pins.add(message_id)

    async def unpin(self, workspace: Workspace, channel: Channel, message_id: str) -> None:
        self.pins.discard(message_id)

    async def grant_role(self, workspace: Workspace, member: Member, role: Role) -> None:
        self.roles.append((member.external_id, role))

    async def revoke_role(self, workspace: Workspace, external_id: str, role: Role) -> None:
        self.revoked.append((external_id, role))

    async def delete_post(self, workspace: Workspace, channel: Channel, message_id: str) -> None:
        self.deleted.add(message_id)

    async def find_sent(self, workspace: Workspace, member: Member | None, channel: Channel, reply: Reply, *,
                        since: datetime) -> bool | None:
        """Whether the same text already went to the same place (what was recorded has no times)."""
        if member is not None:
            to, language = f"dm:{member.external_id}", language_of(member, workspace)
        else:
            to, language = f"channel:{channel}", workspace.language
        return any(s.text == shown(reply, language) for s in self.to(to))

    def _repeat(self, nonce: str | None) -> bool:
        if nonce is not None and any(s.nonce == nonce for s in self.sent):
            self.dropped_repeats += 1
            return True
        return False

    def to(self, destination: str) -> list[Sent]:
        return [s for s in self.sent if s.to == destination]


@pytest.fixture
def notifier() -> RecordingNotifier:
    return RecordingNotifier()


@pytest.fixture
def features() -> tuple[Feature, ...]:
    """The features the test's App is made of: all of the bot's (a test module may add a stand-in)."""
    return FEATURES


@pytest.fixture
async def app(settings: Settings, clock: FrozenClock, notifier: RecordingNotifier,
              features: tuple[Feature, ...]) -> AsyncIterator[App]:
    """The core with a frozen clock and a recording notifier; the scheduler is not started."""
    application = App(settings, clock, features)
    application.notifier = notifier
    application.dispatcher.notifier = notifier
    yield application
    await application.close()


def identity(name: str, *, coordinator: bool = False, workspace: str = "guild-1") -> Identity:
    """A user in a test workspace; coordinators have the manage-server permission."""
    return Identity("test", workspace, name, name.title(), "Testgruppen", is_admin=coordinator)
