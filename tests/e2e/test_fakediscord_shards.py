"""The fake Discord server's shards: one gateway session per shard, a guild's events at the shard
``(guild_id >> 22) % count``, DMs at shard 0, and Discord's refusals of shards that cannot be.

The default guild's id puts it on shard 1 of 2, so with two shards the guild is on shard 1 and shard 0
gets only the DMs, as a process holding shard 0 of a bot with its server on shard 1 would.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import discord
import pytest
import pytest_asyncio
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from .fakediscord import FakeDiscord
from .fakediscord.gateway import shard_of
from .rawgateway import GatewayRecorder

pytestmark = pytest.mark.asyncio

ALL_INTENTS = discord.Intents.all().value
PING = {"name": "ping", "description": "Svarar pong", "type": 1}


class ShardClient(GatewayRecorder):
    """One raw gateway connection that identifies as one shard, and records what it is sent."""

    def __init__(self, fake: FakeDiscord, session: aiohttp.ClientSession, shard: list[int]) -> None:
        super().__init__(session, fake.gateway_url)
        self.fake = fake
        self.shard = shard

    async def connect(self) -> None:
        """Open the gateway and IDENTIFY with this shard; return without waiting for READY."""
        await self.identify({"token": "fake-token", "intents": ALL_INTENTS, "properties": {},
                             "shard": self.shard})

    async def wait_event(self, name: str, timeout: float = 5.0) -> dict[str, Any]:
        """Wait for the first dispatch called ``name`` and return it."""
        async with asyncio.timeout(timeout):
            while not self.events(name):
                await asyncio.sleep(0.01)
        return self.events(name)[0]

    async def wait_closed(self, timeout: float = 5.0) -> int | None:
        """Wait until the server closed the socket and return its close code."""
        assert self._reader is not None
        await asyncio.wait_for(self._reader, timeout)
        assert self.ws is not None
        return self.ws.close_code

    async def close(self) -> None:
        """Close the socket (if open) and stop reading."""
        await self.close_gateway()


@pytest_asyncio.fixture
async def shards() -> AsyncIterator[Callable[..., Awaitable[ShardClient]]]:
    """Connect raw shard clients (closed after the test)."""
    session = aiohttp.ClientSession(headers={"Authorization": "Bot fake-token"})
    opened: list[ShardClient] = []

    async def connect(fake: FakeDiscord, shard: list[int]) -> ShardClient:
        client = ShardClient(fake, session, shard)
        await client.connect()
        opened.append(client)
        return client

    try:
        yield connect
    finally:
        for client in opened:
            await client.close()
        await session.close()


async def register_ping(fake: FakeDiscord) -> None:
    """Register a global /ping (offered in the guild and in DMs)."""
    async with aiohttp.ClientSession(headers={"Authorization": "Bot fake-token"}) as session:
        url = f"{fake.api_base}/applications/{fake.application_id}/commands"
        async with session.put(url, json=[PING]) as response:
            assert response.status == 200, await response.text()


async def test_gateway_bot_recommends_the_configured_shard_count(make_fake_discord: Any) -> None:
    fake = await make_fake_discord(shards=3)
    async with (aiohttp.ClientSession(headers={"Authorization": "Bot fake-token"}) as session,
                session.get(fake.api_base + "/gateway/bot") as response):
        body = await response.json()

    assert body["shards"] == 3
    assert body["url"] == fake.gateway_url
    assert body["session_start_limit"]["max_concurrency"] == 1
    assert body["session_start_limit"]["remaining"] <= body["session_start_limit"]["total"]


async def test_the_guild_and_its_events_go_to_its_shard_and_dms_to_shard_0(
        make_fake_discord: Any, shards: Callable[..., Awaitable[ShardClient]]) -> None:
    fake = await make_fake_discord(shards=2)
    assert shard_of(fake.guild_id, 2) == 1  # what this test is about: the guild is not on shard 0
    shard_0, shard_1 = await shards(fake, [0, 2]), await shards(fake, [1, 2])
    await fake.wait_ready()
    await register_ping(fake)

    assert (await shard_0.wait_event("READY"))["guilds"] == []
    assert [g["id"] for g in (await shard_1.wait_event("READY"))["guilds"]] == [str(fake.guild_id)]
    assert (await shard_1.wait_event("GUILD_CREATE"))["id"] == str(fake.guild_id)
    in_guild = await fake.slash("bertil", "ping")
    in_dm = await fake.slash("bertil", "ping", dm=True)
    await fake.member_join(name="erik")

    assert (await shard_1.wait_event("GUILD_MEMBER_ADD"))["user"]["username"] == "erik"
    assert [i["id"] for i in shard_1.events("INTERACTION_CREATE")] == [str(in_guild.id)]
    assert [i["id"] for i in (shard_0.events("INTERACTION_CREATE"))] == [str(in_dm.id)]
    assert shard_0.events("GUILD_CREATE") == shard_0.events("GUILD_MEMBER_ADD") == []
    assert fake.identifies == 2


async def test_a_shard_beyond_the_count_is_closed_with_invalid_shard(
        make_fake_discord: Any, shards: Callable[..., Awaitable[ShardClient]]) -> None:
    fake = await make_fake_discord(shards=2)

    beyond = await shards(fake, [2, 2])

    assert await beyond.wait_closed() == 4010
    assert beyond.dispatches == []


async def test_too_few_shards_for_the_bots_guilds_is_closed_with_sharding_required(
        make_fake_discord: Any, shards: Callable[..., Awaitable[ShardClient]]) -> None:
    fake = await make_fake_discord(shards=2, required_shards=2)

    unsharded = await shards(fake, [0, 1])

    assert await unsharded.wait_closed() == 4011
    assert fake.identifies == 0


async def test_a_second_session_of_a_shard_takes_it_over(
        make_fake_discord: Any, shards: Callable[..., Awaitable[ShardClient]]) -> None:
    fake = await make_fake_discord(shards=2)
    await shards(fake, [0, 2])
    older = await shards(fake, [1, 2])
    await fake.wait_ready()
    await older.wait_event("GUILD_CREATE")

    newer = await shards(fake, [1, 2])
    assert await older.wait_closed() == 4000
    await newer.wait_event("GUILD_CREATE")
    await fake.member_join(name="erik")

    await newer.wait_event("GUILD_MEMBER_ADD")
    assert older.events("GUILD_MEMBER_ADD") == []


async def test_discord_py_runs_the_recommended_shards_and_sees_the_guild_on_its_shard(
        make_fake_discord: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = await make_fake_discord(shards=2)
    monkeypatch.setattr(Route, "BASE", fake.api_base)
    monkeypatch.setattr(DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(fake.gateway_url))
    client = discord.AutoShardedClient(intents=discord.Intents.default())
    task = asyncio.create_task(client.start("fake-token"))
    try:
        await asyncio.wait_for(client.wait_until_ready(), 20)
        await fake.wait_ready()

        assert client.shard_count == 2
        assert sorted(client.shards) == [0, 1]
        guild = client.get_guild(fake.guild_id)
        assert guild is not None and guild.shard_id == 1
    finally:
        await client.close()
        await asyncio.wait_for(task, 10)


async def test_a_process_running_shard_0_alone_gets_the_dms_but_not_the_guild(
        make_fake_discord: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = await make_fake_discord(shards=2)
    monkeypatch.setattr(Route, "BASE", fake.api_base)
    monkeypatch.setattr(DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(fake.gateway_url))
    client = discord.AutoShardedClient(intents=discord.Intents.default(), shard_count=2, shard_ids=[0])
    task = asyncio.create_task(client.start("fake-token"))
    try:
        await asyncio.wait_for(client.wait_until_ready(), 20)
        await fake.wait_until(fake.shards.session(0).ready.is_set, 5, "shard 0 to identify")

        assert client.get_guild(fake.guild_id) is None
        assert not fake.shards.session(1).ready.is_set()  # nobody runs shard 1 yet
    finally:
        await client.close()
        await asyncio.wait_for(task, 10)


async def test_a_second_port_serves_the_same_server_and_its_requests_are_told_apart(
        make_fake_discord: Any) -> None:
    fake = await make_fake_discord()
    other_port = await fake.listen_also()
    async with aiohttp.ClientSession(headers={"Authorization": "Bot fake-token"}) as session:
        for base in (fake.env()["DISCORD_API_BASE"], fake.env(other_port)["DISCORD_API_BASE"]):
            async with session.get(base + "/users/@me") as response:
                assert response.status == 200

    assert other_port != fake.port
    assert [r.port for r in fake.requests_to("GET", "/users/@me")] == [fake.port, other_port]
