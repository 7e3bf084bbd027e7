"""Slash-command names and descriptions from the catalogs: English is the base, Swedish the sv-SE
localization."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

import discord
from discord import app_commands

from bot.i18n import catalog

log = logging.getLogger(__name__)

CommandT = TypeVar("CommandT")

# Discord locales we have a catalog for; every other locale shows the English base text.
LOCALE_LANGUAGES: dict[discord.Locale, str] = {
    discord.Locale.swedish: "sv",
    discord.Locale.american_english: "en",
    discord.Locale.british_english: "en",
}


def T(key: str) -> app_commands.locale_str:  # short on purpose, it wraps every command text
    """Return a translatable command text: the English catalog text, carrying its catalog key."""
    return app_commands.locale_str(catalog("en")[key], key=key)


def options(command_key: str, *params: str) -> Callable[[CommandT], CommandT]:
    """Name and describe a command's options from the catalog: `<command_key>.opt.<param>.name|description`.

    The same as `app_commands.rename` above `app_commands.describe` with those T(...) keys, so it may stand
    above or below the command decorator, like them.
    """
    rename = app_commands.rename(**{param: T(f"{command_key}.opt.{param}.name") for param in params})
    describe = app_commands.describe(
        **{param: T(f"{command_key}.opt.{param}.description") for param in params}
    )

    def decorator(func: CommandT) -> CommandT:
        return rename(describe(func))

    return decorator


def language_choices() -> list[app_commands.Choice[str]]:
    """Return the languages a member or a group can choose, each named in the reader's language."""
    return [app_commands.Choice(name=T("language.sv"), value="sv"),
            app_commands.Choice(name=T("language.en"), value="en")]


class CatalogTranslator(app_commands.Translator):
    """Translate command texts marked with T(key) by looking the key up in the locale's catalog."""

    async def translate(self, string: app_commands.locale_str, locale: discord.Locale,
                        context: app_commands.TranslationContextTypes) -> str | None:
        """Return the catalog text for the locale, or None to let Discord show the base text."""
        key = string.extras.get("key")
        language = LOCALE_LANGUAGES.get(locale)
        if key is None or language is None:
            return None
        translated = catalog(language).get(key)
        if translated is None:
            log.warning("Command text %s missing in the %s catalog", key, language)
        return translated
