"""/story, /did, /stats, /leaderboard, /digest and /report on Discord: modals, buttons, files,
coordinator checks."""

from __future__ import annotations

import dataclasses
from typing import Any

import discord
import pytest
from discord import app_commands
from sqlalchemy import select

from bot.app import App
from bot.discordbot.bot import JobbBot
from bot.discordbot.checks import CoordinatorOnly, identity_of, is_coordinator
from bot.discordbot.translator import CatalogTranslator
from bot.errors import UserError
from bot.models import Action, Story
from bot.replies import Channel
from bot.services import activity, issues, stories
from cogs.activity import Activity
from cogs.digest import Digest
from cogs.stories import Stories
from tests.conftest import RecordingNotifier
from tests.e2e.fakediscord import rules
from tests.helpers import (
    MockBot,
    MockMember,
    choice,
    custom_ids,
    fill_modal,
    press,
    sent,
    shown_text,
)
from tests.issue_fixtures import ISSUE
from tests.support.onboarding import onboard
from tests.support.replies import field_value

STORY = {"title": "Tweeten gav tre kunder", "kind": "tweet", "value": "Tre nya kunder hittade oss via X.",
         "link": "https://x.com/anna/status/1", "visibility": "public_name"}


def accepted(kwargs: dict[str, Any]) -> None:
    """Check a message the way Discord does (the fake server's rules): lengths, fields, buttons."""
    body: dict[str, Any] = {"content": kwargs.get("content")}
    if kwargs.get("embed") is not None:
        body["embeds"] = [kwargs["embed"].to_dict()]
    if kwargs.get("view") is not None:
        body["components"] = kwargs["view"].to_components()
    rules.check_message(body)


def deferred_answer(interaction: Any) -> dict[str, Any]:
    interaction.response.defer.assert_awaited_once_with(thinking=True, ephemeral=True)
    return interaction.edit_original_response.await_args.kwargs


async def test_share_opens_one_modal_page_whose_story_is_posted(
    bot: MockBot, interact: Any, app: App, member: MockMember, notifier: RecordingNotifier
):
    await onboard(app, identity_of(member))
    cog = Stories(bot)
    opened = interact()

    await Stories.story_share.callback(cog, opened)

    modal = opened.response.send_modal.await_args.args[0]
    assert modal.title == "Dela din berättelse"
    assert [label.component.custom_id for label in modal.children] == ["title", "kind", "value", "link",
                                                                        "visibility"]
    submit = interact(type=discord.InteractionType.modal_submit, data={"custom_id": modal.custom_id})
    fill_modal(modal, submit, STORY)
    await modal.on_submit(submit)

    answer = sent(submit)
    accepted(answer)
    assert answer["embed"].title == "🎉 Tack för att du delar!"
    async with app.sessionmaker() as session:
        story = await session.scalar(select(Story))
    assert (story.title, story.kind, story.visibility, story.credit) == ("Tweeten gav tre kunder", "tweet",
                                                                         "public", "name")
    [post] = notifier.to(f"channel:{Channel.STORIES}")
    assert post.reply.buttons[0].custom_id == f"jb:stories.applaud:{story.id}"


async def test_share_with_an_issue_opens_the_modal_and_stores_the_story_about_that_issue(
    bot: MockBot, interact: Any, app: App, member: MockMember, notifier: RecordingNotifier
):
    await onboard(app, identity_of(member))
    coordinator = dataclasses.replace(identity_of(member), user_external_id="karin", display_name="Karin",
                                      is_admin=True)
    await app.run(coordinator, issues.create, **ISSUE)
    cog = Stories(bot)
    opened = interact()

    await Stories.story_share.callback(cog, opened, issue="Parkering")

    modal = opened.response.send_modal.await_args.args[0]
    submit = interact(type=discord.InteractionType.modal_submit, data={"custom_id": modal.custom_id})
    fill_modal(modal, submit, STORY)
    await modal.on_submit(submit)

    async with app.sessionmaker() as session:
        story = await session.scalar(select(Story))
    assert story.issue_id == 1
    [post] = notifier.to(f"channel:{Channel.STORIES}")
    assert field_value(post.reply, "Om") == ISSUE["title"]


async def test_share_with_an_unknown_issue_says_so_and_opens_no_modal(bot: MockBot, interact: Any, app: App,
                                                                     member: MockMember):
    await onboard(app, identity_of(member))
    opened = interact()

    with pytest.raises(UserError) as refused:
        await Stories.story_share.callback(Stories(bot), opened, issue="Finns inte")

    assert refused.value.text.key == "issues.unknown"
    opened.response.send_modal.assert_not_awaited()


async def test_the_applause_button_updates_the_count_on_the_post(bot: MockBot, interact: Any, app: App,
                                                                 member: MockMember, guild: Any):
    await onboard(app, identity_of(member))
    await app.submit(identity_of(member), "stories.share", STORY)
    other = MockMember(guild=guild, name="bo", display_name="Bo")
    await onboard(app, identity_of(other))
    pressed = interact(user=other)

    await press(pressed, "jb:stories.applaud:1")

    edit = pressed.response.edit_message.await_args.kwargs
    accepted(edit)
    assert edit["embed"].title == "Tweeten gav tre kunder"
    assert next(item.label for item in edit["view"].children) == "👏 Inspirerande (1)"


async def test_list_and_export_and_the_coordinator_check(
    bot: MockBot, interact: Any, app: App, member: MockMember, admin: MockMember
):
    await onboard(app, identity_of(member))
    await app.submit(identity_of(member), "stories.share", STORY)
    cog = Stories(bot)
    listed = interact()
    await Stories.story_list.callback(cog, listed, None)
    accepted(sent(listed))
    assert "#1 **Tweeten gav tre kunder** – Anna" in shown_text(sent(listed))

    with pytest.raises(CoordinatorOnly):
        await is_coordinator(interact())
    exported = interact(user=admin)
    await Stories.story_export.callback(cog, exported, choice(stories.Audience.PUBLIC), None)
    answer = deferred_answer(exported)
    assert [f.filename for f in answer["attachments"]] == ["berattelser-publika-2026-12-01.md",
                                                           "berattelser-publika-2026-12-01.csv"]
    suggestions = await cog.story_show._params["story"].autocomplete(interact(), "tweet")
    assert [(c.name, c.value) for c in suggestions] == [("#1 Tweeten gav tre kunder", "1")]


async def test_a_group_only_story_is_suggested_only_to_those_who_may_read_it(
    bot: MockBot, interact: Any, app: App, member: MockMember, admin: MockMember, guild: Any
):
    await onboard(app, identity_of(member))
    await app.submit(identity_of(member), "stories.share",
                     STORY | {"title": "Bara för oss", "visibility": "group"})
    newcomer = MockMember(guild=guild, name="nils", display_name="Nils")  # joined, never onboarded
    cog = Stories(bot)

    def suggested(user: MockMember) -> Any:
        return cog.story_show._params["story"].autocomplete(interact(user=user), "")

    assert await suggested(newcomer) == []
    assert [c.name for c in await suggested(member)] == ["#1 Bara för oss"]
    assert [c.name for c in await suggested(admin)] == ["#1 Bara för oss"]


async def test_did_logs_with_the_choices_and_stats_show_it(bot: MockBot, interact: Any, app: App,
                                                           member: MockMember):
    await onboard(app, identity_of(member))
    cog = Activity(bot)
    logged = interact()

    await Activity.did.callback(cog, logged, choice(activity.ActivityKind.ASK),
                                choice(activity.ActivityStatus.ATTEMPTED), None, "x.com/anna/status/2")

    answer = sent(logged)
    accepted(answer)
    assert answer["embed"].title == "💪 Loggat som försök: Frågade en politiker"
    async with app.sessionmaker() as session:
        assert (await session.scalar(select(Action.status))) == "attempted"
    stats = interact()
    await Activity.stats.callback(cog, stats)
    accepted(sent(stats))
    assert "Frågade en politiker: 1 försök" in shown_text(sent(stats))
    assert custom_ids(sent(stats)) == ["jb:activity.join:"]

    joined = interact()
    await press(joined, "jb:activity.join:")
    board = interact()
    await Activity.leaderboard_show.callback(cog, board, choice(activity.Period.MONTH))
    assert "🥇 Anna – 1" in shown_text(sent(board))


async def test_digest_now_and_report_defer_and_send_their_files(bot: MockBot, interact: Any, app: App,
                                                                 member: MockMember, admin: MockMember):
    await onboard(app, identity_of(member))
    cog = Digest(bot)
    with pytest.raises(CoordinatorOnly):
        await is_coordinator(interact())

    made = interact(user=admin)
    await Digest.digest_now.callback(cog, made)
    answer = deferred_answer(made)
    accepted(answer)
    [png] = answer["attachments"]
    assert png.filename.endswith(".png") and answer["embed"].title.startswith("📊 Veckans sammanfattning")

    reported = interact(user=admin)
    await Digest.report.callback(cog, reported, "2026-11-01", "2026-12-01")
    answer = deferred_answer(reported)
    accepted(answer)
    assert [f.filename for f in answer["attachments"]] == [
        "insatser_2026-11-01_2026-12-01.csv", "berattelser_2026-11-01_2026-12-01.csv",
        "loften_2026-11-01_2026-12-01.csv"]

    settings = interact(user=admin)
    await Digest.digest_settings.callback(
        cog, settings, app_commands.Choice(name="fredag", value=5), 16, True, None
    )
    accepted(sent(settings))
    assert "varje fredag kl. 16:00" in shown_text(sent(settings))


async def test_the_new_commands_pass_discords_checks_in_both_languages(bot: MockBot):
    real = JobbBot(bot.app)  # around the test App, never started
    await real.tree.set_translator(CatalogTranslator())
    for cog in (Stories(real), Activity(real), Digest(real)):
        await real.add_cog(cog)

    payloads = [
        await c.get_translated_payload(real.tree, real.tree.translator) for c in real.tree.get_commands()
    ]

    rules.check_commands(payloads)
    by_name = {p["name"]: p for p in payloads}
    assert by_name["story"]["name_localizations"]["sv-SE"] == "berättelse"
    assert by_name["did"]["name_localizations"]["sv-SE"] == "gjort"
    assert [o["name"] for o in by_name["report"]["options"]] == ["from", "to"]
    assert (
        int(by_name["digest"]["default_member_permissions"]) == discord.Permissions(manage_guild=True).value
    )
    assert [o["name"] for o in by_name["story-admin"]["options"]] == ["feature", "hide", "unhide", "public",
                                                                      "export"]
    assert "about" in [o["name"] for o in by_name["story"]["options"]]
