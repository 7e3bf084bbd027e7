"""Times as a coordinator types them in the console, and what the bot says back: a weekday still ahead
is today, a time that has passed is refused as passed (with what it was read as), the nights the clocks
change are asked about, and a report may end ahead."""

from __future__ import annotations

import io
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.config import Settings
from bot.console import run_console

# Tuesday 1 December 2026, 10:00 in Stockholm.
MORNING = datetime(2026, 12, 1, 10, 0, tzinfo=ZoneInfo("Europe/Stockholm"))


def create(title: str, decision: str) -> str:
    return (f'/issue create title:"{title}" summary:"Avgifter vid Stortorget." municipality:Karlskrona '
            f'body:kommunfullmäktige decision:"{decision}" hashtag:#{title} position:"Behåll platserna."')


async def console(settings: Settings, lines: list[str], start: datetime = MORNING) -> str:
    out = io.StringIO()
    await run_console(settings, stdin=io.StringIO("\n".join(lines) + "\n"), out=out, start=start)
    return out.getvalue()


def answer(output: str, line: str) -> str:
    """What the console printed after a typed line, up to the next one (or the goodbye)."""
    return output.split(f"> {line}\n", 1)[1].split("\n> ", 1)[0].removesuffix("\nHej då!\n")


async def test_a_time_that_passed_is_refused_as_the_user_sees_it(settings: Settings):
    lines = [
        ":as Karin coordinator",
        create("Parkering", "1 dec 09:00"),
        create("Parkering", "igår"),
        create("Parkering", "tisdag 18:00"),
        "/report to:imorgon",
    ]

    output = await console(settings, lines)

    # An hour ago: refused, and not moved a year ahead; nothing was created.
    assert answer(output, lines[1]) == (
        'Beslut: "1 dec 09:00" läser jag som tisdag 1 december 2026 kl. 09:00, och den tiden har redan '
        "varit. Ange en tid som ligger framåt."
    )
    assert answer(output, lines[2]) == (
        'Beslut: "igår" läser jag som måndag 30 november 2026, och den tiden har redan varit. '
        "Ange en tid som ligger framåt."
    )
    # On a Tuesday morning, "tisdag 18:00" is this evening, and the answer says so.
    created = answer(output, lines[3])
    assert created.startswith("[endast Karin] **Frågan är skapad: Parkering**")
    assert "  Beslut: tisdag 1 december 2026 kl. 18:00" in created
    assert "2027" not in output
    # A report may end ahead, and says back the days it covers.
    report = answer(output, lines[4])
    assert report.startswith("[endast Karin] **📋 Rapport, 1 december 2026 – 2 december 2026**")
    assert "  Period: tisdag 1 december 2026 – onsdag 2 december 2026" in report
    assert "Traceback" not in output


async def test_the_nights_the_clocks_change_are_asked_about(settings: Settings):
    lines = [
        ":as Karin coordinator",
        create("Parkering", "25 okt 02:30"),
        create("Parkering", "25 okt 02:30 vintertid"),
        create("Bredband", "2027-03-28 02:30"),
    ]

    output = await console(settings, lines, start=datetime(2026, 10, 20, 10, 0, tzinfo=MORNING.tzinfo))

    assert answer(output, lines[1]) == (
        "Beslut: Klockan 02:30 kommer två gånger natten till söndag 25 oktober 2026, eftersom klockan då "
        "ställs tillbaka från sommartid till vintertid. Vilken menar du? "
        'Skriv "2026-10-25 02:30 sommartid" för den första (UTC+02:00) '
        'eller "2026-10-25 02:30 vintertid" för den andra (UTC+01:00).'
    )
    # The reading chosen is said back with which one it is.
    assert "  Beslut: söndag 25 oktober 2026 kl. 02:30 (vintertid)" in answer(output, lines[2])
    assert answer(output, lines[3]) == (
        "Beslut: Klockan 02:30 finns inte natten till söndag 28 mars 2027: då ställs klockan fram till "
        'sommartid och hoppar över den tiden. Skriv "2027-03-28 03:30" eller "2027-03-28 01:30" i stället.'
    )
