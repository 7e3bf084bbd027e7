"""Pledges: made with the buttons or /pledge, counted on the live message, followed up after their stage, and
in the member's export."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.app import App
from bot.clock import FrozenClock
from bot.errors import UserError
from bot.i18n import render
from bot.models import Action, Pledge
from bot.services import mydata, pledges
from bot.validation import FieldProblem
from tests.conftest import RecordingNotifier
from tests.issue_fixtures import ANNA, BO, CIA, DAN
from tests.support.countdowns import (
    ANNOUNCEMENTS,
    D7,
    D14,
    DECISION,
    EDITS,
    at,
    the_group,
)


async def test_a_pledge_counts_on_the_live_message_and_is_followed_up_after_its_stage(
        app: App, clock: FrozenClock, notifier: RecordingNotifier):
    issue_id = await the_group(app, notifier)
    await at(app, clock, D14)

    clock.set(D14 + timedelta(hours=1))
    made = await app.press(ANNA, pledges.PLEDGE_ACTION, f"{issue_id}-tweet")
    again = await app.press(ANNA, pledges.PLEDGE_ACTION, f"{issue_id}-tweet")
    await app.run(BO, pledges.pledge, issue="Parkering", kind=pledges.PledgeKind.ATTEND)
    await app.dispatcher.run_due()

    assert render(made.body, "sv") == ("Tack! Du har lovat att tweeta inför beslutet om Parkering i centrum. "
                                       "Jag frågar dig 9 december 2026 11:00 hur det gick.")
    assert render(again.body, "sv").startswith("Du har redan lovat att tweeta")
    [edit] = notifier.to(EDITS)  # two pledges, one edit: the refresh waits for the next run
    assert "▱▱▱▱▱▱▱▱▱▱ 0 av 2 genomförda" in edit.text and "🐦 tweeta 0/1" in edit.text
    async with app.sessionmaker() as session:
        rows = list(await session.scalars(select(Pledge).order_by(Pledge.id)))
    assert [(p.kind, p.stage, p.status) for p in rows] == [
        ("tweet", "d14", "made"),
        ("attend", "d14", "made"),
    ]

    # The tweet is followed up a little after the next stage begins; attending only after the vote.
    await at(app, clock, D7 + timedelta(hours=2))
    [followup] = [s for s in notifier.to("dm:anna") if s.text.startswith("Gjorde du det?")]
    assert "Du lovade att tweeta. Hann du?" in followup.text
    assert [b.action for b in followup.reply.buttons] == [pledges.KEPT_ACTION, pledges.MISSED_ACTION]
    assert not any(s.text.startswith("Gjorde du det?") for s in notifier.to("dm:bo"))

    kept = await app.press(ANNA, pledges.KEPT_ACTION, followup.reply.buttons[0].arg)
    await app.dispatcher.run_due()
    assert render(kept.body, "sv").startswith("Snyggt! Du lovade att tweeta")
    assert kept.replaces_source and kept.buttons == ()
    assert "▰▰▰▰▰▱▱▱▱▱ 1 av 2 genomförda" in notifier.to(EDITS)[-1].text
    async with app.sessionmaker() as session:
        pledge = await session.get_one(Pledge, int(followup.reply.buttons[0].arg))
        logged = list(await session.scalars(select(Action)))
    assert pledge.status == pledges.KEPT and pledge.kept_at == clock.now()
    assert pledge.followed_up_at is not None
    assert [(a.kind, a.issue_id, a.source) for a in logged] == [("tweet", issue_id, f"pledge:{pledge.id}")]
    twice = await app.press(ANNA, pledges.KEPT_ACTION, followup.reply.buttons[0].arg)
    assert render(twice.body, "sv").startswith("Du har redan svarat")
    with pytest.raises(UserError) as refused:
        await app.press(CIA, pledges.MISSED_ACTION, followup.reply.buttons[0].arg)
    assert refused.value.text.key == "pledge.not_yours"

    await at(app, clock, DECISION + timedelta(days=1))
    [after] = [s for s in notifier.to("dm:bo") if s.text.startswith("Gjorde du det?")]
    assert "gå på omröstningen" in after.text


async def test_a_member_without_dms_is_asked_in_the_channel_with_a_button_for_their_own_pledges(
        app: App, clock: FrozenClock, notifier: RecordingNotifier):
    issue_id = await the_group(app, notifier)
    await at(app, clock, D14)
    await app.press(DAN, pledges.PLEDGE_ACTION, f"{issue_id}-contact")

    await at(app, clock, D7 + timedelta(hours=2))

    [ask] = [s for s in notifier.to(ANNOUNCEMENTS) if s.text.startswith("Gjorde du det?")]
    assert ask.reply.mentions == ("dan",)
    assert [b.action for b in ask.reply.buttons] == [pledges.MINE_ACTION]
    mine = await app.press(DAN, pledges.MINE_ACTION, str(issue_id))
    assert [b.action for b in mine.buttons] == [pledges.KEPT_ACTION, pledges.MISSED_ACTION]
    missed = await app.press(DAN, pledges.MISSED_ACTION, mine.buttons[1].arg)
    assert render(missed.body, "sv").startswith("Inga problem – det finns fortfarande tid")


async def test_pledge_without_options_lists_your_pledges_and_refuses_after_the_vote(
        app: App, clock: FrozenClock, notifier: RecordingNotifier):
    issue_id = await the_group(app, notifier)
    menu = await app.run(ANNA, pledges.pledge, issue="Parkering")
    assert [b.arg for b in menu.buttons] == [f"{issue_id}-tweet", f"{issue_id}-contact", f"{issue_id}-attend"]
    await app.run(ANNA, pledges.pledge, kind=pledges.PLEDGE.read("tweeta"))  # the only open issue

    mine = await app.run(ANNA, pledges.pledge)

    assert "🐦 tweeta – Parkering i centrum: lovat" in render(mine.fields[0].value, "sv")
    with pytest.raises(FieldProblem):  # as the edges read a kind
        pledges.PLEDGE.read("dansa")
    clock.set(DECISION + timedelta(minutes=1))
    with pytest.raises(UserError) as late:
        await app.run(ANNA, pledges.pledge, issue="Parkering", kind=pledges.PledgeKind.TWEET)
    assert late.value.text.key == "pledge.too_late"


# -- my data ----------------------------------------------------------------------------------------------

async def test_pledges_are_in_the_members_export(app: App, notifier: RecordingNotifier):
    issue_id = await the_group(app, notifier)
    await app.press(ANNA, pledges.PLEDGE_ACTION, f"{issue_id}-contact")

    reply = await app.run(ANNA, mydata.export)

    exported = json.loads(reply.files[0].data)
    [pledge] = exported["pledges"]
    assert (pledge["issue"], pledge["kind"], pledge["stage"], pledge["status"]) == (
        "Parkering i centrum",
        "contact",
        "d14",
        "made",
    )
