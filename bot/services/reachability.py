"""Reaching members by DM again: "send me a test DM" under a channel fallback, and a command that clears the
wait.

A member whose DMs were refused is mentioned in a channel instead and tried again later (bot.delivery); these
are the ways they come back at once.
"""

from __future__ import annotations

import dataclasses

from sqlalchemy.ext.asyncio import AsyncSession

from bot.contributions import Feature
from bot.delivery import SHOW_PERSONAL_ACTION, TEST_DM_ACTION
from bot.errors import UserError
from bot.models import Delivery
from bot.replies import Reply, SendDirect, reply_from_json, text
from bot.services.context import Actor, workspace_row


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


async def _show_personal(session: AsyncSession, actor: Actor, arg: str = "") -> Reply:
    """Show a member, privately, the personal DM that could not reach them (its channel fallback only names
    them); nobody else may open it."""
    dm = await workspace_row(session, actor, Delivery, arg)
    if dm is None or dm.member_id is None:
        raise UserError("errors.unknown_button")
    if dm.member_id != actor.member.id:
        raise UserError("errors.not_your_button")
    try_dms_again(actor)
    return dataclasses.replace(reply_from_json(dm.message), private=True, mentions=(), personal=False)


FEATURE = Feature(
    "reachability",
    actions={TEST_DM_ACTION: _send_test_dm, SHOW_PERSONAL_ACTION: _show_personal},
)
