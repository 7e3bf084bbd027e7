"""The countdown end to end: the real bot process against the Discord-protocol server.

A coordinator creates an issue decided in five days: inside the countdown, so the live message is posted at
once and pinned. The bot is killed (SIGKILL) and started again; a member presses a pledge button on the live
message, which still works and counts (the live message is edited in place). A stage then falls due: it is
posted in the announcement channel pinging the member role (and only that role), and DMed to the follower. In
a second scenario the bot is killed the moment a stage's first DM is in; after the restart every member has
exactly one (the fake, like Discord, drops a repeated nonce). The `jobbbot` fixture fails a scenario if the
fake refused any payload the bot sent, or the bot logged an error.

The bot runs on the real clock; to make a stage fall due now the scenario moves that reminder's time in the
bot's database (as time passing would). The running bot's wake-up is still set for the old time (only what
the bot plans itself moves it), so the scenario restarts the bot, which runs at once whatever is due.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sqlite3
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from .botprocess import BotProcess
from .fakediscord import FakeDiscord
from .test_scenarios import WAIT, join_and_onboard, set_up_workspace, sv

pytestmark = [pytest.mark.asyncio, pytest.mark.e2e]

STOCKHOLM = ZoneInfo("Europe/Stockholm")


def _issue(days: int) -> dict[str, str]:
    decision = (datetime.now(STOCKHOLM) + timedelta(days=days)).strftime("%Y-%m-%d 18:00")
    return {
        "title": "Parkering i centrum",
        "summary": "Kommunen vill ta bort 200 parkeringsplatser vid Stortorget.",
        "municipality": "karlskrona",
        "body": "kommunfullmaktige",
        "decision": decision,
        "hashtag": "#ParkeraKarlskrona",
        "position": "Behåll platserna. Kunderna kommer med bil.",
        "ask_days": "0",
    }


def _bring_forward_next_stage(bot: BotProcess) -> int:
    """Make the issue's next countdown stage due now, as if its day had come;
    return its days before the vote."""
    with contextlib.closing(sqlite3.connect(bot.database)) as connection, connection:
        row = connection.execute(
            "SELECT id, payload FROM reminder WHERE kind = 'countdown.stage' AND status = 'pending' "
            "ORDER BY due_at LIMIT 1").fetchone()
        assert row is not None
        now = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")
        connection.execute("UPDATE reminder SET due_at = ? WHERE id = ?", (now, row[0]))
    return int(json.loads(row[1])["days"])


def _rows(bot: BotProcess, sql: str) -> list[tuple[object, ...]]:
    with contextlib.closing(sqlite3.connect(f"file:{bot.database}?mode=ro", uri=True)) as connection:
        return connection.execute(sql).fetchall()


async def test_a_countdown_pins_its_live_message_pledges_survive_a_restart_and_a_stage_pings_members(
        fake_discord: FakeDiscord, jobbbot: BotProcess):
    fake = fake_discord
    # DMs wait out the night's quiet hours; this scenario may run at any hour, so the bot runs without them.
    jobbbot.extra_env.update(QUIET_HOURS_START="0", QUIET_HOURS_END="0")
    await jobbbot.terminate()
    await jobbbot.start()
    assert {"pledge"} <= set(fake.commands(guild=True))
    await set_up_workspace(fake)
    await join_and_onboard(fake, "erik")  # lives in Karlskrona, wants DMs: follows Karlskrona from the start

    created = await fake.slash("owner", "issue-admin create", _issue(5))
    assert (await created.wait_reply(WAIT)).embeds[0]["title"] == "Frågan är skapad: Parkering i centrum"

    # Inside the countdown: the live message is posted and pinned at once.
    live = await fake.wait_for_message(
        "annonser", lambda m: bool(m.embeds) and "Nedräkning" in (m.embeds[0].get("title") or ""), WAIT)
    assert live.embeds[0]["title"] == "⏳ Nedräkning: Parkering i centrum – 5 dagar kvar"
    await jobbbot.wait(lambda: live.pinned, WAIT, "the live message to be pinned")
    assert fake.requests_to("PUT", rf"/channels/{live.channel_id}/messages/pins/{live.id}")
    pledge_ids = [c for c in live.custom_ids() if c.startswith("jb:countdown.pledge:")]
    assert [c.rsplit("-", 1)[1] for c in pledge_ids] == ["tweet", "contact", "attend"]

    # A crash, then a restart: the button on the message posted before still works, and counts.
    assert await jobbbot.kill() == -signal.SIGKILL
    await jobbbot.start()
    pressed = await fake.press("erik", live, custom_id=pledge_ids[0])
    thanks = await pressed.wait_reply(WAIT)
    assert thanks.ephemeral
    assert thanks.embeds[0]["description"].startswith(
        "Tack! Du har lovat att tweeta inför beslutet om Parkering"
    )
    await jobbbot.wait(
        lambda: "0 av 1 genomförda" in live.embed_text(), WAIT, "the live message to show the pledge"
    )
    assert live.edited_at is not None
    assert _rows(jobbbot, "SELECT kind, status FROM pledge") == [("tweet", "made")]
    assert len([m for m in fake.messages_in("annonser") if m.embeds and "Nedräkning" in
                (m.embeds[0].get("title") or "")]) == 1  # edited in place, never posted again

    # A stage falls due: posted in the announcement channel pinging the member role, and DMed to the follower.
    days = _bring_forward_next_stage(jobbbot)
    await jobbbot.terminate()
    await jobbbot.start()
    mine = await fake.slash("erik", "pledge", {})
    assert "tweeta" in (await mine.wait_reply(WAIT)).embed_text()
    role = fake.role_id("Medlem")
    title = sv("countdown.stage.media.title", days=days, title="Parkering i centrum")
    # (The 7-day stage's call went out when the issue came in, five days before: that one pinged first.)
    stage = await fake.wait_for_message("annonser", lambda m: (m.content or "").startswith(f"<@&{role}>")
                                        and bool(m.embeds) and m.embeds[0].get("title") == title, WAIT)
    [request] = [r for r in fake.requests_to("POST", rf"/channels/{stage.channel_id}/messages")
                 if ((r.json_body or {}).get("content") or "").startswith(f"<@&{role}>")
                 and str(stage.id) == str((r.response_json or {}).get("id"))]
    assert [int(r) for r in request.json_body["allowed_mentions"]["roles"]] == [role]
    assert request.json_body["allowed_mentions"]["parse"] == []
    dm = await fake.wait_for_dm("erik", lambda m: bool(m.embeds) and
                                m.embeds[0].get("title") == stage.embeds[0]["title"], WAIT)
    assert [c for c in dm.custom_ids() if c.startswith("jb:countdown.pledge:")] == pledge_ids
    assert not dm.content.startswith("<@&")  # a DM pings nobody
    assert jobbbot.problems() == []


async def test_killed_in_the_middle_of_a_stage_the_restarted_bot_finishes_it_without_doubles(
        fake_discord: FakeDiscord, jobbbot: BotProcess):
    fake = fake_discord
    jobbbot.extra_env.update(QUIET_HOURS_START="0", QUIET_HOURS_END="0")
    await jobbbot.terminate()
    await jobbbot.start()
    await set_up_workspace(fake)
    # Three: each onboarding posts in the coordinators' channel, and Discord allows five posts per 5 s there.
    members = ["erik", "frida", "gustav"]
    for name in members:
        await join_and_onboard(fake, name)
    created = await fake.slash("owner", "issue-admin create", _issue(5))
    await created.wait_reply(WAIT)
    await fake.wait_for_message("annonser", lambda m: bool(m.embeds) and "Nedräkning" in
                                (m.embeds[0].get("title") or ""), WAIT)

    def stage_dms(name: str) -> list[object]:
        return [m for m in fake.dm_messages(name) if m.embeds and m.embeds[0].get("title") == title]

    days = _bring_forward_next_stage(jobbbot)
    title = sv("countdown.stage.media.title", days=days, title="Parkering i centrum")
    await jobbbot.terminate()
    await jobbbot.start()
    # Killed the moment the first DM of the stage is in: the others may be sent, claimed or not yet begun.
    await jobbbot.wait(lambda: any(stage_dms(name) for name in members), WAIT, "the stage's first DM")
    assert await jobbbot.kill() == -signal.SIGKILL
    await jobbbot.start()

    await jobbbot.wait(lambda: all(stage_dms(name) for name in members), WAIT, "every member's stage DM")
    # The database is not the fake's: poll it (the fake's waits wake on its own events only).
    for _ in range(int(WAIT / 0.1)):
        if _rows(jobbbot, "SELECT count(*) FROM delivery WHERE status IN ('pending', 'sending')") == [(0,)]:
            break
        await asyncio.sleep(0.1)
    assert _rows(jobbbot, "SELECT count(*) FROM delivery WHERE status IN ('pending', 'sending')") == [(0,)]
    assert {name: len(stage_dms(name)) for name in members} == dict.fromkeys(members, 1)
    role = fake.role_id("Medlem")
    # One post of the stage (the 7-day call that went out when the issue came in is another stage).
    assert len([m for m in fake.messages_in("annonser") if (m.content or "").startswith(f"<@&{role}>")
                and m.embeds and m.embeds[0].get("title") == title]) == 1
