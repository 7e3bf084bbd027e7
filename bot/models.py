"""The schema: every row belongs to a workspace; alembic migrations mirror these classes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
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
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime(), dict[str, Any]: JSON()}
    # Every model here maps a plain Table (DeclarativeBase types __table__ as the wider FromClause), so
    # insert()/update()/delete() accept it; the annotation SQLAlchemy's maintainers suggest (sqlalchemy#9130).
    __table__: ClassVar[Table]


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
    # Where members' stories are posted (a forum channel gets one thread per story); unset: the announcements.
    stories_channel_id: Mapped[str | None] = mapped_column(String(64))
    member_role_id: Mapped[str | None] = mapped_column(String(64))
    coordinator_role_id: Mapped[str | None] = mapped_column(String(64))
    # Slack: a post that pings the member role pings @here instead while no user group is set as that role
    # (free plans have none). Off until the coordinators turn it on: @here is loud.
    ping_here: Mapped[bool] = mapped_column(Boolean, default=False)
    # The address of the group's public stories page (bot.web.board): None until a coordinator publishes it.
    public_slug: Mapped[str | None] = mapped_column(String(40), unique=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Member(Base):
    """A person in a workspace: their name and profile exist only after they consented."""

    __tablename__ = "member"
    __table_args__ = (
        UniqueConstraint("workspace_id", "external_id"),
        # /members pages in this order.
        Index("ix_member_workspace_id_display_name", "workspace_id", "display_name", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"), index=True)
    external_id: Mapped[str] = mapped_column(String(64))
    display_name: Mapped[str] = mapped_column(String(100), default="")
    language: Mapped[str | None] = mapped_column(String(8))
    joined_at: Mapped[datetime]
    consented_at: Mapped[datetime | None]
    onboarded_at: Mapped[datetime | None]
    # Before consent the row holds only what the welcome and answering need (no name): when the member
    # declined consent in the form (the bot then sends them nothing unasked), and when they last used the bot
    # (to the day), from which a row without consent is purged (bot.services.retention). Both go at consent.
    consent_declined_at: Mapped[datetime | None]
    last_seen_at: Mapped[datetime | None]
    # Whether the member wants reminders by DM, and whether Discord lets us reach them there.
    dm_reminders: Mapped[bool] = mapped_column(Boolean, default=False)
    dm_open: Mapped[bool] = mapped_column(Boolean, default=True)
    # The platform's DM channel with the member, once opened: a restart must not open every one again.
    dm_channel_id: Mapped[str | None] = mapped_column(String(64))
    # When a DM to the member was last refused (dm_open turned False): they are tried again some days later.
    dm_closed_at: Mapped[datetime | None]
    company: Mapped[str | None] = mapped_column(String(100))
    industry: Mapped[str | None] = mapped_column(String(32))
    company_size: Mapped[str | None] = mapped_column(String(16))
    municipality: Mapped[str | None] = mapped_column(String(32))
    x_handle: Mapped[str | None] = mapped_column(String(16))
    linkedin_url: Mapped[str | None] = mapped_column(String(300))
    blog_url: Mapped[str | None] = mapped_column(String(300))
    experience: Mapped[str | None] = mapped_column(String(16))
    goal: Mapped[str | None] = mapped_column(String(300))
    # What the business offers and one or two facts the owner is proud of, in their own words: every draft
    # names them, so that it speaks of this business and not of a trade.
    offer: Mapped[str | None] = mapped_column(String(100))
    facts: Mapped[str | None] = mapped_column(String(150))
    # The platforms the member uses (bot.services.profile_fields.PLATFORMS values); None: not said, and
    # drafts are offered for the default ones.
    platforms: Mapped[list[str] | None] = mapped_column(JSON)

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
    # The process (bot_process.id) fanning it out in batches (status FANNING): only a dead process's fan-out
    # is planned again by another (no foreign key: the claim outlives a dead process's registry row).
    claimed_by: Mapped[int | None] = mapped_column(Integer)


# The deliveries a dispatch run still has to act on beyond sending (bot.delivery's statuses): a refused DM
# whose channel fallback is not stored yet, and a failed one (a fallback whose failure the coordinators are
# not told of yet is among them).
UNTOLD = "sent_at IS NULL AND status IN ('unreachable', 'failed')"


class Delivery(Base):
    """One message of a reminder to one recipient; sent at most once, resumed after a restart."""

    __tablename__ = "delivery"
    __table_args__ = (
        UniqueConstraint("key"),
        Index("ix_delivery_status_not_before", "status", "not_before"),
        # Every dispatch run looks for refused DMs that no channel fallback covers yet, and for fallbacks that
        # failed without the coordinators being told (bot.delivery): only those rows, and the few failed ones.
        Index("ix_delivery_untold", "status", sqlite_where=text(UNTOLD), postgresql_where=text(UNTOLD)),
        # /report counts a period's failed deliveries, and the daily retention finds the old settled ones.
        Index("ix_delivery_workspace_id_status_created_at", "workspace_id", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"), index=True)
    # None for an effect of a reply (a post, DM or role grant a command asked for), which no reminder planned.
    reminder_id: Mapped[int | None] = mapped_column(ForeignKey("reminder.id", ondelete="CASCADE"), index=True)
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
    # When it went out. A DM whose member could not be reached: when its channel fallback was stored (None:
    # not yet). A fallback that failed: when the coordinators' notice about it was stored.
    sent_at: Mapped[datetime | None]
    # The process (bot_process.id) that claimed it (status claimed or sending): only a dead process's claims
    # are given back (no foreign key: the claim outlives a dead process's registry row).
    claimed_by: Mapped[int | None] = mapped_column(Integer)


class BotProcess(Base):
    """A running bot process: it heartbeats while it runs, and deletes its row at a clean stop.

    A process whose heartbeat is too old is dead: the others give back what it claimed (bot.processes).
    """

    __tablename__ = "bot_process"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The platforms it serves, comma-separated and sorted ("discord,slack"): the pacer's budget is shared by
    # the live processes of a platform.
    platforms: Mapped[str] = mapped_column(String(64))
    # The Discord shards it runs, comma-separated ids (None: not sharded, or not Discord).
    shards: Mapped[str | None] = mapped_column(String(200))
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime]
    heartbeat_at: Mapped[datetime]


class BoardLink(Base):
    """A one-time login link to the campaign board, given to a coordinator; only its token's hash is kept."""

    __tablename__ = "board_link"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    spent_at: Mapped[datetime | None]


class BoardSession(Base):
    """A coordinator's session on the campaign board, opened by spending a link; only its token's hash is
    kept, with the token that every write on the board must carry (against cross-site request forgery)."""

    __tablename__ = "board_session"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    # The language the board speaks to them (the switch on every page); starts as theirs in the bot.
    language: Mapped[str] = mapped_column(String(8))
    # What the last change made on the board answered, shown once on the page it leads to.
    flash: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # A few words of the browser that opened it, so that a coordinator can tell their sessions apart.
    user_agent: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]


class SlackEvent(Base):
    """An event Slack delivered (by its key), so that one delivered again, to any process, is answered once;
    swept after an hour (Slack retries within minutes)."""

    __tablename__ = "slack_event"

    key: Mapped[str] = mapped_column(String(250), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(index=True)


class SlackForm(Base):
    """A form offered to a Slack user by a button (a message gives no trigger to open a modal with), kept
    until the button opens it, on whichever process the press reaches; swept after a day."""

    __tablename__ = "slack_form"

    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    form_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    # The form as bot.replies.form_to_json writes it: its prefilled values are the user's own words.
    form: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(index=True)


class CommandSync(Base):
    """The hash of the slash-command tree last synced to a scope (a guild id, or "global")."""

    __tablename__ = "command_sync"

    scope: Mapped[str] = mapped_column(String(32), primary_key=True)
    tree_hash: Mapped[str] = mapped_column(String(64))
    synced_at: Mapped[datetime]


class CoachingConfig(Base):
    """A workspace's coaching settings: the campaign's #hashtag and when the weekly nudge goes out."""

    __tablename__ = "coaching_config"

    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspace.id", ondelete="CASCADE"), primary_key=True
    )
    hashtag: Mapped[str] = mapped_column(String(101))
    # ISO weekday (1 = Monday) and hour, in the workspace's time zone.
    nudge_weekday: Mapped[int] = mapped_column(Integer)
    nudge_hour: Mapped[int] = mapped_column(Integer)
    nudges_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class CoachingStep(Base):
    """One rung of a workspace's coaching ladder; the default rungs take their texts from the catalogs."""

    __tablename__ = "coaching_step"
    __table_args__ = (UniqueConstraint("workspace_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(32))
    # What the step asks for (tweet, follow, question, blog, media, story): it chooses the ready draft.
    kind: Mapped[str] = mapped_column(String(16))
    position: Mapped[int] = mapped_column(Integer)
    # A step taken off the ladder keeps the progress members made on it.
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # A coordinator's own texts; empty means the catalog's text in the reader's language.
    title: Mapped[str | None] = mapped_column(String(100))
    why: Mapped[str | None] = mapped_column(String(500))
    example: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class CoachingProgress(Base):
    """A step a member has done, with an optional link as evidence."""

    __tablename__ = "coaching_progress"
    __table_args__ = (UniqueConstraint("member_id", "step_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    step_id: Mapped[int] = mapped_column(ForeignKey("coaching_step.id", ondelete="CASCADE"), index=True)
    evidence_url: Mapped[str | None] = mapped_column(String(300))
    done_at: Mapped[datetime]


class CoachingMember(Base):
    """A member's coaching state: whether they paused the weekly nudges."""

    __tablename__ = "coaching_member"

    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"), index=True)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    paused_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Issue(Base):
    """A local political decision the group wants to influence: who decides, when, and what we want."""

    __tablename__ = "issue"
    __table_args__ = (Index("ix_issue_workspace_id_status", "workspace_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(100))
    summary: Mapped[str] = mapped_column(String(1000))
    municipality: Mapped[str] = mapped_column(String(32))
    # kommunfullmaktige, kommunstyrelsen, namnd or regionfullmaktige; a nämnd is named in `committee`.
    body: Mapped[str] = mapped_column(String(32))
    committee: Mapped[str | None] = mapped_column(String(100))
    decision_at: Mapped[datetime]
    # False when only the date is known; the time is then noon local time.
    decision_has_time: Mapped[bool] = mapped_column(Boolean, default=True)
    hashtag: Mapped[str] = mapped_column(String(101))
    source_url: Mapped[str | None] = mapped_column(String(300))
    position: Mapped[str] = mapped_column(String(1000))
    topics: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Days before the decision when followers are asked to put a question; None: the workspace's default.
    ask_days: Mapped[list[int] | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="open")
    outcome: Mapped[str | None] = mapped_column(String(16))
    outcome_note: Mapped[str | None] = mapped_column(String(300))
    # Grows with every material change: the alert's key and the calendar event's SEQUENCE.
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]


class IssueSettings(Base):
    """A workspace's defaults for issues: how many days before a decision followers are asked."""

    __tablename__ = "issue_settings"

    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspace.id", ondelete="CASCADE"), primary_key=True
    )
    ask_days: Mapped[list[int]] = mapped_column(JSON)
    updated_at: Mapped[datetime]


class Follow(Base):
    """What a member follows: a municipality, a topic, or one issue (its id as the value)."""

    __tablename__ = "follow"
    __table_args__ = (
        UniqueConstraint("member_id", "kind", "value"),
        Index("ix_follow_workspace_id_kind_value", "workspace_id", "kind", "value"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime]


class IssueHelper(Base):
    """A member who offered to help with an issue."""

    __tablename__ = "issue_helper"
    __table_args__ = (UniqueConstraint("issue_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"), index=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issue.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]


class Politician(Base):
    """A local politician: party, role, where they sit, how to reach them, and when the list was checked."""

    __tablename__ = "politician"
    __table_args__ = (UniqueConstraint("workspace_id", "name_key", "municipality"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    # The name folded (case and diacritics), so "Åsa Öberg" and "asa oberg" are the same person.
    name_key: Mapped[str] = mapped_column(String(100))
    party: Mapped[str] = mapped_column(String(40))
    role: Mapped[str | None] = mapped_column(String(100))
    municipality: Mapped[str] = mapped_column(String(32))
    # The bodies the politician sits in (kommunfullmaktige, kommunstyrelsen, namnd, regionfullmaktige): the
    # keys of `roles`, kept as a list so that filters and the map read them without the roles.
    bodies: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The politician's role in each body: body code -> ordforande, vice_ordforande, ledamot or ersattare
    # (civics.Role); a body without a known role is "ledamot". `role` above stays the title shown
    # ("kommunalråd").
    roles: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    committee: Mapped[str | None] = mapped_column(String(100))
    x_handle: Mapped[str | None] = mapped_column(String(16))
    email: Mapped[str | None] = mapped_column(String(200))
    # When a coordinator last checked the entry; None: never checked (not "today").
    checked_on: Mapped[date | None] = mapped_column(Date)
    # The day the politician left (the council import marks those gone): kept with their stances for history,
    # shown as left, no decider and never asked.
    left_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Stance(Base):
    """A politician's stance on an issue; rows are never changed but superseded, so the history is kept.

    A coordinator's stance is confirmed at once; a member's report waits as reported until confirmed or
    rejected.
    """

    __tablename__ = "stance"
    __table_args__ = (Index("ix_stance_issue_id_politician_id", "issue_id", "politician_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"), index=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issue.id", ondelete="CASCADE"))
    politician_id: Mapped[int] = mapped_column(ForeignKey("politician.id", ondelete="CASCADE"), index=True)
    stance: Mapped[str] = mapped_column(String(16))
    source_url: Mapped[str | None] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(16))
    reported_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"))
    decided_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]


class Ask(Base):
    """Which politician a member was asked to question about an issue, in which round, and how it went."""

    __tablename__ = "ask"
    __table_args__ = (UniqueConstraint("issue_id", "member_id", "round"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"), index=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issue.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), index=True)
    politician_id: Mapped[int | None] = mapped_column(
        ForeignKey("politician.id", ondelete="SET NULL"), index=True
    )
    # Days before the decision (21, 14, …); 0 for a question the member asked for with /issue ask.
    round: Mapped[int] = mapped_column(Integer)
    assigned_at: Mapped[datetime]
    asked_at: Mapped[datetime | None]
    # How the member asked: x, email, phone, letter, meeting or fika; only a question on X needs a link.
    channel: Mapped[str] = mapped_column(String(16), default="x")
    asked_url: Mapped[str | None] = mapped_column(String(300))
    # The member's note of the contact (what they asked, where), in their words.
    note: Mapped[str | None] = mapped_column(String(500))
    answer: Mapped[str | None] = mapped_column(String(16))
    # What the politician answered, in words, as the member reported it.
    answer_note: Mapped[str | None] = mapped_column(String(500))
    answered_at: Mapped[datetime | None]


class Relationship(Base):
    """A member who knows a politician or has met them, in their own words, and whether the coordinators may
    see it (only when the member said yes): the right messenger can then ask."""

    __tablename__ = "relationship"
    __table_args__ = (
        UniqueConstraint("member_id", "politician_id"),
        # The coordinators' view per politician, and the map's marks, read the shared ones by politician.
        Index("ix_relationship_politician_id_shared", "politician_id", "shared"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    politician_id: Mapped[int] = mapped_column(ForeignKey("politician.id", ondelete="CASCADE"))
    # know (from the association, business, the neighbourhood) or met (has met them)
    kind: Mapped[str] = mapped_column(String(16))
    # How they know each other, in the member's words ("grannar", "samma förening").
    how: Mapped[str | None] = mapped_column(String(100))
    last_met_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(String(300))
    # The member's consent to show it to the coordinators (only to them); False until they say yes.
    shared: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class MediaContact(Base):
    """A local newspaper, radio station or journalist, by municipality, with their X handle."""

    __tablename__ = "media_contact"
    __table_args__ = (UniqueConstraint("workspace_id", "name_key", "municipality"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    name_key: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))
    outlet: Mapped[str | None] = mapped_column(String(100))
    municipality: Mapped[str] = mapped_column(String(32))
    x_handle: Mapped[str | None] = mapped_column(String(16))
    email: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class CouncilSeat(Base):
    """How many seats a party holds in a deciding body, for the projected vote."""

    __tablename__ = "council_seat"
    # Named by hand: the generated name would pass PostgreSQL's 63 characters.
    __table_args__ = (UniqueConstraint("workspace_id", "municipality", "body", "committee_key", "party_key",
                                       name="uq_council_seat_scope_party"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    # "region" for regionfullmäktige, whose seats do not belong to one municipality.
    municipality: Mapped[str] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(String(32))
    committee_key: Mapped[str] = mapped_column(String(100), default="")
    party: Mapped[str] = mapped_column(String(40))
    party_key: Mapped[str] = mapped_column(String(40))
    seats: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime]


class CouncilImport(Base):
    """A council file read but not yet confirmed (bot.services.council_import): one per workspace, for an
    hour; a button cannot carry the rows, so they wait here."""

    __tablename__ = "council_import"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"), unique=True)
    # The coordinator who read the file in.
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    # What the preview's buttons carry (a replaced row's id may be given again).
    token: Mapped[str] = mapped_column(String(32))
    filename: Mapped[str] = mapped_column(String(200))
    # The file's rows of the group's councils (council_import.Listed.as_json).
    rows: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    created_at: Mapped[datetime]


class LiveMessage(Base):
    """A message kept up to date in a channel: posted once, then edited in place; its id survives restarts."""

    __tablename__ = "live_message"
    __table_args__ = (UniqueConstraint("workspace_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    # Whose message it is, e.g. "countdown:12" for the countdown of issue 12.
    key: Mapped[str] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(String(32))
    # The platform's message id; None until the first post went through.
    message_id: Mapped[str | None] = mapped_column(String(64))
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class CountdownSettings(Base):
    """A workspace's default countdown: how many days before a decision the stages fall (0 = the morning
    of)."""

    __tablename__ = "countdown_settings"

    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspace.id", ondelete="CASCADE"), primary_key=True
    )
    days: Mapped[list[int]] = mapped_column(JSON)
    updated_at: Mapped[datetime]


class Countdown(Base):
    """An issue's countdown to its decision: its own stages, and who voted our way once it is decided."""

    __tablename__ = "countdown"
    __table_args__ = (UniqueConstraint("issue_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"), index=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issue.id", ondelete="CASCADE"))
    # Days before the decision of each stage; None: the workspace's default.
    days: Mapped[list[int] | None] = mapped_column(JSON)
    # How many times the live message was asked to refresh at once: the key of the next such refresh.
    refreshes: Mapped[int] = mapped_column(Integer, default=0)
    # The politicians (ids) who voted our way, recorded with the outcome.
    voted_for: Mapped[list[int]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Pledge(Base):
    """A member's promise to act before a decision (tweet, contact a politician, attend), and whether they
    did."""

    __tablename__ = "pledge"
    __table_args__ = (
        UniqueConstraint("issue_id", "member_id", "kind", "stage"),
        Index("ix_pledge_issue_id_status", "issue_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"), index=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issue.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), index=True)
    # tweet, contact or attend
    kind: Mapped[str] = mapped_column(String(16))
    # The countdown stage it was made in ("d14", "d7", …, "d0" the morning of the vote).
    stage: Mapped[str] = mapped_column(String(16))
    # made, kept or not_kept
    status: Mapped[str] = mapped_column(String(16), default="made")
    created_at: Mapped[datetime]
    followed_up_at: Mapped[datetime | None]
    kept_at: Mapped[datetime | None]
    # The action that kept it, however it was logged (/did, a button, a reported contact), so that the reply
    # to that action can say so.
    kept_by_action_id: Mapped[int | None] = mapped_column(ForeignKey("action.id", ondelete="SET NULL"))


class Action(Base):
    """Something a member did for the cause (a tweet, a question to a politician, a meeting), or tried to
    do."""

    __tablename__ = "action"
    __table_args__ = (
        # A period's actions counted from this index alone: per member (the leaderboard's recount), by kind
        # and status (the digest, /report).
        Index("ix_action_workspace_id_created_at_member_id",
              "workspace_id", "created_at", "member_id", "kind", "status"),
        # One member's actions (/stats, /did's count of the week), in time.
        Index("ix_action_member_id_created_at", "member_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"))
    # tweet, ask, blog, media, meet or meeting
    kind: Mapped[str] = mapped_column(String(16))
    # done, or attempted (a politician who did not answer): an attempt is followed up with a retry reminder.
    status: Mapped[str] = mapped_column(String(16))
    issue_id: Mapped[int | None] = mapped_column(ForeignKey("issue.id", ondelete="SET NULL"), index=True)
    # Whom it was about and how (x, email, phone, letter, meeting or fika); None when not known.
    politician_id: Mapped[int | None] = mapped_column(
        ForeignKey("politician.id", ondelete="SET NULL"), index=True
    )
    channel: Mapped[str | None] = mapped_column(String(16))
    link: Mapped[str | None] = mapped_column(String(300))
    # The member's note of a contact (what was said at a fika), in their words.
    note: Mapped[str | None] = mapped_column(String(500))
    # Where it was logged ("did", or one prompt such as "asks:12", which is logged once and then updated).
    source: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ActivityMember(Base):
    """A member's choices about their activity: whether they take part in the leaderboard (off by default)."""

    __tablename__ = "activity_member"

    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"), index=True)
    leaderboard: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ActivityStreak(Base):
    """A member's latest run of active weeks: the first and the last week of it, kept where activity is
    written.

    A week is numbered as the days to its Monday (in the workspace's zone) from 0001-01-01, divided by 7, so
    that weeks in a row have numbers in a row. A member with no activity has no row.
    """

    __tablename__ = "activity_streak"
    __table_args__ = (Index("ix_activity_streak_workspace_id_last_week", "workspace_id", "last_week"),)

    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    first_week: Mapped[int] = mapped_column(Integer)
    last_week: Mapped[int] = mapped_column(Integer)


class ActivityScore(Base):
    """A member's points on the leaderboard in one week or month (in the workspace's zone), kept where actions
    and stories are written, so that the board reads its top rows from an index.

    A week is numbered as ActivityStreak's; a month as year * 12 + month - 1. `shown` says whether the member
    takes part in the leaderboard (and has onboarded), as ActivityMember says, so the board needs no join to
    rank.
    """

    __tablename__ = "activity_score"
    __table_args__ = (Index("ix_activity_score_board", "workspace_id", "period", "start", "shown", "points"),)

    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), primary_key=True)
    # week or month
    period: Mapped[str] = mapped_column(String(8), primary_key=True)
    start: Mapped[int] = mapped_column(Integer, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    actions: Mapped[int] = mapped_column(Integer)
    stories: Mapped[int] = mapped_column(Integer)
    points: Mapped[int] = mapped_column(Integer)
    shown: Mapped[bool] = mapped_column(Boolean)


class Story(Base):
    """A member's story of what social media brought their business, and who may see it."""

    __tablename__ = "story"
    __table_args__ = (Index("ix_story_workspace_id_created_at", "workspace_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    # A member's stories are their data: they go with the member.
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(100))
    # What they did: tweet, blog, meeting, media or other.
    kind: Mapped[str] = mapped_column(String(16))
    # What it brought their business: customers, inquiries, partners, press, hires.
    value: Mapped[str] = mapped_column(String(1000))
    link: Mapped[str | None] = mapped_column(String(300))
    # group (the group only) or public (also the federation's public material).
    visibility: Mapped[str] = mapped_column(String(16))
    # How public material names the member: company (name and company), name, or anonymous.
    credit: Mapped[str] = mapped_column(String(16))
    featured_at: Mapped[datetime | None]
    # When a coordinator hid it from the public page and the public exports (wrong or sensitive); None: shown.
    hidden_at: Mapped[datetime | None]
    # The decision the story is about (its public page: what this decision means for businesses here).
    issue_id: Mapped[int | None] = mapped_column(ForeignKey("issue.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class StoryApplause(Base):
    """A member's 👏 on a story; one per member and story."""

    __tablename__ = "story_applause"
    __table_args__ = (UniqueConstraint("story_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"), index=True)
    story_id: Mapped[int] = mapped_column(ForeignKey("story.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]


class DigestConfig(Base):
    """A workspace's weekly digest: the weekday and hour (local time), and whether the whole group gets it."""

    __tablename__ = "digest_config"

    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspace.id", ondelete="CASCADE"), primary_key=True
    )
    # ISO weekday (1 = Monday) and hour, in the workspace's time zone.
    weekday: Mapped[int] = mapped_column(Integer)
    hour: Mapped[int] = mapped_column(Integer)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # Besides the coordinators' channel, also the announcement channel.
    to_announcements: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class Conversation(Base):
    """What the bot keeps of a member's conversation with it (bot.services.conversation), for CONTEXT_TTL
    after their last message: an offer waiting for their yes (with the link they sent), the coach's own last
    answer with buttons (what a "klart" may be about), their last questions and the coach's answers (for a
    follow-up), and the times of their messages (for the rate limits). A row older than that is ignored, and
    deleted by the workspace's expiry sweep."""

    __tablename__ = "conversation"
    # The expiry sweep finds a workspace's rows by age.
    __table_args__ = (Index("ix_conversation_workspace_id_updated_at", "workspace_id", "updated_at"),)

    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    # What "Ja" does: {"action": a button action some feature answers (or "post"), "arg": its arg, "link": …}.
    offer: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The coach's own last answer here that carried buttons a feature answers ("nästa" shows a step with its
    # "Klart" button): {"at": ISO time, "message": its title and those buttons, as bot.replies stores a
    # message}. A "klart" or "ja" after it is about it, as about a DM the bot sent.
    last_answer: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The recent questions and answers: [{"question": …, "answer": …}], at most a few, each cut short.
    turns: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # When the member's messages came (the last minute's), and when the model answered them (the last hour's):
    # ISO times only, never what they wrote.
    heard: Mapped[list[Any]] = mapped_column(JSON, default=list)
    model_asked: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # When they were told to slow down (once a minute at most; after it they get no answer until it passed).
    slowed_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]


class AgendaSource(Base):
    """Where the agenda watcher looks for a body's meetings and agenda items (bot.watcher): an RSS/Atom feed
    (the notice board), an iCal meeting calendar, or one agenda PDF. A coordinator adds it; nothing is fetched
    unless one exists. The polling state makes the requests conditional and backs off after failures."""

    __tablename__ = "agenda_source"
    __table_args__ = (
        UniqueConstraint("workspace_id", "url"),
        # The sources by when they are next polled, across workspaces (each poll itself is a reminder).
        Index("ix_agenda_source_next_poll_at", "next_poll_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    municipality: Mapped[str] = mapped_column(String(32))
    # A civics Body value; a nämnd is named in `committee`.
    body: Mapped[str] = mapped_column(String(32))
    committee: Mapped[str | None] = mapped_column(String(100))
    # feed (RSS/Atom), calendar (iCal) or pdf (one agenda PDF).
    kind: Mapped[str] = mapped_column(String(16))
    url: Mapped[str] = mapped_column(String(300))
    added_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    # The validators of the last 200 answer, sent back as If-None-Match / If-Modified-Since.
    etag: Mapped[str | None] = mapped_column(String(200))
    last_modified: Mapped[str | None] = mapped_column(String(64))
    next_poll_at: Mapped[datetime]
    last_polled_at: Mapped[datetime | None]
    last_ok_at: Mapped[datetime | None]
    # Consecutive failures (0 after a success): the backoff's exponent.
    failures: Mapped[int] = mapped_column(Integer, default=0)
    # Short and without secrets: "HTTP 404", "timeout", "no text layer".
    last_error: Mapped[str | None] = mapped_column(String(200))
    # When the coordinators were told the source keeps failing; cleared by a success, so they hear it once.
    failure_told_at: Mapped[datetime | None]


class AgendaMeeting(Base):
    """A meeting of a body, read from a source: a calendar's event or a notice board's entry."""

    __tablename__ = "agenda_meeting"
    __table_args__ = (
        UniqueConstraint("source_id", "uid"),
        # Finding the council meeting a committee's item is likely to reach.
        Index("ix_agenda_meeting_workspace_id_municipality_body", "workspace_id", "municipality", "body",
              "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    source_id: Mapped[int] = mapped_column(ForeignKey("agenda_source.id", ondelete="CASCADE"))
    municipality: Mapped[str] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(String(32))
    committee: Mapped[str | None] = mapped_column(String(100))
    starts_at: Mapped[datetime]
    # False for an all-day event or a notice naming only the date: starts_at is then noon local time.
    has_time: Mapped[bool] = mapped_column(Boolean, default=True)
    title: Mapped[str] = mapped_column(String(300))
    url: Mapped[str | None] = mapped_column(String(300))
    # The iCal UID or the feed entry's id.
    uid: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class AgendaItem(Base):
    """One item of a meeting's agenda (ärendelista), stored once per workspace by its fingerprint. The
    watcher stores it as new; the matcher (W2's bot.services.agenda) moves it on: proposed, dismissed,
    created (an issue was made from it) or ignored (nothing matched)."""

    __tablename__ = "agenda_item"
    __table_args__ = (
        UniqueConstraint("workspace_id", "fingerprint"),
        Index("ix_agenda_item_workspace_id_status", "workspace_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    # Kept when the source is removed: a proposal already posted still names its item.
    source_id: Mapped[int | None] = mapped_column(ForeignKey("agenda_source.id", ondelete="SET NULL"),
                                                  index=True)
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("agenda_meeting.id", ondelete="SET NULL"))
    municipality: Mapped[str] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(String(32))
    committee: Mapped[str | None] = mapped_column(String(100))
    meeting_at: Mapped[datetime | None]
    meeting_has_time: Mapped[bool] = mapped_column(Boolean, default=True)
    # The item as the agenda names it, diarienummer stripped: "Motion om parkering vid Stortorget".
    title: Mapped[str] = mapped_column(String(300))
    # As printed: "§ 12", "12", "Ärende 3".
    number: Mapped[str | None] = mapped_column(String(32))
    # The agenda PDF or the feed entry.
    link: Mapped[str | None] = mapped_column(String(300))
    # sha256 of the normalized title, body (and committee) and the meeting's date: a feed that repeats an
    # item, or a PDF fetched again, does not store it twice.
    fingerprint: Mapped[str] = mapped_column(String(64))
    # new, proposed, dismissed, created, ignored.
    status: Mapped[str] = mapped_column(String(16), default="new")
    status_at: Mapped[datetime | None]
    # The council meeting a committee's or the executive board's item is likely to reach (set by the matcher).
    council_meeting_id: Mapped[int | None] = mapped_column(
        ForeignKey("agenda_meeting.id", ondelete="SET NULL"))
    # The issue created from it.
    issue_id: Mapped[int | None] = mapped_column(ForeignKey("issue.id", ondelete="SET NULL"))
    first_seen_at: Mapped[datetime]


class AgendaSettings(Base):
    """A workspace's keywords for the agenda watcher: words of its own (a square, a municipal company) that
    make an agenda item worth proposing, beside the topics (bot.services.agenda)."""

    __tablename__ = "agenda_settings"

    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspace.id", ondelete="CASCADE"), primary_key=True
    )
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime]


class RapidResponse(Base):
    """A rapid response: a link the coordinators want answered or shared, with a short ask and a deadline,
    sent to the followers of an issue or of a municipality."""

    __tablename__ = "rapid_response"
    __table_args__ = (Index("ix_rapid_response_workspace_id_status", "workspace_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    # The issue whose followers are alerted; None: the followers of the municipality.
    issue_id: Mapped[int | None] = mapped_column(ForeignKey("issue.id", ondelete="SET NULL"), index=True)
    municipality: Mapped[str | None] = mapped_column(String(32))
    link: Mapped[str] = mapped_column(String(300))
    ask: Mapped[str] = mapped_column(String(300))
    # Sent at once even in quiet hours (but to members who opted out of urgent alerts).
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    # open or closed
    status: Mapped[str] = mapped_column(String(16), default="open")
    deadline_at: Mapped[datetime]
    created_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("member.id", ondelete="SET NULL"))
    # How many members the alert went to (counted when it went out), for the tally.
    alerted: Mapped[int] = mapped_column(Integer, default=0)
    # How many times the live tally was asked to refresh: the key of the next refresh.
    refreshes: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]


class RapidAnswer(Base):
    """A member's "I replied/shared" to a rapid response (once per member), with the link when they gave
    one."""

    __tablename__ = "rapid_answer"
    __table_args__ = (UniqueConstraint("rapid_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"), index=True)
    rapid_id: Mapped[int] = mapped_column(ForeignKey("rapid_response.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), index=True)
    link: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime]


class RapidMember(Base):
    """A member's choice about rapid responses: whether an urgent one may reach them in quiet hours (no row:
    it may)."""

    __tablename__ = "rapid_member"

    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"), index=True)
    urgent: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime]


class PeerSettings(Base):
    """A workspace's peer pairing (bot.services.pairing): whether rounds go out, how often, on which weekday
    and at which hour (local time)."""

    __tablename__ = "peer_settings"

    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspace.id", ondelete="CASCADE"), primary_key=True
    )
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    # monthly, every_2_weeks, every_3_weeks, every_4_weeks (bot.services.pairing.Rhythm).
    rhythm: Mapped[str] = mapped_column(String(16))
    # ISO weekday (1 = Monday) and hour, in the workspace's time zone.
    weekday: Mapped[int] = mapped_column(Integer)
    hour: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class PeerMember(Base):
    """A member who opted in to the peer pairing, and whether they want to learn or to teach."""

    __tablename__ = "peer_member"

    member_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"), index=True)
    # learn or teach (bot.services.pairing.PeerRole).
    role: Mapped[str] = mapped_column(String(8))
    joined_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class PeerRound(Base):
    """One round of the peer pairing: made once per due reminder (its key), so a restart makes no second."""

    __tablename__ = "peer_round"
    __table_args__ = (UniqueConstraint("workspace_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"))
    # The key of the reminder that made it.
    key: Mapped[str] = mapped_column(String(200))
    started_at: Mapped[datetime]
    # When both members of each pair are asked whether they met.
    checkin_at: Mapped[datetime]


class PeerPair(Base):
    """A learner and a teacher paired in a round, and what each answered to the check-in (yes, not_yet,
    no)."""

    __tablename__ = "peer_pair"
    __table_args__ = (UniqueConstraint("round_id", "learner_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspace.id", ondelete="CASCADE"), index=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("peer_round.id", ondelete="CASCADE"))
    learner_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), index=True)
    teacher_id: Mapped[int] = mapped_column(ForeignKey("member.id", ondelete="CASCADE"), index=True)
    learner_answer: Mapped[str | None] = mapped_column(String(8))
    teacher_answer: Mapped[str | None] = mapped_column(String(8))
    answered_at: Mapped[datetime | None]
