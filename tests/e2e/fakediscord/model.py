"""In-memory model of the one guild, its people and its messages that the fake serves.

Nothing here knows about HTTP or JSON: ``payloads`` turns these objects into Discord's wire shapes.
"""

from __future__ import annotations

import datetime as dt
import enum
import itertools
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

DISCORD_EPOCH_MS = 1420070400000


class Perm(enum.IntFlag):
    """Permission bits the fake uses (a subset of Discord's)."""

    KICK_MEMBERS = 1 << 1
    ADMINISTRATOR = 1 << 3
    MANAGE_CHANNELS = 1 << 4
    ADD_REACTIONS = 1 << 6
    VIEW_CHANNEL = 1 << 10
    SEND_MESSAGES = 1 << 11
    MANAGE_MESSAGES = 1 << 13
    EMBED_LINKS = 1 << 14
    ATTACH_FILES = 1 << 15
    READ_MESSAGE_HISTORY = 1 << 16
    MENTION_EVERYONE = 1 << 17
    MANAGE_ROLES = 1 << 28
    USE_APPLICATION_COMMANDS = 1 << 31
    MANAGE_THREADS = 1 << 34
    CREATE_PUBLIC_THREADS = 1 << 35
    SEND_MESSAGES_IN_THREADS = 1 << 38
    PIN_MESSAGES = 1 << 51


ALL_PERMISSIONS = (1 << 52) - 1

EVERYONE_PERMISSIONS = (
    Perm.VIEW_CHANNEL
    | Perm.SEND_MESSAGES
    | Perm.READ_MESSAGE_HISTORY
    | Perm.ADD_REACTIONS
    | Perm.EMBED_LINKS
    | Perm.ATTACH_FILES
    | Perm.USE_APPLICATION_COMMANDS
    | Perm.SEND_MESSAGES_IN_THREADS
    | Perm.CREATE_PUBLIC_THREADS
)
COORDINATOR_PERMISSIONS = (
    EVERYONE_PERMISSIONS
    | Perm.MANAGE_MESSAGES
    | Perm.MANAGE_ROLES
    | Perm.KICK_MEMBERS
    | Perm.MANAGE_THREADS
    | Perm.MENTION_EVERYONE
    | Perm.PIN_MESSAGES
)
BOT_PERMISSIONS = COORDINATOR_PERMISSIONS & ~Perm.KICK_MEMBERS


class ChannelType(enum.IntEnum):
    """Discord channel type numbers the fake supports."""

    TEXT = 0
    DM = 1
    PUBLIC_THREAD = 11
    FORUM = 15


class MessageFlag(enum.IntFlag):
    """Message flag bits the fake looks at."""

    SUPPRESS_EMBEDS = 1 << 2
    EPHEMERAL = 1 << 6
    LOADING = 1 << 7
    IS_COMPONENTS_V2 = 1 << 15


def utc_iso(timestamp: float | None = None) -> str:
    """Format a unix time (default: now) as the ISO 8601 string Discord uses."""
    moment = dt.datetime.fromtimestamp(time.time() if timestamp is None else timestamp, dt.UTC)
    return moment.isoformat()


class Snowflakes:
    """Hand out unique, increasing snowflake ids.

    Ids made with ``next()`` carry the current time, as Discord's do: discord.py derives
    ``created_at`` from them and picks a rate-limit sub-bucket for deletes by message age.
    ``fixed()`` ids are small and stable so a bot's config can name world objects by id.
    """

    FIXED_BASE = 1_100_000_000_000_000_000

    def __init__(self) -> None:
        self._last = 0
        self._fixed = itertools.count(1)

    def next(self) -> int:
        """Return a new time-based snowflake."""
        candidate = (int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22
        # Several ids in the same millisecond must still be unique and ordered.
        self._last = max(candidate, self._last + 1)
        return self._last

    def fixed(self) -> int:
        """Return the next stable id for a world object (guild, role, channel, member)."""
        return self.FIXED_BASE + next(self._fixed)


# --- configuration specs ------------------------------------------------------------------------


@dataclass(frozen=True)
class RoleSpec:
    """Describe a guild role to create at start-up."""

    name: str
    permissions: int = int(EVERYONE_PERMISSIONS)
    color: int = 0
    id: int | None = None


@dataclass(frozen=True)
class ChannelSpec:
    """Describe a guild channel; ``visible_to`` makes it private to those role names."""

    name: str
    type: str = "text"  # "text" or "forum"
    topic: str | None = None
    visible_to: Sequence[str] | None = None
    id: int | None = None


@dataclass(frozen=True)
class MemberSpec:
    """Describe a human guild member."""

    name: str
    roles: Sequence[str] = ()
    dms_open: bool = True
    id: int | None = None


DEFAULT_ROLES = (
    RoleSpec("Medlem", permissions=int(EVERYONE_PERMISSIONS), color=0x2ECC71),
    RoleSpec("Koordinator", permissions=int(COORDINATOR_PERMISSIONS), color=0xE67E22),
)
DEFAULT_CHANNELS = (
    ChannelSpec("välkommen", topic="Välkommen till Jobbskaparna"),
    ChannelSpec("annonser", topic="Annonser"),
    ChannelSpec("koordinatorer", topic="Endast koordinatorer", visible_to=("Koordinator",)),
    ChannelSpec("forum", type="forum", topic="Frågor och svar"),
)
DEFAULT_MEMBERS = (
    MemberSpec("anna", roles=("Medlem", "Koordinator")),
    MemberSpec("bertil", roles=("Medlem",)),
    MemberSpec("cecilia", roles=()),
    MemberSpec("david", roles=("Medlem",), dms_open=False),
)


# --- world objects ------------------------------------------------------------------------------


@dataclass
class User:
    """A Discord user (human or bot)."""

    id: int
    name: str
    bot: bool = False
    global_name: str | None = None


@dataclass
class Role:
    """A guild role; the @everyone role has the guild's id."""

    id: int
    name: str
    permissions: int
    position: int
    color: int = 0
    managed: bool = False
    bot_id: int | None = None


@dataclass
class Member:
    """A user's membership of the guild."""

    user: User
    role_ids: list[int]
    joined_at: str
    dms_open: bool = True
    nick: str | None = None

    @property
    def id(self) -> int:
        """Return the member's user id."""
        return self.user.id


@dataclass
class Channel:
    """A guild text/forum channel, a thread, or a DM channel."""

    id: int
    type: ChannelType
    name: str | None = None
    guild_id: int | None = None
    position: int = 0
    topic: str | None = None
    parent_id: int | None = None
    overwrites: list[dict[str, Any]] = field(default_factory=list)
    recipient_id: int | None = None  # DM channels
    owner_id: int | None = None  # threads
    applied_tags: list[str] = field(default_factory=list)
    auto_archive_duration: int = 1440
    created_at: str = field(default_factory=utc_iso)
    last_message_id: int | None = None

    @property
    def is_thread(self) -> bool:
        """Return True for thread channels."""
        return self.type == ChannelType.PUBLIC_THREAD


@dataclass
class StoredFile:
    """Bytes served at ``/attachments/{id}/{filename}`` (uploads by the bot or by the test)."""

    id: int
    filename: str
    data: bytes
    content_type: str = "application/octet-stream"
    description: str | None = None


@dataclass
class Message:
    """A message as the fake stores it."""

    id: int
    channel_id: int
    author_id: int
    content: str = ""
    embeds: list[dict[str, Any]] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[StoredFile] = field(default_factory=list)
    pinned: bool = False
    pinned_at: str | None = None
    nonce: str | int | None = None
    flags: int = 0
    type: int = 0
    created_at: str = field(default_factory=utc_iso)
    edited_at: str | None = None
    webhook_id: int | None = None
    interaction_id: int | None = None
    ephemeral_for: int | None = None  # user id that alone can see an ephemeral message
    reference_id: int | None = None
    # Users a reply pings without naming them in its text (Discord's client pings the replied-to author by
    # default): they are in the message's `mentions`, not in its content.
    pinged_ids: list[int] = field(default_factory=list)
    reactions: dict[str, set[int]] = field(default_factory=dict)
    deleted: bool = False

    @property
    def ephemeral(self) -> bool:
        """Return True if only the interaction user can see this message."""
        return bool(self.flags & MessageFlag.EPHEMERAL)

    @property
    def attachment_names(self) -> list[str]:
        """Return the file names of the message's attachments."""
        return [a.filename for a in self.attachments]

    def walk_components(self) -> Iterator[dict[str, Any]]:
        """Yield every component of the message, nested ones included."""
        yield from walk_components(self.components)

    def custom_ids(self) -> list[str]:
        """Return the custom_id of every interactive component."""
        return [c["custom_id"] for c in self.walk_components() if c.get("custom_id")]

    def find_component(self, key: str) -> dict[str, Any] | None:
        """Return the component whose custom_id (or, failing that, label) is ``key``."""
        components = [c for c in self.walk_components() if c.get("type") in INTERACTIVE_TYPES]
        for component in components:
            if component.get("custom_id") == key:
                return component
        for component in components:
            if component.get("label") == key:
                return component
        return None

    def embed_text(self) -> str:
        """Return all human-readable embed text joined, for easy assertions."""
        parts: list[str] = []
        for embed in self.embeds:
            parts += [embed.get("title") or "", embed.get("description") or ""]
            for f in embed.get("fields") or []:
                parts += [f.get("name") or "", f.get("value") or ""]
            parts.append((embed.get("footer") or {}).get("text") or "")
            parts.append((embed.get("author") or {}).get("name") or "")
        return "\n".join(p for p in parts if p)


# Buttons and every kind of select.
INTERACTIVE_TYPES = frozenset({2, 3, 5, 6, 7, 8})


def walk_components(components: Sequence[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Yield components depth-first, descending into rows, containers, sections and labels."""
    for component in components:
        yield component
        yield from walk_components(component.get("components") or [])
        for key in ("component", "accessory"):
            if isinstance(component.get(key), dict):
                yield from walk_components([component[key]])


@dataclass
class AppCommand:
    """An application command as registered by the bot (``payload`` has Discord's response shape)."""

    id: int
    guild_id: int | None
    payload: dict[str, Any]

    @property
    def name(self) -> str:
        """Return the command name."""
        return self.payload["name"]

    @property
    def type(self) -> int:
        """Return the command type (1 slash, 2 user, 3 message)."""
        return self.payload.get("type", 1)


class World:
    """Hold the guild, its roles, channels, members, messages, files and commands."""

    def __init__(
        self,
        *,
        ids: Snowflakes,
        guild_name: str,
        bot_name: str,
        owner_name: str,
        roles: Sequence[RoleSpec],
        channels: Sequence[ChannelSpec],
        members: Sequence[MemberSpec],
    ) -> None:
        self.ids = ids
        self.guild_id = ids.fixed()
        self.guild_name = guild_name
        self.application_id = ids.fixed()
        # A bot user's id equals its application's id on Discord.
        self.bot = User(id=self.application_id, name=bot_name, bot=True)
        self.users: dict[int, User] = {self.bot.id: self.bot}
        self.roles: dict[int, Role] = {}
        self.channels: dict[int, Channel] = {}
        self.members: dict[int, Member] = {}
        self.messages: dict[int, Message] = {}
        self.files: dict[int, StoredFile] = {}
        self.dm_channel_by_user: dict[int, int] = {}
        self.global_commands: dict[tuple[int, str], AppCommand] = {}
        self.guild_commands: dict[tuple[int, str], AppCommand] = {}

        self.roles[self.guild_id] = Role(
            id=self.guild_id, name="@everyone", permissions=int(EVERYONE_PERMISSIONS), position=0
        )
        for position, role_spec in enumerate(roles, start=1):
            role = Role(
                role_spec.id or ids.fixed(), role_spec.name, role_spec.permissions, position, role_spec.color
            )
            self.roles[role.id] = role
        # The bot's managed role sits on top so it may assign every other role (role hierarchy).
        bot_role = Role(
            ids.fixed(), bot_name, int(BOT_PERMISSIONS), len(roles) + 1, managed=True, bot_id=self.bot.id
        )
        self.roles[bot_role.id] = bot_role
        self.bot_role_id = bot_role.id

        for position, channel_spec in enumerate(channels):
            self._add_channel_from_spec(channel_spec, position)

        # A dedicated owner account: the owner implicitly has every permission, which would hide
        # role-based behaviour if one of the configured members owned the guild.
        self.owner_id = self.add_member(owner_name).id
        for member_spec in members:
            self.add_member(
                member_spec.name,
                roles=member_spec.roles,
                dms_open=member_spec.dms_open,
                user_id=member_spec.id,
            )
        self.members[self.bot.id] = Member(self.bot, [bot_role.id], utc_iso())

    def _add_channel_from_spec(self, spec: ChannelSpec, position: int) -> Channel:
        overwrites: list[dict[str, Any]] = []
        if spec.visible_to is not None:
            overwrites.append(
                {"id": str(self.guild_id), "type": 0, "allow": "0", "deny": str(int(Perm.VIEW_CHANNEL))}
            )
            for role_name in spec.visible_to:
                role = self.role_by_name(role_name)
                overwrites.append(
                    {"id": str(role.id), "type": 0, "allow": str(int(Perm.VIEW_CHANNEL)), "deny": "0"}
                )
            overwrites.append(
                {"id": str(self.bot_role_id), "type": 0, "allow": str(int(Perm.VIEW_CHANNEL)), "deny": "0"}
            )
        kind = {"text": ChannelType.TEXT, "forum": ChannelType.FORUM}[spec.type]
        channel = Channel(
            id=spec.id or self.ids.fixed(),
            type=kind,
            name=spec.name,
            guild_id=self.guild_id,
            position=position,
            topic=spec.topic,
            overwrites=overwrites,
        )
        self.channels[channel.id] = channel
        return channel

    # --- lookups ---

    def role_by_name(self, name: str) -> Role:
        """Return the role called ``name`` or raise KeyError."""
        for role in self.roles.values():
            if role.name == name:
                return role
        raise KeyError(f"no role named {name!r}")

    def resolve_role(self, role: int | str) -> Role:
        """Return a role given its id or name."""
        return self.roles[role] if isinstance(role, int) else self.role_by_name(role)

    def resolve_channel(self, channel: int | str) -> Channel:
        """Return a channel given its id or name."""
        if isinstance(channel, int):
            return self.channels[channel]
        for candidate in self.channels.values():
            if candidate.name == channel:
                return candidate
        raise KeyError(f"no channel named {channel!r}")

    def member_by_name(self, name: str) -> Member:
        """Return the member whose username is ``name``."""
        for member in self.members.values():
            if member.user.name == name:
                return member
        raise KeyError(f"no member named {name!r}")

    def resolve_member(self, member: int | str) -> Member:
        """Return a member given its user id or username."""
        return self.members[member] if isinstance(member, int) else self.member_by_name(member)

    # --- mutation ---

    def add_member(
        self,
        name: str,
        *,
        roles: Sequence[str] = (),
        dms_open: bool = True,
        user_id: int | None = None,
    ) -> Member:
        """Create a user and make it a member with the named roles."""
        user = self.users.get(user_id) if user_id else None
        if user is None:
            user = User(id=user_id or self.ids.fixed(), name=name, global_name=name.capitalize())
            self.users[user.id] = user
        member = Member(user, [self.role_by_name(r).id for r in roles], utc_iso(), dms_open=dms_open)
        self.members[user.id] = member
        return member

    def dm_channel_for(self, user_id: int) -> Channel:
        """Return the DM channel between the bot and a user, creating it once."""
        channel_id = self.dm_channel_by_user.get(user_id)
        if channel_id is None:
            channel = Channel(id=self.ids.fixed(), type=ChannelType.DM, recipient_id=user_id)
            self.channels[channel.id] = channel
            self.dm_channel_by_user[user_id] = channel.id
            return channel
        return self.channels[channel_id]

    def add_file(
        self, filename: str, data: bytes, content_type: str | None = None, *, description: str | None = None
    ) -> StoredFile:
        """Store bytes so they are served under ``/attachments/{id}/{filename}``."""
        stored = StoredFile(
            self.ids.next(), filename, data, content_type or "application/octet-stream", description
        )
        self.files[stored.id] = stored
        return stored

    def add_message(self, message: Message) -> Message:
        """Store a message and move its channel's last_message_id."""
        self.messages[message.id] = message
        channel = self.channels.get(message.channel_id)
        if channel is not None:
            channel.last_message_id = message.id
        return message

    def channel_messages(self, channel_id: int, *, include_ephemeral: bool = False) -> list[Message]:
        """Return a channel's live messages, oldest first."""
        return [
            m
            for m in self.messages.values()
            if m.channel_id == channel_id and not m.deleted and (include_ephemeral or not m.ephemeral)
        ]

    def commands_for(self, guild_id: int | None) -> dict[tuple[int, str], AppCommand]:
        """Return the command table for a guild (or the global one for None)."""
        return self.global_commands if guild_id is None else self.guild_commands

    # --- permissions ---

    def base_permissions(self, member: Member) -> int:
        """Compute a member's guild-wide permissions (@everyone + roles; owner/admin get all)."""
        if member.id == self.owner_id:
            return ALL_PERMISSIONS
        perms = self.roles[self.guild_id].permissions
        for role_id in member.role_ids:
            perms |= self.roles[role_id].permissions
        return ALL_PERMISSIONS if perms & Perm.ADMINISTRATOR else perms

    def channel_permissions(self, member: Member, channel: Channel) -> int:
        """Apply a channel's overwrites (@everyone, roles, member) as Discord does."""
        if channel.is_thread and channel.parent_id is not None:
            channel = self.channels[channel.parent_id]
        perms = self.base_permissions(member)
        if perms == ALL_PERMISSIONS:
            return perms
        overwrites = {int(o["id"]): o for o in channel.overwrites}
        everyone = overwrites.get(self.guild_id)
        if everyone:
            perms = (perms & ~int(everyone["deny"])) | int(everyone["allow"])
        allow = deny = 0
        for role_id in member.role_ids:
            overwrite = overwrites.get(role_id)
            if overwrite and overwrite["type"] == 0:
                allow |= int(overwrite["allow"])
                deny |= int(overwrite["deny"])
        perms = (perms & ~deny) | allow
        own = overwrites.get(member.id)
        if own and own["type"] == 1:
            perms = (perms & ~int(own["deny"])) | int(own["allow"])
        return perms

    def top_role_position(self, member: Member) -> int:
        """Return the position of a member's highest role."""
        return max([self.roles[r].position for r in member.role_ids] or [0])
