"""Countdowns: stages that go out once, a live message that survives restarts, changes and the outcome.

The pledges made during a countdown are tested in tests/services/test_pledges.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot import delivery, reminders
from bot.app import App
from bot.clock import FrozenClock
from bot.errors import NotCoordinator, UserError
from bot.i18n import render
from bot.models import Delivery, Issue, LiveMessage, Member, Reminder
from bot.replies import Role
from bot.services import countdowns, issues, pledges, stances, timeline
from bot.validation import FieldProblem
from tests.conftest import RecordingNotifier, Sent, identity
from tests.issue_fixtures import ANNA, COORDINATOR, create_issue, import_politicians
from tests.support.countdowns import (
    ANNOUNCEMENTS,
    COORDINATORS,
    D0,
    D1,
    D3,
    D7,
    D14,
    DECISION,
    EDITS,
    STOCKHOLM,
    at,
    local,
    pending_due,
    the_group,
    the_members,
)
from tests.support.onboarding import onboard


async def created_late(app: App, notifier: RecordingNotifier, decision: str) -> int:
    """The members; then (what they were sent cleared) the issue is created inside the countdown and sent."""
    await the_members(app)
    await app.dispatcher.run_due()
    notifier.sent.clear()
    issue_id = await create_issue(app, decision=decision, ask_days="0")
    await app.dispatcher.run_due()
    return issue_id


def heads(sent: list[Sent]) -> list[str]:
    return [s.text.splitlines()[0] for s in sent]


def stage_posts(notifier: RecordingNotifier) -> list[Sent]:
    return [s for s in notifier.to(ANNOUNCEMENTS) if s.reply.mention_role is Role.MEMBER]


def dm_titles(notifier: RecordingNotifier, name: str) -> list[str]:
    """The titles of the countdown's DMs to a member (other features write to them too)."""
    return [s.text.splitlines()[0] for s in notifier.to(f"dm:{name}") if _ours(s)]


def _ours(sent: Sent) -> bool:
    actions = {b.action for b in sent.reply.buttons}
    return bool(actions & {pledges.PLEDGE_ACTION, pledges.KEPT_ACTION, pledges.MINE_ACTION}) or \
        sent.text.startswith("Beslutet om")


def countdown_sent(notifier: RecordingNotifier) -> list[Sent]:
    """Everything the countdown sent: stage posts, DMs, follow-ups, the live message and its edits."""
    return [s for s in notifier.sent if _ours(s) or s.to == EDITS]


async def live_row(app: App) -> LiveMessage | None:
    async with app.sessionmaker() as session:
        return await session.scalar(select(LiveMessage))


# -- stages --------------------------------------------------------------------------------------------------


async def test_the_stages_fall_14_7_3_1_days_before_at_nine_and_at_eight_on_the_day(
    app: App, notifier: RecordingNotifier
):
    await the_group(app, notifier)

    assert await pending_due(app, countdowns.STAGE_KIND) == [D14, D7, D3, D1, D0]


async def test_a_stage_goes_to_the_channel_pinging_members_and_by_dm_to_followers_who_want_dms(
        app: App, clock: FrozenClock, notifier: RecordingNotifier):
    issue_id = await the_group(app, notifier)

    await at(app, clock, D14 - timedelta(minutes=1))
    assert notifier.sent == []
    await at(app, clock, D14)
    await app.dispatcher.run_due()  # a second run sends nothing more

    [post] = stage_posts(notifier)
    assert post.text.startswith("⏳ 14 dagar kvar: Parkering i centrum")
    assert "**ställa frågor**" in post.text and "#ParkeraKarlskrona" in post.text
    assert [b.action for b in post.reply.buttons] == [pledges.PLEDGE_ACTION] * 3
    assert [b.arg for b in post.reply.buttons] == [
        f"{issue_id}-tweet",
        f"{issue_id}-contact",
        f"{issue_id}-attend",
    ]
    draft = next(f for f in post.reply.fields if render(f.name, "sv") == "Förslag att dela")
    # The draft names the undecided politicians by handle, the title as a title, what the issue means for
    # the group's businesses, carries the hashtag and fits X.
    assert render(draft.value, "sv") == (
        "Hej @davidlund Eva Ström @bjornost! Hur röstar ni om ”Parkering i centrum” i "
        "kommunfullmäktige den 16 december? För oss företagare i Karlskrona handlar det om kunderna och "
        "jobben. Behåll platserna. #ParkeraKarlskrona"
    )
    assert [render(link.label, "sv") for link in post.reply.links][:3] == ["Dela på X", "Dela på LinkedIn",
                                                                           "Dela på Facebook"]
    for name in ("anna", "bo", "cia"):
        assert dm_titles(notifier, name) == ["⏳ 14 dagar kvar: Parkering i centrum"]
        assert notifier.to(f"dm:{name}")[0].reply.mention_role is None
    # A follower's DM says what the issue means for their own business.
    anna_draft = next(f for f in notifier.to("dm:anna")[0].reply.fields
                      if render(f.name, "sv") == "Förslag att dela")
    assert "För oss på Annas Blommor handlar det om kunderna som ska hitta till butiken." in render(
        anna_draft.value, "sv")
    assert dm_titles(notifier, "dan") == [] and dm_titles(notifier, "olle") == []


async def test_each_stage_has_its_own_call_to_action_and_goes_once(app: App, clock: FrozenClock,
                                                                   notifier: RecordingNotifier):
    await the_group(app, notifier)

    for when in (D14, D7, D3, D1, D0, DECISION + timedelta(days=1)):
        await at(app, clock, when)
        await app.dispatcher.run_due()

    titles = [p.text.splitlines()[0] for p in stage_posts(notifier)]
    assert titles == ["⏳ 14 dagar kvar: Parkering i centrum", "📣 7 dagar kvar: Parkering i centrum",
                      "📰 3 dagar kvar: Parkering i centrum",
                      "🔥 I morgon beslutar kommunfullmäktige: Parkering i centrum",
                      "🏛️ I dag beslutar kommunfullmäktige: Parkering i centrum"]
    bodies = "\n".join(p.text for p in stage_posts(notifier))
    for action in ("**ställa frågor**", "**Mobilisera**", "**kontakta media**", "**Sista spurten!**",
                   "**Följ omröstningen**"):
        assert action in bodies
    assert "@sydostran" in stage_posts(notifier)[2].text  # the media stage's draft tags the local media
    for name in ("anna", "bo", "cia"):
        assert len(dm_titles(notifier, name)) == 5


async def test_a_reminder_across_the_change_to_winter_time_keeps_its_local_hour(app: App, clock: FrozenClock,
                                                                                notifier: RecordingNotifier):
    # Summer time ends on Sunday 25 October 2026 at 03:00 in Stockholm; the decision is on Friday 30 October.
    clock.set(local(2026, 10, 14, 10))
    await the_group(app, notifier, decision="2026-10-30 18:00")

    due = await pending_due(app, countdowns.STAGE_KIND)
    assert due == [datetime(2026, 10, 16, 7, 0, tzinfo=UTC), datetime(2026, 10, 23, 7, 0, tzinfo=UTC),
                   datetime(2026, 10, 27, 8, 0, tzinfo=UTC), datetime(2026, 10, 29, 8, 0, tzinfo=UTC),
                   datetime(2026, 10, 30, 7, 0, tzinfo=UTC)]
    assert [d.astimezone(STOCKHOLM).hour for d in due] == [9, 9, 9, 9, 8]
    # An hour before 09:00 winter time (09:00 by the summer offset) nothing goes; at 09:00 local it does.
    await at(app, clock, datetime(2026, 10, 26, 12, 0, tzinfo=UTC))
    notifier.sent.clear()
    await at(app, clock, datetime(2026, 10, 27, 7, 59, tzinfo=UTC))
    assert stage_posts(notifier) == []
    await at(app, clock, datetime(2026, 10, 27, 8, 0, tzinfo=UTC))
    assert [p.text.splitlines()[0] for p in stage_posts(notifier)] == ["📰 3 dagar kvar: Parkering i centrum"]


async def test_a_dm_due_at_night_across_the_change_to_winter_time_waits_until_eight_local(
        app: App, clock: FrozenClock, notifier: RecordingNotifier):
    clock.set(local(2026, 10, 14, 10))
    await the_group(app, notifier, decision="2026-10-24 18:00")
    # The result is recorded at 22:30 on Saturday 24 October (summer time); the night is 25 hours long.
    clock.set(local(2026, 10, 24, 22, 30))
    await app.run(COORDINATOR, countdowns.record_outcome, issue="Parkering", result="won")
    await app.dispatcher.run_due()

    assert dm_titles(notifier, "anna") == []
    async with app.sessionmaker() as session:
        waits = set(
            await session.scalars(
                select(Delivery.not_before).where(
                    Delivery.member_id.is_not(None), Delivery.status == delivery.PENDING
                )
            )
        )
    assert waits == {datetime(2026, 10, 25, 7, 0, tzinfo=UTC)}  # 08:00 winter time
    await at(app, clock, datetime(2026, 10, 25, 6, 59, tzinfo=UTC))
    assert dm_titles(notifier, "anna") == []
    await at(app, clock, datetime(2026, 10, 25, 7, 0, tzinfo=UTC))
    assert dm_titles(notifier, "anna") == ["Beslutet om Parkering i centrum: vunnen"]


# -- the live message ----------------------------------------------------------------------------------------


async def test_the_live_message_is_posted_pinned_and_edited_daily_with_the_same_id(
    app: App, clock: FrozenClock, notifier: RecordingNotifier
):
    await the_group(app, notifier)

    await at(app, clock, D14)
    [live] = [s for s in notifier.to(ANNOUNCEMENTS) if s.reply.mention_role is None]
    row = await live_row(app)
    assert row is not None and row.pinned and row.message_id in notifier.pins
    assert live.text.startswith("⏳ Nedräkning: Parkering i centrum – 14 dagar kvar")
    assert "Inga löften än" in live.text and "Ställningstaganden" in live.text

    await at(app, clock, local(2026, 12, 3, 0, 5))
    await at(app, clock, local(2026, 12, 4, 0, 5))
    edits = notifier.to(EDITS)
    assert [e.text.splitlines()[0] for e in edits] == ["⏳ Nedräkning: Parkering i centrum – 13 dagar kvar",
                                                       "⏳ Nedräkning: Parkering i centrum – 12 dagar kvar"]
    assert set(notifier.edited) == {row.message_id}
    assert len([s for s in notifier.to(ANNOUNCEMENTS) if s.reply.mention_role is None]) == 1


async def test_the_live_message_survives_a_restart_and_a_deletion(app: App, clock: FrozenClock,
                                                                  notifier: RecordingNotifier, settings):
    await the_group(app, notifier)
    await at(app, clock, D14)
    first = (await live_row(app)).message_id

    # A restart: a new process on the same database edits the same message.
    restarted = App(settings, clock)
    restarted.dispatcher.notifier = notifier
    try:
        await restarted.dispatcher.resume()
        clock.set(local(2026, 12, 3, 0, 5))
        await restarted.dispatcher.run_due()
        assert notifier.edited == [first]
        # Someone deletes it: the next update posts it again, pins it and remembers the new id.
        notifier.deleted.add(first)
        clock.set(local(2026, 12, 4, 0, 5))
        await restarted.dispatcher.run_due()
    finally:
        await restarted.close()
    row = await live_row(app)
    assert row.message_id != first and row.message_id in notifier.pins and row.pinned
    lives = [s for s in notifier.to(ANNOUNCEMENTS) if s.reply.mention_role is None]
    assert [s.text.splitlines()[0] for s in lives][-1] == "⏳ Nedräkning: Parkering i centrum – 12 dagar kvar"


async def test_a_result_nobody_records_unpins_the_live_message_two_weeks_after_the_vote(
        app: App, clock: FrozenClock, notifier: RecordingNotifier):
    await the_group(app, notifier)
    await at(app, clock, D14)
    message_id = (await live_row(app)).message_id

    for day in range(30):  # to 1 January; the vote was on 16 December
        await at(app, clock, D14 + timedelta(days=day + 1))

    assert message_id not in notifier.pins and not (await live_row(app)).pinned
    last = notifier.to(EDITS)[-1]
    assert last.text.startswith("🗳️ Parkering i centrum: dags för beslut – resultatet kommer")
    assert await pending_due(app, timeline.LIVE_KIND) == []  # the daily turns have stopped


async def test_an_issue_created_seven_days_before_gets_the_seven_day_stage_and_its_live_message_at_once(
        app: App, clock: FrozenClock, notifier: RecordingNotifier):
    await created_late(app, notifier, "8 dec 18:00")  # 7 days ahead: the 7-day stage began at 09:00 today

    assert heads(stage_posts(notifier)) == ["📣 7 dagar kvar: Parkering i centrum"]
    for name in ("anna", "bo", "cia"):
        assert dm_titles(notifier, name) == ["📣 7 dagar kvar: Parkering i centrum"]
    assert await pending_due(app, countdowns.STAGE_KIND) == [local(2026, 12, 5, 9), local(2026, 12, 7, 9),
                                                              local(2026, 12, 8, 8)]
    row = await live_row(app)
    assert row is not None and row.pinned and row.message_id in notifier.pins
    async with app.sessionmaker() as session:
        posted = list(await session.scalars(select(Delivery).where(Delivery.key.endswith(":live:countdown:1"),
                                                                   Delivery.status == delivery.SENT)))
    [live] = posted
    assert "7 dagar kvar" in render(delivery.reply_from_json(live.message).title, "sv")
    # The 14-day stage's window is over: it is skipped, and the coordinators hear so in one message.
    [notice] = notifier.to(COORDINATORS)
    assert notice.text.splitlines() == [
        "⏭️ Nedräkningen för Parkering i centrum: steg som hoppades över",
        (
            "Frågan lades in 7 dagar före beslutet (tisdag 8 december 2026 kl. 18:00). "
            "Det som redan har passerat skickas inte:"
        ),
        "• ställ frågor (14 dagar före)",
        "Steget mobilisera (7 dagar före) går ut nu i stället, eftersom det fortfarande är aktuellt.",
    ]
    # The next day nothing repeats; the next stage goes at its time.
    for when in (local(2026, 12, 2, 10), local(2026, 12, 5, 9)):
        await at(app, clock, when)
    assert heads(stage_posts(notifier)) == ["📣 7 dagar kvar: Parkering i centrum",
                                            "📰 3 dagar kvar: Parkering i centrum"]
    assert len(notifier.to(COORDINATORS)) == 1


async def test_an_issue_created_five_days_before_gets_the_seven_day_call_now_and_the_coordinators_are_told(
        app: App, clock: FrozenClock, notifier: RecordingNotifier):
    issue_id = await created_late(app, notifier, "6 dec 18:00")  # the 3-day stage is not due until 3 December

    # The 7-day stage's call to action (mobilize), with the days that are really left.
    [post] = stage_posts(notifier)
    assert post.text.startswith("📣 5 dagar kvar: Parkering i centrum") and "**Mobilisera**" in post.text
    draft = next(f for f in post.reply.fields if render(f.name, "sv") == "Förslag att dela")
    assert render(draft.value, "sv").startswith("Om 5 dagar beslutar kommunfullmäktige i Karlskrona")
    assert dm_titles(notifier, "anna") == ["📣 5 dagar kvar: Parkering i centrum"]
    [notice] = notifier.to(COORDINATORS)
    assert "Frågan lades in 5 dagar före beslutet (söndag 6 december 2026 kl. 18:00)." in notice.text
    assert "• ställ frågor (14 dagar före)\n" in notice.text
    assert "Steget mobilisera (7 dagar före) går ut nu i stället" in notice.text
    async with app.sessionmaker() as session:
        statuses = dict(
            (
                await session.execute(
                    select(Reminder.payload["days"].as_integer(), Reminder.status).where(
                        Reminder.kind == countdowns.STAGE_KIND,
                        Reminder.key.startswith(f"countdown:{issue_id}:"),
                    )
                )
            ).all()
        )
    assert statuses == {
        14: reminders.SKIPPED,
        7: reminders.FANNED_OUT,
        3: reminders.PENDING,
        1: reminders.PENDING,
        0: reminders.PENDING,
    }
    # A pledge now belongs to the 7-day stage and is followed up after the 3-day one begins.
    clock.set(local(2026, 12, 1, 12))
    await app.press(ANNA, pledges.PLEDGE_ACTION, f"{issue_id}-tweet")

    for when in (local(2026, 12, 2, 10), local(2026, 12, 3, 9), local(2026, 12, 3, 11), local(2026, 12, 5, 9),
                 local(2026, 12, 6, 8), local(2026, 12, 7, 10)):
        await at(app, clock, when)

    assert heads(stage_posts(notifier)) == [
        "📣 5 dagar kvar: Parkering i centrum", "📰 3 dagar kvar: Parkering i centrum",
        "🔥 I morgon beslutar kommunfullmäktige: Parkering i centrum",
        "🏛️ I dag beslutar kommunfullmäktige: Parkering i centrum"]
    assert dm_titles(notifier, "anna") == [
        *heads(stage_posts(notifier))[:2],
        "Gjorde du det? Parkering i centrum",
        *heads(stage_posts(notifier))[2:],
    ]
    assert len([s for s in notifier.to(COORDINATORS) if s.text.startswith("⏭️")]) == 1


async def test_a_stage_that_goes_out_now_by_dm_still_waits_out_quiet_hours(app: App, clock: FrozenClock,
                                                                          notifier: RecordingNotifier):
    clock.set(local(2026, 12, 1, 22))
    await created_late(app, notifier, "6 dec 18:00")

    assert heads(stage_posts(notifier)) == ["📣 5 dagar kvar: Parkering i centrum"]  # the channel at once
    assert dm_titles(notifier, "anna") == []
    await at(app, clock, local(2026, 12, 2, 7, 59))
    assert dm_titles(notifier, "anna") == []
    await at(app, clock, local(2026, 12, 2, 8))
    for name in ("anna", "bo", "cia"):
        assert dm_titles(notifier, name) == ["📣 5 dagar kvar: Parkering i centrum"]


# -- changes -------------------------------------------------------------------------------------------------


async def test_a_postponed_decision_moves_every_pending_reminder_and_nothing_stale_is_sent(
        app: App, clock: FrozenClock, notifier: RecordingNotifier):
    issue_id = await the_group(app, notifier)
    await at(app, clock, D14)
    await app.press(ANNA, pledges.PLEDGE_ACTION, f"{issue_id}-tweet")
    notifier.sent.clear()

    clock.set(local(2026, 12, 5, 10))
    await app.run(COORDINATOR, issues.edit, issue="Parkering", decision="13 jan 18:00")
    await app.dispatcher.run_due()

    assert await pending_due(app, countdowns.STAGE_KIND) == [
        local(2026, 12, 30, 9), local(2027, 1, 6, 9), local(2027, 1, 10, 9), local(2027, 1, 12, 9),
        local(2027, 1, 13, 8)]
    # The pledge made in the 14-day stage is followed up after the new 7-day stage.
    followups = await pending_due(app, pledges.FOLLOWUP_KIND)
    assert local(2026, 12, 9, 11) not in followups and local(2027, 1, 6, 11) in followups
    [edit] = notifier.to(EDITS)  # the live message shows the new date at once
    assert "39 dagar kvar" in edit.text.splitlines()[0]

    for when in (D7, D3, D1, D0, DECISION + timedelta(hours=1)):
        await at(app, clock, when)
    assert stage_posts(notifier) == []
    assert not any(s.text.startswith("Gjorde du det?") for s in notifier.to("dm:anna"))
    await at(app, clock, local(2026, 12, 30, 9))
    assert [p.text.splitlines()[0] for p in stage_posts(notifier)] == [
        "⏳ 14 dagar kvar: Parkering i centrum"
    ]


async def test_a_decision_moved_earlier_into_a_later_window_sends_that_stage_now_and_tells_what_was_skipped(
        app: App, clock: FrozenClock, notifier: RecordingNotifier):
    await the_group(app, notifier)
    await at(app, clock, D14)
    notifier.sent.clear()

    clock.set(local(2026, 12, 3, 10))
    await app.run(COORDINATOR, issues.edit, issue="Parkering", decision="5 dec 18:00")
    await app.dispatcher.run_due()

    # In the 3-day window now: its call (the media) goes out at once; the 7-day stage's window is over.
    assert heads(stage_posts(notifier)) == ["📰 2 dagar kvar: Parkering i centrum"]
    assert dm_titles(notifier, "anna") == ["📰 2 dagar kvar: Parkering i centrum"]
    [notice] = [s for s in notifier.to(COORDINATORS) if s.text.startswith("⏭️")]
    assert notice.text.splitlines()[1:] == [
        (
            "Beslutet flyttades till lördag 5 december 2026 kl. 18:00, så nu är det 2 dagar före beslutet. "
            "Det som redan har passerat skickas inte:"
        ),
        "• mobilisera (7 dagar före)",
        "Steget kontakta media (3 dagar före) går ut nu i stället, eftersom det fortfarande är aktuellt.",
    ]
    assert await pending_due(app, countdowns.STAGE_KIND) == [local(2026, 12, 4, 9), local(2026, 12, 5, 8)]
    for when in (local(2026, 12, 4, 9), local(2026, 12, 5, 8), local(2026, 12, 6, 10)):
        await at(app, clock, when)
    assert heads(stage_posts(notifier)) == ["📰 2 dagar kvar: Parkering i centrum",
                                            "🔥 I morgon beslutar kommunfullmäktige: Parkering i centrum",
                                            "🏛️ I dag beslutar kommunfullmäktige: Parkering i centrum"]
    assert len([s for s in notifier.to(COORDINATORS) if s.text.startswith("⏭️")]) == 1


async def test_a_decision_moved_earlier_into_the_next_window_sends_it_now_with_nothing_skipped(
        app: App, clock: FrozenClock, notifier: RecordingNotifier):
    await the_group(app, notifier)
    await at(app, clock, D14)
    notifier.sent.clear()

    clock.set(local(2026, 12, 3, 10))
    await app.run(COORDINATOR, issues.edit, issue="Parkering", decision="8 dec 18:00")
    await app.dispatcher.run_due()

    assert heads(stage_posts(notifier)) == ["📣 5 dagar kvar: Parkering i centrum"]
    assert not any(s.text.startswith("⏭️") for s in notifier.to(COORDINATORS))  # the 14-day stage went out


async def test_a_decision_moved_later_plans_the_stages_to_come_and_sends_nothing_twice(
        app: App, clock: FrozenClock, notifier: RecordingNotifier):
    await the_group(app, notifier)
    await at(app, clock, D14)
    await at(app, clock, D7)
    assert heads(stage_posts(notifier)) == ["⏳ 14 dagar kvar: Parkering i centrum",
                                            "📣 7 dagar kvar: Parkering i centrum"]
    notifier.sent.clear()

    # Three days later: by the new date the 14-day stage is under way and the 7-day one is still to come, but
    # both went out already; the countdown goes on from the 3-day stage.
    clock.set(local(2026, 12, 10, 10))
    await app.run(COORDINATOR, issues.edit, issue="Parkering", decision="19 dec 18:00")
    await app.dispatcher.run_due()

    assert stage_posts(notifier) == [] and not any(s.text.startswith("⏭️") for s in notifier.to(COORDINATORS))
    assert await pending_due(app, countdowns.STAGE_KIND) == [local(2026, 12, 16, 9), local(2026, 12, 18, 9),
                                                              local(2026, 12, 19, 8)]
    [edit] = notifier.to(EDITS)  # the live message shows the new date and the next stage that will go out
    assert "9 dagar kvar" in edit.text.splitlines()[0]
    assert "Nästa steg: kontakta media, 16 december" in edit.text
    for when in (
        local(2026, 12, 12, 9),
        local(2026, 12, 13, 9),
        local(2026, 12, 16, 9),
        local(2026, 12, 18, 9),
        local(2026, 12, 19, 8),
        local(2026, 12, 20, 10),
    ):
        await at(app, clock, when)
    assert heads(stage_posts(notifier)) == ["📰 3 dagar kvar: Parkering i centrum",
                                            "🔥 I morgon beslutar kommunfullmäktige: Parkering i centrum",
                                            "🏛️ I dag beslutar kommunfullmäktige: Parkering i centrum"]
    assert dm_titles(notifier, "bo") == heads(stage_posts(notifier))


async def test_a_stage_that_would_go_out_now_is_not_sent_after_the_vote(app: App, clock: FrozenClock,
                                                                        notifier: RecordingNotifier):
    await the_members(app)
    await app.dispatcher.run_due()
    notifier.sent.clear()
    # Created half an hour before the vote; the bot gets to it only after the vote.
    clock.set(local(2026, 12, 1, 17, 30))
    await create_issue(app, decision="1 dec 18:00", ask_days="0")

    report = await at(app, clock, local(2026, 12, 1, 18, 5))

    assert len(report.skipped) == 1 and stage_posts(notifier) == [] and dm_titles(notifier, "anna") == []
    assert not any(s.text.startswith("⏭️ Nedräkningen") for s in notifier.to(COORDINATORS))


async def test_a_stage_sent_at_night_before_an_early_vote_never_reaches_a_dm_after_the_vote(
        app: App, clock: FrozenClock, notifier: RecordingNotifier):
    clock.set(local(2026, 12, 1, 23))
    await created_late(app, notifier, "2 dec 07:30")

    assert heads(stage_posts(notifier)) == ["🔥 I morgon beslutar kommunfullmäktige: Parkering i centrum"]
    [notice] = notifier.to(COORDINATORS)
    assert "Frågan lades in dagen före beslutet (onsdag 2 december 2026 kl. 07:30)." in notice.text
    assert ("• ställ frågor (14 dagar före)\n• mobilisera (7 dagar före)\n• kontakta media (3 dagar före)\n"
            in notice.text)
    assert "Steget sista spurten (dagen före) går ut nu" in notice.text
    for when in (local(2026, 12, 2, 6, 30), local(2026, 12, 2, 8), local(2026, 12, 2, 10)):
        await at(app, clock, when)
    assert heads(stage_posts(notifier)) == ["🔥 I morgon beslutar kommunfullmäktige: Parkering i centrum",
                                            "🏛️ I dag beslutar kommunfullmäktige: Parkering i centrum"]
    # The DMs waited out the night's quiet hours until 08:00: by then the vote was held.
    assert dm_titles(notifier, "anna") == []


async def test_a_new_hour_on_the_same_day_moves_what_is_pending_and_repeats_nothing(
        app: App, clock: FrozenClock, notifier: RecordingNotifier):
    await the_group(app, notifier)
    await at(app, clock, D14)

    await app.run(COORDINATOR, issues.edit, issue="Parkering", decision="16 dec 13:00")
    await at(app, clock, D7)

    assert await pending_due(app, countdowns.STAGE_KIND) == [D3, D1, D0]
    assert [p.text.splitlines()[0] for p in stage_posts(notifier)] == [
        "⏳ 14 dagar kvar: Parkering i centrum",
        "📣 7 dagar kvar: Parkering i centrum",
    ]


async def test_a_withdrawn_issue_cancels_everything_and_unpins_the_live_message(app: App, clock: FrozenClock,
                                                                                notifier: RecordingNotifier):
    issue_id = await the_group(app, notifier)
    await at(app, clock, D14)
    await app.press(ANNA, pledges.PLEDGE_ACTION, f"{issue_id}-tweet")
    message_id = (await live_row(app)).message_id

    clock.set(D14 + timedelta(days=1))
    await app.run(COORDINATOR, issues.close, issue="Parkering", outcome="withdrawn")
    await app.dispatcher.run_due()
    notifier.sent.clear()
    for when in (D7, D7 + timedelta(hours=2), D3, D1, D0, DECISION + timedelta(days=2)):
        await at(app, clock, when)

    assert countdown_sent(notifier) == [] and notifier.to(ANNOUNCEMENTS) == []
    async with app.sessionmaker() as session:
        pending = await session.scalar(select(func.count()).select_from(Reminder).where(
            Reminder.key.startswith(f"countdown:{issue_id}:"), Reminder.status == reminders.PENDING))
    assert pending == 0
    assert message_id not in notifier.pins and not (await live_row(app)).pinned


# -- a bot that was down -------------------------------------------------------------------------------------


async def test_after_a_clock_jump_only_what_still_makes_sense_is_sent_and_the_coordinators_are_told(
        app: App, clock: FrozenClock, notifier: RecordingNotifier):
    await the_group(app, notifier)

    # Down from 1 December until the day before the vote, 10:00.
    report = await at(app, clock, D1 + timedelta(hours=1))

    assert len(report.skipped) == 3
    assert [p.text.splitlines()[0] for p in stage_posts(notifier)] == [
        "🔥 I morgon beslutar kommunfullmäktige: Parkering i centrum"]
    assert dm_titles(notifier, "anna") == ["🔥 I morgon beslutar kommunfullmäktige: Parkering i centrum"]
    [notice] = notifier.to(COORDINATORS)
    assert notice.text.splitlines()[0] == "⏭️ 3 påminnelser hoppades över"
    for line in ("ställ frågor (14 dagar före), planerad till 2 december 2026 09:00",
                 "mobilisera (7 dagar före), planerad till 9 december 2026 09:00",
                 "kontakta media (3 dagar före), planerad till 13 december 2026 09:00"):
        assert line in notice.text
    # The live message appears with the countdown that is left.
    assert (await live_row(app)).pinned


async def test_a_stage_is_never_sent_after_the_vote(
    app: App, clock: FrozenClock, notifier: RecordingNotifier
):
    await the_group(app, notifier)
    await at(app, clock, D1)
    notifier.sent.clear()

    # Down from the day before until the evening of the vote.
    report = await at(app, clock, DECISION + timedelta(hours=2))

    assert len(report.skipped) == 1 and stage_posts(notifier) == []
    assert all(not s.to.startswith("dm:") for s in notifier.sent)
    [notice] = notifier.to(COORDINATORS)
    assert "följ omröstningen (samma morgon), planerad till 16 december 2026 08:00" in notice.text


async def test_dms_of_the_vote_morning_held_back_past_the_vote_expire(app: App, clock: FrozenClock,
                                                                       notifier: RecordingNotifier):
    await the_group(app, notifier)
    await at(app, clock, D1)
    app.dispatcher.notifier = None  # the morning's fan-out is written, then the bot stops before sending
    await at(app, clock, D0)
    app.dispatcher.notifier = notifier
    notifier.sent.clear()

    report = await at(app, clock, DECISION + timedelta(minutes=5))

    assert report.expired == 4  # the post and three DMs
    assert stage_posts(notifier) == [] and dm_titles(notifier, "anna") == []


class Crash(BaseException):
    """The process dies (not an error the dispatcher may catch)."""


class CrashingNotifier(RecordingNotifier):
    """Discord as seen by a bot that dies just after the platform accepted its Nth DM (before marking it)."""

    def __init__(self, crash_after: int, shared: RecordingNotifier) -> None:
        super().__init__()
        self.crash_after = crash_after
        self.shared = shared

    async def send_direct(self, workspace, member, reply, *, nonce=None) -> None:
        await self.shared.send_direct(workspace, member, reply, nonce=nonce)
        if len([s for s in self.shared.sent if s.to.startswith("dm:")]) >= self.crash_after:
            raise Crash

    async def post(self, workspace, channel, reply, *, nonce=None):
        return await self.shared.post(workspace, channel, reply, nonce=nonce)

    async def edit(self, workspace, channel, message_id, reply) -> None:
        await self.shared.edit(workspace, channel, message_id, reply)

    async def pin(self, workspace, channel, message_id) -> None:
        await self.shared.pin(workspace, channel, message_id)


async def test_a_crash_in_the_middle_of_a_fan_out_then_a_restart_gives_everyone_exactly_one_message(
        app: App, clock: FrozenClock, notifier: RecordingNotifier, settings):
    issue_id = await the_group(app, notifier)
    names = [f"m{i:02d}" for i in range(30)]
    for name in names:
        await onboard(app, identity(name))
    await app.dispatcher.run_due()
    notifier.sent.clear()
    # The platform (Discord) keeps what it accepted across the bot's crash: one shared record, nonces and all.
    app.dispatcher.notifier = CrashingNotifier(10, notifier)

    clock.set(D14)
    with pytest.raises(BaseExceptionGroup) as crashed:
        await app.dispatcher.run_due()
    assert crashed.group_contains(Crash)
    async with app.sessionmaker() as session:
        left = await session.scalar(select(func.count()).select_from(Delivery).where(
            Delivery.status.in_((delivery.CLAIMED, delivery.SENDING, delivery.PENDING))))
    assert left > 0

    restarted = App(settings, clock)
    restarted.dispatcher.notifier = notifier
    try:
        await restarted.dispatcher.resume()
        await restarted.dispatcher.run_due()
        await restarted.dispatcher.run_due()
    finally:
        await restarted.close()

    for name in ["anna", "bo", "cia", *names]:
        assert dm_titles(notifier, name) == ["⏳ 14 dagar kvar: Parkering i centrum"], name
    assert len(stage_posts(notifier)) == 1
    # The DM sent just before the crash was in doubt: looked up, found, and not sent again (no nonce needed).
    assert notifier.dropped_repeats == 0
    async with app.sessionmaker() as session:
        statuses = set(await session.scalars(select(Delivery.status)))
    # Nothing left to send; live message updates that a newer one replaced were cancelled, not sent.
    assert statuses <= {delivery.SENT, delivery.CANCELLED} and issue_id


async def test_closed_dms_are_recorded_and_mentioned_together_in_one_channel_message(
        app: App, clock: FrozenClock, notifier: RecordingNotifier):
    await the_group(app, notifier)
    notifier.closed |= {"anna", "cia"}

    await at(app, clock, D14)
    await at(app, clock, D7)

    fallbacks = [s for s in notifier.to(ANNOUNCEMENTS) if s.reply.mentions]
    assert [f.reply.mentions for f in fallbacks] == [("anna", "cia"), ("anna", "cia")]
    assert "kunde inte skicka ett DM" in fallbacks[0].text
    # Each stage's post pinged the member role: the fallback names them without pinging its holders again.
    assert [f.reply.already_pinged for f in fallbacks] == [Role.MEMBER, Role.MEMBER]
    async with app.sessionmaker() as session:
        closed = set(await session.scalars(select(Member.external_id).where(Member.dm_open.is_(False))))
    assert closed == {"anna", "cia"}
    assert len(dm_titles(notifier, "bo")) == 2


# -- the outcome ---------------------------------------------------------------------------------------------


async def test_the_outcome_closes_the_issue_and_followers_get_the_result_and_a_thank_you_draft(
        app: App, clock: FrozenClock, notifier: RecordingNotifier):
    issue_id = await the_group(app, notifier)
    await at(app, clock, D14)
    await app.press(ANNA, pledges.PLEDGE_ACTION, f"{issue_id}-attend")
    with pytest.raises(NotCoordinator):
        await app.run(ANNA, countdowns.record_outcome, issue="Parkering", result="won")
    clock.set(DECISION + timedelta(hours=2))
    notifier.sent.clear()

    reply = await app.run(COORDINATOR, countdowns.record_outcome, issue="Parkering", result="won",
                          note="31 mot 30", voted_for="Åsa Ek, David Lund")
    await app.dispatcher.run_due()

    assert render(reply.body, "sv") == (
        "Resultatet för Parkering i centrum är registrerat: vunnen. Frågan är stängd "
        "och 3 medlemmar får en uppföljning."
    )
    async with app.sessionmaker() as session:
        issue = await session.get_one(Issue, issue_id)
    assert (issue.status, issue.outcome, issue.outcome_note) == ("closed", "won", "31 mot 30")
    [_announcement] = [s for s in notifier.to(ANNOUNCEMENTS) if s.text.startswith("Frågan är avgjord")]
    for name in ("anna", "bo", "cia"):
        [followup] = [s for s in notifier.to(f"dm:{name}") if _ours(s)]
        assert followup.text.startswith("Beslutet om Parkering i centrum: vunnen")
        # The thank-you says what the decision means for each follower's own business.
        assert ("Tack @asaek, @davidlund för att ni röstade för ”Parkering i centrum”! För oss på "
                in followup.text)
        assert "Dela din berättelse" in followup.text
        assert "x.com/intent/post" in followup.reply.links[0].url
    assert dm_titles(notifier, "dan") == []  # no DMs wanted: the channel has the result
    [final] = notifier.to(EDITS)
    assert final.text.startswith("✅ Parkering i centrum: vunnen") and "Tack @asaek, @davidlund" in final.text
    assert not (await live_row(app)).pinned
    assert await pending_due(app, countdowns.STAGE_KIND) == []
    # Anna's pledge to attend is still asked about, the morning after.
    await at(app, clock, local(2026, 12, 17, 10))
    assert any(s.text.startswith("Gjorde du det?") for s in notifier.to("dm:anna"))
    with pytest.raises(UserError):
        await app.run(COORDINATOR, countdowns.record_outcome, issue="Parkering", result="lost")


async def test_after_the_outcome_the_live_message_shows_the_result_not_the_votes_missing_and_stays_so(
        app: App, clock: FrozenClock, notifier: RecordingNotifier):
    issue_id = await the_group(app, notifier)
    await app.run(COORDINATOR, stances.set_seats, municipality="Karlskrona", body="KF",
                  seats="S:20, M:15, SD:10, C:4, KD:2")
    await at(app, clock, D14)
    [live] = [s for s in notifier.to(ANNOUNCEMENTS) if s.reply.mention_role is None]
    assert "Det saknas 26 röster för majoritet." in live.text
    await app.press(ANNA, pledges.PLEDGE_ACTION, f"{issue_id}-attend")
    clock.set(DECISION + timedelta(hours=2))
    await app.dispatcher.run_due()
    notifier.sent.clear()

    await app.run(COORDINATOR, countdowns.record_outcome, issue="Parkering", result="won", note="31 mot 30",
                  voted_for="Åsa Ek, David Lund")
    await app.dispatcher.run_due()

    [final] = notifier.to(EDITS)
    lines = final.text.splitlines()
    assert lines[0] == "✅ Parkering i centrum: vunnen"
    assert "Resultat: vunnen" in lines and "Notering: 31 mot 30" in lines
    assert any(line.startswith("Röstade för oss: Åsa Ek") for line in lines)
    assert "saknas" not in final.text and "Prognos" not in final.text and "Nästa steg" not in final.text
    assert not any(b.action == pledges.PLEDGE_ACTION for b in final.reply.buttons)  # no more pledges
    # It is not refreshed any more: a pledge answered afterwards, the days that pass, leave it as it is.
    await at(app, clock, local(2026, 12, 17, 10))
    [ask] = [s for s in notifier.to("dm:anna") if s.text.startswith("Gjorde du det?")]
    await app.press(ANNA, pledges.KEPT_ACTION, ask.reply.buttons[0].arg)
    for day in range(1, 4):
        await at(app, clock, local(2026, 12, 17, 10) + timedelta(days=day))
    assert notifier.to(EDITS) == [final]
    assert await pending_due(app, timeline.LIVE_KIND) == []


async def test_a_closed_issue_s_live_message_says_it_is_closed(app: App, clock: FrozenClock,
                                                               notifier: RecordingNotifier):
    await the_group(app, notifier)
    await app.run(COORDINATOR, stances.set_seats, municipality="Karlskrona", body="KF", seats="S:20, M:15")
    await at(app, clock, D14)
    clock.set(D14 + timedelta(days=1))

    await app.run(
        COORDINATOR, issues.close, issue="Parkering", outcome="other", note="Ärendet gick upp i ett annat"
    )
    await app.dispatcher.run_due()

    [final] = notifier.to(EDITS)
    assert final.text.splitlines()[:3] == ["✅ Parkering i centrum: stängd", "Frågan är stängd.",
                                           "Beslut: onsdag 16 december 2026 kl. 18:00"]
    assert "Resultat: stängd" in final.text and "Notering: Ärendet gick upp i ett annat" in final.text
    assert "saknas" not in final.text and "Prognos" not in final.text
    assert not any(b.action == pledges.PLEDGE_ACTION for b in final.reply.buttons)


async def test_closing_with_a_vote_outcome_is_the_same_path_and_the_map_names_whom_to_thank(
        app: App, clock: FrozenClock, notifier: RecordingNotifier):
    await the_group(app, notifier)
    await app.run(COORDINATOR, stances.set_stance, issue="Parkering", politician="Björn Öst", stance="for")
    clock.set(DECISION + timedelta(hours=2))

    await app.run(COORDINATOR, issues.close, issue="Parkering", outcome="lost")
    await app.dispatcher.run_due()

    [followup] = [s for s in notifier.to("dm:bo") if _ours(s)]
    assert followup.text.startswith("Beslutet om Parkering i centrum: förlorad")
    assert "Tack @bjornost för att ni röstade för ”Parkering i centrum”. För oss på" in followup.text
    assert "Det räckte inte" in followup.text


async def test_the_coordinators_are_reminded_to_record_the_result(app: App, clock: FrozenClock,
                                                                 notifier: RecordingNotifier):
    issue_id = await the_group(app, notifier)

    await at(app, clock, local(2026, 12, 17, 9))

    [nudge] = [s for s in notifier.to(COORDINATORS) if s.text.startswith("🗳️")]
    assert (
        nudge.text.startswith("🗳️ Hur gick omröstningen om Parkering i centrum?")
        and f"#{issue_id}" in nudge.text
    )


# -- settings and my data ------------------------------------------------------------------------------------


async def test_the_stages_can_be_set_per_issue_and_by_default(app: App, notifier: RecordingNotifier):
    await the_group(app, notifier)

    shown = await app.run(COORDINATOR, countdowns.configure, days="10, 2, 0", issue="Parkering")
    default = await app.run(COORDINATOR, countdowns.configure, days="5")

    assert render(shown.body, "sv") == "Steg (dagar före beslutet): 10, 2, 0"
    assert "ställ frågor (10 dagar före)" in render(shown.fields[0].value, "sv")
    assert render(default.body, "sv") == "Nedräkningens steg som standard (dagar före beslutet): 5"
    assert await pending_due(app, countdowns.STAGE_KIND) == [local(2026, 12, 6, 9), local(2026, 12, 14, 9),
                                                              local(2026, 12, 16, 8)]
    other = await create_issue(
        app, title="Skolmat", hashtag="LokalMat", decision="20 dec 18:00", ask_days="0"
    )
    async with app.sessionmaker() as session:
        due = list(await session.scalars(select(Reminder.due_at).where(
            Reminder.kind == countdowns.STAGE_KIND, Reminder.key.startswith(f"countdown:{other}:"))))
    assert due == [local(2026, 12, 15, 9)]
    with pytest.raises(FieldProblem):
        await app.run(COORDINATOR, countdowns.configure, days="två veckor")
    with pytest.raises(NotCoordinator):
        await app.run(ANNA, countdowns.configure, days="3")
    off = await app.run(COORDINATOR, countdowns.configure, days="av", issue="Parkering")
    assert render(off.body, "sv") == "Ingen nedräkning för Parkering i centrum."


# -- the ask stage addresses a person, never the body -------------------------------------------------------


async def test_the_ask_stage_asks_the_chair_when_nobody_is_left_to_win_over(app: App):
    await import_politicians(app, "Namn;Parti;Kommun;Organ;Roller;X\n"
                                  "Bo Ledamot;M;Karlskrona;KS;ledamot;boledamot\n"
                                  "Cia Ordf;S;Karlskrona;KS;ordförande;\n")
    await create_issue(app, body="KS")
    for name in ("Bo Ledamot", "Cia Ordf"):
        await app.run(COORDINATOR, stances.set_stance, issue="Parkering", politician=name, stance="for")

    async with app.sessionmaker() as session:
        issue = await session.scalar(select(Issue))
        context = await countdowns._draft_context(session, issue)

    assert context.targets == ("Cia Ordf",)
    post = countdowns.compose(issue, "ask", 14, context, "Europe/Stockholm", "sv")
    assert post.startswith("Hej Cia Ordf! Hur röstar ni")


@pytest.mark.parametrize(("language", "question"), [
    ("sv", "Hur röstar kommunstyrelsen i Karlskrona om ”Parkering i centrum” den 28 januari?"),
    ("en", "How will municipal executive board in Karlskrona vote on “Parkering i centrum” on 28 January?"),
])
async def test_the_ask_stage_with_no_decider_known_is_a_public_question(app: App, language: str,
                                                                         question: str):
    await create_issue(app, body="KS")
    async with app.sessionmaker() as session:
        issue = await session.scalar(select(Issue))
        context = await countdowns._draft_context(session, issue)

    post = countdowns.compose(issue, "ask", 14, context, "Europe/Stockholm", language)

    assert context.targets == () and post.startswith(question)
