"""Checks on what users type: handles, links, lengths, choices and yes/no, each failing with a catalog
text."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Generic, TypeVar
from urllib.parse import urlsplit

import email_validator
import idna

from bot.errors import UserError
from bot.i18n import LANGUAGES, Language, render
from bot.replies import Choice, Join, Literal, Text, text

X_HANDLE = re.compile(r"^[A-Za-z0-9_]{1,15}$")
# A profile link as the app's share button copies it (with or without https://, an @, a ?s=… query).
X_PROFILE_URL = re.compile(
    r"^(?:https?://)?(?:www\.|mobile\.)?(?:x|twitter)\.com/@?([A-Za-z0-9_]{1,15})/?(?:[?#]\S*)?$",
    re.IGNORECASE,
)
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
YES = {"ja", "j", "yes", "y", "true", "1", "on", "sant"}
NO = {"nej", "n", "no", "false", "0", "off", "falskt"}
MAX_URL = 300
# Invisible characters that mean nothing at the start or end of a text (inside, a joiner may join an emoji).
EDGE_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"
E = TypeVar("E", bound=StrEnum)
# What separates the days of a list ("21, 14", "14 7 3", "7;1"), and the words that mean "none".
DAY_LIST_SEPARATOR = re.compile(r"[\s,;+/]+")
NONE_WORDS = frozenset({"av", "off", "none", "inga", "ingen", "nej", "no"})


class FieldProblem(UserError):
    """One field's value is not acceptable."""

    def __init__(self, field_label: Text, problem: Text) -> None:
        super().__init__("errors.field", field=field_label, problem=problem)
        self.field_label = field_label
        self.problem = problem


class FormProblems(UserError):
    """Several fields of a form are not acceptable; all are reported at once."""

    def __init__(self, problems: list[FieldProblem]) -> None:
        super().__init__("errors.form", count=len(problems),
                         problems=Join(tuple(p.text for p in problems), separator="\n", bullet="• "))
        self.problems = problems


def clean_text(value: str | None, label: Text, *, max_length: int, required: bool = False) -> str | None:
    """Strip a free text (None: not given); refuse control characters, overlong text and a missing required
    value. A text with nothing visible in it (zero-width spaces, bidirectional controls …) is not given.

    Bidirectional controls and right-to-left letters are kept as typed: a name in Arabic or Hebrew may need
    them. Where user text is shown, the renderers isolate it (bot.bidi), so it cannot turn other text around.
    Zero-width spaces, joiners and byte-order marks at either end are dropped with the white space, so that
    "Parkering\u200b" is the same title as "Parkering".
    """
    value = (value or "").strip().strip(EDGE_INVISIBLE).strip()
    if not has_visible(value):
        if required:
            raise FieldProblem(label, text("errors.required"))
        return None
    if CONTROL.search(value):
        raise FieldProblem(label, text("errors.control_characters"))
    if len(value) > max_length:
        raise FieldProblem(label, text("errors.too_long", max=max_length, length=len(value)))
    return value


def x_handle(value: str | None, label: Text) -> str | None:
    """Accept @name, name or an x.com/twitter.com profile link; return the bare handle. Errors show what was
    typed."""
    value = (value or "").strip()
    if not value:
        return None
    if match := X_PROFILE_URL.match(value):
        handle = match.group(1)
        if handle.lower() in X_ROUTES:
            raise FieldProblem(label, text("errors.x_handle", value=value[:40]))
    else:
        handle = value.removeprefix("@")
    if handle.lower() in MENTION_WORDS:
        raise FieldProblem(label, text("errors.x_handle_mention", value=value[:40]))
    if not X_HANDLE.match(handle):
        raise FieldProblem(label, text("errors.x_handle", value=value[:40]))
    if any(word in handle.lower() for word in X_FORBIDDEN_WORDS):
        raise FieldProblem(label, text("errors.x_handle_reserved", value=value[:40]))
    return handle


def web_url(value: str | None, label: Text, *, host_suffix: str | None = None) -> str | None:
    """Accept an http(s) link (adding https:// when left out); optionally only on one site. Errors show the
    link as it was typed."""
    typed = (value or "").strip()
    if not typed:
        return None
    scheme = URL_SCHEME.match(typed)
    if scheme and scheme.group(1).lower() not in WEB_SCHEMES:
        raise FieldProblem(label, text("errors.url_scheme", value=typed[:60], scheme=scheme.group(1)[:20]))
    url = typed if scheme else "https://" + typed
    host = _web_host(url)
    if host is None or len(url) > MAX_URL:
        raise FieldProblem(label, text("errors.url", value=typed[:60]))
    if host_suffix and not (host == host_suffix or host.endswith("." + host_suffix)):
        raise FieldProblem(label, text("errors.url_site", site=host_suffix))
    return url


def yes_no(value: str | bool, label: Text, *, default: bool | None = None) -> bool:
    """Read ja/nej, yes/no, true/false."""
    if isinstance(value, bool):
        return value
    folded = (value or "").strip().lower()
    if not folded and default is not None:
        return default
    if folded in YES:
        return True
    if folded in NO:
        return False
    raise FieldProblem(label, text("errors.yes_no", value=value[:40]))


# -- Ids and whole numbers read from what was typed or from a button -----------------------------------------
# str.isdigit() also takes "٣" and "３" (which int() reads as 3), and int() takes any length: an id typed as
# 20 digits overflowed the database's integer. Every id or number from user text or a button is read here.

# The ids a row can have: the models' `id` columns are `integer`, 32 bits on PostgreSQL (64 on SQLite).
MAX_RECORD_ID = 2**31 - 1
ASCII_WHOLE_NUMBER = re.compile(r"[+-]?[0-9]+")  # [0-9], not \d: \d takes every script's digits too
# The longest whole number read at all: longer is no number anyone means (and never an id).
MAX_NUMBER_DIGITS = 18


def whole_number(value: str | None) -> int | None:
    """A whole number typed in ASCII digits, with an optional sign ("12", "-3"); None when it is not one."""
    folded = (value or "").strip()
    if not ASCII_WHOLE_NUMBER.fullmatch(folded) or len(folded.lstrip("+-")) > MAX_NUMBER_DIGITS:
        return None
    return int(folded)


def record_id(value: str | None) -> int | None:
    """The id of a row typed or carried by a button ("12" or "#12"); None when it cannot be one: not ASCII
    digits, or outside 1..MAX_RECORD_ID (which the database could not even compare)."""
    folded = (value or "").strip().removeprefix("#")
    if not folded.isascii() or not folded.isdigit():
        return None
    number = whole_number(folded)
    return number if number is not None and 1 <= number <= MAX_RECORD_ID else None


# -- end of the ids block ---------------------------------------------------------------------------------


def fold(value: str) -> str:
    """Compare names without case and diacritics: "Sölvesborg" == "solvesborg"."""
    decomposed = unicodedata.normalize("NFKD", value.strip().lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def choice(
    value: str | None, label: Text, choices: Iterable[Choice], *, required: bool = False
) -> str | None:
    """Match a typed value to a choice by its value or its label in any language (None: not given)."""
    options = list(choices)
    value = value or ""
    folded = fold(value)
    if not folded:
        if required:
            raise FieldProblem(label, text("errors.required"))
        return None
    for option in options:
        names = {fold(option.value)} | {fold(render(option.label, lang)) for lang in LANGUAGES}
        if folded in names:
            return option.value
    raise FieldProblem(label, text("errors.choice", value=value[:40],
                                   options=Join(tuple(o.label for o in options))))


@dataclass(frozen=True)
class ChoiceSet(Generic[E]):
    """A fixed set of choices as an enum: offered as `choices` (each named by the catalog text
    `<key>.<value>`), and read from what was typed by `read` (the value or its label in either language), with
    the friendly error named by `label`. The edges read an option with it; a form or a button that hands a
    service a raw string reads it with the same `read`. `aliases`: other words for a value, folded.
    `problem`: the catalog text of a set that says in its own words what it takes (given the value typed and
    the options), instead of the field's "not one of the choices"."""

    enum: type[E]
    label_key: str
    key: str
    aliases: Mapping[str, str] = field(default_factory=dict)
    problem: str | None = None

    @property
    def choices(self) -> tuple[Choice, ...]:
        return tuple(Choice(member, text(f"{self.key}.{member.value}")) for member in self.enum)

    def read(self, raw: str | None, *, required: bool = False) -> E | None:
        """The member typed (None: not given)."""
        if isinstance(raw, self.enum):
            return raw
        typed = raw or ""
        wanted = self.aliases.get(fold(typed), typed)
        try:
            found = choice(wanted, text(self.label_key), self.choices, required=required)
        except FieldProblem:
            if self.problem is None or not fold(typed):
                raise
            raise UserError(self.problem, value=typed.strip()[:40],
                            options=Join(tuple(c.label for c in self.choices))) from None
        return None if found is None else self.enum(found)

    def required(self, value: E | None) -> E:
        """A required option's member, or the friendly error that it is missing."""
        if value is None:
            raise FieldProblem(text(self.label_key), text("errors.required"))
        return value


def day_list(value: str | None, label: Text, *, problem: str, lowest: int, highest: int,
             none_words: Iterable[str] = NONE_WORDS) -> list[int]:
    """Read a list of days ("21, 14") into distinct whole days, latest first; a word of `none_words` means
    none.

    Each day must lie in lowest..highest; otherwise the catalog text `problem` (given the value and the
    highest day) says what is wrong.
    """
    folded = fold(value or "")
    if folded in none_words:
        return []
    days: set[int] = set()
    for part in filter(None, DAY_LIST_SEPARATOR.split(folded)):
        day = whole_number(part)
        if day is None or not lowest <= day <= highest:
            raise FieldProblem(label, text(problem, value=(value or "")[:40], max=highest))
        days.add(day)
    if not days:
        raise FieldProblem(label, text(problem, value=(value or "")[:40], max=highest))
    return sorted(days, reverse=True)


def day_list_label(days: Iterable[int]) -> Literal:
    """Show a list of days as day_list reads it back: "21, 14"."""
    return Literal(", ".join(str(day) for day in days))


def refuse_unknown_fields(given: Iterable[str], allowed: Iterable[str]) -> None:
    """Refuse field names a command does not have (a caller's mistake, e.g. a typo in a console option)."""
    unknown = sorted(set(given) - set(allowed))
    if unknown:
        raise UserError("errors.unknown_fields", fields=", ".join(unknown))


def collect(problems: list[FieldProblem]) -> None:
    """Raise all problems of a form at once (or the only one as it is)."""
    if len(problems) == 1:
        raise problems[0]
    if problems:
        raise FormProblems(problems)


def read_all(readers: Mapping[str, Callable[[], Any]]) -> dict[str, Any]:
    """Run every check of a form, and report all the problems at once (or return the values by name)."""
    problems: list[FieldProblem] = []
    values: dict[str, Any] = {}
    for name, read in readers.items():
        try:
            values[name] = read()
        except FieldProblem as problem:
            problems.append(problem)
    collect(problems)
    return values


# The language of a member or of a workspace: sv/en, or its name in either language.
LANGUAGE = ChoiceSet(Language, "field.language", "language", problem="errors.language")


# -- Text that is what it looks like: visible, and handles, e-mail addresses and links as they are typed. ----

# What takes no room of its own when shown: format characters (zero-width spaces and joiners, the byte order
# mark, bidirectional controls, tags), separators, control characters, combining marks with nothing to sit on
# and variation selectors (Mn). Unicode keeps a few blank characters among the letters and symbols: the
# Hangul fillers and the empty braille pattern.
INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zs", "Zl", "Zp", "Mn", "Me"})
BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
# Words Discord and Slack read as a call to everyone (@everyone, @here, @channel): never a handle to store.
MENTION_WORDS = frozenset({"everyone", "here", "channel"})
# X's rule: no username may contain these words.
X_FORBIDDEN_WORDS = ("twitter", "admin")
# Paths of x.com that look like a profile link but are pages of the site.
X_ROUTES = frozenset({"home", "explore", "search", "notifications", "messages", "settings", "i", "intent",
                      "share", "compose", "login", "signup", "logout", "tos", "privacy", "hashtag"})
# A link's scheme, "javascript:" as well as "https:"; not a host and port ("example.se:8080"). Schemes may
# hold dots, but none a member would type does, and a name with a dot before a colon is a host.
URL_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+-]*):(?!\d)")
WEB_SCHEMES = ("http", "https")
# Characters a link never holds unencoded; <, > and " would end it early in a message's markup.
URL_FORBIDDEN = frozenset('<>"\\`')
MAX_EMAIL = 200


def has_visible(value: str) -> bool:
    """Tell whether a text holds at least one character that shows."""
    return any(char not in BLANK_LETTERS and unicodedata.category(char) not in INVISIBLE_CATEGORIES
               for char in value)


def _web_host(url: str) -> str | None:
    """The host of an http(s) link, lower case; None when the link is not one a browser opens as typed."""
    if any(char in URL_FORBIDDEN or char.isspace() or unicodedata.category(char) in ("Cc", "Cf")
           for char in url):
        return None
    try:
        parts = urlsplit(url)
        if parts.port == 0:  # a port that is not a number raises ValueError here
            return None
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    # A user name in a link (https://bank.se@elsewhere.example) hides where it leads.
    if parts.scheme.lower() not in WEB_SCHEMES or "." not in host.strip(".") or "@" in parts.netloc:
        return None
    try:
        idna.encode(host, uts46=True)
    except (idna.IDNAError, UnicodeError):
        return None
    return host


def email_address(value: str | None, label: Text) -> str | None:
    """Accept an e-mail address (None: not given), checked by email-validator without asking DNS; returns it
    normalised (the domain in lower case). Errors show the address as it was typed."""
    typed = clean_text(value, label, max_length=MAX_EMAIL)
    if typed is None:
        return None
    try:
        checked = email_validator.validate_email(typed, check_deliverability=False)
    except email_validator.EmailNotValidError:
        # The library's reason is English only; the catalog text says it in the reader's language.
        raise FieldProblem(label, text("errors.email", value=typed[:60])) from None
    return checked.normalized
