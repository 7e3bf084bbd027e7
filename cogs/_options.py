"""The cogs' side of the command declarations (bot/commands.py): `declared` makes a cog method the declared
command (names, descriptions, choices, suggestions as you type, who may use it), and `given` turns what
Discord passes into the services' typed arguments."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Iterable
from functools import cache
from typing import Any, cast
from zoneinfo import available_timezones

import discord
from discord import app_commands
from sqlalchemy.ext.asyncio import AsyncSession

from bot import commands, i18n, validation
from bot.commands import Kind, Option
from bot.discordbot.bot import JobbBot
from bot.discordbot.checks import PLATFORM, coordinator_only, identity_of
from bot.discordbot.render import MAX_OPTION_TEXT, clip
from bot.discordbot.translator import T
from bot.replies import Choice as ReplyChoice
from bot.replies import Literal
from bot.services import civics, issues, ladder, media, politicians, stories, writing

Choice = app_commands.Choice
MAX_CHOICES = 25
Suggest = Callable[[AsyncSession, int, str], Awaitable[list[tuple[str, str]]]]
Autocomplete = Callable[[discord.Interaction[Any], str], Coroutine[Any, Any, list[Choice[str]]]]
Callback = Callable[..., Coroutine[Any, Any, None]]
Slash = app_commands.Command[Any, ..., None]
# Shown before anything is typed: the zone of Blekinge first, then its neighbours.
SUGGESTED_ZONES = ("Europe/Stockholm", "Europe/Copenhagen", "Europe/Oslo", "Europe/Helsinki", "Europe/Berlin",
                   "Europe/London", "UTC")


def catalog_choices(options: Iterable[ReplyChoice]) -> list[Choice[str]]:
    """Offer a fixed list as slash-command choices, named in the reader's language."""
    return [Choice(name=_label(option), value=option.value) for option in list(options)[:MAX_CHOICES]]


def _label(option: ReplyChoice) -> str | app_commands.locale_str:
    return option.label.value if isinstance(option.label, Literal) else T(option.label.key)


def discord_choices(option: Option) -> list[Choice[str]] | list[Choice[int]]:
    """A declared option's choices as Discord offers them: whole numbers for an integer option."""
    if option.kind is Kind.INTEGER:
        return [Choice(name=_label(c), value=int(c.value)) for c in option.choices[:MAX_CHOICES]]
    return catalog_choices(option.choices)




def given(**options: object) -> dict[str, Any]:
    """The options a user gave, as the services take them: a choice its value, a channel or role its id, a
    yes/no a bool and a number an int as they are; an option left out is not passed (the service's default,
    None: "not given")."""
    return {name: _typed(value) for name, value in options.items() if value is not None}


def _typed(value: object) -> object:
    if isinstance(value, Choice):
        return value.value
    if isinstance(value, discord.abc.GuildChannel | discord.Role):
        return str(value.id)
    return value


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
    return _complete_list(interaction, current, civics.BODY.choices, "+")


async def story_autocomplete(interaction: discord.Interaction[JobbBot], current: str) -> list[Choice[str]]:
    """Suggest the stories the user may see by number or title, newest first (who sees which: the service)."""
    if not isinstance(interaction.user, discord.Member):
        return []
    async with interaction.client.app.deferred_sessionmaker() as session:
        pairs = await stories.choices(session, identity_of(interaction.user, interaction.locale), current)
    return [Choice(name=label[:100], value=ref) for label, ref in pairs[:MAX_CHOICES]]


async def coach_issue_autocomplete(interaction: discord.Interaction[Any], current: str) -> list[Choice[str]]:
    """Suggest open issues of the server matching what was typed (for a draft about one)."""
    app = cast("JobbBot", interaction.client).app
    async with app.sessionmaker() as session:
        found = await writing.issue_options(session, PLATFORM, str(interaction.guild_id), current)
    return [Choice(name=clip(title, MAX_OPTION_TEXT), value=value) for title, value in found[:MAX_CHOICES]]


async def step_autocomplete(interaction: discord.Interaction[Any], current: str) -> list[Choice[str]]:
    """Suggest the ladder's steps matching what was typed."""
    app = cast("JobbBot", interaction.client).app
    async with app.sessionmaker() as session:
        found = await ladder.step_options(session, PLATFORM, str(interaction.guild_id), current)
    return [Choice(name=clip(name, MAX_OPTION_TEXT), value=value) for name, value in found[:MAX_CHOICES]]


@cache
def _zones() -> tuple[str, ...]:
    return tuple(sorted(available_timezones()))


def timezone_choices(current: str) -> list[Choice[str]]:
    """Suggest at most 25 time zones: those that start with what was typed first, then those containing it."""
    needle = current.strip().lower().replace(" ", "_")
    if not needle:
        names = [zone for zone in SUGGESTED_ZONES if zone in _zones()]
    else:
        starts = [zone for zone in _zones() if zone.lower().startswith(needle)]
        contains = [zone for zone in _zones() if needle in zone.lower() and zone not in starts]
        names = starts + contains
    return [Choice(name=zone, value=zone) for zone in names[:MAX_CHOICES]]


async def timezone_autocomplete(interaction: discord.Interaction[JobbBot], current: str) -> list[Choice[str]]:
    """Suggest time zones matching what the coordinator typed."""
    return timezone_choices(current)


# The sources of suggestions a declaration names (Option.suggest).
SUGGESTIONS: dict[str, Autocomplete] = {
    "issue": issue_autocomplete,
    "any_issue": any_issue_autocomplete,
    "politician": politician_autocomplete,
    "media": media_autocomplete,
    "story": story_autocomplete,
    "topics": topics_autocomplete,
    "bodies": bodies_autocomplete,
    "coach_issue": coach_issue_autocomplete,
    "step": step_autocomplete,
    "timezone": timezone_autocomplete,
}


def declared(path: str, *, group: app_commands.Group | None = None) -> Callable[[Callback], Slash]:
    """Make a cog method the command declared at `path` in bot/commands.py, in `group` or at the top level.

    Its name, description and options' names and descriptions come from the catalog keys of the declaration,
    and so do its choices, its suggestions and, for a coordinators' command, the check and the default
    permission that hides it from members. The method's signature gives the options' types, limits and
    defaults, as discord.py reads them: tests/cogs/test_command_parity.py holds them to the declaration.
    """
    command = commands.declared(path)
    key = command.catalog_key
    options = [option for option in command.options if option.discord]

    def decorator(func: Callback) -> Slash:
        if options:
            func = app_commands.rename(**{o.parameter: T(f"{key}.opt.{o.name}.name") for o in options})(func)
            func = app_commands.describe(**{o.parameter: T(f"{key}.opt.{o.name}.description")
                                            for o in options})(func)
        choices: dict[str, list[Choice[Any]]] = {o.parameter: discord_choices(o)
                                                 for o in options if o.choices}
        if choices:
            func = app_commands.choices(**choices)(func)
        suggestions = {o.parameter: SUGGESTIONS[o.suggest] for o in options if o.suggest}
        if suggestions:
            func = app_commands.autocomplete(**suggestions)(func)
        if command.coordinator:
            func = coordinator_only()(func)
        name, description = T(f"{key}.name"), T(f"{key}.description")
        if group is not None:
            return group.command(name=name, description=description)(func)
        return app_commands.command(name=name, description=description)(app_commands.guild_only()(func))

    return decorator
