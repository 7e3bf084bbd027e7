"""Liveness, readiness and the metrics: /health/live, /health/ready and /metrics.

Liveness answers while the event loop does. Readiness asks what a working bot needs: the database answers,
each platform of the process is connected, and the dispatcher keeps up (the oldest delivery due has not
waited long). The answers name each check's state and nothing else: no settings, no member's data.
"""

from __future__ import annotations

import asyncio
import logging
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from aiohttp import web
from sqlalchemy import case, func, select
from sqlalchemy import text as sql_text

from bot.app import App
from bot.delivery import PENDING, Dispatcher
from bot.metrics import CONTENT_TYPE
from bot.models import Delivery
from bot.web import OK

if TYPE_CHECKING:
    from bot.web.server import WebServer

log = logging.getLogger(__name__)

# How long a check may wait for the database: a probe that hangs is worse than one that says "timeout".
DATABASE_TIMEOUT = 2.0


@dataclass(frozen=True)
class Backlog:
    """The deliveries this process's platforms have waiting: how long the oldest due one has waited (0 when
    none is due), and how many are pending."""

    lag_seconds: float
    pending: int


async def database_state(app: App) -> str:
    """Tell whether the database answers `SELECT 1` in time: "ok", "timeout" or "down"."""
    try:
        async with asyncio.timeout(DATABASE_TIMEOUT):
            # Deferred: on SQLite a read takes no write lock, so a long write does not make the check wait.
            async with app.deferred_sessionmaker() as session:
                await session.execute(sql_text("SELECT 1"))
    except TimeoutError:
        return "timeout"
    except Exception as error:  # noqa: BLE001 - whatever the driver raises, the database is not usable
        log.warning("The readiness check could not reach the database: %s", type(error).__name__)
        return "down"
    return OK


async def backlog(app: App) -> Backlog:
    """Read the backlog of this process's platforms in one query (bounded by DATABASE_TIMEOUT)."""
    now = app.clock.now()
    query = select(
        func.min(case((Delivery.not_before <= now, Delivery.not_before))), func.count()
    ).where(Delivery.status == PENDING, *Dispatcher.platform_filter(app.dispatcher.platforms))
    async with asyncio.timeout(DATABASE_TIMEOUT), app.deferred_sessionmaker() as session:
        oldest, pending = (await session.execute(query)).one()
    if oldest is None:
        return Backlog(0.0, pending)
    # An aggregate loses the column's UTC decorator on some drivers (and SQLite gives text).
    if isinstance(oldest, str):
        oldest = datetime.fromisoformat(oldest)
    oldest = oldest if oldest.tzinfo else oldest.replace(tzinfo=UTC)
    return Backlog(max((now - oldest).total_seconds(), 0.0), pending)


class Routes:
    """The health checks and the metrics of one server."""

    def __init__(self, server: WebServer) -> None:
        self.server = server

    async def live(self, request: web.Request) -> web.Response:
        """Answer while the event loop does: the process is alive."""
        return web.json_response({"status": "alive"})

    async def ready(self, request: web.Request) -> web.Response:
        """200 when the database answers, every platform is connected and the dispatcher keeps up; 503
        otherwise, naming each check's state."""
        app = self.server.app
        checks: dict[str, Any] = {"database": await database_state(app)}
        for platform, probe in self.server.platforms.items():
            checks[platform] = await probe()
        dispatcher: dict[str, Any] = {"state": "unknown"}
        if checks["database"] == OK:
            try:
                lag = (await backlog(app)).lag_seconds
            except Exception as error:  # noqa: BLE001 - unknown, and so not ready
                log.warning("The readiness check could not read the backlog: %s", type(error).__name__)
            else:
                lagging = lag > app.settings.ready_max_lag_seconds
                dispatcher = {"state": "lagging" if lagging else OK, "lag_seconds": round(lag, 1)}
        checks["dispatcher"] = dispatcher
        is_ready = all((value.get("state") if isinstance(value, dict) else value) == OK
                       for value in checks.values())
        return web.json_response(checks, status=200 if is_ready else 503)

    async def metrics(self, request: web.Request) -> web.Response:
        """Every metric in Prometheus's text format; the dispatcher's lag and backlog read now (NaN when the
        database does not answer)."""
        metrics = self.server.app.metrics
        try:
            read = await backlog(self.server.app)
        except Exception as error:  # noqa: BLE001 - the counters are still worth scraping
            log.warning("The metrics could not read the backlog: %s", type(error).__name__)
            metrics.dispatcher_lag.set(math.nan)
            metrics.pending.set(math.nan)
        else:
            metrics.dispatcher_lag.set(read.lag_seconds)
            metrics.pending.set(read.pending)
        return web.Response(body=metrics.exposition(), headers={"Content-Type": CONTENT_TYPE})


def add_routes(server: WebServer) -> None:
    """Add the health checks and the metrics to the server."""
    routes = Routes(server)
    server.web.router.add_get("/health/live", routes.live)
    server.web.router.add_get("/health/ready", routes.ready)
    server.web.router.add_get("/metrics", routes.metrics)
