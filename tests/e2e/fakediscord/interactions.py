"""Interactions the test issues: payload building and the record of the bot's replies.

The payload builders mirror what Discord sends for slash commands (with subcommands and
resolved objects), autocomplete, component presses and modal submits, in the shapes
discord.py 2.7 reads (see ``discord/interactions.py``, ``app_commands/namespace.py`` and
``ui/modal.py``).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import payloads
from .model import (
    ALL_PERMISSIONS,
    AppCommand,
    Channel,
    ChannelType,
    Member,
    Message,
    MessageFlag,
    Perm,
    StoredFile,
    World,
)

if TYPE_CHECKING:
    from .server import FakeDiscord

PING, APPLICATION_COMMAND, MESSAGE_COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 1, 2, 3, 4, 5
# Interaction response (callback) types.
PONG, CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, DEFERRED_UPDATE, UPDATE_MESSAGE = 1, 4, 5, 6, 7
AUTOCOMPLETE_RESULT, MODAL = 8, 9

DM_PERMISSIONS = int(
    Perm.VIEW_CHANNEL
    | Perm.SEND_MESSAGES
    | Perm.EMBED_LINKS
    | Perm.ATTACH_FILES
    | Perm.READ_MESSAGE_HISTORY
    | Perm.ADD_REACTIONS
    | Perm.USE_APPLICATION_COMMANDS
)
ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024
# Discord only sends full locale codes; accept the short forms tests tend to write.
LOCALE_ALIASES = {"sv": "sv-SE", "en": "en-US", "es": "es-ES", "pt": "pt-BR", "zh": "zh-CN"}


@dataclass(frozen=True)
class Upload:
    """A file a user attaches to a slash command option or a modal file upload."""

    filename: str
    data: bytes
    content_type: str = "application/octet-stream"


class CommandNotAvailable(Exception):
    """Raised when the Discord client would not even offer this command to the user."""


class Interaction:
    """An interaction the test sent to the bot, and the bot's response, follow-ups and edits."""

    def __init__(
        self,
        server: FakeDiscord,
        *,
        id: int,
        token: str,
        type: int,
        user_id: int,
        channel_id: int,
        guild_id: int | None,
        payload: dict[str, Any],
        created_at: float,
        source_message_id: int | None = None,
    ) -> None:
        self._server = server
        self.id = id
        self.token = token
        self.type = type
        self.user_id = user_id
        self.channel_id = channel_id
        self.guild_id = guild_id
        self.payload = payload
        self.created_at = created_at
        self.source_message_id = source_message_id  # the message a component sits on
        self.claimed = False  # set while the first response is being processed, and after
        self.response: dict[str, Any] | None = None
        self.acknowledged_at: float | None = None
        self.original_message_id: int | None = None
        self.followups: list[dict[str, Any]] = []
        self.followup_message_ids: list[int] = []
        self.edits: list[dict[str, Any]] = []

    def __repr__(self) -> str:
        return f"<Interaction id={self.id} type={self.type} response_type={self.response_type}>"

    @property
    def response_type(self) -> int | None:
        """Return the callback type the bot answered with (4, 5, 6, 7, 8 or 9), or None."""
        return None if self.response is None else self.response.get("type")

    @property
    def response_data(self) -> dict[str, Any]:
        """Return the callback's ``data`` (empty dict if none)."""
        return (self.response or {}).get("data") or {}

    @property
    def modal(self) -> dict[str, Any] | None:
        """Return the modal the bot opened in response, if any."""
        return self.response_data if self.response_type == MODAL else None

    @property
    def choices(self) -> list[dict[str, Any]] | None:
        """Return the autocomplete choices the bot answered with, if any."""
        return self.response_data.get("choices") if self.response_type == AUTOCOMPLETE_RESULT else None

    @property
    def original(self) -> Message | None:
        """Return the message of the initial response (or the updated component message)."""
        if self.original_message_id is None:
            return None
        return self._server.world.messages.get(self.original_message_id)

    @property
    def followup_messages(self) -> list[Message]:
        """Return the follow-up messages in the order they were sent."""
        return [self._server.world.messages[i] for i in self.followup_message_ids]

    async def wait_response(self, timeout: float = 5.0) -> dict[str, Any]:
        """Wait for the initial callback and return its body ({"type": ..., "data": ...})."""
        await self._server.wait_until(lambda: self.response is not None, timeout, f"a response to {self!r}")
        assert self.response is not None
        return self.response

    async def wait_followup(self, timeout: float = 5.0, index: int = 0) -> dict[str, Any]:
        """Wait for follow-up number ``index`` and return its body."""
        await self._server.wait_until(
            lambda: len(self.followups) > index, timeout, f"follow-up {index} to {self!r}"
        )
        return self.followups[index]

    async def wait_edit(self, timeout: float = 5.0, index: int = 0) -> dict[str, Any]:
        """Wait for edit number ``index`` of the original response and return its body."""
        await self._server.wait_until(lambda: len(self.edits) > index, timeout, f"edit {index} of {self!r}")
        return self.edits[index]

    async def wait_reply(self, timeout: float = 5.0) -> Message:
        """Wait until the original response message shows something (a deferral was edited) and return it."""

        def shown() -> bool:
            message = self.original
            return message is not None and not message.flags & MessageFlag.LOADING

        await self._server.wait_until(shown, timeout, f"a visible reply to {self!r}")
        assert self.original is not None
        return self.original


# --- payload building -----------------------------------------------------------------------------


class Resolved:
    """Collect ``data.resolved`` entries (users, members, roles, channels, attachments)."""

    def __init__(self, world: World, base_url: str, invoker: Member | None) -> None:
        self._world = world
        self._base_url = base_url
        self._invoker = invoker
        self.data: dict[str, dict[str, Any]] = {}

    def user(self, user: int | str) -> str:
        """Add a user (by id or member username; and the member, in a guild) and return its id string."""
        world = self._world
        user_id = user if isinstance(user, int) else world.member_by_name(user).id
        if user_id not in world.users:
            raise ValueError(f"unknown user {user_id}")
        self.data.setdefault("users", {})[str(user_id)] = payloads.user(world.users[user_id])
        member = world.members.get(user_id)
        if member is not None and self._invoker is not None:
            entry = payloads.member(member, with_user=False, permissions=world.base_permissions(member))
            self.data.setdefault("members", {})[str(user_id)] = entry
        return str(user_id)

    def role(self, role: int | str) -> str:
        """Add a role and return its id string."""
        found = self._world.resolve_role(role)
        self.data.setdefault("roles", {})[str(found.id)] = payloads.role(found)
        return str(found.id)

    def channel(self, channel: int | str) -> str:
        """Add a channel (with the invoker's permissions in it) and return its id string."""
        found = self._world.resolve_channel(channel)
        perms = self._world.channel_permissions(self._invoker, found) if self._invoker else DM_PERMISSIONS
        self.data.setdefault("channels", {})[str(found.id)] = payloads.channel(
            found, self._world, permissions=perms
        )
        return str(found.id)

    def attachment(self, upload: Upload | tuple[str, bytes] | bytes) -> str:
        """Store an uploaded file, add it as an attachment and return its id string."""
        if isinstance(upload, bytes):
            upload = Upload("file.bin", upload)
        elif isinstance(upload, tuple):
            upload = Upload(*upload)
        stored: StoredFile = self._world.add_file(upload.filename, upload.data, upload.content_type)
        entry = payloads.attachment(stored, self._base_url)
        entry["ephemeral"] = True  # option attachments are ephemeral uploads on Discord
        self.data.setdefault("attachments", {})[str(stored.id)] = entry
        return str(stored.id)

    def mentionable(self, value: int | str) -> str:
        """Add a user or a role (users win) and return its id string."""
        if isinstance(value, int) and value in self._world.users:
            return self.user(value)
        return self.role(value)


def command_data(
    world: World,
    command: AppCommand,
    path: Sequence[str],
    options: Mapping[str, Any],
    resolved: Resolved,
    *,
    focused: str | None = None,
) -> dict[str, Any]:
    """Build ``data`` for an APPLICATION_COMMAND/AUTOCOMPLETE interaction on a registered command."""
    data: dict[str, Any] = {"id": str(command.id), "name": command.name, "type": command.type}
    if command.guild_id is not None:
        # discord.py looks the command up in its guild table only when data.guild_id is present.
        data["guild_id"] = str(command.guild_id)
    definitions = command.payload.get("options") or []
    container = data
    for segment in path:
        definition = _find_option(definitions, segment, command)
        if definition.get("type") not in (1, 2):
            raise ValueError(f"{segment!r} is not a subcommand or group of /{command.name}")
        node: dict[str, Any] = {"type": definition["type"], "name": segment, "options": []}
        container.setdefault("options", []).append(node)
        container, definitions = node, definition.get("options") or []
    if any(d.get("type") in (1, 2) for d in definitions):
        names = [d["name"] for d in definitions]
        raise ValueError(f"/{command.name} {' '.join(path)} needs a subcommand, one of {names}")
    leaf = container.setdefault("options", [])
    for name, value in options.items():
        definition = _find_option(definitions, name, command)
        leaf.append(_option_value(definition, value, resolved, focused=(name == focused)))
    missing = [d["name"] for d in definitions if d.get("required") and d["name"] not in options]
    if missing and focused is None:
        raise ValueError(f"missing required options {missing} for /{command.name}")
    if resolved.data:
        data["resolved"] = resolved.data
    return data


def _find_option(definitions: Sequence[dict[str, Any]], name: str, command: AppCommand) -> dict[str, Any]:
    for definition in definitions:
        if definition["name"] == name:
            return definition
    raise ValueError(f"/{command.name} has no option {name!r}; it has {[d['name'] for d in definitions]}")


def _option_value(
    definition: dict[str, Any], value: Any, resolved: Resolved, *, focused: bool
) -> dict[str, Any]:
    kind = definition["type"]
    name = definition["name"]
    if focused:
        # Autocomplete sends whatever the user has typed so far, as a string.
        return {"type": kind, "name": name, "value": str(value), "focused": True}
    converters: dict[int, Callable[[Any], Any]] = {
        3: str,
        4: int,
        5: bool,
        10: float,
        6: resolved.user,
        7: resolved.channel,
        8: resolved.role,
        9: resolved.mentionable,
        11: resolved.attachment,
    }
    converted = converters[kind](value)
    choices = definition.get("choices")
    if choices and converted not in [c["value"] for c in choices]:
        raise ValueError(f"option {name!r} only offers {[c['value'] for c in choices]}, not {converted!r}")
    for bound, check in (("min_value", lambda b: converted < b), ("max_value", lambda b: converted > b)):
        if kind in (4, 10) and definition.get(bound) is not None and check(definition[bound]):
            raise ValueError(f"option {name!r}={converted} violates {bound}={definition[bound]}")
    return {"type": kind, "name": name, "value": converted}


def component_data(
    component: dict[str, Any], values: Sequence[Any] | None, resolved: Resolved
) -> dict[str, Any]:
    """Build ``data`` for a MESSAGE_COMPONENT interaction on a button or select."""
    kind = component["type"]
    data: dict[str, Any] = {"custom_id": component["custom_id"], "component_type": kind}
    if component.get("id") is not None:
        data["id"] = component["id"]
    if kind == 2:
        return data
    data["values"] = _select_values(component, values or [], resolved)
    if resolved.data:
        data["resolved"] = resolved.data
    return data


def _select_values(component: dict[str, Any], values: Sequence[Any], resolved: Resolved) -> list[str]:
    kind = component["type"]
    low, high = component.get("min_values", 1), component.get("max_values", 1)
    if not low <= len(values) <= high:
        raise ValueError(
            f"select {component.get('custom_id')!r} takes {low}..{high} values, got {len(values)}"
        )
    if kind == 3:
        offered = [o["value"] for o in component.get("options") or []]
        for value in values:
            if value not in offered:
                raise ValueError(f"select {component.get('custom_id')!r} offers {offered}, not {value!r}")
        return [str(v) for v in values]
    resolver = {5: resolved.user, 6: resolved.role, 7: resolved.mentionable, 8: resolved.channel}[kind]
    return [resolver(v) for v in values]


def modal_submit_data(modal: dict[str, Any], values: Mapping[str, Any], resolved: Resolved) -> dict[str, Any]:
    """Build ``data`` for a MODAL_SUBMIT mirroring the modal the bot opened.

    Keys of ``values`` are custom_ids or visible labels. Text inputs take a str, selects and
    checkbox groups a list, a checkbox a bool, a radio group a str, a file upload a list of Uploads.
    """
    auto_ids = itertools.count(1)
    used: set[str] = set()

    def value_for(component: dict[str, Any], label: str | None) -> Any:
        for key in (component.get("custom_id"), label, component.get("label")):
            if key is not None and key in values:
                used.add(key)
                return values[key]
        return None

    def submitted(component: dict[str, Any], label: str | None) -> dict[str, Any]:
        kind = component["type"]
        entry: dict[str, Any] = {
            "type": kind,
            "id": component.get("id") or next(auto_ids),
            "custom_id": component.get("custom_id"),
        }
        value = value_for(component, label)
        required = component.get("required", True)
        if kind == 4:
            text = "" if value is None else str(value)
            if required and not text:
                raise ValueError(f"text input {label or component.get('custom_id')!r} is required")
            if component.get("max_length") is not None and len(text) > component["max_length"]:
                raise ValueError(f"text input {label!r} allows {component['max_length']} characters")
            if text and component.get("min_length") and len(text) < component["min_length"]:
                raise ValueError(f"text input {label!r} needs {component['min_length']} characters")
            entry["value"] = text
        elif kind in (3, 5, 6, 7, 8):
            chosen = list(value or [])
            entry["values"] = _select_values(
                dict(component, min_values=component.get("min_values", 1) if required else 0),
                chosen,
                resolved,
            )
        elif kind == 19:
            entry["values"] = [resolved.attachment(u) for u in (value or [])]
        elif kind == 21:
            entry["value"] = value
        elif kind == 22:
            entry["values"] = list(value or [])
        elif kind == 23:
            entry["value"] = bool(value)
        return entry

    components: list[dict[str, Any]] = []
    for top in modal.get("components") or []:
        kind = top.get("type")
        # Discord numbers components depth-first, a parent before its children.
        top_id = top.get("id") or next(auto_ids)
        if kind == 1:
            children = [submitted(c, c.get("label")) for c in top.get("components") or []]
            components.append({"type": 1, "id": top_id, "components": children})
        elif kind == 18:
            components.append(
                {"type": 18, "id": top_id, "component": submitted(top["component"], top.get("label"))}
            )
        elif kind == 10:
            components.append({"type": 10, "id": top_id})
    unknown = set(values) - used
    if unknown:
        raise ValueError(f"modal {modal.get('title')!r} has no inputs {sorted(unknown)}")
    data: dict[str, Any] = {"custom_id": modal["custom_id"], "components": components}
    if resolved.data:
        data["resolved"] = resolved.data
    return data


def interaction_payload(
    world: World,
    *,
    id: int,
    token: str,
    type: int,
    user_id: int,
    channel: Channel,
    data: dict[str, Any],
    locale: str,
    message: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Build the INTERACTION_CREATE payload with every field discord.py 2.7 reads."""
    in_guild = channel.guild_id is not None
    locale = LOCALE_ALIASES.get(locale, locale)
    payload: dict[str, Any] = {
        "id": str(id),
        "application_id": str(world.application_id),
        "type": type,
        "token": token,
        "version": 1,
        "locale": locale,
        "entitlements": [],
        "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
        "data": data,
    }
    if in_guild:
        member = world.members[user_id]
        payload.update(
            guild_id=str(world.guild_id),
            guild_locale="sv-SE",
            guild={"id": str(world.guild_id), "locale": "sv-SE", "features": []},
            channel_id=str(channel.id),
            channel=payloads.channel(channel, world, permissions=world.channel_permissions(member, channel)),
            member=payloads.member(member, permissions=world.channel_permissions(member, channel)),
            app_permissions=str(world.channel_permissions(world.members[world.bot.id], channel)),
            authorizing_integration_owners={"0": str(world.guild_id)},
            context=0,
        )
    else:
        payload.update(
            channel_id=str(channel.id),
            channel=payloads.channel(channel, world, permissions=DM_PERMISSIONS),
            user=payloads.user(world.users[user_id]),
            app_permissions=str(DM_PERMISSIONS),
            authorizing_integration_owners={"0": "0"},
            context=1,
        )
    if message is not None:
        payload["message"] = message
    return payload


def command_available(world: World, command: AppCommand, user_id: int, channel: Channel) -> None:
    """Raise CommandNotAvailable if the Discord client would hide the command here."""
    contexts = command.payload.get("contexts")
    if channel.type == ChannelType.DM:
        if (
            command.guild_id is not None
            or command.payload.get("dm_permission") is False
            or (contexts is not None and 1 not in contexts)
        ):
            raise CommandNotAvailable(f"/{command.name} is not offered in DMs")
        return
    if contexts is not None and 0 not in contexts:
        raise CommandNotAvailable(f"/{command.name} is not offered in guilds")
    required = command.payload.get("default_member_permissions")
    if required is not None:
        perms = world.channel_permissions(world.members[user_id], channel)
        # "0" means "nobody but administrators"; otherwise every listed bit is needed.
        allowed = perms == ALL_PERMISSIONS if int(required) == 0 else int(required) & perms == int(required)
        if not allowed:
            raise CommandNotAvailable(
                f"/{command.name} needs permissions {required} that user {user_id} lacks"
            )
