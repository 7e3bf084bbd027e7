"""Console scenario of relationships: a member saves whom she knows and has met, shares it with the
coordinators by a button, a coordinator sees it per politician and on the map (a member's map names nobody),
and the follow-up comes the morning after the meeting, with a thank-you and a button to save the meeting."""

from __future__ import annotations

import io
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.config import Settings
from bot.console import run_console
from tests.support.onboarding import onboard_command

MORNING = datetime(2026, 12, 1, 10, 0, tzinfo=ZoneInfo("Europe/Stockholm"))

SCENARIO = [
    ":as Karin coordinator",
    '/politician add name:"Anna Ek" party:S municipality:karlskrona body:kommunfullmäktige x_handle:annaek',
    '/politician add name:"Per Holm" party:M municipality:karlskrona body:kommunfullmäktige',
    ('/issue create title:"Parkering vid torget" summary:"Kommunen vill ta bort platserna." '
     "municipality:karlskrona body:kommunfullmäktige decision:\"17 dec 18:00\" hashtag:#Parkera "
     'position:"Behåll platserna."'),
    ":as Bo",
    onboard_command("Bos Bygg"),
    '/relation lägg-till politiker:"Anna Ek" typ:känner hur:grannar',
    ":press Ja, dela med koordinatorerna",
    '/relation add politician:"Per Holm" met_on:imorgon',
    '/relation add politician:"Per Holm" met_on:igår',
    "/relation list",
    ":as Karin coordinator",
    '/relation kontakter politiker:"Anna Ek"',
    "/issue map issue:Parkering",
    ":as Cia",
    onboard_command("Cias Café"),
    "/issue map issue:Parkering",
    ":as Bo",
    ":advance 1d",
]


async def console(settings: Settings, lines: list[str]) -> str:
    out = io.StringIO()
    await run_console(settings, stdin=io.StringIO("\n".join(lines)), out=out, start=MORNING)
    return out.getvalue()


def after(output: str, line: str) -> str:
    """What the console printed for one typed line (up to the next one)."""
    return output.split(f"> {line}\n", 1)[1].split("\n> ", 1)[0]


async def test_a_member_shares_whom_she_knows_and_is_followed_up_after_a_meeting(settings: Settings):
    output = await console(settings, SCENARIO)

    saved = after(output, '/relation lägg-till politiker:"Anna Ek" typ:känner hur:grannar')
    assert saved.startswith("[endast Bo] Sparat: din relation med Anna Ek (S).\n"
                            "  Relation: Känner – grannar\n")
    assert "[1] Ja, dela med koordinatorerna   [2] Nej, bara för mig" in saved
    assert after(output, ":press Ja, dela med koordinatorerna") == (
        "[endast Bo] Koordinatorerna ser nu vilka politiker du känner (ingen annan i gruppen). "
        "Det gäller den relation du har sparat och dem du sparar framöver.")
    assert after(output, '/relation add politician:"Per Holm" met_on:imorgon') == (
        'Träffades: "imorgon" ligger i framtiden; ange dagen då ni träffades.')
    met = after(output, '/relation add politician:"Per Holm" met_on:igår')
    assert "Jag påminner dig 2 december 2026 09:00 om att tacka och dela vad du lärde dig." in met
    listed = after(output, "/relation list")
    assert "• Per Holm (M): Har träffat – träffades måndag 30 november 2026" in listed

    contacts = after(output, '/relation kontakter politiker:"Anna Ek"')
    assert contacts.startswith("[endast Karin] **Medlemmar som känner Anna Ek (S)**")
    assert "• Bo (Bos Bygg): Känner – grannar" in contacts
    coordinators_map, members_map = output.split("> /issue map issue:Parkering\n")[1:3]
    assert "⚪ Anna Ek: okänt ★ prioritet 🤝 1" in coordinators_map
    # In the map's order: the Moderates' Per Holm first (Bo met him, and shares whom he knows).
    assert "Medlemmar som känner politikerna: • Per Holm (M): Bo\n    • Anna Ek (S): Bo\n" in coordinators_map
    assert "🤝" not in members_map.split("\n> ")[0] and "Bo" not in members_map.split("\n> ")[0]

    followup = after(output, ":advance 1d")
    assert "⏩ Klockan är nu 2026-12-02 09:00." in followup
    assert "[DM Bo] **Efter mötet med Per Holm (M)**" in followup
    assert "Förslag på tack: Tack Per Holm för att du tog dig tid att träffa mig" in followup
    assert "[1] 📣 Dela en berättelse" in followup
    assert "🔗 Dela på X: https://x.com/intent/post?text=" in followup
    assert "Traceback" not in output and "Något gick fel" not in output
