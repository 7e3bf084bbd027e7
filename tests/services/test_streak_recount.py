"""The streaks kept where activity is written give what a full recount from history gives: after actions,
steps, stories, an undone step, a deleted story, an erased member, across week boundaries and a changed time
zone (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.app import App
from bot.clock import FrozenClock
from bot.models import Action, CoachingProgress, Member, Story, Workspace
from bot.services import activity, ladder, mydata, stories, streaks, workspaces
from tests.conftest import identity
from tests.support.onboarding import onboard

ANNA, BO, CIA, DAN = identity("anna"), identity("bo", coordinator=True), identity("cia"), identity("dan")
STORY = {"title": "Tweeten gav tre kunder", "kind": "tweet", "value": "Tre nya kunder hittade oss via X.",
         "link": "https://x.com/anna/status/1", "visibility": "group"}


def _iso_week(day: date) -> tuple[int, int]:
    year, week, _ = day.isocalendar()
    return year, week


async def recounted(app: App) -> dict[int, int]:
    """Every member's streak counted as it was before streaks were kept: from the whole history, in Python."""
    async with app.sessionmaker() as session:
        workspace = await session.scalar(select(Workspace).where(Workspace.external_id == "guild-1"))
        assert workspace is not None
        zone = ZoneInfo(workspace.timezone)
        weeks: dict[int, set[tuple[int, int]]] = defaultdict(set)
        for model, column in ((Action, Action.created_at), (CoachingProgress, CoachingProgress.done_at),
                              (Story, Story.created_at)):
            for member_id, at in await session.execute(select(model.member_id, column)
                                                       .where(model.workspace_id == workspace.id)):
                weeks[member_id].add(_iso_week(at.astimezone(zone).date()))
        members = list(await session.scalars(select(Member.id).where(Member.workspace_id == workspace.id)))
    today = app.clock.now().astimezone(zone).date()
    result = {}
    for member_id in members:
        active = weeks[member_id]
        day = today if _iso_week(today) in active else today - timedelta(days=7)
        count = 0
        while _iso_week(day) in active:
            count += 1
            day -= timedelta(days=7)
        result[member_id] = count
    return result


async def assert_kept_as_recounted(app: App) -> dict[int, int]:
    """The kept streaks, asked for every member (None), for a list of them and one by one, equal a
    recount."""
    expected = await recounted(app)
    now = app.clock.now()
    async with app.sessionmaker() as session:
        workspace = await session.scalar(select(Workspace).where(Workspace.external_id == "guild-1"))
        assert workspace is not None
        everyone = await streaks.weeks_in_a_row(session, workspace, None, now)
        listed = await streaks.weeks_in_a_row(session, workspace, list(expected), now)
        one_by_one = {member_id: await streaks.of_member(session, workspace, member_id, now)
                      for member_id in expected}
    assert {member_id: weeks for member_id, weeks in everyone.items() if weeks} == \
        {member_id: weeks for member_id, weeks in expected.items() if weeks}
    assert all(everyone[member_id] == weeks for member_id, weeks in expected.items())
    assert listed == expected
    assert one_by_one == expected
    return expected


async def streak_of(app: App, who) -> int:
    return (await recounted(app))[await _id(app, who)]


async def test_kept_streaks_equal_a_recount_after_adding_undoing_deleting_erasing_and_a_new_zone(
        app: App, clock: FrozenClock):
    # Sunday evening in Stockholm, 22:30 local: an hour and a half before a new week.
    clock.set(datetime(2026, 11, 29, 21, 30, tzinfo=UTC))
    for who in (ANNA, BO, CIA, DAN):
        await onboard(app, who)
    await app.run(ANNA, activity.did, kind=activity.ActivityKind.TWEET)
    await app.run(BO, ladder.done)
    await app.submit(CIA, stories.FORM_ID, STORY)
    await app.run(DAN, activity.did, kind=activity.ActivityKind.MEET)
    assert (await assert_kept_as_recounted(app))[await _id(app, ANNA)] == 1

    # Monday 00:30 in Stockholm: the next week (but still Sunday in New York).
    clock.advance(timedelta(hours=2))
    await app.run(ANNA, activity.did, kind=activity.ActivityKind.MEETING)
    await app.run(BO, activity.did, kind=activity.ActivityKind.ASK, status=activity.ActivityStatus.ATTEMPTED)
    await app.run(DAN, ladder.done)
    assert await streak_of(app, ANNA) == 2
    await assert_kept_as_recounted(app)

    # A week with nothing but Cia's story, then one with nothing at all: streaks end, the current week keeps.
    clock.advance(timedelta(days=7))
    await app.submit(CIA, stories.FORM_ID, STORY)
    await assert_kept_as_recounted(app)
    clock.advance(timedelta(days=7))
    assert await streak_of(app, ANNA) == 0
    await assert_kept_as_recounted(app)
    await app.run(ANNA, activity.did, kind=activity.ActivityKind.BLOG)
    await app.run(ANNA, ladder.done)
    await assert_kept_as_recounted(app)

    # Undoing a step: Anna's blog post still counts this week; Bo's only activity of his first week goes.
    await app.press(ANNA, ladder.UNDO_ACTION, "follow")
    await assert_kept_as_recounted(app)
    await app.press(BO, ladder.UNDO_ACTION, "intro")
    await assert_kept_as_recounted(app)
    await app.run(DAN, ladder.done)
    assert await streak_of(app, DAN) == 1
    await app.press(DAN, ladder.UNDO_ACTION, "follow")  # his only activity this week
    assert await streak_of(app, DAN) == 0
    await assert_kept_as_recounted(app)

    # A deleted story: Cia's latest week goes with it.
    async with app.sessionmaker() as session:
        latest = await session.scalar(select(Story.id).where(Story.member_id == await _id(app, CIA))
                                      .order_by(Story.id.desc()).limit(1))
    await app.press(CIA, stories.DELETE_CONFIRM, str(latest))
    await assert_kept_as_recounted(app)

    # An erased member has no streak left; the others keep theirs.
    await app.press(DAN, mydata.DELETE_CONFIRM, "")
    await assert_kept_as_recounted(app)

    # Another time zone moves the weeks' boundaries: Anna's Sunday-evening and Monday-night actions fall in
    # one week in New York; every run is counted again.
    await app.run(BO, workspaces.configure, timezone="America/New_York")
    await assert_kept_as_recounted(app)
    clock.advance(timedelta(days=7))
    await app.run(ANNA, activity.did, kind=activity.ActivityKind.TWEET)
    await assert_kept_as_recounted(app)
    await app.run(BO, workspaces.configure, timezone="Europe/Stockholm")
    await assert_kept_as_recounted(app)


async def test_a_streak_asked_about_before_the_latest_activity_counts_only_the_weeks_until_then(
        app: App, clock: FrozenClock):
    await onboard(app, ANNA)
    await app.run(ANNA, activity.did, kind=activity.ActivityKind.TWEET)
    clock.advance(timedelta(days=7))
    await app.run(ANNA, activity.did, kind=activity.ActivityKind.TWEET)
    clock.advance(timedelta(days=14))
    await app.run(ANNA, activity.did, kind=activity.ActivityKind.TWEET)
    anna = await _id(app, ANNA)
    async with app.sessionmaker() as session:
        workspace = await session.scalar(select(Workspace).where(Workspace.external_id == "guild-1"))
        assert workspace is not None
        back_then = clock.now() - timedelta(days=14)
        assert (await streaks.weeks_in_a_row(session, workspace, [anna], back_then))[anna] == 2
        assert await streaks.of_member(session, workspace, anna, back_then) == 2
        assert (await streaks.weeks_in_a_row(session, workspace, None, back_then))[anna] == 2
        assert await streaks.of_member(session, workspace, anna, clock.now()) == 1


async def _id(app: App, who) -> int:
    async with app.sessionmaker() as session:
        member_id = await session.scalar(select(Member.id).where(Member.external_id == who.user_external_id))
        assert member_id is not None
        return member_id
