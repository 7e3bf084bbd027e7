"""Cancelling reminders by key prefix: what stays, what goes, in one statement."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot import reminders
from bot.app import App
from bot.models import Reminder
from bot.services.context import get_or_create_workspace


async def test_reminders_starting_with_a_prefix_are_cancelled_but_those_kept_and_other_kinds(app: App):
    now = app.clock.now()
    async with app.sessionmaker() as session, session.begin():
        workspace = await get_or_create_workspace(session, "test", "guild-1", "Testgruppen", now)
        other = await get_or_create_workspace(session, "test", "guild-2", "Andra", now)
        for key, kind, workspace_id in [("r:1:a", "x", workspace.id), ("r:1:b", "x", workspace.id),
                                        ("r:1:c", "y", workspace.id), ("r:10:a", "x", workspace.id),
                                        ("r:1%:a", "x", workspace.id), ("r:1:a", "x", other.id)]:
            await reminders.schedule(session, workspace_id=workspace_id, kind=kind, key=key,
                                     due_at=now + timedelta(days=1), now=now)

        cancelled = await reminders.cancel_prefixed(session, workspace_id=workspace.id, prefix="r:1:",
                                                    keep={"r:1:b"}, kinds={"x"})

        rows = (await session.execute(select(Reminder.workspace_id, Reminder.key, Reminder.status)
                                      .order_by(Reminder.workspace_id, Reminder.key))).all()
    assert cancelled == 1
    assert {key: status for workspace_id, key, status in rows if workspace_id == workspace.id} == {
        "r:1:a": "cancelled",
        "r:1:b": "pending",
        "r:1:c": "pending",
        "r:10:a": "pending",
        "r:1%:a": "pending",
    }
    assert [status for workspace_id, _, status in rows if workspace_id == other.id] == ["pending"]
