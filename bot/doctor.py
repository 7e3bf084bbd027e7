"""`jobbskaparna doctor`: check what the bot needs on each configured platform and server, and say how to fix
what is missing.

Each check is one finding per line: ok, PROBLEM (something to fix, and how) or info. The Discord servers are
read over REST (the bot does not connect to the gateway) and judged by the same rules as /setup's answer
(bot/discordbot/setupcheck.py), on discord.py objects built from what REST returns. A network error is a
finding too, never a traceback. The lines are English, as the rest of the command line's.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import make_url

from bot.config import Settings
from bot.models import Workspace

log = logging.getLogger(__name__)

OK, PROBLEM, INFO = "ok", "PROBLEM", "info"
# The bot scopes of slack/manifest.yml (tests/e2e/test_doctor.py keeps the two equal): the bot token needs
# them all.
SLACK_BOT_SCOPES = (
    "commands", "chat:write", "channels:join", "im:write", "users:read", "usergroups:read",
    "usergroups:write", "files:write", "files:read", "pins:write", "channels:read", "groups:read",
    "im:history", "app_mentions:read",
)
# The language of the /setup problems doctor quotes: the command line's.
LANGUAGE = "en"


@dataclass(frozen=True)
class Finding:
    """One thing doctor looked at: where, how it stands (OK, PROBLEM or INFO), and what to do."""

    area: str
    status: str
    text: str


def run_doctor(settings: Settings) -> int:
    """Print every finding, grouped by area; return 0 when nothing must be fixed, 1 otherwise."""
    findings = asyncio.run(diagnose(settings))
    print(report(findings))
    return 1 if any(finding.status == PROBLEM for finding in findings) else 0


def report(findings: Sequence[Finding]) -> str:
    """Write the findings as doctor prints them: each area once, its findings under it, then a summary."""
    by_area: dict[str, list[Finding]] = {}
    for finding in findings:
        by_area.setdefault(finding.area, []).append(finding)
    lines: list[str] = []
    for area, found in by_area.items():
        lines.append(area)
        lines += [f"  {finding.status:<8} {finding.text}" for finding in found]
    problems = sum(finding.status == PROBLEM for finding in findings)
    lines.append("All is well." if not problems else
                 f"{problems} problem{'s' if problems != 1 else ''} to fix.")
    return "\n".join(lines)


async def diagnose(settings: Settings) -> list[Finding]:
    """Check the database, each configured platform and the model; return the findings in that order."""
    findings, workspaces = await check_database(settings)
    if settings.discord_token is not None:
        findings += await check_discord(settings, workspaces)
    else:
        findings.append(Finding("Discord", INFO, "DISCORD_TOKEN is not set: the bot does not run on Discord"))
    if settings.slack_bot_token is not None:
        findings += await check_slack(settings, workspaces)
    else:
        findings.append(Finding("Slack", INFO, "SLACK_BOT_TOKEN is not set: the bot does not run on Slack"))
    findings.append(check_openai(settings))
    return findings


# --- the database ---------------------------------------------------------------------------------------


async def check_database(settings: Settings) -> tuple[list[Finding], dict[tuple[str, str], Workspace]]:
    """Check that the database answers, is migrated to the head revision, and (SQLite) that its folder is
    writable; return the findings and the workspaces it holds, by (platform, external id)."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from sqlalchemy.ext.asyncio import AsyncSession

    from bot import db

    area = "Database"
    url = settings.effective_database_url
    shown = make_url(url).render_as_string(hide_password=True)
    findings: list[Finding] = []
    database = make_url(url).database
    if url.startswith("sqlite") and database:
        folder = Path(database).parent
        # The bot creates a missing folder: the nearest one that exists must let it.
        existing = next(parent for parent in (folder, *folder.parents) if parent.exists())
        if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
            findings.append(Finding(area, PROBLEM, (
                f"the bot cannot write in {existing}, where its database {Path(database)} goes: let the "
                "bot's user write there, or set DATA_DIR (or DATABASE_URL) to another place")))
            return findings, {}
        if not Path(database).exists():
            findings.append(Finding(area, INFO, (
                f"{shown} does not exist yet: the bot creates it when it starts (or `jobbskaparna "
                "migrate`)")))
            return findings, {}
    head = ScriptDirectory.from_config(db.alembic_config(url)).get_current_head()
    engine = db.create_engine(url)
    try:
        async with engine.connect() as connection:
            current = await connection.run_sync(
                lambda sync: MigrationContext.configure(sync).get_current_revision())
        if current != head:
            findings.append(Finding(area, PROBLEM, (
                f"{shown} is at revision {current or 'none'}, this version needs {head}: run "
                "`jobbskaparna migrate` (a start migrates too)")))
            return findings, {}
        async with AsyncSession(engine) as session:
            rows = (await session.scalars(select(Workspace))).all()
    except Exception as error:  # any driver's refusal is a finding, not a traceback
        log.debug("The database check failed", exc_info=True)
        findings.append(Finding(area, PROBLEM, (
            f"{shown} does not answer ({_reason(error)}): check DATABASE_URL and that the database server "
            "runs")))
        return findings, {}
    finally:
        await engine.dispose()
    findings.append(Finding(area, OK, f"{shown} answers and is migrated to the head revision ({head})"))
    return findings, {(row.platform, row.external_id): row for row in rows}


def _reason(error: BaseException) -> str:
    cause = getattr(error, "orig", None) or error
    return f"{type(cause).__name__}: {cause}".splitlines()[0]


# --- Discord --------------------------------------------------------------------------------------------


async def check_discord(settings: Settings, workspaces: dict[tuple[str, str], Workspace]) -> list[Finding]:
    """Log in over REST (no gateway) and check the token, the Server Members intent, the servers, and per
    server the permissions for what /setup chose and the slash commands."""
    import discord

    from bot.discordbot.runner import apply_endpoints, start_error
    from bot.discordbot.setupcheck import DEVELOPER_PORTAL, invite_url

    assert settings.discord_token is not None
    area = "Discord"
    apply_endpoints(settings)
    client = discord.Client(intents=discord.Intents.none())
    findings: list[Finding] = []
    async with client:
        try:
            await client.login(settings.discord_token.get_secret_value())
        except Exception as error:  # a refusal or the network is a finding
            log.debug("Logging in to Discord failed", exc_info=True)
            explained = start_error(error, None)
            return [Finding(area, PROBLEM, str(explained) if explained else _reason(error))]
        application = client.application
        assert client.user is not None and application is not None
        findings.append(Finding(area, OK, f"the token is accepted (bot {client.user.name}, application "
                                          f"{application.id})"))
        flags = application.flags
        if flags.gateway_guild_members or flags.gateway_guild_members_limited:
            findings.append(Finding(area, OK, "the Server Members intent is on"))
        else:
            findings.append(Finding(area, PROBLEM, (
                "the Server Members intent is off: turn on Server Members Intent in the Developer Portal "
                f"(Bot → Privileged Gateway Intents) at {DEVELOPER_PORTAL}/{application.id}/bot")))
        try:
            guilds = await client.http.get_guilds(200)
            global_commands = await client.http.get_global_commands(application.id)
        except (discord.HTTPException, OSError, TimeoutError) as error:
            return [*findings, Finding(area, PROBLEM, f"Discord did not list the bot's servers ({error})")]
        if not guilds:
            findings.append(Finding(area, PROBLEM, f"the bot is in no server: invite it with "
                                                   f"{invite_url(application.id)}"))
        joined = {int(guild["id"]) for guild in guilds}
        for missing in sorted(set(settings.guild_ids) - joined):
            findings.append(Finding(area, PROBLEM, (
                f"DISCORD_GUILD_IDS names the server {missing}, which the bot is not in: invite it with "
                f"{invite_url(application.id)}, or take the id out")))
        for partial in guilds:
            findings += await _check_guild(client, int(partial["id"]), str(partial.get("name", "")),
                                           workspaces.get(("discord", str(partial["id"]))),
                                           bool(global_commands), settings)
    return findings


async def _check_guild(client: Any, guild_id: int, name: str, workspace: Workspace | None,
                       global_commands: bool, settings: Settings) -> list[Finding]:
    import discord

    from bot.discordbot.bot import sync_refusal
    from bot.discordbot.setupcheck import check_server
    from bot.i18n import render
    from bot.replies import Mention
    from bot.services.workspaces import CHANNEL_SETTINGS, chosen

    area = f"Discord server {name} ({guild_id})"
    application_id = client.application.id
    try:
        payload = await client.http.get_guild(guild_id)
        channels = await client.http.get_all_guild_channels(guild_id)
        bot_member = await client.http.get_member(guild_id, client.user.id)
    except (discord.HTTPException, OSError, TimeoutError) as error:
        return [Finding(area, PROBLEM, f"Discord did not show the server to the bot ({error})")]
    # The same objects the gateway's cache holds, built by discord.py from what REST returned, so that
    # /setup's rules (permissions with channel overwrites, role order) judge them exactly as they judge the
    # cache. discord.py's own fetch_guild does the same with its private state.
    data: Any = {**payload, "channels": channels, "members": [bot_member]}
    guild = discord.Guild(data=data, state=client._connection)
    findings: list[Finding] = []
    settings_chosen = chosen(workspace) if workspace is not None else {}
    if not any(setting in settings_chosen for setting in CHANNEL_SETTINGS):
        findings.append(Finding(area, PROBLEM, (
            f"/setup was never run here: run /setup in {name} to choose the channels and roles")))
    else:
        def named(mention: Mention) -> str:
            found = (guild.get_channel(int(mention.id)) if mention.kind == "channel" else
                     guild.get_role(int(mention.id)) if mention.kind == "role" else None)
            return ("#" if mention.kind == "channel" else "@") + (found.name if found else mention.id)

        check = check_server(guild, (), settings_chosen)
        for problem in check.problems:
            findings.append(Finding(area, PROBLEM, f"{problem.setting}: "
                                                   f"{render(problem.text, LANGUAGE, named)}"))
        if not check.problems:
            findings.append(Finding(area, OK, (
                "the bot may do what it needs in the channels and with the roles /setup chose")))
    try:
        guild_commands = await client.http.get_guild_commands(application_id, guild_id)
    except discord.HTTPException as error:
        findings.append(Finding(area, PROBLEM, sync_refusal(error, application_id)))
        return findings
    if guild_commands or (global_commands and guild_id not in settings.guild_ids):
        findings.append(Finding(area, OK, f"the slash commands are registered "
                                          f"({'for this server' if guild_commands else 'globally'})"))
    else:
        findings.append(Finding(area, PROBLEM, "no slash commands are registered: start the bot, or run "
                                               "`jobbskaparna sync`"))
    return findings


# --- Slack ----------------------------------------------------------------------------------------------


async def check_slack(settings: Settings, workspaces: dict[tuple[str, str], Workspace]) -> list[Finding]:
    """Check the bot token and its scopes, the app token (Socket Mode) or signing secret (HTTP), and that
    /jobb setup chose the channels."""
    import aiohttp
    from slack_sdk.errors import SlackApiError

    from bot.slack.app import DEFAULT_API_BASE, web_client
    from bot.slack.runner import APP_TOKEN_FIX, BOT_TOKEN_FIX, REFUSED_TOKEN

    assert settings.slack_bot_token is not None
    area = "Slack"
    base = settings.slack_api_base or DEFAULT_API_BASE
    client = web_client(settings.slack_bot_token.get_secret_value(), settings.slack_api_base)
    findings: list[Finding] = []
    try:
        identity = await client.auth_test()
    except SlackApiError as error:
        code = error.response.get("error")
        fix = BOT_TOKEN_FIX if code in REFUSED_TOKEN else "see Slack's answer"
        return [Finding(area, PROBLEM, f"SLACK_BOT_TOKEN is not accepted by Slack ({code}): {fix}")]
    except (aiohttp.ClientError, OSError, TimeoutError) as error:
        return [Finding(area, PROBLEM, f"Slack cannot be reached at {base} ({error}): check the network, or "
                                       "SLACK_API_BASE")]
    team_id = str(identity.get("team_id"))
    team = identity.get("team")
    findings.append(Finding(area, OK, f"the bot token is accepted (workspace {team}, {team_id})"))
    granted_header = identity.headers.get("x-oauth-scopes")
    if granted_header is None:
        findings.append(Finding(area, INFO, "Slack did not say which scopes the bot token has"))
    else:
        granted = {scope.strip() for scope in granted_header.split(",") if scope.strip()}
        missing = [scope for scope in SLACK_BOT_SCOPES if scope not in granted]
        if missing:
            findings.append(Finding(area, PROBLEM, (
                f"the bot token lacks the scopes {', '.join(missing)}: add them at "
                "https://api.slack.com/apps → your app → OAuth & Permissions → Scopes (or paste "
                "slack/manifest.yml again) and reinstall the app")))
        else:
            findings.append(Finding(area, OK, "the bot token has every scope slack/manifest.yml asks for"))
    if settings.slack_app_token is not None:
        try:
            await client.apps_connections_open(app_token=settings.slack_app_token.get_secret_value())
            findings.append(Finding(area, OK, "the app token opens a Socket Mode connection"))
        except SlackApiError as error:
            code = error.response.get("error")
            findings.append(Finding(area, PROBLEM, f"SLACK_APP_TOKEN is not accepted by Slack ({code}): "
                                                   f"{APP_TOKEN_FIX}"))
    elif settings.slack_signing_secret is not None:
        findings.append(Finding(area, INFO, (
            f"HTTP mode: Slack must reach this host's port {settings.slack_http_port} at /slack/events; the "
            "signing secret cannot be checked from here")))
    else:
        findings.append(Finding(area, PROBLEM, (
            "neither SLACK_APP_TOKEN (Socket Mode) nor SLACK_SIGNING_SECRET (HTTP) is set: set one of them")))
    workspace = workspaces.get(("slack", team_id))
    if workspace is None or not workspace.announcement_channel_id:
        findings.append(Finding(area, PROBLEM, (
            "/jobb setup was never run in this workspace: run it to choose the channels and user groups")))
    else:
        findings.append(Finding(area, OK, "/jobb setup chose the channels"))
    return findings


# --- the model -----------------------------------------------------------------------------------------


def check_openai(settings: Settings) -> Finding:
    """Say whether the coach asks a model (the key is not tried: that would cost a call)."""
    if settings.openai_api_key is None:
        return Finding("OpenAI", INFO, "OPENAI_API_KEY is not set: the coach writes from its templates")
    model = settings.openai_model
    return Finding("OpenAI", INFO, f"OPENAI_API_KEY is set: the coach asks {model} (not tried here)")
