"""The composition root: the App is made of a list of features, and each contribution is found through it."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import contributions
from bot.app import App
from bot.clock import FrozenClock
from bot.config import Settings
from bot.contributions import Contributions, Feature
from bot.features import FEATURES
from bot.models import Action, Reminder
from bot.replies import Literal, Reply
from bot.services import activity, asks, countdowns
from bot.services.context import Actor
from tests.conftest import identity
from tests.issue_fixtures import create_issue
from tests.support.onboarding import onboard


async def _hello(session: AsyncSession, actor: Actor, arg: str) -> Reply:
    return Reply(body=Literal(f"hej {arg}"))


def test_two_features_may_not_answer_the_same_button():
    first, second = Feature("first", actions={"greet": _hello}), Feature("second", actions={"greet": _hello})

    with pytest.raises(ValueError, match="second and first both contribute actions 'greet'"):
        Contributions.assemble([first, second])


def test_every_feature_of_the_bot_is_assembled_without_a_clash():
    assembled = Contributions.assemble(FEATURES)

    assert countdowns.STAGE_KIND in assembled.planners and asks.ASK_KIND in assembled.planners
    assert [f.name for f in assembled.features] == [f.name for f in FEATURES]


async def test_a_session_of_the_app_carries_its_contributions_and_a_stray_one_is_refused(app: App):
    async with app.sessionmaker() as session:
        assert contributions.of(session) is app.contributions
    async with app.deferred_sessionmaker() as session:
        assert contributions.of(session) is app.contributions

    with pytest.raises(RuntimeError, match="not made by an App"):
        contributions.of(AsyncSession())


async def test_a_button_of_a_feature_the_app_was_given_is_pressed_through_it(settings: Settings,
                                                                            clock: FrozenClock):
    app = App(settings, clock, (*FEATURES, Feature("greeting", actions={"greet": _hello})))
    try:
        reply = await app.press(identity("anna"), "greet", "Anna")
    finally:
        await app.close()

    assert reply.body == Literal("hej Anna")


async def test_an_app_without_the_countdown_plans_the_rounds_of_an_issue_but_no_countdown(settings: Settings,
                                                                                         clock: FrozenClock):
    app = App(settings, clock, tuple(f for f in FEATURES if f is not countdowns.FEATURE))
    try:
        await create_issue(app)
        async with app.sessionmaker() as session:
            kinds = set(await session.scalars(select(Reminder.kind).where(Reminder.status == "pending")))
    finally:
        await app.close()

    assert asks.ASK_KIND in kinds
    assert not kinds & set(countdowns.KINDS)


async def _attempt_then_answer(session: AsyncSession, actor: Actor) -> Reply:
    await activity.record(session, actor, "ask", activity.ATTEMPTED, source="asks:1", channel="phone")
    await activity.record(session, actor, "ask", source="asks:1")  # the answer came after all
    return Reply(body=Literal("ok"))


async def test_every_action_recorded_or_changed_reaches_the_features_action_hooks(settings: Settings,
                                                                                   clock: FrozenClock):
    seen: list[tuple[str, str, str | None, bool]] = []

    async def note(session: AsyncSession, actor: Actor, action: Action, new: bool) -> None:
        seen.append((action.kind, action.status, action.channel, new))

    app = App(settings, clock, (*FEATURES, Feature("watcher", on_action=(note,))))
    try:
        await onboard(app, identity("anna"))
        await app.run(identity("anna"), activity.did, kind=activity.ActivityKind.TWEET)
        await app.run(identity("anna"), _attempt_then_answer)
    finally:
        await app.close()

    assert seen == [("tweet", "done", None, True), ("ask", "attempted", "phone", True),
                    ("ask", "done", "phone", False)]
