"""The onboarding and the member's language: the welcome names /language for the readers of each language,
and at consent a platform language other than the server's is kept, so that DMs speak it too."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select

from bot.app import App
from bot.i18n import render, translate
from bot.models import Member
from bot.replies import SendDirect
from bot.services import onboarding
from bot.services.context import get_or_create_workspace
from tests.issue_fixtures import ANNA, BO
from tests.support.onboarding import onboard


async def member_language(app: App, external_id: str) -> str | None:
    async with app.sessionmaker() as session:
        return await session.scalar(select(Member.language).where(Member.external_id == external_id))


async def test_at_consent_a_platform_language_other_than_the_workspaces_is_kept_for_the_dms(app: App):
    await onboard(app, replace(ANNA, locale="en-US"))
    await onboard(app, replace(BO, locale="sv-SE"))

    assert await member_language(app, "anna") == "en"
    assert await member_language(app, "bo") is None  # the workspace's: it follows the workspace


@pytest.mark.parametrize("language", ["sv", "en"])
async def test_the_welcome_names_language_in_both_languages(app: App, language: str):
    async with app.sessionmaker() as session, session.begin():
        workspace = await get_or_create_workspace(session, "test", "guild-9", "Gruppen", app.clock.now(),
                                                  language=language)
        reply = await onboarding.member_joined(session, workspace, "nils", app.clock.now())
    assert reply is not None
    [effect] = reply.effects
    assert isinstance(effect, SendDirect) and effect.reply.body is not None
    welcome = render(effect.reply.body, language)
    # In the server's language, with the command as its readers know it; and, for a newcomer who reads the
    # other language, in theirs.
    other = "en" if language == "sv" else "sv"
    assert translate("onboarding.welcome.language", language) in welcome
    assert translate("onboarding.welcome.switch", other) in welcome
    assert translate("onboarding.welcome.switch", language) not in welcome
    assert "/language" in welcome and "/språk" in welcome
