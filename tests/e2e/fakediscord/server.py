"""``FakeDiscord``: an aiohttp server on loopback that speaks Discord's REST API and gateway.

The bot under test (in-process or a subprocess) is pointed at it with
``discord.http.Route.BASE = fake.api_base`` and
``discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)``
(env ``DISCORD_API_BASE`` / ``DISCORD_GATEWAY_URL`` for a subprocess). All state lives in
this object, in the test's process; the test drives users' actions with its async methods
and asserts on what the bot did through ``requests`` and the message model.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import secrets
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Self

from aiohttp import BodyPartReader, web

from . import payloads
from .errors import ApiError
from .gateway import (
    INTENT_GUILD_MEMBERS,
    INTENT_GUILD_PRESENCES,
    INTENT_MESSAGE_CONTENT,
    PRIVILEGED_INTENTS,
    Gateway,
    ShardRouter,
)
from .interactions import (
    APPLICATION_COMMAND,
    AUTOCOMPLETE,
    MESSAGE_COMPONENT,
    MODAL_SUBMIT,
    Interaction,
    Resolved,
    command_available,
    command_data,
    component_data,
    interaction_payload,
    modal_submit_data,
)
from .model import (
    DEFAULT_CHANNELS,
    DEFAULT_MEMBERS,
    DEFAULT_ROLES,
    AppCommand,
    Channel,
    ChannelSpec,
    ChannelType,
    Member,
    MemberSpec,
    Message,
    RoleSpec,
    Snowflakes,
    World,
)
from .ratelimit import RateLimitConfig, RateLimiter
from .rest import MAJOR_PARAMS, Call, Reply, RestApi, UploadedFile, match_route

log = logging.getLogger(__name__)

API_PREFIX = "/api/v10"
# The application flags telling which privileged intents are switched on, as Discord sets them for an
# application that is not verified (fewer than 100 servers: what a self-hosted bot is): the _LIMITED ones.
INTENT_FLAGS = {
    INTENT_GUILD_PRESENCES: 1 << 13, INTENT_GUILD_MEMBERS: 1 << 15, INTENT_MESSAGE_CONTENT: 1 << 19,
}
UNAUTHORIZED = {"message": "401: Unauthorized", "code": 0}
UserRef = int | str  # a user id or username
ChannelRef = int | str  # a channel id or name


@dataclass
class Recorded:
    """One REST request the bot made and the fake's answer."""

    method: str
    path: str  # without the /api/v10 prefix and without the query string
    query: dict[str, str]
    json_body: Any  # the JSON body, or the parsed payload_json of a multipart request
    files: list[UploadedFile]
    status: int
    response_json: Any
    route: str | None = None  # the matched template, None for unknown routes
    at: float = 0.0  # seconds since the server started
    headers: dict[str, str] = field(default_factory=dict)
    port: int = 0  # the fake's port it came in on: tells clients apart that were given ports of their own


class FakeDiscord:
    """A strict, stateful fake of Discord for end-to-end tests of a discord.py bot."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        guild_name: str = "Jobbskaparna",
        bot_name: str = "Jobbskaparna",
        owner_name: str = "owner",
        roles: Sequence[RoleSpec] = DEFAULT_ROLES,
        channels: Sequence[ChannelSpec] = DEFAULT_CHANNELS,
        members: Sequence[MemberSpec] = DEFAULT_MEMBERS,
        interaction_window: float = 3.0,
        followup_window: float = 15 * 60.0,
        nonce_window: float = 5 * 60.0,
        rate_limits: RateLimitConfig | None = None,
        heartbeat_interval_ms: int = 41250,
        clock: Callable[[], float] = time.monotonic,
        latency: float = 0.0,
        tokens: Collection[str] | None = None,
        enabled_intents: int = PRIVILEGED_INTENTS,
        in_guild: bool = True,
        refuse_commands: bool = False,
        shards: int = 1,
        required_shards: int = 1,
    ) -> None:
        self.host = host
        # The bot tokens Discord accepts (None: any); another gets 401 on REST and close 4004 on IDENTIFY.
        self.tokens = None if tokens is None else frozenset(tokens)
        # The privileged intents switched on in the Developer Portal; IDENTIFY with another is closed (4014).
        self.enabled_intents = enabled_intents
        # False: the bot was never invited (READY has no guilds, the guild's routes answer 403).
        self.in_guild = in_guild
        # True: the bot was invited without applications.commands (the guild's commands answer 403 50001).
        self.refuse_commands = refuse_commands
        # Seconds each REST request waits before it is handled, like Discord's round trip (for benchmarks).
        self.latency = latency
        self._requested_port = port
        self.clock = clock
        self.interaction_window = interaction_window
        self.followup_window = followup_window
        # How long a message's nonce makes a repeat return the same message ("the past few minutes").
        self.nonce_window = nonce_window
        self.world = World(
            ids=Snowflakes(),
            guild_name=guild_name,
            bot_name=bot_name,
            owner_name=owner_name,
            roles=roles,
            channels=channels,
            members=members,
        )
        self.limiter = RateLimiter(rate_limits or RateLimitConfig(), clock=clock)
        # Shard 0's session: the only one unless the bot identifies with a shard count above 1.
        self.gateway = Gateway(self, heartbeat_interval_ms=heartbeat_interval_ms)
        # ``shards`` is the count GET /gateway/bot recommends; ``required_shards`` the fewest accepted.
        self.shards = ShardRouter(self, self.gateway, shard_count=shards, required_shards=required_shards)
        self.api = RestApi(self)
        self.requests: list[Recorded] = []
        # API requests received and not answered yet (a request whose client died is still handled).
        self.handling = 0
        self.interactions: list[Interaction] = []
        self.internal_errors: list[BaseException] = []
        self.command_syncs = 0
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._started_at = clock()
        self._changed = asyncio.Event()

    # --- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        """Bind the server (port 0 picks a free port) and start serving."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self._counted_api)
        app.router.add_get("/gateway", self.shards.handle)
        app.router.add_get("/gateway/", self.shards.handle)
        app.router.add_get("/attachments/{file_id}/{filename}", self._serve_file)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self._requested_port)
        await site.start()
        self._port = self._runner.addresses[0][1]
        self._started_at = self.clock()
        log.info("fake discord listening on %s", self.base_url)

    async def stop(self) -> None:
        """Close the gateway and stop serving."""
        await self.shards.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        log.info("fake discord stopped")

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # --- addresses and ids --------------------------------------------------------------------

    @property
    def port(self) -> int:
        """Return the bound port (after ``start()``)."""
        if self._port is None:
            raise RuntimeError("FakeDiscord is not started")
        return self._port

    @property
    def base_url(self) -> str:
        """Return ``http://host:port``."""
        return f"http://{self.host}:{self.port}"

    @property
    def api_base(self) -> str:
        """Return the value for ``discord.http.Route.BASE`` / env ``DISCORD_API_BASE``."""
        return self.base_url + API_PREFIX

    @property
    def gateway_url(self) -> str:
        """Return the value for ``DiscordWebSocket.DEFAULT_GATEWAY`` / env ``DISCORD_GATEWAY_URL``."""
        return f"ws://{self.host}:{self.port}/gateway"

    def env(self, port: int | None = None) -> dict[str, str]:
        """Return the environment variables that point a bot subprocess at this server (at another of its
        ports: see ``listen_also``)."""
        if port is None:
            return {"DISCORD_API_BASE": self.api_base, "DISCORD_GATEWAY_URL": self.gateway_url}
        base = f"http://{self.host}:{port}"
        return {"DISCORD_API_BASE": base + API_PREFIX, "DISCORD_GATEWAY_URL": f"ws://{self.host}:{port}/gateway"}

    async def listen_also(self) -> int:
        """Serve on one more (free) port and return it: the same server, whose ``Recorded.port`` then tells
        apart the requests of clients given ports of their own (two bot processes)."""
        if self._runner is None:
            raise RuntimeError("FakeDiscord is not started")
        site = web.TCPSite(self._runner, self.host, 0)
        await site.start()
        server = site._server  # aiohttp keeps the bound socket there; it has no public accessor
        assert server is not None and server.sockets
        return int(server.sockets[0].getsockname()[1])

    def accepts_token(self, token: str) -> bool:
        """Tell whether Discord takes this bot token."""
        return self.tokens is None or token in self.tokens

    @property
    def application_flags(self) -> int:
        """Return the application's flags for its switched-on privileged intents."""
        return sum(flag for intent, flag in INTENT_FLAGS.items() if self.enabled_intents & intent)

    @property
    def application_id(self) -> int:
        """Return the application id (equal to the bot user's id)."""
        return self.world.application_id

    @property
    def bot_user_id(self) -> int:
        """Return the bot user's id."""
        return self.world.bot.id

    @property
    def guild_id(self) -> int:
        """Return the guild's id."""
        return self.world.guild_id

    def role_id(self, name: str) -> int:
        """Return the id of the role called ``name``."""
        return self.world.role_by_name(name).id

    def channel_id(self, name: str) -> int:
        """Return the id of the channel called ``name``."""
        return self.world.resolve_channel(name).id

    def user_id(self, name: str) -> int:
        """Return the id of the member whose username is ``name``."""
        return self.world.member_by_name(name).id

    def member(self, user: UserRef) -> Member:
        """Return a member by id or username."""
        return self.world.resolve_member(user)

    def member_role_names(self, user: UserRef) -> list[str]:
        """Return the names of a member's roles."""
        return [self.world.roles[r].name for r in self.member(user).role_ids]

    def dm_channel_id(self, user: UserRef) -> int:
        """Return (creating if needed) the DM channel id between the bot and a user."""
        return self.world.dm_channel_for(self.member(user).id).id

    def set_dms_open(self, user: UserRef, is_open: bool) -> None:
        """Open or close a user's DMs to the bot (closed → 403 code 50007 on send)."""
        self.member(user).dms_open = is_open

    # --- message model ------------------------------------------------------------------------

    def messages_in(self, channel: ChannelRef, *, include_ephemeral: bool = False) -> list[Message]:
        """Return a channel's live messages, oldest first."""
        return self.world.channel_messages(
            self.world.resolve_channel(channel).id, include_ephemeral=include_ephemeral
        )

    def dm_messages(self, user: UserRef) -> list[Message]:
        """Return the messages in the DM channel with a user, oldest first."""
        return self.world.channel_messages(self.dm_channel_id(user))

    def threads_in(self, channel: ChannelRef) -> list[Channel]:
        """Return the threads (forum posts) created under a channel."""
        parent = self.world.resolve_channel(channel).id
        return [c for c in self.world.channels.values() if c.parent_id == parent]

    def attachment_bytes(self, attachment_id: int) -> bytes:
        """Return the bytes of an uploaded or provided file."""
        return self.world.files[attachment_id].data

    def commands(self, *, guild: bool = False) -> dict[str, dict[str, Any]]:
        """Return the registered commands by name (global, or the guild's with ``guild=True``)."""
        table = self.world.commands_for(self.guild_id if guild else None)
        return {c.name: c.payload for c in table.values()}

    # --- recorded requests --------------------------------------------------------------------

    def requests_to(self, method: str, path_regex: str) -> list[Recorded]:
        """Return recorded requests whose method matches and whose path fully matches the regex."""
        pattern = re.compile(path_regex)
        return [r for r in self.requests if r.method == method.upper() and pattern.fullmatch(r.path)]

    @property
    def unknown_requests(self) -> list[Recorded]:
        """Return requests to routes the fake does not implement (answered 404)."""
        return [r for r in self.requests if r.route is None]

    @property
    def rate_limited(self) -> int:
        """Return how many 429s were sent (route and global)."""
        return self.limiter.limited

    @property
    def rate_limited_global(self) -> int:
        """Return how many global 429s were sent."""
        return self.limiter.limited_global

    @property
    def resumes(self) -> int:
        """Return how many gateway RESUMEs the bot sent for a known session."""
        return sum(session.resumes for session in self.shards.sessions.values())

    @property
    def identifies(self) -> int:
        """Return how many times the bot sent IDENTIFY."""
        return sum(session.identifies for session in self.shards.sessions.values())

    def requests_per_second(self) -> list[int]:
        """Return request counts per whole second since start (index 0 is the first second)."""
        counts: list[int] = []
        for recorded in self.requests:
            second = int(recorded.at)
            counts.extend([0] * (second + 1 - len(counts)))
            counts[second] += 1
        return counts

    # --- waiting ------------------------------------------------------------------------------

    def notify(self) -> None:
        """Wake every ``wait_until`` so it re-checks its condition."""
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_until(self, predicate: Callable[[], Any], timeout: float, what: str) -> None:
        """Wait until ``predicate()`` is truthy, or raise TimeoutError naming ``what``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate():
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)

    async def wait_idle(self, timeout: float) -> None:
        """Wait until every API request received so far is answered (an outage longer than they take)."""
        await self.wait_until(lambda: self.handling == 0, timeout, "the requests in flight to be answered")

    async def wait_ready(self, timeout: float = 10.0, *, synced: bool = False) -> None:
        """Wait for READY + GUILD_CREATE to be sent (and, if ``synced``, for a command sync)."""
        await self.wait_until(self._all_shards_ready, timeout, "the bot to IDENTIFY (every shard)")
        if synced:
            await self.wait_until(lambda: self.command_syncs > 0, timeout, "the bot to sync its commands")

    def _all_shards_ready(self) -> bool:
        return all(self.shards.session(i).ready.is_set() for i in range(self.shards.shard_count))

    def gateway_for(self, guild_id: int | None) -> Gateway:
        """Return the shard session that receives a guild's events (``None``: DMs, shard 0)."""
        return self.shards.for_guild(guild_id)

    async def wait_for_request(
        self,
        method: str,
        path_regex: str,
        timeout: float = 5.0,
        *,
        since: int = 0,
        predicate: Callable[[Recorded], bool] | None = None,
    ) -> Recorded:
        """Wait for a request (among ``requests[since:]``) matching method, path and predicate."""
        pattern = re.compile(path_regex)

        def find() -> Recorded | None:
            for recorded in self.requests[since:]:
                wanted = recorded.method == method.upper() and pattern.fullmatch(recorded.path)
                if wanted and (predicate is None or predicate(recorded)):
                    return recorded
            return None

        await self.wait_until(lambda: find() is not None, timeout, f"{method} {path_regex}")
        found = find()
        assert found is not None
        return found

    async def wait_for_message(
        self,
        channel: ChannelRef,
        predicate: Callable[[Message], bool] | None = None,
        timeout: float = 5.0,
    ) -> Message:
        """Wait for a (non-ephemeral) message in a channel matching ``predicate`` and return it."""
        channel_id = self.world.resolve_channel(channel).id
        return await self._wait_message(channel_id, predicate, timeout, f"a message in {channel!r}")

    async def wait_for_dm(
        self, user: UserRef, predicate: Callable[[Message], bool] | None = None, timeout: float = 5.0
    ) -> Message:
        """Wait for a DM to a user matching ``predicate`` and return it."""
        return await self._wait_message(self.dm_channel_id(user), predicate, timeout, f"a DM to {user!r}")

    async def _wait_message(
        self, channel_id: int, predicate: Callable[[Message], bool] | None, timeout: float, what: str
    ) -> Message:
        def find() -> Message | None:
            for message in self.world.channel_messages(channel_id):
                if predicate is None or predicate(message):
                    return message
            return None

        await self.wait_until(lambda: find() is not None, timeout, what)
        found = find()
        assert found is not None
        return found

    # --- driving users' actions ---------------------------------------------------------------

    async def member_join(
        self,
        user_id: int | None = None,
        name: str | None = None,
        *,
        roles: Sequence[str] = (),
        dms_open: bool = True,
    ) -> Member:
        """Add a member and send GUILD_MEMBER_ADD (needs the members intent, as on Discord)."""
        member = self.world.add_member(
            name or f"user{len(self.world.members)}", roles=roles, dms_open=dms_open, user_id=user_id
        )
        event = dict(payloads.member(member), guild_id=str(self.guild_id))
        await self.gateway_for(self.guild_id).dispatch("GUILD_MEMBER_ADD", event, intent=INTENT_GUILD_MEMBERS)
        self.notify()
        return member

    async def member_leave(self, user: UserRef) -> None:
        """Remove a member and send GUILD_MEMBER_REMOVE."""
        member = self.world.members.pop(self.member(user).id)
        event = {"guild_id": str(self.guild_id), "user": payloads.user(member.user)}
        gateway = self.gateway_for(self.guild_id)
        await gateway.dispatch("GUILD_MEMBER_REMOVE", event, intent=INTENT_GUILD_MEMBERS)
        self.notify()

    async def set_member_roles(self, user: UserRef, roles: Sequence[str]) -> None:
        """Set a member's roles by name (as a moderator would) and send GUILD_MEMBER_UPDATE."""
        member = self.member(user)
        member.role_ids = [self.role_id(r) for r in roles]
        await self.member_updated(member)

    async def member_updated(self, member: Member) -> None:
        """Send GUILD_MEMBER_UPDATE for a member's current state."""
        event = dict(payloads.member(member), guild_id=str(self.guild_id))
        gateway = self.gateway_for(self.guild_id)
        await gateway.dispatch("GUILD_MEMBER_UPDATE", event, intent=INTENT_GUILD_MEMBERS)
        self.notify()

    async def user_message(
        self,
        user: UserRef,
        content: str,
        *,
        channel: ChannelRef | None = None,
        dm: bool = False,
        mention_bot: bool = False,
        reply_to: Message | int | None = None,
        reply_ping: bool = True,
    ) -> Message:
        """Post a message as a user in a channel (or in their DM with the bot) and send MESSAGE_CREATE.

        ``mention_bot`` writes the bot's mention before the text. ``reply_to`` makes it a reply to a message
        of that channel (``channel`` and ``dm`` default to its channel); ``reply_ping`` (on by default, as in
        Discord's client) pings the replied-to author, who is then in the reply's mentions but not its text.
        """
        member = self.member(user)
        answered = self.world.messages[reply_to] if isinstance(reply_to, int) else reply_to
        if answered is not None and channel is None and not dm:
            target = self.world.channels[answered.channel_id]
        else:
            target = self._target_channel(member, channel, dm)
        if answered is not None and (answered.channel_id != target.id or answered.deleted):
            raise ValueError(f"message {answered.id} is not a live message of channel {target.id}")
        if mention_bot:
            content = f"<@{self.bot_user_id}> {content}".rstrip()
        message = self.world.add_message(
            Message(
                id=self.world.ids.next(),
                channel_id=target.id,
                author_id=member.id,
                content=content,
                type=19 if answered is not None else 0,
                reference_id=answered.id if answered is not None else None,
                pinged_ids=[answered.author_id] if answered is not None and reply_ping else [],
            )
        )
        await self.api.dispatch_message("MESSAGE_CREATE", message)
        self.notify()
        return message

    async def slash(
        self,
        user: UserRef,
        name: str,
        options: Mapping[str, Any] | None = None,
        *,
        channel: ChannelRef | None = None,
        dm: bool = False,
        locale: str = "sv-SE",
    ) -> Interaction:
        """Invoke a registered slash command; ``name`` may hold a subcommand path ("mydata export").

        Option values: str/int/bool/float as declared; users by id or username; channels and roles by
        id or name; attachments as ``Upload`` (or ``(filename, bytes)``).
        """
        return await self._command_interaction(
            APPLICATION_COMMAND,
            user,
            name,
            options or {},
            channel=channel,
            dm=dm,
            locale=locale,
            focused=None,
        )

    async def autocomplete(
        self,
        user: UserRef,
        name: str,
        options: Mapping[str, Any],
        focused: str,
        *,
        channel: ChannelRef | None = None,
        dm: bool = False,
        locale: str = "sv-SE",
    ) -> Interaction:
        """Send an autocomplete request while the user types ``options[focused]``."""
        return await self._command_interaction(
            AUTOCOMPLETE, user, name, options, channel=channel, dm=dm, locale=locale, focused=focused
        )

    async def press(
        self,
        user: UserRef,
        target: str | int | Message,
        *,
        custom_id: str | None = None,
        values: Sequence[Any] | None = None,
        locale: str = "sv-SE",
    ) -> Interaction:
        """Click a button or choose in a select (``values``).

        ``target`` is a custom_id or button label (the newest visible message holding it is used),
        or a message / message id together with ``custom_id``.
        """
        member = self.member(user)
        message, component = self._find_component(member.id, target, custom_id)
        if component.get("disabled"):
            raise ValueError(f"component {component.get('custom_id')!r} is disabled")
        if component.get("type") == 2 and component.get("style") == 5:
            raise ValueError("link buttons open a URL and send no interaction")
        channel = self.world.channels[message.channel_id]
        resolved = Resolved(self.world, self.base_url, member if channel.guild_id else None)
        data = component_data(component, values, resolved)
        source = payloads.message(message, self.world, self.base_url)
        return await self._issue(
            MESSAGE_COMPONENT,
            member.id,
            channel,
            data,
            locale=locale,
            message=source,
            source_message_id=message.id,
        )

    async def submit_modal(
        self,
        user: UserRef,
        modal: str | Interaction,
        values: Mapping[str, Any],
        *,
        locale: str = "sv-SE",
    ) -> Interaction:
        """Submit a modal the bot opened: by the opening Interaction, or the modal's custom_id or title.

        ``values`` maps custom_ids or visible labels to a str (text input, radio), list (selects,
        checkbox groups, file uploads) or bool (checkbox).
        """
        member = self.member(user)
        opener = modal if isinstance(modal, Interaction) else self._find_modal_opener(member.id, modal)
        if opener.modal is None:
            raise ValueError(f"{opener!r} did not open a modal")
        channel = self.world.channels[opener.channel_id]
        resolved = Resolved(self.world, self.base_url, member if channel.guild_id else None)
        data = modal_submit_data(opener.modal, values, resolved)
        source = None
        if opener.source_message_id is not None:
            source = payloads.message(
                self.world.messages[opener.source_message_id], self.world, self.base_url
            )
        return await self._issue(
            MODAL_SUBMIT,
            member.id,
            channel,
            data,
            locale=locale,
            message=source,
            source_message_id=opener.source_message_id,
        )

    async def drop_gateway(self, code: int = 4000, *, shard: int = 0) -> None:
        """Close the bot's gateway connection (of ``shard``) with a resumable code; the bot should RESUME."""
        await self.shards.session(shard).drop(code)

    # --- internals ----------------------------------------------------------------------------

    def interaction_by_id(self, interaction_id: int) -> Interaction | None:
        """Return an issued interaction by id."""
        return next((i for i in self.interactions if i.id == interaction_id), None)

    def interaction_by_token(self, token: str) -> Interaction | None:
        """Return an issued interaction by token."""
        return next((i for i in self.interactions if i.token == token), None)

    async def _command_interaction(
        self,
        kind: int,
        user: UserRef,
        name: str,
        options: Mapping[str, Any],
        *,
        channel: ChannelRef | None,
        dm: bool,
        locale: str,
        focused: str | None,
    ) -> Interaction:
        member = self.member(user)
        target = self._target_channel(member, channel, dm)
        command_name, *path = name.split()
        command = self._find_command(command_name, in_guild=target.guild_id is not None)
        command_available(self.world, command, member.id, target)
        resolved = Resolved(self.world, self.base_url, member if target.guild_id else None)
        data = command_data(self.world, command, path, options, resolved, focused=focused)
        return await self._issue(kind, member.id, target, data, locale=locale)

    async def _issue(
        self,
        kind: int,
        user_id: int,
        channel: Channel,
        data: dict[str, Any],
        *,
        locale: str,
        message: dict[str, Any] | None = None,
        source_message_id: int | None = None,
    ) -> Interaction:
        gateway = self.gateway_for(channel.guild_id)
        if gateway.session_id is None:
            raise RuntimeError("the bot has not identified on the gateway yet; await wait_ready() first")
        interaction_id, token = self.world.ids.next(), secrets.token_urlsafe(48)
        payload = interaction_payload(
            self.world,
            id=interaction_id,
            token=token,
            type=kind,
            user_id=user_id,
            channel=channel,
            data=data,
            locale=locale,
            message=message,
        )
        inter = Interaction(
            self,
            id=interaction_id,
            token=token,
            type=kind,
            user_id=user_id,
            channel_id=channel.id,
            guild_id=channel.guild_id,
            payload=payload,
            created_at=self.clock(),
            source_message_id=source_message_id,
        )
        self.interactions.append(inter)
        await gateway.dispatch("INTERACTION_CREATE", payload)
        self.notify()
        return inter

    def _target_channel(self, member: Member, channel: ChannelRef | None, dm: bool) -> Channel:
        if dm:
            return self.world.dm_channel_for(member.id)
        if channel is None:
            return next(c for c in self.world.channels.values() if c.type == ChannelType.TEXT)
        return self.world.resolve_channel(channel)

    def _find_command(self, name: str, *, in_guild: bool) -> AppCommand:
        tables = (
            [self.world.guild_commands, self.world.global_commands]
            if in_guild
            else [self.world.global_commands]
        )
        for table in tables:
            command = table.get((1, name))
            if command is not None:
                return command
        known = sorted(c.name for t in tables for c in t.values())
        raise LookupError(f"no slash command /{name} registered; registered: {known}")

    def _find_component(
        self, user_id: int, target: str | int | Message, custom_id: str | None
    ) -> tuple[Message, dict[str, Any]]:
        if isinstance(target, (Message, int)):
            message = target if isinstance(target, Message) else self.world.messages[target]
            if custom_id is None:
                interactive = [c for c in message.walk_components() if c.get("custom_id")]
                if len(interactive) != 1:
                    raise ValueError(
                        f"message {message.id} has {len(interactive)} components; pass custom_id"
                    )
                return message, interactive[0]
            component = message.find_component(custom_id)
            if component is None:
                raise LookupError(
                    f"message {message.id} has no component {custom_id!r}: {message.custom_ids()}"
                )
            return message, component
        for message in sorted(self.world.messages.values(), key=lambda m: m.id, reverse=True):
            visible = not message.ephemeral or message.ephemeral_for == user_id
            if visible and not message.deleted:
                component = message.find_component(target)
                if component is not None:
                    return message, component
        raise LookupError(f"no visible message has a component {target!r}")

    def _find_modal_opener(self, user_id: int, key: str) -> Interaction:
        for inter in reversed(self.interactions):
            modal = inter.modal
            if inter.user_id == user_id and modal and key in (modal.get("custom_id"), modal.get("title")):
                return inter
        raise LookupError(f"user {user_id} has no open modal {key!r}")

    async def _serve_file(self, request: web.Request) -> web.Response:
        stored = self.world.files.get(int(request.match_info["file_id"]))
        if stored is None:
            return web.Response(status=404)
        return web.Response(body=stored.data, headers={"Content-Type": stored.content_type})

    async def _counted_api(self, request: web.Request) -> web.Response:
        self.handling += 1
        try:
            return await self._handle_api(request)
        finally:
            self.handling -= 1
            self.notify()

    async def _handle_api(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["tail"]
        query = dict(request.query)
        try:
            # Read before the latency: a request the client sent whole is handled, as Discord does, even if
            # the client dies before the answer is back (a bot killed with sends in flight). aiohttp refuses
            # to read the body of a request whose connection closed, which would drop it as if
            # it never left the client.
            body, files = await self._read_body(request)
        except ValueError:
            return self._respond(
                request,
                path,
                query,
                None,
                [],
                None,
                Reply(400, payloads.error(50109, "The request body contains invalid JSON.")),
                {},
            )
        if self.latency:
            await asyncio.sleep(self.latency)
        found = match_route(request.method, path)
        if found is None:
            log.warning("fake discord: unknown route %s %s", request.method, path)
            reply = Reply(404, payloads.error(0, "404: Not Found"))
            return self._respond(request, path, query, body, files, None, reply, {})
        route, params = found
        # Interaction and webhook routes carry their token in the path; every other needs the bot's.
        authorization = request.headers.get("Authorization", "")
        if not route.global_exempt and not (
                authorization.startswith("Bot ") and self.accepts_token(authorization.removeprefix("Bot "))):
            refused = Reply(401, UNAUTHORIZED)
            return self._respond(request, path, query, body, files, route.template, refused, {})
        major = "+".join(params[k] for k in MAJOR_PARAMS if k in params)
        decision = self.limiter.check(route.bucket, major, global_exempt=route.global_exempt)
        if not decision.allowed:
            log.info("fake discord: 429 for %s %s (global=%s)", request.method, path, decision.is_global)
            return self._respond(
                request, path, query, body, files, route.template, Reply(429, decision.body), decision.headers
            )
        call = Call(request.method, path, params, query, body, files)
        try:
            reply = await route.handler(self.api, call)
        except ApiError as error:
            reply = Reply(error.status, error.body)
        except Exception as error:  # a bug in the fake: answer 500 and keep it for the test to see
            log.exception("fake discord: handler for %s %s failed", request.method, path)
            self.internal_errors.append(error)
            reply = Reply(500, payloads.error(0, f"fake discord internal error: {error!r}"))
        return self._respond(request, path, query, body, files, route.template, reply, decision.headers)

    @staticmethod
    async def _read_body(request: web.Request) -> tuple[Any, list[UploadedFile]]:
        """Parse a JSON body, or a multipart body's ``payload_json`` and ``files[n]`` parts."""
        files: list[UploadedFile] = []
        if request.content_type.startswith("multipart/"):
            body = None
            reader = await request.multipart()
            async for part in reader:
                if not isinstance(part, BodyPartReader):  # nested multiparts never come from discord.py
                    continue
                data = await part.read()
                if part.name == "payload_json":
                    body = json.loads(data)
                else:
                    files.append(
                        UploadedFile(
                            part.name or "",
                            part.filename or "file",
                            part.headers.get("Content-Type", "application/octet-stream"),
                            bytes(data),
                        )
                    )
            return body, files
        text = await request.text() if request.can_read_body else ""
        return (json.loads(text) if text else None), files

    @staticmethod
    def _local_port(request: web.Request) -> int:
        sockname = request.transport.get_extra_info("sockname") if request.transport is not None else None
        return int(sockname[1]) if sockname else 0

    def _respond(
        self,
        request: web.Request,
        path: str,
        query: dict[str, str],
        body: Any,
        files: list[UploadedFile],
        template: str | None,
        reply: Reply,
        headers: dict[str, str],
    ) -> web.Response:
        # discord.py ignores a 429 without "Via" (it takes it for a Cloudflare ban), so always send it.
        headers = dict(headers, Via="1.1 google")
        if reply.body is None and reply.status == 200:
            reply = Reply(204)
        self.requests.append(
            Recorded(
                request.method,
                path,
                query,
                body,
                files,
                reply.status,
                reply.body,
                route=template,
                at=self.clock() - self._started_at,
                headers=headers,
                port=self._local_port(request),
            )
        )
        self.notify()
        if reply.body is None:
            return web.Response(status=reply.status, headers=headers)
        # Exactly "application/json": discord.py's json_or_text() does not parse "...; charset=utf-8".
        headers["Content-Type"] = "application/json"
        return web.Response(status=reply.status, body=json.dumps(reply.body).encode(), headers=headers)
