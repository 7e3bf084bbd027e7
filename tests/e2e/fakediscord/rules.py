"""Discord's payload limits, checked as strictly as the real API checks them.

Each ``check_*`` function raises ``InvalidFormBody`` (400, code 50035) with Discord's nested
``errors`` tree, e.g. ``{"embeds": {"0": {"title": {"_errors": [{"code": ..., "message": ...}]}}}}``,
so discord.py's ``HTTPException`` text looks the same as in production.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence, Sized
from typing import Any

from .errors import EMPTY_MESSAGE, ApiError, InvalidFormBody
from .model import MessageFlag, walk_components

Path = tuple[Any, ...]

MAX_CONTENT = 2000
# Ids a message may list in allowed_mentions, per kind (users, roles).
MAX_ALLOWED_MENTIONS = 100
MAX_EMBEDS = 10
MAX_EMBED_TOTAL = 6000
EMBED_LIMITS = {"title": 256, "description": 4096}
MAX_EMBED_FIELDS = 25
MAX_FIELD_NAME = 256
MAX_FIELD_VALUE = 1024
MAX_FOOTER = 2048
MAX_AUTHOR_NAME = 256
MAX_ACTION_ROWS = 5
MAX_ROW_WIDTH = 5
MAX_V2_COMPONENTS = 40
MAX_CUSTOM_ID = 100
MAX_BUTTON_LABEL = 80
MAX_BUTTON_URL = 512
MAX_SELECT_OPTIONS = 25
MAX_SELECT_TEXT = 100
MAX_PLACEHOLDER = 150
MAX_MODAL_TITLE = 45
MAX_MODAL_COMPONENTS = 5
MAX_MODAL_LABEL = 45
MAX_TEXT_INPUT = 4000
MAX_CHOICES = 25
MAX_COMMAND_NAME = 32
MAX_DESCRIPTION = 100
MAX_OPTIONS = 25
MAX_COMMAND_TOTAL = 4000

COMMAND_NAME = re.compile(r"^[-_\w]{1,32}$")
# Discord's locale codes (https://discord.com/developers/docs/reference#locales).
LOCALES = frozenset(
    ("id", "da", "de", "en-GB", "en-US", "es-ES", "es-419", "fr", "hr", "it", "lt", "hu", "nl", "no", "pl")
    + ("pt-BR", "ro", "fi", "sv-SE", "vi", "tr", "cs", "el", "bg", "ru", "uk", "hi", "th", "zh-CN", "ja")
    + ("zh-TW", "ko")
)
SELECT_TYPES = frozenset({3, 5, 6, 7, 8})
# Components that may only appear in messages flagged IS_COMPONENTS_V2.
V2_LAYOUT_TYPES = frozenset({9, 10, 11, 12, 13, 14, 17})
LABEL_CHILD_TYPES = frozenset({3, 4, 5, 6, 7, 8, 19, 21, 22, 23})


class Problems:
    """Collect validation errors into Discord's nested ``errors`` tree."""

    def __init__(self) -> None:
        self.tree: dict[str, Any] = {}

    def add(self, path: Path, code: str, message: str) -> None:
        """Record one error at ``path`` (keys and list indexes)."""
        node = self.tree
        for key in path:
            node = node.setdefault(str(key), {})
        node.setdefault("_errors", []).append({"code": code, "message": message})

    def max_len(self, path: Path, value: Any, limit: int) -> None:
        """Record an error if a string or list is longer than ``limit``."""
        if value is not None and len(value) > limit:
            self.add(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")

    def between(self, path: Path, value: Sized | None, low: int, high: int) -> None:
        """Record an error unless ``low <= len(value) <= high`` (None counts as empty)."""
        if not low <= len(value or "") <= high:
            self.add(path, "BASE_TYPE_BAD_LENGTH", f"Must be between {low} and {high} in length.")

    def raise_if_any(self) -> None:
        """Raise InvalidFormBody if anything was recorded."""
        if self.tree:
            raise InvalidFormBody(self.tree)


# --- messages -----------------------------------------------------------------------------------


def check_message(body: dict[str, Any], *, base: Path = ()) -> None:
    """Check content, embeds and components of a message create/edit body."""
    problems = Problems()
    problems.max_len(base + ("content",), body.get("content"), MAX_CONTENT)
    _check_allowed_mentions(problems, base + ("allowed_mentions",), body.get("allowed_mentions"))
    embeds = body.get("embeds") or []
    _check_embeds(problems, base, embeds)
    flags = int(body.get("flags") or 0)
    components = body.get("components") or []
    if flags & MessageFlag.IS_COMPONENTS_V2:
        if body.get("content") or embeds:
            problems.add(
                base + ("content",),
                "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2",
                "The 'content', 'embeds', 'stickers' and 'poll' fields cannot be used when using "
                "MessageFlags.IS_COMPONENTS_V2",
            )
        _check_components_v2(problems, base + ("components",), components)
    else:
        _check_action_rows(problems, base + ("components",), components)
    problems.raise_if_any()


def _check_allowed_mentions(problems: Problems, path: Path, allowed: dict[str, Any] | None) -> None:
    """At most 100 user and 100 role ids, and a kind either parsed or listed, never both (as Discord)."""
    if not allowed:
        return
    for kind in ("users", "roles"):
        ids = allowed.get(kind)
        problems.max_len(path + (kind,), ids, MAX_ALLOWED_MENTIONS)
        if ids and kind in (allowed.get("parse") or ()):
            problems.add(path + ("parse",), "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE",
                         f'parse:["{kind}"] and {kind}: [ids...] are mutually exclusive.')


def check_not_empty(
    *,
    content: str | None,
    embeds: Sequence[Any],
    components: Sequence[Any],
    attachments: int,
    extra: Iterable[Any] = (),
) -> None:
    """Raise 50006 if a message would have nothing to show (as Discord does)."""
    if (content or "").strip() or embeds or components or attachments or any(extra):
        return
    raise ApiError(400, EMPTY_MESSAGE, "Cannot send an empty message")


def _check_embeds(problems: Problems, base: Path, embeds: Sequence[dict[str, Any]]) -> None:
    problems.max_len(base + ("embeds",), embeds, MAX_EMBEDS)
    total = 0
    for i, embed in enumerate(embeds):
        path = base + ("embeds", i)
        for key, limit in EMBED_LIMITS.items():
            problems.max_len(path + (key,), embed.get(key), limit)
        fields = embed.get("fields") or []
        problems.max_len(path + ("fields",), fields, MAX_EMBED_FIELDS)
        for j, f in enumerate(fields):
            # An empty field name or value is refused, a classic source of surprise 400s.
            problems.between(path + ("fields", j, "name"), f.get("name"), 1, MAX_FIELD_NAME)
            problems.between(path + ("fields", j, "value"), f.get("value"), 1, MAX_FIELD_VALUE)
        footer = (embed.get("footer") or {}).get("text")
        author = (embed.get("author") or {}).get("name")
        problems.max_len(path + ("footer", "text"), footer, MAX_FOOTER)
        problems.max_len(path + ("author", "name"), author, MAX_AUTHOR_NAME)
        total += sum(len(x or "") for x in (embed.get("title"), embed.get("description"), footer, author))
        total += sum(len(f.get("name") or "") + len(f.get("value") or "") for f in fields)
    if total > MAX_EMBED_TOTAL:
        problems.add(
            base + ("embeds",),
            "MAX_EMBED_SIZE_EXCEEDED",
            f"Embed size exceeds maximum size of {MAX_EMBED_TOTAL}",
        )


def _check_action_rows(problems: Problems, path: Path, rows: Sequence[dict[str, Any]]) -> None:
    problems.max_len(path, rows, MAX_ACTION_ROWS)
    seen: set[str] = set()
    for i, row in enumerate(rows):
        if row.get("type") != 1:
            problems.add(
                path + (i, "type"),
                "UNION_TYPE_CHOICES",
                'Value of field "type" must be one of (1,). Components v2 need the IS_COMPONENTS_V2 flag.',
            )
            continue
        _check_row(problems, path + (i,), row, seen)


def _check_row(problems: Problems, path: Path, row: dict[str, Any], seen: set[str]) -> None:
    children = row.get("components") or []
    if not children:
        problems.add(path + ("components",), "BASE_TYPE_MIN_LENGTH", "Must be 1 or more in length.")
    has_select = any(c.get("type") in SELECT_TYPES for c in children)
    if len(children) > MAX_ROW_WIDTH or (has_select and len(children) > 1):
        problems.add(
            path + ("components",),
            "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
            "The specified component exceeds the maximum width",
        )
    for j, child in enumerate(children):
        _check_interactive(problems, path + ("components", j), child, seen)


def _check_interactive(problems: Problems, path: Path, c: dict[str, Any], seen: set[str]) -> None:
    kind = c.get("type")
    custom_id = c.get("custom_id")
    if custom_id is not None:
        problems.between(path + ("custom_id",), custom_id, 1, MAX_CUSTOM_ID)
        if custom_id in seen:
            problems.add(
                path + ("custom_id",),
                "COMPONENT_CUSTOM_ID_DUPLICATED",
                "Component custom id cannot be duplicated",
            )
        seen.add(custom_id)
    if kind == 2:
        problems.max_len(path + ("label",), c.get("label"), MAX_BUTTON_LABEL)
        if c.get("style") == 5:
            if not c.get("url") or custom_id:
                problems.add(
                    path, "BUTTON_COMPONENT_URL_REQUIRED", "A link button needs a url and no custom_id"
                )
            problems.max_len(path + ("url",), c.get("url"), MAX_BUTTON_URL)
        elif c.get("style") != 6 and not custom_id:
            problems.add(path + ("custom_id",), "BASE_TYPE_REQUIRED", "This field is required")
    elif kind in SELECT_TYPES:
        if not custom_id:
            problems.add(path + ("custom_id",), "BASE_TYPE_REQUIRED", "This field is required")
        problems.max_len(path + ("placeholder",), c.get("placeholder"), MAX_PLACEHOLDER)
        options = c.get("options") or []
        if kind == 3:
            problems.between(path + ("options",), options, 1, MAX_SELECT_OPTIONS)
        for k, option in enumerate(options):
            for key in ("label", "value"):
                problems.between(path + ("options", k, key), option.get(key), 1, MAX_SELECT_TEXT)
            problems.max_len(path + ("options", k, "description"), option.get("description"), MAX_SELECT_TEXT)
        low, high = c.get("min_values", 1), c.get("max_values", 1)
        if not (0 <= low <= 25 and 1 <= high <= 25 and low <= high) or (kind == 3 and high > len(options)):
            problems.add(path + ("max_values",), "BASE_TYPE_BAD_LENGTH", "Invalid min_values/max_values")


def _check_components_v2(problems: Problems, path: Path, components: Sequence[dict[str, Any]]) -> None:
    if sum(1 for _ in walk_components(components)) > MAX_V2_COMPONENTS:
        problems.add(path, "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_V2_COMPONENTS} or fewer in length.")
    seen: set[str] = set()
    for i, c in enumerate(components):
        if c.get("type") == 1:
            _check_row(problems, path + (i,), c, seen)
        elif c.get("type") == 17:
            for j, child in enumerate(c.get("components") or []):
                if child.get("type") == 1:
                    _check_row(problems, path + (i, "components", j), child, seen)
        elif c.get("type") == 9 and isinstance(c.get("accessory"), dict):
            _check_interactive(problems, path + (i, "accessory"), c["accessory"], seen)


# --- interaction responses ----------------------------------------------------------------------


def check_modal(data: dict[str, Any]) -> None:
    """Check a modal (interaction response type 9)."""
    problems = Problems()
    base: Path = ("data",)
    problems.between(base + ("title",), data.get("title"), 1, MAX_MODAL_TITLE)
    problems.between(base + ("custom_id",), data.get("custom_id"), 1, MAX_CUSTOM_ID)
    components = data.get("components") or []
    problems.between(base + ("components",), components, 1, MAX_MODAL_COMPONENTS)
    for i, top in enumerate(components):
        path = base + ("components", i)
        kind = top.get("type")
        if kind == 1:
            children = top.get("components") or []
            if len(children) != 1 or children[0].get("type") != 4:
                problems.add(
                    path, "COMPONENT_LAYOUT_WIDTH_EXCEEDED", "A modal row holds exactly one text input"
                )
            for j, child in enumerate(children):
                # In a bare action row the text input carries the only visible label, so it is required.
                _check_text_input(problems, path + ("components", j), child, label_required=True)
        elif kind == 18:
            problems.between(path + ("label",), top.get("label"), 1, MAX_MODAL_LABEL)
            problems.max_len(path + ("description",), top.get("description"), MAX_DESCRIPTION)
            child = top.get("component") or {}
            if child.get("type") not in LABEL_CHILD_TYPES:
                problems.add(
                    path + ("component", "type"), "UNION_TYPE_CHOICES", "Invalid component type in label"
                )
            elif child.get("type") == 4:
                _check_text_input(problems, path + ("component",), child, label_required=False)
            else:
                problems.between(path + ("component", "custom_id"), child.get("custom_id"), 1, MAX_CUSTOM_ID)
                if child.get("type") in SELECT_TYPES:
                    _check_interactive(problems, path + ("component",), child, set())
        elif kind != 10:
            problems.add(
                path + ("type",), "UNION_TYPE_CHOICES", 'Value of field "type" must be one of (1, 10, 18).'
            )
    problems.raise_if_any()


def _check_text_input(problems: Problems, path: Path, c: dict[str, Any], *, label_required: bool) -> None:
    problems.between(path + ("custom_id",), c.get("custom_id"), 1, MAX_CUSTOM_ID)
    if label_required or c.get("label") is not None:
        problems.between(path + ("label",), c.get("label"), 1, MAX_MODAL_LABEL)
    problems.max_len(path + ("placeholder",), c.get("placeholder"), MAX_DESCRIPTION)
    problems.max_len(path + ("value",), c.get("value"), MAX_TEXT_INPUT)
    if c.get("style") not in (1, 2):
        problems.add(path + ("style",), "BASE_TYPE_CHOICES", "Value must be one of (1, 2).")
    for key in ("min_length", "max_length"):
        value = c.get(key)
        if value is not None and not 0 <= value <= MAX_TEXT_INPUT:
            problems.add(
                path + (key,),
                "NUMBER_TYPE_MAX",
                f"Int value should be less than or equal to {MAX_TEXT_INPUT}.",
            )


def check_autocomplete(data: dict[str, Any]) -> None:
    """Check an autocomplete result (interaction response type 8)."""
    problems = Problems()
    choices = data.get("choices") or []
    problems.max_len(("data", "choices"), choices, MAX_CHOICES)
    for i, choice in enumerate(choices):
        _check_choice(problems, ("data", "choices", i), choice)
    problems.raise_if_any()


def _check_choice(problems: Problems, path: Path, choice: dict[str, Any]) -> None:
    problems.between(path + ("name",), choice.get("name"), 1, MAX_SELECT_TEXT)
    if isinstance(choice.get("value"), str):
        problems.max_len(path + ("value",), choice["value"], MAX_SELECT_TEXT)
    for locale, name in (choice.get("name_localizations") or {}).items():
        _check_locale(problems, path + ("name_localizations",), locale)
        problems.between(path + ("name_localizations", locale), name, 1, MAX_SELECT_TEXT)


# --- application commands -----------------------------------------------------------------------


def check_commands(commands: Sequence[dict[str, Any]]) -> None:
    """Check a bulk-overwrite list of application commands."""
    problems = Problems()
    if not isinstance(commands, list):
        problems.add((), "BASE_TYPE_ARRAY", "Must be an array.")
        problems.raise_if_any()
    seen: set[tuple[int, str]] = set()
    for i, command in enumerate(commands):
        key = (command.get("type") or 1, command.get("name") or "")
        if key in seen:
            problems.add(
                (i, "name"), "APPLICATION_COMMANDS_DUPLICATE_NAME", "Application command names must be unique"
            )
        seen.add(key)
        check_command(problems, (i,), command)
    problems.raise_if_any()


def check_command(problems: Problems, path: Path, command: dict[str, Any]) -> None:
    """Check one application command (slash or context menu)."""
    kind = command.get("type") or 1
    if kind not in (1, 2, 3):
        problems.add(path + ("type",), "BASE_TYPE_CHOICES", "Value must be one of (1, 2, 3).")
        return
    if kind == 1:
        _check_slash_name(problems, path + ("name",), command.get("name"))
        problems.between(path + ("description",), command.get("description"), 1, MAX_DESCRIPTION)
        _check_localizations(problems, path, command, slash=True)
        _check_options(problems, path, command.get("options") or [], depth=0)
        if _command_size(command) > MAX_COMMAND_TOTAL:
            problems.add(path, "APPLICATION_COMMAND_TOO_LARGE", "Command exceeds maximum size (4000)")
    else:
        problems.between(path + ("name",), command.get("name"), 1, MAX_COMMAND_NAME)
        if command.get("description"):
            problems.add(
                path + ("description",),
                "APPLICATION_COMMAND_CONTEXT_MENU_DESCRIPTION",
                "Context menu commands cannot have description",
            )
        if command.get("options"):
            problems.add(
                path + ("options",),
                "APPLICATION_COMMAND_CONTEXT_MENU_OPTIONS",
                "Context menu commands cannot have options",
            )
        _check_localizations(problems, path, command, slash=False)


def _check_slash_name(problems: Problems, path: Path, name: str | None) -> None:
    if not name or not COMMAND_NAME.match(name) or name != name.lower():
        problems.add(path, "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")


def _check_locale(problems: Problems, path: Path, locale: str) -> None:
    if locale not in LOCALES:
        problems.add(path + (locale,), "ENUM_TYPE_COERCE", f'Value "{locale}" is not a valid enum value.')


def _check_localizations(problems: Problems, path: Path, item: dict[str, Any], *, slash: bool) -> None:
    for locale, name in (item.get("name_localizations") or {}).items():
        _check_locale(problems, path + ("name_localizations",), locale)
        if slash:
            _check_slash_name(problems, path + ("name_localizations", locale), name)
        else:
            problems.between(path + ("name_localizations", locale), name, 1, MAX_COMMAND_NAME)
    for locale, text in (item.get("description_localizations") or {}).items():
        _check_locale(problems, path + ("description_localizations",), locale)
        problems.between(path + ("description_localizations", locale), text, 1, MAX_DESCRIPTION)


def _check_options(problems: Problems, path: Path, options: Sequence[dict[str, Any]], *, depth: int) -> None:
    problems.max_len(path + ("options",), options, MAX_OPTIONS)
    names: set[str] = set()
    optional_seen = False
    for i, option in enumerate(options):
        opath = path + ("options", i)
        kind = option.get("type")
        _check_slash_name(problems, opath + ("name",), option.get("name"))
        if option.get("name") in names:
            problems.add(
                opath + ("name",),
                "APPLICATION_COMMAND_OPTION_NAME_ALREADY_EXISTS",
                "Option names must be unique",
            )
        names.add(option.get("name") or "")
        problems.between(opath + ("description",), option.get("description"), 1, MAX_DESCRIPTION)
        _check_localizations(problems, opath, option, slash=True)
        if kind in (1, 2):
            # Groups may hold subcommands only; subcommands may not nest further.
            allowed = {1} if kind == 2 else set(range(3, 12))
            if depth >= 2 or (depth == 1 and kind == 2):
                problems.add(
                    opath + ("type",), "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID", "Subcommands nest too deep"
                )
            for k, child in enumerate(option.get("options") or []):
                if child.get("type") not in allowed:
                    problems.add(
                        opath + ("options", k, "type"),
                        "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
                        "Sub-command and sub-command group option types are mutually exclusive",
                    )
            _check_options(problems, opath, option.get("options") or [], depth=depth + 1)
            continue
        if kind not in range(3, 12):
            problems.add(opath + ("type",), "BASE_TYPE_CHOICES", "Value must be one of (1..11).")
        if option.get("required"):
            if optional_seen:
                problems.add(
                    opath + ("required",),
                    "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                    "Required options must be placed before non-required options",
                )
        else:
            optional_seen = True
        choices = option.get("choices") or []
        problems.max_len(opath + ("choices",), choices, MAX_CHOICES)
        for k, choice in enumerate(choices):
            _check_choice(problems, opath + ("choices", k), choice)
        if choices and option.get("autocomplete"):
            problems.add(
                opath + ("autocomplete",),
                "APPLICATION_COMMAND_OPTION_CHOICES_AUTOCOMPLETE",
                "Autocomplete cannot be enabled on options that have choices",
            )


def _command_size(command: dict[str, Any]) -> int:
    """Count the characters Discord adds up against the 4000 per-command limit."""

    def size(option: dict[str, Any]) -> int:
        total = len(option.get("name") or "") + len(option.get("description") or "")
        total += sum(
            len(c.get("name") or "") + len(str(c.get("value") or "")) for c in option.get("choices") or []
        )
        return total + sum(size(o) for o in option.get("options") or [])

    return size(command)
