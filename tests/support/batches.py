"""Watching a fan-out planned in batches (reminders.InBatches) in a test: how many recipients each batch
planned, a write that commits while a batch is planned, and a stop between two batches."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable
from datetime import datetime

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from bot import reminders
from bot.app import App
from bot.delivery import Dispatcher
from bot.models import Member, Reminder


class Crash(Exception):
    """The bot stopping in the middle of a fan-out."""


def watch_batches(monkeypatch: pytest.MonkeyPatch, after_batch: Callable[[int], Awaitable[None]]
                  ) -> list[int]:
    """Count the members each batch of every fan-out in batches plans (in the order they are planned), and
    call `after_batch(number)` (from 1) after each batch was planned, before it is written."""
    sizes: list[int] = []
    fan_out = Dispatcher._fan_out_in_batches

    async def watched(dispatcher: Dispatcher, reminder: Reminder, batches: reminders.InBatches,
                      now: datetime) -> None:
        plan = batches.batch

        async def counted(session: AsyncSession, after: int) -> tuple[list[reminders.Planned], int | None]:
            planned, cursor = await plan(session, after)
            sizes.append(len([p for p in planned if p.member_id is not None]))
            await after_batch(len(sizes))
            return planned, cursor

        await fan_out(dispatcher, reminder, dataclasses.replace(batches, batch=counted), now)

    monkeypatch.setattr(Dispatcher, "_fan_out_in_batches", watched)
    return sizes


def writing_meanwhile(app: App) -> Callable[[int], Awaitable[None]]:
    """After each batch: a member's command writes and commits at once (the batch holds no write lock)."""

    async def write(_number: int) -> None:
        async with app.sessionmaker() as other, other.begin():
            await asyncio.wait_for(other.execute(update(Member).where(Member.id == -1).values(language="sv")),
                                   timeout=2)

    return write


def stopping_after(first: int, stop: type[BaseException]) -> Callable[[int], Awaitable[None]]:
    """After the batch numbered `first` was planned (not yet written): the bot stops (`stop` is raised)."""

    async def maybe_stop(number: int) -> None:
        if number == first:
            raise stop

    return maybe_stop
