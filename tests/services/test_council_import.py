"""The councils from Valmyndigheten's open data: the files read in their layouts and encodings, the diff
against the stored politicians, the preview confirmed or cancelled (once, within the hour), and the seats it
sets.

Every name here is made up."""

from __future__ import annotations

import io
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.app import App
from bot.clock import FrozenClock
from bot.errors import NotCoordinator, UserError
from bot.i18n import render
from bot.models import AuditLog, CouncilImport, CouncilSeat, Politician, Stance
from bot.services import civics, council_import, stances
from bot.services.council_import import Listed, Stored
from tests.issue_fixtures import ANNA, COORDINATOR, create_issue, import_politicians

# Karlskrona's council as the file lists it (name, party, kind), in the order of the rows below.
KARLSKRONA = [
    ("Åsa Ek", "S", "ledamot"), ("Örjan Ås", "S", "ledamot"), ("Lena Berg", "S", "ledamot"),
    ("Björn Öst", "L", "ledamot"), ("Per Holm", "M", "ledamot"), ("Cecilia Ärlig", "SD", "ledamot"),
    ("Eva Ström", "KD", "ersattare"),
]
PARTY_NAMES = {"S": "Socialdemokraterna", "L": "Liberalerna", "M": "Moderaterna", "SD": "Sverigedemokraterna",
               "KD": "Kristdemokraterna"}
# Rows of other councils and places, which the import counts and leaves.
OTHERS = [("Riksdag", "1080 Karlskrona", "Ture Tand", "S", "Ledamot"),
          ("Regionfullmäktige", "10 Blekinge", "Ulla Ur", "M", "Ledamot"),
          ("Kommunfullmäktige", "0180 Stockholm", "Vera Vik", "C", "Ledamot")]


def nuvarande_ledamoter() -> str:
    """"Nuvarande ledamöter": one name column, the area as code and name, no kind (all are members)."""
    lines = [("Valtyp;Geografi;Parti;Namn;Tillträdesdatum;Kön;Invalsordning;Personvald;Födelseår;Lista;"
              "Platsen på listan;Valtillfälle")]
    lines += [f"Kommunfullmäktige;1080 Karlskrona;{party};{name};2022-10-15;K;1;Nej;1970;{party};1;2022"
              for name, party, kind in KARLSKRONA if kind == "ledamot"]
    lines += [f"{valtyp};{area};{party};{name};2022-10-15;M;1;Ja;1960;{party};2;2022"
              for valtyp, area, name, party, _ in OTHERS]
    return "\n".join(lines) + "\n"


def ledamoter_och_ersattare() -> str:
    """"Ledamöter och ersättare": first and last name apart, the kind in "Uppdrag", the area by its name."""
    lines = ["VALTYP;GEOGRAFI;PARTI;FÖRNAMN;EFTERNAMN;UPPDRAG;KÖN;FÖDELSEÅR"]
    for name, party, kind in KARLSKRONA:
        first, last = name.split(" ")
        lines.append(f"K;Karlskrona kommun;{PARTY_NAMES[party]};{first};{last};"
                     f"{'Ledamot' if kind == 'ledamot' else 'Ersättare'};K;1975")
    for valtyp, area, name, party, kind in OTHERS:
        first, last = name.split(" ")
        lines.append(f"{valtyp};{area};{party};{first};{last};{kind};M;1980")
    return "\r\n".join(lines) + "\r\n"


def english_headers() -> str:
    """Retyped with English-ish headers, the code and the name in columns of their own."""
    lines = ["Election_Type;Municipality Code;Municipality Name;Party;Full Name;Kind"]
    lines += [f"KF;1080;Karlskrona;{party};{name};{'member' if kind == 'ledamot' else 'substitute'}"
              for name, party, kind in KARLSKRONA]
    lines += [f"{valtyp};{area.split(' ')[0]};{area.split(' ')[-1]};{party};{name};member"
              for valtyp, area, name, party, _ in OTHERS]
    return "\n".join(lines) + "\n"


def typ_column() -> str:
    """Lower-case headers with spaces, the kind in "Typ", the area's code alone, quoted cells."""
    lines = ["valtyp;geografi;parti;namn på ledamot;typ"]
    lines += [f'"kommun";"1080";"{party}";"{name}";"{"Ledamot" if kind == "ledamot" else "Ersättare"}"'
              for name, party, kind in KARLSKRONA]
    lines += [f'"{valtyp}";"{area.split(" ")[0]}";"{party}";"{name}";"{kind}"'
              for valtyp, area, name, party, kind in OTHERS]
    return "\n".join(lines) + "\n"


def people(parsed: council_import.Parsed) -> list[tuple[str, str, str, str]]:
    return [(row.municipality, row.name, row.party, row.kind) for row in parsed.rows]


COUNCIL = [("karlskrona", name, party, kind) for name, party, kind in KARLSKRONA]
MEMBERS_ONLY = [row for row in COUNCIL if row[3] == "ledamot"]


# -- reading ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("layout", "expected"), [
    (nuvarande_ledamoter, MEMBERS_ONLY),
    (ledamoter_och_ersattare, COUNCIL),
    (english_headers, COUNCIL),
    (typ_column, COUNCIL),
])
def test_each_layout_reads_the_council_and_leaves_the_other_rows(layout, expected):
    parsed = council_import.parse(layout().encode())

    assert people(parsed) == expected
    assert parsed.ignored == len(OTHERS)


@pytest.mark.parametrize("encode", [
    lambda content: content.encode("utf-8"),
    lambda content: b"\xef\xbb\xbf" + content.encode("utf-8"),
    lambda content: content.encode("cp1252"),
], ids=["utf-8", "utf-8-bom", "cp1252"])
def test_the_encodings_read_the_same_names(encode):
    parsed = council_import.parse(encode(ledamoter_och_ersattare()))

    assert people(parsed) == COUNCIL
    assert "Örjan Ås" in [row.name for row in parsed.rows]


def test_one_municipality_only_leaves_the_others():
    content = nuvarande_ledamoter() + (
        "Kommunfullmäktige;1081 Ronneby;S;Rut Ros;2022-10-15;K;1;Nej;1970;S;1;2022\n")

    assert [row.municipality for row in council_import.parse(content.encode()).rows] == ["karlskrona"] * 6 + [
        "ronneby"]
    only = council_import.parse(content.encode(), "ronneby")
    assert people(only) == [("ronneby", "Rut Ros", "S", "ledamot")]
    assert only.ignored == 6 + len(OTHERS)


@pytest.mark.parametrize(("cell", "code"), [
    ("1080", "karlskrona"), ("1080 Karlskrona", "karlskrona"), ("Karlskrona kommun", "karlskrona"),
    ("Karlshamns kommun", "karlshamn"), ("1083", "solvesborg"), ("Sölvesborg", "solvesborg"),
    ("1060 Olofström", "olofstrom"), ("1081", "ronneby"), ("0180 Stockholm", None),
    ("Stockholms kommun", None), ("10", None), ("", None),
])
def test_the_area_is_read_by_code_or_name(cell, code):
    assert council_import.municipality_of(cell) == code


def test_an_unknown_layout_names_the_columns_found_and_missing():
    with pytest.raises(UserError) as error:
        council_import.parse("Kommun;Namn;Telefon\nKarlskrona;Åsa Ek;0455-1\n".encode())

    assert error.value.text.key == "council_import.layout"
    assert render(error.value.text, "sv") == (
        "Filen ser inte ut som Valmyndighetens lista över ledamöter. Kolumner i filen: Kommun, Namn, "
        "Telefon. Saknas: valtyp, parti. Ingenting importerades.")
    assert render(error.value.text, "en").startswith(
        "The file does not look like Valmyndigheten's list of council members. Columns in the file: Kommun, "
        "Namn, Telefon. Missing: election type (valtyp), party.")


def test_a_row_without_a_party_or_with_an_unknown_kind_refuses_the_file_naming_the_line():
    content = ("Valtyp;Geografi;Parti;Namn;Uppdrag\nKF;1080;S;Åsa Ek;Ledamot\nKF;1080;;Bo Ek;Ledamot\n"
               "KF;1080;M;Cia Ek;Ordförandeklubba\nRiksdag;1080;;;\n")
    with pytest.raises(UserError) as error:
        council_import.parse(content.encode())

    assert render(error.value.text, "sv").splitlines() == [
        "Ingenting importerades: 2 rader går inte att läsa.",
        "• Rad 3: parti saknas.",
        "• Rad 4: Uppdraget \"Ordförandeklubba\" är varken ledamot eller ersättare.",
    ]


def test_a_file_without_rows_of_ours_says_so():
    content = "Valtyp;Geografi;Parti;Namn\nRiksdag;1080;S;Ture Tand\nKF;0180;C;Vera Vik\n"
    with pytest.raises(UserError) as error:
        council_import.parse(content.encode())

    assert render(error.value.text, "en") == (
        "The file has no members of our municipalities' councils (2 other lines). Nothing was imported.")


# -- the diff -----------------------------------------------------------------------------------------------

def listed(name: str, party: str, kind: str = "ledamot") -> Listed:
    return Listed("karlskrona", name, party, kind, 2)


def stored(politician_id: int, name: str, party: str, *, in_council: bool = True, left: bool = False
           ) -> Stored:
    return Stored(politician_id, name, civics.name_key(name), party, in_council, left)


def test_the_diff_finds_new_gone_changed_and_unchanged():
    [change] = council_import.diff(
        [listed("Åsa Ek", "S"), listed("Björn Öst", "L"), listed("Ny Person", "M"), listed("Eva Ström", "KD",
                                                                                           "ersattare")],
        {"karlskrona": [stored(1, "Åsa Ek", "Socialdemokraterna"), stored(2, "Björn Öst", "M"),
                        stored(3, "David Lund", "C"), stored(4, "Eva Ström", "KD", in_council=False),
                        stored(5, "Gammal Avgått", "S", left=True)]})

    assert [row.name for row in change.new] == ["Ny Person"]
    # Spelt out or abbreviated, Socialdemokraterna is S: no change of party.
    assert [(s.id, row.name) for s, row in change.unchanged] == [(1, "Åsa Ek")]
    assert [(s.party, row.party) for s, row in change.party_changed] == [("M", "L")]
    # In the list but not yet in the council (added by hand for kommunstyrelsen): joins it.
    assert [s.id for s, _ in change.returning] == [4]
    # Only a sitting member can be gone; one who left before stays as they are.
    assert [s.id for s in change.gone] == [3]
    assert change.seats == {"L": 1, "M": 1, "S": 1}  # the substitute holds no seat


def test_two_people_of_one_name_are_told_apart_by_party_or_reported():
    [change] = council_import.diff(
        [listed("Anna Andersson", "S"), listed("Anna Andersson", "M"), listed("Karl Karlsson", "C"),
         listed("Karl Karlsson", "V")],
        {"karlskrona": [stored(1, "Anna Andersson", "M"), stored(2, "Karl Karlsson", "KD")]})

    # The stored Anna is the M one; the S one cannot be told from her by name alone, so is not guessed.
    assert [(s.id, row.party) for s, row in change.unchanged] == [(1, "M")]
    assert sorted((row.name, row.party) for row in change.ambiguous) == [
        ("Anna Andersson", "S"), ("Karl Karlsson", "C"), ("Karl Karlsson", "V")]
    # Karl of KD matches neither Karl of the file: left alone too, not marked as gone.
    assert change.gone == [] and change.new == []
    assert change.seats == {"C": 1, "M": 1, "S": 1, "V": 1}


def test_a_person_listed_as_member_and_substitute_is_a_member():
    [change] = council_import.diff([listed("Åsa Ek", "S", "ersattare"), listed("Åsa Ek", "S")], {})

    assert [(row.name, row.kind) for row in change.new] == [("Åsa Ek", "ledamot")]
    assert change.ambiguous == []


# -- preview and confirmation -------------------------------------------------------------------------------

async def politicians_by_name(app: App) -> dict[str, Politician]:
    async with app.sessionmaker() as session:
        return {p.name: p for p in await session.scalars(select(Politician))}


async def seats(app: App) -> dict[str, int]:
    async with app.sessionmaker() as session:
        return {s.party: s.seats for s in await session.scalars(
            select(CouncilSeat).where(CouncilSeat.municipality == "karlskrona",
                                      CouncilSeat.body == "kommunfullmaktige"))}


async def count(app: App, model: type) -> int:
    async with app.sessionmaker() as session:
        return await session.scalar(select(func.count()).select_from(model))


async def preview(app: App, content: str | None = None):
    data = (content or ledamoter_och_ersattare()).encode()
    return await app.run(COORDINATOR, council_import.import_file, data, "ledamoter.skv")


async def test_the_preview_shows_the_changes_and_the_seats_and_changes_nothing(app: App):
    await import_politicians(app)
    before = await politicians_by_name(app)

    reply = await preview(app)

    assert [b.action for b in reply.buttons] == [council_import.CONFIRM, council_import.CANCEL]
    [field] = reply.fields
    assert render(field.name, "sv") == "Karlskrona"
    assert render(field.value, "sv").splitlines() == [
        "3 nya, 1 avgångna, 1 bytt parti, 3 oförändrade",
        "Nya: Örjan Ås (S), Lena Berg (S), Per Holm (M)",
        "Avgångna: David Lund (C)",
        "Bytt parti: Björn Öst (M → L)",
        "Mandat: S: 3, L: 1, M: 1, SD: 1 – 6 mandat, majoritet 4",
    ]
    assert render(reply.body, "en").startswith("7 lines of our municipalities' councils; 3 other lines")
    assert {name: (p.party, p.left_on, p.roles) for name, p in (await politicians_by_name(app)).items()} == {
        name: (p.party, p.left_on, p.roles) for name, p in before.items()}
    assert await seats(app) == {}
    assert await count(app, CouncilImport) == 1


async def test_confirming_applies_it_keeping_what_the_file_does_not_say(app: App, clock: FrozenClock):
    await import_politicians(app)
    async with app.sessionmaker() as session, session.begin():
        chair = await session.scalar(select(Politician).where(Politician.name == "Åsa Ek"))
        chair.roles = {"kommunfullmaktige": "ordforande", "kommunstyrelsen": "vice_ordforande"}
    await create_issue(app)
    await app.run(COORDINATOR, stances.set_stance, issue="Parkering", politician="David Lund", stance="for")
    await app.run(COORDINATOR, stances.set_stance, issue="Parkering", politician="Åsa Ek", stance="against")
    reply = await preview(app)
    clock.advance(timedelta(minutes=30))

    done = await app.press(COORDINATOR, council_import.CONFIRM, reply.buttons[0].arg)

    assert done.replaces_source and render(done.title, "sv") == "Kommunfullmäktige är uppdaterat"
    found = await politicians_by_name(app)
    today = clock.now().date()
    asa = found["Åsa Ek"]
    # What the file does not say stays: handle, e-mail, title, kommunstyrelsen, the stance.
    assert (asa.x_handle, asa.email, asa.role) == ("asaek", "asa.ek@karlskrona.se", "Kommunalråd")
    # The chair is a member too: the file's "Ledamot" does not make her less.
    assert asa.roles == {"kommunfullmaktige": "ordforande", "kommunstyrelsen": "vice_ordforande"}
    assert asa.bodies == ["kommunfullmaktige", "kommunstyrelsen"] and asa.checked_on == today
    assert found["Björn Öst"].party == "L" and found["Björn Öst"].x_handle == "bjornost"
    assert found["Eva Ström"].roles == {"kommunfullmaktige": "ersattare"}
    new = found["Örjan Ås"]
    assert (new.party, new.municipality, new.roles, new.bodies, new.checked_on, new.left_on) == (
        "S", "karlskrona", {"kommunfullmaktige": "ledamot"}, ["kommunfullmaktige"], today, None)
    # The one gone is kept, marked, with the stance they took.
    gone = found["David Lund"]
    assert gone.left_on == today and gone.x_handle == "davidlund"
    async with app.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Stance).where(
            Stance.politician_id == gone.id)) == 1
        [entry] = await session.scalars(select(AuditLog).where(AuditLog.action == "council.imported"))
    assert (entry.detail["new"], entry.detail["gone"], entry.detail["changed"]) == (3, 1, 1)
    assert all(p.left_on is None for name, p in found.items() if name != "David Lund")
    assert await seats(app) == {"S": 3, "L": 1, "M": 1, "SD": 1}
    assert await count(app, CouncilImport) == 0


async def test_the_seats_are_the_files_members_per_party_and_the_map_shows_the_majority(app: App):
    await create_issue(app)
    await preview(app)
    async with app.sessionmaker() as session:
        pending = await session.scalar(select(CouncilImport))
    await app.press(COORDINATOR, council_import.CONFIRM, pending.token)

    expected: dict[str, int] = {}
    for _, party, kind in KARLSKRONA:
        if kind == "ledamot":
            expected[party] = expected.get(party, 0) + 1
    assert await seats(app) == expected
    shown = await app.run(COORDINATOR, stances.show_map, issue="Parkering")
    summary = render(shown.fields[0].value, "sv")
    assert "av 6 mandat. Majoritet: 4." in summary
    assert "**S** · 3 mandat" in render(shown.body, "sv")


async def test_cancelling_changes_nothing_and_the_buttons_then_do_nothing(app: App):
    await import_politicians(app)
    reply = await preview(app)
    before = {name: (p.party, p.left_on, p.roles) for name, p in (await politicians_by_name(app)).items()}

    cancelled = await app.press(COORDINATOR, council_import.CANCEL, reply.buttons[1].arg)
    late = await app.press(COORDINATOR, council_import.CONFIRM, reply.buttons[0].arg)

    assert render(cancelled.body, "sv") == "Importen är avbruten. Ingenting ändrades."
    assert late.body is not None and late.body.key == "council_import.gone"
    after = {name: (p.party, p.left_on, p.roles) for name, p in (await politicians_by_name(app)).items()}
    assert after == before
    assert await seats(app) == {} and await count(app, CouncilImport) == 0


async def test_confirming_twice_applies_it_once(app: App):
    reply = await preview(app)

    await app.press(COORDINATOR, council_import.CONFIRM, reply.buttons[0].arg)
    again = await app.press(COORDINATOR, council_import.CONFIRM, reply.buttons[0].arg)

    assert render(again.body, "en") == (
        "This import is no longer there: it was confirmed, cancelled or replaced by a newer file.")
    assert await count(app, Politician) == len(KARLSKRONA)
    async with app.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(AuditLog).where(
            AuditLog.action == "council.imported")) == 1


async def test_a_preview_older_than_an_hour_is_not_applied(app: App, clock: FrozenClock):
    reply = await preview(app)
    clock.advance(timedelta(minutes=61))

    late = await app.press(COORDINATOR, council_import.CONFIRM, reply.buttons[0].arg)

    assert render(late.body, "sv") == (
        "Förhandsvisningen är äldre än 60 minuter, så ingenting importerades. Läs in filen igen.")
    assert await count(app, Politician) == 0 and await seats(app) == {}
    assert await count(app, CouncilImport) == 0


async def test_a_new_file_replaces_the_pending_one(app: App):
    first = await preview(app)
    second = await preview(app, nuvarande_ledamoter())

    stale = await app.press(COORDINATOR, council_import.CONFIRM, first.buttons[0].arg)
    assert stale.body is not None and stale.body.key == "council_import.gone"
    assert await count(app, Politician) == 0

    await app.press(COORDINATOR, council_import.CONFIRM, second.buttons[0].arg)
    assert "Eva Ström" not in await politicians_by_name(app)  # the second file has no substitutes


async def test_one_who_left_and_is_back_is_no_longer_marked(app: App, clock: FrozenClock):
    await import_politicians(app)
    reply = await preview(app)
    await app.press(COORDINATOR, council_import.CONFIRM, reply.buttons[0].arg)
    assert (await politicians_by_name(app))["David Lund"].left_on == clock.now().date()
    clock.advance(timedelta(days=40))

    reply = await preview(app, ledamoter_och_ersattare() + "K;Karlskrona kommun;Centerpartiet;David;Lund;"
                                                           "Ledamot;M;1970\n")
    assert render(reply.fields[0].value, "sv").startswith("1 nya, 0 avgångna, 0 bytt parti, 7 oförändrade")
    await app.press(COORDINATOR, council_import.CONFIRM, reply.buttons[0].arg)

    david = (await politicians_by_name(app))["David Lund"]
    assert (david.left_on, david.checked_on, david.roles) == (None, clock.now().date(),
                                                               {"kommunfullmaktige": "ledamot"})


async def test_only_coordinators_import(app: App):
    with pytest.raises(NotCoordinator):
        await app.run(ANNA, council_import.import_file, ledamoter_och_ersattare().encode(), "f.skv")
    assert await count(app, CouncilImport) == 0


def excel(rows: list[list[object]]) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_an_excel_file_reads_as_the_text_file_does():
    header = ["Valtyp", "Geografi", "Parti", "Namn", "Tillträdesdatum", "Födelseår"]
    rows = [["Kommunfullmäktige", 1080, party, name, datetime(2022, 10, 15), 1970]
            for name, party, kind in KARLSKRONA if kind == "ledamot"]
    rows += [[valtyp, area, party, name, datetime(2022, 10, 15), 1960]
             for valtyp, area, name, party, _ in OTHERS]

    parsed = council_import.parse(excel([header, *rows]))

    assert people(parsed) == MEMBERS_ONLY and parsed.ignored == len(OTHERS)


def test_a_broken_excel_file_is_refused():
    with pytest.raises(UserError) as error:
        council_import.parse(excel([["Valtyp", "Geografi"]])[:200])

    assert render(error.value.text, "en").startswith("The Excel file cannot be read.")
