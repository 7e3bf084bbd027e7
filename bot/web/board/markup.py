"""A reply's texts as HTML: the catalogs write for chat (Discord's **bold** and `code`), members write plain
text.

The catalog's own words are escaped and their marks turned into <strong> and <code>; what a member or a record
holds (a Literal, a name passed as a parameter) is escaped and never read as marks, as Discord's renderer
escapes it (bot.discordbot.render). `rich=False` drops the marks instead: text for a table cell or an
attribute.
"""

from __future__ import annotations

import re
from typing import Any

from markupsafe import Markup, escape

from bot import i18n
from bot.replies import Join, Literal, Mention, Renderable, Text, When

_BOLD = re.compile(r"\*\*(.+?)\*\*", re.DOTALL)
_CODE = re.compile(r"`([^`\n]+)`")
# Where a parameter's own HTML goes back in once the catalog's words are escaped and marked up.
_HOLE = re.compile("\x00(\\d+)\x00")


def html(item: Renderable | str | None, language: str, *, rich: bool = True) -> Markup:
    """The item as safe HTML in `language`."""
    if item is None:
        return Markup("")
    if isinstance(item, str):
        return escape(item)
    if isinstance(item, Literal):
        return escape(item.value)
    if isinstance(item, Mention | When):
        return escape(i18n.render(item, language))
    if isinstance(item, Join):
        return Markup(escape(item.separator)).join(
            escape(item.bullet) + html(part, language, rich=rich) for part in item.items)
    return _text(item, language, rich)


def _text(item: Text, language: str, rich: bool) -> Markup:
    entry = i18n.catalog(language).get(item.key) or i18n.catalog(i18n.DEFAULT_LANGUAGE).get(item.key) or ""
    counts = i18n.plural_counts(entry)
    fragments: list[Markup] = []
    params: dict[str, Any] = {}
    for name, value in item.params.items():
        if name not in counts and isinstance(value, str | Text | Literal | Join | Mention | When):
            fragments.append(html(value, language, rich=rich))
            params[name] = f"\x00{len(fragments) - 1}\x00"
        else:
            params[name] = value
    written = str(escape(i18n.translate(item.key, language, **params)))
    written = _BOLD.sub(r"<strong>\1</strong>" if rich else r"\1", written)
    written = _CODE.sub(r"<code>\1</code>" if rich else r"\1", written)
    return Markup(_HOLE.sub(lambda found: str(fragments[int(found.group(1))]), written))
