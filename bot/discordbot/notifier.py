"""The Notifier of bot.delivery on Discord: DMs, posts in the workspace's channels, and roles."""

from __future__ import annotations

import logging
from collections import OrderedDict
from typing import TYPE_CHECKING

import discord

from bot.delivery import RecipientUnreachable
from bot.discordbot.render import message_kwargs
from bot.i18n import normalize_language, translate
from bot.models import Member, Workspace
from bot.replies import Channel, Reply, Role
from bot.services import workspaces
from bot.services.context import language_of

if TYPE_CHECKING:
    from bot.discordbot.bot import JobbBot

log = logging.getLogger(__name__)

# Discord's error code for "Cannot send messages to this user" (DMs closed, or no shared server).
CANNOT_DM = 50007
# A DM channel never changes, but discord.py remembers only the last 128; without our own memory every DM
# of a fan-out to more members costs two requests (open the channel, send) instead of one. Two ints an entry.
MAX_DM_CHANNELS = 100_000


class DiscordNotifier:
    """Send what delivery and effects ask for, each message in its reader's language."""

    def __init__(self, bot: JobbBot) -> None:
        self.bot = bot
        self._dm_channels: OrderedDict[int, int] = OrderedDict()

    async def send_direct(self, workspace: Workspace, member: Member, reply: Reply, *, nonce: str | None = None
                          ) -> None:
        """Send a DM; raise RecipientUnreachable when Discord refuses it."""
        user_id = int(member.external_id)
        channel = await self._dm_channel(user_id)
        kwargs = message_kwargs(reply, language_of(member, workspace), ephemeral=False)
        if nonce is not None:
            # discord.py sends enforce_nonce with every nonce: a retry after a crash is dropped, not doubled.
            kwargs["nonce"] = nonce
        try:
            await channel.send(**kwargs)
        except discord.Forbidden as exc:
            if exc.code == CANNOT_DM:
                raise RecipientUnreachable from exc
            raise
        except discord.NotFound:
            # The channel went with a deleted account: look the user up again on the next attempt.
            self._dm_channels.pop(user_id, None)
            raise

    async def _dm_channel(self, user_id: int) -> discord.abc.Messageable:
        """Return the DM channel with a user: remembered, or opened (one request) and remembered."""
        channel_id = self._dm_channels.get(user_id)
        if channel_id is not None:
            self._dm_channels.move_to_end(user_id)
            return self.bot.get_partial_messageable(channel_id, type=discord.ChannelType.private)
        try:
            user = self.bot.get_user(user_id) or await self.bot.fetch_user(user_id)
        except discord.NotFound:
            raise RecipientUnreachable from None
        channel = await user.create_dm()
        self._dm_channels[user_id] = channel.id
        if len(self._dm_channels) > MAX_DM_CHANNELS:
            self._dm_channels.popitem(last=False)
        return channel

    async def post(self, workspace: Workspace, channel: Channel, reply: Reply, *, nonce: str | None = None) -> None:
        """Post in one of the workspace's channels; skip (with a warning) when /setup has not chosen it."""
        channel_id = workspaces.channel_id(workspace, channel)
        if not channel_id:
            log.warning("Workspace %s has no %s channel; a message was not posted", workspace.id, channel)
            return
        try:
            target = self.bot.get_channel(int(channel_id)) or await self.bot.fetch_channel(int(channel_id))
        except discord.NotFound:
            log.warning("The %s channel %s of workspace %s is gone; a message was not posted", channel,
                        channel_id, workspace.id)
            return
        if not isinstance(target, discord.abc.Messageable):
            log.warning("The %s channel %s of workspace %s cannot take messages", channel, channel_id, workspace.id)
            return
        kwargs = message_kwargs(reply, normalize_language(workspace.language), ephemeral=False)
        if nonce is not None:
            kwargs["nonce"] = nonce
        await target.send(**kwargs)

    async def grant_role(self, workspace: Workspace, member: Member, role: Role) -> None:
        """Give a member one of the workspace's roles; skip (with a warning) when it is not set or not allowed."""
        role_id = workspaces.role_id(workspace, role)
        if not role_id:
            log.info("Workspace %s has no %s role to grant", workspace.id, role)
            return
        guild_id, user_id = int(workspace.external_id), int(member.external_id)
        try:
            guild = self.bot.get_guild(guild_id) or await self.bot.fetch_guild(guild_id)
            discord_member = guild.get_member(user_id) or await guild.fetch_member(user_id)
        except discord.NotFound:
            log.warning("Member %s is no longer in workspace %s; no role granted", member.id, workspace.id)
            return
        reason = translate("notifier.role_reason", normalize_language(workspace.language))
        try:
            await discord_member.add_roles(discord.Object(int(role_id)), reason=reason)
        except discord.Forbidden:
            # The bot needs Manage Roles, and the role must sit below the bot's own role.
            log.warning("Not allowed to grant the %s role %s in workspace %s", role, role_id, workspace.id)
