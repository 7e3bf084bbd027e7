"""The web server: off unless WEB_PORT is set, on this machine only by default, a taken port said in one line;
liveness, and readiness's states (the database, the platforms, the dispatcher's lag) on SQLite and
PostgreSQL."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy.engine import make_url

from bot.app import App
from bot.config import Settings, SettingsError, load_settings
from bot.web import CONNECTING, OK, WebServerError
from bot.web.server import WebServer, serving, start_serving
from tests.conftest import START
from tests.web.conftest import get, get_json, pending_delivery

ROOT = Path(__file__).resolve().parent.parent.parent


def ready_when(state: str):
    async def probe() -> str:
        return state
    return probe


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_the_server_is_off_unless_a_port_is_set(app: App):
    assert app.settings.web_port is None
    assert await start_serving(app, app.settings) is None


async def test_the_server_listens_on_this_machine_only_by_default(app: App, settings: Settings,
                                                                  tmp_path: Path):
    port = free_port()
    with_port = load_settings(database_url=settings.database_url, data_dir=tmp_path / "data", web_port=port,
                              _env_file=None)
    assert with_port.web_host == "127.0.0.1"
    async with serving(app, with_port) as server:
        assert server is not None
        assert server.address == ("127.0.0.1", port)
        status, body = await get_json(server, "/health/live")
    assert (status, body) == (200, {"status": "alive"})
    # Closed with the block: nothing listens any more.
    with pytest.raises(aiohttp.ClientConnectionError):
        async with aiohttp.ClientSession() as session:
            await session.get(f"http://127.0.0.1:{port}/health/live")


async def test_a_port_in_use_is_one_line_naming_the_setting(app: App):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(WebServerError) as raised:
            await WebServer(app, "127.0.0.1", port).start()
    assert str(raised.value) == (f"Setting WEB_PORT: port {port} on 127.0.0.1 is in use by another program "
                                 "(choose another port, or stop the other program)")


def test_the_web_port_cannot_be_slacks_http_port():
    with pytest.raises(SettingsError) as raised:
        load_settings(_env_file=None, web_port=3000, slack_http_port=3000, slack_bot_token="xoxb-1",
                      slack_signing_secret="secret")
    assert str(raised.value) == ("Setting WEB_PORT: is SLACK_HTTP_PORT (3000) too: the health checks and "
                                 "metrics need a port of their own")
    # In Socket Mode Slack listens on no port.
    assert load_settings(_env_file=None, web_port=3000, slack_http_port=3000, slack_bot_token="xoxb-1",
                         slack_app_token="xapp-1").web_port == 3000


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_bot_with_its_web_port_taken_exits_1_with_one_line(tmp_path: Path, database_url: str):
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("DISCORD_", "OPENAI_", "SLACK_", "DATABASE_URL", "WEB_", "LOG_"))}
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env.update(PYTHONPATH=str(ROOT), DISCORD_TOKEN="x", DATABASE_URL=database_url, WEB_PORT=str(port),
                   DISCORD_API_BASE="http://127.0.0.1:9/api/v10")
        result = subprocess.run([sys.executable, "-m", "bot", "run"], cwd=tmp_path, env=env, check=False,
                                capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        f"jobbskaparna: Setting WEB_PORT: port {port} on 127.0.0.1 is in use by another program (choose "
        "another port, or stop the other program)")


async def test_ready_when_the_database_answers_the_platform_is_connected_and_nothing_waits(
        app: App, server: WebServer):
    server.add_platform("discord", ready_when(OK))
    # Due in an hour: not late.
    await pending_delivery(app, START + timedelta(hours=1))

    status, body = await get_json(server, "/health/ready")

    assert status == 200
    assert body == {"database": "ok", "discord": "ok", "dispatcher": {"state": "ok", "lag_seconds": 0.0}}


async def test_not_ready_while_a_platform_is_connecting(server: WebServer):
    server.add_platform("discord", ready_when(OK))
    server.add_platform("slack", ready_when(CONNECTING))

    status, body = await get_json(server, "/health/ready")

    assert status == 503
    assert (body["discord"], body["slack"], body["database"]) == ("ok", "connecting", "ok")


async def test_not_ready_when_the_oldest_delivery_due_waited_longer_than_the_setting(app: App,
                                                                                     server: WebServer):
    assert app.settings.ready_max_lag_seconds == 120
    await pending_delivery(app, START - timedelta(seconds=300), key="late")
    await pending_delivery(app, START - timedelta(seconds=30), key="recent")

    status, body = await get_json(server, "/health/ready")

    assert status == 503
    assert body["dispatcher"] == {"state": "lagging", "lag_seconds": 300.0}


async def test_a_delivery_waiting_less_than_the_setting_is_not_lagging(app: App, server: WebServer):
    await pending_delivery(app, START - timedelta(seconds=90))

    status, body = await get_json(server, "/health/ready")

    assert status == 200
    assert body["dispatcher"] == {"state": "ok", "lag_seconds": 90.0}


async def test_only_the_deliveries_of_this_processs_platforms_count(app: App, server: WebServer):
    # This process sends Discord's deliveries; a Slack delivery waiting is another process's.
    app.dispatcher.platforms = frozenset({"discord"})
    await pending_delivery(app, START - timedelta(hours=1), platform="slack")

    status, body = await get_json(server, "/health/ready")

    assert (status, body["dispatcher"]) == (200, {"state": "ok", "lag_seconds": 0.0})


async def test_not_ready_when_the_database_does_not_answer(settings: Settings, clock, tmp_path: Path):
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite":
        # A folder where the database file should be: SQLite cannot open it.
        (tmp_path / "a-folder").mkdir()
        down = url.set(database=str(tmp_path / "a-folder"))
    else:
        down = url.set(database="no_such_database")
    app = App(load_settings(database_url=down.render_as_string(hide_password=False),
                            data_dir=tmp_path / "data", _env_file=None), clock)
    server = WebServer(app, "127.0.0.1", 0)
    server.add_platform("discord", ready_when(OK))
    await server.start()
    try:
        status, body = await get_json(server, "/health/ready")
        metrics_status, metrics = await get(server, "/metrics")
    finally:
        await server.close()
        await app.close()

    assert status == 503
    assert body == {"database": "down", "discord": "ok", "dispatcher": {"state": "unknown"}}
    # The counters are still served; what needs the database says it does not know.
    assert metrics_status == 200
    assert "jobbskaparna_dispatcher_lag_seconds NaN" in metrics


async def test_the_answers_hold_no_settings(app: App, server: WebServer):
    _, ready = await get(server, "/health/ready")
    _, live = await get(server, "/health/live")
    for secret_bearing in (app.settings.effective_database_url, str(app.settings.data_dir)):
        assert secret_bearing not in ready + live
