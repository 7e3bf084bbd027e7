"""`jobbskaparna doctor` against the fake Discord and the fake Slack: each thing the bot needs that is missing
is a finding that says how to fix it, and the exit code says whether anything must be fixed.

The servers are set up by the real bot (its /setup, its command sync), then spoiled as an admin could: a
channel that denies the bot Send Messages, the member role dragged above the bot's, the Server Members intent
switched off.
"""

from __future__ import annotations

import asyncio
import re
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import discord
import pytest
import pytest_asyncio

from bot.config import Settings, load_settings
from bot.discordbot.runner import WRONG_TOKEN
from bot.discordbot.setupcheck import invite_url
from bot.doctor import PROBLEM, SLACK_BOT_SCOPES, Finding, diagnose
from tests.slack.fakeslack import APP_TOKEN, BOT_TOKEN, FakeSlack
from tests.slack.test_manifest import listed

from .botprocess import TOKEN, BotProcess
from .fakediscord import FakeDiscord, Perm
from .test_scenarios import set_up_workspace

# Async tests run without a mark (asyncio_mode = "auto"); the last one is not async.
pytestmark = pytest.mark.e2e


@pytest.fixture(autouse=True)
def discord_endpoints(monkeypatch: pytest.MonkeyPatch) -> None:
    """Doctor in this process points discord.py at the fake; put discord.py back after each test."""
    monkeypatch.setattr(discord.http.Route, "BASE", discord.http.Route.BASE)
    monkeypatch.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY",
                        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)


@pytest_asyncio.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        yield fake


async def doctor(bot: BotProcess) -> tuple[int, str]:
    """Run `python -m bot doctor` as a user would, with the bot's settings; return exit code and stdout."""
    env = {name: value for name, value in bot.environment().items() if not name.startswith("SLACK_")}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "doctor", cwd=bot.workdir, env=env, stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert b"Traceback" not in err, err.decode()
    assert process.returncode is not None
    return process.returncode, out.decode()


def problems(output: str) -> list[str]:
    return [line.split(PROBLEM, 1)[1].strip() for line in output.splitlines()
            if line.startswith(f"  {PROBLEM}")]


def settings_for(tmp_path: Path, **values: Any) -> Settings:
    return load_settings(_env_file=None, data_dir=tmp_path / "data", **values)


def in_area(findings: list[Finding], area: str) -> list[tuple[str, str]]:
    return [(finding.status, finding.text) for finding in findings if finding.area == area]


async def test_a_server_set_up_well_is_all_well(fake_discord: FakeDiscord, jobbbot: BotProcess):
    await set_up_workspace(fake_discord)

    code, output = await doctor(jobbbot)

    assert code == 0, output
    assert output.rstrip().endswith("All is well.")
    server = f"Discord server Jobbskaparna ({fake_discord.guild_id})"
    assert f"\n{server}\n  ok       the bot may do what it needs in the channels and with the roles /setup " \
           "chose\n  ok       the slash commands are registered (for this server)\n" in output
    assert "  ok       the Server Members intent is on\n" in output
    assert re.search(r"^Database\n  ok       sqlite\+aiosqlite:///.*jobbskaparna\.db answers and is migrated "
                     r"to the head revision \(\w+\)$", output, re.MULTILINE)


async def test_a_spoiled_server_gets_a_finding_with_its_fix_for_each_thing_spoiled(
        fake_discord: FakeDiscord, jobbbot: BotProcess):
    fake = fake_discord
    await set_up_workspace(fake)
    world = fake.world
    world.resolve_channel("annonser").overwrites.append(
        {"id": str(world.bot_role_id), "type": 0, "allow": "0", "deny": str(int(Perm.SEND_MESSAGES))})
    world.roles[fake.role_id("Medlem")].position = world.roles[world.bot_role_id].position + 1
    fake.enabled_intents = 0

    code, output = await doctor(jobbbot)

    assert code == 1
    assert problems(output) == [
        ("the Server Members intent is off: turn on Server Members Intent in the Developer Portal (Bot → "
         f"Privileged Gateway Intents) at https://discord.com/developers/applications/{fake.application_id}/bot"),
        # Discord takes Embed Links and Attach Files away with Send Messages (discord.py computes it so).
        ("announcements: The bot cannot write in #annonser. There it lacks: Send Messages and Create Posts, "
         "Embed Links, Attach Files. Give the bot's role what is missing in the channel's settings → "
         "Permissions."),
        ("member_role: The bot's role (@Jobbskaparna) stands below @Medlem, so the bot cannot give it to new "
         "members. Drag the bot's role above @Medlem in Server Settings → Roles."),
    ]
    assert output.rstrip().endswith("3 problems to fix.")


async def test_a_server_where_setup_never_ran_is_told_to_run_it(
        fake_discord: FakeDiscord, jobbbot: BotProcess):
    code, output = await doctor(jobbbot)

    assert code == 1
    assert problems(output) == [
        "/setup was never run here: run /setup in Jobbskaparna to choose the channels and roles"]


async def test_a_bot_in_no_server_with_commands_nowhere_is_told_where_to_invite_it(tmp_path: Path):
    async with FakeDiscord(in_guild=False) as fake:
        settings = settings_for(tmp_path, discord_token=TOKEN, discord_api_base=fake.api_base,
                                discord_guild_ids=str(fake.guild_id))

        findings = in_area(await diagnose(settings), "Discord")

    url = invite_url(fake.application_id)
    assert findings[-2:] == [
        (PROBLEM, f"the bot is in no server: invite it with {url}"),
        (PROBLEM, (f"DISCORD_GUILD_IDS names the server {fake.guild_id}, which the bot is not in: invite it "
                  f"with {url}, or take the id out"))]


async def test_commands_refused_for_a_server_are_a_finding_with_the_invite(tmp_path: Path):
    async with FakeDiscord(refuse_commands=True) as fake:
        settings = settings_for(tmp_path, discord_token=TOKEN, discord_api_base=fake.api_base)

        findings = in_area(await diagnose(settings), f"Discord server Jobbskaparna ({fake.guild_id})")

    assert findings[-1][0] == PROBLEM
    assert findings[-1][1].startswith("Discord refused the slash commands (403 Missing Access): ")
    assert f"invite it again with {invite_url(fake.application_id)}" in findings[-1][1]


async def test_a_token_discord_refuses_and_discord_out_of_reach_are_findings(tmp_path: Path):
    async with FakeDiscord(tokens={"another"}) as fake:
        refused = await diagnose(settings_for(tmp_path, discord_token=TOKEN, discord_api_base=fake.api_base))
    # The fake has stopped: nothing answers at its address any more.
    unreachable = await diagnose(settings_for(tmp_path, discord_token=TOKEN, discord_api_base=fake.api_base))

    assert in_area(refused, "Discord") == [(PROBLEM, WRONG_TOKEN)]
    [(status, text)] = in_area(unreachable, "Discord")
    assert status == PROBLEM and text.startswith(f"Discord cannot be reached at {fake.api_base} (")


async def test_slack_scopes_missing_from_the_bot_token_are_named(fake_slack: FakeSlack, tmp_path: Path):
    fake_slack.scopes = [scope for scope in SLACK_BOT_SCOPES if scope not in ("pins:write", "im:history")]
    settings = settings_for(tmp_path, slack_bot_token=BOT_TOKEN, slack_app_token=APP_TOKEN,
                            slack_api_base=fake_slack.api_base)

    findings = in_area(await diagnose(settings), "Slack")

    assert [text for status, text in findings if status == PROBLEM] == [
        ("the bot token lacks the scopes pins:write, im:history: add them at https://api.slack.com/apps → "
         "your app → OAuth & Permissions → Scopes (or paste slack/manifest.yml again) and reinstall the app"),
        "/jobb setup was never run in this workspace: run it to choose the channels and user groups"]
    assert ("ok", "the app token opens a Socket Mode connection") in findings


async def test_slack_tokens_refused_are_findings(fake_slack: FakeSlack, tmp_path: Path):
    fake_slack.scopes = list(SLACK_BOT_SCOPES)
    fake_slack.errors["apps.connections.open"] = "invalid_auth"
    settings = settings_for(tmp_path, slack_bot_token=BOT_TOKEN, slack_app_token=APP_TOKEN,
                            slack_api_base=fake_slack.api_base)

    findings = in_area(await diagnose(settings), "Slack")

    assert ("ok", "the bot token has every scope slack/manifest.yml asks for") in findings
    refused = "SLACK_APP_TOKEN is not accepted by Slack (invalid_auth): "
    assert any(status == PROBLEM and text.startswith(refused) for status, text in findings)
    fake_slack.errors["auth.test"] = "invalid_auth"
    [(status, text)] = in_area(await diagnose(settings), "Slack")
    assert status == PROBLEM and text.startswith("SLACK_BOT_TOKEN is not accepted by Slack (invalid_auth): ")


def test_doctor_asks_slack_for_the_scopes_the_manifest_gives():
    assert sorted(SLACK_BOT_SCOPES) == sorted(listed("bot"))
