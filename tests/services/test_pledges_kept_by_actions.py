"""Pledges kept by the actions that match them, however they were logged: /did, an ask, a reported contact."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.app import App
from bot.clock import FrozenClock
from bot.models import Issue, Pledge
from bot.services import activity, asks, contacts, countdowns, pledges
from bot.services.activity import ActivityKind, ContactChannel
from tests.conftest import RecordingNotifier
from tests.issue_fixtures import ANNA, COORDINATOR, create_issue
from tests.support.countdowns import D14, DECISION, at, the_group
from tests.support.replies import fields_of


async def pledge_statuses(app: App) -> list[tuple[int, str, str, int | None]]:
    async with app.sessionmaker() as session:
        return [(p.issue_id, p.kind, p.status, p.kept_by_action_id)
                for p in await session.scalars(select(Pledge).order_by(Pledge.id))]


async def test_did_a_tweet_keeps_the_tweet_pledge_and_says_so(app: App, clock: FrozenClock,
                                                               notifier: RecordingNotifier):
    issue_id = await the_group(app, notifier)
    await at(app, clock, D14)
    await app.press(ANNA, pledges.PLEDGE_ACTION, f"{issue_id}-tweet")
    await app.press(ANNA, pledges.PLEDGE_ACTION, f"{issue_id}-contact")

    clock.set(D14 + timedelta(hours=1))
    reply = await app.run(ANNA, activity.did, kind=ActivityKind.TWEET, issue="Parkering")

    assert fields_of(reply)["Löfte"] == (
        "Det räknas också som ditt löfte att tweeta inför Parkering i centrum ✅")
    assert fields_of(reply, "en")["Pledge"] == (
        "It also counts as your pledge to tweet before Parkering i centrum ✅")
    [(_, _, tweet, kept_by), (_, _, contact, _)] = await pledge_statuses(app)
    assert (tweet, contact) == ("kept", "made") and kept_by is not None
    # A second tweet keeps nothing more: the tweet pledge is kept, and a blog post keeps none.
    again = await app.run(ANNA, activity.did, kind=ActivityKind.BLOG, issue="Parkering")
    assert "Löfte" not in fields_of(again)


async def test_an_ask_and_a_phone_call_each_keep_a_contact_pledge(app: App, clock: FrozenClock,
                                                                  notifier: RecordingNotifier):
    issue_id = await the_group(app, notifier)
    other_id = await create_issue(app, title="Skolmat", hashtag="LokalMat", decision="20 jan 18:00",
                                  ask_days="0")
    await at(app, clock, D14)
    await app.press(ANNA, pledges.PLEDGE_ACTION, f"{issue_id}-contact")
    await app.press(ANNA, pledges.PLEDGE_ACTION, f"{other_id}-contact")

    clock.set(D14 + timedelta(hours=1))
    asked = await app.run(ANNA, asks.mark_asked, issue="Parkering", politician="Åsa Ek",
                          link="https://x.com/anna/status/1")
    # The answer, later, records the same question again: its reply does not claim the pledge again.
    clock.set(D14 + timedelta(hours=2))
    answered = await app.press(ANNA, asks.ANSWER_ACTION, f"{issue_id}-for")
    called = await app.run(ANNA, contacts.contact, politician="David Lund", how=ContactChannel.PHONE,
                           issue="Skolmat")

    assert fields_of(asked)["Löfte"].startswith(
        "Det räknas också som ditt löfte att kontakta en politiker inför Parkering i centrum")
    assert "Löfte" not in fields_of(answered)
    assert fields_of(called)["Löfte"].endswith("inför Skolmat ✅")
    assert [(i, status) for i, _, status, _ in await pledge_statuses(app)] == [(issue_id, "kept"),
                                                                              (other_id, "kept")]


async def test_a_pledge_of_another_issue_is_not_kept_and_an_action_without_one_keeps_the_soonest(
        app: App, clock: FrozenClock, notifier: RecordingNotifier):
    issue_id = await the_group(app, notifier)
    other_id = await create_issue(app, title="Skolmat", hashtag="LokalMat", decision="20 jan 18:00",
                                  ask_days="0")
    await at(app, clock, D14)
    await app.press(ANNA, pledges.PLEDGE_ACTION, f"{other_id}-tweet")
    await app.press(ANNA, pledges.PLEDGE_ACTION, f"{other_id}-contact")
    await app.press(ANNA, pledges.PLEDGE_ACTION, f"{issue_id}-contact")

    clock.set(D14 + timedelta(hours=1))
    tweeted = await app.run(ANNA, activity.did, kind=ActivityKind.TWEET, issue="Parkering")
    met = await app.run(ANNA, contacts.contact, politician="Åsa Ek", how=ContactChannel.FIKA)

    assert "Löfte" not in fields_of(tweeted)
    # Parkering is decided before Skolmat: the fika counts for it.
    assert fields_of(met)["Löfte"].endswith("inför Parkering i centrum ✅")
    assert [(i, kind, status) for i, kind, status, _ in await pledge_statuses(app)] == [
        (other_id, "tweet", "made"), (other_id, "contact", "made"), (issue_id, "contact", "kept")]


async def test_an_action_before_the_pledge_does_not_keep_it(app: App, clock: FrozenClock,
                                                            notifier: RecordingNotifier):
    issue_id = await the_group(app, notifier)
    await at(app, clock, D14)
    await app.run(ANNA, activity.did, kind=ActivityKind.TWEET, issue="Parkering")

    clock.set(D14 + timedelta(hours=1))
    await app.press(ANNA, pledges.PLEDGE_ACTION, f"{issue_id}-tweet")
    # An attempt recorded after the pledge keeps nothing either: it was not done.
    await app.run(ANNA, activity.did, kind=ActivityKind.TWEET, issue="Parkering",
                  status=activity.ActivityStatus.ATTEMPTED)

    assert [status for _, _, status, _ in await pledge_statuses(app)] == ["made"]


async def test_the_pledges_own_kept_button_keeps_only_that_pledge(app: App, clock: FrozenClock,
                                                                  notifier: RecordingNotifier):
    issue_id = await the_group(app, notifier)
    await at(app, clock, D14)
    await app.press(ANNA, pledges.PLEDGE_ACTION, f"{issue_id}-tweet")
    mine = await app.press(ANNA, pledges.MINE_ACTION, str(issue_id))

    await app.press(ANNA, pledges.KEPT_ACTION, mine.buttons[0].arg)
    # A later stage's tweet pledge is a promise to tweet again: the button's action did not keep it.
    clock.set(D14 + timedelta(days=7, hours=1))
    await app.press(ANNA, pledges.PLEDGE_ACTION, f"{issue_id}-tweet")

    [(_, _, first, kept_by), (_, _, second, _)] = await pledge_statuses(app)
    assert (first, second) == ("kept", "made") and kept_by is not None


async def test_a_won_vote_shows_every_pledge_kept_by_the_actions(app: App, clock: FrozenClock,
                                                                 notifier: RecordingNotifier):
    issue_id = await the_group(app, notifier)
    await at(app, clock, D14)
    await app.press(ANNA, pledges.PLEDGE_ACTION, f"{issue_id}-tweet")
    await app.press(ANNA, pledges.PLEDGE_ACTION, f"{issue_id}-contact")
    clock.set(D14 + timedelta(hours=1))
    await app.run(ANNA, activity.did, kind=ActivityKind.TWEET, issue="Parkering")
    await app.run(ANNA, contacts.contact, politician="David Lund", how=ContactChannel.PHONE,
                  issue="Parkering")

    clock.set(DECISION + timedelta(hours=2))
    await app.run(COORDINATOR, countdowns.record_outcome, issue="Parkering", result="won")
    async with app.sessionmaker() as session:
        issue = await session.get_one(Issue, issue_id)
        summary = await countdowns.outcome_reply(session, issue, "sv")

    assert fields_of(summary)["Löften"].startswith("▰▰▰▰▰▰▰▰▰▰ 2 av 2 genomförda")
