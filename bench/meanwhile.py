"""What the benches do beside a fan-out: a member logs an action every 50 ms, as members do while the bot
plans for everyone; each call's wall time and each failure are kept (a locked database is what they look
for)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

INTERVAL = 0.05  # seconds between a member's /did calls


async def log_actions(app: Any, member: Any, done: asyncio.Event, latencies: list[float],
                      failures: list[str]) -> None:
    """Call /did as `member` every INTERVAL until `done` is set; append each call's wall time and failure."""
    from bot.services import activity

    while not done.is_set():
        start = time.perf_counter()
        try:
            await app.run(member, activity.did, kind=activity.ActivityKind.TWEET)
        except Exception as error:  # noqa: BLE001 - counted and shown: a locked database is what we look for
            failures.append(type(error).__name__ + ": " + str(error).splitlines()[0][:80])
        latencies.append(time.perf_counter() - start)
        await asyncio.sleep(INTERVAL)
