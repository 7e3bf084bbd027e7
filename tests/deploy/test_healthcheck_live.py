"""The image's health check against the bot's own web server: the settings the Dockerfile sets are the bot's,
and the script's request reaches the liveness route the server serves.

Needs the web server (bot.web, helper C's part of issue 20): it passes once that is merged.
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from pathlib import Path

import pytest

from bot.app import App
from bot.config import Settings, load_settings
from tests.deploy.test_deploy_files import DEPLOY, compose, dockerfile_env

# The image's settings the bot reads (PATH, HOME and PYTHONUNBUFFERED are the interpreter's).
NOT_SETTINGS = {"PATH", "HOME", "PYTHONUNBUFFERED"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def health_check(environ: dict[str, str]) -> tuple[int, str]:
    # Run beside the server on this event loop, as Docker runs it beside the bot.
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(DEPLOY / "healthcheck.py"), env=environ, stderr=asyncio.subprocess.PIPE
    )
    _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    return process.returncode or 0, stderr.decode()


def test_every_variable_the_image_and_compose_set_is_a_setting_of_the_bot():
    fields = {name.upper() for name in Settings.model_fields}
    image = {name for name in dockerfile_env() if name not in NOT_SETTINGS}
    assert image <= fields, f"the Dockerfile sets {sorted(image - fields)}, which the bot does not read"
    bot = set(compose()["services"]["bot"]["environment"])
    assert bot <= fields, f"compose.yaml sets {sorted(bot - fields)}, which the bot does not read"


async def test_the_images_health_check_passes_against_the_bots_server(
    app: App, settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    from bot.web.server import start_serving  # helper C's web server (i20-c)

    # The image's environment, but a free port here instead of 8081 and folders of this test.
    image = dockerfile_env() | {"WEB_PORT": str(free_port())}
    for folder in ("DATA_DIR", "OUTPUT_DIR"):
        image[folder] = str(tmp_path / Path(image[folder]).name)
    for name, value in image.items():
        if name not in NOT_SETTINGS:
            monkeypatch.setenv(name, value)
    as_in_image = load_settings(_env_file=None, database_url=settings.database_url)
    assert (as_in_image.web_host, as_in_image.web_port) == ("127.0.0.1", int(image["WEB_PORT"]))

    environ = {name: value for name, value in os.environ.items() if not name.startswith("WEB_")}
    environ |= {"WEB_HOST": image["WEB_HOST"], "WEB_PORT": image["WEB_PORT"]}
    server = await start_serving(app, as_in_image)
    assert server is not None
    try:
        status, stderr = await health_check(environ)
        assert status == 0, stderr
    finally:
        await server.close()
    # With the server gone, the same check fails: it asked the server, it did not just pass.
    status, stderr = await health_check(environ)
    assert status == 1 and "did not answer" in stderr
