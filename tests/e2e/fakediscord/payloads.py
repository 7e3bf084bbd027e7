"""Turn model objects into the JSON shapes Discord sends (and discord.py 2.7 parses).

Ids are snowflake *strings* everywhere, as on Discord.
"""

from __future__ import annotations

import re
from typing import Any

from .model import Channel, ChannelType, Member, Message, Role, StoredFile, User, World


def user(u: User) -> dict[str, Any]:
    """Build a user object."""
    return {
        "id": str(u.id),
        "username": u.name,
        "discriminator": "0",
        "global_name": u.global_name,
        "avatar": None,
        "banner": None,
        "accent_color": None,
        "avatar_decoration_data": None,
        "bot": u.bot,
        "system": False,
        "public_flags": 0,
    }


def member(m: Member, *, with_user: bool = True, permissions: int | None = None) -> dict[str, Any]:
    """Build a guild member object (``permissions`` is only present in interaction payloads)."""
    payload: dict[str, Any] = {
        "roles": [str(r) for r in m.role_ids],
        "joined_at": m.joined_at,
        "premium_since": None,
        "deaf": False,
        "mute": False,
        "pending": False,
        "nick": m.nick,
        "avatar": None,
        "banner": None,
        "flags": 0,
        "communication_disabled_until": None,
        "avatar_decoration_data": None,
    }
    if with_user:
        payload["user"] = user(m.user)
    if permissions is not None:
        payload["permissions"] = str(permissions)
    return payload


def role(r: Role) -> dict[str, Any]:
    """Build a role object."""
    payload: dict[str, Any] = {
        "id": str(r.id),
        "name": r.name,
        "color": r.color,
        "colors": {"primary_color": r.color, "secondary_color": None, "tertiary_color": None},
        "hoist": False,
        "icon": None,
        "unicode_emoji": None,
        "position": r.position,
        "permissions": str(r.permissions),
        "managed": r.managed,
        "mentionable": False,
        "flags": 0,
    }
    if r.bot_id is not None:
        payload["tags"] = {"bot_id": str(r.bot_id)}
    return payload


def channel(c: Channel, world: World, *, permissions: int | None = None) -> dict[str, Any]:
    """Build a channel object of any supported type (``permissions`` for interaction/resolved data)."""
    if c.type == ChannelType.DM:
        payload: dict[str, Any] = {
            "id": str(c.id),
            "type": int(c.type),
            "last_message_id": _opt_id(c.last_message_id),
            "flags": 0,
            "recipients": [user(world.users[c.recipient_id])] if c.recipient_id else [],
        }
    elif c.is_thread:
        payload = thread(c, world)
    else:
        payload = {
            "id": str(c.id),
            "type": int(c.type),
            "guild_id": str(c.guild_id),
            "name": c.name,
            "position": c.position,
            "topic": c.topic,
            "nsfw": False,
            "parent_id": _opt_id(c.parent_id),
            "permission_overwrites": c.overwrites,
            "rate_limit_per_user": 0,
            "last_message_id": _opt_id(c.last_message_id),
            "flags": 0,
        }
        if c.type == ChannelType.FORUM:
            payload.update(
                available_tags=[],
                default_reaction_emoji=None,
                default_sort_order=None,
                default_forum_layout=0,
                default_thread_rate_limit_per_user=0,
            )
    if permissions is not None:
        payload["permissions"] = str(permissions)
    return payload


def thread(c: Channel, world: World) -> dict[str, Any]:
    """Build a thread channel object (forum posts are threads)."""
    count = len(world.channel_messages(c.id))
    return {
        "id": str(c.id),
        "type": int(c.type),
        "guild_id": str(c.guild_id),
        "parent_id": str(c.parent_id),
        "owner_id": str(c.owner_id),
        "name": c.name,
        "last_message_id": _opt_id(c.last_message_id),
        "rate_limit_per_user": 0,
        "message_count": count,
        "total_message_sent": count,
        "member_count": 1,
        "flags": 0,
        "applied_tags": c.applied_tags,
        "thread_metadata": {
            "archived": False,
            "auto_archive_duration": c.auto_archive_duration,
            "archive_timestamp": c.created_at,
            "locked": False,
            "invitable": True,
            "create_timestamp": c.created_at,
        },
    }


def attachment(f: StoredFile, base_url: str) -> dict[str, Any]:
    """Build an attachment object whose url is served by the fake itself."""
    url = f"{base_url}/attachments/{f.id}/{f.filename}"
    return {
        "id": str(f.id),
        "filename": f.filename,
        "size": len(f.data),
        "url": url,
        "proxy_url": url,
        "content_type": f.content_type,
        "description": f.description,
    }


_USER_MENTION = re.compile(r"<@!?(\d+)>")
_ROLE_MENTION = re.compile(r"<@&(\d+)>")


REPLY_TYPE = 19


def message(m: Message, world: World, base_url: str, *, for_gateway: bool = False,
            with_referenced: bool = True) -> dict[str, Any]:
    """Build a message object; gateway events also carry ``guild_id`` and the author's ``member``.

    A reply carries the message it answers as ``referenced_message`` (null once that was deleted), one level
    deep, as Discord sends it.
    """
    chan = world.channels.get(m.channel_id)
    guild_id = chan.guild_id if chan else None
    author = world.users[m.author_id]
    named = [int(x) for x in _USER_MENTION.findall(m.content) if int(x) in world.users]
    mentioned = list(dict.fromkeys([*named, *(u for u in m.pinged_ids if u in world.users)]))
    payload: dict[str, Any] = {
        "id": str(m.id),
        "channel_id": str(m.channel_id),
        "author": user(author),
        "content": m.content,
        "timestamp": m.created_at,
        "edited_timestamp": m.edited_at,
        "tts": False,
        "mention_everyone": "@everyone" in m.content,
        "mentions": [user(world.users[u]) for u in mentioned],
        "mention_roles": [r for r in _ROLE_MENTION.findall(m.content) if int(r) in world.roles],
        "attachments": [attachment(f, base_url) for f in m.attachments],
        "embeds": m.embeds,
        "components": m.components,
        "reactions": [
            {
                "count": len(users),
                "count_details": {"burst": 0, "normal": len(users)},
                "me": world.bot.id in users,
                "me_burst": False,
                "burst_colors": [],
                "emoji": {"id": None, "name": emoji},
            }
            for emoji, users in m.reactions.items()
            if users
        ],
        "pinned": m.pinned,
        "type": m.type,
        "flags": m.flags,
    }
    if m.nonce is not None:
        payload["nonce"] = m.nonce
    if m.webhook_id is not None:
        payload["webhook_id"] = str(m.webhook_id)
        payload["application_id"] = str(world.application_id)
    if m.reference_id is not None:
        payload["message_reference"] = {
            "type": 0,
            "message_id": str(m.reference_id),
            "channel_id": str(m.channel_id),
        }
        if guild_id:
            payload["message_reference"]["guild_id"] = str(guild_id)
        if m.type == REPLY_TYPE and with_referenced:
            answered = world.messages.get(m.reference_id)
            payload["referenced_message"] = (
                None if answered is None or answered.deleted
                else message(answered, world, base_url, with_referenced=False)
            )
    if guild_id is not None and for_gateway:
        payload["guild_id"] = str(guild_id)
        if m.author_id in world.members and m.webhook_id is None:
            payload["member"] = member(world.members[m.author_id], with_user=False)
    if chan is not None and chan.is_thread and m.id == chan.id:
        payload["position"] = 0
    return payload


def guild_create(world: World, *, include_members: bool) -> dict[str, Any]:
    """Build the GUILD_CREATE payload; without the members intent only the bot's member is sent."""
    members = list(world.members.values()) if include_members else [world.members[world.bot.id]]
    guild_channels = [c for c in world.channels.values() if c.guild_id == world.guild_id and not c.is_thread]
    threads = [c for c in world.channels.values() if c.guild_id == world.guild_id and c.is_thread]
    return {
        "id": str(world.guild_id),
        "name": world.guild_name,
        "icon": None,
        "splash": None,
        "discovery_splash": None,
        "banner": None,
        "description": None,
        "owner_id": str(world.owner_id),
        "afk_channel_id": None,
        "afk_timeout": 300,
        "verification_level": 1,
        "default_message_notifications": 1,
        "explicit_content_filter": 0,
        "mfa_level": 0,
        "nsfw_level": 0,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "premium_progress_bar_enabled": False,
        "preferred_locale": "sv-SE",
        "system_channel_id": None,
        "system_channel_flags": 0,
        "rules_channel_id": None,
        "public_updates_channel_id": None,
        "safety_alerts_channel_id": None,
        "vanity_url_code": None,
        "features": [],
        "emojis": [],
        "stickers": [],
        "roles": [role(r) for r in world.roles.values()],
        "joined_at": world.members[world.bot.id].joined_at,
        "large": False,
        "unavailable": False,
        # Must equal the number of members discord.py caches, or it will try to chunk the guild.
        "member_count": len(world.members),
        "members": [member(m) for m in members],
        "channels": [channel(c, world) for c in guild_channels],
        "threads": [thread(c, world) for c in threads],
        "presences": [],
        "voice_states": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "soundboard_sounds": [],
    }


def application(world: World, flags: int = 0) -> dict[str, Any]:
    """Build the GET /oauth2/applications/@me payload (discord.py's login needs it); ``flags`` tell which
    privileged intents are switched on."""
    owner = world.members[world.owner_id].user
    return {
        "id": str(world.application_id),
        "name": world.bot.name,
        "icon": None,
        "description": "",
        "summary": "",
        "bot_public": True,
        "bot_require_code_grant": False,
        "owner": user(owner),
        "team": None,
        "verify_key": "0" * 64,
        "flags": flags,
        "bot": user(world.bot),
    }


def partial_guild(world: World, permissions: int) -> dict[str, Any]:
    """Build one item of GET /users/@me/guilds: the guild and the bot's permissions in it."""
    return {"id": str(world.guild_id), "name": world.guild_name, "icon": None, "banner": None, "owner": False,
            "permissions": str(permissions), "features": []}


def error(code: int, message: str, errors: dict[str, Any] | None = None) -> dict[str, Any]:
    """Build Discord's JSON error body."""
    body: dict[str, Any] = {"message": message, "code": code}
    if errors:
        body["errors"] = errors
    return body


def _opt_id(value: int | None) -> str | None:
    return None if value is None else str(value)
