"""Console scenarios: scripts as a person would type them, and what the bot prints back."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert, select

from bot import db
from bot.config import Settings
from bot.console import run_console
from bot.models import Member, Workspace
from tests.support.onboarding import onboard_command

ROOT = Path(__file__).resolve().parents[2]
# Tuesday morning in Stockholm, so that nothing waits for the end of quiet hours unless a test wants it.
MORNING = datetime(2026, 12, 1, 10, 0, tzinfo=ZoneInfo("Europe/Stockholm"))
ONBOARD_ANNA = onboard_command(x_handle="@annasblommor")


async def console(settings: Settings, script: str, start: datetime = MORNING) -> str:
    out = io.StringIO()
    await run_console(settings, stdin=io.StringIO(script), out=out, start=start)
    return out.getvalue()


def readme_example() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.search(r"```console\n(.*?)```", readme, re.DOTALL).group(1)


async def test_the_readme_example_onboards_a_member_and_shows_the_profile_in_swedish(settings: Settings):
    output = await console(settings, readme_example())

    assert "[DM Anna] **Välkommen till Jobbskaparna!**" in output
    # The form's command named as a Swedish reader types it.
    assert "📝 Välkommen till Jobbskaparna. Fyll i med:\n  /kom-igång\n" in output
    assert "🎖 Anna fick rollen Medlem." in output
    assert "[#koordinatorer] Ny medlem: **Anna** från Annas Blommor (Handel, Karlskrona)" in output
    assert "[endast Anna] **Profil: Anna**" in output
    assert "  Kommun: Karlskrona" in output and "  X/Twitter: @annasblommor" in output
    assert "[endast Bo] **Medlemmar (1)**" in output
    assert "Traceback" not in output


async def test_the_answer_is_printed_before_the_role_and_the_coordinators_notice(settings: Settings):
    output = await console(settings, f":as Anna\n{ONBOARD_ANNA}")

    answer = output.index("[endast Anna] **Välkommen ombord, Anna!**")
    assert answer < output.index("🎖 Anna fick rollen Medlem.")
    assert answer < output.index("[#koordinatorer] Ny medlem: **Anna**")


async def test_bad_console_syntax_gets_a_clear_line_and_the_session_goes_on(settings: Settings):
    output = await console(settings, (
        "/profile\n"                      # nobody chosen yet
        ":as Anna\n"
        '/onboard company:"unclosed\n'    # broken quoting
        "/onboard company\n"              # not name:value
        "/nosuchcommand\n"
        "/profile show colour:blue\n"
        ":advance soon\n"
        ":press 7\n"
        ":frobnicate\n"
        "/language language:klingon\n"
        ":press Kom igång"                # the session still works
    ))

    assert "Vem är du? Skriv :as DITT_NAMN först" in output
    assert "Kunde inte läsa raden: ett citattecken stängs inte" in output and "No closing" not in output
    assert '"company" är inget alternativ. Skriv namn:värde' in output
    assert "Okänt kommando: /nosuchcommand." in output
    assert '/profile show har inget alternativ som heter "colour".' in output
    assert '"soon" är ingen tid.' in output
    assert 'Det finns ingen knapp "7". Knapparna är: [1] Kom igång.' in output
    assert "Okänt konsolkommando: :frobnicate." in output
    assert '"klingon" är inget språk jag kan.' in output
    assert output.count("📝 Välkommen till Jobbskaparna") == 1


async def test_swedish_command_and_option_names_work_too(settings: Settings):
    output = await console(settings, (
        f":as Anna\n{ONBOARD_ANNA}\n"
        ":as Bo coordinator\n"
        "/medlemmar kommun:karlskrona\n"
        '/medlemmar bransch:"Bygg och fastighet"'
    ))

    assert "[endast Bo] **Medlemmar (1)**" in output
    assert "Inga medlemmar matchar." in output


async def test_a_member_who_waits_gets_exactly_one_nudge_and_closed_dms_get_a_mention(settings: Settings):
    output = await console(settings, ":as Anna\n:as Cia\n:dms closed\n:as Anna\n:advance 2d\n:advance 2d")

    assert output.count("[DM Anna] Hej @Anna! Du har inte hunnit berätta om ditt företag än.") == 1
    assert output.count("[#välkommen] @Cia Hej @Cia! Du har inte hunnit") == 1


async def test_a_nudge_that_falls_due_at_night_waits_until_eight(settings: Settings):
    evening = MORNING.replace(hour=22)
    output = await console(settings, ":as Anna\n:advance 2d\n:advance 9h\n:advance 1h", start=evening)

    before_eight, after = output.split("⏩ Klockan är nu 2026-12-04 08:00.")
    nudge = "Hej @Anna! Du har inte hunnit"
    assert nudge not in before_eight and after.count(nudge) == 1


async def test_mydata_exports_everything_and_deletes_everything(settings: Settings):
    output = await console(settings, (
        f":as Anna\n{ONBOARD_ANNA}\n"
        "/mydata export\n"
        "/mydata delete\n"
        ":press Ja, radera allt\n"
        ":press 1\n"
        "/profile"
    ))

    export = settings.output_dir / "jobbskaparna-Anna.json"
    assert f"📎 {export}" in output
    data = json.loads(export.read_text(encoding="utf-8"))
    assert data["profile"]["company"] == "Annas Blommor" and data["profile"]["municipality"] == "karlskrona"
    # The confirmation's buttons went away with the answer: ":press 1" reaches an older message instead.
    assert output.count("Klart. Jag har raderat allt jag hade sparat om dig") == 1
    assert "Det här finns kvar:" in output
    assert output.rstrip().endswith("Du har ingen profil än. Skriv /kom-igång för att komma igång.\nHej då!")


async def test_a_member_is_refused_coordinator_commands(settings: Settings):
    output = await console(settings, ":as Anna\n/members\n/setup language:en")

    assert output.count("Det här kommandot är till för koordinatorer.") == 2


async def test_a_member_may_switch_to_english(settings: Settings):
    output = await console(
        settings, f":as Anna\n{ONBOARD_ANNA}\n/language language:english\n/profile"
    )

    assert "Done! I will write to you in English from now on." in output
    assert "[only Anna] **Profile: Anna**" in output and "  Municipality: Karlskrona" in output


async def test_profile_edit_changes_only_what_is_given_and_refuses_bad_input(settings: Settings):
    output = await console(settings, (
        f":as Anna\n{ONBOARD_ANNA}\n"
        "/profile edit x_handle:not@valid\n"
        "/profile edit municipality:Ronneby\n"
        "/profile show"
    ))

    assert '"not@valid" är inte ett X-namn.' in output
    assert output.count("  Kommun: Ronneby") == 2 and "  X/Twitter: @annasblommor" in output


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_quick_start_command_runs_the_readme_example_from_standard_input(
    tmp_path: Path, database_url: str
):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "DATABASE_URL"))}
    env |= {"DATA_DIR": str(tmp_path / "data"), "OUTPUT_DIR": str(tmp_path / "out")}

    result = subprocess.run([sys.executable, "-m", "bot"], input=readme_example(), env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=120, check=False)

    assert result.returncode == 0, result.stderr
    assert "[endast Anna] **Profil: Anna**" in result.stdout
    assert "Hej då!" in result.stdout


async def test_help_lists_every_command_in_the_readers_language(settings: Settings):
    output = await console(settings, ":help\n:as Anna\n/help\n/hjälp")

    assert "  :as NAMN [coordinator]" in output
    assert "**Kommandon**" in output and output.count("/mina-data exportera") >= 3
    assert "/mydata export" not in output  # typed in English it works, but Swedish is what is shown
    assert "Ladda ner allt jag har sparat om dig som en JSON-fil" in output


async def test_the_members_list_pages_with_its_buttons(settings: Settings):
    await console(settings, f":as Anna\n{ONBOARD_ANNA}")
    engine = db.create_engine(settings.effective_database_url)
    try:
        async with engine.begin() as connection:
            workspace = (await connection.execute(select(Workspace.id))).scalar_one()
            await connection.execute(insert(Member), [
                {"workspace_id": workspace, "external_id": f"m{n}", "display_name": f"Medlem {n:02d}",
                 "joined_at": MORNING, "onboarded_at": MORNING, "company": "Firma", "industry": "retail",
                 "municipality": "ronneby", "experience": "none", "dm_reminders": False, "dm_open": True}
                for n in range(40)])
    finally:
        await engine.dispose()

    output = await console(settings, ":as Bo coordinator\n/members\n:press Nästa\n:press Föregående")

    first, following, back = output.split("> /members\n")[1].split("> :press ")
    assert "**Medlemmar (41)**" in first and "Medlem 28" in first and "Medlem 29" not in first
    assert "Sida 1 av 2.\n  [1] Nästa\n" in first
    assert "Medlem 29" in following and "Medlem 28" not in following
    assert "Sida 2 av 2.\n  [1] Föregående\n" in following
    assert "Medlem 28" in back and "Sida 1 av 2." in back
