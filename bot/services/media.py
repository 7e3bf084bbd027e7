"""Local media and journalists, by municipality: every draft about an issue brings them into the dialogue."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import validation
from bot.errors import UserError
from bot.models import MediaContact
from bot.replies import Join, Literal, Reply, Text, more_than_shown, text
from bot.services import civics
from bot.services.context import Actor, audit


class MediaKind(StrEnum):
    """A newspaper or station, or one of its journalists."""

    OUTLET = "outlet"
    JOURNALIST = "journalist"


KIND = validation.ChoiceSet(MediaKind, "field.media_kind", "media.kind")
KINDS = tuple(k.value for k in MediaKind)
KIND_CHOICES = KIND.choices
LISTED = 40


async def handles_for(session: AsyncSession, workspace_id: int, municipality: str) -> list[str]:
    """Return the X handles (without @) of a municipality's media, outlets before journalists."""
    rows = await session.scalars(select(MediaContact).where(
        MediaContact.workspace_id == workspace_id, MediaContact.municipality == municipality,
        MediaContact.x_handle.is_not(None)))
    ordered = sorted(rows, key=lambda m: (KINDS.index(m.kind) if m.kind in KINDS else 9, m.name_key, m.id))
    return [m.x_handle for m in ordered if m.x_handle]


async def handles_by_municipality(session: AsyncSession, workspace_id: int, municipalities: Sequence[str]
                                  ) -> dict[str, list[str]]:
    """Return the X handles of each municipality's media (as handles_for), in one statement."""
    found: dict[str, list[str]] = {municipality: [] for municipality in sorted(set(municipalities))}
    if not found:
        return found
    rows = await session.scalars(select(MediaContact).where(
        MediaContact.workspace_id == workspace_id, MediaContact.municipality.in_(sorted(found)),
        MediaContact.x_handle.is_not(None)))
    ordered = sorted(rows, key=lambda m: (KINDS.index(m.kind) if m.kind in KINDS else 9, m.name_key, m.id))
    for contact in ordered:
        if contact.x_handle:
            found[contact.municipality].append(contact.x_handle)
    return found


async def _find(session: AsyncSession, actor: Actor, ref: str | None, municipality: str | None
                ) -> MediaContact:
    value = (ref or "").strip()
    if not value:
        raise UserError("media.missing")
    query = select(MediaContact).where(MediaContact.workspace_id == actor.workspace.id)
    if (contact_id := validation.record_id(value)) is not None:
        found = await session.scalar(query.where(MediaContact.id == contact_id))
        if found is not None:
            return found
    place = civics.municipality(municipality, required=False)
    if place:
        query = query.where(MediaContact.municipality == place)
    wanted = civics.name_key(value.removeprefix("@"))
    matches = [m for m in await session.scalars(query.order_by(MediaContact.id))
               if m.name_key == wanted or (m.x_handle or "").lower() == wanted]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise UserError("media.unknown", value=Literal(value[:60]))
    raise UserError(
        "media.ambiguous",
        value=Literal(value[:60]),
        matches=Join(
            tuple(Join((Literal(m.name), civics.municipality_label(m.municipality)), " – ") for m in matches)
        ),
    )


async def add(session: AsyncSession, actor: Actor, name: str | None = None, municipality: str | None = None,
              x_handle: str | None = None, kind: MediaKind | None = None, outlet: str | None = None,
              email: str | None = None) -> Reply:
    """Add a local newspaper, radio station or journalist with their handle."""
    actor.require_coordinator()
    values = validation.read_all({
        "name": lambda: validation.clean_text(name, text("field.name"), max_length=100, required=True),
        "municipality": lambda: civics.municipality(municipality),
        "x_handle": lambda: validation.x_handle(x_handle, text("field.x_handle")),
        "kind": lambda: kind or MediaKind.OUTLET,
        "outlet": lambda: validation.clean_text(outlet, text("field.outlet"), max_length=100),
        "email": lambda: civics.email(email, text("field.email")),
    })
    key = civics.name_key(str(values["name"]))
    exists = await session.scalar(select(MediaContact.id).where(
        MediaContact.workspace_id == actor.workspace.id, MediaContact.name_key == key,
        MediaContact.municipality == values["municipality"]))
    if exists is not None:
        raise UserError("media.exists", name=Literal(str(values["name"])),
                        municipality=civics.municipality_label(str(values["municipality"])))
    contact = MediaContact(
        workspace_id=actor.workspace.id, name_key=key, created_at=actor.now, updated_at=actor.now, **values
    )
    session.add(contact)
    await session.flush()
    audit(session, actor, "media.added", media_id=contact.id)
    return Reply(body=text("media.added", line=_line(contact)))


def _line(contact: MediaContact) -> Text:
    return text("media.line", name=Literal(contact.name), kind=text(f"media.kind.{contact.kind}"),
                outlet=Literal(f", {contact.outlet}") if contact.outlet else "",
                municipality=civics.municipality_label(contact.municipality),
                handle=Literal(f" @{contact.x_handle}") if contact.x_handle else "")


async def list_media(session: AsyncSession, actor: Actor, municipality: str | None = None) -> Reply:
    """List the media contacts, in one municipality when given."""
    query = select(MediaContact).where(MediaContact.workspace_id == actor.workspace.id)
    place = civics.municipality(municipality, required=False)
    if place:
        query = query.where(MediaContact.municipality == place)
    rows = list(await session.scalars(query.order_by(MediaContact.municipality, MediaContact.name_key)))
    if not rows:
        return Reply(body=text("media.none"))
    return Reply(title=text("media.title", count=len(rows)),
                 body=text("media.body", lines=Join(tuple(_line(m) for m in rows[:LISTED]), "\n", "• "),
                           more=more_than_shown("media.more", len(rows), LISTED)))


async def remove(session: AsyncSession, actor: Actor, media: str | None = None,
                 municipality: str | None = None) -> Reply:
    """Remove a media contact."""
    actor.require_coordinator()
    contact = await _find(session, actor, media, municipality)
    line = _line(contact)
    audit(session, actor, "media.removed", media_id=contact.id)
    await session.delete(contact)
    return Reply(body=text("media.removed", line=line))


async def choices(session: AsyncSession, workspace_id: int, current: str) -> list[tuple[str, str]]:
    """Suggest media contacts matching what was typed, as (label, id) pairs."""
    wanted = civics.name_key(current)
    rows = await session.scalars(select(MediaContact).where(MediaContact.workspace_id == workspace_id)
                                 .order_by(MediaContact.name_key))
    return [(f"{m.name} ({m.municipality})", str(m.id)) for m in rows if wanted in m.name_key][:25]
