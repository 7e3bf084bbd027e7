"""What a coordinator reads in the console when a member's text holds right-to-left controls or nothing
visible: the rest of the line reads as written, and an invisible company name is asked for again."""

from __future__ import annotations

from bot.config import Settings
from tests.console.test_console import console
from tests.support.onboarding import onboard_command
from tests.test_bidi import still_open


async def test_an_unclosed_right_to_left_override_in_a_company_name_stays_inside_the_name(settings: Settings):
    onboarding = onboard_command("Bygg\u202e AB")
    output = await console(settings, f":as Anna\n{onboarding}\n")

    notice = next(line for line in output.splitlines() if line.startswith("[#koordinatorer] Ny medlem:"))
    rest = notice.index(" (Handel, Karlskrona). Erfarenhet av sociala medier:")
    assert notice[:rest] == "[#koordinatorer] Ny medlem: **Anna** från \u2068Bygg\u202e AB\u202c\u2069"
    assert still_open(notice[:rest]) == []


async def test_a_company_name_of_a_lone_zero_width_space_is_asked_for_again(settings: Settings):
    onboarding = onboard_command("x").replace("company:x", "company:\u200b")
    output = await console(settings, f":as Anna\n{onboarding}\n/profile\n")

    assert "Företag: måste fyllas i." in output
    assert "Du har ingen profil än." in output and "Ny medlem" not in output
