"""Fallbacks: members whose DMs are refused are named in a channel, in messages within the platform's limits,
stored as deliveries (a crash loses none), not pinged twice by a stage, and the coordinators hear of a
fallback that does not get through."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, insert, select

from bot import delivery, reminders
from bot.app import App
from bot.clock import FrozenClock
from bot.contributions import Feature
from bot.delivery import MAX_ATTEMPTS
from bot.discordbot.render import MAX_CONTENT, message_kwargs
from bot.i18n import render
from bot.models import Delivery, Member, Reminder, Workspace
from bot.platforms import (
    DISCORD_MENTIONS,
    SLACK_MENTIONS,
    MentionLimits,
    mention_limits,
)
from bot.replies import Channel, Literal, Reply, Role
from bot.services import failures
from bot.services.context import get_or_create_workspace
from bot.slack import render as slack_render
from tests.conftest import RecordingNotifier, Sent
from tests.slack.texts import slack_text
from tests.support.features import plus

BROADCAST = "test.fallback.broadcast"
STAGE = "test.fallback.stage"


async def _plan_broadcast(session, reminder, now):  # type: ignore[no-untyped-def]
    members = await session.scalars(select(Member.id).where(Member.workspace_id == reminder.workspace_id)
                                    .order_by(Member.id))
    reply = Reply(body=Literal("Omröstningen är i morgon."), private=False)
    return [reminders.Planned(reply, member_id=member_id) for member_id in members]


async def _plan_stage(session, reminder, now):  # type: ignore[no-untyped-def]
    """As a countdown stage: one post pinging the member role, and the same call by DM to some members."""
    members = await session.scalars(select(Member.id).where(Member.workspace_id == reminder.workspace_id)
                                    .order_by(Member.id))
    call = Reply(body=Literal("Tre dagar kvar: mejla politikerna."), private=False)
    post = Reply(body=call.body, private=False, mention_role=Role.MEMBER)
    return [
        reminders.Planned(post, channel=Channel.ANNOUNCEMENTS),
        *(
            reminders.Planned(call, member_id=member_id, channel=Channel.ANNOUNCEMENTS)
            for member_id in members
        ),
    ]


async def _workspace(app: App, platform: str, ids: list[str], names: list[str] | None = None) -> int:
    """A workspace of a platform, set up, with members of these platform ids."""
    now = app.clock.now()
    async with app.sessionmaker() as session, session.begin():
        workspace = await get_or_create_workspace(session, platform, "9" * 18, "Testgruppen", now)
        workspace.announcement_channel_id, workspace.coordinator_channel_id = "101", "102"
        workspace.member_role_id = "103"
        await session.execute(insert(Member), [
            {"workspace_id": workspace.id, "external_id": external_id, "joined_at": now,
             "display_name": names[number] if names else ""} for number, external_id in enumerate(ids)])
        return workspace.id


async def _schedule(app: App, workspace_id: int, kind: str, key: str = "1") -> int:
    now = app.clock.now()
    async with app.sessionmaker() as session, session.begin():
        reminder = await reminders.schedule(
            session, workspace_id=workspace_id, kind=kind, key=key, due_at=now, now=now
        )
        return reminder.id


async def _closed_dms_due(app: App, notifier: RecordingNotifier, platform: str, ids: list[str], kind: str,
                          names: list[str] | None = None) -> tuple[int, int]:
    """A workspace whose members (of these ids) all have closed DMs, and a reminder of `kind` due to them now;
    return the workspace's and the reminder's ids."""
    workspace_id = await _workspace(app, platform, ids, names)
    notifier.closed |= set(ids)
    return workspace_id, await _schedule(app, workspace_id, kind)


def _discord_ids(count: int, digits: int = 18) -> list[str]:
    return [str(10 ** (digits - 1) + number) for number in range(count)]


def _fallbacks(notifier: RecordingNotifier, channel: Channel = Channel.ANNOUNCEMENTS) -> list[Sent]:
    return [s for s in notifier.to(f"channel:{channel}") if s.reply.mentions]


async def _rows(app: App, *where: Any) -> list[Delivery]:
    async with app.sessionmaker() as session:
        return list(await session.scalars(select(Delivery).where(*where).order_by(Delivery.id)))


def test_mentions_are_split_into_the_fewest_runs_that_fit():
    limits = MentionLimits(users=3, characters=20)

    # "<@1> <@22> <@333>" is 16 characters and three users; "<@4444> <@55555>" is 16 too.
    # "<@123> <@456>" is 13.
    assert limits.split(["1", "22", "333", "4444", "55555"]) == [("1", "22", "333"), ("4444", "55555")]
    assert MentionLimits(users=None, characters=13).split(["123", "456", "789"]) == [("123", "456"), ("789",)]
    assert MentionLimits(users=None, characters=None).split(["a"] * 500) == [("a",) * 500]
    assert limits.split([]) == []


def test_the_platform_limits_are_the_renderers_own():
    assert DISCORD_MENTIONS.characters == MAX_CONTENT
    assert SLACK_MENTIONS.characters == slack_render.MAX_SECTION_TEXT
    assert mention_limits("discord") is DISCORD_MENTIONS and mention_limits("slack") is SLACK_MENTIONS
    assert mention_limits("console").users is None


@pytest.mark.parametrize(("digits", "per_message"), [(19, 87), (3, 100)], ids=["snowflakes", "short_ids"])
async def test_250_members_with_closed_dms_are_named_once_each_in_messages_discord_takes(
        app: App, clock: FrozenClock, notifier: RecordingNotifier, digits: int, per_message: int):
    ids = _discord_ids(250, digits)
    await _closed_dms_due(app, notifier, "discord", ids, BROADCAST)

    await app.dispatcher.run_due()

    posts = _fallbacks(notifier)
    # Long ids fill the 2,000 characters first (87 of 22 characters and a space); short ones the 100 ids.
    assert sorted(len(p.reply.mentions) for p in posts) == sorted(
        [per_message, per_message, 250 - 2 * per_message]
    )
    assert sorted(m for p in posts for m in p.reply.mentions) == sorted(ids)
    for post in posts:
        kwargs = message_kwargs(post.reply, "sv", ephemeral=False)
        assert len(kwargs["content"]) <= 2000
        assert len(kwargs["allowed_mentions"].to_dict()["users"]) <= 100
        assert all(f"<@{m}>" in kwargs["content"] for m in post.reply.mentions)
        assert "Omröstningen är i morgon." in post.text
    # Each is a delivery of its own, sent and marked like any other.
    stored = await _rows(app, Delivery.key.contains(delivery.FALLBACK_MARK))
    assert sorted((row.status, row.member_id, tuple(row.message["mentions"])) for row in stored) == sorted(
        ("sent", None, post.reply.mentions) for post in posts)


async def test_on_slack_the_mentions_of_a_message_fit_one_section(app: App, notifier: RecordingNotifier):
    ids = [f"U{number:010d}" for number in range(250)]
    await _closed_dms_due(app, notifier, "slack", ids, BROADCAST)

    await app.dispatcher.run_due()

    posts = _fallbacks(notifier)
    assert sorted(len(p.reply.mentions) for p in posts) == [50, 200]
    for post in posts:
        message = slack_render.message(post.reply, "sv")
        assert all(len(block["text"]["text"]) <= 3000 for block in message["blocks"] if "text" in block)
        shown = slack_text(message)
        assert all(f"<@{m}>" in shown for m in post.reply.mentions)  # none clipped away


class Killed(BaseException):
    """Stands for kill -9: not an Exception, so nothing in the bot catches it."""


async def test_a_crash_after_the_dms_were_marked_still_names_everyone_after_the_restart(
        app: App, notifier: RecordingNotifier, monkeypatch: pytest.MonkeyPatch):
    ids = _discord_ids(120)
    await _closed_dms_due(app, notifier, "discord", ids, BROADCAST)
    dispatcher = app.dispatcher

    async def dies(*args: Any, **kwargs: Any) -> None:
        raise Killed

    monkeypatch.setattr(dispatcher, "_reach_in_channel", dies)
    with pytest.raises(Killed):
        await dispatcher.run_due()
    monkeypatch.undo()
    dms = await _rows(app, Delivery.member_id.is_not(None))
    assert {(row.status, row.sent_at) for row in dms} == {("unreachable", None)}  # marked, no fallback yet
    assert _fallbacks(notifier) == []

    await dispatcher.resume()
    await dispatcher.run_due()
    await dispatcher.run_due()  # and once more: nothing is named twice

    assert sorted(m for p in _fallbacks(notifier) for m in p.reply.mentions) == sorted(ids)
    assert len(_fallbacks(notifier)) == 2


async def test_a_crash_after_the_fallbacks_were_stored_sends_them_after_the_restart(
        app: App, notifier: RecordingNotifier, monkeypatch: pytest.MonkeyPatch):
    ids = _discord_ids(3)
    await _closed_dms_due(app, notifier, "discord", ids, BROADCAST)
    dispatcher = app.dispatcher
    store = dispatcher._store_fallbacks  # the test stands in for the process dying right after it

    async def stores_then_dies(*args: Any, **kwargs: Any) -> list[int]:
        stored = await store(*args, **kwargs)
        if stored:
            raise Killed
        return stored

    monkeypatch.setattr(dispatcher, "_store_fallbacks", stores_then_dies)
    with pytest.raises(Killed):
        await dispatcher.run_due()
    monkeypatch.undo()
    [stored] = await _rows(app, Delivery.key.contains(delivery.FALLBACK_MARK))
    assert stored.status == "pending"

    await dispatcher.resume()
    await dispatcher.run_due()

    [post] = _fallbacks(notifier)
    assert post.reply.mentions == tuple(ids)
    assert (await _rows(app, Delivery.id == stored.id))[0].status == "sent"


async def test_a_stages_fallback_names_members_without_pinging_the_role_again(app: App,
                                                                             notifier: RecordingNotifier):
    ids = _discord_ids(2)
    await _closed_dms_due(app, notifier, "discord", ids, STAGE)

    await app.dispatcher.run_due()

    role_post, fallback = notifier.to("channel:announcements")
    assert role_post.reply.mention_role is Role.MEMBER and not role_post.reply.mentions
    assert fallback.reply.mentions == tuple(ids)
    # The stage's post pinged the member role: its holders are named here but not pinged again (the notifier
    # leaves them out of the ping where the platform can tell who holds the role).
    assert fallback.reply.already_pinged is Role.MEMBER
    assert fallback.reply.mention_role is None


async def test_when_the_stages_post_did_not_go_out_the_fallback_pings_everyone_it_names(
        app: App, notifier: RecordingNotifier, monkeypatch: pytest.MonkeyPatch):
    ids = _discord_ids(2)
    await _closed_dms_due(app, notifier, "discord", ids, STAGE)
    post = notifier.post

    async def role_post_fails(
        workspace: Workspace, channel: Channel, reply: Reply, **kwargs: Any
    ) -> str | None:
        if reply.mention_role is not None:
            raise TimeoutError
        return await post(workspace, channel, reply, **kwargs)

    monkeypatch.setattr(notifier, "post", role_post_fails)
    await app.dispatcher.run_due()

    [fallback] = _fallbacks(notifier)
    assert fallback.reply.already_pinged is None


async def _run_until_settled(app: App, clock: FrozenClock) -> None:
    """Run the dispatcher at each time something falls due, until nothing does (retries included)."""
    await app.dispatcher.run_due()
    for _ in range(4 * MAX_ATTEMPTS):
        due = await app.dispatcher.next_due_at()
        if due is None:
            return
        clock.set(max(due, clock.now()))
        await app.dispatcher.run_due()


async def test_a_fallback_that_fails_for_good_tells_the_coordinators_whom_it_did_not_reach(
        app: App, clock: FrozenClock, notifier: RecordingNotifier, monkeypatch: pytest.MonkeyPatch):
    ids = _discord_ids(2)
    workspace_id, reminder_id = await _closed_dms_due(
        app, notifier, "discord", ids, BROADCAST, names=["Anna", "Cia"]
    )
    post = notifier.post
    tries = 0

    async def announcements_down(
        workspace: Workspace, channel: Channel, reply: Reply, **kwargs: Any
    ) -> str | None:
        nonlocal tries
        if channel is Channel.ANNOUNCEMENTS:
            tries += 1
            raise ConnectionResetError("the platform is down")
        return await post(workspace, channel, reply, **kwargs)

    monkeypatch.setattr(notifier, "post", announcements_down)
    await app.dispatcher.run_due()
    assert notifier.to("channel:coordinators") == []  # one failed try is retried, not reported

    await _run_until_settled(app, clock)

    assert tries == MAX_ATTEMPTS  # retried with backoff like any delivery
    [notice] = notifier.to("channel:coordinators")
    assert notice.text == ("⚠️ Medlemmar som inte nåddes (2)\n"
                           "De har stängda DM, och meddelandet som skulle nämna dem i #101 gick inte fram: "
                           "Discord svarade inte. Nå dem gärna på annat sätt.\nAnna, Cia")
    assert notice.reply.mentions == ()  # named, not pinged
    # The digest and /report list each member as reached neither way, with why.
    async with app.sessionmaker() as session:
        workspace = await session.get_one(Workspace, workspace_id)
        reminder = await session.get_one(Reminder, reminder_id)
        found = await failures.summary(session, workspace, reminder.due_at, clock.now() + timedelta(days=1))
    assert [render(failures.line(f), "sv") for f in found] == [
        f"Påminnelse ({BROADCAST}) till {name}: DM stängda, och omnämnandet i #101 gick inte heller fram: "
        "Discord svarade inte" for name in ("Anna", "Cia")]


async def test_a_fallback_the_channel_does_not_take_is_reported_at_once_and_a_failing_notice_stops_there(
        app: App, clock: FrozenClock, notifier: RecordingNotifier, monkeypatch: pytest.MonkeyPatch):
    ids = _discord_ids(1)
    await _closed_dms_due(app, notifier, "discord", ids, BROADCAST, names=["Anna"])
    coordinator_tries = 0

    async def nowhere(workspace: Workspace, channel: Channel, reply: Reply, **kwargs: Any) -> str | None:
        nonlocal coordinator_tries
        if channel is Channel.COORDINATORS:
            coordinator_tries += 1
            raise ConnectionResetError("the platform is down")
        return None  # as the notifiers say when a channel is not set up, gone, or closed to the bot

    monkeypatch.setattr(notifier, "post", nowhere)
    await app.dispatcher.run_due()

    [fallback] = await _rows(app, Delivery.key.contains(delivery.FALLBACK_MARK))
    assert (fallback.status, fallback.attempts) == ("failed", 1)  # a refusal is not tried again
    assert coordinator_tries == 1  # the coordinators are told in the same run

    await _run_until_settled(app, clock)

    notices = await _rows(app, Delivery.key.startswith(delivery.UNREACHED_PREFIX))
    assert [(n.status, n.attempts) for n in notices] == [("failed", MAX_ATTEMPTS)]
    assert coordinator_tries == MAX_ATTEMPTS  # the notice failed too: nothing more is sent about it
    assert "är inte vald, finns inte längre eller är stängd för boten" in render(
        delivery.reply_from_json(notices[0].message).body, "sv")
    async with app.sessionmaker() as session:
        count = await session.scalar(select(func.count()).select_from(Delivery))
    assert count == 3  # the DM, its fallback and one notice


# The test's own reminder kinds, planned by a stand-in feature of the test's App.
STAND_IN = Feature("test_fallbacks planners", planners={BROADCAST: _plan_broadcast, STAGE: _plan_stage})


@pytest.fixture
def features() -> tuple[Feature, ...]:
    """The bot's features and the stand-in that plans this module's reminder kinds."""
    return plus(STAND_IN)
