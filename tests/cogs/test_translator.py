"""Command texts: every name and description in Swedish and English within Discord's rules;
sync only on change."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from typing import Any
from unittest.mock import AsyncMock

import discord
import pytest
from sqlalchemy import select

from bot.app import App
from bot.discordbot.bot import JobbBot
from bot.discordbot.translator import CatalogTranslator, T
from bot.i18n import catalog
from bot.models import CommandSync
from tests.e2e.fakediscord.rules import check_commands

# Discord's rule for slash-command and option names (lower case, no spaces), in Python's terms.
NAME = re.compile(r"^[-_'\w]{1,32}$")
LOCALES = ("sv-SE", "en-US", "en-GB")


@pytest.fixture
async def real_bot(app: App) -> AsyncIterator[JobbBot]:
    """Build a JobbBot that never connects, with the cogs loaded and the translator set."""
    jobb = JobbBot(app)
    await jobb.tree.set_translator(CatalogTranslator())
    assert await jobb.load_cogs() == [
        "cogs.activity",
        "cogs.board",
        "cogs.coaching",
        "cogs.conversation",
        "cogs.digest",
        "cogs.follow",
        "cogs.issues",
        "cogs.media",
        "cogs.mydata",
        "cogs.onboarding",
        "cogs.pairing",
        "cogs.pledges",
        "cogs.politicians",
        "cogs.profile",
        "cogs.rapid",
        "cogs.relationships",
        "cogs.setup",
        "cogs.stories",
        "cogs.watch",
    ]
    yield jobb


async def payloads(bot: JobbBot) -> list[dict[str, Any]]:
    return [await c.get_translated_payload(bot.tree, bot.tree.translator) for c in bot.tree.get_commands()]


def walk(items: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Yield every command, subcommand and option."""
    for item in items:
        yield item
        yield from walk(item.get("options") or [])


async def test_every_command_is_loaded(real_bot: JobbBot):
    names = {c["name"] for c in await payloads(real_bot)}

    assert names == {"onboard", "profile", "language", "members", "mydata", "setup", "coach", "coach-admin",
                     "issue", "issue-admin", "council", "council-admin", "hashtag", "follow", "unfollow",
                     "politician", "politician-admin", "stance", "stance-admin", "media", "media-admin",
                     "story", "story-admin", "did", "contact", "stats", "leaderboard", "digest", "report",
                     "pledge", "watch", "relation", "relation-admin", "rapid", "rapid-admin",
                     "peer", "peer-admin", "board"}


async def test_every_name_and_description_has_swedish_and_english(real_bot: JobbBot):
    for item in walk(await payloads(real_bot)):
        assert set(item["name_localizations"]) == set(LOCALES), item["name"]
        assert set(item["description_localizations"]) == set(LOCALES), item["name"]
        for text in (item["name"], *item["name_localizations"].values()):
            assert NAME.match(text) and text == text.lower(), text
        for text in (item["description"], *item["description_localizations"].values()):
            assert 1 <= len(text) <= 100, text


async def test_the_swedish_names_come_from_the_swedish_catalog(real_bot: JobbBot):
    by_name = {c["name"]: c for c in await payloads(real_bot)}

    assert by_name["onboard"]["name_localizations"]["sv-SE"] == "kom-igång"
    [export, _] = by_name["mydata"]["options"]
    assert export["name_localizations"]["sv-SE"] == "exportera"
    timezone = next(o for o in by_name["setup"]["options"] if o["name"] == "timezone")
    assert (
        timezone["description_localizations"]["sv-SE"] == catalog("sv")["cmd.setup.opt.timezone.description"]
    )
    assert timezone["autocomplete"] is True


async def test_choices_are_named_in_both_languages(real_bot: JobbBot):
    by_name = {c["name"]: c for c in await payloads(real_bot)}
    [language] = by_name["language"]["options"]

    assert [(c["name"], c["name_localizations"]["sv-SE"]) for c in language["choices"]] == [
        ("Swedish", "svenska"), ("English", "engelska")]


async def test_discord_would_accept_the_commands(real_bot: JobbBot):
    check_commands(await payloads(real_bot))


async def test_coordinator_commands_are_hidden_by_default_and_none_work_in_dms(real_bot: JobbBot):
    by_name = {c["name"]: c for c in await payloads(real_bot)}

    # Only the names here; tests/cogs/test_permissions.py checks every command and which permission hides it.
    assert {n for n, c in by_name.items() if c["default_member_permissions"]} == {
        "members",
        "setup",
        "digest",
        "board",
        "report",
        "issue-admin",
        "council-admin",
        "politician-admin",
        "stance-admin",
        "media-admin",
        "coach-admin",
        "story-admin",
        "watch",
        "relation-admin",
        "rapid-admin",
        "peer-admin",
    }
    assert all(c["dm_permission"] is False for c in by_name.values())


async def test_the_translator_leaves_other_locales_to_the_english_base():
    translator = CatalogTranslator()
    string = T("cmd.onboard.name")

    assert string.message == "onboard"
    assert await translator.translate(string, discord.Locale.swedish, None) == "kom-igång"
    assert await translator.translate(string, discord.Locale.german, None) is None
    assert (
        await translator.translate(discord.app_commands.locale_str("plain"), discord.Locale.swedish, None)
        is None
    )


async def test_commands_are_synced_only_when_the_tree_changed(real_bot: JobbBot, app: App):
    real_bot.tree.sync = AsyncMock(return_value=[])

    assert await real_bot.sync_commands(force=False) == ["global"]
    assert await real_bot.sync_commands(force=False) == []
    assert await real_bot.sync_commands(force=True) == ["global"]
    assert real_bot.tree.sync.await_count == 2
    async with app.sessionmaker() as session:
        [row] = await session.scalars(select(CommandSync))
    assert row.scope == "global" and row.tree_hash == await real_bot.tree_hash(None)

    await real_bot.remove_cog("Setup")
    assert await real_bot.sync_commands(force=False) == ["global"]


async def test_configured_guilds_each_get_the_commands(real_bot: JobbBot, app: App):
    app.settings = app.settings.model_copy(
        update={"discord_guild_ids": "111111111111111111,222222222222222222"}
    )
    real_bot.tree.sync = AsyncMock(return_value=[])

    assert await real_bot.sync_commands(force=False) == ["111111111111111111", "222222222222222222"]
    synced_to = [call.kwargs["guild"].id for call in real_bot.tree.sync.await_args_list]
    assert synced_to == [111111111111111111, 222222222222222222]
    assert len(real_bot.tree.get_commands(guild=discord.Object(111111111111111111))) == 38
