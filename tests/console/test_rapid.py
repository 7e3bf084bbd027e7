"""Console scenarios of a rapid response: started by a coordinator, pressed by the followers (in a DM and in
the channel), the live tally edited in place, the bot down over the deadline and the close run at its start;
and an urgent one at night, which reaches at once all but the member who opted out."""

from __future__ import annotations

import io
import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.config import Settings
from bot.console import run_console
from tests.support.onboarding import onboard_lines

STOCKHOLM = ZoneInfo("Europe/Stockholm")
START = (':as Karin coordinator\n/rapid start link:https://x.com/kommunalrad/status/1234 '
         'ask:"Svara kommunalrådet om parkeringen." deadline:2h municipality:Karlskrona')
ALERT = "⚡ Snabbrespons: hjälp till nu"
README = Path(__file__).resolve().parents[2] / "README.md"


async def console(settings: Settings, lines: list[str], start: datetime) -> str:
    out = io.StringIO()
    await run_console(settings, stdin=io.StringIO("\n".join(lines) + "\n"), out=out, start=start)
    return out.getvalue()


def heads(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("[")]


async def test_a_rapid_response_is_pressed_tallied_live_and_closed_after_a_restart(settings: Settings):
    output = await console(settings, [
        *onboard_lines("Anna"), *onboard_lines("Bo"), *onboard_lines("Cia", municipality="Ronneby"),
        *START.split("\n"),
        ":as Anna", ':press "Jag har svarat/delat"', ':press "Jag har svarat/delat"',
        ":as Bo", ':press "Jag har svarat/delat" #annonser',
        ":advance 1m",
        # The bot is down over the deadline: the close runs when it starts again.
        ":down 3h",
        ":as Bo", ':press "Jag har svarat/delat" dm',
    ], datetime(2026, 12, 1, 10, 0, tzinfo=STOCKHOLM))

    assert "2 följare larmas: 2 via DM, 0 nämns i kanalen." in output
    assert f"[DM Anna] **{ALERT}**" in heads(output) and f"[DM Bo] **{ALERT}**" in heads(output)
    assert f"[DM Cia] **{ALERT}**" not in heads(output)
    assert "[endast Anna] Du är redan med i räkningen. Tack!" in output
    # The live tally: posted once, then edited in place, once for the burst and once at the close.
    assert heads(output).count("[#koordinatorer] **⚡ Snabbrespons: Karlskrona**") == 1
    edits = [line for line in heads(output) if line.startswith("[#koordinatorer ✎]")]
    assert edits == ["[#koordinatorer ✎] **⚡ Snabbrespons: Karlskrona**",
                     "[#koordinatorer ✎] **⚡ Snabbrespons stängd: Karlskrona**"]
    assert "Har svarat/delat: 2 av 2" in output and "Vilka: Anna, Bo" in output
    assert heads(output).count("[#annonser] **⚡ Tack för snabbresponsen: Karlskrona**") == 1
    assert "2 av oss svarade eller delade (av 2 som larmades)." in output
    assert "[endast Bo] Den här snabbresponsen är stängd." in output


async def test_an_urgent_one_at_night_reaches_all_but_who_opted_out(settings: Settings):
    output = await console(settings, [
        *onboard_lines("Anna"), *onboard_lines("Bo"),
        ":as Bo", "/snabbrespons brådskande tillåt:nej",
        ":advance 12h",  # 23:00
        START + " urgent:ja",
        ":advance 1m",
    ], datetime(2026, 12, 1, 11, 0, tzinfo=STOCKHOLM))

    assert "[endast Bo] Brådskande snabbresponser väntar till morgonen som andra meddelanden." in output
    assert "1 medlem har valt bort brådskande larm på natten och får det inte före tidsgränsen." in output
    assert "[DM Anna] **⚡ Brådskande snabbrespons: hjälp till nu**" in heads(output)
    assert not [line for line in heads(output) if line.startswith("[DM Bo] **⚡")]


async def test_the_readmes_rapid_response_example_runs_as_it_says(settings: Settings):
    script = re.search(r"```console\n# rapid.txt\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)
    assert script is not None

    nine = datetime(2026, 12, 1, 9, 0, tzinfo=STOCKHOLM)
    output = await console(settings, script.group(1).splitlines(), nine)

    assert "[endast Anna] Tack! Du är med i räkningen." in output
    assert "[endast Bo] Tack! Du är med i räkningen." in output
    assert "[#koordinatorer ✎] **⚡ Snabbrespons stängd: Karlskrona**" in heads(output)
    assert "2 av oss svarade eller delade (av 2 som larmades)." in output
    assert "Traceback" not in output
