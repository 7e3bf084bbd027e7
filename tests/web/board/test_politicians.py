"""The board's politicians page: the table (filters, sorting, stale entries flagged), editing, adding and
removing through the chat command's services, the import's preview and its confirmation, the export, and
another workspace's politicians never shown nor changed."""

from __future__ import annotations

import base64
import html
import re
from datetime import date
from typing import Any

import aiohttp
from sqlalchemy import func, select

from bot.app import App
from bot.models import AuditLog, Issue, Politician
from bot.services import politicians, stances
from tests.issue_fixtures import COORDINATOR as CHAT_COORDINATOR
from tests.issue_fixtures import create_issue, import_politicians, politician_ids
from tests.support.statements import counting
from tests.web.board.conftest import BoardClient

ROW_NAME = re.compile(r'<th scope="row"><a href="/board/politicians/\d+">([^<]+)</a>')
HIDDEN = re.compile(r'<input type="hidden" name="(data|filename|fingerprint|signature)" value="([^"]*)"')


async def stored(app: App, name: str) -> Politician | None:
    async with app.sessionmaker() as session:
        return await session.scalar(select(Politician).where(Politician.name == name))


async def audited(app: App, action: str) -> list[dict[str, Any]]:
    async with app.sessionmaker() as session:
        rows = await session.scalars(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id))
        return [row.detail for row in rows]


async def count(app: App) -> int:
    async with app.sessionmaker() as session:
        return await session.scalar(select(func.count()).select_from(Politician)) or 0


def names_in_order(page: str) -> list[str]:
    """The politicians' names as the table lists them."""
    return [html.unescape(name) for name in ROW_NAME.findall(page)]


def upload(data: bytes, filename: str = "politiker.csv") -> aiohttp.FormData:
    form = aiohttp.FormData()
    form.add_field("file", data, filename=filename, content_type="text/csv")
    return form


def confirmation(page: str) -> dict[str, str]:
    """The hidden fields of the preview's confirming form."""
    return {name: html.unescape(value) for name, value in HIDDEN.findall(page)}


# -- the table -----------------------------------------------------------------------------------------------

async def test_a_signed_out_browser_sees_no_politicians(app: App, browser: BoardClient):
    await import_politicians(app)

    status, page = await browser.get("/board/politicians")

    assert status == 401
    assert "Åsa Ek" not in page


async def test_the_table_lists_every_politician_and_flags_the_stale_ones_in_words(app: App,
                                                                                   coordinator: BoardClient):
    await import_politicians(app)
    await app.run(CHAT_COORDINATOR, politicians.edit, politician="Åsa Ek", checked="2026-11-20")

    status, page = await coordinator.get("/board/politicians")

    assert status == 200
    assert names_in_order(page) == ["Åsa Ek", "Björn Öst", "Cecilia Ärlig", "David Lund", "Eva Ström"]
    assert "Visar 5 av 5 politiker." in page
    asa = page[page.index("Åsa Ek"):page.index("Björn Öst")]
    assert "2026-11-20" in asa and "Behöver kontrolleras" not in asa and "@asaek" in asa
    assert "asa.ek@karlskrona.se" in asa and "kommunstyrelsen" in asa
    bjorn = page[page.index("Björn Öst"):page.index("Cecilia Ärlig")]
    # Never checked: flagged in words, not only by the row's colour.
    assert 'class="stale"' in page and "Aldrig kontrollerad" in bjorn and "Behöver kontrolleras" in bjorn


async def test_the_filters_and_the_sorting_work_as_links_without_javascript(app: App,
                                                                           coordinator: BoardClient):
    await import_politicians(app, "Namn;Parti;Kommun;Organ;Kontrollerad\n"
                                  "Åsa Ek;S;Karlskrona;KF+KS;2026-11-20\n"
                                  "Björn Öst;M;Karlskrona;KF;\n"
                                  "Bo Berg;S;Ronneby;KF;2026-11-01\n"
                                  "Cia Dahl;S;Karlskrona;KF;2025-01-01\n")

    _, by_party = await coordinator.get("/board/politicians?party=S")
    _, in_town = await coordinator.get("/board/politicians?municipality=karlskrona&party=S")
    _, in_body = await coordinator.get("/board/politicians?body=kommunstyrelsen")
    _, stale = await coordinator.get("/board/politicians?stale=1")
    _, searched = await coordinator.get("/board/politicians?q=berg")
    _, by_checked = await coordinator.get("/board/politicians?sort=checked")
    _, by_party_desc = await coordinator.get("/board/politicians?sort=party&dir=desc")

    assert names_in_order(by_party) == ["Åsa Ek", "Bo Berg", "Cia Dahl"]
    assert names_in_order(in_town) == ["Åsa Ek", "Cia Dahl"]
    assert names_in_order(in_body) == ["Åsa Ek"]
    # Never checked, and checked before the term began: both stale.
    assert names_in_order(stale) == ["Björn Öst", "Cia Dahl"]
    assert names_in_order(searched) == ["Bo Berg"]
    assert names_in_order(by_checked) == ["Björn Öst", "Cia Dahl", "Bo Berg", "Åsa Ek"]
    assert names_in_order(by_party_desc) == ["Åsa Ek", "Bo Berg", "Cia Dahl", "Björn Öst"]
    # The sorted column says so, and its heading links to the other order with the filters kept.
    _, sorted_page = await coordinator.get("/board/politicians?sort=party&party=S")
    assert ('aria-sort="ascending"><a href="/board/politicians?party=S&amp;sort=party&amp;dir=desc"'
            in sorted_page)


async def test_a_long_list_is_shown_a_page_at_a_time(app: App, coordinator: BoardClient):
    rows = "".join(f"Person {number:03};S;Karlskrona\n" for number in range(1, 251))
    await import_politicians(app, "Namn;Parti;Kommun\n" + rows)

    _, first = await coordinator.get("/board/politicians")
    _, last = await coordinator.get("/board/politicians?page=3")

    assert len(names_in_order(first)) == 100 and names_in_order(first)[0] == "Person 001"
    assert "Sida 1 av 3" in first and 'href="/board/politicians?page=2"' in first
    assert names_in_order(last) == [f"Person {number:03}" for number in range(201, 251)]


async def test_the_table_reads_the_politicians_in_one_query_however_many_there_are(app: App,
                                                                                    coordinator: BoardClient):
    await import_politicians(app)
    with counting(app.engine) as few:
        await coordinator.get("/board/politicians")
    await import_politicians(app, "Namn;Parti;Kommun;Organ\n" + "".join(
        f"Person {number:03};S;Karlskrona;KF+KS\n" for number in range(1, 296)))
    with counting(app.engine) as many:
        status, page = await coordinator.get("/board/politicians?sort=party")

    assert status == 200 and "Visar 300 av 300 politiker." in page
    assert many.count == few.count
    assert sum("FROM politician" in statement.sql for statement in many.statements) == 1


async def test_another_workspaces_politicians_are_never_shown_nor_changed(app: App,
                                                                         other_coordinator: BoardClient):
    await import_politicians(app)
    asa = (await politician_ids(app))["Åsa Ek"]

    _, table = await other_coordinator.get("/board/politicians")
    shown, _ = await other_coordinator.get(f"/board/politicians/{asa}")
    edited, _ = await other_coordinator.post(f"/board/politicians/{asa}", {"party": "V"})
    asked, _ = await other_coordinator.post(f"/board/politicians/{asa}/remove")
    await other_coordinator.post(f"/board/politicians/{asa}/remove/confirm")

    assert "Åsa Ek" not in table and "Här finns inga politiker än." in table
    assert (shown, edited, asked) == (404, 404, 404)
    person = await stored(app, "Åsa Ek")
    assert person is not None and person.party == "S"
    assert await count(app) == 5


# -- add, edit, remove ---------------------------------------------------------------------------------------

async def test_an_edit_on_the_page_runs_the_chat_edit_and_the_map_follows(app: App, coordinator: BoardClient):
    await import_politicians(app)
    issue_id = await create_issue(app)  # decided by kommunfullmäktige
    bjorn = (await politician_ids(app))["Björn Öst"]
    status, form = await coordinator.get(f"/board/politicians/{bjorn}")
    assert status == 200 and 'value="Björn Öst"' in form and 'value="bjornost"' in form
    assert 'value="kommunfullmäktige=ledamot"' in form

    status, page = await coordinator.post(f"/board/politicians/{bjorn}", {
        "name": "Björn Öst", "party": "M", "municipality": "karlskrona", "role": "Oppositionsråd",
        "roles": "kommunstyrelsen=ordförande", "committee": "", "x_handle": "@bjorn_ost", "email": "",
        "checked": "2026-12-01"})

    assert status == 200 and coordinator.last_url.endswith(f"/board/politicians/{bjorn}")
    assert "Ändrad:" in page and 'value="bjorn_ost"' in page
    person = await stored(app, "Björn Öst")
    assert person is not None
    assert (person.role, person.bodies, person.roles, person.x_handle, person.checked_on) == (
        "Oppositionsråd", ["kommunstyrelsen"], {"kommunstyrelsen": "ordforande"}, "bjorn_ost",
        date(2026, 12, 1))
    # Only what was changed was given, as the chat command's options.
    assert await audited(app, "politician.edited") == [
        {"politician_id": bjorn, "changed": ["checked", "role", "roles", "x_handle"]}]
    # He sits in kommunstyrelsen now, so he no longer decides the council's issue.
    async with app.sessionmaker() as session:
        issue = await session.get(Issue, issue_id)
        assert issue is not None
        model = await stances.build_model(session, issue)
    deciders = {row.name for row in model.rows}
    assert "Björn Öst" not in deciders and "Åsa Ek" in deciders


async def test_a_bad_x_handle_is_explained_next_to_its_field_in_swedish_and_nothing_changes(
        app: App, coordinator: BoardClient):
    await import_politicians(app)
    asa = (await politician_ids(app))["Åsa Ek"]
    await coordinator.get(f"/board/politicians/{asa}")

    status, page = await coordinator.post(f"/board/politicians/{asa}", {
        "name": "Åsa Ek", "party": "MP", "municipality": "karlskrona", "x_handle": "åsa ek!"})

    assert status == 422
    assert re.search(r'class="field-problem" id="politician-x_handle-problem">[^<]*åsa ek!', page)
    assert 'aria-invalid="true"' in page
    # What was typed is kept, the other fields too.
    assert 'value="åsa ek!"' in page and 'value="MP"' in page
    person = await stored(app, "Åsa Ek")
    assert person is not None and (person.party, person.x_handle) == ("S", "asaek")
    assert await audited(app, "politician.edited") == []


async def test_an_edit_without_the_pages_token_is_refused_and_nothing_changes(app: App,
                                                                              coordinator: BoardClient):
    await import_politicians(app)
    asa = (await politician_ids(app))["Åsa Ek"]
    await coordinator.get(f"/board/politicians/{asa}")

    status, _ = await coordinator.post(f"/board/politicians/{asa}", {"party": "V"}, csrf=False)

    assert status == 403
    person = await stored(app, "Åsa Ek")
    assert person is not None and person.party == "S"


async def test_a_politician_added_on_the_page_is_stored_and_audited(app: App, coordinator: BoardClient):
    await coordinator.get("/board/politicians/new")

    status, page = await coordinator.post("/board/politicians/new", {
        "name": "Frida Berg", "party": "S", "municipality": "ronneby", "roles": "KF",
        "x_handle": "fridaberg"})

    assert status == 200 and coordinator.last_url.endswith("/board/politicians")
    assert "Tillagd:" in page and "Frida Berg" in names_in_order(page)
    person = await stored(app, "Frida Berg")
    assert person is not None and (person.municipality, person.bodies) == ("ronneby", ["kommunfullmaktige"])
    assert await audited(app, "politician.added") == [{"politician_id": person.id}]


async def test_an_added_politician_without_a_party_is_refused_with_what_was_typed(app: App,
                                                                                  coordinator: BoardClient):
    await coordinator.get("/board/politicians/new")

    status, page = await coordinator.post("/board/politicians/new",
                                          {"name": "Frida Berg", "municipality": "ronneby"})

    assert status == 422
    assert 'id="politician-party-problem"' in page and 'value="Frida Berg"' in page
    assert await count(app) == 0


async def test_removing_asks_first_and_the_confirmation_runs_the_chats_confirmed_path(
        app: App, coordinator: BoardClient):
    await import_politicians(app)
    eva = (await politician_ids(app))["Eva Ström"]
    await coordinator.get(f"/board/politicians/{eva}")

    status, question = await coordinator.post(f"/board/politicians/{eva}/remove")

    assert status == 200 and "Ta bort" in question and "Eva Ström" in question
    assert await stored(app, "Eva Ström") is not None

    status, page = await coordinator.post(f"/board/politicians/{eva}/remove/confirm")

    assert status == 200 and coordinator.last_url.endswith("/board/politicians") and "Borttagen:" in page
    assert await stored(app, "Eva Ström") is None
    assert await audited(app, "politician.removed") == [{"politician_id": eva}]


# -- import --------------------------------------------------------------------------------------------------

CHANGES = ("Namn;Parti;Kommun;Organ;X\n"
           "Åsa Ek;S;Karlskrona;KF+KS;asaek\n"  # as stored
           "Björn Öst;KD;Karlskrona;KF;bjornost\n"  # another party
           "Nils Holm;V;Karlskrona;KF;nilsholm\n")  # new


async def test_the_preview_shows_what_the_import_then_does_and_writes_nothing(app: App,
                                                                             coordinator: BoardClient):
    await import_politicians(app)
    await coordinator.get("/board/politicians/import")

    status, preview = await coordinator.post("/board/politicians/import/preview", upload(CHANGES.encode()))

    assert status == 200
    assert "1 ny, 1 ändrad, 1 oförändrad och 0 rader med problem." in preview
    added = preview[preview.index("Nya (1)"):preview.index("Ändrade (1)")]
    assert "Rad 4: Nils Holm (V), Karlskrona" in added
    updated = preview[preview.index("Ändrade (1)"):preview.index("Oförändrade (1)")]
    assert "Rad 3: Björn Öst (KD), Karlskrona" in updated and "Parti: M → KD" in updated
    assert "Rad 2: Åsa Ek (S), Karlskrona" in preview[preview.index("Oförändrade (1)"):]
    assert await stored(app, "Nils Holm") is None
    assert await audited(app, "politicians.imported") == [{"file": "politiker.csv", "added": 5, "updated": 0,
                                                           "unchanged": 0}]

    status, page = await coordinator.post("/board/politicians/import", confirmation(preview))

    assert status == 200 and coordinator.last_url.endswith("/board/politicians")
    assert "Importerat: 1 ny, 1 uppdaterad, 1 oförändrad" in page
    bjorn, nils = await stored(app, "Björn Öst"), await stored(app, "Nils Holm")
    assert bjorn is not None and bjorn.party == "KD" and nils is not None and nils.x_handle == "nilsholm"
    assert (await audited(app, "politicians.imported"))[-1] == {"file": "politiker.csv", "added": 1,
                                                                "updated": 1, "unchanged": 1}


async def test_the_pages_speak_english_when_the_coordinator_switches(app: App, coordinator: BoardClient):
    await import_politicians(app)
    await coordinator.get("/board/politicians")
    await coordinator.post("/board/language", {"language": "en", "next": "/board/politicians"})

    _, table = await coordinator.get("/board/politicians")
    await coordinator.get("/board/politicians/import")
    _, preview = await coordinator.post("/board/politicians/import/preview", upload(CHANGES.encode()))

    assert '<html lang="en">' in table and "Showing 5 of 5 politicians." in table
    assert "Needs checking" in table
    assert "1 new, 1 changed, 1 unchanged, and 0 rows with problems." in preview
    assert "Party: M → KD" in preview


async def test_a_file_with_a_bad_row_shows_the_problem_and_cannot_be_confirmed(app: App,
                                                                              coordinator: BoardClient):
    await coordinator.get("/board/politicians/import")

    status, preview = await coordinator.post("/board/politicians/import/preview", upload(
        b"Namn;Parti;Kommun;X\nNils Holm;V;Karlskrona;nilsholm\nOla Ek;S;Karlskrona;ola ek!\n"))

    assert status == 200
    assert "1 rad behöver rättas" in preview
    assert re.search(r"Rad 3: X: [^<]*ola ek!", preview)
    assert 'action="/board/politicians/import"' not in preview
    assert await count(app) == 0


async def test_a_file_that_is_no_table_is_refused_with_the_imports_message(app: App,
                                                                            coordinator: BoardClient):
    await coordinator.get("/board/politicians/import")

    status, page = await coordinator.post("/board/politicians/import/preview",
                                          upload("Namn;Parti;Favoritfärg\nNils;V;röd\n".encode()))

    assert status == 422
    assert "Rad 1: kolumnen &#34;Favoritfärg&#34; känner jag inte igen." in page


async def test_a_file_changed_between_the_preview_and_the_confirmation_is_refused(app: App,
                                                                                 coordinator: BoardClient):
    await coordinator.get("/board/politicians/import")
    _, preview = await coordinator.post("/board/politicians/import/preview", upload(CHANGES.encode()))
    fields = confirmation(preview)
    other = b"Namn;Parti;Kommun\nMallory Ek;S;Karlskrona\n"
    fields["data"] = base64.b64encode(other).decode()

    status, page = await coordinator.post("/board/politicians/import", fields)

    assert status == 422 and "Filen kom inte tillbaka från förhandsvisningen som den var" in page
    assert await count(app) == 0


async def test_a_list_changed_since_the_preview_shows_the_new_preview_instead_of_importing(
        app: App, coordinator: BoardClient):
    await import_politicians(app)
    await coordinator.get("/board/politicians/import")
    _, preview = await coordinator.post("/board/politicians/import/preview", upload(CHANGES.encode()))
    # Meanwhile, in chat: Björn Öst joins KD, so the file no longer changes him.
    await app.run(CHAT_COORDINATOR, politicians.edit, politician="Björn Öst", party="KD")

    status, page = await coordinator.post("/board/politicians/import", confirmation(preview))

    assert status == 422 and "Listan har ändrats sedan förhandsvisningen" in page
    assert "1 ny, 0 ändrade, 2 oförändrade" in page
    assert await stored(app, "Nils Holm") is None


# -- export --------------------------------------------------------------------------------------------------

async def test_the_export_is_the_chat_exports_file(app: App, coordinator: BoardClient):
    await import_politicians(app)
    chat = (await app.run(CHAT_COORDINATOR, politicians.export_csv)).files[0]
    await coordinator.get("/board/politicians")

    async with coordinator.http.post(coordinator.root + "/board/politicians/export",
                                     data={"csrf": coordinator.csrf or "", "municipality": ""}) as response:
        status, data, headers = response.status, await response.read(), response.headers

    assert status == 200
    assert data == chat.data and data.startswith(b"\xef\xbb\xbf")
    assert headers["Content-Disposition"] == 'attachment; filename="politiker-alla.csv"'
    assert headers["Content-Type"].startswith("text/csv")
    assert len(await audited(app, "politicians.exported")) == 2


async def test_an_export_of_an_unknown_municipality_is_explained_and_sends_no_file(app: App,
                                                                                    coordinator: BoardClient):
    await import_politicians(app)
    await coordinator.get("/board/politicians")

    status, page = await coordinator.post("/board/politicians/export", {"municipality": "gotham"})

    assert status == 422 and "Kommun:" in page and "gotham" in page
    assert await audited(app, "politicians.exported") == []


async def test_an_export_without_the_pages_token_is_refused(app: App, coordinator: BoardClient):
    await import_politicians(app)
    await coordinator.get("/board/politicians")

    status, page = await coordinator.post("/board/politicians/export", {"municipality": ""}, csrf=False)

    assert status == 403 and "Åsa Ek" not in page
    assert await audited(app, "politicians.exported") == []


async def test_another_workspaces_export_holds_none_of_this_ones_politicians(app: App,
                                                                           other_coordinator: BoardClient):
    await import_politicians(app)
    await other_coordinator.get("/board/politicians")

    async with other_coordinator.http.post(other_coordinator.root + "/board/politicians/export",
                                           data={"csrf": other_coordinator.csrf or ""}) as response:
        data = await response.read()

    assert response.status == 200 and "Åsa Ek".encode() not in data
