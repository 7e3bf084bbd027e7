"""Talking to the coach: what members write back to the bot is read by rules (in Swedish and English), in the
context of the message they answer, within the rate limits, and kept no longer than a day."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.app import App
from bot.clock import FrozenClock
from bot.i18n import render
from bot.models import (
    Action,
    Ask,
    CoachingMember,
    CoachingProgress,
    Conversation,
    Delivery,
    Member,
    Pledge,
    Reminder,
)
from bot.replies import Reply, SendDirect, reply_to_json
from bot.services import (
    activity,
    asks,
    conversation,
    follows,
    ladder,
    mydata,
    nudges,
    onboarding,
    pledges,
    questions,
)
from bot.services.context import Actor
from bot.services.conversation import Intent, Said, Where
from tests.conftest import RecordingNotifier, identity
from tests.services.conftest import ANNA, BO, onboard
from tests.support.countdowns import D7, D14, at, the_group

MONDAY_NINE = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)  # the weekly nudge: 09:00 in Stockholm

# Each intent in both languages, as members write them (case, accents and marks as typed).
SAID: dict[Intent, tuple[str, ...]] = {
    Intent.DONE: ("klart", "Klart!", "Nu är det klart.", "fixat 🎉", "✅", "Done", "done!", "👍", "finished"),
    Intent.NEXT: ("nästa", "Nästa steg", "vad nu?", "next", "What now?", "next step"),
    Intent.PAUSE: ("paus", "Pausa", "inte nu", "pause", "Not now"),
    Intent.HELP: ("hjälp", "Hjälp!", "?", "vad kan du?", "help", "what can you do?"),
    Intent.STOP: ("stopp", "STOPP", "sluta", "avsluta", "stop", "unsubscribe"),
    Intent.START: ("start", "starta", "resume"),
    Intent.THANKS: ("tack", "Tack så mycket!", "thanks", "thank you"),
    Intent.GREETING: ("hej", "Hej!", "hi", "hello"),
    Intent.YES: ("ja", "Ja!", "ja tack", "gärna", "yes", "sure"),
    Intent.NO: ("nej", "Nej tack", "nä", "no", "nope"),
}


@pytest.mark.parametrize(("intent", "said"), [(i, s) for i, words in SAID.items() for s in words])
def test_each_intent_is_read_in_swedish_and_english(intent: Intent, said: str):
    assert conversation.intent_of(said) is intent


@pytest.mark.parametrize("said", ["jag är inte klar än", "klart att jag vill", "hur gör jag ett inlägg?",
                                  "parkeringen i centrum", "https://x.com/anna/status/1"])
def test_a_longer_sentence_is_no_intent(said: str):
    assert conversation.intent_of(said) is None


def test_links_and_questions_are_found_in_what_members_write():
    assert conversation.link_in("Här: https://x.com/anna/status/42.") == "https://x.com/anna/status/42"
    assert conversation.link_in("x.com/anna/status/42 klart") == "https://x.com/anna/status/42"
    assert conversation.link_in("klart, tack") is None
    assert conversation.is_question("Hur skriver jag till kommunalrådet") and conversation.is_question("ok?")
    assert conversation.is_question("What should I post") and not conversation.is_question("parkeringen")


# -- helpers -----------------------------------------------------------------------------------------------


async def said(app: App, words: str, who: Any = ANNA, *, where: Where = Where.DM,
               answering: Sequence[tuple[str, str]] = (), model: Any = None) -> Reply | None:
    """What the bot answers a member's message (through the App's unit of work, as the adapters run it)."""
    return await app.run(who, conversation.answer, Said(words, where, answering), model)


def body(reply: Reply | None, language: str = "sv") -> str:
    assert reply is not None
    return render(reply.body, language) if reply.body is not None else ""


async def steps_done(app: App) -> list[tuple[str, str | None]]:
    async with app.sessionmaker() as session:
        rows = await session.execute(
            select(ladder.CoachingStep.key, CoachingProgress.evidence_url)
            .join(CoachingProgress, CoachingProgress.step_id == ladder.CoachingStep.id))
        return [(key, url) for key, url in rows]


async def the_row(app: App, member: str = "anna") -> Conversation | None:
    async with app.sessionmaker() as session:
        member_id = await session.scalar(select(Member.id).where(Member.external_id == member))
        return await session.get(Conversation, member_id)


async def nudged(app: App, clock: FrozenClock, notifier: RecordingNotifier) -> None:
    """Anna onboards and gets the weekly nudge about her first step (a real DM, through the dispatcher)."""
    await onboard(app)
    clock.set(MONDAY_NINE)
    await app.dispatcher.run_due()
    assert any(b.action == ladder.DONE_ACTION for s in notifier.to("dm:anna") for b in s.reply.buttons)


# -- the context ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("word", ["klart", "done"])
async def test_done_after_a_step_nudge_marks_that_step(app: App, clock: FrozenClock,
                                                       notifier: RecordingNotifier, word: str):
    await nudged(app, clock, notifier)
    clock.advance(timedelta(hours=3))

    answer = await said(app, word)

    assert await steps_done(app) == [("intro", None)]
    assert render(answer.title, "sv").startswith("✅ Klart: Presentera ditt företag på X")


async def test_done_after_a_pledge_follow_up_marks_the_pledge_kept(app: App, clock: FrozenClock,
                                                                   notifier: RecordingNotifier):
    issue_id = await the_group(app, notifier)
    await at(app, clock, D14)
    clock.set(D14 + timedelta(hours=1))
    await app.press(ANNA, pledges.PLEDGE_ACTION, f"{issue_id}-tweet")
    await at(app, clock, D7 + timedelta(hours=2))
    assert any(s.text.startswith("Gjorde du det?") for s in notifier.to("dm:anna"))

    answer = await said(app, "klart!")

    assert body(answer).startswith("Snyggt! Du lovade att tweeta")
    assert not answer.replaces_source  # no button was pressed: there is no message to replace
    async with app.sessionmaker() as session:
        pledge = await session.scalar(select(Pledge))
        logged = [(a.kind, a.source) for a in await session.scalars(select(Action))]
    assert pledge.status == pledges.KEPT
    assert logged == [("tweet", f"pledge:{pledge.id}")]  # the pledge's action, as its button logs it


async def test_done_names_the_message_the_platform_says_it_answers(app: App, clock: FrozenClock,
                                                                   notifier: RecordingNotifier):
    await nudged(app, clock, notifier)

    # Her reply names the nudge of another step (the platform says which message it answers).
    await said(app, "klart", answering=[(ladder.NEXT_ACTION, ""), (ladder.DONE_ACTION, "follow")])

    assert await steps_done(app) == [("follow", None)]


async def test_done_about_a_step_retired_since_the_nudge_looks_further_and_writes_nothing(
        app: App, clock: FrozenClock, notifier: RecordingNotifier):
    await nudged(app, clock, notifier)
    await app.run(BO, ladder.configure_ladder, step="intro", active=False)

    answer = await said(app, "klart")

    assert await steps_done(app) == []
    assert body(answer).startswith("Bra jobbat! Vill du markera steg 1, Följ de viktigaste")


async def test_done_with_nothing_to_answer_offers_the_next_step_and_marks_nothing(
        app: App, clock: FrozenClock, notifier: RecordingNotifier):
    await onboard(app)

    answer = await said(app, "klart")

    assert await steps_done(app) == []
    assert body(answer) == ("Bra jobbat! Vill du markera steg 1, Presentera ditt företag på X med gruppens "
                            "hashtagg, som klart?")
    assert (answer.buttons[0].action, answer.buttons[0].arg) == (ladder.DONE_ACTION, "intro")


async def test_done_a_day_after_the_nudge_is_no_longer_about_it(app: App, clock: FrozenClock,
                                                                notifier: RecordingNotifier):
    await nudged(app, clock, notifier)
    clock.advance(conversation.CONTEXT_TTL + timedelta(hours=1))

    answer = await said(app, "klart")

    assert await steps_done(app) == []
    assert body(answer).startswith("Bra jobbat! Vill du markera steg 1")


async def test_a_link_after_a_step_nudge_is_offered_and_logged_with_the_link_on_yes(
        app: App, clock: FrozenClock, notifier: RecordingNotifier):
    await nudged(app, clock, notifier)
    link = "https://x.com/anna/status/42"

    offer = await said(app, f"Här är den: {link}")

    # The offer names the message it answers, so that the member sees what the link would count for.
    assert body(offer) == (f"Tack för länken! Ska jag logga {link} som klart för ”Veckans steg 1 av 6: "
                           "Presentera ditt företag på X med gruppens hashtagg”?")
    assert await steps_done(app) == []  # offered, not done
    assert [b.action for b in offer.buttons] == [conversation.CONFIRM_ACTION, conversation.DECLINE_ACTION]
    yes = await app.press(ANNA, conversation.CONFIRM_ACTION, "")
    assert render(yes.title, "sv").startswith("✅ Klart: Presentera ditt företag på X")
    assert await steps_done(app) == [("intro", link)]
    assert (await the_row(app)).offer is None
    again = await app.press(ANNA, conversation.CONFIRM_ACTION, "")
    assert body(again).startswith("Jag minns inte längre vilken länk")


async def test_a_link_with_nothing_to_answer_is_offered_as_a_post_and_no_forgets_it(
        app: App, clock: FrozenClock, notifier: RecordingNotifier):
    await onboard(app)

    offer = await said(app, "https://www.linkedin.com/posts/anna-1")
    no = await app.press(ANNA, conversation.DECLINE_ACTION, "")
    await said(app, "https://x.com/anna/status/7")
    yes = await app.press(ANNA, conversation.CONFIRM_ACTION, "")

    assert body(offer).endswith("som ett inlägg du har gjort?") and body(no) == "Okej, jag loggar ingenting."
    assert render(yes.title, "sv") == "✅ Loggat: Tweetade"
    async with app.sessionmaker() as session:
        logged = [(a.kind, a.link) for a in await session.scalars(select(Action))]
    assert logged == [("tweet", "https://x.com/anna/status/7")]


async def test_done_after_an_activity_retry_is_the_retrys_done(app: App, clock: FrozenClock,
                                                               notifier: RecordingNotifier):
    await onboard(app)
    await app.run(ANNA, activity.did, kind=activity.ActivityKind.ASK,
                  status=activity.ActivityStatus.ATTEMPTED)
    clock.advance(activity.RETRY_AFTER + timedelta(minutes=1))
    await app.dispatcher.run_due()
    assert any(b.action == activity.RETRY_DONE_ACTION
               for s in notifier.to("dm:anna") for b in s.reply.buttons)

    await said(app, "done")

    async with app.sessionmaker() as session:
        [logged] = list(await session.scalars(select(Action)))
    assert logged.status == activity.DONE


# -- next, pause, help, stop, start, thanks ----------------------------------------------------------------


@pytest.mark.parametrize("word", ["nästa", "next"])
async def test_next_shows_the_next_step(app: App, clock: FrozenClock, notifier: RecordingNotifier, word: str):
    await onboard(app)

    answer = await said(app, word)

    assert render(answer.title, "sv").startswith("Steg 1 av 6: Presentera ditt företag på X")


@pytest.mark.parametrize("word", ["paus", "pause"])
async def test_pause_pauses_the_nudges(app: App, clock: FrozenClock, notifier: RecordingNotifier, word: str):
    await onboard(app)

    await said(app, word)

    async with app.sessionmaker() as session:
        assert (await session.scalar(select(CoachingMember))).paused


@pytest.mark.parametrize("word", ["hjälp", "help"])
async def test_help_says_what_to_write_with_the_menu(app: App, clock: FrozenClock,
                                                     notifier: RecordingNotifier, word: str):
    await onboard(app)

    answer = await said(app, word)

    assert "**klart**" in body(answer) and "**stopp**" in body(answer)
    assert "**done**" in body(answer, "en")
    assert answer.buttons[0].action == ladder.NEXT_ACTION and len(answer.buttons) <= conversation.MENU_BUTTONS


@pytest.mark.parametrize("word", ["stopp", "stop"])
async def test_stop_turns_off_dms_at_once_and_a_pending_dm_is_not_sent(
        app: App, clock: FrozenClock, notifier: RecordingNotifier, word: str):
    await onboard(app)
    await app.dispatcher.run_due()
    sent_before = len(notifier.to("dm:anna"))
    async with app.sessionmaker() as session, session.begin():
        anna = await session.scalar(select(Member).where(Member.external_id == "anna"))
        # A DM waiting for the end of the quiet hours, as the dispatcher stores one.
        session.add(Delivery(workspace_id=anna.workspace_id, member_id=anna.id, channel="announcements",
                             key="test:waiting", nonce="n1", message=reply_to_json(Reply.say("common.yes")),
                             status="pending", not_before=clock.now() + timedelta(hours=1), attempts=0,
                             created_at=clock.now()))

    answer = await said(app, word)
    clock.advance(timedelta(hours=2))
    await app.dispatcher.run_due()

    assert "Skriv **start** här" in body(answer) and "/coach fortsätt" in body(answer)
    assert len(notifier.to("dm:anna")) == sent_before
    async with app.sessionmaker() as session:
        anna = await session.scalar(select(Member).where(Member.external_id == "anna"))
        waiting = await session.scalar(select(Delivery).where(Delivery.key == "test:waiting"))
    assert not anna.dm_reminders and waiting.status == "cancelled"


async def test_stop_before_onboarding_cancels_the_nudge_to_get_started(app: App, clock: FrozenClock,
                                                                       notifier: RecordingNotifier):
    newcomer = identity("nils")
    await app.member_joined("test", "guild-1", "Testgruppen", "nils", "Nils")

    await app.dispatcher.run_due()
    welcomed = len(notifier.to("dm:nils"))

    answer = await said(app, "stopp", newcomer)
    clock.advance(timedelta(days=3))
    await app.dispatcher.run_due()

    assert welcomed and len(notifier.to("dm:nils")) == welcomed
    assert body(answer) == ("Okej, jag skickar inga fler DM till dig. Skriv **start** här när du vill ha dem "
                            "igen.")
    async with app.sessionmaker() as session:
        nudge = await session.scalar(select(Reminder).where(Reminder.kind == onboarding.NUDGE_KIND))
    assert nudge.status == "cancelled"


@pytest.mark.parametrize("word", ["start", "resume"])
async def test_start_turns_dms_on_again(app: App, clock: FrozenClock, notifier: RecordingNotifier, word: str):
    await onboard(app)
    await said(app, "stopp")
    await app.run(ANNA, nudges.pause)

    answer = await said(app, word)

    assert body(answer).startswith("Välkommen tillbaka!")
    async with app.sessionmaker() as session:
        anna = await session.scalar(select(Member).where(Member.external_id == "anna"))
        state = await session.scalar(select(CoachingMember))
    assert anna.dm_reminders and not state.paused


@pytest.mark.parametrize(("word", "expected"), [("tack", "Varsågod!"), ("thanks", "Varsågod!"),
                                                ("hej", "Hej!"), ("hi", "Hej!")])
async def test_thanks_and_greetings_get_a_line_and_the_menu(app: App, clock: FrozenClock,
                                                            notifier: RecordingNotifier, word: str,
                                                            expected: str):
    await onboard(app)

    answer = await said(app, word)

    assert body(answer).startswith(expected) and answer.buttons


async def test_anything_else_gets_the_menu_of_what_the_member_can_do_now(app: App, clock: FrozenClock,
                                                                        notifier: RecordingNotifier):
    await onboard(app)
    newcomer = identity("nils")
    await app.member_joined("test", "guild-1", "Testgruppen", "nils", "Nils")

    menu = await said(app, "parkeringen i centrum")
    theirs = await said(app, "klart", newcomer)

    assert body(menu) == "Det här kan du göra nu:"
    assert [b.action for b in menu.buttons] == [ladder.NEXT_ACTION, nudges.PAUSE_ACTION, "stories.share",
                                                activity.STATS_ACTION]
    assert [b.action for b in theirs.buttons] == [onboarding.START_ACTION]


# -- a mention in a channel ----------------------------------------------------------------------------------


async def test_a_mention_is_answered_publicly_only_when_the_answer_is_not_personal(
        app: App, clock: FrozenClock, notifier: RecordingNotifier):
    await onboard(app)

    public = await said(app, "hjälp", where=Where.MENTION)
    personal = await said(app, "nästa", where=Where.MENTION)

    assert not public.private and "**klart**" in body(public)
    assert not personal.private and body(personal) == "Jag har skickat svaret till dig privat."
    [direct] = personal.effects
    assert isinstance(direct, SendDirect) and direct.reply.personal
    assert render(direct.reply.title, "sv").startswith("Steg 1 av 6")


# -- questions and the model's limit -------------------------------------------------------------------------


class Asked:
    """A stand-in for the coach's answer to a question: records the model it was given; answers with a
    turn."""

    def __init__(self) -> None:
        self.models: list[Any] = []
        self.earlier: list[list[questions.Turn]] = []

    async def __call__(self, session: Any, actor: Actor, question: str, model: Any = None,
                       earlier: Sequence[questions.Turn] = ()) -> questions.Answered:
        self.models.append(model)
        self.earlier.append(list(earlier))
        return questions.Answered(Reply.say("common.yes"), asked_model=model is not None,
                                  turn=questions.Turn(question, "svar " * 200))


async def test_the_model_answers_at_most_four_questions_an_hour(app: App, clock: FrozenClock,
                                                                notifier: RecordingNotifier,
                                                                monkeypatch: pytest.MonkeyPatch):
    await onboard(app)
    asked = Asked()
    monkeypatch.setattr(questions, "answer_question", asked)
    model = object()

    answers = []
    for number in range(5):
        answers.append(await said(app, f"hur gör jag {number}?", model=model))
        clock.advance(timedelta(minutes=5))
    clock.advance(conversation.HOUR)
    later = await said(app, "hur gör jag nu?", model=model)

    assert asked.models == [model] * 4 + [None, model]
    assert answers[3].fields == ()
    assert render(answers[4].fields[-1].value, "sv").startswith("Du har ställt många")
    assert later.fields == ()
    # The follow-up keeps the last three questions, each cut short.
    assert [t.question for t in asked.earlier[-1]] == ["hur gör jag 2?", "hur gör jag 3?", "hur gör jag 4?"]
    assert all(len(t.answer) == conversation.TURN_CHARS for t in asked.earlier[-1])


# -- within reason -------------------------------------------------------------------------------------------


async def test_the_eleventh_message_in_a_minute_is_told_to_slow_down_and_the_next_get_nothing(
        app: App, clock: FrozenClock, notifier: RecordingNotifier):
    await onboard(app)

    answers = []
    for _ in range(conversation.MESSAGES_PER_MINUTE + 2):
        answers.append(await said(app, "hej"))
        clock.advance(timedelta(seconds=2))
    clock.advance(conversation.MINUTE)
    after = await said(app, "hej")

    assert all(body(a) == "Hej! Vad vill du göra i dag?" for a in answers[:10])
    assert body(answers[10]).startswith("Du skriver snabbare än jag hinner svara")
    assert answers[11] is None
    assert body(after) == "Hej! Vad vill du göra i dag?"


async def test_the_conversation_is_deleted_within_the_hour_after_it_expires(app: App, clock: FrozenClock,
                                                                           notifier: RecordingNotifier):
    await onboard(app)
    await said(app, "https://x.com/anna/status/42")
    clock.advance(timedelta(hours=5))
    await said(app, "hur gör jag?")  # the row lives a day after the last message
    assert (await the_row(app)).offer is not None

    clock.advance(conversation.CONTEXT_TTL - timedelta(minutes=1))
    await app.dispatcher.run_due()
    assert await the_row(app) is not None
    clock.advance(timedelta(hours=1))
    await app.dispatcher.run_due()

    assert await the_row(app) is None
    async with app.sessionmaker() as session:
        pending = list(await session.scalars(select(Reminder).where(Reminder.kind == conversation.EXPIRE_KIND,
                                                                    Reminder.status == "pending")))
    assert pending == []  # nothing left to sweep: the next message plans the next sweep


async def test_an_expired_row_is_not_read_even_before_the_sweep(app: App, clock: FrozenClock,
                                                                notifier: RecordingNotifier):
    await onboard(app)
    await said(app, "https://x.com/anna/status/42")
    clock.advance(conversation.CONTEXT_TTL + timedelta(seconds=1))

    stale = await app.press(ANNA, conversation.CONFIRM_ACTION, "")

    assert body(stale).startswith("Jag minns inte längre vilken länk")


async def test_before_consent_nothing_of_what_they_write_is_stored(app: App, clock: FrozenClock,
                                                                   notifier: RecordingNotifier):
    await app.member_joined("test", "guild-1", "Testgruppen", "nils", "Nils")
    secret = "https://example.com/min-hemliga-sida"

    answers = [await said(app, words, identity("nils"))
               for words in (secret, "hur gör jag med min hemlighet?")]

    assert all([b.action for b in a.buttons] == [onboarding.START_ACTION] for a in answers)
    row = await the_row(app, "nils")
    stored = json.dumps([row.offer, row.turns])
    assert row.offer is None and row.turns == [] and "hemlig" not in stored


async def test_erasing_a_members_data_deletes_their_conversation(app: App, clock: FrozenClock,
                                                                 notifier: RecordingNotifier):
    await onboard(app)
    await said(app, "https://x.com/anna/status/42")

    [exported] = (await app.run(ANNA, mydata.export)).files
    await app.run(ANNA, mydata.delete_request)
    await app.press(ANNA, mydata.DELETE_CONFIRM, mydata.KEEP_POSTS)

    assert "https://x.com/anna/status/42" in exported.data.decode()
    async with app.sessionmaker() as session:
        assert list(await session.scalars(select(Conversation))) == []


async def test_done_to_a_question_to_ask_asks_for_its_link_and_a_link_records_the_ask(
        app: App, clock: FrozenClock, notifier: RecordingNotifier):
    issue_id = await the_group(app, notifier)
    await app.run(ANNA, asks.my_question, issue="Parkering")
    question = [(asks.ASKED_ACTION, str(issue_id))]

    done = await said(app, "klart", answering=question)
    offer = await said(app, "https://x.com/anna/status/9", answering=question)
    await app.press(ANNA, conversation.CONFIRM_ACTION, "")

    assert body(done).startswith("Snyggt! Skicka länken till frågan du ställde om Parkering i centrum")
    assert [(b.action, b.arg) for b in done.buttons] == question
    assert body(offer).startswith("Tack för länken! Ska jag logga")
    async with app.sessionmaker() as session:
        [ask] = list(await session.scalars(select(Ask).where(Ask.asked_at.is_not(None))))
    assert ask.asked_url == "https://x.com/anna/status/9"


async def test_a_link_to_an_issue_alert_is_logged_for_its_issue_and_done_says_nothing_about_it(
        app: App, clock: FrozenClock, notifier: RecordingNotifier):
    issue_id = await the_group(app, notifier)
    alert = [(follows.FOLLOW_ISSUE_ACTION, str(issue_id)), (follows.HELP_ACTION, str(issue_id))]

    done = await said(app, "klart", answering=alert)
    await said(app, "https://x.com/anna/status/10", answering=alert)
    await app.press(ANNA, conversation.CONFIRM_ACTION, "")

    assert body(done).startswith("Bra jobbat! Vill du markera steg 1")  # the alert was no step: offered
    async with app.sessionmaker() as session:
        logged = [(a.kind, a.issue_id, a.link) for a in await session.scalars(select(Action))]
    assert logged == [("tweet", issue_id, "https://x.com/anna/status/10")]


async def test_done_to_a_follow_up_of_two_pledges_asks_which_and_marks_none(app: App, clock: FrozenClock,
                                                                           notifier: RecordingNotifier):
    issue_id = await the_group(app, notifier)
    await app.press(ANNA, pledges.PLEDGE_ACTION, f"{issue_id}-tweet")
    await app.press(ANNA, pledges.PLEDGE_ACTION, f"{issue_id}-contact")
    async with app.sessionmaker() as session:
        made = list(await session.scalars(select(Pledge).order_by(Pledge.id)))
    buttons = [(action, str(p.id)) for p in made for action in (pledges.KEPT_ACTION, pledges.MISSED_ACTION)]

    answer = await said(app, "klart", answering=buttons)
    offer = await said(app, "https://x.com/anna/status/11", answering=buttons)

    assert body(answer) == "Vilket av dem har du gjort? Tryck på knappen som stämmer."
    assert body(offer).endswith("som ett inlägg du har gjort?")  # not one of the pledges, unasked
    async with app.sessionmaker() as session:
        assert [p.status for p in await session.scalars(select(Pledge))] == [pledges.MADE, pledges.MADE]


# -- the coach's own answers, and yes or no to its questions -------------------------------------------------


@pytest.mark.parametrize(("next_word", "done_word"), [("nästa", "klart"), ("next", "done")])
async def test_done_after_next_marks_the_step_the_coach_just_showed(app: App, clock: FrozenClock,
                                                                    next_word: str, done_word: str):
    await onboard(app)

    step = await said(app, next_word)
    answer = await said(app, done_word)

    assert [b.action for b in step.buttons][:1] == [ladder.DONE_ACTION]
    assert await steps_done(app) == [("intro", None)]
    assert render(answer.title, "sv").startswith("✅ Klart: Presentera ditt företag på X")


async def test_a_link_after_next_is_offered_for_the_step_by_its_title(app: App, clock: FrozenClock):
    await onboard(app)
    link = "https://x.com/anna/status/9"

    await said(app, "nästa")
    offer = await said(app, link)
    await said(app, "ja")

    assert body(offer) == (f"Tack för länken! Ska jag logga {link} som klart för ”Steg 1 av 6: Presentera "
                           "ditt företag på X med gruppens hashtagg”?")
    assert await steps_done(app) == [("intro", link)]


async def test_yes_to_the_offered_step_marks_it_and_no_marks_nothing(app: App, clock: FrozenClock):
    await onboard(app)

    await said(app, "klart")  # nothing to answer: the next step is offered
    declined = await said(app, "nej")
    after_no = await said(app, "ja")
    assert await steps_done(app) == []
    offered = await said(app, "klart")
    accepted = await said(app, "ja")

    assert body(declined) == "Okej! Säg till när du vill något."
    assert body(after_no) == "Det här kan du göra nu:"  # the question was answered no
    assert body(offered).startswith("Bra jobbat! Vill du markera steg 1")
    assert await steps_done(app) == [("intro", None)]
    assert render(accepted.title, "sv").startswith("✅ Klart: Presentera ditt företag på X")


@pytest.mark.parametrize(("yes", "no"), [("ja", "nej"), ("yes", "no")])
async def test_yes_and_no_answer_a_link_offered(app: App, clock: FrozenClock, yes: str, no: str):
    await onboard(app)

    await said(app, "https://x.com/anna/status/1")
    declined = await said(app, no)
    await said(app, "https://x.com/anna/status/2")
    await said(app, yes)

    assert body(declined) == "Okej, jag loggar ingenting."
    async with app.sessionmaker() as session:
        logged = [a.link for a in await session.scalars(select(Action))]
    assert logged == ["https://x.com/anna/status/2"]
    assert (await the_row(app)).offer is None


async def test_yes_to_nothing_asked_gets_the_menu_and_does_nothing(app: App, clock: FrozenClock,
                                                                  notifier: RecordingNotifier):
    # The weekly nudge is no question: "ja" a while after it marks nothing.
    await nudged(app, clock, notifier)

    answer = await said(app, "ja")

    assert await steps_done(app) == []
    assert body(answer) == "Det här kan du göra nu:" and answer.buttons


async def test_yes_answers_the_newest_question_a_link_offered_before_a_step_shown_is_not_confirmed(
        app: App, clock: FrozenClock):
    await onboard(app)

    await said(app, "https://x.com/anna/status/3")
    clock.advance(timedelta(seconds=5))
    await said(app, "nästa")  # a newer answer: "ja" is about the step shown, not the link
    clock.advance(timedelta(seconds=5))
    answer = await said(app, "ja")

    async with app.sessionmaker() as session:
        assert list(await session.scalars(select(Action))) == []
    assert body(answer) == "Det här kan du göra nu:"
    assert await steps_done(app) == []
