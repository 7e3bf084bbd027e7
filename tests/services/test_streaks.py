"""Streaks: weeks in a row with a step done, or with any other feature's activity."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.app import App
from bot.clock import FrozenClock
from bot.contributions import Feature
from bot.features import FEATURES
from bot.replies import Literal, Reply
from bot.services import ladder, streaks
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

    # Another feature's activity (here a stand-in's, in an App over the same database) counts too: it tells
    # the streaks what it recorded, and offers its history for when a member's run is counted again.
    logged: list[tuple[int, datetime]] = []

    async def log(session, actor, _arg):
        logged.append((actor.member.id, actor.now))
        await streaks.added(session, actor.workspace, actor.member.id, actor.now)
        return Reply(body=Literal("ok"))

    async def forget(session, actor, _arg):
        logged.clear()
        await streaks.removed(session, actor.workspace, actor.member.id)
        return Reply(body=Literal("ok"))

    async def history(session, workspace_id, member_ids):
        return [(member, at) for member, at in logged if member_ids is None or member in member_ids]

    with_actions = App(app.settings, clock, (*FEATURES, Feature(
        "stand-in actions", actions={"standin.log": log, "standin.forget": forget},
        activity_sources=(history,))))
    try:
        await with_actions.press(ANNA, "standin.log", "")
        assert await streak(with_actions) == 1
        clock.advance(timedelta(days=7))
        assert await streak(with_actions) == 1
        await with_actions.run(ANNA, ladder.done)
        assert await streak(with_actions) == 2
        await with_actions.press(ANNA, "standin.forget", "")
        assert await streak(with_actions) == 1  # the step of this week is left
    finally:
        await with_actions.close()
