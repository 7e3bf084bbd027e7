"""Rapid response: the alert to the followers of an issue or a municipality, one press per member counted as
an action, the live tally refreshed in batches, quiet hours (and urgent alerts that cross them), a restart in
the middle, the close with its tally, and bad input explained."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot import delivery, reminders
from bot.app import App
from bot.clock import FrozenClock
from bot.errors import NotCoordinator, UserError
from bot.i18n import render
from bot.models import Action, Delivery, Follow, LiveMessage, Member, RapidAnswer, RapidResponse, Reminder
from bot.services import follows, profile, rapid
from bot.services.context import Identity
from bot.validation import FormProblems
from tests.conftest import RecordingNotifier, identity
from tests.issue_fixtures import ANNA, BO, CIA, COORDINATOR, DAN, OLLE, create_issue
from tests.support.countdowns import ANNOUNCEMENTS, COORDINATORS, local
from tests.support.onboarding import onboard
from tests.support.replies import shown

LINK = "https://x.com/kommunalrad/status/1234"
ASK = "Svara och berätta vad parkeringen betyder för din butik."
EDITS = "edit:coordinators"


async def the_members(app: App) -> None:
    """Anna, Bo and Cia follow Karlskrona with DMs, Dan without; Olle follows Ronneby."""
    for who in (ANNA, BO, CIA):
        await onboard(app, who)
    await onboard(app, DAN, dm=False)
    await onboard(app, OLLE, municipality="Ronneby")


async def start(app: App, **changes: object) -> tuple[str, int]:
    """Start a rapid response for Karlskrona's followers (2 hours); return the reply as shown and its id."""
    quiet = (app.settings.quiet_hours_start, app.settings.quiet_hours_end)
    values: dict[str, object] = {"link": LINK, "ask": ASK, "deadline": "2h", "municipality": "Karlskrona"}
    reply = await app.run(COORDINATOR, rapid.start, quiet=quiet, **(values | changes))
    async with app.sessionmaker() as session:
        rapid_id = await session.scalar(select(func.max(RapidResponse.id)))
    assert rapid_id is not None
    return shown(reply), rapid_id


async def press(app: App, who: Identity, rapid_id: int) -> str:
    return render((await app.press(who, rapid.DONE_ACTION, str(rapid_id))).body, "sv")


async def at(app: App, clock: FrozenClock, when: datetime) -> None:
    clock.set(when)
    await app.dispatcher.run_due()


async def statuses(app: App, prefix: str) -> dict[str, str]:
    """The deliveries to members (by external id) and their status."""
    async with app.sessionmaker() as session:
        rows = (await session.execute(select(Delivery.key, Delivery.status, Delivery.member_id)
                                      .where(Delivery.member_id.is_not(None)))).all()
        names = dict((await session.execute(select(Member.id, Member.external_id))).all())
    return {names[member_id]: status for key, status, member_id in rows if key.startswith(prefix)}


async def test_the_followers_of_the_municipality_get_the_alert_and_the_coordinator_is_told_who(
        app: App, clock: FrozenClock, notifier: RecordingNotifier):
    await the_members(app)
    notifier.sent.clear()

    said, rapid_id = await start(app)
    assert "4 följare larmas: 3 via DM, 1 nämns i kanalen." in said
    await app.dispatcher.run_due()

    assert {s.to for s in notifier.sent if s.to.startswith("dm:")} == {"dm:anna", "dm:bo", "dm:cia"}
    post = notifier.to(ANNOUNCEMENTS)[-1]
    assert post.reply.mentions == ("dan",)
    assert ASK in post.text and LINK in post.text
    # The drafts carry the municipality, the campaign's hashtag and the link, and fit X.
    assert "Förslag 1" in post.text and "#BlekingeFöretagare" in post.text
    assert post.reply.links[0].url == LINK
    assert len(post.reply.links) == 1 + rapid.DRAFTS
    # The coordinators' live tally: nobody yet, of four.
    live = notifier.to(COORDINATORS)[-1]
    assert "0 av 4" in live.text
    async with app.sessionmaker() as session:
        row = await session.scalar(select(LiveMessage).where(LiveMessage.key == rapid.live_key(rapid_id)))
    assert row is not None and row.message_id is not None


async def test_members_whose_dms_are_closed_get_the_alert_in_the_channel_and_their_press_counts(
        app: App, notifier: RecordingNotifier):
    await the_members(app)
    notifier.closed |= {"anna", "bo"}
    notifier.sent.clear()

    _, rapid_id = await start(app)
    await app.dispatcher.run_due()

    assert {s.to for s in notifier.sent if s.to.startswith("dm:")} == {"dm:cia"}
    fallback = notifier.to(ANNOUNCEMENTS)[-1]
    # Named once each in one channel message that carries the alert and its button, which they press there.
    assert fallback.reply.mentions == ("anna", "bo") and ASK in fallback.text
    assert (rapid.DONE_ACTION, str(rapid_id)) in [(b.action, b.arg) for b in fallback.reply.buttons]
    assert "Du är med i räkningen" in await press(app, ANNA, rapid_id)
    async with app.sessionmaker() as session:
        pressed = list(await session.scalars(select(Member.external_id).join(
            RapidAnswer, RapidAnswer.member_id == Member.id)))
    assert pressed == ["anna"]


async def test_the_followers_of_an_issue_include_those_who_follow_only_the_issue(
        app: App, notifier: RecordingNotifier):
    await the_members(app)
    issue_id = await create_issue(app)
    await app.run(OLLE, follows.follow, issue=str(issue_id))
    await app.dispatcher.run_due()
    notifier.sent.clear()

    said, _ = await start(app, municipality=None, issue=str(issue_id))
    await app.dispatcher.run_due()

    assert "5 följare larmas: 4 via DM" in said
    dms = {s.to for s in notifier.sent if s.to.startswith("dm:")}
    assert dms == {"dm:anna", "dm:bo", "dm:cia", "dm:olle"}
    # With an issue, its own hashtag.
    assert "#ParkeraKarlskrona" in notifier.to(ANNOUNCEMENTS)[-1].text


async def test_a_press_counts_once_and_is_an_action(app: App, notifier: RecordingNotifier):
    await the_members(app)
    _, rapid_id = await start(app)
    await app.dispatcher.run_due()

    assert (await press(app, ANNA, rapid_id)).startswith("Tack! Du är med i räkningen.")
    assert await press(app, ANNA, rapid_id) == "Du är redan med i räkningen. Tack!"
    # The link form adds the link to the same answer, and to the same action.
    added = await app.submit(ANNA, rapid.LINK_FORM, {"link": "x.com/anna/status/1"}, str(rapid_id))
    assert render(added.body, "sv") == "Länken är sparad. Tack!"

    async with app.sessionmaker() as session:
        answers = list(await session.scalars(select(RapidAnswer)))
        actions = list(await session.scalars(select(Action).where(Action.source == f"rapid:{rapid_id}")))
    assert len(answers) == 1 and answers[0].link == "https://x.com/anna/status/1"
    assert [(a.kind, a.link) for a in actions] == [("tweet", "https://x.com/anna/status/1")]


async def test_a_burst_of_presses_is_one_edit_of_the_live_tally(
        app: App, clock: FrozenClock, notifier: RecordingNotifier):
    await the_members(app)
    _, rapid_id = await start(app)
    await app.dispatcher.run_due()
    notifier.sent.clear()

    for who in (ANNA, BO, CIA, DAN):
        await press(app, who, rapid_id)
        clock.advance(timedelta(seconds=1))
        await app.dispatcher.run_due()  # nothing is due yet: the one refresh waits for the burst
    async with app.sessionmaker() as session:
        pending = await session.scalar(select(func.count(Reminder.id)).where(
            Reminder.kind == rapid.LIVE_KIND, Reminder.status == reminders.PENDING))
    assert pending == 1
    assert notifier.to(EDITS) == []

    await at(app, clock, clock.now() + rapid.REFRESH_DELAY)
    edits = notifier.to(EDITS)
    assert len(edits) == 1
    assert "4 av 4" in edits[0].text and "Anna, Bo, Cia, Dan" in edits[0].text


async def test_a_burst_of_fifty_presses_is_a_handful_of_edits(
        app: App, clock: FrozenClock, notifier: RecordingNotifier):
    await onboard(app, ANNA)
    async with app.sessionmaker() as session, session.begin():
        workspace_id = await session.scalar(select(Member.workspace_id))
        session.add_all(Member(workspace_id=workspace_id, external_id=f"m{n}", display_name=f"M{n}",
                               joined_at=clock.now(), consented_at=clock.now(), onboarded_at=clock.now(),
                               dm_reminders=False, dm_open=True) for n in range(50))
        await session.flush()
        ids = list(await session.scalars(select(Member.id).where(Member.external_id.like("m%"))))
        session.add_all(Follow(workspace_id=workspace_id, member_id=member_id, kind=follows.MUNICIPALITY,
                               value="karlskrona", created_at=clock.now()) for member_id in ids)
    _, rapid_id = await start(app)
    await app.dispatcher.run_due()
    notifier.sent.clear()

    # Fifty presses over 25 seconds, the dispatcher running after each as a live bot would.
    for n in range(50):
        await press(app, identity(f"m{n}"), rapid_id)
        clock.advance(timedelta(milliseconds=500))
        await app.dispatcher.run_due()
    await at(app, clock, clock.now() + rapid.REFRESH_DELAY)

    edits = notifier.to(EDITS)
    assert 1 <= len(edits) <= 6  # one per REFRESH_DELAY at most, never one per press
    assert "50 av 51" in edits[-1].text and "och 35 till" in edits[-1].text


async def test_a_member_who_reads_english_is_told_why_the_drafts_are_in_swedish(
        app: App, notifier: RecordingNotifier):
    await the_members(app)
    await app.run(ANNA, profile.set_language, "en")
    notifier.sent.clear()

    await start(app)
    await app.dispatcher.run_due()

    [anna] = notifier.to("dm:anna")
    [bo] = notifier.to("dm:bo")
    assert "Rapid response: help now" in anna.text and "The texts to post are in Swedish" in anna.text
    assert "Som företagare i Karlskrona" in anna.text  # the draft itself is for the town
    assert "Texterna att publicera" not in bo.text


async def test_quiet_hours_hold_the_dms_until_the_alert_expires_while_the_channel_hears_at_once(
        app: App, clock: FrozenClock, notifier: RecordingNotifier):
    await the_members(app)
    clock.set(local(2026, 12, 1, 22))
    notifier.sent.clear()

    said, _ = await start(app)
    assert "3 medlemmar får det inte före tidsgränsen, eftersom det är tysta timmar." in said
    await app.dispatcher.run_due()
    assert not [s for s in notifier.sent if s.to.startswith("dm:")]
    assert ASK in notifier.to(ANNOUNCEMENTS)[-1].text

    await at(app, clock, local(2026, 12, 2, 8, 1))
    assert not [s for s in notifier.sent if s.to.startswith("dm:")]
    assert set((await statuses(app, "")).values()) == {delivery.EXPIRED}


async def test_a_short_quiet_wait_is_told_with_its_end(app: App, clock: FrozenClock):
    await the_members(app)
    clock.set(local(2026, 12, 2, 7, 30))

    said, _ = await start(app)

    assert "Det är tysta timmar: 3 DM väntar till" in said


async def test_an_urgent_alert_goes_out_at_night_but_not_to_who_opted_out(
        app: App, clock: FrozenClock, notifier: RecordingNotifier):
    await the_members(app)
    refused = await app.run(BO, rapid.urgent_setting, allow=False)
    assert render(refused.body, "sv").startswith("Brådskande snabbresponser väntar till morgonen")
    shown_again = render((await app.run(BO, rapid.urgent_setting)).body, "sv")
    assert shown_again == render(refused.body, "sv")
    clock.set(local(2026, 12, 1, 23))
    notifier.sent.clear()

    said, _ = await start(app, urgent=True)
    await app.dispatcher.run_due()

    assert "1 medlem har valt bort brådskande larm på natten" in said
    assert {s.to for s in notifier.sent if s.to.startswith("dm:")} == {"dm:anna", "dm:cia"}
    assert (await statuses(app, ""))["bo"] == delivery.PENDING


async def test_a_restart_in_the_middle_loses_nothing_and_sends_nothing_twice(
        app: App, clock: FrozenClock, notifier: RecordingNotifier, settings):
    await the_members(app)
    _, rapid_id = await start(app)
    await app.dispatcher.run_due()
    await press(app, ANNA, rapid_id)
    dms_before = [s.to for s in notifier.sent if s.to.startswith("dm:")]

    # The bot stops, and starts again only after the deadline: the close still runs, once.
    restarted = App(settings, clock)
    restarted.dispatcher.notifier = notifier
    try:
        await restarted.dispatcher.resume()
        clock.set(clock.now() + timedelta(hours=5))
        await restarted.dispatcher.run_due()
        await restarted.dispatcher.run_due()
        after = render((await restarted.press(BO, rapid.DONE_ACTION, str(rapid_id))).body, "sv")
    finally:
        await restarted.close()

    assert [s.to for s in notifier.sent if s.to.startswith("dm:")] == dms_before
    thanks = [s for s in notifier.to(ANNOUNCEMENTS) if s.text.startswith("⚡ Tack för snabbresponsen")]
    assert len(thanks) == 1 and "1 av oss svarade eller delade (av 4 som larmades)" in thanks[0].text
    assert after.startswith("Den här snabbresponsen är stängd.")
    assert notifier.dropped_repeats == 0


async def test_the_deadline_closes_it_with_the_tally(app: App, clock: FrozenClock,
                                                     notifier: RecordingNotifier):
    await the_members(app)
    _, rapid_id = await start(app)
    await app.dispatcher.run_due()
    await press(app, ANNA, rapid_id)
    await press(app, CIA, rapid_id)

    await at(app, clock, clock.now() + timedelta(hours=2))

    final = notifier.to(EDITS)[-1]
    assert final.text.startswith("⚡ Snabbrespons stängd: Karlskrona") and "2 av 4" in final.text
    thanks = notifier.to(ANNOUNCEMENTS)[-1]
    assert "2 av oss svarade eller delade (av 4 som larmades)" in thanks.text
    assert "Anna" not in thanks.text  # numbers, no names
    assert (await press(app, BO, rapid_id)).startswith("Den här snabbresponsen är stängd.")
    listed = shown(await app.run(COORDINATOR, rapid.list_rapid))
    assert f"#{rapid_id} {ASK}: 2 av 4, stängd" in listed


async def test_a_coordinator_closes_one_early(app: App, clock: FrozenClock, notifier: RecordingNotifier):
    await the_members(app)
    _, rapid_id = await start(app)
    await app.dispatcher.run_due()
    await press(app, ANNA, rapid_id)

    closed = await app.run(COORDINATOR, rapid.close)
    await app.dispatcher.run_due()

    assert render(closed.body, "sv").startswith(f"Snabbrespons #{rapid_id} är stängd: 1 av 4")
    assert "1 av oss svarade" in notifier.to(ANNOUNCEMENTS)[-1].text
    with pytest.raises(UserError) as again:
        await app.run(COORDINATOR, rapid.close, number=str(rapid_id))
    assert again.value.text.key == "rapid.close.already"
    # The close at the deadline does not come again.
    await at(app, clock, clock.now() + timedelta(hours=3))
    assert len([s for s in notifier.to(ANNOUNCEMENTS) if s.text.startswith("⚡ Tack")]) == 1


async def test_members_may_not_start_one(app: App):
    await the_members(app)
    with pytest.raises(NotCoordinator):
        await app.run(ANNA, rapid.start, link=LINK, ask=ASK, deadline="2h", municipality="Karlskrona")


@pytest.mark.parametrize(("changes", "problem_keys"), [
    ({"municipality": None}, ["rapid.target_required"]),
    ({"link": "inte en länk"}, ["errors.url"]),
    ({"link": "ftp://example.com/x"}, ["errors.url_scheme"]),
    ({"deadline": "i dag 08:00"}, ["time.past"]),
    ({"deadline": "3 dec 18:00"}, ["rapid.deadline.too_far"]),
    ({"deadline": "2m"}, ["rapid.deadline.too_soon"]),
    ({"deadline": "snart", "ask": ""}, ["errors.required", "time.unreadable"]),
])
async def test_bad_input_is_explained_and_starts_nothing(app: App, changes: dict[str, str | None],
                                                         problem_keys: list[str]):
    with pytest.raises(UserError) as error:
        await start(app, **changes)

    problems = error.value.problems if isinstance(error.value, FormProblems) else [error.value]
    assert [p.problem.key for p in problems] == problem_keys
    async with app.sessionmaker() as session:
        assert await session.scalar(select(func.count(RapidResponse.id))) == 0
        assert await session.scalar(select(func.count(Reminder.id)).where(Reminder.kind.like("rapid%"))) == 0


async def test_bad_input_is_named_in_the_readers_language(app: App):
    with pytest.raises(UserError) as error:
        await app.run(COORDINATOR, rapid.start, link=LINK, ask=ASK, deadline="3 dec 18:00",
                      municipality="Karlskrona")
    assert render(error.value.text, "sv") == (
        "Senast: En snabbrespons får pågå högst 48 timmar. För längre kampanjer passar en fråga med "
        "nedräkning bättre.")
    assert render(error.value.text, "en") == (
        "Time limit: A rapid response may last at most 48 hours. For longer campaigns an issue with a "
        "countdown fits better.")


@pytest.mark.parametrize(("typed", "minutes"), [("2h", 120), ("30m", 30), ("1h30m", 90), ("90 min", 90),
                                                ("2 timmar", 120), ("om 45 min", 45), ("i dag 12:00", 120)])
def test_a_deadline_reads_durations_and_times(typed: str, minutes: int):
    now = local(2026, 12, 1, 10)
    assert rapid.parse_deadline(typed, now, "Europe/Stockholm") == now + timedelta(minutes=minutes)


def test_a_bare_clock_time_is_today():
    now = local(2026, 12, 1, 20, 30)
    assert rapid.parse_deadline("22:30", now, "Europe/Stockholm") == local(2026, 12, 1, 22, 30)
