"""Peers who teach peers: members opt in to learn or teach; a round pairs them (municipality first, then
industry, no pair twice in a row when it can be helped), DMs each an introduction, and asks two weeks later
whether they met; coordinators turn it on, set the rhythm and see the pairs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot import reminders
from bot.app import App
from bot.clock import FrozenClock
from bot.delivery import SHOW_PERSONAL_ACTION
from bot.errors import NotCoordinator, UserError
from bot.i18n import render
from bot.models import Action, Member, PeerPair, PeerRound, Reminder, Workspace
from bot.replies import Channel
from bot.services import issues, ladder, mydata, pairing
from bot.services.pairing import Candidate, pair_up
from bot.validation import FieldProblem
from tests.conftest import RecordingNotifier, identity
from tests.issue_fixtures import ISSUE
from tests.support.onboarding import onboard
from tests.support.replies import field_value, shown

COORDINATOR = identity("karin", coordinator=True)
ANNA, BO, CIA, DAN, EVA = (identity(name) for name in ("anna", "bo", "cia", "dan", "eva"))
# Monday 7 December 2026, 10:00 in Stockholm: the first Monday of the month after the suite's start.
FIRST_ROUND = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


# -- the pairing itself (no database) ------------------------------------------------------------------------


def test_a_learner_is_paired_in_their_municipality_first_then_their_industry_then_with_anyone():
    anna = Candidate(1, "karlskrona", "retail")
    cia = Candidate(3, "ronneby", "tech")
    eva = Candidate(5, "olofstrom", "health")
    bo_tech = Candidate(2, "karlshamn", "tech")
    dan_karlskrona = Candidate(4, "karlskrona", "construction")
    fia_far = Candidate(6, "solvesborg", "culture")

    matched, left_over = pair_up([anna, cia, eva], [bo_tech, dan_karlskrona, fia_far], set())

    assert matched == [(anna, dan_karlskrona), (cia, bo_tech), (eva, fia_far)]
    assert left_over == []


def test_the_municipality_wins_over_the_industry_even_for_a_later_learner():
    anna = Candidate(1, "karlskrona", "tech")
    cia = Candidate(3, "ronneby", "retail")
    bo = Candidate(2, "ronneby", "tech")  # Anna's industry, Cia's municipality

    matched, _ = pair_up([anna, cia], [bo], set())

    assert matched == [(cia, bo)]


def test_learners_beyond_the_teachers_are_left_over_in_their_order():
    anna, cia, eva = Candidate(1, "karlskrona"), Candidate(3, "karlskrona"), Candidate(5, "karlskrona")
    bo = Candidate(2, "ronneby")

    matched, left_over = pair_up([anna, cia, eva], [bo], set())

    assert matched == [(anna, bo)]
    assert left_over == [cia, eva]


def test_nobody_is_paired_with_the_same_peer_twice_in_a_row_unless_there_is_no_one_else():
    anna, cia = Candidate(1, "karlskrona"), Candidate(3, "ronneby")
    bo, dan = Candidate(2, "karlskrona"), Candidate(4, "ronneby")

    fresh, _ = pair_up([anna, cia], [bo, dan], {(1, 2), (3, 4)})
    only_one, _ = pair_up([anna], [bo], {(1, 2)})

    assert fresh == [(anna, dan), (cia, bo)]
    assert only_one == [(anna, bo)]


def test_the_same_members_give_the_same_pairs():
    learners = [Candidate(i, "karlskrona" if i % 3 else "ronneby", "tech" if i % 2 else "retail")
                for i in range(1, 20, 2)]
    teachers = [Candidate(i, "ronneby" if i % 4 else "karlskrona", "retail") for i in range(2, 14, 2)]

    assert pair_up(learners, teachers, {(1, 2)}) == pair_up(learners, teachers, {(1, 2)})


# -- members -------------------------------------------------------------------------------------------------


async def test_a_member_joins_as_their_experience_suggests_and_may_choose_the_other_role(app: App):
    await onboard(app, ANNA, experience="none")
    await onboard(app, BO, experience="active")

    anna = await app.run(ANNA, pairing.join)
    bo = await app.run(BO, pairing.join)
    again = await app.run(ANNA, pairing.join)
    switched = await app.run(ANNA, pairing.join, role="lära ut")

    assert render(anna.body, "sv").startswith("Välkommen in! Din roll: lära mig.")
    assert field_value(anna, "Nästa omgång") == "Koordinatorerna har inte satt igång omgångarna än."
    assert render(bo.body, "sv").startswith("Välkommen in! Din roll: lära ut.")
    assert render(again.body, "sv").startswith("Du är redan med. Din roll: lära mig.")
    assert render(switched.body, "sv") == "Ändrat från nästa omgång. Din roll: lära ut."
    status = await app.run(ANNA, pairing.status)
    assert field_value(status, "Roll") == "lära ut"


async def test_a_member_who_leaves_is_told_and_is_out(app: App):
    await onboard(app, ANNA)
    await app.run(ANNA, pairing.join)

    left = await app.run(ANNA, pairing.leave)
    again = await app.run(ANNA, pairing.leave)

    assert render(left.body, "sv").startswith("Du är inte med längre")
    assert render(again.body, "sv").startswith("Du är inte med i fadderomgångarna.")
    assert render((await app.run(ANNA, pairing.status)).body, "sv").startswith("Du är inte med")


async def test_only_an_onboarded_member_may_join_and_a_wrong_role_is_named(app: App):
    with pytest.raises(UserError) as not_onboarded:
        await app.run(ANNA, pairing.join)
    await onboard(app, BO)
    with pytest.raises(FieldProblem) as wrong_role:
        await app.run(BO, pairing.join, role="rektor")

    assert not_onboarded.value.text.key == "profile.not_onboarded"
    assert render(wrong_role.value.text, "sv").startswith("Roll: ")
    assert render(wrong_role.value.text, "en").startswith("Role: ")


# -- coordinators: the settings ------------------------------------------------------------------------------


async def pending_rounds(app: App) -> list[datetime]:
    async with app.sessionmaker() as session:
        return list(await session.scalars(select(Reminder.due_at).where(
            Reminder.kind == pairing.ROUND_KIND, Reminder.status == reminders.PENDING)
            .order_by(Reminder.due_at)))


async def test_the_rounds_are_off_until_a_coordinator_turns_them_on_monthly_on_the_first_monday(app: App):
    await onboard(app, ANNA)
    await app.run(ANNA, pairing.join)
    assert await pending_rounds(app) == []

    with pytest.raises(NotCoordinator):
        await app.run(ANNA, pairing.configure, enabled=True)
    reply = await app.run(COORDINATOR, pairing.configure, enabled=True)

    assert render(reply.body, "sv") == "Sparat. Så här går fadderomgångarna nu:"
    assert field_value(reply, "När") == "Första måndagen i månaden kl. 10:00"
    assert field_value(reply, "Rytm") == "Varje månad"
    assert field_value(reply, "Med just nu") == "1 vill lära sig, 0 vill lära ut"
    assert await pending_rounds(app) == [FIRST_ROUND]


async def test_the_rhythm_day_and_hour_move_the_next_round_and_off_cancels_it(app: App):
    reply = await app.run(COORDINATOR, pairing.configure, enabled=True, rhythm="every_2_weeks", day="tisdag",
                          hour=16)

    assert field_value(reply, "När") == "Varannan tisdag kl. 16:00"
    # Every other week counted from Monday 1 January 2024: this week is one, and 16:00 is still ahead today.
    [due] = await pending_rounds(app)
    assert due == datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
    assert pairing.next_round_at(pairing.PairingSettings(True, pairing.Rhythm.EVERY_2_WEEKS, 2, 16),
                                 "Europe/Stockholm", due) == due + timedelta(days=14)

    await app.run(COORDINATOR, pairing.configure, enabled=False)
    assert await pending_rounds(app) == []


@pytest.mark.parametrize(("language", "options", "expected"), [
    ("sv", {"hour": 24}, "Timme: 24 är ingen timme; skriv en timme från 0 till 23."),
    ("en", {"hour": 24}, "Hour: 24 is not an hour; give an hour from 0 to 23."),
    ("sv", {"day": "blåmåndag"},
     "Dag: Jag förstår inte dagen ”blåmåndag”; skriv en veckodag, till exempel måndag."),
    ("en", {"rhythm": "yearly"}, "Rhythm"),
])
async def test_bad_settings_are_refused_by_name_and_nothing_is_saved(app: App, language: str, options: dict,
                                                                      expected: str):
    with pytest.raises(FieldProblem) as refused:
        await app.run(COORDINATOR, pairing.configure, enabled=True, **options)

    assert render(refused.value.text, language).startswith(expected)
    assert await pending_rounds(app) == []


# -- a round -------------------------------------------------------------------------------------------------


async def join_all(app: App) -> None:
    """Anna (Karlskrona, retail) and Cia (Ronneby, tech) want to learn; Bo (Karlskrona, on X) and Dan
    (Karlshamn, tech) teach; Eva (Olofström) wants to learn too: one learner more than teachers."""
    await onboard(app, ANNA, municipality="karlskrona", industry="retail", experience="none")
    await onboard(app, BO, municipality="karlskrona", industry="construction", experience="active",
                  company="Bos Bygg", x_handle="@bosbygg")
    await onboard(app, CIA, municipality="ronneby", industry="tech", experience="beginner",
                  company="Cias IT")
    await onboard(app, DAN, municipality="karlshamn", industry="tech", experience="active",
                  company="Dans Data")
    await onboard(app, EVA, municipality="olofstrom", industry="health", experience="none",
                  company="Evas Vård")
    for who in (ANNA, BO, CIA, DAN, EVA):
        await app.run(who, pairing.join)


def intro(notifier: RecordingNotifier, name: str) -> str:
    """The text of the one pairing DM (an introduction, or the note to one left over) a member got."""
    [sent] = [s.text for s in notifier.to(f"dm:{name}")
              if s.text.startswith(("🤝 Din fadderkontakt", "Den här omgången"))]
    return sent


def checkins(notifier: RecordingNotifier, name: str) -> list:
    return [s for s in notifier.to(f"dm:{name}") if s.text.startswith("🤝 Har ni hunnit ses?")]


async def run_first_round(app: App, clock: FrozenClock, notifier: RecordingNotifier) -> None:
    await join_all(app)
    await app.run(COORDINATOR, pairing.configure, enabled=True)
    await app.dispatcher.run_due()
    notifier.sent.clear()
    clock.set(FIRST_ROUND)
    await app.dispatcher.run_due()


async def test_a_round_introduces_each_pair_by_dm_with_a_first_topic_and_tells_the_one_left_over(
        app: App, clock: FrozenClock, notifier: RecordingNotifier):
    await run_first_round(app, clock, notifier)

    anna, bo, cia, dan, eva = (intro(notifier, name) for name in ("anna", "bo", "cia", "dan", "eva"))
    # Anna and Bo share Karlskrona; Cia and Dan share an industry; Eva, who joined last, waits.
    assert "Du har parats ihop med Bo, som redan använder sociala medier" in anna
    first_step = render(ladder.Step("intro", "tweet", 1).title_text(), "sv")
    assert ("Om din kontakt: Namn: Bo\nFöretag: Bos Bygg\nBransch: Bygg och fastighet\nKommun: Karlskrona\n"
            "X: @bosbygg") in anna
    assert f"Förslag på första ämne: Nästa steg i coachningen för den som lär sig: {first_step}." in anna
    assert "Så når ni varandra: Skriv till @bo här" in anna
    assert "Du har parats ihop med Anna, som vill komma igång med sociala medier." in bo
    assert "X:" not in bo  # Anna has no X handle: nothing is said about one
    assert "Du har parats ihop med Dan" in cia and "Du har parats ihop med Cia" in dan
    assert eva.startswith("Den här omgången fanns det ingen erfaren medlem ledig för dig")
    # (The weekly digest goes to the coordinators that Monday morning too.)
    [summary] = [s for s in notifier.to(f"channel:{Channel.COORDINATORS}") if "Fadderomgången" in s.text]
    assert summary.text == ("🤝 Fadderomgången: 2 par ihopparade; 1 som vill lära sig fick ingen den här "
                            "gången, 0 som vill lära ut blev över.")
    # The next round: the first Monday of January.
    assert await pending_rounds(app) == [datetime(2027, 1, 4, 9, 0, tzinfo=UTC)]


async def test_a_learner_with_no_step_left_gets_an_open_issue_of_their_municipality(
        app: App, clock: FrozenClock, notifier: RecordingNotifier):
    await onboard(app, ANNA, municipality="karlskrona", experience="none")
    await onboard(app, BO, municipality="karlskrona", experience="active")
    await app.run(COORDINATOR, issues.create, **ISSUE)
    await app.run(COORDINATOR, ladder.configure_ladder, step="intro", active=False)
    for key in ("follow", "ask", "blog", "media", "story"):
        await app.run(ANNA, ladder.done, step=key)
    await app.run(ANNA, pairing.join)
    await app.run(BO, pairing.join)
    await app.dispatcher.run_due()
    notifier.sent.clear()

    await app.run(COORDINATOR, pairing.round_now)
    await app.dispatcher.run_due()

    anna = intro(notifier, "anna")
    assert ("Förslag på första ämne: Frågan ”Parkering i centrum” i Karlskrona: hur kan ni skriva om den "
            "så att politikerna lyssnar?") in anna


async def test_a_round_is_made_once_even_when_run_again_or_after_a_restart(
        app: App, clock: FrozenClock, notifier: RecordingNotifier):
    await run_first_round(app, clock, notifier)
    sent = len(notifier.sent)

    await app.dispatcher.run_due()
    async with app.sessionmaker() as session, session.begin():
        workspace = await session.scalar(select(Workspace))
        key = await session.scalar(select(PeerRound.key))
        # The planner asked again for the same round (as after a crash between its runs): nothing is made.
        again = await pairing.make_round(session, workspace, key, clock.now())
    await app.dispatcher.resume()
    await app.dispatcher.run_due()

    assert again == []
    assert len(notifier.sent) == sent and notifier.dropped_repeats == 0
    async with app.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(PeerRound)) == 1
        assert await session.scalar(select(func.count()).select_from(PeerPair)) == 2


async def test_a_closed_dm_reaches_the_member_through_the_channel(app: App, clock: FrozenClock,
                                                                   notifier: RecordingNotifier):
    notifier.closed.add("bo")

    await run_first_round(app, clock, notifier)

    assert notifier.to("dm:bo") == []
    posts = notifier.to(f"channel:{Channel.ANNOUNCEMENTS}")
    [for_bo] = [post for post in posts if "bo" in post.reply.mentions]
    # The channel sees only that there is a message for him: Anna's profile is opened by Bo alone.
    assert "Annas Blommor" not in for_bo.text and "Anna" not in for_bo.text
    [show] = [button for button in for_bo.reply.buttons if button.action == SHOW_PERSONAL_ACTION]
    opened = await app.press(BO, show.action, show.arg)
    assert "Du har parats ihop med Anna" in shown(opened)
    # The learner left over is not mentioned in a channel when her DMs are closed too.
    assert not any("eva" in post.reply.mentions for post in posts)


async def test_the_next_round_pairs_the_one_who_waited_first_and_no_pair_twice(
        app: App, clock: FrozenClock, notifier: RecordingNotifier):
    await run_first_round(app, clock, notifier)
    notifier.sent.clear()

    clock.set(datetime(2027, 1, 4, 9, 0, tzinfo=UTC))
    await app.dispatcher.run_due()

    # Eva waited: she goes first and gets a teacher (none shares her municipality or industry: the first free
    # one); Anna may not have Bo again, so she gets Dan; Cia, paired last time, is the one left over now.
    assert "Du har parats ihop med Bo" in intro(notifier, "eva")
    assert "Du har parats ihop med Dan" in intro(notifier, "anna")
    assert intro(notifier, "cia").startswith("Den här omgången fanns det ingen")


async def test_with_more_teachers_than_learners_the_teachers_take_turns(app: App, clock: FrozenClock,
                                                                        notifier: RecordingNotifier):
    await onboard(app, ANNA, municipality="karlskrona", experience="none")
    for teacher in (BO, CIA, DAN):
        await onboard(app, teacher, municipality="ronneby", experience="active")
    for who in (ANNA, BO, CIA, DAN):
        await app.run(who, pairing.join)

    teachers = []
    for _ in range(3):
        notifier.sent.clear()
        await app.run(COORDINATOR, pairing.round_now)
        await app.dispatcher.run_due()
        teachers.append(intro(notifier, "anna").split("Du har parats ihop med ")[1].split(",")[0])
        clock.advance(timedelta(days=1))

    # Bo joined first; then Cia (Bo would be the same pair twice in a row); then Dan, who waited longest.
    assert teachers == ["Bo", "Cia", "Dan"]


async def test_a_coordinator_can_make_a_round_now_once_there_is_someone_to_pair(app: App,
                                                                                notifier: RecordingNotifier):
    await onboard(app, ANNA, experience="none")
    await app.run(ANNA, pairing.join)

    with pytest.raises(UserError) as nobody:
        await app.run(COORDINATOR, pairing.round_now)
    await onboard(app, BO, experience="active")
    await app.run(BO, pairing.join)
    with pytest.raises(NotCoordinator):
        await app.run(ANNA, pairing.round_now)
    started = await app.run(COORDINATOR, pairing.round_now)
    await app.dispatcher.run_due()

    assert render(nobody.value.text, "sv").startswith("Det finns inga par att göra")
    assert render(nobody.value.text, "en").startswith("There are no pairs to make")
    assert render(started.body, "sv").startswith("En fadderomgång startar nu med 1 som vill lära sig och 1")
    assert "Du har parats ihop med Bo" in intro(notifier, "anna")
    assert await pending_rounds(app) == []  # trying one does not turn the rounds on


# -- the check-in --------------------------------------------------------------------------------------------


async def test_two_weeks_later_both_are_asked_whether_they_met_and_coordinators_see_the_answers(
        app: App, clock: FrozenClock, notifier: RecordingNotifier):
    await run_first_round(app, clock, notifier)
    before = await app.run(COORDINATOR, pairing.pairs)
    notifier.sent.clear()

    clock.advance(pairing.CHECKIN_AFTER)
    await app.dispatcher.run_due()

    [anna] = checkins(notifier, "anna")
    assert anna.text == ("🤝 Har ni hunnit ses?\nFör två veckor sedan parades du ihop med Bo. Har ni hunnit "
                         "ses eller höras?")
    assert [render(b.label, "sv") for b in anna.reply.buttons] == ["Ja", "Inte än", "Nej"]
    assert [len(checkins(notifier, name)) for name in ("bo", "cia", "dan")] == [1, 1, 1]
    assert checkins(notifier, "eva") == []  # no pair, no check-in
    pair_id = anna.reply.buttons[0].arg

    yes = await app.press(ANNA, pairing.MET_ACTION, pair_id)
    with pytest.raises(UserError):  # Cia is not of this pair
        await app.press(CIA, pairing.MET_ACTION, pair_id)
    cia_pair = checkins(notifier, "cia")[0].reply.buttons[0].arg
    not_yet = await app.press(DAN, pairing.NOT_YET_ACTION, cia_pair)
    after = await app.run(COORDINATOR, pairing.pairs)

    assert render(yes.body, "sv").startswith("Vad roligt!")
    assert render(not_yet.body, "sv").startswith("Ingen brådska. Skriv till @cia")
    assert shown(before).endswith("Anna lär sig av Bo: frågas måndag 21 december 2026\n"
                                  "Cia lär sig av Dan: frågas måndag 21 december 2026")
    assert shown(after) == ("🤝 Fadderparen\nOmgången 7 december 2026: 2 par, 1 har setts: "
                            "Anna lär sig av Bo: har setts ✅\nCia lär sig av Dan: inte än")
    async with app.sessionmaker() as session:
        # Meeting a peer is not an action: it counts for no pledge, streak or digest.
        assert await session.scalar(select(func.count()).select_from(Action)) == 0
    status = await app.run(ANNA, pairing.status)
    assert field_value(status, "Senaste paret") == "Bo (@bo), ihopparade måndag 7 december 2026: har setts ✅"


async def test_a_member_who_left_is_not_asked_and_a_pair_without_answers_says_so(
        app: App, clock: FrozenClock, notifier: RecordingNotifier):
    await run_first_round(app, clock, notifier)
    await app.run(BO, pairing.leave)
    notifier.sent.clear()

    clock.advance(pairing.CHECKIN_AFTER)
    await app.dispatcher.run_due()

    assert checkins(notifier, "bo") == [] and len(checkins(notifier, "anna")) == 1
    assert "Anna lär sig av Bo: inget svar" in shown(await app.run(COORDINATOR, pairing.pairs))


async def test_no_rounds_yet_says_how_to_start_them(app: App):
    reply = await app.run(COORDINATOR, pairing.pairs)

    assert render(reply.body, "sv").startswith("Inga fadderomgångar än.")
    with pytest.raises(NotCoordinator):
        await app.run(ANNA, pairing.pairs)


# -- member data ---------------------------------------------------------------------------------------------


async def test_a_members_pairing_is_exported_and_erased_with_their_data(app: App, clock: FrozenClock,
                                                                        notifier: RecordingNotifier):
    await run_first_round(app, clock, notifier)

    async with app.sessionmaker() as session:
        anna = await session.scalar(select(Member).where(Member.external_id == "anna"))
        exported = await pairing.FEATURE.member_data[0].export(session, anna)
    await app.press(ANNA, mydata.DELETE_CONFIRM, "")

    assert exported == {
        "taking_part": {"role": "learn", "since": "2026-12-01T09:00:00+00:00",
                        "changed": "2026-12-01T09:00:00+00:00"},
        "pairs": [{"round": "2026-12-07T09:00:00+00:00", "role": "learn", "answer": None, "answered": None}]}
    async with app.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(PeerPair)) == 1  # Cia and Dan's
