"""The Discord bot: owns the App, loads the cogs, registers the buttons, and syncs commands when they
change."""

from __future__ import annotations

import hashlib
import json
import logging
import pkgutil
from typing import Any

import aiohttp
import discord
import yarl
from discord import app_commands
from discord.ext import commands

import cogs
from bot import db
from bot.app import App
from bot.discordbot.checks import PLATFORM
from bot.discordbot.metrics import InteractionMetrics
from bot.discordbot.notifier import DiscordNotifier
from bot.discordbot.ratelimits import BoundedHTTPClient, GlobalPacer
from bot.discordbot.setupcheck import invite_url
from bot.discordbot.translator import CatalogTranslator
from bot.discordbot.tree import JobbTree
from bot.discordbot.views import ActionButton, FormSessions, answer_stale_modal
from bot.models import CommandSync
from bot.platforms import database_explained
from bot.web import CLOSED, CONNECTING, OK

log = logging.getLogger(__name__)

GLOBAL_SCOPE = "global"
# Discord's error code when the application may not reach a server's commands (invited without
# applications.commands, or not in that server).
MISSING_ACCESS = 50001


def intents() -> discord.Intents:
    """Ask for servers, their members, and the messages written to the bot.

    Members (privileged) is needed to welcome people who join. The message intents (not privileged) bring
    DMs and server messages, so that a member can talk to the coach (cogs/conversation.py). The privileged
    message content intent is not asked for: Discord gives a bot the content of DMs and of messages that
    mention it without it, and those are the only messages the bot answers; others arrive empty.
    """
    wanted = discord.Intents.none()
    wanted.guilds = True
    wanted.members = True
    wanted.dm_messages = True
    wanted.guild_messages = True
    return wanted


def sync_refusal(error: discord.HTTPException, application_id: int | None) -> str:
    """Say in one line why Discord refused the slash commands and how to fix it."""
    if error.status == 403 or error.code == MISSING_ACCESS:
        return (f"Discord refused the slash commands ({error.status} {error.text or 'Missing Access'}): the "
                "bot was invited without the applications.commands scope, or is not in a server "
                f"DISCORD_GUILD_IDS names; invite it again with {invite_url(application_id)}")
    return (f"Discord refused the slash commands ({error.status}, code {error.code}: {error.text}): the "
            "commands registered before keep working")


# How long the first look at the gateway may take (a connection and Discord's HELLO).
GATEWAY_CHECK_TIMEOUT = 30.0


async def reach_gateway(gateway: yarl.URL) -> None:
    """Open a connection to Discord's gateway and close it at once (no IDENTIFY: it starts no session);
    raise aiohttp's connection error when it cannot be reached."""
    timeout = aiohttp.ClientTimeout(total=GATEWAY_CHECK_TIMEOUT)
    async with aiohttp.ClientSession(timeout=timeout) as session, \
            session.ws_connect(gateway.with_query(v=10, encoding="json")):
        pass


class JobbBot(commands.AutoShardedBot):
    """Jobbskaparna on Discord: slash commands, buttons and modals over the shared App.

    Sharded by discord.py: DISCORD_SHARD_COUNT and DISCORD_SHARD_IDS split the shards across processes
    (unset: this process runs as many as Discord recommends, usually one).
    """

    app: App
    forms: FormSessions
    pacer: GlobalPacer
    http: BoundedHTTPClient

    def __init__(self, app: App, *, serve: bool = True, **kwargs: Any) -> None:
        kwargs.setdefault("tree_cls", JobbTree)
        # No message cache: nothing reads cached messages (edits go through partial messages by id; a reply
        # carries the message it answers), and with the message intents it would fill with every message.
        kwargs.setdefault("max_messages", None)
        # Every request that counts against Discord's global limit waits for its turn in one pacer: the
        # Dispatcher's DMs and posts, the cogs' fetches and role changes alike (interaction responses never).
        self.pacer = GlobalPacer(app.settings.discord_global_rate)
        trace = self.pacer.trace_config()
        # The same trace times each interaction's first response and counts the 429s (bot.metrics).
        self.interaction_metrics = InteractionMetrics(app.metrics)
        self.interaction_metrics.add_to(trace)
        kwargs.setdefault("shard_count", app.settings.discord_shard_count)
        kwargs.setdefault("shard_ids", app.settings.shard_ids)
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents(),
            help_command=None,
            allowed_mentions=discord.AllowedMentions.none(),
            http_trace=trace,
            **kwargs,
        )
        # A fan-out to many DM channels must not grow discord.py's bucket table, which it scans whole.
        self.http = BoundedHTTPClient.adopt(self.http)
        self.app = app
        self.forms = FormSessions()
        # serve=False (the sync command) loads the commands but starts no scheduler and sends nothing.
        self.serve = serve
        self._app_closed = False
        self._gateway_answered = False

    async def setup_hook(self) -> None:
        """Load the cogs and the translator, register the buttons, start the App, and sync changed
        commands."""
        await self.tree.set_translator(CatalogTranslator())
        await self.load_cogs()
        self.add_dynamic_items(ActionButton)
        if not self.serve:
            # The command sync stores its hashes in the database, so the schema must be current.
            await db.migrate(self.app.settings.effective_database_url)
            return
        # The live Discord processes on the database share the global limit (bot.processes.Budget).
        self.app.processes.share(PLATFORM, self.pacer.pacer, self.app.settings.discord_global_rate)
        # Only Discord's deliveries: a Slack process (or this process's Slack adapter) sends its own.
        with database_explained(self.app.settings.effective_database_url):
            await self.app.start(DiscordNotifier(self), platform=PLATFORM)
        if not self.syncs_commands:
            log.info("Shards %s: the process with shard 0 syncs the commands", self.shard_ids)
            return
        try:
            await self.sync_commands(force=False)
        except discord.HTTPException as error:
            # The old commands keep working; `jobbskaparna sync` retries on demand.
            log.debug("Discord refused the slash commands", exc_info=True)
            log.warning("%s (the bot goes on; `jobbskaparna sync` tries again)",
                        sync_refusal(error, self.application_id))
        except app_commands.AppCommandError:
            log.exception("Could not sync the slash commands")

    async def on_ready(self) -> None:
        """Warn, with the invite URL, while the bot is in no server: it runs on, someone may invite it now."""
        # A process of some of the shards may hold none of the servers: only one with every shard knows.
        if self.holds_every_shard and not self.guilds:
            log.warning("The bot is in no Discord server: invite it with %s", invite_url(self.application_id))

    async def launch_shard(self, gateway: yarl.URL, shard_id: int, *, initial: bool = False) -> None:
        """Connect a shard; before this process's first, see that the gateway answers at all.

        discord.py retries a shard that cannot connect every 5 seconds, forever: right for a bot that ran and
        lost the network, but a first start against a wrong DISCORD_GATEWAY_URL (or no network) would hang
        in silence. Out of reach at the first start, the start ends with one line (runner.start_error).
        """
        if self.app.settings.discord_gateway_url:
            # The setting wins over the address GET /gateway/bot names (runner.apply_endpoints set it).
            gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
        if not self._gateway_answered:
            await reach_gateway(gateway)
            self._gateway_answered = True
        await super().launch_shard(gateway, shard_id, initial=initial)

    @property
    def holds_every_shard(self) -> bool:
        """Tell whether this process runs all the bot's shards (so its cache knows every server)."""
        return self.shard_ids is None or len(set(self.shard_ids)) >= (self.shard_count or 1)

    @property
    def syncs_commands(self) -> bool:
        """Tell whether this process syncs the commands: only one process does, the one with shard 0."""
        return self.shard_ids is None or 0 in self.shard_ids

    async def load_cogs(self) -> list[str]:
        """Load every module in cogs/ (except _private ones); log and skip one that fails. Return those
        loaded."""
        loaded = []
        for module in pkgutil.iter_modules(cogs.__path__, prefix=f"{cogs.__name__}."):
            if module.name.rpartition(".")[2].startswith("_"):
                continue
            try:
                await self.load_extension(module.name)
            except commands.ExtensionError:
                log.exception("Could not load %s", module.name)
                continue
            loaded.append(module.name)
        log.info("Loaded %d cogs: %s", len(loaded), ", ".join(loaded))
        return loaded

    def dispatch(self, event_name: str, /, *args: Any, **kwargs: Any) -> None:
        """Dispatch a gateway event; an interaction is timed from here, as it arrives (before any of its
        handlers ran)."""
        if event_name == "interaction":
            self.interaction_metrics.received(args[0])
        super().dispatch(event_name, *args, **kwargs)

    async def gateway_state(self) -> str:
        """The gateway's state for /health/ready: "ok" once ready and connected, else "connecting" (also
        while it reconnects) or "closed"."""
        if self.is_closed():
            return CLOSED
        # Every shard this process runs is connected (discord.py keeps a connection per shard, not `ws`).
        shards = self.shards
        if self.is_ready() and shards and not any(shard.is_closed() for shard in shards.values()):
            return OK
        return CONNECTING

    async def on_message(self, message: discord.Message, /) -> None:
        """Run no prefix commands: there are none (commands are slash commands), and commands.Bot would
        report every message mentioning the bot as an unknown command. cogs/conversation.py answers
        messages."""

    async def on_interaction(self, interaction: discord.Interaction[JobbBot]) -> None:
        """Answer the submit of a modal this process no longer knows (it was shown before a restart)."""
        await answer_stale_modal(interaction)

    async def close(self) -> None:
        """Close the App (scheduler, database), then the connection to Discord."""
        if not self._app_closed:
            self._app_closed = True
            await self.app.close()
        await super().close()

    def _scopes(self) -> list[discord.Object | None]:
        """Return where commands go: each configured guild (instant, for development), or globally."""
        guild_ids = self.app.settings.guild_ids
        if not guild_ids:
            return [None]
        guilds = [discord.Object(id=guild_id) for guild_id in guild_ids]
        for guild in guilds:
            self.tree.copy_global_to(guild=guild)
        return list(guilds)

    async def tree_hash(self, guild: discord.abc.Snowflake | None) -> str:
        """Hash exactly what a sync would send to a scope, translations included."""
        translator = self.tree.translator
        payload = []
        for command in self.tree.get_commands(guild=guild):
            if translator is not None:
                payload.append(await command.get_translated_payload(self.tree, translator))
            else:
                payload.append(command.to_dict(self.tree))
        payload.sort(key=lambda c: (c.get("type", 1), c["name"]))
        encoded = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(encoded.encode()).hexdigest()

    async def sync_commands(self, force: bool = False) -> list[str]:
        """Sync the commands to every scope whose tree changed since the last sync (all when forced).

        Discord limits how often commands may be created, so an unchanged tree is not sent again.
        Return the scopes synced.
        """
        synced = []
        for guild in self._scopes():
            scope = GLOBAL_SCOPE if guild is None else str(guild.id)
            digest = await self.tree_hash(guild)
            async with self.app.sessionmaker() as session:
                stored = await session.get(CommandSync, scope)
            if not force and stored is not None and stored.tree_hash == digest:
                log.info("Commands for %s unchanged; not syncing", scope)
                continue
            commands_synced = await self.tree.sync(guild=guild)
            async with self.app.sessionmaker() as session, session.begin():
                await session.merge(
                    CommandSync(scope=scope, tree_hash=digest, synced_at=self.app.clock.now())
                )
            log.info("Synced %d commands to %s", len(commands_synced), scope)
            synced.append(scope)
        return synced
