"""What members write to the bot on Slack: the Messages tab (message.im) and mentions (app_mention).

Signed events through bolt, as Slack sends them. The adapter hands the core a Said and answers where the
member wrote; what the answer says is the conversation service's, so these tests ask only for an answer with
a body and buttons, or stand in for App.converse to see what reached it.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from typing import Any

import pytest

from bot.app import App
from bot.clock import FrozenClock
from bot.config import Settings
from bot.errors import UserError
from bot.i18n import translate
from bot.replies import Button, Form, FormField, Literal, Reply, text
from bot.services.context import Identity
from bot.services.conversation import Said, Where
from bot.slack import render
from bot.slack.runner import SlackService
from tests.slack.conftest import GENERAL, Slack
from tests.slack.fakeslack import APP_TOKEN, BOT_USER, TEAM_ID, FakeSlack
from tests.slack.test_runner import eventually, slack_settings
from tests.slack.texts import button_ids, slack_text, words
from tests.support.conversation import CONVERSATION
from tests.support.onboarding import onboard_command

DM = "DUANNA"
MENTION_TS = "1796000100.000200"


def dm(text: str, *, ts: str = "1796000100.000100", **more: Any) -> dict[str, Any]:
    """A message Anna writes in the bot's Messages tab, as message.im carries it."""
    return {"type": "message", "channel": DM, "channel_type": "im", "user": "UANNA", "text": text, "ts": ts,
            "event_ts": ts, "team": TEAM_ID, "client_msg_id": "c-" + ts, **more}


def mention(text: str, *, ts: str = MENTION_TS, channel: str = GENERAL, **more: Any) -> dict[str, Any]:
    """A message of Anna's in a channel that mentions the bot, as app_mention carries it."""
    return {"type": "app_mention", "channel": channel, "user": "UANNA", "text": text, "ts": ts,
            "event_ts": ts, "team": TEAM_ID, "client_msg_id": "c-" + ts, **more}


class Converse:
    """Stands in for App.converse: records what reached it, answers with `answer` (or raises it)."""

    def __init__(self, answer: Reply | BaseException | None) -> None:
        self.answer = answer
        self.said: list[tuple[Identity, Said]] = []

    async def __call__(self, identity: Identity, said: Said) -> Reply | None:
        self.said.append((identity, said))
        if isinstance(self.answer, BaseException):
            raise self.answer
        return self.answer


STUB_REPLY = Reply(body=Literal("Svaret"), buttons=(Button(text("conversation.menu"), "coaching.next"),))


@pytest.fixture
def converse(slack: Slack, monkeypatch: pytest.MonkeyPatch) -> Converse:
    stub = Converse(STUB_REPLY)
    monkeypatch.setattr(slack.app, "converse", stub)
    return stub


def posts(slack: Slack) -> list[dict[str, Any]]:
    return [call.args for call in slack.fake.calls_to("chat.postMessage")]


def answered_nothing(slack: Slack) -> bool:
    return not slack.fake.calls_to("chat.postMessage") and not slack.fake.calls_to("chat.postEphemeral")


# -- answered where they wrote, by the real conversation -----------------------------------------------------


async def test_a_dm_is_answered_in_the_dm_with_a_body_and_buttons(slack: Slack):
    response = await slack.event(dm("hej"))

    assert response.status == 200
    [answer] = posts(slack)
    assert answer["channel"] == DM
    assert "thread_ts" not in answer  # written at the top of the DM, answered there
    assert words(slack_text(answer))
    assert button_ids(answer) and all(action.startswith("jb:") for action in button_ids(answer))


async def test_a_mention_is_answered_in_its_thread(slack: Slack):
    response = await slack.event(mention(f"<@{BOT_USER}> vad kan jag göra?"))

    assert response.status == 200
    [answer] = slack.fake.calls_to("chat.postMessage") or slack.fake.calls_to("chat.postEphemeral")
    assert answer.args["channel"] == GENERAL
    assert answer.args["thread_ts"] == MENTION_TS
    assert words(slack_text(answer.args))
    assert button_ids(answer.args)


# -- what reaches the core -----------------------------------------------------------------------------------


async def test_a_mention_hands_over_the_text_without_the_bots_mention(slack: Slack, converse: Converse):
    await slack.event(mention(f"<@{BOT_USER}> hur skriver jag till <@UBO> om &lt;parkeringen&gt; &amp; "
                              f"<#CALLMANT|allmänt>?"))

    [(identity, said)] = converse.said
    assert said == Said("hur skriver jag till <@UBO> om <parkeringen> & <#CALLMANT|allmänt>?", Where.MENTION)
    assert said.answering == ()
    assert (identity.platform, identity.workspace_external_id, identity.user_external_id) == (
        "slack", TEAM_ID, "UANNA")


async def test_a_mention_inside_the_text_is_taken_out_and_the_text_trimmed(slack: Slack, converse: Converse):
    await slack.event(mention(f"  Hej <@{BOT_USER}>, hjälp mig  "))

    assert [said.text for _, said in converse.said] == ["Hej, hjälp mig"]


async def test_a_dm_hands_over_what_was_written_decoded_with_links_as_addresses(
    slack: Slack, converse: Converse
):
    await slack.event(dm("klart &lt;3 <https://x.com/anna/status/1?s=1&amp;t=2|x.com/anna/status/1> &amp; "
                         "<https://blogg.se/inlagg> <mailto:anna@bygg.se|anna@bygg.se>"))

    assert [said for _, said in converse.said] == [Said(
        "klart <3 https://x.com/anna/status/1?s=1&t=2 & https://blogg.se/inlagg anna@bygg.se", Where.DM)]


async def test_a_dm_written_in_a_thread_is_answered_in_that_thread(slack: Slack, converse: Converse):
    await slack.event(dm("klart", ts="1796000100.000300", thread_ts="1796000000.000001"))

    [answer] = posts(slack)
    assert (answer["channel"], answer["thread_ts"]) == (DM, "1796000000.000001")


async def test_a_reply_in_a_mentions_thread_is_answered_in_the_same_thread(slack: Slack, converse: Converse):
    converse.answer = dataclasses.replace(STUB_REPLY, private=False)

    await slack.event(mention(f"<@{BOT_USER}> och nu?", ts="1796000100.000400", thread_ts=MENTION_TS))

    [answer] = posts(slack)
    assert (answer["channel"], answer["thread_ts"]) == (GENERAL, MENTION_TS)


async def test_a_private_answer_to_a_mention_is_shown_only_to_them_in_the_thread(
    slack: Slack, converse: Converse
):
    converse.answer = dataclasses.replace(STUB_REPLY, private=True)

    await slack.event(mention(f"<@{BOT_USER}> mina löften?"))

    assert not slack.fake.calls_to("chat.postMessage")
    [told] = slack.fake.calls_to("chat.postEphemeral")
    assert (told.args["channel"], told.args["user"], told.args["thread_ts"]) == (GENERAL, "UANNA", MENTION_TS)
    assert "Svaret" in slack_text(told.args)


# -- what is not answered ------------------------------------------------------------------------------------


@pytest.mark.parametrize("event", [
    pytest.param(dm("klart", bot_id="BOTHER", subtype="bot_message"), id="another bot's message"),
    pytest.param(dm("klart", bot_id="BOTHER", user="UOTHERBOT"), id="another bot's message without subtype"),
    pytest.param(dm("Det här kan du göra nu", user=BOT_USER, bot_id="BBOT"), id="the bot's own message"),
    pytest.param(dm("", subtype="message_changed", user=None,
                    message={"type": "message", "user": "UANNA", "text": "klart!", "ts": "1796000100.0001"}),
                 id="an edit"),
    pytest.param(dm("", subtype="message_deleted", user=None, deleted_ts="1796000100.0001"), id="a deletion"),
    pytest.param(dm("<@UANNA> has joined the channel", subtype="channel_join"), id="a join"),
    pytest.param(dm("svar i tråden", subtype="thread_broadcast", user=BOT_USER, bot_id="BBOT"),
                 id="the bot's thread broadcast"),
    pytest.param(dm("klart", channel="CALLMANT", channel_type="channel"), id="a channel message, no mention"),
    pytest.param(mention(f"<@{BOT_USER}> hjälp", edited={"user": "UANNA", "ts": "1796000200.000000"}),
                 id="an edited mention"),
])
async def test_what_no_person_newly_wrote_to_the_bot_is_acknowledged_and_not_answered(
    slack: Slack, converse: Converse, event: dict[str, Any]
):
    response = await slack.event({key: value for key, value in event.items() if value is not None})

    assert response.status == 200
    assert converse.said == []
    assert answered_nothing(slack)


async def test_a_retried_event_is_not_answered_twice(slack: Slack, converse: Converse):
    await slack.event(dm("hjälp"), event_id="EvSAME")
    response = await slack.event(dm("hjälp"), event_id="EvSAME", retry=1)

    assert response.status == 200
    assert len(converse.said) == 1
    assert len(posts(slack)) == 1


async def test_a_retry_of_an_event_that_never_arrived_is_answered(slack: Slack, converse: Converse):
    await slack.event(dm("hjälp"), event_id="EvLOST", retry=1)

    assert len(converse.said) == 1
    assert len(posts(slack)) == 1


async def test_a_dm_that_also_mentions_the_bot_is_answered_once(slack: Slack, converse: Converse):
    written = dm(f"<@{BOT_USER}> hjälp")
    await slack.event(written)
    # Slack says it sends no app_mention for a DM; should one come for the same message, it is one message.
    await slack.event({**written, "type": "app_mention"})

    assert [said for _, said in converse.said] == [Said("hjälp", Where.DM)]
    assert len(posts(slack)) == 1


async def test_an_app_mention_in_a_dm_is_answered_as_a_dm(slack: Slack, converse: Converse):
    await slack.event(mention(f"<@{BOT_USER}> hjälp", channel=DM))

    assert [said.where for _, said in converse.said] == [Where.DM]
    [answer] = posts(slack)
    assert answer["channel"] == DM and "thread_ts" not in answer


async def test_nothing_to_say_answers_nothing(slack: Slack, converse: Converse):
    converse.answer = None

    assert (await slack.event(dm("hej"))).status == 200
    await slack.event(mention(f"<@{BOT_USER}> hej"))

    assert len(converse.said) == 2
    assert answered_nothing(slack)


# -- errors and forms ----------------------------------------------------------------------------------------


async def test_a_user_error_is_answered_with_its_text_in_the_dm(slack: Slack, converse: Converse):
    converse.answer = UserError("errors.form_expired")

    await slack.event(dm("hej"))

    [answer] = posts(slack)
    assert answer["channel"] == DM
    assert words(slack_text(answer)) == words(translate("errors.form_expired", "sv"))


async def test_a_user_error_on_a_mention_is_told_only_to_them_in_the_thread(slack: Slack, converse: Converse):
    converse.answer = UserError("errors.form_expired")

    await slack.event(mention(f"<@{BOT_USER}> hej"))

    assert not slack.fake.calls_to("chat.postMessage")
    [told] = slack.fake.calls_to("chat.postEphemeral")
    assert (told.args["channel"], told.args["user"], told.args["thread_ts"]) == (GENERAL, "UANNA", MENTION_TS)
    assert words(slack_text(told.args)) == words(translate("errors.form_expired", "sv"))


async def test_an_unexpected_error_answers_with_the_code_it_logged(
    slack: Slack, converse: Converse, caplog: pytest.LogCaptureFixture
):
    converse.answer = RuntimeError("the database went away")

    with caplog.at_level(logging.ERROR, logger="bot.slack.adapter"):
        await slack.event(dm("hej"))

    [logged] = [r for r in caplog.records if r.getMessage().startswith("Unexpected error")]
    code = re.search(r"Unexpected error (\w+)", logged.getMessage()).group(1)  # type: ignore[union-attr]
    [answer] = posts(slack)
    assert words(slack_text(answer)) == words(translate("errors.unexpected", "sv", code=code))


async def test_a_form_in_the_answer_is_offered_by_a_button_that_opens_it(slack: Slack, converse: Converse):
    form = Form("profile.edit", text("profile.form.title"),
                (FormField("offer", text("field.offer")),), values={"offer": "Bygg AB"})
    converse.answer = Reply(form=form)

    await slack.event(dm("ändra min profil"))

    [offer] = posts(slack)
    assert not slack.fake.calls_to("views.open")  # a message event has no trigger to open a modal with
    assert button_ids(offer) == [f"jb:{render.OPEN_FORM_ACTION}:profile.edit"]
    await slack.press("UANNA", button_ids(offer)[0], channel=DM)
    view = slack.last_view()
    assert view["callback_id"] == render.FORM_CALLBACK + "profile.edit"
    assert view["blocks"][0]["element"]["initial_value"] == "Bygg AB"


async def test_a_form_offered_to_someone_else_does_not_open(slack: Slack, converse: Converse):
    converse.answer = Reply(form=Form("profile.edit", text("profile.form.title"), ()))
    await slack.event(dm("ändra min profil"))
    [offer] = posts(slack)

    _, number = await slack.press("UBO", button_ids(offer)[0], channel="DUBO")

    assert not slack.fake.calls_to("views.open")
    [told] = slack.fake.responses_to(number)
    assert words(slack_text(told)) == words(translate("errors.form_expired", "sv"))


async def test_in_socket_mode_a_dm_is_acknowledged_and_answered_once_though_slack_sends_it_again(
        settings: Settings, clock: FrozenClock, fake_slack: FakeSlack):
    config = slack_settings(settings, fake_slack, slack_app_token=APP_TOKEN)
    app = App(config, clock)
    service = SlackService(app, config)
    envelope = {"token": "legacy", "team_id": TEAM_ID, "api_app_id": "A0JOBB", "event": dm("hej"),
                "type": "event_callback", "event_id": "EvSOCKET", "event_time": 1796000100,
                "authorizations": []}
    try:
        await service.start()

        first = await fake_slack.send_envelope("events_api", envelope)
        await eventually(lambda: bool(fake_slack.posts_in(DM)))
        again = await fake_slack.send_envelope("events_api", envelope, retry_attempt=1)
        # A later message, in a thread: once it is answered, the retry (handled before it) has had its turn.
        later = dm("hjälp", ts="1796000100.000900", thread_ts="1796000100.000100")
        await fake_slack.send_envelope("events_api", {**envelope, "event": later, "event_id": "EvLATER"})
        await eventually(lambda: any("thread_ts" in post for post in fake_slack.posts_in(DM)))

        assert first["envelope_id"] != again["envelope_id"]  # both acknowledged
        [answer] = [post for post in fake_slack.posts_in(DM) if "thread_ts" not in post]
        assert words(slack_text(answer)) and button_ids(answer)
    finally:
        await service.close()
        await app.close()


async def test_the_same_conversation_as_in_the_console_and_on_discord(slack: Slack):
    # tests/support/conversation.py: the lines every platform plays, and what each answer shows.
    await slack.command("UANNA", onboard_command(command="onboard"))

    for number, line in enumerate(CONVERSATION):
        before = len(posts(slack))
        await slack.event(dm(line.said, ts=f"1796000200.{number:06d}"))
        [answer] = posts(slack)[before:]
        assert answer["channel"] == DM
        shown = slack_text(answer).replace("*", "")
        for fragment in line.shows:
            assert fragment.replace("*", "") in shown, (line.said, fragment, shown)
        labels = [element["text"]["text"] for block in answer.get("blocks") or []
                  if block.get("type") == "actions" for element in block["elements"]]
        assert set(line.buttons) <= set(labels), (line.said, labels)
