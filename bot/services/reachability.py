"""Reaching members by DM again: "send me a test DM" under a channel fallback, and a command that clears the
wait.

A member whose DMs were refused is mentioned in a channel instead and tried again later (bot.delivery); these
are the ways they come back at once.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.contributions import Feature
from bot.delivery import TEST_DM_ACTION
from bot.replies import Reply, SendDirect, text
from bot.services.context import Actor


def try_dms_again(actor: Actor) -> None:
    """A member whose DMs were found closed used a command: their next DM is tried at once, not days later."""
    member = actor.member
    if not member.dm_open and member.dm_closed_at is not None:
        member.dm_closed_at = None


async def _send_test_dm(session: AsyncSession, actor: Actor, _arg: str = "") -> Reply:
    """Send the presser a DM now; one that arrives clears the mark (and the nudges resume)."""
    try_dms_again(actor)
    test = Reply(body=text("delivery.test_dm.body"), private=False)
    return Reply(body=text("delivery.test_dm.sent"), effects=(SendDirect(actor.member.id, test),))


FEATURE = Feature(
    "reachability",
    actions={TEST_DM_ACTION: _send_test_dm},
)
