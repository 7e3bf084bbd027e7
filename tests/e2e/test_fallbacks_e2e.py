"""Fallbacks on the real delivery path: a JobbBot in this process against the Discord-protocol server, which
refuses what Discord refuses (over 2,000 characters of content, over 100 user ids in allowed_mentions).

A stage-like reminder pings the member role in the announcements channel and DMs 250 members whose DMs are
closed. Before fallbacks were split, they were all mentioned in one message of about 5,700 characters that
Discord refused, and none of them was told. Now each is named exactly once, in messages the server accepts,
and those who hold the role the post pinged are not pinged a second time.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import delivery, reminders
from bot.contributions import Feature
from bot.discordbot.bot import JobbBot
from bot.models import Delivery, Member, Reminder, Workspace
from bot.replies import Channel, Literal, Reply, Role
from tests.support.features import plus

from .fakediscord import FakeDiscord, MemberSpec, RateLimitConfig
from .fakediscord.rules import MAX_ALLOWED_MENTIONS, MAX_CONTENT
from .seeding import bot_in_process

pytestmark = [pytest.mark.asyncio, pytest.mark.e2e]

KIND = "e2e.stage_with_closed_dms"
# Every other member holds the member role; nobody's DMs are open.
MEMBERS = [
    MemberSpec(f"m{i:03d}", roles=("Medlem",) if i % 2 == 0 else (), dms_open=False) for i in range(250)
]
MENTION = re.compile(r"<@(\d+)>")


async def _stage(session: AsyncSession, reminder: Reminder, now: datetime) -> list[reminders.Planned]:
    """As a countdown stage: the call in the announcements pinging the member role, and by DM to everyone."""
    ids = await session.scalars(select(Member.id).where(Member.workspace_id == reminder.workspace_id)
                                .order_by(Member.id))
    call = Reply(body=Literal("Tre dagar kvar till omröstningen: mejla politikerna i dag."), private=False)
    post = Reply(body=call.body, private=False, mention_role=Role.MEMBER)
    return [
        reminders.Planned(post, channel=Channel.ANNOUNCEMENTS),
        *(reminders.Planned(call, member_id=member_id, channel=Channel.ANNOUNCEMENTS) for member_id in ids),
    ]


@pytest_asyncio.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    # Rate limits are another test's subject (test_delivery_limits.py): off, so that this one is quick.
    async with FakeDiscord(members=MEMBERS, rate_limits=RateLimitConfig(enabled=False)) as server:
        yield server


def _set_up(fake: FakeDiscord) -> Callable[[Workspace], None]:
    def set_up(workspace: Workspace) -> None:
        workspace.announcement_channel_id = str(fake.channel_id("annonser"))
        workspace.coordinator_channel_id = str(fake.channel_id("koordinatorer"))
        workspace.member_role_id = str(fake.role_id("Medlem"))
    return set_up


@pytest_asyncio.fixture
async def bot(fake: FakeDiscord, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[JobbBot]:
    """JobbBot against the fake in this process; the workspace set up, its members known to the database."""
    async with bot_in_process(fake, tmp_path, monkeypatch, MEMBERS, set_up=_set_up(fake),
                              features=plus(STAND_IN)) as client:
        yield client


async def test_250_closed_dms_are_named_once_each_in_messages_discord_accepts_without_pinging_twice(
        fake: FakeDiscord, bot: JobbBot):
    app = bot.app
    now = app.clock.now()
    async with app.sessionmaker() as session, session.begin():
        workspace_id = await session.scalar(select(Member.workspace_id).limit(1))
        assert workspace_id is not None
        reminder = await reminders.schedule(session, workspace_id=workspace_id, kind=KIND, key="stage",
                                            due_at=now, now=now)

    await app.dispatcher.run_due()

    channel = fake.channel_id("annonser")
    posts = [r for r in fake.requests_to("POST", f"/channels/{channel}/messages")]
    assert [r.status for r in posts] == [200] * len(posts)  # nothing refused (a refusal would be a 400)
    role_post, *fallbacks = [r.json_body for r in posts]
    assert [int(r) for r in role_post["allowed_mentions"]["roles"]] == [fake.role_id("Medlem")]
    assert len(fallbacks) == 3
    named: Counter[int] = Counter()
    holders = {fake.user_id(spec.name) for spec in MEMBERS if spec.roles}
    for body in fallbacks:
        assert len(body["content"]) <= MAX_CONTENT
        mentioned = [int(m) for m in MENTION.findall(body["content"])]
        pinged = [int(u) for u in body["allowed_mentions"]["users"]]
        assert len(pinged) <= MAX_ALLOWED_MENTIONS
        # The role's holders were pinged by the stage's post: named here, pinged only if they lack the role.
        assert pinged == [m for m in mentioned if m not in holders]
        named.update(mentioned)
    assert named == Counter({fake.user_id(spec.name): 1 for spec in MEMBERS})
    async with app.sessionmaker() as session:
        statuses = Counter((row.key.split(":")[1], row.status) for row in await session.scalars(
            select(Delivery).where(Delivery.reminder_id == reminder.id)))
    assert statuses == {("channel", "sent"): 1, ("member", "unreachable"): len(MEMBERS),
                        (delivery.FALLBACK_MARK.strip(":"), "sent"): 3}
    assert fake.unknown_requests == [] and fake.internal_errors == []


# The test's own reminder kinds, planned by a stand-in feature of the test's App.
STAND_IN = Feature("test_fallbacks_e2e planners", planners={KIND: _stage})
