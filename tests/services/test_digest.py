"""The weekly digest: the week's figures and chart, posted Monday morning local time, planned week after week."""

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
from bot.errors import NotCoordinator
from bot.i18n import render
from bot.models import Reminder
from bot.replies import Attachment, Channel, Reply, reply_from_json, reply_to_json
from bot.services import activity, coaching, digest, stories
from bot.validation import FieldProblem
from tests.conftest import RecordingNotifier, identity
from tests.issue_fixtures import ANNA, BO, COORDINATOR, create_issue, onboard

CIA = identity("cia")
# Monday 7 December 2026, 08:00 in Stockholm: the first digest after the suite's start (Tuesday 1 December).
FIRST_DIGEST = datetime(2026, 12, 7, 7, 0, tzinfo=UTC)


def field(reply: Reply, starts: str) -> str:
    return next(f"{render(f.name, 'sv')}: {render(f.value, 'sv')}" for f in reply.fields
                if render(f.name, "sv").startswith(starts))


def chart_description(attachment: Attachment) -> dict:
    assert attachment.data.startswith(b"\x89PNG\r\n\x1a\n")
    return json.loads(Image.open(io.BytesIO(attachment.data)).info["Description"])


async def pending_digests(app: App) -> list[datetime]:
    async with app.sessionmaker() as session:
        return list(await session.scalars(select(Reminder.due_at).where(
            Reminder.kind == digest.DIGEST_KIND, Reminder.status == reminders.PENDING)))


async def test_digest_now_shows_the_weeks_figures_and_a_chart_of_the_weeks_before(app: App, clock: FrozenClock):
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
    assert field(reply, "Insatser") == ("Insatser (4): Tweetade: 2\nFrågade en politiker: 1 försök\n"
                                        "Bloggade: 1")
    assert field(reply, "Nya medlemmar") == "Nya medlemmar (2): Bo, Cia"
    assert field(reply, "Coachningssteg") == (
        "Coachningssteg (4): " + render(coaching.Step("intro", "tweet", 1).title_text(), "sv") + ": 2\n"
        + render(coaching.Step("blog", "blog", 4).title_text(), "sv") + ": 1\n"
        + render(coaching.Step("story", "story", 6).title_text(), "sv") + ": 1")
    assert field(reply, "Berättelser") == ("Berättelser (1): Delade: 1, varav publika: 1\n"
                                           "⭐ #1 Kunder via X – Cia, Annas Blommor")
    assert field(reply, "Kommande beslut").startswith(
        "Kommande beslut: #1 Parkering i centrum: 22 dagar kvar (torsdag 31 december 2026 kl. 18:00)")
    [png] = reply.files
    assert png.filename == "aktivitet-2026-v50.png"
    description = chart_description(png)
    assert description["actions"] == [0, 0, 0, 0, 0, 0, 1, 4] and description["stories"][-1] == 1
    assert description["weeks"][-1] == "2026-12-02"


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
    [png] = post.reply.files  # the chart travelled through the delivery row
    assert chart_description(png)["actions"][-1] == 1
    assert await pending_digests(app) == [FIRST_DIGEST + timedelta(days=7)]


async def test_settings_move_the_digest_send_it_to_everyone_or_turn_it_off(app: App, clock: FrozenClock,
                                                                           notifier: RecordingNotifier):
    await onboard(app, ANNA)

    reply = await app.run(COORDINATOR, digest.configure, day="fredag", hour="16", announce="ja")

    assert render(reply.body, "sv") == "Sparat. Så här går sammanfattningen ut nu:"
    assert field(reply, "När") == "När: varje fredag kl. 16:00"
    assert field(reply, "Till") == "Till: koordinatorskanalen och annonskanalen"
    friday = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)
    assert await pending_digests(app) == [friday]
    await app.dispatcher.run_due()
    notifier.sent.clear()
    clock.set(friday)
    await app.dispatcher.run_due()
    assert sorted(s.to for s in notifier.sent) == [f"channel:{Channel.ANNOUNCEMENTS}",
                                                   f"channel:{Channel.COORDINATORS}"]

    off = await app.run(COORDINATOR, digest.configure, enabled="nej")
    assert field(off, "Nästa") == "Nästa: ingen (sammanfattningen är avstängd)"
    assert await pending_digests(app) == []
    with pytest.raises(FieldProblem) as bad_day:
        await app.run(COORDINATOR, digest.configure, day="söndagsmorgon")
    with pytest.raises(FieldProblem) as bad_hour:
        await app.run(COORDINATOR, digest.configure, hour="25")
    assert render(bad_day.value.text, "sv") == \
        'Dag: "söndagsmorgon" är ingen veckodag. Skriv till exempel måndag eller 1.'
    assert render(bad_hour.value.text, "sv") == 'Timme: "25" är ingen timme. Skriv en timme mellan 0 och 23.'
    with pytest.raises(NotCoordinator):
        await app.run(ANNA, digest.configure, day="1")


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


def test_the_digest_keeps_its_local_hour_over_the_change_to_summer_time():
    settings = digest.DigestSettings(weekday=1, hour=8)
    before = digest.next_digest_at(settings, "Europe/Stockholm", datetime(2027, 3, 20, 12, tzinfo=UTC))
    after = digest.next_digest_at(settings, "Europe/Stockholm", before)

    assert before == datetime(2027, 3, 22, 7, 0, tzinfo=UTC)  # 08:00 winter time
    assert after == datetime(2027, 3, 29, 6, 0, tzinfo=UTC)  # 08:00 summer time


def test_a_message_with_a_file_survives_the_delivery_row():
    reply = Reply(body=None, files=(Attachment("a.png", b"\x89PNG\x00\xff"),), private=False)

    assert reply_from_json(json.loads(json.dumps(reply_to_json(reply)))).files == reply.files
