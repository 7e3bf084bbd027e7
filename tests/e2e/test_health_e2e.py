"""The running bot's web server (WEB_PORT): ready once connected to the gateway, and /metrics counting a
slash command's first response and a welcome DM sent, as `python -m bot` runs them against the fake."""

from __future__ import annotations

import asyncio
import json
import socket
from pathlib import Path

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from .botprocess import checked_bot
from .fakediscord import FakeDiscord
from .test_scenarios import WAIT, set_up_workspace

pytestmark = [pytest.mark.asyncio, pytest.mark.e2e]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def get(port: int, path: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.get(f"http://127.0.0.1:{port}{path}") as got:
        return got.status, await got.text()


async def poll(port: int, path: str, until) -> tuple[int, str]:
    """Ask until the answer satisfies `until` (or WAIT seconds passed); return the last answer."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT
    while True:
        answer = await get(port, path)
        if until(*answer) or loop.time() > deadline:
            return answer
        await asyncio.sleep(0.1)


def value(exposition: str, name: str, **labels: str) -> float:
    for family in text_string_to_metric_families(exposition):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return sample.value
    return 0.0


async def test_the_bot_is_ready_once_connected_and_counts_a_command_and_a_dm(fake_discord: FakeDiscord,
                                                                             tmp_path: Path):
    fake = fake_discord
    port = free_port()
    async with checked_bot(fake, tmp_path / "bot", {"WEB_PORT": str(port)}):
        # Started: identified on the gateway; ready once discord.py has the guild.
        status, ready = await poll(port, "/health/ready", lambda status, _: status == 200)
        assert status == 200
        assert json.loads(ready) == {"database": "ok", "discord": "ok",
                                     "dispatcher": {"state": "ok", "lag_seconds": 0.0}}

        await set_up_workspace(fake)
        await fake.member_join(name="erik")
        await fake.wait_for_dm("erik", timeout=WAIT)
        # The dispatcher counts a run once it is complete, after the DM went out.
        status, scraped = await poll(port, "/metrics", lambda _, body: value(
            body, "jobbskaparna_deliveries_total", platform="discord", outcome="sent") >= 1)

    assert status == 200
    command = {"platform": "discord", "kind": "command"}
    assert value(scraped, "jobbskaparna_interactions_received_total", **command) == 1.0
    assert value(scraped, "jobbskaparna_interaction_first_response_seconds_count", **command) == 1.0
    # The welcome DM went out through the dispatcher.
    assert value(scraped, "jobbskaparna_deliveries_total", platform="discord", outcome="sent") >= 1.0
