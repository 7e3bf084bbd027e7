"""Fixtures for end-to-end tests against the fake Discord server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest_asyncio

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
