"""Delivery: one row per recipient, sent once, resumed after a crash, quiet at night, and DST-correct."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot import delivery, reminders
from bot.app import App
from bot.clock import FrozenClock
from bot.contributions import Feature
from bot.delivery import (
    MAX_ATTEMPTS,
    THROTTLED_RETRIES,
    QuietHours,
    Throttled,
    nonce_for,
)
from bot.models import Delivery, Member, Reminder
from bot.replies import Channel, Literal, Reply
from bot.services.context import get_or_create_member, get_or_create_workspace
from tests.conftest import START, RecordingNotifier
from tests.support.features import plus

STOCKHOLM = ZoneInfo("Europe/Stockholm")
TEST_KIND = "test.broadcast"
URGENT_KIND = "test.urgent"


async def _plan_broadcast(session, reminder, now):
    members = await session.scalars(select(Member).where(Member.workspace_id == reminder.workspace_id)
                                    .order_by(Member.id))
    return [reminders.Planned(Reply(body=Literal(reminder.payload["text"])), member_id=m.id) for m in members]


async def _setup(app: App, names: list[str], *, due_in: timedelta = timedelta(hours=1),
                 grace: timedelta | None = None) -> int:
    now = app.clock.now()
    async with app.sessionmaker() as session, session.begin():
        workspace = await get_or_create_workspace(session, "test", "guild-1", "Testgruppen", now)
        for name in names:
            await get_or_create_member(session, workspace, name, name.title(), now)
        reminder = await reminders.schedule(
            session,
            workspace_id=workspace.id,
            kind=TEST_KIND,
            key="broadcast:1",
            due_at=now + due_in,
            now=now,
            payload={"text": "Hej!"},
            grace=grace,
        )
        return reminder.id


async def _statuses(app: App) -> list[str]:
    async with app.sessionmaker() as session:
        return list(await session.scalars(select(Delivery.status).order_by(Delivery.id)))


async def test_nothing_is_sent_before_it_is_due_and_everything_once_after(
        app: App, clock: FrozenClock, notifier: RecordingNotifier):
    await _setup(app, ["anna", "bo", "cia"])

    await app.dispatcher.run_due()
    assert notifier.sent == []

    clock.advance(timedelta(hours=1))
    for _ in range(3):
        await app.dispatcher.run_due()

    assert sorted(s.to for s in notifier.sent) == ["dm:anna", "dm:bo", "dm:cia"]
    assert await _statuses(app) == ["sent"] * 3


async def test_a_crash_mid_fan_out_then_a_restart_sends_each_recipient_exactly_once(
        app: App, clock: FrozenClock, notifier: RecordingNotifier):
    names = [f"m{i:02d}" for i in range(10)]
    await _setup(app, names)
    clock.advance(timedelta(hours=1))

    class Crash(BaseException):
        """Stands for the process dying: not an Exception, so nothing in the bot catches it."""

    sends = 0
    original = notifier.send_direct

    async def crash_after_four(*args, **kwargs):
        nonlocal sends
        sends += 1
        if sends > 4:
            raise Crash
        await original(*args, **kwargs)

    notifier.send_direct = crash_after_four
    with pytest.raises(BaseExceptionGroup) as raised:
        await app.dispatcher.run_due()
    notifier.send_direct = original
    assert raised.group_contains(Crash)

    # "Restart": a new dispatcher resumes what was claimed but not marked, then runs what is due.
    await app.dispatcher.resume()
    await app.dispatcher.run_due()

    assert sorted(s.to for s in notifier.sent) == sorted(f"dm:{n}" for n in names)
    assert await _statuses(app) == ["sent"] * 10
    # Each message carries its delivery's own nonce, so Discord would drop a repeat after a crash.
    async with app.sessionmaker() as session:
        keys = list(await session.scalars(select(Delivery.key)))
    assert sorted(s.nonce for s in notifier.sent) == sorted(nonce_for(k) for k in keys)


async def test_at_any_moment_at_most_the_sends_in_flight_went_out_unmarked(
        app: App, clock: FrozenClock, notifier: RecordingNotifier):
    # A crash (kill -9) at any moment leaves in doubt only what is marked as being sent: at most the sends in
    # flight, never a batch (Discord drops a repeated nonce for a few minutes only, Slack not at all). Every
    # message that went out is marked as being sent or as sent, never still as claimed or pending.
    await _setup(app, [f"m{i:03d}" for i in range(120)])
    clock.advance(timedelta(hours=1))
    original = notifier.send_direct
    most_in_doubt = 0

    async def looking(*args, **kwargs):
        nonlocal most_in_doubt
        went_out = {s.nonce for s in notifier.sent}  # before the snapshot: rows only move on from here
        async with app.deferred_sessionmaker() as session:
            statuses = dict((await session.execute(select(Delivery.nonce, Delivery.status))).all())
        assert {statuses[nonce] for nonce in went_out} <= {delivery.SENDING, delivery.SENT}
        most_in_doubt = max(most_in_doubt, sum(status == delivery.SENDING for status in statuses.values()))
        await original(*args, **kwargs)

    notifier.send_direct = looking
    await app.dispatcher.run_due()

    assert len(notifier.sent) == 120 and await _statuses(app) == ["sent"] * 120
    assert most_in_doubt == app.dispatcher.concurrency


async def test_after_a_kill_only_the_sends_in_flight_are_in_doubt_and_only_those_are_looked_up(
        app: App, clock: FrozenClock, notifier: RecordingNotifier, monkeypatch: pytest.MonkeyPatch):
    # A claim takes a batch, but a delivery is marked as being sent only when its send starts: a kill leaves
    # at most the concurrency in doubt. After the restart those are looked up with the platform (Discord
    # forgets nonces after minutes, Slack has none), the rest is simply sent.
    await _setup(app, [f"m{i:03d}" for i in range(120)])
    clock.advance(timedelta(hours=1))
    dispatcher = app.dispatcher
    mark, send_direct, sends = dispatcher._mark, notifier.send_direct, 0
    seen: list[dict[str, int]] = []

    class Killed(BaseException):
        """Stands for kill -9: nothing in the bot catches it, and no cleanup runs."""

    async def counted_send(*args, **kwargs):
        nonlocal sends
        sends += 1
        async with app.deferred_sessionmaker() as session:
            seen.append(dict((await session.execute(select(Delivery.status, func.count())
                                                    .group_by(Delivery.status))).all()))
        await send_direct(*args, **kwargs)

    async def dying_mark(outcomes, now, **kwargs):
        if sends >= 40:
            raise Killed  # these sends went out, and nothing says so
        return await mark(outcomes, now, **kwargs)

    async def no_cleanup(*args) -> None:
        return None  # a killed process gives nothing back

    notifier.send_direct, dispatcher._mark = counted_send, dying_mark
    monkeypatch.setattr(dispatcher, "_release", no_cleanup)
    with pytest.raises(BaseExceptionGroup):
        await dispatcher.run_due()
    notifier.send_direct, dispatcher._mark = send_direct, mark
    assert min(counts.get(delivery.CLAIMED, 0) for counts in seen) > 0  # a batch claimed, not all being sent

    await dispatcher.resume()
    async with app.sessionmaker() as session:
        in_doubt = set(
            await session.scalars(select(Delivery.id).where(Delivery.last_error == delivery.INTERRUPTED))
        )
    assert 0 < len(in_doubt) <= dispatcher.concurrency
    asked: list[str] = []
    find_sent = notifier.find_sent

    async def counted_find(workspace, member, channel, reply, *, since):
        asked.append(member.external_id)
        return await find_sent(workspace, member, channel, reply, since=since)

    notifier.find_sent = counted_find
    await dispatcher.run_due()

    assert len(asked) == len(in_doubt)
    assert sorted(s.to for s in notifier.sent) == sorted(f"dm:m{i:03d}" for i in range(120))  # once each
    assert await _statuses(app) == ["sent"] * 120


async def test_the_dm_channel_a_platform_opened_is_stored_with_the_member(
        app: App, clock: FrozenClock, notifier: RecordingNotifier):
    await _setup(app, ["anna", "bo"])
    clock.advance(timedelta(hours=1))
    original = notifier.send_direct

    async def opening(workspace, member, reply, *, nonce=None):
        await original(workspace, member, reply, nonce=nonce)
        return f"dm-{member.external_id}"

    notifier.send_direct = opening
    await app.dispatcher.run_due()

    async with app.sessionmaker() as session:
        stored = dict((await session.execute(select(Member.external_id, Member.dm_channel_id))).all())
    assert stored == {"anna": "dm-anna", "bo": "dm-bo"}


async def test_planning_the_same_reminder_twice_adds_no_second_delivery(app: App, clock: FrozenClock):
    reminder_id = await _setup(app, ["anna"])
    clock.advance(timedelta(hours=1))
    await app.dispatcher.run_due()

    async with app.sessionmaker() as session, session.begin():
        reminder = await session.get_one(Reminder, reminder_id)
        reminder.status = reminders.PENDING  # as if a second process fanned it out again
    await app.dispatcher.run_due()

    async with app.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Delivery)) == 1


async def test_members_with_closed_dms_are_mentioned_in_one_channel_message(
        app: App, clock: FrozenClock, notifier: RecordingNotifier):
    await _setup(app, ["anna", "bo", "cia"])
    notifier.closed |= {"anna", "cia"}
    clock.advance(timedelta(hours=1))

    await app.dispatcher.run_due()

    assert [s.to for s in notifier.sent if s.to.startswith("dm:")] == ["dm:bo"]
    [fallback] = notifier.to(f"channel:{Channel.ANNOUNCEMENTS}")
    assert fallback.reply.mentions == ("anna", "cia")
    assert "Hej!" in fallback.text and "kunde inte skicka ett DM" in fallback.text
    async with app.sessionmaker() as session:
        closed = set(await session.scalars(select(Member.external_id).where(Member.dm_open.is_(False))))
    assert closed == {"anna", "cia"}


async def test_a_reminder_later_than_its_grace_is_skipped_not_sent(
        app: App, clock: FrozenClock, notifier: RecordingNotifier):
    await _setup(app, ["anna"], grace=timedelta(hours=2))
    clock.advance(timedelta(hours=4))

    report = await app.dispatcher.run_due()

    # Nothing reaches the member; the coordinators are told what was skipped, once.
    assert len(report.skipped) == 1
    [notice] = notifier.sent
    assert notice.to == f"channel:{Channel.COORDINATORS}"
    assert "1 påminnelse hoppades över" in notice.text and TEST_KIND in notice.text
    await app.dispatcher.run_due()
    assert len(notifier.sent) == 1


async def test_dms_that_fall_due_at_night_wait_until_eight(app: App, clock: FrozenClock,
                                                           notifier: RecordingNotifier):
    # 22:30 in Stockholm on 1 December (UTC+1).
    clock.set(datetime(2026, 12, 1, 21, 30, tzinfo=UTC) - timedelta(hours=1))
    await _setup(app, ["anna"])
    clock.advance(timedelta(hours=1))
    await app.dispatcher.run_due()
    assert notifier.sent == []
    assert await app.dispatcher.next_due_at() == datetime(2026, 12, 2, 7, 0, tzinfo=UTC)

    clock.set(datetime(2026, 12, 2, 7, 0, tzinfo=UTC))
    await app.dispatcher.run_due()
    assert [s.to for s in notifier.sent] == ["dm:anna"]


@pytest.mark.parametrize(("local", "expected_local"), [
    # The night the clocks go back (25 October 2026, 03:00 → 02:00): 08:00 is UTC+1.
    (datetime(2026, 10, 24, 23, 0), datetime(2026, 10, 25, 8, 0)),
    # The night the clocks go forward (29 March 2026, 02:00 → 03:00): 08:00 is UTC+2.
    (datetime(2026, 3, 28, 22, 0), datetime(2026, 3, 29, 8, 0)),
    (datetime(2026, 3, 29, 2, 30), datetime(2026, 3, 29, 8, 0)),
    (datetime(2026, 6, 1, 12, 0), datetime(2026, 6, 1, 12, 0)),
])
def test_quiet_hours_end_at_eight_local_time_across_daylight_saving(
    local: datetime, expected_local: datetime
):
    when = local.replace(tzinfo=STOCKHOLM).astimezone(UTC)

    moved = QuietHours(21, 8).adjust(when, STOCKHOLM)

    assert moved.astimezone(STOCKHOLM).replace(tzinfo=None) == expected_local
    assert moved.tzinfo is not None


def test_start_is_a_working_day_morning():
    assert START.astimezone(STOCKHOLM).hour == 10


PERSONAL_KIND = "test.personal"


async def _plan_personal(session, reminder, now):
    members = await session.scalars(select(Member).where(Member.workspace_id == reminder.workspace_id)
                                    .order_by(Member.id))
    return [
        reminders.Planned(Reply(body=Literal(f"Ditt steg, {m.external_id}")), member_id=m.id) for m in members
    ]


async def test_personal_messages_to_closed_dms_are_not_merged_into_one(
        app: App, clock: FrozenClock, notifier: RecordingNotifier):
    now = clock.now()
    async with app.sessionmaker() as session, session.begin():
        workspace = await get_or_create_workspace(session, "test", "guild-1", "Testgruppen", now)
        for name in ("anna", "bo"):
            await get_or_create_member(session, workspace, name, name.title(), now)
        await reminders.schedule(session, workspace_id=workspace.id, kind=PERSONAL_KIND, key="personal:1",
                                 due_at=now, now=now)
    notifier.closed |= {"anna", "bo"}

    await app.dispatcher.run_due()

    posts = notifier.to(f"channel:{Channel.ANNOUNCEMENTS}")
    assert sorted((p.reply.mentions, "Ditt steg, " + p.reply.mentions[0] in p.text) for p in posts) == [
        (("anna",), True), (("bo",), True)]


async def _attempts(app: App) -> list[tuple[str, int]]:
    async with app.sessionmaker() as session:
        return list(
            (await session.execute(select(Delivery.status, Delivery.attempts).order_by(Delivery.id))).all()
        )


async def test_a_failed_send_waits_longer_each_time_and_fails_for_good_after_five_tries(
        app: App, clock: FrozenClock, notifier: RecordingNotifier):
    await _setup(app, ["anna"])
    clock.advance(timedelta(hours=1))
    original = notifier.send_direct

    async def down(*args, **kwargs):
        raise ConnectionResetError("the platform is down")

    notifier.send_direct = down
    waits = []
    for attempt in range(1, MAX_ATTEMPTS + 1):
        report = await app.dispatcher.run_due()
        assert await _attempts(app) == [("failed" if attempt == MAX_ATTEMPTS else "pending", attempt)]
        assert report.failed == (1 if attempt == MAX_ATTEMPTS else 0)
        # Run again at once: nothing is tried before its wait is over.
        await app.dispatcher.run_due()
        assert (await _attempts(app))[0][1] == attempt
        due = await app.dispatcher.next_due_at()
        if due is not None:
            waits.append(due - clock.now())
            clock.set(due)
    assert waits == [timedelta(minutes=1), timedelta(minutes=4), timedelta(minutes=16), timedelta(minutes=64)]
    async with app.sessionmaker() as session:
        assert "ConnectionResetError: the platform is down" in (
            await session.scalar(select(Delivery.last_error))
        )

    # A failed delivery stays failed when the platform comes back: nothing is sent late and unasked.
    notifier.send_direct = original
    await app.dispatcher.run_due()
    assert notifier.sent == []


async def test_a_send_that_fails_once_goes_out_on_the_retry(app: App, clock: FrozenClock,
                                                            notifier: RecordingNotifier):
    await _setup(app, ["anna", "bo"])
    clock.advance(timedelta(hours=1))
    original = notifier.send_direct
    failures = {"anna"}

    async def flaky(workspace, member, reply, **kwargs):
        if member.external_id in failures:
            failures.discard(member.external_id)
            raise TimeoutError
        await original(workspace, member, reply, **kwargs)

    notifier.send_direct = flaky
    await app.dispatcher.run_due()
    assert [s.to for s in notifier.sent] == ["dm:bo"]

    clock.advance(timedelta(minutes=1))
    await app.dispatcher.run_due()
    assert [s.to for s in notifier.sent] == ["dm:bo", "dm:anna"]
    assert await _statuses(app) == ["sent", "sent"]


async def test_a_dm_retried_after_a_failure_waits_out_the_night(app: App, clock: FrozenClock,
                                                                notifier: RecordingNotifier):
    # 20:59 in Stockholm on 1 December: the retry a minute later would fall into quiet hours (21–08).
    clock.set(datetime(2026, 12, 1, 19, 59, tzinfo=UTC) - timedelta(hours=1))
    await _setup(app, ["anna"])
    clock.advance(timedelta(hours=1))
    original = notifier.send_direct

    async def once(*args, **kwargs):
        notifier.send_direct = original
        raise TimeoutError

    notifier.send_direct = once
    await app.dispatcher.run_due()

    assert await app.dispatcher.next_due_at() == datetime(2026, 12, 2, 7, 0, tzinfo=UTC)


async def _plan_urgent(session, reminder, now):
    members = await session.scalars(select(Member).where(Member.workspace_id == reminder.workspace_id)
                                    .order_by(Member.id))
    return [reminders.Planned(Reply(body=Literal("Nu!")), member_id=m.id, urgent=True) for m in members]


async def _setup_urgent(app: App, names: list[str]) -> None:
    now = app.clock.now()
    async with app.sessionmaker() as session, session.begin():
        workspace = await get_or_create_workspace(session, "test", "guild-1", "Testgruppen", now)
        for name in names:
            await get_or_create_member(session, workspace, name, name.title(), now)
        await reminders.schedule(session, workspace_id=workspace.id, kind=URGENT_KIND, key="urgent:1",
                                 due_at=now, now=now)


async def test_an_urgent_dm_goes_out_at_night_and_its_retry_does_not_wait_for_the_morning(
        app: App, clock: FrozenClock, notifier: RecordingNotifier):
    # 22:30 in Stockholm on 1 December: quiet hours, which an urgent DM does not wait out.
    clock.set(datetime(2026, 12, 1, 21, 30, tzinfo=UTC))
    await _setup_urgent(app, ["anna", "bo"])
    original = notifier.send_direct

    async def bo_fails_once(workspace, member, reply, **kwargs):
        if member.external_id == "bo":
            notifier.send_direct = original
            raise TimeoutError
        await original(workspace, member, reply, **kwargs)

    notifier.send_direct = bo_fails_once
    await app.dispatcher.run_due()

    assert [s.to for s in notifier.sent] == ["dm:anna"]
    assert await app.dispatcher.next_due_at() == datetime(2026, 12, 1, 21, 31, tzinfo=UTC)
    clock.advance(timedelta(minutes=1))
    await app.dispatcher.run_due()
    assert [s.to for s in notifier.sent] == ["dm:anna", "dm:bo"]


async def test_a_throttled_send_is_tried_again_in_the_same_run_without_using_an_attempt(
        app: App, clock: FrozenClock, notifier: RecordingNotifier):
    await _setup(app, ["anna", "bo"])
    clock.advance(timedelta(hours=1))
    original = notifier.send_direct
    throttles = {"anna": 2}

    async def slow_down(workspace, member, reply, **kwargs):
        if throttles.get(member.external_id):
            throttles[member.external_id] -= 1
            raise Throttled(0.01)
        await original(workspace, member, reply, **kwargs)

    notifier.send_direct = slow_down
    report = await app.dispatcher.run_due()

    assert report.sent == 2
    assert sorted(s.to for s in notifier.sent) == ["dm:anna", "dm:bo"]
    assert await _attempts(app) == [("sent", 1), ("sent", 1)]


async def test_a_send_throttled_beyond_the_retries_waits_for_the_platform_and_keeps_its_attempts(
        app: App, clock: FrozenClock, notifier: RecordingNotifier):
    await _setup(app, ["anna"])
    clock.advance(timedelta(hours=1))
    original = notifier.send_direct
    tries = 0

    async def always(*args, **kwargs):
        nonlocal tries
        tries += 1
        raise Throttled(0.01)

    notifier.send_direct = always
    for _ in range(MAX_ATTEMPTS + 1):
        report = await app.dispatcher.run_due()
        clock.advance(timedelta(seconds=1))
    assert report.failed == 0
    assert tries == (THROTTLED_RETRIES + 1) * (MAX_ATTEMPTS + 1)
    # Still pending, no attempt used up: a rate limit says nothing about the message.
    assert await _attempts(app) == [("pending", 0)]

    notifier.send_direct = original
    await app.dispatcher.run_due()
    assert [s.to for s in notifier.sent] == ["dm:anna"]


async def test_a_throttled_send_is_due_again_when_the_platform_said(
        app: App, clock: FrozenClock, notifier: RecordingNotifier, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(delivery, "THROTTLED_RETRIES", 0)
    await _setup(app, ["anna"])
    clock.advance(timedelta(hours=1))

    async def throttled(*args, **kwargs):
        raise Throttled(30)

    notifier.send_direct = throttled
    await app.dispatcher.run_due()

    assert await app.dispatcher.next_due_at() == clock.now() + timedelta(seconds=30)


def test_a_planner_dms_members_who_want_dms_and_whose_dms_are_worth_a_try():
    now = START
    wants = Member(external_id="a", dm_reminders=True, dm_open=True)
    closed_lately = Member(
        external_id="b", dm_reminders=True, dm_open=False, dm_closed_at=now - timedelta(days=1)
    )
    closed_long_ago = Member(external_id="c", dm_reminders=True, dm_open=False,
                             dm_closed_at=now - delivery.RETRY_CLOSED_DMS_AFTER)
    no_dms = Member(external_id="d", dm_reminders=False, dm_open=True)

    assert [delivery.wants_dm(m, now) for m in (wants, closed_lately, closed_long_ago, no_dms)] == \
        [True, False, True, False]


def test_a_channel_post_mentions_at_most_fifty_members_and_logs_who_were_left_out(
        caplog: pytest.LogCaptureFixture):
    members = [Member(external_id=f"m{i}") for i in range(delivery.MAX_MENTIONS + 3)]

    assert delivery.capped_mentions(members[:2], "Alert for issue %s", 7) == ("m0", "m1")
    with caplog.at_level(logging.WARNING, logger="bot.delivery"):
        mentioned = delivery.capped_mentions(members, "Alert for issue %s", 7)

    assert mentioned == tuple(f"m{i}" for i in range(50))
    assert [r.getMessage() for r in caplog.records] == ["Alert for issue 7: 50 members mentioned, 3 left out"]


# The test's own reminder kinds, planned by a stand-in feature of the test's App.
STAND_IN = Feature(
    "test_delivery planners",
    planners={TEST_KIND: _plan_broadcast, PERSONAL_KIND: _plan_personal, URGENT_KIND: _plan_urgent},
)


@pytest.fixture
def features() -> tuple[Feature, ...]:
    """The bot's features and the stand-in that plans this module's reminder kinds."""
    return plus(STAND_IN)
