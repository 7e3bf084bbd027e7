"""The watcher's tests serve a municipality's site from this machine (tests/support/local_server.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.support.local_server import LocalServer, serving


@pytest.fixture
async def server() -> AsyncIterator[LocalServer]:
    async with serving() as local:
        yield local
