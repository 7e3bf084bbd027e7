"""/report: a date range as text and CSV (actions, stories, pledges), and who could not be reached."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.app import App
from bot.clock import FrozenClock
from bot.errors import NotCoordinator, UserError
from bot.i18n import render
from bot.models import Issue, Member, Pledge
from bot.replies import Reply
from bot.services import activity, reports, stories
from bot.validation import FieldProblem
from tests.conftest import RecordingNotifier
from tests.issue_fixtures import ANNA, BO, COORDINATOR, create_issue, onboard

# The suite starts on Tuesday 1 December 2026; the report is about November.
NOVEMBER = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)


def rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))


def field(reply: Reply, starts: str) -> str:
    return next(f"{render(f.name, 'sv')}: {render(f.value, 'sv')}" for f in reply.fields
                if render(f.name, "sv").startswith(starts))


async def add_pledge(app: App, who: str, kind: str, status: str, at: datetime) -> None:
    async with app.sessionmaker() as session, session.begin():
        member = await session.scalar(select(Member).where(Member.external_id == who))
        issue = await session.scalar(select(Issue))
        session.add(Pledge(workspace_id=member.workspace_id, issue_id=issue.id, member_id=member.id, kind=kind,
                           stage="d7", status=status, created_at=at, kept_at=at + timedelta(days=1)
                           if status == "kept" else None))


async def test_a_report_of_november_has_the_summary_and_exactly_the_rows_of_the_period(
        app: App, clock: FrozenClock):
    clock.set(NOVEMBER)
    await onboard(app, ANNA)
    await onboard(app, BO, company="Bos Bygg")
    await create_issue(app)
    await app.run(ANNA, activity.did, kind="tweet", link="https://x.com/anna/status/1")
    await app.run(BO, activity.did, kind="ask", status="attempted", issue="Parkering")
    await app.submit(BO, stories.FORM_ID, {"title": "Bara för oss", "kind": "blog", "value": "En förfrågan.",
                                           "visibility": "group"})
    await add_pledge(app, "anna", "tweet", "kept", NOVEMBER)
    await add_pledge(app, "bo", "attend", "made", NOVEMBER)
    clock.set(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    await app.run(ANNA, activity.did, kind="blog")  # December: outside the range

    reply = await app.run(COORDINATOR, reports.report, start="2026-11-01", end="2026-11-30")

    assert render(reply.title, "sv") == "📋 Rapport, 1 november 2026 – 30 november 2026"
    assert field(reply, "Insatser") == "Insatser (2): Tweetade: 1\nFrågade en politiker: 1 försök"
    assert field(reply, "Berättelser") == "Berättelser (1): Publika: 0 · lyfta: 0"
    assert field(reply, "Löften") == "Löften (2): Givna: 1\nHållna: 1"
    assert field(reply, "Nya medlemmar") == "Nya medlemmar (2): Anna, Bo"
    actions_csv, stories_csv, pledges_csv = reply.files
    assert actions_csv.filename == "insatser_2026-11-01_2026-11-30.csv"
    assert rows(actions_csv.data) == [
        ["Tid", "Medlem", "Vad", "Status", "Fråga", "Länk", "Källa"],
        ["2026-11-10 10:00", "Anna", "Tweetade", "Gjort", "", "https://x.com/anna/status/1", "did"],
        ["2026-11-10 10:00", "Bo", "Frågade en politiker", "Försökte (inget svar än)", "Parkering i centrum", "",
         "did"]]
    assert [r[1] for r in rows(stories_csv.data)] == ["Rubrik", "Bara för oss"]
    assert rows(pledges_csv.data) == [
        ["Tid", "Medlem", "Fråga", "Löfte", "Skede", "Status", "Hållet"],
        ["2026-11-10 10:00", "Anna", "Parkering i centrum", "Tweeta", "d7", "Hållna", "2026-11-11 10:00"],
        ["2026-11-10 10:00", "Bo", "Parkering i centrum", "Gå på mötet", "d7", "Givna", ""]]


async def test_a_range_is_checked_and_defaults_to_this_month_so_far(app: App, clock: FrozenClock):
    await onboard(app, ANNA)

    with pytest.raises(UserError) as backwards:
        await app.run(COORDINATOR, reports.report, start="2026-11-30", end="2026-11-01")
    with pytest.raises(FieldProblem) as unreadable:
        await app.run(COORDINATOR, reports.report, start="förra veckan")
    with pytest.raises(FieldProblem) as future:
        await app.run(COORDINATOR, reports.report, end="2026-12-24")
    with pytest.raises(NotCoordinator):
        await app.run(ANNA, reports.report)
    default = await app.run(COORDINATOR, reports.report)

    assert render(backwards.value.text, "sv") == \
        "Perioden slutar (2026-11-01) innan den börjar (2026-11-30). Byt plats på datumen."
    assert render(unreadable.value.text, "sv").startswith('Från: "förra veckan" kan jag inte läsa som ett datum.')
    assert render(future.value.text, "sv") == \
        'Till: "2026-12-24" ligger i framtiden; rapporten gäller dagar fram till i dag.'
    assert render(default.title, "sv") == "📋 Rapport, 1 december 2026 – 1 december 2026"


async def test_members_who_could_not_be_reached_are_listed_with_other_ways_to_reach_them(
        app: App, clock: FrozenClock, notifier: RecordingNotifier):
    await onboard(app, ANNA)
    await onboard(app, BO, x_handle="@bosbygg")
    notifier.closed.add("bo")
    await app.run(BO, activity.did, kind="ask", status="attempted")
    clock.advance(timedelta(days=3))
    await app.dispatcher.run_due()  # the retry DM to Bo is refused: DMs closed

    reply = await app.run(COORDINATOR, reports.report)

    assert field(reply, "Kunde inte nås") == \
        "Kunde inte nås (1): Bo: DM stängda; 1 utskick gick inte fram · nå dem via @bosbygg"
    unreached = reply.files[-1]
    assert unreached.filename == "ej-nadda_2026-12-01_2026-12-04.csv"
    assert rows(unreached.data)[1] == ["Bo", "Ja", "1", "bosbygg", ""]
