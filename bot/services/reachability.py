"""Reaching members by DM again: "send me a test DM" under a channel fallback, and a command that clears the
wait.

A member whose DMs were refused is mentioned in a channel instead and tried again later (bot.delivery); these
are the ways they come back at once.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.contributions import Feature
from bot.delivery import SHOW_PERSONAL_ACTION, TEST_DM_ACTION
from bot.errors import UserError
from bot.models import Delivery, Member
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


@dataclass(frozen=True)
class ClosedDms:
    """The onboarded members whose DMs are closed (mentioned in a channel instead): how many, and the first
    ones by name with the ways /report names to reach them otherwise."""

    count: int
    # (name, X handle, LinkedIn address, when a DM was last refused: None once they are tried again).
    members: tuple[tuple[str, str | None, str | None, datetime | None], ...]


async def closed_dms(session: AsyncSession, workspace_id: int, *, limit: int) -> ClosedDms:
    """The group's onboarded members whose DMs are closed; those who have not consented are not named (the
    bot keeps nothing of them to name)."""
    closed = (Member.workspace_id == workspace_id, Member.onboarded_at.is_not(None),
              Member.dm_open.is_(False))
    count = await session.scalar(select(func.count()).select_from(Member).where(*closed)) or 0
    rows = await session.execute(
        select(Member.display_name, Member.x_handle, Member.linkedin_url, Member.dm_closed_at).where(*closed)
        .order_by(Member.display_name, Member.id).limit(limit))
    return ClosedDms(count, tuple((name, x, linkedin, at) for name, x, linkedin, at in rows))


FEATURE = Feature(
    "reachability",
    actions={TEST_DM_ACTION: _send_test_dm, SHOW_PERSONAL_ACTION: _show_personal},
)
