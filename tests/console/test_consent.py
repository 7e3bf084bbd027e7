"""Consent declined, as a person sees it in the console: the welcome says what is kept before consent and for
how long, a declined consent is answered and then nothing comes unasked (while someone who has not answered
yet gets the nudge), the bot still answers, and the start button lets them change their mind."""

from __future__ import annotations

import io
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.config import Settings
from bot.console import run_console
from tests.support.onboarding import onboard_command

# Tuesday 1 December 2026, 10:00 in Stockholm.
MORNING = datetime(2026, 12, 1, 10, 0, tzinfo=ZoneInfo("Europe/Stockholm"))
EVE_DECLINES = onboard_command("Eves Café", consent="nej")
EVE_CONSENTS = onboard_command("Eves Café")


async def test_consent_declined_as_a_member_sees_it(settings: Settings):
    out = io.StringIO()
    script = [":as Fia", ":as Eve", EVE_DECLINES, ":advance 3d", "/issue list", ":press Kom igång",
              EVE_CONSENTS]
    await run_console(settings, stdin=io.StringIO("\n".join(script) + "\n"), out=out, start=MORNING)
    output = out.getvalue()

    joined, declined = output.split(f"> {EVE_DECLINES}")
    assert "[DM Eve] **Välkommen till Jobbskaparna!**\n  Hej @Eve!" in joined
    assert ("Innan du har gett ditt samtycke sparar jag bara det som behövs för att välkomna dig och svara "
            "dig: ditt användar-id och om mina DM når dig, när du gick med och senast använde mig, språket "
            "om du väljer ett, om du tackar nej, och meddelandena jag skickar dig (den här hälsningen och en "
            "påminnelse om två dagar). Inte ditt namn. Utan samtycke raderas allt det 30 dagar efter att "
            "du senast använde mig.") in joined
    answer, advanced = declined.split("> :advance 3d")
    assert answer.startswith("\n[endast Eve] Okej, du har inte gett ditt samtycke. Jag sparade ingenting")
    assert "raderas 30 dagar efter att du senast använde mig" in answer and "[1] Kom igång" in answer
    waited, changed_mind = advanced.split("> /issue list")
    assert "[DM Fia] Hej @Fia! Du har inte hunnit berätta om ditt företag än." in waited
    assert "[DM Eve]" not in waited and "Eve" not in waited
    assert "[endast Eve] Inga frågor här." in changed_mind
    assert "[endast Eve] 📝 Välkommen till Jobbskaparna. Fyll i med:" in changed_mind
    assert "[endast Eve] **Välkommen ombord, Eve!**" in changed_mind
    assert "[#koordinatorer] Ny medlem: **Eve** från Eves Café" in changed_mind
    assert "Traceback" not in output
