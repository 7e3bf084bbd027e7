"""What the coaching's tests share: members, a small issue source, the newcomer's onboarding, share links."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest

from bot.app import App
from bot.coach.model import CoachModel
from bot.contributions import Feature
from bot.services.drafts import IssueContext
from tests.conftest import identity
from tests.fakes.openai_server import FakeOpenAI, serving
from tests.support import onboarding
from tests.support.features import with_issues_if_asked

ANNA, BO, CIA = identity("anna"), identity("bo", coordinator=True), identity("cia")
PARKING = IssueContext(
    id=7, title="Parkering i centrum", municipality="karlskrona", hashtag="#ParkeraKarlskrona",
    decision_at=datetime(2026, 12, 17, 17, 0, tzinfo=UTC), position="Behåll korttidsparkeringen",
    target_handles=("kommunalrad_kk",), target_names=("Eva Ek",), media_handles=("blekingelt",))
HARBOUR = IssueContext(id=9, title="Hamnens öppettider", municipality="ronneby", hashtag="Hamnen",
                       target_handles=("ronnebyrad",), media_handles=("ronnebytidning",))


@pytest.fixture
def issues() -> list[IssueContext]:
    """A few open issues for the coach to draft about, without creating them through the issues feature."""
    return [PARKING, HARBOUR]


@pytest.fixture
def features(request: pytest.FixtureRequest) -> tuple[Feature, ...]:
    """The bot's features; a test that asks for `issues` also gets a stand-in feature that offers them."""
    return with_issues_if_asked(request)


async def onboard(app: App, who=ANNA, **changes: str) -> None:
    """Onboard the coaching's newcomer (Anna unless another member is given), with some answers changed."""
    await onboarding.onboard(app, who, answers=onboarding.NEWCOMER, **changes)


def intent_text(url: str) -> str:
    """Return the text an X share link would post."""
    assert url.startswith("https://x.com/intent/post?")
    return parse_qs(urlsplit(url).query)["text"][0]


# -- the coach's model, against a fake OpenAI-compatible server (tests/fakes/openai_server.py) -------------


@pytest.fixture
async def fake() -> AsyncIterator[FakeOpenAI]:
    """A fake OpenAI-compatible server, answering what a test tells it."""
    async with serving() as server:
        yield server


@pytest.fixture
async def model(fake: FakeOpenAI) -> AsyncIterator[CoachModel]:
    """The coach's model client, talking to the fake server."""
    # A generous timeout: a busy CI machine must not turn a working model into a fallback.
    client = CoachModel(api_key="sk-test", model="test-model", timeout=10.0, base_url=fake.base_url)
    try:
        yield client
    finally:
        await client.close()
