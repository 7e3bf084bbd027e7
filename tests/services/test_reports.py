"""/report: a date range as text and CSV (actions, stories, pledges), who could not be reached, and what
could not be delivered."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from bot.app import App
from bot.clock import FrozenClock
from bot.errors import NotCoordinator, UserError
from bot.i18n import render
from bot.models import Delivery, Issue, Member, Pledge, Reminder, Workspace
from bot.replies import When
from bot.services import activity, failures, reports, stories
from bot.validation import FieldProblem
from tests.conftest import RecordingNotifier, identity
from tests.issue_fixtures import ANNA, BO, COORDINATOR, create_issue
from tests.support.onboarding import onboard
from tests.support.replies import field_line, field_value

# The suite starts on Tuesday 1 December 2026; the report is about November.
NOVEMBER = datetime(2026, 11, 10, 9, 0, tzinfo=UTC)


def rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))


async def add_pledge(app: App, who: str, kind: str, status: str, at: datetime) -> None:
    async with app.sessionmaker() as session, session.begin():
        member = await session.scalar(select(Member).where(Member.external_id == who))
        issue = await session.scalar(select(Issue))
        session.add(
            Pledge(
                workspace_id=member.workspace_id,
                issue_id=issue.id,
                member_id=member.id,
                kind=kind,
                stage="d7",
                status=status,
                created_at=at,
                kept_at=at + timedelta(days=1) if status == "kept" else None,
            )
        )


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
    assert field_line(reply, "Insatser") == "Insatser (2): Tweetade: 1\nFrågade en politiker: 1 försök"
    assert field_line(reply, "Berättelser") == "Berättelser (1): Publika: 0 · lyfta: 0"
    assert field_line(reply, "Löften") == "Löften (2): Givna: 1\nHållna: 1"
    assert field_line(reply, "Nya medlemmar") == "Nya medlemmar (2): Anna, Bo"
    actions_csv, stories_csv, pledges_csv = reply.files
    assert actions_csv.filename == "insatser_2026-11-01_2026-11-30.csv"
    assert rows(actions_csv.data) == [
        ["Tid", "Medlem", "Vad", "Status", "Fråga", "Politiker", "Hur", "Länk", "Källa"],
        ["2026-11-10 10:00", "Anna", "Tweetade", "Gjort", "", "", "", "https://x.com/anna/status/1", "did"],
        [
            "2026-11-10 10:00",
            "Bo",
            "Frågade en politiker",
            "Försökte (inget svar än)",
            "Parkering i centrum",
            "",
            "",
            "",
            "did",
        ],
    ]
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
        await app.run(COORDINATOR, reports.report, start="2026-12-24")
    with pytest.raises(NotCoordinator):
        await app.run(ANNA, reports.report)
    default = await app.run(COORDINATOR, reports.report)

    assert render(backwards.value.text, "sv") == \
        "Perioden slutar (2026-11-01) innan den börjar (2026-11-30). Byt plats på datumen."
    assert render(unreadable.value.text, "sv").startswith(
        'Från: "förra veckan" kan jag inte läsa som ett datum.'
    )
    assert render(future.value.text, "sv") == \
        'Från: "2026-12-24" ligger i framtiden; perioden måste börja i dag eller tidigare.'
    assert render(default.title, "sv") == "📋 Rapport, 1 december 2026 – 1 december 2026"


@pytest.mark.parametrize(("start", "end", "period"), [
    (None, "i morgon", "tisdag 1 december 2026 – onsdag 2 december 2026"),
    (None, "2026-12-24", "tisdag 1 december 2026 – torsdag 24 december 2026"),
    ("20 nov", "5 jan", "fredag 20 november 2026 – tisdag 5 januari 2027"),
    ("1 jan", "5 jan", "torsdag 1 januari 2026 – måndag 5 januari 2026"),  # the end: after the start
])
async def test_a_range_may_end_ahead_and_is_said_back_as_read(app: App, start: str | None, end: str,
                                                              period: str):
    reply = await app.run(COORDINATOR, reports.report, start=start, end=end)

    assert field_value(reply, "Period") == period
    [shown] = [f.value for f in reply.fields if render(f.name, "sv") == "Period"]
    # Timestamps on Discord, so that each reader sees the days as read.
    assert all(isinstance(day, When) for day in shown.params.values())


async def test_someone_without_consent_whose_welcome_did_not_reach_them_is_mentioned_having_no_stored_name(
        app: App, clock: FrozenClock, notifier: RecordingNotifier):
    notifier.closed.add("eve")
    await app.member_joined("test", "guild-1", "Testgruppen", "eve", "Eve")
    clock.advance(timedelta(hours=1))

    reply = await app.run(COORDINATOR, reports.report)

    assert field_line(reply, "Kunde inte nås") == \
        "Kunde inte nås (1): @eve: DM stängda; 1 utskick gick inte fram"
    assert rows(reply.files[-2].data)[1] == ["'@eve", "Ja", "1", "", ""]  # the CSV's guard against formulas


async def test_members_who_could_not_be_reached_are_listed_with_other_ways_to_reach_them(
        app: App, clock: FrozenClock, notifier: RecordingNotifier):
    await onboard(app, ANNA)
    await onboard(app, BO, x_handle="@bosbygg")
    notifier.closed.add("bo")
    await app.run(BO, activity.did, kind="ask", status="attempted")
    clock.advance(timedelta(days=3))
    await app.dispatcher.run_due()  # the retry DM to Bo is refused: DMs closed

    reply = await app.run(COORDINATOR, reports.report)

    assert field_line(reply, "Kunde inte nås") == \
        "Kunde inte nås (1): Bo: DM stängda; 1 utskick gick inte fram · nå dem via @bosbygg"
    unreached, undelivered = reply.files[-2:]
    assert unreached.filename == "ej-nadda_2026-12-01_2026-12-04.csv"
    assert rows(unreached.data)[1] == ["Bo", "Ja", "1", "bosbygg", ""]
    assert field_line(reply, "Utskick som inte gick fram") == (
        "Utskick som inte gick fram (1): "
        "Påminnelse att försöka igen till Bo: DM stängda, nämnd i annonskanalen i stället")
    assert undelivered.filename == "ej-levererade_2026-12-01_2026-12-04.csv"
    assert rows(undelivered.data) == [
        ["Tid", "Utskick", "Medlem eller kanal", "Status", "Orsak"],
        [
            "2026-12-04 10:00",
            "Påminnelse att försöka igen",
            "Bo",
            "Nämnd i annonskanalen i stället",
            "DM stängda",
        ],
    ]


async def seed(
    app: App,
    workspace: str,
    at: datetime,
    status: str,
    *,
    kind: str | None = None,
    member: str = "",
    channel: str = "announcements",
    error: str | None = None,
    message: dict[str, Any] | None = None,
    key: str = "",
) -> None:
    """Store one delivery as the dispatcher leaves it: of a reminder of `kind` (none: a command's effect)."""
    async with app.sessionmaker() as session, session.begin():
        workspace_id = await session.scalar(select(Workspace.id).where(Workspace.external_id == workspace))
        member_id = (
            await session.scalar(
                select(Member.id).where(Member.workspace_id == workspace_id, Member.external_id == member)
            )
            if member
            else None
        )
        reminder_id = None
        number = await session.scalar(select(func.count()).select_from(Delivery))
        if kind is not None:
            reminder = Reminder(
                workspace_id=workspace_id,
                kind=kind,
                key=f"seed:{number}",
                due_at=at,
                payload={},
                status="fanned_out",
                created_at=at,
                fired_at=at,
            )
            session.add(reminder)
            await session.flush()
            reminder_id = reminder.id
        key = key or (f"{reminder_id}:seed:{number}" if reminder_id else f"effect:seed:{number}")
        session.add(
            Delivery(
                workspace_id=workspace_id,
                reminder_id=reminder_id,
                member_id=member_id,
                channel=channel,
                key=key,
                nonce=f"n{number}",
                message=message or {"body": None},
                status=status,
                not_before=at,
                attempts=5 if status == "failed" else 1,
                last_error=error,
                created_at=at - timedelta(hours=2),
            )
        )


async def test_what_could_not_be_delivered_is_grouped_with_a_reason_and_listed_in_a_file_of_its_own(
        app: App, clock: FrozenClock):
    clock.set(NOVEMBER)
    await onboard(app, ANNA)
    await onboard(app, BO)
    await onboard(app, identity("eva", workspace="guild-2"))
    async with app.sessionmaker() as session, session.begin():
        await session.execute(update(Workspace).where(Workspace.external_id == "guild-1")
                              .values(coordinator_channel_id="koordinatorer"))
    day = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
    for hours in (0, 1):  # two countdown DMs to Anna, whose DMs are closed: she was mentioned instead
        await seed(app, "guild-1", day + timedelta(hours=hours), "unreachable", kind="countdown.stage",
                   member="anna")
    await seed(app, "guild-1", day, "failed", channel="stories",
               error="HTTPException: 403 Forbidden (error code: 50001): Missing Access")
    await seed(
        app,
        "guild-1",
        day,
        "failed",
        member="bo",
        channel="welcome",
        error="RoleNotGranted: 50013 Missing Permissions",
        message={"body": None, "grant_role": "member"},
    )
    await seed(app, "guild-1", day, "failed", kind="digest.weekly", channel="coordinators",
               error="DiscordServerError: 503 Service Unavailable (error code: 0): upstream connect error")
    await seed(app, "guild-1", day, "failed", kind="coaching.weekly", member="bo",
               error="ValueError: secret internals of the bot")
    await seed(app, "guild-1", day, "failed", channel="coordinators", key="role-refused:99:coordinators",
               error="Forbidden: 403 Forbidden (error code: 50013): Missing Permissions")
    await seed(app, "guild-1", day, "sent", kind="coaching.weekly", member="anna")  # delivered: not listed
    await seed(app, "guild-1", datetime(2026, 10, 31, 22, 30, tzinfo=UTC), "failed", kind="digest.weekly",
               channel="coordinators", error="TimeoutError: ")  # 31 October, 23:30 in Stockholm
    await seed(app, "guild-1", datetime(2026, 11, 30, 23, 0, tzinfo=UTC), "failed", kind="digest.weekly",
               channel="coordinators", error="TimeoutError: ")  # 1 December, 00:00 in Stockholm
    await seed(app, "guild-2", day, "failed", kind="coaching.weekly", member="eva", error="TimeoutError: ")
    clock.set(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))

    reply = await app.run(COORDINATOR, reports.report, start="2026-11-01", end="2026-11-30")

    assert field_line(reply, "Utskick som inte gick fram") == (
        "Utskick som inte gick fram (7): "
        "Veckans coachningssteg till Bo: ett oväntat fel (detaljerna finns i botens logg)\n"
        "Veckosammanfattningen till #koordinatorer: Discord svarade inte\n"
        "Inlägg efter ett kommando till berättelsekanalen: boten får inte skriva i berättelsekanalen\n"
        "Medlemsrollen till Bo: botens roll står under rollen den skulle ge, "
        "eller saknar behörigheten Hantera roller\n"
        "Besked om en roll som inte kunde ges till #koordinatorer: boten får inte skriva i #koordinatorer\n"
        "Nedräkning till Anna: DM stängda, nämnd i annonskanalen i stället (2 gånger)")
    undelivered = reply.files[-1]
    assert undelivered.filename == "ej-levererade_2026-11-01_2026-11-30.csv"
    table = rows(undelivered.data)
    assert table[0] == ["Tid", "Utskick", "Medlem eller kanal", "Status", "Orsak"]
    assert sorted(table[1:]) == sorted([
        ["2026-11-20 09:00", "Nedräkning", "Anna", "Nämnd i annonskanalen i stället", "DM stängda"],
        ["2026-11-20 10:00", "Nedräkning", "Anna", "Nämnd i annonskanalen i stället", "DM stängda"],
        ["2026-11-20 09:00", "Inlägg efter ett kommando", "berättelsekanalen", "Gick inte fram",
         "boten får inte skriva i berättelsekanalen"],
        ["2026-11-20 09:00", "Medlemsrollen", "Bo", "Gick inte fram",
         "botens roll står under rollen den skulle ge, eller saknar behörigheten Hantera roller"],
        ["2026-11-20 09:00", "Veckosammanfattningen", "koordinatorskanalen", "Gick inte fram",
         "Discord svarade inte"],
        ["2026-11-20 09:00", "Veckans coachningssteg", "Bo", "Gick inte fram",
         "ett oväntat fel (detaljerna finns i botens logg)"],
        ["2026-11-20 09:00", "Besked om en roll som inte kunde ges", "koordinatorskanalen", "Gick inte fram",
         "boten får inte skriva i koordinatorskanalen"]])
    assert [r[0] for r in table[1:]] == sorted(r[0] for r in table[1:])
    everything = "\n".join(
        [*(render(f.value, "sv") for f in reply.fields), undelivered.data.decode("utf-8-sig")]
    )
    assert "secret" not in everything and "503" not in everything and "50013" not in everything

    english = await app.run(COORDINATOR, reports.report, start="2026-11-01", end="2026-11-30")
    assert render(english.fields[-1].value, "en").splitlines()[-1] == \
        "Countdown to Anna: DMs closed, mentioned in the announcement channel instead (2 times)"


async def test_a_report_without_failures_says_everything_was_delivered_and_has_no_such_file(
        app: App, clock: FrozenClock):
    await onboard(app, ANNA)

    reply = await app.run(COORDINATOR, reports.report)

    assert field_line(reply, "Utskick som inte gick fram") == (
        "Utskick som inte gick fram (0): Alla utskick gick fram.")
    assert [f.filename for f in reply.files] == [
        "insatser_2026-12-01_2026-12-01.csv", "berattelser_2026-12-01_2026-12-01.csv",
        "loften_2026-12-01_2026-12-01.csv"]


@pytest.mark.parametrize(("error", "dm", "role", "reason"), [
    ("HTTPException: 403 Forbidden (error code: 50001): Missing Access", False, False, failures.NO_ACCESS),
    (("SlackApiError: The request to the Slack API failed.\nThe server responded with: {'ok': False, "
      "'error': 'not_in_channel'}"), False, False, failures.NO_ACCESS),
    ("NotFound: 404 Not Found (error code: 10003): Unknown Channel", False, False, failures.CHANNEL_GONE),
    ("RoleNotGranted: 50013 Missing Permissions", False, True, failures.ROLE),
    ("Forbidden: 403 Forbidden (error code: 50013): Missing Permissions", False, True, failures.ROLE),
    ("NotFound: 404 Not Found (error code: 10007): Unknown Member", False, True, failures.MEMBER_GONE),
    ("Forbidden: 403 Forbidden (error code: 50007): Cannot send messages to this user", True, False,
     failures.DM_CLOSED),
    ("DiscordServerError: 503 Service Unavailable (error code: 0)", True, False, failures.UNAVAILABLE),
    ("TimeoutError: ", False, False, failures.UNAVAILABLE),
    ("ClientConnectorError: Cannot connect to host discord.com:443", False, False, failures.UNAVAILABLE),
    ("KeyError: 'body'", False, False, failures.OTHER),
    (None, False, False, failures.OTHER),
])
def test_a_stored_error_is_read_as_a_reason(error: str | None, dm: bool, role: bool, reason: str):
    assert failures._reason("failed", error, dm=dm, role=role) == reason
    assert failures._reason("unreachable", None, dm=True, role=False) == failures.DM_CLOSED
