"""Stopping on SIGINT and SIGTERM, as every runner (Discord, Slack, both) does."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest

from bot.platforms import stop_signals

pytestmark = pytest.mark.asyncio


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
async def test_a_stop_signal_calls_the_handler_and_the_handler_goes_with_the_block(signum: signal.Signals):
    received: list[signal.Signals] = []
    got = asyncio.Event()

    def handler(number: signal.Signals) -> None:
        received.append(number)
        got.set()

    with stop_signals(handler):
        os.kill(os.getpid(), signum)
        await asyncio.wait_for(got.wait(), 5)

    assert received == [signum]
    # Left behind, the handler would swallow the next signal; removing it again finds nothing.
    assert asyncio.get_running_loop().remove_signal_handler(signum) is False
