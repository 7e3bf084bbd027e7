"""The board's agenda page: what the watcher proposed, and "Skapa fråga" and "Avfärda" doing there what the
chat's buttons do (the same service functions, the same audit), for this workspace's items only."""

from __future__ import annotations

import html
from itertools import count

from sqlalchemy import func, select

from bot.app import App
from bot.models import AgendaItem, AgendaSource, AuditLog, Issue, Member, Workspace
from bot.services import agenda
from tests.conftest import START
from tests.services.test_agenda import KF_MEETING, meeting, poll
from tests.web.board.conftest import BoardClient

TITLE = "Motion om fler parkeringsplatser vid Stortorget"
_numbers = count(1)


async def source(app: App, body: str = "kommunstyrelsen", kind: str = "feed") -> int:
    """A source of the test workspace (guild-1) as the watcher stores it."""
    async with app.sessionmaker() as session, session.begin():
        workspace_id = await session.scalar(select(Workspace.id).where(Workspace.external_id == "guild-1"))
        row = AgendaSource(workspace_id=workspace_id, municipality="karlskrona", body=body, kind=kind,
                           url=f"https://www.karlskrona.se/{body}/{next(_numbers)}.xml", created_at=START,
                           next_poll_at=START, failures=0)
        session.add(row)
        await session.flush()
        return row.id


async def proposed(app: App) -> int:
    """An item the watcher proposed (and one it ignored), with the council meeting it is likely to reach;
    the proposed one's id."""
    ks, kf_calendar = await source(app), await source(app, body="kommunfullmaktige", kind="calendar")
    await meeting(app, kf_calendar, KF_MEETING)
    await poll(app, ks, TITLE, "Val av revisorer")
    async with app.sessionmaker() as session:
        return await session.scalar(select(AgendaItem.id).where(AgendaItem.title == TITLE))


async def item_row(app: App, item_id: int) -> AgendaItem:
    async with app.sessionmaker() as session:
        return await session.get_one(AgendaItem, item_id)


async def audited(app: App, action: str) -> list[tuple[dict[str, int], str]]:
    """The audit rows of an action, with the external id of who did it."""
    async with app.sessionmaker() as session:
        rows = await session.execute(select(AuditLog.detail, Member.external_id)
                                     .join(Member, Member.id == AuditLog.actor_member_id)
                                     .where(AuditLog.action == action))
        return [(detail, who) for detail, who in rows]


async def issues(app: App) -> list[Issue]:
    async with app.sessionmaker() as session:
        return list(await session.scalars(select(Issue)))


FILLED = {"summary": "Kommunen vill ta bort 200 platser.", "position": "Behåll platserna."}


async def test_without_sources_the_page_says_how_to_add_one(coordinator: BoardClient):
    status, page = await coordinator.get("/board/agenda")

    assert status == 200
    assert "Inga bevakade källor än. Lägg till en med /bevaka" in html.unescape(page)


async def test_the_proposals_are_listed_with_their_meetings_and_buttons(app: App, coordinator: BoardClient):
    item_id = await proposed(app)

    status, page = await coordinator.get("/board/agenda")

    assert status == 200
    assert "Bevakningen läser 2 källor." in page
    assert TITLE in page and "Val av revisorer" not in page  # ignored: nothing matched it
    assert "Föreslaget" in page and "Troligen i kommunfullmäktige" in page
    assert "torsdag 17 december 2026" in page
    assert f'href="/board/agenda/{item_id}"' in page and f'action="/board/agenda/{item_id}/dismiss"' in page


async def test_create_issue_opens_the_chats_form_prefilled_and_creates_the_issue_as_the_chat_does(
        app: App, coordinator: BoardClient):
    item_id = await proposed(app)

    status, form = await coordinator.get(f"/board/agenda/{item_id}")
    assert status == 200
    assert f'value="{TITLE}"' in form and 'value="2026-12-17 18:00"' in form
    assert '<option value="kommunfullmaktige" selected>' in form
    assert '<label for="field-summary">' in form and 'id="field-summary"' in form

    prefilled = {"title": TITLE, "decision": "2026-12-17 18:00", "hashtag": agenda.suggested_hashtag(TITLE),
                 "municipality": "karlskrona", "body": "kommunfullmaktige", "committee": "",
                 "source": "https://www.karlskrona.se/ks/kallelse.pdf"}
    status, page = await coordinator.post(f"/board/agenda/{item_id}/issue", prefilled | FILLED)

    assert status == 200 and coordinator.last_url.endswith("/board/agenda")
    assert f"Frågan är skapad: {TITLE}" in page and "Fråga skapad" in page
    [issue] = await issues(app)
    assert (issue.title, issue.body, issue.decision_at, issue.summary) == (
        TITLE, "kommunfullmaktige", KF_MEETING, FILLED["summary"])
    item = await item_row(app, item_id)
    assert (item.status, item.issue_id) == ("created", issue.id)
    assert await audited(app, "agenda.issue_created") == [({"item_id": item_id, "issue_id": issue.id}, "kim")]


async def test_a_form_missing_a_field_creates_nothing_and_keeps_what_was_typed(app: App,
                                                                                coordinator: BoardClient):
    item_id = await proposed(app)
    await coordinator.get(f"/board/agenda/{item_id}")

    status, page = await coordinator.post(f"/board/agenda/{item_id}/issue", {
        "title": "Parkeringen vid Stortorget", "decision": "2026-12-17 18:00", "hashtag": "#Parkering",
        "municipality": "karlskrona", "body": "kommunfullmaktige", "summary": "", "position": "Behåll dem."})

    assert status == 422
    start = page.index('class="problem"')
    problem = html.unescape(page[start:page.index("</div>", start)])
    assert "Sammanfattning" in problem
    assert 'value="Parkeringen vid Stortorget"' in page and ">Behåll dem.</textarea>" in page
    assert await issues(app) == []
    assert (await item_row(app, item_id)).status == "proposed"


async def test_dismiss_marks_the_item_as_the_chats_button_does(app: App, coordinator: BoardClient):
    item_id = await proposed(app)
    await coordinator.get("/board/agenda")

    status, page = await coordinator.post(f"/board/agenda/{item_id}/dismiss")

    assert status == 200 and coordinator.last_url.endswith("/board/agenda")
    assert f"Avfärdat: ”{TITLE}” föreslås inte igen." in html.unescape(page)
    assert (await item_row(app, item_id)).status == "dismissed"
    assert await audited(app, "agenda.dismissed") == [({"item_id": item_id}, "kim")]
    assert f'action="/board/agenda/{item_id}/dismiss"' not in page


async def test_an_item_made_an_issue_of_is_not_dismissed(app: App, coordinator: BoardClient):
    item_id = await proposed(app)
    await coordinator.get(f"/board/agenda/{item_id}")
    form = {"title": TITLE, "decision": "2026-12-17 18:00", "hashtag": "#Parkering",
            "municipality": "karlskrona", "body": "kommunfullmaktige"} | FILLED
    await coordinator.post(f"/board/agenda/{item_id}/issue", form)

    status, page = await coordinator.post(f"/board/agenda/{item_id}/dismiss")

    assert status == 422
    assert f"Det finns redan en fråga om ”{TITLE}”" in html.unescape(page)
    assert (await item_row(app, item_id)).status == "created"


async def test_a_write_without_the_token_changes_nothing(app: App, coordinator: BoardClient):
    item_id = await proposed(app)
    await coordinator.get(f"/board/agenda/{item_id}")

    dismissed = await coordinator.post(f"/board/agenda/{item_id}/dismiss", csrf=False)
    created = await coordinator.post(f"/board/agenda/{item_id}/issue", {
        "title": TITLE, "decision": "2026-12-17 18:00", "hashtag": "#Parkering", "municipality": "karlskrona",
        "body": "kommunfullmaktige"} | FILLED, csrf=False)

    assert dismissed[0] == created[0] == 403
    assert (await item_row(app, item_id)).status == "proposed" and await issues(app) == []


async def test_another_workspaces_items_are_neither_shown_nor_changed(app: App, coordinator: BoardClient,
                                                                      other_coordinator: BoardClient):
    item_id = await proposed(app)
    await other_coordinator.get("/board/agenda")

    _, page = await other_coordinator.get("/board/agenda")
    opened = await other_coordinator.get(f"/board/agenda/{item_id}")
    dismissed = await other_coordinator.post(f"/board/agenda/{item_id}/dismiss")
    created = await other_coordinator.post(f"/board/agenda/{item_id}/issue", {
        "title": TITLE, "decision": "2026-12-17 18:00", "hashtag": "#Parkering", "municipality": "karlskrona",
        "body": "kommunfullmaktige"} | FILLED)

    assert TITLE not in page and "Inga bevakade källor än." in page
    assert opened[0] == dismissed[0] == created[0] == 404
    assert TITLE not in opened[1] + dismissed[1] + created[1]
    assert (await item_row(app, item_id)).status == "proposed" and await issues(app) == []
    async with app.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(AuditLog).where(
            AuditLog.action.in_(("agenda.dismissed", "agenda.issue_created")))) == 0


async def test_an_unknown_item_is_not_found(coordinator: BoardClient):
    assert (await coordinator.get("/board/agenda/999999"))[0] == 404
    assert (await coordinator.get("/board/agenda/abc"))[0] == 404


async def test_signed_out_the_page_is_refused(browser: BoardClient):
    assert (await browser.get("/board/agenda"))[0] == 401
    assert (await browser.post("/board/agenda/1/dismiss"))[0] == 401


async def test_a_link_from_a_feed_is_shown_only_when_it_is_a_web_address(app: App, coordinator: BoardClient):
    ks = await source(app)
    await poll(app, ks, TITLE, link="javascript:alert(1)")
    await poll(app, ks, "Ny detaljplan för hamnen", link="https://www.karlskrona.se/ks/hamnen.pdf")

    _, page = await coordinator.get("/board/agenda")

    assert "javascript:" not in page
    assert 'href="https://www.karlskrona.se/ks/hamnen.pdf"' in page


async def test_a_browser_on_the_board_is_believed_where_its_origin_is_null_and_another_site_is_not(
        app: App, coordinator: BoardClient):
    # Under the board's Referrer-Policy (no-referrer) Chromium sends "Origin: null" with its own forms.
    item_id = await proposed(app)
    await coordinator.get("/board/agenda")

    refused = await coordinator.post(f"/board/agenda/{item_id}/dismiss",
                                     headers={"Origin": "null", "Sec-Fetch-Site": "cross-site"})
    assert refused[0] == 403 and (await item_row(app, item_id)).status == "proposed"

    await coordinator.get("/board/agenda")
    status, page = await coordinator.post(f"/board/agenda/{item_id}/dismiss",
                                          headers={"Origin": "null", "Sec-Fetch-Site": "same-origin"})
    assert status == 200 and "föreslås inte igen" in page
    assert (await item_row(app, item_id)).status == "dismissed"
