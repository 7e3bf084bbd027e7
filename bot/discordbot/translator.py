"""Slash-command names and descriptions from the catalogs: English is the base, Swedish the sv-SE
localization."""

from __future__ import annotations

import logging
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


def T(key: str) -> app_commands.locale_str:
    """Return a translatable command text: the English catalog text, carrying its catalog key."""
    return app_commands.locale_str(catalog("en")[key], key=key)


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
