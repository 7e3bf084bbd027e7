"""A bot Reply as plain text, for assertions: all of it, its fields by name, or one field."""

from __future__ import annotations

from bot.i18n import MentionFormat, plain_mention, render
from bot.replies import Mention, Reply


def shown(reply: Reply, language: str = "sv") -> str:
    """Return the text of a reply: its title, its body, then each field as "name: value", one a line."""
    parts = [render(p, language) for p in (reply.title, reply.body) if p is not None]
    parts += [f"{render(f.name, language)}: {render(f.value, language)}" for f in reply.fields]
    return "\n".join(parts)


def tagged(mention: Mention) -> str:
    """Write a mention as <kind:id> (for fields_of's mentions=), so that a test sees what it points at."""
    return f"<{mention.kind}:{mention.id}>"


def fields_of(reply: Reply, language: str = "sv", mentions: MentionFormat = plain_mention) -> dict[str, str]:
    """Return a reply's fields as {name: value}."""
    return {render(f.name, language): render(f.value, language, mentions) for f in reply.fields}


def field_line(reply: Reply, starts: str, language: str = "sv") -> str:
    """Return "name: value" of the first field whose name starts with `starts`."""
    return next(f"{render(f.name, language)}: {render(f.value, language)}" for f in reply.fields
                if render(f.name, language).startswith(starts))


def field_value(reply: Reply, starts: str, language: str = "sv") -> str:
    """Return the value of the first field whose name starts with `starts`; if none does, fail naming them."""
    for f in reply.fields:
        if render(f.name, language).startswith(starts):
            return render(f.value, language)
    raise AssertionError(f"no field {starts!r} in {[render(f.name, language) for f in reply.fields]}")
