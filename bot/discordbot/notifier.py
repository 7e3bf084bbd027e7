"""The Notifier of bot.delivery on Discord: DMs, posts in the workspace's channels, and roles."""

from __future__ import annotations

import logging
from collections import OrderedDict
from datetime import datetime
from typing import TYPE_CHECKING

import discord

from bot.delivery import (
    MessageMissing,
    RecipientUnreachable,
    RoleNotGranted,
    throttling,
)
from bot.discordbot.render import clip, message_kwargs, render_text
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
# Discord's error code for "Invalid Recipient(s)": opening a DM channel with a user it does not know.
INVALID_RECIPIENT = 50033
# A DM channel rarely changes, but discord.py remembers only the last 128; without our own memory every DM
# of a fan-out to more members costs two requests (open the channel, send) instead of one. Two ints an entry;
# the member row stores the id too, for after a restart.
MAX_DM_CHANNELS = 100_000
# Discord's limit on a thread's (a forum post's) name.
MAX_THREAD_NAME = 100
# How many of the bot's latest messages in a channel find_sent looks through (one request, Discord's maximum).
FIND_SENT_LOOKBACK = 100


def _retry_after(exc: Exception) -> float | None:
    """The wait Discord asked for when discord.py stopped retrying a 429 (after five), else None."""
    if isinstance(exc, discord.RateLimited):  # raised instead when a wait exceeds max_ratelimit_timeout
        return exc.retry_after
    if not isinstance(exc, discord.HTTPException) or exc.status != 429:
        return None
    try:
        return float(exc.response.headers.get("Retry-After", 1.0))
    except (AttributeError, TypeError, ValueError):
        return 1.0


throttled = throttling(_retry_after)


def _renders_as(message: discord.Message, expected: dict[str, object]) -> bool:
    """Whether a posted message shows what these send arguments (message_kwargs) would: text and embed."""
    if message.content != (expected.get("content") or ""):
        return False
    embed = expected.get("embed")
    if not isinstance(embed, discord.Embed):
        return not message.embeds
    return bool(message.embeds) and (message.embeds[0].title, message.embeds[0].description) == (
        embed.title, embed.description)


class DiscordNotifier:
    """Send what delivery and effects ask for, each message in its reader's language."""

    def __init__(self, bot: JobbBot) -> None:
        self.bot = bot
        self._dm_channels: OrderedDict[int, int] = OrderedDict()
        # Whether a channel is a forum, for channels of servers this process does not hold (the bot sharded
        # across processes: no cache of them): asked once, as a channel's type never changes.
        self._forums: dict[int, bool] = {}

    @throttled
    async def send_direct(
        self, workspace: Workspace, member: Member, reply: Reply, *, nonce: str | None = None
    ) -> str:
        """Send a DM; return the DM channel's id (stored with the member, so a restart need not open it
        again); raise RecipientUnreachable when Discord refuses it."""
        user_id = int(member.external_id)
        kwargs = message_kwargs(reply, language_of(member, workspace), ephemeral=False)
        if nonce is not None:
            # discord.py sends enforce_nonce with every nonce: a retry after a crash is dropped, not doubled.
            kwargs["nonce"] = nonce
        known = self._known_dm_channel(member)
        channel_id, channel = await self._dm_channel(user_id, known)
        try:
            await self._send_dm(channel, kwargs)
        except discord.NotFound:
            if known is None:
                raise
            # Unknown Channel: the remembered channel is gone; open the DM channel anew, once.
            self._dm_channels.pop(user_id, None)
            channel_id, channel = await self._dm_channel(user_id, None)
            await self._send_dm(channel, kwargs)
        return str(channel_id)

    @staticmethod
    async def _send_dm(channel: discord.abc.Messageable, kwargs: dict[str, object]) -> None:
        try:
            await channel.send(**kwargs)  # type: ignore[call-overload]
        except discord.Forbidden as exc:
            if exc.code == CANNOT_DM:
                raise RecipientUnreachable from exc
            raise

    def _known_dm_channel(self, member: Member) -> int | None:
        """The id of the DM channel with a member: remembered here, or stored with the member; None if
        neither."""
        remembered = self._dm_channels.get(int(member.external_id))
        return remembered or (int(member.dm_channel_id) if member.dm_channel_id else None)

    async def _dm_channel(self, user_id: int, known: int | None) -> tuple[int, discord.abc.Messageable]:
        """Return the DM channel with a user and its id: known (remembered here or stored), or opened (one
        request)."""
        if known is not None:
            self._remember(user_id, known)
            return known, self.bot.get_partial_messageable(known, type=discord.ChannelType.private)
        user = self.bot.get_user(user_id)
        if user is not None:
            channel = await user.create_dm()
            self._remember(user_id, channel.id)
            return channel.id, channel
        # A user this process does not know (a member of a server on another process's shard, or one who
        # left): the DM channel is opened by the user's id alone, without a request to fetch the user first.
        try:
            data = await self.bot.http.start_private_message(user_id)
        except discord.HTTPException as exc:
            # Discord answers a user it does not know (any more) with 400 Invalid Recipient(s).
            if exc.status == 404 or exc.code == INVALID_RECIPIENT:
                raise RecipientUnreachable from None
            raise
        channel_id = int(data["id"])
        self._remember(user_id, channel_id)
        return channel_id, self.bot.get_partial_messageable(channel_id, type=discord.ChannelType.private)

    def _remember(self, user_id: int, channel_id: int) -> None:
        self._dm_channels[user_id] = channel_id
        self._dm_channels.move_to_end(user_id)
        if len(self._dm_channels) > MAX_DM_CHANNELS:
            self._dm_channels.popitem(last=False)

    @throttled
    async def find_sent(self, workspace: Workspace, member: Member | None, channel: Channel, reply: Reply, *,
                        since: datetime) -> bool | None:
        """Whether the bot's messages since `since` in the member's DMs (or the channel) include this one.

        Discord would drop a repeat by its nonce, but only for a few minutes; after a longer stop this looks.
        A message matches when the bot wrote it and its text and embed are what this reply renders to.
        """
        if member is not None:
            try:
                _, target = await self._dm_channel(int(member.external_id), self._known_dm_channel(member))
            except RecipientUnreachable:
                return False
            expected = message_kwargs(reply, language_of(member, workspace), ephemeral=False)
        else:
            channel_id = workspaces.channel_id(workspace, channel)
            if not channel_id or not channel_id.isdigit():
                return None  # not set up: cannot tell
            try:
                if await self._is_forum(int(channel_id)):
                    return None  # a forum, whose posts are threads: cannot tell
            except discord.NotFound:
                return False  # the channel is gone (Unknown Channel): nothing was sent there
            found = self.bot.get_channel(int(channel_id))
            # Not cached (a server on another process's shard): its history by the channel's id all the same.
            target = (found if isinstance(found, discord.abc.Messageable)
                      else self.bot.get_partial_messageable(int(channel_id)))
            expected = message_kwargs(reply, normalize_language(workspace.language), ephemeral=False,
                                      role_id=workspaces.mention_role_id(workspace, reply))
        me = self.bot.user.id if self.bot.user is not None else None
        try:
            async for message in target.history(limit=FIND_SENT_LOOKBACK, after=since):
                if message.author.id == me and _renders_as(message, expected):
                    return True
        except discord.NotFound:
            return False  # the channel is gone (Unknown Channel): nothing was sent there
        return False

    @throttled
    async def post(self, workspace: Workspace, channel: Channel, reply: Reply, *, nonce: str | None = None
                   ) -> str | None:
        """Post in one of the workspace's channels and return the message id; skip (with a warning, None) when
        /setup has not chosen the channel."""
        channel_id = workspaces.channel_id(workspace, channel)
        if not channel_id:
            log.warning("Workspace %s has no %s channel; a message was not posted", workspace.id, channel)
            return None
        try:
            target = self.bot.get_channel(int(channel_id)) or await self.bot.fetch_channel(int(channel_id))
        except discord.NotFound:
            log.warning("The %s channel %s of workspace %s is gone; a message was not posted", channel,
                        channel_id, workspace.id)
            return None
        if isinstance(target, discord.ForumChannel):
            return await self._post_in_forum(workspace, target, reply)
        if not isinstance(target, discord.abc.Messageable):
            log.warning(
                "The %s channel %s of workspace %s cannot take messages", channel, channel_id, workspace.id
            )
            return None
        kwargs = message_kwargs(reply, normalize_language(workspace.language), ephemeral=False,
                                role_id=workspaces.mention_role_id(workspace, reply),
                                unpinged=self._pinged_already(workspace, reply))
        if nonce is not None:
            kwargs["nonce"] = nonce
        message = await target.send(**kwargs)
        return str(message.id)

    async def _post_in_forum(self, workspace: Workspace, forum: discord.ForumChannel, reply: Reply) -> str:
        """Post in a forum channel as a new post (a thread) named after the reply's title; return its
        message id."""
        language = normalize_language(workspace.language)
        kwargs = message_kwargs(reply, language, ephemeral=False,
                                role_id=workspaces.mention_role_id(workspace, reply),
                                unpinged=self._pinged_already(workspace, reply))
        heading = reply.title if reply.title is not None else reply.body
        name = " ".join(render_text(heading, language, markdown=False).split()) if heading is not None else ""
        # Discord takes no nonce for a new forum post; the post's name is required, 1 to 100 characters.
        created = await forum.create_thread(
            name=clip(name, MAX_THREAD_NAME) or translate("notifier.forum_post", language), **kwargs
        )
        return str(created.message.id)

    def _pinged_already(self, workspace: Workspace, reply: Reply) -> frozenset[str]:
        """The mentioned members who hold the role a post of the same moment pinged (Reply.already_pinged).

        Discord cannot leave anyone out of a role's ping, but it can show a mention without pinging: these are
        shown and left out of allowed_mentions. Read from the members the bot has in memory (the members
        intent); one it does not know is pinged, as a second ping is better than none.
        """
        role_id = (
            workspaces.role_id(workspace, reply.already_pinged) if reply.already_pinged is not None else None
        )
        guild = self.bot.get_guild(int(workspace.external_id)) if workspace.external_id.isdigit() else None
        if not role_id or not role_id.isdigit() or guild is None or not reply.mentions:
            return frozenset()
        role = int(role_id)
        return frozenset(user_id for user_id in reply.mentions if user_id.isdigit()
                         and (member := guild.get_member(int(user_id))) is not None
                         and any(held.id == role for held in member.roles))

    @throttled
    async def edit(self, workspace: Workspace, channel: Channel, message_id: str, reply: Reply) -> None:
        """Replace a message's content, embed and buttons; raise MessageMissing when it (or its channel) is
        gone."""
        kwargs = message_kwargs(reply, normalize_language(workspace.language), ephemeral=False,
                                role_id=workspaces.mention_role_id(workspace, reply))
        kwargs.pop("files", None)
        # Whatever the new state leaves out goes away: no stale embed, text or buttons.
        kwargs.setdefault("content", None)
        kwargs.setdefault("embed", None)
        kwargs.setdefault("view", None)
        try:
            await (await self._message(workspace, channel, message_id)).edit(**kwargs)
        except discord.NotFound as exc:
            raise MessageMissing from exc

    @throttled
    async def pin(self, workspace: Workspace, channel: Channel, message_id: str) -> None:
        """Pin a message (PUT /channels/{id}/messages/pins/{message_id}); raise MessageMissing when it is
        gone."""
        reason = translate("notifier.pin_reason", normalize_language(workspace.language))
        try:
            await (await self._message(workspace, channel, message_id)).pin(reason=reason)
        except discord.NotFound as exc:
            raise MessageMissing from exc

    @throttled
    async def unpin(self, workspace: Workspace, channel: Channel, message_id: str) -> None:
        """Unpin a message; one that is gone is no longer pinned anyway."""
        reason = translate("notifier.pin_reason", normalize_language(workspace.language))
        try:
            await (await self._message(workspace, channel, message_id)).unpin(reason=reason)
        except discord.NotFound:
            log.info("Message %s of workspace %s is gone; nothing to unpin", message_id, workspace.id)

    async def _message(self, workspace: Workspace, channel: Channel, message_id: str
                       ) -> discord.PartialMessage:
        channel_id = workspaces.channel_id(workspace, channel)
        if not channel_id or not channel_id.isdigit() or not message_id.isdigit():
            # The channel was unset (or changed to something unusable): for the caller the message is gone.
            raise MessageMissing
        if await self._is_forum(int(channel_id)):
            # A forum post's first message lives in the post's thread, which has the message's id.
            return self.bot.get_partial_messageable(int(message_id)).get_partial_message(int(message_id))
        return self.bot.get_partial_messageable(int(channel_id)).get_partial_message(int(message_id))

    async def _is_forum(self, channel_id: int) -> bool:
        """Tell whether a channel is a forum: from the cache, or (a server on another process's shard) asked
        once; raise discord.NotFound when the channel is gone."""
        cached = self.bot.get_channel(channel_id)
        if cached is not None:
            return isinstance(cached, discord.ForumChannel)
        if channel_id not in self._forums:
            fetched = await self.bot.fetch_channel(channel_id)
            self._forums[channel_id] = isinstance(fetched, discord.ForumChannel)
        return self._forums[channel_id]

    @throttled
    async def delete_post(self, workspace: Workspace, channel: Channel, message_id: str) -> None:
        """Delete a message the bot posted; in a forum, the whole post (its thread: Manage Threads). One
        that is gone, or whose channel was unset, needs nothing."""
        channel_id = workspaces.channel_id(workspace, channel)
        if not channel_id or not channel_id.isdigit() or not message_id.isdigit():
            log.info("Workspace %s has no %s channel; message %s is left", workspace.id, channel, message_id)
            return
        reason = translate("notifier.erasure_reason", normalize_language(workspace.language))
        try:
            if await self._is_forum(int(channel_id)):
                # A forum post is a thread with the id of its first message; deleting the thread deletes it.
                thread_id = int(message_id)
                thread = self.bot.get_channel(thread_id) or await self.bot.fetch_channel(thread_id)
                if isinstance(thread, discord.Thread):
                    await thread.delete(reason=reason)
            else:
                await (await self._message(workspace, channel, message_id)).delete()
        except discord.NotFound:
            log.info("Message %s of workspace %s is gone already", message_id, workspace.id)

    @throttled
    async def revoke_role(self, workspace: Workspace, external_id: str, role: Role) -> None:
        """Take one of the workspace's roles from a user; one who left, or a role that is not set, needs
        nothing."""
        role_id = workspaces.role_id(workspace, role)
        if not role_id or not role_id.isdigit() or not external_id.isdigit():
            log.info("Workspace %s has no %s role to take back", workspace.id, role)
            return
        reason = translate("notifier.erasure_reason", normalize_language(workspace.language))
        guild_id, user_id = int(workspace.external_id), int(external_id)
        try:
            guild = self.bot.get_guild(guild_id) or await self.bot.fetch_guild(guild_id)
            discord_member = guild.get_member(user_id) or await guild.fetch_member(user_id)
            await discord_member.remove_roles(discord.Object(int(role_id)), reason=reason)
        except discord.NotFound:
            log.info("A user left workspace %s (or the %s role is gone); no role to take back", workspace.id,
                     role)

    async def grant_role(self, workspace: Workspace, member: Member, role: Role) -> None:
        """Give a member one of the workspace's roles; skip (with a warning) when it is not set or not
        allowed."""
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
        except discord.Forbidden as exc:
            # The bot needs Manage Roles, and the role must sit below the bot's own role (50013). The member
            # and the coordinators are told; it is not reported as granted.
            raise RoleNotGranted(f"{exc.code} {exc.text}") from exc
