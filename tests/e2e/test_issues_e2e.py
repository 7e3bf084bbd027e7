"""The issues feature end to end: the real bot process against the Discord-protocol server.

A coordinator (the server's owner) imports politicians from a CSV attachment (a bad row is refused first),
creates an issue, sets a stance; the alert is posted and DMed to the follower in Karlskrona; /issue map
returns a PNG and the table; the follower follows the issue by button. The `jobbbot` fixture fails the
scenario if the fake refused any payload the bot sent, or the bot logged an error.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from .botprocess import BotProcess
from .fakediscord import FakeDiscord, Upload
from .test_scenarios import WAIT, join_and_onboard, set_up_workspace, sv

pytestmark = [pytest.mark.asyncio, pytest.mark.e2e]

GOOD_CSV = (
    "Namn;Parti;Roll;Kommun;Organ;X\n"
    "Åsa Ek;S;Kommunalråd;Karlskrona;KF+KS;asaek\n"
    "Björn Öst;M;;Karlskrona;kommunfullmäktige;bjornost\n"
    "Cecilia Ärlig;SD;;Karlskrona;KF;\n"
)
BAD_CSV = GOOD_CSV + "David Lund;;;Karlskrona;KF;\n"
ISSUE = {
    "title": "Parkering i centrum", "summary": "Kommunen vill ta bort 200 parkeringsplatser vid Stortorget.",
    "municipality": "karlskrona", "body": "kommunfullmaktige",
    # Two months ahead whenever it runs (a date without a year is its nearest occurrence, maybe passed).
    "decision": (datetime.now(ZoneInfo("Europe/Stockholm")) + timedelta(days=60)).strftime("%Y-%m-%d 18:00"),
    "hashtag": "#ParkeraKarlskrona", "position": "Behåll platserna. Kunderna kommer med bil.",
    "source": "https://www.karlskrona.se/kf", "topics": "Parkering",
}


async def test_an_issue_is_created_alerted_mapped_and_followed(
    fake_discord: FakeDiscord, jobbbot: BotProcess
):
    fake = fake_discord
    # DMs wait out the night's quiet hours; this scenario may run at any hour, so the bot runs without them.
    jobbbot.extra_env.update(QUIET_HOURS_START="0", QUIET_HOURS_END="0")
    await jobbbot.terminate()
    await jobbbot.start()
    assert {
        "issue",
        "politician",
        "stance",
        "media",
        "council",
        "follow",
        "unfollow",
        "hashtag",
        "issue-admin",
        "politician-admin",
        "stance-admin",
        "media-admin",
        "council-admin",
    } <= set(fake.commands(guild=True))
    await set_up_workspace(fake)
    await join_and_onboard(fake, "erik")  # lives in Karlskrona, wants DMs: follows Karlskrona from the start

    # A file with a bad row is refused with its line number; nothing of it is stored. The owner runs the
    # coordinators' commands: the fake cannot show them to the coordinator role
    # (Server Settings → Integrations).
    refused = await fake.slash("owner", "politician-admin import",
                               {"file": Upload("politiker.csv", BAD_CSV.encode())})
    refusal = await refused.wait_reply(WAIT)
    assert refusal.ephemeral and "Rad 5: Parti: måste fyllas i." in refusal.content
    imported = await fake.slash("owner", "politician-admin import",
                                {"file": Upload("politiker.csv", GOOD_CSV.encode("utf-8-sig"))})
    report = await imported.wait_reply(WAIT)
    assert report.embeds[0]["title"] == sv("csv.imported.title", added=3, updated=0, unchanged=0)

    created = await fake.slash("owner", "issue-admin create", ISSUE)
    answer = await created.wait_reply(WAIT)
    assert answer.ephemeral and answer.embeds[0]["title"] == "Frågan är skapad: Parkering i centrum"
    assert "<t:" in answer.embed_text()  # the decision as a Discord timestamp

    # The alert: in the announcement channel, and by DM to the follower, with the two buttons.
    posted = await fake.wait_for_message("annonser", lambda m: bool(m.embeds), WAIT)
    assert posted.embeds[0]["title"] == "📢 Ny fråga: Parkering i centrum"
    dm = await fake.wait_for_dm("erik", lambda m: m.embeds and "📢" in (m.embeds[0].get("title") or ""), WAIT)
    [follow_id, help_id] = dm.custom_ids()
    assert follow_id.startswith("jb:follows.issue:") and help_id.startswith("jb:follows.help:")

    suggested = await fake.autocomplete("owner", "stance-admin set", {"issue": "Park"}, "issue")
    await suggested.wait_response(WAIT)
    [choice] = suggested.choices
    assert choice["name"].endswith("Parkering i centrum")
    stance = await fake.slash("owner", "stance-admin set", {"issue": choice["value"], "politician": "Åsa Ek",
                                                             "stance": "for"})
    assert "Åsa Ek (S) i frågan Parkering i centrum – för" in (await stance.wait_reply(WAIT)).content

    mapped = await fake.slash("bertil", "issue map", {"issue": choice["value"]})
    assert (await mapped.wait_response(WAIT))["type"] == 5  # deferred while the picture is drawn
    shown = await mapped.wait_reply(WAIT)
    assert shown.attachment_names == [f"karta-{choice['value']}.png"]
    assert fake.attachment_bytes(shown.attachments[0].id).startswith(b"\x89PNG\r\n\x1a\n")
    assert "Åsa Ek" in shown.embed_text() and "Björn Öst" in shown.embed_text()

    followed = await fake.press("erik", dm, custom_id=follow_id)
    assert "Nu följer du frågan Parkering i centrum" in (await followed.wait_reply(WAIT)).content
    assert jobbbot.problems() == []

