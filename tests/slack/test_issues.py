"""An issue alert on Slack: a coordinator's `/jobb issue create`, the channel post, the DMs,
the buttons under it."""

from __future__ import annotations

import json

from sqlalchemy import select

from bot.i18n import translate
from bot.models import Issue, Member, Workspace
from bot.services import issues
from tests.slack.conftest import ANNOUNCEMENTS, COORDINATORS, GENERAL, SETUP_LINE, Slack
from tests.slack.texts import button_ids, discord_words, slack_text, slack_words, words
from tests.support.onboarding import onboard_command

# As Slack sends it with should_escape: the link arrives as <…>, the quotes may be typographic.
CREATE = (
    'issue create title:“Parkering i centrum” summary:"Kommunen vill ta bort 200 platser vid Stortorget." '
    'municipality:Karlskrona body:kommunfullmäktige decision:"28 jan 18:00" hashtag:#ParkeraKarlskrona '
    'position:"Behåll platserna. Kunderna kommer med bil." source:<https://www.karlskrona.se/kf>'
)


async def set_up(slack: Slack) -> None:
    """The coordinator sets the workspace up;
    Anna and Bo onboard (following Karlskrona, with DM reminders)."""
    await slack.command("UKIM", SETUP_LINE)
    await slack.command("UANNA", onboard_command("Annas Blommor", command="onboard"))
    await slack.command("UBO", onboard_command("Bos Bageri", command="onboard"))


async def the_issue(slack: Slack) -> tuple[Issue, Workspace]:
    async with slack.app.sessionmaker() as session:
        issue = (await session.scalars(select(Issue))).one()
        workspace = await session.get_one(Workspace, issue.workspace_id)
    return issue, workspace


async def test_setup_takes_channels_and_user_groups_as_slack_sends_them(slack: Slack):
    response, number = await slack.command("UKIM", SETUP_LINE)

    assert response.status == 200
    async with slack.app.sessionmaker() as session:
        workspace = (await session.scalars(select(Workspace))).one()
    assert (workspace.platform, workspace.external_id, workspace.name) == ("slack", "T0JOBB", "Testgruppen")
    assert (workspace.announcement_channel_id, workspace.coordinator_channel_id) == (
        ANNOUNCEMENTS,
        COORDINATORS,
    )
    assert (workspace.member_role_id, workspace.coordinator_role_id) == ("SMEDLEM", "SKOORD")
    [answer] = slack.fake.responses_to(number)
    assert f"<#{ANNOUNCEMENTS}>" in slack_text(answer) and "<!subteam^SMEDLEM>" in slack_text(answer)


async def test_an_issue_alert_is_posted_and_sent_by_dm_in_the_same_words_as_on_discord(slack: Slack):
    await set_up(slack)
    slack.fake.dm_errors["UBO"] = "user_disabled"
    slack.fake.calls.clear()

    response, number = await slack.command("UKIM", CREATE)
    await slack.deliver()

    assert response.status == 200
    [created] = slack.fake.responses_to(number)
    assert created["response_type"] == "ephemeral"
    assert slack_words(created)[:6] == words(
        translate("issues.created.title", "sv", title="Parkering i centrum")
    )
    issue, workspace = await the_issue(slack)
    assert issue.source_url == "https://www.karlskrona.se/kf" and issue.title == "Parkering i centrum"
    expected = issues.alert_reply(issue, workspace.timezone, "created", [])
    alert, fallback = slack.fake.posts_in(ANNOUNCEMENTS)
    assert slack_words(alert) == discord_words(expected)
    assert button_ids(alert) == [f"jb:follows.issue:{issue.id}", f"jb:follows.help:{issue.id}"]
    # The decision time is a Slack date, which each reader sees in their own zone.
    assert f"<!date^{int(issue.decision_at.timestamp())}^" in slack_text(alert)
    # Anna gets it by DM too.
    [dm] = slack.fake.posts_in("DUANNA")
    assert slack_words(dm) == discord_words(expected)
    # Bo cannot be reached by DM (his account is disabled): he is mentioned in the channel instead.
    assert slack_text(fallback).startswith("<@UBO>")
    assert "Jag kunde inte skicka ett DM till dig" in slack_text(fallback)
    async with slack.app.sessionmaker() as session:
        bo = (await session.scalars(select(Member).where(Member.external_id == "UBO"))).one()
    assert bo.dm_open is False


async def test_pressing_help_under_the_alert_answers_privately_and_tells_the_coordinators(slack: Slack):
    await set_up(slack)
    await slack.command("UKIM", CREATE)
    await slack.deliver()
    _issue, _ = await the_issue(slack)
    alert = slack.fake.posts_in(ANNOUNCEMENTS)[0]

    response, number = await slack.press("UANNA", button_ids(alert)[1], channel=ANNOUNCEMENTS)

    assert response.status == 200
    [answer] = slack.fake.responses_to(number)
    assert answer["response_type"] == "ephemeral"
    assert slack_words(answer)[:8] == ["Tack", "Koordinatorerna", "vet", "nu", "att", "du", "vill", "hjälpa"]
    [notice] = slack.fake.posts_in(COORDINATORS)[-1:]
    assert "Anna" in slack_text(notice) and "Parkering i centrum" in slack_text(notice)
    # Pressed again: the core knows, and says so.
    await slack.press("UANNA", button_ids(alert)[1], channel=ANNOUNCEMENTS)
    assert "redan" in slack_text(slack.fake.responses[-1][1])


async def test_a_member_may_not_create_an_issue(slack: Slack):
    await set_up(slack)

    _, number = await slack.command("UANNA", CREATE)

    [answer] = slack.fake.responses_to(number)
    assert answer["response_type"] == "ephemeral"
    assert slack_words(answer)[:4] == ["Det", "här", "kommandot", "är"]
    async with slack.app.sessionmaker() as session:
        assert (await session.scalars(select(Issue))).first() is None


async def test_a_coordinator_by_user_group_may_create_an_issue(slack: Slack):
    slack.fake.add_user("UEVA", "Eva")
    slack.fake.groups["SKOORD"].append("UEVA")
    await set_up(slack)

    await slack.command("UEVA", CREATE)

    issue, _ = await the_issue(slack)
    assert issue.title == "Parkering i centrum"


async def test_the_swedish_names_work_and_help_lists_the_commands(slack: Slack):
    await set_up(slack)
    _, number = await slack.command("UANNA", "hjälp")
    [help_answer] = slack.fake.responses_to(number)
    assert "`/jobb fråga skapa`" in slack_text(help_answer)
    assert "`/jobb kom-igång`" in slack_text(help_answer)

    _, number = await slack.command("UANNA", "")
    assert slack.fake.responses_to(number)[0]["blocks"] == help_answer["blocks"]

    _, number = await slack.command("UANNA", "profil")
    [profile] = slack.fake.responses_to(number)
    assert "Annas Blommor" in slack_text(profile)


async def test_an_unknown_command_or_option_is_told_with_slack_syntax(slack: Slack):
    _, number = await slack.command("UANNA", "fly away")
    [answer] = slack.fake.responses_to(number)
    assert "/jobb hjälp" in slack_text(answer)

    _, number = await slack.command("UANNA", 'issue list colour:"blå"')
    [answer] = slack.fake.responses_to(number)
    assert "colour" in slack_text(answer) and answer["response_type"] == "ephemeral"


async def test_an_expired_response_url_answers_in_the_channel_instead(slack: Slack):
    slack.fake.expire(1)

    response, number = await slack.command("UANNA", "help", channel=GENERAL)

    assert number == 1 and response.status == 200
    [ephemeral] = slack.fake.calls_to("chat.postEphemeral")
    assert ephemeral.args["channel"] == GENERAL and ephemeral.args["user"] == "UANNA"
    assert "`/jobb fråga skapa`" in json.dumps(ephemeral.args["blocks"], ensure_ascii=False)
