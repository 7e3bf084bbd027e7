"""Contacts: a question or a contact with a politician by e-mail, phone, letter, at a meeting, a fika or on X,
with an optional link or note and the politician's answer; it counts as an ask and an action."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import func, select

from bot.app import App
from bot.errors import UserError
from bot.i18n import render
from bot.models import Action, Ask, Politician, Stance
from bot.replies import Channel
from bot.services import activity, asks, contacts, mydata
from bot.services.activity import ContactChannel
from bot.validation import FieldProblem, FormProblems
from tests.conftest import RecordingNotifier
from tests.issue_fixtures import ANNA, COORDINATOR
from tests.support.countdowns import the_group
from tests.support.replies import fields_of


async def actions_of(app: App) -> list[tuple[str, str, int | None, str | None, str | None, str | None]]:
    async with app.sessionmaker() as session:
        names = {p.id: p.name for p in await session.scalars(select(Politician))}
        return [(a.kind, a.status, a.issue_id, names.get(a.politician_id or 0), a.channel, a.note)
                for a in await session.scalars(select(Action).order_by(Action.id))]


async def test_a_phone_call_about_an_issue_is_an_ask_with_its_note_and_the_answer_for_the_coordinators(
        app: App, notifier: RecordingNotifier):
    issue_id = await the_group(app, notifier)

    reply = await app.run(ANNA, contacts.contact, politician="David Lund", how=ContactChannel.PHONE,
                          issue="Parkering", note="Ringde om p-platserna vid torget",
                          answer=contacts.ContactAnswer.FOR, said="Hon vill behålla platserna")

    assert render(reply.body, "sv").startswith("Tack! David Lund (C) visas på kartan (för)")
    [effect] = reply.effects
    assert effect.channel == Channel.COORDINATORS  # type: ignore[attr-defined]
    assert fields_of(effect.reply) == {"Hur": "📞 telefon", "Politikerns svar": "Hon vill behålla platserna"}
    async with app.sessionmaker() as session:
        [ask] = list(await session.scalars(select(Ask)))
        [stance] = list(await session.scalars(select(Stance).where(Stance.status == "reported")))
    assert (ask.channel, ask.asked_url, ask.note, ask.answer, ask.answer_note) == (
        "phone", None, "Ringde om p-platserna vid torget", "for", "Hon vill behålla platserna")
    assert stance.stance == "for" and stance.issue_id == issue_id
    assert await actions_of(app) == [
        ("ask", "done", issue_id, "David Lund", "phone", "Ringde om p-platserna vid torget")]
    overview = await app.run(COORDINATOR, asks.overview, issue="Parkering")
    assert "(📞 telefon)" in render(overview.body, "sv") and "svar: för" in render(overview.body, "sv")


async def test_a_fika_about_the_business_in_general_is_a_meeting_with_the_politician(
        app: App, notifier: RecordingNotifier):
    await the_group(app, notifier)

    reply = await app.run(ANNA, contacts.contact, politician="Åsa Ek", how=ContactChannel.FIKA,
                          note="Pratade om lokala leverantörer")

    assert render(reply.title, "sv") == "✅ Loggat: Träffade en politiker"
    assert fields_of(reply)["Politiker"] == "Åsa Ek (S) · ☕ fika"
    assert await actions_of(app) == [
        ("meet", "done", None, "Åsa Ek", "fika", "Pratade om lokala leverantörer")]
    async with app.sessionmaker() as session:
        assert await session.scalar(select(func.count(Ask.id))) == 0


async def test_a_question_by_e_mail_needs_no_link_and_reaches_the_coaching_question_step(
        app: App, notifier: RecordingNotifier):
    issue_id = await the_group(app, notifier)

    reply = await app.run(ANNA, asks.mark_asked, issue="Parkering", politician="Björn Öst",
                          how=ContactChannel.EMAIL)

    assert render(reply.body, "sv").startswith("Tack för att du frågade Björn Öst (M)!")
    assert await actions_of(app) == [("ask", "done", issue_id, "Björn Öst", "email", None)]
    progress = await app.run(ANNA, activity.stats)
    assert "Frågade en politiker" in render(progress.fields[0].value, "sv")


async def test_the_asked_form_takes_how_and_a_note_and_wants_a_link_only_on_x(
        app: App, notifier: RecordingNotifier):
    issue_id = await the_group(app, notifier)
    await app.run(ANNA, asks.my_question, issue="Parkering")  # Anna is given a politician to ask
    form = asks.asked_form(issue_id)
    assert [f.name for f in form.fields] == ["how", "link", "note"]

    with pytest.raises(FieldProblem) as on_x:
        await app.submit(ANNA, asks.ASKED_FORM, {"how": "x"}, str(issue_id))
    thanks = await app.submit(ANNA, asks.ASKED_FORM, {"how": "letter", "note": "Skrev till nämnden"},
                              str(issue_id))

    assert render(on_x.value.text, "sv") == (
        "Länk: En fråga på X behöver en länk till inlägget. Frågade du på annat sätt? Välj hur (e-post, "
        "telefon, brev, möte eller fika), så räcker det utan länk.")
    assert render(thanks.body, "sv").startswith("Tack för att du frågade")
    async with app.sessionmaker() as session:
        [ask] = [a for a in await session.scalars(select(Ask)) if a.asked_at is not None]
    assert (ask.channel, ask.note, ask.asked_url) == ("letter", "Skrev till nämnden", None)


@pytest.mark.parametrize("language", ["sv", "en"])
async def test_bad_contacts_are_refused_kindly_and_nothing_is_written(
        app: App, notifier: RecordingNotifier, language: str):
    await the_group(app, notifier)
    async with app.sessionmaker() as session, session.begin():
        left = await session.scalar(select(Politician).where(Politician.name == "Eva Ström"))
        assert left is not None
        left.left_on = date(2026, 11, 1)

    with pytest.raises(UserError) as unknown:
        await app.run(ANNA, contacts.contact, politician="Greta Garbo", how=ContactChannel.PHONE)
    with pytest.raises(FieldProblem) as not_a_link:
        await app.run(ANNA, contacts.contact, politician="Åsa Ek", how=ContactChannel.EMAIL,
                      link="inte en länk")
    with pytest.raises(FieldProblem) as x_without_link:
        await app.run(ANNA, contacts.contact, politician="Åsa Ek", how=ContactChannel.X)
    with pytest.raises(FieldProblem) as answer_without_issue:
        await app.run(ANNA, contacts.contact, politician="Åsa Ek", how=ContactChannel.PHONE,
                      answer=contacts.ContactAnswer.AGAINST)
    with pytest.raises(FormProblems) as both:
        await app.run(ANNA, contacts.contact, politician="Åsa Ek", how=ContactChannel.X,
                      said="Hon sa nej")
    with pytest.raises(UserError) as gone:
        await app.run(ANNA, contacts.contact, politician="Eva Ström", how=ContactChannel.MEETING)
    with pytest.raises(FieldProblem) as no_how:
        await app.run(ANNA, contacts.contact, politician="Åsa Ek")

    assert unknown.value.text.key == "politicians.unknown"
    assert render(not_a_link.value.text, language).startswith(
        {"sv": "Länk: \"inte en länk\" är inte en webbadress",
         "en": "Link: \"inte en länk\" is not"}[language])
    assert x_without_link.value.problem.key == "contacts.errors.link_for_x"
    assert render(answer_without_issue.value.text, language) == {
        "sv": "Svar: Ett svar gäller en fråga: ange vilken fråga politikern svarade på, eller logga "
              "kontakten utan svar.",
        "en": "Answer: An answer is about an issue: say which issue the politician answered on, or log the "
              "contact without an answer."}[language]
    assert [p.problem.key for p in both.value.problems] == ["contacts.errors.link_for_x",
                                                           "contacts.errors.answer_needs_issue"]
    assert render(gone.value.text, language).startswith(
        {"sv": "Eva Ström (KD) lämnade fullmäktige 2026-11-01",
         "en": "Eva Ström (KD) left the council"}[language])
    assert no_how.value.problem.key == "errors.required"
    assert await actions_of(app) == []
    async with app.sessionmaker() as session:
        assert await session.scalar(select(func.count(Ask.id))) == 0


async def test_issue_asked_still_wants_a_link_on_x(app: App, notifier: RecordingNotifier):
    await the_group(app, notifier)

    with pytest.raises(FieldProblem) as refused:
        await app.run(ANNA, asks.mark_asked, issue="Parkering", politician="Åsa Ek")

    assert refused.value.problem.key == "contacts.errors.link_for_x"
    assert await actions_of(app) == []


async def test_a_contact_is_in_the_members_export(app: App, notifier: RecordingNotifier):
    await the_group(app, notifier)
    await app.run(ANNA, contacts.contact, politician="David Lund", how=ContactChannel.LETTER,
                  issue="Parkering", note="Brev om torget", answer=contacts.ContactAnswer.UNDECIDED,
                  said="Hon funderar")
    await app.run(ANNA, contacts.contact, politician="Åsa Ek", how=ContactChannel.MEETING, note="Frukostmöte")

    data = json.loads((await app.run(ANNA, mydata.export)).files[0].data)

    [ask] = data["issue_asks"]["asks"]
    assert (ask["channel"], ask["note"], ask["answer"], ask["answer_note"]) == (
        "letter", "Brev om torget", "undecided", "Hon funderar")
    assert [(a["kind"], a["politician"], a["channel"], a["note"]) for a in data["actions"]] == [
        ("ask", "David Lund", "letter", "Brev om torget"), ("meet", "Åsa Ek", "meeting", "Frukostmöte")]
