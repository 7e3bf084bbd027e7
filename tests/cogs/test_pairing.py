"""/peer join|leave|status and /peer-admin settings|pairs|now on Discord, and the check-in's buttons by their
custom ids."""

from __future__ import annotations

from typing import Any

import pytest
from discord import app_commands

from bot.app import App
from bot.discordbot.checks import identity_of
from bot.errors import NotCoordinator
from bot.services import pairing
from cogs.pairing import Pairing
from tests.conftest import RecordingNotifier
from tests.helpers import MockBot, MockMember, choice, press, sent, shown_text
from tests.support.onboarding import onboard


async def test_a_member_joins_as_a_teacher_sees_the_status_and_leaves(bot: MockBot, interact: Any, app: App,
                                                                     member: MockMember):
    await onboard(app, identity_of(member), experience="none")
    cog = Pairing(bot)

    joined = interact()
    await Pairing.peer_join.callback(cog, joined, role=choice(pairing.PeerRole.TEACH))
    status = interact()
    await Pairing.peer_status.callback(cog, status)
    left = interact()
    await Pairing.peer_leave.callback(cog, left)

    assert sent(joined)["ephemeral"] is True
    assert shown_text(sent(joined)).startswith("Välkommen in! Din roll: lära ut.")
    assert "Roll: lära ut" in shown_text(sent(status))
    assert shown_text(sent(left)).startswith("Du är inte med längre")


async def test_a_coordinator_turns_the_rounds_on_makes_one_now_and_sees_the_pairs(
        bot: MockBot, interact: Any, app: App, admin: MockMember, member: MockMember, guild: Any,
        notifier: RecordingNotifier):
    teacher = MockMember(guild=guild, name="bo", display_name="Bo")
    await onboard(app, identity_of(member), experience="none")
    await onboard(app, identity_of(teacher), experience="active")
    cog = Pairing(bot)
    await Pairing.peer_join.callback(cog, interact())
    await Pairing.peer_join.callback(cog, interact(user=teacher))

    settings = interact(user=admin)
    await Pairing.peer_settings.callback(cog, settings, enabled=True,
                                         rhythm=choice(pairing.Rhythm.EVERY_3_WEEKS),
                                         day=app_commands.Choice(name="fredag", value=5), hour=9)
    now = interact(user=admin)
    await Pairing.peer_now.callback(cog, now)
    await app.dispatcher.run_due()
    pairs = interact(user=admin)
    await Pairing.peer_pairs.callback(cog, pairs)

    assert "När: Var tredje fredag kl. 09:00" in shown_text(sent(settings))
    assert shown_text(sent(now)).startswith("En fadderomgång startar nu")
    assert "Omgången 1 december 2026: 1 par, 0 har setts" in shown_text(sent(pairs))
    assert "Anna lär sig av Bo: frågas <t:" in shown_text(sent(pairs))  # a timestamp in each reader's zone
    [intro] = [s for s in notifier.sent if s.to == f"dm:{member.id}"]
    assert "Du har parats ihop med Bo" in intro.text


async def test_a_member_cannot_use_the_coordinators_commands(bot: MockBot, interact: Any):
    cog = Pairing(bot)

    for command in (Pairing.peer_pairs, Pairing.peer_now):
        with pytest.raises(NotCoordinator):
            await command.callback(cog, interact())


async def test_a_check_in_button_works_by_its_custom_id(bot: MockBot, interact: Any, app: App,
                                                        admin: MockMember, member: MockMember, guild: Any):
    teacher = MockMember(guild=guild, name="bo", display_name="Bo")
    await onboard(app, identity_of(member), experience="none")
    await onboard(app, identity_of(teacher), experience="active")
    await app.run(identity_of(member), pairing.join)
    await app.run(identity_of(teacher), pairing.join)
    await app.run(identity_of(admin), pairing.round_now)
    await app.dispatcher.run_due()
    interaction = interact(user=teacher)

    await press(interaction, f"jb:{pairing.NOT_YET_ACTION}:1")
    pairs = interact(user=admin)
    await Pairing.peer_pairs.callback(Pairing(bot), pairs)

    assert shown_text(sent(interaction)).startswith("Ingen brådska. Skriv till")
    assert "Anna lär sig av Bo: inte än" in shown_text(sent(pairs))
