"""Relationships: the politicians members know or have met, the consent to share them with the coordinators,
the coordinators' view and map, and the follow-up the morning after a meeting (on SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.app import App
from bot.clock import FrozenClock
from bot.errors import NotCoordinator, UserError
from bot.i18n import render
from bot.models import Issue, Member, Relationship, Reminder
from bot.replies import Channel, Reply
from bot.services import activity, asks, relationships, stances, stories
from bot.services.context import Actor
from bot.validation import FieldProblem, FormProblems
from tests.conftest import RecordingNotifier, identity
from tests.issue_fixtures import ANNA, BO, COORDINATOR, create_issue, import_politicians, politician_ids
from tests.services.conftest import intent_text
from tests.support.onboarding import onboard
from tests.support.replies import fields_of, shown

KNOW = relationships.RelationKind.KNOW
# The suite's clock starts Tuesday 1 December 2026, 10:00 in Stockholm: "igår" is Monday 30 November, and the
# next 09:00 there is Wednesday's (08:00 UTC).
NEXT_MORNING = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)


async def relationship_rows(app: App) -> list[Relationship]:
    async with app.sessionmaker() as session:
        return list(await session.scalars(select(Relationship).order_by(Relationship.id)))


async def followups(app: App) -> list[Reminder]:
    async with app.sessionmaker() as session:
        return list(await session.scalars(select(Reminder).where(
            Reminder.kind == relationships.FOLLOWUP_KIND).order_by(Reminder.id)))


@pytest.fixture
async def group(app: App) -> dict[str, int]:
    """Karlskrona's council and two members (Anna wants DMs); the politicians' ids by name."""
    await import_politicians(app)
    await onboard(app, ANNA, dm=True)
    await onboard(app, BO, dm=True)
    return await politician_ids(app)


async def test_a_member_is_asked_once_whether_the_coordinators_may_see_whom_she_knows(
        app: App, group: dict[str, int]):
    first = await app.run(ANNA, relationships.add, politician="Åsa Ek", kind=KNOW, how="Grannar")

    assert render(first.body, "sv") == "Sparat: din relation med Åsa Ek (S)."
    assert fields_of(first)["Relation"] == "Känner – Grannar"
    assert "Får koordinatorerna se vilka politiker du känner? Bara de" in fields_of(first)["Vem ser det"]
    assert [(b.action, b.arg) for b in first.buttons] == [(relationships.SHARE_ACTION, "yes"),
                                                         (relationships.SHARE_ACTION, "no")]
    assert [r.shared for r in await relationship_rows(app)] == [False]  # nothing shared before she says yes

    no = await app.press(ANNA, relationships.SHARE_ACTION, "no")
    second = await app.run(ANNA, relationships.add, politician="Björn Öst", kind=KNOW)

    assert render(no.body, "sv").startswith("Nu ser bara du vilka politiker du känner.")
    assert second.buttons == () and fields_of(second)["Vem ser det"].startswith("Bara du.")
    assert [r.shared for r in await relationship_rows(app)] == [False, False]

    yes = await app.press(ANNA, relationships.SHARE_ACTION, "yes")

    assert render(yes.body, "sv") == ("Koordinatorerna ser nu vilka politiker du känner (ingen annan i "
                                      "gruppen). Det gäller de 2 relationer du har sparat och dem du sparar "
                                      "framöver.")
    assert [r.shared for r in await relationship_rows(app)] == [True, True]
    third = await app.run(ANNA, relationships.add, politician="Eva Ström", kind=KNOW)
    assert third.buttons == () and [r.shared for r in await relationship_rows(app)] == [True, True, True]


async def test_the_coordinators_see_only_the_shared_relationships_per_politician(
        app: App, group: dict[str, int]):
    await app.run(ANNA, relationships.add, politician="Åsa Ek", kind=KNOW, how="Samma förening")
    await app.press(ANNA, relationships.SHARE_ACTION, "yes")
    await app.run(BO, relationships.add, politician="Åsa Ek", met_on="2026-11-20", note="Bara mitt")
    await app.press(BO, relationships.SHARE_ACTION, "no")

    per_politician = await app.run(COORDINATOR, relationships.contacts, politician="Åsa Ek")
    overview = await app.run(COORDINATOR, relationships.contacts)
    nobody = await app.run(COORDINATOR, relationships.contacts, politician="Eva Ström")

    assert shown(per_politician).splitlines() == [
        "Medlemmar som känner Åsa Ek (S)",
        "De här medlemmarna har delat att de känner politikern. Fråga dem först om de vill ta kontakten:",
        "• Anna (Annas Blommor): Känner – Samma förening"]
    assert "Åsa Ek (S): 🤝 1" in shown(overview) and "Bo" not in shown(per_politician)
    assert render(nobody.body, "sv") == "Ingen medlem har delat att hen känner Eva Ström (KD)."
    with pytest.raises(NotCoordinator):
        await app.run(ANNA, relationships.contacts, politician="Åsa Ek")


async def test_the_map_marks_a_decider_someone_knows_for_a_coordinator_and_never_names_members_to_others(
        app: App, group: dict[str, int]):
    await create_issue(app)
    await app.run(ANNA, relationships.add, politician="Åsa Ek", kind=KNOW)
    await app.press(ANNA, relationships.SHARE_ACTION, "yes")
    await app.run(BO, relationships.add, politician="Eva Ström", kind=KNOW)  # not shared: hers alone

    coordinators = await app.run(COORDINATOR, stances.show_map, issue="Parkering")
    members = await app.run(BO, stances.show_map, issue="Parkering")

    assert "⚪ Åsa Ek, Kommunalråd: okänt ★ prioritet 🤝 1" in shown(coordinators)
    assert fields_of(coordinators)["Medlemmar som känner politikerna"] == "• Åsa Ek (S): Anna"
    assert "Eva Ström: okänt ★ prioritet\n" in shown(coordinators) + "\n"  # Bo's is not shared
    assert "🤝" not in shown(members) and "Anna" not in shown(members)
    assert all(b"Anna" not in file.data for file in (*coordinators.files, *members.files))


async def test_a_meeting_yesterday_brings_one_follow_up_the_next_morning_with_a_thank_you_draft(
        app: App, group: dict[str, int], clock: FrozenClock, notifier: RecordingNotifier):
    added = await app.run(ANNA, relationships.add, politician="Åsa Ek", met_on="igår", note="Om torget")
    await app.run(ANNA, relationships.add, politician="Åsa Ek", met_on="i dag")  # the same morning's

    assert fields_of(added)["Relation"] == "Har träffat – träffades måndag 30 november 2026 – Om torget"
    assert fields_of(added)["Uppföljning"] == ("Jag påminner dig 2 december 2026 09:00 om att tacka och dela "
                                              "vad du lärde dig.")
    [planned] = await followups(app)
    assert planned.due_at == NEXT_MORNING and planned.payload["member_id"] is not None
    await app.dispatcher.run_due()
    assert notifier.to("dm:anna") == []  # not before the morning

    clock.advance(NEXT_MORNING - clock.now())
    await app.dispatcher.run_due()

    [dm] = notifier.to("dm:anna")
    assert dm.text.startswith("Efter mötet med Åsa Ek (S)\nDu träffade Åsa Ek (S) tisdag 1 december 2026.")
    draft = fields_of(dm.reply)["Förslag på tack"]
    assert draft.startswith("Tack @asaek för att du tog dig tid att träffa mig") and "Karlskrona" in draft
    assert intent_text(dm.reply.links[0].url) == draft
    # The meeting is saved already: only the story button, no "save that I met her".
    assert [b.action for b in dm.reply.buttons] == [stories.SHARE_ACTION]
    clock.advance(timedelta(days=1))
    await app.dispatcher.run_due()
    assert len(notifier.to("dm:anna")) == 1


async def test_a_meeting_logged_as_an_action_brings_a_follow_up_that_saves_the_relationship(
        app: App, group: dict[str, int], clock: FrozenClock, notifier: RecordingNotifier):
    async def met_at_a_fika(session, actor: Actor) -> Reply:
        await activity.record(session, actor, "ask", "done", politician_id=group["Björn Öst"], channel="fika")
        return Reply()

    await app.run(ANNA, met_at_a_fika)
    [planned] = await followups(app)
    assert planned.due_at == NEXT_MORNING
    clock.advance(NEXT_MORNING - clock.now())
    await app.dispatcher.run_due()
    [dm] = notifier.to("dm:anna")
    story, save = dm.reply.buttons
    assert story.action == stories.SHARE_ACTION
    assert render(save.label, "sv") == "Spara att jag har träffat Björn Öst"

    saved = await app.press(ANNA, save.action, save.arg)

    assert fields_of(saved)["Relation"] == "Har träffat – träffades tisdag 1 december 2026"
    assert saved.buttons[0].action == relationships.SHARE_ACTION  # her first: she is asked
    [row] = await relationship_rows(app)
    assert (row.kind, row.last_met_on, row.shared) == ("met", date(2026, 12, 1), False)


async def test_an_action_that_is_no_meeting_or_only_an_attempt_brings_no_follow_up(
        app: App, group: dict[str, int]):
    async def logged(session, actor: Actor) -> Reply:
        await activity.record(session, actor, "ask", "done", politician_id=group["Björn Öst"],
                              channel="email")
        await activity.record(session, actor, "meet", "attempted", politician_id=group["Eva Ström"])
        await activity.record(session, actor, "meet", "done")  # whom is not known
        return Reply()

    await app.run(ANNA, logged)

    assert await followups(app) == []


async def test_a_member_without_dms_is_mentioned_and_opens_her_follow_up_alone(
        app: App, clock: FrozenClock, notifier: RecordingNotifier):
    await import_politicians(app)
    cia = identity("cia")
    await onboard(app, cia, dm=False)
    await app.run(cia, relationships.add, politician="Eva Ström", met_on="igår")
    clock.advance(NEXT_MORNING - clock.now())
    notifier.sent.clear()
    await app.dispatcher.run_due()

    [post] = notifier.sent
    assert post.to == f"channel:{Channel.ANNOUNCEMENTS}" and post.reply.mentions == ("cia",)
    assert "Eva" not in post.text  # whom she met is hers
    [show] = post.reply.buttons
    opened = await app.press(cia, show.action, show.arg)
    assert opened.private and "Du träffade Eva Ström (KD) måndag 30 november 2026." in shown(opened)


async def test_an_older_meeting_brings_no_follow_up_and_removing_a_relationship_cancels_one(
        app: App, group: dict[str, int]):
    await app.run(ANNA, relationships.add, politician="Åsa Ek", met_on="2026-11-27")
    assert await followups(app) == []

    await app.run(ANNA, relationships.add, politician="Björn Öst", met_on="i dag")
    removed = await app.run(ANNA, relationships.remove, politician="Björn Öst")

    assert render(removed.body, "sv") == "Borttaget: din relation med Björn Öst (M)."
    assert [r.status for r in await followups(app)] == ["cancelled"]
    with pytest.raises(UserError) as error:
        await app.run(ANNA, relationships.remove, politician="Björn Öst")
    assert render(error.value.text, "sv") == "Du har inte sparat någon relation med Björn Öst (M)."


async def test_bad_input_names_each_field_in_the_members_language_and_saves_nothing(
        app: App, group: dict[str, int]):
    with pytest.raises(FormProblems) as problems:
        await app.run(ANNA, relationships.add, politician="Åsa Ek", met_on="i morgon", how="x" * 101,
                      note="y" * 301)
    with pytest.raises(FieldProblem) as unreadable:
        await app.run(ANNA, relationships.add, politician="Åsa Ek", met_on="förra våren")
    with pytest.raises(FieldProblem) as neither:
        await app.run(ANNA, relationships.add, politician="Åsa Ek")
    with pytest.raises(UserError) as unknown:
        await app.run(ANNA, relationships.add, politician="Greta Okänd", kind=KNOW)

    assert render(problems.value.text, "sv").splitlines() == [
        "Formuläret har 3 saker att rätta:",
        "• Träffades: \"i morgon\" ligger i framtiden; ange dagen då ni träffades.",
        "• Hur: är för lång (101 tecken, högst 100).",
        "• Anteckning: är för lång (301 tecken, högst 300)."]
    assert render(unreadable.value.text, "en").startswith("Met on: I cannot read \"förra våren\" as a date.")
    assert render(neither.value.text, "sv") == ("Hur ni känner varandra: Ange om du känner politikern "
                                                "(typ:känner) eller när ni träffades (träffades:igår).")
    assert render(unknown.value.text, "en").startswith('I find no politician called "Greta Okänd".')
    assert await relationship_rows(app) == [] and await followups(app) == []


async def test_only_an_onboarded_member_records_a_relationship(app: App):
    await import_politicians(app)
    with pytest.raises(UserError) as refused:
        await app.run(identity("ulla"), relationships.add, politician="Åsa Ek", kind=KNOW)
    assert refused.value.text.key == "profile.not_onboarded"
    assert await relationship_rows(app) == []


async def test_the_list_shows_the_members_own_relationships_and_who_sees_them(
        app: App, group: dict[str, int]):
    assert render((await app.run(ANNA, relationships.list_relationships)).body, "sv").startswith(
        "Du har inte sparat någon politiker")
    await app.run(ANNA, relationships.add, politician="Åsa Ek", kind=KNOW, how="Grannar")
    await app.run(BO, relationships.add, politician="Eva Ström", kind=KNOW)

    listed = await app.run(ANNA, relationships.list_relationships)

    assert shown(listed).splitlines() == [
        "Politiker du känner", "• Åsa Ek (S): Känner – Grannar",
        "Vem ser det: Bara du. Vill du att koordinatorerna ska se det: /relation dela."]


async def test_a_round_of_questions_gives_the_politician_to_the_member_who_shared_that_she_knows_them(
        app: App, group: dict[str, int]):
    issue_id = await create_issue(app)
    await app.run(BO, relationships.add, politician="Eva Ström", kind=KNOW)  # his own: not used
    await app.run(ANNA, relationships.add, politician="Eva Ström", kind=KNOW)
    await app.press(ANNA, relationships.SHARE_ACTION, "yes")
    async with app.sessionmaker() as session, session.begin():
        issue = await session.get_one(Issue, issue_id)
        model = await stances.build_model(session, issue)
        members = list(await session.scalars(select(Member).order_by(Member.id)))
        order = [row.politician_id for row in asks.targets(model)]
        assigned = await asks.assign(session, issue, members, 21, model, issue.created_at)
        by_name = {m.external_id: assigned[m.id].politician_id for m in members}

    # Without relationships the first member in id order (Anna) would take the map's first target.
    assert order[0] != group["Eva Ström"] and group["Eva Ström"] in order
    assert by_name["anna"] == group["Eva Ström"]
    # Bo kept his for himself: he is spread as anyone is (the one who knows her asks, not both).
    assert by_name["bo"] != group["Eva Ström"]


def test_the_maps_field_names_a_few_messengers_of_a_few_politicians_and_counts_the_rest():
    names = {pid: f"Politiker {pid} (S)" for pid in range(1, 11)}
    known = {pid: [f"Medlem {pid}-{n}" for n in range(7)] for pid in range(1, 11)}

    field = relationships.map_field(known, names)

    lines = render(field.value, "sv").splitlines()
    assert len(lines) == relationships.MAP_POLITICIANS + 1 and lines[-1] == "• …och 2 till."
    assert lines[0] == ("• Politiker 1 (S): Medlem 1-0, Medlem 1-1, Medlem 1-2, Medlem 1-3, Medlem 1-4, "
                        "…och 2 till.")
    assert relationships.map_field({3: []}, names) is None
