"""Console scenario of the peer pairing, as members and a coordinator type it: two members opt in, the
coordinator turns the rounds on, the first Monday's round introduces them to each other, and two weeks later
the learner answers the check-in and the coordinator sees that they met."""

from __future__ import annotations

import io
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.config import Settings
from bot.console import run_console
from tests.support.onboarding import onboard_command

# Tuesday morning in Stockholm: the first round (the first Monday of the month, 10:00) is six days ahead.
MORNING = datetime(2026, 12, 1, 10, 0, tzinfo=ZoneInfo("Europe/Stockholm"))


async def console(settings: Settings, lines: list[str]) -> str:
    out = io.StringIO()
    await run_console(settings, stdin=io.StringIO("\n".join(lines) + "\n"), out=out, start=MORNING)
    return out.getvalue()


async def test_a_round_pairs_two_members_and_the_check_in_tells_the_coordinator_they_met(settings: Settings):
    output = await console(settings, [
        ":as Anna",
        onboard_command("Annas Blommor", experience="none"),
        "/fadder gå-med",
        ":as Bo",
        onboard_command("Bos Bygg", experience="active", x_handle="@bosbygg", dm_reminders="nej"),
        "/peer join",
        ":as Karin coordinator",
        "/fadder inställningar på:ja timme:25",
        "/fadder inställningar på:ja",
        ":advance 6d 1h",
        "/fadder par",
        ":advance 14d",
        ":as Anna",
        ":press Ja",
        ":as Karin coordinator",
        "/fadder par",
    ])

    before_round, _, after_round = output.partition("⏩ Klockan är nu 2026-12-07 10:00.")
    assert "[endast Anna] Välkommen in! Din roll: lära mig." in before_round
    assert "[endast Bo] Välkommen in! Din roll: lära ut." in before_round
    assert "Timme: 25 är ingen timme; skriv en timme från 0 till 23." in before_round
    assert "  Nästa omgång: måndag 7 december 2026 kl. 10:00" in before_round
    intro, _, check_in = after_round.partition("⏩ Klockan är nu 2026-12-21 10:00.")
    # Each gets one DM about the other, Bo's too though he wants no reminders by DM: he asked for a peer.
    assert intro.count("**🤝 Din fadderkontakt den här omgången**") == 2
    assert "[DM Anna] **🤝 Din fadderkontakt den här omgången**\n  Du har parats ihop med Bo" in intro
    assert "    X: @bosbygg\n" in intro
    assert "[DM Bo] **🤝 Din fadderkontakt den här omgången**\n  Du har parats ihop med Anna" in intro
    assert "[#koordinatorer] 🤝 Fadderomgången: 1 par ihopparade" in intro
    assert ("Omgången 7 december 2026: 1 par, 0 har setts: Anna lär sig av Bo: frågas måndag "
            "21 december 2026") in intro
    assert check_in.count("**🤝 Har ni hunnit ses?**") == 2
    assert "[endast Anna] Vad roligt!" in check_in
    assert "Omgången 7 december 2026: 1 par, 1 har setts: Anna lär sig av Bo: har setts ✅" in check_in
