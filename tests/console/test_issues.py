"""Console scenarios of the issues feature: the "Done when" of the issue, as a person would type it."""

from __future__ import annotations

import io
import json
import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

from bot.config import Settings
from bot.console import run_console
from tests.support.onboarding import onboard_lines

# Tuesday 1 December 2026, 10:00 in Stockholm. The decision is on 28 January 2027 at 18:00.
MORNING = datetime(2026, 12, 1, 10, 0, tzinfo=ZoneInfo("Europe/Stockholm"))
GOOD_CSV = (
    "Namn;Parti;Roll;Kommun;Organ;X;E-post\n"
    "Åsa Ek;S;Kommunalråd;Karlskrona;KF+KS;asaek;asa.ek@karlskrona.se\n"
    "Björn Öst;M;;Karlskrona;kommunfullmäktige;bjornost;\n"
    "Cecilia Ärlig;SD;;Karlskrona;KF;;\n"
    "David Lund;C;;Karlskrona;KF;davidlund;\n"
    "Eva Ström;KD;;Karlskrona;KF;;\n"
)
BAD_CSV = GOOD_CSV + "Fia Berg;V;;Karlskrona;riksdagen;;\n"
UNDECIDED = {"Björn Öst", "Cecilia Ärlig", "David Lund", "Eva Ström"}


CREATE = (
    '/issue create title:"Parkering i centrum" summary:"Kommunen vill ta bort 200 platser vid Stortorget." '
    'municipality:Karlskrona body:kommunfullmäktige decision:"28 jan 18:00" hashtag:#ParkeraKarlskrona '
    'position:"Behåll platserna. Kunderna kommer med bil." source:https://www.karlskrona.se/kf'
)


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    good, bad = tmp_path / "politiker.csv", tmp_path / "politiker-fel.csv"
    good.write_bytes(GOOD_CSV.encode("cp1252"))  # as Excel on a Swedish Windows saves it
    bad.write_bytes(BAD_CSV.encode("utf-8-sig"))
    return {"good": good, "bad": bad}


async def console(settings: Settings, lines: list[str], start: datetime = MORNING) -> str:
    out = io.StringIO()
    await run_console(settings, stdin=io.StringIO("\n".join(lines) + "\n"), out=out, start=start)
    return out.getvalue()


def messages(output: str, head: str) -> list[str]:
    """Every message printed under a destination head, with its indented lines."""
    found, current = [], None
    for line in output.splitlines():
        if line.startswith(head):
            current = [line]
            found.append(current)
        elif current is not None and line.startswith("  "):
            current.append(line)
        else:
            current = None
    return ["\n".join(m) for m in found]


async def test_the_issue_is_created_alerted_and_asked_about_in_good_time(settings: Settings,
                                                                         files: dict[str, Path]):
    output = await console(settings, [
        *onboard_lines("Anna", "Karlskrona", "Annas Blommor"),
        *onboard_lines("Bo", "Karlskrona", "Bos Cykel"),
        *onboard_lines("Cia", "Karlskrona", "Cias Kafé"),
        *onboard_lines("Olle", "Ronneby", "Olles Bygg"),
        ":as Karin coordinator",
        f"/politician import file:{files['bad']}",
        f"/politician import file:{files['good']}",
        CREATE,
        '/stance set issue:Parkering politician:"Åsa Ek" stance:för source:https://sydostran.se/artikel',
        '/stance set issue:Parkering politician:"Björn Öst" stance:"vet inte än"',
        "/media add name:Sydöstran municipality:Karlskrona x_handle:@sydostran",
        "# The first round is 21 days before the decision: 7 January 2027 at 18:00.",
        ":advance 37d7h",
        ":advance 1h",
    ])

    # The import with a bad row is refused with its line number, and nothing of it is stored.
    assert "Ingenting importerades: 1 av 6 rader behöver rättas." in output
    assert '• Rad 7: Beslutande organ: "riksdagen" finns inte bland valen.' in output
    assert "[endast Karin] **Importerat: 5 nya, 0 uppdaterade, 0 oförändrade**" in output
    assert "  • Rad 2: Åsa Ek (S) tillagd" in output
    # The alert: in the announcement channel, and by DM to the followers in Karlskrona only.
    assert "[#annonser] **📢 Ny fråga: Parkering i centrum**" in output
    assert "  Beslut: torsdag 28 januari 2027 kl. 18:00" in output
    for name in ("Anna", "Bo", "Cia"):
        assert len([m for m in messages(output, f"[DM {name}]") if "📢 Ny fråga" in m]) == 1
    assert not [m for m in messages(output, "[DM Olle]") if "📢" in m]
    assert "[endast Karin] Sparat: Björn Öst (M) i frågan Parkering i centrum – vet inte än." in output

    before, after = output.split("⏩ Klockan är nu 2027-01-07 18:00.")
    assert "⏩ Klockan är nu 2027-01-07 17:00." in before and "Din fråga" not in before
    drafts = {name: [m for m in messages(after, f"[DM {name}]") if "**Din fråga: Parkering i centrum**" in m]
              for name in ("Anna", "Bo", "Cia", "Olle")}
    assert [len(drafts[name]) for name in ("Anna", "Bo", "Cia", "Olle")] == [1, 1, 1, 0]
    targets = [re.search(r"  Fråga: (.+?) \(", draft[0]).group(1) for name, draft in drafts.items() if draft]
    assert len(set(targets)) == 3 and set(targets) <= UNDECIDED  # spread over the undecided, one each
    for name, (draft,) in ((n, d) for n, d in drafts.items() if d):
        assert (
            "#ParkeraKarlskrona @sydostran" in draft
            and "🔗 Dela på X: https://x.com/intent/post?text=" in draft
        )
        assert (
            "[1] Jag har frågat   [2] Svar: för   [3] Svar: emot   [4] Svar: vet inte   [5] Inget svar"
            in draft
        )
    assert "Traceback" not in output


async def test_the_map_is_a_png_and_a_table_that_agree(settings: Settings, files: dict[str, Path]):
    output = await console(settings, [
        ":as Karin coordinator",
        f"/politician import file:{files['good']}",
        CREATE,
        '/stance set issue:Parkering politician:"Åsa Ek" stance:för',
        '/stance set issue:Parkering politician:"Cecilia Ärlig" stance:emot',
        '/council seats municipality:Karlskrona body:KF seats:"S:20, M:15, SD:12, C:4, KD:2"',
        "/issue map issue:Parkering",
    ])

    [shown] = [m for m in messages(output, "[endast Karin]") if "Vem beslutar" in m]
    path = Path(re.search(r"📎 (\S+\.png)", shown).group(1))
    image = Image.open(path)
    assert image.format == "PNG" and image.width >= 600
    drawn = json.loads(image.text["Description"])
    table = shown.splitlines()
    labels = {"for": "för", "against": "emot", "undecided": "vet inte än", "unknown": "okänt"}
    for party, name, stance, reported, priority in drawn["rows"]:
        [line] = [line for line in table if f" {name}" in line and line.strip()[:1] in "🟢🔴🟡⚪"]
        assert line.strip().split(": ")[1].startswith(labels[stance]), line
        assert ("★" in line) == priority
    for party in {row[0] for row in drawn["rows"]}:
        assert any(line.strip().startswith(f"**{party}** ·") for line in table)
    assert (f"Prognos: {drawn['projected']['for']} för, {drawn['projected']['against']} emot, "
            f"{drawn['projected']['undecided']} osäkra av {drawn['seats_total']} mandat. "
            f"Majoritet: {drawn['majority']}. Det saknas {drawn['missing']} röster för majoritet.") in shown
    assert (drawn["seats_total"], drawn["majority"], drawn["missing"]) == (53, 27, 7)


async def test_a_member_asks_reports_the_answer_and_the_coordinator_confirms(settings: Settings,
                                                                            files: dict[str, Path]):
    output = await console(settings, [
        *onboard_lines("Anna", "Karlskrona", "Annas Blommor"),
        ":as Karin coordinator",
        f"/politician import file:{files['good']}",
        CREATE,
        ":advance 37d8h",
        ":as Anna",
        ":press Jag har frågat",
        ":submit asks.asked link:https://x.com/anna/status/1",
        ":press Svar: för",
        ":as Karin coordinator",
        "/issue asks issue:Parkering",
        "/issue map issue:Parkering",
        ":press Bekräfta",
        "/issue map issue:Parkering",
    ])

    assert (
        "[endast Anna] Tack för att du frågade David Lund (C)! Vad svarade hen? Ett klick räcker." in output
    )
    assert (
        "[#koordinatorer] 📣 Anna rapporterar om David Lund (C) i frågan Parkering i centrum: för." in output
    )
    assert (
        "  • Anna → David Lund (C) (21 dagar före): frågade 7 januari 2027 18:00 (X) "
        "https://x.com/anna/status/1, svar: för"
    ) in output
    first_map, second_map = [m for m in messages(output, "[endast Karin]") if "Vem beslutar" in m]
    assert "🟢 David Lund: för (rapporterat, ej bekräftat)" in first_map
    assert "[endast Karin] Bekräftat: David Lund (C) i frågan Parkering i centrum – för." in output
    assert "🟢 David Lund: för\n" in second_map + "\n" and "rapporterat" not in second_map


async def test_bad_input_gets_a_clear_message_and_changes_nothing(settings: Settings, tmp_path: Path):
    broken = tmp_path / "trasig.csv"
    broken.write_bytes(b'Namn;Parti;Kommun\n"Asa "Ek;S;Karlskrona\n')
    output = await console(settings, [
        ":as Karin coordinator",
        CREATE.replace('"28 jan 18:00"', '"1 dec 2026 09:00"'),
        CREATE.replace("#ParkeraKarlskrona", '"#Parkera Karlskrona"'),
        f"/politician import file:{broken}",
        f"/politician import file:{tmp_path / 'finns-inte.csv'}",
        '/stance set issue:Bredband politician:"Åsa Ek" stance:för',
        "/issue list",
        "/politician list municipality:Ronneby",
        CREATE,
        '/stance set issue:Parkering politician:"Nils Holgersson" stance:för',
    ])

    assert (
        'Beslut: "1 dec 2026 09:00" läser jag som tisdag 1 december 2026 kl. 09:00, och den tiden har redan '
        "varit. Ange en tid som ligger framåt." in output
    )
    assert 'Hashtagg: "#Parkera Karlskrona" är ingen hashtagg. Skriv ett ord utan mellanslag' in output
    assert "Filen är trasig på rad 2" in output and "Ingenting importerades." in output
    assert f"Filen {tmp_path / 'finns-inte.csv'} finns inte." in output
    assert 'Jag hittar ingen fråga som heter "Bredband".' in output
    assert 'Jag hittar ingen politiker som heter "Nils Holgersson".' in output
    assert "Inga frågor här. En koordinator skapar en med /fråga skapa." in output
    assert "Inga politiker matchar." in output


async def test_members_follow_what_they_choose_and_read_in_english(settings: Settings):
    output = await console(settings, [
        *onboard_lines("Olle", "Ronneby", "Olles Bygg"),
        "/följ ämne:parkering",
        "/language language:english",
        "/follow",
        ":as Karin coordinator",
        CREATE + " topics:parkering",
        ":as Olle",
        "/hashtag",
        "/issue calendar",
    ])

    assert "[endast Olle] Nu följer du: Parkering." in output
    assert "  Topics: Parking" in output and "  Municipalities: Ronneby" in output
    [alert] = [m for m in messages(output, "[DM Olle]") if "📢" in m]
    assert (
        "**📢 New issue: Parkering i centrum**" in alert
        and "Decision: Thursday 28 January 2027, 18:00" in alert
    )
    assert "[1] Follow the issue   [2] I will help" in alert
    assert "#ParkeraKarlskrona: Parkering i centrum (28 January 2027 18:00)" in output
    ics = (settings.output_dir / "jobbskaparna-beslut.ics").read_bytes()
    assert b"DTSTART:20270128T170000Z" in ics and b"\r\n" in ics


async def test_swedish_command_names_work_too(settings: Settings, files: dict[str, Path]):
    output = await console(settings, [
        ":as Karin coordinator",
        f"/politiker importera fil:{files['good']}",
        CREATE.replace("/issue create", "/fråga skapa").replace("title:", "titel:"),
        '/ställning sätt fråga:Parkering politiker:"Åsa Ek" ställning:för',
        '/organ mandat kommun:Karlskrona organ:KF mandat:"S:20 M:15"',
        "/fråga lista",
    ])

    assert "**Importerat: 5 nya" in output
    assert "**Frågan är skapad: Parkering i centrum**" in output
    assert "Sparat: Åsa Ek (S) i frågan Parkering i centrum – för." in output
    assert "Totalt: 35 mandat, majoritet 18" in output
    assert "#1 **Parkering i centrum**: kommunfullmäktige, Karlskrona" in output
