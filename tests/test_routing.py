"""Several platforms over one database: each delivery goes through its workspace's platform, and a process
sends only the deliveries of the platforms it serves (so a Discord process and a Slack process can share one
database, and a process serving both routes each delivery to the right notifier)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot import reminders
from bot.app import App
from bot.clock import FrozenClock
from bot.config import Settings
from bot.contributions import Feature
from bot.models import Delivery, Member, Workspace
from bot.replies import Channel, Literal, Reply, Role
from bot.routing import RoutingNotifier, UnknownPlatform
from bot.services.context import get_or_create_member, get_or_create_workspace
from tests.conftest import RecordingNotifier
from tests.support.features import plus

KIND = "test.routing"


async def _plan(session, reminder, now):
    members = await session.scalars(select(Member).where(Member.workspace_id == reminder.workspace_id))
    return [reminders.Planned(Reply(body=Literal(reminder.payload["text"])), member_id=m.id) for m in members]


async def _remind(app: App, platform: str, user: str, text: str, *, due_in: timedelta = timedelta(0)) -> None:
    now = app.clock.now()
    async with app.sessionmaker() as session, session.begin():
        workspace = await get_or_create_workspace(session, platform, f"{platform}-1", "Gruppen", now)
        await get_or_create_member(session, workspace, user, user.title(), now)
        await reminders.schedule(session, workspace_id=workspace.id, kind=KIND, key=f"{KIND}:{text}",
                                 due_at=now + due_in, now=now, payload={"text": text})


async def _statuses(app: App) -> dict[str, str]:
    async with app.sessionmaker() as session:
        rows = await session.execute(select(Workspace.platform, Delivery.status)
                                     .join(Workspace, Workspace.id == Delivery.workspace_id))
        return dict(rows.all())


@pytest.fixture
async def two(settings: Settings, clock: FrozenClock):
    application = App(settings, clock, plus(STAND_IN))
    yield application
    await application.close()


async def test_a_process_serving_both_platforms_routes_each_delivery_to_its_platform(two: App):
    slack, discord = RecordingNotifier(), RecordingNotifier()
    await two.start(slack, migrate=False, platform="slack")
    await two.start(discord, migrate=False, platform="discord")
    await _remind(two, "slack", "U1", "till slack")
    await _remind(two, "discord", "111", "till discord")

    await two.dispatcher.run_due()

    assert [(s.to, s.text) for s in slack.sent] == [("dm:U1", "till slack")]
    assert [(s.to, s.text) for s in discord.sent] == [("dm:111", "till discord")]
    assert two.dispatcher.platforms == {"slack", "discord"}


async def test_a_process_leaves_the_other_platforms_deliveries_alone(two: App, clock: FrozenClock):
    slack = RecordingNotifier()
    await two.start(slack, migrate=False, platform="slack")
    await _remind(two, "slack", "U1", "till slack")
    await _remind(two, "discord", "111", "till discord")
    await _remind(two, "discord", "111", "senare", due_in=timedelta(hours=1))

    await two.dispatcher.run_due()

    assert [s.text for s in slack.sent] == ["till slack"]
    # Fanned out (planning is the same for every platform), but left pending for the Discord process.
    assert await _statuses(two) == {"slack": "sent", "discord": "pending"}
    # Not waited for either: what this process waits for is its own next delivery, or the next reminder.
    assert await two.dispatcher.next_due_at() == clock.now() + timedelta(hours=1)


async def test_a_start_resumes_only_its_own_platforms_half_sent_deliveries(two: App):
    await _remind(two, "slack", "U1", "a")
    await _remind(two, "discord", "111", "b")
    await two.dispatcher.run_due()  # no notifier yet: fanned out only
    async with two.sessionmaker() as session, session.begin():
        for delivery in await session.scalars(select(Delivery)):
            delivery.status = "sending"  # as a crash in the middle of sending leaves them

    resumed = await two.dispatcher.resume(("slack",))

    assert resumed == 1
    assert await _statuses(two) == {"slack": "pending", "discord": "sending"}


async def test_the_routing_notifier_refuses_a_platform_it_does_not_serve():
    router = RoutingNotifier({"slack": RecordingNotifier()})
    workspace = Workspace(
        platform="discord", external_id="1", name="", language="sv", timezone="Europe/Stockholm"
    )
    member = Member(external_id="2", display_name="X")

    with pytest.raises(UnknownPlatform):
        await router.post(workspace, Channel.ANNOUNCEMENTS, Reply())
    with pytest.raises(UnknownPlatform):
        await router.grant_role(workspace, member, Role.MEMBER)
    assert router.platforms == {"slack"}


# The test's own reminder kinds, planned by a stand-in feature of the test's App.
STAND_IN = Feature("test_routing planners", planners={KIND: _plan})

