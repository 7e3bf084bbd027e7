"""Fan-outs to every follower planned in batches (reminders.InBatches): a countdown's stage, an issue's alert
and a round of questions reach each follower once with batches smaller than the followers, a stop between two
batches loses nothing and sends nothing twice, and a member's command writes while a batch is planned."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, func, select

from bot import reminders
from bot.app import App
from bot.clock import FrozenClock
from bot.i18n import render
from bot.models import Ask, Delivery, Issue, LiveMessage, Member, Pledge, Reminder
from bot.replies import Channel, Role
from bot.services import asks, countdowns, follows, issues, pledges, stances
from tests.conftest import RecordingNotifier, identity
from tests.issue_fixtures import ANNA, BO, CIA, COORDINATOR, DAN, create_issue, import_politicians
from tests.support.batches import Crash, stopping_after, watch_batches, writing_meanwhile
from tests.support.countdowns import ANNOUNCEMENTS, D7, D14, DECISION, the_group
from tests.support.onboarding import onboard

ROUND_21 = datetime(2027, 1, 7, 17, 0, tzinfo=UTC)  # 21 days before the decision of tests.issue_fixtures

# With Anna, Bo and Cia (tests.support.countdowns), ten followers who want DMs: four batches of three.
FOLLOWERS = [f"m{number}" for number in range(7)]
STOPS = pytest.mark.parametrize("stop", [asyncio.CancelledError, Crash], ids=["killed", "failed"])


def _left_by(stop: type[BaseException]) -> str:
    """The status a stop between batches leaves the reminder in: cancelled (the bot stopping), still being
    fanned out, for resume() to take up; failed, pending again, to be planned anew."""
    return reminders.FANNING if stop is asyncio.CancelledError else reminders.PENDING


async def _restart(app: App, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch) -> None:
    """Start again after the stop: the stopping batch watch gone (batches still of three), a little later,
    what was being sent put back, and a dispatch."""
    monkeypatch.undo()
    monkeypatch.setattr(reminders, "BATCH", 3)
    clock.advance(timedelta(minutes=5))
    await app.dispatcher.resume()
    await app.dispatcher.run_due()


async def _written(app: App, kind: str) -> list[int | None]:
    """The members the deliveries of a kind of reminder are written for (None: a channel post)."""
    async with app.sessionmaker() as session:
        return list(await session.scalars(select(Delivery.member_id).join(Reminder).where(
            Reminder.kind == kind).order_by(Delivery.id)))


async def _status(app: App, kind: str) -> list[str]:
    async with app.sessionmaker() as session:
        return list(await session.scalars(select(Reminder.status).where(
            Reminder.kind == kind, Reminder.fired_at.is_not(None))))


# -- a countdown's stage -------------------------------------------------------------------------------------


async def _countdown(app: App, notifier: RecordingNotifier) -> int:
    issue_id = await the_group(app, notifier)
    for name in FOLLOWERS:
        await onboard(app, identity(name))
    await app.dispatcher.run_due()
    notifier.sent.clear()
    return issue_id


def _stage_dms(notifier: RecordingNotifier) -> dict[str, int]:
    return {name: len([s for s in notifier.to(f"dm:{name}") if s.text.startswith("⏳ 14 dagar kvar")])
            for name in ("anna", "bo", "cia", "dan", *FOLLOWERS)}


EACH_ONCE = {"anna": 1, "bo": 1, "cia": 1, "dan": 0} | dict.fromkeys(FOLLOWERS, 1)


async def _stage_sent_once(app: App, notifier: RecordingNotifier) -> None:
    assert _stage_dms(notifier) == EACH_ONCE
    posts = [s for s in notifier.to(ANNOUNCEMENTS) if s.reply.mention_role is Role.MEMBER]
    assert len(posts) == 1
    # The live message: posted once, pinned, after the stage's calls.
    async with app.sessionmaker() as session:
        live = list(await session.scalars(select(LiveMessage)))
    assert len(live) == 1 and live[0].pinned
    written = await _written(app, countdowns.STAGE_KIND)
    assert written[0] is None and written[-1] is None  # the stage's post first, the live message last
    members = [m for m in written if m is not None]
    assert len(members) == len(set(members)) == 10


async def test_a_stage_is_planned_in_batches_and_each_follower_gets_it_once(
        app: App, clock: FrozenClock, notifier: RecordingNotifier, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(reminders, "BATCH", 3)
    await _countdown(app, notifier)
    sizes = watch_batches(monkeypatch, writing_meanwhile(app))

    clock.set(D14)
    await app.dispatcher.run_due()
    await app.dispatcher.run_due()

    assert sizes == [3, 3, 3, 1]
    await _stage_sent_once(app, notifier)
    assert await _status(app, countdowns.STAGE_KIND) == [reminders.FANNED_OUT]


@STOPS
async def test_a_stop_between_a_stage_s_batches_loses_no_dm_and_sends_none_twice(
        app: App, clock: FrozenClock, notifier: RecordingNotifier, monkeypatch: pytest.MonkeyPatch,
        stop: type[BaseException]):
    monkeypatch.setattr(reminders, "BATCH", 3)
    await _countdown(app, notifier)
    watch_batches(monkeypatch, stopping_after(2, stop))

    clock.set(D14)
    with pytest.raises(stop):
        await app.dispatcher.run_due()
    # The post and the first batch's three DMs are written; the rest not yet.
    assert len(await _written(app, countdowns.STAGE_KIND)) == 4
    assert await _status(app, countdowns.STAGE_KIND) == [_left_by(stop)]

    await _restart(app, clock, monkeypatch)

    await _stage_sent_once(app, notifier)
    assert await _status(app, countdowns.STAGE_KIND) == [reminders.FANNED_OUT]


# -- an issue's alert ----------------------------------------------------------------------------------------


async def _followers(app: App, notifier: RecordingNotifier) -> None:
    for name in FOLLOWERS:
        await onboard(app, identity(name))
    await onboard(app, BO, dm=False)  # mentioned in the alert's post instead
    await app.dispatcher.run_due()
    notifier.sent.clear()


async def _alert_sent_once(app: App, notifier: RecordingNotifier) -> None:
    [post] = notifier.to(f"channel:{Channel.ANNOUNCEMENTS}")
    assert post.text.startswith("📢 Ny fråga") and post.reply.mentions == ("bo",)
    assert {name: len(notifier.to(f"dm:{name}")) for name in (*FOLLOWERS, "bo")} == dict.fromkeys(
        FOLLOWERS, 1) | {"bo": 0}
    written = await _written(app, issues.ALERT_KIND)
    members = [m for m in written if m is not None]
    assert written[0] is None and len(written) == 8 and len(members) == len(set(members)) == 7


async def test_an_alert_is_planned_in_batches_and_each_follower_gets_it_once(
        app: App, notifier: RecordingNotifier, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(reminders, "BATCH", 3)
    await _followers(app, notifier)
    sizes = watch_batches(monkeypatch, writing_meanwhile(app))

    await create_issue(app, ask_days="0")
    await app.dispatcher.run_due()
    await app.dispatcher.run_due()

    assert sizes == [3, 3, 1]
    await _alert_sent_once(app, notifier)
    assert await _status(app, issues.ALERT_KIND) == [reminders.FANNED_OUT]


@STOPS
async def test_a_stop_between_an_alert_s_batches_loses_no_dm_and_sends_none_twice(
        app: App, clock: FrozenClock, notifier: RecordingNotifier, monkeypatch: pytest.MonkeyPatch,
        stop: type[BaseException]):
    monkeypatch.setattr(reminders, "BATCH", 3)
    await _followers(app, notifier)
    watch_batches(monkeypatch, stopping_after(2, stop))

    await create_issue(app, ask_days="0")
    with pytest.raises(stop):
        await app.dispatcher.run_due()
    assert len(await _written(app, issues.ALERT_KIND)) == 4
    assert await _status(app, issues.ALERT_KIND) == [_left_by(stop)]

    await _restart(app, clock, monkeypatch)

    await _alert_sent_once(app, notifier)
    assert await _status(app, issues.ALERT_KIND) == [reminders.FANNED_OUT]


# -- a round of questions ------------------------------------------------------------------------------------
# Its batches write who asks whom (InBatches.writes): each batch is read, assigned and written in one short
# write transaction of its own.


async def _round_group(app: App, notifier: RecordingNotifier) -> int:
    """The followers of tests.services.test_asks (Dan without DMs) and seven more; the issue, a round due."""
    for who in (ANNA, BO, CIA, *(identity(name) for name in FOLLOWERS)):
        await onboard(app, who)
    await onboard(app, DAN, dm=False)
    await import_politicians(app)
    issue_id = await create_issue(app)
    await app.run(COORDINATOR, stances.set_stance, issue="Parkering", politician="Åsa Ek", stance="for")
    await app.dispatcher.run_due()
    notifier.sent.clear()
    return issue_id


async def _questions(app: App) -> dict[str, int | None]:
    async with app.sessionmaker() as session:
        rows = (await session.execute(select(Member.external_id, Ask.politician_id).join(Ask)
                                      .where(Ask.round == 21))).all()
    assert len(rows) == len({name for name, _ in rows})  # one question each
    return dict(rows)


async def _in_one_pass(app: App, issue_id: int) -> dict[str, int | None]:
    """Who would ask whom if the round were assigned to every follower in one pass (then rolled back)."""
    async with app.sessionmaker() as session, session.begin():
        issue = await session.get_one(Issue, issue_id)
        await session.execute(delete(Ask))
        members = await follows.followers(session, issue)
        assigned = await asks.assign(session, issue, members, 21, await stances.build_model(session, issue),
                                     ROUND_21)
        names = {m.id: m.external_id for m in members}
        result = {names[member_id]: ask.politician_id for member_id, ask in assigned.items()}
        await session.rollback()
    return result


async def _round_sent_once(app: App, notifier: RecordingNotifier, issue_id: int) -> None:
    wanting = ("anna", "bo", "cia", *FOLLOWERS)
    assert {name: len(notifier.to(f"dm:{name}")) for name in (*wanting, "dan")} == dict.fromkeys(
        wanting, 1) | {"dan": 0}
    [call] = notifier.to(f"channel:{Channel.ANNOUNCEMENTS}")
    assert call.reply.mentions == ("dan",)
    questions = await _questions(app)
    assert set(questions) == {*wanting, "dan"}
    # Assigned a batch at a time, spread as in one pass over every follower.
    assert questions == await _in_one_pass(app, issue_id)
    written = await _written(app, asks.ASK_KIND)
    members = [m for m in written if m is not None]
    assert written[-1] is None and len(members) == len(set(members)) == 10


async def test_a_round_of_questions_is_assigned_in_batches_and_each_follower_asked_once(
        app: App, clock: FrozenClock, notifier: RecordingNotifier, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(reminders, "BATCH", 3)
    issue_id = await _round_group(app, notifier)
    writes: list[asyncio.Task[None]] = []
    committed: list[int] = []

    async def meanwhile(number: int) -> None:
        # Each batch committed before the next was planned (seen by a reader, which takes no lock) ...
        async with app.deferred_sessionmaker() as reader:
            committed.append(await reader.scalar(select(func.count()).select_from(Ask)) or 0)
        # ... and a member's command that writes meanwhile gets through (it waits for one batch at most).
        writes.append(asyncio.ensure_future(writing_meanwhile(app)(number)))

    sizes = watch_batches(monkeypatch, meanwhile)
    clock.set(ROUND_21)
    await app.dispatcher.run_due()
    await asyncio.gather(*writes)
    await app.dispatcher.run_due()

    assert len(sizes) == 4 and sum(sizes) == 10 and max(sizes) <= 3
    assert committed == [0, 3, 6, 9]
    await _round_sent_once(app, notifier, issue_id)
    assert await _status(app, asks.ASK_KIND) == [reminders.FANNED_OUT]


@STOPS
async def test_a_stop_between_a_round_s_batches_loses_no_question_and_asks_none_twice(
        app: App, clock: FrozenClock, notifier: RecordingNotifier, monkeypatch: pytest.MonkeyPatch,
        stop: type[BaseException]):
    monkeypatch.setattr(reminders, "BATCH", 3)
    issue_id = await _round_group(app, notifier)
    watch_batches(monkeypatch, stopping_after(2, stop))

    clock.set(ROUND_21)
    with pytest.raises(stop):
        await app.dispatcher.run_due()
    # The first batch's questions and DMs are written; the second batch's transaction was rolled back.
    assert len(await _questions(app)) == 3
    assert await _status(app, asks.ASK_KIND) == [_left_by(stop)]

    await _restart(app, clock, monkeypatch)

    await _round_sent_once(app, notifier, issue_id)
    assert await _status(app, asks.ASK_KIND) == [reminders.FANNED_OUT]


# -- the follow-up after the vote ----------------------------------------------------------------------------


async def _voted(app: App, clock: FrozenClock, notifier: RecordingNotifier) -> None:
    """The countdown's followers; the vote held; its outcome recorded (the follow-up is due)."""
    await _countdown(app, notifier)
    clock.set(DECISION + timedelta(hours=2))
    await app.dispatcher.run_due()
    notifier.sent.clear()
    reply = await app.run(COORDINATOR, countdowns.record_outcome, issue="Parkering", result="won")
    assert "10 medlemmar får en uppföljning" in render(reply.body, "sv")


def _followups(notifier: RecordingNotifier) -> dict[str, int]:
    return {name: len([s for s in notifier.to(f"dm:{name}") if s.text.startswith("Beslutet om Parkering")])
            for name in ("anna", "bo", "cia", "dan", *FOLLOWERS)}


async def test_the_follow_up_after_the_vote_is_planned_in_batches_and_each_follower_gets_it_once(
        app: App, clock: FrozenClock, notifier: RecordingNotifier, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(reminders, "BATCH", 3)
    await _voted(app, clock, notifier)
    sizes = watch_batches(monkeypatch, writing_meanwhile(app))

    await app.dispatcher.run_due()
    await app.dispatcher.run_due()

    assert sizes == [3, 3, 3, 1]
    assert _followups(notifier) == EACH_ONCE
    assert await _status(app, countdowns.OUTCOME_KIND) == [reminders.FANNED_OUT]


@STOPS
async def test_a_stop_between_the_follow_up_s_batches_loses_none_and_sends_none_twice(
        app: App, clock: FrozenClock, notifier: RecordingNotifier, monkeypatch: pytest.MonkeyPatch,
        stop: type[BaseException]):
    monkeypatch.setattr(reminders, "BATCH", 3)
    await _voted(app, clock, notifier)
    watch_batches(monkeypatch, stopping_after(2, stop))

    with pytest.raises(stop):
        await app.dispatcher.run_due()
    assert len(await _written(app, countdowns.OUTCOME_KIND)) == 3

    await _restart(app, clock, monkeypatch)

    assert _followups(notifier) == EACH_ONCE
    written = await _written(app, countdowns.OUTCOME_KIND)
    assert len(written) == len(set(written)) == 10
    assert await _status(app, countdowns.OUTCOME_KIND) == [reminders.FANNED_OUT]


# -- the follow-up of pledges --------------------------------------------------------------------------------
# Its batches mark the pledges followed up (InBatches.writes), with their DMs in one short write transaction.


async def _pledged(app: App, clock: FrozenClock, notifier: RecordingNotifier) -> None:
    """The countdown's followers and Dan (no DMs) each pledged to tweet at the 14-day stage; the 7-day stage
    went out; their follow-up is due."""
    issue_id = await _countdown(app, notifier)
    clock.set(D14 + timedelta(hours=1))
    await app.dispatcher.run_due()
    for who in (ANNA, BO, CIA, DAN, *(identity(name) for name in FOLLOWERS)):
        await app.press(who, pledges.PLEDGE_ACTION, f"{issue_id}-tweet")
    clock.set(D7)
    await app.dispatcher.run_due()
    notifier.sent.clear()
    clock.set(D7 + timedelta(hours=2))


async def _asked_once(app: App, notifier: RecordingNotifier) -> None:
    assert {name: len([s for s in notifier.to(f"dm:{name}") if s.text.startswith("Gjorde du det?")])
            for name in ("anna", "bo", "cia", "dan", *FOLLOWERS)} == EACH_ONCE
    [call] = [s for s in notifier.to(ANNOUNCEMENTS) if s.reply.mentions]
    assert call.reply.mentions == ("dan",)
    async with app.sessionmaker() as session:
        waiting = await session.scalar(select(func.count()).select_from(Pledge).where(
            Pledge.followed_up_at.is_(None)))
    written = [m for m in await _written(app, pledges.FOLLOWUP_KIND) if m is not None]
    assert waiting == 0 and len(written) == len(set(written)) == 10


async def test_a_pledge_follow_up_is_planned_in_batches_and_each_member_asked_once(
        app: App, clock: FrozenClock, notifier: RecordingNotifier, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(reminders, "BATCH", 3)
    await _pledged(app, clock, notifier)
    writes: list[asyncio.Task[None]] = []
    sizes = watch_batches(monkeypatch, lambda number: _write_later(app, writes, number))

    await app.dispatcher.run_due()
    await asyncio.gather(*writes)
    await app.dispatcher.run_due()

    assert len(sizes) == 4 and sum(sizes) == 10 and max(sizes) <= 3
    await _asked_once(app, notifier)


async def _write_later(app: App, writes: list[asyncio.Task[None]], number: int) -> None:
    """A member's command that writes while a batch holds the write lock: it gets through after the batch."""
    writes.append(asyncio.ensure_future(writing_meanwhile(app)(number)))


@STOPS
async def test_a_stop_between_a_pledge_follow_up_s_batches_loses_none_and_asks_none_twice(
        app: App, clock: FrozenClock, notifier: RecordingNotifier, monkeypatch: pytest.MonkeyPatch,
        stop: type[BaseException]):
    monkeypatch.setattr(reminders, "BATCH", 3)
    await _pledged(app, clock, notifier)
    watch_batches(monkeypatch, stopping_after(2, stop))

    with pytest.raises(stop):
        await app.dispatcher.run_due()
    async with app.sessionmaker() as session:
        asked = await session.scalar(select(func.count()).select_from(Pledge).where(
            Pledge.followed_up_at.is_not(None)))
    assert asked == 3  # the first batch's; the second's transaction was rolled back

    await _restart(app, clock, monkeypatch)

    await _asked_once(app, notifier)
