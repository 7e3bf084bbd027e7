"""Reminder rows: what falls due when, and the planners that turn a due reminder into messages."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Reminder
from bot.replies import Channel, Reply

log = logging.getLogger(__name__)

PENDING = "pending"
FANNED_OUT = "fanned_out"
SKIPPED = "skipped"
CANCELLED = "cancelled"


@dataclass(frozen=True)
class Planned:
    """One message a due reminder sends: a DM to a member (falling back to a channel) or a channel post."""

    reply: Reply
    member_id: int | None = None
    # For a channel post: the channel. For a DM: where the member is mentioned if their DMs are closed.
    channel: Channel = Channel.ANNOUNCEMENTS


Planner = Callable[[AsyncSession, Reminder, datetime], Awaitable[list[Planned]]]
_PLANNERS: dict[str, Planner] = {}


def planner(kind: str) -> Callable[[Planner], Planner]:
    """Register the function that plans the messages of one kind of reminder."""

    def register(fn: Planner) -> Planner:
        if kind in _PLANNERS and _PLANNERS[kind] is not fn:
            raise ValueError(f"two planners for reminder kind {kind!r}")
        _PLANNERS[kind] = fn
        return fn

    return register


def planner_for(kind: str) -> Planner | None:
    """Return the planner of a kind, if any feature registered one."""
    return _PLANNERS.get(kind)


async def schedule(
    session: AsyncSession,
    *,
    workspace_id: int,
    kind: str,
    key: str,
    due_at: datetime,
    now: datetime,
    payload: dict[str, Any] | None = None,
    grace: timedelta | None = None,
) -> Reminder:
    """Create a reminder, or move a pending one with the same key; one that already fired stays as it is."""
    existing = await session.scalar(select(Reminder).where(Reminder.workspace_id == workspace_id, Reminder.key == key))
    if existing is not None:
        if existing.status in (PENDING, CANCELLED):
            existing.due_at = due_at
            existing.payload = payload or {}
            existing.grace_seconds = int(grace.total_seconds()) if grace else None
            existing.status = PENDING
        return existing
    reminder = Reminder(
        workspace_id=workspace_id,
        kind=kind,
        key=key,
        due_at=due_at,
        payload=payload or {},
        grace_seconds=int(grace.total_seconds()) if grace else None,
        status=PENDING,
        created_at=now,
    )
    session.add(reminder)
    await session.flush()
    log.debug("Scheduled reminder %s (%s) at %s", reminder.id, kind, due_at.isoformat())
    return reminder


async def cancel(session: AsyncSession, *, workspace_id: int, key: str) -> int:
    """Cancel a pending reminder by key; return how many were cancelled."""
    result = await session.execute(
        update(Reminder)
        .where(Reminder.workspace_id == workspace_id, Reminder.key == key, Reminder.status == PENDING)
        .values(status=CANCELLED)
    )
    return result.rowcount or 0
