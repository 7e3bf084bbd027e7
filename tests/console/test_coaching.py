"""Console scenarios of the coaching: the first tweet, the bar, the weekly nudge,
and the model's fall-back."""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator
from datetime import datetime
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from pydantic import SecretStr

from bot.config import Settings
from bot.console import run_console
from bot.services.drafts import fits_x
from tests.fakes.openai_server import free_port, serving
from tests.support.onboarding import onboard_command

# Tuesday morning in Stockholm: the next weekly nudge (Monday 09:00) falls inside a `:advance 7d`.
MORNING = datetime(2026, 12, 1, 10, 0, tzinfo=ZoneInfo("Europe/Stockholm"))
ONBOARD = onboard_command()
PARKING_TWEET = (
    "Vi är en lokal butik i Karlskrona. Därför bryr vi oss om Parkering i centrum: för oss handlar det om "
    "kunderna som ska hitta till butiken. #BlekingeFöretagare"
)


async def console(settings: Settings, lines: list[str], start: datetime = MORNING) -> str:
    out = io.StringIO()
    await run_console(settings, stdin=io.StringIO("\n".join(lines)), out=out, start=start)
    return out.getvalue()


def first_draft(output: str) -> str:
    return re.search(r"^  Ditt utkast \(\d+/280\): (.*)$", output, re.MULTILINE).group(1)


def x_link(output: str) -> str:
    return re.search(r"^  🔗 Dela på X: (\S+)$", output, re.MULTILINE).group(1)


async def test_a_new_member_tweets_marks_it_done_and_gets_exactly_one_nudge_a_week(settings: Settings):
    output = await console(settings, [":as Anna", ONBOARD, "/coach next", ":press Klart ✓", ":advance 7d"])

    # :advance goes through the week in order: the nudge goes out on its day and hour (Monday 09:00), not at
    # the end of the seven days.
    before, after = output.split("⏩ Klockan är nu 2026-12-07 09:00.")
    assert "[endast Anna] **Steg 1 av 6: Presentera ditt företag på X med gruppens hashtagg**" in before
    draft = first_draft(before)
    assert fits_x(draft) and "#BlekingeFöretagare" in draft
    link = x_link(before)
    assert urlsplit(link).netloc == "x.com" and parse_qs(urlsplit(link).query)["text"] == [draft]
    assert "  Dina framsteg: ░░░░░░░░░░ 0 av 6 steg" in before
    assert "[endast Anna] **✅ Klart: Presentera ditt företag på X med gruppens hashtagg**" in before
    assert "  Dina framsteg: ██░░░░░░░░ 1 av 6 steg · 🔥 1 vecka i rad" in before
    assert after.count("[DM Anna]") == 1
    assert (
        "[DM Anna] **Veckans steg 2 av 6: Följ de viktigaste lokala politikerna och lokala medier**" in after
    )


async def test_the_swedish_names_and_a_link_as_evidence_work_too(settings: Settings):
    output = await console(settings, [":as Anna", ONBOARD, "/coach klart länk:https://x.com/anna/status/1",
                                      "/coach framsteg"])

    assert "  Bevis: https://x.com/anna/status/1" in output
    assert (
        "  ✅ 1. Presentera ditt företag på X med gruppens hashtagg · https://x.com/anna/status/1" in output
    )


async def test_bad_input_gets_a_clear_message(settings: Settings):
    output = await console(settings, [
        ":as Anna", "/coach next", ONBOARD, '/coach feedback text:""', f"/coach tweet topic:{'x' * 101}",
        "/coach tweet issue:Flygplatsen", "/coach done step:nosuch", "/coach overview",
    ])

    assert "Du har ingen profil än. Skriv /kom-igång för att komma igång." in output
    assert "Text: måste fyllas i." in output
    assert "Ämne: är för lång (101 tecken, högst 100)." in output
    assert 'Jag hittar ingen öppen fråga "Flygplatsen". Det finns inga öppna frågor just nu.' in output
    assert 'Det finns inget steg "nosuch". Stegen är: 1: intro, 2: follow' in output
    assert "Det här kommandot är till för koordinatorer." in output
    assert "Traceback" not in output and "Något gick fel" not in output


async def test_the_overview_chart_is_written_to_the_output_folder(settings: Settings):
    output = await console(
        settings, [":as Anna", ONBOARD, "/coach done", ":as Bo coordinator", "/coach overview"]
    )

    chart = settings.output_dir / "coaching-overview.png"
    assert f"📎 {chart}" in output and chart.read_bytes().startswith(b"\x89PNG")
    assert "**2. Följ de viktigaste lokala politikerna och lokala medier** (1): Anna 🔥1" in output


@pytest.fixture
async def model_down(settings: Settings) -> AsyncIterator[Settings]:
    """Settings with a model configured on a port where nothing listens."""
    yield settings.model_copy(update={"openai_api_key": SecretStr("sk-test"), "openai_timeout": 2.0,
                                      "openai_base_url": f"http://127.0.0.1:{free_port()}/v1"})


EVERY_COMMAND = [
    ":as Anna", ONBOARD, "/coach next", '/coach tweet topic:"Parkering i centrum"', "/coach blog",
    '/coach feedback text:"Parkeringen vid torget behövs"', "/coach done", "/coach progress", "/coach pause",
    "/coach resume", ":as Bo coordinator", "/coach overview", "/coach settings hour:10", "/coach ladder",
]
TEMPLATE_ANSWERS = [
    "[endast Anna] **Steg 1 av 6: Presentera ditt företag på X med gruppens hashtagg**",
    "  Ditt utkast (175/280): Hej Karlskrona! Vi är Annas Blommor. Vi är en lokal butik i Karlskrona.",
    f"  Utkast 1 ({len(PARKING_TWEET)}/280): {PARKING_TWEET}",
    "[endast Anna] **Blogginlägg: ditt företag**",
    "  Rubrikidéer: • Därför spelar företagsklimatet roll för Annas Blommor",
    "[endast Anna] **Feedback på din tweet**",
    "  Förbättrad version (",
    "[endast Anna] **✅ Klart: Presentera ditt företag på X med gruppens hashtagg**",
    "[endast Anna] **Din stege**",
    "Pausat. Jag skickar inga veckopåminnelser",
    "Välkommen tillbaka! Nästa påminnelse kommer",
    "[endast Bo] **Var står medlemmarna? (1)**",
    "[endast Bo] **Coachningens inställningar**",
    "[endast Bo] **Stegen (6 aktiva steg)**",
]


async def test_with_the_model_server_down_every_command_answers_from_the_templates(model_down: Settings):
    output = await console(model_down, EVERY_COMMAND)

    for answer in TEMPLATE_ANSWERS:
        assert answer in output, answer
    assert "Något gick fel" not in output and "Traceback" not in output


async def test_with_a_working_model_its_drafts_are_shown(settings: Settings):
    async with serving() as fake:
        fake.answer({"tweets": ["Blommor till hela Karlskrona, från torget. Vad önskar ni er?"] * 3,
                     "draft": "Annas Blommor finns nu på X! Blommor till företag i Karlskrona."})
        with_model = settings.model_copy(update={"openai_api_key": SecretStr("sk-test"),
                                                 "openai_base_url": fake.base_url})
        output = await console(with_model, [":as Anna", ONBOARD, "/coach next", "/coach tweet"])

    assert ("  Ditt utkast (83/280): Annas Blommor finns nu på X! Blommor till företag i Karlskrona. "
            "#BlekingeFöretagare") in output
    assert (
        "  Utkast 1 (80/280): Blommor till hela Karlskrona, från torget. "
        "Vad önskar ni er? #BlekingeFöretagare"
        in output
    )
    assert len(fake.requests) == 2
