"""Fan-outs to every follower planned in batches (reminders.InBatches): a countdown's stage and an issue's
alert reach each follower once with batches smaller than the followers, a stop between two batches loses
nothing and sends nothing twice, and a member's command writes while a batch is planned."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot import reminders
from bot.app import App
from bot.clock import FrozenClock
from bot.models import Delivery, LiveMessage, Reminder
from bot.replies import Channel, Role
from bot.services import countdowns, issues
from tests.conftest import RecordingNotifier, identity
from tests.issue_fixtures import BO, create_issue
from tests.support.batches import Crash, stopping_after, watch_batches, writing_meanwhile
from tests.support.countdowns import ANNOUNCEMENTS, D14, the_group
from tests.support.onboarding import onboard

# With Anna, Bo and Cia (tests.support.countdowns), ten followers who want DMs: four batches of three.
FOLLOWERS = [f"m{number}" for number in range(7)]
STOPS = pytest.mark.parametrize("stop", [asyncio.CancelledError, Crash], ids=["killed", "failed"])


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


async def _countdown(app: App, notifier: RecordingNotifier) -> None:
    await the_group(app, notifier)
    for name in FOLLOWERS:
        await onboard(app, identity(name))
    await app.dispatcher.run_due()
    notifier.sent.clear()


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
    assert await _status(app, countdowns.STAGE_KIND) == [
        reminders.FANNING if stop is asyncio.CancelledError else reminders.PENDING]

    monkeypatch.undo()
    monkeypatch.setattr(reminders, "BATCH", 3)
    clock.advance(timedelta(minutes=5))
    await app.dispatcher.resume()
    await app.dispatcher.run_due()

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
    assert await _status(app, issues.ALERT_KIND) == [
        reminders.FANNING if stop is asyncio.CancelledError else reminders.PENDING]

    monkeypatch.undo()
    monkeypatch.setattr(reminders, "BATCH", 3)
    clock.advance(timedelta(minutes=5))
    await app.dispatcher.resume()
    await app.dispatcher.run_due()

    await _alert_sent_once(app, notifier)
    assert await _status(app, issues.ALERT_KIND) == [reminders.FANNED_OUT]
