"""The Slack notifier: rate limits waited out, channels joined, messages edited and pinned, user groups."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.delivery import MessageMissing, RecipientUnreachable, Throttled
from bot.models import Delivery, Member, Workspace
from bot.replies import Attachment, Channel, Literal, Reply, Role, text
from bot.slack.adapter import RATE_LIMIT_RETRIES
from tests.slack.conftest import ANNOUNCEMENTS, MEMBER_GROUP, SETUP_LINE, Slack
from tests.slack.fakeslack import FakeSlack
from tests.slack.test_issues import CREATE, set_up
from tests.slack.texts import slack_text


async def workspace_and_member(slack: Slack, user: str = "UANNA") -> tuple[Workspace, Member]:
    async with slack.app.sessionmaker() as session:
        workspace = (await session.scalars(select(Workspace).where(Workspace.platform == "slack"))).one()
        member = (await session.scalars(select(Member).where(Member.external_id == user))).one()
    return workspace, member


async def test_a_rate_limited_post_waits_retry_after_and_goes_out_once(slack: Slack):
    await set_up(slack)
    await slack.command("UKIM", CREATE)
    slack.fake.calls.clear()
    slack.fake.rate_limit("chat.postMessage", retry_after=1, times=1)

    await slack.deliver()

    posts = [c for c in slack.fake.calls_to("chat.postMessage") if c.args["channel"] == ANNOUNCEMENTS]
    limited, retried = posts
    assert (limited.status, retried.status) == (429, 200)
    assert limited.args["channel"] == retried.args["channel"] == ANNOUNCEMENTS
    # Slack's Retry-After said one second: the client waited at least that long before trying again.
    assert retried.at - limited.at >= 1.0
    assert len(slack.fake.posts_in(ANNOUNCEMENTS)) == 1
    async with slack.app.sessionmaker() as session:
        statuses = set(await session.scalars(select(Delivery.status)))
    assert statuses == {"sent"}


async def test_a_rate_limit_the_client_stops_waiting_out_is_throttled_with_slacks_wait(slack: Slack):
    await set_up(slack)
    workspace, member = await workspace_and_member(slack, "UBO")
    slack.fake.calls.clear()
    slack.fake.rate_limit("chat.postMessage", retry_after=0, times=RATE_LIMIT_RETRIES + 1)

    with pytest.raises(Throttled) as raised:
        await slack.adapter.notifier.send_direct(workspace, member, Reply(body=Literal("Hej")))

    assert raised.value.retry_after == 0
    assert [c.status for c in slack.fake.calls_to("chat.postMessage")] == [429] * (RATE_LIMIT_RETRIES + 1)


async def test_a_dm_to_someone_slack_cannot_reach_raises_unreachable(slack: Slack):
    await set_up(slack)
    workspace, member = await workspace_and_member(slack, "UBO")
    for error in ("cannot_dm_bot", "user_not_found"):
        slack.fake.dm_errors["UBO"] = error
        with pytest.raises(RecipientUnreachable):
            await slack.adapter.notifier.send_direct(workspace, member, Reply(body=Literal("Hej")))


async def test_a_dm_that_fails_on_post_is_unreachable_too(slack: Slack):
    await set_up(slack)
    workspace, member = await workspace_and_member(slack, "UBO")
    slack.fake.errors["chat.postMessage"] = "user_disabled"

    with pytest.raises(RecipientUnreachable):
        await slack.adapter.notifier.send_direct(workspace, member, Reply(body=Literal("Hej")))


async def test_the_bot_joins_a_public_channel_it_is_not_in_before_posting(slack: Slack):
    await slack.command("UKIM", SETUP_LINE)
    workspace, _ = await workspace_and_member(slack, "UKIM")
    slack.fake.outside.add(ANNOUNCEMENTS)

    ts = await slack.adapter.notifier.post(workspace, Channel.ANNOUNCEMENTS, Reply(body=Literal("Hej")))

    assert [c.args["channel"] for c in slack.fake.calls_to("conversations.join")] == [ANNOUNCEMENTS]
    assert ts == slack.fake.messages[-1]["ts"]


async def test_a_private_channel_the_bot_is_not_in_is_skipped_with_a_warning(slack: Slack, caplog):
    await slack.command("UKIM", "setup announcements:<#GHEMLIG|hemlig>")
    workspace, _ = await workspace_and_member(slack, "UKIM")
    slack.fake.outside.add("GHEMLIG")

    assert (
        await slack.adapter.notifier.post(workspace, Channel.ANNOUNCEMENTS, Reply(body=Literal("Hej")))
        is None
    )
    assert "invite the bot there" in caplog.text


async def test_a_posted_message_is_edited_pinned_and_unpinned(slack: Slack):
    await slack.command("UKIM", SETUP_LINE)
    workspace, _ = await workspace_and_member(slack, "UKIM")
    notifier = slack.adapter.notifier

    ts = await notifier.post(workspace, Channel.ANNOUNCEMENTS, Reply(body=Literal("7 dagar kvar")))
    assert ts is not None
    await notifier.edit(workspace, Channel.ANNOUNCEMENTS, ts, Reply(body=Literal("6 dagar kvar")))
    await notifier.pin(workspace, Channel.ANNOUNCEMENTS, ts)
    await notifier.pin(workspace, Channel.ANNOUNCEMENTS, ts)  # already pinned: fine

    [update] = slack.fake.calls_to("chat.update")
    assert (update.args["channel"], update.args["ts"]) == (ANNOUNCEMENTS, ts)
    assert "6 dagar kvar" in slack_text(slack.fake.messages[-1])
    assert (ANNOUNCEMENTS, ts) in slack.fake.pins
    await notifier.unpin(workspace, Channel.ANNOUNCEMENTS, ts)
    await notifier.unpin(workspace, Channel.ANNOUNCEMENTS, ts)  # not pinned any more: fine
    assert slack.fake.pins == set()
    with pytest.raises(MessageMissing):
        await notifier.edit(workspace, Channel.ANNOUNCEMENTS, "1.000000", Reply(body=Literal("borta")))
    with pytest.raises(MessageMissing):
        await notifier.pin(workspace, Channel.ANNOUNCEMENTS, "1.000000")


async def test_a_post_that_pings_the_member_role_mentions_its_user_group(slack: Slack):
    await slack.command("UKIM", SETUP_LINE)
    workspace, _ = await workspace_and_member(slack, "UKIM")

    await slack.adapter.notifier.post(
        workspace,
        Channel.ANNOUNCEMENTS,
        Reply(title=Literal("Omröstning"), body=Literal("Nu"), mention_role=Role.MEMBER),
    )

    assert slack_text(slack.fake.messages[-1]).startswith(f"<!subteam^{MEMBER_GROUP}>")


async def test_without_user_groups_no_role_is_granted_and_nothing_fails(slack: Slack, fake_slack: FakeSlack,
                                                                         caplog):
    await set_up(slack)
    workspace, member = await workspace_and_member(slack)
    fake_slack.errors["usergroups.users.list"] = "paid_teams_only"
    updates = len(fake_slack.calls_to("usergroups.users.update"))

    await slack.adapter.notifier.grant_role(workspace, member, Role.MEMBER)

    assert "paid_teams_only" in caplog.text
    assert len(fake_slack.calls_to("usergroups.users.update")) == updates


async def test_a_user_already_in_the_group_is_not_added_twice(slack: Slack, fake_slack: FakeSlack):
    await set_up(slack)
    workspace, member = await workspace_and_member(slack)
    updates = len(fake_slack.calls_to("usergroups.users.update"))

    await slack.adapter.notifier.grant_role(workspace, member, Role.MEMBER)

    assert len(fake_slack.calls_to("usergroups.users.update")) == updates
    assert fake_slack.groups[MEMBER_GROUP].count("UANNA") == 1


async def test_an_erased_member_leaves_the_user_group_and_a_deleted_post_is_gone(slack: Slack,
                                                                                fake_slack: FakeSlack):
    await set_up(slack)
    workspace, _ = await workspace_and_member(slack)
    fake_slack.groups[MEMBER_GROUP] = ["UKIM", "UANNA"]
    notifier = slack.adapter.notifier
    ts = await notifier.post(workspace, Channel.ANNOUNCEMENTS, Reply(body=Literal("Annas berättelse")))
    assert ts is not None

    await notifier.revoke_role(workspace, "UANNA", Role.MEMBER)
    await notifier.revoke_role(workspace, "UANNA", Role.MEMBER)  # not in it any more: nothing to do
    await notifier.delete_post(workspace, Channel.ANNOUNCEMENTS, ts)
    await notifier.delete_post(workspace, Channel.ANNOUNCEMENTS, ts)  # gone already: fine

    assert fake_slack.groups[MEMBER_GROUP] == ["UKIM"]
    assert not any(m["ts"] == ts for m in fake_slack.messages)


async def test_slack_keeps_the_last_user_of_a_group_and_says_so(slack: Slack, fake_slack: FakeSlack, caplog):
    await set_up(slack)
    workspace, _ = await workspace_and_member(slack)
    fake_slack.groups[MEMBER_GROUP] = ["UANNA"]

    await slack.adapter.notifier.revoke_role(workspace, "UANNA", Role.MEMBER)

    assert fake_slack.groups[MEMBER_GROUP] == ["UANNA"] and "keeps no group empty" in caplog.text


async def test_a_broadcast_goes_out_in_the_workspace_language(slack: Slack):
    await slack.command("UKIM", SETUP_LINE + " language:en")
    workspace, _ = await workspace_and_member(slack, "UKIM")

    await slack.adapter.notifier.post(workspace, Channel.ANNOUNCEMENTS, Reply(body=text("common.done")))

    assert slack_text(slack.fake.messages[-1]) == "Done!"


async def test_a_post_with_a_chart_uploads_it_into_the_channel_after_the_message(slack: Slack):
    await slack.command("UKIM", SETUP_LINE)
    workspace, kim = await workspace_and_member(slack, "UKIM")
    chart = Attachment("veckan.png", b"\x89PNG\r\n\x1a\nbild")

    await slack.adapter.notifier.post(
        workspace, Channel.ANNOUNCEMENTS, Reply(body=Literal("Veckan"), files=(chart,))
    )
    await slack.adapter.notifier.send_direct(workspace, kim, Reply(body=Literal("Din vecka"), files=(chart,)))

    [in_channel] = slack.fake.shared_files(ANNOUNCEMENTS)
    [in_dm] = slack.fake.shared_files("DUKIM")
    assert in_channel["data"] == in_dm["data"] == chart.data
    assert in_channel["filename"] == "veckan.png"
    methods = [c.method for c in slack.fake.calls if c.method != "response_url"]
    assert methods.index("chat.postMessage") < methods.index("files.completeUploadExternal")


FREE_PLAN_SETUP = f"setup announcements:<#{ANNOUNCEMENTS}|annonser>"


@pytest.mark.parametrize(("typed", "pings"), [("ja", True), ("nej", False)])
async def test_without_a_user_group_a_role_ping_pings_here_when_the_coordinators_turned_it_on(
        slack: Slack, typed: str, pings: bool):
    # A free plan has no user groups: no member role is set, and a stage's post pinged nobody.
    _, number = await slack.command("UKIM", f"{FREE_PLAN_SETUP} ping_here:{typed}")
    workspace, _ = await workspace_and_member(slack, "UKIM")
    assert workspace.ping_here is pings
    [answer] = slack.fake.responses_to(number)
    assert ("Nämn @here" in slack_text(answer)) and (("Ja:" if pings else "Nej:") in slack_text(answer))

    await slack.adapter.notifier.post(
        workspace,
        Channel.ANNOUNCEMENTS,
        Reply(title=Literal("Omröstning"), body=Literal("Nu"), mention_role=Role.MEMBER),
    )
    await slack.adapter.notifier.post(workspace, Channel.ANNOUNCEMENTS, Reply(body=Literal("Utan ping")))

    role_post, plain_post = slack.fake.messages[-2:]
    assert slack_text(role_post).startswith("<!here>") is pings
    assert "<!here>" not in slack_text(plain_post)


async def test_with_a_user_group_the_group_is_pinged_not_here(slack: Slack):
    await slack.command("UKIM", f"{SETUP_LINE} nämn_här:ja")
    workspace, _ = await workspace_and_member(slack, "UKIM")

    await slack.adapter.notifier.post(workspace, Channel.ANNOUNCEMENTS,
                                      Reply(body=Literal("Nu"), mention_role=Role.MEMBER))

    shown = slack_text(slack.fake.messages[-1])
    assert shown.startswith(f"<!subteam^{MEMBER_GROUP}>") and "<!here>" not in shown
