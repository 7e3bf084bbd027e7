"""User text that cannot turn the bot's text around it: right-to-left names and bidirectional controls are
isolated where a reply is rendered, and nothing else changes."""

from __future__ import annotations

import pytest

from bot import bidi
from bot.replies import Join, Literal, Mention, text

FSI, PDI, PDF = "\u2068", "\u2069", "\u202c"
# Each control that opens a scope, and the control that closes it.
OPENERS = {"\u202a": PDF, "\u202b": PDF, "\u202d": PDF, "\u202e": PDF,
           "\u2066": PDI, "\u2067": PDI, "\u2068": PDI}


def still_open(shown: str) -> list[str]:
    """The bidirectional controls still open at the end of a one-line text, innermost last (UAX #9, X1-X8,
    written out independently of bot.bidi: a PDI closes its isolate and what was opened inside it, a PDF the
    innermost embedding unless an isolate is in the way, an unmatched closer does nothing)."""
    stack: list[str] = []
    for char in shown:
        if char in OPENERS:
            stack.append(char)
        elif char == PDI and any(OPENERS[c] == PDI for c in stack):
            while OPENERS[stack.pop()] != PDI:
                pass
        elif char == PDF and stack and OPENERS[stack[-1]] == PDF:
            stack.pop()
    return stack


@pytest.mark.parametrize("value", [
    "Anna", "Åsa Ek (S)", "Café & Bar – 50 %", "👩\u200d🌾", "Ett\nTvå", "https://x.com/anna", "",
])
def test_text_that_cannot_change_direction_is_left_exactly_as_it_is(value: str):
    assert bidi.isolate(value) == value


@pytest.mark.parametrize("value", [
    "\u202eBygg AB",                # an unclosed right-to-left override
    "Bygg\u202b\u202e AB",          # two embeddings
    "\u2067Bygg",                   # an unclosed isolate
    "Bygg\u2069\u202c AB",          # closers of what the value never opened
    "\u2066A\u202eB\u2069C\u202e",  # an override closed by its isolate's PDI, then one left open
    "شركة البناء",                  # a right-to-left name: its line would become a right-to-left paragraph
    "\u200fAB",                     # a right-to-left mark
])
def test_whatever_a_value_opens_is_closed_inside_its_own_isolate(value: str):
    shown = bidi.isolate(value)

    assert shown.startswith(FSI) and shown.endswith(PDI)
    assert still_open(shown) == []
    # Nothing of the value after its isolate opens: everything between is balanced on its own.
    assert still_open(shown[1:-1]) == []
    # The value's own text is all there, in its order.
    assert "".join(c for c in shown if c not in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069") == \
        "".join(c for c in value if c not in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def test_each_line_of_a_value_is_isolated_on_its_own_as_a_line_break_ends_every_scope():
    shown = bidi.isolate("\u202eett\ntvå\u202e\r\ntre")

    assert shown.split("\n") == [f"{FSI}\u202eett{PDF}{PDI}", f"{FSI}två\u202e{PDF}{PDI}\r", "tre"]


def test_user_parts_of_a_reply_are_isolated_and_the_bot_s_own_are_not():
    item = text("onboarding.coordinator_notice", name=Literal("\u202eAnna"), company="Bygg\u202e",
                industry=text("choice.industry.retail"), municipality=Literal("Karlskrona"), experience=3)
    nested = Join((Literal("\u202eA"), Mention("user", "\u202e1")), separator="\u202e, ")

    shown = bidi.isolated(item)
    shown_join = bidi.isolated(nested)

    assert shown.params["name"] == Literal(f"{FSI}\u202eAnna{PDF}{PDI}")
    assert shown.params["company"] == f"{FSI}Bygg\u202e{PDF}{PDI}"
    assert shown.params["industry"] == text("choice.industry.retail")
    assert shown.params["municipality"] == Literal("Karlskrona") and shown.params["experience"] == 3
    assert shown_join.items == (Literal(f"{FSI}\u202eA{PDF}{PDI}"), Mention("user", "\u202e1"))
    assert shown_join.separator == "\u202e, "  # the bot's own separator: not user text
