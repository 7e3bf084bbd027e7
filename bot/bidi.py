"""Keep the right-to-left letters and bidirectional controls of user text from turning the bot's text around.

A name that holds an unclosed RIGHT-TO-LEFT OVERRIDE (U+202E) reverses everything after it up to the end of
the paragraph: the rest of a coordinators' notice would read backwards. A name in Arabic or Hebrew at the
start of a line makes the whole line a right-to-left paragraph. Unicode's answer (UAX #9) is to isolate text
of unknown direction: FIRST STRONG ISOLATE (U+2068) before it, POP DIRECTIONAL ISOLATE (U+2069) after it,
with its own controls balanced so that nothing it opens outlives it and nothing it closes was opened by the
text around it.

This is done where a reply is rendered for a platform (Discord, Slack, the console), not where text is
stored: a member's right-to-left name may need its marks and embeddings, and user text reaches a reply by
other ways than a typed option (imports, platform display names, the writing model). Text without
right-to-left letters or bidirectional controls is left exactly as it is, so names stay copyable and the
files the bot writes hold what was stored.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from bot.replies import Join, Literal, Text

FIRST_STRONG_ISOLATE = "\u2068"
POP_ISOLATE = "\u2069"
POP_EMBEDDING = "\u202c"
# Bidirectional classes (unicodedata.bidirectional) of controls that open a scope: embeddings and overrides
# end at a PDF, isolates at a PDI.
EMBEDDING_CLASSES = frozenset({"LRE", "RLE", "LRO", "RLO"})
ISOLATE_CLASSES = frozenset({"LRI", "RLI", "FSI"})
# What can change the direction of the text around a value: right-to-left letters (R, AL), Arabic digits
# (AN) and every explicit control.
DIRECTIONAL_CLASSES = frozenset({"R", "AL", "AN", "PDF", "PDI"}) | EMBEDDING_CLASSES | ISOLATE_CLASSES
# A paragraph separator (class B: line feed, carriage return, U+2029 …) ends every scope; each line of a
# value is isolated on its own.
PARAGRAPH_CLASS = "B"


def needs_isolation(value: str) -> bool:
    """Tell whether a text holds anything that could change the direction of the text around it."""
    return any(unicodedata.bidirectional(char) in DIRECTIONAL_CLASSES for char in value)


def _balanced(line: str) -> str:
    """One paragraph's text with every control it opens closed, and closers of scopes it never opened left
    out."""
    kept: list[str] = []
    open_scopes: list[str] = []  # the classes of the controls still open, innermost last
    for char in line:
        kind = unicodedata.bidirectional(char)
        if kind in EMBEDDING_CLASSES or kind in ISOLATE_CLASSES:
            open_scopes.append(kind)
        elif kind == "PDF":
            # A PDF closes an embedding only within the innermost isolate (UAX #9 X7); else it is dropped.
            if not open_scopes or open_scopes[-1] not in EMBEDDING_CLASSES:
                continue
            open_scopes.pop()
        elif kind == "PDI":
            # A PDI closes its isolate and every embedding opened inside it (X6a); one without an isolate of
            # the value's own would close ours, so it is dropped.
            if not any(scope in ISOLATE_CLASSES for scope in open_scopes):
                continue
            while open_scopes.pop() not in ISOLATE_CLASSES:
                pass
        kept.append(char)
    closers = "".join(POP_EMBEDDING if scope in EMBEDDING_CLASSES else POP_ISOLATE
                      for scope in reversed(open_scopes))
    return "".join(kept) + closers


def isolate(value: str) -> str:
    """Isolate a user's text for showing inside other text (unchanged when it cannot affect its
    surroundings)."""
    if not needs_isolation(value):
        return value
    lines: list[str] = []
    start = 0
    for index, char in enumerate(value):
        if unicodedata.bidirectional(char) == PARAGRAPH_CLASS:
            lines.extend((_isolated_line(value[start:index]), char))
            start = index + 1
    lines.append(_isolated_line(value[start:]))
    return "".join(lines)


def _isolated_line(line: str) -> str:
    if not needs_isolation(line):
        return line
    return FIRST_STRONG_ISOLATE + _balanced(line) + POP_ISOLATE


def isolated(item: Any) -> Any:
    """A renderable with every user-written part isolated: Literal values and plain-string parameters (catalog
    keys, mentions and moments are the bot's own)."""
    if isinstance(item, Literal):
        return Literal(isolate(item.value))
    if isinstance(item, str):
        return isolate(item)
    if isinstance(item, Text):
        return Text(item.key, {name: isolated(value) for name, value in item.params.items()})
    if isinstance(item, Join):
        return Join(tuple(isolated(part) for part in item.items), item.separator, item.bullet)
    return item
