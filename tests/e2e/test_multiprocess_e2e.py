"""Two bot processes, Discord's shards split between them, on one throwaway PostgreSQL, against the local
Discord-protocol server with 2 shards: the guild on shard 1 (its id puts it there), DMs at shard 0.

A coordinator starts a rapid response (a guild command: it reaches the process holding shard 1) for the
5,000 members who follow Karlskrona and want DMs. While the alert fans out, alerted members press its
button in their DMs (shard 0's process, which holds no server: it finds theirs through the database) and
other members run a command in the server (shard 1's process), all at the same moment. Every member gets
exactly one alert, each was sent once (not twice by the two processes), both processes sent part of it,
every interaction was answered in Discord's 3 seconds, and Discord's global limit was never exceeded.

Then the same with one process killed (SIGKILL) in the middle of the fan-out: the other takes over what the
dead one had claimed once its heartbeat is old enough, and still nobody gets the alert twice. A process is
dead after bot.processes.DEAD_AFTER (a minute) without a heartbeat: the test ages the killed process's last
heartbeat in the database instead of waiting, and the survivor's next heartbeat finds it dead.

Discord's global limit (50 requests a second) would make 5,000 DMs take 100 s: the fake's limit is raised for
this test to GLOBAL_LIMIT, and DISCORD_GLOBAL_RATE (the bot's budget, shared by its live processes) with it.
The members' DM channels are stored, as for members written to before: one request a DM.
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import create_async_engine

from bot import processes as processes_module
from bot.models import BotProcess as BotProcessRow
from bot.models import Follow, Member
from bot.services import follows, rapid
from tests.postgres import PostgresCluster

from .botprocess import BotProcess
from .fakediscord import FakeDiscord, Interaction, MemberSpec, Message, RateLimitConfig
from .fakediscord.gateway import shard_of
from .fakediscord.model import DEFAULT_MEMBERS
from .seeding import app_with_workspace
from .test_scenarios import sv

pytestmark = [pytest.mark.asyncio, pytest.mark.e2e]

FOLLOWERS = 5_000
# Raised from Discord's 50 a second so that the fan-out takes seconds, not minutes (see the module's doc).
GLOBAL_LIMIT = 400
# DISCORD_GLOBAL_RATE: the two processes' budget together, half the fake's limit. The fake answers in the test
# session's own event loop: late in the whole suite (never alone) its loop fell behind enough that a second's
# paced requests were counted in one window (global 429s at a budget of 300 against 400), which Discord, not
# sharing our loop, would not see. The property tested is the same: together they stay under the limit.
BOT_RATE = 200
PRESSERS = 30  # alerted members who press the alert's button in their DM (shard 0's process)
COMMANDERS = 20  # members who run /profile show in the server meanwhile (shard 1's process)
FAN_OUT_WAIT = 120.0
WAIT = 30.0
MESSAGES = re.compile(r"/channels/(\d+)/messages")


def follower(i: int) -> str:
    return f"f{i:04d}"


@pytest.fixture
def database_url(postgres: PostgresCluster, request: pytest.FixtureRequest) -> str:
    """A fresh, migrated PostgreSQL database (skipped where PostgreSQL is not installed)."""
    name = "mp_" + re.sub(r"\W", "", request.node.name)[-40:].lower()
    postgres.psql(f"CREATE DATABASE {name} TEMPLATE template_jobb")
    return postgres.url(name)


@pytest_asyncio.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    """The Discord-protocol server: 2 shards recommended, the guild on shard 1, 5,000 followers besides the
    usual members, a raised global limit."""
    members = [*DEFAULT_MEMBERS, *(MemberSpec(follower(i)) for i in range(FOLLOWERS))]
    limits = RateLimitConfig(global_limit=GLOBAL_LIMIT, global_window=1.0)
    async with FakeDiscord(members=members, rate_limits=limits, shards=2) as server:
        assert shard_of(server.guild_id, 2) == 1
        yield server


async def seed(url: str, fake: FakeDiscord, followers: int = FOLLOWERS) -> None:
    """The workspace as /setup leaves it, and the followers: onboarded, in Karlskrona, DMs wanted, their DM
    channels known (bench/fanout_processes.py seeds its runs with this too)."""
    app, _, workspace_id = await app_with_workspace(url, fake)
    try:
        now = datetime.now(UTC)
        async with app.sessionmaker() as session, session.begin():
            await session.execute(insert(Member), [
                {"workspace_id": workspace_id, "external_id": str(fake.user_id(follower(i))),
                 "display_name": follower(i), "joined_at": now, "consented_at": now, "onboarded_at": now,
                 "municipality": "karlskrona", "dm_reminders": True, "dm_open": True,
                 "dm_channel_id": str(fake.dm_channel_id(follower(i)))} for i in range(followers)])
            ids = await session.scalars(select(Member.id).where(Member.workspace_id == workspace_id,
                                                                Member.municipality == "karlskrona"))
            await session.execute(insert(Follow), [
                {"workspace_id": workspace_id, "member_id": member_id, "kind": follows.MUNICIPALITY,
                 "value": "karlskrona", "created_at": now} for member_id in ids])
    finally:
        await app.close()


class Processes:
    """The two bot processes: shard 0 on the fake's main port, shard 1 on a port of its own, so that the
    fake's records tell their requests apart."""

    def __init__(self, fake: FakeDiscord, workdir: Path, url: str, shard_1_port: int) -> None:
        common = {"DATABASE_URL": url, "DISCORD_SHARD_COUNT": "2", "DISCORD_GLOBAL_RATE": str(BOT_RATE),
                  "QUIET_HOURS_START": "0", "QUIET_HOURS_END": "0"}
        self.url = url
        self.ports = {0: fake.port, 1: shard_1_port}
        self.shard_0 = BotProcess(fake, workdir / "shard0", extra_env={**common, "DISCORD_SHARD_IDS": "0"})
        self.shard_1 = BotProcess(fake, workdir / "shard1", extra_env={
            **common, "DISCORD_SHARD_IDS": "1", **fake.env(shard_1_port)})

    def __iter__(self) -> Iterator[BotProcess]:
        return iter((self.shard_0, self.shard_1))

    def output(self) -> str:
        return "\n".join(f"=== shard {n} ===\n{process.output()}" for n, process in enumerate(self))


@pytest_asyncio.fixture
async def processes(fake: FakeDiscord, database_url: str, tmp_path: Path) -> AsyncIterator[Processes]:
    """Seed the database, then start shard 0's process (it syncs the commands) and shard 1's."""
    await seed(database_url, fake)
    both = Processes(fake, tmp_path, database_url, await fake.listen_also())
    try:
        await both.shard_0.start()
        await both.shard_1.start()
        await fake.wait_ready(WAIT, synced=True)
        yield both
    finally:
        for process in both:
            await process.stop()


class AlertCount:
    """Count the alert DMs the fake accepted, per DM channel and per port, reading each record once."""

    def __init__(self, fake: FakeDiscord, dm_channels: set[int]) -> None:
        self.fake = fake
        self.dm_channels = dm_channels
        self.requests: Counter[int] = Counter()  # successful message requests per DM channel
        self.by_port: Counter[int] = Counter()
        self._read = 0

    def update(self) -> int:
        """Read the new records; return how many DM channels got an alert request accepted."""
        records = self.fake.requests
        for recorded in records[self._read:]:
            found = MESSAGES.fullmatch(recorded.path)
            if recorded.method == "POST" and found and recorded.status == 200:
                channel = int(found.group(1))
                if channel in self.dm_channels:
                    self.requests[channel] += 1
                    self.by_port[recorded.port] += 1
        self._read = len(records)
        return len(self.requests)


def alerts_per_member(fake: FakeDiscord, dm_channels: set[int]) -> Counter[int]:
    """Count the alert messages in each follower's DM channel."""
    title = sv("rapid.alert.title")
    return Counter(m.channel_id for m in fake.world.messages.values() if m.channel_id in dm_channels
                   and not m.deleted and m.embeds and m.embeds[0].get("title") == title)


async def age_heartbeat(url: str, pid: int) -> None:
    """Age a process's last heartbeat past bot.processes.DEAD_AFTER, as if that much time had passed."""
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            aged = await connection.execute(
                update(BotProcessRow).where(BotProcessRow.pid == pid)
                .values(heartbeat_at=datetime.now(UTC) - processes_module.DEAD_AFTER - timedelta(seconds=1)))
        assert aged.rowcount == 1
    finally:
        await engine.dispose()


async def start_rapid_response(fake: FakeDiscord) -> Interaction:
    """The owner starts a rapid response for Karlskrona's followers: a guild command, at shard 1."""
    started = await fake.slash("owner", "rapid-admin start", {
        "link": "https://x.com/kommunalrad/status/1234",
        "ask": "Svara kommunalrådet: vad betyder parkeringen för din butik?",
        "deadline": "2h", "municipality": "karlskrona"})
    answer = await started.wait_reply(WAIT)
    assert answer.embeds[0]["title"] == sv("rapid.started.title"), answer
    return started


async def wait_for_alert(fake: FakeDiscord, name: str) -> Message:
    title = sv("rapid.alert.title")
    return await fake.wait_for_dm(name, lambda m: bool(m.embeds) and m.embeds[0].get("title") == title,
                                  FAN_OUT_WAIT)


async def press_when_alerted(fake: FakeDiscord, name: str) -> Interaction:
    """Press the alert's button in the DM as soon as it arrives (a DM interaction: shard 0)."""
    alert = await wait_for_alert(fake, name)
    done = next(c for c in alert.custom_ids() if c.startswith(f"jb:{rapid.DONE_ACTION}:"))
    return await fake.press(name, alert, custom_id=done)


async def answered_in_time(interaction: Interaction) -> dict[str, Any]:
    """The interaction's first response; the fake refuses one that comes after Discord's 3 seconds."""
    return await interaction.wait_response(WAIT)


async def test_two_processes_share_a_fan_out_to_5000_and_answer_interactions_at_both(
        fake: FakeDiscord, processes: Processes):
    dm_channels = {fake.dm_channel_id(follower(i)) for i in range(FOLLOWERS)}
    count = AlertCount(fake, dm_channels)

    await start_rapid_response(fake)
    # Meanwhile: presses in DMs (shard 0) and commands in the server (shard 1), all at once.
    pressed, commanded = await asyncio.gather(
        asyncio.gather(*(press_when_alerted(fake, follower(i))
                         for i in range(0, FOLLOWERS, FOLLOWERS // PRESSERS))),
        asyncio.gather(*(fake.slash(follower(i), "profile show") for i in range(1, COMMANDERS * 7, 7))),
    )
    responses = await asyncio.gather(*(answered_in_time(i) for i in (*pressed, *commanded)))
    await processes.shard_0.wait(lambda: count.update() == FOLLOWERS, FAN_OUT_WAIT,
                                 "every follower's alert to be sent")

    thanks = [r["data"].get("content") for r in responses[:len(pressed)]]
    assert thanks == [sv("rapid.press.thanks")] * len(pressed)
    assert all(r["data"]["embeds"] for r in responses[len(pressed):])  # each member's profile
    assert set(alerts_per_member(fake, dm_channels).values()) == {1}  # every member exactly one alert
    assert set(count.requests.values()) == {1}  # each sent once: no process sent another's delivery
    assert set(count.by_port) == set(processes.ports.values()), count.by_port  # both sent part of it
    assert fake.rate_limited_global == 0
    for process in processes:
        assert process.problems() == [], processes.output()


async def test_a_process_killed_mid_fan_out_leaves_the_rest_to_the_other_and_nobody_gets_two(
        fake: FakeDiscord, processes: Processes):
    dm_channels = {fake.dm_channel_id(follower(i)) for i in range(FOLLOWERS)}
    count = AlertCount(fake, dm_channels)

    await start_rapid_response(fake)
    await processes.shard_0.wait(lambda: count.update() >= FOLLOWERS // 5, FAN_OUT_WAIT,
                                 "a fifth of the alerts to be sent")
    killed = processes.shard_1.current.process.pid
    await processes.shard_1.kill()
    await age_heartbeat(processes.url, killed)
    await processes.shard_0.wait(lambda: count.update() == FOLLOWERS, FAN_OUT_WAIT,
                                 "the survivor to send every remaining alert")

    # A DM in flight when the process died may have been sent twice (asked with find_sent, or repeated with
    # its nonce): Discord keeps one message, and so does every member.
    assert set(alerts_per_member(fake, dm_channels).values()) == {1}
    assert count.by_port[processes.ports[1]] > 0 and count.by_port[processes.ports[0]] > 0
    assert fake.rate_limited_global == 0
    assert processes.shard_0.problems() == [], processes.output()
