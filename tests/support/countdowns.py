"""A countdown in a test: the decision of Wednesday 16 December 2026 and its stage times, the group that
follows it, the clock moved to a moment with what fell due sent, and an issue in the countdown's reach."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot import delivery, reminders
from bot.app import App
from bot.clock import FrozenClock
from bot.models import Issue, Reminder
from bot.replies import Channel
from bot.services import issues, media
from bot.services.context import Identity
from tests.conftest import RecordingNotifier
from tests.issue_fixtures import (
    ANNA,
    BO,
    CIA,
    COORDINATOR,
    DAN,
    OLLE,
    create_issue,
    import_politicians,
)
from tests.support.onboarding import onboard

STOCKHOLM = ZoneInfo("Europe/Stockholm")
ANNOUNCEMENTS = f"channel:{Channel.ANNOUNCEMENTS}"
COORDINATORS = f"channel:{Channel.COORDINATORS}"
EDITS = f"edit:{Channel.ANNOUNCEMENTS}"


def local(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A Stockholm wall-clock time, in UTC."""
    return datetime(year, month, day, hour, minute, tzinfo=STOCKHOLM).astimezone(UTC)


# The decision is on Wednesday 16 December 2026 at 18:00; the clock starts on 1 December at 10:00.
DECISION = local(2026, 12, 16, 18)
D14, D7, D3, D1, D0 = (local(2026, 12, 2, 9), local(2026, 12, 9, 9), local(2026, 12, 13, 9),
                       local(2026, 12, 15, 9), local(2026, 12, 16, 8))


async def the_members(app: App) -> None:
    """Anna, Bo and Cia follow Karlskrona with DMs, Dan without, Olle lives elsewhere; the politicians, the
    media."""
    for who in (ANNA, BO, CIA):
        await onboard(app, who)
    await onboard(app, DAN, dm=False)
    await onboard(app, OLLE, municipality="Ronneby")
    await import_politicians(app)
    await app.run(COORDINATOR, media.add, name="Sydöstran", municipality="Karlskrona", x_handle="@sydostran")


async def the_group(app: App, notifier: RecordingNotifier, **changes: str) -> int:
    """The members, and the issue in 15 days."""
    await the_members(app)
    issue_id = await create_issue(app, **({"decision": "16 dec 18:00", "ask_days": "0"} | changes))
    await app.dispatcher.run_due()
    notifier.sent.clear()
    return issue_id


async def at(app: App, clock: FrozenClock, when: datetime) -> delivery.DispatchReport:
    """Move the clock to `when` and send what fell due."""
    clock.set(when)
    return await app.dispatcher.run_due()


async def pending_due(app: App, kind: str) -> list[datetime]:
    """When the pending reminders of a kind fall due, earliest first."""
    async with app.sessionmaker() as session:
        return list(await session.scalars(select(Reminder.due_at).where(
            Reminder.kind == kind, Reminder.status == reminders.PENDING).order_by(Reminder.due_at)))


# An issue decided on Wednesday 16 December, in the countdown's reach from a test's start (1 December).
CLOSE_ISSUE = {"title": "Parkering i centrum", "summary": "200 platser försvinner.",
               "municipality": "Karlskrona", "body": "kommunfullmäktige", "decision": "16 dec 18:00",
               "hashtag": "#ParkeraKarlskrona", "position": "Behåll platserna.", "ask_days": "0"}


async def issue_in_reach(app: App, coordinator: Identity, member: Identity) -> int:
    """The member onboarded and CLOSE_ISSUE created by the coordinator, with what fell due sent; its id."""
    await onboard(app, member)
    await app.run(coordinator, issues.create, **CLOSE_ISSUE)
    await app.dispatcher.run_due()
    async with app.sessionmaker() as session:
        issue_id = await session.scalar(select(Issue.id))
    assert issue_id is not None
    return issue_id
