"""Every command declared in bot/commands.py, every text, id, date, handle, e-mail and URL option, fed the
classes of hostile input through the text surface (the console's line, which Slack's `/jobb` reads the same),
in Swedish and in English, on a seeded workspace.

For each line: no crash (no `errors.unexpected`, no exception); a refusal leaves every table as it was; and a
refusal is in the user's language only (no text of the other catalog, no words from neither: a library's
message) and names the field it refuses. The commands and their options are read from the declarations, so a
command added later is fed the same without anyone listing it here.

Beyond not crashing, some classes must be refused where they are fed: an invisible required value, `@everyone`
as a handle, `<script>@x.se` as an e-mail, a time that has passed (`test_what_must_be_refused_is_refused`).
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import re
import shlex
import shutil
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from babel.numbers import format_decimal

from bot import i18n
from bot.app import App
from bot.clock import OffsetClock
from bot.commands import Command, CommandError, Kind, all_commands
from bot.config import Settings, load_settings
from bot.console import Console, ConsoleNotifier, run_console
from bot.errors import UserError
from bot.models import Base
from bot.replies import Join, Literal, Text, When
from bot.validation import FieldProblem, FormProblems

# Tuesday 1 December 2026, 10:00 in Stockholm, as the other console tests.
START = datetime(2026, 12, 1, 10, 0, tzinfo=ZoneInfo("Europe/Stockholm"))
# Who acts, in which language and role: every case runs in Swedish and in English.
COORDINATORS = {"sv": "Karin", "en": "Kate"}
MEMBERS = {"sv": "Anna", "en": "Ann"}
# The seeded workspace: issue 1, a politician, a media contact, a stance, a council's seats, story 1 by Anna,
# two coordinators and two onboarded members, one of each in English.
ONBOARD = ("/onboard company:{company} industry:handel company_size:2-9 municipality:Karlskrona "
           "experience:none dm_reminders:ja consent:ja")
SEED = (
    ":as Karin coordinator",
    ('/issue create title:"Parkering i centrum" summary:"Kommunen vill ta bort 200 platser." '
     'municipality:Karlskrona body:kommunfullmaktige decision:"28 jan 18:00" hashtag:#ParkeraKarlskrona '
     'position:"Behåll platserna."'),
    ('/politician add name:"Åsa Ek" party:S municipality:Karlskrona body:KF x_handle:asaek '
     "email:asa.ek@karlskrona.se"),
    '/media add name:"Blekinge Läns Tidning" municipality:Karlskrona x_handle:blt',
    '/stance set issue:1 politician:"Åsa Ek" stance:for',
    '/council seats municipality:Karlskrona body:kommunfullmaktige seats:"S:18, M:14"',
    ":as Kate coordinator",
    "/language language:en",
    ":as Anna",
    ONBOARD.format(company='"Annas Blommor"'),
    '/story share title:"Tweeten gav kunder" kind:tweet value:"Tre nya kunder." visibility:group',
    "/did kind:tweet",
    ":as Ann",
    ONBOARD.format(company='"Anns Bageri"'),
    "/language language:en",
)
# What fills an option that is not the one under test, when the command needs it: things the seed made.
VALID = {
    "issue": "1", "politician": "Åsa Ek", "story": "1", "media": "Blekinge Läns Tidning",
    "title": "Ny fråga", "summary": "En kort sammanfattning.", "decision": "20 jan 18:00",
    "hashtag": "#NyTagg", "position": "Vi vill något.", "link": "https://x.com/anna/status/2",
    "name": "Bo Berg", "party": "M", "seats": "S:18, M:14", "query": "kunder", "text": "Ett utkast.",
    "municipality": "Karlskrona", "company": "Nytt Företag AB", "value": "Två nya kunder.",
    # A watched source's address: a closed port here, so that a source the case adds is polled offline.
    "url": "http://127.0.0.1:9/anslagstavla.rss",
}
# Names the seed gave, and the values VALID fills in: an answer may echo them in either language.
SEEDED_NAMES = ("Parkering i centrum", "Åsa Ek", "Blekinge Läns Tidning", "Tweeten gav kunder", "Karin",
                "Kate", "Anna", "Ann", "Annas Blommor", "Anns Bageri", "Karlskrona", "ParkeraKarlskrona",
                "Jobbskaparna")


@dataclass(frozen=True)
class Hostile:
    """A class of hostile input and one value of it."""

    name: str
    value: str
    raw: bool = False  # put in the line as it is (an unbalanced quote), not quoted


HOSTILE = (
    Hostile("empty", ""),
    Hostile("whitespace", "   "),
    Hostile("zero_width", "\u200b"),
    Hostile("bidi_override", "\u202eevil"),
    Hostile("bidi_isolate", "\u2067isolated"),
    Hostile("control", "a\x07b\x1b[31m"),
    Hostile("overlong", "lång " * 1000),
    Hostile("twenty_digits", "9" * 20),
    Hostile("negative", "-1"),
    Hostile("zero", "0"),
    Hostile("arabic_digit", "٣"),
    Hostile("fullwidth_digit", "３"),
    Hostile("everyone", "@everyone"),
    Hostile("script", "<script>alert(1)</script>"),
    Hostile("javascript_url", "javascript:alert(1)"),
    Hostile("script_email", "<script>@x.se"),
    Hostile("unbalanced_quote", '"Parkering', raw=True),
    Hostile("sql", "1; DROP TABLE issue; --"),
    Hostile("emoji", "🚀🔥👏🏽"),
    Hostile("date_past", "1 jan 2020 18:00"),
    Hostile("date_impossible", "30 feb 18:00"),
    Hostile("yesterday", "igår"),
)
# What an integer option is fed (the text classes make little sense for a number).
NUMERIC = ("empty", "twenty_digits", "negative", "zero", "arabic_digit", "fullwidth_digit", "sql", "emoji",
           "whitespace", "zero_width")
# What a free text is fed.
TEXT_FEEDS = ("empty", "whitespace", "zero_width", "bidi_override", "bidi_isolate", "control", "overlong",
              "twenty_digits", "everyone", "script", "unbalanced_quote", "sql", "emoji")
# What a choice or a yes/no is fed (they read their own words only).
CHOICE_FEEDS = ("zero_width", "arabic_digit", "emoji", "unbalanced_quote")
TEXT_KINDS = (Kind.STRING, Kind.CHANNEL, Kind.ROLE)
TABLES = tuple(table.name for table in Base.metadata.sorted_tables)


# -- the cases, from the declarations ----------------------------------------------------------------------


@dataclass(frozen=True)
class Fed:
    """One option of a command as the text surface takes it: from the command's options or its form."""

    name: str
    kind: Kind
    required: bool
    choices: tuple[str, ...] = ()  # the values a choice takes
    lookup: bool = False  # names a row (an issue, a story …): suggested as the user types

    @property
    def free_text(self) -> bool:
        """A name or a text the bot keeps as typed: not a lookup, a date, a link, an address or a handle."""
        return not self.lookup and self.name not in READ_AS


# Text options that are read as something else than free text, by name (a text surface has only strings).
READ_AS = frozenset({"decision", "checked", "from", "to", "link", "source", "linkedin_url", "blog_url",
                     "email", "x_handle", "hashtag", "seats", "ask_days", "days", "timezone", "step",
                     "voted_for", "url"})


def fed_options(command: Command) -> tuple[Fed, ...]:
    """The options a line of the command may give: its declared options, or its form's fields."""
    declared = tuple(Fed(o.name, o.kind, o.required, tuple(str(c.value) for c in o.choices),
                         lookup=o.suggest is not None) for o in command.options)
    if command.form is None:
        return declared
    return declared + tuple(Fed(f.name, Kind.BOOLEAN if f.kind == "bool" else Kind.STRING, f.required,
                                tuple(str(c.value) for c in f.choices)) for f in command.form().fields)


def fed_hostile(fed: Fed) -> tuple[Hostile, ...]:
    """The hostile classes an option is fed: every class to a text read as something (an id, a date, a link
    …), the numeric ones to a number, a few to a choice or yes/no (which read their own words only); a free
    text is fed what can break a text (the classes of dates, links and digits are only text to it)."""
    if fed.kind is Kind.ATTACHMENT:
        return ()  # a file: the CSV import's own tests feed files
    if fed.kind is Kind.INTEGER and not fed.choices:
        return tuple(h for h in HOSTILE if h.name in NUMERIC)
    if fed.choices or fed.kind is Kind.BOOLEAN:
        return tuple(h for h in HOSTILE if h.name in CHOICE_FEEDS)
    assert fed.kind in TEXT_KINDS, fed
    return tuple(h for h in HOSTILE if h.name in TEXT_FEEDS) if fed.free_text else HOSTILE


def valid_value(fed: Fed) -> str:
    if fed.kind is Kind.BOOLEAN:
        return "ja"
    if fed.choices:
        return fed.choices[0]
    return VALID.get(fed.name, "Något")


def line(command: Command, fed: Fed | None, hostile: Hostile) -> str:
    """The command with its required options valid and `fed` hostile (None: a stray word instead)."""
    parts = ["/" + " ".join(command.path)]
    for other in fed_options(command):
        if other.required and other != fed:
            parts.append(f"{other.name}:{shlex.quote(valid_value(other))}")
    if fed is None:
        parts.append(shlex.quote(hostile.value) if not hostile.raw else hostile.value)
    else:
        parts.append(f"{fed.name}:{hostile.value if hostile.raw else shlex.quote(hostile.value)}")
    return " ".join(parts)


@dataclass(frozen=True)
class Case:
    command: Command
    fed: Fed | None
    hostile: Hostile

    @property
    def line(self) -> str:
        return line(self.command, self.fed, self.hostile)


def cases(command: Command) -> Iterator[Case]:
    # Every command, also one without options, gets a stray word: the line's own parsing is fed too.
    yield Case(command, None, Hostile("stray_word", "٣٣ 😀"))
    yield Case(command, None, HOSTILE_BY_NAME["unbalanced_quote"])
    for fed in fed_options(command):
        for hostile in fed_hostile(fed):
            yield Case(command, fed, hostile)


HOSTILE_BY_NAME = {h.name: h for h in HOSTILE}


def command_id(command: Command) -> str:
    return "_".join(command.path)


# -- what a refusal may say ----------------------------------------------------------------------------------

PLACEHOLDER = re.compile(r"\{[^{}]*\}")
WORD = re.compile(r"[^\W\d_]{3,}")  # a word of three letters or more, in any script
HOST = re.compile(r"[a-z0-9.-]+\.[a-z]{2,}")  # a site a link must be on ("linkedin.com"): no language


def texts_in(item: object) -> Iterator[Text]:
    """The catalog texts a refusal is made of: its own and those in its parameters."""
    if isinstance(item, Text):
        yield item
        for param in item.params.values():
            yield from texts_in(param)
    elif isinstance(item, Join):
        for part in item.items:
            yield from texts_in(part)


@cache
def foreign(language: str) -> tuple[str, ...]:
    """Pieces of the other catalog's texts that no text of this one has: a sign of the other language."""
    other = "en" if language == "sv" else "sv"
    own = "\n".join(i18n.catalog(language).values())
    pieces = {piece.strip() for value in i18n.catalog(other).values() for piece in PLACEHOLDER.split(value)}
    return tuple(p for p in pieces if len(p) >= 14 and WORD.search(p) and p not in own)


def leftover_words(said: str, refusal: Text, language: str, echoed: Sequence[str]) -> list[str]:
    """The words of a refusal that come neither from the texts it is made of (in the language) nor from what
    was typed or stored: a library's message, or words of another language."""
    rest = said
    # The catalog's pieces first (an echo may be a word of them), only those with words (a "." would break
    # the echo "x.se"); then what was typed or stored.
    # A plural form's branches are pieces too, cut where the number (#) goes.
    pieces = {piece.strip() for item in texts_in(refusal)
              for piece in PLACEHOLDER.split(i18n.flattened(i18n.catalog(language).get(item.key, ""))
                                             .replace("#", "{}"))}
    for piece in sorted(pieces, key=len, reverse=True):
        if WORD.search(piece):
            rest = rest.replace(piece, " ")
    for value in sorted(echoed, key=len, reverse=True):
        cuts = {value, value.strip(), *(value.strip()[:n] for n in (20, 40, 60, 80, 100))}
        for cut in sorted(cuts, key=len, reverse=True):
            if cut.strip():
                rest = rest.replace(cut, " ")
    return WORD.findall(rest)


def field_names(command: Command, fed: Fed, language: str) -> set[str]:
    """The ways a refusal may name a field: the option's name in the language (as typed there, or in English
    where the name is typed) and the form's field label."""
    names = {fed.name.replace("_", " ")}
    key = f"{command.catalog_key}.opt.{fed.name}.name"
    if i18n.has(key, language):
        names.add(i18n.translate(key, language))
    if command.form is not None:
        names |= {i18n.render(f.label, language) for f in command.form().fields if f.name == fed.name}
    return {name.casefold() for name in names}


# -- running the lines -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seeded(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file with the seeded workspace; each test works on a copy."""
    path = tmp_path_factory.mktemp("bad_input") / "seeded.db"
    shutil.copy(sqlite_template, path)
    out = io.StringIO()
    asyncio.run(run_console(settings_for(path), stdin=io.StringIO("\n".join(SEED)), out=out, start=START))
    seeding = out.getvalue()
    assert "Något gick fel" not in seeding and seeding.count("Välkommen ombord") == 2, seeding
    return path


def settings_for(path: Path) -> Settings:
    return load_settings(database_url=f"sqlite+aiosqlite:///{path}", data_dir=path.parent / "data",
                         output_dir=path.parent / "out", _env_file=None)


@dataclass
class Outcome:
    said: str
    error: BaseException | None  # what the line raised inside the console (None: it was answered)
    changed: bool


class Surface:
    """A console on a copy of the seeded database, whose lines are run as a user types them; the copy is
    put back whenever a line was accepted and changed something, so that each line meets the seed."""

    def __init__(self, seeded: Path, work: Path) -> None:
        self.seeded = seeded
        self.path = work / "bad_input.db"
        shutil.copy(seeded, self.path)
        self.out = io.StringIO()
        self.app = App(settings_for(self.path), OffsetClock(START))
        self.console = Console(self.app, OffsetClock(START), self.out, work / "out")
        notifier = ConsoleNotifier(self.console)
        self.app.notifier = notifier
        self.app.dispatcher.notifier = notifier
        self.raised: list[BaseException] = []
        slash = self.console._slash

        async def recorded(text_line: str) -> None:
            try:
                await slash(text_line)
            except BaseException as error:
                self.raised.append(error)
                raise

        self.console._slash = recorded  # type: ignore[method-assign]
        self.user: str | None = None
        self.snapshot: Any = None
        self.seed_rows = self.rows()

    def rows(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of every table (read beside the App's engine: SQLite in WAL mode lets it)."""
        with contextlib.closing(sqlite3.connect(self.path)) as connection:
            return {name: sorted(connection.execute(f'SELECT * FROM "{name}"').fetchall(), key=repr)
                    for name in TABLES}

    async def act_as(self, name: str, *, coordinator: bool) -> None:
        if self.user != name:
            await self.console.handle(f":as {name}{' coordinator' if coordinator else ''}")
            self.user = name
            self.snapshot = self.rows()

    async def run(self, text_line: str) -> Outcome:
        before = self.snapshot
        start = len(self.out.getvalue())
        self.raised.clear()
        assert await self.console.handle(text_line)
        said = self.out.getvalue()[start:]
        after = self.rows()
        outcome = Outcome(said, self.raised[-1] if self.raised else None, after != before)
        if outcome.changed:
            await self.reset()
        return outcome

    async def reset(self) -> None:
        """Put the seed's rows back (beside the App's idle connections, as WAL lets a second writer)."""
        with contextlib.closing(sqlite3.connect(self.path, isolation_level=None)) as connection:
            connection.execute("ATTACH DATABASE ? AS seed", (str(self.seeded),))
            connection.execute("BEGIN IMMEDIATE")
            for name in reversed(TABLES):
                connection.execute(f'DELETE FROM "{name}"')
            for name in TABLES:
                connection.execute(f'INSERT INTO "{name}" SELECT * FROM seed."{name}"')
            connection.execute("COMMIT")
        self.snapshot = self.rows()
        assert self.snapshot == self.seed_rows

    async def close(self) -> None:
        await self.app.close()


# -- judging an answer ---------------------------------------------------------------------------------------


def params_in(item: object) -> Iterator[tuple[str, object]]:
    """The values a refusal's texts were given (not texts themselves), by parameter name."""
    for found in texts_in(item):
        for name, param in found.params.items():
            if isinstance(param, Join):
                yield from ((name, part) for part in param.items if not isinstance(part, Text | Join))
            elif not isinstance(param, Text):
                yield name, param


# Options that hold the names of other things: a refusal naming the thing names the option.
HOLDS = {"voted_for": "politician"}
# Parameters that show what to type (as the parser reads it, in either language): input, not language.
TYPED_EXAMPLES = frozenset({"examples"})


def echoes(refusal: Text, typed_line: str, language: str) -> list[str]:
    """What a refusal may show that is no text of a catalog: what was typed, what is stored (a Literal: a
    name, a key), numbers, the names of commands and options as typed, examples of what to type; never a
    message of a library, which is a plain string the user did not type."""
    shown: list[str] = [*VALID.values(), *SEEDED_NAMES, *(" ".join(c.path) for c in all_commands()),
                        *(i18n.command_name(" ".join(c.path), language) for c in all_commands()),
                        *(o.name for c in all_commands() for o in fed_options(c))]
    typed_words = set(WORD.findall(typed_line)) | {"https", "http"}
    for name, param in params_in(refusal):
        if isinstance(param, Literal):
            shown.append(param.value)
        elif isinstance(param, When):  # a moment, as the reader's calendar shows it
            shown.append(i18n.render(param, language))
        elif isinstance(param, int):  # as typed, or as a plural form writes it (4,999 in English)
            shown += [str(param), format_decimal(param, locale=language)]
        # A plain string: what was typed, perhaps cut short, or with the https:// that a link without one is
        # read with; an example of what to type; a site's name.
        elif isinstance(param, str) and (name in TYPED_EXAMPLES or param.strip() in typed_line
                                         or set(WORD.findall(param)) <= typed_words or HOST.fullmatch(param)):
            shown.append(param)
    return shown


def names_a_field(case: Case, error: UserError | CommandError, said: str, language: str) -> bool:
    """A field's problem is told under the field's label; another refusal must name one of the command's
    options (the one fed, or another one it needs) as they are called in the language."""
    if isinstance(error, FieldProblem | FormProblems) or error.text.key == "errors.bad_option":
        return True
    names = set().union(*(field_names(case.command, fed, language) for fed in fed_options(case.command)))
    for option, held in HOLDS.items():
        if option in {fed.name for fed in fed_options(case.command)}:
            names |= {i18n.translate(key, language).casefold() for key in i18n.catalog(language)
                      if key.endswith(f".opt.{held}.name")}
    return any(name in said.casefold() for name in names)


def problems_of(case: Case, outcome: Outcome, language: str) -> list[str]:
    """What is wrong with how a line was answered (nothing: all is well)."""
    problems = []
    error = outcome.error
    if error is not None and not isinstance(error, UserError | CommandError):
        problems.append(f"crashed: {type(error).__name__}")
    if any(i18n.translate("errors.unexpected", lang, code="").split("{")[0][:30] in outcome.said
           for lang in i18n.LANGUAGES):
        problems.append("answered errors.unexpected")
    if not isinstance(error, UserError | CommandError):
        return problems
    if outcome.changed:
        problems.append("refused, but the database changed")
    said = outcome.said
    mixed = [piece for piece in foreign(language) if piece in said]
    if mixed:
        problems.append(f"refusal has the other language's text {mixed[:2]}")
    if leftover := leftover_words(said, error.text, language, echoes(error.text, case.line, language)):
        problems.append(f"refusal has words from no catalog: {leftover[:5]}")
    if case.fed is not None and error.text.key not in WHOLE_COMMAND and not names_a_field(
            case, error, said, language):
        problems.append("refusal does not name the field")
    return problems


# Refusals of the whole line or the whole command, before any field is read, and of an edit given nothing
# (an empty value is no value): they need not name a field. The onboarding's fields are fed through
# /profile edit, as the members who run these lines are onboarded already.
WHOLE_COMMAND = frozenset({"commands.bad_syntax", "commands.bad_option", "errors.coordinator_only",
                           "profile.not_onboarded", "onboarding.already_done", "profile.nothing_to_change",
                           "politicians.nothing_to_change", "issues.nothing_to_change"})


@pytest.mark.parametrize("command", all_commands(), ids=command_id)
async def test_hostile_input_never_crashes_half_writes_or_mixes_languages(
        command: Command, seeded: Path, tmp_path: Path):
    surface = Surface(seeded, tmp_path)
    found: list[str] = []
    try:
        for language in ("sv", "en"):
            # Each command as those who may use it: a coordinator's as a coordinator, the others as a member.
            user = COORDINATORS[language] if command.coordinator else MEMBERS[language]
            await surface.act_as(user, coordinator=command.coordinator)
            for case in cases(command):
                outcome = await surface.run(case.line)
                found += [f"{language} {user}: {case.line!r}: {problem}\n    {outcome.said.strip()[:300]}"
                          for problem in problems_of(case, outcome, language)]
            if command.coordinator:  # a member is refused before anything is read, in their language
                await surface.act_as(MEMBERS[language], coordinator=False)
                case = list(cases(command))[-1]
                outcome = await surface.run(case.line)
                assert isinstance(outcome.error, UserError | CommandError), outcome.said
                found += [f"{language} member: {case.line!r}: {problem}"
                          for problem in problems_of(case, outcome, language)]
    finally:
        await surface.close()
    assert not found, "\n".join(found)


# -- what must be refused, not only survived ---------------------------------------------------------------

# Text options and form fields that hold a name or a text (not a lookup, a choice, a date or a list).
HOLDS_TEXT = frozenset({"title", "summary", "position", "name", "party", "company", "value", "text", "query",
                        "why", "example", "note", "topic", "outlet", "role", "goal"})


def must_be_refused() -> Iterator[Any]:
    """Each option fed a value it must refuse, as a pytest param."""
    for command in all_commands():
        if command.path == ("onboard",):
            continue  # the seeded members are onboarded: /profile edit feeds the same fields
        for fed in fed_options(command):
            feeds = []
            if fed.required and fed.name in HOLDS_TEXT and fed.kind is Kind.STRING and not fed.choices:
                feeds += [("invisible", "\u200b"), ("invisible", "\u202e")]
            if fed.name == "x_handle":
                feeds.append(("everyone_handle", "@everyone"))
            if fed.name == "email":
                feeds.append(("script_email", "<script>@x.se"))
            if fed.name == "decision":
                feeds.append(("passed_time", "1 dec 09:00"))  # an hour before START
            for label, value in feeds:
                shown = value.encode("unicode_escape").decode()
                yield pytest.param(command, fed, Hostile(label, value),
                                   id=f"{command_id(command)}-{fed.name}-{label}-{shown}")


@pytest.mark.parametrize(("command", "fed", "hostile"), list(must_be_refused()))
async def test_what_must_be_refused_is_refused(command: Command, fed: Fed, hostile: Hostile, seeded: Path,
                                               tmp_path: Path):
    surface = Surface(seeded, tmp_path)
    try:
        await surface.act_as(COORDINATORS["sv"] if command.coordinator else MEMBERS["sv"],
                             coordinator=command.coordinator)
        outcome = await surface.run(Case(command, fed, hostile).line)
    finally:
        await surface.close()
    assert isinstance(outcome.error, UserError), outcome.said
    assert not outcome.changed
