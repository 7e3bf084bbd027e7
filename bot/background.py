"""A task that runs in the background until it is stopped: the process registry's heartbeat, the listener for
other processes' wake-ups, the scheduled backups."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine
from typing import Any


class Background:
    """One task at a time, made by `run` at start(); stop() cancels it and waits until it has ended (its
    cancellation is the stop asked for, not an error)."""

    def __init__(self, name: str, run: Callable[[], Coroutine[Any, Any, None]]) -> None:
        self._name = name
        self._run = run
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        """Tell whether the task runs (started and not ended)."""
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        """Start the task, unless it runs already."""
        if not self.running:
            self._task = asyncio.create_task(self._run(), name=self._name)

    async def stop(self) -> None:
        """Cancel the task and wait for it to end."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
