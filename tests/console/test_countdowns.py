"""Console scenarios of the countdown: a decision in 15 days, three followers, the clock moved past the vote;
and the same run killed and restarted, as real processes, with no stage lost or doubled."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.config import Settings
from bot.console import run_console
from tests.support.onboarding import onboard_lines

# Tuesday 1 December 2026, 10:00 in Stockholm; the decision is on Wednesday 16 December at 18:00.
START = datetime(2026, 12, 1, 10, 0, tzinfo=ZoneInfo("Europe/Stockholm"))
FOLLOWERS = ("Anna", "Bo", "Cia")
STAGES = (
    "⏳ 14 dagar kvar: Parkering i centrum",
    "📣 7 dagar kvar: Parkering i centrum",
    "📰 3 dagar kvar: Parkering i centrum",
    "🔥 I morgon beslutar kommunfullmäktige: Parkering i centrum",
    "🏛️ I dag beslutar kommunfullmäktige: Parkering i centrum",
)
OUTCOME = "Beslutet om Parkering i centrum: vunnen"


SETUP = [
    *onboard_lines("Anna"), *onboard_lines("Bo"), *onboard_lines("Cia"),
    ":as Karin coordinator",
    (
        '/issue create title:"Parkering i centrum" '
        'summary:"Kommunen vill ta bort 200 platser vid Stortorget." '
        'municipality:Karlskrona body:kommunfullmäktige decision:"16 dec 18:00" hashtag:#ParkeraKarlskrona '
        'position:"Behåll platserna. Kunderna kommer med bil." ask_days:0'
    ),
]
FINISH = [":as Karin coordinator", "/issue outcome issue:Parkering result:won", ":advance 1h"]


async def console(settings: Settings, lines: list[str]) -> str:
    out = io.StringIO()
    await run_console(settings, stdin=io.StringIO("\n".join(lines) + "\n"), out=out, start=START)
    return out.getvalue()


def heads(output: str) -> list[str]:
    """Every message's first line: "[destination] title"."""
    return [line for line in output.splitlines() if line.startswith("[")]


def count(output: str, destination: str, title: str) -> int:
    return sum(1 for line in heads(output) if line == f"[{destination}] **{title}**")


async def test_a_countdown_of_fifteen_days_goes_out_stage_by_stage_to_the_vote_and_after(settings: Settings):
    output = await console(settings, [
        *SETUP,
        *[":advance 1d"] * 15, ":advance 10h",
        *FINISH,
    ])

    for title in STAGES:
        assert (
            count(output, "#annonser", title) == 0
        )  # the channel post pings the role, so its head carries @Medlem
        assert sum(1 for line in heads(output) if line == f"[#annonser] @Medlem **{title}**") == 1, title
        for name in FOLLOWERS:
            assert count(output, f"DM {name}", title) == 1, (name, title)
    # The live message: posted and pinned once, then edited (every day, and when something changed).
    lives = [line for line in heads(output) if line.startswith("[#annonser] **⏳ Nedräkning")]
    edits = [line for line in heads(output) if line.startswith("[#annonser ✎]")]
    assert len(lives) == 1 and output.count("📌 Meddelandet är fäst i #annonser.") == 1
    assert len(edits) >= 15
    assert "[#annonser ✎] **⏳ Nedräkning: Parkering i centrum – 7 dagar kvar**" in edits
    assert "[#annonser ✎] **⏳ Nedräkning: Parkering i centrum – beslut i dag**" in edits
    assert "[#annonser ✎] **🗳️ Parkering i centrum: dags för beslut – resultatet kommer**" in edits
    assert edits[-1] == "[#annonser ✎] **✅ Parkering i centrum: vunnen**"
    assert "📌 Meddelandet är inte längre fäst i #annonser." in output
    for name in FOLLOWERS:
        assert count(output, f"DM {name}", OUTCOME) == 1
    assert "[endast Karin] Resultatet för Parkering i centrum är registrerat: vunnen." in output


async def test_pledge_buttons_on_the_countdown_messages_work_in_the_console(settings: Settings):
    output = await console(settings, [
        *SETUP, ":advance 1d",
        ":as Anna", ":press 🐦 Jag tweetar", ":as Bo", ":press 3",
        ":advance 7d", ":advance 2h", ":as Anna", ":press ✅ Jag tweetade",
        "/pledge",
    ])

    assert "[endast Anna] Tack! Du har lovat att tweeta inför beslutet om Parkering i centrum." in output
    assert "[endast Bo] Tack! Du har lovat att gå på omröstningen" in output
    assert "[DM Anna] **Gjorde du det? Parkering i centrum**" in output
    assert (
        "[endast Anna] Snyggt! Du lovade att tweeta inför Parkering i centrum – och gjorde det. Tack! 🎉"
        in output
    )
    assert "▰▰▰▰▰▱▱▱▱▱ 1 av 2 genomförda" in output
    assert "🐦 tweeta – Parkering i centrum: gjort ✅" in output


async def test_an_issue_created_five_days_before_gets_the_seven_day_call_at_once_in_the_console(
        settings: Settings):
    late = [line.replace('decision:"16 dec 18:00"', 'decision:"6 dec 18:00"') for line in SETUP]
    output = await console(settings, [*late, ":advance 1d", *[":advance 1d"] * 5])

    # The 7-day stage's call to action, with the days really left; the coordinators see what was skipped.
    posts = [line for line in heads(output) if line.startswith("[#annonser] @Medlem")]
    assert posts[0] == "[#annonser] @Medlem **📣 5 dagar kvar: Parkering i centrum**"
    for name in FOLLOWERS:
        assert count(output, f"DM {name}", "📣 5 dagar kvar: Parkering i centrum") == 1
    assert (
        count(output, "#koordinatorer", "⏭️ Nedräkningen för Parkering i centrum: steg som hoppades över") == 1
    )
    assert "• ställ frågor (14 dagar före)" in output
    assert "Steget mobilisera (7 dagar före) går ut nu i stället" in output
    # Then the countdown goes on as usual, each stage once.
    assert posts[1:] == [f"[#annonser] @Medlem **{title}**" for title in STAGES[2:]]


# -- real processes: killed and restarted --------------------------------------------------------------------


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "DATABASE_URL", "DATA_DIR"))}
    return env | {
        "DATA_DIR": str(tmp_path / "data"),
        "OUTPUT_DIR": str(tmp_path / "out"),
        "LOG_LEVEL": "WARNING",
    }


def _run_script(tmp_path: Path, name: str, start: str, lines: list[str]) -> str:
    script = tmp_path / f"{name}.txt"
    script.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "bot", "console", "--script", str(script), "--start", start],
        env=_env(tmp_path),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def _run_then_kill(tmp_path: Path, start: str, lines: list[str]) -> str:
    """Feed a console through a pipe and SIGKILL it once it has done every line (a crash: no clean-up runs).

    A last `:as` line is the sign: the console works through lines in order, so once it answers that, the
    lines before it are done. (A console killed in the middle of printing could lose or repeat the line it
    printed: a pipe keeps no nonces. Discord does, and the crash in the middle of a fan-out is tested against
    a notifier that drops repeated nonces, in tests/services/test_countdowns.py.)
    """
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "console", "--start", start],
        env=_env(tmp_path),
        cwd=tmp_path,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        bufsize=1,
    )
    assert process.stdin is not None and process.stdout is not None
    seen: list[str] = []
    try:
        process.stdin.write("\n".join([*lines, ":as Vakt"]) + "\n")
        process.stdin.flush()
        deadline = time.monotonic() + 120
        for printed in process.stdout:
            seen.append(printed)
            if printed.startswith("Du är nu Vakt."):
                process.send_signal(signal.SIGKILL)
                break
            assert time.monotonic() < deadline, "the console never got through its lines"
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    return "".join(seen)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_killed_mid_way_and_restarted_no_stage_is_lost_or_doubled(tmp_path: Path, database_url: str):
    # Run 1: the group, the issue, and the first stage; the console ends normally.
    first = _run_script(tmp_path, "first", "2026-12-01 10:00", [*SETUP, ":advance 1d"])
    # Run 2: fed by a pipe through the 7-day stage, then killed (SIGKILL).
    second = _run_then_kill(tmp_path, "2026-12-02 10:05", [":advance 7d"])
    # Run 3: started again on the same DATA_DIR a little later: to the evening of the vote, where the result
    # is recorded at 22:00; the follow-up DMs wait for the end of the night's quiet hours,
    # and the console is killed.
    third = _run_then_kill(tmp_path, "2026-12-09 12:00", [*[":advance 1d"] * 7, ":advance 10h",
                                                          ":as Karin coordinator",
                                                          "/issue outcome issue:Parkering result:won"])
    # Run 4: the next morning; the DMs left pending by the kill are sent at start, once.
    fourth = _run_script(tmp_path, "fourth", "2026-12-17 09:00", [":advance 1h"])

    output = first + second + third + fourth
    assert "📣 7 dagar kvar" in second and "I dag beslutar" in third
    assert count(third, "DM Anna", OUTCOME) == 0 and count(fourth, "DM Anna", OUTCOME) == 1
    for title in STAGES:
        assert sum(1 for line in heads(output) if line == f"[#annonser] @Medlem **{title}**") == 1, title
        for name in FOLLOWERS:
            assert count(output, f"DM {name}", title) == 1, (name, title)
    for name in FOLLOWERS:
        assert count(output, f"DM {name}", OUTCOME) == 1
    lives = [line for line in heads(output) if line.startswith("[#annonser] **⏳ Nedräkning")]
    assert len(lives) == 1  # the live message's id survived the kills: it is edited, never posted again
