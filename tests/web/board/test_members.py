"""The board's members page: the coaching ladder, the closed DMs and the weeks, with the numbers the chat's
commands report for the same data, charts as SVG, and nothing of members who did not consent nor of another
workspace."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from sqlalchemy import select, update

from bot.app import App
from bot.i18n import render
from bot.models import Member, Workspace
from bot.services import activity, digest, ladder, nudges, reports
from bot.web.board import members
from tests.conftest import FrozenClock, identity
from tests.support.onboarding import onboard
from tests.support.replies import field_line
from tests.web.board.conftest import COORDINATOR, BoardClient

ANNA, BO, CIA = identity("anna"), identity("bo"), identity("cia")
SVG = re.compile(r"<svg\b.*?</svg>", re.DOTALL)


class Tables(HTMLParser):
    """The tables of a page: each as its caption and its rows of cell texts (a header row too)."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.tables: list[tuple[str, list[list[str]]]] = []
        self._cell: list[str] | None = None
        self._caption: list[str] | None = None
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables.append(("", []))
        elif tag == "caption":
            self._caption = []
        elif tag == "tr":
            self.tables[-1][1].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "caption" and self._caption is not None:
            self.tables[-1] = (" ".join("".join(self._caption).split()), self.tables[-1][1])
            self._caption = None
        elif tag in ("td", "th") and self._cell is not None:
            self.tables[-1][1][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data: str) -> None:
        for collecting in (self._cell, self._caption):
            if collecting is not None:
                collecting.append(data)

    def rows(self, caption: str) -> list[list[str]]:
        """The body rows of the table with this caption."""
        return next(rows[1:] for found, rows in self.tables if found == caption)


async def close_dms(app: App, who: str) -> None:
    """Mark a member's DMs closed, as a refused DM does (bot.outcomes)."""
    async with app.sessionmaker() as session, session.begin():
        await session.execute(update(Member).where(Member.external_id == who)
                              .values(dm_open=False, dm_closed_at=app.clock.now()))


async def test_the_steps_are_counted_as_the_coaching_overview_counts_them(app: App, coordinator: BoardClient):
    for who in (ANNA, BO, CIA):
        await onboard(app, who)
    await app.run(ANNA, ladder.done)
    await app.run(CIA, nudges.pause)

    status, page = await coordinator.get("/board/members")

    assert status == 200
    overview = render((await app.run(COORDINATOR, ladder.overview)).body, "sv").splitlines()
    in_chat = {match.group(1): int(match.group(2)) for line in overview
               if (match := re.match(r"\*\*(.+?)\*\* \((\d+)\)", line))}
    on_page = {label: int(count) for label, count in Tables(page).rows("Medlemmar per steg")}
    # The chart names the finished members "Klara", as the chat's chart does.
    assert on_page == {label.replace("Klara med hela stegen", "Klara"): count
                       for label, count in in_chat.items()}
    assert sum(on_page.values()) == 3 and list(on_page.values())[:2] == [2, 1]
    assert "3 medlemmar på stegen" in page


async def test_each_member_is_listed_with_their_step_a_page_at_a_time(app: App, coordinator: BoardClient,
                                                                      monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(members, "PER_PAGE", 2)
    for who in (ANNA, BO, CIA):
        await onboard(app, who)
    await app.run(ANNA, ladder.done)
    await app.run(CIA, nudges.pause)
    first_step = "1. " + render(ladder.Step("intro", "tweet", 1).title_text(), "sv")
    second_step = "2. " + render(ladder.Step("follow", "follow", 2).title_text(), "sv")

    _, first = await coordinator.get("/board/members")
    _, second = await coordinator.get("/board/members?page=2")
    _, beyond = await coordinator.get("/board/members?page=9")

    assert Tables(first).rows("Var varje medlem står") == [["Anna", second_step], ["Bo", first_step]]
    assert Tables(second).rows("Var varje medlem står") == [["Cia", first_step + " pausad"]]
    assert "Sida 2 av 2" in second and 'href="/board/members?page=1#who"' in second
    assert Tables(beyond).rows("Var varje medlem står") == Tables(second).rows("Var varje medlem står")


async def test_a_member_with_closed_dms_is_listed_as_the_report_lists_them(app: App,
                                                                          coordinator: BoardClient):
    await onboard(app, ANNA)
    await onboard(app, BO, x_handle="@bosbygg")
    await close_dms(app, "bo")

    _, page = await coordinator.get("/board/members")

    assert Tables(page).rows("Nås inte med DM") == [["Bo", "@bosbygg"]]
    assert "1 medlem nås inte med DM just nu." in page
    assert "nämner boten dem i gruppens kanal i stället" in page
    report = await app.run(COORDINATOR, reports.report)
    assert field_line(report, "Kunde inte nås").startswith("Kunde inte nås (1): Bo: DM stängda")


async def test_a_member_who_did_not_consent_is_not_shown(app: App, coordinator: BoardClient):
    await onboard(app, ANNA)
    async with app.sessionmaker() as session, session.begin():
        workspace_id = await session.scalar(select(Workspace.id).where(Workspace.external_id == "guild-1"))
        # A row with a name and closed DMs but no consent (the bot's own paths keep no name before it).
        session.add(Member(workspace_id=workspace_id, external_id="hemlig", display_name="Hemlig Hedvig",
                           joined_at=app.clock.now(), last_seen_at=app.clock.now(), dm_open=False,
                           dm_closed_at=app.clock.now(), dm_reminders=False))

    _, page = await coordinator.get("/board/members")

    assert "Hemlig" not in page
    assert "1 medlem på stegen" in page and "Alla medlemmar går att nå med DM." in page


async def test_the_weeks_are_counted_as_the_digest_counts_them(app: App, clock: FrozenClock,
                                                               browser: BoardClient):
    await onboard(app, ANNA)
    await onboard(app, BO)
    await app.run(ANNA, activity.did, kind="tweet")
    clock.advance(timedelta(days=8))
    await app.run(ANNA, activity.did, kind="blog")
    await app.run(BO, activity.did, kind="tweet")
    await app.run(BO, activity.did, kind="ask", status="attempted")
    await browser.sign_in(COORDINATOR)  # a session of eight days ago would have ended

    _, page = await browser.get("/board/members")

    weeks = Tables(page).rows("Gruppens aktivitet per vecka")
    assert len(weeks) == members.WEEKS
    header = next(rows[0] for caption, rows in Tables(page).tables
                  if caption == "Gruppens aktivitet per vecka")
    assert header[1:4] == ["Tweetade", "Frågade en politiker", "Bloggade"] and header[-1] == "Totalt"
    this_week, last_week = weeks[-1], weeks[-2]
    assert this_week[0] == "från 2/12" and this_week[1:4] == ["1", "1", "1"] and this_week[-1] == "3"
    assert last_week[1] == "1" and last_week[-1] == "1"
    assert all(row[-1] == "0" for row in weeks[:-2])
    in_chat = await app.run(COORDINATOR, digest.digest_now)
    assert field_line(in_chat, "Insatser").startswith(f"Insatser ({this_week[-1]})")


async def test_the_charts_are_svg_images_with_a_title_a_description_and_the_numbers(
        app: App, coordinator: BoardClient):
    await onboard(app, ANNA)
    await app.run(ANNA, activity.did, kind="tweet")

    _, page = await coordinator.get("/board/members")

    charts = [ET.fromstring(found) for found in SVG.findall(page)]
    namespace = "{http://www.w3.org/2000/svg}"
    assert [chart.findtext(f"{namespace}title") for chart in charts] == \
        ["Medlemmar per steg", "Gruppens aktivitet per vecka"]
    for chart in charts:
        assert chart.get("role") == "img"
        assert chart.findtext(f"{namespace}desc")
        title_id, desc_id = chart.get("aria-labelledby", "").split()
        assert chart.find(f"{namespace}title").get("id") == title_id
        assert chart.find(f"{namespace}desc").get("id") == desc_id
    bars = [rect.findtext(f"{namespace}title") for rect in charts[1].iter(f"{namespace}rect")
            if rect.find(f"{namespace}title") is not None]
    assert bars == ["24/11: Tweetade 1"]  # the week from 24 November up to now
    assert 'style="' not in page  # the board's CSP applies no inline style


async def test_without_members_the_page_says_so(coordinator: BoardClient):
    status, page = await coordinator.get("/board/members")

    assert status == 200
    assert "Inga medlemmar har gått med än." in page and "Alla medlemmar går att nå med DM." in page


async def test_another_workspace_never_sees_these_members(app: App, other_coordinator: BoardClient):
    await onboard(app, ANNA)
    await onboard(app, BO)
    await close_dms(app, "bo")

    status, page = await other_coordinator.get("/board/members")

    assert status == 200, page
    assert "Anna" not in page and ">Bo<" not in page
    assert "Inga medlemmar har gått med än." in page and "Alla medlemmar går att nå med DM." in page


async def test_signed_out_the_page_is_refused(browser: BoardClient):
    status, page = await browser.get("/board/members")

    assert status == 401 and "Du är inte inloggad" in page


async def test_the_page_reads_in_english(app: App, coordinator: BoardClient):
    await onboard(app, ANNA)
    await coordinator.get("/board/members")
    await coordinator.post("/board/language", {"language": "en", "next": "/board/members"})

    _, page = await coordinator.get("/board/members")

    assert '<html lang="en">' in page
    assert "1 member on the ladder" in page and "Every member can be reached by DM." in page
    assert '-title">Members per step</title>' in page


async def test_a_stored_ladder_is_charted_in_its_order_and_its_titles_are_escaped(app: App,
                                                                                 coordinator: BoardClient):
    await onboard(app, ANNA)
    await app.run(COORDINATOR, ladder.configure_ladder, step="blog", position=1)
    await app.run(COORDINATOR, ladder.configure_ladder, step="follow", active=False)
    await app.run(COORDINATOR, ladder.configure_ladder, step="blog", title="Blogga & <skriv> om \"oss\"")

    _, page = await coordinator.get("/board/members")

    steps = Tables(page).rows("Medlemmar per steg")
    assert [label for label, _ in steps][:2] == [
        '1. Blogga & <skriv> om "oss"', "2. " + render(ladder.Step("intro", "tweet", 1).title_text(), "sv")]
    assert len(steps) == 6 and steps[0][1] == "1"  # five active steps and "Klara"; Anna on the first
    chart = ET.fromstring(SVG.findall(page)[0])
    labels = [found.text for found in chart.iter("{http://www.w3.org/2000/svg}text")]
    assert '1. Blogga & <skriv> om "oss"' in labels
