"""Issues: create, change, close; alerts to followers (and only to them); list, show, calendar, hashtags."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot import reminders
from bot.app import App
from bot.clock import FrozenClock
from bot.errors import NotCoordinator, UserError
from bot.i18n import render
from bot.models import Issue, Reminder
from bot.replies import Channel
from bot.services import civics, drafts, follows, issues, media, stances
from bot.validation import FieldProblem, FormProblems
from tests.conftest import RecordingNotifier, identity
from tests.issue_fixtures import (
    ANNA,
    BO,
    COORDINATOR,
    ISSUE,
    OLLE,
    contexts_read_one_issue_at_a_time,
    create_issue,
    import_politicians,
    several_open_issues,
)
from tests.support.onboarding import onboard
from tests.support.replies import fields_of
from tests.support.statements import counting

DECISION_UTC = datetime(2027, 1, 28, 17, 0, tzinfo=UTC)  # 18:00 in Stockholm


async def count(app: App, model: type) -> int:
    async with app.sessionmaker() as session:
        return await session.scalar(select(func.count()).select_from(model))


async def test_a_coordinator_creates_an_issue_and_the_followers_of_its_municipality_are_alerted(
        app: App, notifier: RecordingNotifier):
    await onboard(app, ANNA)                      # Karlskrona, DMs allowed
    await onboard(app, BO, dm=False)              # Karlskrona, no DMs
    await onboard(app, OLLE, municipality="Ronneby")
    notifier.sent.clear()

    reply = await app.run(COORDINATOR, issues.create, **ISSUE)
    await app.dispatcher.run_due()

    assert render(reply.title, "sv") == "Frågan är skapad: Parkering i centrum"
    assert "till 2 följare" in render(reply.body, "sv")
    async with app.sessionmaker() as session:
        issue = await session.scalar(select(Issue))
    assert issue.decision_at == DECISION_UTC and issue.decision_has_time
    assert (issue.municipality, issue.body, issue.hashtag) == (
        "karlskrona",
        "kommunfullmaktige",
        "#ParkeraKarlskrona",
    )
    [post] = notifier.to(f"channel:{Channel.ANNOUNCEMENTS}")
    assert (
        "📢 Ny fråga: Parkering i centrum" in post.text and "torsdag 28 januari 2027 kl. 18:00" in post.text
    )
    assert post.reply.mentions == ("bo",)  # followers without DMs are mentioned in the channel instead
    [dm] = notifier.to("dm:anna")
    assert [b.action for b in dm.reply.buttons] == [follows.FOLLOW_ISSUE_ACTION, follows.HELP_ACTION]
    assert notifier.to("dm:olle") == [] and notifier.to("dm:bo") == []


async def test_a_follower_with_closed_dms_is_mentioned_in_the_channel(app: App, notifier: RecordingNotifier):
    await onboard(app, ANNA)
    notifier.closed.add("anna")
    notifier.sent.clear()

    await create_issue(app)
    await app.dispatcher.run_due()

    posts = notifier.to(f"channel:{Channel.ANNOUNCEMENTS}")
    assert len(posts) == 2 and posts[1].reply.mentions == ("anna",)
    assert "Parkering i centrum" in posts[1].text


async def test_followers_of_a_topic_are_alerted_wherever_they_live(app: App, notifier: RecordingNotifier):
    await onboard(app, OLLE, municipality="Ronneby")
    await app.run(OLLE, follows.follow, topic="parkering")
    notifier.sent.clear()

    await create_issue(app, topics="Parkering, näringslivsklimat")
    await app.dispatcher.run_due()

    assert len(notifier.to("dm:olle")) == 1


async def test_a_member_may_not_create_an_issue(app: App):
    with pytest.raises(NotCoordinator):
        await app.run(ANNA, issues.create, **ISSUE)
    assert await count(app, Issue) == 0


@pytest.mark.parametrize(("changes", "problem_keys"), [
    ({"decision": "1 dec 2026 08:00"}, ["time.past"]),
    ({"hashtag": "#två ord"}, ["errors.hashtag"]),
    ({"municipality": "Malmö", "source": "inte en länk"}, ["errors.choice", "errors.url"]),
    ({"title": "", "decision": "snart"}, ["errors.required", "time.unreadable"]),
    ({"ask_days": "21, 200"}, ["errors.ask_days"]),
    ({"topics": "fotboll"}, ["errors.choice"]),
])
async def test_bad_input_is_explained_and_changes_nothing(
    app: App, changes: dict[str, str], problem_keys: list[str]
):
    with pytest.raises(UserError) as error:
        await app.run(COORDINATOR, issues.create, **(ISSUE | changes))

    problems = error.value.problems if isinstance(error.value, FormProblems) else [error.value]
    assert [p.problem.key for p in problems] == problem_keys
    assert await count(app, Issue) == 0 and await count(app, Reminder) == 0


async def test_a_past_decision_says_when_that_was(app: App):
    with pytest.raises(FieldProblem) as error:
        await app.run(COORDINATOR, issues.create, **(ISSUE | {"decision": "i dag 08:00"}))

    assert render(error.value.text, "sv") == (
        'Beslut: "i dag 08:00" läser jag som tisdag 1 december 2026 kl. 08:00, och den tiden har redan '
        "varit. Ange en tid som ligger framåt.")


async def test_a_committee_decision_needs_the_committee_named(app: App):
    with pytest.raises(FieldProblem) as error:
        await app.run(COORDINATOR, issues.create, **(ISSUE | {"body": "nämnd"}))
    assert error.value.problem.key == "issues.committee_required"

    await app.run(COORDINATOR, issues.create, **(ISSUE | {"body": "nämnd", "committee": "Tekniska nämnden"}))
    shown = await app.run(ANNA, issues.show, issue="Parkering")
    assert "Beslutande organ: Tekniska nämnden" in "\n".join(
        f"{render(f.name, 'sv')}: {render(f.value, 'sv')}" for f in shown.fields)


async def test_a_material_change_alerts_again_and_a_small_one_does_not(app: App, notifier: RecordingNotifier):
    await onboard(app, ANNA)
    issue_id = await create_issue(app)
    await app.dispatcher.run_due()
    notifier.sent.clear()

    quiet = await app.run(COORDINATOR, issues.edit, issue=str(issue_id), position="Behåll minst 150 platser.")
    await app.dispatcher.run_due()
    assert render(quiet.body, "sv") == "Sparat. Ändringen skickas inte ut som larm."
    assert notifier.sent == []

    loud = await app.run(COORDINATOR, issues.edit, issue="parkering", decision="2027-02-04 18:00")
    await app.dispatcher.run_due()
    assert "nytt larm" in render(loud.body, "sv")
    [dm] = notifier.to("dm:anna")
    assert "📢 Ändrad fråga: Parkering i centrum" in dm.text and "Ändrat: beslutstid" in dm.text
    assert "torsdag 4 februari 2027 kl. 18:00" in dm.text


async def test_changing_the_decision_moves_the_rounds_of_questions(app: App):
    issue_id = await create_issue(app)
    await app.run(COORDINATOR, issues.edit, issue=str(issue_id), decision="2027-02-04 18:00")

    async with app.sessionmaker() as session:
        due = list(await session.scalars(select(Reminder.due_at).where(
            Reminder.kind == "issues.ask", Reminder.status == reminders.PENDING).order_by(Reminder.due_at)))
    assert due == [datetime(2027, 1, 14, 17, 0, tzinfo=UTC), datetime(2027, 1, 21, 17, 0, tzinfo=UTC)]


async def test_editing_refuses_an_unknown_issue_and_nothing_to_change(app: App):
    await create_issue(app)

    with pytest.raises(UserError) as unknown:
        await app.run(COORDINATOR, issues.edit, issue="Bredband", title="x")
    assert unknown.value.text.key == "issues.unknown"
    with pytest.raises(UserError) as nothing:
        await app.run(COORDINATOR, issues.edit, issue="Parkering")
    assert nothing.value.text.key == "issues.nothing_to_change"


async def test_closing_stops_the_questions_and_tells_the_group(app: App, notifier: RecordingNotifier):
    issue_id = await create_issue(app)
    await app.dispatcher.run_due()
    notifier.sent.clear()

    reply = await app.run(
        COORDINATOR, issues.close, issue=str(issue_id), outcome=civics.Outcome.WON, note="Platserna blir kvar"
    )

    assert render(reply.body, "sv") == "Stängd: Parkering i centrum (vunnen). Gruppen har fått besked."
    [post] = notifier.to(f"channel:{Channel.ANNOUNCEMENTS}")
    assert "Frågan är avgjord" in post.text and "Platserna blir kvar" in post.text
    async with app.sessionmaker() as session:
        pending = await session.scalar(select(func.count()).select_from(Reminder).where(
            Reminder.kind == "issues.ask", Reminder.status == reminders.PENDING))
    assert pending == 0
    with pytest.raises(UserError) as again:
        await app.run(COORDINATOR, issues.close, issue=str(issue_id), outcome="lost")
    assert again.value.text.key == "issues.closed_already"


async def test_the_list_shows_open_issues_soonest_first_and_filters(app: App, clock: FrozenClock):
    await create_issue(app)
    await create_issue(
        app,
        title="Upphandling av skolmat",
        municipality="Ronneby",
        decision="2026-12-17 18:00",
        hashtag="LokalMat",
    )
    closed = await create_issue(app, title="Bredband", decision="2027-03-01")
    await app.run(COORDINATOR, issues.close, issue=str(closed), outcome="postponed")

    listed = render((await app.run(ANNA, issues.list_issues)).body, "sv")
    assert listed.index("Upphandling av skolmat") < listed.index("Parkering i centrum")
    assert "Bredband" not in listed
    assert "Ronneby" not in render(
        (await app.run(ANNA, issues.list_issues, municipality="karlskrona")).body, "sv"
    )
    closed_reply = await app.run(ANNA, issues.list_issues, status=issues.IssueStatus.CLOSED)
    closed_list = render(closed_reply.body, "sv")
    assert "Bredband" in closed_list and "(stängd: uppskjuten)" in closed_list


async def test_show_tells_coordinators_who_follows_and_who_helps(app: App):
    await onboard(app, ANNA)
    issue_id = await create_issue(app)
    await app.press(ANNA, follows.HELP_ACTION, str(issue_id))

    for_member = await app.run(ANNA, issues.show, issue="parkering i centrum")
    for_coordinator = await app.run(COORDINATOR, issues.show, issue=str(issue_id))

    assert "Följare" not in fields_of(for_member)
    coordinators_view = fields_of(for_coordinator)
    assert coordinators_view["Följare"] == "1" and coordinators_view["Vill hjälpa till"] == "Anna"
    assert "7 januari 2027 18:00" in coordinators_view["Frågerundor"]


async def test_issues_do_not_leak_between_workspaces(app: App):
    issue_id = await create_issue(app)
    elsewhere = identity("eva", coordinator=True, workspace="guild-2")

    with pytest.raises(UserError) as error:
        await app.run(elsewhere, issues.show, issue=str(issue_id))
    assert error.value.text.key == "issues.unknown"
    assert render((await app.run(elsewhere, issues.list_issues)).body, "sv").startswith("Inga frågor")


async def test_the_calendar_has_one_event_per_open_issue_with_a_stable_uid(app: App):
    first = await create_issue(app)
    await create_issue(app, title="Bredband", decision="2027-03-01")

    one = (await app.run(ANNA, issues.calendar)).files[0]
    await app.run(COORDINATOR, issues.edit, issue=str(first), decision="2027-02-04 18:00")
    two = (await app.run(ANNA, issues.calendar)).files[0]

    assert one.filename == "jobbskaparna-beslut.ics"
    text_one, text_two = one.data.decode(), two.data.decode()
    assert text_one.count("BEGIN:VEVENT") == 2
    uid = f"UID:issue-{first}-test-guild-1@jobbskaparna"
    assert uid in text_one and uid in text_two
    assert "DTSTART:20270128T170000Z" in text_one and "DTSTART:20270204T170000Z" in text_two
    assert "SEQUENCE:0" in text_one and "SEQUENCE:1" in text_two
    assert "DTSTART;VALUE=DATE:20270301" in text_one


async def test_hashtag_shows_the_group_hashtags_and_a_ready_text(app: App):
    await create_issue(app)
    await create_issue(app, title="Skolmat", hashtag="LokalMat", decision="2027-02-01 18:00")
    await app.run(COORDINATOR, media.add, name="Sydöstran", municipality="Karlskrona", x_handle="@sydostran")

    overview = await app.run(ANNA, issues.hashtags)
    one = await app.run(ANNA, issues.hashtags, issue="Parkering")

    assert "#ParkeraKarlskrona: Parkering i centrum" in render(overview.body, "sv")
    assert render(overview.fields[0].value, "sv").endswith("#ParkeraKarlskrona #LokalMat")
    ready = render(one.fields[0].value, "sv")
    assert "#ParkeraKarlskrona @sydostran" in ready and "<t:" not in ready
    assert next(link.url.split("?")[0] for link in one.links) == "https://x.com/intent/post"


async def test_open_issues_feed_the_drafts_with_targets_and_media(app: App):
    await import_politicians(app)
    await create_issue(app)
    await create_issue(
        app, title="Skolmat", municipality="Ronneby", decision="2027-01-10 18:00", hashtag="LokalMat"
    )
    await app.run(COORDINATOR, stances.set_stance, issue="Parkering", politician="Åsa Ek", stance="for")
    await app.run(COORDINATOR, media.add, name="Sydöstran", municipality="Karlskrona", x_handle="sydostran")

    async with app.sessionmaker() as session:
        workspace_issues = await drafts.open_issues(session, 1, None)
        [listed] = await drafts.open_issues(session, 1, "karlskrona")
        in_karlskrona = await drafts.with_targets(session, 1, [listed])

    assert [i.title for i in workspace_issues] == ["Skolmat", "Parkering i centrum"]
    [parking] = in_karlskrona
    assert parking.hashtag == "#ParkeraKarlskrona" and parking.decision_at == DECISION_UTC
    assert "Åsa Ek" not in parking.target_names  # already for us
    assert set(parking.target_handles) == {"bjornost", "davidlund"}
    # Each handle with its owner's name (not every target has a handle, so target_names does not line up).
    assert dict(zip(parking.target_handles, parking.handle_names, strict=True)) == {
        "bjornost": "Björn Öst", "davidlund": "David Lund"}
    assert parking.media_handles == ("sydostran",)
    # A list names no one: whom to ask is read only for the issues a draft names.
    assert listed == dataclasses.replace(parking, target_handles=(), target_names=(), handle_names=(),
                                         media_handles=())


async def test_a_stale_alert_is_skipped_and_a_closed_issue_alerts_nobody(app: App, clock: FrozenClock,
                                                                         notifier: RecordingNotifier):
    await onboard(app, ANNA)
    notifier.sent.clear()
    first = await create_issue(app)
    clock.advance(issues.ALERT_GRACE + timedelta(hours=1))  # the bot was down
    report = await app.dispatcher.run_due()
    # Nobody gets the stale alert; the coordinators are told it was skipped.
    assert len(report.skipped) == 1 and [s.to for s in notifier.sent] == ["channel:coordinators"]
    assert "• Larmet om Parkering i centrum, planerat till 1 december 2026 10:00" in notifier.sent[0].text

    second = await create_issue(app, title="Bredband")
    await app.run(COORDINATOR, issues.close, issue=str(second), outcome="withdrawn")
    await app.dispatcher.run_due()
    assert notifier.to("dm:anna") == [] and first != second


async def test_a_dash_empties_an_optional_field(app: App):
    issue_id = await create_issue(app, topics="parkering", committee=None)

    await app.run(COORDINATOR, issues.edit, issue=str(issue_id), source="-", topics="-")

    async with app.sessionmaker() as session:
        issue = await session.get_one(Issue, issue_id)
    assert issue.source_url is None and issue.topics == []


async def test_the_targets_of_several_issues_read_at_once_are_those_read_one_issue_at_a_time(app: App):
    await several_open_issues(app)

    async with app.sessionmaker() as session:
        expected = await contexts_read_one_issue_at_a_time(session, 1, None)
        listed = await drafts.open_issues(session, 1, None)
        with counting(app.engine) as counted:
            filled = await drafts.with_targets(session, 1, listed)
        one = await drafts.with_targets(session, 1, listed[2:3])
        karlskrona = await drafts.with_targets(session, 1, await drafts.open_issues(session, 1, "karlskrona"))

    assert len(expected) == 4 and any(i.target_handles for i in expected)
    assert {handle for i in expected for handle in i.media_handles} == {"sydostran", "blt", "rt"}
    assert filled == expected
    assert one == expected[2:3]
    assert karlskrona == [i for i in expected if i.municipality == "karlskrona"]
    # Whom to ask about four issues: the issues, deciders, stances, seats and media, one statement each.
    assert counted.count == 5, str(counted)
