"""A reply's texts on the board: the catalog's chat marks become HTML, what members write stays text."""

from __future__ import annotations

from bot.replies import Join, Literal, text
from bot.web.board.markup import html


def test_the_catalogs_bold_becomes_strong_and_a_members_words_are_escaped_and_never_marked_up():
    # "**{name}**, {company}: …": the name and the company are what members wrote.
    shown = html(text("members.line", name=Literal("Anna <3"), company=Literal("**Blommor**"),
                      industry="Handel", municipality="Karlskrona", experience="Nybörjare"), "sv")
    assert shown.startswith("<strong>Anna &lt;3</strong>, **Blommor**: Handel")
    assert "<3" not in shown


def test_marks_are_dropped_in_plain_text_and_numbers_choose_their_plural():
    rich = html(text("board.link.body", minutes=1), "sv")
    assert "1 minut," in rich
    plain = html(text("board.link.title"), "en", rich=False)
    assert plain == "Your link to the campaign board"


def test_a_join_of_texts_and_literals_is_escaped_piece_by_piece():
    shown = html(Join((Literal("a < b"), text("common.yes")), separator=" & "), "sv")
    assert shown == "a &lt; b &amp; Ja"
