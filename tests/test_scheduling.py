"""The scheduler only wakes the dispatcher: a due reminder goes out on its own, and a restart catches up."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import pytest
from sqlalchemy import text, update

from bot import reminders
from bot.app import App
from bot.clock import OffsetClock
from bot.config import Settings
from bot.contributions import Feature
from bot.models import Delivery
from bot.replies import Channel, Literal, Reply
from bot.services.context import Actor
from tests.conftest import RecordingNotifier, identity
from tests.support.features import plus

KIND = "test.ping"


async def _plan_ping(session, reminder, now):
    return [reminders.Planned(Reply(body=Literal(reminder.payload["text"])), channel=Channel.ANNOUNCEMENTS)]


def _ping_in(delay: timedelta, text: str):
    async def plan(session, actor: Actor) -> Reply:
        await reminders.schedule(session, workspace_id=actor.workspace.id, kind=KIND, key=f"ping:{text}",
                                 due_at=actor.now + delay, now=actor.now, payload={"text": text})
        return Reply()
    return plan


async def _wait_for(notifier: RecordingNotifier, count: int, seconds: float = 10.0) -> None:
    for _ in range(int(seconds / 0.05)):
        if len(notifier.sent) >= count:
            return
        await asyncio.sleep(0.05)


async def test_a_reminder_goes_out_when_due_without_anyone_asking(settings: Settings):
    notifier = RecordingNotifier()
    app = App(settings, OffsetClock(), plus(STAND_IN))
    await app.start(notifier, migrate=False)
    try:
        await app.run(identity("anna"), _ping_in(timedelta(milliseconds=300), "soon"))
        assert notifier.sent == []

        await _wait_for(notifier, 1)

        assert [s.text for s in notifier.sent] == ["soon"]
    finally:
        await app.close()


async def test_a_restart_sends_what_fell_due_while_down_and_resumes_half_sent_rows(settings: Settings):
    clock = OffsetClock()
    first = App(settings, clock, plus(STAND_IN))
    first.dispatcher.notifier = RecordingNotifier()
    await first.run(identity("anna"), _ping_in(timedelta(hours=1), "missed"))
    await first.run(identity("anna"), _ping_in(timedelta(minutes=1), "half-sent"))
    clock.advance(timedelta(minutes=2))
    await first.dispatcher.run_due()
    async with first.sessionmaker() as session, session.begin():
        # As if the process died between claiming the row and marking it sent.
        await session.execute(update(Delivery).values(status="sending"))
    await first.close()

    clock.advance(timedelta(hours=2))  # the bot was down past the first reminder
    notifier = RecordingNotifier()
    second = App(settings, clock, plus(STAND_IN))
    await second.start(notifier, migrate=False)
    try:
        await _wait_for(notifier, 2)
        await asyncio.sleep(0.2)
    finally:
        await second.close()

    assert sorted(s.text for s in notifier.sent) == ["half-sent", "missed"]


async def test_a_stop_in_the_middle_of_a_dispatch_ends_it_quietly(settings: Settings,
                                                                   caplog: pytest.LogCaptureFixture):
    app = App(settings, OffsetClock(), plus(STAND_IN))
    dispatching, finished = asyncio.Event(), asyncio.Event()

    async def endless_dispatch() -> None:
        dispatching.set()
        try:
            await asyncio.Event().wait()
        finally:
            finished.set()

    app.dispatcher.run_due = endless_dispatch  # type: ignore[method-assign]
    await app.start(RecordingNotifier(), migrate=False)
    await asyncio.wait_for(dispatching.wait(), 10)

    with caplog.at_level(logging.INFO):
        await app.close()  # what SIGTERM does

    assert finished.is_set()
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert "Stopped a dispatch in the middle" in caplog.text


async def test_something_planned_for_now_while_a_dispatch_runs_goes_out_right_after_it(settings: Settings):
    notifier = RecordingNotifier()
    app = App(settings, OffsetClock(), plus(STAND_IN))
    real_run_due = app.dispatcher.run_due
    dispatching, release = asyncio.Event(), asyncio.Event()

    async def slow_first_dispatch():
        # The first dispatch has looked at what is due and is still sending when a member presses a button
        # that plans something for now.
        report = await real_run_due()
        if not dispatching.is_set():
            dispatching.set()
            await release.wait()
        return report

    app.dispatcher.run_due = slow_first_dispatch  # type: ignore[method-assign]
    await app.start(notifier, migrate=False)
    try:
        await asyncio.wait_for(dispatching.wait(), 10)
        await app.run(identity("anna"), _ping_in(timedelta(0), "now"))
        release.set()

        await _wait_for(notifier, 1, seconds=5)
    finally:
        await app.close()

    # Not left for the five-minute safety tick: APScheduler skips a second instance of the running job.
    assert [s.text for s in notifier.sent] == ["now"]


# The test's own reminder kinds, planned by a stand-in feature of the test's App.
STAND_IN = Feature("test_scheduling planners", planners={KIND: _plan_ping})


async def test_a_start_gathers_the_statistics_sqlite_chooses_its_indexes_by(settings: Settings):
    app = App(settings, OffsetClock(), plus(STAND_IN))
    if app.engine.dialect.name != "sqlite":
        await app.close()
        pytest.skip("PostgreSQL's autovacuum gathers its statistics itself")
    await app.run(identity("anna"), _ping_in(timedelta(days=1), "later"))  # a workspace, a member, a reminder
    try:
        await app.start(RecordingNotifier())

        async with app.sessionmaker() as session:
            analysed = set(await session.scalars(text("SELECT DISTINCT tbl FROM sqlite_stat1")))
        assert {"member", "reminder", "workspace"} <= analysed
    finally:
        await app.close()
