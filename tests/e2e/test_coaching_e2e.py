"""The coaching, end to end: `python -m bot` against the local Discord-protocol server and a local fake model.

A member onboards, asks for the next step, presses "done", asks for draft tweets; a coordinator looks at the
overview chart. The `jobbbot` fixture (here with the model's settings) fails the scenario if the fake Discord
refused any payload, or the bot logged an error; it runs once with a working model and once with the model's
server down, when every answer must come from the templates.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import pytest_asyncio

from bot.services.drafts import fits_x
from tests.fakes.openai_server import FakeOpenAI, free_port, serving

from .botprocess import BotProcess, checked_bot
from .fakediscord import FakeDiscord, Message
from .test_scenarios import WAIT, join_and_onboard, set_up_workspace, sv

pytestmark = [pytest.mark.asyncio, pytest.mark.e2e]

MODEL_DRAFT = "Blekinge Bygg AB finns nu på X! Vi bygger i Karlskrona och anställer lokalt."
MODEL_TWEETS = [
    "Vi på Blekinge Bygg AB vill kunna lasta av vid torget. Hur tänker ni?",
    "Parkering i centrum avgör om våra hantverkare hinner fram. #BlekingeFöretagare",
    "Byggare i Karlskrona: hur påverkar parkeringen er? Berätta!",
]


@pytest_asyncio.fixture
async def fake_model() -> AsyncIterator[FakeOpenAI]:
    async with serving() as server:
        yield server


@pytest_asyncio.fixture(params=["model", "model_down"])
async def jobbbot(request: pytest.FixtureRequest, fake_discord: FakeDiscord, fake_model: FakeOpenAI,
                  tmp_path: Path) -> AsyncIterator[BotProcess]:
    """The real bot with the coach's model configured: the fake model, or a port where nothing listens."""
    base_url = fake_model.base_url if request.param == "model" else f"http://127.0.0.1:{free_port()}/v1"
    # A model that cannot be reached is logged as a warning, never as an error (checked_bot fails on errors).
    async with checked_bot(fake_discord, tmp_path / "bot", {
            "OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": base_url, "OPENAI_MODEL": "fake",
            "OPENAI_TIMEOUT": "5"}) as bot:
        yield bot


def field(message: Message, name: str) -> str:
    embed = message.embeds[0]
    return next(f["value"] for f in embed.get("fields", []) if f["name"].startswith(name))


def link_urls(message: Message) -> list[str]:
    return [c["url"] for c in message.walk_components() if c.get("type") == 2 and c.get("style") == 5]


def unescaped(value: str) -> str:
    return value.replace("\\", "")


async def test_a_member_climbs_the_first_step_and_gets_drafts(
    fake_discord: FakeDiscord, fake_model: FakeOpenAI, jobbbot: BotProcess
):
    fake = fake_discord
    with_model = "127.0.0.1:" + str(fake_model.port) in jobbbot.environment()["OPENAI_BASE_URL"]
    assert "coach" in fake.commands(guild=True)
    await set_up_workspace(fake)
    await join_and_onboard(fake, "erik")

    fake_model.answer({"draft": MODEL_DRAFT})
    asked = await fake.slash("erik", "coach next")
    assert (await asked.wait_response(WAIT))["type"] == 5  # deferred first: the model may take a while
    step = await asked.wait_reply(WAIT)
    assert step.ephemeral and step.embeds[0]["title"] == (
        "Steg 1 av 6: " + sv("coaching.step.intro.title"))
    draft = unescaped(field(step, "Ditt utkast"))
    assert fits_x(draft) and draft.endswith("#BlekingeFöretagare")
    assert (
        draft.startswith(MODEL_DRAFT)
        if with_model
        else draft.startswith("Hej Karlskrona! Vi på Blekinge Bygg AB erbjuder om- och tillbyggnader")
    )
    intent = next(url for url in link_urls(step) if url.startswith("https://x.com/intent/post"))
    assert parse_qs(urlsplit(intent).query)["text"] == [draft]
    assert step.custom_ids() == ["jb:coaching.done:intro", "jb:coaching.done_link:intro"]

    pressed = await fake.press("erik", step, custom_id="jb:coaching.done:intro")
    done = await pressed.wait_reply(WAIT)
    assert done.embeds[0]["title"] == sv("coaching.done.title", title=sv("coaching.step.intro.title"))
    assert field(done, "Dina framsteg").startswith("██░░░░░░░░ 1 av 6 steg")

    fake_model.answer({"tweets": MODEL_TWEETS})
    tweets = await fake.slash("erik", "coach tweet", {"topic": "Parkering i centrum"})
    assert (await tweets.wait_response(WAIT))["type"] == 5
    shown = await tweets.wait_reply(WAIT)
    posts = [unescaped(f["value"]) for f in shown.embeds[0]["fields"] if f["name"].startswith("Utkast")]
    assert len(posts) == 3 and all(fits_x(p) and "#BlekingeFöretagare" in p for p in posts)
    assert (posts[0] == MODEL_TWEETS[0] + " #BlekingeFöretagare") is with_model
    # An X button a draft: no issue's source for Facebook or LinkedIn to share.
    assert len(link_urls(shown)) == 3 and all(len(url) <= 512 for url in link_urls(shown))
    assert bool(fake_model.requests) is with_model

    overview = await fake.slash("owner", "coach-admin overview")
    chart = await overview.wait_reply(WAIT)
    assert "Erik" in chart.embed_text()
    [png] = chart.attachments
    assert png.filename == "coaching-overview.png" and fake.attachment_bytes(png.id).startswith(b"\x89PNG")
