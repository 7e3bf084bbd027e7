"""Who is acting, where: resolved from a platform identity into rows of our own."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast
from zoneinfo import ZoneInfo

from sqlalchemy import CursorResult, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import insert_or_ignore
from bot.errors import NotCoordinator, UserError
from bot.i18n import locale_language, normalize_language
from bot.models import AuditLog, Base, Member, Workspace
from bot.services import retention
from bot.validation import record_id

if TYPE_CHECKING:
    from bot.replies import Form

# How often the last use of the bot by a member who has not consented is written down: to the day is enough
# for a purge counted in days, and spares a write for every command.
SEEN_EVERY = timedelta(days=1)


@dataclass(frozen=True)
class Identity:
    """A user on a platform as an adapter sees them; carries no database rows."""

    platform: str
    workspace_external_id: str
    user_external_id: str
    display_name: str
    workspace_name: str = ""
    # The platform role ids the user has, and whether they may manage the server (which makes them a
    # coordinator too, so that someone can run /setup before a coordinator role is configured).
    role_ids: frozenset[str] = frozenset()
    is_admin: bool = False
    # The language the platform says the user's client speaks (Discord's interaction locale, Slack's user
    # locale), as it gave it ("en-US"); None when it does not say. It answers a member who chose no language.
    locale: str | None = None
    # A coordinator acting on the campaign board: the platform vouched for their role when they were given the
    # login link (bot.services.board), and the session it opened lasts BOARD_SESSION_HOURS at most.
    board_coordinator: bool = False


@dataclass
class Actor:
    """The acting member in their workspace, with the time the action happens."""

    workspace: Workspace
    member: Member
    is_coordinator: bool
    now: datetime
    # The name the platform shows for the user now: what a reply calls them before they consent (their row
    # holds no name until then), and what is stored when they do.
    platform_name: str = ""
    # The catalog language of the user's platform locale (None when it is not one of ours): used for this
    # interaction only, never stored for them (see language_of).
    locale_language: str | None = None

    @property
    def language(self) -> str:
        """The language the actor reads: the one they chose, else their platform's, else the workspace's."""
        return language_of(self.member, self.workspace, self.locale_language)

    @property
    def today(self) -> date:
        """The day it is now in the workspace's time zone."""
        return self.now.astimezone(ZoneInfo(self.workspace.timezone)).date()

    @property
    def audience_language(self) -> str:
        """The language of a public draft's readers (see audience_language)."""
        return audience_language(self.workspace)

    def require_coordinator(self) -> None:
        """Refuse unless the actor is a coordinator."""
        if not self.is_coordinator:
            raise NotCoordinator

    def require_onboarded(self) -> Member:
        """Refuse (pointing to /onboard) unless the actor has onboarded; return their member row."""
        if self.member.onboarded_at is None:
            raise UserError("profile.not_onboarded")
        return self.member

    @property
    def in_group(self) -> bool:
        """Whether the group's own content (group-only stories) may be shown to the actor: to a member who
        onboarded and consented, and to coordinators. Someone who only joined the server, or did not consent,
        sees what is public."""
        return self.is_coordinator or is_group_member(self.member)


def is_group_member(member: Member | None) -> bool:
    """Whether a member onboarded and consented (then the group's own content is theirs to see)."""
    return member is not None and member.onboarded_at is not None and member.consented_at is not None


def language_of(member: Member | None, workspace: Workspace, locale_language: str | None = None) -> str:
    """Return the member's own language, else the one their platform says they read (`locale_language`, of
    this interaction), else the workspace's."""
    return normalize_language((member.language if member else None) or locale_language or workspace.language)


def audience_language(workspace: Workspace) -> str:
    """The language of those a public draft (a tweet, a question to a politician, a thank-you) is written for:
    the politicians, media and neighbours of the workspace's municipalities, who read the workspace's
    language whatever the member who posts it reads."""
    return normalize_language(workspace.language)


async def get_or_create_workspace(session: AsyncSession, platform: str, external_id: str, name: str,
                                  now: datetime, *, language: str = "sv", timezone: str = "Europe/Stockholm",
                                  ) -> Workspace:
    """Return the workspace for a server, creating it with default settings the first time.

    The first users of a new server act at the same moment: the row is inserted unless it exists (which
    cannot fail on the unique constraint, on SQLite or PostgreSQL), then read.
    """
    where = (Workspace.platform == platform, Workspace.external_id == external_id)
    workspace = await session.scalar(select(Workspace).where(*where))
    if workspace is None:
        await session.execute(insert_or_ignore(session, Workspace, ("platform", "external_id"), {
            "platform": platform, "external_id": external_id, "name": name[:200], "language": language,
            "timezone": timezone, "created_at": now, "updated_at": now}))
        workspace = await session.scalar(select(Workspace).where(*where))
        assert workspace is not None
    elif name and workspace.name != name[:200]:
        workspace.name = name[:200]
    return workspace


async def get_or_create_member(
    session: AsyncSession, workspace: Workspace, external_id: str, display_name: str, now: datetime
) -> tuple[Member, bool]:
    """Return the member row for a user and whether it was created now (insert-or-get, as for workspaces).

    `display_name` is stored as given: the bot's own paths give "" before the member consented, so that the
    row holds no name until then (see resolve)."""
    where = (Member.workspace_id == workspace.id, Member.external_id == external_id)
    member = await session.scalar(select(Member).where(*where))
    if member is not None:
        if display_name and member.display_name != display_name[:100]:
            member.display_name = display_name[:100]
        return member, False
    # An INSERT without RETURNING gives a CursorResult, though Session.execute() is typed to return a Result.
    inserted = cast(CursorResult[Any], await session.execute(insert_or_ignore(
        session, Member, ("workspace_id", "external_id"), {
            "workspace_id": workspace.id, "external_id": external_id, "display_name": display_name[:100],
            "joined_at": now, "last_seen_at": now, "dm_open": True, "dm_reminders": False})))
    member = await session.scalar(select(Member).where(*where))
    assert member is not None
    return member, bool(inserted.rowcount)


async def resolve(session: AsyncSession, identity: Identity, now: datetime, *, default_language: str = "sv",
                  default_timezone: str = "Europe/Stockholm") -> Actor:
    """Turn a platform identity into an Actor, creating the workspace and member rows as needed; a member who
    has not consented gets a row without their name."""
    # Every command starts here: one statement reads both rows when they exist, as they nearly always do.
    row = (await session.execute(
        select(Workspace, Member).outerjoin(
            Member, (Member.workspace_id == Workspace.id) & (Member.external_id == identity.user_external_id))
        .where(Workspace.platform == identity.platform,
               Workspace.external_id == identity.workspace_external_id))).first()
    workspace, member = (None, None) if row is None else row
    if workspace is None or (identity.workspace_name and workspace.name != identity.workspace_name[:200]):
        workspace = await get_or_create_workspace(session, identity.platform, identity.workspace_external_id,
                                                  identity.workspace_name, now, language=default_language,
                                                  timezone=default_timezone)
    if member is None:
        member, created = await get_or_create_member(session, workspace, identity.user_external_id, "", now)
        if created:
            await plan_purge(session, workspace, now)
    elif member.consented_at is not None:
        # Their name is kept as the platform shows it, once they consented to a profile.
        if identity.display_name and member.display_name != identity.display_name[:100]:
            member.display_name = identity.display_name[:100]
    elif member.last_seen_at is None or now - member.last_seen_at >= SEEN_EVERY:
        member.last_seen_at = now  # the purge of a row without consent counts from here
    return Actor(workspace=workspace, member=member, is_coordinator=is_coordinator(identity, workspace),
                 now=now, platform_name=identity.display_name[:100],
                 locale_language=locale_language(identity.locale))


async def plan_purge(session: AsyncSession, workspace: Workspace, now: datetime) -> None:
    """Make sure that the workspace's daily run, which purges the rows of those who never consent, is planned:
    called when a member row is made, as the row may be the workspace's first (each run plans the next)."""
    await retention.ensure_planned(session, workspace, now)


def is_coordinator(identity: Identity, workspace: Workspace) -> bool:
    """A coordinator has the workspace's coordinator role, or may manage the server."""
    return identity.is_admin or identity.board_coordinator or (workspace.coordinator_role_id is not None
                                 and workspace.coordinator_role_id in identity.role_ids)


def audit(
    session: AsyncSession, actor: Actor, action: str, *, anonymous: bool = False, **detail: object
) -> None:
    """Write one audit log row (ids and field names only, never message contents)."""
    session.add(
        AuditLog(
            workspace_id=actor.workspace.id,
            actor_member_id=None if anonymous else actor.member.id,
            action=action,
            detail=detail,
            created_at=actor.now,
        )
    )


class _WorkspaceRow(Protocol):
    @property
    def workspace_id(self) -> int: ...


_Row = TypeVar("_Row", bound=_WorkspaceRow)


async def workspace_row(session: AsyncSession, actor: Actor, model: type[_Row], ref: str) -> _Row | None:
    """The row of `model` with the id `ref` in the actor's workspace; None for no such row, or another
    workspace's (an id in a button or typed by a user is never trusted across workspaces, nor one that cannot
    be an id: validation.record_id)."""
    row_id = record_id(ref)
    row = await session.get(model, row_id) if row_id is not None else None
    return row if row is not None and row.workspace_id == actor.workspace.id else None


async def pressed_row(session: AsyncSession, actor: Actor, model: type[_Row], arg: str) -> _Row:
    """The row a button's argument names; a stale or foreign one makes the button unknown."""
    row = await workspace_row(session, actor, model, arg)
    if row is None:
        raise UserError("errors.unknown_button")
    return row


def record_form(make: Callable[[int], Form]) -> Callable[[Member | None, str], Form | None]:
    """A form opener (contributions.FormOpener) for a button whose argument is a record's id: the form at once
    for an onboarded member; None otherwise, and the button's action answers (onboard first, or a forged
    argument refused). The record itself is checked when the form comes back: a button gone stale meanwhile is
    refused then, with what was typed."""
    def opener(member: Member | None, arg: str) -> Form | None:
        row_id = record_id(arg)
        if member is None or member.onboarded_at is None or row_id is None:
            return None
        return make(row_id)
    return opener


_Settings = TypeVar("_Settings", bound=Base)


async def settings_row(session: AsyncSession, model: type[_Settings], workspace_id: int, **new: Any
                       ) -> _Settings:
    """The workspace's row of a settings table (one row a workspace, keyed by its id); made of `new` when the
    workspace has none yet, so that a coordinator's first change has a row to change."""
    row = await session.get(model, workspace_id)
    if row is None:
        row = model(workspace_id=workspace_id, **new)
        session.add(row)
        await session.flush()
    return row


def apply_settings(session: AsyncSession, actor: Actor, row: Any, changes: dict[str, Any], action: str
                   ) -> list[str]:
    """Set the settings that differ from the row's, stamp and audit the change; return their names."""
    changed = sorted(name for name, value in changes.items() if getattr(row, name) != value)
    for name in changed:
        setattr(row, name, changes[name])
    if changed:
        row.updated_at = actor.now
        audit(session, actor, action, changed=changed)
    return changed
