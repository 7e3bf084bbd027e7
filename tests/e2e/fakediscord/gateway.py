"""The gateway websocket: HELLO, IDENTIFY/READY/GUILD_CREATE, heartbeats, RESUME and dispatches.

Frames go out as text JSON: discord.py only decompresses binary frames, so text needs no zlib.
Every dispatch gets the next sequence number and is kept in a log so a RESUME can replay what
the bot missed while disconnected.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from . import payloads

if TYPE_CHECKING:
    from .server import FakeDiscord

log = logging.getLogger(__name__)

DISPATCH, HEARTBEAT, IDENTIFY, PRESENCE_UPDATE, RESUME = 0, 1, 2, 3, 6
REQUEST_GUILD_MEMBERS, INVALID_SESSION, HELLO, HEARTBEAT_ACK = 8, 9, 10, 11

INTENT_GUILD_MEMBERS = 1 << 1
INTENT_GUILD_PRESENCES = 1 << 8
INTENT_GUILD_MESSAGES = 1 << 9
INTENT_DIRECT_MESSAGES = 1 << 12
INTENT_MESSAGE_CONTENT = 1 << 15
# The intents an application must switch on in the Developer Portal before it may IDENTIFY with them.
PRIVILEGED_INTENTS = INTENT_GUILD_MEMBERS | INTENT_GUILD_PRESENCES | INTENT_MESSAGE_CONTENT
# Close codes: a token Discord does not accept, and privileged intents the application has not switched on.
AUTHENTICATION_FAILED, DISALLOWED_INTENTS = 4004, 4014


def shard_of(guild_id: int, shard_count: int) -> int:
    """Return the shard that receives a guild's events, by Discord's formula."""
    return (guild_id >> 22) % shard_count


class Gateway:
    """Serve one bot session at a time on ``/gateway``: one shard's (shard 0 when unsharded)."""

    def __init__(self, server: FakeDiscord, *, heartbeat_interval_ms: int, shard_id: int = 0) -> None:
        self._server = server
        self._heartbeat_interval_ms = heartbeat_interval_ms
        self._ws: web.WebSocketResponse | None = None
        # Serialises sequence assignment and sending, so frames leave in sequence order.
        self._send_lock = asyncio.Lock()
        self.session_id: str | None = None
        self.seq = 0
        self.intents = 0
        self.events: list[dict[str, Any]] = []  # every dispatch of the current session, for replay
        self.received: list[dict[str, Any]] = []  # every frame the bot sent, heartbeats included
        self.identifies = 0
        self.refused_identifies = 0  # IDENTIFYs closed for their token or intents (not in `identifies`)
        self.resumes = 0
        self.ready = asyncio.Event()
        # The shard this session serves and the shard count it identified with ([0, 1] unsharded).
        self.shard_id = shard_id
        self.shard_count = 1

    @property
    def connected(self) -> bool:
        """Return True while a bot websocket is open."""
        return self._ws is not None and not self._ws.closed

    def has_intent(self, intent: int) -> bool:
        """Return True if the identified session asked for ``intent``."""
        return bool(self.intents & intent)

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        """Run one websocket connection until it closes."""
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        log.info("gateway: bot connected (%s)", request.query_string)
        await self._send(
            ws, {"op": HELLO, "d": {"heartbeat_interval": self._heartbeat_interval_ms}, "s": None, "t": None}
        )
        await self.adopt(ws)
        return ws

    async def adopt(self, ws: web.WebSocketResponse, first_frame: dict[str, Any] | None = None) -> None:
        """Serve an open websocket (HELLO sent; ``first_frame`` already read) as this session until it
        closes; a connection this session had is closed (the newest wins)."""
        if self._ws is not None and not self._ws.closed and self._ws is not ws:
            await self._ws.close(code=4000)
        self._ws = ws
        try:
            if first_frame is not None:
                self.received.append(first_frame)
                await self._on_frame(ws, first_frame)
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                frame = json.loads(msg.data)
                self.received.append(frame)
                await self._on_frame(ws, frame)
        finally:
            if self._ws is ws:
                self._ws = None
            log.info("gateway: bot disconnected (close code %s)", ws.close_code)
            self._server.notify()

    async def _on_frame(self, ws: web.WebSocketResponse, frame: dict[str, Any]) -> None:
        op, data = frame.get("op"), frame.get("d")
        if op == HEARTBEAT:
            await self._send(ws, {"op": HEARTBEAT_ACK, "d": None, "s": None, "t": None})
        elif op == IDENTIFY:
            await self._identify(data or {})
        elif op == RESUME:
            await self._resume(ws, data or {})
        elif op == REQUEST_GUILD_MEMBERS:
            await self._send_member_chunk(data or {})
        elif op == PRESENCE_UPDATE:
            log.debug("gateway: presence update %s", data)
        else:
            log.warning("gateway: unhandled op %s", op)
        self._server.notify()

    async def _identify(self, data: dict[str, Any]) -> None:
        if await self._refuse_identify(data):
            return
        world = self._server.world
        self.identifies += 1
        self.session_id = secrets.token_hex(16)
        self.seq = 0
        self.events.clear()
        self.intents = int(data.get("intents") or 0)
        if "shard" in data:
            self.shard_count = int(data["shard"][1])
        ready = {
            "v": 10,
            "user": payloads.user(world.bot),
            "session_id": self.session_id,
            "session_type": "normal",
            "resume_gateway_url": self._server.gateway_url,
            "guilds": [{"id": str(world.guild_id), "unavailable": True}] if self.holds_guild() else [],
            "application": {"id": str(world.application_id), "flags": self._server.application_flags},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "geo_ordered_rtc_regions": [],
            "guild_join_requests": [],
        }
        if "shard" in data:
            ready["shard"] = data["shard"]
        await self.dispatch("READY", ready)
        if self.holds_guild():
            guild = payloads.guild_create(world, include_members=self.has_intent(INTENT_GUILD_MEMBERS))
            await self.dispatch("GUILD_CREATE", guild)
        self.ready.set()

    async def _refuse_identify(self, data: dict[str, Any]) -> bool:
        """Close the connection as Discord does for a token it does not accept (4004) or privileged intents
        the application has not switched on (4014); return True if it was closed."""
        if not self._server.accepts_token(str(data.get("token") or "")):
            code, reason = AUTHENTICATION_FAILED, "Authentication failed."
        elif int(data.get("intents") or 0) & PRIVILEGED_INTENTS & ~self._server.enabled_intents:
            code, reason = DISALLOWED_INTENTS, "Disallowed intent(s)."
        else:
            return False
        self.refused_identifies += 1
        log.info("gateway: IDENTIFY refused with %s %s", code, reason)
        if self._ws is not None and not self._ws.closed:
            await self._ws.close(code=code, message=reason.encode())
        return True

    def holds_guild(self) -> bool:
        """Return True if the bot is in the guild and its events go to this session's shard
        (``(guild_id >> 22) % count``)."""
        guild_id = self._server.world.guild_id
        return self._server.in_guild and shard_of(guild_id, self.shard_count) == self.shard_id

    async def _resume(self, ws: web.WebSocketResponse, data: dict[str, Any]) -> None:
        if data.get("session_id") != self.session_id or self.session_id is None:
            log.info("gateway: RESUME of unknown session %s, invalidating", data.get("session_id"))
            await self._send(ws, {"op": INVALID_SESSION, "d": False, "s": None, "t": None})
            return
        self.resumes += 1
        after = int(data.get("seq") or 0)
        async with self._send_lock:
            missed = [e for e in self.events if e["s"] > after]
            log.info("gateway: RESUME after seq %s, replaying %s events", after, len(missed))
            for frame in missed:
                await ws.send_str(json.dumps(frame))
        await self.dispatch("RESUMED", {})

    async def _send_member_chunk(self, data: dict[str, Any]) -> None:
        world = self._server.world
        query = (data.get("query") or "").lower()
        wanted = {int(u) for u in (data.get("user_ids") or [])}
        members = [
            m
            for m in world.members.values()
            if (not wanted or m.id in wanted) and m.user.name.lower().startswith(query)
        ]
        limit = int(data.get("limit") or 0)
        if limit:
            members = members[:limit]
        chunk = {
            "guild_id": str(world.guild_id),
            "members": [payloads.member(m) for m in members],
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": [],
        }
        if data.get("nonce") is not None:
            chunk["nonce"] = data["nonce"]
        await self.dispatch("GUILD_MEMBERS_CHUNK", chunk)

    async def dispatch(self, event: str, data: dict[str, Any], *, intent: int | None = None) -> None:
        """Send an event with the next sequence number (logged for RESUME even while disconnected).

        Events needing an intent the bot did not identify with are dropped, as Discord does.
        """
        if self.session_id is None or (intent is not None and not self.has_intent(intent)):
            return
        async with self._send_lock:
            self.seq += 1
            frame = {"op": DISPATCH, "t": event, "s": self.seq, "d": data}
            self.events.append(frame)
            ws = self._ws
            if ws is not None and not ws.closed:
                try:
                    await ws.send_str(json.dumps(frame))
                except ConnectionError:
                    log.info("gateway: %s kept for replay, socket went away", event)
        log.debug("gateway: dispatched %s s=%s", event, self.seq)

    async def drop(self, code: int = 4000) -> None:
        """Close the bot's websocket with ``code`` (4000 is resumable); the session stays resumable."""
        ws = self._ws
        if ws is not None and not ws.closed:
            log.info("gateway: dropping connection with code %s", code)
            await ws.close(code=code)

    async def close(self) -> None:
        """Close any open websocket for shutdown."""
        if self._ws is not None and not self._ws.closed:
            await self._ws.close(code=1001)

    async def _send(self, ws: web.WebSocketResponse, frame: dict[str, Any]) -> None:
        if not ws.closed:
            await ws.send_str(json.dumps(frame))


INVALID_SHARD, SHARDING_REQUIRED = 4010, 4011


class ShardRouter:
    """Accept gateway connections and hand each to its shard's session, by the ``shard`` of its IDENTIFY.

    One session per shard: a second IDENTIFY of a shard takes it over and the older connection is closed
    with 4000 (Discord lets both run and sends the events to both for a while; the fake keeps one, so that
    every event is received once). A RESUME goes to the session whose id it names.
    """

    def __init__(
        self, server: FakeDiscord, first: Gateway, *, shard_count: int, required_shards: int
    ) -> None:
        self._server = server
        self._heartbeat_interval_ms = first._heartbeat_interval_ms
        self.sessions: dict[int, Gateway] = {0: first}
        # The count the bot identified with (the recommended one until then), which routes the events.
        self.shard_count = shard_count
        # Fewer shards than this are refused with 4011, as Discord does for a bot in too many guilds.
        self.required_shards = required_shards

    def session(self, shard_id: int) -> Gateway:
        """Return shard ``shard_id``'s session (created on first use, not identified yet)."""
        if shard_id not in self.sessions:
            self.sessions[shard_id] = Gateway(
                self._server, heartbeat_interval_ms=self._heartbeat_interval_ms, shard_id=shard_id
            )
        return self.sessions[shard_id]

    def for_guild(self, guild_id: int | None) -> Gateway:
        """Return the session that receives a guild's events; DMs (``None``) go to shard 0."""
        return self.session(0 if guild_id is None else shard_of(guild_id, self.shard_count))

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        """Greet a connection, read its IDENTIFY or RESUME, and let the shard's session serve it."""
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        log.info("gateway: bot connected (%s)", request.query_string)
        hello = {"op": HELLO, "d": {"heartbeat_interval": self._heartbeat_interval_ms}, "s": None, "t": None}
        await ws.send_str(json.dumps(hello))
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                continue
            frame = json.loads(msg.data)
            op, data = frame.get("op"), frame.get("d") or {}
            if op == HEARTBEAT:  # a heartbeat before the IDENTIFY is answered here
                await ws.send_str(json.dumps({"op": HEARTBEAT_ACK, "d": None, "s": None, "t": None}))
                continue
            session = await self._session_for(ws, op, data)
            if session is not None:
                await session.adopt(ws, frame)
            break
        self._server.notify()
        return ws

    async def _session_for(self, ws: web.WebSocketResponse, op: Any, data: dict[str, Any]) -> Gateway | None:
        if op == RESUME:
            named = data.get("session_id")
            return next((s for s in self.sessions.values() if s.session_id == named), self.sessions[0])
        if op != IDENTIFY:
            return self.sessions[0]
        shard_id, count = (int(n) for n in data.get("shard") or (0, 1))
        if not 0 <= shard_id < count:
            log.info("gateway: invalid shard [%s, %s]", shard_id, count)
            await ws.close(code=INVALID_SHARD, message=b"Invalid shard.")
            return None
        if count < self.required_shards:
            log.info("gateway: %s shards where %s are required", count, self.required_shards)
            await ws.close(code=SHARDING_REQUIRED, message=b"Sharding required.")
            return None
        self.shard_count = count
        return self.session(shard_id)

    async def close(self) -> None:
        """Close every shard's websocket for shutdown."""
        for session in self.sessions.values():
            await session.close()
