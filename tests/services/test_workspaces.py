"""Workspace settings: an adapter's check of its platform is shown under them, grouped by setting."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from bot.app import App
from bot.errors import UserError
from bot.replies import Field, Literal, text
from bot.services import workspaces
from bot.services.workspaces import Problem, SetupCheck
from tests.conftest import identity
from tests.support.replies import fields_of, tagged

BO = identity("bo", coordinator=True)


async def test_the_check_sees_what_is_chosen_and_its_problems_are_grouped_by_setting(app: App):
    seen: list[Mapping[str, str]] = []

    def check(chosen: Mapping[str, str]) -> SetupCheck:
        seen.append(dict(chosen))
        return SetupCheck(problems=(Problem("announcements", text("setup.problem.channel_gone")),
                                    Problem("member_role", text("setup.problem.role_gone")),
                                    Problem("announcements", text("setup.problem.bot_unknown"))),
                          advice=(Field(Literal("Tips"), Literal("Gör så här.")),))

    reply = await app.run(BO, workspaces.configure, check, announcements="111", member_role="222")

    assert seen == [{"announcements": "111", "member_role": "222"}]  # no fall-back: stories are not chosen
    fields = fields_of(reply, mentions=tagged)
    assert fields["⚠️ Annonskanal"] == (
        "• Kanalen finns inte längre, eller så ser boten den inte. Välj en annan med /inställningar.\n"
        "• Boten hittar inte sig själv bland serverns medlemmar just nu, så behörigheterna kunde inte "
        "kontrolleras. Kör /inställningar igen om en stund.")
    assert fields["⚠️ Medlemsroll"] == "Rollen finns inte längre på servern. Välj en annan med /inställningar."
    assert "Behörigheter" not in fields
    assert list(fields)[-1] == "Tips"


async def test_a_check_without_problems_says_all_is_in_order(app: App):
    reply = await app.run(BO, workspaces.configure, lambda chosen: SetupCheck())

    assert fields_of(reply, mentions=tagged)["Behörigheter"].startswith("✅ Allt är i ordning")
    assert reply.body == text("setup.current")


async def test_without_a_check_only_the_settings_are_shown(app: App):
    reply = await app.run(BO, workspaces.configure, announcements="111")

    assert len(reply.fields) == len(workspaces.CHANNEL_SETTINGS) + len(workspaces.ROLE_SETTINGS) + 2


async def test_a_typed_option_cannot_stand_in_for_the_check(app: App):
    with pytest.raises(UserError) as refused:
        await app.run(BO, workspaces.configure, check="x")

    assert refused.value.text.key == "errors.unknown_fields"
