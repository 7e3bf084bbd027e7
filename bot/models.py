"""The schema: every row belongs to a workspace; alembic migrations mirror these classes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, MetaData, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from bot.db import UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with deterministic constraint names."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON()}


class Workspace(Base):
    """One Discord server (or Slack workspace, or console session) and its settings."""

    __tablename__ = "workspace"
    __table_args__ = (UniqueConstraint("platform", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200), default="")
    language: Mapped[str] = mapped_column(String(8), default="sv")
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Stockholm")
    announcement_channel_id: Mapped[str | None] = mapped_column(String(64))
    welcome_channel_id: Mapped[str | None] = mapped_column(String(64))
    coordinator_channel_id: Mapped[str | None] = mapped_column(String(64))
    member_role_id: Mapped[str | None] = mapped_column(String(64))
    coordinator_role_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Member(Base):
    """A person in a workspace: their profile exists only after they consented."""

    __tablename__ = "member"
    __table_args__ = (UniqueConstraint("workspace_id", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"), index=True)
    external_id: Mapped[str] = mapped_column(String(64))
    display_name: Mapped[str] = mapped_column(String(100), default="")
    language: Mapped[str | None] = mapped_column(String(8))
    joined_at: Mapped[datetime]
    consented_at: Mapped[datetime | None]
    onboarded_at: Mapped[datetime | None]
    # Whether the member wants reminders by DM, and whether Discord lets us reach them there.
    dm_reminders: Mapped[bool] = mapped_column(Boolean, default=False)
    dm_open: Mapped[bool] = mapped_column(Boolean, default=True)
    company: Mapped[str | None] = mapped_column(String(100))
    industry: Mapped[str | None] = mapped_column(String(32))
    company_size: Mapped[str | None] = mapped_column(String(16))
    municipality: Mapped[str | None] = mapped_column(String(32))
    x_handle: Mapped[str | None] = mapped_column(String(16))
    linkedin_url: Mapped[str | None] = mapped_column(String(300))
    blog_url: Mapped[str | None] = mapped_column(String(300))
    experience: Mapped[str | None] = mapped_column(String(16))
    goal: Mapped[str | None] = mapped_column(String(300))

    workspace: Mapped[Workspace] = relationship(lazy="joined")


class AuditLog(Base):
    """Who changed what, for coordinator changes and data deletions."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"), index=True)
    actor_member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime]


class Reminder(Base):
    """Something that falls due at a time; the dispatcher fans it out into deliveries."""

    __tablename__ = "reminder"
    __table_args__ = (
        UniqueConstraint("workspace_id", "key"),
        Index("ix_reminder_status_due_at", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(64))
    # A stable key (e.g. "onboarding.nudge:member:42") so that planning the same reminder twice adds nothing.
    key: Mapped[str] = mapped_column(String(200))
    due_at: Mapped[datetime]
    # How late the reminder may still go out; past that it is skipped rather than sent stale.
    grace_seconds: Mapped[int | None] = mapped_column(Integer)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    created_at: Mapped[datetime]
    fired_at: Mapped[datetime | None]


class Delivery(Base):
    """One message of a reminder to one recipient; sent at most once, resumed after a restart."""

    __tablename__ = "delivery"
    __table_args__ = (
        UniqueConstraint("key"),
        Index("ix_delivery_status_not_before", "status", "not_before"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"), index=True)
    reminder_id: Mapped[int] = mapped_column(ForeignKey("reminder.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str | None] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(250))
    # Discord drops a second message with the same nonce, which closes the gap between "sent" and "marked".
    nonce: Mapped[str] = mapped_column(String(25))
    message: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    not_before: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]


class CommandSync(Base):
    """The hash of the slash-command tree last synced to a scope (a guild id, or "global")."""

    __tablename__ = "command_sync"

    scope: Mapped[str] = mapped_column(String(32), primary_key=True)
    tree_hash: Mapped[str] = mapped_column(String(64))
    synced_at: Mapped[datetime]
