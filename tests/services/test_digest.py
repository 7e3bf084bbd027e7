"""The weekly digest: the week's figures and chart, posted Monday morning local time, planned week after week;
the coordinators' copy lists what could not be delivered that week."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image
from sqlalchemy import select

from bot import reminders
from bot.app import App
from bot.clock import FrozenClock
from bot.delivery import RoleNotGranted
from bot.errors import NotCoordinator
from bot.i18n import render
from bot.models import Delivery, Member, Reminder, Workspace
from bot.replies import Attachment, Channel, Reply, Role, reply_from_json, reply_to_json
from bot.services import activity, contacts, digest, ladder, stories
from bot.services.activity import ContactChannel
from bot.validation import FieldProblem
from tests.conftest import RecordingNotifier, identity
from tests.issue_fixtures import ANNA, BO, COORDINATOR, create_issue, import_politicians
from tests.support.onboarding import onboard
from tests.support.replies import field_line

CIA = identity("cia")
# Monday 7 December 2026, 08:00 in Stockholm: the first digest after the suite's start (Tuesday 1 December).
FIRST_DIGEST = datetime(2026, 12, 7, 7, 0, tzinfo=UTC)


def chart_description(attachment: Attachment) -> dict:
    assert attachment.data.startswith(b"\x89PNG\r\n\x1a\n")
    return json.loads(Image.open(io.BytesIO(attachment.data)).info["Description"])


async def pending_digests(app: App) -> list[datetime]:
    async with app.sessionmaker() as session:
        return list(await session.scalars(select(Reminder.due_at).where(
            Reminder.kind == digest.DIGEST_KIND, Reminder.status == reminders.PENDING)))


async def test_digest_now_shows_the_weeks_figures_and_a_chart_of_the_weeks_before(
    app: App, clock: FrozenClock
):
    await onboard(app, ANNA)
    await app.run(ANNA, activity.did, kind="tweet")  # eight days before the digest: last week's bar
    clock.advance(timedelta(days=8))
    await create_issue(app, decision="2026-12-31 18:00")
    await onboard(app, BO)
    await onboard(app, CIA)
    await app.run(ANNA, activity.did, kind="blog")
    await app.run(BO, activity.did, kind="tweet")
    await app.run(BO, activity.did, kind="ask", status="attempted")
    await app.run(CIA, activity.did, kind="tweet")
    await app.submit(CIA, stories.FORM_ID, {"title": "Kunder via X", "kind": "tweet", "value": "Två kunder.",
                                            "visibility": "public"})
    await app.run(COORDINATOR, stories.feature, story="1")

    with pytest.raises(NotCoordinator):
        await app.run(ANNA, digest.digest_now)
    reply = await app.run(COORDINATOR, digest.digest_now)

    assert reply.private
    assert render(reply.title, "sv") == "📊 Veckans sammanfattning, 2 december 2026 – 9 december 2026"
    assert field_line(reply, "Insatser") == ("Insatser (4): Tweetade: 2\nFrågade en politiker: 1 försök\n"
                                        "Bloggade: 1")
    assert field_line(reply, "Nya medlemmar") == "Nya medlemmar (2): Bo, Cia"
    assert field_line(reply, "Coachningssteg") == (
        "Coachningssteg (4): " + render(ladder.Step("intro", "tweet", 1).title_text(), "sv") + ": 2\n"
        + render(ladder.Step("blog", "blog", 4).title_text(), "sv") + ": 1\n"
        + render(ladder.Step("story", "story", 6).title_text(), "sv") + ": 1")
    assert field_line(reply, "Berättelser") == ("Berättelser (1): Delade: 1, varav publika: 1\n"
                                           "⭐ #1 Kunder via X – Cia, Annas Blommor")
    assert field_line(reply, "Kommande beslut").startswith(
        "Kommande beslut: #1 Parkering i centrum: 22 dagar kvar (torsdag 31 december 2026 kl. 18:00)")
    [png] = reply.files
    assert png.filename == "aktivitet-2026-v50.png"
    description = chart_description(png)
    assert description["actions"] == [0, 0, 0, 0, 0, 0, 1, 4] and description["stories"][-1] == 1
    assert description["weeks"][-1] == "2026-12-02"


async def test_the_digest_counts_the_contacts_with_politicians_by_how_they_were_made(app: App):
    await onboard(app, ANNA)
    await onboard(app, BO)
    await import_politicians(app)
    await create_issue(app, decision="2026-12-31 18:00")
    await app.run(ANNA, contacts.contact, politician="Åsa Ek", how=ContactChannel.PHONE, issue="Parkering")
    await app.run(BO, contacts.contact, politician="David Lund", how=ContactChannel.PHONE)
    await app.run(BO, contacts.contact, politician="Åsa Ek", how=ContactChannel.FIKA)
    await app.run(BO, activity.did, kind="tweet")

    reply = await app.run(COORDINATOR, digest.digest_now)

    assert field_line(reply, "Insatser") == (
        "Insatser (4): Tweetade: 1\nFrågade en politiker: 2\nTräffade en politiker: 1\n"
        "Kontakter med politiker: 📞 telefon 2 · ☕ fika 1")


async def test_the_digest_goes_to_the_coordinators_monday_morning_and_plans_the_next_week(
        app: App, clock: FrozenClock, notifier: RecordingNotifier):
    await onboard(app, ANNA)  # a member onboards: the digest is planned
    assert await pending_digests(app) == [FIRST_DIGEST]
    await app.run(ANNA, activity.did, kind="tweet")
    await app.dispatcher.run_due()
    notifier.sent.clear()

    clock.set(FIRST_DIGEST)
    await app.dispatcher.run_due()
    await app.dispatcher.run_due()

    [post] = notifier.sent
    assert post.to == f"channel:{Channel.COORDINATORS}"
    assert "Insatser (1): Tweetade: 1" in post.text
    assert "Utskick som inte gick fram" not in post.text  # nothing failed: nothing said
    [png] = post.reply.files  # the chart travelled through the delivery row
    assert chart_description(png)["actions"][-1] == 1
    assert await pending_digests(app) == [FIRST_DIGEST + timedelta(days=7)]


async def test_settings_move_the_digest_send_it_to_everyone_or_turn_it_off(app: App, clock: FrozenClock,
                                                                           notifier: RecordingNotifier):
    await onboard(app, ANNA)

    reply = await app.run(COORDINATOR, digest.configure, day="fredag", hour=16, announce=True)

    assert render(reply.body, "sv") == "Sparat. Så här går sammanfattningen ut nu:"
    assert field_line(reply, "När") == "När: varje fredag kl. 16:00"
    assert field_line(reply, "Till") == "Till: koordinatorskanalen och annonskanalen"
    friday = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)
    assert await pending_digests(app) == [friday]
    await app.dispatcher.run_due()
    notifier.sent.clear()
    clock.set(friday)
    await app.dispatcher.run_due()
    assert sorted(s.to for s in notifier.sent) == [f"channel:{Channel.ANNOUNCEMENTS}",
                                                   f"channel:{Channel.COORDINATORS}"]

    off = await app.run(COORDINATOR, digest.configure, enabled=False)
    assert field_line(off, "Nästa") == "Nästa: ingen (sammanfattningen är avstängd)"
    assert await pending_digests(app) == []
    with pytest.raises(FieldProblem) as bad_day:
        await app.run(COORDINATOR, digest.configure, day="söndagsmorgon")
    with pytest.raises(FieldProblem) as bad_hour:
        await app.run(COORDINATOR, digest.configure, hour=25)
    assert render(bad_day.value.text, "sv") == \
        'Dag: "söndagsmorgon" är ingen veckodag. Skriv till exempel måndag eller 1.'
    assert render(bad_hour.value.text, "sv") == 'Timme: "25" är ingen timme. Skriv en timme mellan 0 och 23.'
    with pytest.raises(NotCoordinator):
        await app.run(ANNA, digest.configure, day="1")


async def test_the_announcements_copy_names_no_group_only_story(app: App, clock: FrozenClock,
                                                               notifier: RecordingNotifier):
    await onboard(app, ANNA)
    for title, visibility in (("Publik och lyft", "public"), ("Bara vår och lyft", "group")):
        await app.submit(ANNA, stories.FORM_ID, {"title": title, "kind": "tweet", "value": "Två kunder.",
                                                 "visibility": visibility})
    await app.run(COORDINATOR, stories.feature, story="1")
    await app.run(COORDINATOR, stories.feature, story="2")
    await app.run(COORDINATOR, digest.configure, announce=True)
    await app.dispatcher.run_due()
    notifier.sent.clear()

    clock.set(FIRST_DIGEST)
    await app.dispatcher.run_due()
    await app.dispatcher.run_due()

    [announced] = notifier.to(f"channel:{Channel.ANNOUNCEMENTS}")
    [own] = notifier.to(f"channel:{Channel.COORDINATORS}")
    assert field_line(announced.reply, "Berättelser") == (
        "Berättelser (2): Delade: 2, varav publika: 1\n⭐ #1 Publik och lyft – Anna, Annas Blommor\n"
        "⭐ Och 1 av gruppens egna berättelser, för medlemmarna: /berättelse lista lyfta:ja")
    assert "⭐ #2 Bara vår och lyft – Anna, Annas Blommor" in field_line(own.reply, "Berättelser")


async def test_the_announcements_copy_names_no_public_story_a_coordinator_hid(app: App, clock: FrozenClock,
                                                                          notifier: RecordingNotifier):
    await onboard(app, ANNA)
    for title in ("Publik och lyft", "Publik men dold"):
        await app.submit(ANNA, stories.FORM_ID, {"title": title, "kind": "tweet", "value": "Två kunder.",
                                                 "visibility": "public"})
    await app.run(COORDINATOR, stories.feature, story="1")
    await app.run(COORDINATOR, stories.feature, story="2")
    await app.run(COORDINATOR, stories.hide, story="2")
    await app.run(COORDINATOR, digest.configure, announce=True)
    await app.dispatcher.run_due()
    notifier.sent.clear()

    clock.set(FIRST_DIGEST)
    await app.dispatcher.run_due()
    await app.dispatcher.run_due()

    [announced] = notifier.to(f"channel:{Channel.ANNOUNCEMENTS}")
    [own] = notifier.to(f"channel:{Channel.COORDINATORS}")
    assert "Publik men dold" not in field_line(announced.reply, "Berättelser")
    assert "⭐ #1 Publik och lyft – Anna, Annas Blommor" in field_line(announced.reply, "Berättelser")
    assert "⭐ #2 Publik men dold – Anna, Annas Blommor" in field_line(own.reply, "Berättelser")


async def test_a_digest_the_bot_slept_through_is_skipped_and_the_next_one_planned(
        app: App, clock: FrozenClock, notifier: RecordingNotifier):
    await onboard(app, ANNA)
    await app.dispatcher.run_due()
    notifier.sent.clear()

    clock.set(FIRST_DIGEST + timedelta(days=3))
    await app.dispatcher.run_due()

    assert [s for s in notifier.sent if s.to == f"channel:{Channel.COORDINATORS}"
            and "sammanfattning" in s.text] == []
    assert await pending_digests(app) == [FIRST_DIGEST + timedelta(days=7)]


class HTTPException(Exception):
    """Stands in for discord.HTTPException: the dispatcher stores the error's class name and text."""


async def test_the_coordinators_digest_says_what_could_not_be_delivered_and_the_groups_copy_does_not(
        app: App, clock: FrozenClock, notifier: RecordingNotifier, monkeypatch: pytest.MonkeyPatch):
    post = notifier.post

    async def post_but_not_in_the_stories_channel(workspace: Workspace, channel: Channel, reply: Reply, *,
                                                   nonce: str | None = None) -> str | None:
        if channel == Channel.STORIES:
            raise HTTPException("403 Forbidden (error code: 50001): Missing Access")
        return await post(workspace, channel, reply, nonce=nonce)

    async def grant_but_not_to_bo(workspace: Workspace, member: Member, role: Role) -> None:
        if member.external_id == "bo":
            raise RoleNotGranted("50013 Missing Permissions")
        notifier.roles.append((member.external_id, role))

    monkeypatch.setattr(notifier, "post", post_but_not_in_the_stories_channel)
    monkeypatch.setattr(notifier, "grant_role", grant_but_not_to_bo)
    await app.run(COORDINATOR, digest.configure, announce=True)
    await onboard(app, ANNA)
    await onboard(app, BO)  # the member role is refused
    notifier.closed.add("anna")
    await app.run(ANNA, activity.did, kind="ask", status="attempted")
    await app.submit(ANNA, stories.FORM_ID, {"title": "Kunder via X", "kind": "tweet", "value": "Två kunder.",
                                             "visibility": "public"})  # its post in the stories channel fails
    for _ in range(5):  # the retries after 1, 4, 16 and 64 minutes fail too
        clock.advance(timedelta(minutes=70))
        await app.dispatcher.run_due()
    clock.advance(timedelta(days=3))
    await app.dispatcher.run_due()  # the retry reminder's DM to Anna: DMs closed, she is mentioned instead
    notifier.sent.clear()

    clock.set(FIRST_DIGEST)
    await app.dispatcher.run_due()

    [to_group] = notifier.to(f"channel:{Channel.ANNOUNCEMENTS}")
    [to_coordinators] = [
        s for s in notifier.to(f"channel:{Channel.COORDINATORS}") if "sammanfattning" in s.text
    ]
    assert "Utskick som inte gick fram" not in to_group.text
    assert to_coordinators.text.endswith(
        "Utskick som inte gick fram (3): "
        "Inlägg efter ett kommando till berättelsekanalen: boten får inte skriva i berättelsekanalen\n"
        "Medlemsrollen till Bo: botens roll står under rollen den skulle ge, "
        "eller saknar behörigheten Hantera roller\n"
        "Påminnelse att försöka igen till Anna: DM stängda, nämnd i annonskanalen i stället")
    assert "50013" not in to_coordinators.text and "Forbidden" not in to_coordinators.text
    now = await app.run(COORDINATOR, digest.digest_now)  # the coordinator's own copy has it too
    assert field_line(now, "Utskick som inte gick fram").startswith("Utskick som inte gick fram (3): ")


async def seed_failed(app: App, workspace: str, kind: str, at: datetime, count: int = 1) -> None:
    """Store `count` posts of a reminder of `kind` in the coordinators' channel that failed for good."""
    async with app.sessionmaker() as session, session.begin():
        workspace_id = await session.scalar(select(Workspace.id).where(Workspace.external_id == workspace))
        reminder = Reminder(
            workspace_id=workspace_id,
            kind=kind,
            key=f"seed:{kind}:{at.isoformat()}",
            due_at=at,
            payload={},
            status=reminders.FANNED_OUT,
            created_at=at,
            fired_at=at,
        )
        session.add(reminder)
        await session.flush()
        for number in range(count):
            key = f"{reminder.id}:channel:{number}"
            session.add(
                Delivery(
                    workspace_id=workspace_id,
                    reminder_id=reminder.id,
                    member_id=None,
                    channel=str(Channel.COORDINATORS),
                    key=key,
                    nonce=key,
                    message={},
                    status="failed",
                    not_before=at,
                    attempts=5,
                    last_error="OSError: no route",
                    created_at=at,
                )
            )


async def test_the_digest_shows_ten_kinds_of_failure_and_counts_the_rest_of_its_own_week_and_workspace(
        app: App, clock: FrozenClock):
    await onboard(app, ANNA)
    await onboard(app, identity("eva", workspace="guild-2"))
    clock.advance(timedelta(days=6))
    week = clock.now() - timedelta(days=3)
    await seed_failed(app, "guild-1", "custom.a", week, count=3)
    for letter in "bcdefghijkl":
        await seed_failed(app, "guild-1", f"custom.{letter}", week)
    await seed_failed(app, "guild-1", "custom.old", clock.now() - timedelta(days=8))  # the week before
    await seed_failed(app, "guild-2", "custom.other", week)  # another workspace

    reply = await app.run(COORDINATOR, digest.digest_now)

    lines = field_line(reply, "Utskick som inte gick fram").splitlines()
    assert lines[0] == ("Utskick som inte gick fram (14): Påminnelse (custom.a) till koordinatorskanalen: "
                        "ett oväntat fel (detaljerna finns i botens logg) (3 gånger)")
    assert [line.split(" till ")[0] for line in lines[1:10]] == [
        f"Påminnelse (custom.{x})" for x in "bcdefghij"
    ]
    assert lines[10:] == ["… och 2 till"]
    assert "custom.old" not in render(reply.fields[-1].value, "sv")


def test_the_digest_keeps_its_local_hour_over_the_change_to_summer_time():
    settings = digest.DigestSettings(weekday=1, hour=8)
    before = digest.next_digest_at(settings, "Europe/Stockholm", datetime(2027, 3, 20, 12, tzinfo=UTC))
    after = digest.next_digest_at(settings, "Europe/Stockholm", before)

    assert before == datetime(2027, 3, 22, 7, 0, tzinfo=UTC)  # 08:00 winter time
    assert after == datetime(2027, 3, 29, 6, 0, tzinfo=UTC)  # 08:00 summer time


def test_a_message_with_a_file_survives_the_delivery_row():
    reply = Reply(body=None, files=(Attachment("a.png", b"\x89PNG\x00\xff"),), private=False)

    assert reply_from_json(json.loads(json.dumps(reply_to_json(reply)))).files == reply.files
