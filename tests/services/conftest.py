"""What the coaching's tests share: members, a small issue source, the newcomer's onboarding, share links."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest

from bot.app import App
from bot.services import drafts
from bot.services.drafts import IssueContext
from tests.conftest import identity
from tests.support import onboarding

ANNA, BO, CIA = identity("anna"), identity("bo", coordinator=True), identity("cia")
PARKING = IssueContext(
    id=7, title="Parkering i centrum", municipality="karlskrona", hashtag="#ParkeraKarlskrona",
    decision_at=datetime(2026, 12, 17, 17, 0, tzinfo=UTC), position="Behåll korttidsparkeringen",
    target_handles=("kommunalrad_kk",), target_names=("Eva Ek",), media_handles=("blekingelt",))
HARBOUR = IssueContext(id=9, title="Hamnens öppettider", municipality="ronneby", hashtag="Hamnen",
                       target_handles=("ronnebyrad",), media_handles=("ronnebytidning",))


@pytest.fixture
def issues() -> Iterator[list[IssueContext]]:
    """Register a small issue source for the test (the issues feature's own is not needed), then remove it."""
    known: list[IssueContext] = [PARKING, HARBOUR]

    async def source(session, workspace_id: int, municipality: str | None) -> list[IssueContext]:
        return [i for i in known if municipality is None or i.municipality == municipality]

    drafts.issue_source(source)
    yield known
    drafts._issue_sources.remove(source)


async def onboard(app: App, who=ANNA, **changes: str) -> None:
    """Onboard the coaching's newcomer (Anna unless another member is given), with some answers changed."""
    await onboarding.onboard(app, who, answers=onboarding.NEWCOMER, **changes)


def intent_text(url: str) -> str:
    """Return the text an X share link would post."""
    assert url.startswith("https://x.com/intent/post?")
    return parse_qs(urlsplit(url).query)["text"][0]
