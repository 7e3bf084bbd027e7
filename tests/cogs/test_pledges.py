"""/pledge on Discord, and the pledge buttons by their custom ids."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.app import App
from bot.discordbot.checks import identity_of
from bot.models import Pledge
from bot.services import pledges
from cogs.pledges import Pledges
from tests.helpers import MockBot, MockMember, choice, press, sent, shown_text
from tests.support.countdowns import issue_in_reach


async def test_pledge_makes_a_pledge_and_without_options_lists_them(bot: MockBot, interact: Any, app: App,
                                                                    admin: MockMember, member: MockMember):
    issue_id = await issue_in_reach(app, identity_of(admin), identity_of(member))
    cog = Pledges(bot)

    made = interact()
    await Pledges.pledge.callback(cog, made, issue=str(issue_id), kind=choice(pledges.PledgeKind.TWEET))
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
    issue_id = await issue_in_reach(app, identity_of(admin), identity_of(member))
    interaction = interact()

    await press(interaction, f"jb:{pledges.PLEDGE_ACTION}:{issue_id}-attend")

    assert "Tack! Du har lovat att gå på omröstningen" in shown_text(sent(interaction))
    async with app.sessionmaker() as session:
        assert [(p.kind, p.status) for p in await session.scalars(select(Pledge))] == [("attend", "made")]
