"""Console scenario of contacts: a question by phone with the politician's answer, a fika about the business,
the bad input refused, the pledge kept and the coordinators' overview showing how each question was asked."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.config import Settings
from bot.console import run_console
from tests.support.onboarding import onboard_lines

# Tuesday 1 December 2026, 10:00 in Stockholm; the decision is on 16 December at 18:00.
MORNING = datetime(2026, 12, 1, 10, 0, tzinfo=ZoneInfo("Europe/Stockholm"))
POLITICIANS = ("Namn;Parti;Kommun;Organ;X\nÅsa Ek;S;Karlskrona;KF;asaek\n"
               "David Lund;C;Karlskrona;KF;davidlund\n")
CREATE = (
    '/issue create title:"Parkering i centrum" summary:"Kommunen vill ta bort 200 platser vid Stortorget." '
    'municipality:Karlskrona body:kommunfullmäktige decision:"16 dec 18:00" hashtag:#ParkeraKarlskrona '
    'position:"Behåll platserna." ask_days:0'
)


async def console(settings: Settings, lines: list[str]) -> str:
    out = io.StringIO()
    await run_console(settings, stdin=io.StringIO("\n".join(lines) + "\n"), out=out, start=MORNING)
    return out.getvalue()


async def test_a_member_reports_a_phone_call_and_a_fika_and_keeps_her_pledge(settings: Settings,
                                                                             tmp_path: Path):
    politicians = tmp_path / "politiker.csv"
    politicians.write_text(POLITICIANS, encoding="utf-8")
    output = await console(settings, [
        *onboard_lines("Anna", "Karlskrona", "Annas Blommor"),
        ":as Karin coordinator",
        f"/politician import file:{politicians}",
        CREATE,
        ":as Anna",
        '/lova fråga:Parkering löfte:"kontakta en politiker"',
        ":advance 1h",
        '/kontakt politiker:"Åsa Ek" hur:x fråga:Parkering',
        '/kontakt politiker:"Åsa Ek" hur:telefon svar:för',
        '/kontakt politiker:"Greta Garbo" hur:telefon',
        ('/kontakt politiker:"David Lund" hur:telefon fråga:Parkering anteckning:"Ringde om torget" svar:för '
         'sa:"Han vill behålla platserna"'),
        '/kontakt politiker:"Åsa Ek" hur:fika anteckning:"Pratade om leverantörer"',
        ":as Karin coordinator",
        "/fråga frågelista fråga:Parkering",
    ])

    assert "Länk: En fråga på X behöver en länk till inlägget." in output
    assert "Svar: Ett svar gäller en fråga: ange vilken fråga politikern svarade på" in output
    assert 'Jag hittar ingen politiker som heter "Greta Garbo".' in output
    assert "Tack! David Lund (C) visas på kartan (för)" in output
    assert "Det räknas också som ditt löfte att kontakta en politiker inför Parkering i centrum ✅" in output
    assert ("[#koordinatorer] 📣 Anna rapporterar om David Lund (C) i frågan Parkering i centrum: för."
            in output)
    assert "Politikerns svar: Han vill behålla platserna" in output
    assert "Loggat: Träffade en politiker" in output and "Åsa Ek (S) · ☕ fika" in output
    assert ("• Anna → David Lund (C) (egen fråga): frågade 1 december 2026 11:00 (📞 telefon), svar: för"
            in output)
    # The refused lines wrote nothing: the call is the one question on the overview.
    assert "Åsa Ek (S) (egen fråga)" not in output
