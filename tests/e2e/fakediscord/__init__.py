"""A strict, stateful fake of Discord's REST API and gateway for end-to-end tests.

Typical use, with the bot as a subprocess (the ``fake_discord`` fixture starts the server)::

    bot = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", env={**os.environ, **fake_discord.env(), "DISCORD_TOKEN": "x"})
    await fake_discord.wait_ready(synced=True)             # READY sent and commands synced
    inter = await fake_discord.slash("anna", "mydata export")
    reply = await inter.wait_reply()                       # the (deferred, then edited) response
    await fake_discord.member_join(name="erik")
    dm = await fake_discord.wait_for_dm("erik")
    assert fake_discord.unknown_requests == []

Shards: ``FakeDiscord(shards=2)`` recommends two in ``GET /gateway/bot`` and serves a gateway session per
shard; a guild's events go to shard ``(guild_id >> 22) % count`` (the default guild is on shard 1 of 2), DMs
to shard 0. ``listen_also()`` opens another port, so that two bot processes' requests can be told apart.

Modules: ``server`` (FakeDiscord, the public API), ``model`` (guild, people, messages),
``payloads`` (Discord's JSON shapes), ``rest`` (endpoints), ``gateway`` (websocket),
``interactions`` (issuing interactions, recording replies), ``rules`` (payload limits),
``ratelimit`` (buckets and 429s), ``errors`` (Discord's error bodies).
"""

from .errors import ApiError, InvalidFormBody
from .interactions import CommandNotAvailable, Interaction, Upload
from .model import ChannelSpec, Member, MemberSpec, Message, Perm, RoleSpec
from .ratelimit import RateLimitConfig
from .rest import UploadedFile
from .server import FakeDiscord, Recorded

__all__ = [
    "ApiError",
    "ChannelSpec",
    "CommandNotAvailable",
    "FakeDiscord",
    "Interaction",
    "InvalidFormBody",
    "Member",
    "MemberSpec",
    "Message",
    "Perm",
    "RateLimitConfig",
    "Recorded",
    "RoleSpec",
    "Upload",
    "UploadedFile",
]
