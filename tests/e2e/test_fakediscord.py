"""Tests of the fake Discord server itself: that discord.py 2.7 accepts what it sends, that it is
as strict as Discord about payloads, and that its rate limits behave like Discord's.

Three kinds of client are used: a real ``commands.Bot`` (proves discord.py parses everything),
a raw aiohttp gateway/REST client ``RawBot`` (to send exactly the payloads a rule is about), and
``discord.http.HTTPClient`` (to show discord.py's own rate-limit handling copes with the 429s).
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import sys
from collections.abc import AsyncIterator
from typing import Any, TypeVar

import aiohttp
import discord
import pytest
import pytest_asyncio
import yarl
from discord import app_commands, ui
from discord.ext import commands
from discord.gateway import DiscordWebSocket
from discord.http import HTTPClient, Route, handle_message_parameters

from .fakediscord import (
    CommandNotAvailable,
    FakeDiscord,
    Interaction,
    RateLimitConfig,
    Upload,
)
from .rawgateway import GatewayRecorder

pytestmark = pytest.mark.asyncio
log = logging.getLogger(__name__)

ALL_INTENTS = discord.Intents.all().value


# --- a real discord.py bot ------------------------------------------------------------------------


class SignupForm(ui.Modal, title="Anmälan"):
    """A modal mixing discord.py 2.7 Label components with a legacy action-row text input."""

    name: ui.TextInput[SignupForm] = ui.TextInput(label="Namn", max_length=40)
    about: ui.Label[SignupForm] = ui.Label(
        text="Om dig", component=ui.TextInput(custom_id="about", style=discord.TextStyle.long, required=False)
    )
    track: ui.Label[SignupForm] = ui.Label(
        text="Spår",
        component=ui.Select(
            custom_id="track",
            options=[
                discord.SelectOption(label="Backend", value="backend"),
                discord.SelectOption(label="Frontend", value="frontend"),
            ],
        ),
    )
    consent: ui.Label[SignupForm] = ui.Label(text="Samtycke", component=ui.Checkbox(custom_id="consent"))

    def __init__(self, seen: dict[str, Any]) -> None:
        super().__init__()
        self.seen = seen

    async def on_submit(self, interaction: discord.Interaction) -> None:
        """Record the submitted values and thank the user."""
        self.seen["modal"] = {
            "name": self.name.value,
            "about": self.about.component.value,  # type: ignore[attr-defined]
            "track": self.track.component.values,  # type: ignore[attr-defined]
            "consent": self.consent.component.value,  # type: ignore[attr-defined]
        }
        await interaction.response.send_message(f"Tack {self.name.value}!", ephemeral=True)


class JoinView(ui.View):
    """A persistent view with a button and a select."""

    def __init__(self, seen: dict[str, Any]) -> None:
        super().__init__(timeout=None)
        self.seen = seen

    @ui.button(label="Gå med", custom_id="join", style=discord.ButtonStyle.primary)
    async def join(self, interaction: discord.Interaction, button: ui.Button) -> None:
        """Replace the message (response type 7)."""
        await interaction.response.edit_message(content="Du är med!", view=None)

    @ui.select(
        custom_id="pick", options=[discord.SelectOption(label=x, value=x) for x in "abc"], max_values=2
    )
    async def pick(self, interaction: discord.Interaction, select: ui.Select) -> None:
        """Answer ephemerally with the chosen values."""
        self.seen["picked"] = select.values
        await interaction.response.send_message(f"Du valde {','.join(select.values)}", ephemeral=True)


class SignupButton(ui.View):
    """A view whose button opens the signup modal."""

    def __init__(self, seen: dict[str, Any]) -> None:
        super().__init__(timeout=None)
        self.seen = seen

    @ui.button(label="Anmäl", custom_id="signup")
    async def signup(self, interaction: discord.Interaction, button: ui.Button) -> None:
        """Open the modal."""
        await interaction.response.send_modal(SignupForm(self.seen))


class ProbeBot(commands.Bot):
    """A small bot exercising the interaction kinds the fake supports; ``seen`` records what it got."""

    def __init__(self) -> None:
        intents = discord.Intents.default()
        intents.members = True
        intents.message_content = True
        # A short guild_ready_timeout: discord.py otherwise waits 2 s for more GUILD_CREATEs.
        super().__init__(command_prefix="!", intents=intents, guild_ready_timeout=0.1)
        self.seen: dict[str, Any] = {}
        self._add_commands()

    async def setup_hook(self) -> None:
        """Register persistent views and sync commands, as a production bot would."""
        self.add_view(JoinView(self.seen))
        self.add_view(SignupButton(self.seen))
        await self.tree.sync()

    async def on_member_join(self, member: discord.Member) -> None:
        """Give newcomers the Medlem role and DM them."""
        role = discord.utils.get(member.guild.roles, name="Medlem")
        assert role is not None
        await member.add_roles(role)
        try:
            await member.send("Välkommen till Jobbskaparna!")
        except discord.Forbidden as error:
            self.seen.setdefault("dm_refused", []).append((member.id, error.code))

    def _add_commands(self) -> None:
        seen = self.seen

        @self.tree.command(description="Säg hej")
        async def hello(
            interaction: discord.Interaction,
            name: str,
            count: int = 1,
            loud: bool = False,
            who: discord.Member | None = None,
            where: discord.TextChannel | None = None,
            role: discord.Role | None = None,
            file: discord.Attachment | None = None,
        ) -> None:
            seen["hello"] = {
                "name": name,
                "count": count,
                "loud": loud,
                "who": who,
                "where": where,
                "role": role,
                "file": await file.read() if file else None,
                "locale": interaction.locale,
            }
            await interaction.response.send_message(f"Hej {name}!", view=JoinView(seen))

        @self.tree.command(description="Sök ett jobb")
        async def sok(interaction: discord.Interaction, query: str) -> None:
            await interaction.response.send_message(f"Söker {query}")

        @sok.autocomplete("query")
        async def sok_complete(
            interaction: discord.Interaction, current: str
        ) -> list[app_commands.Choice[str]]:
            jobs = ["backend", "bagare", "frontend"]
            return [app_commands.Choice(name=j, value=j) for j in jobs if j.startswith(current)]

        @self.tree.command(description="Svara pong")
        @app_commands.allowed_contexts(guilds=True, dms=True)
        async def ping(interaction: discord.Interaction) -> None:
            seen["ping"] = {"guild": interaction.guild, "user": interaction.user}
            await interaction.response.send_message("pong")

        @self.tree.command(description="Visa anmälningsknappen")
        @app_commands.guild_only()
        async def anmal(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("Klicka för att anmäla dig", view=SignupButton(seen))

        mydata = app_commands.Group(name="mydata", description="Dina data")
        # Discord honours default_member_permissions on top-level commands only, so it goes on "kurs".
        kurs = app_commands.Group(
            name="kurs", description="Kurser", default_permissions=discord.Permissions(manage_messages=True)
        )
        admin = app_commands.Group(name="admin", description="Admin", parent=kurs)

        @mydata.command(description="Exportera dina data")
        async def export(interaction: discord.Interaction) -> None:
            await interaction.response.defer(ephemeral=True, thinking=True)
            await interaction.followup.send(
                "Här är filen", file=discord.File(io.BytesIO(b'{"a": 1}'), "data.json"), ephemeral=True
            )
            await interaction.edit_original_response(content="Export klar")

        @admin.command(description="Nollställ")
        async def reset(interaction: discord.Interaction, confirm: bool) -> None:
            seen["reset"] = confirm
            await interaction.response.send_message("Nollställt")

        self.tree.add_command(mydata)
        self.tree.add_command(kurs)


@pytest_asyncio.fixture
async def bot(fake_discord: FakeDiscord, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[ProbeBot]:
    """Run ProbeBot in-process against the fake until the test ends."""
    monkeypatch.setattr(Route, "BASE", fake_discord.api_base)
    monkeypatch.setattr(DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(fake_discord.gateway_url))
    client = ProbeBot()
    task = asyncio.create_task(client.start("fake-token"))
    await asyncio.wait_for(client.wait_until_ready(), 10)
    await fake_discord.wait_ready(synced=True)
    yield client
    await client.close()
    await asyncio.wait_for(task, 10)


ChannelT = TypeVar("ChannelT", bound=discord.abc.GuildChannel)


def guild_of(bot: ProbeBot, fake: FakeDiscord) -> discord.Guild:
    """Return the bot's view of the fake guild."""
    guild = bot.get_guild(fake.guild_id)
    assert guild is not None
    return guild


def member_of(bot: ProbeBot, fake: FakeDiscord, user: int | str) -> discord.Member:
    """Return the bot's cached member for a user id or username."""
    member = guild_of(bot, fake).get_member(fake.member(user).id)
    assert member is not None
    return member


def role_of(bot: ProbeBot, fake: FakeDiscord, name: str) -> discord.Role:
    """Return the bot's cached role called ``name``."""
    role = guild_of(bot, fake).get_role(fake.role_id(name))
    assert role is not None
    return role


def channel_of(bot: ProbeBot, fake: FakeDiscord, name: str, kind: type[ChannelT]) -> ChannelT:
    """Return the bot's cached channel called ``name``, checking its type."""
    channel = bot.get_channel(fake.channel_id(name))
    assert isinstance(channel, kind)
    return channel


# --- a raw client, for payloads discord.py would refuse to build ---------------------------------


class RawBot(GatewayRecorder):
    """Speak the raw gateway and REST protocol, to send exactly the payload a rule is about."""

    def __init__(self, fake: FakeDiscord) -> None:
        super().__init__(aiohttp.ClientSession(headers={"Authorization": "Bot fake-token"}), fake.gateway_url)
        self.fake = fake

    async def connect(self, intents: int = ALL_INTENTS) -> None:
        """Open the gateway, IDENTIFY and wait for READY/GUILD_CREATE."""
        await self.identify({"token": "fake-token", "intents": intents, "properties": {}})
        await self.fake.wait_ready()

    async def wait_events(self, name: str, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        """Wait until ``count`` dispatches called ``name`` arrived and return them all."""
        async with asyncio.timeout(timeout):
            while len(self.events(name)) < count:
                await asyncio.sleep(0.01)
        return self.events(name)

    async def request(self, method: str, path: str, body: Any = None, **kwargs: Any) -> tuple[int, Any, Any]:
        """Send a REST request; return status, parsed JSON (or None) and headers."""
        if body is not None:
            kwargs["json"] = body
        async with self.session.request(method, self.fake.api_base + path, **kwargs) as response:
            text = await response.text()
            return response.status, json.loads(text) if text else None, response.headers

    async def register(self, *commands_: dict[str, Any]) -> None:
        """Bulk-overwrite the global commands."""
        status, body, _ = await self.request(
            "PUT", f"/applications/{self.fake.application_id}/commands", list(commands_)
        )
        assert status == 200, body

    async def callback(self, inter: Interaction, body: dict[str, Any]) -> tuple[int, Any, Any]:
        """Answer an interaction the way discord.py 2.7 does (with_response=1)."""
        return await self.request(
            "POST", f"/interactions/{inter.id}/{inter.token}/callback", body, params={"with_response": "1"}
        )

    async def close(self) -> None:
        """Close the socket and the session."""
        await self.close_gateway()
        await self.session.close()


PING_COMMAND = {
    "name": "ping",
    "description": "Svara pong",
    "type": 1,
    "options": [{"type": 3, "name": "q", "description": "fråga", "autocomplete": True}],
}


@pytest_asyncio.fixture
async def raw(fake_discord: FakeDiscord) -> AsyncIterator[RawBot]:
    """Connect a RawBot with a /ping command registered."""
    client = RawBot(fake_discord)
    await client.register(PING_COMMAND)
    await client.connect()
    yield client
    await client.close()


def error_paths(tree: dict[str, Any], prefix: str = "") -> set[str]:
    """Flatten Discord's nested ``errors`` into dotted paths, e.g. ``embeds.0.title``."""
    paths = set()
    for key, value in tree.items():
        if key == "_errors":
            paths.add(prefix.rstrip("."))
        else:
            paths |= error_paths(value, f"{prefix}{key}.")
    return paths


# === discord.py against the fake ===================================================================


async def test_bot_logs_in_syncs_and_sees_the_guild(fake_discord: FakeDiscord, bot: ProbeBot) -> None:
    guild = guild_of(bot, fake_discord)
    assert guild.chunked
    assert {r.name for r in guild.roles} >= {"@everyone", "Medlem", "Koordinator"}
    assert {c.name for c in guild.text_channels} >= {"välkommen", "annonser", "koordinatorer"}
    assert [f.name for f in guild.forums] == ["forum"]
    anna = member_of(bot, fake_discord, "anna")
    assert {r.name for r in anna.roles} == {"@everyone", "Medlem", "Koordinator"}
    # The private channel's overwrites reach discord.py's permission maths.
    coordinators = channel_of(bot, fake_discord, "koordinatorer", discord.TextChannel)
    assert coordinators.permissions_for(anna).view_channel
    assert not coordinators.permissions_for(member_of(bot, fake_discord, "bertil")).view_channel
    assert set(fake_discord.commands()) == {"hello", "sok", "ping", "anmal", "mydata", "kurs"}
    assert fake_discord.requests_to("GET", "/users/@me")
    assert fake_discord.requests_to("GET", "/oauth2/applications/@me")  # login fails without it
    assert fake_discord.unknown_requests == [] and fake_discord.internal_errors == []


async def test_slash_command_options_are_resolved(fake_discord: FakeDiscord, bot: ProbeBot) -> None:
    inter = await fake_discord.slash(
        "anna",
        "hello",
        {
            "name": "Bob",
            "count": 3,
            "loud": True,
            "who": "bertil",
            "where": "annonser",
            "role": "Koordinator",
            "file": Upload("cv.txt", b"mitt cv", "text/plain"),
        },
        channel="annonser",
    )
    response = await inter.wait_response()
    assert response["type"] == 4 and response["data"]["content"] == "Hej Bob!"
    got = bot.seen["hello"]
    assert (got["name"], got["count"], got["loud"]) == ("Bob", 3, True)
    assert isinstance(got["who"], discord.Member) and got["who"].name == "bertil"
    assert got["where"].id == fake_discord.channel_id("annonser") and got["role"].name == "Koordinator"
    assert got["file"] == b"mitt cv" and got["locale"] is discord.Locale.swedish
    message = inter.original
    assert message is not None and message.custom_ids() == ["join", "pick"]
    assert fake_discord.messages_in("annonser")[-1].content == "Hej Bob!"


async def test_subcommand_group_path_and_hidden_admin_command(
    fake_discord: FakeDiscord, bot: ProbeBot
) -> None:
    with pytest.raises(CommandNotAvailable):
        await fake_discord.slash("bertil", "kurs admin reset", {"confirm": True})
    inter = await fake_discord.slash("anna", "kurs admin reset", {"confirm": True})
    assert (await inter.wait_response())["data"]["content"] == "Nollställt"
    assert bot.seen["reset"] is True
    with pytest.raises(ValueError, match="needs a subcommand"):
        await fake_discord.slash("anna", "mydata")


async def test_autocomplete_returns_choices(fake_discord: FakeDiscord, bot: ProbeBot) -> None:
    inter = await fake_discord.autocomplete("bertil", "sok", {"query": "ba"}, focused="query")
    response = await inter.wait_response()
    assert response["type"] == 8
    assert inter.choices == [{"name": "backend", "value": "backend"}, {"name": "bagare", "value": "bagare"}]


async def test_button_updates_message_and_select_answers_ephemerally(
    fake_discord: FakeDiscord, bot: ProbeBot
) -> None:
    await (await fake_discord.slash("anna", "hello", {"name": "x"})).wait_response()
    picked = await fake_discord.press("bertil", "pick", values=["a", "c"])
    reply = await picked.wait_reply()
    assert reply.content == "Du valde a,c" and reply.ephemeral
    assert bot.seen["picked"] == ["a", "c"]
    with pytest.raises(ValueError, match="offers"):
        await fake_discord.press("bertil", "pick", values=["z"])
    pressed = await fake_discord.press("bertil", "Gå med")  # by label
    assert (await pressed.wait_response())["type"] == 7
    updated = await pressed.wait_reply()  # for type 7 the "reply" is the updated message itself
    assert updated.content == "Du är med!" and updated.components == []


async def test_modal_with_labels_checkbox_and_legacy_row(fake_discord: FakeDiscord, bot: ProbeBot) -> None:
    await (await fake_discord.slash("cecilia", "anmal")).wait_response()
    opener = await fake_discord.press("cecilia", "signup")
    modal = (await opener.wait_response())["data"]
    assert modal["title"] == "Anmälan" and [c["type"] for c in modal["components"]] == [1, 18, 18, 18]
    with pytest.raises(ValueError, match="required"):
        await fake_discord.submit_modal("cecilia", opener, {"about": "x"})
    submit = await fake_discord.submit_modal(
        "cecilia",
        "Anmälan",
        {
            "Namn": "Cecilia",
            "about": "Gillar Python",
            "track": ["backend"],
            "Samtycke": True,
        },
    )
    response = await submit.wait_response()
    assert response["data"]["content"] == "Tack Cecilia!" and response["data"]["flags"] == 64
    assert bot.seen["modal"] == {
        "name": "Cecilia",
        "about": "Gillar Python",
        "track": ["backend"],
        "consent": True,
    }
    # The submit payload mirrors the modal: a row, then Label (type 18) wrappers with their child.
    components = submit.payload["data"]["components"]
    assert components[0]["type"] == 1 and components[1]["component"]["custom_id"] == "about"
    assert "message" in submit.payload  # opened from a button, so Discord includes that message


async def test_defer_then_followup_with_file_then_edit(fake_discord: FakeDiscord, bot: ProbeBot) -> None:
    inter = await fake_discord.slash("anna", "mydata export")
    response = await inter.wait_response()
    assert response == {"type": 5, "data": {"flags": 64}}
    reply = await inter.wait_reply()
    assert reply.content == "Export klar" and reply.ephemeral
    followup = inter.followup_messages[0]
    assert followup.content == "Här är filen" and followup.attachment_names == ["data.json"]
    assert fake_discord.attachment_bytes(followup.attachments[0].id) == b'{"a": 1}'
    upload = fake_discord.requests_to("POST", rf"/webhooks/{fake_discord.application_id}/[^/]+")[0]
    assert (
        upload.files[0].field == "files[0]" and upload.json_body["attachments"][0]["filename"] == "data.json"
    )


async def test_interaction_in_dm_context(fake_discord: FakeDiscord, bot: ProbeBot) -> None:
    inter = await fake_discord.slash("bertil", "ping", dm=True)
    assert (await inter.wait_response())["data"]["content"] == "pong"
    assert "guild_id" not in inter.payload and inter.payload["context"] == 1 and "user" in inter.payload
    assert bot.seen["ping"]["guild"] is None and isinstance(bot.seen["ping"]["user"], discord.User)
    # Without allowed_contexts/guild_only a command is offered in DMs too; guild_only hides it.
    with pytest.raises(CommandNotAvailable):
        await fake_discord.slash("bertil", "anmal", dm=True)


async def test_member_join_gets_role_and_welcome_dm(fake_discord: FakeDiscord, bot: ProbeBot) -> None:
    newcomer = await fake_discord.member_join(name="erik")
    dm = await fake_discord.wait_for_dm("erik")
    assert dm.content == "Välkommen till Jobbskaparna!"
    await fake_discord.wait_for_request("PUT", rf"/guilds/\d+/members/{newcomer.id}/roles/\d+")
    assert fake_discord.member_role_names("erik") == ["Medlem"]
    # GUILD_MEMBER_UPDATE reached discord.py's cache too.
    await fake_discord.wait_until(
        lambda: [r.name for r in member_of(bot, fake_discord, newcomer.id).roles][1:] == ["Medlem"],
        5,
        "the member cache to show the new role",
    )


async def test_closed_dms_give_403_50007(fake_discord: FakeDiscord, bot: ProbeBot) -> None:
    await fake_discord.member_join(name="fia", dms_open=False)
    await fake_discord.wait_until(lambda: "dm_refused" in bot.seen, 5, "the refused DM")
    assert bot.seen["dm_refused"][0][1] == 50007
    with pytest.raises(discord.Forbidden) as refused:
        await member_of(bot, fake_discord, "david").send("hej")
    assert refused.value.code == 50007 and refused.value.text == "Cannot send messages to this user"


async def test_pin_uses_messages_pins_path(fake_discord: FakeDiscord, bot: ProbeBot) -> None:
    channel = channel_of(bot, fake_discord, "annonser", discord.TextChannel)
    message = await channel.send("Viktigt")
    await message.pin()
    assert fake_discord.requests_to("PUT", rf"/channels/{channel.id}/messages/pins/{message.id}")
    pins = [m async for m in channel.pins()]
    assert [m.content for m in pins] == ["Viktigt"] and pins[0].pinned
    await message.unpin()
    assert not fake_discord.world.messages[message.id].pinned


async def test_message_edit_history_and_delete(fake_discord: FakeDiscord, bot: ProbeBot) -> None:
    channel = channel_of(bot, fake_discord, "välkommen", discord.TextChannel)
    first = await channel.send("ett", embed=discord.Embed(title="Rubrik", description="Text"))
    await channel.send("två", file=discord.File(io.BytesIO(b"pdf"), "cv.pdf"))
    await first.edit(content="ETT")
    history = [m.content async for m in channel.history(limit=10)]
    assert history == ["två", "ETT"]
    fetched = await channel.fetch_message(first.id)
    assert fetched.embeds[0].title == "Rubrik" and fetched.edited_at is not None
    await first.delete()
    with pytest.raises(discord.NotFound):
        await channel.fetch_message(first.id)
    assert [m.attachment_names for m in fake_discord.messages_in("välkommen")] == [["cv.pdf"]]


async def test_forum_post_creates_thread_with_first_message(fake_discord: FakeDiscord, bot: ProbeBot) -> None:
    forum = channel_of(bot, fake_discord, "forum", discord.ForumChannel)
    created = await forum.create_thread(name="Hur skriver jag ett CV?", content="Tips välkomnas")
    assert created.thread.parent_id == forum.id and created.message.id == created.thread.id
    [thread] = fake_discord.threads_in("forum")
    assert thread.name == "Hur skriver jag ett CV?"
    assert fake_discord.messages_in(thread.id)[0].content == "Tips välkomnas"
    with pytest.raises(discord.HTTPException) as refused:
        await forum.create_thread(name="Tom")
    assert refused.value.status == 400


async def test_role_hierarchy_is_enforced(fake_discord: FakeDiscord, bot: ProbeBot) -> None:
    bertil = member_of(bot, fake_discord, "bertil")
    await bertil.add_roles(role_of(bot, fake_discord, "Koordinator"))
    assert "Koordinator" in fake_discord.member_role_names("bertil")
    with pytest.raises(discord.Forbidden):
        await bertil.add_roles(role_of(bot, fake_discord, "Jobbskaparna"))  # the bot's managed role


async def test_dropped_gateway_resumes_and_replays_missed_events(
    fake_discord: FakeDiscord, bot: ProbeBot
) -> None:
    resumed = asyncio.Event()

    async def on_resumed() -> None:
        resumed.set()

    bot.add_listener(on_resumed)
    await fake_discord.drop_gateway()
    # Sent while the bot is away: must arrive through RESUME's replay.
    newcomer = await fake_discord.member_join(name="gustav")
    await asyncio.wait_for(resumed.wait(), 10)
    assert fake_discord.resumes == 1 and fake_discord.identifies == 1
    await fake_discord.wait_for_dm("gustav")
    assert guild_of(bot, fake_discord).get_member(newcomer.id) is not None
    inter = await fake_discord.slash("anna", "ping")
    assert (await inter.wait_response())["data"]["content"] == "pong"


SUBPROCESS_BOT = """
import os, discord, yarl
from discord import app_commands

# The hook the real bot needs: take both endpoints from the environment.
discord.http.Route.BASE = os.environ["DISCORD_API_BASE"]
discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(os.environ["DISCORD_GATEWAY_URL"])

class Bot(discord.Client):
    def __init__(self):
        super().__init__(intents=discord.Intents.default(), guild_ready_timeout=0.1)
        self.tree = app_commands.CommandTree(self)

    async def setup_hook(self):
        @self.tree.command(description="Svara pong")
        async def ping(interaction):
            await interaction.response.send_message("pong från en annan process")
        await self.tree.sync()

Bot().run("fake-token", log_handler=None)
"""


async def test_bot_in_a_subprocess(fake_discord: FakeDiscord) -> None:
    bot_process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        SUBPROCESS_BOT,
        env={**os.environ, **fake_discord.env()},
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await fake_discord.wait_ready(timeout=20, synced=True)
        inter = await fake_discord.slash("anna", "ping")
        assert (await inter.wait_response())["data"]["content"] == "pong från en annan process"
    finally:
        bot_process.terminate()
        _, stderr = await bot_process.communicate()
        log.debug("subprocess bot stderr: %s", stderr.decode(errors="replace"))


# === payload rules, shown with raw requests ========================================================


def long_embed(**overrides: Any) -> dict[str, Any]:
    """Return a valid embed with ``overrides`` applied."""
    return dict({"title": "t", "description": "d"}, **overrides)


def field(name: str = "n", value: str = "v") -> dict[str, str]:
    """Return an embed field."""
    return {"name": name, "value": value}


def button(custom_id: str, label: str = "ok") -> dict[str, Any]:
    """Return a primary button."""
    return {"type": 2, "style": 1, "label": label, "custom_id": custom_id}


def select(custom_id: str, options: int = 2) -> dict[str, Any]:
    """Return a string select with ``options`` options."""
    return {
        "type": 3,
        "custom_id": custom_id,
        "options": [{"label": f"o{i}", "value": f"v{i}"} for i in range(options)],
    }


def row(*components: dict[str, Any]) -> dict[str, Any]:
    """Return an action row."""
    return {"type": 1, "components": list(components)}


INVALID_MESSAGES = {
    "content over 2000": ({"content": "x" * 2001}, "content"),
    "embed title over 256": ({"embeds": [long_embed(title="x" * 257)]}, "embeds.0.title"),
    "embed description over 4096": ({"embeds": [long_embed(description="x" * 4097)]}, "embeds.0.description"),
    "more than 25 fields": ({"embeds": [long_embed(fields=[field()] * 26)]}, "embeds.0.fields"),
    "field name over 256": (
        {"embeds": [long_embed(fields=[field(name="x" * 257)])]},
        "embeds.0.fields.0.name",
    ),
    "field value over 1024": (
        {"embeds": [long_embed(fields=[field(value="x" * 1025)])]},
        "embeds.0.fields.0.value",
    ),
    "empty field value": ({"embeds": [long_embed(fields=[field(value="")])]}, "embeds.0.fields.0.value"),
    "footer over 2048": ({"embeds": [long_embed(footer={"text": "x" * 2049})]}, "embeds.0.footer.text"),
    "author name over 256": ({"embeds": [long_embed(author={"name": "x" * 257})]}, "embeds.0.author.name"),
    "more than 10 embeds": ({"embeds": [long_embed()] * 11}, "embeds"),
    "embeds total over 6000": ({"embeds": [long_embed(description="x" * 3001)] * 2}, "embeds"),
    "more than 5 action rows": ({"components": [row(button(f"b{i}")) for i in range(6)]}, "components"),
    "more than 5 buttons in a row": (
        {"components": [row(*[button(f"b{i}") for i in range(6)])]},
        "components.0.components",
    ),
    "select not alone in its row": (
        {"components": [row(select("s"), button("b"))]},
        "components.0.components",
    ),
    "custom_id over 100": ({"components": [row(button("x" * 101))]}, "components.0.components.0.custom_id"),
    "button label over 80": (
        {"components": [row(button("b", label="x" * 81))]},
        "components.0.components.0.label",
    ),
    "select with 26 options": (
        {"components": [row(select("s", options=26))]},
        "components.0.components.0.options",
    ),
    "duplicate custom_id": (
        {"components": [row(button("b"), button("b"))]},
        "components.0.components.1.custom_id",
    ),
    "select max_values above its options": (
        {"components": [row(dict(select("s", options=2), max_values=3))]},
        "components.0.components.0.max_values",
    ),
    "link button without url": (
        {"components": [row({"type": 2, "style": 5, "label": "Läs mer"})]},
        "components.0.components.0",
    ),
    "v2 component without the v2 flag": (
        {"components": [{"type": 10, "content": "text display"}]},
        "components.0.type",
    ),
    "content together with the v2 flag": (
        {"flags": 1 << 15, "components": [{"type": 10, "content": "text display"}]},
        "content",
    ),
    "empty field name": ({"embeds": [long_embed(fields=[field(name="")])]}, "embeds.0.fields.0.name"),
    "empty action row": ({"components": [row()]}, "components.0.components"),
    "empty custom_id": ({"components": [row(button(""))]}, "components.0.components.0.custom_id"),
    "button without custom_id": (
        {"components": [row({"type": 2, "style": 1, "label": "ok"})]},
        "components.0.components.0.custom_id",
    ),
    "link button with a custom_id": (
        {"components": [row({"type": 2, "style": 5, "label": "L", "url": "https://x.se", "custom_id": "c"})]},
        "components.0.components.0",
    ),
    "select without custom_id": (
        {"components": [row({"type": 3, "options": [{"label": "a", "value": "a"}]})]},
        "components.0.components.0.custom_id",
    ),
    "select placeholder over 150": (
        {"components": [row(dict(select("s"), placeholder="x" * 151))]},
        "components.0.components.0.placeholder",
    ),
    "select without options": (
        {"components": [row(select("s", options=0))]},
        "components.0.components.0.options",
    ),
    "empty option label": (
        {"components": [row(dict(select("s"), options=[{"label": "", "value": "a"}]))]},
        "components.0.components.0.options.0.label",
    ),
    "option value over 100": (
        {"components": [row(dict(select("s"), options=[{"label": "a", "value": "x" * 101}]))]},
        "components.0.components.0.options.0.value",
    ),
    "option description over 100": (
        {
            "components": [
                row(dict(select("s"), options=[{"label": "a", "value": "a", "description": "d" * 101}]))
            ]
        },
        "components.0.components.0.options.0.description",
    ),
    "select min_values above max_values": (
        {"components": [row(dict(select("s", options=3), min_values=2, max_values=1))]},
        "components.0.components.0.max_values",
    ),
    "more than 40 v2 components": (
        {"flags": 1 << 15, "components": [{"type": 10, "content": "t"}] * 41},
        "components",
    ),
    "v2 container row too wide": (
        {"flags": 1 << 15, "components": [{"type": 17, "components": [row(*map(button, "abcdef"))]}]},
        "components.0.components.0.components",
    ),
    "more than 100 users in allowed_mentions": (
        {"allowed_mentions": {"parse": [], "users": [str(10**17 + i) for i in range(101)]}},
        "allowed_mentions.users",
    ),
    "more than 100 roles in allowed_mentions": (
        {"allowed_mentions": {"parse": [], "roles": [str(10**17 + i) for i in range(101)]}},
        "allowed_mentions.roles",
    ),
    "users both parsed and listed in allowed_mentions": (
        {"allowed_mentions": {"parse": ["users"], "users": ["100000000000000001"]}},
        "allowed_mentions.parse",
    ),
    "v2 section accessory label over 80": (
        {
            "flags": 1 << 15,
            "components": [
                {"type": 9, "components": [{"type": 10, "content": "t"}], "accessory": button("b", "x" * 81)}
            ],
        },
        "components.0.accessory.label",
    ),
}


@pytest.mark.parametrize("body, path", INVALID_MESSAGES.values(), ids=INVALID_MESSAGES.keys())
async def test_invalid_message_is_rejected(raw: RawBot, body: dict[str, Any], path: str) -> None:
    channel = raw.fake.channel_id("annonser")
    status, error, _ = await raw.request(
        "POST", f"/channels/{channel}/messages", dict({"content": "hej"}, **body)
    )
    assert status == 400 and error["code"] == 50035 and error["message"] == "Invalid Form Body"
    assert path in error_paths(error["errors"])
    assert raw.fake.messages_in(channel) == []


async def test_message_at_every_limit_is_accepted(raw: RawBot) -> None:
    channel = raw.fake.channel_id("annonser")
    embeds = [
        long_embed(
            title="x" * 256,
            description="y" * 1000,
            footer={"text": "f" * 100},
            author={"name": "a" * 256},
            fields=[field("n" * 10, "v" * 30)] * 25,
        )
    ]
    components = [row(*[button(f"b{r}{i}", label="l" * 80) for i in range(5)]) for r in range(4)]
    components.append(row(select("s" * 100, options=25)))
    status, message, headers = await raw.request(
        "POST",
        f"/channels/{channel}/messages",
        {"content": "x" * 2000, "embeds": embeds, "components": components},
    )
    assert status == 200, message
    assert headers["Content-Type"] == "application/json"  # exactly, or discord.py will not parse it
    assert message["id"].isdigit() and message["author"]["id"] == str(raw.fake.bot_user_id)


async def test_a_repeated_nonce_is_one_message_for_minutes_only(raw: RawBot) -> None:
    channel = raw.fake.channel_id("annonser")
    body = {"content": "hej", "nonce": "n0nce", "enforce_nonce": True}
    now = [1000.0]
    raw.fake.clock = lambda: now[0]

    _, first, _ = await raw.request("POST", f"/channels/{channel}/messages", body)
    now[0] += raw.fake.nonce_window - 1
    _, again, _ = await raw.request("POST", f"/channels/{channel}/messages", body)
    assert again["id"] == first["id"] and len(raw.fake.messages_in(channel)) == 1

    # As Discord: past the window the nonce is forgotten, and the repeat is a message of its own.
    now[0] += 2
    _, later, _ = await raw.request("POST", f"/channels/{channel}/messages", body)
    assert later["id"] != first["id"] and len(raw.fake.messages_in(channel)) == 2


async def test_at_most_100_ids_of_a_kind_are_accepted_in_allowed_mentions(raw: RawBot) -> None:
    channel = raw.fake.channel_id("annonser")
    users = [str(10**17 + i) for i in range(100)]
    status, message, _ = await raw.request("POST", f"/channels/{channel}/messages", {
        "content": "hej", "allowed_mentions": {"parse": [], "users": users, "roles": users}})
    assert status == 200, message


async def test_empty_message_is_rejected(raw: RawBot) -> None:
    channel = raw.fake.channel_id("annonser")
    for body in ({}, {"content": ""}, {"content": "   ", "embeds": [], "components": []}):
        status, error, _ = await raw.request("POST", f"/channels/{channel}/messages", body)
        assert (status, error) == (400, {"message": "Cannot send an empty message", "code": 50006})


async def test_editing_a_message_to_empty_is_rejected(raw: RawBot) -> None:
    channel = raw.fake.channel_id("annonser")
    _, message, _ = await raw.request("POST", f"/channels/{channel}/messages", {"content": "hej"})
    status, error, _ = await raw.request(
        "PATCH", f"/channels/{channel}/messages/{message['id']}", {"content": ""}
    )
    assert status == 400 and error["code"] == 50006
    assert raw.fake.messages_in(channel)[0].content == "hej"  # a refused edit changes nothing
    status, edited, _ = await raw.request(
        "PATCH", f"/channels/{channel}/messages/{message['id']}", {"content": "nytt"}
    )
    assert status == 200 and edited["content"] == "nytt" and edited["edited_timestamp"]


def text_input(custom_id: str = "t", label: str | None = "Namn") -> dict[str, Any]:
    """Return a short text input."""
    return {"type": 4, "custom_id": custom_id, "style": 1, "label": label}


def modal(components: list[dict[str, Any]], title: str = "Anmälan") -> dict[str, Any]:
    """Return a modal callback body."""
    return {"type": 9, "data": {"custom_id": "m", "title": title, "components": components}}


INVALID_MODALS = {
    "title over 45": (modal([row(text_input())], title="x" * 46), "data.title"),
    "more than 5 components": (modal([row(text_input(f"t{i}")) for i in range(6)]), "data.components"),
    "text input label over 45": (
        modal([row(text_input(label="x" * 46))]),
        "data.components.0.components.0.label",
    ),
    "Label label over 45": (
        modal([{"type": 18, "label": "x" * 46, "component": text_input(label=None)}]),
        "data.components.0.label",
    ),
    "empty title": (modal([row(text_input())], title=""), "data.title"),
    "custom_id over 100": (
        {"type": 9, "data": {"custom_id": "m" * 101, "title": "t", "components": [row(text_input())]}},
        "data.custom_id",
    ),
    "no components": (modal([]), "data.components"),
    "row with two text inputs": (modal([row(text_input("a"), text_input("b"))]), "data.components.0"),
    "row with a button": (modal([row(button("b"))]), "data.components.0"),
    "text input in a row without a label": (
        modal([row(text_input(label=None))]),
        "data.components.0.components.0.label",
    ),
    "text input custom_id over 100": (
        modal([row(text_input("x" * 101))]),
        "data.components.0.components.0.custom_id",
    ),
    "text input placeholder over 100": (
        modal([row(dict(text_input(), placeholder="x" * 101))]),
        "data.components.0.components.0.placeholder",
    ),
    "text input value over 4000": (
        modal([row(dict(text_input(), value="x" * 4001))]),
        "data.components.0.components.0.value",
    ),
    "text input of an unknown style": (
        modal([row(dict(text_input(), style=3))]),
        "data.components.0.components.0.style",
    ),
    "text input max_length over 4000": (
        modal([row(dict(text_input(), max_length=4001))]),
        "data.components.0.components.0.max_length",
    ),
    "Label description over 100": (
        modal([{"type": 18, "label": "Om", "description": "x" * 101, "component": text_input(label=None)}]),
        "data.components.0.description",
    ),
    "Label holding a button": (
        modal([{"type": 18, "label": "Om", "component": button("b")}]),
        "data.components.0.component.type",
    ),
    "Label checkbox without custom_id": (
        modal([{"type": 18, "label": "Om", "component": {"type": 23}}]),
        "data.components.0.component.custom_id",
    ),
    "Label select with 26 options": (
        modal([{"type": 18, "label": "Om", "component": select("s", options=26)}]),
        "data.components.0.component.options",
    ),
    "component type not allowed in a modal": (
        modal([{"type": 2, "style": 1, "custom_id": "b"}]),
        "data.components.0.type",
    ),
}


@pytest.mark.parametrize("body, path", INVALID_MODALS.values(), ids=INVALID_MODALS.keys())
async def test_invalid_modal_is_rejected(raw: RawBot, body: dict[str, Any], path: str) -> None:
    inter = await raw.fake.slash("anna", "ping")
    status, error, _ = await raw.callback(inter, body)
    assert status == 400 and error["code"] == 50035 and path in error_paths(error["errors"])
    assert inter.response is None  # a refused response does not acknowledge the interaction


async def test_valid_modal_is_accepted_and_submitted(raw: RawBot) -> None:
    inter = await raw.fake.slash("anna", "ping")
    body = modal(
        [
            row(text_input("name", "x" * 45)),
            {"type": 18, "label": "Om dig", "component": text_input("about", label=None)},
        ],
        title="t" * 45,
    )
    status, answer, _ = await raw.callback(inter, body)
    assert status == 200 and answer["interaction"]["id"] == str(inter.id)
    submit = await raw.fake.submit_modal("anna", inter, {"name": "Anna", "Om dig": "hej"})
    sent = (await raw.wait_events("INTERACTION_CREATE", 2))[-1]
    assert sent["type"] == 5 and sent["data"] == submit.payload["data"]
    assert sent["data"]["components"][1]["component"] == {
        "type": 4,
        "id": 4,
        "custom_id": "about",
        "value": "hej",
    }


async def test_autocomplete_choice_limit(raw: RawBot) -> None:
    too_many = await raw.fake.autocomplete("anna", "ping", {"q": "a"}, focused="q")
    choices = [{"name": f"c{i}", "value": f"c{i}"} for i in range(26)]
    status, error, _ = await raw.callback(too_many, {"type": 8, "data": {"choices": choices}})
    assert status == 400 and "data.choices" in error_paths(error["errors"])
    fine = await raw.fake.autocomplete("anna", "ping", {"q": "a"}, focused="q")
    status, _, _ = await raw.callback(fine, {"type": 8, "data": {"choices": choices[:25]}})
    assert status == 200 and fine.choices == choices[:25]


INVALID_CHOICES = {
    "empty name": ({"name": "", "value": "a"}, "data.choices.0.name"),
    "name over 100": ({"name": "x" * 101, "value": "a"}, "data.choices.0.name"),
    "value over 100": ({"name": "a", "value": "x" * 101}, "data.choices.0.value"),
    "unknown locale": ({"name": "a", "value": "a", "name_localizations": {"sv": "a"}},
                       "data.choices.0.name_localizations.sv"),
    "localized name over 100": ({"name": "a", "value": "a", "name_localizations": {"sv-SE": "x" * 101}},
                                "data.choices.0.name_localizations.sv-SE"),
}


@pytest.mark.parametrize("choice, path", INVALID_CHOICES.values(), ids=INVALID_CHOICES.keys())
async def test_invalid_autocomplete_choice_is_rejected(
    raw: RawBot, choice: dict[str, Any], path: str
) -> None:
    inter = await raw.fake.autocomplete("anna", "ping", {"q": "a"}, focused="q")
    status, error, _ = await raw.callback(inter, {"type": 8, "data": {"choices": [choice]}})
    assert status == 400 and error["code"] == 50035 and path in error_paths(error["errors"])
    assert inter.response is None


def command(**overrides: Any) -> dict[str, Any]:
    """Return a valid slash command with ``overrides`` applied."""
    return dict({"name": "jobb", "description": "Visa jobb", "type": 1}, **overrides)


def option(name: str = "ort", **overrides: Any) -> dict[str, Any]:
    """Return a valid string option."""
    return dict({"type": 3, "name": name, "description": "Ort"}, **overrides)


INVALID_COMMANDS = {
    "uppercase name": (command(name="Jobb"), "0.name"),
    "name with a space": (command(name="mina jobb"), "0.name"),
    "name over 32": (command(name="x" * 33), "0.name"),
    "description over 100": (command(description="x" * 101), "0.description"),
    "empty description": (command(description=""), "0.description"),
    "more than 25 options": (command(options=[option(f"o{i}") for i in range(26)]), "0.options"),
    "more than 25 choices": (
        command(options=[option(choices=[{"name": f"c{i}", "value": f"c{i}"} for i in range(26)])]),
        "0.options.0.choices",
    ),
    "invalid option name": (command(options=[option("Ort")]), "0.options.0.name"),
    "option description over 100": (
        command(options=[option(description="x" * 101)]),
        "0.options.0.description",
    ),
    "localized name uppercase": (command(name_localizations={"sv-SE": "Jobb"}), "0.name_localizations.sv-SE"),
    "localized description over 100": (
        command(description_localizations={"sv-SE": "x" * 101}),
        "0.description_localizations.sv-SE",
    ),
    "unknown locale": (command(name_localizations={"sv": "jobb"}), "0.name_localizations.sv"),
    "required after optional": (
        command(options=[option("a"), option("b", required=True)]),
        "0.options.1.required",
    ),
    "duplicate command names": ([command(), command()], "1.name"),
    "duplicate option names": (command(options=[option("a"), option("a")]), "0.options.1.name"),
    "choices together with autocomplete": (
        command(options=[option(choices=[{"name": "a", "value": "a"}], autocomplete=True)]),
        "0.options.0.autocomplete",
    ),
    "context menu with a description": (
        {"name": "Visa profil", "type": 2, "description": "x"},
        "0.description",
    ),
    "group inside a group": (
        command(
            options=[
                {
                    "type": 2,
                    "name": "g",
                    "description": "g",
                    "options": [{"type": 2, "name": "h", "description": "h", "options": []}],
                }
            ]
        ),
        "0.options.0.options.0.type",
    ),
    "unknown command type": (command(type=4), "0.type"),
    "option of an unknown type": (command(options=[option(type=12)]), "0.options.0.type"),
    "subcommand group holding an option": (
        command(options=[{"type": 2, "name": "g", "description": "g", "options": [option()]}]),
        "0.options.0.options.0.type",
    ),
    "subcommand holding a subcommand": (
        command(
            options=[
                {
                    "type": 1,
                    "name": "s",
                    "description": "s",
                    "options": [{"type": 1, "name": "t", "description": "t"}],
                }
            ]
        ),
        "0.options.0.options.0.type",
    ),
    "choice name over 100": (
        command(options=[option(choices=[{"name": "x" * 101, "value": "a"}])]),
        "0.options.0.choices.0.name",
    ),
    "context menu with options": ({"name": "Visa profil", "type": 2, "options": [option()]}, "0.options"),
    "context menu name over 32": ({"name": "x" * 33, "type": 3}, "0.name"),
    "context menu localized name over 32": (
        {"name": "Visa profil", "type": 2, "name_localizations": {"sv-SE": "x" * 33}},
        "0.name_localizations.sv-SE",
    ),
    "command over 4000 characters": (
        command(
            options=[
                option(
                    f"o{i}",
                    description="d" * 100,
                    choices=[{"name": "c" * 100, "value": f"v{j}"} for j in range(2)],
                )
                for i in range(15)
            ]
        ),
        "0",
    ),
}


@pytest.mark.parametrize("spec, path", INVALID_COMMANDS.values(), ids=INVALID_COMMANDS.keys())
async def test_invalid_command_is_rejected(
    raw: RawBot, spec: dict[str, Any] | list[dict[str, Any]], path: str
) -> None:
    specs = spec if isinstance(spec, list) else [spec]
    status, error, _ = await raw.request("PUT", f"/applications/{raw.fake.application_id}/commands", specs)
    assert status == 400 and error["code"] == 50035 and path in error_paths(error["errors"])
    assert set(raw.fake.commands()) == {"ping"}  # a refused overwrite changes nothing


async def test_commands_must_be_sent_as_a_list(raw: RawBot) -> None:
    status, error, _ = await raw.request(
        "PUT", f"/applications/{raw.fake.application_id}/commands", command()
    )
    assert status == 400 and error["code"] == 50035
    assert error["errors"]["_errors"][0]["code"] == "BASE_TYPE_ARRAY"
    assert set(raw.fake.commands()) == {"ping"}


async def test_valid_commands_are_registered_with_stable_ids(raw: RawBot) -> None:
    spec = command(
        name="x" * 32,
        description="d" * 100,
        name_localizations={"sv-SE": "jobb-sv"},
        options=[option(f"o{i}", required=i == 0) for i in range(25)],
    )
    group = command(
        name="mydata",
        options=[
            {
                "type": 2,
                "name": "admin",
                "description": "a",
                "options": [{"type": 1, "name": "reset", "description": "r", "options": [option()]}],
            }
        ],
    )
    context_menu = {"name": "Visa profil", "type": 2}  # context menus allow capitals and spaces
    path = f"/applications/{raw.fake.application_id}/commands"
    status, first, _ = await raw.request("PUT", path, [spec, group, context_menu])
    assert status == 200 and [c["name"] for c in first] == ["x" * 32, "mydata", "Visa profil"]
    _, second, _ = await raw.request("PUT", path, [spec, group, context_menu])
    assert [c["id"] for c in second] == [c["id"] for c in first]  # same name, same id
    guild_path = f"/applications/{raw.fake.application_id}/guilds/{raw.fake.guild_id}/commands"
    status, guild_commands, _ = await raw.request("PUT", guild_path, [command(name="lokal")])
    assert status == 200 and guild_commands[0]["guild_id"] == str(raw.fake.guild_id)
    # discord.py looks a command up among the guild's only when data.guild_id is present.
    inter = await raw.fake.slash("anna", "lokal")
    assert inter.payload["data"]["guild_id"] == str(raw.fake.guild_id)


async def test_response_type_must_suit_the_interaction(raw: RawBot) -> None:
    slash = await raw.fake.slash("anna", "ping")
    status, error, _ = await raw.callback(slash, {"type": 7, "data": {"content": "x"}})
    assert status == 400 and "type" in error_paths(error["errors"])
    assert (await raw.callback(slash, {"type": 4, "data": {"content": "ok"}}))[0] == 200
    completion = await raw.fake.autocomplete("anna", "ping", {"q": ""}, focused="q")
    status, error, _ = await raw.callback(completion, {"type": 4, "data": {"content": "x"}})
    assert status == 400 and "type" in error_paths(error["errors"])


async def test_forum_post_needs_a_name_and_a_first_message(raw: RawBot) -> None:
    forum = raw.fake.channel_id("forum")
    status, error, _ = await raw.request("POST", f"/channels/{forum}/threads", {"name": ""})
    assert status == 400 and {"name", "message"} <= error_paths(error["errors"])
    body = {"name": "Fråga", "message": {"content": "Hur?"}}
    status, thread, _ = await raw.request("POST", f"/channels/{forum}/threads", body)
    assert status == 201 and thread["message"]["id"] == thread["id"] and thread["parent_id"] == str(forum)


async def test_second_initial_response_is_rejected(raw: RawBot) -> None:
    inter = await raw.fake.slash("anna", "ping")
    status, answer, _ = await raw.callback(inter, {"type": 4, "data": {"content": "pong"}})
    assert status == 200 and answer["resource"]["message"]["content"] == "pong"
    status, error, _ = await raw.callback(inter, {"type": 4, "data": {"content": "igen"}})
    assert (status, error) == (400, {"message": "Interaction has already been acknowledged.", "code": 40060})
    # Two responses racing: exactly one wins.
    racing = await raw.fake.slash("anna", "ping")
    answers = await asyncio.gather(
        *(raw.callback(racing, {"type": 4, "data": {"content": "x"}}) for _ in range(2))
    )
    assert sorted(status for status, _, _ in answers) == [200, 400]


async def test_response_after_window_is_unknown_interaction(make_fake_discord: Any) -> None:
    fake = await make_fake_discord(interaction_window=0.2)
    client = RawBot(fake)
    try:
        await client.register(PING_COMMAND)
        await client.connect()
        late = await fake.slash("anna", "ping")
        in_time = await fake.slash("anna", "ping")
        assert (await client.callback(in_time, {"type": 5}))[0] == 200
        await asyncio.sleep(0.3)
        status, error, _ = await client.callback(late, {"type": 4, "data": {"content": "pong"}})
        assert (status, error) == (404, {"message": "Unknown interaction", "code": 10062})
        # Follow-ups stay allowed after a deferral, well past the 3-second window.
        followup = f"/webhooks/{fake.application_id}/{in_time.token}"
        status, message, _ = await client.request(
            "POST", followup, {"content": "klar"}, params={"wait": "true"}
        )
        assert status == 200 and message["content"] == "klar"
    finally:
        await client.close()


async def test_followups_need_a_response_and_expire(make_fake_discord: Any) -> None:
    fake = await make_fake_discord(followup_window=0.3)
    client = RawBot(fake)
    try:
        await client.register(PING_COMMAND)
        await client.connect()
        inter = await fake.slash("anna", "ping")
        followup = f"/webhooks/{fake.application_id}/{inter.token}"
        status, error, _ = await client.request("POST", followup, {"content": "för tidigt"})
        assert (status, error["code"]) == (404, 10015)
        await client.callback(inter, {"type": 5})
        assert (await client.request("POST", followup, {"content": "ok"}))[0] == 204  # no ?wait → no body
        status, edited, _ = await client.request(
            "PATCH", followup + "/messages/@original", {"content": "klart"}
        )
        assert status == 200 and edited["content"] == "klart" and inter.edits == [{"content": "klart"}]
        await asyncio.sleep(0.35)
        status, error, _ = await client.request("POST", followup, {"content": "för sent"})
        assert (status, error["code"]) == (401, 50027)
    finally:
        await client.close()


async def test_message_content_needs_the_intent(make_fake_discord: Any) -> None:
    fake = await make_fake_discord()
    client = RawBot(fake)
    try:
        await client.connect(intents=ALL_INTENTS & ~(1 << 15))
        await fake.user_message("bertil", "hemligt", channel="annonser")
        await fake.user_message("bertil", f"hej <@{fake.bot_user_id}>", channel="annonser")
        await fake.user_message("bertil", "i DM", dm=True)
        created = await client.wait_events("MESSAGE_CREATE", 3)
        assert [e["content"] for e in created] == ["", f"hej <@{fake.bot_user_id}>", "i DM"]
    finally:
        await client.close()


NEXT_BUTTON = {"type": 1, "components": [{"type": 2, "style": 1, "label": "Nästa", "custom_id": "jb:next:"}]}


async def test_server_messages_need_guild_messages_and_dms_direct_messages(make_fake_discord: Any) -> None:
    without_server, without_dms = RawBot(await make_fake_discord()), RawBot(await make_fake_discord())
    try:
        await without_server.connect(intents=ALL_INTENTS & ~(1 << 9))
        await without_server.fake.user_message("bertil", "i kanalen", channel="annonser", mention_bot=True)
        await without_server.fake.user_message("bertil", "i DM", dm=True)
        [created] = await without_server.wait_events("MESSAGE_CREATE", 1)
        assert created["content"] == "i DM"  # sent after the channel's, so that one would be here by now
        await without_dms.connect(intents=ALL_INTENTS & ~(1 << 12))
        await without_dms.fake.user_message("bertil", "i DM", dm=True)
        await without_dms.fake.user_message("bertil", "i kanalen", channel="annonser")
        [created] = await without_dms.wait_events("MESSAGE_CREATE", 1)
        assert created["content"] == "i kanalen"
    finally:
        await without_server.close()
        await without_dms.close()


async def test_without_message_content_a_server_message_shows_no_embeds_files_or_buttons(
        make_fake_discord: Any) -> None:
    fake = await make_fake_discord()
    client = RawBot(fake)
    try:
        await client.connect(intents=ALL_INTENTS & ~(1 << 15))
        channel = fake.channel_id("annonser")
        body = {"content": "veckans steg", "embeds": [{"description": "Följ politikerna"}],
                "components": [NEXT_BUTTON]}
        status, posted, _ = await client.request("POST", f"/channels/{channel}/messages", body)
        assert status == 200
        own = await fake.wait_for_message("annonser", lambda m: m.content == "veckans steg")
        await fake.user_message("bertil", "tack!", reply_to=own, reply_ping=False)
        await fake.user_message("bertil", "klart", reply_to=own)
        mine, unpinged, pinged = await client.wait_events("MESSAGE_CREATE", 3)
        assert mine["embeds"] and mine["components"] and mine["content"] == "veckans steg"
        assert (unpinged["content"], unpinged["mentions"]) == ("", [])
        # The reply's ping puts the bot in its mentions: its text comes, though it does not name the bot.
        assert pinged["content"] == "klart"
        assert [u["id"] for u in pinged["mentions"]] == [posted["author"]["id"]]
        # The message a reply answers is the bot's own: its buttons come along, whatever the reply shows.
        assert unpinged["referenced_message"]["components"] == posted["components"]
    finally:
        await client.close()


async def test_a_reply_carries_the_message_it_answers(raw: RawBot) -> None:
    fake = raw.fake
    dm = fake.dm_channel_id("anna")
    status, posted, _ = await raw.request("POST", f"/channels/{dm}/messages",
                                          {"content": "Nästa steg", "components": [NEXT_BUTTON]})
    assert status == 200
    reply = await fake.user_message("anna", "klart", reply_to=int(posted["id"]))
    created = (await raw.wait_events("MESSAGE_CREATE", 2))[-1]
    assert created["id"] == str(reply.id) and created["type"] == 19
    assert created["message_reference"]["message_id"] == posted["id"]
    assert created["referenced_message"]["id"] == posted["id"]
    assert created["referenced_message"]["components"] == posted["components"]
    await raw.request("DELETE", f"/channels/{dm}/messages/{posted['id']}")
    status, fetched, _ = await raw.request("GET", f"/channels/{dm}/messages/{reply.id}")
    assert status == 200 and fetched["referenced_message"] is None


async def test_a_reply_to_a_message_not_in_the_channel_is_refused(raw: RawBot) -> None:
    fake = raw.fake
    channel, elsewhere = fake.channel_id("annonser"), fake.channel_id("välkommen")
    theirs = await fake.user_message("bertil", "hej", channel=elsewhere)
    unknown = {"code": 50035, "message": "Invalid Form Body", "errors": {"message_reference": {
        "_errors": [{"code": "REPLIES_UNKNOWN_MESSAGE", "message": "Unknown message"}]}}}
    for message_id in (theirs.id, 1234567):
        body = {"content": "svar", "message_reference": {"message_id": str(message_id)}}
        status, error, _ = await raw.request("POST", f"/channels/{channel}/messages", body)
        assert (status, error) == (400, unknown)
    assert fake.messages_in("annonser") == []
    body = {"content": "svar", "message_reference": {"message_id": "1234567", "fail_if_not_exists": False}}
    status, sent, _ = await raw.request("POST", f"/channels/{channel}/messages", body)
    assert status == 200 and "message_reference" not in sent and sent["type"] == 0


async def test_members_intent_gates_member_events(make_fake_discord: Any) -> None:
    fake = await make_fake_discord()
    client = RawBot(fake)
    try:
        await client.connect(intents=ALL_INTENTS & ~(1 << 1))
        [guild] = client.events("GUILD_CREATE")
        assert [m["user"]["id"] for m in guild["members"]] == [str(fake.bot_user_id)]
        await fake.member_join(name="hanna")
        await fake.user_message("anna", "ping", channel="annonser")
        await client.wait_events("MESSAGE_CREATE", 1)  # sent after the join, so the join would be here by now
        assert client.events("GUILD_MEMBER_ADD") == []
    finally:
        await client.close()


async def test_unknown_route_is_404_and_recorded(raw: RawBot) -> None:
    status, error, _ = await raw.request("POST", "/guilds/1/bans/2")
    assert (status, error) == (404, {"message": "404: Not Found", "code": 0})
    assert [(r.method, r.path) for r in raw.fake.unknown_requests] == [("POST", "/guilds/1/bans/2")]


async def test_dm_channel_and_closed_dms(raw: RawBot) -> None:
    david = raw.fake.user_id("david")
    status, channel, _ = await raw.request("POST", "/users/@me/channels", {"recipient_id": str(david)})
    assert status == 200 and channel["type"] == 1 and channel["recipients"][0]["id"] == str(david)
    status, error, _ = await raw.request("POST", f"/channels/{channel['id']}/messages", {"content": "hej"})
    assert (status, error) == (403, {"message": "Cannot send messages to this user", "code": 50007})
    raw.fake.set_dms_open("david", True)
    assert (await raw.request("POST", f"/channels/{channel['id']}/messages", {"content": "hej"}))[0] == 200


async def test_legacy_pin_paths_and_pin_listing(raw: RawBot) -> None:
    channel = raw.fake.channel_id("annonser")
    _, message, _ = await raw.request("POST", f"/channels/{channel}/messages", {"content": "fäst mig"})
    assert (await raw.request("PUT", f"/channels/{channel}/pins/{message['id']}"))[0] == 204
    _, legacy, _ = await raw.request("GET", f"/channels/{channel}/pins")
    _, current, _ = await raw.request("GET", f"/channels/{channel}/messages/pins")
    assert [m["id"] for m in legacy] == [message["id"]] == [i["message"]["id"] for i in current["items"]]
    assert (await raw.request("DELETE", f"/channels/{channel}/messages/pins/{message['id']}"))[0] == 204
    assert (await raw.request("GET", f"/channels/{channel}/pins"))[1] == []


# === rate limits ===================================================================================


async def test_every_response_has_rate_limit_headers_and_route_429(make_fake_discord: Any) -> None:
    fake = await make_fake_discord(rate_limits=RateLimitConfig(message_limit=2, message_window=1.0))
    client = RawBot(fake)
    try:
        channel = fake.channel_id("annonser")
        results = [
            await client.request("POST", f"/channels/{channel}/messages", {"content": str(i)})
            for i in range(3)
        ]
        (s1, _, h1), (s2, _, h2), (s3, body, h3) = results
        assert (s1, s2, s3) == (200, 200, 429)
        for header in (
            "X-RateLimit-Limit",
            "X-RateLimit-Remaining",
            "X-RateLimit-Reset",
            "X-RateLimit-Reset-After",
            "X-RateLimit-Bucket",
        ):
            assert header in h1 and header in h3
        assert (h1["X-RateLimit-Limit"], h1["X-RateLimit-Remaining"], h2["X-RateLimit-Remaining"]) == (
            "2",
            "1",
            "0",
        )
        assert body["message"] == "You are being rate limited." and body["global"] is False
        assert 0 < body["retry_after"] <= 1.0 and h3["Retry-After"] == "1" and "Via" in h3
        # Another channel is another bucket.
        assert (
            await client.request(
                "POST", f"/channels/{fake.channel_id('välkommen')}/messages", {"content": "x"}
            )
        )[0] == 200
        assert fake.rate_limited == 1 and len(fake.messages_in("annonser")) == 2
    finally:
        await client.session.close()


async def test_the_defaults_are_discords_limits(raw: RawBot) -> None:
    # The burst scenarios (test_bursts.py) and the benchmarks rely on these defaults without setting them.
    fake = raw.fake
    limits = fake.limiter.config
    assert fake.interaction_window == 3.0 and limits.enabled
    assert (limits.message_limit, limits.message_window) == (5, 5.0)  # per channel
    assert (limits.global_limit, limits.global_window) == (50, 1.0)
    channel = fake.channel_id("annonser")
    posted = [
        await raw.request("POST", f"/channels/{channel}/messages", {"content": str(i)}) for i in range(6)
    ]
    assert [status for status, _, _ in posted] == [200] * 5 + [429]  # the sixth post in 5 s waits
    _, body, headers = posted[-1]
    assert body["global"] is False and 4.0 < body["retry_after"] <= 5.0 and headers["Retry-After"] == "5"
    # Another channel is another bucket, and an interaction's response is not a post to its channel.
    other = fake.channel_id("välkommen")
    assert (await raw.request("POST", f"/channels/{other}/messages", {"content": "x"}))[0] == 200
    inter = await fake.slash("anna", "ping", channel="annonser")
    assert (await raw.callback(inter, {"type": 4, "data": {"content": "pong"}}))[0] == 200
    assert fake.rate_limited == 1 and fake.rate_limited_global == 0


async def test_edits_in_a_channel_have_a_bucket_of_their_own(raw: RawBot) -> None:
    fake = raw.fake
    assert (fake.limiter.config.edit_limit, fake.limiter.config.edit_window) == (5, 5.0)
    channel, other = fake.channel_id("annonser"), fake.channel_id("välkommen")
    _, posted, _ = await raw.request("POST", f"/channels/{channel}/messages", {"content": "0"})
    _, elsewhere, _ = await raw.request("POST", f"/channels/{other}/messages", {"content": "0"})

    edits = [await raw.request("PATCH", f"/channels/{channel}/messages/{posted['id']}", {"content": str(i)})
             for i in range(1, 7)]

    assert [status for status, _, _ in edits] == [200] * 5 + [429]  # the sixth edit in 5 s waits
    _, body, headers = edits[-1]
    assert body["global"] is False and 4.0 < body["retry_after"] <= 5.0 and headers["Retry-After"] == "5"
    # Posting in the channel and editing in another are other buckets.
    assert (await raw.request("POST", f"/channels/{channel}/messages", {"content": "x"}))[0] == 200
    edited_elsewhere = await raw.request("PATCH", f"/channels/{other}/messages/{elsewhere['id']}",
                                         {"content": "y"})
    assert edited_elsewhere[0] == 200
    assert fake.rate_limited == 1


async def test_global_limit_spares_interaction_callbacks(make_fake_discord: Any) -> None:
    fake = await make_fake_discord(rate_limits=RateLimitConfig(global_limit=5, global_window=1.0))
    client = RawBot(fake)
    try:
        await client.register(PING_COMMAND)
        await client.connect()
        statuses = [(await client.request("GET", "/users/@me"))[0] for _ in range(5)]
        status, body, headers = await client.request("GET", "/users/@me")
        assert 429 in statuses or status == 429
        assert body["global"] is True and headers["X-RateLimit-Global"] == "true"
        inter = await fake.slash("anna", "ping")
        assert (await client.callback(inter, {"type": 4, "data": {"content": "pong"}}))[0] == 200
        assert fake.rate_limited_global >= 1
    finally:
        await client.close()


async def test_discord_py_rides_out_global_429s(
    make_fake_discord: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Per-channel limits high enough that only the global limit bites.
    fake = await make_fake_discord(
        rate_limits=RateLimitConfig(global_limit=5, global_window=0.5, message_limit=50)
    )
    monkeypatch.setattr(Route, "BASE", fake.api_base)
    http = HTTPClient(asyncio.get_running_loop())
    try:
        await http.static_login("fake-token")
        channels = [fake.channel_id(n) for n in ("välkommen", "annonser")]

        async def send(i: int) -> Any:
            with handle_message_parameters(content=f"meddelande {i}") as params:
                return await http.send_message(channels[i % 2], params=params)

        sent = await asyncio.gather(*(send(i) for i in range(12)))
    finally:
        await http.close()
    assert len(sent) == 12 and all(m["id"] for m in sent)
    assert sum(len(fake.messages_in(c)) for c in channels) == 12
    assert fake.rate_limited > 0 and fake.rate_limited_global > 0
    assert sum(fake.requests_per_second()) == len(fake.requests)


async def test_discord_py_rides_out_route_429s_from_a_shared_bucket(
    make_fake_discord: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two clients on one channel each believe they own the bucket, as two bot processes would.
    fake = await make_fake_discord(rate_limits=RateLimitConfig(message_limit=3, message_window=0.5))
    monkeypatch.setattr(Route, "BASE", fake.api_base)
    clients = [HTTPClient(asyncio.get_running_loop()) for _ in range(2)]
    channel = fake.channel_id("annonser")
    try:
        for http in clients:
            await http.static_login("fake-token")

        async def send(http: HTTPClient, i: int) -> Any:
            with handle_message_parameters(content=f"meddelande {i}") as params:
                return await http.send_message(channel, params=params)

        await asyncio.gather(*(send(clients[i % 2], i) for i in range(10)))
    finally:
        for http in clients:
            await http.close()
    assert len(fake.messages_in("annonser")) == 10
    assert fake.rate_limited > 0 and fake.rate_limited_global == 0
