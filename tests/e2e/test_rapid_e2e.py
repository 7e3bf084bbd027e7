"""A rapid response end to end: the real bot process against the Discord-protocol server.

A coordinator starts a rapid response for Karlskrona's followers; each gets the alert by DM and the
coordinators' channel gets the live tally. Every member presses "I replied/shared" at the same moment: the
live message is edited in place, a bounded number of times (the presses ride along with one pending refresh;
the fake, like Discord, allows five edits in five seconds a channel). Then the deadline comes: the close is
made due in the bot's database (as time passing would) and the bot restarted, which runs it at once: the live
message shows the final tally, the announcements thank the group with the numbers, and a late press is told
it closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from datetime import UTC, datetime

import pytest

from bot.services import rapid

from .botprocess import BotProcess
from .fakediscord import FakeDiscord, Message
from .test_scenarios import WAIT, join_and_onboard, set_up_workspace, sv

pytestmark = [pytest.mark.asyncio, pytest.mark.e2e]

MEMBERS = ("erik", "frida", "gustav", "hanna", "ivar", "jonna")
LINK = "https://x.com/kommunalrad/status/1234"
# One edit per refresh: the presses of a burst ask for one refresh five seconds on, and a refresh that comes
# in the meantime serves them all. Six presses at once are one or two edits (the close makes one more).
MAX_EDITS = 3


def _rows(bot: BotProcess, sql: str) -> list[tuple[object, ...]]:
    with contextlib.closing(sqlite3.connect(f"file:{bot.database}?mode=ro", uri=True)) as connection:
        return connection.execute(sql).fetchall()


def _bring_the_close_forward(bot: BotProcess) -> None:
    """Make the rapid response's close due now, as if its deadline had come."""
    with contextlib.closing(sqlite3.connect(bot.database)) as connection, connection:
        now = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")
        changed = connection.execute("UPDATE reminder SET due_at = ? WHERE kind = ? AND status = 'pending'",
                                     (now, rapid.CLOSE_KIND)).rowcount
    assert changed == 1


def _title(message: Message) -> str:
    return (message.embeds[0].get("title") or "") if message.embeds else ""


async def test_a_rapid_response_is_pressed_by_many_at_once_tallied_live_and_closed_with_its_tally(
        fake_discord: FakeDiscord, jobbbot: BotProcess):
    fake = fake_discord
    # DMs wait out the night's quiet hours; this scenario may run at any hour, so the bot runs without them.
    jobbbot.extra_env.update(QUIET_HOURS_START="0", QUIET_HOURS_END="0")
    await jobbbot.terminate()
    await jobbbot.start()
    assert {"rapid", "rapid-admin"} <= set(fake.commands(guild=True))
    await set_up_workspace(fake)
    for name in MEMBERS:  # each lives in Karlskrona and wants DMs: follows Karlskrona from the start
        await join_and_onboard(fake, name)

    started = await fake.slash("owner", "rapid-admin start", {
        "link": LINK, "ask": "Svara kommunalrådet: vad betyder parkeringen för din butik?", "deadline": "2h",
        "municipality": "karlskrona"})
    answer = await started.wait_reply(WAIT)
    assert answer.ephemeral and answer.embeds[0]["title"] == sv("rapid.started.title")
    assert "6 följare larmas: 6 via DM" in answer.embed_text()  # the embed's description
    [(rapid_id,)] = _rows(jobbbot, "SELECT id FROM rapid_response")

    live = await fake.wait_for_message("koordinatorer", lambda m: _title(m) == "⚡ Snabbrespons: Karlskrona",
                                       WAIT)
    assert "0 av 6" in live.embed_text()
    done = f"jb:{rapid.DONE_ACTION}:{rapid_id}"
    alerts = {name: await fake.wait_for_dm(name, lambda m: _title(m) == sv("rapid.alert.title"), WAIT)
              for name in MEMBERS}
    assert all(done in alert.custom_ids() for alert in alerts.values())

    # Everyone presses at once.
    pressed = await asyncio.gather(*(fake.press(name, alerts[name], custom_id=done) for name in MEMBERS))
    thanks = await asyncio.gather(*(interaction.wait_reply(WAIT) for interaction in pressed))
    assert all(reply.ephemeral and reply.content == sv("rapid.press.thanks") for reply in thanks)
    await jobbbot.wait(lambda: "6 av 6" in live.embed_text(), WAIT, "the live tally to count every press")

    live_edits = fake.requests_to("PATCH", rf"/channels/{live.channel_id}/messages/{live.id}$")
    assert 1 <= len(live_edits) < MAX_EDITS
    assert all(edit.status == 200 for edit in live_edits)
    assert len([m for m in fake.messages_in("koordinatorer") if _title(m).startswith("⚡ Snabbrespons")]) == 1
    assert _rows(jobbbot, f"SELECT count(*) FROM action WHERE source = 'rapid:{rapid_id}'") == [(6,)]

    # The deadline comes: the restarted bot closes it at once.
    _bring_the_close_forward(jobbbot)
    await jobbbot.terminate()
    await jobbbot.start()
    await jobbbot.wait(lambda: _title(live) == "⚡ Snabbrespons stängd: Karlskrona", WAIT,
                       "the live tally to show it closed")
    posted = await fake.wait_for_message(
        "annonser", lambda m: _title(m) == "⚡ Tack för snabbresponsen: Karlskrona", WAIT)
    assert "6 av oss svarade eller delade (av 6 som larmades)." in posted.embed_text()
    assert not any(name.title() in posted.embed_text() for name in MEMBERS)  # numbers, no names
    assert len(fake.requests_to("PATCH", rf"/channels/{live.channel_id}/messages/{live.id}$")) <= MAX_EDITS

    late = await fake.press("erik", alerts["erik"], custom_id=done)
    assert (await late.wait_reply(WAIT)).content == sv("rapid.press.closed")
    assert jobbbot.problems() == []
