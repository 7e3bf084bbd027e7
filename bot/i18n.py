"""Swedish and English catalogs: every text a user sees is looked up here by key.

A catalog entry is a `str.format` text (`{title}`) with two additions:

- **Plural forms**, as ICU messages write them: `{count, plural, one {# röst} other {# röster}}`. The
  branch is chosen by the language's plural rules from Babel (CLDR: Swedish and English have `one` and
  `other`), or by an exact value first (`=0 {inga röster}`); `#` in the branch is the number, written the
  language's way (`12 000` in Swedish). A branch may hold other placeholders. So no text writes
  "påminnelse(r)" and no code picks a key by the number: the translator writes the forms the language has,
  and adding a language needs no code.
- **Command names**: `{cmd:coach next}` is the command's name in the reader's language, from the catalogs'
  `cmd.<path>.name` keys: `/coach nästa`, `/coach next`, as the text surfaces accept it. An adapter that
  names commands its own way passes a CommandFormat (Discord: a coordinators' subcommand in its `-admin`
  twin; Slack writes `/jobb` in front of any command afterwards). So a Swedish text never tells a Swedish
  reader to type an English command.
"""

from __future__ import annotations

import json
import logging
import re
import string
from collections.abc import Callable, Mapping
from enum import Enum, StrEnum
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.numbers import format_decimal

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


_PLURAL_START = re.compile(r"\{(\w+),\s*plural,")
_SELECTOR = re.compile(r"\s*(=\d+|\w+)\s*\{")
COMMAND_FIELD = "cmd"


class CatalogSyntaxError(ValueError):
    """A catalog entry whose plural form is not well formed."""


def _block(entry: str, start: int) -> int:
    """Return the index just past the brace that closes the one at `start`."""
    depth = 0
    for index in range(start, len(entry)):
        if entry[index] == "{":
            depth += 1
        elif entry[index] == "}":
            depth -= 1
            if depth == 0:
                return index + 1
    raise CatalogSyntaxError(f"unclosed brace in {entry!r}")


def _plural_blocks(entry: str) -> list[tuple[int, int, str, dict[str, str]]]:
    """Find the plural forms of an entry: (start, end, the count's name, branch text by selector)."""
    blocks = []
    position = 0
    while (found := _PLURAL_START.search(entry, position)) is not None:
        branches: dict[str, str] = {}
        cursor = found.end()
        while (selector := _SELECTOR.match(entry, cursor)) is not None:
            opening = selector.end() - 1
            closing = _block(entry, opening)
            branches[selector.group(1)] = entry[opening + 1:closing - 1]
            cursor = closing
        while cursor < len(entry) and entry[cursor].isspace():
            cursor += 1
        if cursor >= len(entry) or entry[cursor] != "}" or "other" not in branches:
            raise CatalogSyntaxError(f"plural form of {found.group(1)} needs an 'other' branch: {entry!r}")
        blocks.append((found.start(), cursor + 1, found.group(1), branches))
        position = cursor + 1
    return blocks


@cache
def _locale(language: str) -> Locale:
    return Locale.parse(language)


def plural_category(count: float, language: str) -> str:
    """The CLDR plural category of a number in a language ('one', 'other', …), by Babel's rules."""
    return _locale(language).plural_form(count)


def _count(value: Any) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise CatalogSyntaxError(f"a plural form needs a number, not {value!r}")
    return value if isinstance(value, int | float) else int(value)


def _choose_plurals(entry: str, language: str, params: Mapping[str, Any]) -> str:
    """Replace each plural form with the branch the number's category picks, `#` with the number."""
    blocks = _plural_blocks(entry)
    if not blocks:
        return entry
    parts = []
    previous = 0
    for start, end, name, branches in blocks:
        count = _count(params[name])
        branch = (branches.get(f"={count}") or branches.get(plural_category(count, language))
                  or branches["other"])
        number = format_decimal(count, locale=_locale(language))
        parts += [entry[previous:start], _choose_plurals(branch, language, params).replace("#", number)]
        previous = end
    parts.append(entry[previous:])
    return "".join(parts)


def command_words(path: str, language: str) -> list[str]:
    """The words of a command's name in a language: `coach next` → `["coach", "nästa"]` in Swedish."""
    words = path.split()
    names = []
    for length in range(1, len(words) + 1):
        key = "cmd." + ".".join(words[:length]) + ".name"
        name = catalog(language).get(key) or catalog(DEFAULT_LANGUAGE).get(key)
        if name is None:
            log.error("Unknown command %s named in a catalog text", path)
            name = words[length - 1]
        names.append(name)
    return names


def command_name(path: str, language: str) -> str:
    """A command as the reader types it on a text surface: `coach next` → `/coach nästa` in Swedish."""
    return "/" + " ".join(command_words(path, language))


CommandFormat = Callable[[str, str], str]


class _CommandNames:
    """The value of the `cmd` field: `{cmd:coach next}` formats as the command's name in one language."""

    def __init__(self, language: str, commands: CommandFormat) -> None:
        self.language = language
        self.commands = commands

    def __format__(self, path: str) -> str:
        return self.commands(path, self.language)


def translate(
    key: str,
    language: str,
    mentions: MentionFormat = plain_mention,
    moments: MomentFormat = plain_moment,
    commands: CommandFormat = command_name,
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
    rendered = {name: render(value, language, mentions, moments, commands)
                if isinstance(value, Text | Literal | Join | Mention | When) else value
                for name, value in params.items()}
    try:
        return _choose_plurals(entry, language, params).format_map(
            {COMMAND_FIELD: _CommandNames(language, commands), **rendered})
    except (KeyError, IndexError, ValueError):
        log.exception("Catalog entry %s does not fit its parameters", key)
        return entry


def render(item: Renderable | str, language: str, mentions: MentionFormat = plain_mention,
           moments: MomentFormat = plain_moment, commands: CommandFormat = command_name) -> str:
    """Render a Text, Literal, Join, Mention or When (plain strings pass through)."""
    if isinstance(item, Text):
        return translate(item.key, language, mentions, moments, commands, **item.params)
    if isinstance(item, Literal):
        return item.value
    if isinstance(item, Mention):
        return mentions(item)
    if isinstance(item, When):
        return moments(item, language)
    if isinstance(item, Join):
        return item.separator.join(
            item.bullet + render(part, language, mentions, moments, commands) for part in item.items
        )
    return item


def flattened(entry: str) -> str:
    """The entry with each plural form replaced by its count's field and all its branches, so that
    `string.Formatter` can read every field (for the catalog tests)."""
    parts = []
    previous = 0
    for start, end, name, branches in _plural_blocks(entry):
        parts += [entry[previous:start], "{" + name + "}", *map(flattened, branches.values())]
        previous = end
    parts.append(entry[previous:])
    return "".join(parts)


def placeholders(entry: str) -> set[str]:
    """Return the names a catalog entry fills in, plural counts included (for the catalog consistency test);
    a command name is `cmd:<path>`, so both languages must name the same commands."""
    return {f"{name}:{spec}" if name == COMMAND_FIELD else name
            for _, name, spec, _ in string.Formatter().parse(flattened(entry)) if name}


def plural_counts(entry: str) -> set[str]:
    """The names of the numbers an entry has plural forms for."""
    return {name for _, _, name, _ in _plural_blocks(entry)}


def commands_named(entry: str) -> set[str]:
    """The command paths an entry names with `{cmd:…}`."""
    return {spec for _, name, spec, _ in string.Formatter().parse(flattened(entry)) if name == COMMAND_FIELD
            and spec}
