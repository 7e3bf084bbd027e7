"""The cogs' shared options: choices from the catalogs, suggestions as you type (autocomplete), and the
converters from what Discord passes to the strings the services read."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import discord
from discord import app_commands
from sqlalchemy.ext.asyncio import AsyncSession

from bot import i18n, validation
from bot.discordbot.bot import JobbBot
from bot.discordbot.checks import PLATFORM
from bot.discordbot.translator import T
from bot.replies import Choice as ReplyChoice
from bot.replies import Literal
from bot.services import civics, countdowns, issues, media, politicians
from bot.services.profile_fields import MUNICIPALITIES

Choice = app_commands.Choice
MAX_CHOICES = 25
Suggest = Callable[[AsyncSession, int, str], Awaitable[list[tuple[str, str]]]]


def catalog_choices(options: Iterable[ReplyChoice]) -> list[Choice[str]]:
    """Offer a fixed list as slash-command choices, named in the reader's language."""
    return [Choice(name=option.label.value if isinstance(option.label, Literal) else T(option.label.key),
                   value=option.value) for option in list(options)[:MAX_CHOICES]]


MUNICIPALITY_CHOICES = catalog_choices(MUNICIPALITIES)
BODY_CHOICES = catalog_choices(civics.BODY_CHOICES)
TOPIC_CHOICES = catalog_choices(civics.TOPIC_CHOICES)
STANCE_CHOICES = catalog_choices(civics.STANCE_CHOICES)
OUTCOME_CHOICES = catalog_choices(civics.OUTCOME_CHOICES)
RESULT_CHOICES = catalog_choices(countdowns.RESULT_CHOICES)
STATUS_CHOICES = catalog_choices(issues.STATUS_CHOICES)
MEDIA_KIND_CHOICES = catalog_choices(media.KIND_CHOICES)


def value(choice: Choice[str] | None) -> str:
    """The chosen value, or empty when the option was left out."""
    return choice.value if choice is not None else ""


def option(given: object | None) -> str:
    """One option as the services read it: left out is "" (not given), a choice its value, a yes/no
    "ja"/"nej"."""
    if given is None:
        return ""
    if isinstance(given, Choice):
        return given.value
    if isinstance(given, bool):
        return "ja" if given else "nej"
    return str(given)


def given(**options: Any) -> dict[str, str]:
    """The options a user filled in, as the strings the services read."""
    return {name: option(value) for name, value in options.items() if value is not None}


async def suggest(
    interaction: discord.Interaction[JobbBot], current: str, source: Suggest
) -> list[Choice[str]]:
    """Suggest up to 25 things by name while the user types, without creating anything."""
    if interaction.guild_id is None:
        return []
    async with interaction.client.app.deferred_sessionmaker() as session:
        workspace_id = await civics.workspace_id_for(session, PLATFORM, str(interaction.guild_id))
        if workspace_id is None:
            return []
        pairs = await source(session, workspace_id, current)
    return [Choice(name=label[:100], value=ref) for label, ref in pairs[:MAX_CHOICES]]


async def issue_autocomplete(interaction: discord.Interaction[JobbBot], current: str) -> list[Choice[str]]:
    """Suggest open issues by title."""
    return await suggest(interaction, current, issues.choices)


async def any_issue_autocomplete(
    interaction: discord.Interaction[JobbBot], current: str
) -> list[Choice[str]]:
    """Suggest issues by title, closed ones too."""
    async def source(session: AsyncSession, workspace_id: int, typed: str) -> list[tuple[str, str]]:
        return await issues.choices(session, workspace_id, typed, open_only=False)

    return await suggest(interaction, current, source)


async def politician_autocomplete(
    interaction: discord.Interaction[JobbBot], current: str
) -> list[Choice[str]]:
    """Suggest politicians by name."""
    return await suggest(interaction, current, politicians.choices)


async def media_autocomplete(interaction: discord.Interaction[JobbBot], current: str) -> list[Choice[str]]:
    """Suggest media contacts by name."""
    return await suggest(interaction, current, media.choices)


def _complete_list(interaction: discord.Interaction[JobbBot], current: str, options: Iterable[ReplyChoice],
                   separator: str) -> list[Choice[str]]:
    """Complete the last item of a list ("parkering, sk" → "parkering, Skola"), named in the user's
    language."""
    language = i18n.normalize_language(str(interaction.locale))
    done, _, typing = current.rpartition(separator)
    joiner = ", " if separator == "," else f" {separator} "
    prefix = (done.strip() + joiner) if done.strip() else ""
    chosen = {validation.fold(part) for part in done.split(separator) if part.strip()}
    wanted = validation.fold(typing)
    found = []
    for option in options:
        label = i18n.render(option.label, language)
        if validation.fold(label) in chosen or option.value in chosen or wanted not in validation.fold(label):
            continue
        found.append(Choice(name=(prefix + label)[:100], value=(prefix + label)[:100]))
    return found[:MAX_CHOICES]


async def topics_autocomplete(interaction: discord.Interaction[JobbBot], current: str) -> list[Choice[str]]:
    """Complete the last of comma-separated topics."""
    return _complete_list(interaction, current, civics.TOPIC_CHOICES, ",")


async def bodies_autocomplete(interaction: discord.Interaction[JobbBot], current: str) -> list[Choice[str]]:
    """Complete the last of the bodies a politician sits in ("kommunfullmäktige + kommunstyrelsen")."""
    return _complete_list(interaction, current, civics.BODY_CHOICES, "+")
