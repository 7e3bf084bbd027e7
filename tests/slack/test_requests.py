"""Requests that are not Slack's are refused, and Slack's quirks in what it sends are read right."""

from __future__ import annotations

import time
from urllib.parse import urlencode

from bot.slack.listeners.commands import command_line
from tests.slack.conftest import Slack
from tests.slack.fakeslack import TEAM_ID


def command_body(slack: Slack, text: str) -> str:
    return urlencode({"team_id": TEAM_ID, "channel_id": "C1", "user_id": "UANNA", "user_name": "anna",
                      "command": "/jobb", "text": text, "response_url": slack.fake.response_url(1),
                      "trigger_id": "t"})


async def test_a_bad_signature_is_refused_with_401_and_runs_nothing(slack: Slack):
    response = await slack.dispatch(command_body(slack, "help"), "application/x-www-form-urlencoded",
                                    secret="not-the-secret")

    assert response.status == 401
    assert slack.fake.calls == []


async def test_an_old_request_is_refused_even_when_signed(slack: Slack):
    response = await slack.dispatch(command_body(slack, "help"), "application/x-www-form-urlencoded",
                                    timestamp=int(time.time()) - 10 * 60)

    assert response.status == 401
    assert slack.fake.responses == []


async def test_a_signed_command_is_acknowledged_at_once_and_answered_by_response_url(slack: Slack):
    response = await slack.dispatch(command_body(slack, "help"), "application/x-www-form-urlencoded")

    assert (response.status, response.body) == (200, "")
    assert len(slack.fake.responses_to(1)) == 1


async def test_a_link_button_is_only_acknowledged(slack: Slack):
    response, number = await slack.press("UANNA", "jblink:0", channel="C1")

    assert response.status == 200
    assert slack.fake.responses_to(number) == [] and slack.fake.calls_to("views.open") == []


async def test_a_button_whose_feature_is_gone_says_so(slack: Slack):
    response, number = await slack.press("UANNA", "jb:nothing.here:1", channel="C1")

    assert response.status == 200
    [answer] = slack.fake.responses_to(number)
    assert answer["response_type"] == "ephemeral"
    assert "knappen hör till något som inte finns längre" in answer["text"]


async def test_an_unexpected_error_is_answered_with_a_code_and_logged(slack: Slack, caplog):
    slack.fake.errors["views.open"] = "internal_error"

    _, number = await slack.command("UANNA", "onboard")

    [answer] = slack.fake.responses_to(number)
    assert "felkoden" in answer["text"]
    assert "Unexpected error" in caplog.text


def test_slack_entities_become_what_the_user_typed():
    raw = ('setup announcements:<#C0ANN|annonser> member_role:<!subteam^S0MED|@medlemmar> '
           'source:<https://example.com/a?b=1&amp;c=2> email:<mailto:kim@example.com|kim@example.com> '
           'title:“Möte &amp; fika” note:<!here> who:<@U0KIM>')

    assert command_line(raw) == (
        "setup announcements:#C0ANN member_role:@S0MED source:https://example.com/a?b=1&c=2 "
        'email:kim@example.com title:"Möte & fika" note: who:@U0KIM'
    )
