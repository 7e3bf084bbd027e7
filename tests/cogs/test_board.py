"""/board: a coordinator's one-time link to the campaign board, in an answer only they see."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings, load_settings
from bot.discordbot.checks import CoordinatorOnly
from cogs.board import Board
from tests.helpers import MockBot, MockMember, sent


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return load_settings(database_url=database_url, data_dir=tmp_path / "data", output_dir=tmp_path / "out",
                         board_url="https://tavla.example.se", _env_file=None)


async def test_a_coordinator_gets_a_link_only_they_see(bot: MockBot, interact: Any, admin: MockMember):
    interaction = interact(admin)

    await Board.board.callback(Board(bot), interaction)

    answer = sent(interaction)
    assert answer["ephemeral"] is True
    [button] = [item for item in answer["view"].children if getattr(item, "url", None)]
    assert button.url.startswith("https://tavla.example.se/board/login/")
    assert button.label == "Öppna kampanjtavlan"


async def test_a_member_is_refused_before_anything_is_made(bot: MockBot, interact: Any, member: MockMember):
    # The command carries the coordinators' check (tests/cogs/test_permissions.py checks every command's).
    assert len(Board.board.checks) == 1
    with pytest.raises(CoordinatorOnly):
        await Board.board.checks[0](interact(member))
