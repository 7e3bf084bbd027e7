"""Console scenarios of talking to the coach: a DM after the weekly nudge, the DM mode, a mention."""

from __future__ import annotations

import io
import re
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.config import Settings
from bot.console import run_console
from tests.support.conversation import CONVERSATION
from tests.support.onboarding import onboard_command

# Tuesday morning in Stockholm: the weekly nudge goes out on Monday 09:00, inside `:advance 6d1h`.
MORNING = datetime(2026, 12, 1, 9, 0, tzinfo=ZoneInfo("Europe/Stockholm"))
NUDGE = "[DM Anna] **Veckans steg 1 av 6: Presentera ditt företag på X med gruppens hashtagg**"


async def console(settings: Settings, lines: list[str]) -> str:
    out = io.StringIO()
    await run_console(settings, stdin=io.StringIO("\n".join(lines)), out=out, start=MORNING)
    return out.getvalue()


async def test_klart_in_a_dm_after_the_nudge_marks_the_step_done(settings: Settings):
    output = await console(settings, [":as Anna", onboard_command(), ":advance 6d1h", ":dm klart!"])

    nudge, answer = output.split("> :dm klart!")
    assert NUDGE in nudge
    assert "[DM Anna] **✅ Klart: Presentera ditt företag på X med gruppens hashtagg**" in answer
    assert "Dina framsteg: ██░░░░░░░░ 1 av 6 steg" in answer


async def test_in_dm_mode_every_plain_line_is_a_dm_until_dm_off(settings: Settings):
    output = await console(settings, [
        ":as Anna", onboard_command(), ":advance 6d1h", ":dm",
        "https://x.com/anna/status/42", ":press Ja, logga",
        "stopp", "start", ":dm off", "stopp"])

    offer, rest = output.split("> :press Ja, logga")
    assert ("[DM Anna] Tack för länken! Ska jag logga https://x.com/anna/status/42 som klart för ”Veckans "
            "steg 1 av 6: Presentera ditt företag på X med gruppens hashtagg”?") in offer
    assert "[1] Ja, logga   [2] Nej" in offer
    assert "**✅ Klart: Presentera ditt företag på X med gruppens hashtagg**" in rest
    assert "  Bevis: https://x.com/anna/status/42" in rest
    in_mode, after = rest.split("> :dm off")
    assert "[DM Anna] Okej, jag skickar inga fler DM till dig." in in_mode
    assert "[DM Anna] Välkommen tillbaka!" in in_mode
    # After `:dm off` a plain line is no DM: the console says it does not know it.
    assert "Okänt konsolkommando: stopp." in after and "[DM Anna]" not in after


async def test_a_mention_gets_a_public_word_and_the_personal_answer_by_dm(settings: Settings):
    output = await console(settings, [":as Anna", onboard_command(), ":mention nästa"])

    answer = output.split("> :mention nästa")[1]
    assert "[#allmänt] Jag har skickat svaret till dig privat." in answer
    assert "[DM Anna] **Steg 1 av 6: Presentera ditt företag på X med gruppens hashtagg**" in answer


async def test_the_same_conversation_as_on_discord_and_slack(settings: Settings):
    # tests/support/conversation.py: the lines every platform plays, and what each answer shows.
    output = await console(settings, [":as Anna", onboard_command(),
                                      *(f":dm {line.said}" for line in CONVERSATION)])

    answers = output.split("> :dm ")[1:]
    assert len(answers) == len(CONVERSATION)
    for line, shown in zip(CONVERSATION, answers, strict=True):
        said, _, answer = shown.partition("\n")
        assert said == line.said and answer.startswith("[DM Anna] ")
        for fragment in line.shows:
            assert fragment in answer, (line.said, fragment)
        buttons = re.findall(r"\[\d+\] (.+?)(?=   \[\d+\]|\n|$)", answer)
        assert set(line.buttons) <= set(buttons), (line.said, buttons)


async def test_a_personal_answer_to_a_mention_with_closed_dms_is_only_shown_to_the_member(settings: Settings):
    # The step goes by DM; closed, the channel is told only that there is a message, which she opens herself.
    output = await console(settings, [":as Anna", onboard_command(), ":dms closed", ":mention nästa",
                                      ":press Visa mitt meddelande"])

    answer, shown = output.split("> :mention nästa")[1].split("> :press Visa mitt meddelande")
    assert "[#allmänt] Jag har skickat svaret till dig privat." in answer
    assert "Jag har ett personligt meddelande till dig" in answer and "@Anna" in answer
    assert "Presentera ditt företag" not in answer  # nothing of her step in a channel
    assert "[endast Anna] **Steg 1 av 6: Presentera ditt företag på X med gruppens hashtagg**" in shown
