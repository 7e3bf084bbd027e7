"""The web server: aiohttp in the bot's event loop, started by the runners when WEB_PORT is set.

Its routes come from ROUTES: each entry adds its own to the server before it starts (the health checks and
the metrics; a feature's pages add theirs the same way). It is not Slack's HTTP mode, which has its own port.
"""

from __future__ import annotations

import contextlib
import errno
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable

from aiohttp import web

from bot.app import App
from bot.config import Settings
from bot.web import WebServerError, board, health

log = logging.getLogger(__name__)

# A platform's state for /health/ready: "ok" when connected (see bot.web.health for the others).
PlatformProbe = Callable[[], Awaitable[str]]
AddRoutes = Callable[["WebServer"], None]
UPLOAD_LIMIT = 4 * 1024 * 1024
# What every server serves.
ROUTES: list[AddRoutes] = [health.add_routes, board.add_routes]


class WebServer:
    """One aiohttp server over the process's App; the platforms the process runs report their state to it."""

    def __init__(self, app: App, host: str, port: int, routes: Iterable[AddRoutes] = ROUTES) -> None:
        self.app = app
        self.host = host
        self.port = port
        # The board takes uploads of a couple of megabytes (a council's list of politicians).
        self.web = web.Application(client_max_size=UPLOAD_LIMIT)
        # Each platform of the process (discord, slack): how to ask whether it is connected.
        self.platforms: dict[str, PlatformProbe] = {}
        for add in routes:
            add(self)
        self._runner: web.AppRunner | None = None
        self.address: tuple[str, int] | None = None

    def add_platform(self, name: str, probe: PlatformProbe) -> None:
        """Make readiness wait for a platform: its probe answers "ok" once it is connected."""
        self.platforms[name] = probe

    async def start(self) -> None:
        """Listen; a port that is taken (or a host that is not this machine's) raises WebServerError."""
        # No access log: a probe every few seconds would fill the log.
        runner = web.AppRunner(self.web, access_log=None)
        await runner.setup()
        try:
            await web.TCPSite(runner, self.host, self.port).start()
        except OSError as error:
            await runner.cleanup()
            if error.errno == errno.EADDRINUSE:
                raise WebServerError(
                    f"Setting WEB_PORT: port {self.port} on {self.host} is in use by another program (choose "
                    "another port, or stop the other program)") from None
            raise WebServerError(
                f"Setting WEB_HOST: cannot listen on {self.host}:{self.port} ({error.strerror or error})"
            ) from None
        self._runner = runner
        # Where it listens: the address and the port actually bound (port 0 picks a free one: the tests).
        self.address = (str(runner.addresses[0][0]), int(runner.addresses[0][1]))
        self.port = self.address[1]
        log.info("Serving health checks and metrics%s on http://%s:%s",
                 " and the campaign board" if self.app.settings.board_url else "", self.host, self.port)

    async def close(self) -> None:
        """Stop listening and close the connections open to it."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
            self.address = None


async def start_serving(app: App, settings: Settings, platforms: dict[str, PlatformProbe] | None = None
                        ) -> WebServer | None:
    """Start the web server when WEB_PORT is set, readiness waiting for these platforms; None when it is not
    set. The caller closes it."""
    port = settings.effective_web_port
    if port is None:
        return None
    server = WebServer(app, settings.web_host, port)
    for name, probe in (platforms or {}).items():
        server.add_platform(name, probe)
    await server.start()
    return server


@contextlib.asynccontextmanager
async def serving(app: App, settings: Settings, platforms: dict[str, PlatformProbe] | None = None
                  ) -> AsyncIterator[WebServer | None]:
    """Run the web server while inside when WEB_PORT is set (None otherwise)."""
    server = await start_serving(app, settings, platforms)
    try:
        yield server
    finally:
        if server is not None:
            await server.close()
