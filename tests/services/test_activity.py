"""The action log: /did, coaching steps reached by actions, retries after attempts, the asks' buttons, /stats,
the opt-in leaderboard and /mydata."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot import reminders
from bot.app import App
from bot.clock import FrozenClock
from bot.errors import UserError
from bot.i18n import render
from bot.models import (
    Action,
    ActivityMember,
    Ask,
    CoachingProgress,
    CoachingStep,
    Member,
    Reminder,
)
from bot.replies import Channel
from bot.services import activity, asks, mydata, streaks
from bot.services.context import resolve
from bot.validation import FieldProblem
from tests.conftest import RecordingNotifier, identity
from tests.issue_fixtures import ANNA, BO, create_issue, import_politicians
from tests.support.onboarding import onboard
from tests.support.replies import shown


async def actions(app: App) -> list[tuple[str, str, str, int | None, str | None, str | None]]:
    async with app.sessionmaker() as session:
        rows = (
            await session.execute(
                select(Action, Member.external_id)
                .join(Member, Member.id == Action.member_id)
                .order_by(Action.id)
            )
        ).all()
    return [(who, a.kind, a.status, a.issue_id, a.link, a.source) for a, who in rows]


async def steps_done(app: App, who: str) -> set[str]:
    async with app.sessionmaker() as session:
        return set(await session.scalars(
            select(CoachingStep.key).join(CoachingProgress, CoachingProgress.step_id == CoachingStep.id)
            .join(Member, Member.id == CoachingProgress.member_id).where(Member.external_id == who)))


async def retries(app: App, status: str = reminders.PENDING) -> list[Reminder]:
    async with app.sessionmaker() as session:
        return list(
            await session.scalars(
                select(Reminder)
                .where(Reminder.kind == activity.RETRY_KIND, Reminder.status == status)
                .order_by(Reminder.id)
            )
        )


async def test_did_logs_the_action_and_reaches_the_matching_coaching_step(app: App):
    await onboard(app, ANNA)

    reply = await app.run(ANNA, activity.did, kind="tweet", link="x.com/anna/status/1")

    assert await actions(app) == [("anna", "tweet", "done", None, "https://x.com/anna/status/1", "did")]
    assert await steps_done(app, "anna") == {"intro"}
    text = shown(reply)
    assert text.startswith("✅ Loggat: Tweetade")
    assert "Coachning: Det tog dig också ett steg upp på stegen: Presentera ditt företag på X" in text
    assert "Den här veckan: Insatser: 1 · 🔥 1 vecka i rad" in text


async def test_swedish_words_an_issue_and_kinds_without_a_step_are_understood(app: App):
    await onboard(app, ANNA)
    issue_id = await create_issue(app)

    await app.run(ANNA, activity.did, kind=activity.KIND.read("Träffade en politiker"), issue="Parkering")
    await app.run(ANNA, activity.did, kind=activity.KIND.read("bloggade"),
                  status=activity.STATUS.read("gjort"))
    await app.run(ANNA, activity.did, kind=activity.KIND.read("mote"))

    assert await actions(app) == [("anna", "meet", "done", issue_id, None, "did"),
                                  ("anna", "blog", "done", None, None, "did"),
                                  ("anna", "meeting", "done", None, None, "did")]
    # Only the blog post matches a step of the ladder.
    assert await steps_done(app, "anna") == {"blog"}


async def test_bad_input_gets_a_clear_message_and_changes_nothing(app: App):
    await onboard(app, ANNA)

    with pytest.raises(UserError) as not_onboarded:
        await app.run(BO, activity.did, kind="tweet")
    with pytest.raises(FieldProblem) as unknown_kind:
        activity.KIND.read("dansade")  # as the edges read a kind
    with pytest.raises(FieldProblem) as bad_link:
        await app.run(ANNA, activity.did, kind="tweet", link="ftp://example.se/fil")
    with pytest.raises(UserError) as unknown_issue:
        await app.run(ANNA, activity.did, kind="tweet", issue="Flygplatsen")

    assert not_onboarded.value.text.key == "profile.not_onboarded"
    assert render(unknown_kind.value.text, "sv").startswith(
        'Vad du gjorde: "dansade" finns inte bland valen.'
    )
    assert render(bad_link.value.text, "sv") == \
        'Länk: "ftp://example.se/fil" går inte att spara som länk: den börjar med ftp: men en webbadress ' \
        'börjar med https:// eller http://.'
    assert render(unknown_issue.value.text, "sv") == \
        'Jag hittar ingen fråga som heter "Flygplatsen". /fråga lista visar frågorna.'
    assert await actions(app) == []


async def test_an_attempt_is_followed_up_three_days_later_and_done_from_the_reminder(
        app: App, clock: FrozenClock, notifier: RecordingNotifier):
    await onboard(app, ANNA)
    issue_id = await create_issue(app)

    reply = await app.run(ANNA, activity.did, kind=activity.ActivityKind.ASK,
                          status=activity.STATUS.read("försökte"), issue="Parkering")

    assert "Jag påminner dig fredag 4 december 2026 om att försöka igen." in shown(reply)
    [retry] = await retries(app)
    assert retry.due_at == clock.now() + timedelta(days=3)
    await app.dispatcher.run_due()
    notifier.sent.clear()
    clock.advance(timedelta(days=3))
    await app.dispatcher.run_due()
    [dm] = notifier.to("dm:anna")
    assert dm.text.startswith("🔁 Försök igen?\nDen tisdag 1 december 2026 försökte du: Frågade en politiker "
                              "(Parkering i centrum).")
    done_button, later, stop = dm.reply.buttons

    answer = await app.press(ANNA, done_button.action, done_button.arg)

    assert answer.replaces_source and shown(answer).startswith("✅ Loggat: Frågade en politiker")
    assert await actions(app) == [("anna", "ask", "done", issue_id, None, "did")]
    assert "ask" in await steps_done(app, "anna")
    assert (later.action, stop.action) == (activity.RETRY_LATER_ACTION, activity.RETRY_STOP_ACTION)


async def test_no_retry_goes_out_when_the_member_did_it_meanwhile(app: App, clock: FrozenClock,
                                                                  notifier: RecordingNotifier):
    await onboard(app, ANNA)
    await app.run(ANNA, activity.did, kind="media", status="attempted")
    await app.run(ANNA, activity.did, kind="media")

    assert await retries(app) == [] and len(await retries(app, reminders.CANCELLED)) == 1
    clock.advance(timedelta(days=4))
    await app.dispatcher.run_due()
    assert [s for s in notifier.sent if "Försök igen" in s.text] == []


async def test_later_plans_another_retry_up_to_three_and_stop_ends_them(app: App, clock: FrozenClock,
                                                                        notifier: RecordingNotifier):
    await onboard(app, ANNA)
    await app.run(ANNA, activity.did, kind="meet", status="attempted")
    assert len(await retries(app)) == 1
    async with app.sessionmaker() as session:
        action_id = await session.scalar(select(Action.id))

    later = await app.press(ANNA, activity.RETRY_LATER_ACTION, str(action_id))
    assert render(later.body, "sv") == "Okej! Jag påminner dig igen fredag 4 december 2026."
    await app.press(ANNA, activity.RETRY_LATER_ACTION, str(action_id))
    last = await app.press(ANNA, activity.RETRY_LATER_ACTION, str(action_id))
    assert render(last.body, "sv").startswith("Jag har påmint dig tre gånger nu")
    assert await retries(app) == []

    with pytest.raises(UserError) as someone_else:
        await app.press(BO, activity.RETRY_STOP_ACTION, str(action_id))
    assert someone_else.value.text.key == "errors.not_your_button"
    stopped = await app.press(ANNA, activity.RETRY_STOP_ACTION, str(action_id))
    assert render(stopped.body, "sv") == "Okej, jag släpper det. Bra att du försökte!"


async def test_a_member_without_dm_reminders_is_reminded_by_a_mention_in_the_channel(
        app: App, clock: FrozenClock, notifier: RecordingNotifier):
    await onboard(app, ANNA, dm=False)
    await app.run(ANNA, activity.did, kind="ask", status="attempted")
    await app.dispatcher.run_due()
    notifier.sent.clear()

    clock.advance(timedelta(days=3))
    await app.dispatcher.run_due()

    [post] = notifier.sent
    assert post.to == f"channel:{Channel.ANNOUNCEMENTS}" and post.reply.mentions == ("anna",)


async def test_a_prompt_is_logged_once_and_its_outcome_updated(app: App):
    await onboard(app, ANNA)

    async with app.sessionmaker() as session, session.begin():
        actor = await resolve(session, ANNA, app.clock.now())
        first = await activity.record(session, actor, "ask", activity.ATTEMPTED, source="countdown:7")
        again = await activity.record(session, actor, "ask", activity.DONE, link="https://x.com/a/1",
                                      source="countdown:7")
        other = await activity.record(session, actor, "tweet", source="did")
        with pytest.raises(ValueError):
            await activity.record(session, actor, "juggle")

    assert first.id == again.id != other.id
    assert await actions(app) == [("anna", "ask", "done", None, "https://x.com/a/1", "countdown:7"),
                                  ("anna", "tweet", "done", None, None, "did")]
    assert await retries(app) == []


async def test_the_asks_buttons_log_the_question_and_no_answer_is_an_attempt(app: App):
    await onboard(app, ANNA)
    await import_politicians(app)
    issue_id = await create_issue(app)
    await app.run(ANNA, asks.my_question, issue="Parkering")

    await app.run(ANNA, asks.mark_asked, issue="Parkering", link="https://x.com/anna/status/9")
    async with app.sessionmaker() as session:
        ask_id = await session.scalar(select(Ask.id))
    assert await actions(app) == [
        ("anna", "ask", "done", issue_id, "https://x.com/anna/status/9", f"asks:{ask_id}")
    ]
    assert "ask" in await steps_done(app, "anna")

    await app.press(ANNA, asks.ANSWER_ACTION, f"{issue_id}-no_answer")
    assert [row[2] for row in await actions(app)] == ["attempted"]
    assert len(await retries(app)) == 1

    await app.press(ANNA, asks.ANSWER_ACTION, f"{issue_id}-for")
    assert [row[2] for row in await actions(app)] == ["done"]
    assert await retries(app) == []


async def test_the_log_buttons_of_a_prompt_log_as_did_does(app: App):
    await onboard(app, ANNA)
    issue_id = await create_issue(app)
    done, tried = activity.log_buttons("tweet", issue_id)

    await app.press(ANNA, done.action, done.arg)
    await app.press(ANNA, tried.action, tried.arg)

    assert await actions(app) == [("anna", "tweet", "done", issue_id, None, "button"),
                                  ("anna", "tweet", "attempted", issue_id, None, "button")]
    other = identity("eva", workspace="guild-2")
    await onboard(app, other)
    with pytest.raises(UserError) as foreign:
        await app.press(other, done.action, done.arg)  # an issue of another workspace
    assert foreign.value.text.key == "errors.unknown_button"
    with pytest.raises(UserError):
        await app.press(ANNA, activity.LOG_ACTION, "juggle-0-done")


async def test_stats_show_the_members_own_actions_stories_steps_and_streak(app: App):
    await onboard(app, ANNA)
    await onboard(app, BO)
    await app.run(ANNA, activity.did, kind="tweet")
    await app.run(ANNA, activity.did, kind="tweet")
    await app.run(ANNA, activity.did, kind="ask", status="attempted")
    await app.run(BO, activity.did, kind="blog")

    text = shown(await app.run(ANNA, activity.stats))

    assert "Dina insatser (3): Tweetade: 2\nFrågade en politiker: 1 försök" in text
    assert "Veckan: 3 · månaden: 3" in text
    assert "Coachning: ██░░░░░░░░ 1 av 6 steg · 🔥 1 vecka i rad" in text
    assert "Du är inte med på topplistan (den är frivillig)." in text


async def test_the_leaderboard_shows_only_those_who_opted_in_by_week_or_month(app: App, clock: FrozenClock):
    for who in (ANNA, BO, identity("cia")):
        await onboard(app, who)
    await app.run(ANNA, activity.did, kind="tweet")  # Tuesday 1 December, week 49
    nobody = await app.run(BO, activity.leaderboard)
    assert render(nobody.body, "sv").startswith("Ingen är med på topplistan än.")

    await app.run(ANNA, activity.leaderboard_join)
    await app.run(BO, activity.leaderboard_join)
    clock.advance(timedelta(days=7))  # week 50
    await app.run(BO, activity.did, kind="blog")
    await app.run(BO, activity.did, kind="media")
    await app.run(identity("cia"), activity.did, kind="tweet")  # not on the board

    week = await app.run(ANNA, activity.leaderboard)
    month = await app.run(ANNA, activity.leaderboard, period=activity.PERIOD.read("månad"))

    assert render(week.title, "sv") == "🏆 Topplistan, vecka 50"
    assert render(week.body, "sv") == "🥇 Bo – 2 (insatser: 2, berättelser: 0)"
    assert render(month.title, "sv") == "🏆 Topplistan, december 2026"
    assert render(month.body, "sv") == ("🥇 Bo – 2 (insatser: 2, berättelser: 0)\n"
                                        "🥈 Anna – 1 (insatser: 1, berättelser: 0)")
    await app.run(BO, activity.leaderboard_leave)
    assert render((await app.run(ANNA, activity.leaderboard)).body, "sv").startswith(
        "Ingen på topplistan har"
    )
    with pytest.raises(FieldProblem):
        activity.PERIOD.read("år")  # as the edges read a period


async def test_actions_count_for_the_streak_and_mydata_covers_them(app: App, clock: FrozenClock):
    await onboard(app, ANNA)
    await app.run(ANNA, activity.did, kind="meeting")
    clock.advance(timedelta(days=7))
    await app.run(ANNA, activity.did, kind="meet")
    await app.run(ANNA, activity.leaderboard_join)

    async with app.sessionmaker() as session:
        member = await session.scalar(select(Member).where(Member.external_id == "anna"))
        workspace = member.workspace
        assert (await streaks.weeks_in_a_row(session, workspace, [member.id], clock.now()))[member.id] == 2
    exported = await app.run(ANNA, mydata.export)
    data = json.loads(exported.files[0].data)
    assert [a["kind"] for a in data["actions"]] == ["meeting", "meet"] and data["leaderboard"] == {
        "leaderboard": True
    }

    await app.press(ANNA, mydata.DELETE_CONFIRM, "")
    async with app.sessionmaker() as session:
        assert await session.scalar(select(func.count(Action.id))) == 0
        assert await session.scalar(select(func.count()).select_from(ActivityMember)) == 0


async def test_nothing_leaks_between_workspaces(app: App):
    other = identity("anna", workspace="guild-2")
    await onboard(app, ANNA)
    await onboard(app, other)
    await app.run(ANNA, activity.did, kind="tweet")
    await app.run(ANNA, activity.leaderboard_join)
    await app.run(other, activity.leaderboard_join)

    assert "Dina insatser (0)" in shown(await app.run(other, activity.stats))
    assert render((await app.run(other, activity.leaderboard)).body, "sv").startswith(
        "Ingen på topplistan har"
    )
