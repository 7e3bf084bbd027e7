"""A local fake of Slack's Web API (and Socket Mode) on 127.0.0.1 that records every call.

It answers the methods the bot uses the way Slack does (`{"ok": true, …}` or `{"ok": false, "error": …}`),
can answer 429 with Retry-After, refuse DMs to some users, serve files users uploaded, take uploads, and
stand in for response_urls. Like bolt-python's own mock server, but asyncio and per test.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Self
from urllib.parse import parse_qsl

from aiohttp import WSMsgType, web

TEAM_ID = "T0JOBB"
TEAM_NAME = "Testgruppen"
BOT_USER = "UBOT"
BOT_TOKEN = "xoxb-test-token"
APP_TOKEN = "xapp-test-token"


@dataclass
class Call:
    """One request to the fake: the Web API method (or path), its arguments, and the status answered."""

    method: str
    args: dict[str, Any]
    status: int = 200
    at: float = 0.0


@dataclass
class FakeUser:
    id: str
    name: str
    is_admin: bool = False
    is_bot: bool = False
    # The user's Slack language, told by users.info when asked with include_locale.
    locale: str = "sv-SE"


@dataclass
class FakeSlack:
    """The fake server; start it with `async with FakeSlack() as slack`."""

    users: dict[str, FakeUser] = field(default_factory=dict)
    # User group id → member ids.
    groups: dict[str, list[str]] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    # The response_url posts: (number, JSON body).
    responses: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    # Method → error answered to every call (e.g. users.info → user_not_found).
    errors: dict[str, str] = field(default_factory=dict)
    # User id → the error conversations.open answers for them (e.g. cannot_dm_bot, user_disabled).
    dm_errors: dict[str, str] = field(default_factory=dict)
    # Channels the bot is not a member of (chat.postMessage answers not_in_channel until it joins).
    outside: set[str] = field(default_factory=set)
    # Uploaded files by id: (filename, bytes, channels it was shared to).
    files: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Files users uploaded, served at url_private_download.
    hosted: dict[str, bytes] = field(default_factory=dict)
    # Method → [count, retry_after]: the next `count` calls are answered 429.
    _limits: dict[str, list[int]] = field(default_factory=dict)
    _expired_urls: set[int] = field(default_factory=set)
    unknown: list[str] = field(default_factory=list)
    socket_acks: list[dict[str, Any]] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    pins: set[tuple[str, str]] = field(default_factory=set)
    # The bot token's scopes, told in each answer's x-oauth-scopes header as Slack does (None: no header).
    scopes: list[str] | None = None

    def __post_init__(self) -> None:
        self._ts = itertools.count(1)
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.port = 0
        self._sockets: list[web.WebSocketResponse] = []
        self._socket_ready = asyncio.Event()
        self._acked: defaultdict[str, asyncio.Event] = defaultdict(asyncio.Event)

    # -- lifecycle --------------------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/respond/{number}", self._respond)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_get("/private/{file_id}/{name}", self._private)
        app.router.add_get("/link", self._socket)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        return self

    async def __aexit__(self, *exc: object) -> None:
        for ws in self._sockets:
            await ws.close()
        assert self._runner is not None
        await self._runner.cleanup()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base(self) -> str:
        return f"{self.base}/api/"

    def response_url(self, number: int) -> str:
        return f"{self.base}/respond/{number}"

    # -- scripting --------------------------------------------------------------------------------------

    def add_user(self, user_id: str, name: str, *, is_admin: bool = False, is_bot: bool = False,
                 locale: str = "sv-SE") -> None:
        self.users[user_id] = FakeUser(user_id, name, is_admin, is_bot, locale)

    def rate_limit(self, method: str, *, retry_after: int = 1, times: int = 1) -> None:
        """Answer the next `times` calls of a method with 429 and Retry-After."""
        self._limits[method] = [times, retry_after]

    def expire(self, number: int) -> None:
        """Make a response_url answer 404 (expired), as Slack does after 30 minutes or five uses."""
        self._expired_urls.add(number)

    def host_file(self, file_id: str, name: str, data: bytes) -> dict[str, Any]:
        """A file a user uploaded, as a view_submission's file input carries it."""
        self.hosted[file_id] = data
        url = f"{self.base}/private/{file_id}/{name}"
        return {"id": file_id, "name": name, "title": name, "size": len(data), "url_private": url,
                "url_private_download": url}

    # -- what the tests read ----------------------------------------------------------------------------

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def posts_in(self, channel: str) -> list[dict[str, Any]]:
        """The chat.postMessage arguments that went to a channel (answered ok)."""
        return [c.args for c in self.calls if c.method == "chat.postMessage" and c.status == 200
                and c.args.get("ok_channel") == channel]

    def responses_to(self, number: int) -> list[dict[str, Any]]:
        return [body for n, body in self.responses if n == number]

    def shared_files(self, channel: str) -> list[dict[str, Any]]:
        return [f for f in self.files.values() if channel in f["channels"]]

    # -- the Web API --------------------------------------------------------------------------------------

    async def _args(self, request: web.Request) -> dict[str, Any]:
        args: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            raw = await request.read()
            if request.content_type == "application/json":
                args.update(json.loads(raw or b"{}"))
            elif request.content_type == "application/x-www-form-urlencoded":
                args.update(parse_qsl(raw.decode()))
            elif request.content_type.startswith("multipart/"):
                args["_multipart"] = True
        for key in ("blocks", "view", "users", "files", "attachments"):
            if isinstance(args.get(key), str) and args[key][:1] in "[{":
                args[key] = json.loads(args[key])
        return args

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await self._args(request)
        call = Call(method, args, at=time.monotonic())
        self.calls.append(call)
        limit = self._limits.get(method)
        if limit and limit[0] > 0:
            limit[0] -= 1
            call.status = 429
            return web.json_response({"ok": False, "error": "ratelimited"}, status=429,
                                     headers={"Retry-After": str(limit[1])})
        if method in self.errors:
            return self._error(self.errors[method])
        handler = getattr(self, "m_" + method.replace(".", "_"), None)
        if handler is None:
            self.unknown.append(method)
            return self._error("unknown_method")
        headers = {"x-oauth-scopes": ",".join(self.scopes)} if self.scopes is not None else None
        return web.json_response(await handler(args), headers=headers)

    @staticmethod
    def _error(error: str) -> web.Response:
        return web.json_response({"ok": False, "error": error})

    def _next_ts(self) -> str:
        return f"1796000000.{next(self._ts):06d}"

    async def m_auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "url": "https://testgruppen.slack.com/", "team": TEAM_NAME, "user": "jobb",
                "team_id": TEAM_ID, "user_id": BOT_USER, "bot_id": "BBOT", "is_enterprise_install": False}

    async def m_apps_connections_open(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "url": f"ws://127.0.0.1:{self.port}/link"}

    async def m_users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(args.get("user", ""))
        if user is None:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "user": {"id": user.id, "team_id": TEAM_ID, "name": user.name.lower(),
                                     "real_name": user.name, "is_admin": user.is_admin, "is_owner": False,
                                     "is_bot": user.is_bot, "deleted": False,
                                     "profile": {"display_name": user.name, "real_name": user.name},
                                     **({"locale": user.locale}
                                        if str(args.get("include_locale")).lower() in ("1", "true") else {})}}

    async def m_usergroups_list(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "usergroups": [
                {"id": gid, "team_id": TEAM_ID, "handle": gid.lower(), "users": users}
                for gid, users in self.groups.items()
            ],
        }

    async def m_usergroups_users_list(self, args: dict[str, Any]) -> dict[str, Any]:
        group = args.get("usergroup", "")
        if group not in self.groups:
            return {"ok": False, "error": "no_such_subteam"}
        return {"ok": True, "users": list(self.groups[group])}

    async def m_usergroups_users_update(self, args: dict[str, Any]) -> dict[str, Any]:
        group = args.get("usergroup", "")
        if group not in self.groups:
            return {"ok": False, "error": "no_such_subteam"}
        users = args.get("users")
        self.groups[group] = users.split(",") if isinstance(users, str) else list(users)
        return {"ok": True, "usergroup": {"id": group, "users": self.groups[group]}}

    async def m_conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        user = args.get("users", "")
        if user in self.dm_errors:
            return {"ok": False, "error": self.dm_errors[user]}
        return {"ok": True, "channel": {"id": "D" + user}}

    async def m_conversations_join(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = args.get("channel", "")
        if channel.startswith("G"):
            return {"ok": False, "error": "method_not_supported_for_channel_type"}
        self.outside.discard(channel)
        return {"ok": True, "channel": {"id": channel}}

    async def m_chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = args.get("channel", "")
        if channel in self.outside:
            return {"ok": False, "error": "not_in_channel"}
        if not args.get("text") and not args.get("blocks"):
            return {"ok": False, "error": "no_text"}
        ts = self._next_ts()
        args["ok_channel"] = channel
        self.messages.append(
            {"channel": channel, "ts": ts, "text": args.get("text"), "blocks": args.get("blocks")}
        )
        return {"ok": True, "channel": channel, "ts": ts, "message": {"text": args.get("text"), "ts": ts}}

    async def m_chat_postEphemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        if args.get("channel", "") in self.outside:
            return {"ok": False, "error": "not_in_channel"}
        return {"ok": True, "message_ts": self._next_ts()}

    async def m_chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        for message in self.messages:
            if message["channel"] == args.get("channel") and message["ts"] == args.get("ts"):
                message.update(text=args.get("text"), blocks=args.get("blocks"))
                return {"ok": True, "channel": message["channel"], "ts": message["ts"]}
        return {"ok": False, "error": "message_not_found"}

    async def m_chat_delete(self, args: dict[str, Any]) -> dict[str, Any]:
        for message in self.messages:
            if message["channel"] == args.get("channel") and message["ts"] == args.get("ts"):
                self.messages.remove(message)
                return {"ok": True, "channel": message["channel"], "ts": message["ts"]}
        return {"ok": False, "error": "message_not_found"}

    async def m_pins_add(self, args: dict[str, Any]) -> dict[str, Any]:
        key = (args.get("channel", ""), args.get("timestamp", ""))
        if not any((m["channel"], m["ts"]) == key for m in self.messages):
            return {"ok": False, "error": "message_not_found"}
        if key in self.pins:
            return {"ok": False, "error": "already_pinned"}
        self.pins.add(key)
        return {"ok": True}

    async def m_pins_remove(self, args: dict[str, Any]) -> dict[str, Any]:
        key = (args.get("channel", ""), args.get("timestamp", ""))
        if key not in self.pins:
            return {"ok": False, "error": "no_pin"}
        self.pins.discard(key)
        return {"ok": True}

    async def m_views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        if not args.get("trigger_id"):
            return {"ok": False, "error": "invalid_trigger_id"}
        return {"ok": True, "view": dict(args.get("view") or {}, id=f"V{next(self._ids)}")}

    async def m_files_getUploadURLExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        file_id = f"F{next(self._ids)}"
        self.files[file_id] = {
            "id": file_id,
            "filename": args.get("filename"),
            "length": int(args.get("length", 0)),
            "data": None,
            "channels": [],
        }
        return {"ok": True, "upload_url": f"{self.base}/upload/{file_id}", "file_id": file_id}

    async def m_files_completeUploadExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        done = []
        for item in args.get("files") or []:
            stored = self.files.get(item["id"])
            if stored is None or stored["data"] is None:
                return {"ok": False, "error": "file_not_found"}
            channel = args.get("channel_id")
            if channel in self.outside:
                return {"ok": False, "error": "not_in_channel"}
            if channel:
                stored["channels"].append(channel)
            stored["title"] = item.get("title")
            done.append({"id": stored["id"], "title": item.get("title"), "name": stored["filename"]})
        return {"ok": True, "files": done}

    # -- everything else Slack serves ---------------------------------------------------------------------

    async def _upload(self, request: web.Request) -> web.Response:
        file_id = request.match_info["file_id"]
        data = await request.read()
        self.calls.append(Call("upload", {"file_id": file_id, "length": len(data)}, at=time.monotonic()))
        if file_id not in self.files:
            return web.Response(status=404, text="not found")
        self.files[file_id]["data"] = data
        return web.Response(text="OK - " + str(len(data)))

    async def _respond(self, request: web.Request) -> web.Response:
        number = int(request.match_info["number"])
        body = await request.json()
        self.calls.append(Call("response_url", {"number": number, **body}, at=time.monotonic()))
        if number in self._expired_urls:
            return web.Response(status=404, text="expired_url")
        self.responses.append((number, body))
        return web.Response(text="ok")

    async def _private(self, request: web.Request) -> web.Response:
        self.calls.append(Call("download", {"file_id": request.match_info["file_id"],
                                            "authorization": request.headers.get("Authorization")}))
        if request.headers.get("Authorization") != f"Bearer {BOT_TOKEN}":
            return web.Response(status=403, text="forbidden")
        data = self.hosted.get(request.match_info["file_id"])
        if data is None:
            return web.Response(status=404, text="not found")
        return web.Response(body=data, content_type="application/octet-stream")

    # -- Socket Mode ----------------------------------------------------------------------------------------

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._sockets.append(ws)
        await ws.send_json({"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A0JOBB"}})
        self._socket_ready.set()
        async for message in ws:
            if message.type == WSMsgType.TEXT:
                ack = json.loads(message.data)
                self.socket_acks.append(ack)
                self._acked[ack.get("envelope_id", "")].set()
        return ws

    async def send_envelope(
        self, kind: str, payload: dict[str, Any], *, timeout: float = 10.0, retry_attempt: int = 0
    ) -> dict[str, Any]:
        """Push one request over the Socket Mode connection and wait for the app's acknowledgement
        (`retry_attempt` > 0: Slack sends it again, having had no acknowledgement in time)."""
        await asyncio.wait_for(self._socket_ready.wait(), timeout)
        envelope_id = f"env-{next(self._ids)}"
        await self._sockets[-1].send_json({"envelope_id": envelope_id, "type": kind, "payload": payload,
                                           "accepts_response_payload": kind != "events_api",
                                           "retry_attempt": retry_attempt,
                                           "retry_reason": "timeout" if retry_attempt else ""})
        await asyncio.wait_for(self._acked[envelope_id].wait(), timeout)
        return next(a for a in self.socket_acks if a.get("envelope_id") == envelope_id)
