"""/contact on Discord, and the asks' "I asked" form with how the member asked: options and the modal's select
to the services, replies as embeds."""

from __future__ import annotations

from typing import Any

import discord
import pytest
from sqlalchemy import select

from bot.app import App
from bot.discordbot.checks import identity_of
from bot.discordbot.views import FormPageModal
from bot.models import Action, Ask
from bot.services import asks, politicians
from bot.validation import FieldProblem
from cogs.activity import Activity
from tests.helpers import MockBot, MockMember, choice, fill_modal, press, sent, shown_text
from tests.support.countdowns import issue_in_reach

CSV = "Namn;Parti;Kommun;Organ;X\nÅsa Ek;S;Karlskrona;KF;asaek\nBjörn Öst;M;Karlskrona;KF;bjornost\n"


@pytest.fixture
async def issue_id(app: App, admin: MockMember, member: MockMember) -> int:
    number = await issue_in_reach(app, identity_of(admin), identity_of(member))
    await app.run(identity_of(admin), politicians.import_csv, CSV.encode(), "p.csv")
    return number


async def test_contact_by_phone_about_an_issue_with_the_answer(bot: MockBot, interact: Any, app: App,
                                                                issue_id: int):
    cog = Activity(bot)
    interaction = interact()

    await Activity.contact.callback(cog, interaction, politician="Åsa Ek", how=choice("phone"),
                                    issue=str(issue_id), note="Ringde henne", answer=choice("for"),
                                    said="Hon är för")

    answer = sent(interaction)
    assert answer["ephemeral"] is True
    assert shown_text(answer).startswith("Tack! Åsa Ek (S) visas på kartan (för)")
    async with app.sessionmaker() as session:
        [ask] = list(await session.scalars(select(Ask)))
    assert (ask.channel, ask.note, ask.answer, ask.answer_note) == (
        "phone", "Ringde henne", "for", "Hon är för")


async def test_contact_at_a_fika_without_an_issue_and_on_x_without_a_link(bot: MockBot, interact: Any,
                                                                         app: App, issue_id: int):
    cog = Activity(bot)
    fika = interact()
    await Activity.contact.callback(cog, fika, politician="Björn Öst", how=choice("fika"))

    with pytest.raises(FieldProblem) as refused:
        await Activity.contact.callback(cog, interact(), politician="Björn Öst", how=choice("x"))

    assert "Träffade en politiker" in shown_text(sent(fika)) and "☕ fika" in shown_text(sent(fika))
    assert refused.value.problem.key == "contacts.errors.link_for_x"
    async with app.sessionmaker() as session:
        assert [(a.kind, a.channel) for a in await session.scalars(select(Action))] == [("meet", "fika")]


async def test_the_asked_modal_offers_how_with_x_chosen_and_takes_a_letter_without_a_link(
        interact: Any, app: App, member: MockMember, issue_id: int):
    await app.run(identity_of(member), asks.my_question, issue=str(issue_id))
    pressed = interact()
    await press(pressed, f"jb:{asks.ASKED_ACTION}:{issue_id}")
    modal: FormPageModal = pressed.response.send_modal.await_args.args[0]
    [how] = [label.component for label in modal.children  # type: ignore[attr-defined]
             if isinstance(label.component, discord.ui.Select)]  # type: ignore[attr-defined]
    assert [o.value for o in how.options if o.default] == ["x"]

    submitted = interact(type=discord.InteractionType.modal_submit, data={"custom_id": modal.custom_id})
    fill_modal(modal, submitted, {"how": "letter", "note": "Skrev till nämnden"})
    await modal.on_submit(submitted)

    assert "Tack för att du frågade" in shown_text(sent(submitted))
    async with app.sessionmaker() as session:
        [ask] = [a for a in await session.scalars(select(Ask)) if a.asked_at is not None]
    assert (ask.channel, ask.asked_url, ask.note) == ("letter", None, "Skrev till nämnden")
