"""Workspace settings: channels, roles, language and time zone, set by a coordinator with `/setup`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import delivery, validation
from bot.models import Member, Workspace
from bot.replies import Channel, Field, Join, Mention, Reply, Role, Text, text
from bot.services import activity, streaks
from bot.services.context import Actor, audit

CHANNEL_SETTINGS = {
    "announcements": "announcement_channel_id",
    "welcome": "welcome_channel_id",
    "coordinators": "coordinator_channel_id",
    "stories": "stories_channel_id",
}
# A channel that is not chosen falls back to another: stories go to the announcements until /setup names one.
CHANNEL_FALLBACKS = {Channel.STORIES: Channel.ANNOUNCEMENTS}
ROLE_SETTINGS = {"member_role": "member_role_id", "coordinator_role": "coordinator_role_id"}
# Slack: ping @here where a post pings the member role and no user group is set as it (free plans have none).
PING_HERE = "ping_here"
# The platforms on which PING_HERE does something (and /setup shows it).
PING_HERE_PLATFORMS = frozenset({"slack"})


def channel_id(workspace: Workspace, channel: Channel) -> str | None:
    """Return the platform id of one of the workspace's channels (or of its fall-back), if /setup chose it."""
    chosen = getattr(workspace, CHANNEL_SETTINGS[str(channel)])
    if not chosen and channel in CHANNEL_FALLBACKS:
        return channel_id(workspace, CHANNEL_FALLBACKS[channel])
    return chosen


def role_id(workspace: Workspace, role: Role) -> str | None:
    """Return the platform id of one of the workspace's roles, if /setup chose it."""
    return getattr(workspace, ROLE_SETTINGS[f"{role}_role"])


def mention_role_id(workspace: Workspace, reply: Reply) -> str | None:
    """The platform id of the role a reply pings, if it pings one and /setup chose it."""
    return role_id(workspace, reply.mention_role) if reply.mention_role is not None else None


def pings_here(workspace: Workspace, reply: Reply) -> bool:
    """Whether a reply that pings a role pings the channel (@here) instead: the role has no platform id (on
    Slack, no user group) and the coordinators turned PING_HERE on. Otherwise such a post pings nobody."""
    return (
        reply.mention_role is not None and not mention_role_id(workspace, reply) and bool(workspace.ping_here)
    )


async def of_user(session: AsyncSession, platform: str, user_external_id: str) -> list[str]:
    """Return the external ids of the platform's workspaces that know a user as a member, in id order.

    For an adapter that sees only some of its workspaces: a Discord process holding some of the shards gets a
    DM's button press of a member whose server is on another process's shard.
    """
    rows = await session.scalars(
        select(Workspace.external_id)
        .join(Member, Member.workspace_id == Workspace.id)
        .where(Workspace.platform == platform, Member.external_id == user_external_id)
        .order_by(Workspace.id)
    )
    return list(rows)


async def apply_defaults(workspace: Workspace, defaults: Mapping[str, str], now: datetime) -> None:
    """Fill in settings that are not set yet (the console's server comes set up this way)."""
    columns = {**CHANNEL_SETTINGS, **ROLE_SETTINGS}
    for name, value in defaults.items():
        if not getattr(workspace, columns[name]):
            setattr(workspace, columns[name], value)
            workspace.updated_at = now


@dataclass(frozen=True)
class Problem:
    """Something on the platform that keeps a setting from working, and how to fix it."""

    setting: str  # a /setup option ("announcements", "member_role", …) or "bot" for the bot's own permissions
    text: Text


@dataclass(frozen=True)
class SetupCheck:
    """What an adapter found when it checked the chosen channels and roles on its platform."""

    problems: tuple[Problem, ...] = ()
    # Platform-specific advice shown under the settings (e.g. how Discord lets a role see commands).
    advice: tuple[Field, ...] = ()


# An adapter's check: given the chosen settings (option name → platform id, only those chosen), what is wrong.
SetupChecker = Callable[[Mapping[str, str]], SetupCheck]


def chosen(workspace: Workspace) -> dict[str, str]:
    """Return the channels and roles /setup chose (no fall-backs), by option name."""
    columns = {**CHANNEL_SETTINGS, **ROLE_SETTINGS}
    return {name: value for name, column in columns.items() if (value := getattr(workspace, column))}


def _check_fields(check: SetupCheck) -> tuple[Field, ...]:
    """Show each setting's problems under its name, or that everything is in order; then the advice."""
    by_setting: dict[str, list[Text]] = {}
    for problem in check.problems:
        by_setting.setdefault(problem.setting, []).append(problem.text)
    fields = [Field(text("setup.problem.title", setting=text(f"setup.field.{setting}")),
                    Join(tuple(texts), separator="\n", bullet="• ") if len(texts) > 1 else texts[0])
              for setting, texts in by_setting.items()]
    if not fields:
        fields.append(Field(text("setup.field.check"), text("setup.check.ok")))
    return (*fields, *check.advice)


def _summary(workspace: Workspace) -> tuple[Field, ...]:
    def ref(kind: str, value: str | None) -> Mention | Text:
        return Mention(kind, value) if value else text("setup.not_set")

    fields = [Field(text(f"setup.field.{name}"), ref("channel", getattr(workspace, column)), inline=True)
              for name, column in CHANNEL_SETTINGS.items()]
    fields += [Field(text(f"setup.field.{name}"), ref("role", getattr(workspace, column)), inline=True)
               for name, column in ROLE_SETTINGS.items()]
    fields += [
        Field(text("setup.field.language"), text(f"language.{workspace.language}"), inline=True),
        Field(text("setup.field.timezone"), text("setup.timezone", zone=workspace.timezone), inline=True),
    ]
    if workspace.platform in PING_HERE_PLATFORMS:
        fields.append(Field(text(f"setup.field.{PING_HERE}"),
                            text("setup.ping_here.on" if workspace.ping_here else "setup.ping_here.off")))
    return tuple(fields)


async def configure(session: AsyncSession, actor: Actor, check: SetupChecker | None = None, /, *,
                    ping_here: bool | None = None, **changes: str | None) -> Reply:
    """Change the settings given (channel and role ids as the platform names them); show them all.

    An adapter that can look at its platform passes `check` (positional, so no typed option can stand in for
    it): the answer then lists what keeps the chosen channels and roles from working, or says all is in order.
    """
    actor.require_coordinator()
    workspace = actor.workspace
    validation.refuse_unknown_fields(changes, {*CHANNEL_SETTINGS, *ROLE_SETTINGS, "language", "timezone"})
    given = {name: value for name, value in changes.items() if value}
    if "language" in given:  # the enum from an edge; its name from other callers
        given["language"] = validation.LANGUAGE.required(validation.LANGUAGE.read(given["language"])).value
    if "timezone" in given:
        try:
            ZoneInfo(given["timezone"])
        except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long to be a file's
            raise validation.FieldProblem(text("setup.field.timezone"),
                                          text("errors.timezone", value=given["timezone"][:60])) from None
    zone_before = workspace.timezone
    for name, value in given.items():
        setattr(workspace, CHANNEL_SETTINGS.get(name) or ROLE_SETTINGS.get(name) or name, value)
    if workspace.timezone != zone_before:
        # Weeks and months begin at other moments in another zone: streaks and points are counted again.
        await streaks.recount(session, workspace)
        await activity.rescore(session, workspace)
    changed = sorted(given)
    if ping_here is not None:
        workspace.ping_here = ping_here
        changed = sorted([*changed, PING_HERE])
    if changed:
        workspace.updated_at = actor.now
        audit(session, actor, "workspace.setup", changed=changed)
    # Role grants the platform refused are tried again: a coordinator runs /setup after fixing the cause (the
    # notice about the refusal says so); one refused again is not announced twice.
    await delivery.retry_refused_roles(session, workspace.id, actor.now)
    fields = _summary(workspace)
    if check is not None:
        fields += _check_fields(check(chosen(workspace)))
    return Reply(
        title=text("setup.title"), body=text("setup.saved" if changed else "setup.current"), fields=fields
    )
