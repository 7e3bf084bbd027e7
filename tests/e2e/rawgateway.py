"""A raw gateway connection to the fake Discord server, for tests of payloads and sessions discord.py would
not make: it identifies as it is told and records every dispatch it is sent."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp


class GatewayRecorder:
    """Open the gateway, IDENTIFY with a given payload, and keep every dispatch (op 0) that arrives."""

    def __init__(self, session: aiohttp.ClientSession, gateway_url: str) -> None:
        self.session = session
        self.gateway_url = gateway_url
        self.dispatches: list[dict[str, Any]] = []
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self._reader: asyncio.Task[None] | None = None

    async def identify(self, payload: dict[str, Any]) -> None:
        """Connect, wait for HELLO, send IDENTIFY with `payload` and start recording; return at once."""
        self.ws = await self.session.ws_connect(self.gateway_url + "?v=10&encoding=json")
        hello = await self.ws.receive_json()
        assert hello["op"] == 10 and hello["d"]["heartbeat_interval"] > 0
        await self.ws.send_json({"op": 2, "d": payload})
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.ws is not None
        async for msg in self.ws:
            if msg.type == aiohttp.WSMsgType.TEXT:
                frame = json.loads(msg.data)
                if frame["op"] == 0:
                    self.dispatches.append(frame)

    def events(self, name: str) -> list[dict[str, Any]]:
        """Return the ``d`` of every dispatch called ``name``."""
        return [f["d"] for f in self.dispatches if f["t"] == name]

    async def close_gateway(self) -> None:
        """Close the socket (if open) and stop recording."""
        if self.ws is not None and not self.ws.closed:
            await self.ws.close()
        if self._reader is not None:
            await self._reader
