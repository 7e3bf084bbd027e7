"""The onboarding on Slack: the welcome on team_join, the modal opened by its button, the submission.

Driven by signed requests through bolt; the result must be the data and the words the Discord path gives.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from bot.i18n import translate
from bot.models import Member, Workspace
from bot.services import onboarding
from bot.services.context import Identity
from tests.slack.conftest import (
    COORDINATORS,
    MEMBER_GROUP,
    SETUP_LINE,
    WELCOME,
    Slack,
    state_of,
)
from tests.slack.fakeslack import TEAM_ID
from tests.slack.texts import button_ids, discord_words, slack_text, slack_words
from tests.support.onboarding import modal_answers

# A builder in Karlskrona, as the modal's fields are filled in.
ANSWERS = modal_answers(company="Blekinge Bygg AB", industry="construction", x_handle="@blekingebygg",
                        linkedin_url="https://www.linkedin.com/company/blekinge-bygg",
                        goal="Fler förfrågningar från företag i Karlskrona")
# The same answers as a Discord modal hands them to the core (see bot.discordbot.render.read_values).
DISCORD_VALUES = {name: ("true" if value is True else value) for name, value in ANSWERS.items()}
PROFILE_COLUMNS = (
    "company",
    "industry",
    "company_size",
    "municipality",
    "experience",
    "x_handle",
    "linkedin_url",
    "blog_url",
    "goal",
    "dm_reminders",
    "dm_open",
    "language",
    "consented_at",
    "onboarded_at",
)


def team_join(user_id: str, name: str) -> dict[str, Any]:
    return {"type": "team_join", "user": {"id": user_id, "team_id": TEAM_ID, "name": name.lower(),
                                          "real_name": name, "is_bot": False, "deleted": False,
                                          "profile": {"display_name": name, "real_name": name}}}


async def member(slack: Slack, platform: str, external_id: str) -> Member:
    async with slack.app.sessionmaker() as session:
        return (await session.scalars(select(Member).join(Workspace).where(
            Workspace.platform == platform, Member.external_id == external_id))).one()


async def join_and_open_the_form(slack: Slack, user: str, name: str) -> dict[str, Any]:
    """Join the workspace, press the welcome's start button, and return the modal opened."""
    assert (await slack.event(team_join(user, name))).status == 200
    [welcome] = slack.fake.posts_in("D" + user)
    response, _ = await slack.press(user, button_ids(welcome)[0], channel="D" + user)
    assert response.status == 200
    return slack.last_view()


async def test_a_new_member_is_welcomed_by_dm_with_the_start_button(slack: Slack):
    await slack.command("UKIM", SETUP_LINE)

    await slack.event(team_join("UANNA", "Anna"))

    [opened] = slack.fake.calls_to("conversations.open")
    assert opened.args["users"] == "UANNA"
    [welcome] = slack.fake.posts_in("DUANNA")
    expected = await _welcome_reply(slack)
    assert slack_words(welcome) == discord_words(expected)
    assert slack_words(welcome)[:4] == ["Välkommen", "till", "Jobbskaparna", "Hej"]
    assert "Hej <@UANNA>!" in slack_text(welcome)  # a mention: Slack shows their name
    assert button_ids(welcome) == ["jb:onboarding.start:"]
    assert (await member(slack, "slack", "UANNA")).onboarded_at is None


async def _welcome_reply(slack: Slack) -> Any:
    """The welcome the core gives a new member, as the Discord adapter receives it."""
    async with slack.app.sessionmaker() as session, session.begin():
        workspace = Workspace(platform="compare", external_id="w", name="", language="sv",
                              timezone="Europe/Stockholm", created_at=slack.app.clock.now(),
                              updated_at=slack.app.clock.now())
        session.add(workspace)
        await session.flush()
        reply = await onboarding.member_joined(session, workspace, "UANNA", slack.app.clock.now())
    assert reply is not None
    return reply.effects[0].reply  # type: ignore[union-attr]


async def test_the_start_button_opens_the_whole_form_as_one_modal(slack: Slack):
    view = await join_and_open_the_form(slack, "UANNA", "Anna")

    assert view["callback_id"] == "jbform:onboarding"
    inputs = {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}
    assert list(inputs) == [f.name for f in onboarding.onboarding_form().fields]
    assert inputs["industry"]["type"] == "static_select" and inputs["consent"]["type"] == "checkboxes"
    assert inputs["goal"]["multiline"] is True and inputs["company"]["multiline"] is False
    # Slack's modal titles are short: the whole title stands on top.
    assert view["blocks"][0] == {"type": "header", "text": {"type": "plain_text", "text":
                                                            "Välkommen till Jobbskaparna", "emoji": True}}


async def test_submitting_the_modal_stores_the_same_member_and_says_the_same_as_discord(slack: Slack):
    await slack.command("UKIM", SETUP_LINE)
    view = await join_and_open_the_form(slack, "UANNA", "Anna")
    slack.fake.calls.clear()

    response = await slack.submit_view("UANNA", view, state_of(ANSWERS, view))

    assert response.status == 200 and response.body == ""  # the modal closes
    # The Discord path: the same values through the same core call, for a Discord member.
    discord = Identity("discord", "guild-1", "1001", "Anna", "Gruppen")
    reply = await slack.app.submit(discord, onboarding.FORM_ID, DISCORD_VALUES)
    on_slack, on_discord = await member(slack, "slack", "UANNA"), await member(slack, "discord", "1001")
    assert {c: getattr(on_slack, c) for c in PROFILE_COLUMNS} == {
        c: getattr(on_discord, c) for c in PROFILE_COLUMNS
    }
    assert on_slack.onboarded_at is not None and on_slack.company == "Blekinge Bygg AB"
    # The answer: by the button's response_url, in the DM where the form was opened.
    [answer] = [c.args for c in slack.fake.calls_to("response_url")]
    assert answer["response_type"] == "ephemeral"
    assert slack_words(answer) == discord_words(reply)
    assert slack_words(answer)[:3] == ["Välkommen", "ombord", "Anna"]
    assert button_ids(answer) == ["jb:coaching.next:", "jb:profile.show:"]
    # The effects: the coordinators are told (in the same words), the member joins the member user group.
    [notice] = slack.fake.posts_in(COORDINATORS)
    assert slack_words(notice) == discord_words(reply.effects[1].reply)  # type: ignore[union-attr]
    assert slack.fake.groups[MEMBER_GROUP] == ["UANNA"]


async def test_the_answer_goes_out_before_the_notice_and_the_user_group(slack: Slack):
    await slack.command("UKIM", SETUP_LINE)
    view = await join_and_open_the_form(slack, "UANNA", "Anna")
    slack.fake.calls.clear()

    await slack.submit_view("UANNA", view, state_of(ANSWERS, view))

    methods = [c.method for c in slack.fake.calls]
    answer = methods.index("response_url")
    assert answer < methods.index("chat.postMessage")  # the coordinators' notice
    assert answer < methods.index("usergroups.users.update")  # the member role


async def test_problems_show_under_their_fields_and_nothing_is_stored(slack: Slack):
    view = await join_and_open_the_form(slack, "UANNA", "Anna")

    response = await slack.submit_view(
        "UANNA",
        view,
        state_of({**ANSWERS, "x_handle": "inte ett namn!", "linkedin_url": "https://example.com/x"}, view),
    )

    assert response.status == 200
    body = json.loads(response.body)
    assert body["response_action"] == "errors"
    assert set(body["errors"]) == {"x_handle", "linkedin_url"}
    assert body["errors"] == {
        "x_handle": translate("errors.field", "sv", field=translate("field.x_handle", "sv"),
                              problem=translate("errors.x_handle", "sv", value="inte ett namn!")),
        "linkedin_url": "LinkedIn: ska vara en adress på linkedin.com.",
    }
    assert (await member(slack, "slack", "UANNA")).onboarded_at is None


async def test_without_consent_the_modal_closes_and_the_decline_is_answered(slack: Slack):
    view = await join_and_open_the_form(slack, "UANNA", "Anna")
    slack.fake.calls.clear()

    response = await slack.submit_view("UANNA", view, state_of({**ANSWERS, "consent": False}, view))

    assert response.status == 200 and response.body == ""  # the modal closes
    [answer] = [c.args for c in slack.fake.calls_to("response_url")]
    assert slack_words(answer)[:6] == ["Okej", "du", "har", "inte", "gett", "ditt"]
    assert button_ids(answer) == ["jb:onboarding.start:"]  # to change their mind
    stored = await member(slack, "slack", "UANNA")
    assert stored.onboarded_at is None and stored.consent_declined_at is not None and stored.company is None


async def test_onboard_without_options_opens_the_modal_and_with_options_onboards(slack: Slack):
    await slack.command("UANNA", "onboard")
    assert slack.last_view()["callback_id"] == "jbform:onboarding"

    options = " ".join(f'{k}:"{"ja" if v is True else v}"' for k, v in ANSWERS.items() if v)
    response, number = await slack.command("UANNA", "kom-igång " + options)

    assert response.status == 200
    assert (await member(slack, "slack", "UANNA")).company == "Blekinge Bygg AB"
    [answer] = slack.fake.responses_to(number)
    assert slack_words(answer)[:3] == ["Välkommen", "ombord", "Anna"]


async def test_a_welcome_that_cannot_be_sent_by_dm_mentions_the_member_in_the_welcome_channel(slack: Slack):
    await slack.command("UKIM", SETUP_LINE)
    slack.fake.dm_errors["UBO"] = "cannot_dm_bot"

    await slack.event(team_join("UBO", "Bo"))

    [fallback] = slack.fake.posts_in(WELCOME)
    assert fallback["blocks"][0]["text"]["text"] == "<@UBO>"
    assert "Jag kunde inte skicka ett DM till dig" in fallback["text"]
    assert button_ids(fallback) == ["jb:onboarding.start:", "jb:delivery.test_dm:"]
    assert (await member(slack, "slack", "UBO")).dm_open is False


async def test_joining_a_channel_welcomes_only_people_not_seen_before(slack: Slack):
    await slack.event(team_join("UANNA", "Anna"))
    await slack.event({"type": "member_joined_channel", "user": "UANNA", "channel": "CALLMANT",
                       "channel_type": "C", "team": TEAM_ID})
    await slack.event(
        {
            "type": "member_joined_channel",
            "user": "UBO",
            "channel": "CALLMANT",
            "channel_type": "C",
            "team": TEAM_ID,
        }
    )

    assert len(slack.fake.posts_in("DUANNA")) == 1
    [welcome] = slack.fake.posts_in("DUBO")
    assert "Hej <@UBO>!" in slack_text(welcome)
