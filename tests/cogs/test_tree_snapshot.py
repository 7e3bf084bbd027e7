"""The command tree exactly as `jobbskaparna sync` sends it, against a checked-in snapshot.

Names, localizations, descriptions, option types, limits, choices, autocomplete, default permissions and
contexts all live in tests/cogs/tree_snapshot.json: a change to any of them shows here first, on purpose or
not. After a deliberate change, write the snapshot again with `WRITE_TREE_SNAPSHOT=1 pytest
tests/cogs/test_tree_snapshot.py` and review the diff.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from bot.app import App
from bot.discordbot.bot import JobbBot
from bot.discordbot.translator import CatalogTranslator

SNAPSHOT = Path(__file__).with_name("tree_snapshot.json")
# Set to write the snapshot from the tree as it is now (then review the diff).
WRITE = "WRITE_TREE_SNAPSHOT"


async def tree_payload(app: App) -> list[dict[str, Any]]:
    """Every top-level command's payload as the sync sends it, translations included, in name order."""
    bot = JobbBot(app)
    await bot.tree.set_translator(CatalogTranslator())
    await bot.load_cogs()
    translator = bot.tree.translator
    assert translator is not None
    payload = [
        await command.get_translated_payload(bot.tree, translator) for command in bot.tree.get_commands()
    ]
    # A round trip through JSON: what the snapshot holds, with tuples as lists and keys as strings.
    return json.loads(
        json.dumps(sorted(payload, key=lambda c: (c.get("type", 1), c["name"])), ensure_ascii=False)
    )


def encode(payload: list[dict[str, Any]]) -> str:
    return json.dumps(payload, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


async def test_the_synced_tree_is_the_snapshot(app: App):
    payload = await tree_payload(app)
    if os.environ.get(WRITE):
        SNAPSHOT.write_text(encode(payload), encoding="utf-8")

    assert payload == json.loads(SNAPSHOT.read_text(encoding="utf-8"))
