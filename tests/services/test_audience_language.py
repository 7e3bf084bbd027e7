"""Whose language: a member reads the language they chose, else their platform's, else the workspace's; the
drafts they are to post are in the language of those who read them (the workspace's), explained in theirs; a
channel reads the workspace's."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select

from bot.app import App
from bot.clock import FrozenClock
from bot.errors import UserError
from bot.i18n import locale_language, render, translate
from bot.models import Ask, Issue, Member, Politician
from bot.replies import Literal, Reply, text
from bot.services import asks, audience, ladder, profile, writing
from bot.services.context import Identity
from tests.conftest import RecordingNotifier
from tests.issue_fixtures import ANNA, BO, create_issue, import_politicians
from tests.support.countdowns import ANNOUNCEMENTS, D14, at
from tests.support.countdowns import the_group as countdown_group
from tests.support.onboarding import onboard
from tests.support.replies import fields_of

# The note an English member reads below a draft in Swedish.
NOTE_EN = translate(audience.NOTE, "en", language=text("language.sv"))
NOTE_SV = translate(audience.NOTE, "sv", language=text("language.sv"))
# What the issue means for Anna's (and Bo's) business, as a Swedish draft says it.
SWEDISH_STAKE = "För oss på Annas Blommor"


async def in_english(app: App, who: Identity = ANNA) -> None:
    await app.run(who, profile.set_language, "en")


async def member_language(app: App, external_id: str) -> str | None:
    async with app.sessionmaker() as session:
        return await session.scalar(select(Member.language).where(Member.external_id == external_id))


# -- the member's language -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("locale", "language"), [("sv-SE", "sv"), ("en-US", "en"), ("en-GB", "en"),
                                                  ("de", None), ("", None), (None, None)])
def test_a_platform_locale_maps_to_one_of_our_languages_or_to_none(locale: str | None, language: str | None):
    assert locale_language(locale) == language


async def test_a_member_who_chose_no_language_is_answered_in_their_platforms_else_the_workspaces(app: App):
    assert await app.language_of(replace(ANNA, locale="en-US")) == "en"
    assert await app.language_of(replace(ANNA, locale="sv-SE")) == "sv"
    assert await app.language_of(replace(ANNA, locale="fr")) == "sv"  # the workspace's
    await onboard(app, BO)
    assert await app.language_of(replace(BO, locale="en-GB")) == "en"


async def test_the_platforms_language_is_not_stored_before_consent_and_a_chosen_one_wins(app: App):
    anna_en = replace(ANNA, locale="en-US")
    await app.run(anna_en, profile.set_language, "sv")
    assert await app.language_of(anna_en) == "sv"  # chosen: kept, and it wins over the platform's

    bo_en = replace(BO, locale="en-US")
    with pytest.raises(UserError) as refused:
        await app.run(bo_en, asks.my_question, issue="Parkering")
    assert refused.value.language == "en"  # answered in English …
    assert await member_language(app, "bo") is None  # … and nothing stored of it before consent


# -- drafts in the audience's language -----------------------------------------------------------------------


async def test_an_english_members_question_is_in_swedish_explained_in_english(app: App):
    await onboard(app, ANNA)
    await onboard(app, BO)
    await in_english(app)
    await import_politicians(app)
    issue_id = await create_issue(app)

    reply = await app.run(ANNA, asks.my_question, issue="Parkering")

    async with app.sessionmaker() as session:
        issue = await session.get_one(Issue, issue_id)
        ask = (await session.scalars(select(Ask).join(Member, Member.id == Ask.member_id)
                                     .where(Member.external_id == "anna"))).one()
        politician = await session.get(Politician, ask.politician_id) if ask.politician_id else None
        anna = await session.get_one(Member, ask.member_id)
    english = fields_of(reply, "en")
    draft = english[translate("asks.field.draft", "en")]
    # In Swedish, with what the issue means for her business told in Swedish too.
    assert draft == asks.compose(issue, politician, [], "Europe/Stockholm", "sv", writing.stakes(anna, "sv"))
    assert draft != asks.compose(issue, politician, [], "Europe/Stockholm", "en", writing.stakes(anna, "en"))
    assert render(reply.body, "en").endswith(NOTE_EN)
    # A Swedish member reads no note: their drafts are in their language.
    swedish = await app.run(BO, asks.my_question, issue="Parkering")
    assert NOTE_SV not in render(swedish.body, "sv")


async def test_coach_tweets_are_the_same_swedish_drafts_for_an_english_member(app: App):
    await onboard(app, ANNA)  # the same profile for both: the same drafts
    await onboard(app, BO)
    await in_english(app)

    english = await app.run(ANNA, writing.tweet)
    swedish = await app.run(BO, writing.tweet)

    assert [render(f.value, "en") for f in english.fields] == [render(f.value, "sv") for f in swedish.fields]
    assert render(english.body, "en").endswith(NOTE_EN)
    assert NOTE_SV not in render(swedish.body, "sv")


async def test_the_ladders_ready_draft_is_the_same_swedish_one_for_an_english_member(app: App):
    await onboard(app, ANNA)
    await onboard(app, BO)
    await in_english(app)

    english = await app.run(ANNA, ladder.next_step)
    swedish = await app.run(BO, ladder.next_step)

    def drafts_of(reply: Reply, language: str) -> list[str]:
        return [render(f.value, language) for f in reply.fields if isinstance(f.value, Literal)]

    assert drafts_of(english, "en") == drafts_of(swedish, "sv") != []
    assert render(english.body, "en").endswith(NOTE_EN)
    assert NOTE_SV not in render(swedish.body, "sv")


async def test_an_english_members_countdown_dm_carries_the_swedish_draft_of_the_channel_post(
        app: App, clock: FrozenClock, notifier: RecordingNotifier):
    await countdown_group(app, notifier)
    await in_english(app)

    await at(app, clock, D14)

    [post] = [s for s in notifier.to(ANNOUNCEMENTS) if s.reply.mention_role]
    [anna] = [s for s in notifier.to("dm:anna") if s.reply.buttons]
    [bo] = [s for s in notifier.to("dm:bo") if s.reply.buttons]
    # Her DM's draft is the channel post's in Swedish, telling her own business where the post speaks for all.
    hers = fields_of(anna.reply, "en")[translate("countdown.field.draft", "en")]
    channel = fields_of(post.reply, "sv")[translate("countdown.field.draft", "sv")]
    assert hers.split("?")[0] == channel.split("?")[0]
    assert SWEDISH_STAKE in hers and SWEDISH_STAKE not in channel
    assert NOTE_EN in anna.text and NOTE_SV not in bo.text and NOTE_SV not in post.text


# -- the channel reads the workspace's language -------------------------------------------------------------


async def test_a_fallback_in_the_channel_is_in_the_workspaces_language_one_message_for_both_members(
        app: App, clock: FrozenClock, notifier: RecordingNotifier):
    await countdown_group(app, notifier)
    await in_english(app)
    notifier.closed |= {"anna", "bo"}

    await at(app, clock, D14)

    [fallback] = [s for s in notifier.to(ANNOUNCEMENTS) if s.reply.mentions]
    assert fallback.reply.mentions == ("anna", "bo")
    [post] = [s for s in notifier.to(ANNOUNCEMENTS) if s.reply.mention_role]
    draft = fields_of(post.reply, "sv")[translate("countdown.field.draft", "sv")]
    in_channel = fields_of(fallback.reply, "sv")[translate("countdown.field.draft", "sv")]
    assert in_channel.split("?")[0] == draft.split("?")[0] and SWEDISH_STAKE in in_channel
    # Neither English nor the word to the English member: the channel reads Swedish.
    assert NOTE_SV not in fallback.text and NOTE_EN not in fallback.text
    assert translate("countdown.field.draft", "en") not in fallback.text
