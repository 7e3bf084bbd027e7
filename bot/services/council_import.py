"""The municipal councils from Valmyndigheten's open data: read the file, show what would change, apply it on
confirmation.

Valmyndigheten publishes who sits in each council ("Nuvarande ledamöter", and "Ledamöter och ersättare" with
the substitutes) as semicolon-separated text files (.skv) and Excel files for the whole country. Only the
kommunfullmäktige of the group's municipalities are read; every other row (the Riksdag, the regions, other
municipalities) is counted and left. A coordinator sees a preview per municipality (who is new, who is gone,
who changed party, the seats per party) and confirms it: the parsed rows wait in a pending import (one per
workspace, for an hour), since a button cannot carry them. Confirming applies everything in the one
transaction of the press.
"""

from __future__ import annotations

import io
import logging
import secrets
import zipfile
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import validation
from bot.contributions import Feature, MemberData
from bot.errors import UserError
from bot.models import CouncilImport, Member, Politician
from bot.replies import Button, ButtonStyle, Field, Join, Literal, Reply, Text, more_than_shown, text
from bot.services import civics, politicians, stances
from bot.services.context import Actor, audit
from bot.services.profile_fields import MUNICIPALITIES, MUNICIPALITY_CODES

log = logging.getLogger(__name__)

# The whole country's file of members and substitutes is a few MB; rows beyond ours are only counted.
MAX_FILE_BYTES = 20_000_000
# Rows of one file for the group's municipalities: five councils of at most 101 members and their substitutes.
MAX_OWN_ROWS = 5000
# The whole country's rows, several times over: more is not Valmyndigheten's file.
MAX_EXCEL_ROWS = 200_000
# An .xlsx file is a zip archive.
ZIP_START = b"PK\x03\x04"
PENDING_FOR = timedelta(hours=1)
NAMES_SHOWN = 15
PROBLEMS_SHOWN = 25
CONFIRM = "council_import.confirm"
CANCEL = "council_import.cancel"
COUNCIL = civics.Body.KOMMUNFULLMAKTIGE.value
LEDAMOT = civics.Role.LEDAMOT.value
ERSATTARE = civics.Role.ERSATTARE.value

# Columns as the files name them, folded (lower case, no diacritics, only letters and digits). The files'
# header words have varied between years; the English-ish ones are what people write when they retype one.
HEADER_ALIASES = {
    **dict.fromkeys(("valtyp", "val", "typavval", "election", "electiontype", "valslag"), "election"),
    **dict.fromkeys(("geografi", "omrade", "valomrade", "kommun", "kommunnamn", "kommunkod", "geography",
                     "area", "municipality", "municipalitycode", "municipalityname"), "area"),
    **dict.fromkeys(("parti", "partinamn", "partibeteckning", "partiforkortning", "party", "partyname",
                     "partyabbreviation"), "party"),
    **dict.fromkeys(("namn", "namnpaledamot", "namnpaledamoten", "ledamotsnamn", "ledamot", "name",
                     "fullname"), "name"),
    **dict.fromkeys(("fornamn", "firstname", "givenname", "tilltalsnamn"), "first_name"),
    **dict.fromkeys(("efternamn", "lastname", "surname", "familyname"), "last_name"),
    **dict.fromkeys(("uppdrag", "typ", "typavuppdrag", "uppdragstyp", "mandattyp", "kind", "role", "roll",
                     "ledamotersattare"), "kind"),
    # Read as documented but not needed here: known, so that they do not make the layout look unknown.
    **dict.fromkeys(("tilltradesdatum", "tilltradesdag", "tilltrade", "kon", "invalsordning", "personvald",
                     "fodelsear", "alder", "lista", "valsedel", "platspalistan", "platsenpalistan",
                     "listplats", "placering", "valtillfalle", "valar", "valkrets", "valkretskod", "lan",
                     "lanskod", "lansnamn", "startdate", "gender", "sex", "electedorder", "personalvote",
                     "birthyear", "list", "listposition", "electiondate", "constituency"), "other"),
}
REQUIRED = ("election", "area", "party", "name")
# The catalog names of the columns (council_import.column.<name>), as the layout message names them.
COLUMN_NAMES = ("election", "area", "party", "name", "first_name", "last_name", "kind")
# "Kommunfullmäktige" and its short forms; "Regionfullmäktige", "Riksdag" and the like are other councils.
COUNCIL_ELECTIONS = frozenset({"kommun", "kommunfullmaktige", "kommunfullmaktigeval", "kommunval", "kf", "k",
                               "valtillkommunfullmaktige", "municipal", "municipality", "municipalcouncil"})
KINDS = {
    **dict.fromkeys(("ledamot", "ledamoter", "ordinarie", "ordinarieledamot", "l", "member", "councillor"),
                    LEDAMOT),
    **dict.fromkeys(("ersattare", "e", "suppleant", "substitute", "deputy", "alternate"), ERSATTARE),
}
# The national parties by their usual abbreviation, as the seats and the map show them; a local party keeps
# the file's name.
PARTY_ABBREVIATIONS = {
    "socialdemokraterna": "S", "sveriges socialdemokratiska arbetareparti": "S", "arbetarepartiet-"
    "socialdemokraterna": "S", "moderaterna": "M", "moderata samlingspartiet": "M",
    "sverigedemokraterna": "SD", "centerpartiet": "C", "vansterpartiet": "V", "kristdemokraterna": "KD",
    "liberalerna": "L", "folkpartiet liberalerna": "L", "miljopartiet": "MP", "miljopartiet de grona": "MP",
}
ABBREVIATIONS = frozenset(PARTY_ABBREVIATIONS.values())


@dataclass(frozen=True)
class Listed:
    """One council member (or substitute) as the file lists them."""

    municipality: str
    name: str
    party: str
    kind: str
    line: int

    def as_json(self) -> dict[str, Any]:
        return {"municipality": self.municipality, "name": self.name, "party": self.party, "kind": self.kind,
                "line": self.line}

    @classmethod
    def from_json(cls, row: Mapping[str, Any]) -> Listed:
        return cls(str(row["municipality"]), str(row["name"]), str(row["party"]), str(row["kind"]),
                   int(row["line"]))


@dataclass(frozen=True)
class Parsed:
    """A file read: the rows of the group's councils, and how many other rows it had."""

    rows: tuple[Listed, ...]
    ignored: int


@dataclass(frozen=True)
class Stored:
    """What the diff needs of a stored politician."""

    id: int
    name: str
    name_key: str
    party: str
    in_council: bool
    left: bool


@dataclass
class Change:
    """What one municipality's council would become: politicians matched, new, gone, and the seats."""

    municipality: str
    new: list[Listed] = field(default_factory=list)
    # A stored politician back in the council after having left (their left_on is cleared).
    returning: list[tuple[Stored, Listed]] = field(default_factory=list)
    party_changed: list[tuple[Stored, Listed]] = field(default_factory=list)
    unchanged: list[tuple[Stored, Listed]] = field(default_factory=list)
    gone: list[Stored] = field(default_factory=list)
    # Names the file lists more than once, or that match several stored people, without a party to tell
    # them apart: reported, not guessed.
    ambiguous: list[Listed] = field(default_factory=list)
    # Ordinary members per party (shown name -> seats); substitutes do not hold a seat.
    seats: dict[str, int] = field(default_factory=dict)


# -- reading the file ---------------------------------------------------------------------------------------

def _fold_key(cell: str) -> str:
    return "".join(c for c in validation.fold(cell) if c.isalnum())


def party_label(raw: str) -> str:
    """Show a party as the seats and the map do: a national party by its abbreviation, else as written."""
    value = " ".join(raw.split())
    if value.upper() in ABBREVIATIONS:
        return value.upper()
    return PARTY_ABBREVIATIONS.get(civics.party_key(value), value)


def municipality_of(raw: str) -> str | None:
    """The group's municipality a cell names ("1080", "1080 Karlskrona", "Karlskrona kommun"), else None."""
    value = " ".join(raw.split())
    code = value.partition(" ")[0]
    if code.isdigit():
        return MUNICIPALITY_CODES.get(code.zfill(4))
    folded = validation.fold(value).removesuffix(" kommun").strip()
    for choice in MUNICIPALITIES:
        names = {choice.value} | ({validation.fold(choice.label.value)} if isinstance(choice.label, Literal)
                                  else set())
        # "Karlskrona kommun", and the genitive "Karlshamns kommun"
        if choice.value != "other" and (folded in names or folded.removesuffix("s") in names):
            return choice.value
    return None


def _is_council(raw: str) -> bool:
    return _fold_key(raw) in COUNCIL_ELECTIONS


def _columns(header: Sequence[str]) -> dict[str, list[int]]:
    found: dict[str, list[int]] = defaultdict(list)
    for index, cell in enumerate(header):
        column = HEADER_ALIASES.get(_fold_key(cell))
        if column is not None and column != "other":
            found[column].append(index)
    return found


def _layout_problem(header: Sequence[str], found: Mapping[str, list[int]]) -> UserError | None:
    has_name = "name" in found or ("first_name" in found and "last_name" in found)
    missing = [c for c in REQUIRED if c not in found and not (c == "name" and has_name)]
    if not missing:
        return None
    cells = [cell.strip()[:40] for cell in header if cell.strip()]
    return UserError("council_import.layout",
                     found=Literal(", ".join(cells[:20])) if cells else text("council_import.no_columns"),
                     missing=Join(tuple(text(f"council_import.column.{c}") for c in missing)))


def _cell(cells: Sequence[str], indexes: Iterable[int]) -> str:
    """The first non-empty of the cells at `indexes` (a file may give the area as code and as name)."""
    for index in indexes:
        if index < len(cells) and cells[index].strip():
            return " ".join(cells[index].split())
    return ""


def _cell_text(value: object) -> str:
    """An Excel cell as the text file would have it: a whole number without ".0", a date as YYYY-MM-DD."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()[:10]
    return str(value)


def _excel_rows(data: bytes) -> list[tuple[int, list[str]]]:
    """The first sheet's non-empty rows, each with its row number."""
    import openpyxl  # only when an Excel file comes: the bot starts without it (tests/test_imports.py)

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise UserError("council_import.bad_excel") from None
    try:
        rows: list[tuple[int, list[str]]] = []
        for number, values in enumerate(book.worksheets[0].iter_rows(values_only=True), 1):
            # A compressed file may unpack to far more rows than a country has councillors.
            if number > MAX_EXCEL_ROWS:
                raise UserError("csv.too_many_rows", max=MAX_EXCEL_ROWS)
            cells = [_cell_text(value) for value in values]
            if any(cell.strip() for cell in cells):
                rows.append((number, cells))
        return rows
    finally:
        book.close()


def _rows(data: bytes) -> list[tuple[int, list[str]]]:
    if data.startswith(ZIP_START):
        if len(data) > MAX_FILE_BYTES:
            raise UserError("csv.too_big", max=MAX_FILE_BYTES // 1000)
        return _excel_rows(data)
    # A text file is read as every spreadsheet the bot takes (the politicians' CSV import does the same).
    return politicians.table_rows(data, MAX_FILE_BYTES)


def parse(data: bytes, only: str | None = None) -> Parsed:
    """Read Valmyndigheten's file of council members: the kommunfullmäktige rows of the group's municipalities
    (of `only`, when given); all or nothing, every problem row reported with its line."""
    rows = _rows(data)
    if not rows:
        raise UserError("csv.empty")
    header_line, header = rows[0]
    found = _columns(header)
    problem = _layout_problem(header, found)
    if problem is not None:
        raise problem
    own: list[Listed] = []
    problems: list[Text] = []
    ignored = 0
    for line, cells in rows[1:]:
        place = municipality_of(_cell(cells, found["area"]))
        if not _is_council(_cell(cells, found["election"])) or place is None or (only and place != only):
            ignored += 1
            continue
        name = _cell(cells, found["name"]) if "name" in found else " ".join(
            part for part in (_cell(cells, found["first_name"]), _cell(cells, found["last_name"])) if part)
        party = _cell(cells, found["party"])
        raw_kind = _cell(cells, found.get("kind", []))
        kind = KINDS.get(_fold_key(raw_kind)) if raw_kind else LEDAMOT
        missing = [text(f"council_import.column.{column}") for column, value
                   in (("name", name), ("party", party)) if not value]
        if missing:
            problems.append(text("csv.problem_line", line=line, problem=text(
                "council_import.row_missing", columns=Join(tuple(missing)))))
        elif kind is None:
            problems.append(text("csv.problem_line", line=line, problem=text(
                "council_import.row_kind", value=Literal(raw_kind[:40]))))
        elif len(name) > 100 or len(party) > 40:
            problems.append(text("csv.problem_line", line=line, problem=text("council_import.row_long")))
        else:
            own.append(Listed(place, name, party_label(party), kind, line))
    if problems:
        raise UserError("council_import.refused", count=len(problems), problems=Join(
            tuple(problems[:PROBLEMS_SHOWN]), "\n", "• "),
            more=more_than_shown("csv.more", len(problems), PROBLEMS_SHOWN))
    if not own:
        raise UserError("council_import.none_ours", ignored=ignored)
    if len(own) > MAX_OWN_ROWS:
        raise UserError("csv.too_many_rows", max=MAX_OWN_ROWS)
    log.debug("Council file read: header on line %d, %d rows of ours, %d ignored", header_line, len(own),
              ignored)
    return Parsed(tuple(own), ignored)


# -- the diff -----------------------------------------------------------------------------------------------

def _merged(listed: Sequence[Listed]) -> list[Listed]:
    """One row per person (name and party) in a municipality: a person listed both as member and substitute
    is a member."""
    people: dict[tuple[str, str, str], Listed] = {}
    for row in listed:
        key = (row.municipality, civics.name_key(row.name), civics.party_key(row.party))
        if key not in people or (row.kind == LEDAMOT and people[key].kind != LEDAMOT):
            people[key] = row
    return list(people.values())


def diff(listed: Sequence[Listed], stored: Mapping[str, Sequence[Stored]]) -> list[Change]:
    """What each municipality's council would become, given the file's rows and the stored politicians of
    each municipality (by its code). A person is matched by name in the municipality; two of the same name
    are told apart by party, else reported as ambiguous."""
    by_place: dict[str, list[Listed]] = defaultdict(list)
    for row in _merged(listed):
        by_place[row.municipality].append(row)
    changes = []
    for place in sorted(by_place):
        change = Change(place)
        rows = by_place[place]
        # Seats by party key (a local party may be spelt in two ways), shown as first spelt.
        seats = Counter(civics.party_key(row.party) for row in rows if row.kind == LEDAMOT)
        shown = {civics.party_key(row.party): row.party for row in reversed(rows)}
        change.seats = dict(sorted(((shown[key], count) for key, count in seats.items()),
                                   key=lambda item: (-item[1], item[0].lower())))
        people = stored.get(place, ())
        stored_by_name: dict[str, list[Stored]] = defaultdict(list)
        for person in people:
            stored_by_name[person.name_key].append(person)
        listed_by_name: dict[str, list[Listed]] = defaultdict(list)
        for row in rows:
            listed_by_name[civics.name_key(row.name)].append(row)
        matched: set[int] = set()
        for key, same_name in listed_by_name.items():
            candidates = list(stored_by_name.get(key, ()))
            pairs: list[tuple[Stored | None, Listed]]
            if len(same_name) == 1 and len(candidates) <= 1:
                pairs = [(candidates[0] if candidates else None, same_name[0])]
            else:
                pairs = []
                # The party tells them apart: each listed row takes the one stored person of its party.
                for row in same_name:
                    of_party = [c for c in candidates if civics.party_key(party_label(c.party))
                                == civics.party_key(row.party)]
                    if len(of_party) == 1:
                        candidates.remove(of_party[0])
                        pairs.append((of_party[0], row))
                    else:
                        change.ambiguous.append(row)
            for found, row in pairs:
                if found is None:
                    change.new.append(row)
                    continue
                matched.add(found.id)
                if found.left or not found.in_council:
                    change.returning.append((found, row))
                elif civics.party_key(party_label(found.party)) != civics.party_key(row.party):
                    change.party_changed.append((found, row))
                else:
                    change.unchanged.append((found, row))
        ambiguous_names = {civics.name_key(row.name) for row in change.ambiguous}
        change.gone = [p for p in people if p.in_council and not p.left and p.id not in matched
                       and p.name_key not in ambiguous_names]
        changes.append(change)
    return changes


async def _stored(session: AsyncSession, workspace_id: int, places: Iterable[str]
                  ) -> tuple[dict[str, list[Stored]], dict[int, Politician]]:
    rows = list(await session.scalars(select(Politician).where(
        Politician.workspace_id == workspace_id, Politician.municipality.in_(sorted(set(places))))
        .order_by(Politician.id)))
    stored: dict[str, list[Stored]] = defaultdict(list)
    for p in rows:
        in_council = COUNCIL in (p.roles or {}) or COUNCIL in (p.bodies or [])
        stored[p.municipality].append(Stored(p.id, p.name, p.name_key, p.party, in_council,
                                             p.left_on is not None))
    return stored, {p.id: p for p in rows}


# -- the preview --------------------------------------------------------------------------------------------

def _listing(key: str, rows: Sequence[Literal]) -> Text | str:
    """A line naming the first people of a change, or nothing when there are none."""
    if not rows:
        return ""
    return text(key, names=Join(tuple(rows[:NAMES_SHOWN])),
                more=more_than_shown("council_import.more", len(rows), NAMES_SHOWN))


def _person(row: Listed) -> Literal:
    return Literal(f"{row.name} ({row.party})")


def _seats_line(seats: Mapping[str, int]) -> Join | Text:
    if not seats:
        return text("council_import.no_seats")
    total = sum(seats.values())
    return Join((Join(tuple(Literal(f"{party}: {count}") for party, count in seats.items())),
                 text("council.total", total=total, majority=total // 2 + 1)), " – ")


def _summary(change: Change) -> Field:
    new = [_person(row) for row in change.new] + [_person(row) for _, row in change.returning]
    moved = [Literal(f"{row.name} ({person.party} → {row.party})") for person, row in change.party_changed]
    gone = [Literal(f"{person.name} ({person.party})") for person in change.gone]
    lines = [
        text("council_import.preview.counts", new=len(new), gone=len(gone), changed=len(moved),
             unchanged=len(change.unchanged)),
        _listing("council_import.preview.new", new),
        _listing("council_import.preview.gone", gone),
        _listing("council_import.preview.changed", moved),
        _listing("council_import.preview.ambiguous", [_person(row) for row in change.ambiguous]),
        text("council_import.preview.seats", seats=_seats_line(change.seats)),
    ]
    return Field(civics.municipality_label(change.municipality),
                 Join(tuple(line for line in lines if isinstance(line, Text)), "\n"))


async def import_file(session: AsyncSession, actor: Actor, data: bytes, filename: str = "",
                      municipality: str | None = None) -> Reply:
    """Read Valmyndigheten's file of council members and show what importing it would change, with buttons to
    confirm or cancel; nothing is changed until it is confirmed."""
    actor.require_coordinator()
    only = civics.municipality(municipality, required=False)
    if only == "other":
        raise UserError("council_import.other_municipality")
    parsed = parse(data, only)
    stored, _ = await _stored(session, actor.workspace.id, {row.municipality for row in parsed.rows})
    changes = diff(parsed.rows, stored)
    # One pending import per workspace: a new file replaces one not yet confirmed.
    await session.execute(delete(CouncilImport).where(CouncilImport.workspace_id == actor.workspace.id))
    # The buttons name the import by a token of its own: a database may give a replaced row's id again.
    pending = CouncilImport(workspace_id=actor.workspace.id, member_id=actor.member.id,
                            token=secrets.token_hex(8), filename=filename[:200],
                            rows=[row.as_json() for row in parsed.rows], created_at=actor.now)
    session.add(pending)
    await session.flush()
    audit(session, actor, "council.import_previewed", file=filename[:100], rows=len(parsed.rows),
          ignored=parsed.ignored)
    return Reply(
        title=text("council_import.preview.title"),
        body=text("council_import.preview.body", rows=len(parsed.rows), ignored=parsed.ignored,
                  minutes=int(PENDING_FOR.total_seconds() // 60)),
        fields=tuple(_summary(change) for change in changes),
        buttons=(
            Button(text("council_import.button.confirm"), CONFIRM, pending.token, ButtonStyle.SUCCESS),
            Button(text("council_import.button.cancel"), CANCEL, pending.token, ButtonStyle.SECONDARY),
        ),
    )


# -- applying it --------------------------------------------------------------------------------------------

def _join_council(person: Politician, row: Listed) -> None:
    """Seat a politician in the council with the file's role; a chair stays chair (a member too), and their
    other bodies' roles stay as they are."""
    roles = dict(person.roles or {})
    if not (row.kind == LEDAMOT and roles.get(COUNCIL) in civics.DECIDING_ROLES):
        roles[COUNCIL] = row.kind
    person.roles = roles
    person.bodies = [b for b in civics.BODIES if b in roles or b in (person.bodies or [])]


async def _taken(session: AsyncSession, actor: Actor, arg: str) -> CouncilImport | Reply:
    """The pending import a button names, taken out of the table (so a second press finds nothing), or the
    reply that says why there is none."""
    actor.require_coordinator()
    pending = await session.scalar(select(CouncilImport).where(
        CouncilImport.workspace_id == actor.workspace.id))
    if pending is None or not secrets.compare_digest(pending.token, arg):
        return Reply(body=text("council_import.gone"), replaces_source=True)
    # The row is deleted before anything is applied: of two presses at once, only the one whose delete found
    # the row applies it (the other waits for the row lock, then finds none).
    deleted = await session.execute(delete(CouncilImport).where(CouncilImport.id == pending.id))
    if getattr(deleted, "rowcount", 1) != 1:
        return Reply(body=text("council_import.gone"), replaces_source=True)
    if actor.now - pending.created_at > PENDING_FOR:
        return Reply(body=text("council_import.expired", minutes=int(PENDING_FOR.total_seconds() // 60)),
                     replaces_source=True)
    return pending


async def _confirmed(session: AsyncSession, actor: Actor, arg: str) -> Reply:
    pending = await _taken(session, actor, arg)
    if isinstance(pending, Reply):
        return pending
    listed = [Listed.from_json(row) for row in pending.rows]
    # The diff again, against the politicians as they are now (a coordinator may have edited one since).
    stored, by_id = await _stored(session, actor.workspace.id, {row.municipality for row in listed})
    changes = diff(listed, stored)
    today = actor.today
    for change in changes:
        for row in change.new:
            person = Politician(workspace_id=actor.workspace.id, name=row.name,
                                name_key=civics.name_key(row.name), party=row.party,
                                municipality=row.municipality, roles={}, bodies=[],
                                checked_on=today, created_at=actor.now, updated_at=actor.now)
            _join_council(person, row)
            session.add(person)
        for stored_person, row in change.returning + change.party_changed + change.unchanged:
            person = by_id[stored_person.id]
            # The file's spelling of the party, so that the map groups the politician with the seats.
            person.party = row.party
            person.left_on = None
            _join_council(person, row)
            person.checked_on = today
            person.updated_at = actor.now
        for stored_person in change.gone:
            # Kept with their stances, for the history; no longer a decider.
            person = by_id[stored_person.id]
            person.left_on = today
            person.updated_at = actor.now
        await stances.store_seats(session, actor, change.municipality, COUNCIL, None,
                                  list(change.seats.items()))
    await session.flush()
    audit(session, actor, "council.imported", file=pending.filename[:100], municipalities=[
        change.municipality for change in changes],
        new=sum(len(c.new) + len(c.returning) for c in changes), gone=sum(len(c.gone) for c in changes),
        changed=sum(len(c.party_changed) for c in changes), ambiguous=sum(len(c.ambiguous) for c in changes))
    return Reply(
        title=text("council_import.applied.title"),
        body=text("council_import.applied.body"),
        fields=tuple(_summary(change) for change in changes),
        replaces_source=True,
    )


async def _cancelled(session: AsyncSession, actor: Actor, arg: str) -> Reply:
    pending = await _taken(session, actor, arg)
    if isinstance(pending, Reply):
        return pending
    return Reply(body=text("council_import.cancelled"), replaces_source=True)


async def _export(session: AsyncSession, member: Member) -> list[dict[str, Any]]:
    """A coordinator's pending import, whole (its rows are the public list's names)."""
    rows = await session.scalars(select(CouncilImport).where(CouncilImport.member_id == member.id))
    return [{"file": row.filename, "token": row.token, "created_at": row.created_at.isoformat(),
             "rows": row.rows} for row in rows]


async def _erase(session: AsyncSession, member: Member) -> None:
    """A pending import goes with the coordinator who read it in: another reads the file in again."""
    await session.execute(delete(CouncilImport).where(CouncilImport.member_id == member.id))


FEATURE = Feature(
    "council_import",
    actions={CONFIRM: _confirmed, CANCEL: _cancelled},
    member_data=(MemberData("council_imports", _export, _erase, covers=("council_import.member_id",)),),
    impersonal={"council_import.rows": "the names, parties and roles of Valmyndigheten's public list"},
)
