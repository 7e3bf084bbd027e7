"""/pledge on Discord, and the pledge buttons by their custom ids."""

from __future__ import annotations

from typing import Any

from discord import app_commands
from sqlalchemy import select

from bot.app import App
from bot.discordbot.checks import identity_of
from bot.models import Issue, Pledge
from bot.services import issues, pledges
from cogs.pledges import Pledges
from tests.helpers import MockBot, MockMember, press, sent, shown_text
from tests.support.onboarding import onboard

ISSUE = {"title": "Parkering i centrum", "summary": "200 platser försvinner.", "municipality": "Karlskrona",
         "body": "kommunfullmäktige", "decision": "16 dec 18:00", "hashtag": "#ParkeraKarlskrona",
         "position": "Behåll platserna.", "ask_days": "0"}


def choice(value: str) -> app_commands.Choice[str]:
    return app_commands.Choice(name=value, value=value)


async def the_issue(app: App, admin: MockMember, member: MockMember) -> int:
    """The member onboarded, and an issue in the countdown's reach; return its id."""
    await onboard(app, identity_of(member))
    await app.run(identity_of(admin), issues.create, **ISSUE)
    await app.dispatcher.run_due()
    async with app.sessionmaker() as session:
        issue_id = await session.scalar(select(Issue.id))
    assert issue_id is not None
    return issue_id


async def test_pledge_makes_a_pledge_and_without_options_lists_them(bot: MockBot, interact: Any, app: App,
                                                                    admin: MockMember, member: MockMember):
    issue_id = await the_issue(app, admin, member)
    cog = Pledges(bot)

    made = interact()
    await Pledges.pledge.callback(cog, made, issue=str(issue_id), kind=choice("tweet"))
    listed = interact()
    await Pledges.pledge.callback(cog, listed)

    answer = sent(made)
    assert answer["ephemeral"] is True
    assert shown_text(answer).startswith(
        "Tack! Du har lovat att tweeta inför beslutet om Parkering i centrum."
    )
    assert "🐦 tweeta – Parkering i centrum: lovat" in shown_text(sent(listed))


async def test_a_pledge_button_works_by_its_custom_id(
    bot: MockBot, interact: Any, app: App, admin: MockMember, member: MockMember
):
    issue_id = await the_issue(app, admin, member)
    interaction = interact()

    await press(interaction, f"jb:{pledges.PLEDGE_ACTION}:{issue_id}-attend")

    assert "Tack! Du har lovat att gå på omröstningen" in shown_text(sent(interaction))
    async with app.sessionmaker() as session:
        assert [(p.kind, p.status) for p in await session.scalars(select(Pledge))] == [("attend", "made")]
