"""Retention: old settled deliveries are pruned daily in batches; what is still due, what /report shows, and
what keeps a fan-out from sending twice are kept."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy import text as text_sql
from sqlalchemy.ext.asyncio import AsyncSession

from bot import reminders
from bot.app import App
from bot.clock import FrozenClock
from bot.contributions import Feature
from bot.models import Delivery, Member, Reminder, Workspace
from bot.reminders import Planned
from bot.replies import Reply, reply_to_json, text
from bot.services import reports, retention
from tests.conftest import RecordingNotifier, identity
from tests.support.features import plus
from tests.support.onboarding import onboard
from tests.support.replies import shown

ANNA, BO = identity("anna"), identity("bo", coordinator=True)
EVA = identity("eva", workspace="guild-2")
HELLO = "test.hello"


async def _hello(session: AsyncSession, reminder: Reminder, now: datetime) -> list[Planned]:
    members = await session.scalars(select(Member.id).where(Member.workspace_id == reminder.workspace_id,
                                                            Member.onboarded_at.is_not(None)))
    return [Planned(Reply(body=text("common.yes")), member_id=member_id) for member_id in members]


@pytest.fixture
def features() -> tuple[Feature, ...]:
    return plus(Feature("stand-in hello", planners={HELLO: _hello}))


async def _workspace_id(app: App, external_id: str = "guild-1") -> int:
    async with app.sessionmaker() as session:
        return (await session.scalar(select(Workspace.id).where(Workspace.external_id == external_id)))  # type: ignore[return-value]


async def _add(app: App, workspace_id: int, rows: list[tuple[str, str, datetime]]) -> None:
    """Deliveries (key, status, created at) of the workspace, as the dispatcher leaves them; a pending one
    waits (for the end of quiet hours, say) until after the test."""
    message = reply_to_json(Reply(body=text("common.yes")))
    later = app.clock.now() + timedelta(days=30)
    async with app.sessionmaker() as session, session.begin():
        session.add_all(Delivery(workspace_id=workspace_id, channel="announcements", key=key,
                                 nonce=key[-25:], message=message, status=status,
                                 not_before=later if status == "pending" else at, attempts=1, created_at=at,
                                 sent_at=at if status == "sent" else None)
                        for key, status, at in rows)


async def _keys(app: App) -> set[str]:
    async with app.sessionmaker() as session:
        return set(await session.scalars(select(Delivery.key)))


async def _run_retention(app: App, clock: FrozenClock) -> None:
    """Move to the next daily run and let the dispatcher run until nothing is due (the follow-up batches)."""
    async with app.sessionmaker() as session:
        due = await session.scalar(select(func.min(Reminder.due_at)).where(
            Reminder.kind == retention.DAILY_KIND, Reminder.status == reminders.PENDING))
    assert due is not None
    clock.set(max(due, clock.now()))
    for _ in range(100):
        report = await app.dispatcher.run_due()
        if not report.fanned_out:
            break


async def test_old_settled_deliveries_are_pruned_and_the_rest_kept(app: App, clock: FrozenClock):
    await onboard(app, ANNA)
    await onboard(app, EVA)
    here, there = await _workspace_id(app), await _workspace_id(app, "guild-2")
    now = clock.now()
    old, recent = now - timedelta(days=181), now - timedelta(days=179)
    await _add(app, here, [("old-sent", "sent", old), ("old-cancelled", "cancelled", old),
                           ("old-expired", "expired", old), ("old-failed", "failed", old),
                           ("old-unreachable", "unreachable", old), ("old-pending", "pending", old),
                           ("role-refused:7:member", "sent", old), ("recent-sent", "sent", recent)])
    await _add(app, there, [("there-old-sent", "sent", old)])

    await _run_retention(app, clock)

    assert await _keys(app) >= {"old-failed", "old-unreachable", "old-pending", "role-refused:7:member",
                                "recent-sent"}
    assert not await _keys(app) & {"old-sent", "old-cancelled", "old-expired", "there-old-sent"}
    async with app.sessionmaker() as session:
        pending = list(await session.scalars(select(Reminder.due_at).where(
            Reminder.kind == retention.DAILY_KIND, Reminder.status == reminders.PENDING,
            Reminder.workspace_id == here)))
    # The next day's run is planned, at 04:00 Stockholm time.
    assert len(pending) == 1 and pending[0] > clock.now() and pending[0].hour == 3


async def test_many_rows_go_in_batches_each_its_own_run(app: App, clock: FrozenClock,
                                                         monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(retention, "BATCH", 4)
    await onboard(app, ANNA)
    here = await _workspace_id(app)
    old = clock.now() - timedelta(days=200)
    await _add(app, here, [(f"old-{n}", "sent", old) for n in range(10)] + [("kept", "failed", old)])

    await _run_retention(app, clock)

    assert await _keys(app) == {"kept"}
    async with app.sessionmaker() as session:
        batches = await session.scalar(select(func.count()).select_from(Reminder).where(
            Reminder.kind == retention.BATCH_KIND))
    # 4 + 4 + 2: the daily run and two follow-ups.
    assert batches == 2


async def test_a_fan_out_repeated_after_pruning_sends_nothing_twice(app: App, clock: FrozenClock,
                                                                    notifier: RecordingNotifier):
    await onboard(app, ANNA)
    await onboard(app, identity("cia"))
    here = await _workspace_id(app)
    async with app.sessionmaker() as session, session.begin():
        await reminders.schedule(session, workspace_id=here, kind=HELLO, key="hello:1", due_at=clock.now(),
                                 now=clock.now())
    await app.dispatcher.run_due()

    def hellos() -> int:
        return sum(1 for sent in notifier.sent if sent.to.startswith("dm:") and sent.text == "Ja")

    assert hellos() == 2

    clock.advance(timedelta(days=200))
    await _run_retention(app, clock)
    fanned = f"{await _hello_id(app)}:member:"
    assert not [key for key in await _keys(app) if key.startswith(fanned)]
    # Planned again under the same key, and the dispatcher runs again: the reminder fired, nothing goes out.
    async with app.sessionmaker() as session, session.begin():
        await reminders.schedule(session, workspace_id=here, kind=HELLO, key="hello:1", due_at=clock.now(),
                                 now=clock.now())
    await app.dispatcher.run_due()

    assert hellos() == 2


async def _hello_id(app: App) -> int:
    async with app.sessionmaker() as session:
        return (await session.scalar(select(Reminder.id).where(Reminder.key == "hello:1")))  # type: ignore[return-value]


async def test_report_shows_the_same_before_and_after_pruning(app: App, clock: FrozenClock):
    await onboard(app, ANNA)
    here = await _workspace_id(app)
    async with app.sessionmaker() as session:
        anna = await session.scalar(select(Member.id).where(Member.external_id == "anna"))
    now = clock.now()
    rows = []
    for days in (3, 20, 200, 250):
        at = now - timedelta(days=days)
        rows += [(f"{days}-sent", "sent", at), (f"{days}-failed", "failed", at),
                 (f"{days}-unreachable", "unreachable", at)]
    await _add(app, here, rows)
    async with app.sessionmaker() as session, session.begin():
        for row in await session.scalars(select(Delivery).where(Delivery.status != "sent")):
            row.member_id, row.last_error = anna, "403 Forbidden (error code: 50007)"

    def day(days: int) -> str:
        return (now - timedelta(days=days)).date().isoformat()

    # A recent month, one the retention reaches into, and one wholly before it.
    periods = [(day(30), day(0)), (day(210), day(150)), (day(260), day(190))]

    async def made() -> list[tuple[str, tuple[tuple[str, bytes], ...]]]:
        found = []
        for start, end in periods:
            reply = await app.run(BO, reports.report, start, end)
            found.append((shown(reply), tuple((f.filename, f.data) for f in reply.files)))
        return found

    before = await made()
    await _run_retention(app, clock)
    assert not await _keys(app) & {"200-sent", "250-sent"}

    assert await made() == before
    assert "200-failed" in await _keys(app)


async def test_the_daily_run_refreshes_the_statistics_sqlite_plans_by(app: App, clock: FrozenClock):
    if app.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL's autovacuum gathers its statistics itself")
    await onboard(app, ANNA)
    await _add(app, await _workspace_id(app), [("recent-sent", "sent", clock.now() - timedelta(days=1))])

    await _run_retention(app, clock)

    async with app.sessionmaker() as session:
        analysed = set(await session.scalars(text_sql("SELECT DISTINCT tbl FROM sqlite_stat1")))
    assert {"delivery", "member"} <= analysed
