"""Files on Slack: exports and charts uploaded (files.getUploadURLExternal + completeUploadExternal), and a
CSV a coordinator uploads into a modal (Slack's file input), read with the bot token."""

from __future__ import annotations

import json

from tests.console.test_issues import GOOD_CSV
from tests.slack.conftest import GENERAL, Slack, state_of
from tests.slack.test_issues import CREATE, set_up
from tests.slack.texts import slack_text, slack_words


def uploaded(slack: Slack, channel: str) -> list[dict]:
    return slack.fake.shared_files(channel)


async def test_a_private_export_goes_to_the_dm_and_the_answer_says_so(slack: Slack):
    await set_up(slack)

    _, number = await slack.command("UANNA", "mydata export", channel=GENERAL)

    [export] = uploaded(slack, "DUANNA")
    assert export["filename"] == "jobbskaparna-UANNA.json"
    data = json.loads(export["data"])
    assert "Annas Blommor" in json.dumps(data, ensure_ascii=False)
    assert uploaded(slack, GENERAL) == []
    [answer] = slack.fake.responses_to(number)
    assert answer["response_type"] == "ephemeral"
    assert slack_words(answer)[:4] == ["Här", "är", "allt", "jag"]
    assert "Filen finns i ditt DM med mig." in slack_text(answer)


async def test_in_the_dm_with_the_bot_the_file_comes_right_there(slack: Slack):
    await set_up(slack)

    _, number = await slack.command("UANNA", "mydata export", channel="DUANNA")

    assert len(uploaded(slack, "DUANNA")) == 1
    assert "Filen finns" not in slack_text(slack.fake.responses_to(number)[0])


async def test_the_politician_map_is_a_png(slack: Slack):
    await set_up(slack)
    await slack.command("UKIM", CREATE)

    _, number = await slack.command("UKIM", "issue map issue:Parkering")

    [chart] = uploaded(slack, "DUKIM")
    assert chart["filename"].endswith(".png") and chart["data"].startswith(b"\x89PNG\r\n\x1a\n")
    [answer] = slack.fake.responses_to(number)
    assert "Parkering i centrum" in slack_text(answer)


async def test_a_csv_import_takes_the_file_from_a_modal(slack: Slack):
    await set_up(slack)
    await slack.command("UKIM", "politician import")
    view = slack.last_view()
    assert view["callback_id"] == "jbcmd:politician import"
    [file_input] = [b for b in view["blocks"] if b["type"] == "input"]
    assert file_input["element"]["type"] == "file_input"
    csv = slack.fake.host_file("FCSV", "politiker.csv", GOOD_CSV.encode("cp1252"))

    response = await slack.submit_view("UKIM", view, state_of({"file": [csv]}, view))

    assert response.status == 200
    [download] = slack.fake.calls_to("download")
    assert download.args == {"file_id": "FCSV", "authorization": "Bearer xoxb-test-token"}
    # The answer goes where the command was typed, by its response_url.
    report = slack.fake.responses[-1][1]
    assert report["response_type"] == "ephemeral"
    _, number = await slack.command("UKIM", "politician list municipality:Karlskrona")
    listed = slack_text(slack.fake.responses_to(number)[0])
    assert "Åsa Ek" in listed and "Eva Ström" in listed
