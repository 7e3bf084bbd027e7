"""/mydata export|delete: the member's own data as a file, or erased after a confirmation."""

from __future__ import annotations

import json
from typing import Any

import pytest
from discord import app_commands
from sqlalchemy import select

from bot.app import App
from bot.discordbot.checks import identity_of
from bot.models import Member
from cogs.mydata import MyData
from tests.helpers import MockBot, MockMember, custom_ids, press, sent
from tests.support.onboarding import onboard


@pytest.fixture
def cog(bot: MockBot) -> MyData:
    return MyData(bot)


async def stored(app: App, member: MockMember) -> Member | None:
    async with app.sessionmaker() as session:
        return await session.scalar(select(Member).where(Member.external_id == str(member.id)))


async def test_export_defers_then_sends_a_json_file(cog: MyData, interact: Any, app: App, member: MockMember):
    await onboard(app, identity_of(member))
    interaction = interact()

    await MyData.mydata_export.callback(cog, interaction)

    interaction.response.defer.assert_awaited_once_with(thinking=True, ephemeral=True)
    # The answer replaces the "thinking…" message; its ephemerality was fixed by the defer.
    answer = interaction.edit_original_response.await_args.kwargs
    assert answer["content"] == "Här är allt jag har sparat om dig, som en JSON-fil."
    assert "ephemeral" not in answer
    [attached] = answer["attachments"]
    assert attached.filename == f"jobbskaparna-{member.id}.json"
    data = json.loads(attached.fp.read())
    assert data["profile"]["company"] == "Annas Blommor"


async def test_a_second_export_within_the_minute_is_refused(interact: Any):
    interaction = interact()
    interaction.command = MyData.mydata_export
    [cooldown] = MyData.mydata_export.checks

    assert await cooldown(interaction) is True
    with pytest.raises(app_commands.CommandOnCooldown):
        await cooldown(interaction)


async def test_delete_asks_first_then_erases_everything(
    cog: MyData, interact: Any, app: App, member: MockMember
):
    await onboard(app, identity_of(member))
    asking = interact()

    await MyData.mydata_delete.callback(cog, asking)

    question = sent(asking)
    assert question["ephemeral"] is True
    assert custom_ids(question) == ["jb:mydata.delete_confirm:", "jb:mydata.delete_cancel:"]
    assert await stored(app, member) is not None
    confirming = interact()
    await press(confirming, "jb:mydata.delete_confirm:")
    # The answer replaces the question, so its buttons cannot be pressed a second time.
    answered = confirming.response.edit_message.await_args.kwargs
    assert answered["content"].startswith("Klart. Jag har raderat allt jag hade sparat om dig")
    assert "Det här finns kvar:" in answered["content"] and "utan namn eller id" in answered["content"]
    assert answered["view"] is None
    assert await stored(app, member) is None


async def test_cancelling_the_delete_erases_nothing(cog: MyData, interact: Any, app: App, member: MockMember):
    await onboard(app, identity_of(member))
    interaction = interact()

    await press(interaction, "jb:mydata.delete_cancel:")

    assert sent(interaction)["content"] == "Ingenting raderades."
    assert (await stored(app, member)).onboarded_at is not None
