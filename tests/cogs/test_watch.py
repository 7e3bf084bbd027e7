"""/watch add|list|remove on Discord: the coordinators' sources of the agenda watcher."""

from __future__ import annotations

from typing import Any

import pytest

from bot.errors import NotCoordinator
from cogs.watch import Watch
from tests.helpers import MockBot, MockMember, choice, sent, shown_text

FEED = "https://www.karlskrona.se/anslagstavla.rss"


async def test_sources_are_added_listed_and_removed(bot: MockBot, interact: Any, admin: MockMember):
    cog = Watch(bot)

    added = interact(user=admin)
    await Watch.watch_add.callback(cog, added, municipality=choice("karlskrona"),
                                   body=choice("kommunfullmaktige"), kind=choice("feed"), url=FEED)
    listed = interact(user=admin)
    await Watch.watch_list.callback(cog, listed)
    removed = interact(user=admin)
    await Watch.watch_remove.callback(cog, removed, source="#1")

    # Discord's markdown: the number's # escaped, so that it is shown as typed.
    assert shown_text(sent(added)).startswith(
        f"Bevakas nu: **\\#1** flöde (RSS/Atom) – Karlskrona, kommunfullmäktige: {FEED}")
    assert "inte hämtad än · nästa hämtning" in shown_text(sent(listed))
    assert shown_text(sent(removed)).startswith("Bevakas inte längre: **\\#1**")


async def test_a_member_cannot_add_a_source(bot: MockBot, interact: Any):
    with pytest.raises(NotCoordinator):
        await Watch.watch_add.callback(Watch(bot), interact(), municipality=choice("karlskrona"),
                                       body=choice("kommunfullmaktige"), kind=choice("feed"), url=FEED)
