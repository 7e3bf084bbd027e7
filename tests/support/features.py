"""Apps made of other features than the bot's own: the bot's list with a stand-in feature added."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from bot.contributions import Feature
from bot.features import FEATURES
from bot.services.drafts import IssueContext


def issue_source(known: Sequence[IssueContext]) -> Feature:
    """A stand-in feature offering `known` as the open issues (by municipality),
    as the issues feature would."""

    async def source(
        session: AsyncSession, workspace_id: int, municipality: str | None
    ) -> list[IssueContext]:
        return [i for i in known if municipality is None or i.municipality == municipality]

    return Feature("stand-in issues", issue_sources=(source,))


def with_issues_if_asked(request: pytest.FixtureRequest) -> tuple[Feature, ...]:
    """The bot's features; for a test that asks for the `issues` fixture,
    also a stand-in feature offering them."""
    if "issues" not in request.fixturenames:
        return FEATURES
    return (*FEATURES, issue_source(request.getfixturevalue("issues")))


def plus(*stand_ins: Feature) -> tuple[Feature, ...]:
    """The bot's features and the test's stand-ins (a planner of a test's own reminder kind, say)."""
    return (*FEATURES, *stand_ins)
