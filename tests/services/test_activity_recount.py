"""/stats and the leaderboard, counted by the database, give what a full recount in Python gives: with ties
at the last place shown, names that sort by their lowercase, the asking member below the top, after a deleted
story and an erased member (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.app import App
from bot.clock import FrozenClock
from bot.i18n import render
from bot.models import Action, ActivityMember, Member, Story, StoryApplause, Workspace
from bot.replies import Join, Literal, Text, text
from bot.services import activity, mydata, stories, workspaces
from bot.services.context import Identity
from tests.support.onboarding import onboard

# Names that a byte-wise or ASCII-only lowercase would order otherwise than Python's str.lower().
NAMES = ("anna", "bo", "cia", "dan", "eva", "åsa", "Åke", "örjan", "Östen", "ärla", "zoe", "Zelda", "yngve",
         "xena")
PEOPLE = [Identity("test", "guild-1", name, name, "Testgruppen") for name in NAMES]
COORDINATOR = Identity("test", "guild-1", "boss", "Boss", "Testgruppen", is_admin=True)
STORY = {"title": "Tweeten gav tre kunder", "kind": "tweet", "value": "Tre nya kunder hittade oss via X.",
         "link": "https://x.com/anna/status/1", "visibility": "group"}


async def board_recounted(app: App, who, period: str) -> str:
    """The leaderboard as it was counted before: every member on it loaded, their rows counted in Python."""
    async with app.sessionmaker() as session:
        workspace = await session.scalar(select(Workspace).where(Workspace.external_id == "guild-1"))
        assert workspace is not None
        me = await session.scalar(select(Member.id).where(Member.external_id == who.user_external_id))
        since = activity.period_start(period, app.clock.now(), workspace.timezone)
        members = list(await session.scalars(
            select(Member).join(ActivityMember, ActivityMember.member_id == Member.id)
            .where(Member.workspace_id == workspace.id, ActivityMember.leaderboard.is_(True),
                   Member.onboarded_at.is_not(None))))
        actions = Counter(await session.scalars(select(Action.member_id).where(
            Action.workspace_id == workspace.id, Action.created_at >= since)))
        shared = Counter(await session.scalars(select(Story.member_id).where(
            Story.workspace_id == workspace.id, Story.created_at >= since)))
    if not members:
        return render(text("activity.leaderboard.nobody"), "sv")
    scored = sorted(((actions[m.id] + shared[m.id], m) for m in members),
                    key=lambda pair: (-pair[0], pair[1].display_name.lower(), pair[1].id))
    ranked: list[tuple[int, int, Member]] = []
    for position, (points, member) in enumerate(scored, 1):
        if points == 0:
            break
        ranked.append((ranked[-1][0] if ranked and ranked[-1][1] == points else position, points, member))
    if not ranked:
        return render(text(f"activity.leaderboard.empty.{period}"), "sv")

    def line(rank: int, points: int, member: Member) -> Text:
        return text("activity.leaderboard.line", rank=activity.MEDALS.get(rank, f"{rank}."),
                    name=Literal(member.display_name), points=points, actions=actions[member.id],
                    stories=shared[member.id])

    lines = [line(*entry) for entry in ranked[:activity.LEADERBOARD_SHOWN]]
    lines += [text("activity.leaderboard.you", line=line(*entry))
              for entry in ranked[activity.LEADERBOARD_SHOWN:] if entry[2].id == me]
    return render(Join(tuple(lines), separator="\n"), "sv")


async def assert_boards_as_recounted(app: App, *asking) -> None:
    for who in asking:
        for period in activity.Period:
            reply = await app.run(who, activity.leaderboard, period=period)
            assert render(reply.body, "sv") == await board_recounted(app, who, period.value), (who, period)


async def stats_recounted(app: App, who) -> tuple[str, str, str]:
    """/stats' counts of actions (per kind and status, this week and month) and stories, counted in Python."""
    async with app.sessionmaker() as session:
        member = await session.scalar(select(Member).where(Member.external_id == who.user_external_id))
        assert member is not None
        workspace = await session.get_one(Workspace, member.workspace_id)
        rows = (await session.execute(select(Action.kind, Action.status, Action.created_at)
                                      .where(Action.member_id == member.id))).all()
        own = list(await session.scalars(select(Story.id).where(Story.member_id == member.id)))
        applause = len(list(await session.scalars(select(StoryApplause.id)
                                                  .where(StoryApplause.story_id.in_(own))))) if own else 0
    now, zone = app.clock.now(), workspace.timezone
    week, month = activity.period_start("week", now, zone), activity.period_start("month", now, zone)
    lines = activity.count_lines([(kind, status) for kind, status, _ in rows])
    counts = render(Join(tuple(lines), separator="\n") if lines else text("activity.stats.no_actions"), "sv")
    period = render(text("activity.stats.period", week=sum(1 for *_, at in rows if at >= week),
                         month=sum(1 for *_, at in rows if at >= month)), "sv")
    shared = render(text("activity.stats.stories", count=len(own), applause=applause), "sv")
    return counts, period, shared


async def assert_stats_as_recounted(app: App, *asking) -> None:
    for who in asking:
        reply = await app.run(who, activity.stats)
        values = tuple(render(field.value, "sv") for field in reply.fields[:3])
        assert values == await stats_recounted(app, who), who


async def test_the_counted_leaderboard_and_stats_equal_a_recount(app: App, clock: FrozenClock):
    # Tuesday 1 December: the month began today, the week yesterday.
    clock.set(datetime(2026, 12, 1, 9, tzinfo=UTC))
    for who in PEOPLE:
        await onboard(app, who)
    await assert_boards_as_recounted(app, PEOPLE[0])  # nobody on the board yet
    for who in PEOPLE[1:]:
        await app.run(who, activity.leaderboard_join)
    await assert_boards_as_recounted(app, PEOPLE[0], PEOPLE[1])  # on the board, nobody with points
    kinds = list(activity.ActivityKind)
    for number, who in enumerate(PEOPLE):
        for n in range(number % 4):
            await app.run(who, activity.did, kind=kinds[(number + n) % len(kinds)],
                          status=activity.ActivityStatus.ATTEMPTED if n == 2 else None)
    # The next week, in the same month: ties at the last place shown, the names deciding.
    clock.advance(timedelta(days=7))
    for number, who in enumerate(PEOPLE):
        if number % 3 == 0:
            await app.run(who, activity.did, kind=activity.ActivityKind.TWEET)
        if number % 5 == 1:
            await app.submit(who, stories.FORM_ID, STORY)
    await app.run(PEOPLE[0], activity.did, kind=activity.ActivityKind.MEETING)  # not on the board
    await assert_boards_as_recounted(app, *PEOPLE)
    await assert_stats_as_recounted(app, *PEOPLE[:7])

    # A deleted story and an erased member leave the counts as a recount finds them.
    async with app.sessionmaker() as session:
        story_id = await session.scalar(select(Story.id).order_by(Story.id).limit(1))
    author = await session_author(app, story_id)
    await app.press(author, stories.DELETE_CONFIRM, str(story_id))
    await app.press(PEOPLE[3], mydata.DELETE_CONFIRM, "")
    await assert_boards_as_recounted(app, *PEOPLE[4:])
    await assert_stats_as_recounted(app, *PEOPLE[4:8])

    # Leaving and joining again: the member's points go from the board and come back.
    await app.run(PEOPLE[5], activity.leaderboard_leave)
    await assert_boards_as_recounted(app, PEOPLE[5], PEOPLE[6])
    await app.run(PEOPLE[5], activity.leaderboard_join)
    await assert_boards_as_recounted(app, PEOPLE[5], PEOPLE[6])

    # Monday 00:30 in Stockholm is Sunday evening in New York: another zone moves actions to another week.
    clock.set(datetime(2026, 12, 13, 23, 30, tzinfo=UTC))
    for who in PEOPLE[4:9]:
        await app.run(who, activity.did, kind=activity.ActivityKind.TWEET)
    await assert_boards_as_recounted(app, *PEOPLE[4:])
    await app.run(COORDINATOR, workspaces.configure, timezone="America/New_York")
    await assert_boards_as_recounted(app, *PEOPLE[4:])
    clock.advance(timedelta(hours=1))
    await app.submit(PEOPLE[10], stories.FORM_ID, STORY)
    await assert_boards_as_recounted(app, *PEOPLE[4:])
    await assert_stats_as_recounted(app, *PEOPLE[4:8])


async def session_author(app: App, story_id: int | None):
    async with app.sessionmaker() as session:
        external = await session.scalar(select(Member.external_id).join(Story, Story.member_id == Member.id)
                                        .where(Story.id == story_id))
    return next(who for who in PEOPLE if who.user_external_id == external)
