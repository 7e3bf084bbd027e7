"""REST endpoints under ``/api/v10`` that the bot may call, with Discord's answers and errors.

Each handler is registered with ``@route(METHOD, TEMPLATE)``; templates use ``{name}``
placeholders. Order matters: literal segments (``@me``, ``@original``, ``pins``) are declared
before the placeholder routes they would otherwise be mistaken for.
"""

from __future__ import annotations

import copy
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import errors, payloads, rules
from .errors import ApiError, InvalidFormBody, not_found
from .gateway import INTENT_DIRECT_MESSAGES, INTENT_GUILD_MESSAGES, INTENT_MESSAGE_CONTENT
from .interactions import (
    APPLICATION_COMMAND,
    AUTOCOMPLETE,
    AUTOCOMPLETE_RESULT,
    CHANNEL_MESSAGE,
    DEFERRED_CHANNEL_MESSAGE,
    DEFERRED_UPDATE,
    MESSAGE_COMPONENT,
    MODAL,
    MODAL_SUBMIT,
    PONG,
    UPDATE_MESSAGE,
    Interaction,
)
from .model import (
    AppCommand,
    Channel,
    ChannelType,
    Member,
    Message,
    MessageFlag,
    Perm,
    StoredFile,
    World,
    utc_iso,
    walk_components,
)

if TYPE_CHECKING:
    from .server import FakeDiscord

log = logging.getLogger(__name__)

MAX_PINS = 250
# The message types Discord uses for interaction responses and pin notices.
CHAT_INPUT_COMMAND_TYPE, CHANNEL_PINNED_MESSAGE_TYPE = 20, 6


@dataclass
class UploadedFile:
    """One ``files[n]`` part of a multipart request."""

    field: str
    filename: str
    content_type: str
    data: bytes


@dataclass
class Call:
    """One parsed REST request as a handler sees it."""

    method: str
    path: str
    params: dict[str, str]
    query: dict[str, str]
    body: Any
    files: list[UploadedFile] = field(default_factory=list)

    def int_param(self, name: str) -> int:
        """Return a path parameter as an int (unparseable ids become 0, which matches nothing)."""
        value = self.params[name]
        return int(value) if value.isdigit() else 0

    def json_object(self) -> dict[str, Any]:
        """Return the body as a dict, or answer 400 like Discord does for a non-object body."""
        if self.body is None:
            return {}
        if not isinstance(self.body, dict):
            raise ApiError(400, 50109, "The request body contains invalid JSON.")
        return self.body


@dataclass
class Reply:
    """A handler's answer: status and JSON body (None for 204 No Content)."""

    status: int = 200
    body: Any = None


Handler = Callable[["RestApi", Call], Awaitable[Reply]]


@dataclass(frozen=True)
class Route:
    """A registered endpoint."""

    method: str
    template: str
    pattern: re.Pattern[str]
    handler: Handler
    global_exempt: bool

    @property
    def bucket(self) -> str:
        """Return the rate-limit bucket name (method + template)."""
        return f"{self.method} {self.template}"


ROUTES: list[Route] = []
# Path parameters that make up a bucket's identity, as on Discord ("major parameters").
MAJOR_PARAMS = ("channel_id", "guild_id", "app_id", "token", "interaction_id")


def route(method: str, template: str, *, global_exempt: bool = False) -> Callable[[Handler], Handler]:
    """Register a handler for ``method`` + ``template``."""
    regex = re.sub(
        r"\{(\w+)\}", r"(?P<\1>[^/]+)", re.escape(template).replace(r"\{", "{").replace(r"\}", "}")
    )

    def register(handler: Handler) -> Handler:
        ROUTES.append(Route(method, template, re.compile(f"^{regex}$"), handler, global_exempt))
        return handler

    return register


def match_route(method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    """Return the first route matching ``method`` and ``path`` and its parameters."""
    for candidate in ROUTES:
        if candidate.method == method:
            found = candidate.pattern.match(path)
            if found:
                return candidate, found.groupdict()
    return None


class RestApi:
    """Handlers for every supported endpoint, working on the server's world."""

    def __init__(self, server: FakeDiscord) -> None:
        self.server = server
        self.world = server.world
        # The nonces of messages the bot created, by channel: (message id, when, on the server's clock).
        self._nonces: dict[tuple[int, str], tuple[int, float]] = {}

    # --- users and the application ---------------------------------------------------------

    @route("GET", "/gateway")
    async def get_gateway(self, call: Call) -> Reply:
        return Reply(body={"url": self.server.gateway_url})

    @route("GET", "/gateway/bot")
    async def get_gateway_bot(self, call: Call) -> Reply:
        # discord.py asks this when it picks the shard count itself (AutoShardedClient without shard_count).
        return Reply(
            body={
                "url": self.server.gateway_url,
                "shards": self.server.shards.shard_count,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 1000 - self.server.identifies,
                    "reset_after": 24 * 3600 * 1000,
                    "max_concurrency": 1,
                },
            }
        )

    @route("GET", "/users/@me")
    async def get_me(self, call: Call) -> Reply:
        """Return the bot user (discord.py's login)."""
        return Reply(body=payloads.user(self.world.bot))

    @route("POST", "/users/@me/channels")
    async def create_dm(self, call: Call) -> Reply:
        """Open (or return) the DM channel with a user; closed DMs only fail when sending."""
        recipient = str(call.json_object().get("recipient_id"))
        user_id = int(recipient) if recipient.isdigit() else 0
        if user_id not in self.world.users or user_id == self.world.bot.id:
            raise ApiError(400, errors.INVALID_RECIPIENT, "Invalid Recipient(s)")
        return Reply(body=payloads.channel(self.world.dm_channel_for(user_id), self.world))

    @route("GET", "/users/@me/guilds")
    async def list_my_guilds(self, call: Call) -> Reply:
        """List the guilds the bot is in (none when it was never invited)."""
        if not self.server.in_guild:
            return Reply(body=[])
        bot = self.world.members[self.world.bot.id]
        return Reply(body=[payloads.partial_guild(self.world, self.world.base_permissions(bot))])

    @route("GET", "/users/{user_id}")
    async def get_user(self, call: Call) -> Reply:
        """Return a user."""
        user = self.world.users.get(call.int_param("user_id"))
        if user is None:
            raise not_found("User", errors.UNKNOWN_USER)
        return Reply(body=payloads.user(user))

    @route("GET", "/oauth2/applications/@me")
    async def get_application(self, call: Call) -> Reply:
        """Return the application (discord.py's login fails if this is missing)."""
        return Reply(body=payloads.application(self.world, self.server.application_flags))

    # --- application commands -------------------------------------------------------------

    @route("GET", "/applications/{app_id}/commands")
    async def list_global_commands(self, call: Call) -> Reply:
        """List global commands."""
        return Reply(body=self._list_commands(call, None))

    @route("PUT", "/applications/{app_id}/commands")
    async def overwrite_global_commands(self, call: Call) -> Reply:
        """Replace all global commands (``tree.sync()``)."""
        return Reply(body=self._overwrite_commands(call, None))

    @route("POST", "/applications/{app_id}/commands")
    async def upsert_global_command(self, call: Call) -> Reply:
        """Create or replace one global command."""
        return Reply(status=201, body=self._upsert_command(call, None))

    @route("DELETE", "/applications/{app_id}/commands/{command_id}")
    async def delete_global_command(self, call: Call) -> Reply:
        """Delete one global command."""
        self._delete_command(call, None)
        return Reply(status=204)

    @route("GET", "/applications/{app_id}/guilds/{guild_id}/commands")
    async def list_guild_commands(self, call: Call) -> Reply:
        """List guild commands."""
        return Reply(body=self._list_commands(call, self._guild(call).guild_id))

    @route("PUT", "/applications/{app_id}/guilds/{guild_id}/commands")
    async def overwrite_guild_commands(self, call: Call) -> Reply:
        """Replace all guild commands (``tree.sync(guild=...)``)."""
        return Reply(body=self._overwrite_commands(call, self._guild(call).guild_id))

    @route("POST", "/applications/{app_id}/guilds/{guild_id}/commands")
    async def upsert_guild_command(self, call: Call) -> Reply:
        """Create or replace one guild command."""
        return Reply(status=201, body=self._upsert_command(call, self._guild(call).guild_id))

    @route("DELETE", "/applications/{app_id}/guilds/{guild_id}/commands/{command_id}")
    async def delete_guild_command(self, call: Call) -> Reply:
        """Delete one guild command."""
        self._delete_command(call, self._guild(call).guild_id)
        return Reply(status=204)

    def _check_app(self, call: Call) -> None:
        if call.int_param("app_id") != self.world.application_id:
            raise ApiError(403, errors.MISSING_ACCESS, "Missing Access")
        if "guild_id" in call.params and self.server.refuse_commands:
            # The bot was invited without the applications.commands scope.
            raise ApiError(403, errors.MISSING_ACCESS, "Missing Access")

    def _list_commands(self, call: Call, guild_id: int | None) -> list[dict[str, Any]]:
        self._check_app(call)
        return [c.payload for c in self.world.commands_for(guild_id).values()]

    def _overwrite_commands(self, call: Call, guild_id: int | None) -> list[dict[str, Any]]:
        self._check_app(call)
        body = call.body if call.body is not None else []
        rules.check_commands(body)
        table = self.world.commands_for(guild_id)
        old = dict(table)
        table.clear()
        for spec in body:
            self._store_command(table, old, spec, guild_id)
        self.server.command_syncs += 1
        log.info(
            "commands: %s registered %s", "guild" if guild_id else "global", [c.get("name") for c in body]
        )
        return [c.payload for c in table.values()]

    def _upsert_command(self, call: Call, guild_id: int | None) -> dict[str, Any]:
        self._check_app(call)
        spec = call.json_object()
        problems = rules.Problems()
        rules.check_command(problems, (), spec)
        problems.raise_if_any()
        table = self.world.commands_for(guild_id)
        return self._store_command(table, dict(table), spec, guild_id).payload

    def _store_command(
        self,
        table: dict[tuple[int, str], AppCommand],
        old: dict[tuple[int, str], AppCommand],
        spec: dict[str, Any],
        guild_id: int | None,
    ) -> AppCommand:
        key = (spec.get("type") or 1, spec["name"])
        # Discord keeps a command's id when it is overwritten under the same name and type.
        command_id = old[key].id if key in old else self.world.ids.next()
        stored = dict(
            spec,
            id=str(command_id),
            application_id=str(self.world.application_id),
            version=str(self.world.ids.next()),
            type=key[0],
        )
        stored.setdefault("description", "")
        stored.setdefault("default_member_permissions", None)
        if stored["default_member_permissions"] is not None:
            # Discord takes the bit set as a number or a string and always answers with a string.
            stored["default_member_permissions"] = str(int(stored["default_member_permissions"]))
        if guild_id is not None:
            stored["guild_id"] = str(guild_id)
        command = AppCommand(command_id, guild_id, stored)
        table[key] = command
        return command

    def _delete_command(self, call: Call, guild_id: int | None) -> None:
        self._check_app(call)
        table = self.world.commands_for(guild_id)
        for key, command in list(table.items()):
            if command.id == call.int_param("command_id"):
                del table[key]
                return
        raise not_found("application command", errors.UNKNOWN_COMMAND)

    # --- channels and messages ------------------------------------------------------------

    @route("GET", "/channels/{channel_id}")
    async def get_channel(self, call: Call) -> Reply:
        """Return a channel."""
        return Reply(body=payloads.channel(self._channel(call), self.world))

    @route("GET", "/channels/{channel_id}/messages/pins")
    async def list_pins(self, call: Call) -> Reply:
        """List pinned messages in discord.py 2.7's paginated shape ({"items", "has_more"})."""
        pinned = self._pinned(self._channel(call))
        items = [{"pinned_at": m.pinned_at, "message": self._message_payload(m)} for m in pinned]
        return Reply(body={"items": items, "has_more": False})

    @route("GET", "/channels/{channel_id}/pins")
    async def list_pins_legacy(self, call: Call) -> Reply:
        """List pinned messages in the older plain-list shape."""
        return Reply(body=[self._message_payload(m) for m in self._pinned(self._channel(call))])

    @route("PUT", "/channels/{channel_id}/messages/pins/{message_id}")
    async def pin(self, call: Call) -> Reply:
        """Pin a message (the path discord.py 2.7 uses)."""
        return await self._set_pinned(call, True)

    @route("DELETE", "/channels/{channel_id}/messages/pins/{message_id}")
    async def unpin(self, call: Call) -> Reply:
        """Unpin a message (the path discord.py 2.7 uses)."""
        return await self._set_pinned(call, False)

    @route("PUT", "/channels/{channel_id}/pins/{message_id}")
    async def pin_legacy(self, call: Call) -> Reply:
        """Pin a message (older path, still served by Discord)."""
        return await self._set_pinned(call, True)

    @route("DELETE", "/channels/{channel_id}/pins/{message_id}")
    async def unpin_legacy(self, call: Call) -> Reply:
        """Unpin a message (older path)."""
        return await self._set_pinned(call, False)

    @route("GET", "/channels/{channel_id}/messages")
    async def list_messages(self, call: Call) -> Reply:
        """List messages newest first, honouring limit/before/after/around."""
        channel = self._channel(call)
        self._require(channel, Perm.VIEW_CHANNEL | Perm.READ_MESSAGE_HISTORY)
        messages = self.world.channel_messages(channel.id)
        limit = max(1, min(int(call.query.get("limit", 50)), 100))
        if "before" in call.query:
            messages = [m for m in messages if m.id < int(call.query["before"])][-limit:]
        elif "after" in call.query:
            messages = [m for m in messages if m.id > int(call.query["after"])][:limit]
        elif "around" in call.query:
            ids = [m.id for m in messages]
            center = ids.index(int(call.query["around"])) if int(call.query["around"]) in ids else len(ids)
            start = max(0, center - limit // 2)
            messages = messages[start : start + limit]
        else:
            messages = messages[-limit:]
        return Reply(body=[self._message_payload(m) for m in reversed(messages)])

    @route("POST", "/channels/{channel_id}/messages")
    async def post_message(self, call: Call) -> Reply:
        """Send a message as the bot (JSON or multipart with ``payload_json`` + ``files[n]``)."""
        channel = self._channel(call)
        body = call.json_object()
        if channel.type == ChannelType.DM:
            recipient = self.world.members.get(channel.recipient_id or 0)
            if recipient is None or not recipient.dms_open:
                raise ApiError(403, errors.CANNOT_DM_USER, "Cannot send messages to this user")
        elif channel.type == ChannelType.FORUM:
            raise ApiError(400, 50008, "Cannot send messages in a non-text channel")
        else:
            send = Perm.SEND_MESSAGES_IN_THREADS if channel.is_thread else Perm.SEND_MESSAGES
            self._require(channel, Perm.VIEW_CHANNEL | send)
        nonce = body.get("nonce")
        if nonce is not None and body.get("enforce_nonce"):
            # Discord answers a repeated nonce with the message it already created, but only for a few
            # minutes: a repeat after that window is a new message.
            seen = self._nonces.get((channel.id, str(nonce)))
            if seen is not None and self.server.clock() - seen[1] <= self.server.nonce_window:
                existing = self.world.messages.get(seen[0])
                if existing is not None:
                    return Reply(body=self._message_payload(existing))
        message = await self.create_message(
            channel, body, call.files, nonce=nonce, reference_id=self._replied_to(channel, body)
        )
        if nonce is not None:
            self._nonces[(channel.id, str(nonce))] = (message.id, self.server.clock())
        return Reply(body=self._message_payload(message))

    def _replied_to(self, channel: Channel, body: dict[str, Any]) -> int | None:
        """Return the id of the message a new message replies to; refuse a reply to a message that is not in
        the channel (never was, or was deleted), unless ``fail_if_not_exists`` is false: then it is sent as a
        plain message, as Discord does."""
        reference = body.get("message_reference") or {}
        if not reference.get("message_id"):
            return None
        answered = self.world.messages.get(int(reference["message_id"]))
        if answered is not None and not answered.deleted and answered.channel_id == channel.id:
            return answered.id
        if reference.get("fail_if_not_exists", True) is False:
            return None
        unknown = {"code": "REPLIES_UNKNOWN_MESSAGE", "message": "Unknown message"}
        raise InvalidFormBody({"message_reference": {"_errors": [unknown]}})

    @route("GET", "/channels/{channel_id}/messages/{message_id}")
    async def get_message(self, call: Call) -> Reply:
        """Return one message."""
        return Reply(body=self._message_payload(self._message(call)))

    @route("PATCH", "/channels/{channel_id}/messages/{message_id}")
    async def edit_message(self, call: Call) -> Reply:
        """Edit one of the bot's messages."""
        message = self._message(call)
        if message.author_id != self.world.bot.id:
            raise ApiError(403, 50005, "Cannot edit a message authored by another user")
        await self.apply_edit(message, call.json_object(), call.files)
        return Reply(body=self._message_payload(message))

    @route("DELETE", "/channels/{channel_id}/messages/{message_id}")
    async def delete_message(self, call: Call) -> Reply:
        """Delete a message (others' messages need Manage Messages)."""
        message = self._message(call)
        if message.author_id != self.world.bot.id:
            self._require(self._channel(call), Perm.MANAGE_MESSAGES)
        await self.delete(message)
        return Reply(status=204)

    @route("PUT", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me")
    async def add_reaction(self, call: Call) -> Reply:
        """React to a message as the bot."""
        self._message(call).reactions.setdefault(call.params["emoji"], set()).add(self.world.bot.id)
        return Reply(status=204)

    @route("DELETE", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me")
    async def remove_reaction(self, call: Call) -> Reply:
        """Remove the bot's reaction."""
        self._message(call).reactions.get(call.params["emoji"], set()).discard(self.world.bot.id)
        return Reply(status=204)

    @route("POST", "/channels/{channel_id}/typing")
    async def typing(self, call: Call) -> Reply:
        """Accept a typing indicator."""
        self._channel(call)
        return Reply(status=204)

    @route("POST", "/channels/{channel_id}/threads")
    async def create_thread(self, call: Call) -> Reply:
        """Create a thread; in a forum it is a post whose first message shares the thread's id."""
        parent = self._channel(call)
        body = call.json_object()
        problems = rules.Problems()
        problems.between(("name",), body.get("name"), 1, 100)
        if parent.type == ChannelType.FORUM:
            if not isinstance(body.get("message"), dict):
                problems.add(("message",), "BASE_TYPE_REQUIRED", "This field is required")
            else:
                rules.check_message(body["message"], base=("message",))
        problems.raise_if_any()
        self._require(parent, Perm.VIEW_CHANNEL | Perm.CREATE_PUBLIC_THREADS)
        thread = Channel(
            id=self.world.ids.next(),
            type=ChannelType.PUBLIC_THREAD,
            name=body["name"],
            guild_id=self.world.guild_id,
            parent_id=parent.id,
            owner_id=self.world.bot.id,
            applied_tags=[str(t) for t in body.get("applied_tags") or []],
            auto_archive_duration=int(body.get("auto_archive_duration") or 1440),
        )
        self.world.channels[thread.id] = thread
        result = payloads.thread(thread, self.world)
        if parent.type == ChannelType.FORUM:
            message = await self.create_message(thread, body["message"], call.files, message_id=thread.id)
            result = payloads.thread(thread, self.world)
            result["message"] = self._message_payload(message)
        gateway = self.server.gateway_for(thread.guild_id)
        await gateway.dispatch("THREAD_CREATE", dict(result, newly_created=True))
        return Reply(status=201, body=result)

    # --- guild, members and roles ---------------------------------------------------------

    @route("GET", "/guilds/{guild_id}")
    async def get_guild(self, call: Call) -> Reply:
        """Return the guild."""
        self._guild(call)
        body = payloads.guild_create(self.world, include_members=False)
        for key in ("members", "channels", "threads", "presences", "voice_states", "joined_at", "large"):
            body.pop(key, None)
        return Reply(body=body)

    @route("GET", "/guilds/{guild_id}/channels")
    async def list_guild_channels(self, call: Call) -> Reply:
        """List guild channels."""
        self._guild(call)
        channels = [c for c in self.world.channels.values() if c.guild_id and not c.is_thread]
        return Reply(body=[payloads.channel(c, self.world) for c in channels])

    @route("GET", "/guilds/{guild_id}/roles")
    async def list_roles(self, call: Call) -> Reply:
        """List roles."""
        self._guild(call)
        return Reply(body=[payloads.role(r) for r in self.world.roles.values()])

    @route("GET", "/guilds/{guild_id}/members")
    async def list_members(self, call: Call) -> Reply:
        """List members (Discord requires the members intent for this; the fake does not check)."""
        self._guild(call)
        limit = max(1, min(int(call.query.get("limit", 1)), 1000))
        after = int(call.query.get("after", 0))
        members = sorted((m for m in self.world.members.values() if m.id > after), key=lambda m: m.id)
        return Reply(body=[payloads.member(m) for m in members[:limit]])

    @route("GET", "/guilds/{guild_id}/members/{user_id}")
    async def get_member(self, call: Call) -> Reply:
        """Return one member."""
        return Reply(body=payloads.member(self._member(call)))

    @route("PUT", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}")
    async def add_member_role(self, call: Call) -> Reply:
        """Give a member a role (role hierarchy applies) and send GUILD_MEMBER_UPDATE."""
        member, role_id = self._member(call), self._assignable_role(call)
        if role_id not in member.role_ids:
            member.role_ids.append(role_id)
        await self.server.member_updated(member)
        return Reply(status=204)

    @route("DELETE", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}")
    async def remove_member_role(self, call: Call) -> Reply:
        """Take a role from a member and send GUILD_MEMBER_UPDATE."""
        member, role_id = self._member(call), self._assignable_role(call)
        if role_id in member.role_ids:
            member.role_ids.remove(role_id)
        await self.server.member_updated(member)
        return Reply(status=204)

    def _assignable_role(self, call: Call) -> int:
        role = self.world.roles.get(call.int_param("role_id"))
        if role is None:
            raise not_found("Role", errors.UNKNOWN_ROLE)
        bot = self.world.members[self.world.bot.id]
        if not self.world.base_permissions(bot) & Perm.MANAGE_ROLES:
            raise ApiError(403, errors.MISSING_PERMISSIONS, "Missing Permissions")
        # A bot may only manage roles strictly below its own highest role; never @everyone or managed ones.
        if (
            role.managed
            or role.id == self.world.guild_id
            or role.position >= self.world.top_role_position(bot)
        ):
            raise ApiError(403, errors.MISSING_PERMISSIONS, "Missing Permissions")
        return role.id

    # --- interactions ---------------------------------------------------------------------

    @route("POST", "/interactions/{interaction_id}/{token}/callback", global_exempt=True)
    async def interaction_callback(self, call: Call) -> Reply:
        """Take the initial response: once only, and only inside the interaction window."""
        inter = self.server.interaction_by_id(call.int_param("interaction_id"))
        if inter is None or inter.token != call.params["token"]:
            raise not_found("interaction", errors.UNKNOWN_INTERACTION)
        if inter.claimed:
            raise ApiError(400, errors.ALREADY_ACKNOWLEDGED, "Interaction has already been acknowledged.")
        if self.server.clock() - inter.created_at > self.server.interaction_window:
            raise not_found("interaction", errors.UNKNOWN_INTERACTION)
        body = call.json_object()
        kind = self._callback_type(inter, body.get("type"))
        data = body.get("data") or {}
        # Claim the interaction before awaiting anything, so a concurrent second response gets 40060.
        inter.claimed = True
        try:
            message = await self._perform_callback(inter, kind, data, call.files)
        except BaseException:
            inter.claimed = False
            raise
        inter.response = body
        inter.acknowledged_at = self.server.clock()
        if message is not None:
            inter.original_message_id = message.id
        log.info("interaction %s answered with type %s", inter.id, kind)
        if call.query.get("with_response") not in ("1", "true", "True"):
            return Reply(status=204)
        return Reply(body=self._callback_response(inter, kind, message))

    async def _perform_callback(
        self, inter: Interaction, kind: int, data: dict[str, Any], files: Sequence[UploadedFile]
    ) -> Message | None:
        """Carry out a response; return the message it created or updated, if any."""
        if kind == CHANNEL_MESSAGE:
            return await self._interaction_message(inter, data, files)
        if kind == DEFERRED_CHANNEL_MESSAGE:
            flags = MessageFlag.LOADING | (int(data.get("flags") or 0) & MessageFlag.EPHEMERAL)
            return await self._interaction_message(inter, {"flags": int(flags)}, [], allow_empty=True)
        if kind in (DEFERRED_UPDATE, UPDATE_MESSAGE):
            assert inter.source_message_id is not None  # guaranteed by _callback_type
            message = self.world.messages[inter.source_message_id]
            if kind == UPDATE_MESSAGE:
                await self.apply_edit(message, data, files)
            return message
        if kind == AUTOCOMPLETE_RESULT:
            rules.check_autocomplete(data)
        elif kind == MODAL:
            rules.check_modal(data)
        return None

    def _callback_type(self, inter: Interaction, kind: Any) -> int:
        """Return the response type, refusing types Discord does not accept for this interaction."""
        allowed = {
            APPLICATION_COMMAND: {CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, MODAL},
            MESSAGE_COMPONENT: {
                CHANNEL_MESSAGE,
                DEFERRED_CHANNEL_MESSAGE,
                DEFERRED_UPDATE,
                UPDATE_MESSAGE,
                MODAL,
            },
            AUTOCOMPLETE: {AUTOCOMPLETE_RESULT},
            MODAL_SUBMIT: {CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE}
            | ({DEFERRED_UPDATE, UPDATE_MESSAGE} if inter.source_message_id else set()),
        }.get(inter.type, {PONG})
        if not isinstance(kind, int) or kind not in allowed:
            problems = rules.Problems()
            problems.add(
                ("type",),
                "INTERACTION_RESPONSE_TYPE_INVALID",
                f"Response type {kind} is not valid for interaction type {inter.type}",
            )
            problems.raise_if_any()
        return int(kind)

    def _callback_response(self, inter: Interaction, kind: int, message: Message | None) -> dict[str, Any]:
        """Build the ``?with_response=1`` body discord.py 2.7 parses into InteractionCallbackResponse."""
        summary: dict[str, Any] = {"id": str(inter.id), "type": inter.type}
        result: dict[str, Any] = {"interaction": summary}
        if message is not None:
            summary.update(
                response_message_id=str(message.id),
                response_message_loading=bool(message.flags & MessageFlag.LOADING),
                response_message_ephemeral=message.ephemeral,
            )
            result["resource"] = {"type": kind, "message": self._message_payload(message)}
        elif kind != AUTOCOMPLETE_RESULT:
            result["resource"] = {"type": kind}
        return result

    async def _interaction_message(
        self,
        inter: Interaction,
        data: dict[str, Any],
        files: Sequence[UploadedFile],
        *,
        allow_empty: bool = False,
    ) -> Message:
        flags = int(data.get("flags") or 0)
        return await self.create_message(
            self.world.channels[inter.channel_id],
            data,
            files,
            webhook=True,
            allow_empty=allow_empty,
            interaction=inter,
            ephemeral_for=inter.user_id if flags & MessageFlag.EPHEMERAL else None,
        )

    @route("POST", "/webhooks/{app_id}/{token}", global_exempt=True)
    async def followup(self, call: Call) -> Reply:
        """Send a follow-up message (allowed after the initial response, for 15 minutes)."""
        inter = self._webhook_interaction(call)
        message = await self._interaction_message(inter, call.json_object(), call.files)
        # Recorded only once accepted: a refused follow-up never reached the user.
        inter.followups.append(call.json_object())
        inter.followup_message_ids.append(message.id)
        if call.query.get("wait") in ("1", "true", "True"):
            return Reply(body=self._message_payload(message))
        return Reply(status=204)

    @route("GET", "/webhooks/{app_id}/{token}/messages/@original", global_exempt=True)
    async def get_original(self, call: Call) -> Reply:
        """Return the original response message."""
        return Reply(body=self._message_payload(self._original(call)))

    @route("PATCH", "/webhooks/{app_id}/{token}/messages/@original", global_exempt=True)
    async def edit_original(self, call: Call) -> Reply:
        """Edit the original response (this is how a deferral gets its content)."""
        message = self._original(call)
        await self.apply_edit(message, call.json_object(), call.files)
        self._webhook_interaction(call).edits.append(call.json_object())
        return Reply(body=self._message_payload(message))

    @route("DELETE", "/webhooks/{app_id}/{token}/messages/@original", global_exempt=True)
    async def delete_original(self, call: Call) -> Reply:
        """Delete the original response."""
        await self.delete(self._original(call))
        return Reply(status=204)

    @route("GET", "/webhooks/{app_id}/{token}/messages/{message_id}", global_exempt=True)
    async def get_followup(self, call: Call) -> Reply:
        """Return a follow-up message."""
        return Reply(body=self._message_payload(self._followup_message(call)))

    @route("PATCH", "/webhooks/{app_id}/{token}/messages/{message_id}", global_exempt=True)
    async def edit_followup(self, call: Call) -> Reply:
        """Edit a follow-up message."""
        message = self._followup_message(call)
        await self.apply_edit(message, call.json_object(), call.files)
        return Reply(body=self._message_payload(message))

    @route("DELETE", "/webhooks/{app_id}/{token}/messages/{message_id}", global_exempt=True)
    async def delete_followup(self, call: Call) -> Reply:
        """Delete a follow-up message."""
        await self.delete(self._followup_message(call))
        return Reply(status=204)

    def _webhook_interaction(self, call: Call) -> Interaction:
        inter = self.server.interaction_by_token(call.params["token"])
        if inter is None or call.int_param("app_id") != self.world.application_id or inter.response is None:
            # Before the initial response the interaction webhook does not exist yet.
            raise not_found("Webhook", errors.UNKNOWN_WEBHOOK)
        if self.server.clock() - inter.created_at > self.server.followup_window:
            raise ApiError(401, errors.INVALID_WEBHOOK_TOKEN, "Invalid Webhook Token")
        return inter

    def _original(self, call: Call) -> Message:
        inter = self._webhook_interaction(call)
        message = inter.original
        if message is None or message.deleted:
            raise not_found("Message", errors.UNKNOWN_MESSAGE)
        return message

    def _followup_message(self, call: Call) -> Message:
        inter = self._webhook_interaction(call)
        message_id = call.int_param("message_id")
        message = self.world.messages.get(message_id)
        if (
            message is None
            or message.deleted
            or message_id not in inter.followup_message_ids + [inter.original_message_id]
        ):
            raise not_found("Message", errors.UNKNOWN_MESSAGE)
        return message

    # --- shared message machinery ---------------------------------------------------------

    async def create_message(
        self,
        channel: Channel,
        body: dict[str, Any],
        files: Sequence[UploadedFile],
        *,
        webhook: bool = False,
        allow_empty: bool = False,
        interaction: Interaction | None = None,
        ephemeral_for: int | None = None,
        nonce: Any = None,
        reference_id: int | None = None,
        message_id: int | None = None,
    ) -> Message:
        """Validate a message body, store the message and dispatch MESSAGE_CREATE."""
        rules.check_message(body)
        attachments = self._new_attachments(body, files)
        if not allow_empty:
            rules.check_not_empty(
                content=body.get("content"),
                embeds=body.get("embeds") or [],
                components=body.get("components") or [],
                attachments=len(attachments),
                extra=(body.get("sticker_ids"), body.get("poll")),
            )
        message = Message(
            id=message_id or self.world.ids.next(),
            channel_id=channel.id,
            author_id=self.world.bot.id,
            content=body.get("content") or "",
            embeds=[dict(e, type=e.get("type", "rich")) for e in body.get("embeds") or []],
            components=self._number_components(body.get("components") or []),
            attachments=attachments,
            nonce=nonce,
            flags=int(body.get("flags") or 0),
            webhook_id=self.world.application_id if webhook else None,
            interaction_id=interaction.id if interaction else None,
            type=CHAT_INPUT_COMMAND_TYPE
            if interaction and interaction.type == APPLICATION_COMMAND
            else (19 if reference_id else 0),
            ephemeral_for=ephemeral_for,
            reference_id=reference_id,
        )
        self.world.add_message(message)
        if not message.ephemeral:
            await self.dispatch_message("MESSAGE_CREATE", message)
        self.server.notify()
        return message

    async def apply_edit(self, message: Message, body: dict[str, Any], files: Sequence[UploadedFile]) -> None:
        """Validate and apply an edit atomically; the result must still show something."""
        rules.check_message(body)
        # Build the edited version first so a refused edit leaves the message untouched.
        draft = copy.copy(message)
        if "content" in body:
            draft.content = body["content"] or ""
        if "embeds" in body:
            draft.embeds = [dict(e, type=e.get("type", "rich")) for e in body["embeds"] or []]
        if "components" in body:
            draft.components = self._number_components(body["components"] or [])
        if "attachments" in body:
            keep = {str(a.get("id")) for a in body["attachments"] or []}
            draft.attachments = [a for a in message.attachments if str(a.id) in keep]
        draft.attachments = draft.attachments + self._new_attachments(body, files)
        if body.get("flags") is not None:
            editable = MessageFlag.SUPPRESS_EMBEDS | MessageFlag.IS_COMPONENTS_V2
            draft.flags = (message.flags & ~editable) | (int(body["flags"]) & editable)
        rules.check_not_empty(
            content=draft.content,
            embeds=draft.embeds,
            components=draft.components,
            attachments=len(draft.attachments),
        )
        message.content, message.embeds, message.components = draft.content, draft.embeds, draft.components
        message.attachments = draft.attachments
        message.flags = draft.flags & ~MessageFlag.LOADING
        message.edited_at = utc_iso()
        if not message.ephemeral:
            await self.dispatch_message("MESSAGE_UPDATE", message)
        self.server.notify()

    async def delete(self, message: Message) -> None:
        """Mark a message deleted and dispatch MESSAGE_DELETE."""
        message.deleted = True
        if not message.ephemeral:
            event = {"id": str(message.id), "channel_id": str(message.channel_id)}
            channel = self.world.channels.get(message.channel_id)
            if channel is not None and channel.guild_id:
                event["guild_id"] = str(channel.guild_id)
            guild_id = channel.guild_id if channel is not None else None
            await self.server.gateway_for(guild_id).dispatch(
                "MESSAGE_DELETE", event, intent=self._message_intent(message)
            )
        self.server.notify()

    async def dispatch_message(self, event: str, message: Message) -> None:
        """Send MESSAGE_CREATE/UPDATE (with the GUILD_MESSAGES intent for a server's message, DIRECT_MESSAGES
        for a DM's), hiding content from bots without the message-content intent: a server message's text,
        embeds, attachments and components are empty unless the bot wrote it or it mentions the bot (a reply's
        ping counts: it puts the bot in ``mentions``); a DM's always come. The message a reply answers is
        hidden by the same rule."""
        payload = self._message_payload(message, for_gateway=True)
        channel = self.world.channels.get(message.channel_id)
        gateway = self.server.gateway_for(channel.guild_id if channel is not None else None)
        if not gateway.has_intent(INTENT_MESSAGE_CONTENT):
            for shown in (payload, payload.get("referenced_message")):
                if shown is not None and not self._content_shown(shown):
                    shown.update(content="", embeds=[], attachments=[], components=[])
        await gateway.dispatch(event, payload, intent=self._message_intent(message))

    def _content_shown(self, payload: dict[str, Any]) -> bool:
        """Tell whether a bot without the message-content intent gets a message's content."""
        bot_id = str(self.world.bot.id)
        is_dm = self.world.channels[int(payload["channel_id"])].type == ChannelType.DM
        return payload["author"]["id"] == bot_id or is_dm or bot_id in {u["id"] for u in payload["mentions"]}

    def _message_intent(self, message: Message) -> int:
        is_dm = self.world.channels[message.channel_id].type == ChannelType.DM
        return INTENT_DIRECT_MESSAGES if is_dm else INTENT_GUILD_MESSAGES

    def _new_attachments(self, body: dict[str, Any], files: Sequence[UploadedFile]) -> list[StoredFile]:
        """Store uploaded ``files[n]`` parts, taking descriptions from ``attachments[].id == n``."""
        described = {str(a.get("id")): a for a in body.get("attachments") or []}
        stored = []
        for upload in files:
            index = upload.field[len("files[") : -1] if upload.field.startswith("files[") else upload.field
            meta = described.get(index, {})
            stored.append(
                self.world.add_file(
                    meta.get("filename") or upload.filename,
                    upload.data,
                    upload.content_type,
                    description=meta.get("description"),
                )
            )
        return stored

    @staticmethod
    def _number_components(components: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Return a copy with numeric component ids filled in, as Discord does in its responses."""
        # Copy so the recorded request bodies stay exactly what the bot sent.
        components = copy.deepcopy(components)
        for number, component in enumerate(walk_components(components), start=1):
            component.setdefault("id", number)
        return components

    def _message_payload(self, message: Message, *, for_gateway: bool = False) -> dict[str, Any]:
        return payloads.message(message, self.world, self.server.base_url, for_gateway=for_gateway)

    def _pinned(self, channel: Channel) -> list[Message]:
        pinned = [m for m in self.world.channel_messages(channel.id) if m.pinned]
        return sorted(pinned, key=lambda m: m.pinned_at or "", reverse=True)

    async def _set_pinned(self, call: Call, pinned: bool) -> Reply:
        channel = self._channel(call)
        message = self._message(call)
        # Since 23 February 2026 only Pin Messages lets a bot pin; Manage Messages no longer does.
        if (
            not self.world.channel_permissions(self.world.members[self.world.bot.id], channel)
            & Perm.PIN_MESSAGES
        ):
            raise ApiError(403, errors.MISSING_PERMISSIONS, "Missing Permissions")
        if pinned and not message.pinned:
            if len(self._pinned(channel)) >= MAX_PINS:
                raise ApiError(400, errors.MAX_PINS, f"Maximum number of pins reached ({MAX_PINS})")
            message.pinned, message.pinned_at = True, utc_iso()
            # Discord posts a "pinned a message" system message in the channel.
            notice = Message(
                id=self.world.ids.next(),
                channel_id=channel.id,
                author_id=self.world.bot.id,
                type=CHANNEL_PINNED_MESSAGE_TYPE,
                reference_id=message.id,
            )
            self.world.add_message(notice)
            await self.dispatch_message("MESSAGE_CREATE", notice)
        elif not pinned:
            message.pinned, message.pinned_at = False, None
        event = {"channel_id": str(channel.id), "last_pin_timestamp": message.pinned_at}
        if channel.guild_id:
            event["guild_id"] = str(channel.guild_id)
        await self.server.gateway_for(channel.guild_id).dispatch("CHANNEL_PINS_UPDATE", event, intent=1 << 0)
        self.server.notify()
        return Reply(status=204)

    # --- lookups ---------------------------------------------------------------------------

    def _channel(self, call: Call) -> Channel:
        channel = self.world.channels.get(call.int_param("channel_id"))
        if channel is None:
            raise not_found("Channel", errors.UNKNOWN_CHANNEL)
        return channel

    def _message(self, call: Call) -> Message:
        channel = self._channel(call)
        message = self.world.messages.get(call.int_param("message_id"))
        if message is None or message.deleted or message.channel_id != channel.id or message.ephemeral:
            raise not_found("Message", errors.UNKNOWN_MESSAGE)
        return message

    def _guild(self, call: Call) -> World:
        if call.int_param("guild_id") != self.world.guild_id:
            raise not_found("Guild", errors.UNKNOWN_GUILD)
        if not self.server.in_guild:
            raise ApiError(403, errors.MISSING_ACCESS, "Missing Access")
        return self.world

    def _member(self, call: Call) -> Member:
        self._guild(call)
        member = self.world.members.get(call.int_param("user_id"))
        if member is None:
            raise not_found("Member", errors.UNKNOWN_MEMBER)
        return member

    def _require(self, channel: Channel, needed: int) -> None:
        """Answer 403 unless the bot has ``needed`` in a guild channel (50001 if it cannot even see it)."""
        if channel.guild_id is None:
            return
        perms = self.world.channel_permissions(self.world.members[self.world.bot.id], channel)
        if not perms & Perm.VIEW_CHANNEL:
            raise ApiError(403, errors.MISSING_ACCESS, "Missing Access")
        if perms & needed != needed:
            raise ApiError(403, errors.MISSING_PERMISSIONS, "Missing Permissions")
