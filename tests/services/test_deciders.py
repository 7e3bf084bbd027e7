"""Who decides an issue: the politicians with a role in its body who have not left; substitutes apart."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from bot.app import App
from bot.errors import UserError
from bot.i18n import render
from bot.models import Issue, Politician
from bot.services import civics, politicians, stances
from tests.issue_fixtures import ANNA, COORDINATOR, create_issue, import_politicians
from tests.support.replies import fields_of


async def decider_names(app: App, issue_id: int) -> list[str]:
    async with app.sessionmaker() as session:
        issue = await session.get(Issue, issue_id)
        assert issue is not None
        return [p.name for p in await civics.deciders(session, issue)]


@pytest.mark.parametrize("csv_text", [
    "Namn;Parti;Kommun;Organ\nAnna Ordf;S;Karlskrona;kommunstyrelsen\n",
    "Namn;Parti;Kommun;Organ\nAnna Ordf;S;Karlskrona;KS\n",
    "Namn;Parti;Kommun;Organ\nAnna Ordf;S;Karlskrona;Kommunstyrelsen\n",
    "Namn;Parti;Kommun;Organ\nAnna Ordf;S;Karlskrona;\"kommunfullmäktige, kommunstyrelsen\"\n",
    "Namn;Parti;Kommun;Roll\nAnna Ordf;S;Karlskrona;ordförande i kommunstyrelsen\n",
    "Namn;Parti;Kommun;Uppdrag\nAnna Ordf;S;Karlskrona;Ordförande i kommunstyrelsen\n",
], ids=["name", "KS", "capital", "two", "role-column", "uppdrag-column"])
async def test_a_politician_imported_in_kommunstyrelsen_decides_its_issues(app: App, csv_text: str):
    await import_politicians(app, csv_text)
    issue_id = await create_issue(app, body="kommunstyrelsen")

    assert await decider_names(app, issue_id) == ["Anna Ordf"]


KS_BOARD = ("Namn;Parti;Kommun;Organ;Roll i organet;X;Kontrollerad\n"
            "Bo Ledamot;M;Karlskrona;KS;ledamot;boledamot;2026-11-20\n"
            "Cia Ordf;S;Karlskrona;KS;ordförande;;2026-11-20\n"
            "Dan Ers;C;Karlskrona;KS;ersättare;danersattare;2026-11-20\n"
            "Eva Vice;KD;Karlskrona;KS;1:e vice ordförande;evavice;2026-11-20\n")


async def politician(app: App, name: str) -> Politician:
    async with app.sessionmaker() as session:
        found = await session.scalar(select(Politician).where(Politician.name == name))
        assert found is not None
        return found


async def test_a_substitute_is_listed_apart_and_decides_nothing(app: App):
    await import_politicians(app, KS_BOARD)
    issue_id = await create_issue(app, body="KS")

    async with app.sessionmaker() as session:
        issue = await session.get_one(Issue, issue_id)
        deciders = [p.name for p in await civics.deciders(session, issue)]
        substitutes = [p.name for p in civics.substitutes(await civics.in_body(session, issue), issue)]
        chair = civics.addressee(await civics.deciders(session, issue), issue)

    assert deciders == ["Eva Vice", "Bo Ledamot", "Cia Ordf"]  # by party, then name
    assert substitutes == ["Dan Ers"]
    assert chair is not None and chair.name == "Cia Ordf"  # the chair first, even without a handle
    assert (await politician(app, "Eva Vice")).roles == {"kommunstyrelsen": "vice_ordforande"}


async def test_a_politician_who_left_decides_nothing_but_keeps_their_entry(app: App):
    await import_politicians(app, KS_BOARD)
    issue_id = await create_issue(app, body="KS")
    async with app.sessionmaker() as session, session.begin():
        gone = await session.scalar(select(Politician).where(Politician.name == "Cia Ordf"))
        assert gone is not None
        gone.left_on = date(2026, 10, 14)

    assert await decider_names(app, issue_id) == ["Eva Vice", "Bo Ledamot"]
    async with app.sessionmaker() as session:
        issue = await session.get_one(Issue, issue_id)
        chair = civics.addressee(await civics.deciders(session, issue), issue)
    assert chair is not None and chair.name == "Eva Vice"  # the vice chair when the chair has left
    listed = render((await app.run(COORDINATOR, politicians.list_politicians, body="KS")).body, "sv")
    assert "**Cia Ordf** (S), Karlskrona: kommunstyrelsen (ordförande) · kontrollerad 2026-11-20 · avgick " \
           "2026-10-14" in listed


async def test_the_map_lists_substitutes_apart_and_tells_coordinators_how_many_deciders_are_stale(app: App):
    await import_politicians(app, KS_BOARD)
    await create_issue(app, body="KS")
    await app.run(COORDINATOR, politicians.edit, politician="Bo Ledamot", checked="2025-06-01")

    for language, member, coordinator in (("sv", ANNA, COORDINATOR), ("en", ANNA, COORDINATOR)):
        shown = fields_of(await app.run(member, stances.show_map, issue="Parkering"), language)
        checked = fields_of(await app.run(coordinator, stances.show_map, issue="Parkering"), language)
        substitutes = {"sv": "Ersättare (räknas inte)", "en": "Substitutes (not counted)"}[language]
        stale = {"sv": "Att kontrollera", "en": "To check"}[language]
        assert shown[substitutes] == "Dan Ers (C)" and stale not in shown  # members see no checking
        assert checked[stale].startswith({"sv": "1 av 3 beslutsfattare", "en": "1 of 3 deciders"}[language])
        assert checked[stale].endswith({"sv": "• Bo Ledamot (M) · kontrollerad 2025-06-01",
                                        "en": "• Bo Ledamot (M) · checked 2025-06-01"}[language])


# -- roles in the commands and the import -------------------------------------------------------------------


async def test_roles_are_given_per_body_and_shown_and_exported(app: App):
    await app.run(COORDINATOR, politicians.add, name="Åsa Ek", party="S", municipality="Karlskrona",
                  roles="kommunstyrelsen=ordförande, kommunfullmäktige=ledamot", role="Kommunalråd")
    asa = await politician(app, "Åsa Ek")
    assert asa.roles == {"kommunfullmaktige": "ledamot", "kommunstyrelsen": "ordforande"}
    assert asa.bodies == ["kommunfullmaktige", "kommunstyrelsen"] and asa.role == "Kommunalråd"

    await app.run(COORDINATOR, politicians.edit, politician="Åsa Ek", roles="KS=ersättare")
    asa = await politician(app, "Åsa Ek")
    assert asa.roles == {"kommunstyrelsen": "ersattare"} and asa.bodies == ["kommunstyrelsen"]

    await app.run(COORDINATOR, politicians.edit, politician="Åsa Ek", body="KS + KF")
    asa = await politician(app, "Åsa Ek")  # the bodies given keep the role held in each, new ones as members
    assert asa.roles == {"kommunfullmaktige": "ledamot", "kommunstyrelsen": "ersattare"}

    listed = await app.run(COORDINATOR, politicians.list_politicians)
    assert "kommunfullmäktige, kommunstyrelsen (ersättare)" in render(listed.body, "sv")
    assert "municipal council, municipal executive board (substitute)" in render(listed.body, "en")
    exported = (await app.run(COORDINATOR, politicians.export_csv)).files[0]
    assert "kommunfullmäktige=ledamot + kommunstyrelsen=ersättare" in exported.data.decode("utf-8-sig")
    again = await app.run(COORDINATOR, politicians.import_csv, exported.data, exported.filename)
    assert render(again.title, "sv") == "Importerat: 0 nya, 0 uppdaterade, 1 oförändrad"


async def test_an_unknown_role_is_refused_naming_the_field_and_nothing_is_written(app: App):
    with pytest.raises(UserError) as error:
        await app.run(COORDINATOR, politicians.add, name="Åsa Ek", party="S", municipality="Karlskrona",
                      roles="KS=kung")

    assert render(error.value.text, "sv").startswith('Roller: "kung" finns inte bland valen')
    assert render(error.value.text, "en").startswith('Roles: "kung" is not one of the choices')
    async with app.sessionmaker() as session:
        assert list(await session.scalars(select(Politician))) == []


async def test_the_import_reads_a_role_per_body_and_keeps_the_roles_of_a_list_without_them(app: App):
    await import_politicians(app, "Namn;Parti;Kommun;Organ;Roll i organet\n"
                                  "Åsa Ek;S;Karlskrona;KF+KS;KS=ordförande\n"
                                  "Bo Berg;M;Karlskrona;KS;vice ordförande\n")
    assert (await politician(app, "Åsa Ek")).roles == {"kommunfullmaktige": "ledamot",
                                                       "kommunstyrelsen": "ordforande"}
    assert (await politician(app, "Bo Berg")).roles == {"kommunstyrelsen": "vice_ordforande"}

    await import_politicians(app, "Namn;Parti;Kommun;X\nÅsa Ek;S;Karlskrona;asaek\n")

    assert (await politician(app, "Åsa Ek")).roles == {"kommunfullmaktige": "ledamot",
                                                       "kommunstyrelsen": "ordforande"}


# -- "last checked" and stale entries -----------------------------------------------------------------------


async def test_checked_is_set_only_when_a_date_is_given(app: App):
    await app.run(COORDINATOR, politicians.add, name="Åsa Ek", party="S", municipality="Karlskrona")
    assert (await politician(app, "Åsa Ek")).checked_on is None  # blank is never checked, not today

    await app.run(COORDINATOR, politicians.edit, politician="Åsa Ek", checked="idag")
    assert (await politician(app, "Åsa Ek")).checked_on == date(2026, 12, 1)

    await app.run(COORDINATOR, politicians.edit, politician="Åsa Ek", party="M")
    assert (await politician(app, "Åsa Ek")).checked_on == date(2026, 12, 1)  # an edit is no check

    await import_politicians(app, "Namn;Parti;Kommun;Kontrollerad\n"
                                  "Åsa Ek;M;Karlskrona;\nBo Berg;M;Karlskrona;\n")
    assert (await politician(app, "Åsa Ek")).checked_on == date(2026, 12, 1)  # a blank cell erases nothing
    assert (await politician(app, "Bo Berg")).checked_on is None


@pytest.mark.parametrize(("checked", "stale"), [
    (None, True),                  # never checked
    (date(2026, 10, 14), True),    # the day before the term started
    (date(2026, 10, 15), False),   # the term's first day
    (date(2026, 12, 1), False),
])
def test_an_entry_is_stale_when_never_checked_or_checked_before_the_term(checked: date | None, stale: bool):
    entry = Politician(name="Åsa Ek", party="S", bodies=[], roles={}, checked_on=checked)

    assert civics.is_stale(entry, date(2026, 12, 1)) is stale


def test_an_entry_checked_more_than_a_year_ago_is_stale_within_the_term():
    entry = Politician(name="Åsa Ek", party="S", bodies=[], roles={}, checked_on=date(2026, 11, 1))

    assert not civics.is_stale(entry, date(2026, 11, 1) + civics.STALE_AFTER)
    assert civics.is_stale(entry, date(2026, 11, 2) + civics.STALE_AFTER)


async def test_the_list_shows_never_checked_and_marks_stale_entries(app: App):
    await import_politicians(app, "Namn;Parti;Kommun;Kontrollerad\n"
                                  "Åsa Ek;S;Karlskrona;\n"
                                  "Bo Berg;M;Karlskrona;2026-09-01\n"
                                  "Cia Ny;C;Karlskrona;idag\n")

    for language, never, stale, checked in (
            ("sv", "aldrig kontrollerad", "behöver kontrolleras", "kontrollerad"),
            ("en", "never checked", "needs checking", "checked")):
        lines = render((await app.run(COORDINATOR, politicians.list_politicians)).body, language).splitlines()
        [asa] = [line for line in lines if "Åsa Ek" in line]
        [bo] = [line for line in lines if "Bo Berg" in line]
        [cia] = [line for line in lines if "Cia Ny" in line]
        assert never in asa and stale in asa
        assert f"{checked} 2026-09-01" in bo and stale in bo
        assert f"{checked} 2026-12-01" in cia and stale not in cia


async def test_a_title_naming_a_committee_makes_a_decider_of_that_committee_only(app: App):
    await import_politicians(app, "Namn;Parti;Kommun;Roll\n"
                                  "Anna Ordf;S;Karlskrona;Ordförande i Tekniska nämnden\n")
    ours = await create_issue(app, body="nämnd", committee="Tekniska nämnden")
    other = await create_issue(app, title="Skolmat", body="nämnd", committee="Barn- och utbildningsnämnden",
                               hashtag="#Skolmat")

    anna = await politician(app, "Anna Ordf")
    assert (anna.roles, anna.committee) == ({"namnd": "ordforande"}, "Tekniska nämnden")
    assert await decider_names(app, ours) == ["Anna Ordf"]
    assert await decider_names(app, other) == []
