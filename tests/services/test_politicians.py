"""Politicians: kept by hand, imported from a spreadsheet all or nothing, exported for Excel,
names with å ä ö."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from sqlalchemy import func, select

from bot.app import App
from bot.errors import NotCoordinator, UserError
from bot.i18n import render
from bot.models import AuditLog, Politician, Stance
from bot.services import politicians, stances
from bot.validation import FieldProblem
from tests.issue_fixtures import (
    ANNA,
    COORDINATOR,
    POLITICIANS_CSV,
    create_issue,
    import_politicians,
)


async def stored(app: App) -> list[Politician]:
    async with app.sessionmaker() as session:
        return list(await session.scalars(select(Politician).order_by(Politician.id)))


async def refused(app: App, data: bytes) -> str:
    with pytest.raises(UserError) as error:
        await app.run(COORDINATOR, politicians.import_csv, data, "fil.csv")
    return render(error.value.text, "sv")


async def test_an_excel_file_with_semicolons_and_swedish_names_is_imported(app: App):
    reply = await import_politicians(app)

    assert render(reply.title, "sv") == "Importerat: 5 nya, 0 uppdaterade, 0 oförändrade"
    assert "Rad 2: Åsa Ek (S) tillagd" in render(reply.body, "sv")
    rows = await stored(app)
    asa = rows[0]
    assert (asa.name, asa.party, asa.role, asa.municipality) == ("Åsa Ek", "S", "Kommunalråd", "karlskrona")
    assert asa.bodies == ["kommunfullmaktige", "kommunstyrelsen"]
    assert (asa.x_handle, asa.email, asa.name_key) == ("asaek", "asa.ek@karlskrona.se", "asa ek")
    assert asa.checked_on is None  # a row without a date was never checked (not "today")


@pytest.mark.parametrize("encode", [
    lambda text: text.encode("utf-8-sig"),                    # Excel's "CSV UTF-8" with BOM
    lambda text: text.encode("cp1252"),                       # Excel's plain "CSV" on a Swedish Windows
    lambda text: text.replace(";", ",").encode("utf-8"),      # commas
    lambda text: text.replace("\n", "\r\n").encode("utf-8"),  # Windows line endings
    lambda text: text.encode("utf-16"),                       # "Unicode text"
], ids=["bom", "cp1252", "commas", "crlf", "utf16"])
async def test_every_way_excel_saves_a_csv_is_read(app: App, encode):
    text = POLITICIANS_CSV.replace(
        "KF+KS", "KF/KS"
    )  # a plus or a slash: with commas there can be no comma inside

    await app.run(COORDINATOR, politicians.import_csv, encode(text), "fil.csv")

    names = [p.name for p in await stored(app)]
    assert names == ["Åsa Ek", "Björn Öst", "Cecilia Ärlig", "David Lund", "Eva Ström"]


async def test_a_bad_row_is_reported_with_its_line_and_nothing_is_imported(app: App):
    text = POLITICIANS_CSV + "Fia Berg;;;Karlskrona;KF;;\n" + "Gun Holm;V;;Malmö;KF;;\n"

    message = await refused(app, text.encode())

    assert message.startswith("Ingenting importerades: 2 av 7 rader behöver rättas.")
    assert "• Rad 7: Parti: måste fyllas i." in message
    assert '• Rad 8: Kommun: "Malmö" finns inte bland valen.' in message
    assert await stored(app) == []


async def test_every_problem_of_a_row_is_named(app: App):
    text = (
        "namn,parti,kommun,x,e-post,kontrollerad\n"
        "Fia Berg,V,Karlskrona,@fel handle,inte-en-adress,2099-01-01\n"
    )

    message = await refused(app, text.encode())

    assert '"@fel handle" är inte ett X-namn' in message
    assert '"inte-en-adress" är ingen e-postadress' in message
    assert '"2099-01-01" ligger i framtiden' in message


async def test_a_person_twice_in_one_file_is_reported(app: App):
    text = POLITICIANS_CSV + "ÅSA EK;S;;Karlskrona;KF;;\n"

    assert "Rad 7: ÅSA EK står redan på rad 2." in await refused(app, text.encode())
    assert await stored(app) == []


async def test_a_second_import_updates_rather_than_duplicates(app: App):
    await import_politicians(app)
    update = (
        "namn;parti;kommun;roll\nasa ek;S;Karlskrona;Kommunstyrelsens ordförande\nBjörn Öst;M;Karlskrona;\n"
    )

    reply = await app.run(COORDINATOR, politicians.import_csv, update.encode(), "ny.csv")

    assert render(reply.title, "sv") == "Importerat: 0 nya, 1 uppdaterad, 1 oförändrad"
    rows = await stored(app)
    assert len(rows) == 5
    assert rows[0].role == "Kommunstyrelsens ordförande" and rows[0].name == "asa ek"
    assert rows[0].bodies == ["kommunfullmaktige", "kommunstyrelsen"]  # no body column: the bodies stay


async def test_the_same_name_in_another_municipality_is_another_person(app: App):
    await import_politicians(app)
    await app.run(
        COORDINATOR, politicians.import_csv, "Namn;Parti;Kommun\nÅsa Ek;M;Ronneby\n".encode(), "r.csv"
    )

    assert len(await stored(app)) == 6
    with pytest.raises(UserError) as ambiguous:
        await app.run(COORDINATOR, politicians.edit, politician="Åsa Ek", role="x")
    assert ambiguous.value.text.key == "politicians.ambiguous"
    assert "#6 Åsa Ek" in render(ambiguous.value.text, "sv")
    await app.run(COORDINATOR, politicians.edit, politician="#6", role="Gruppledare")
    assert (await stored(app))[5].role == "Gruppledare"


@pytest.mark.parametrize(("data", "key"), [
    (b"", "csv.empty"),
    (b"\n\n", "csv.empty"),
    ("Namn;Parti;Kommun;Favoritfärg\nÅsa;S;Karlskrona;blå\n".encode(), "csv.unknown_column"),
    ("Namn;Kommun\nÅsa;Karlskrona\n".encode(), "csv.missing_columns"),
    (b"Namn;Namn;Parti;Kommun\n", "csv.repeated_column"),
    (b"Namn;Parti;Kommun\n", "csv.no_rows"),
    ('Namn;Parti;Kommun\n"Åsa "Ek";S;Karlskrona\n'.encode(), "csv.malformed"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "csv.not_text"),
    (b"x" * (politicians.MAX_CSV_BYTES + 1), "csv.too_big"),
])
async def test_a_malformed_file_gets_a_clear_message_and_changes_nothing(app: App, data: bytes, key: str):
    with pytest.raises(UserError) as error:
        await app.run(COORDINATOR, politicians.import_csv, data, "fil.csv")

    assert error.value.text.key == key
    assert await stored(app) == []


async def test_a_row_with_too_many_cells_is_reported(app: App):
    message = await refused(app, "Namn;Parti;Kommun\nÅsa Ek;S;Karlskrona;extra\n".encode())

    assert "Rad 2: raden har 4 celler men rubriken bara 3." in message


async def test_line_numbers_count_blank_lines_and_quoted_line_breaks(app: App):
    text = 'Namn;Parti;Kommun;Roll\n\nÅsa Ek;S;Karlskrona;"Kommunalråd,\nordförande"\nBo;;Karlskrona;\n'

    assert "Rad 5: Parti: måste fyllas i." in await refused(app, text.encode())


async def test_only_coordinators_import_and_the_audit_log_says_so(app: App):
    with pytest.raises(NotCoordinator):
        await app.run(ANNA, politicians.import_csv, POLITICIANS_CSV.encode(), "fil.csv")
    await import_politicians(app)

    async with app.sessionmaker() as session:
        [entry] = await session.scalars(select(AuditLog).where(AuditLog.action == "politicians.imported"))
    assert entry.detail == {"file": "politiker.csv", "added": 5, "updated": 0, "unchanged": 0}


async def test_the_export_opens_in_excel_and_imports_again_unchanged(app: App):
    await import_politicians(app)
    await app.run(COORDINATOR, politicians.add, name="=Bad Idea", party="L", municipality="Karlskrona")

    exported = (await app.run(COORDINATOR, politicians.export_csv)).files[0]

    assert exported.filename == "politiker-alla.csv" and exported.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(exported.data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Namn", "Parti", "Roll", "Kommun", "Organ", "Roller", "Nämnd", "X", "E-post",
                       "Kontrollerad"]
    assert ["Åsa Ek", "S", "Kommunalråd", "Karlskrona", "kommunfullmäktige + kommunstyrelsen",
            "kommunfullmäktige=ledamot + kommunstyrelsen=ledamot", "", "asaek", "asa.ek@karlskrona.se",
            ""] in rows
    assert any(row[0] == "'=Bad Idea" for row in rows)  # a formula is never run by a spreadsheet
    again = await app.run(COORDINATOR, politicians.import_csv, exported.data, exported.filename)
    assert render(again.title, "sv") == "Importerat: 0 nya, 0 uppdaterade, 6 oförändrade"
    assert "=Bad Idea" in [p.name for p in await stored(app)]


async def test_add_edit_list_and_remove(app: App):
    added = await app.run(
        COORDINATOR,
        politicians.add,
        name="Åsa Ek",
        party="S",
        municipality="karlskrona",
        body="KF + KS",
        role="Kommunalråd",
        x_handle="https://x.com/asaek",
        checked="2026-11-20",
    )
    assert render(added.body, "sv") == (
        "Tillagd: **Åsa Ek** (S, Kommunalråd), Karlskrona: kommunfullmäktige, "
        "kommunstyrelsen @asaek · kontrollerad 2026-11-20"
    )
    with pytest.raises(UserError) as twice:
        await app.run(COORDINATOR, politicians.add, name="åsa  ek", party="S", municipality="Karlskrona")
    assert twice.value.text.key == "politicians.exists"

    await app.run(COORDINATOR, politicians.edit, politician="asa ek", party="M")
    [row] = await stored(app)
    assert row.party == "M" and row.checked_on == date(2026, 11, 20)  # an edit without a date is no check

    listed = await app.run(ANNA, politicians.list_politicians, body="KS")
    assert "Åsa Ek" in render(listed.body, "sv")
    assert render((await app.run(ANNA, politicians.list_politicians, party="S")).body, "sv").startswith(
        "Inga"
    )

    asking = await app.run(COORDINATOR, politicians.remove, politician="Åsa Ek")
    assert [b.action for b in asking.buttons] == [politicians.REMOVE_CONFIRM, politicians.REMOVE_CANCEL]
    await app.press(COORDINATOR, politicians.REMOVE_CONFIRM, asking.buttons[0].arg)
    assert await stored(app) == []


async def test_removing_a_politician_takes_their_stances_along(app: App):
    await import_politicians(app)
    await create_issue(app)
    await app.run(COORDINATOR, stances.set_stance, issue="Parkering", politician="Åsa Ek", stance="for")
    [person] = [p for p in await stored(app) if p.name == "Åsa Ek"]

    await app.press(COORDINATOR, politicians.REMOVE_CONFIRM, str(person.id))

    async with app.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Stance)) == 0


async def test_bad_input_to_add_changes_nothing(app: App):
    with pytest.raises(UserError) as error:
        await app.run(COORDINATOR, politicians.add, party="S", municipality="Atlantis",
                      email="nej")

    assert len(error.value.problems) == 3
    assert await stored(app) == []
    with pytest.raises(FieldProblem):
        await app.run(
            COORDINATOR, politicians.add, name="Åsa", party="S", municipality="Karlskrona", body="riksdagen"
        )


async def test_an_unknown_politician_is_named_in_the_message(app: App):
    with pytest.raises(UserError) as error:
        await app.run(COORDINATOR, politicians.remove, politician="Ingen Alls")

    assert render(error.value.text, "sv").startswith('Jag hittar ingen politiker som heter "Ingen Alls".')
