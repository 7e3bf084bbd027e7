"""A member's free question to the coach ("hur skriver jag till kommunalrådet om parkeringen?"), answered.

SKELETON (issue 17): the contract the conversation builds on. With a model (and the member within its hourly
limit, which the conversation keeps), a short answer grounded in the member's profile, next step and the open
issues, through the coach's guard; without one, the closest help text and the matching command.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.coach import CoachModel
from bot.replies import Reply, text
from bot.services.context import Actor


@dataclass(frozen=True)
class Turn:
    """One question and the coach's answer, kept in the conversation's context for a follow-up question."""

    question: str
    answer: str


@dataclass(frozen=True)
class Answered:
    """The answer to a question: the reply, whether the model was asked (it counts against the member's hourly
    limit), and what to remember for a follow-up (None: nothing)."""

    reply: Reply
    asked_model: bool = False
    turn: Turn | None = None


async def answer_question(session: AsyncSession, actor: Actor, question: str, model: CoachModel | None = None,
                          earlier: Sequence[Turn] = ()) -> Answered:
    """Answer a member's free question; `model` is None when there is none or the member used up its hourly
    limit, `earlier` the conversation's recent turns."""
    return Answered(Reply(body=text("conversation.menu")))
