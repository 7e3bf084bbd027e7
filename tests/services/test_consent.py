"""Consent before data: before consent a member row holds no name; a member who declined is sent nothing
unasked (by no planner), can still onboard later, and a row without consent is purged 30 days after its last
use of the bot."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from bot import reminders
from bot.app import App
from bot.clock import FrozenClock
from bot.models import Delivery, Follow, Member, PeerMember, RapidResponse, Reminder
from bot.replies import Channel, Role
from bot.services import (
    activity,
    agenda,
    conversation,
    countdowns,
    issues,
    onboarding,
    pairing,
    pledges,
    profile,
    rapid,
    relationships,
    retention,
)
from bot.watcher import poll
from tests.conftest import START, RecordingNotifier, identity
from tests.issue_fixtures import ANNA, BO, COORDINATOR, create_issue
from tests.support.countdowns import the_members
from tests.support.onboarding import answers, onboard

EVE, FIA, GUS = identity("eve"), identity("fia"), identity("gus")
DECLINED = answers(consent="nej")


async def _member(app: App, external_id: str) -> Member | None:
    async with app.sessionmaker() as session:
        return await session.scalar(select(Member).where(Member.external_id == external_id))


async def _join(app: App, who: str) -> None:
    await app.member_joined("test", "guild-1", "Testgruppen", who, who.title())


async def _reminders_of(app: App, member_id: int) -> list[str]:
    async with app.sessionmaker() as session:
        return list(await session.scalars(select(Reminder.status).where(
            Reminder.key == f"{onboarding.NUDGE_KIND}:member:{member_id}")))


async def _run_until_quiet(app: App) -> None:
    """Send what is due, and the follow-ups of batched fan-outs planned at once."""
    for _ in range(20):
        report = await app.dispatcher.run_due()
        if not report.fanned_out:
            return


# -- what is kept before consent -----------------------------------------------------------------------------


async def test_a_member_who_joins_or_writes_has_a_row_without_their_name(app: App, clock: FrozenClock):
    await _join(app, "eve")
    clock.advance(timedelta(hours=1))
    await app.run(GUS, profile.set_language, language="en")  # someone who never joined writes to the bot

    eve, gus = await _member(app, "eve"), await _member(app, "gus")
    assert (eve.display_name, eve.joined_at, eve.last_seen_at, eve.consented_at) == ("", START, START, None)
    assert (gus.display_name, gus.language, gus.consented_at) == ("", "en", None)


async def test_consent_stores_the_name_the_platform_shows_and_drops_what_was_kept_for_the_purge(
        app: App, clock: FrozenClock):
    await _join(app, "anna")
    clock.advance(timedelta(days=1))
    await onboard(app, ANNA)

    anna = await _member(app, "anna")
    assert anna.display_name == "Anna" and anna.consented_at == START + timedelta(days=1)
    assert anna.last_seen_at is None and anna.consent_declined_at is None


async def test_the_last_use_before_consent_is_kept_to_the_day(app: App, clock: FrozenClock):
    await _join(app, "eve")
    clock.advance(timedelta(hours=23))
    await app.run(EVE, issues.list_issues)
    assert (await _member(app, "eve")).last_seen_at == START  # less than a day later: no write

    clock.advance(timedelta(hours=2))
    await app.run(EVE, issues.list_issues)
    assert (await _member(app, "eve")).last_seen_at == START + timedelta(hours=25)


# -- declined ------------------------------------------------------------------------------------------------


async def test_a_member_who_declined_gets_no_nudge_and_no_welcome_when_joining_again(
        app: App, clock: FrozenClock, notifier: RecordingNotifier):
    await _join(app, "eve")
    await app.submit(EVE, onboarding.FORM_ID, DECLINED)
    notifier.sent.clear()

    clock.advance(onboarding.NUDGE_AFTER + timedelta(hours=1))
    await _run_until_quiet(app)
    await _join(app, "eve")  # left the server and came back
    await _run_until_quiet(app)

    assert notifier.sent == []
    eve = await _member(app, "eve")
    assert await _reminders_of(app, eve.id) == [reminders.CANCELLED]
    assert eve.last_seen_at == START + onboarding.NUDGE_AFTER + timedelta(hours=1)


async def test_a_member_who_has_not_decided_is_still_nudged(app: App, clock: FrozenClock,
                                                            notifier: RecordingNotifier):
    await _join(app, "fia")
    notifier.sent.clear()

    clock.advance(onboarding.NUDGE_AFTER)
    await _run_until_quiet(app)

    [nudge] = notifier.to("dm:fia")
    assert "Hej @fia!" in nudge.text


async def test_a_member_who_declined_can_still_onboard_with_the_start_button(
        app: App, clock: FrozenClock, notifier: RecordingNotifier):
    await _join(app, "eve")
    await app.submit(EVE, onboarding.FORM_ID, DECLINED)
    clock.advance(timedelta(days=5))

    opened = await app.press(EVE, onboarding.START_ACTION, "")
    assert opened.form is not None and opened.form.form_id == onboarding.FORM_ID
    await onboard(app, EVE)

    eve = await _member(app, "eve")
    assert eve.onboarded_at == START + timedelta(days=5) and eve.display_name == "Eve"
    assert eve.consent_declined_at is None and eve.last_seen_at is None
    assert notifier.roles == [("eve", Role.MEMBER)]


async def test_no_planner_sends_anything_to_a_member_without_consent(
        app: App, clock: FrozenClock, notifier: RecordingNotifier):
    """Every planner fires in a month of the group's life (an issue with its alert, rounds of questions and
    countdown, a pledge, an attempt to try again, the weekly nudges and digests, the outcome), while three
    people without consent are around: Eve declined, Fia joined and never answered, Gus only wrote to the
    bot. They are given every preference a planner reads (DM reminders, Karlskrona, the issue followed), as
    if their rows had them: still the welcome and Fia's one nudge are all they get."""
    await the_members(app)
    await _join(app, "eve")
    await app.submit(EVE, onboarding.FORM_ID, DECLINED)
    await _join(app, "fia")
    await app.run(GUS, issues.list_issues)
    await app.converse(GUS, conversation.Said("hej"))  # a conversation: its expiry sweep fires a day later
    issue_id = await create_issue(app, decision="16 dec 18:00")
    outsiders = {name: (await _member(app, name)).id for name in ("eve", "fia", "gus")}
    workspace_id = (await _member(app, "eve")).workspace_id
    async with app.sessionmaker() as session, session.begin():
        await session.execute(update(Member).where(Member.id.in_(outsiders.values()))
                              .values(dm_reminders=True, municipality="karlskrona"))
        session.add_all(Follow(workspace_id=workspace_id, member_id=member_id, kind=kind, value=value,
                               created_at=START)
                        for member_id in outsiders.values()
                        for kind, value in (("municipality", "karlskrona"), ("issue", str(issue_id))))
        # As if they had opted in to the peer pairing, to learn: Anna learns too, Bo teaches.
        session.add_all(PeerMember(workspace_id=workspace_id, member_id=member_id,
                                   role=pairing.PeerRole.LEARN, joined_at=START, updated_at=START)
                        for member_id in outsiders.values())
    await app.run(ANNA, pairing.join, role=pairing.PeerRole.LEARN)
    await app.run(BO, pairing.join, role=pairing.PeerRole.TEACH)
    await app.run(COORDINATOR, pairing.configure, enabled=True)
    await app.run(COORDINATOR, pairing.round_now)
    # A meeting with a politician: its follow-up the next morning.
    await app.run(ANNA, relationships.add, politician="Åsa Ek", met_on="idag")
    await app.run(ANNA, pledges.pledge, issue="Parkering", kind=pledges.PledgeKind.ATTEND)
    await app.run(ANNA, activity.did, kind=activity.ActivityKind.ASK, status=activity.STATUS.read("försökte"),
                  issue="Parkering")
    # A rapid response (urgent: past the quiet hours too) to the issue's followers, pressed by a member.
    await app.run(COORDINATOR, rapid.start, link="https://x.com/kommunalrad/status/1", ask="Svara.",
                  deadline="2h", issue="Parkering", urgent=True)
    await app.dispatcher.run_due()
    await app.press(ANNA, rapid.DONE_ACTION, str(await _latest_rapid(app)))

    while clock.now() < START + timedelta(days=16):
        clock.advance(timedelta(hours=3))
        await _run_until_quiet(app)
    await app.run(COORDINATOR, countdowns.record_outcome, issue="Parkering", result="won")
    while clock.now() < START + timedelta(days=25):
        clock.advance(timedelta(hours=3))
        await _run_until_quiet(app)

    async with app.sessionmaker() as session:
        fired = set(await session.scalars(select(Reminder.kind).where(Reminder.fired_at.is_not(None))))
        to_outsiders = list((await session.execute(
            select(Member.external_id, Reminder.kind).join(Delivery, Delivery.member_id == Member.id)
            .outerjoin(Reminder, Reminder.id == Delivery.reminder_id)
            .where(Member.id.in_(outsiders.values())).order_by(Delivery.id))).all())
        kept = await session.scalar(select(func.count()).select_from(Member).where(
            Member.id.in_(outsiders.values())))
    # Each planner had its chance (a batch follow-up of the retention only runs past 1,000 old rows; a late
    # stage only for an issue that comes in after a stage's time; the agenda watcher's poll and proposals only
    # for a source a coordinator configured: they fetch and talk to the coordinators' channel only, and
    # tests/watcher and tests/services/test_agenda.py run them).
    assert set(app.contributions.planners) - fired == {retention.BATCH_KIND, countdowns.LATE_KIND, poll.KIND,
                                                       agenda.PROPOSAL_KIND}
    assert kept == 3  # not purged yet: the deliveries above are all they were sent
    assert to_outsiders == [("fia", onboarding.NUDGE_KIND)]  # a sent effect's row (a welcome) is not kept
    assert {name: [s.reply.body.key for s in notifier.to(f"dm:{name}")] for name in outsiders} == {
        "eve": ["onboarding.welcome.body"], "fia": ["onboarding.welcome.body", "onboarding.nudge.body"],
        "gus": []}
    mentioned = {m for s in notifier.sent if s.to.startswith("channel:") for m in s.reply.mentions}
    assert mentioned.isdisjoint(outsiders)
    assert notifier.to(f"channel:{Channel.WELCOME}") == []


async def _latest_rapid(app: App) -> int:
    async with app.sessionmaker() as session:
        return await session.scalar(select(func.max(RapidResponse.id))) or 0


# -- the purge -----------------------------------------------------------------------------------------------


async def _run_retention(app: App, clock: FrozenClock, on: timedelta) -> None:
    """Move to the daily run `on` after the start (04:00 local time) and let it finish."""
    clock.set(retention.next_run("Europe/Stockholm", START + on - timedelta(days=1)))
    await _run_until_quiet(app)


async def test_members_without_consent_are_purged_30_days_after_their_last_use_and_the_rest_kept(
        app: App, clock: FrozenClock):
    await _join(app, "eve")
    await app.submit(EVE, onboarding.FORM_ID, DECLINED)
    await _join(app, "fia")
    await _join(app, "anna")
    await onboard(app, ANNA)
    eve_id, fia_id = (await _member(app, "eve")).id, (await _member(app, "fia")).id
    clock.advance(onboarding.NUDGE_AFTER)
    await _run_until_quiet(app)  # Fia's nudge
    clock.set(START + timedelta(days=20))
    await app.run(GUS, issues.list_issues)  # Gus writes 20 days later: his 30 days start then

    await _run_retention(app, clock, timedelta(days=30))
    assert {m for m in ("eve", "fia", "gus", "anna") if await _member(app, m)} == {"eve", "fia", "gus",
                                                                                    "anna"}

    async with app.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Delivery).where(
            Delivery.member_id == fia_id)) == 1  # her nudge
    await _run_retention(app, clock, timedelta(days=31))
    assert {m for m in ("eve", "fia", "gus", "anna") if await _member(app, m)} == {"gus", "anna"}
    async with app.sessionmaker() as session:
        # Fia's nudge, and both nudges' reminders (Eve's cancelled), went with them.
        assert await session.scalar(select(func.count()).select_from(Delivery).where(
            Delivery.member_id.in_((eve_id, fia_id)))) == 0
    assert await _reminders_of(app, eve_id) == [] and await _reminders_of(app, fia_id) == []

    await _run_retention(app, clock, timedelta(days=51))
    assert {m for m in ("gus", "anna") if await _member(app, m)} == {"anna"}


async def test_the_purge_goes_in_batches(app: App, clock: FrozenClock):
    for number in range(retention.PURGE_BATCH * 2 + 1):
        await _join(app, f"m{number}")

    clock.set(retention.next_run("Europe/Stockholm", START + retention.UNCONSENTED_KEPT))
    await app.dispatcher.run_due()  # the day's run: one batch, and its follow-up planned
    async with app.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Member)) == retention.PURGE_BATCH + 1

    await _run_until_quiet(app)
    async with app.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Member)) == 0


async def test_the_daily_run_is_planned_when_the_first_member_row_is_made(app: App):
    await app.run(GUS, issues.list_issues)  # nobody joined or onboarded: the run is planned all the same

    async with app.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Reminder).where(
            Reminder.kind == retention.DAILY_KIND, Reminder.status == reminders.PENDING)) == 1
