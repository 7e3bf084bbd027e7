"""Streaks: weeks in a row with a step done, or with any other feature's activity."""

from __future__ import annotations

from datetime import timedelta

from bot.app import App
from bot.clock import FrozenClock
from bot.contributions import Feature
from bot.features import FEATURES
from bot.services import ladder
from tests.services.conftest import ANNA, onboard
from tests.support.replies import field_value


async def test_a_streak_counts_weeks_in_a_row_with_a_step_and_other_features_can_feed_it(app: App,
                                                                                        clock: FrozenClock):
    await onboard(app)

    async def streak(of: App = app) -> int:
        reply = await of.run(ANNA, ladder.progress)
        return int(field_value(reply, "Dina framsteg").split("🔥 ")[1].split()[0]) if "🔥" in field_value(
            reply, "Dina framsteg") else 0

    assert await streak() == 0
    await app.run(ANNA, ladder.done)
    assert await streak() == 1
    clock.advance(timedelta(days=7))
    assert await streak() == 1  # this week may still bring a step
    await app.run(ANNA, ladder.done)
    assert await streak() == 2
    clock.advance(timedelta(days=14))
    assert await streak() == 0  # a whole week went by empty

    # An action logged by another feature (here a stand-in's, in an App over the same database) counts too.
    async def actions(session, workspace_id, member_ids):
        return [(member_id, clock.now()) for member_id in member_ids]

    with_actions = App(
        app.settings, clock, (*FEATURES, Feature("stand-in actions", activity_sources=(actions,)))
    )
    try:
        assert await streak(with_actions) == 1
    finally:
        await with_actions.close()
