"""The fake Discord refuses as Discord does: a token it does not accept (401 on REST, close 4004 on IDENTIFY),
privileged intents the application has not switched on (close 4014), a bot invited to no server, and a bot
invited without applications.commands (403 50001 for the guild's commands); the application's flags tell
which privileged intents are on."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from .fakediscord import FakeDiscord

pytestmark = pytest.mark.asyncio

GUILDS, GUILD_MEMBERS, GUILD_MESSAGES = 1 << 0, 1 << 1, 1 << 9
MESSAGE_CONTENT = 1 << 15
# The application flags of switched-on privileged intents (an unverified application's: the _LIMITED ones).
GATEWAY_GUILD_MEMBERS_LIMITED, GATEWAY_MESSAGE_CONTENT_LIMITED = 1 << 15, 1 << 19

Identify = Callable[..., Awaitable[tuple[aiohttp.ClientWebSocketResponse, list[dict[str, Any]]]]]


@pytest_asyncio.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as opened:
        yield opened


async def get(session: aiohttp.ClientSession, fake: FakeDiscord, path: str, token: str = "fake-token"
              ) -> tuple[int, Any]:
    async with session.get(fake.api_base + path, headers={"Authorization": f"Bot {token}"}) as response:
        return response.status, json.loads(await response.text() or "null")


async def identify(session: aiohttp.ClientSession, fake: FakeDiscord, *, token: str = "fake-token",
                   intents: int = GUILDS) -> tuple[int | None, str, list[dict[str, Any]]]:
    """IDENTIFY and read until the fake closes the socket or has sent what follows READY; return the close
    code (None while open), its reason, and the dispatches."""
    dispatches: list[dict[str, Any]] = []
    async with session.ws_connect(fake.gateway_url + "?v=10&encoding=json") as ws:
        await ws.receive_json()  # HELLO
        await ws.send_json({"op": 2, "d": {"token": token, "intents": intents, "properties": {}}})
        while True:
            message = await ws.receive(timeout=5)
            if message.type != aiohttp.WSMsgType.TEXT:
                return ws.close_code, str(message.extra or ""), dispatches
            dispatches.append(json.loads(message.data))
            if fake.gateway.ready.is_set() and fake.gateway.seq == len(dispatches):
                return None, "", dispatches


async def test_a_token_discord_does_not_accept_gets_401_and_the_gateway_closes_with_4004(
        make_fake_discord: Callable[..., Awaitable[FakeDiscord]], session: aiohttp.ClientSession):
    fake = await make_fake_discord(tokens={"the-right-one"})

    assert (await get(session, fake, "/users/@me", "a-wrong-one")) == (
        401, {"message": "401: Unauthorized", "code": 0})
    status, me = await get(session, fake, "/users/@me", "the-right-one")
    assert status == 200 and me["id"] == str(fake.bot_user_id)
    code, reason, dispatches = await identify(session, fake, token="a-wrong-one")
    assert (code, reason, dispatches) == (4004, "Authentication failed.", [])
    assert fake.gateway.refused_identifies == 1 and fake.identifies == 0


async def test_privileged_intents_not_switched_on_close_the_gateway_with_4014(
        make_fake_discord: Callable[..., Awaitable[FakeDiscord]], session: aiohttp.ClientSession):
    fake = await make_fake_discord(enabled_intents=MESSAGE_CONTENT)

    code, reason, _ = await identify(session, fake, intents=GUILDS | GUILD_MEMBERS)
    assert (code, reason) == (4014, "Disallowed intent(s).")
    # Intents that are not privileged, and a privileged one that is on, are let in.
    code, _, dispatches = await identify(session, fake, intents=GUILDS | GUILD_MESSAGES | MESSAGE_CONTENT)
    assert code is None and [d["t"] for d in dispatches] == ["READY", "GUILD_CREATE"]


async def test_the_application_flags_tell_which_privileged_intents_are_on(
        make_fake_discord: Callable[..., Awaitable[FakeDiscord]], session: aiohttp.ClientSession):
    members_only = await make_fake_discord(enabled_intents=GUILD_MEMBERS)
    none = await make_fake_discord(enabled_intents=0)

    _, application = await get(session, members_only, "/oauth2/applications/@me")
    assert application["flags"] == GATEWAY_GUILD_MEMBERS_LIMITED
    _, application = await get(session, none, "/oauth2/applications/@me")
    assert application["flags"] & (GATEWAY_GUILD_MEMBERS_LIMITED | GATEWAY_MESSAGE_CONTENT_LIMITED) == 0


async def test_a_bot_invited_to_no_server_is_ready_with_no_guild(
        make_fake_discord: Callable[..., Awaitable[FakeDiscord]], session: aiohttp.ClientSession):
    fake = await make_fake_discord(in_guild=False)

    code, _, dispatches = await identify(session, fake)
    assert code is None and [d["t"] for d in dispatches] == ["READY"]
    assert dispatches[0]["d"]["guilds"] == []
    assert (await get(session, fake, "/users/@me/guilds")) == (200, [])
    status, error = await get(session, fake, f"/guilds/{fake.guild_id}/roles")
    assert (status, error["code"]) == (403, 50001)


async def test_the_guild_lists_the_bot_in_it_with_its_permissions(
        fake_discord: FakeDiscord, session: aiohttp.ClientSession):
    status, [guild] = await get(session, fake_discord, "/users/@me/guilds")

    assert status == 200 and guild["id"] == str(fake_discord.guild_id)
    assert int(guild["permissions"]) & (1 << 28)  # Manage Roles, from the bot's role


async def test_a_bot_invited_without_applications_commands_may_not_register_the_guilds_commands(
        make_fake_discord: Callable[..., Awaitable[FakeDiscord]], session: aiohttp.ClientSession):
    fake = await make_fake_discord(refuse_commands=True)
    command = [{"name": "hej", "description": "Säg hej", "type": 1}]
    headers = {"Authorization": "Bot fake-token"}

    guild_path = f"{fake.api_base}/applications/{fake.application_id}/guilds/{fake.guild_id}/commands"
    async with session.put(guild_path, json=command, headers=headers) as response:
        assert (response.status, await response.json()) == (403, {"message": "Missing Access", "code": 50001})
    global_path = f"{fake.api_base}/applications/{fake.application_id}/commands"
    async with session.put(global_path, json=command, headers=headers) as response:
        assert response.status == 200
    assert fake.commands() and not fake.commands(guild=True)
