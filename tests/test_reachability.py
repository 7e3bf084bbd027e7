"""Reachability that heals: a member whose DMs were refused is tried again,
and the mark clears when a DM arrives."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot import delivery, reminders
from bot.app import App
from bot.clock import FrozenClock
from bot.contributions import Feature
from bot.errors import UserError
from bot.i18n import render
from bot.models import Member
from bot.replies import Literal, Reply
from bot.services import activity
from bot.services.context import get_or_create_member, get_or_create_workspace
from tests.conftest import RecordingNotifier, identity
from tests.support.features import plus
from tests.support.onboarding import onboard

ANNA = identity("anna")
KIND = "test.personal.reach"


async def _plan_personal(session, reminder, now):  # type: ignore[no-untyped-def]
    return [reminders.Planned(Reply.say("profile.saved"), member_id=reminder.payload["member_id"])]


async def _dm_anna(app: App, key: str) -> None:
    """Plan one personal DM to Anna, due now, and run the dispatcher."""
    now = app.clock.now()
    async with app.sessionmaker() as session, session.begin():
        workspace = await get_or_create_workspace(session, "test", "guild-1", "Testgruppen", now)
        member, _ = await get_or_create_member(session, workspace, "anna", "Anna", now)
        await reminders.schedule(session, workspace_id=workspace.id, kind=KIND, key=key, due_at=now, now=now,
                                 payload={"member_id": member.id})
    await app.dispatcher.run_due()


async def _dms_found_closed_then_opened(app: App, notifier: RecordingNotifier) -> None:
    """Anna onboards, a DM to her is refused (she is marked), and then she opens her DMs again."""
    await onboard(app, ANNA)
    notifier.closed.add("anna")
    await _dm_anna(app, "first")
    notifier.closed.clear()


async def _anna(app: App) -> Member:
    async with app.sessionmaker() as session:
        member = await session.scalar(select(Member).where(Member.external_id == "anna"))
        assert member is not None
        return member


async def test_closed_dms_are_tried_again_after_three_days_and_the_mark_clears_when_one_arrives(
        app: App, clock: FrozenClock, notifier: RecordingNotifier):
    notifier.closed.add("anna")
    await _dm_anna(app, "first")
    anna = await _anna(app)
    assert (anna.dm_open, anna.dm_closed_at) == (False, clock.now())
    fallback = notifier.to("channel:announcements")[-1]
    assert [b.action for b in fallback.reply.buttons] == [delivery.TEST_DM_ACTION]
    assert "Sekretessinställningar" in fallback.text

    # She opens her DMs. Within three days nothing is tried (she is mentioned in the channel instead)...
    notifier.closed.clear()
    clock.advance(timedelta(days=2))
    await _dm_anna(app, "second")
    assert notifier.to("dm:anna") == []
    assert (await _anna(app)).dm_closed_at == clock.now() - timedelta(
        days=2
    )  # a skip does not restart the wait

    # ...after three days the next personal DM is tried, arrives, and the mark is gone.
    clock.advance(timedelta(days=1))
    await _dm_anna(app, "third")
    assert len(notifier.to("dm:anna")) == 1
    anna = await _anna(app)
    assert (anna.dm_open, anna.dm_closed_at) == (True, None)


async def test_using_any_command_has_the_next_dm_tried_at_once(app: App, clock: FrozenClock,
                                                              notifier: RecordingNotifier):
    await _dms_found_closed_then_opened(app, notifier)

    await app.run(ANNA, activity.stats)  # any command
    sent_before = len(notifier.to("dm:anna"))
    await _dm_anna(app, "second")

    assert len(notifier.to("dm:anna")) == sent_before + 1
    assert (await _anna(app)).dm_open is True


async def test_the_test_dm_button_sends_one_now_and_clears_the_mark(app: App, clock: FrozenClock,
                                                                    notifier: RecordingNotifier):
    await _dms_found_closed_then_opened(app, notifier)
    sent_before = len(notifier.to("dm:anna"))

    reply = await app.press(ANNA, delivery.TEST_DM_ACTION, "")

    assert reply.body is not None and reply.body.key == "delivery.test_dm.sent"
    dms = notifier.to("dm:anna")
    assert len(dms) == sent_before + 1 and dms[-1].text.startswith("Det här är ett test-DM")
    anna = await _anna(app)
    assert (anna.dm_open, anna.dm_closed_at) == (True, None)


async def test_planners_leave_out_a_member_found_closed_lately_and_take_them_back_later(app: App,
                                                                                       clock: FrozenClock):
    # The weekly nudge selects its members with this condition (the asks and alerts with dm_worth_trying).
    async with app.sessionmaker() as session, session.begin():
        workspace = await get_or_create_workspace(session, "test", "guild-1", "Testgruppen", clock.now())
        member, _ = await get_or_create_member(session, workspace, "anna", "Anna", clock.now())
        member.dm_open, member.dm_closed_at = False, clock.now()
    clause = delivery.dm_worth_trying_clause

    async def worth_trying() -> list[str]:
        async with app.sessionmaker() as session:
            return list(await session.scalars(select(Member.external_id).where(clause(clock.now()))))

    assert await worth_trying() == []
    clock.advance(delivery.RETRY_CLOSED_DMS_AFTER)
    assert await worth_trying() == ["anna"]


QUIET_KIND = "test.personal.quiet"


async def _plan_quiet(session, reminder, now):  # type: ignore[no-untyped-def]
    return [
        reminders.Planned(Reply.say("profile.saved"), member_id=reminder.payload["member_id"], quiet=True)
    ]


async def test_a_quiet_dm_that_cannot_be_delivered_mentions_nobody_in_a_channel(app: App, clock: FrozenClock,
                                                                                notifier: RecordingNotifier):
    # The weekly nudge is quiet: tried again for a member whose DMs were closed, it must not become a weekly
    # mention in the channel when it still fails.
    notifier.closed.add("anna")
    now = clock.now()
    async with app.sessionmaker() as session, session.begin():
        workspace = await get_or_create_workspace(session, "test", "guild-1", "Testgruppen", now)
        member, _ = await get_or_create_member(session, workspace, "anna", "Anna", now)
        await reminders.schedule(session, workspace_id=workspace.id, kind=QUIET_KIND, key="quiet", due_at=now,
                                 now=now, payload={"member_id": member.id})
    await app.dispatcher.run_due()

    assert notifier.sent == []
    assert (await _anna(app)).dm_open is False


# The test's own reminder kinds, planned by a stand-in feature of the test's App.
PERSONAL_KIND = "test.personal.political"
QUESTION = "Fråga @kommunalrad_anna om parkeringen"


async def _plan_political(session, reminder, now):  # type: ignore[no-untyped-def]
    """As an ask round: each member's own question, by DM (the same text for both here)."""
    question = Reply(body=Literal(QUESTION), private=False, personal=True)
    return [reminders.Planned(question, member_id=member_id) for member_id in reminder.payload["members"]]


STAND_IN = Feature("test_reachability planners",
                   planners={KIND: _plan_personal, QUIET_KIND: _plan_quiet, PERSONAL_KIND: _plan_political})


@pytest.fixture
def features() -> tuple[Feature, ...]:
    """The bot's features and the stand-in that plans this module's reminder kinds."""
    return plus(STAND_IN)


async def test_a_personal_dm_that_falls_back_to_a_channel_is_named_there_and_opened_only_by_its_member(
        app: App, notifier: RecordingNotifier):
    now = app.clock.now()
    async with app.sessionmaker() as session, session.begin():
        workspace = await get_or_create_workspace(session, "test", "guild-1", "Testgruppen", now)
        workspace.announcement_channel_id = "101"
        members = [(await get_or_create_member(session, workspace, name, name.title(), now))[0].id
                   for name in ("anna", "bo")]
        await reminders.schedule(session, workspace_id=workspace.id, kind=PERSONAL_KIND, key="round",
                                 due_at=now, now=now, payload={"members": members})
    notifier.closed |= {"anna", "bo"}

    await app.dispatcher.run_due()

    posts = [s for s in notifier.to("channel:announcements") if s.reply.mentions]
    # Anyone in the channel reads these: each names its member, and none shows whom they are to ask.
    assert sorted(p.reply.mentions for p in posts) == [("anna",), ("bo",)]
    assert all(QUESTION not in p.text and "kommunalrad" not in p.text for p in posts)
    shown = {}
    for post in posts:
        [button] = [b for b in post.reply.buttons if b.action == delivery.SHOW_PERSONAL_ACTION]
        shown[post.reply.mentions[0]] = button.arg
    opened = await app.press(ANNA, delivery.SHOW_PERSONAL_ACTION, shown["anna"])
    assert opened.private and render(opened.body, "sv") == QUESTION
    # Bo may not open Anna's, nor anyone a made-up one.
    with pytest.raises(UserError) as foreign:
        await app.press(identity("bo"), delivery.SHOW_PERSONAL_ACTION, shown["anna"])
    assert foreign.value.text.key == "errors.not_your_button"
    with pytest.raises(UserError) as unknown:
        await app.press(ANNA, delivery.SHOW_PERSONAL_ACTION, "999999")
    assert unknown.value.text.key == "errors.unknown_button"
