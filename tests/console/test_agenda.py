"""The agenda watcher's proposals in the console, as a coordinator would type it: keywords, two sources on a
local site, the proposals in the coordinators' channel, "Skapa fråga" and the prefilled form submitted with
only what the coordinator writes, "Avfärda"."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.config import Settings
from bot.console import run_console
from tests.support.local_server import Served, serving

MORNING = datetime(2026, 12, 1, 9, 0, tzinfo=ZoneInfo("Europe/Stockholm"))
FEED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Anslagstavla – Karlskrona kommun</title>
<link>https://www.karlskrona.se/anslagstavla</link><description>Kungörelser</description>
<item><title>Kungörelse: Kommunstyrelsen sammanträder 9 december 2026 kl. 14.00</title>
<link>https://www.karlskrona.se/anslag/ks-1</link><guid isPermaLink="false">ks-1</guid>
<description><![CDATA[<p>Ärenden:</p><p>1. Val av justerare</p>
<p>2. Motion om fler parkeringsplatser vid Stortorget (KS 2026/123)</p>
<p>3. Ägardirektiv för Affärsverken AB</p>]]></description></item>
</channel></rss>"""
CALENDAR = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Karlskrona kommun//SV\r\nBEGIN:VEVENT\r\n"
    "UID:kf-20261217@karlskrona.se\r\nDTSTAMP:20261201T080000Z\r\n"
    "DTSTART;TZID=Europe/Stockholm:20261217T180000\r\nDTEND;TZID=Europe/Stockholm:20261217T220000\r\n"
    "SUMMARY:Kommunfullmäktige\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")


@pytest.fixture
async def site() -> AsyncIterator[str]:
    """Karlskrona's notice board and council calendar on this machine; the site's address."""
    async with serving() as local:
        local.paths["/anslagstavla.xml"] = Served(FEED.encode())
        local.paths["/kf.ics"] = Served(CALENDAR.encode(), content_type="text/calendar")
        yield local.base


async def console(settings: Settings, lines: list[str]) -> str:
    out = io.StringIO()
    await run_console(settings, stdin=io.StringIO("\n".join(lines) + "\n"), out=out, start=MORNING)
    return out.getvalue()


def after(output: str, line: str) -> str:
    """What the console printed after the line typed."""
    return output.split(f"> {line}\n", 1)[1].split("\n> ", 1)[0]


async def test_a_proposal_becomes_an_issue_with_only_the_summary_and_position_typed(settings: Settings,
                                                                                    site: str):
    submit = (':submit agenda.issue summary:"Ägardirektiven styr Affärsverkens taxor." '
              'position:"Håll taxorna låga för företagen."')
    output = await console(settings, [
        ":as Karin coordinator",
        '/watch keywords set:"torget, Affärsverken"',
        f"/watch add municipality:Karlskrona body:kommunfullmäktige kind:calendar url:{site}/kf.ics",
        f"/watch add municipality:Karlskrona body:kommunstyrelsen kind:feed url:{site}/anslagstavla.xml",
        ":advance 1m",
        ':press "Skapa fråga"',
        submit,
        ':press "Avfärda"',
        "/issue list",
    ])

    polled = after(output, ":advance 1m")
    assert polled.count("[#koordinatorer] **På dagordningen:") == 2
    assert "**På dagordningen: 2 Motion om fler parkeringsplatser vid Stortorget**" in polled
    assert "Träff på: nyckelordet ”Affärsverken”" in polled
    assert "Troligen i kommunfullmäktige: torsdag 17 december 2026 kl. 18:00" in polled
    assert "Val av justerare" not in polled
    form = after(output, ':press "Skapa fråga"')
    assert "decision:…  Beslut (måste fyllas i) [2026-12-17 18:00]" in form
    created = after(output, submit)
    assert "**Frågan är skapad: Ägardirektiv för Affärsverken AB**" in created
    assert "Beslut: torsdag 17 december 2026 kl. 18:00" in created
    assert "Beslutande organ: kommunfullmäktige" in created
    # The newest proposal was turned into the issue: its "Avfärda" says so instead of dismissing it.
    assert "Det finns redan en fråga om ”Ägardirektiv för Affärsverken AB” (#1)." in \
        after(output, ':press "Avfärda"')
    assert "#1 **Ägardirektiv för Affärsverken AB**" in after(output, "/issue list")
