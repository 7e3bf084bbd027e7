"""A member's own data: export all of it as JSON, or erase all of it.

Every feature that stores something about a member declares it (`Feature.member_data`), so `/mydata` covers
it.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import contributions
from bot.contributions import Feature, MemberData
from bot.models import AuditLog, Delivery, Member
from bot.replies import Attachment, Button, ButtonStyle, Reply, text
from bot.services.context import Actor, audit
from bot.services.profile_fields import PROFILE_FIELD_NAMES

log = logging.getLogger(__name__)


DELETE_CONFIRM = "mydata.delete_confirm"
DELETE_CANCEL = "mydata.delete_cancel"


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


async def _export_profile(session: AsyncSession, member: Member) -> dict[str, Any]:
    columns = ("display_name", "language", "joined_at", "consented_at", "onboarded_at", "dm_open",
               *PROFILE_FIELD_NAMES)
    return {column: _iso(getattr(member, column)) for column in columns}


async def _export_deliveries(session: AsyncSession, member: Member) -> list[dict[str, Any]]:
    rows = await session.scalars(
        select(Delivery).where(Delivery.member_id == member.id).order_by(Delivery.id)
    )
    return [{"created_at": _iso(d.created_at), "status": d.status, "sent_at": _iso(d.sent_at)} for d in rows]


async def _export_audit(session: AsyncSession, member: Member) -> list[dict[str, Any]]:
    rows = await session.scalars(
        select(AuditLog).where(AuditLog.actor_member_id == member.id).order_by(AuditLog.id)
    )
    return [{"at": _iso(a.created_at), "action": a.action, "detail": a.detail} for a in rows]


async def _erase_nothing(session: AsyncSession, member: Member) -> None:
    """Deliveries go with the member row (ON DELETE CASCADE) and audit rows lose their actor (SET NULL)."""




async def export(session: AsyncSession, actor: Actor) -> Reply:
    """Send the member a JSON file of everything stored about them."""
    member = actor.member
    data: dict[str, Any] = {"workspace": actor.workspace.name, "exported_at": actor.now.isoformat()}
    for stored in sorted(contributions.of(session).member_data, key=lambda stored: stored.name):
        data[stored.name] = await stored.export(session, member)
    payload = json.dumps(data, ensure_ascii=False, indent=2).encode()
    return Reply(body=text("mydata.export.body"),
                 files=(Attachment(f"jobbskaparna-{member.external_id}.json", payload),))


async def delete_request(session: AsyncSession, actor: Actor) -> Reply:
    """Ask the member to confirm that everything is to be erased."""
    return Reply(body=text("mydata.delete.confirm"), buttons=(
        Button(text("mydata.delete.button.confirm"), DELETE_CONFIRM, style=ButtonStyle.DANGER),
        Button(text("mydata.delete.button.cancel"), DELETE_CANCEL, style=ButtonStyle.SECONDARY)))


async def erase(session: AsyncSession, actor: Actor, _arg: str = "") -> Reply:
    """Erase everything about the member; the audit log keeps only that a deletion happened."""
    member = actor.member
    for stored in contributions.of(session).member_data:
        await stored.erase(session, member)
    audit(session, actor, "member.data_deleted", anonymous=True)
    await session.flush()
    await session.execute(delete(Member).where(Member.id == member.id))
    log.info("Erased the data of a member in workspace %s", actor.workspace.id)
    return Reply(body=text("mydata.delete.done"), replaces_source=True)


async def _delete_cancelled(session: AsyncSession, actor: Actor, _arg: str = "") -> Reply:
    return Reply(body=text("mydata.delete.cancelled"), replaces_source=True)


FEATURE = Feature(
    "mydata",
    actions={DELETE_CONFIRM: erase, DELETE_CANCEL: _delete_cancelled},
    member_data=(
        MemberData("profile", _export_profile, _erase_nothing),
        MemberData("deliveries", _export_deliveries, _erase_nothing),
        MemberData("audit_log", _export_audit, _erase_nothing),
    ),
)
