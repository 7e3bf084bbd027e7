"""Swedish and English catalogs: every text a user sees is looked up here by key."""

from __future__ import annotations

import json
import logging
import string
from collections.abc import Callable, Mapping
from enum import Enum, StrEnum
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.replies import Join, Literal, Mention, Renderable, Text, When

log = logging.getLogger(__name__)

LOCALES_DIR = Path(__file__).resolve().parent / "locales"


class Language(StrEnum):
    """The languages the bot speaks, Swedish first (the values the database keeps)."""

    SV = "sv"
    EN = "en"


LANGUAGES = tuple(language.value for language in Language)
DEFAULT_LANGUAGE = "sv"


@cache
def catalog(language: str) -> Mapping[str, str]:
    """Load one language's catalog."""
    with (LOCALES_DIR / f"{language}.json").open(encoding="utf-8") as fh:
        return json.load(fh)


def has(key: str, language: str = DEFAULT_LANGUAGE) -> bool:
    """Tell whether a key exists in a language's catalog."""
    return key in catalog(language)


def normalize_language(language: str | None) -> str:
    """Map a Discord locale (sv-SE, en-US, en-GB) or a language code to a catalog we have."""
    if not language:
        return DEFAULT_LANGUAGE
    code = language.split("-")[0].split("_")[0].lower()
    return code if code in LANGUAGES else DEFAULT_LANGUAGE


def locale_language(locale: object) -> str | None:
    """The catalog language of a platform locale (Discord's sv-SE, en-US, en-GB; Slack's en-US), or None for a
    locale we have no catalog for (then the member's chosen language or the workspace's decides)."""
    # discord.Locale is an Enum whose str() is its code; anything else the platform says is read as text.
    if not locale or not isinstance(locale, str | Enum):
        return None
    code = str(locale).replace("_", "-").split("-")[0].lower()
    return code if code in LANGUAGES else None


MentionFormat = Callable[[Mention], str]


def clip(value: str, limit: int) -> str:
    """Shorten a text to a limit, marking the cut with an ellipsis."""
    if len(value) <= limit:
        return value
    return value[: limit - 1] + "…"


def plain_mention(mention: Mention) -> str:
    """Write a mention as text: #channel, @role, @user."""
    return ("#" if mention.kind == "channel" else "@") + mention.id


MomentFormat = Callable[[When, str], str]


def plain_moment(moment: When, language: str) -> str:
    """Write a moment as local text in its zone, in the reader's language:
    "torsdag 17 december 2026 kl. 18:00"."""
    local = moment.at.astimezone(ZoneInfo(moment.zone))
    style = moment.style if moment.style in ("full", "date", "short") else "full"
    written = translate(
        f"time.format.{style}",
        language,
        weekday=translate(f"time.weekday.{local.weekday()}", language),
        day=local.day,
        month=translate(f"time.month.{local.month}", language),
        year=local.year,
        time=local.strftime("%H:%M"),
    )
    if style != "date" and local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset():
        # The night the clocks go back this hour comes twice: say which one.
        season = translate("time.season.summer" if local.dst() else "time.season.winter", language)
        return translate("time.format.doubled", language, moment=written, season=season)
    return written


def translate(
    key: str,
    language: str,
    mentions: MentionFormat = plain_mention,
    moments: MomentFormat = plain_moment,
    /,
    **params: Any,
) -> str:
    """Look up a key and fill in its parameters; falls back to Swedish, then to the key itself."""
    entry = catalog(language).get(key)
    if entry is None:
        entry = catalog(DEFAULT_LANGUAGE).get(key)
        if entry is None:
            log.error("Missing catalog key %s", key)
            return key
        log.warning("Key %s missing in %s catalog", key, language)
    rendered = {name: render(value, language, mentions, moments)
                if isinstance(value, Text | Literal | Join | Mention | When) else value
                for name, value in params.items()}
    try:
        return entry.format_map(rendered)
    except (KeyError, IndexError, ValueError):
        log.exception("Catalog entry %s does not fit its parameters", key)
        return entry


def render(item: Renderable | str, language: str, mentions: MentionFormat = plain_mention,
           moments: MomentFormat = plain_moment) -> str:
    """Render a Text, Literal, Join, Mention or When (plain strings pass through)."""
    if isinstance(item, Text):
        return translate(item.key, language, mentions, moments, **item.params)
    if isinstance(item, Literal):
        return item.value
    if isinstance(item, Mention):
        return mentions(item)
    if isinstance(item, When):
        return moments(item, language)
    if isinstance(item, Join):
        return item.separator.join(
            item.bullet + render(part, language, mentions, moments) for part in item.items
        )
    return item


def placeholders(entry: str) -> set[str]:
    """Return the names a catalog entry fills in (for the catalog consistency test)."""
    return {name for _, name, _, _ in string.Formatter().parse(entry) if name}
