"""One conversation with the coach, as a member has it on every platform: the same lines, the same answers.

tests/console/test_conversation.py, tests/slack/test_conversation.py and tests/e2e/test_conversation_e2e.py
each play it through their platform (the console's `:dm`, Slack's Messages tab, a Discord DM to the bot
process) with a member who has just onboarded, and check that each answer shows what is listed here. No line
answers a message the platform names: "klart" is about the step the coach showed a line before, as the
conversation remembers it on every platform.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.i18n import render
from bot.replies import text


def sv(key: str) -> str:
    """A catalog text in Swedish, as the member reads it."""
    return render(text(key), "sv")


def first_sentence(key: str) -> str:
    """The first sentence of a catalog text, its markup left out (each platform writes bold its own way)."""
    return re.split(r"(?<=[.!?:])\s", sv(key).replace("**", ""), maxsplit=1)[0]


@dataclass(frozen=True)
class Line:
    """What the member writes, and what the answer shows: fragments of its text, labels of its buttons."""

    said: str
    shows: tuple[str, ...]
    buttons: tuple[str, ...] = ()


STEP = sv("coaching.step.intro.title")

CONVERSATION = (
    Line("hej", (sv("conversation.greeting"),), (sv("coaching.button.next"),)),
    Line("nästa", (STEP,), (sv("coaching.button.done"),)),
    Line("klart", ("Klart: " + STEP,)),
    Line("hur skriver jag till kommunalrådet?", (first_sentence("questions.topic.tweet"),)),
    Line("paus", (first_sentence("coaching.pause.done"),)),
    Line("stopp", (first_sentence("conversation.stop.done"),)),
    Line("start", ("Välkommen tillbaka!",)),
)
