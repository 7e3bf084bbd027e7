"""What the bot could not deliver in a period, and why: for the coordinators' digest and /report.

A delivery that failed for good (status failed), and a DM that could not go out because the member's DMs are
closed (status unreachable: the member was mentioned in a channel instead, the "fallback"), are listed by kind
of message, the member or channel concerned and the reason. The reason is read from the stored error and told
as a catalog text (DMs closed, the bot may not write in a channel, its role stands too low, the platform did
not answer, ...): raw exception text never reaches a user. When the fallback failed too (the channel message
that was to name them), each member's DM is listed with why that message did not get through.

A delivery counts in the period of its last try (`not_before`: a failed one keeps the time of the try that
failed, an unreachable one the time it was due), so a message that failed after its retries counts when it
failed, and the query runs on the (status, not_before) index.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, Subquery, case, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import delivery, i18n
from bot.models import Delivery, Member, Reminder, Workspace
from bot.replies import (
    Channel,
    Field,
    Join,
    Literal,
    Mention,
    Renderable,
    Text,
    more_than_shown,
    text,
)
from bot.services import workspaces

FAILED = delivery.FAILED
FALLBACK = delivery.UNREACHABLE
SHOWN = 10

# The reasons, from the stored error (checked in this order). Discord writes "403 Forbidden (error code:
# 50001): Missing Access"; Slack's errors carry their code ("not_in_channel").
DM_CLOSED = "dm_closed"
NO_ACCESS = "no_access"
CHANNEL_GONE = "channel_gone"
ROLE = "role"
MEMBER_GONE = "member_gone"
UNAVAILABLE = "unavailable"
NOT_POSTED = "not_posted"
OTHER = "other"
# A DM that could not go out, whose fallback failed as well: the member was reached neither way.
UNMENTIONED = "unmentioned"
_UNAVAILABLE = re.compile(
    r"^[\w.]+: 5\d\d\b|timeout|timed out|ServerDisconnected|ClientConnector|ClientOSError|ConnectionError|"
    r"ConnectionReset|ServiceUnavailable|internal_error|fatal_error|service_unavailable|request_timeout",
    re.IGNORECASE)
_MEMBER_GONE = re.compile(r"\b10007\b|\b10013\b|Unknown (?:Member|User)|user_not_found|users_not_found|"
                          r"user_disabled|account_inactive")
_CHANNEL_GONE = re.compile(r"\b10003\b|Unknown Channel|channel_not_found|is_archived")
_FORBIDDEN = re.compile(r"\b403\b|Forbidden|\b5000[17]\b|\b50013\b|Missing (?:Access|Permissions)|"
                        r"not_in_channel|restricted_action|missing_scope|not_allowed_token_type|no_permission")

# Kinds of message that no reminder kind names: the notices the delivery itself sends, and a command's
# effects.
ROLE_NOTICE = "role_notice"
SKIPPED = "skipped"
EFFECT_POST = "effect.post"
EFFECT_DM = "effect.dm"
ROLE_GRANT = "role"
# The coordinators' notice that a fallback failed (the fallbacks themselves are listed by their DMs).
UNREACHED = "unreached"


@dataclass(frozen=True)
class _Shape:
    """What a failed delivery was and why it failed, as plain values (for grouping)."""

    kind: str
    member: tuple[str, str] | None  # (display name, platform id)
    channel: str
    status: str
    reason: str


@dataclass(frozen=True)
class Failure:
    """Deliveries of one kind of message to one member or channel that failed (or fell back) for one
    reason."""

    kind: Renderable
    target: Renderable
    status: str  # FAILED, UNMENTIONED (neither DM nor fallback got through) or FALLBACK
    channel: Renderable  # where a fallback mentioned the member (and the channel of a post)
    reason: Renderable
    count: int


@dataclass(frozen=True)
class FailedDelivery:
    """One failed (or fallen back) delivery, for the report's CSV file."""

    at: datetime
    kind: Renderable
    target: Renderable
    status: Renderable
    reason: Renderable


def _rows(workspace_id: int, since: datetime, until: datetime) -> Select[Any]:
    """The failed and fallen-back deliveries of a period, one row each, with what classifies them."""
    kind = case((Delivery.key.startswith(f"{delivery.ROLE_REFUSED}:", autoescape=True), literal(ROLE_NOTICE)),
                (Delivery.key.endswith(delivery.SKIPPED_SUFFIX, autoescape=True), literal(SKIPPED)),
                (Delivery.key.startswith(delivery.UNREACHED_PREFIX, autoescape=True), literal(UNREACHED)),
                else_=Reminder.kind)
    return (select(kind.label("kind"), Delivery.message["grant_role"].as_string().label("role"),
                   Delivery.member_id.label("member_id"), Delivery.channel.label("channel"),
                   Delivery.status.label("status"), Delivery.last_error.label("error"),
                   Delivery.not_before.label("at"), Delivery.id.label("id"))
            .outerjoin(Reminder, Reminder.id == Delivery.reminder_id)
            .where(Delivery.workspace_id == workspace_id, Delivery.status.in_((FAILED, FALLBACK)),
                   Delivery.not_before >= since, Delivery.not_before < until,
                   # A failed fallback is told by the DMs it was to stand in for, member by member.
                   ~Delivery.key.contains(delivery.FALLBACK_MARK, autoescape=True)))


def _reason(status: str, error: str | None, *, dm: bool, role: bool) -> str:
    """Read why a delivery failed from its stored error."""
    if status == FALLBACK:
        return DM_CLOSED
    error = error or ""
    if error.startswith("RoleNotGranted"):
        return ROLE
    if error.startswith(delivery.NOT_POSTED):
        return NOT_POSTED
    if _UNAVAILABLE.search(error):
        return UNAVAILABLE
    if _MEMBER_GONE.search(error) and (dm or role):
        return MEMBER_GONE
    if _CHANNEL_GONE.search(error) and not dm and not role:
        return CHANNEL_GONE
    if _FORBIDDEN.search(error):
        return ROLE if role else DM_CLOSED if dm else NO_ACCESS
    return OTHER


def _shape(
    kind: str | None,
    role: str | None,
    member: tuple[str, str] | None,
    channel: str | None,
    status: str,
    error: str | None,
) -> _Shape:
    if kind is None:  # an effect of a command
        kind = f"{ROLE_GRANT}.{role}" if role else EFFECT_DM if member is not None else EFFECT_POST
    dm = member is not None and not role
    channel = channel or str(Channel.ANNOUNCEMENTS)
    if status == FALLBACK and error is not None and error.startswith(delivery.FALLBACK_FAILED):
        # Why the channel message that was to name the member did not get through.
        post_error = error.removeprefix(delivery.FALLBACK_FAILED).removeprefix(":").strip()
        return _Shape(kind, member, channel, UNMENTIONED, _reason(FAILED, post_error, dm=False, role=False))
    return _Shape(kind, member, channel, status, _reason(status, error, dm=dm, role=bool(role)))


def _kind_text(kind: str) -> Renderable:
    """A kind of message by its name here, else by the name the reminders give it, else as a reminder of a
    kind."""
    for key in (f"failures.kind.{kind}", f"reminders.kind.{kind}"):
        if i18n.has(key):
            return text(key)
    return text("failures.kind.other", kind=Literal(kind))


def _channel_name(channel: str) -> Renderable:
    """A channel by its purpose ("the welcome channel"), for files and for channels that are gone."""
    key = f"failures.channel.{channel}"
    return text(key) if i18n.has(key) else Literal(channel)


def _channel(workspace: Workspace, channel: str) -> Renderable:
    """A channel as a mention when /setup chose it, else by its purpose."""
    try:
        chosen = workspaces.channel_id(workspace, Channel(channel))
    except (KeyError, ValueError):
        chosen = None
    return Mention("channel", chosen) if chosen else _channel_name(channel)


def _platform(workspace: Workspace) -> Literal:
    return Literal("Slack" if workspace.platform == "slack" else "Discord")


def _reason_text(shape: _Shape, workspace: Workspace, channel: Renderable) -> Text:
    if shape.reason == NO_ACCESS:
        return text("failures.reason.no_access", channel=channel)
    if shape.reason == CHANNEL_GONE:
        return text("failures.reason.channel_gone", channel=_channel_name(shape.channel))
    if shape.reason == NOT_POSTED:
        return text("failures.reason.not_posted", channel=channel)
    if shape.reason == UNAVAILABLE:
        return text("failures.reason.unavailable", platform=_platform(workspace))
    return text(f"failures.reason.{shape.reason}")


def _target(shape: _Shape, channel: Renderable) -> Renderable:
    if shape.member is None:
        return channel
    name, external_id = shape.member
    return Literal(name) if name else Mention("user", external_id)


def post_failed(workspace: Workspace, channel: str, error: str | None) -> tuple[Renderable, Text]:
    """Where a channel post went and why it did not get through, as catalog texts (for the coordinators'
    notice that a fallback failed)."""
    shape = _shape(UNREACHED, None, None, channel, FAILED, error)
    where = _channel(workspace, shape.channel)
    return where, _reason_text(shape, workspace, where)


def _shape_query(rows: Subquery, *more: Any) -> Select[Any]:
    """The columns a failure's shape is read from (its delivery row's, and the member's name), then `more`."""
    return select(rows.c.kind, rows.c.role, rows.c.member_id, Member.display_name, Member.external_id,
                  rows.c.channel, rows.c.status, rows.c.error, *more).outerjoin(
        Member, Member.id == rows.c.member_id)


def _member(member_id: int | None, name: str | None, external_id: str | None) -> tuple[str, str] | None:
    """The member a failure was for, as a shape holds them (None for a channel post)."""
    return (name or "", external_id or "") if member_id is not None else None


async def summary(session: AsyncSession, workspace: Workspace, since: datetime, until: datetime
                  ) -> list[Failure]:
    """The period's failed and fallen-back deliveries, grouped: the failed first, then the most frequent."""
    rows = _rows(workspace.id, since, until).subquery()
    query = _shape_query(rows, func.count())
    grouped = (await session.execute(query.group_by(*query.selected_columns[:-1]))).all()
    # Errors that differ in their details come to the same reason: merge them.
    counts: dict[_Shape, int] = defaultdict(int)
    for kind, role, member_id, name, external_id, channel, status, error, count in grouped:
        counts[_shape(kind, role, _member(member_id, name, external_id), channel, status, error)] += count
    order = sorted(
        counts.items(),
        key=lambda item: (
            item[0].status == FALLBACK,
            -item[1],
            item[0].kind,
            item[0].member or ("", ""),
            item[0].channel,
            item[0].reason,
        ),
    )
    found = []
    for shape, count in order:
        channel = _channel(workspace, shape.channel)
        found.append(Failure(_kind_text(shape.kind), _target(shape, channel), shape.status, channel,
                             _reason_text(shape, workspace, channel), count))
    return found


async def listed(session: AsyncSession, workspace: Workspace, since: datetime, until: datetime
                 ) -> list[FailedDelivery]:
    """The period's failed and fallen-back deliveries one by one, oldest first (channels named by purpose)."""
    rows = _rows(workspace.id, since, until).subquery()
    found = (await session.execute(_shape_query(rows, rows.c.at).order_by(rows.c.at, rows.c.id))).all()
    listed_ = []
    for kind, role, member_id, name, external_id, channel, status, error, at in found:
        shape = _shape(kind, role, _member(member_id, name, external_id), channel, status, error)
        where = _channel_name(shape.channel)
        listed_.append(FailedDelivery(
            at, _kind_text(shape.kind), _target(shape, where),
            _status_text(shape.status, where),
            _reason_text(shape, workspace, where)))
    return listed_


def _status_text(status: str, channel: Renderable) -> Text:
    if status == FAILED:
        return text("failures.status.failed")
    if status == UNMENTIONED:
        return text("failures.status.unmentioned", channel=channel)
    return text("failures.status.fallback", channel=channel)


def line(failure: Failure) -> Text:
    """One group as a line: "Countdown to Anna: DMs closed, mentioned in #x instead (3 times)"."""
    times = text("failures.times", count=failure.count) if failure.count > 1 else ""
    if failure.status == FAILED:
        return text("failures.line.failed", kind=failure.kind, target=failure.target, reason=failure.reason,
                    times=times)
    if failure.status == UNMENTIONED:
        return text(
            "failures.line.unmentioned",
            kind=failure.kind,
            target=failure.target,
            reason=failure.reason,
            channel=failure.channel,
            times=times,
        )
    return text("failures.line.fallback", kind=failure.kind, target=failure.target, reason=failure.reason,
                channel=failure.channel, times=times)


def field(failures: Sequence[Failure], shown: int = SHOWN) -> Field:
    """The "Could not be delivered" section: the groups, at most `shown` lines and "… and N more"."""
    if not failures:
        return Field(text("failures.title", count=0), text("failures.none"))
    lines = [line(f) for f in failures[:shown]]
    more = more_than_shown("digest.more", len(failures), shown)
    if isinstance(more, Text):
        lines.append(more)
    return Field(
        text("failures.title", count=sum(f.count for f in failures)), Join(tuple(lines), separator="\n")
    )
