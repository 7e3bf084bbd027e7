"""A politician import reads a file as it is or not at all: one encoding for the whole file, one line per
cell, and every refusal names the line, in the reader's language."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.app import App
from bot.errors import UserError
from bot.i18n import render
from bot.models import Politician
from bot.services import politicians
from tests.issue_fixtures import COORDINATOR

HEADER = "Namn;Parti;Kommun\n"
README = Path(__file__).resolve().parents[2] / "README.md"


async def refusal(app: App, data: bytes) -> UserError:
    """The refusal of a file, after checking that nothing was stored."""
    with pytest.raises(UserError) as error:
        await app.run(COORDINATOR, politicians.import_csv, data, "fil.csv")
    async with app.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Politician)) == 0
    return error.value


@pytest.mark.parametrize(("data", "line", "first", "encoding"), [
    # Lines in UTF-8, then one pasted from Excel's Windows-1252 file.
    ((HEADER + "Åsa Ek;S;Karlskrona\nBo;M;Ronneby\n").encode() + "Örjan Ö;C;Ronneby\n".encode("cp1252"),
     4, 2, "UTF-8"),
    # Windows-1252 first, then a UTF-8 line: read as Windows-1252 it would say "Ã–rjan".
    ((HEADER + "Åsa Ek;S;Karlskrona\n").encode("cp1252") + "Örjan Ö;C;Ronneby\n".encode(),
     3, 2, "Windows-1252"),
    # The BOM says UTF-8 for the whole file.
    (b"\xef\xbb\xbf" + (HEADER + "Bo;M;Ronneby\n").encode() + "Åsa Ek;S;Karlskrona\n".encode("cp1252"),
     3, 1, "UTF-8"),
])
async def test_a_file_in_two_encodings_is_refused_naming_the_line_that_differs(
        app: App, data: bytes, line: int, first: int, encoding: str):
    error = await refusal(app, data)

    assert error.text.key == "csv.encoding_mixed"
    assert render(error.text, "sv").startswith(
        f"Rad {line} har en annan teckenkodning än rad {first} ({encoding}): filen är ihopsatt av två sorters"
    )
    assert render(error.text, "en").startswith(
        f"Line {line} has another character encoding than line {first} ({encoding})"
    )


@pytest.mark.parametrize(("data", "line"), [
    # One line holding both: a UTF-8 "Å" and a Windows-1252 "ö".
    (HEADER.encode() + "Åsa Ek;S;Karlskrona\nÅsa ".encode() + "Öst;S;Ronneby\n".encode("cp1252"), 3),
    # A byte Windows-1252 does not have.
    (HEADER.encode() + b"Bo;M;Ronneby\nBo\x81;M;Ronneby\n", 3),
    (HEADER.encode("utf-16") + "Bo;M;Ronneby\n\ud800;M;Ronneby\n".encode("utf-16-le", "surrogatepass"), 3),
])
async def test_a_line_in_no_encoding_the_bot_reads_is_refused_by_its_number(app: App, data: bytes, line: int):
    error = await refusal(app, data)

    assert error.text.key == "csv.encoding_line"
    assert render(error.text, "sv").startswith(f"Rad {line} går inte att läsa som text: den är varken i UTF")


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "utf-16"])
async def test_a_file_wholly_in_one_encoding_keeps_its_letters(app: App, encoding: str):
    data = (HEADER + "Åsa Ek;S;Karlskrona\nBjörn Öst;M;Karlskrona\nBo;C;Ronneby\n").encode(encoding)

    await app.run(COORDINATOR, politicians.import_csv, data, "fil.csv")

    async with app.sessionmaker() as session:
        names = list(await session.scalars(select(Politician.name).order_by(Politician.id)))
    assert names == ["Åsa Ek", "Björn Öst", "Bo"]


@pytest.mark.parametrize("line_break", ["\n", "\r\n", "\r", "\u2028", "\x0b"])
async def test_a_cell_with_a_line_break_is_refused_naming_the_line_and_the_column(app: App, line_break: str):
    data = f'Namn;Parti;Kommun;Roll\nÅsa Ek;S;Karlskrona;"Kommunalråd,{line_break}ordförande"\n'.encode()

    error = await refusal(app, data)

    assert "Rad 2: Roll: cellen har en radbrytning. Skriv värdet på en rad." in render(error.text, "sv")
    assert "Line 2: Role: the cell holds a line break. Write the value on one line." in \
        render(error.text, "en")


async def test_a_broken_quote_is_named_by_the_line_its_row_starts_on_without_the_csv_module_s_words(app: App):
    data = (HEADER + 'Bo;M;Ronneby\n"Åsa Ek;S;Karlskrona\nCia;C;Ronneby\n').encode()

    error = await refusal(app, data)

    assert render(error.text, "sv") == (
        'Filen är trasig på rad 3: ett citattecken (") är inte stängt eller följs av något annat än en '
        "avgränsare. Ingenting importerades.")
    assert "expected" not in render(error.text, "en") and "end of data" not in render(error.text, "en")


def test_the_readme_states_the_import_limits_the_importer_has():
    readme = " ".join(README.read_text(encoding="utf-8").split())

    assert f"{politicians.MAX_CSV_ROWS:,} rows" in readme
    assert f"{politicians.MAX_CSV_BYTES // 1_000_000} MB" in readme
    for stated in ("UTF-8", "Windows-1252", "UTF-16", "line break"):
        assert stated in readme


async def test_the_plan_of_a_file_is_what_its_import_then_does(app: App):
    await app.run(COORDINATOR, politicians.import_csv, (
        "Namn;Parti;Kommun;Organ;X;Kontrollerad\n"
        "Åsa Ek;S;Karlskrona;KF+KS;asaek;2026-11-01\n"
        "Bo Ek;M;Karlskrona;KF;;\n").encode(), "före.csv")
    data = ("Namn;Parti;Kommun;X;Kontrollerad\n"
            "Åsa Ek;S;Karlskrona;asaek;2026-12-01\n"  # checked again, nothing else: unchanged
            "Bo Ek;KD;Karlskrona;boek;\n"
            "Cia Ek;V;Ronneby;;\n").encode()
    async with app.sessionmaker() as session:
        workspace_id = await session.scalar(select(Politician.workspace_id).limit(1))
        assert workspace_id is not None
        plan = await politicians.plan_import(session, workspace_id, date(2026, 12, 1), data)

    assert [(row.line, row.outcome) for row in plan.planned] == [
        (2, "unchanged"), (3, "updated"), (4, "added")]
    shown = {row.line: [f"{render(change.label, 'sv')}: {render(change.before, 'sv')} → "
                        f"{render(change.after, 'sv')}" for change in row.changes]
             for row in plan.planned}
    assert shown == {2: ["Kontrollerad: 2026-11-01 → 2026-12-01"], 3: ["Parti: M → KD", "X: – → @boek"],
                     4: []}

    reply = await app.run(COORDINATOR, politicians.import_csv, data, "efter.csv", previewed=plan.fingerprint)

    assert render(reply.title, "sv") == "Importerat: 1 ny, 1 uppdaterad, 1 oförändrad"
    async with app.sessionmaker() as session:
        stored = {p.name: p for p in await session.scalars(select(Politician))}
    for row in plan.planned:
        assert {column: getattr(stored[row.values["name"]], column) for column in row.values} == row.values


async def test_an_import_of_a_plan_that_changed_since_its_preview_stores_nothing(app: App):
    await app.run(COORDINATOR, politicians.import_csv, (HEADER + "Bo Ek;M;Karlskrona\n").encode(), "a.csv")
    data = (HEADER + "Bo Ek;KD;Karlskrona\nCia Ek;V;Ronneby\n").encode()
    async with app.sessionmaker() as session:
        workspace_id = await session.scalar(select(Politician.workspace_id).limit(1))
        assert workspace_id is not None
        plan = await politicians.plan_import(session, workspace_id, date(2026, 12, 1), data)
    await app.run(COORDINATOR, politicians.edit, politician="Bo Ek", party="KD")

    with pytest.raises(UserError) as error:
        await app.run(COORDINATOR, politicians.import_csv, data, "b.csv", previewed=plan.fingerprint)

    assert error.value.text.key == "politicians.import_changed"
    async with app.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Politician)) == 1
