"""Fixtures for end-to-end tests against the fake Discord server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Generator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from .botprocess import BotProcess, checked_bot
from .fakediscord import FakeDiscord


@pytest_asyncio.fixture
async def fake_discord() -> AsyncIterator[FakeDiscord]:
    """Run a default FakeDiscord on 127.0.0.1 (ephemeral port) for one test."""
    fake = FakeDiscord(host="127.0.0.1", port=0)
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


@pytest_asyncio.fixture
async def make_fake_discord() -> AsyncIterator[Callable[..., Awaitable[FakeDiscord]]]:
    """Start FakeDiscords with custom settings (e.g. tight rate limits); all are stopped after the test."""
    started: list[FakeDiscord] = []

    async def make(**settings: Any) -> FakeDiscord:
        fake = FakeDiscord(host="127.0.0.1", port=0, **settings)
        await fake.start()
        started.append(fake)
        return fake

    try:
        yield make
    finally:
        for fake in started:
            await fake.stop()


@pytest_asyncio.fixture
async def jobbbot(fake_discord: FakeDiscord, tmp_path: Path) -> AsyncIterator[BotProcess]:
    """The real bot against the fake, checked for misbehaviour when the scenario ends."""
    async with checked_bot(fake_discord, tmp_path / "bot") as bot:
        yield bot


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]
                              ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Show the bot's output under a failed scenario (a failed start or final check already includes it)."""
    report = yield
    bot = getattr(item, "funcargs", {}).get("jobbbot")
    if report.failed and report.when == "call" and isinstance(bot, BotProcess) and bot.runs:
        report.sections.append(("bot output", bot.output()))
    return report
