"""The campaign page: the open issues with their countdown, pledges, questions per politician and the map with
its seat math (the same numbers as /issue map), the reports to confirm or reject through the page, and
another workspace's issues never shown."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from bot.app import App
from bot.i18n import render
from bot.models import AuditLog, Issue, Member, Pledge, Stance
from bot.services import asks, civics, issues, pledges, stances, stories
from bot.web.board import campaign
from tests.conftest import START
from tests.issue_fixtures import ANNA, BO, COORDINATOR, create_issue, import_politicians
from tests.support.onboarding import onboard
from tests.web.board.conftest import BoardClient

SEATS = "S:20, M:15, SD:12, C:4, KD:2"  # 53 seats, majority 27


async def campaign_of(app: App) -> int:
    """The parking issue (28 January) with seats and one stance; a later one; Anna's and Bo's questions,
    Anna's report that her politician is against, and two pledges, one kept. Returns the parking issue's
    id."""
    await import_politicians(app)
    issue_id = await create_issue(app)
    await create_issue(app, title="Torghandel", decision="2027-03-01 18:00", hashtag="#Torget")
    await app.run(COORDINATOR, stances.set_seats, municipality="Karlskrona", body="KF", seats=SEATS)
    await app.run(COORDINATOR, stances.set_stance, issue="Parkering", politician="Åsa Ek", stance="for")
    for who in (ANNA, BO):
        await onboard(app, who)
        await app.run(who, asks.my_question, issue="Parkering")
    await app.press(ANNA, asks.ANSWER_ACTION, f"{issue_id}-against")
    await app.run(ANNA, pledges.pledge, issue="Parkering", kind="tweet")
    await app.run(BO, pledges.pledge, issue="Parkering", kind="tweet")
    async with app.sessionmaker() as session:
        kept = await session.scalar(select(Pledge.id).join(Member, Member.id == Pledge.member_id)
                                    .where(Member.external_id == "bo"))
    await app.press(BO, pledges.KEPT_ACTION, str(kept))
    return issue_id


async def report_id(app: App) -> int:
    async with app.sessionmaker() as session:
        found = await session.scalar(select(Stance.id).where(Stance.status == civics.REPORTED))
    assert found is not None
    return found


def text_of(body: str) -> str:
    """The page's text, tags dropped and entities read, for comparing with what the chat says."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


async def test_the_board_opens_on_the_campaign(coordinator: BoardClient):
    status, body = await coordinator.get("/board/")

    assert status == 200
    assert coordinator.last_url.endswith("/board/campaign")
    assert '<a href="/board/campaign" aria-current="page">Kampanjen</a>' in body


async def test_the_open_issues_come_soonest_first_with_their_countdown_and_facts(app: App,
                                                                                 coordinator: BoardClient):
    await campaign_of(app)

    status, body = await coordinator.get("/board/campaign")

    assert status == 200
    page = text_of(body)
    assert page.index("Parkering i centrum") < page.index("Torghandel")
    # 1 December to 28 January, in calendar days, as the countdown counts them.
    assert "58 dagar kvar" in page
    assert "#ParkeraKarlskrona" in page and "kommunfullmäktige, Karlskrona" in page
    assert "28 januari 2027 kl. 18:00" in page


async def test_the_map_shows_the_seat_math_of_issue_map(app: App, coordinator: BoardClient):
    issue_id = await campaign_of(app)
    chat = await app.run(COORDINATOR, stances.show_map, issue="Parkering")

    status, body = await coordinator.get(f"/board/campaign/{issue_id}")

    assert status == 200
    summary = render(chat.fields[0].value, "sv")
    assert summary.startswith("Prognos:")
    assert summary in text_of(body)  # the same words and numbers as the chat's map
    # The table: each party with its seats and projection, as the chat's lines say them.
    async with app.sessionmaker() as session:
        model = await stances.build_model(session, await session.get_one(Issue, issue_id))
    for group in model.parties:
        row = re.search(rf'<th scope="row">{re.escape(group.party)}</th>\s*<td class="number">(\d+)</td>\s*'
                        rf"<td>([^<]+)</td>", body)
        assert row is not None, group.party
        assert int(row[1]) == group.seats
        assert row[2] == render(stances.stance_label(group.projected), "sv")
    assert "Majoritet: 27" in body
    # The SVG bar has a text alternative: its title and the summary as its description.
    svg = re.search(r'<svg class="seat-bar".*?</svg>', body, re.DOTALL)
    assert svg is not None
    assert f"<desc id=\"bar-{issue_id}-desc\">{html.escape(summary)}</desc>" in svg[0]
    assert 'role="img"' in svg[0] and 'class="bar-majority"' in svg[0]


def test_the_bar_is_drawn_from_the_projection_against_the_majority():
    model = stances.MapModel(1, "Parkering", (), seats_total=50, majority=26,
                             projected={"for": 20, "against": 25, "undecided": 5})

    bar = campaign.seat_bar(model)

    assert bar is not None and bar.seats
    assert [(s.stance, s.count, s.x, s.width) for s in bar.segments] == [
        ("for", 20, 0.0, 240.0), ("undecided", 5, 240.0, 60.0), ("against", 25, 300.0, 300.0)]
    assert bar.majority_x == 312.0
    assert campaign.seat_bar(stances.MapModel(2, "Tom", ())) is None


def test_without_seats_the_bar_counts_the_deciders_per_stance():
    def row(politician_id: int, stance: str) -> stances.MapRow:
        return stances.MapRow(politician_id, f"P{politician_id}", "S", None, None, stance, reported=False,
                              priority=False, deciding=False)

    rows = (row(1, "for"), row(2, "for"), row(3, "unknown"), row(4, "against"))
    model = stances.MapModel(1, "Parkering", (stances.PartyGroup("S", rows, None, "for"),))

    bar = campaign.seat_bar(model)

    assert bar is not None and not bar.seats and bar.majority_x is None
    assert [(s.stance, s.count, s.width) for s in bar.segments] == [
        ("for", 2, 300.0), ("unknown", 1, 150.0), ("against", 1, 150.0)]


@pytest.mark.parametrize(("decision", "has_time", "expected"), [
    (datetime(2026, 12, 1, 14, 30, tzinfo=UTC), True, "5 timmar kvar"),
    (datetime(2026, 12, 1, 9, 40, tzinfo=UTC), True, "mindre än en timme kvar"),
    # Days as the countdown counts them: local dates (23:00 UTC on 2 December is 3 December in Stockholm).
    (datetime(2026, 12, 2, 22, 59, tzinfo=UTC), False, "beslut i morgon"),
    (datetime(2026, 12, 2, 23, 0, tzinfo=UTC), False, "2 dagar kvar"),
    (datetime(2026, 12, 4, 17, 0, tzinfo=UTC), True, "3 dagar kvar"),
    (datetime(2026, 12, 1, 8, 0, tzinfo=UTC), True, "beslutstiden har passerat"),
])
def test_the_countdown_says_hours_when_near_and_days_otherwise(decision: datetime, has_time: bool,
                                                               expected: str):
    issue = Issue(decision_at=decision, decision_has_time=has_time)

    assert render(campaign.time_left(issue, "Europe/Stockholm", START), "sv") == expected


async def test_pledges_and_questions_per_politician_are_shown(app: App, coordinator: BoardClient):
    issue_id = await campaign_of(app)

    _, overview = await coordinator.get("/board/campaign")
    _, detail = await coordinator.get(f"/board/campaign/{issue_id}")

    assert "Hållna löften: 1 av 2." in text_of(overview)
    counts = await pledges_counts(app, issue_id)
    assert counts["tweet"] == (2, 1)
    rows = re.findall(r'<th scope="row">([^<]+)</th>\s*<td class="number">(\d+)</td>\s*'
                      r'<td class="number">(\d+)</td>\s*<td class="number">(\d+)</td>\s*<td>([^<]*)</td>',
                      detail)
    asked = {name: (int(given), int(done), int(answered), answers)
             for name, given, done, answered, answers in rows}
    async with app.sessionmaker() as session:
        issue = await session.get_one(Issue, issue_id)
        given = (await asks.assignments_of(session, issue.workspace_id, [issue_id]))[issue_id]
    anna_asks = next(f"{p.name} ({p.party})" for a, m, p in given if m.external_id == "anna")
    assert asked[anna_asks][2] == 1 and "emot: 1" in asked[anna_asks][3]
    assert sum(given for given, _, _, _ in asked.values()) == len(given) == 2
    assert "Anna: frågade" in text_of(detail) and "Bo: inte frågat än" in text_of(detail)
    # The overview sums the questions up (its issue's page has them per politician).
    assert "Utdelade frågor: 2. Ställda: 1. Besvarade: 1." in text_of(overview)
    assert "Anna: frågade" not in text_of(overview)


async def pledges_counts(app: App, issue_id: int) -> dict[str, tuple[int, int]]:
    async with app.sessionmaker() as session:
        return await pledges.pledge_counts(session, issue_id)


async def test_a_report_is_confirmed_through_the_page_as_with_the_button(app: App, coordinator: BoardClient):
    issue_id = await campaign_of(app)
    stance_id = await report_id(app)
    _, page = await coordinator.get("/board/campaign")
    assert f'name="report" value="{stance_id}"' in page

    status, body = await coordinator.post("/board/campaign/review", {"report": str(stance_id),
                                                                     "decision": "confirm",
                                                                     "next": "/board/campaign"})

    assert status == 200 and coordinator.last_url.endswith("/board/campaign")
    # The chat's answer, shown once.
    assert "Bekräftat: Björn Öst (M) i frågan Parkering i centrum – emot." in text_of(body)
    assert f'name="report" value="{stance_id}"' not in body
    async with app.sessionmaker() as session:
        row = await session.get_one(Stance, stance_id)
        audit = await session.scalar(select(AuditLog).where(AuditLog.action == "stance.confirmed"))
    assert row.status == civics.CONFIRMED
    assert audit is not None
    assert (audit.detail["stance_id"], audit.detail["issue_id"]) == (stance_id, issue_id)


async def test_a_report_is_rejected_from_the_issues_page_and_the_map_goes_back(app: App,
                                                                              coordinator: BoardClient):
    issue_id = await campaign_of(app)
    stance_id = await report_id(app)
    await coordinator.get(f"/board/campaign/{issue_id}")

    status, body = await coordinator.post("/board/campaign/review", {
        "report": str(stance_id), "decision": "reject", "next": f"/board/campaign/{issue_id}"})

    assert status == 200 and coordinator.last_url.endswith(f"/board/campaign/{issue_id}")
    async with app.sessionmaker() as session:
        row = await session.get_one(Stance, stance_id)
        assert await session.scalar(select(func.count()).select_from(AuditLog)
                                    .where(AuditLog.action == "stance.rejected")) == 1
        model = await stances.build_model(session, await session.get_one(Issue, issue_id))
    assert row.status == civics.REJECTED
    assert "Avvisat: rapporten om Björn Öst (M) i frågan Parkering i centrum (emot)" in text_of(body)
    assert all(not r.reported for r in model.rows)
    assert render(stances.map_summary(model), "sv") in text_of(body)


async def test_a_report_settled_already_says_so_and_changes_nothing(app: App, coordinator: BoardClient):
    await campaign_of(app)
    stance_id = await report_id(app)
    await app.press(COORDINATOR, stances.CONFIRM_ACTION, str(stance_id))  # in chat, meanwhile
    await coordinator.get("/board/campaign")

    status, body = await coordinator.post("/board/campaign/review", {"report": str(stance_id),
                                                                     "decision": "reject"})

    assert status == 200
    assert "Rapporten om Björn Öst (M) är redan hanterad" in text_of(body)
    async with app.sessionmaker() as session:
        assert (await session.get_one(Stance, stance_id)).status == civics.CONFIRMED


async def test_a_form_sent_as_browsers_send_it_under_no_referrer_is_taken(app: App, coordinator: BoardClient):
    """The board's Referrer-Policy (no-referrer) makes a browser send "Origin: null" with its forms."""
    await campaign_of(app)
    stance_id = await report_id(app)
    await coordinator.get("/board/campaign")

    status, _ = await coordinator.post("/board/campaign/review", {"report": str(stance_id),
                                                                  "decision": "confirm"},
                                       headers={"Origin": "null"})

    assert status == 200
    async with app.sessionmaker() as session:
        assert (await session.get_one(Stance, stance_id)).status == civics.CONFIRMED


async def test_a_live_refetch_leaves_the_answer_to_the_page_load(app: App, coordinator: BoardClient):
    await campaign_of(app)
    stance_id = await report_id(app)
    await coordinator.get("/board/campaign")
    status, _ = await coordinator.post("/board/campaign/review", {"report": str(stance_id),
                                                                  "decision": "confirm"},
                                       allow_redirects=False)
    assert status == 303

    _, refetched = await coordinator.get("/board/campaign", headers={"X-Board-Live": "1"})
    _, loaded = await coordinator.get("/board/campaign")

    assert 'class="flash"' not in refetched
    assert 'class="flash"' in loaded and "Bekräftat: Björn Öst (M)" in loaded


async def test_a_review_without_the_token_is_refused_and_changes_nothing(app: App, coordinator: BoardClient):
    await campaign_of(app)
    stance_id = await report_id(app)

    status, _ = await coordinator.post("/board/campaign/review", {"report": str(stance_id),
                                                                  "decision": "confirm"}, csrf=False)

    assert status == 403
    async with app.sessionmaker() as session:
        assert (await session.get_one(Stance, stance_id)).status == civics.REPORTED


async def test_a_review_of_an_unknown_report_is_explained_on_the_page(app: App, coordinator: BoardClient):
    await campaign_of(app)
    await coordinator.get("/board/campaign")

    status, body = await coordinator.post("/board/campaign/review", {"report": "999999",
                                                                     "decision": "confirm"})

    assert status == 422
    assert re.search(r'<div class="problem" role="alert"><p>Den här knappen hör till något som inte finns '
                     r"längre.</p></div>", body)
    assert "Öppna frågor" in body  # the page again, with the problem on it


async def test_another_workspaces_issues_and_reports_are_never_shown_nor_settled(
        app: App, coordinator: BoardClient, other_coordinator: BoardClient):
    issue_id = await campaign_of(app)
    stance_id = await report_id(app)

    _, theirs = await other_coordinator.get("/board/campaign")
    status, missing = await other_coordinator.get(f"/board/campaign/{issue_id}")
    settle, _ = await other_coordinator.post("/board/campaign/review", {"report": str(stance_id),
                                                                        "decision": "confirm"})

    assert "Parkering" not in theirs and "Torghandel" not in theirs and "Inga öppna frågor" in text_of(theirs)
    assert status == 404 and "Frågan finns inte" in missing and "Parkering" not in missing
    assert settle == 422
    async with app.sessionmaker() as session:
        assert (await session.get_one(Stance, stance_id)).status == civics.REPORTED


async def test_a_closed_issue_leaves_the_list_but_keeps_its_page(app: App, coordinator: BoardClient):
    issue_id = await campaign_of(app)
    await app.run(COORDINATOR, issues.close, issue="Torghandel", outcome="won")

    _, overview = await coordinator.get("/board/campaign")
    _, closed = await coordinator.get(f"/board/campaign/{issue_id + 1}")

    assert "Torghandel" not in overview and "Parkering i centrum" in overview
    assert "Frågan är avslutad: vunnen." in text_of(closed)


async def test_signed_out_the_page_is_refused(browser: BoardClient):
    status, body = await browser.get("/board/campaign")
    issue_status, _ = await browser.get("/board/campaign/1")

    assert (status, issue_status) == (401, 401)
    assert "Du är inte inloggad" in body


async def test_the_page_is_in_english_for_an_english_session(app: App, coordinator: BoardClient):
    await campaign_of(app)
    await coordinator.get("/board/campaign")
    await coordinator.post("/board/language", {"language": "en", "next": "/board/campaign"})

    _, body = await coordinator.get("/board/campaign")

    assert '<html lang="en">' in body and "Open issues" in body and "Pledges kept: 1 of 2." in text_of(body)
    assert "58 days left" in text_of(body)


async def test_the_live_region_carries_the_stamp_and_loads_the_script(app: App, coordinator: BoardClient):
    await campaign_of(app)

    _, body = await coordinator.get("/board/campaign")

    assert re.search(r'<div id="campaign-live" class="campaign" data-live data-live-since="[0-9a-f]{16}">',
                     body)
    assert re.search(r'<script src="/board/static/board.js\?v=[0-9a-f]{12}" defer></script>', body)
    assert 'aria-live="polite"' in body


async def test_the_issues_page_gives_its_public_address_once_the_stories_page_is_published(
        app: App, coordinator: BoardClient):
    issue_id = await campaign_of(app)
    assert "Publik sida:" not in (await coordinator.get(f"/board/campaign/{issue_id}"))[1]

    await app.run(COORDINATOR, stories.public_page, on=True)
    _, page = await coordinator.get(f"/board/campaign/{issue_id}")

    address = f"http://tavla.test/berattelser/testgruppen/fraga/{issue_id}"
    assert f'Publik sida: <a href="{address}">{address}</a>' in page
