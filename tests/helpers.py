"""Spec'd Discord mocks in the python-discord style: a misspelled attribute fails the test instead of passing.

Each mock is a MagicMock spec'd on the real discord.py class (or, for the bot, on a real JobbBot), so it
passes isinstance checks; coroutine methods of the spec become AsyncMocks; ids come from one counter so they
look like (and sort like) Discord snowflakes.
"""

from __future__ import annotations

import inspect
import itertools
import logging
from collections.abc import Iterable
from typing import Any
from unittest.mock import AsyncMock, MagicMock

import discord
from discord import app_commands

from bot.app import App
from bot.config import load_settings
from bot.discordbot.bot import JobbBot
from bot.discordbot.views import FormSessions
from bot.metrics import Metrics

logging.getLogger("discord").setLevel(logging.CRITICAL)

_ids = itertools.count(1_100_000_000_000_000_000)


def next_id() -> int:
    """Return a fresh snowflake-like id."""
    return next(_ids)


class CustomMockMixin:
    """Spec the mock on `spec_set`; children are AsyncMocks for coroutine methods, MagicMocks otherwise."""

    spec_set: Any = None
    child_mock_type: type = MagicMock

    def __init__(self, **kwargs: Any) -> None:
        name = kwargs.pop("name", None)
        super().__init__(spec_set=self.spec_set, **kwargs)  # type: ignore[call-arg]
        if name is not None:
            self.name = name

    def _get_child_mock(self, **kwargs: Any) -> MagicMock:
        attribute = kwargs.get("_new_name", "")
        spec = type(self).spec_set
        spec_class = spec if isinstance(spec, type) else type(spec)
        if inspect.iscoroutinefunction(getattr(spec_class, attribute, None)):
            return AsyncMock(**kwargs)
        return self.child_mock_type(**kwargs)


class MockRole(CustomMockMixin, MagicMock):
    """A role."""

    spec_set = discord.Role

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("id", next_id())
        kwargs.setdefault("name", "role")
        kwargs.setdefault("position", 1)
        super().__init__(**kwargs)
        self.mention = f"<@&{self.id}>"
        self.is_default.return_value = False


class MockGuild(CustomMockMixin, MagicMock):
    """A server; get_member and get_role look in `members` and `roles`."""

    spec_set = discord.Guild

    def __init__(self, members: Iterable[Any] = (), roles: Iterable[Any] = (), **kwargs: Any) -> None:
        kwargs.setdefault("id", next_id())
        kwargs.setdefault("name", "Jobbskaparna Blekinge")
        kwargs.setdefault("chunked", True)
        super().__init__(**kwargs)
        self.members = list(members)
        self.roles = [MockRole(name="@everyone", id=self.id, position=0), *roles]
        self.roles[0].is_default.return_value = True
        self.get_member.side_effect = lambda user_id: next((m for m in self.members if m.id == user_id), None)
        self.get_role.side_effect = lambda role_id: next((r for r in self.roles if r.id == role_id), None)
        self.fetch_member.side_effect = self._fetch_member

    async def _fetch_member(self, user_id: int) -> Any:
        member = self.get_member(user_id)
        if member is None:
            raise discord.NotFound(MagicMock(status=404, reason="Not Found"), "Unknown Member")
        return member


class MockMember(CustomMockMixin, MagicMock):
    """A member of a server; pass guild= to join it (the member is added to guild.members)."""

    spec_set = discord.Member

    def __init__(self, guild: MockGuild | None = None, roles: Iterable[Any] = (), manage_guild: bool = False,
                 **kwargs: Any) -> None:
        kwargs.setdefault("id", next_id())
        kwargs.setdefault("name", "anna")
        kwargs.setdefault("display_name", str(kwargs["name"]).title())
        kwargs.setdefault("bot", False)
        super().__init__(**kwargs)
        self.guild = guild if guild is not None else MockGuild()
        self.guild.members.append(self)
        self.roles = [self.guild.roles[0], *roles]
        self.guild_permissions = discord.Permissions(manage_guild=manage_guild)
        self.mention = f"<@{self.id}>"


class MockUser(CustomMockMixin, MagicMock):
    """A user seen outside a server (in a DM)."""

    spec_set = discord.User

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("id", next_id())
        kwargs.setdefault("name", "anna")
        kwargs.setdefault("display_name", str(kwargs["name"]).title())
        kwargs.setdefault("bot", False)
        super().__init__(**kwargs)
        self.mention = f"<@{self.id}>"


class MockTextChannel(CustomMockMixin, MagicMock):
    """A text channel of a server."""

    spec_set = discord.TextChannel

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("id", next_id())
        kwargs.setdefault("name", "allmänt")
        super().__init__(**kwargs)
        self.mention = f"<#{self.id}>"


class MockForumChannel(CustomMockMixin, MagicMock):
    """A forum channel of a server: it takes no messages, only new posts (threads)."""

    spec_set = discord.ForumChannel

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("id", next_id())
        kwargs.setdefault("name", "berättelser")
        super().__init__(**kwargs)
        self.mention = f"<#{self.id}>"


class MockDMChannel(CustomMockMixin, MagicMock):
    """A DM channel with a user."""

    spec_set = discord.DMChannel

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("id", next_id())
        super().__init__(**kwargs)


class MockMessage(CustomMockMixin, MagicMock):
    """A message; ephemeral=True sets the ephemeral flag."""

    spec_set = discord.Message

    def __init__(self, ephemeral: bool = False, **kwargs: Any) -> None:
        kwargs.setdefault("id", next_id())
        kwargs.setdefault("content", "")
        super().__init__(**kwargs)
        self.flags = discord.MessageFlags(ephemeral=ephemeral)


class MockInteractionResponse(CustomMockMixin, MagicMock):
    """An interaction's response: is_done() turns True after the first answer, as in discord.py."""

    spec_set = discord.InteractionResponse

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.type = None
        kinds = discord.InteractionResponseType
        answered_with = {"send_message": kinds.channel_message, "send_modal": kinds.modal,
                         "edit_message": kinds.message_update, "autocomplete": kinds.autocomplete_result,
                         "pong": kinds.pong}
        for method, kind in answered_with.items():
            setattr(self, method, AsyncMock(side_effect=self._answered(kind)))
        self.defer = AsyncMock(side_effect=self._deferred)
        self.is_done.side_effect = lambda: self.type is not None

    def _answered(self, kind: discord.InteractionResponseType) -> Any:
        def mark(*_args: Any, **_kwargs: Any) -> None:
            self.type = kind

        return mark

    def _deferred(self, *, thinking: bool = False, ephemeral: bool = False) -> None:
        kinds = discord.InteractionResponseType
        self.type = kinds.deferred_channel_message if thinking else kinds.deferred_message_update


class MockWebhook(CustomMockMixin, MagicMock):
    """An interaction's followup webhook."""

    spec_set = discord.Webhook


class MockInteraction(CustomMockMixin, MagicMock):
    """An interaction: a command by default; `user` is a MockMember (or a MockUser in a DM)."""

    spec_set = discord.Interaction

    def __init__(self, user: Any = None, client: Any = None, **kwargs: Any) -> None:
        kwargs.setdefault("id", next_id())
        kwargs.setdefault("type", discord.InteractionType.application_command)
        kwargs.setdefault("locale", discord.Locale.swedish)
        kwargs.setdefault("data", {})
        kwargs.setdefault("message", None)
        kwargs.setdefault("command", None)
        kwargs.setdefault("created_at", discord.utils.utcnow())
        super().__init__(**kwargs)
        self.user = user if user is not None else MockMember()
        guild = getattr(self.user, "guild", None) if isinstance(self.user, discord.Member) else None
        self.guild = guild
        self.guild_id = guild.id if guild is not None else None
        self.channel = MockTextChannel() if guild is not None else MockDMChannel()
        self.client = client if client is not None else MockBot()
        self.response = MockInteractionResponse()
        self.followup = MockWebhook()
        self.extras = {}


def _bot_spec() -> JobbBot:
    """Build a real JobbBot (never started) to spec MockBot on, so instance attributes are in the spec."""
    return JobbBot(MagicMock(spec=App, settings=load_settings(_env_file=None), metrics=Metrics()))


class MockBot(CustomMockMixin, MagicMock):
    """The bot: app and forms are real when given; guilds is a list."""

    spec_set = _bot_spec()

    def __init__(self, app: App | None = None, guilds: Iterable[Any] = (), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.app = app if app is not None else MagicMock(spec=App)
        self.forms = FormSessions()
        self.guilds = list(guilds)
        self.get_guild.side_effect = lambda guild_id: next((g for g in self.guilds if g.id == guild_id), None)


def fill_modal(modal: discord.ui.Modal, interaction: Any, values: dict[str, Any]) -> None:
    """Enter values in a modal the way Discord submits them (text, one select value, or a checkbox)."""
    components: list[dict[str, Any]] = []
    for label in modal.children:
        component = label.component  # type: ignore[attr-defined]
        value = values.get(component.custom_id)
        if isinstance(component, discord.ui.TextInput):
            payload: dict[str, Any] = {"type": 4, "custom_id": component.custom_id,
                                       "value": (component.default or "") if value is None else value}
        elif isinstance(component, discord.ui.Select):
            chosen = (
                value if value is not None else next((o.value for o in component.options if o.default), None)
            )
            payload = {"type": 3, "custom_id": component.custom_id, "values": [chosen] if chosen else []}
        else:
            payload = {"type": 23, "custom_id": component.custom_id,
                       "value": component.default if value is None else bool(value)}
        components.append({"type": 18, "component": payload})
    modal._refresh(interaction, components, {})  # what discord.py runs on a modal submit


async def press(interaction: Any, custom_id: str, label: str = "") -> None:
    """Press one of our buttons: rebuild it from its custom_id and run its callback, as discord.py does."""
    from bot.discordbot.views import ActionButton

    match = ActionButton.__discord_ui_compiled_template__.fullmatch(custom_id)
    assert match is not None, custom_id
    interaction.type = discord.InteractionType.component
    interaction.data = {"custom_id": custom_id, "component_type": 2}
    if interaction.message is None:
        interaction.message = MockMessage()  # a pressed button always sits on a message
    item = await ActionButton.from_custom_id(interaction, discord.ui.Button(label=label or None,
                                                                            custom_id=custom_id), match)
    await item.callback(interaction)


def sent(interaction: Any) -> dict[str, Any]:
    """Return the keyword arguments of the latest message an interaction was answered with."""
    for call in (
        interaction.followup.send,
        interaction.edit_original_response,
        interaction.response.send_message,
        interaction.response.edit_message,
    ):
        if call.await_count:
            return call.await_args.kwargs
    raise AssertionError("the interaction was not answered")


def shown_text(kwargs: dict[str, Any]) -> str:
    """Return all text a sent message shows: content, embed title, description and fields."""
    parts = [kwargs.get("content") or ""]
    embed = kwargs.get("embed")
    if embed is not None:
        parts += [embed.title or "", embed.description or ""]
        parts += [f"{f.name}: {f.value}" for f in embed.fields]
    return "\n".join(p for p in parts if p)


def custom_ids(kwargs: dict[str, Any]) -> list[str]:
    """Return the custom_ids of the buttons of a sent message."""
    view = kwargs.get("view")
    return [item.custom_id for item in view.children if getattr(item, "custom_id", None)] if view else []


def choice(value: str) -> app_commands.Choice[str]:
    """A choice as Discord passes it to a command, named as its value."""
    return app_commands.Choice(name=value, value=value)
