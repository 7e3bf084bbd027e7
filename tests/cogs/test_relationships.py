"""/relation add|list|remove|share and /relation-admin contacts on Discord, and the consent buttons by their
custom ids."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from bot.app import App
from bot.discordbot.checks import identity_of
from bot.errors import NotCoordinator
from bot.models import Relationship
from bot.services import politicians, relationships
from cogs.relationships import Relationships
from tests.helpers import MockBot, MockMember, choice, custom_ids, press, sent, shown_text
from tests.issue_fixtures import POLITICIANS_CSV
from tests.support.onboarding import onboard


async def import_politicians(app: App, admin: MockMember) -> None:
    """Karlskrona's council, in the mocked server's workspace."""
    await app.run(identity_of(admin), politicians.import_csv, POLITICIANS_CSV.encode(), "politiker.csv")


async def test_a_member_saves_a_relationship_and_shares_it_with_the_coordinators_by_the_button(
        bot: MockBot, interact: Any, app: App, admin: MockMember, member: MockMember):
    await import_politicians(app, admin)
    await onboard(app, identity_of(member))
    cog = Relationships(bot)

    added = interact()
    await Relationships.relation_add.callback(cog, added, politician="Åsa Ek", kind=choice("know"),
                                              how="Grannar")
    answer = sent(added)
    assert answer["ephemeral"] is True
    assert shown_text(answer).startswith("Sparat: din relation med Åsa Ek (S).")
    share = relationships.SHARE_ACTION
    assert custom_ids(answer) == [f"jb:{share}:yes", f"jb:{share}:no"]

    pressed = interact()
    await press(pressed, f"jb:{relationships.SHARE_ACTION}:yes")
    assert "Koordinatorerna ser nu vilka politiker du känner" in shown_text(sent(pressed))

    contacts = interact(user=admin)
    await Relationships.relation_contacts.callback(cog, contacts, politician="Åsa Ek")
    assert "• Anna (Annas Blommor): Känner – Grannar" in shown_text(sent(contacts))
    assert sent(contacts)["ephemeral"] is True


async def test_share_without_an_answer_asks_and_with_one_changes_it(
        bot: MockBot, interact: Any, app: App, admin: MockMember, member: MockMember):
    await import_politicians(app, admin)
    await onboard(app, identity_of(member))
    cog = Relationships(bot)
    await Relationships.relation_add.callback(cog, interact(), politician="Eva Ström", met_on="igår")

    asked = interact()
    await Relationships.relation_share.callback(cog, asked)
    shared = interact()
    await Relationships.relation_share.callback(cog, shared, coordinators=True)
    listed = interact()
    await Relationships.relation_list.callback(cog, listed)
    removed = interact()
    await Relationships.relation_remove.callback(cog, removed, politician="Eva Ström")

    assert shown_text(sent(asked)).startswith("Får koordinatorerna se vilka politiker du känner?")
    assert shown_text(sent(shared)).startswith("Koordinatorerna ser nu")
    assert "Eva Ström (KD): Har träffat – träffades" in shown_text(sent(listed))
    assert shown_text(sent(removed)) == "Borttaget: din relation med Eva Ström (KD)."
    async with app.sessionmaker() as session:
        assert list(await session.scalars(select(Relationship))) == []


async def test_a_member_cannot_see_who_knows_a_politician(bot: MockBot, interact: Any, app: App,
                                                         admin: MockMember):
    await import_politicians(app, admin)
    with pytest.raises(NotCoordinator):
        await Relationships.relation_contacts.callback(Relationships(bot), interact(), politician="Åsa Ek")
