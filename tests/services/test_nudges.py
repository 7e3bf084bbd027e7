"""The weekly nudges: when they go out and to whom, pause and resume, and the coordinators' settings."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot import reminders
from bot.app import App
from bot.clock import FrozenClock
from bot.errors import NotCoordinator, UserError
from bot.i18n import render
from bot.models import AuditLog, Delivery, Member, Reminder
from bot.replies import When
from bot.services import coaching_settings, ladder, nudges
from tests.conftest import RecordingNotifier, identity
from tests.services.conftest import ANNA, BO, CIA, onboard
from tests.support.replies import field_value

MONDAY_NINE = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)  # 09:00 in Stockholm


async def _nudges(app: App, notifier: RecordingNotifier, member: str = "anna") -> list[str]:
    await app.dispatcher.run_due()
    return [s.text for s in notifier.to(f"dm:{member}") if "Veckans steg" in s.text]


async def test_the_weekly_nudge_dms_the_next_step_once_a_week_at_the_configured_time(
        app: App, clock: FrozenClock, notifier: RecordingNotifier):
    await onboard(app)

    clock.set(MONDAY_NINE - timedelta(minutes=1))
    assert await _nudges(app, notifier) == []
    clock.set(MONDAY_NINE)
    [nudge] = await _nudges(app, notifier)
    assert nudge.startswith("Veckans steg 1 av 6: Presentera ditt företag på X")
    assert "Dina framsteg: ░░░░░░░░░░ 0 av 6 steg" in nudge
    clock.advance(timedelta(days=6))
    assert len(await _nudges(app, notifier)) == 1
    clock.set(MONDAY_NINE + timedelta(days=7))
    assert len(await _nudges(app, notifier)) == 2


async def test_the_weekly_nudge_points_an_active_member_to_the_next_useful_step(
        app: App, clock: FrozenClock, notifier: RecordingNotifier):
    await onboard(app, experience="active")

    clock.set(MONDAY_NINE)
    [nudge] = await _nudges(app, notifier)

    assert nudge.startswith("Veckans steg 3 av 6: Ställ en fråga till en politiker")
    assert "Dina framsteg: ▒▒▒░░░░░░░ 0 av 6 steg" in nudge
    [sent] = notifier.to("dm:anna")
    done = next(b for b in sent.reply.buttons if b.action == ladder.DONE_ACTION)
    assert done.arg == "ask"


async def test_a_paused_member_and_one_without_dm_reminders_get_no_nudge(
        app: App, clock: FrozenClock, notifier: RecordingNotifier):
    await onboard(app)
    await onboard(app, CIA, dm_reminders="nej")
    await onboard(app, identity("dan"))
    await app.run(ANNA, nudges.pause)

    clock.set(MONDAY_NINE)
    await app.dispatcher.run_due()

    assert notifier.to("dm:anna") == [] and notifier.to("dm:cia") == []
    assert len(notifier.to("dm:dan")) == 1


async def test_resume_starts_the_nudges_again_and_turns_on_dm_reminders(
        app: App, clock: FrozenClock, notifier: RecordingNotifier):
    await onboard(app, dm_reminders="nej")
    await app.run(ANNA, nudges.pause)

    reply = await app.run(ANNA, nudges.resume)

    assert render(reply.body, "sv") == ("Välkommen tillbaka! Nästa påminnelse kommer måndag 7 december 2026 "
                                        "kl. 09:00. Jag slog också på påminnelser i DM i din profil.")
    clock.set(MONDAY_NINE)
    assert len(await _nudges(app, notifier)) == 1


async def test_the_pause_button_in_a_nudge_pauses(app: App, clock: FrozenClock, notifier: RecordingNotifier):
    await onboard(app)
    clock.set(MONDAY_NINE)
    await app.dispatcher.run_due()
    [nudge] = notifier.to("dm:anna")
    pause = next(b for b in nudge.reply.buttons if b.action == nudges.PAUSE_ACTION)

    reply = await app.press(ANNA, pause.action, pause.arg)

    assert "Pausat." in render(reply.body, "sv")
    clock.set(MONDAY_NINE + timedelta(days=7))
    await app.dispatcher.run_due()
    assert len(notifier.to("dm:anna")) == 1


async def test_a_nudge_due_in_quiet_hours_waits_until_they_end(settings, clock: FrozenClock,
                                                              notifier: RecordingNotifier):
    # A group whose quiet hours (06–10) cover the default nudge hour: the DM waits for 10:00.
    quiet = settings.model_copy(update={"quiet_hours_start": 6, "quiet_hours_end": 10})
    application = App(quiet, clock)
    application.notifier = application.dispatcher.notifier = notifier
    try:
        await onboard(application)
        clock.set(MONDAY_NINE)
        assert await _nudges(application, notifier) == []
        clock.set(MONDAY_NINE + timedelta(hours=1))
        assert len(await _nudges(application, notifier)) == 1
    finally:
        await application.close()


async def test_a_nudge_the_bot_slept_through_is_skipped_and_next_weeks_is_planned(
        app: App, clock: FrozenClock, notifier: RecordingNotifier):
    await onboard(app)

    clock.set(MONDAY_NINE + timedelta(days=3))
    assert await _nudges(app, notifier) == []
    clock.set(MONDAY_NINE + timedelta(days=7))
    assert len(await _nudges(app, notifier)) == 1


async def test_coordinators_set_the_day_hour_and_hashtag_and_the_nudge_moves(
        app: App, clock: FrozenClock, notifier: RecordingNotifier):
    await onboard(app)

    reply = await app.run(BO, nudges.configure, hashtag="KarlskronaFöretagare", day="onsdag", hour=14)

    assert field_value(reply, "Kampanjens hashtagg") == "#KarlskronaFöretagare"
    assert field_value(reply, "Nästa påminnelse") == "onsdag 2 december 2026 kl. 14:00"
    # A timestamp on Discord, so that each reader sees the next nudge in their own zone.
    [next_nudge] = [f.value for f in reply.fields if render(f.name, "sv") == "Nästa påminnelse"]
    assert next_nudge == When(datetime(2026, 12, 2, 13, 0, tzinfo=UTC), "Europe/Stockholm", "full")
    async with app.sessionmaker() as session:
        pending = list(await session.scalars(select(Reminder).where(
            Reminder.kind == coaching_settings.WEEKLY_KIND, Reminder.status == "pending")))
        [audit] = list(await session.scalars(select(AuditLog).where(AuditLog.action == "coaching.settings")))
    assert len(pending) == 1 and audit.detail == {"changed": ["hashtag", "nudge_hour", "nudge_weekday"]}
    assert "#KarlskronaFöretagare" in field_value(await app.run(ANNA, ladder.next_step), "Ditt utkast")
    clock.set(datetime(2026, 12, 2, 13, 0, tzinfo=UTC))
    assert len(await _nudges(app, notifier)) == 1


async def test_turning_the_nudges_off_cancels_them(app: App, clock: FrozenClock, notifier: RecordingNotifier):
    await onboard(app)

    reply = await app.run(BO, nudges.configure, nudges=False)

    assert field_value(reply, "Nästa påminnelse") == "ingen, påminnelserna är avstängda"
    clock.set(MONDAY_NINE + timedelta(days=14))
    assert await _nudges(app, notifier) == []
    progress = await app.run(ANNA, ladder.progress)
    assert field_value(progress, "Veckopåminnelser").startswith("Avstängda för hela gruppen")


@pytest.mark.parametrize(("options", "key"), [
    ({"hour": 22}, "coaching.errors.quiet_hour"),
    ({"hour": 7}, "coaching.errors.quiet_hour"),
    ({"hour": 25}, "coaching.errors.hour"),
    ({"day": "fredagsmys"}, "coaching.errors.day"),
    ({"hashtag": "två ord"}, "errors.field"),
])
async def test_bad_settings_get_a_clear_message(app: App, options, key):
    with pytest.raises(UserError) as refused:
        await app.run(BO, nudges.configure, **options)

    assert refused.value.text.key == key


async def test_settings_are_for_coordinators(app: App):
    await onboard(app)
    for call in (nudges.configure, ladder.overview, ladder.configure_ladder):
        with pytest.raises(NotCoordinator):
            await app.run(ANNA, call)


# -- the weekly nudge planned in batches, outside the write transaction --------------------------------------

MEMBERS = [identity(f"m{number}") for number in range(7)]


class Crash(Exception):
    """The bot stopping in the middle of a fan-out."""


async def _written(session: AsyncSession) -> list[int | None]:
    """The members the weekly nudge's deliveries are written for."""
    return list(await session.scalars(select(Delivery.member_id).join(Reminder).where(
        Reminder.kind == coaching_settings.WEEKLY_KIND)))


async def _nudged(notifier: RecordingNotifier) -> dict[str, int]:
    return {member.user_external_id: len([s for s in notifier.to(f"dm:{member.user_external_id}")
                                          if "Veckans steg" in s.text]) for member in MEMBERS}


async def test_the_nudge_is_planned_in_batches_and_each_member_gets_it_once(
        app: App, clock: FrozenClock, notifier: RecordingNotifier, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(reminders, "BATCH", 3)
    for member in MEMBERS:
        await onboard(app, member)
    batches = []
    plan_batch = nudges._nudge_batch

    async def counted(session, *args):
        planned, after = await plan_batch(session, *args)
        batches.append(len(planned))
        # The batch is read without SQLite's write lock: a member's command writes meanwhile, at once.
        async with app.sessionmaker() as other, other.begin():
            await asyncio.wait_for(other.execute(update(Member).where(Member.id == -1).values(language="sv")),
                                   timeout=2)
        return planned, after

    monkeypatch.setattr(nudges, "_nudge_batch", counted)
    clock.set(MONDAY_NINE)
    await app.dispatcher.run_due()
    await app.dispatcher.run_due()

    assert batches == [3, 3, 1]
    assert await _nudged(notifier) == {member.user_external_id: 1 for member in MEMBERS}
    async with app.sessionmaker() as session:
        statuses = list(await session.scalars(select(Reminder.status).where(
            Reminder.kind == coaching_settings.WEEKLY_KIND).order_by(Reminder.due_at)))
    assert statuses == ["fanned_out", "pending"]


@pytest.mark.parametrize("stop", [asyncio.CancelledError, Crash], ids=["killed", "failed"])
async def test_a_stop_between_batches_loses_no_nudge_and_sends_none_twice(
        app: App, clock: FrozenClock, notifier: RecordingNotifier, monkeypatch: pytest.MonkeyPatch,
        stop: type[BaseException]):
    monkeypatch.setattr(reminders, "BATCH", 3)
    for member in MEMBERS:
        await onboard(app, member)
    plan_batch = nudges._nudge_batch
    calls = 0

    async def stopping(session, *args):
        nonlocal calls
        calls += 1
        if calls == 2:
            raise stop
        return await plan_batch(session, *args)

    monkeypatch.setattr(nudges, "_nudge_batch", stopping)
    clock.set(MONDAY_NINE)
    with pytest.raises(stop):
        await app.dispatcher.run_due()
    async with app.sessionmaker() as session:
        written = await _written(session)
        status = await session.scalar(select(Reminder.status).where(
            Reminder.kind == coaching_settings.WEEKLY_KIND, Reminder.due_at == MONDAY_NINE))
    # Stopped (cancelled, as a kill leaves it): fanning until the next start; failed: pending for the next.
    assert len(written) == 3 and status == ("fanning" if stop is asyncio.CancelledError else "pending")

    # The next start (or run): the fan-out cut short is planned again and finished, its first batch not twice.
    monkeypatch.setattr(nudges, "_nudge_batch", plan_batch)
    clock.advance(timedelta(minutes=5))
    await app.dispatcher.resume()
    await app.dispatcher.run_due()

    assert await _nudged(notifier) == {member.user_external_id: 1 for member in MEMBERS}
    async with app.sessionmaker() as session:
        written = await _written(session)
        status = await session.scalar(select(Reminder.status).where(
            Reminder.kind == coaching_settings.WEEKLY_KIND, Reminder.due_at == MONDAY_NINE))
    assert sorted(written) == sorted(set(written)) and len(written) == len(MEMBERS) and status == "fanned_out"
