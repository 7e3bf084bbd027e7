"""/politician, /stance, /media, /follow and /unfollow on Discord."""

from __future__ import annotations

from typing import Any
from unittest.mock import AsyncMock, MagicMock

import discord
import pytest
from sqlalchemy import select

from bot.app import App
from bot.discordbot.checks import identity_of
from bot.errors import UserError
from bot.i18n import render
from bot.models import Follow, Politician
from bot.services import civics, issues, media, politicians
from cogs._options import bodies_autocomplete, politician_autocomplete
from cogs.follow import Follow as FollowCog
from cogs.media import Media
from cogs.politicians import Politicians
from tests.helpers import MockBot, MockMember, choice, custom_ids, press, sent, shown_text
from tests.support.onboarding import onboard

CSV = "Namn;Parti;Roll;Kommun;Organ\nÅsa Ek;S;Kommunalråd;Karlskrona;KF+KS\nBjörn Öst;M;;Karlskrona;KF\n"


def attachment(data: bytes, filename: str = "politiker.csv") -> Any:
    file = MagicMock(spec=discord.Attachment)
    file.filename, file.size = filename, len(data)
    file.read = AsyncMock(return_value=data)
    return file


@pytest.fixture
def cog(bot: MockBot) -> Politicians:
    return Politicians(bot)


async def stored(app: App) -> list[Politician]:
    async with app.sessionmaker() as session:
        return list(await session.scalars(select(Politician).order_by(Politician.id)))


async def test_a_csv_attachment_is_imported_after_a_defer_with_a_report(cog: Politicians, interact: Any,
                                                                        admin: MockMember, app: App):
    interaction = interact(user=admin)

    await Politicians.politician_import.callback(cog, interaction, attachment(CSV.encode("utf-8-sig")))

    interaction.response.defer.assert_awaited_once_with(thinking=True, ephemeral=True)
    answer = sent(interaction)
    assert answer["embed"].title == "Importerat: 2 nya, 0 uppdaterade, 0 oförändrade"
    assert "Rad 2: Åsa Ek (S) tillagd" in answer["embed"].description
    assert [p.name for p in await stored(app)] == ["Åsa Ek", "Björn Öst"]


async def test_a_bad_attachment_is_refused_before_anything_is_stored(cog: Politicians, interact: Any,
                                                                     admin: MockMember, app: App):
    too_big = attachment(b"")
    too_big.size = politicians.MAX_CSV_BYTES + 1
    with pytest.raises(UserError) as big:
        await Politicians.politician_import.callback(cog, interact(user=admin), too_big)
    assert big.value.text.key == "csv.too_big"
    too_big.read.assert_not_awaited()

    with pytest.raises(UserError) as bad:
        await Politicians.politician_import.callback(cog, interact(user=admin),
                                                     attachment((CSV + "Cia;;;Karlskrona;KF\n").encode()))
    assert "Rad 4: Parti: måste fyllas i." in render(bad.value.text, "sv")
    assert await stored(app) == []


async def test_valmyndighetens_file_is_previewed_and_applied_when_confirmed(cog: Politicians, interact: Any,
                                                                          admin: MockMember, app: App):
    data = ("Valtyp;Geografi;Parti;Namn;Uppdrag\nKF;1080 Karlskrona;S;Åsa Ek;Ledamot\n"
            "KF;1081;M;Bo Berg;Ledamot\n")
    reading = interact(user=admin)

    await Politicians.politician_valmyndigheten.callback(
        cog, reading, attachment(data.encode(), "ledamoter.skv"), choice("karlskrona"))

    reading.response.defer.assert_awaited_once_with(thinking=True, ephemeral=True)
    answer = sent(reading)
    assert answer["embed"].title == "Kommunfullmäktige från Valmyndigheten: förhandsvisning"
    assert "Nya: Åsa Ek (S)" in shown_text(answer) and "Bo Berg" not in shown_text(answer)
    assert await stored(app) == []
    [confirm, _] = custom_ids(answer)
    await press(interact(user=admin), confirm)
    assert [(p.name, p.roles) for p in await stored(app)] == [("Åsa Ek", {"kommunfullmaktige": "ledamot"})]


async def test_add_edit_list_export_and_remove(cog: Politicians, interact: Any, admin: MockMember, app: App):
    added = interact(user=admin)
    await Politicians.politician_add.callback(
        cog,
        added,
        name="Åsa Ek",
        party="S",
        municipality=choice("karlskrona"),
        body="kommunfullmäktige + kommunstyrelsen",
        x_handle="@asaek",
    )
    assert "Tillagd: **Åsa Ek** (S)" in shown_text(sent(added))

    edited = interact(user=admin)
    await Politicians.politician_edit.callback(cog, edited, politician="Åsa Ek", role="Kommunalråd")
    assert "(S, Kommunalråd)" in shown_text(sent(edited))

    listed = interact()
    await Politicians.politician_list.callback(cog, listed, choice("karlskrona"), None, None)
    assert "Åsa Ek" in shown_text(sent(listed))

    exported = interact(user=admin)
    await Politicians.politician_export.callback(cog, exported, None)
    [file] = exported.edit_original_response.await_args.kwargs["attachments"]
    assert file.filename == "politiker-alla.csv"

    removing = interact(user=admin)
    await Politicians.politician_remove.callback(cog, removing, "Åsa Ek", None)
    [confirm, _] = custom_ids(sent(removing))
    confirmed = interact(user=admin)
    await press(confirmed, confirm)
    assert "Borttagen" in shown_text(sent(confirmed)) and await stored(app) == []


async def test_stances_are_set_and_their_history_shown(cog: Politicians, interact: Any, admin: MockMember,
                                                       app: App):
    await app.run(identity_of(admin), politicians.import_csv, CSV.encode(), "p.csv")
    await app.run(
        identity_of(admin),
        issues.create,
        title="Parkering i centrum",
        summary="s",
        municipality="Karlskrona",
        body="KF",
        decision="28 jan 18:00",
        hashtag="#Parkera",
        position="p",
    )

    setting = interact(user=admin)
    await Politicians.stance_set.callback(cog, setting, issue="Parkering", politician="Björn Öst",
                                          stance=choice(civics.StanceValue.AGAINST), source="https://sydostran.se/a")
    history = interact()
    await Politicians.stance_history.callback(cog, history, issue="Parkering", politician="Björn Öst")

    assert shown_text(sent(setting)) == "Sparat: Björn Öst (M) i frågan Parkering i centrum – emot."
    assert "emot (bekräftad)" in shown_text(sent(history))
    with pytest.raises(UserError):
        await Politicians.stance_confirm.callback(cog, interact(user=admin), issue="Parkering",
                                                  politician="Björn Öst")


async def test_politicians_and_bodies_are_suggested(interact: Any, admin: MockMember, app: App):
    await app.run(identity_of(admin), politicians.import_csv, CSV.encode(), "p.csv")

    found = await politician_autocomplete(interact(), "öst")
    bodies = await bodies_autocomplete(interact(), "kommunfullmäktige + kommuns")

    assert [c.name for c in found] == ["Björn Öst (M, karlskrona)"]
    assert [c.value for c in bodies] == ["kommunfullmäktige + kommunstyrelsen"]


async def test_follow_and_unfollow_with_choices(bot: MockBot, interact: Any, app: App, member: MockMember):
    await onboard(app, identity_of(member))
    cog = FollowCog(bot)

    following = interact()
    await FollowCog.follow.callback(cog, following, choice("ronneby"), choice("skola"), None)
    shown = interact()
    await FollowCog.follow.callback(cog, shown, None, None, None)
    stopping = interact()
    await FollowCog.unfollow.callback(cog, stopping, choice("karlskrona"), None, None)

    assert shown_text(sent(following)).startswith("Nu följer du: Ronneby, Skola.")
    assert sent(shown)["embed"].title == "Det här följer du"
    assert "Du följer inte längre: Karlskrona." in shown_text(sent(stopping))
    async with app.sessionmaker() as session:
        assert {(f.kind, f.value) for f in await session.scalars(select(Follow))} == {
            ("municipality", "ronneby"), ("topic", "skola")}


async def test_media_are_added_listed_and_removed(bot: MockBot, interact: Any, admin: MockMember):
    cog = Media(bot)

    added = interact(user=admin)
    await Media.media_add.callback(cog, added, name="Sydöstran", municipality=choice("karlskrona"),
                                   x_handle="@sydostran", kind=choice(media.MediaKind.OUTLET))
    listed = interact()
    await Media.media_list.callback(cog, listed, None)
    removed = interact(user=admin)
    await Media.media_remove.callback(cog, removed, media="Sydöstran", municipality=None)

    assert shown_text(sent(added)) == "Tillagd: **Sydöstran** (redaktion), Karlskrona @sydostran"
    assert "Sydöstran" in shown_text(sent(listed))
    assert shown_text(sent(removed)).startswith("Borttagen: **Sydöstran**")
