"""Talk to the coach: what a member writes to the bot in a DM, or to it by a mention, gets an answer.

SKELETON (issue 17): the contract the adapters build on. `Said` is what a platform hands over; `answer` is
the service every adapter calls through `App.converse`. The rules, the context, the rate limits and the
coach's answers are filled in by the service's own work.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from bot.coach import CoachModel
from bot.replies import Reply, text
from bot.services import ladder
from bot.services.context import Actor


class Where(StrEnum):
    """Where the member wrote: in a DM to the bot, or in a channel, mentioning it."""

    DM = "dm"
    MENTION = "mention"


@dataclass(frozen=True)
class Said:
    """What a member wrote to the bot, as the platform hands it over.

    `text` is what they wrote, the bot's own mention taken out. `answering` holds the buttons (action, arg) of
    the bot's message they answer, when the platform tells which one (a Discord reply carries the message it
    answers, with its buttons); empty when it does not say, and the service takes the last message the bot
    sent them.
    """

    text: str
    where: Where = Where.DM
    answering: Sequence[tuple[str, str]] = ()


async def answer(session: AsyncSession, actor: Actor, said: Said, model: CoachModel | None = None
                 ) -> Reply | None:
    """Answer what a member wrote; None when nothing is to be said (they write faster than the rate limit)."""
    return Reply(body=text("conversation.menu"), buttons=(ladder.next_button(),))
