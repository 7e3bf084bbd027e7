"""Small building blocks of replies."""

from __future__ import annotations

from bot.i18n import render
from bot.replies import more_than_shown


def test_a_cut_list_says_how_many_more_and_a_whole_one_says_nothing():
    assert render(more_than_shown("media.more", 53, 50), "sv") == render(
        more_than_shown("media.more", 3, 0), "sv"
    )
    assert "3" in render(more_than_shown("media.more", 53, 50), "en")
    assert more_than_shown("media.more", 50, 50) == ""
    assert more_than_shown("media.more", 2, 50) == ""
