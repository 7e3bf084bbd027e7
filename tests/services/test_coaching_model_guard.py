"""The fake OpenAI server answers with each kind of bad draft in many generated variants: none reaches the
member, who gets the templates' drafts instead; good drafts still do.

Each kind's variants go through /coach tweet (three a request), the ladder's ready draft, /coach feedback
(its comments and improved version) and /coach blog, as a model would answer them.
"""

from __future__ import annotations

import json

import pytest

from bot.app import App
from bot.coach import CoachModel, templates
from bot.i18n import render
from bot.replies import Reply
from bot.services import ladder, writing
from bot.services.drafts import IssueContext
from tests.conftest import identity
from tests.fakes.model_drafts import BAD, ISSUE, variants
from tests.fakes.openai_server import FakeOpenAI
from tests.support.onboarding import NEWCOMER, onboard
from tests.support.replies import field_value, shown

ANNA = identity("anna")
MEMBER_DRAFT = "Parkeringen är viktig för oss."
PLAN = {"titles": ["Parkera för blommornas skull", "Tio minuter räcker", "Karlskronas torg"],
        "problem": "Kunderna hittar ingen parkering nära torget.",
        "business": "Vi tappar bröllopskunder när de inte kan stanna.",
        "politicians": "Be politikerna behålla korttidsparkeringen.",
        "action": "Dela inlägget och fråga hur de röstar."}


@pytest.fixture
def issues() -> list[IssueContext]:
    return [ISSUE]


def drafts_of(reply: Reply) -> list[str]:
    return [render(f.value, "sv") for f in reply.fields if render(f.name, "sv").startswith("Utkast")]


def longer(kind: str, draft: str) -> str:
    """An over-long draft made too long for any kind of text (a comment, a blog part), not only for X."""
    return " ".join([draft] * 3) if kind == "over-long" else draft


def in_threes(drafts: list[str]) -> list[list[str]]:
    return [drafts[n:n + 3] for n in range(0, len(drafts), 3)]


@pytest.mark.parametrize("kind", sorted(BAD))
async def test_no_bad_tweet_reaches_the_member(app: App, issues, fake: FakeOpenAI, model: CoachModel,
                                               kind: str):
    await onboard(app, ANNA, answers=NEWCOMER, company="Blomsterhuset")
    from_templates = drafts_of(await app.run(ANNA, writing.tweet, issue="7"))
    bad = variants(kind)

    for three in in_threes(bad):
        fake.answer({"tweets": three})
        reply = await app.run(ANNA, writing.tweet, model, issue="7")

        assert drafts_of(reply) == from_templates, three
    assert len(fake.requests) == len(in_threes(bad))  # each variant was asked for, not cached


async def test_good_tweets_reach_the_member_completed_with_the_issues_tags(
        app: App, issues, fake: FakeOpenAI, model: CoachModel):
    await onboard(app, ANNA, answers=NEWCOMER, company="Blomsterhuset")

    for three in in_threes(variants("good")):
        fake.answer({"tweets": three})
        reply = await app.run(ANNA, writing.tweet, model, issue="7")

        shown_drafts = drafts_of(reply)
        assert len(shown_drafts) == 3
        for proposed, draft in zip(three, shown_drafts, strict=True):
            assert draft.startswith(proposed), (proposed, draft)
            assert all(templates.has_tag(draft, tag) for tag in ("@kommunalrad_kk", "@blekingelt",
                                                                 "#ParkeraKarlskrona"))


@pytest.mark.parametrize("kind", sorted(BAD))
async def test_no_bad_comment_or_improved_version_reaches_the_member(
        app: App, issues, fake: FakeOpenAI, model: CoachModel, kind: str):
    await onboard(app, ANNA, answers=NEWCOMER, company="Blomsterhuset")
    rules_only = await app.run(ANNA, writing.feedback, draft=MEMBER_DRAFT, issue="7")
    bad = [longer(kind, draft) for draft in variants(kind)]

    for n in range(0, len(bad), 4):
        comments, improved = bad[n:n + 3], bad[n + 3] if n + 3 < len(bad) else bad[0]
        fake.answer({"comments": comments, "improved": improved})
        reply = await app.run(ANNA, writing.feedback, model, draft=MEMBER_DRAFT, issue="7")

        # No comment of the model's, and the rules' own improved version.
        assert shown(reply) == shown(rules_only), (comments, improved)


async def test_a_good_comment_and_improved_version_still_reach_the_member(
        app: App, issues, fake: FakeOpenAI, model: CoachModel):
    await onboard(app, ANNA, answers=NEWCOMER, company="Blomsterhuset")
    improved = ("@kommunalrad_kk Parkeringen är viktig för våra kunder i butiken. Hur röstar du? "
                "@blekingelt #ParkeraKarlskrona")
    fake.answer({"comments": ["Nämn hur många kunder som kommer med bil.", "Tacka gärna för svaret."],
                 "improved": improved})

    reply = await app.run(ANNA, writing.feedback, model, draft=MEMBER_DRAFT, issue="7")

    assert field_value(reply, "Coachens kommentarer") == (
        "• Nämn hur många kunder som kommer med bil.\n• Tacka gärna för svaret.")
    assert field_value(reply, "Förbättrad version") == improved


@pytest.mark.parametrize("kind", sorted(BAD))
async def test_no_bad_ready_draft_of_a_ladder_step_reaches_the_member(
        app: App, issues, fake: FakeOpenAI, model: CoachModel, kind: str):
    await onboard(app, ANNA, answers=NEWCOMER, company="Blomsterhuset")
    from_templates = field_value(await app.run(ANNA, ladder.next_step), "Ditt utkast")

    for draft in variants(kind, 12):
        fake.answer({"draft": draft})
        reply = await app.run(ANNA, ladder.next_step, model)

        assert field_value(reply, "Ditt utkast") == from_templates, draft


@pytest.mark.parametrize("kind", sorted(BAD))
async def test_a_blog_plan_with_one_bad_part_is_the_templates(
        app: App, issues, fake: FakeOpenAI, model: CoachModel, kind: str):
    await onboard(app, ANNA, answers=NEWCOMER, company="Blomsterhuset")
    from_templates = shown(await app.run(ANNA, writing.blog, issue="7"))
    fake.answer(PLAN)
    # A good plan is shown as the model wrote it.
    assert shown(await app.run(ANNA, writing.blog, model, issue="7")) != from_templates

    for n, draft in enumerate(longer(kind, draft) for draft in variants(kind, 12)):
        part = ("problem", "business", "politicians", "action")[n % 4]
        fake.answer(PLAN | {part: draft})
        reply = await app.run(ANNA, writing.blog, model, issue="7")

        assert shown(reply) == from_templates, draft


async def test_an_answer_in_a_json_code_fence_is_read_and_its_drafts_checked(
        app: App, issues, fake: FakeOpenAI, model: CoachModel):
    # Models often wrap their JSON in ```json … ```: that fence is no echo of the prompt; the JSON is read.
    await onboard(app, ANNA, answers=NEWCOMER, company="Blomsterhuset")
    from_templates = drafts_of(await app.run(ANNA, writing.tweet, issue="7"))
    good, bad = variants("good", 2), variants("link", 1)
    fake.answer("```json\n" + json.dumps({"tweets": [*good, *bad]}, ensure_ascii=False) + "\n```")

    first, second, third = drafts_of(await app.run(ANNA, writing.tweet, model, issue="7"))

    assert first.startswith(good[0]) and second.startswith(good[1])
    assert third == from_templates[0]  # the draft with a link the brief does not give: a template's instead
