"""A countdown stage and a story on Slack, driven by signed requests: the same data and words as on Discord.

The comparison takes the very Reply the core stored for a delivery (or gave as an answer) and renders it with
the Discord renderer: what Slack shows must be the same words.
"""

from __future__ import annotations

from sqlalchemy import select

from bot.i18n import translate
from bot.models import Delivery, Member, Pledge, Reminder, Story
from bot.replies import Reply, reply_from_json
from bot.services import countdowns, pledges, stories, timeline
from bot.services.context import Identity
from tests.slack.conftest import (
    ANNOUNCEMENTS,
    COORDINATORS,
    MEMBER_GROUP,
    Slack,
    state_of,
)
from tests.slack.test_issues import CREATE, set_up, the_issue
from tests.slack.texts import button_ids, discord_words, slack_text, slack_words
from tests.support.onboarding import onboard

STORIES = "CBERATTELSER"
STORY = {"title": "Tre nya kunder från X", "kind": "tweet",
         "value": "Min första tråd om våra blommor gav tre företagskunder i Karlskrona.",
         "link": "https://x.com/annasblommor/status/1", "visibility": "public"}


async def stored_reply(slack: Slack, kind: str, channel: str, member_id: int | None = None) -> Reply:
    """The Reply the core stored for a channel post of a reminder of this kind (not a live message), or for a
    member's DM."""
    recipient = Delivery.member_id.is_(None) if member_id is None else Delivery.member_id == member_id
    async with slack.app.sessionmaker() as session:
        delivery = (await session.scalars(
            select(Delivery).join(Reminder, Reminder.id == Delivery.reminder_id)
            .where(Reminder.kind == kind, Delivery.channel == channel, recipient,
                   Delivery.key.not_like("%:live:%")))).one()
    return reply_from_json(delivery.message)


async def test_a_countdown_stage_pings_the_member_group_dms_followers_and_pins_the_live_message(slack: Slack):
    await set_up(slack)
    await slack.command("UKIM", CREATE)
    await slack.deliver()
    issue, workspace = await the_issue(slack)
    [first] = timeline.stages(issue, timeline.DEFAULT_DAYS, workspace.timezone)[:1]
    slack.app.clock.advance(first.due - slack.app.clock.now())  # type: ignore[attr-defined]
    slack.fake.calls.clear()

    await slack.deliver()

    expected = await stored_reply(slack, countdowns.STAGE_KIND, "announcements")
    [stage] = [
        m
        for m in slack.fake.posts_in(ANNOUNCEMENTS)
        if slack_text(m).startswith(f"<!subteam^{MEMBER_GROUP}>")
    ]
    assert slack_words(stage) == discord_words(expected)
    assert button_ids(stage) == [f"jb:countdown.pledge:{issue.id}-{kind}" for kind in pledges.PLEDGE_KINDS]
    # Anna follows Karlskrona and wants DMs: the call to action by DM, in her language, its draft in her
    # business's terms.
    [dm] = [
        m
        for m in slack.fake.messages
        if m["channel"] == "DUANNA" and "jb:countdown.pledge" in str(m["blocks"])
    ]
    async with slack.app.sessionmaker() as session:
        anna = await session.scalar(select(Member.id).where(Member.external_id == "UANNA"))
    expected_dm = await stored_reply(slack, countdowns.STAGE_KIND, "announcements", anna)
    assert slack_words(dm) == discord_words(expected_dm)
    assert expected_dm.title == expected.title and expected_dm.body == expected.body
    # The live message: posted in the announcement channel and pinned (pins.add).
    [pin] = slack.fake.calls_to("pins.add")
    assert pin.args["channel"] == ANNOUNCEMENTS
    live = next(m for m in slack.fake.messages if m["ts"] == pin.args["timestamp"])
    assert issue.title in slack_text(live)


async def test_a_pledge_button_records_the_pledge_and_the_live_message_is_edited_in_place(slack: Slack):
    await set_up(slack)
    await slack.command("UKIM", CREATE)
    await slack.deliver()
    issue, workspace = await the_issue(slack)
    [first] = timeline.stages(issue, timeline.DEFAULT_DAYS, workspace.timezone)[:1]
    slack.app.clock.advance(first.due - slack.app.clock.now())  # type: ignore[attr-defined]
    await slack.deliver()
    [pin] = slack.fake.calls_to("pins.add")

    response, number = await slack.press(
        "UANNA", f"jb:countdown.pledge:{issue.id}-tweet", channel=ANNOUNCEMENTS
    )
    await slack.deliver()

    assert response.status == 200
    [answer] = slack.fake.responses_to(number)
    assert answer["response_type"] == "ephemeral" and "Parkering i centrum" in slack_text(answer)
    async with slack.app.sessionmaker() as session:
        [pledge] = list(await session.scalars(select(Pledge)))
        anna = await session.get_one(Member, pledge.member_id)
    assert (pledge.kind, anna.external_id) == ("tweet", "UANNA")
    updates = [c for c in slack.fake.calls_to("chat.update") if c.args["ts"] == pin.args["timestamp"]]
    assert updates and updates[-1].args["channel"] == ANNOUNCEMENTS
    assert len(slack.fake.calls_to("pins.add")) == 1  # edited in place, not posted again


async def test_a_story_shared_in_a_modal_is_stored_and_posted_in_the_same_words_as_on_discord(slack: Slack):
    await set_up(slack)
    await slack.command("UKIM", f"setup stories:<#{STORIES}|berättelser>")

    await slack.command("UANNA", "story share")
    view = slack.last_view()
    assert view["callback_id"] == "jbform:stories.share"
    visibility = next(b for b in view["blocks"] if b.get("block_id") == "visibility")
    assert visibility["element"]["initial_option"]["value"] == "group"
    slack.fake.calls.clear()
    response = await slack.submit_view("UANNA", view, state_of(STORY, view))

    assert response.status == 200 and response.body == ""
    async with slack.app.sessionmaker() as session:
        story = (await session.scalars(select(Story))).one()
        author = await session.get_one(Member, story.member_id)
    assert (story.title, story.kind, story.visibility, story.credit) == (
        STORY["title"],
        "tweet",
        "public",
        "company",
    )
    assert author.external_id == "UANNA"
    [post] = slack.fake.posts_in(STORIES)
    assert slack_words(post) == discord_words(stories.post_reply(story, author, 0))
    assert button_ids(post) == [f"jb:stories.applaud:{story.id}"]
    # The answer, by the command's response_url; the same words as Discord shows for the same submission.
    discord = Identity("discord", "guild-2", "2002", "Anna", "Gruppen")
    await onboard(slack.app, discord)
    on_discord = await slack.app.submit(discord, stories.FORM_ID, STORY)
    answer = [c.args for c in slack.fake.calls_to("response_url")][-1]
    assert answer["response_type"] == "ephemeral"
    # Discord's workspace has no stories channel; the rest of the words are the same.
    assert slack_words(answer)[:4] == discord_words(on_discord)[:4]
    assert slack_words(answer)[-6:] == discord_words(on_discord)[-6:]
    assert f"<#{STORIES}>" in slack_text(answer)
    [notice] = slack.fake.posts_in(COORDINATORS)[-1:]
    assert STORY["title"] in slack_text(notice)


async def test_applause_replaces_the_story_post_with_the_new_count(slack: Slack):
    await set_up(slack)
    await slack.command("UKIM", f"setup stories:<#{STORIES}|berättelser>")
    await slack.command("UANNA", "story share")
    await slack.submit_view("UANNA", slack.last_view(), state_of(STORY, slack.last_view()))
    [post] = slack.fake.posts_in(STORIES)

    response, number = await slack.press("UBO", button_ids(post)[0], channel=STORIES)

    assert response.status == 200
    [replaced] = slack.fake.responses_to(number)
    assert replaced["replace_original"] is True and "response_type" not in replaced
    [applaud] = [
        e for b in replaced["blocks"] if b["type"] == "actions" for e in b["elements"] if "url" not in e
    ]
    assert applaud["text"]["text"] == translate("stories.button.applaud", "sv", count=1)
    assert applaud["action_id"] == button_ids(post)[0]


async def test_a_story_with_problems_shows_them_under_the_fields(slack: Slack):
    await set_up(slack)
    await slack.command("UANNA", "story share")
    view = slack.last_view()

    response = await slack.submit_view("UANNA", view, state_of({**STORY, "link": "inte en länk"}, view))

    assert '"response_action":"errors"' in response.body.replace(" ", "")
    assert '"link"' in response.body
    async with slack.app.sessionmaker() as session:
        assert (await session.scalars(select(Story))).first() is None
