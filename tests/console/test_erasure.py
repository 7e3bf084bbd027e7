"""Console scenario of an erasure, as a member sees it: asked about her story posts, told what stays."""

from __future__ import annotations

import io
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.config import Settings
from bot.console import run_console
from tests.support.onboarding import onboard_command

MORNING = datetime(2026, 12, 1, 10, 0, tzinfo=ZoneInfo("Europe/Stockholm"))
SCRIPT = "\n".join([
    ":as Karin coordinator",
    "/setup stories:333 coordinators:222 member_role:444",
    ":as Ingrid",
    onboard_command("Vallmos Keramik"),
    '/story share title:"Muggar via X" kind:tweet value:"Tre kaféer beställde muggar."',
    "/mydata delete",
    ":press {choice}",
    "/profile",
])


async def erase(settings: Settings, choice: str) -> str:
    out = io.StringIO()
    await run_console(settings, stdin=io.StringIO(SCRIPT.format(choice=choice)), out=out, start=MORNING)
    return out.getvalue()


async def test_an_erasure_that_deletes_her_story_posts_takes_the_role_and_says_what_stays(settings: Settings):
    output = await erase(settings, "Radera allt, också inläggen")

    asked, _, answered = output.partition("> :press")
    assert "Dina berättelser finns också som inlägg i berättelsekanalen (1 st)." in asked
    assert "Klart. Jag har raderat allt jag hade sparat om dig" in answered
    assert "Det här finns kvar:\n  • En anteckning i loggen att någon raderade sina uppgifter" in answered
    assert "valde att behålla" not in answered
    assert "🎖 Ingrid miste rollen 444." in answered and "🗑 Ett inlägg i #333 är raderat." in answered
    assert "Du har ingen profil än." in answered


async def test_an_erasure_that_keeps_her_story_posts_says_they_stay(settings: Settings):
    output = await erase(settings, "Radera allt, men behåll inläggen")

    answered = output.partition("> :press")[2]
    assert "Inläggen med dina berättelser i berättelsekanalen, som du valde att behålla." in answered
    assert "🗑" not in answered and "🎖 Ingrid miste rollen 444." in answered
