"""A member who chose no language is answered in the language of their Discord (the interaction's locale):
sv-SE in Swedish, en-US and en-GB in English, any other in the server's; a chosen language wins."""

from __future__ import annotations

from typing import Any

import discord
import pytest
from sqlalchemy import select

from bot.app import App
from bot.discordbot.checks import identity_from, identity_of
from bot.discordbot.render import render_text
from bot.models import Member
from bot.replies import text
from bot.services import profile
from cogs.issues import Issues
from cogs.profile import Profile
from tests.helpers import MockBot, MockMember, sent
from tests.support.onboarding import onboard


@pytest.fixture
def cog(bot: MockBot) -> Profile:
    return Profile(bot)


@pytest.mark.parametrize(("locale", "title"), [(discord.Locale.american_english, "Profile: Anna"),
                                               (discord.Locale.british_english, "Profile: Anna"),
                                               (discord.Locale.swedish, "Profil: Anna"),
                                               (discord.Locale.german, "Profil: Anna")])
async def test_a_member_without_a_chosen_language_is_answered_in_their_discords(
        cog: Profile, interact: Any, app: App, member: MockMember, locale: discord.Locale, title: str):
    await onboard(app, identity_of(member), "solvesborg")  # no locale: nothing chosen, nothing stored
    interaction = interact(locale=locale)

    await Profile.profile_show.callback(cog, interaction)

    assert sent(interaction)["embed"].title == title


async def test_the_identity_carries_the_interactions_locale(interact: Any):
    identity = await identity_from(interact(locale=discord.Locale.american_english))

    assert identity.locale == "en-US"


async def test_a_chosen_language_wins_over_the_discords(cog: Profile, interact: Any, app: App,
                                                       member: MockMember):
    await onboard(app, identity_of(member), "solvesborg")
    await app.run(identity_of(member), profile.set_language, "sv")
    interaction = interact(locale=discord.Locale.american_english)

    await Profile.profile_show.callback(cog, interaction)

    assert sent(interaction)["embed"].title == "Profil: Anna"


async def test_before_consent_the_answer_is_in_english_and_nothing_is_stored(interact: Any, bot: MockBot,
                                                                             app: App):
    interaction = interact(locale=discord.Locale.american_english)

    await Issues.issue_list.callback(Issues(bot), interaction)

    assert sent(interaction)["content"] == render_text(text("issues.none"), "en")  # as Discord names commands
    async with app.sessionmaker() as session:
        assert list(await session.scalars(select(Member.language))) == [None]  # the row, without it
