"""/rapid-admin start|list|close and /rapid urgent on Discord, and the alert's buttons by their custom ids."""

from __future__ import annotations

from typing import Any

import discord
import pytest
from sqlalchemy import select

from bot.app import App
from bot.discordbot.checks import identity_of
from bot.discordbot.views import FormPageModal
from bot.errors import NotCoordinator
from bot.models import RapidAnswer, RapidResponse
from bot.services import rapid
from cogs.rapid import Rapid
from tests.conftest import RecordingNotifier
from tests.helpers import MockBot, MockMember, choice, custom_ids, fill_modal, press, sent, shown_text
from tests.support.onboarding import onboard

LINK = "https://x.com/kommunalrad/status/1234"


async def started(app: App, bot: MockBot, interact: Any, admin: MockMember) -> int:
    starting = interact(user=admin)
    await Rapid.rapid_start.callback(Rapid(bot), starting, link=LINK, ask="Svara kommunalrådet.",
                                     deadline="2h", municipality=choice("karlskrona"))
    answer = sent(starting)
    assert answer["ephemeral"] is True
    assert shown_text(answer).startswith("⚡ Snabbresponsen är igång")
    async with app.sessionmaker() as session:
        rapid_id = await session.scalar(select(RapidResponse.id))
    assert rapid_id is not None
    return rapid_id


async def test_a_coordinator_starts_lists_and_closes_one(bot: MockBot, interact: Any, app: App,
                                                         admin: MockMember, member: MockMember):
    await onboard(app, identity_of(member))
    rapid_id = await started(app, bot, interact, admin)
    await app.dispatcher.run_due()
    cog = Rapid(bot)

    listed = interact(user=admin)
    await Rapid.rapid_list.callback(cog, listed)
    closed = interact(user=admin)
    await Rapid.rapid_close.callback(cog, closed, number=str(rapid_id))

    assert f"#{rapid_id} Svara kommunalrådet.: 0 av 1, pågår till" in shown_text(sent(listed))
    assert shown_text(sent(closed)).startswith(f"Snabbrespons #{rapid_id} är stängd: 0 av 1")


async def test_the_alerts_buttons_count_a_press_and_take_a_link(bot: MockBot, interact: Any, app: App,
                                                                 admin: MockMember, member: MockMember,
                                                                 notifier: RecordingNotifier):
    await onboard(app, identity_of(member))
    rapid_id = await started(app, bot, interact, admin)
    await app.dispatcher.run_due()
    alert = next(s for s in notifier.sent if s.to == "dm:" + str(member.id))
    assert [b.action for b in alert.reply.buttons] == [rapid.DONE_ACTION, rapid.LINK_ACTION]

    done = interact()
    await press(done, f"jb:{rapid.DONE_ACTION}:{rapid_id}")
    assert shown_text(sent(done)).startswith("Tack! Du är med i räkningen.")
    assert sent(done)["ephemeral"] is True

    opening = interact()
    await press(opening, f"jb:{rapid.LINK_ACTION}:{rapid_id}")
    modal: FormPageModal = opening.response.send_modal.await_args.args[0]
    submitted = interact(type=discord.InteractionType.modal_submit, data={"custom_id": modal.custom_id})
    fill_modal(modal, submitted, {"link": "https://x.com/anna/status/7"})
    await modal.on_submit(submitted)

    assert shown_text(sent(submitted)) == "Länken är sparad. Tack!"
    async with app.sessionmaker() as session:
        assert [a.link for a in await session.scalars(select(RapidAnswer))] == ["https://x.com/anna/status/7"]


async def test_a_member_chooses_about_urgent_alerts(bot: MockBot, interact: Any, app: App,
                                                    member: MockMember):
    await onboard(app, identity_of(member))
    cog = Rapid(bot)

    refused = interact()
    await Rapid.rapid_urgent.callback(cog, refused, allow=False)
    shown = interact()
    await Rapid.rapid_urgent.callback(cog, shown)

    assert shown_text(sent(refused)).startswith("Brådskande snabbresponser väntar till morgonen")
    assert shown_text(sent(shown)) == shown_text(sent(refused))
    assert custom_ids(sent(shown)) == []


async def test_a_member_cannot_start_one(bot: MockBot, interact: Any):
    with pytest.raises(NotCoordinator):
        await Rapid.rapid_start.callback(Rapid(bot), interact(), link=LINK, ask="Svara.", deadline="2h",
                                         municipality=choice("karlskrona"))
