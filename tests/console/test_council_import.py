"""Console scenario of the council import: a coordinator reads in Valmyndigheten's file of Karlskrona's
council, confirms the preview, and the issue's map shows the seats it set and the majority.
Every name is made up."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.config import Settings
from bot.console import run_console

MORNING = datetime(2026, 12, 1, 10, 0, tzinfo=ZoneInfo("Europe/Stockholm"))
# "Ledamöter och ersättare" as Valmyndigheten publishes it, saved by Excel on a Swedish Windows (cp1252).
COUNCIL = [("Åsa Ek", "S", "Ledamot"), ("Örjan Ås", "S", "Ledamot"), ("Lena Berg", "S", "Ledamot"),
           ("Björn Öst", "M", "Ledamot"), ("Per Holm", "M", "Ledamot"), ("Cecilia Ärlig", "SD", "Ledamot"),
           ("Eva Ström", "KD", "Ersättare")]
OTHER_ROWS = ["Riksdag;1080 Karlskrona;S;Ture;Tand;Ledamot;M;1960",
              "Kommunfullmäktige;0180 Stockholm;C;Vera;Vik;Ledamot;K;1980"]
CREATE = (
    '/issue create title:"Parkering i centrum" summary:"Kommunen vill ta bort 200 platser vid Stortorget." '
    'municipality:Karlskrona body:kommunfullmäktige decision:"28 jan 18:00" hashtag:#ParkeraKarlskrona '
    'position:"Behåll platserna. Kunderna kommer med bil."'
)


def council_file(path: Path) -> Path:
    lines = ["Valtyp;Geografi;Parti;Förnamn;Efternamn;Uppdrag;Kön;Födelseår"]
    lines += [f"Kommunfullmäktige;1080 Karlskrona;{party};{name.split()[0]};{name.split()[1]};{kind};K;1970"
              for name, party, kind in COUNCIL]
    path.write_bytes(("\r\n".join(lines + OTHER_ROWS) + "\r\n").encode("cp1252"))
    return path


async def console(settings: Settings, lines: list[str]) -> str:
    out = io.StringIO()
    await run_console(settings, stdin=io.StringIO("\n".join(lines) + "\n"), out=out, start=MORNING)
    return out.getvalue()


def answer_to(output: str, command: str) -> list[str]:
    """The lines the bot printed after a typed command, until the next one."""
    after = output.split(f"> {command}\n", 1)[1]
    return after.split("\n> ", 1)[0].splitlines()


async def test_the_council_file_is_previewed_confirmed_and_gives_the_map_its_seats(settings: Settings,
                                                                                     tmp_path: Path):
    path = council_file(tmp_path / "ledamoter.skv")

    output = await console(settings, [
        ":as Karin coordinator", CREATE, f"/politician valmyndigheten file:{path}",
        "/issue map issue:Parkering", ":press Bekräfta", "/issue map issue:Parkering",
    ])

    preview = answer_to(output, f"/politician valmyndigheten file:{path}")
    assert preview[0] == "[endast Karin] **Kommunfullmäktige från Valmyndigheten: förhandsvisning**"
    assert preview[1].startswith("  7 rader i våra kommuners fullmäktige; 2 andra rader (riksdag, region,")
    assert preview[2:] == [
        "  Karlskrona: 7 nya, 0 avgångna, 0 bytt parti, 0 oförändrade",
        ("    Nya: Åsa Ek (S), Örjan Ås (S), Lena Berg (S), Björn Öst (M), Per Holm (M), Cecilia Ärlig (SD), "
         "Eva Ström (KD)"),
        "    Mandat: S: 3, M: 2, SD: 1 – 6 mandat, majoritet 4",
        "  [1] Bekräfta   [2] Avbryt",
    ]
    before, after = output.split("> :press Bekräfta\n", 1)
    # Before the confirmation nothing is stored: the map has nobody and no seats.
    first_map = "\n".join(answer_to(before + "> ", "/issue map issue:Parkering"))
    assert "Inga politiker i kommunfullmäktige i Karlskrona än." in first_map
    assert "Mandat: Inga mandat angivna." in first_map
    assert "**Kommunfullmäktige är uppdaterat**" in after
    shown = "\n".join(answer_to(after, "/issue map issue:Parkering"))
    assert "**S** · 3 mandat" in shown and "**M** · 2 mandat" in shown and "**SD** · 1 mandat" in shown
    assert "⚪ Örjan Ås: okänt" in shown
    assert ("Prognos: 0 för, 0 emot, 6 osäkra av 6 mandat. Majoritet: 4. Det saknas 4 röster för majoritet."
            in shown)
