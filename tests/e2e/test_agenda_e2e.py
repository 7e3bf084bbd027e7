"""The agenda watcher's proposal end to end: the real bot process against the Discord-protocol server, with
the municipality's notice board and meeting calendar served by a local HTTP server.

The owner (a coordinator) sets the group's keywords, and watches kommunstyrelsen's notice board (an RSS feed)
and kommunfullmäktige's meeting calendar (iCal). The first poll finds a board meeting whose agenda matches
nothing: nothing is proposed. Then a new notice appears on the board, naming a motion about parking spaces;
when the source's next poll comes, the coordinators' channel gets the proposal, linked to the next council
meeting. The owner presses "Skapa fråga", finds the modal prefilled (title, decision at the council
meeting, source …), writes the summary and the group's position, and submits: the issue exists, decided at
the council meeting, with its rounds of questions and countdown planned, and the item is marked as turned
into it.

The bot runs on the real clock; polls come every six hours. To make the next poll come now the scenario moves
that reminder's time in the bot's database (as time passing would) and restarts the bot, which runs at once
whatever is due (as tests/e2e/test_countdowns_e2e.py does with a countdown stage).
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio

from tests.support.local_server import LocalServer, Served, serving

from .botprocess import BotProcess
from .fakediscord import FakeDiscord, Message
from .test_scenarios import WAIT, set_up_workspace

pytestmark = [pytest.mark.asyncio, pytest.mark.e2e]

STOCKHOLM = ZoneInfo("Europe/Stockholm")
MONTHS = ("januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september", "oktober",
          "november", "december")
# Far enough ahead that the council's decision leaves room for the rounds of questions (21 and 14 days
# before).
BOARD_DAYS, COUNCIL_DAYS = 20, 40
MOTION = "Motion om fler parkeringsplatser vid Stortorget"


def _day(days: int) -> datetime:
    return (datetime.now(STOCKHOLM) + timedelta(days=days)).replace(second=0, microsecond=0)


def _swedish(day: datetime) -> str:
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def _notice(uid: str, day: datetime, items: list[str], base: str) -> str:
    listed = "".join(f"<p>{number}. {title}</p>" for number, title in enumerate(items, 1))
    return (f"<item><title>Kungörelse: Kommunstyrelsen sammanträder {_swedish(day)} kl. 14.00</title>"
            f"<link>{base}/anslag/{uid}</link><guid isPermaLink=\"false\">{uid}</guid>"
            f"<pubDate>Mon, 07 Dec 2026 08:00:00 +0100</pubDate>"
            f"<description><![CDATA[<p>Kommunstyrelsen sammanträder i Rådhuset, Karlskrona.</p>"
            f"<p>Ärenden:</p>{listed}]]></description></item>")


# Where the municipality's site serves the notice board's feed and the council's calendar.
FEED, CALENDAR = "/anslagstavla.xml", "/kf.ics"


def _feed(notices: list[str]) -> bytes:
    return ("<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel>"
            "<title>Anslagstavla – Karlskrona kommun</title><link>https://www.karlskrona.se/anslagstavla</link>"
            "<description>Kungörelser och protokoll</description>"
            + "".join(notices) + "</channel></rss>").encode("utf-8")


def _calendar(council: datetime) -> bytes:
    start = council.strftime("%Y%m%dT%H%M%S")
    end = (council + timedelta(hours=4)).strftime("%Y%m%dT%H%M%S")
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Karlskrona kommun//Sammanträden//SV\r\n"
            "BEGIN:VEVENT\r\nUID:kf-" + start + "@karlskrona.se\r\n"
            "DTSTAMP:20261201T080000Z\r\n"
            f"DTSTART;TZID=Europe/Stockholm:{start}\r\nDTEND;TZID=Europe/Stockholm:{end}\r\n"
            "SUMMARY:Kommunfullmäktige\r\nLOCATION:Rådhuset\\, Karlskrona\r\n"
            "END:VEVENT\r\nEND:VCALENDAR\r\n").encode("utf-8")


@pytest_asyncio.fixture
async def municipality() -> AsyncIterator[LocalServer]:
    """The municipality's site: the notice board's feed and the council's calendar, as a test sets them."""
    async with serving() as site:
        yield site


def _rows(bot: BotProcess, sql: str) -> list[tuple[Any, ...]]:
    with contextlib.closing(sqlite3.connect(f"file:{bot.database}?mode=ro", uri=True)) as connection:
        return connection.execute(sql).fetchall()


def _bring_forward_polls(bot: BotProcess) -> None:
    """Make the sources' next polls due now, as if six hours had passed."""
    with contextlib.closing(sqlite3.connect(bot.database)) as connection, connection:
        now = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")
        changed = connection.execute("UPDATE reminder SET due_at = ? WHERE kind = 'watch.poll' "
                                     "AND status = 'pending'", (now,)).rowcount
        assert changed == 2


def _prefilled(modal: dict[str, Any]) -> dict[str, Any]:
    """The values a modal page shows, by custom_id: a text input's text, a select's chosen option."""
    values: dict[str, Any] = {}
    for row in modal["components"]:
        component = row.get("component") or (row.get("components") or [{}])[0]
        if component.get("type") == 4:
            values[component["custom_id"]] = component.get("value") or ""
        elif component.get("type") == 3:
            values[component["custom_id"]] = [o["value"] for o in component["options"] if o.get("default")]
    return values


def _is_proposal(message: Message) -> bool:
    return bool(message.embeds) and (message.embeds[0].get("title") or "").startswith("På dagordningen")


async def test_a_new_notice_is_proposed_and_the_coordinator_creates_the_issue_from_it(
        fake_discord: FakeDiscord, jobbbot: BotProcess, municipality: LocalServer):
    fake, site = fake_discord, municipality
    board = _day(BOARD_DAYS).replace(hour=14, minute=0)
    council = _day(COUNCIL_DAYS).replace(hour=18, minute=0)
    earlier = _day(BOARD_DAYS - 14).replace(hour=14, minute=0)
    first = _notice("ks-1", earlier, ["Val av justerare", "Delårsrapport per den 31 augusti"], site.base)
    site.paths[FEED] = Served(_feed([first]))
    site.paths[CALENDAR] = Served(_calendar(council), content_type="text/calendar")
    # The municipality's site is this machine: no proxy of the environment stands between.
    jobbbot.extra_env.update(QUIET_HOURS_START="0", QUIET_HOURS_END="0", NO_PROXY="127.0.0.1,localhost",
                             no_proxy="127.0.0.1,localhost")
    await jobbbot.terminate()
    await jobbbot.start()
    await set_up_workspace(fake)

    keywords = await fake.slash("owner", "watch keywords", {"set": "Stortorget, Affärsverken"})
    assert "Stortorget, Affärsverken" in (await keywords.wait_reply(WAIT)).embed_text()
    for body, kind, path in (("kommunstyrelsen", "feed", FEED), ("kommunfullmaktige", "calendar", CALENDAR)):
        added = await fake.slash("owner", "watch add", {
            "municipality": "karlskrona", "body": body, "kind": kind, "url": site.base + path})
        await added.wait_reply(WAIT)
    # The first polls: a board meeting whose agenda names nothing of the group's, and the council's calendar.
    await jobbbot.wait(lambda: len(_rows(jobbbot, "SELECT id FROM agenda_item")) == 2
                       and len(_rows(jobbbot, "SELECT id FROM agenda_meeting")) == 2, WAIT, "the first polls")
    assert sorted(_rows(jobbbot, "SELECT status FROM agenda_item")) == [("ignored",), ("ignored",)]
    assert not [m for m in fake.messages_in("koordinatorer") if _is_proposal(m)]

    # A new notice on the board; the next poll (brought forward) finds it.
    site.paths[FEED] = Served(_feed([_notice("ks-2", board, ["Val av justerare", MOTION], site.base), first]))
    _bring_forward_polls(jobbbot)
    await jobbbot.terminate()
    await jobbbot.start()
    proposal = await fake.wait_for_message("koordinatorer", _is_proposal, WAIT)
    shown = proposal.embed_text()
    assert MOTION in proposal.embeds[0]["title"]
    assert "ämnet Parkering" in shown and "Troligen i kommunfullmäktige" in shown
    assert f"<t:{int(council.timestamp())}" in shown       # the council meeting, as a Discord timestamp
    assert len([m for m in fake.messages_in("koordinatorer") if _is_proposal(m)]) == 1

    create = next(c for c in proposal.custom_ids() if c.startswith("jb:agenda.create:"))
    opener = await fake.press("owner", proposal, custom_id=create)
    first = (await opener.wait_response(WAIT))["data"]
    values = _prefilled(first)
    assert values["title"] == MOTION
    assert values["decision"] == council.strftime("%Y-%m-%d %H:%M")
    assert values["hashtag"] == "#ParkeringsplatserStortorget"
    submitted = await fake.submit_modal("owner", opener, values | {
        "summary": "Kommunstyrelsen föreslår fler parkeringsplatser vid Stortorget.",
        "position": "Bra för handeln: ja till fler platser nära butikerna."})
    await submitted.wait_response(WAIT)
    shown_page = submitted.original
    assert shown_page is not None and shown_page.ephemeral
    opener = await fake.press("owner", shown_page, custom_id=shown_page.custom_ids()[0])
    second = (await opener.wait_response(WAIT))["data"]
    values = _prefilled(second)
    assert values["municipality"] == ["karlskrona"] and values["body"] == ["kommunfullmaktige"]
    assert values["source"] == f"{site.base}/anslag/ks-2"
    done = await fake.submit_modal("owner", opener, values)
    answer = await done.wait_reply(WAIT)
    assert answer.embeds[0]["title"] == f"Frågan är skapad: {MOTION}"

    [(issue_id, title, body, decision_at, source)] = _rows(
        jobbbot, "SELECT id, title, body, decision_at, source_url FROM issue")
    assert (title, body, source) == (MOTION, "kommunfullmaktige", f"{site.base}/anslag/ks-2")
    assert datetime.fromisoformat(str(decision_at)).replace(tzinfo=UTC) == council.astimezone(UTC)
    assert _rows(jobbbot, f"SELECT status, issue_id FROM agenda_item WHERE title = '{MOTION}'") == [
        ("created", issue_id)]
    kinds = {kind for (kind,) in _rows(
        jobbbot, f"SELECT kind FROM reminder WHERE key LIKE 'issues.ask:{issue_id}:%' "
                 f"OR key LIKE 'countdown:{issue_id}:%'")}
    assert {"issues.ask", "countdown.stage"} <= kinds
    assert jobbbot.problems() == []
