"""The politicians who decide: kept by hand or imported from a spreadsheet, exported again, checked by date.

A CSV import is all or nothing: every row is checked first and each problem is reported with its line number;
only a file without problems is stored, in the one transaction of the command.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import csvexport, timeparse, validation
from bot.contributions import Feature
from bot.errors import UserError
from bot.i18n import render
from bot.models import Politician
from bot.replies import (
    Attachment,
    Button,
    ButtonStyle,
    Join,
    Literal,
    Renderable,
    Reply,
    Text,
    more_than_shown,
    text,
)
from bot.services import civics
from bot.services.context import Actor, audit, workspace_row

log = logging.getLogger(__name__)

MAX_CSV_BYTES = 1_000_000
MAX_CSV_ROWS = 5000
UTF8_BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
ENCODING_NAMES = {"utf-8": "UTF-8", "cp1252": "Windows-1252"}
# Where a line ends as the csv module counts lines (a file read with newline=""): \r\n, \r or \n.
BYTE_LINE_BREAK = re.compile(rb"\r\n|\r|\n")
# A line break in a cell: a quoted cell may hold one, but a name or a party is one line. Every kind Unicode
# knows, as str.splitlines does.
CELL_LINE_BREAK = re.compile(r"[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
LISTED = 40
REPORT_LINES = 40
PROBLEMS_SHOWN = 25
REMOVE_CONFIRM = "politicians.remove_confirm"
REMOVE_CANCEL = "politicians.remove_cancel"
COLUMNS = ("name", "party", "role", "municipality", "body", "roles", "committee", "x_handle", "email",
           "checked")
REQUIRED_COLUMNS = ("name", "party", "municipality")
# Header names people use, folded (lower case, no diacritics, no spaces, dashes or underscores).
HEADER_ALIASES = {
    "name": "name",
    "namn": "name",
    "fullstandigtnamn": "name",
    "fullname": "name",
    "party": "party",
    "parti": "party",
    "role": "role",
    "roll": "role",
    "uppdrag": "role",
    "titel": "role",
    "title": "role",
    "municipality": "municipality",
    "kommun": "municipality",
    "body": "body",
    "organ": "body",
    "forsamling": "body",
    "beslutandeorgan": "body",
    "bodies": "body",
    # A role in each body: "kommunstyrelsen=ordförande + KF=ledamot", or one role for the row's bodies.
    "roles": "roles",
    "roller": "roles",
    "rolliorganet": "roles",
    "rollerinorganen": "roles",
    "rolliorganen": "roles",
    "uppdragiorganet": "roles",
    "roleinbody": "roles",
    "rolesinbodies": "roles",
    "bodyrole": "roles",
    "committee": "committee",
    "namnd": "committee",
    "xhandle": "x_handle",
    "x": "x_handle",
    "twitter": "x_handle",
    "xtwitter": "x_handle",
    "xkonto": "x_handle",
    "handle": "x_handle",
    "email": "email",
    "epost": "email",
    "mejl": "email",
    "mail": "email",
    "emailadress": "email",
    "epostadress": "email",
    "checked": "checked",
    "lastchecked": "checked",
    "kontrollerad": "checked",
    "kontrollerat": "checked",
    "senastkontrollerad": "checked",
    "checkedon": "checked",
}
# A cell that starts like a formula is written with a leading apostrophe, so a spreadsheet does not run it.
# What the export guards against (bot.csvexport) is taken back off on import.
FORMULA_START = csvexport.FORMULA_START


def _label(column: str) -> Text:
    return text(f"field.politician.{column}")


def _checkers(today: date) -> dict[str, Callable[[str | None], Any]]:
    """How each column's typed value is read (None: not given); each raises a FieldProblem naming the
    column."""
    def checked(raw: str | None) -> date | None:
        if raw is None or not raw.strip():
            return None  # never checked: a blank is not "today"
        try:
            return timeparse.parse_date(raw, today)
        except UserError as error:
            raise validation.FieldProblem(_label("checked"), error.text) from None

    return {
        "name": lambda raw: validation.clean_text(raw, _label("name"), max_length=100, required=True),
        "party": lambda raw: validation.clean_text(raw, _label("party"), max_length=40, required=True),
        "role": lambda raw: validation.clean_text(raw, _label("role"), max_length=100),
        "municipality": lambda raw: civics.municipality(raw),
        "body": civics.bodies,
        "committee": lambda raw: validation.clean_text(raw, _label("committee"), max_length=100),
        "x_handle": lambda raw: validation.x_handle(raw, _label("x_handle")),
        "email": lambda raw: civics.email(raw, _label("email")),
        "checked": checked,
    }


def _roles(raw: str | None, bodies_raw: str | None) -> dict[str, str] | None:
    """Read the roles column (None: not given); a role alone ("ordförande") is that role in the row's
    bodies."""
    if raw is None or not raw.strip():
        return None
    try:
        return civics.roles(raw, civics.bodies(bodies_raw))
    except validation.FieldProblem as problem:
        raise validation.FieldProblem(_label("roles"), problem.problem) from None


def _read(today: date, values: Mapping[str, str | None]) -> dict[str, Any]:
    """Check the given values (None: not given); every problem is reported at once. Returns model columns,
    with the bodies and the roles as given ("bodies" a list, "roles" a mapping; _placed settles them)."""
    checkers = _checkers(today)
    problems: list[validation.FieldProblem] = []
    result: dict[str, Any] = {}
    for column, raw in values.items():
        try:
            if column == "roles":
                result[column] = _roles(raw, values.get("body"))
            else:
                result[column] = checkers[column](raw)
        except validation.FieldProblem as problem:
            problems.append(problem)
    validation.collect(problems)
    columns = {"body": "bodies", "checked": "checked_on"}
    return {columns.get(name, name): value for name, value in result.items() if value is not None
            or name not in ("body", "roles")}


def _placed(values: dict[str, Any], before: Mapping[str, str] | None) -> dict[str, Any]:
    """Settle where a politician sits from what was given: the bodies (each as a member, or the role held
    before), a title that names a role in a body ("Ordförande i kommunstyrelsen"), and the roles given, each
    overriding the one before. Nothing of these given: the columns stay as they are (`before`); for a new
    politician with nowhere known, kommunfullmäktige."""
    bodies: list[str] | None = values.pop("bodies", None) or None
    given: dict[str, str] | None = values.pop("roles", None)
    from_title = civics.roles_in_title(values.get("role"))
    if bodies is None and given is None and not from_title:
        if before is None:
            values["roles"] = {civics.BODIES[0]: civics.Role.LEDAMOT.value}
            values["bodies"] = [civics.BODIES[0]]
        return values
    placed = dict(before or {})
    if bodies is not None:
        placed = {body: placed.get(body, civics.Role.LEDAMOT.value) for body in bodies}
    elif given is not None:
        placed = {}  # the roles given are where the politician sits
    placed |= from_title
    placed |= given or {}
    if civics.COMMITTEE_BODY in from_title and not values.get("committee"):
        # "Ordförande i Tekniska nämnden": the nämnd's name, so that it decides that committee's issues only.
        values["committee"] = civics.committee_in_title(values.get("role")) or values.get("committee")
    values["roles"] = {body: placed[body] for body in civics.BODIES if body in placed}
    values["bodies"] = list(values["roles"])
    return values


def _line(politician: Politician, today: date) -> Text:
    """One politician: party, title, the role in each body, handle, when last checked (or never), a mark when
    the entry is stale, and the day they left."""
    return text("politicians.line", name=Literal(politician.name), party=Literal(politician.party),
                role=Literal(f", {politician.role}") if politician.role else "",
                municipality=civics.municipality_label(politician.municipality),
                bodies=civics.roles_label(politician),
                handle=Literal(f" @{politician.x_handle}") if politician.x_handle else "",
                checked=checked_label(politician),
                stale=text("politicians.stale") if needs_check(politician, today) else "",
                left=text("politicians.left", date=Literal(politician.left_on.isoformat()))
                if politician.left_on else "")


def needs_check(politician: Politician, today: date) -> bool:
    """Whether an entry is flagged as worth checking again: stale (civics.is_stale), unless the politician
    has left."""
    return civics.is_stale(politician, today) and not politician.left_on


def checked_label(politician: Politician) -> Text:
    """When the entry was last checked, or that it never was."""
    if politician.checked_on is None:
        return text("politicians.never_checked")
    return text("politicians.checked", date=Literal(politician.checked_on.isoformat()))


async def _existing(
    session: AsyncSession, workspace_id: int, key: str, municipality: str
) -> Politician | None:
    return await session.scalar(
        select(Politician).where(
            Politician.workspace_id == workspace_id,
            Politician.name_key == key,
            Politician.municipality == municipality,
        )
    )


async def add(
    session: AsyncSession,
    actor: Actor,
    name: str | None = None,
    party: str | None = None,
    municipality: str | None = None,
    body: str | None = None,
    role: str | None = None,
    roles: str | None = None,
    committee: str | None = None,
    x_handle: str | None = None,
    email: str | None = None,
    checked: str | None = None,
) -> Reply:
    """Add a politician; the same name in the same municipality is refused (edit that one instead)."""
    actor.require_coordinator()
    values = _read(
        actor.today,
        {
            "name": name,
            "party": party,
            "municipality": municipality,
            "body": body,
            "roles": roles,
            "role": role,
            "committee": committee,
            "x_handle": x_handle,
            "email": email,
            "checked": checked,
        },
    )
    values = _placed(values, None)
    key = civics.name_key(values["name"])
    if await _existing(session, actor.workspace.id, key, values["municipality"]) is not None:
        raise UserError("politicians.exists", name=Literal(values["name"]),
                        municipality=civics.municipality_label(values["municipality"]))
    politician = Politician(workspace_id=actor.workspace.id, name_key=key, created_at=actor.now,
                            updated_at=actor.now, **values)
    session.add(politician)
    await session.flush()
    audit(session, actor, "politician.added", politician_id=politician.id)
    return Reply(body=text("politicians.added", line=_line(politician, actor.today)))


async def edit(session: AsyncSession, actor: Actor, politician: str | None = None, **changes: str | None
               ) -> Reply:
    """Change the fields given of a politician (found by name, or by #number when several share the name)."""
    actor.require_coordinator()
    validation.refuse_unknown_fields(changes, COLUMNS)
    person = await civics.find_politician(session, actor.workspace.id, politician)
    given = {name: value for name, value in changes.items() if value is not None and value != ""}
    if not given:
        raise UserError("politicians.nothing_to_change")
    # An edit is no check of the entry unless a date is given: "idag" is one.
    values = _placed(_read(actor.today, given), _roles_before(person))
    key = civics.name_key(values.get("name", person.name))
    place = values.get("municipality", person.municipality)
    other = await _existing(session, actor.workspace.id, key, place)
    if other is not None and other.id != person.id:
        raise UserError("politicians.exists", name=Literal(values.get("name", person.name)),
                        municipality=civics.municipality_label(place))
    for column, value in values.items():
        setattr(person, column, value)
    person.name_key = key
    person.updated_at = actor.now
    audit(session, actor, "politician.edited", politician_id=person.id, changed=sorted(given))
    return Reply(body=text("politicians.edited", line=_line(person, actor.today)))


def _roles_before(person: Politician) -> dict[str, str]:
    """Where a stored politician sits, with a role in each body (a member where none is known)."""
    return {body: role for body in civics.BODIES if (role := civics.role_of(person, body))}


async def remove(session: AsyncSession, actor: Actor, politician: str | None = None,
                 municipality: str | None = None) -> Reply:
    """Ask to confirm removing a politician (their stances on issues go with them)."""
    actor.require_coordinator()
    person = await civics.find_politician(session, actor.workspace.id, politician,
                                          civics.municipality(municipality, required=False))
    return Reply(
        body=text("politicians.remove.confirm", line=_line(person, actor.today)),
        buttons=(
            Button(
                text("politicians.remove.button.confirm"), REMOVE_CONFIRM, str(person.id), ButtonStyle.DANGER
            ),
            Button(
                text("politicians.remove.button.cancel"), REMOVE_CANCEL, str(person.id), ButtonStyle.SECONDARY
            ),
        ),
    )


async def _remove_confirmed(session: AsyncSession, actor: Actor, arg: str) -> Reply:
    actor.require_coordinator()
    person = await workspace_row(session, actor, Politician, arg)
    if person is None:
        return Reply(body=text("politicians.remove.gone"), replaces_source=True)
    line = _line(person, actor.today)
    audit(session, actor, "politician.removed", politician_id=person.id)
    await session.delete(person)
    return Reply(body=text("politicians.removed", line=line), replaces_source=True)


async def _remove_cancelled(session: AsyncSession, actor: Actor, arg: str) -> Reply:
    return Reply(body=text("politicians.remove.cancelled"), replaces_source=True)


async def list_politicians(session: AsyncSession, actor: Actor, municipality: str | None = None,
                           body: civics.Body | None = None, party: str | None = None) -> Reply:
    """List the politicians, filtered by municipality, body or party."""
    query = select(Politician).where(Politician.workspace_id == actor.workspace.id)
    place = civics.municipality(municipality, required=False)
    code = civics.BODY.read(body)
    if place:
        query = query.where(Politician.municipality == place)
    rows = [p for p in await session.scalars(query) if (not code or code in (p.bodies or []))
            and (not party or civics.party_key(p.party) == civics.party_key(party))]
    rows.sort(key=lambda p: (p.municipality, civics.party_key(p.party), p.name_key, p.id))
    if not rows:
        return Reply(body=text("politicians.none"))
    today = actor.today
    return Reply(title=text("politicians.title", count=len(rows)),
                 body=text("politicians.body",
                           lines=Join(tuple(_line(p, today) for p in rows[:LISTED]), "\n", "• "),
                           more=more_than_shown("politicians.more", len(rows), LISTED)))


# -- CSV ----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RowProblem:
    """Why one line of a file cannot be imported."""

    line: int
    problem: Renderable


def decode(data: bytes) -> str:
    """Read a spreadsheet's text: UTF-8 with or without BOM, UTF-16 with BOM, or Windows-1252 (Excel in
    Sweden), one of them for the whole file.

    A file partly in one and partly in another (lines pasted together from two files) is refused with the
    first line that differs: read either way, some of its names would be garbled.
    """
    if data.startswith(UTF16_BOMS):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as error:
            before = data[:error.start].decode("utf-16", errors="replace").encode()
            raise UserError("csv.encoding_line", line=len(BYTE_LINE_BREAK.split(before))) from None
    if b"\x00" in data:
        raise UserError("csv.not_text")
    declared = data.startswith(UTF8_BOM)
    body = data[len(UTF8_BOM):] if declared else data
    # The encoding of the file so far, and the first line that showed it (the BOM declares it on line 1).
    encoding, since = ("utf-8", 1) if declared else (None, 0)
    for number, line in enumerate(BYTE_LINE_BREAK.split(body), 1):
        if line.isascii():
            continue  # the same in every encoding
        found = _line_encoding(line)
        if found is None:
            raise UserError("csv.encoding_line", line=number)
        if encoding is None:
            encoding, since = found, number
        elif found != encoding:
            raise UserError("csv.encoding_mixed", line=number, first=since, encoding=ENCODING_NAMES[encoding])
    return body.decode(encoding or "ascii")


def _line_encoding(line: bytes) -> str | None:
    """The encoding one line of a file is in: "utf-8", "cp1252", or None when it is in neither (or in both:
    UTF-8 letters beside single Windows-1252 bytes)."""
    try:
        line.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    # Windows-1252 letters are single bytes that are not valid UTF-8; letters that are valid UTF-8 in the
    # same line were written by another program.
    if any(ord(char) > 0x7F and char != "\ufffd" for char in line.decode("utf-8", errors="replace")):
        return None
    try:
        line.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        return None


def _delimiter(header: str) -> str:
    counts = {sep: header.count(sep) for sep in (";", ",", "\t")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] else ","


def _header_key(cell: str) -> str:
    return "".join(c for c in validation.fold(cell) if c.isalnum())


def _unformula(cell: str) -> str:
    value = cell.strip()
    if value.startswith("'") and value[1:2] in FORMULA_START:
        return value[1:]
    return value


def table_rows(data: bytes, max_bytes: int) -> list[tuple[int, list[str]]]:
    """The non-empty rows of a spreadsheet saved as text (`;`, `,` or tab, in the encodings `decode` reads),
    each with the line it starts on; refuse an empty or too large file, one that is not text, a broken
    quote."""
    if not data.strip():
        raise UserError("csv.empty")
    if len(data) > max_bytes:
        raise UserError("csv.too_big", max=max_bytes // 1000)
    content = decode(data)
    if "\x00" in content:
        raise UserError("csv.not_text")
    first_line = content.lstrip("\r\n").splitlines()[0] if content.strip() else ""
    reader = csv.reader(io.StringIO(content, newline=""), delimiter=_delimiter(first_line), strict=True)
    rows: list[tuple[int, list[str]]] = []
    line = 1
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                rows.append((line, cells))
            line = reader.line_num + 1
    except csv.Error:
        # The csv module's reason is English only. Here it is a broken quote: a NUL is refused before, and a
        # cell over the module's 131,072 characters is in practice an unclosed quote that ran on. The row is
        # named by the line it starts on, where the quote opened.
        raise UserError("csv.malformed", line=line) from None
    return rows


def parse_csv(data: bytes) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """Split a file into its columns and its rows, each with the line it starts on; refuse what is not a
    table."""
    rows = table_rows(data, MAX_CSV_BYTES)
    if not rows:
        raise UserError("csv.empty")
    header_line, header = rows[0]
    columns: list[str] = []
    for cell in header:
        column = HEADER_ALIASES.get(_header_key(cell))
        if column is None:
            raise UserError("csv.unknown_column", line=header_line, column=Literal(cell.strip()[:40]),
                            columns=", ".join(COLUMNS))
        if column in columns:
            raise UserError("csv.repeated_column", line=header_line, column=Literal(cell.strip()[:40]))
        columns.append(column)
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise UserError("csv.missing_columns", columns=Join(tuple(_label(c) for c in missing)))
    body = rows[1:]
    if len(body) > MAX_CSV_ROWS:
        raise UserError("csv.too_many_rows", max=MAX_CSV_ROWS)
    parsed = []
    for number, cells in body:
        if len(cells) > len(columns) and any(c.strip() for c in cells[len(columns):]):
            parsed.append((number, {"__extra__": str(len(cells))}))
            continue
        # A spreadsheet may leave out empty cells at the end of a row.
        parsed.append((number, {column: _unformula(cells[i]) if i < len(cells) else ""
                                for i, column in enumerate(columns)}))
    return columns, parsed


@dataclass(frozen=True)
class FieldChange:
    """One column a row of a file changes of a stored politician, as shown: its label, before and after."""

    label: Text
    before: Renderable
    after: Renderable


@dataclass(frozen=True)
class PlannedRow:
    """What the import does with one good row of a file: add a politician, update the stored one (`person`)
    or leave them as they are; `values` are the columns it sets."""

    line: int
    outcome: str  # "added", "updated" or "unchanged"
    name_key: str
    values: dict[str, Any]
    person: Politician | None
    changes: tuple[FieldChange, ...]


@dataclass(frozen=True)
class ImportPlan:
    """What importing a file would do, worked out without writing: the same rules as the import, which runs
    the plan. A file with problems is not imported at all."""

    rows: int
    planned: tuple[PlannedRow, ...]
    problems: tuple[RowProblem, ...]
    # What the plan changes, as a digest: the import of a previewed file compares it, so that it does nothing
    # but what the preview showed (a politician edited in between makes another plan).
    fingerprint: str

    def count(self, outcome: str) -> int:
        return sum(1 for row in self.planned if row.outcome == outcome)


# How the columns a row changes are named (the import's columns but the bodies, which the roles show).
CHANGE_LABELS = {"name": "name", "party": "party", "role": "role", "municipality": "municipality",
                 "roles": "roles", "committee": "committee", "x_handle": "x_handle", "email": "email",
                 "checked_on": "checked"}


def _checked_rows(today: date, columns: list[str], rows: list[tuple[int, dict[str, str]]]
                  ) -> tuple[list[tuple[int, dict[str, Any]]], list[RowProblem]]:
    """Check each row of a file: the values of the good ones, and why each other one cannot be imported."""
    problems: list[RowProblem] = []
    checked: list[tuple[int, dict[str, Any]]] = []
    seen: dict[tuple[str, str], int] = {}
    for line, cells in rows:
        if "__extra__" in cells:
            problems.append(RowProblem(line, text("csv.extra_cells", count=cells["__extra__"],
                                                  columns=len(columns))))
            continue
        broken = [column for column, value in cells.items() if CELL_LINE_BREAK.search(value)]
        if broken:
            problems.append(RowProblem(line, Join(tuple(
                text("errors.field", field=_label(column), problem=text("csv.line_break"))
                for column in broken
            ), " ")))
            continue
        try:
            values = _read(today, cells)
        except validation.FormProblems as error:
            problems.append(RowProblem(line, Join(tuple(p.text for p in error.problems), " ")))
            continue
        except UserError as error:
            problems.append(RowProblem(line, error.text))
            continue
        identity = (civics.name_key(values["name"]), values["municipality"])
        if identity in seen:
            problems.append(RowProblem(line, text("csv.duplicate_row", name=Literal(values["name"]),
                                                  first=seen[identity])))
            continue
        seen[identity] = line
        checked.append((line, values))
    return checked, problems


async def plan_import(session: AsyncSession, workspace_id: int, today: date, data: bytes) -> ImportPlan:
    """Work out what importing a file would do, without writing (the board's preview, and the import itself).

    A file that is no table is refused as the import refuses it; rows with problems are listed with why.
    """
    columns, rows = parse_csv(data)
    if not rows:
        raise UserError("csv.no_rows")
    checked, problems = _checked_rows(today, columns, rows)
    # One query for the stored politicians, however long the file.
    stored = {(p.name_key, p.municipality): p for p in await session.scalars(
        select(Politician).where(Politician.workspace_id == workspace_id))}
    planned: list[PlannedRow] = []
    for line, read in checked:
        key = civics.name_key(read["name"])
        person = stored.get((key, read["municipality"]))
        # A row without a date of its own was not checked: a new politician was never checked, a stored one
        # keeps the date it had.
        if person is None:
            planned.append(PlannedRow(line, "added", key, _placed(dict(read), None), None, ()))
            continue
        # Only the file's own columns change a stored politician: a list without bodies keeps theirs.
        values = _placed(dict(read), _roles_before(person))
        if values.get("checked_on", "") is None:
            del values["checked_on"]
        changed = [column for column, value in values.items() if getattr(person, column) != value]
        outcome = "updated" if any(column != "checked_on" for column in changed) else "unchanged"
        changes = tuple(FieldChange(_label(CHANGE_LABELS[column]), _shown(column, _before(person, column)),
                                    _shown(column, values[column]))
                        for column in CHANGE_LABELS if column in changed)
        planned.append(PlannedRow(line, outcome, key, values, person, changes))
    return ImportPlan(len(rows), tuple(planned), tuple(problems), _fingerprint(planned, problems))


def _before(person: Politician, column: str) -> Any:
    # A body stored without its role is a member of it: shown so, not as a change from nothing.
    return _roles_before(person) if column == "roles" else getattr(person, column)


def _shown(column: str, value: Any) -> Renderable:
    """A column's value as the preview shows it."""
    if value is None or value == "" or value == {}:
        return text("profile.empty")
    if column == "municipality":
        return civics.municipality_label(value)
    if column == "roles":
        return Join(tuple(text("politicians.in_body", body=civics.body_label(body),
                               role=text(f"politicians.body_role.{role}")) for body, role in value.items()))
    if column == "checked_on":
        return Literal(value.isoformat())
    if column == "x_handle":
        return Literal(f"@{value}")
    return Literal(str(value))


def _fingerprint(planned: list[PlannedRow], problems: list[RowProblem]) -> str:
    """A digest of what a plan does: each row's outcome, the politician it updates, the columns it sets and
    what they held; and the lines with problems."""
    def plain(value: Any) -> Any:
        return value.isoformat() if isinstance(value, date) else value

    content = [
        [row.line, row.outcome, row.person.id if row.person else None,
         sorted((column, plain(value), plain(getattr(row.person, column)) if row.person else None)
                for column, value in row.values.items())]
        for row in planned
    ]
    content.append([problem.line for problem in problems])
    return hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()


async def import_csv(session: AsyncSession, actor: Actor, data: bytes, filename: str = "",
                     previewed: str | None = None) -> Reply:
    """Import politicians from a CSV file (a header row; ; or , separated); all or nothing, with a report.

    A row with the name and municipality of a stored politician updates that politician; the same person
    twice in one file is a problem to fix. `previewed`: the fingerprint of the plan a coordinator saw (the
    board's preview); when the file would now do anything else, nothing is imported.
    """
    actor.require_coordinator()
    plan = await plan_import(session, actor.workspace.id, actor.today, data)
    problems = plan.problems
    if problems:
        log.info("A politician import in workspace %s was refused: %d problem rows", actor.workspace.id,
                 len(problems))
        shown = tuple(
            text("csv.problem_line", line=p.line, problem=p.problem) for p in problems[:PROBLEMS_SHOWN]
        )
        raise UserError("csv.refused", count=len(problems), rows=plan.rows,
                        problems=Join(shown, "\n", "• "),
                        more=more_than_shown("csv.more", len(problems), PROBLEMS_SHOWN))
    if previewed is not None and not hmac.compare_digest(previewed, plan.fingerprint):
        raise UserError("politicians.import_changed")

    report: list[Text] = []
    counts = {"added": 0, "updated": 0, "unchanged": 0}
    for row in plan.planned:
        person = row.person
        if person is None:
            session.add(Politician(workspace_id=actor.workspace.id, name_key=row.name_key,
                                   created_at=actor.now, updated_at=actor.now, **row.values))
        else:
            for column, value in row.values.items():
                setattr(person, column, value)
            person.updated_at = actor.now
        counts[row.outcome] += 1
        report.append(text(f"csv.row.{row.outcome}", line=row.line, name=Literal(row.values["name"]),
                           party=Literal(row.values["party"])))
    await session.flush()
    audit(session, actor, "politicians.imported", file=filename[:100], added=counts["added"],
          updated=counts["updated"], unchanged=counts["unchanged"])
    return Reply(title=text("csv.imported.title", **counts),
                 body=text("csv.imported.body", lines=Join(tuple(report[:REPORT_LINES]), "\n", "• "),
                           more=more_than_shown("csv.more", len(report), REPORT_LINES)))


async def export_csv(session: AsyncSession, actor: Actor, municipality: str | None = None) -> Reply:
    """Export the politicians as a CSV file that Excel opens as it is and the import reads back."""
    actor.require_coordinator()
    query = select(Politician).where(Politician.workspace_id == actor.workspace.id)
    place = civics.municipality(municipality, required=False)
    if place:
        query = query.where(Politician.municipality == place)
    rows = sorted(await session.scalars(query),
                  key=lambda p: (p.municipality, civics.party_key(p.party), p.name_key, p.id))
    language = actor.language
    # Excel in Sweden expects ; between cells, and a BOM to read the file as UTF-8; no cell may run as a
    # formula.
    data = csvexport.table([render(_label(c), language) for c in COLUMNS], [(
        p.name, p.party, p.role or "", render(civics.municipality_label(p.municipality), language),
        " + ".join(render(civics.body_label(b), language) for b in p.bodies or []), roles_value(p, language),
        p.committee or "",
        p.x_handle or "", p.email or "", p.checked_on.isoformat() if p.checked_on else "") for p in rows])
    audit(session, actor, "politicians.exported", count=len(rows))
    return Reply(body=text("politicians.exported", count=len(rows)),
                 files=(Attachment(f"politiker-{place or 'alla'}.csv", data),))


def roles_value(politician: Politician, language: str) -> str:
    """A politician's roles as the import reads them back: "kommunstyrelsen=ordförande + KF=ledamot"."""
    return " + ".join(f"{render(civics.body_label(body), language)}="
                      f"{render(text(f'politicians.body_role.{role}'), language)}"
                      for body, role in _roles_before(politician).items())


async def of_workspace(session: AsyncSession, workspace_id: int) -> list[Politician]:
    """Every politician of a workspace (one query: the board filters and sorts them)."""
    return list(await session.scalars(select(Politician).where(Politician.workspace_id == workspace_id)
                                      .order_by(Politician.name_key, Politician.id)))


async def of_workspace_by_id(session: AsyncSession, workspace_id: int, politician_id: int
                             ) -> Politician | None:
    """One politician of a workspace by number (None: none such there)."""
    return await session.scalar(select(Politician).where(Politician.workspace_id == workspace_id,
                                                         Politician.id == politician_id))


async def choices(session: AsyncSession, workspace_id: int, current: str) -> list[tuple[str, str]]:
    """Suggest politicians whose name contains what was typed, as (label, id) pairs (at most 25)."""
    wanted = civics.name_key(current)
    rows = await session.scalars(select(Politician).where(Politician.workspace_id == workspace_id)
                                 .order_by(Politician.name_key, Politician.id))
    return [(f"{p.name} ({p.party}, {p.municipality})"[:100], str(p.id)) for p in rows
            if wanted in p.name_key][:25]


FEATURE = Feature(
    "politicians",
    actions={REMOVE_CONFIRM: _remove_confirmed, REMOVE_CANCEL: _remove_cancelled},
    impersonal={"politician.bodies": "the bodies a politician sits in",
                "politician.roles": "a politician's role in each body"},
)
