"""The coach's model against a local fake of the OpenAI API:
used when it helps, the templates when it does not.

Nothing here reaches the internet: the client's base_url points at tests.fakes.openai_server on 127.0.0.1.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import pytest
from pydantic import SecretStr

from bot.app import App
from bot.coach import CoachModel
from bot.config import Settings
from bot.i18n import render
from bot.replies import Reply
from bot.services import ladder, workspaces, writing
from bot.services.drafts import fits_x
from tests.conftest import identity
from tests.fakes.openai_server import FakeOpenAI, free_port
from tests.support.onboarding import NEWCOMER, onboard
from tests.support.replies import field_value, shown

ANNA, BO = identity("anna"), identity("bo", coordinator=True)
# Profile fields a draft does not need: none of them may reach the model.
PRIVATE = {
    "company": "Blomsterhuset",
    "x_handle": "@blommorna_kk",
    "linkedin_url": "linkedin.com/in/annaberg",
    "blog_url": "https://blomsterhuset.se/blogg",
    "company_size": "10-49",
    "goal": "Fler bröllopskunder",
}
TIMEOUT = 0.3
GOOD_TWEETS = {"tweets": [
    "Vi på Blomsterhuset binder buketter till hela Karlskrona. Vad behöver ni av oss?",
    "Blommor säljer bäst när kunderna kan parkera. Hur tänker kommunen? #BlekingeFöretagare",
    "x" * 300,  # over X's limit: not usable, a template takes its place
]}


def fenced_data(user: str) -> dict[str, Any]:
    """The member's and the issue's fields as the prompt fences them: one JSON object between <data> tags."""
    match = re.search(r"<data>\n(.*)\n</data>", user, re.DOTALL)
    assert match is not None, user
    value = json.loads(match.group(1))
    assert isinstance(value, dict)
    return value


def drafts_of(reply: Reply) -> list[str]:
    return [render(f.value, "sv") for f in reply.fields if render(f.name, "sv").startswith("Utkast")]


async def test_the_models_tweets_are_used_when_they_pass_the_checks(
    app: App, fake: FakeOpenAI, model: CoachModel
):
    await onboard(app, ANNA, answers=NEWCOMER, **PRIVATE)
    fake.answer(GOOD_TWEETS)

    reply = await app.run(ANNA, writing.tweet, model, topic="Parkering")

    posts = drafts_of(reply)
    assert posts[0] == GOOD_TWEETS["tweets"][0] + " #BlekingeFöretagare"  # the hashtag was added
    assert posts[1] == GOOD_TWEETS["tweets"][1]
    template = drafts_of(await app.run(ANNA, writing.tweet, topic="Parkering"))
    assert posts[2] == template[0]
    assert all(fits_x(post) for post in posts)


async def test_only_the_profile_fields_a_draft_needs_are_sent_in_the_members_language(
        app: App, fake: FakeOpenAI, model: CoachModel):
    await onboard(app, ANNA, answers=NEWCOMER, **PRIVATE)
    fake.answer(GOOD_TWEETS)

    await app.run(ANNA, writing.tweet, model, topic="Parkering")

    system, user = fake.prompts()
    assert "Skriv på svenska" in system
    data = fenced_data(user)
    assert (data["Företag"], data["Kommun"], data["Bransch"]) == ("Blomsterhuset", "Karlskrona", "Handel")
    assert data["Affärsmål"] == "Fler bröllopskunder" and "#BlekingeFöretagare" in user
    request = str(fake.requests[-1])
    for private in ("Anna", "blommorna_kk", "annaberg", "blomsterhuset.se", "10-49", "10–49", "anna"):
        assert private not in request, private
    assert fake.requests[-1]["model"] == "test-model"

    await app.run(BO, workspaces.configure, language="en")
    await app.run(ANNA, writing.tweet, model)
    system, user = fake.prompts()
    data = fenced_data(user)
    assert "Write in English" in system and (data["Company"], data["Industry"]) == ("Blomsterhuset", "Retail")


def _failing(fake: FakeOpenAI, how: str) -> None:
    if how == "slow":
        fake.mode, fake.delay = "slow", 10 * TIMEOUT
    elif how == "http_500":
        fake.mode = "error"
    elif how == "malformed_json":
        fake.mode = "malformed"
    elif how == "not_json":
        fake.answer("Gärna! Här kommer tre förslag: …")
    elif how == "wrong_shape":
        fake.answer({"tweets": "en sträng", "titles": [], "draft": 5, "comments": "nej"})


COMMANDS = {
    "next": (ladder.next_step, {}),
    "tweet": (writing.tweet, {"topic": "Parkering"}),
    "blog": (writing.blog, {"topic": "Parkering"}),
    "feedback": (writing.feedback, {"draft": "Parkeringen är viktig för oss."}),
}


# Each way the model can fail, and what the coach logs about it (a warning; never the prompt).
FAILURES = {
    "slow": f"The model did not answer within {TIMEOUT:.1f} s",
    "http_500": "The model answered HTTP 500",
    "malformed_json": "The model's response could not be read",
    "not_json": "The model did not answer with JSON",
    "wrong_shape": "answer was not usable",
    "server_down": "The model could not be asked (APIConnectionError)",
}


@pytest.mark.parametrize("how", sorted(FAILURES))
@pytest.mark.parametrize("command", sorted(COMMANDS))
async def test_every_command_answers_from_the_templates_when_the_model_fails(
        app: App, fake: FakeOpenAI, command: str, how: str, caplog: pytest.LogCaptureFixture):
    await onboard(app, ANNA, answers=NEWCOMER, **PRIVATE)
    call, options = COMMANDS[command]
    expected = shown(await app.run(ANNA, call, **options))
    base_url = f"http://127.0.0.1:{free_port()}/v1" if how == "server_down" else fake.base_url
    _failing(fake, how)
    # Only the slow case may run into the timeout; the others get time to fail their
    # own way on a busy machine.
    timeout = TIMEOUT if how == "slow" else 10.0
    model = CoachModel(api_key="sk-test", model="test-model", timeout=timeout, base_url=base_url)
    caplog.set_level(logging.WARNING, logger="bot.coach.model")
    try:
        reply = await app.run(ANNA, call, model, **options)
    finally:
        await model.close()

    # The same answer as without a model, no error shown to the member; the log says why.
    assert shown(reply) == expected
    warnings = [r.getMessage() for r in caplog.records if r.name == "bot.coach.model"]
    assert any(FAILURES[how] in w for w in warnings), warnings


async def test_the_models_blog_plan_is_shown(app: App, fake: FakeOpenAI, model: CoachModel):
    await onboard(app, ANNA, answers=NEWCOMER, **PRIVATE)
    fake.answer({"titles": ["Parkera för blommornas skull", "Tio minuter räcker", "Karlskronas torg"],
                 "problem": "Kunderna hittar ingen parkering.", "business": "Vi tappar brudbuketter.",
                 "politicians": "Behåll korttidsparkeringen.", "action": "Dela med #BlekingeFöretagare."})

    reply = await app.run(ANNA, writing.blog, model, topic="Parkering")

    assert field_value(reply, "Rubrikidéer").splitlines()[0] == "• Parkera för blommornas skull"
    assert field_value(reply, "Vad det betyder för mitt företag") == "Vi tappar brudbuketter."


async def test_the_model_adds_comments_to_the_rules_which_always_run(
    app: App, fake: FakeOpenAI, model: CoachModel
):
    await onboard(app, ANNA, answers=NEWCOMER, **PRIVATE)
    improved = "Hur tänker ni om parkeringen? Våra kunder behöver den. #BlekingeFöretagare"
    fake.answer({"comments": ["Bra att du är konkret.", "Nämn torget vid namn."], "improved": improved})

    reply = await app.run(ANNA, writing.feedback, model, draft="Parkeringen är viktig")

    assert field_value(reply, "Coachens kommentarer") == (
        "• Bra att du är konkret.\n• Nämn torget vid namn.")
    assert "Ställ en fråga" in shown(reply)  # the rules' findings are still there
    assert field_value(reply, "Förbättrad version") == improved
    _, user = fake.prompts()
    assert "Parkeringen är viktig" in user and "Ställ en fråga" in user


async def test_an_improved_version_that_breaks_the_rules_is_replaced_by_the_rules_own(
        app: App, fake: FakeOpenAI, model: CoachModel):
    await onboard(app, ANNA, answers=NEWCOMER, **PRIVATE)
    fake.answer({"comments": ["Kortare!"], "improved": "En förbättring utan hashtagg?"})

    reply = await app.run(ANNA, writing.feedback, model, draft="Parkeringen är viktig")

    assert field_value(reply, "Coachens kommentarer") == "• Kortare!"
    assert field_value(reply, "Förbättrad version").endswith("#BlekingeFöretagare")


@pytest.mark.parametrize("improved", [
    "Hur tänker ni? Våra kunder behöver parkeringen. #BlekingeFöretagare",  # the member's handle is gone
    "@kommunalrad_kk Våra kunder behöver parkeringen nu. #BlekingeFöretagare",  # so is their question
    "@kommunalrad_kk Hur röstar ni? #BlekingeFöretagare",  # the business value, which the draft had, is gone
])
async def test_an_improved_version_that_drops_what_the_draft_had_is_replaced_by_the_rules_own(
        app: App, fake: FakeOpenAI, model: CoachModel, improved: str):
    await onboard(app, ANNA, answers=NEWCOMER, **PRIVATE)
    fake.answer({"comments": ["Kortare!"], "improved": improved})
    draft = "@kommunalrad_kk Hur röstar ni? Våra kunder på Blomsterhuset behöver parkeringen."

    reply = await app.run(ANNA, writing.feedback, model, draft=draft)

    assert field_value(reply, "Förbättrad version") == f"{draft} #BlekingeFöretagare"


async def test_the_next_step_draft_comes_from_the_model(app: App, fake: FakeOpenAI, model: CoachModel):
    await onboard(app, ANNA, answers=NEWCOMER, **PRIVATE)
    fake.answer({"draft": "Hej Karlskrona! Blomsterhuset här, med blommor till företag och fester."})

    reply = await app.run(ANNA, ladder.next_step, model)

    assert field_value(reply, "Ditt utkast") == (
        "Hej Karlskrona! Blomsterhuset här, med blommor till företag och fester. #BlekingeFöretagare")


async def test_no_prompt_or_member_text_is_logged(app: App, fake: FakeOpenAI, model: CoachModel,
                                                  caplog: pytest.LogCaptureFixture):
    await onboard(app, ANNA, answers=NEWCOMER, **PRIVATE)
    caplog.set_level(logging.DEBUG)
    for how in ("ok", "http_500", "not_json"):
        if how == "ok":
            fake.answer({"comments": ["Hemligt svar"], "improved": "Hemlig version #BlekingeFöretagare"})
        else:
            _failing(fake, how)
        await app.run(ANNA, writing.feedback, model, draft="Min hemliga text om parkeringen")

    logged = "\n".join(record.getMessage() for record in caplog.records)
    for secret in ("hemliga text", "Hemligt svar", "Hemlig version", "Blomsterhuset", "Skriv på svenska"):
        assert secret not in logged, secret
    assert "answering from the templates" in logged


async def test_the_app_creates_the_model_client_only_with_a_key_and_closes_it(
    settings: Settings, fake: FakeOpenAI
):
    plain = App(settings)
    assert plain.coach is None
    await plain.close()

    configured = settings.model_copy(
        update={
            "openai_api_key": SecretStr("sk-test"),
            "openai_base_url": fake.base_url,
            "openai_model": "m",
            "openai_timeout": 2.0,
        }
    )
    app = App(configured)
    assert isinstance(app.coach, CoachModel) and app.coach.timeout == 2.0 and app.coach.model == "m"
    await app.close()
    assert app.coach._client.is_closed()


async def test_an_improved_version_from_the_model_that_repeats_an_insult_is_replaced(
        app: App, fake: FakeOpenAI, model: CoachModel):
    await onboard(app, ANNA, answers=NEWCOMER, **PRIVATE)
    fake.answer(
        {"comments": ["Lugnare ton."], "improved": "Kommunen är inkompetent. Fixa det! #BlekingeFöretagare"}
    )

    reply = await app.run(ANNA, writing.feedback, model, draft="Kommunen är inkompetent, fixa parkeringen")

    improved = field_value(reply, "Förbättrad version")
    assert "inkompetent" not in improved and improved.startswith("Fixa parkeringen")
