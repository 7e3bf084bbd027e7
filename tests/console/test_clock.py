"""The console's clock and buttons, as a person would type them: `:advance` lives through the time as a
running bot does (what falls due on the way goes out, in order, none of it late), `:down` is the bot being
down (what came too late is skipped and the coordinators are told, in words), and `:press` presses the button
the acting user means."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.config import Settings
from bot.console import run_console
from tests.support.onboarding import onboard_lines

# Tuesday 1 December 2026, 10:00 in Stockholm.
MORNING = datetime(2026, 12, 1, 10, 0, tzinfo=ZoneInfo("Europe/Stockholm"))


# Cia joins and does not onboard: a nudge to get started falls due in two days (a week's grace).
# Bo tries to ask a politician: a reminder to try again falls due in three days (two days' grace).
# Ten days later both are late.
LATE_REMINDERS = [":as Cia", *onboard_lines("Bo", "Ronneby"), "/did kind:ask status:attempted"]
NUDGE = "[DM Cia] Hej @Cia! Du har inte hunnit berätta om ditt företag än."
RETRY = "[DM Bo] **🔁 Försök igen?**"


async def console(settings: Settings, lines: list[str]) -> str:
    out = io.StringIO()
    await run_console(settings, stdin=io.StringIO("\n".join(lines) + "\n"), out=out, start=MORNING)
    return out.getvalue()


async def test_a_long_advance_sends_what_falls_due_on_the_way_in_order_and_skips_nothing(settings: Settings):
    output = await console(settings, [*LATE_REMINDERS, ":advance 10d"])

    advanced = output.split("> :advance 10d")[1]
    assert advanced.count(NUDGE) == 1 and advanced.count(RETRY) == 1
    assert "hoppades över" not in output
    # Each at its own time, in the order they fell due, and the clock at the end where it was sent.
    nudge_at = advanced.index("⏩ Klockan är nu 2026-12-03 10:00.")
    retry_at = advanced.index("⏩ Klockan är nu 2026-12-04 10:00.")
    assert nudge_at < advanced.index(NUDGE) < retry_at < advanced.index(RETRY)
    assert advanced.index("⏩ Klockan är nu 2026-12-07 09:00.") < advanced.index(
        "[DM Bo] **Veckans steg 1 av 6"
    )
    assert advanced.rstrip().endswith("⏩ Klockan är nu 2026-12-11 10:00.\nHej då!")


async def test_an_advance_prints_the_time_once_and_only_when_something_happens(settings: Settings):
    # Anna's nudge falls due two days after she joined: within the last minute of the second advance.
    output = await console(settings, [":as Anna", ":advance 1h", ":advance 1d23h"])

    assert output.count("⏩ Klockan är nu 2026-12-01 11:00.") == 1
    _, last = output.split("> :advance 1d23h")
    assert last.count("⏩ Klockan är nu") == 1 and "⏩ Klockan är nu 2026-12-03 10:00." in last
    assert last.split("⏩ Klockan är nu 2026-12-03 10:00.")[1].count("[DM Anna] Hej @Anna!") == 1


async def test_when_the_bot_was_down_late_reminders_are_skipped_and_the_coordinators_told_in_words(
        settings: Settings):
    output = await console(settings, [*LATE_REMINDERS, ":down 10d", ":advance 1h"])

    assert "💤 Boten var nere. Klockan är nu 2026-12-11 10:00, och boten startar igen." in output
    assert NUDGE not in output and RETRY not in output
    notice = output.split("[#koordinatorer] **⏭️ 2 påminnelser hoppades över**")[1]
    assert (
        "  • Påminnelse till @Cia om att komma igång och berätta om sitt företag, planerad till 3 december"
        in notice
    )
    assert (
        "  • Påminnelse till Bo om att försöka igen (Frågade en politiker), "
        "planerad till 4 december 2026 10:00"
        in notice
    )
    assert "onboarding.nudge" not in output and "activity.retry" not in output
    # Once told, never again: the next hour brings nothing more.
    assert output.count("hoppades över") == 1


async def test_the_swedish_name_of_down_works_and_a_bad_time_is_refused(settings: Settings):
    output = await console(settings, [":as Anna", ":nere 3d", ":nere snart"])

    assert "💤 Boten var nere. Klockan är nu 2026-12-04 10:00" in output
    # The nudge came a day late, well inside its week of grace: a restart sends it.
    assert output.count("[DM Anna] Hej @Anna!") == 1
    assert '"snart" är ingen tid.' in output


# -- :press --------------------------------------------------------------------------------------------------

POLITICIANS = ("Namn;Parti;Roll;Kommun;Organ;X;E-post\n"
               "Åsa Ek;S;Kommunalråd;Karlskrona;KF+KS;asaek;asa.ek@karlskrona.se\n"
               "Björn Öst;M;;Karlskrona;kommunfullmäktige;bjornost;\n")


@pytest.fixture
def asks(tmp_path: Path) -> list[str]:
    """Anna and Bo follow an issue in Karlskrona; two days before the vote each gets a question to ask by DM.
    Bo answers at once, so the coordinators get a report with buttons of their own."""
    csv = tmp_path / "politiker.csv"
    csv.write_text(POLITICIANS, encoding="utf-8")
    return [
        *onboard_lines("Anna"),
        *onboard_lines("Bo"),
        ":as Karin coordinator",
        f"/politician import file:{csv}",
        (
            '/issue create title:"Parkering i centrum" summary:"Kommunen vill ta bort 200 platser." '
            'municipality:Karlskrona body:kommunfullmäktige decision:"10 dec 18:00" '
            'hashtag:#ParkeraKarlskrona position:"Behåll platserna." ask_days:2'
        ),
        ":advance 7d8h",
        ":as Bo",
        ":press Svar: för",
    ]


async def test_press_finds_the_members_own_dm_never_the_coordinators_message(
    settings: Settings, asks: list[str]
):
    output = await console(settings, [*asks, ":as Anna", ":press 1", ":press Bekräfta"])

    assert "[#koordinatorer] 📣 Bo rapporterar om Åsa Ek (S) i frågan Parkering i centrum: för." in output
    # The coordinators' report came last, but Anna's "1" is the first button of her own question, in her DM.
    after = output.split("> :as Anna")[-1]
    assert "[endast Anna] 📝 Din fråga. Fyll i med:" in after.split("> :press Bekräfta")[0]
    assert ('"Bekräfta" är en knapp för koordinatorerna i #koordinatorer. Byt till en koordinator med '
            ":as NAMN coordinator.") in after
    assert "Bekräftat:" not in output


async def test_press_can_name_the_place(settings: Settings, asks: list[str]):
    output = await console(settings, [*asks, ":as Anna", ':press "Jag har frågat" dm',
                                      ":press Jag har frågat #annonser", ":as Karin coordinator",
                                      ":press Bekräfta #koordinatorer"])

    anna = output.split("> :as Anna")[-1]
    assert (
        "[endast Anna] 📝 Din fråga. Fyll i med:"
        in anna.split("> :press Jag har frågat #annonser")[0]
    )
    assert ('Det finns ingen knapp "Jag har frågat" i #annonser som du kan trycka på. Knapparna du ser: '
            "🐦 Jag tweetar, 📞 Jag kontaktar en politiker, 🏛️ Jag går dit (#annonser)") in anna
    assert "[endast Karin] Bekräftat: Åsa Ek (S) i frågan Parkering i centrum – för." in output


async def test_press_says_what_there_is_when_nothing_matches(settings: Settings):
    output = await console(settings, [":as Anna", ":press Bekräfta", ":press Kom igång #annonser", ":press 2",
                                      ":press kom igång dm"])

    assert (
        'Det finns ingen knapp "Bekräfta" som du kan trycka på. Knapparna du ser: Kom igång (DM Anna).'
        in output
    )
    assert "Det finns inget meddelande med knappar i #annonser som du kan trycka på." in output
    assert 'Det finns ingen knapp "2". Knapparna är: [1] Kom igång.' in output
    assert output.count("📝 Välkommen till Jobbskaparna. Fyll i med:") == 1
