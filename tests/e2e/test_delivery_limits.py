"""The real delivery path under Discord's global rate limit: a JobbBot logged into the fake (in this
process), its App's Dispatcher and DiscordNotifier, and discord.py's HTTP client.

bench/fanout_discord.py measures the same path at 2,000 to 20,000 members; these tests keep its promises in
CI: nothing lost, nothing doubled, a member written to before costs one request, not two; paced below the
limit, a fan-out gets no 429 while interactions are still answered at once; and the 429s that a pace above
the limit provokes are ridden out.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import reminders
from bot.contributions import Feature
from bot.discordbot.bot import JobbBot
from bot.discordbot.notifier import DiscordNotifier
from bot.discordbot.ratelimits import BoundedHTTPClient
from bot.models import Delivery, Member, Reminder
from bot.replies import Reply, text
from tests.support.features import plus

from .fakediscord import FakeDiscord, MemberSpec, RateLimitConfig
from .seeding import bot_in_process

pytestmark = [pytest.mark.asyncio, pytest.mark.e2e]

KIND = "e2e.everyone"
# More members than the 128 DM channels discord.py remembers by itself.
MEMBERS = [MemberSpec(f"m{i:03d}") for i in range(150)]
WAIT = 30.0


async def _everyone(session: AsyncSession, reminder: Reminder, now: datetime) -> list[reminders.Planned]:
    """Plan one DM to every member of the workspace."""
    ids = await session.scalars(select(Member.id).where(Member.workspace_id == reminder.workspace_id))
    # The welcome's text with its parameters (a catalog text without them is logged as an error).
    welcome = text("onboarding.welcome.body", name="", days=30, languages="")
    return [reminders.Planned(Reply(body=welcome, private=False), member_id=member_id) for member_id in ids]


# Like Discord's 50 a second, a limit above the Dispatcher's 8 sends at a time: what one global 429 holds back
# fits in the next window. The bot exceeds it even on a loaded machine.
DISCORDS_PACE = RateLimitConfig(global_limit=10, global_window=0.08)
# Below the Dispatcher's pace: discord.py gives up on a request after five 429s in a row, and the Dispatcher
# must wait as long as Discord says and try again itself.
TIGHTER = RateLimitConfig(global_limit=3, global_window=0.1)
# The bot's pace (DISCORD_GLOBAL_RATE) unless a test names another: above every limit here, so that the tests
# of the 429 path meet 429s as a bot without a pacer would.
UNPACED = 10_000.0


@pytest_asyncio.fixture
async def fake(request: pytest.FixtureRequest) -> AsyncIterator[FakeDiscord]:
    """A server with a global limit (DISCORDS_PACE unless the test names another)."""
    limits = getattr(request, "param", DISCORDS_PACE)
    async with FakeDiscord(members=MEMBERS, rate_limits=limits) as server:
        yield server


@pytest.fixture
def pace(request: pytest.FixtureRequest) -> float:
    """The bot's pace in requests a second (UNPACED unless the test names another)."""
    return getattr(request, "param", UNPACED)


@pytest_asyncio.fixture
async def bot(fake: FakeDiscord, pace: float, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
              ) -> AsyncIterator[JobbBot]:
    """Run JobbBot against the fake in this process, its members known to the database."""
    async with bot_in_process(fake, tmp_path, monkeypatch, MEMBERS, features=plus(STAND_IN),
                              discord_global_rate=pace) as client:
        yield client


async def plan(bot: JobbBot, key: str) -> Reminder:
    """Plan one reminder to everyone, due now."""
    app = bot.app
    now = app.clock.now()
    async with app.sessionmaker() as session, session.begin():
        workspace_id = await session.scalar(select(Member.workspace_id).limit(1))
        assert workspace_id is not None
        return await reminders.schedule(session, workspace_id=workspace_id, kind=KIND, key=key, due_at=now,
                                        now=now)


async def fan_out(bot: JobbBot, key: str) -> int:
    """Plan one reminder to everyone, due now, and run the Dispatcher until nothing waits; return how many of
    its deliveries were sent (none may have failed or be unreachable)."""
    app = bot.app
    reminder = await plan(bot, key)
    await app.dispatcher.run_due()
    # Most go out in the first run; on a loaded machine a few may stay throttled past the Dispatcher's own
    # retries. Those wait (pending, not failed) for as long as Discord said, and the next runs send them: ours
    # here, or the bot's scheduler, which wakes the Dispatcher too (so the reports of
    # our runs do not count all).
    for _ in range(20):
        due = await app.dispatcher.next_due_at()
        wait = (due - app.clock.now()).total_seconds() if due is not None else None
        if wait is None or wait > 60:  # nothing waits out a rate limit any more
            break
        await asyncio.sleep(max(wait, 0))
        await app.dispatcher.run_due()
    async with app.sessionmaker() as session:
        statuses = Counter(
            await session.scalars(select(Delivery.status).where(Delivery.reminder_id == reminder.id))
        )
    assert set(statuses) <= {"sent"}, statuses
    return statuses["sent"]


async def test_global_429s_are_ridden_out_and_known_dm_channels_cost_one_request(fake: FakeDiscord,
                                                                                bot: JobbBot):
    assert await fan_out(bot, "first") == len(MEMBERS)

    # Two requests a member (open the DM channel, send) against 10 per 80 ms: 429s, as Discord would send.
    assert fake.rate_limited_global > 0
    assert all(len(fake.dm_messages(spec.name)) == 1 for spec in MEMBERS)  # none lost, none doubled
    opened = [r for r in fake.requests_to("POST", "/users/@me/channels") if r.status == 200]
    assert len(opened) == len(MEMBERS)

    mark = len(fake.requests)
    assert await fan_out(bot, "second") == len(MEMBERS)
    accepted = [r for r in fake.requests[mark:] if r.status != 429]
    # The bot remembers every DM channel (discord.py alone forgets all but 128): one request a message.
    assert {(r.method, r.route) for r in accepted} == {("POST", "/channels/{channel_id}/messages")}
    assert len(accepted) == len(MEMBERS)
    assert all(len(fake.dm_messages(spec.name)) == 2 for spec in MEMBERS)
    assert [r for r in fake.requests if 400 <= r.status != 429] == []
    assert fake.unknown_requests == [] and fake.internal_errors == []


@pytest.mark.parametrize("fake", [TIGHTER], indirect=True, ids=["tighter"])
async def test_a_limit_tighter_than_the_bots_pace_slows_the_fan_out_down_but_loses_nothing(fake: FakeDiscord,
                                                                                         bot: JobbBot):
    assert await fan_out(bot, "first") == len(MEMBERS)

    assert all(len(fake.dm_messages(spec.name)) == 1 for spec in MEMBERS)
    assert fake.rate_limited_global > 0
    assert [r for r in fake.requests if 400 <= r.status != 429] == []
    async with bot.app.sessionmaker() as session:
        attempts = set(await session.scalars(select(Delivery.attempts)))
    assert attempts == {1}  # the waits were Discord's pace, not failed attempts


class Killed(BaseException):
    """Stands for kill -9: not an Exception, so nothing in the bot catches it."""


@pytest.mark.parametrize("fake", [RateLimitConfig()], indirect=True, ids=["discords_limits"])
async def test_killed_mid_fan_out_and_restarted_after_discord_forgot_the_nonces(
    fake: FakeDiscord, bot: JobbBot, tmp_path: Path
):
    # Discord remembers a message's nonce for minutes only; after a longer outage only our own marks stand
    # between a restart and doubles. A crash may re-send at most the sends in flight, never a batch.
    fake.nonce_window = 0.2
    app = bot.app
    dispatcher = app.dispatcher
    mark, sends = dispatcher._mark, 0  # the test stands in for the process dying mid-write
    notifier = dispatcher.notifier
    assert notifier is not None
    send_direct = notifier.send_direct

    async def counted_send(*args, **kwargs):  # type: ignore[no-untyped-def]
        nonlocal sends
        sends += 1
        return await send_direct(*args, **kwargs)

    async def dying_mark(outcomes, now, **kwargs):  # type: ignore[no-untyped-def]
        if sends >= 60:
            raise Killed  # the process died while writing: these sends went out, and nothing says so
        return await mark(outcomes, now, **kwargs)

    notifier.send_direct, dispatcher._mark = counted_send, dying_mark  # type: ignore[method-assign]
    # A killed process runs nothing more. Its scheduler, left running, could wake the Dispatcher (its first
    # wake-up after the start may still be due) and send what the crash gave back beside the "restart" below,
    # whose resume() would then put that run's claimed rows back as never sent.
    await app.scheduler.stop()
    now = app.clock.now()
    async with app.sessionmaker() as session, session.begin():
        workspace_id = await session.scalar(select(Member.workspace_id).limit(1))
        await reminders.schedule(
            session, workspace_id=workspace_id, kind=KIND, key="killed", due_at=now, now=now
        )
    with pytest.raises(BaseException):  # noqa: B017 - the "process" dies with whatever it was doing
        await dispatcher.run_due()
    notifier.send_direct, dispatcher._mark = send_direct, mark  # type: ignore[method-assign]
    # A longer outage than the sends in flight at the crash take to arrive (on a loaded machine the server may
    # still be handling them), and than Discord remembers nonces.
    await fake.wait_idle(WAIT)
    before = len(fake.requests)
    await asyncio.sleep(0.3)

    # The restart: a new notifier (what it remembered died with the process); what was claimed and not
    # marked goes back to pending, and is sent.
    dispatcher.notifier = DiscordNotifier(bot)
    await dispatcher.resume()
    await dispatcher.run_due()

    received = Counter({spec.name: len(fake.dm_messages(spec.name)) for spec in MEMBERS})
    assert min(received.values()) == 1  # nobody lost
    assert max(received.values()) == 1  # nobody got it twice, though Discord forgot the nonces
    # Only the sends in flight at the crash were in doubt, and only those were looked up in their DMs.
    looked_up = [
        r for r in fake.requests[before:] if (r.method, r.route) == ("GET", "/channels/{channel_id}/messages")
    ]
    assert 0 < len(looked_up) <= dispatcher.concurrency
    # The DM channels opened before the crash were stored with the members: not opened again.
    reopened = [r for r in fake.requests[before:]
                if (r.method, r.route, r.status) == ("POST", "/users/@me/channels", 200)]
    assert len(reopened) <= len(MEMBERS) - 60 + dispatcher.concurrency


# Paced well below this limit (at most 7 in a window of 80 ms, of 10), which unpaced
# the bot runs into (above).
PACED = 70.0


@pytest.mark.parametrize(("fake", "pace"), [(DISCORDS_PACE, PACED)], indirect=True, ids=["paced"])
async def test_a_paced_fan_out_stays_under_the_global_limit_and_leaves_the_bucket_table_bounded(
        fake: FakeDiscord, bot: JobbBot, monkeypatch: pytest.MonkeyPatch):
    # A small bound, so that 150 DM channels go past it; the table's size is recorded each time it grows.
    monkeypatch.setattr(BoundedHTTPClient, "MAX_BUCKETS", 32)
    monkeypatch.setattr(BoundedHTTPClient, "GRACE", 0.1)
    sizes: list[int] = []
    bound = BoundedHTTPClient._try_clear_expired_ratelimits

    def recording(http: BoundedHTTPClient) -> None:
        sizes.append(len(http._buckets))  # a bucket was just added
        bound(http)

    monkeypatch.setattr(BoundedHTTPClient, "_try_clear_expired_ratelimits", recording)
    mark, paced = len(fake.requests), bot.pacer.paced

    assert await fan_out(bot, "paced") == len(MEMBERS)

    assert all(len(fake.dm_messages(spec.name)) == 1 for spec in MEMBERS)
    # Two requests a member, every one paced, and not one refused.
    assert len(fake.requests) - mark == 2 * len(MEMBERS) == bot.pacer.paced - paced
    assert fake.rate_limited == 0
    # discord.py's table would hold a bucket for every DM channel; this one stays near its bound: the buckets
    # of the last GRACE (at most 7 at this pace) and of the sends in flight come on top.
    assert sizes and max(sizes) <= 32 + int(PACED * 0.1) + 2 * bot.app.dispatcher.concurrency < len(MEMBERS)


# A pace so slow that whatever queues behind the fan-out's requests waits for seconds.
CRAWL = 2.0


@pytest.mark.parametrize(("fake", "pace"), [(RateLimitConfig(), CRAWL)], indirect=True, ids=["crawl"])
async def test_interactions_are_answered_at_once_while_a_fan_out_queues_in_the_pacer(fake: FakeDiscord,
                                                                                     bot: JobbBot):
    await fake.wait_ready(WAIT, synced=True)
    await plan(bot, "crawling")
    sending = asyncio.create_task(bot.app.dispatcher.run_due())
    try:
        for _ in range(int(WAIT / 0.01)):
            if bot.pacer.pacer.waiting >= 4:
                break
            await asyncio.sleep(0.01)
        queued, exempt = bot.pacer.pacer.waiting, bot.pacer.exempt
        assert queued >= 4

        # Five members open the onboarding form at once. Paced, their answers would queue behind the fan-out's
        # requests (two seconds or more at this pace), past Discord's 3 seconds, and be refused.
        burst = await asyncio.gather(*(fake.slash(spec.name, "onboard") for spec in MEMBERS[:5]))
        for inter in burst:
            await inter.wait_response(2 * fake.interaction_window)  # a refused answer leaves none

        assert all(inter.modal is not None for inter in burst)
        assert [r for r in fake.requests if r.route == "/interactions/{interaction_id}/{token}/callback"
                and r.status >= 400] == []
        assert bot.pacer.exempt - exempt >= len(burst)
        assert bot.pacer.pacer.waiting > 0  # the fan-out still waits its turns
    finally:
        sending.cancel()
        await asyncio.gather(sending, return_exceptions=True)


# The test's own reminder kinds, planned by a stand-in feature of the test's App.
STAND_IN = Feature("test_delivery_limits planners", planners={KIND: _everyone})
