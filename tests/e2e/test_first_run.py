"""A first run that explains itself: the real bot process against a fake Discord (and a fake Slack) that
refuses it as the real ones do.

What stops the start (a token refused, the Server Members intent off, Discord or Slack out of reach) ends it
with one line on stderr that says what to fix, no traceback, and the exit code of the README's table (2: a
setting to fix, 1: another failure). What the bot can live with (invited to no server, commands refused) is a
WARNING with the invite URL, and the bot goes on.
"""

from __future__ import annotations

import asyncio
import re
import socket
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
import pytest_asyncio

from bot.discordbot.setupcheck import INVITE_PERMISSIONS
from tests.slack.fakeslack import APP_TOKEN, BOT_TOKEN, FakeSlack

from .botprocess import START_TIMEOUT, BotProcess, Run
from .fakediscord import FakeDiscord

pytestmark = [pytest.mark.asyncio, pytest.mark.e2e]

WRONG_TOKEN = ("jobbskaparna: DISCORD_TOKEN is not accepted by Discord: copy the bot's token again from the "
               "Developer Portal (Bot → Reset Token)")


@pytest_asyncio.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        yield fake


async def launch(bot: BotProcess) -> Run:
    """Start `python -m bot` as BotProcess does, without waiting for the gateway (it may never get there)."""
    bot.workdir.mkdir(parents=True, exist_ok=True)
    number = len(bot.runs) + 1
    stdout, stderr = bot.workdir / f"bot-{number}.stdout", bot.workdir / f"bot-{number}.stderr"
    # Only the Slack settings a scenario gives: a developer's own must not start Slack here.
    env = {name: value for name, value in bot.environment().items()
           if not name.startswith("SLACK_") or name in bot.extra_env}
    with stdout.open("wb") as out, stderr.open("wb") as err:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", cwd=bot.workdir, env=env, stdin=asyncio.subprocess.DEVNULL,
            stdout=out, stderr=err)
    run = Run(number, process, stdout, stderr)
    bot.runs.append(run)
    return run


async def stopped(bot: BotProcess) -> tuple[int, list[str]]:
    """Run the bot until it ends by itself; return its exit code and the lines of its stderr."""
    run = await launch(bot)
    try:
        code = await asyncio.wait_for(run.process.wait(), START_TIMEOUT)
    finally:
        await bot.stop()
    return code, run.stderr.read_text(errors="replace").splitlines()


async def logged(run: Run, pattern: str, timeout: float = START_TIMEOUT) -> str:
    """Wait for a line of the bot's log matching `pattern` and return it (fail if the bot ends first)."""
    async with asyncio.timeout(timeout):
        while True:
            for line in run.stderr.read_text(errors="replace").splitlines():
                if re.search(pattern, line):
                    return line
            assert run.returncode is None, f"the bot exited with {run.returncode}:\n{run.output()}"
            await asyncio.sleep(0.05)


def assert_one_line(lines: list[str], expected: str) -> None:
    """The start ended with exactly this line, the only one that is not the log's, and no traceback."""
    assert lines and lines[-1] == expected, "\n".join(lines)
    assert not any("Traceback" in line for line in lines), "\n".join(lines)
    assert [line for line in lines if line.startswith("jobbskaparna:")] == [expected]


def closed_port() -> int:
    """Return a port nothing listens on (the probe that had it is closed)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def invite_url(fake: FakeDiscord) -> str:
    return (f"https://discord.com/oauth2/authorize?client_id={fake.application_id}"
            f"&scope=bot+applications.commands&permissions={INVITE_PERMISSIONS.value}")


async def test_a_token_discord_does_not_accept_stops_the_start_with_its_line_and_exit_code_2(
        make_fake_discord: Callable[..., Awaitable[FakeDiscord]], tmp_path: Path):
    fake = await make_fake_discord(tokens={"the-token-of-another-bot"})

    code, lines = await stopped(BotProcess(fake, tmp_path))

    assert code == 2
    assert_one_line(lines, WRONG_TOKEN)


async def test_the_server_members_intent_switched_off_stops_the_start_with_where_to_switch_it_on(
        make_fake_discord: Callable[..., Awaitable[FakeDiscord]], tmp_path: Path):
    fake = await make_fake_discord(enabled_intents=0)

    code, lines = await stopped(BotProcess(fake, tmp_path))

    assert code == 2
    assert_one_line(lines, (
        "jobbskaparna: Discord refused the Server Members intent: turn on Server Members Intent in the "
        "Developer Portal (Bot → Privileged Gateway Intents) at "
        f"https://discord.com/developers/applications/{fake.application_id}/bot"))
    assert fake.gateway.refused_identifies == 1


async def test_discord_out_of_reach_stops_the_start_naming_the_address(
        make_fake_discord: Callable[..., Awaitable[FakeDiscord]], tmp_path: Path):
    fake = await make_fake_discord()
    address = fake.api_base
    await fake.stop()  # nothing listens at its port any more

    code, lines = await stopped(BotProcess(fake, tmp_path))

    assert code == 1
    assert lines and lines[-1].startswith(f"jobbskaparna: Discord cannot be reached at {address} ("), lines
    assert lines[-1].endswith("): check the network, or DISCORD_API_BASE")
    assert_one_line(lines, lines[-1])


async def test_the_gateway_out_of_reach_stops_the_start_naming_its_address(
        fake_discord: FakeDiscord, tmp_path: Path):
    gateway = f"ws://127.0.0.1:{closed_port()}/gateway"
    bot = BotProcess(fake_discord, tmp_path, extra_env={"DISCORD_GATEWAY_URL": gateway})

    code, lines = await stopped(bot)

    assert code == 1
    expected = f"jobbskaparna: Discord's gateway cannot be reached at {gateway} ("
    assert lines and lines[-1].startswith(expected), lines
    assert lines[-1].endswith("): check the network, or DISCORD_GATEWAY_URL")
    assert_one_line(lines, lines[-1])


async def test_a_bot_in_no_server_warns_with_the_invite_url_and_keeps_running(
        make_fake_discord: Callable[..., Awaitable[FakeDiscord]], tmp_path: Path):
    fake = await make_fake_discord(in_guild=False)
    bot = BotProcess(fake, tmp_path)
    # DISCORD_GUILD_IDS names the server it is not in: its commands are refused too, and said so.
    bot.expect_refusal(403, 50001)
    run = await launch(bot)
    try:
        warning = await logged(run, "The bot is in no Discord server")
        await fake.wait_until(lambda: fake.gateway.connected, START_TIMEOUT, "the bot to stay connected")

        assert " WARNING " in warning and warning.endswith(f"invite it with {invite_url(fake)}")
        assert run.returncode is None
        assert await bot.terminate() == 0
    finally:
        await bot.stop()
    assert bot.problems() == []


async def test_commands_discord_refuses_warn_with_the_fix_and_the_bot_keeps_running(
        make_fake_discord: Callable[..., Awaitable[FakeDiscord]], tmp_path: Path):
    fake = await make_fake_discord(refuse_commands=True)
    bot = BotProcess(fake, tmp_path)
    bot.expect_refusal(403, 50001)
    try:
        run = await bot.start()
        warning = await logged(run, "Discord refused the slash commands")

        assert " WARNING " in warning
        assert "(403 Missing Access)" in warning
        assert warning.endswith(
            f"invite it again with {invite_url(fake)} (the bot goes on; `jobbskaparna sync` tries again)")
        assert run.returncode is None and fake.gateway.connected
        assert await bot.terminate() == 0
    finally:
        await bot.stop()
    assert bot.problems() == []


async def test_sync_by_hand_refused_is_one_line_and_exit_code_1(
        make_fake_discord: Callable[..., Awaitable[FakeDiscord]], tmp_path: Path):
    fake = await make_fake_discord(refuse_commands=True)
    bot = BotProcess(fake, tmp_path)
    tmp_path.mkdir(exist_ok=True)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "sync", cwd=tmp_path, env=bot.environment(),
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    _, err = await asyncio.wait_for(process.communicate(), START_TIMEOUT)

    assert process.returncode == 1
    assert_one_line(err.decode().splitlines(), (
        "jobbskaparna: Discord refused the slash commands (403 Missing Access): the bot was invited without "
        "the applications.commands scope, or is not in a server DISCORD_GUILD_IDS names; invite it again "
        f"with {invite_url(fake)}"))


@pytest.mark.parametrize(("method", "error", "setting"), [
    ("auth.test", "invalid_auth", "SLACK_BOT_TOKEN"),
    ("auth.test", "token_revoked", "SLACK_BOT_TOKEN"),
    ("apps.connections.open", "invalid_auth", "SLACK_APP_TOKEN"),
])
async def test_a_slack_token_refused_stops_both_platforms_with_its_line(
        fake_discord: FakeDiscord, fake_slack: FakeSlack, tmp_path: Path, method: str, error: str,
        setting: str):
    fake_slack.errors[method] = error
    bot = BotProcess(fake_discord, tmp_path, extra_env={
        "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_APP_TOKEN": APP_TOKEN, "SLACK_API_BASE": fake_slack.api_base})

    code, lines = await stopped(bot)

    assert code == 2
    assert lines[-1].startswith(f"jobbskaparna: {setting} is not accepted by Slack ({error}): "), lines
    assert_one_line(lines, lines[-1])
    assert not fake_discord.gateway.connected


async def test_a_discord_token_refused_stops_slack_running_beside_it_with_the_discord_line(
        make_fake_discord: Callable[..., Awaitable[FakeDiscord]], fake_slack: FakeSlack, tmp_path: Path):
    fake = await make_fake_discord(tokens={"the-token-of-another-bot"})
    bot = BotProcess(fake, tmp_path, extra_env={
        "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_APP_TOKEN": APP_TOKEN, "SLACK_API_BASE": fake_slack.api_base})

    code, lines = await stopped(bot)

    assert code == 2
    assert_one_line(lines, WRONG_TOKEN)
    assert fake_slack.calls_to("apps.connections.open")  # Slack had connected: the process ended all the same


async def test_slack_out_of_reach_stops_the_start_naming_the_address(
        fake_discord: FakeDiscord, tmp_path: Path):
    async with FakeSlack() as gone:
        address = gone.api_base  # nothing listens there once it is closed
    # Slack alone: no DISCORD_TOKEN (an empty setting is no setting).
    bot = BotProcess(fake_discord, tmp_path, extra_env={
        "DISCORD_TOKEN": "", "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_APP_TOKEN": APP_TOKEN,
        "SLACK_API_BASE": address})

    code, lines = await stopped(bot)

    assert code == 1
    assert lines and lines[-1].startswith(f"jobbskaparna: Slack cannot be reached at {address} ("), lines
    assert_one_line(lines, lines[-1])



async def test_a_database_out_of_reach_stops_the_start_naming_it_without_its_password(
        fake_discord: FakeDiscord, tmp_path: Path):
    port = closed_port()
    bot = BotProcess(fake_discord, tmp_path, extra_env={
        "DATABASE_URL": f"postgresql+asyncpg://jobb:hemligt@127.0.0.1:{port}/jobb"})

    code, lines = await stopped(bot)

    assert code == 1
    shown = f"postgresql+asyncpg://jobb:***@127.0.0.1:{port}/jobb"
    assert lines and lines[-1].startswith(f"jobbskaparna: The database at {shown} cannot be used ("), lines
    assert lines[-1].endswith("): check DATABASE_URL and that the database server runs")
    assert_one_line(lines, lines[-1])
    assert "hemligt" not in "\n".join(lines)
