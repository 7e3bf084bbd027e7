"""Stories, the action log and the digest end to end:
the real bot process against the Discord-protocol server.

The owner chooses a forum channel for stories; a member shares a story through the modal and it becomes a
forum post (a thread named after the story) whose 👏 button counts; the member logs a tweet with /did; a
coordinator's /digest now returns the week's figures with a PNG chart. The `jobbbot` fixture fails the
scenario if the fake refused any payload the bot sent, or the bot logged an error.
"""

from __future__ import annotations

import pytest

from .botprocess import BotProcess
from .fakediscord import FakeDiscord, Message
from .test_scenarios import WAIT, join_and_onboard, set_up_workspace, sv

pytestmark = [pytest.mark.asyncio, pytest.mark.e2e]

TITLE = "Tweeten gav tre nya kunder"
STORY = {"title": TITLE, "kind": ["tweet"], "value": "Tre företag i Karlskrona hörde av sig efter tweeten.",
         "link": "https://x.com/blekingebygg/status/1", "visibility": ["public"]}


def button_labels(message: Message) -> list[str]:
    return [
        c.get("label", "") for c in message.walk_components() if c.get("type") == 2 and c.get("custom_id")
    ]


async def test_a_story_becomes_a_forum_post_did_is_logged_and_the_digest_has_a_chart(
    fake_discord: FakeDiscord, jobbbot: BotProcess
):
    fake = fake_discord
    assert {"story", "story-admin", "did", "stats", "leaderboard", "digest", "report"} <= set(
        fake.commands(guild=True))
    await set_up_workspace(fake)
    chosen = await fake.slash("owner", "setup", {"stories": "forum"})
    fields = (await chosen.wait_response(WAIT))["data"]["embeds"][0]["fields"]
    assert {
        "name": sv("setup.field.stories"),
        "value": f"<#{fake.channel_id('forum')}>",
        "inline": True,
    } in fields
    await join_and_onboard(fake, "erik")

    # The story form is one modal page: title, what I did, what it brought, a link, who may see it.
    opener = await fake.slash("erik", "story share")
    modal = (await opener.wait_response(WAIT))["data"]
    assert modal["title"] == sv("stories.form.title") and len(modal["components"]) == 5
    submit = await fake.submit_modal("erik", opener, STORY)
    thanks = await submit.wait_reply(WAIT)
    assert thanks.ephemeral and thanks.embeds[0]["title"] == sv("stories.shared.title")
    assert f"<#{fake.channel_id('forum')}>" in thanks.embeds[0]["description"]

    # Posted in the forum channel as a new post named after the story.
    await fake.wait_until(lambda: fake.threads_in("forum"), WAIT, "the story's forum post")
    [thread] = fake.threads_in("forum")
    assert thread.name == TITLE
    [post] = fake.messages_in(thread.id)
    assert post.embeds[0]["title"] == TITLE and post.custom_ids() == ["jb:stories.applaud:1"]

    applauded = await fake.press("erik", post, custom_id="jb:stories.applaud:1")
    assert (await applauded.wait_response(WAIT))["type"] == 7  # the post itself is updated
    [post] = fake.messages_in(thread.id)
    assert button_labels(post) == [sv("stories.button.applaud", count=1)]

    logged = await fake.slash("erik", "did", {"kind": "tweet", "link": "https://x.com/blekingebygg/status/2"})
    reply = await logged.wait_reply(WAIT)
    assert reply.ephemeral and reply.embeds[0]["title"] == sv("activity.logged.done.title",
                                                              kind=sv("activity.kind.tweet"))

    # The owner sees the coordinators' commands (the fake cannot show them to the role, as Integrations can).
    made = await fake.slash("owner", "digest now")
    assert (await made.wait_response(WAIT))["type"] == 5  # deferred while the chart is drawn
    digest = await made.wait_reply(WAIT)
    [png] = digest.attachments
    assert png.filename.startswith("aktivitet-") and fake.attachment_bytes(png.id).startswith(
        b"\x89PNG\r\n\x1a\n"
    )
    shown = digest.embed_text()
    assert sv("activity.count.done", kind=sv("activity.kind.tweet"), done=1) in shown
    assert "Erik" in shown  # a new member this week

    stats = await (await fake.slash("erik", "stats")).wait_reply(WAIT)
    assert sv("activity.count.done", kind=sv("activity.kind.tweet"), done=1) in stats.embed_text()
    exported = await fake.slash("owner", "story-admin export", {"audience": "public"})
    files = (await exported.wait_reply(WAIT)).attachments
    assert [f.filename.rsplit(".", 1)[1] for f in files] == ["md", "csv"]
    assert TITLE in fake.attachment_bytes(files[0].id).decode()
    reported = await fake.slash("owner", "report")
    report = await reported.wait_reply(WAIT)
    assert [f.filename.split("_")[0] for f in report.attachments] == [
        sv("report.file.actions"), sv("report.file.stories"), sv("report.file.pledges")]
    assert jobbbot.problems() == []
