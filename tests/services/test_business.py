"""Knowing the business: what it offers, the facts its owner is proud of and the platforms they use, in the
profile and in every draft; issue titles woven in as titles; a LinkedIn draft for those on LinkedIn."""

from __future__ import annotations

import dataclasses
import re

import pytest
from sqlalchemy import select

from bot.app import App
from bot.coach import Brief, prompts, templates
from bot.coach.templates import as_part_of_sentence
from bot.i18n import render
from bot.models import Member, Workspace
from bot.replies import Reply, text
from bot.services import asks, drafts, profile, writing
from bot.services.drafts import IssueContext, fits_x, x_length
from bot.services.profile_fields import parse_platforms
from bot.validation import FieldProblem
from tests.conftest import identity
from tests.issue_fixtures import create_issue, import_politicians
from tests.services.conftest import HARBOUR, PARKING
from tests.support import onboarding
from tests.support.replies import fields_of

ANNA = identity("anna")
OFFER = "snittblommor, bröllopsbuketter och begravningsbinderi"
FACTS = "6 anställda, på Ronnebygatan sedan 1998"
SOURCE = "https://www.karlskrona.se/parkering"
LINKEDIN_SHARE = "https://www.linkedin.com/sharing/share-offsite/?url=https%3A%2F%2Fwww.karlskrona.se%2Fparkering"
# A title pasted mid-sentence with its capital letter ("om Parkering i centrum").
CAPITAL_MID_SENTENCE = re.compile(r"\b(?:om|on|kring|följer|follow|see) Parkering")


@pytest.fixture
def issues() -> list[IssueContext]:
    """The coaching's open issues, the parking one with a source to share on LinkedIn."""
    return [dataclasses.replace(PARKING, source_url=SOURCE), HARBOUR]


async def onboard(app: App, who=ANNA, **changes: str) -> None:
    """Onboard Anna who told what her business offers, her facts, and that she is on X and LinkedIn."""
    await onboarding.onboard(app, who, answers=onboarding.BUSINESS, **changes)


async def stored(app: App, external_id: str = "anna") -> Member:
    async with app.sessionmaker() as session:
        return await session.scalar(select(Member).where(Member.external_id == external_id))


def tweet_drafts(reply: Reply, language: str = "sv") -> list[str]:
    prefix = "Utkast " if language == "sv" else "Draft "
    return [render(f.value, language) for f in reply.fields
            if re.match(prefix + r"\d", render(f.name, language))]


# -- the profile ---------------------------------------------------------------------------------------------


async def test_onboarding_stores_the_offer_the_facts_and_the_platforms(app: App):
    await onboard(app)

    member = await stored(app)
    assert member.offer == "Snittblommor, bröllopsbuketter och begravningsbinderi"
    assert member.facts == FACTS
    assert member.platforms == ["x", "linkedin"]


async def test_a_member_who_names_no_platform_gets_the_defaults(app: App):
    await onboarding.onboard(app, ANNA)

    member = await stored(app)
    assert (member.offer, member.facts, member.platforms) == (None, None, None)


@pytest.mark.parametrize(("typed", "platforms"), [
    ("X och LinkedIn", ["x", "linkedin"]),
    ("linkedin, facebook", ["linkedin", "facebook"]),
    ("Twitter/Insta + blogg", ["x", "instagram", "blog"]),
    ("LinkedIn and LinkedIn", ["linkedin"]),
    ("  ", None),
])
def test_platforms_are_read_from_a_typed_list(typed: str, platforms: list[str] | None):
    assert parse_platforms(typed, text("field.platforms")) == platforms


def test_a_platform_that_is_not_known_is_named_with_the_choices():
    with pytest.raises(FieldProblem) as raised:
        parse_platforms("X, Myspace", text("field.platforms"))

    message = render(raised.value.problem, "sv")
    assert '"Myspace" är ingen plattform' in message and "LinkedIn" in message and "Blogg" in message


async def test_profile_edit_shows_prefills_and_changes_the_business_fields(app: App):
    await onboard(app)

    shown = fields_of(await app.run(ANNA, profile.show))
    assert shown["Vad ni erbjuder"] == "Snittblommor, bröllopsbuketter och begravningsbinderi"
    assert shown["Något konkret du är stolt över"] == FACTS
    assert shown["Plattformar du använder"] == "X, LinkedIn"
    form = (await app.run(ANNA, profile.edit)).form
    assert form.values["platforms"] == "X, LinkedIn" and form.values["facts"] == FACTS

    await app.submit(ANNA, profile.EDIT_FORM_ID, {"offer": "tulpaner", "platforms": "Facebook"})

    member = await stored(app)
    assert (member.offer, member.facts, member.platforms) == ("tulpaner", FACTS, ["facebook"])


async def test_a_bad_platform_or_an_overlong_fact_changes_nothing(app: App):
    await onboard(app)

    with pytest.raises(FieldProblem) as raised:
        await app.submit(ANNA, profile.EDIT_FORM_ID, {"offer": "tulpaner", "platforms": "Myspace"})
    with pytest.raises(FieldProblem) as too_long:
        await app.submit(ANNA, profile.EDIT_FORM_ID, {"facts": "x" * 151})
    with pytest.raises(FieldProblem) as too_many:
        await app.submit(ANNA, profile.EDIT_FORM_ID, {"platforms": "X, " * 30})

    assert render(raised.value.field_label, "sv") == "Plattformar du använder"
    assert render(too_long.value.field_label, "sv") == "Något konkret du är stolt över"
    assert too_many.value.problem.key == "errors.too_long"
    member = await stored(app)
    assert (member.offer, member.facts, member.platforms) == (
        "Snittblommor, bröllopsbuketter och begravningsbinderi", FACTS, ["x", "linkedin"])


# -- the drafts ----------------------------------------------------------------------------------------------


async def test_tweets_name_what_the_business_offers_and_its_facts_and_fit_x(app: App):
    await onboard(app)

    reply = await app.run(ANNA, writing.tweet, topic="Parkering")

    posts = tweet_drafts(reply)
    assert len(posts) == 3 and all(fits_x(post) and "#BlekingeFöretagare" in post for post in posts)
    assert any(OFFER in post for post in posts)
    assert any(FACTS in post for post in posts)
    assert "/profile edit" not in render(reply.body, "sv")  # the hint to tell more is for those who did not


async def test_tweets_about_an_issue_quote_its_title_and_say_what_it_means_for_the_business(app: App,
                                                                                            issues):
    await onboard(app)

    posts = tweet_drafts(await app.run(ANNA, writing.tweet, issue="7"))

    assert all(fits_x(post) for post in posts)
    assert all("”Parkering i centrum”" in post and not CAPITAL_MID_SENTENCE.search(post) for post in posts)
    assert any(f"För oss som erbjuder {OFFER}" in post and "kunderna som ska hitta till butiken" in post
               for post in posts)


async def test_english_drafts_quote_the_title_in_english_quotes(app: App, issues):
    await onboard(app)
    async with app.sessionmaker() as session, session.begin():
        # Drafts are in their readers' language (the workspace's): an English-speaking council's group.
        (await session.scalars(select(Workspace))).one().language = "en"

    posts = tweet_drafts(await app.run(ANNA, writing.tweet, issue="7"), "en")

    assert len(posts) == 3
    assert all("“Parkering i centrum”" in post and not CAPITAL_MID_SENTENCE.search(post) for post in posts)


async def test_without_an_offer_or_facts_drafts_still_name_the_business_and_hint_at_the_profile(app: App,
                                                                                                issues):
    await onboarding.onboard(app, ANNA, answers=onboarding.NEWCOMER)

    reply = await app.run(ANNA, writing.tweet, issue="7")

    posts = tweet_drafts(reply)
    assert all(fits_x(post) for post in posts)
    assert any("För oss på Annas Blommor handlar det om kunderna som ska hitta till butiken." in post
               for post in posts)
    assert "/profil ändra" in render(reply.body, "sv")  # the command, named in Swedish


@pytest.mark.parametrize("language", ["sv", "en"])
def test_long_offers_facts_and_names_still_fit_x_dropping_the_facts_before_the_offer(language: str):
    brief = Brief(language=language, company="Blekinge Trädgård och Blomsterhandel " * 3, industry="retail",
                  municipality="Karlskrona", experience="none", goal="", hashtag="#BlekingeFöretagare",
                  issue=PARKING, offer="Blommor " + "och krukväxter " * 4, facts="Sedan 1998 " * 13)

    posts = [*templates.tweets(brief, brief.hashtag),
             *(templates.step_tweet(brief, kind, brief.hashtag) for kind in templates.TWEET_KINDS)]

    for post in posts:
        assert fits_x(post), (x_length(post), post)
        assert "#BlekingeFöretagare" in post
        assert "@kommunalrad_kk" in post or not post.startswith("@")
    # The whole offer fits in some of them even when the facts do not.
    assert any(as_part_of_sentence(brief.offer) in post for post in posts)
    assert not any("1998 Sedan" in post for post in posts)


def test_the_first_step_draft_introduces_the_business_in_its_owners_terms():
    brief = Brief(language="sv", company="Annas Blommor", industry="retail", municipality="Karlskrona",
                  experience="none", goal="", hashtag="#BlekingeFöretagare", offer=OFFER, facts=FACTS)

    post = templates.step_tweet(brief, "tweet", brief.hashtag)

    assert post.startswith(f"Hej Karlskrona! Vi på Annas Blommor erbjuder {OFFER} i Karlskrona – {FACTS}.")
    assert fits_x(post)


@pytest.mark.parametrize(("written", "inside"), [
    ("Snittblommor och binderi.", "snittblommor och binderi"),
    ("6 anställda!", "6 anställda"),
    ("IKEA-möbler", "IKEA-möbler"),
    ("McDonald's franchise", "McDonald's franchise"),
    ("  sedan  1998 ", "sedan 1998"),
])
def test_a_members_words_are_readied_to_stand_inside_a_sentence(written: str, inside: str):
    assert templates.as_part_of_sentence(written) == inside


# -- LinkedIn and the platforms ------------------------------------------------------------------------------


async def test_a_member_on_linkedin_gets_a_businesslike_linkedin_draft_and_a_plain_share_of_the_source(
        app: App, issues):
    await onboard(app)

    reply = await app.run(ANNA, writing.tweet, issue="7")

    linkedin = next(value for name, value in fields_of(reply).items() if name.startswith("LinkedIn-utkast"))
    assert OFFER in linkedin and "”Parkering i centrum”" in linkedin and "Eva Ek" in linkedin
    assert "@" not in linkedin  # LinkedIn knows no X handles
    assert linkedin.count("#ParkeraKarlskrona") == 1 and len(linkedin) <= templates.LINKEDIN_LIMIT
    urls = [link.url for link in reply.links]
    assert LINKEDIN_SHARE in urls
    assert all("linkedin.com/feed" not in url for url in urls)
    # She is on X and LinkedIn, not on Facebook.
    assert sum(url.startswith("https://x.com/intent/post") for url in urls) == 3
    assert not any("facebook.com" in url for url in urls)


async def test_a_member_not_on_linkedin_gets_no_linkedin_draft_and_one_only_on_linkedin_no_x_links(app: App,
                                                                                                   issues):
    await onboard(app, platforms="Facebook")
    await onboard(app, identity("bo"), platforms="LinkedIn")

    facebook_only = await app.run(ANNA, writing.tweet, issue="7")
    linkedin_only = await app.run(identity("bo"), writing.tweet, issue="7")

    assert not any(name.startswith("LinkedIn") for name in fields_of(facebook_only))
    assert {link.url.split("?")[0] for link in facebook_only.links} == {
        "https://www.facebook.com/sharer/sharer.php"}
    assert any(name.startswith("LinkedIn-utkast") for name in fields_of(linkedin_only))
    assert [link.url for link in linkedin_only.links] == [LINKEDIN_SHARE]


# -- asks ----------------------------------------------------------------------------------------------------


async def test_a_members_question_to_a_politician_says_what_the_issue_means_for_their_business(app: App):
    await onboard(app)
    await import_politicians(app)
    await create_issue(app)

    reply = await app.run(ANNA, asks.my_question, issue="Parkering")

    draft = fields_of(reply)["Utkast"]
    assert drafts.fits_x(draft)
    assert "”Parkering i centrum”" in draft and not CAPITAL_MID_SENTENCE.search(draft)
    assert f"För oss som erbjuder {OFFER}" in draft


# -- the model -----------------------------------------------------------------------------------------------


def test_the_model_is_told_the_offer_and_the_facts_as_fenced_data():
    brief = Brief(language="sv", company="Annas Blommor", industry="retail", municipality="Karlskrona",
                  experience="none", goal="", hashtag="#BlekingeFöretagare", offer=OFFER, facts=FACTS)

    described = prompts.context(brief)

    assert prompts.data(brief)["Vad företaget erbjuder"] == OFFER
    assert prompts.data(brief)["Konkreta fakta om företaget"] == FACTS
    assert described.index(OFFER) > described.index("<data>") and described.index(FACTS) < described.index(
        "</data>")
