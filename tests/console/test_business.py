"""Console scenario: a member tells what the business offers, its facts and platforms; the drafts use them."""

from __future__ import annotations

import io
import re
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.config import Settings
from bot.console import run_console
from bot.services.drafts import fits_x
from tests.support.onboarding import onboard_command

MORNING = datetime(2026, 12, 1, 10, 0, tzinfo=ZoneInfo("Europe/Stockholm"))


async def console(settings: Settings, lines: list[str]) -> str:
    out = io.StringIO()
    await run_console(settings, stdin=io.StringIO("\n".join(lines)), out=out, start=MORNING)
    return out.getvalue()


async def test_the_business_told_at_onboarding_is_in_the_profile_and_in_the_drafts(settings: Settings):
    onboard = onboard_command(offer="Snittblommor och binderier", facts="6 anställda, sedan 1998",
                              platforms="X, LinkedIn")

    output = await console(settings, [":as Anna", onboard, "/profile", "/profile edit platforms:Myspace",
                                      "/coach tweet", "/coach next"])

    assert "  Vad ni erbjuder: Snittblommor och binderier" in output
    assert "  Plattformar du använder: X, LinkedIn" in output
    assert ('Plattformar du använder: "Myspace" är ingen plattform jag känner till. Skriv en eller flera av: '
            "X, LinkedIn, Facebook, Instagram, Blogg.") in output
    drafts = re.findall(r"^  Utkast \d \(\d+/280\): (.*)$", output, re.MULTILINE)
    assert len(drafts) == 3 and all(fits_x(draft) for draft in drafts)
    assert any("snittblommor och binderier" in draft and "6 anställda, sedan 1998" in draft
               for draft in drafts)
    assert "  LinkedIn-utkast (" in output
    assert "Dela på Facebook" not in output  # she is on X and LinkedIn
    first_step = re.search(r"^  Ditt utkast \(\d+/280\): (.*)$", output, re.MULTILINE).group(1)
    assert first_step.startswith("Hej Karlskrona! Vi på Annas Blommor erbjuder snittblommor och binderier i "
                                 "Karlskrona – 6 anställda, sedan 1998.")
