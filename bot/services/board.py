"""The campaign board's logins: one-time links for coordinators, and the sessions they open.

A coordinator asks the bot for a link (/board; Slack: /jobb board). The platform vouches for their role then,
and the answer is theirs only (ephemeral). The link holds a random token; only its hash is stored, so the
database alone cannot log anyone in. Opening the link shows a page whose button (a POST) spends it: link
previews and scanners, which only GET, cannot. Spending it opens a session for that coordinator in that
workspace, again stored by its hash, with a second token every write on the board must carry (against
cross-site request forgery). A session ends at its time (BOARD_SESSION_HOURS), when its owner signs out or
ends it from another session, or with the member's data.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.contributions import Feature, MemberData
from bot.errors import UserError
from bot.i18n import normalize_language
from bot.models import AuditLog, BoardLink, BoardSession, Member, Workspace
from bot.replies import Link, Reply, text
from bot.services.context import Actor, Identity, audit

# What a unit of work's session carries: the board's public address (None: the board is off), and how long a
# session lasts.
URL_KEY = "jobbskaparna.board_url"
SESSION_HOURS_KEY = "jobbskaparna.board_session_hours"
# Long enough to open it on another device, short enough that a link left in a chat is soon worthless.
LINK_LIFETIME = timedelta(minutes=15)
# A session's last visit is written down at most this often (it shows on the sessions page).
SEEN_EVERY = timedelta(minutes=1)
# 256 bits of randomness, as URL-safe text.
TOKEN_BYTES = 32
USER_AGENT_LENGTH = 200


def token_hash(token: str) -> str:
    """What is stored of a token: its SHA-256, in hex (a token is random enough that no salt is needed)."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


async def login_link(session: AsyncSession, actor: Actor) -> Reply:
    """Give a coordinator a one-time link to the board (only they see the answer)."""
    actor.require_coordinator()
    base_url = session.info.get(URL_KEY)
    if base_url is None:
        raise UserError("board.off")
    token = secrets.token_urlsafe(TOKEN_BYTES)
    session.add(BoardLink(token_hash=token_hash(token), workspace_id=actor.workspace.id,
                          member_id=actor.member.id, created_at=actor.now,
                          expires_at=actor.now + LINK_LIFETIME))
    audit(session, actor, "board.link")
    minutes = int(LINK_LIFETIME.total_seconds() // 60)
    return Reply(title=text("board.link.title"), body=text("board.link.body", minutes=minutes),
                 links=(Link(text("board.link.open"), f"{base_url}/board/login/{token}"),), private=True)


class LinkState(StrEnum):
    """What a login link is, as its page says before the button is pressed."""

    FRESH = "fresh"
    SPENT = "spent"
    EXPIRED = "expired"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class LinkInfo:
    """A link's state, and whose it is (to greet them on its page)."""

    state: LinkState
    workspace_name: str = ""
    language: str | None = None


async def link_info(session: AsyncSession, token: str, now: datetime) -> LinkInfo:
    """Read a link without spending it."""
    row = (await session.execute(
        select(BoardLink, Workspace, Member).join(Workspace, Workspace.id == BoardLink.workspace_id)
        .join(Member, Member.id == BoardLink.member_id)
        .where(BoardLink.token_hash == token_hash(token)))).first()
    if row is None:
        return LinkInfo(LinkState.UNKNOWN)
    link, workspace, member = row
    language = normalize_language(member.language or workspace.language)
    if link.spent_at is not None:
        state = LinkState.SPENT
    elif link.expires_at <= now:
        state = LinkState.EXPIRED
    else:
        state = LinkState.FRESH
    return LinkInfo(state, workspace.name, language)


@dataclass(frozen=True)
class Opened:
    """A session just opened: the token for the browser's cookie (only its hash is kept)."""

    token: str
    workspace_id: int


async def spend_link(session: AsyncSession, token: str, now: datetime, *, hours: float, user_agent: str = ""
                     ) -> Opened | None:
    """Spend a link and open a session for its coordinator; None when the link is unknown, spent or expired.

    The link is marked spent by one conditional UPDATE: of two presses at once (two tabs, two processes), one
    opens a session and the other is refused."""
    hashed = token_hash(token)
    spent = cast(CursorResult[Any], await session.execute(
        update(BoardLink).where(BoardLink.token_hash == hashed, BoardLink.spent_at.is_(None),
                                BoardLink.expires_at > now).values(spent_at=now)))
    if spent.rowcount != 1:
        return None
    row = (await session.execute(
        select(BoardLink, Workspace, Member).join(Workspace, Workspace.id == BoardLink.workspace_id)
        .join(Member, Member.id == BoardLink.member_id).where(BoardLink.token_hash == hashed))).one()
    link, workspace, member = row
    session_token = secrets.token_urlsafe(TOKEN_BYTES)
    session.add(BoardSession(
        token_hash=token_hash(session_token), workspace_id=link.workspace_id, member_id=link.member_id,
        csrf_token=secrets.token_urlsafe(TOKEN_BYTES),
        language=normalize_language(member.language or workspace.language),
        user_agent=user_agent[:USER_AGENT_LENGTH], created_at=now, expires_at=now + timedelta(hours=hours),
        last_seen_at=now))
    session.add(AuditLog(workspace_id=link.workspace_id, actor_member_id=link.member_id, action="board.login",
                         detail={}, created_at=now))
    # What is of no more use goes: links a day after they expired, sessions once they ended.
    await session.execute(delete(BoardLink).where(BoardLink.expires_at < now - timedelta(days=1)))
    await session.execute(delete(BoardSession).where(BoardSession.expires_at <= now))
    return Opened(session_token, link.workspace_id)


@dataclass
class Visit:
    """A request on the board by a signed-in coordinator: their session, workspace and member rows."""

    session: BoardSession
    workspace: Workspace
    member: Member
    # The answer of the change made just before, shown once (see bot.web.board.site.Board.done).
    flash: Reply | None = None

    @property
    def language(self) -> str:
        return self.session.language

    @property
    def identity(self) -> Identity:
        """Who the services see acting: the coordinator, in their workspace, reading the board's language."""
        return Identity(platform=self.workspace.platform, workspace_external_id=self.workspace.external_id,
                        user_external_id=self.member.external_id, display_name="",
                        locale=self.session.language, board_coordinator=True)


def _open(hashed: str, now: datetime) -> tuple[ColumnElement[bool], ...]:
    """The session of this hash, while it lasts (an ended one is deleted)."""
    return BoardSession.token_hash == hashed, BoardSession.expires_at > now


async def visit_of(session: AsyncSession, token: str, now: datetime) -> Visit | None:
    """The live session a browser's token opens, or None (unknown, ended or expired)."""
    row = (await session.execute(
        select(BoardSession, Workspace, Member).join(Workspace, Workspace.id == BoardSession.workspace_id)
        .join(Member, Member.id == BoardSession.member_id).where(*_open(token_hash(token), now)))).first()
    if row is None:
        return None
    board_session, workspace, member = row
    if now - board_session.last_seen_at >= SEEN_EVERY:
        board_session.last_seen_at = now
    return Visit(board_session, workspace, member)


async def is_open(session: AsyncSession, hashed: str, now: datetime) -> bool:
    """Whether the session of this hash still lasts (not signed out, ended or expired)."""
    return await session.scalar(select(BoardSession.token_hash).where(*_open(hashed, now))) is not None


async def sessions_of(session: AsyncSession, visit: Visit, now: datetime) -> list[BoardSession]:
    """The coordinator's live sessions in this workspace, the newest first."""
    return list(await session.scalars(
        select(BoardSession).where(BoardSession.workspace_id == visit.workspace.id,
                                   BoardSession.member_id == visit.member.id, BoardSession.expires_at > now)
        .order_by(BoardSession.created_at.desc())))


async def end_session(session: AsyncSession, visit: Visit, hashed: str, now: datetime) -> bool:
    """End one of the coordinator's own sessions (by its hash, as the sessions page names it); False when it
    is not theirs or already over."""
    ended = cast(CursorResult[Any], await session.execute(
        delete(BoardSession).where(BoardSession.token_hash == hashed,
                                   BoardSession.workspace_id == visit.workspace.id,
                                   BoardSession.member_id == visit.member.id)))
    if ended.rowcount:
        session.add(AuditLog(workspace_id=visit.workspace.id, actor_member_id=visit.member.id,
                             action="board.logout", detail={}, created_at=now))
    return bool(ended.rowcount)


async def _export(session: AsyncSession, member: Member) -> dict[str, Any]:
    sessions = await session.scalars(select(BoardSession).where(BoardSession.member_id == member.id)
                                     .order_by(BoardSession.created_at))
    links = await session.scalars(select(BoardLink).where(BoardLink.member_id == member.id)
                                  .order_by(BoardLink.created_at))
    return {
        "sessions": [{"opened": s.created_at.isoformat(), "ends": s.expires_at.isoformat(),
                      "last_seen": s.last_seen_at.isoformat(), "browser": s.user_agent,
                      "language": s.language} for s in sessions],
        "login_links": [{"given": link.created_at.isoformat(), "valid_until": link.expires_at.isoformat(),
                         "used": link.spent_at.isoformat() if link.spent_at else None} for link in links],
    }


async def _erase(session: AsyncSession, member: Member) -> None:
    """Links and sessions go with the member row (ON DELETE CASCADE): an erased coordinator is signed out."""


FEATURE = Feature(
    "board",
    member_data=(MemberData("campaign_board", _export, _erase,
                            covers=("board_link.member_id", "board_session.member_id",
                                    "board_session.user_agent", "board_session.flash")),),
)
