"""Onboarding: the welcome, the form with consent, the first step, and the nudge for those who wait."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.app import App
from bot.clock import FrozenClock
from bot.errors import UserError
from bot.i18n import render
from bot.models import Member, Reminder
from bot.replies import Channel, Role, text
from bot.services import onboarding, profile
from bot.validation import FieldProblem, FormProblems
from tests.conftest import START, RecordingNotifier, identity
from tests.support.onboarding import COMPLETE, answers

ANNA = identity("anna")
# Every field filled in, the choices typed by their names (which the form takes as well as their keys).
FORM = answers(COMPLETE, industry="handel", municipality="Sölvesborg")


async def _member(app: App, external_id: str = "anna") -> Member | None:
    async with app.sessionmaker() as session:
        return await session.scalar(select(Member).where(Member.external_id == external_id))


async def test_a_member_who_joins_gets_a_welcome_dm_with_a_start_button(
    app: App, notifier: RecordingNotifier
):
    await app.member_joined("test", "guild-1", "Testgruppen", "anna", "Anna")

    [welcome] = notifier.to("dm:anna")
    assert welcome.text.startswith("Välkommen till Jobbskaparna!\nHej @anna!")  # a mention: no stored name
    assert [b.action for b in welcome.reply.buttons] == [onboarding.START_ACTION]


async def test_a_member_with_closed_dms_is_welcomed_in_the_welcome_channel(
    app: App, notifier: RecordingNotifier
):
    notifier.closed.add("anna")

    await app.member_joined("test", "guild-1", "Testgruppen", "anna", "Anna")

    assert notifier.to("dm:anna") == []
    [fallback] = notifier.to(f"channel:{Channel.WELCOME}")
    assert fallback.reply.mentions == ("anna",)
    assert "Hej @anna!" in fallback.text
    assert (await _member(app)).dm_open is False


async def test_the_start_button_opens_the_onboarding_form(app: App):
    reply = await app.press(ANNA, onboarding.START_ACTION, "")

    assert reply.form is not None and reply.form.form_id == onboarding.FORM_ID
    assert [f.name for f in reply.form.fields][-1] == "consent"


async def test_completing_the_form_stores_the_profile_grants_the_role_and_tells_coordinators(
        app: App, notifier: RecordingNotifier):
    reply = await app.submit(ANNA, onboarding.FORM_ID, FORM)

    member = await _member(app)
    assert member.onboarded_at is not None and member.consented_at is not None
    assert (member.company, member.industry, member.municipality) == ("Annas Blommor", "retail", "solvesborg")
    assert member.x_handle == "annasblommor"
    assert member.linkedin_url == "https://linkedin.com/in/anna"
    assert member.dm_reminders is True
    assert notifier.roles == [("anna", Role.MEMBER)]
    [notice] = notifier.to(f"channel:{Channel.COORDINATORS}")
    assert "Annas Blommor" in notice.text and "Sölvesborg" in notice.text
    first_step = render(reply.fields[0].value, "sv")
    assert "Annas Blommor" in first_step and "Sölvesborg" in first_step


async def test_without_consent_nothing_of_the_form_is_stored_only_the_decline_and_the_member_is_told(
    app: App, notifier: RecordingNotifier
):
    reply = await app.submit(ANNA, onboarding.FORM_ID, FORM | {"consent": "nej"})

    assert reply.body == text("onboarding.declined", days=30)
    assert "samtycke" in render(reply.body, "sv") and "30 dagar" in render(reply.body, "sv")
    assert [b.action for b in reply.buttons] == [onboarding.START_ACTION]  # they may change their mind
    member = await _member(app)
    assert member.consent_declined_at == START and member.consented_at is None
    assert member.display_name == "" and member.company is None and member.municipality is None
    assert notifier.roles == [] and notifier.sent == []


@pytest.mark.parametrize(("field", "value", "problem"), [
    ("x_handle", "@this_handle_is_far_too_long", "errors.x_handle"),
    ("linkedin_url", "https://example.com/anna", "errors.url_site"),
    ("blog_url", "ftp://annasblommor.se", "errors.url_scheme"),
    ("municipality", "Malmö", "errors.choice"),
    ("company", "x" * 101, "errors.too_long"),
    ("company", "", "errors.required"),
])
async def test_bad_input_gets_a_clear_message_and_changes_nothing(
    app: App, field: str, value: str, problem: str
):
    with pytest.raises(FieldProblem) as raised:
        await app.submit(ANNA, onboarding.FORM_ID, FORM | {field: value})

    assert raised.value.problem.key == problem
    assert await _member(app) is None  # the whole unit of work was rolled back


async def test_every_problem_of_a_form_is_reported_at_once(app: App):
    with pytest.raises(FormProblems) as raised:
        await app.submit(ANNA, onboarding.FORM_ID, FORM | {"x_handle": "a b", "municipality": "Malmö"})

    message = render(raised.value.text, "en")
    assert "2 things to fix" in message and "X/Twitter" in message and "Municipality" in message


async def test_a_second_onboarding_is_refused_and_keeps_the_first_profile(app: App):
    await app.submit(ANNA, onboarding.FORM_ID, FORM)

    with pytest.raises(UserError) as raised:
        await app.submit(ANNA, onboarding.FORM_ID, FORM | {"company": "Annat AB"})
    with pytest.raises(UserError):
        await app.press(ANNA, onboarding.START_ACTION, "")

    assert raised.value.text.key == "onboarding.already_done"
    assert (await _member(app)).company == "Annas Blommor"


async def test_a_member_who_has_not_onboarded_after_two_days_gets_one_nudge(
        app: App, clock: FrozenClock, notifier: RecordingNotifier):
    await app.member_joined("test", "guild-1", "Testgruppen", "anna", "Anna")
    notifier.sent.clear()

    clock.advance(timedelta(days=1, hours=23))
    await app.dispatcher.run_due()
    assert notifier.sent == []

    clock.advance(timedelta(hours=1))
    await app.dispatcher.run_due()
    await app.dispatcher.run_due()

    [nudge] = notifier.to("dm:anna")
    assert "Hej @anna!" in nudge.text


async def test_onboarding_cancels_the_nudge(app: App, clock: FrozenClock, notifier: RecordingNotifier):
    await app.member_joined("test", "guild-1", "Testgruppen", "anna", "Anna")
    await app.submit(ANNA, onboarding.FORM_ID, FORM)
    notifier.sent.clear()

    clock.advance(timedelta(days=3))
    await app.dispatcher.run_due()

    assert notifier.to("dm:anna") == []
    async with app.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Reminder).where(
            Reminder.kind == onboarding.NUDGE_KIND, Reminder.status == "pending")) == 0


async def test_the_welcome_and_the_form_speak_english_in_an_english_workspace(
    app: App, notifier: RecordingNotifier
):
    coordinator = identity("bo", coordinator=True)
    from bot.services import workspaces

    await app.run(coordinator, workspaces.configure, language="en")
    await app.member_joined("test", "guild-1", "Testgruppen", "anna", "Anna")

    assert "Welcome to Jobbskaparna!\nHi @anna!" in notifier.to("dm:anna")[0].text
    shown = await app.submit(ANNA, onboarding.FORM_ID, FORM)
    assert render(shown.title, "en") == "Welcome aboard, Anna!"
    assert render((await app.run(ANNA, profile.show)).title, "en") == "Profile: Anna"
