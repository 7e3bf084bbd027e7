"""/coach: each command defers before the model may be asked, answers within Discord's limits,
and its buttons work."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import discord
import pytest
from discord import app_commands
from sqlalchemy import select

from bot.app import App
from bot.contributions import Feature
from bot.discordbot.bot import JobbBot
from bot.discordbot.checks import CoordinatorOnly, identity_of, is_coordinator
from bot.discordbot.translator import CatalogTranslator
from bot.models import CoachingProgress
from bot.services.drafts import IssueContext, fits_x
from bot.validation import FieldProblem
from cogs.coaching import Coaching
from tests.e2e.fakediscord import rules
from tests.helpers import (
    MockBot,
    MockMember,
    custom_ids,
    fill_modal,
    press,
    sent,
    shown_text,
)
from tests.support.features import with_issues_if_asked
from tests.support.onboarding import onboard

ISSUE = IssueContext(id=3, title="Parkering i centrum", municipality="karlskrona", hashtag="#Parkera",
                     target_handles=("evaek",), media_handles=("blekingelt",))


@pytest.fixture
def cog(bot: MockBot) -> Coaching:
    return Coaching(bot)


@pytest.fixture
def issues() -> list[IssueContext]:
    """One open issue for the coach to draft about, without creating it through the issues feature."""
    return [ISSUE]


@pytest.fixture
def features(request: pytest.FixtureRequest) -> tuple[Feature, ...]:
    """The bot's features; a test that asks for `issues` also gets a stand-in feature that offers them."""
    return with_issues_if_asked(request)


def accepted(kwargs: dict[str, Any]) -> None:
    """Check a message the way Discord does (the fake server's rules): lengths, fields, buttons, link URLs."""
    body: dict[str, Any] = {"content": kwargs.get("content")}
    if kwargs.get("embed") is not None:
        body["embeds"] = [kwargs["embed"].to_dict()]
    if kwargs.get("view") is not None:
        body["components"] = kwargs["view"].to_components()
        for row in body["components"]:
            for component in row["components"]:
                # Discord refuses a link button whose URL is longer than 512 characters.
                assert len(component.get("url") or "") <= 512
    rules.check_message(body)


def links(kwargs: dict[str, Any]) -> list[str]:
    return [item.url for item in kwargs["view"].children if getattr(item, "url", None)]


def deferred_answer(interaction: Any) -> dict[str, Any]:
    interaction.response.defer.assert_awaited_once_with(thinking=True, ephemeral=True)
    return interaction.edit_original_response.await_args.kwargs


async def test_next_defers_then_shows_the_step_with_a_draft_and_done_buttons(
    cog: Coaching, interact: Any, app: App, member: MockMember
):
    await onboard(app, identity_of(member))
    interaction = interact()

    await Coaching.coach_next.callback(cog, interaction)

    answer = deferred_answer(interaction)
    accepted(answer)
    embed = answer["embed"]
    assert embed.title == "Steg 1 av 6: Presentera ditt företag på X med gruppens hashtagg"
    draft = next(f.value for f in embed.fields if f.name.startswith("Ditt utkast"))
    assert fits_x(draft.replace("\\", "")) and "#BlekingeFöretagare" in draft
    assert custom_ids(answer) == ["jb:coaching.done:intro", "jb:coaching.done_link:intro"]
    assert parse_qs(urlsplit(links(answer)[0]).query)["text"][0] == draft.replace("\\", "")


async def test_the_done_button_moves_the_bar(cog: Coaching, interact: Any, app: App, member: MockMember):
    await onboard(app, identity_of(member))
    interaction = interact()

    await press(interaction, "jb:coaching.done:intro")

    answer = sent(interaction)
    accepted(answer)
    assert "█░░░░░░░░ 1 av 6 steg" in shown_text(answer)
    assert custom_ids(answer) == ["jb:coaching.next:", "jb:coaching.undo:intro"]


async def test_the_done_with_link_button_opens_a_modal_whose_link_is_kept(
    cog: Coaching, interact: Any, app: App, member: MockMember
):
    await onboard(app, identity_of(member))
    pressed = interact()
    await press(pressed, "jb:coaching.done_link:intro")
    modal = pressed.response.send_modal.await_args.args[0]
    submit = interact(type=discord.InteractionType.modal_submit, data={"custom_id": modal.custom_id})
    fill_modal(modal, submit, {"link": "https://x.com/anna/status/9"})

    await modal.on_submit(submit)

    accepted(sent(submit))
    async with app.sessionmaker() as session:
        assert await session.scalar(select(CoachingProgress.evidence_url)) == "https://x.com/anna/status/9"


async def test_tweet_defers_and_gives_three_drafts_with_share_buttons(cog: Coaching, interact: Any, app: App,
                                                                      member: MockMember, issues: None):
    await onboard(app, identity_of(member))
    interaction = interact()

    await Coaching.coach_tweet.callback(cog, interaction, None, "3")

    answer = deferred_answer(interaction)
    accepted(answer)
    drafts_shown = [f.value.replace("\\", "") for f in answer["embed"].fields if f.name.startswith("Utkast")]
    assert len(drafts_shown) == 3
    assert all("@evaek" in d and "@blekingelt" in d and "#Parkera" in d and fits_x(d) for d in drafts_shown)
    # An X button for each draft: the issue has no source for Facebook or LinkedIn to share (LinkedIn gets a
    # text of its own to copy).
    assert len(links(answer)) == 3


async def test_blog_and_feedback_defer_and_answer(cog: Coaching, interact: Any, app: App, member: MockMember):
    await onboard(app, identity_of(member))
    blog = interact()
    feedback = interact()

    await Coaching.coach_blog.callback(cog, blog, "Parkering", None)
    await Coaching.coach_feedback.callback(cog, feedback, "Parkeringen behövs", None, None)

    accepted(deferred_answer(blog))
    answer = deferred_answer(feedback)
    accepted(answer)
    assert answer["embed"].title == "Feedback på din tweet"
    assert "Fixa först" in [f.name for f in answer["embed"].fields]


async def test_progress_pause_and_resume(cog: Coaching, interact: Any, app: App, member: MockMember):
    await onboard(app, identity_of(member))

    for command, expected in ((Coaching.coach_pause, "Pausat."), (Coaching.coach_progress, "Pausade."),
                              (Coaching.coach_resume, "Välkommen tillbaka!")):
        interaction = interact()
        await command.callback(cog, interaction)
        answer = sent(interaction)
        accepted(answer)
        assert expected in shown_text(answer)


async def test_done_by_command_refuses_a_bad_link(cog: Coaching, interact: Any, app: App, member: MockMember):
    await onboard(app, identity_of(member))

    with pytest.raises(FieldProblem) as refused:
        await Coaching.coach_done.callback(cog, interact(), None, "inte en länk")

    assert refused.value.problem.key == "errors.url"


async def test_the_overview_is_for_coordinators_and_sends_a_png(cog: Coaching, interact: Any, app: App,
                                                               member: MockMember, admin: MockMember):
    await onboard(app, identity_of(member))
    with pytest.raises(CoordinatorOnly):
        await is_coordinator(interact())
    interaction = interact(user=admin)
    assert await is_coordinator(interaction) is True

    await Coaching.coach_overview.callback(cog, interaction)

    answer = deferred_answer(interaction)
    accepted(answer)
    [chart] = answer["attachments"]
    assert chart.filename == "coaching-overview.png"
    assert "Anna" in answer["embed"].description


async def test_settings_and_ladder_for_a_coordinator(
    cog: Coaching, interact: Any, app: App, admin: MockMember
):
    settings = interact(user=admin)
    await Coaching.coach_settings.callback(
        cog, settings, "#KarlskronaBygger", app_commands.Choice(name="x", value=3), 10, True
    )
    answer = sent(settings)
    accepted(answer)
    assert "#KarlskronaBygger" in shown_text(answer) and "varje onsdag kl. 10:00" in shown_text(answer)

    ladder = interact(user=admin)
    await Coaching.coach_ladder.callback(cog, ladder, "media", None, None, None, None, 1, None, None)
    answer = sent(ladder)
    accepted(answer)
    assert "1. **Ta kontakt med lokala medier** (nyckel: media, typ: media)" in shown_text(answer)


async def test_autocomplete_offers_open_issues_and_steps(
    cog: Coaching, interact: Any, app: App, member: MockMember, issues: None
):
    await onboard(app, identity_of(member))
    interaction = interact()

    issue_choices = await cog.coach_tweet._params["issue"].autocomplete(interaction, "park")
    step_choices = await cog.coach_done._params["step"].autocomplete(interaction, "blog")

    assert [(c.name, c.value) for c in issue_choices] == [("Parkering i centrum", "3")]
    assert [c.value for c in step_choices] == ["blog"]


async def test_the_coach_command_passes_discords_checks_in_both_languages(bot: MockBot):
    real = JobbBot(bot.app)  # around the test App, never started
    await real.tree.set_translator(CatalogTranslator())
    await real.add_cog(Coaching(real))
    payload, admin = [
        await real.tree.get_command(name).get_translated_payload(real.tree, real.tree.translator)
        for name in ("coach", "coach-admin")
    ]

    rules.check_commands([payload, admin])
    names = {o["name"]: o["name_localizations"]["sv-SE"] for o in payload["options"]}
    assert names == {
        "next": "nästa",
        "tweet": "tweet",
        "blog": "blogg",
        "feedback": "feedback",
        "done": "klart",
        "progress": "framsteg",
        "pause": "pausa",
        "resume": "fortsätt",
    }
    assert admin["name_localizations"]["sv-SE"] == "coach-admin"
    names = {o["name"]: o["name_localizations"]["sv-SE"] for o in admin["options"]}
    assert names == {"overview": "översikt", "settings": "inställningar", "ladder": "stegen"}
