"""Stances and the politician map: who decides, where each stands, and how the vote is likely to go.

The map is one computed model (MapModel); the text table and the PNG are both drawn from it, so they agree.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot import charts, mapchart, validation
from bot.contributions import Feature, MemberData
from bot.errors import UserError
from bot.models import CouncilSeat, Issue, Member, Politician, Stance
from bot.replies import (
    Attachment,
    Button,
    ButtonStyle,
    Field,
    Join,
    Literal,
    Reply,
    Text,
    When,
    more_than_shown,
    text,
)
from bot.services import civics, politicians, relationships
from bot.services.context import Actor, audit, pressed_row

log = logging.getLogger(__name__)

CONFIRM_ACTION = "stances.confirm"
REJECT_ACTION = "stances.reject"
STANCE_EMOJI = {"for": "🟢", "against": "🔴", "undecided": "🟡", "unknown": "⚪"}
HISTORY_SHOWN = 20
# The stale deciders the map names to coordinators (the rest counted).
MAP_STALE_NAMED = 8
MAX_SEATS = 999
# [0-9], not \d: \d takes every script's digits, and int() reads "٣" as 3.
_SEAT_ITEM = re.compile(r"([^0-9:=,;]+?)\s*[:=]?\s*([0-9]+)")


# -- the model ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class MapRow:
    """One politician on the map."""

    politician_id: int
    name: str
    party: str
    role: str | None
    handle: str | None
    stance: str
    reported: bool
    priority: bool
    deciding: bool


@dataclass(frozen=True)
class PartyGroup:
    """A party on the map: its politicians, its seats and how its seats are projected to vote."""

    party: str
    rows: tuple[MapRow, ...]
    seats: int | None
    projected: str  # for, against or undecided


@dataclass(frozen=True)
class MapModel:
    """Everything the map shows, computed once."""

    issue_id: int
    title: str
    parties: tuple[PartyGroup, ...]
    seats_total: int | None = None
    majority: int | None = None
    projected: dict[str, int] = field(default_factory=dict)

    @property
    def rows(self) -> tuple[MapRow, ...]:
        return tuple(row for group in self.parties for row in group.rows)

    @property
    def has_seats(self) -> bool:
        return self.seats_total is not None

    @property
    def missing(self) -> int | None:
        """Votes missing for a majority for our position (0 when it has one)."""
        if self.majority is None:
            return None
        return max(0, self.majority - self.projected.get("for", 0))

    def counts(self) -> dict[str, int]:
        """How many politicians hold each stance."""
        return {stance: sum(1 for row in self.rows if row.stance == stance) for stance in civics.STANCES}

    @property
    def priority(self) -> tuple[MapRow, ...]:
        """The politicians to work on: undecided or unknown (deciding ones first), then other deciding
        votes."""
        seats = {group.party: group.seats or 0 for group in self.parties}

        def rank(row: MapRow) -> tuple[int, int, str, str, int]:
            # Undecided votes that also decide the outcome first, then the undecided, then other deciding
            # votes.
            open_mind = row.stance in ("undecided", "unknown")
            order = 0 if open_mind and row.deciding else 1 if open_mind else 2
            return order, -seats.get(row.party, 0), row.party.lower(), row.name.lower(), row.politician_id

        return tuple(sorted((row for row in self.rows if row.priority), key=rank))

    @property
    def undecided(self) -> tuple[MapRow, ...]:
        """The politicians whose stance is undecided or unknown."""
        return tuple(row for row in self.priority if row.stance in ("undecided", "unknown"))

    def summary(self) -> dict[str, object]:
        """The model as plain data: what the PNG carries as metadata and what a test compares."""
        return {
            "issue": self.issue_id,
            "rows": [[r.party, r.name, r.stance, r.reported, r.priority] for r in self.rows],
            "counts": self.counts(),
            "seats_total": self.seats_total, "majority": self.majority, "projected": self.projected,
            "missing": self.missing,
        }


def _party_line(rows: Sequence[MapRow]) -> str:
    """Project a party's seats: the stance a strict majority of its listed politicians holds, else
    undecided."""
    for stance in ("for", "against"):
        if rows and sum(1 for r in rows if r.stance == stance) * 2 > len(rows):
            return stance
    return "undecided"


async def seats_for(session: AsyncSession, workspace_id: int, body_code: str, municipality_code: str,
                    committee: str | None) -> dict[str, tuple[str, int]]:
    """Return the seats per party (by party key: shown name, seats) of a body."""
    rows = await session.scalars(select(CouncilSeat).where(
        CouncilSeat.workspace_id == workspace_id, CouncilSeat.body == body_code,
        CouncilSeat.municipality == civics.scope(body_code, municipality_code),
        CouncilSeat.committee_key == _committee_key(body_code, committee)))
    return {row.party_key: (row.party, row.seats) for row in rows}


def _committee_key(body_code: str, committee: str | None) -> str:
    return civics.name_key(committee) if body_code == civics.COMMITTEE_BODY and committee else ""


async def seats_of(session: AsyncSession, issues: Sequence[Issue]) -> dict[int, dict[str, tuple[str, int]]]:
    """Return the seats per party of each issue's deciding body (by issue id; of one workspace), in one
    statement."""
    wanted = {issue.id: (issue.body, civics.scope(issue.body, issue.municipality),
                         _committee_key(issue.body, issue.committee)) for issue in issues}
    found: dict[int, dict[str, tuple[str, int]]] = {issue.id: {} for issue in issues}
    if not issues:
        return found
    rows = await session.scalars(select(CouncilSeat).where(
        CouncilSeat.workspace_id == issues[0].workspace_id,
        CouncilSeat.body.in_(sorted({body for body, _, _ in wanted.values()})),
        CouncilSeat.municipality.in_(sorted({scope for _, scope, _ in wanted.values()}))))
    for row in rows:
        for issue_id, (body, scope, committee_key) in wanted.items():
            if (row.body, row.municipality, row.committee_key) == (body, scope, committee_key):
                found[issue_id][row.party_key] = (row.party, row.seats)
    return found


async def build_model(session: AsyncSession, issue: Issue,
                      in_the_body: Sequence[Politician] | None = None) -> MapModel:
    """Compute the map of an issue: deciders grouped by party, stances, seats, projection and priority
    targets. `in_the_body`: the body's politicians (civics.in_body) when the caller read them already."""
    if in_the_body is None:
        in_the_body = await civics.in_body(session, issue)
    politicians = [p for p in in_the_body if civics.decides(p, issue)]
    states = await civics.stance_states(session, issue.id)
    seats = await seats_for(session, issue.workspace_id, issue.body, issue.municipality, issue.committee)
    return model_of(issue, politicians, states, seats)


async def build_models(session: AsyncSession, issues: Sequence[Issue]) -> dict[int, MapModel]:
    """Compute the maps of several issues of one workspace (by issue id), in three statements whatever their
    number."""
    politicians = await civics.deciders_of(session, issues)
    states = await civics.shown_stances_of(session, [issue.id for issue in issues])
    seats = await seats_of(session, issues)
    return {issue.id: model_of(issue, politicians[issue.id], states[issue.id], seats[issue.id])
            for issue in issues}


def model_of(issue: Issue, politicians: Sequence[civics.Decider],
             states: Mapping[int, civics.StanceState] | Mapping[int, civics.ShownStance],
             seats: dict[str, tuple[str, int]]) -> MapModel:
    """Compute the map of an issue from its deciders, their stances and the body's seats."""
    by_party: dict[str, list[civics.Decider]] = {}
    names: dict[str, str] = {}
    for politician in politicians:
        key = civics.party_key(politician.party)
        by_party.setdefault(key, []).append(politician)
        names.setdefault(key, politician.party)
    for key, (party, _) in seats.items():
        by_party.setdefault(key, [])
        names.setdefault(key, party)

    drafts: list[tuple[str, list[MapRow], int | None]] = []
    for key, members in by_party.items():
        rows = []
        for politician in members:
            state = states.get(politician.id)
            rows.append(
                MapRow(
                    politician.id,
                    politician.name,
                    names[key],
                    politician.role,
                    politician.x_handle,
                    state.shown if state else "unknown",
                    bool(state and state.is_reported),
                    False,
                    False,
                )
            )
        drafts.append((key, rows, seats[key][1] if key in seats else (0 if seats else None)))

    projected_lines = {key: _party_line(rows) for key, rows, _ in drafts}
    seats_total = sum(s for _, _, s in drafts if s) if seats else None
    majority = seats_total // 2 + 1 if seats_total else None
    projected = {stance: 0 for stance in ("for", "against", "undecided")}
    for key, _, party_seats in drafts:
        projected[projected_lines[key]] += party_seats or 0
    missing = max(0, majority - projected["for"]) if majority else None

    groups = []
    for key, rows, party_seats in drafts:
        # A party that is not for us and could close the gap alone holds the deciding votes.
        deciding = bool(missing and party_seats and projected_lines[key] != "for" and party_seats >= missing)
        marked = tuple(MapRow(r.politician_id, r.name, r.party, r.role, r.handle, r.stance, r.reported,
                              r.stance in ("undecided", "unknown") or (deciding and r.stance != "for"),
                              deciding and r.stance != "for")
                       for r in sorted(rows, key=lambda r: (civics.name_key(r.name), r.politician_id)))
        groups.append(PartyGroup(names[key], marked, party_seats, projected_lines[key]))
    groups.sort(key=lambda g: (-(g.seats or 0), -len(g.rows), civics.party_key(g.party)))
    return MapModel(issue.id, issue.title, tuple(groups), seats_total, majority,
                    projected if seats_total else {})


# -- the table ----------------------------------------------------------------------------------------------

def stance_label(stance: str) -> Text:
    """Show a stance (or a member's answer)."""
    return text(f"stance.{stance}")


def map_lines(model: MapModel, own_marks: Mapping[int, Text] | None = None) -> tuple[Text, ...]:
    """The map as text lines: each party with its seats and projection, then its politicians (with a mark of
    their own by politician id, e.g. the coordinators' "🤝 2" for members who know them)."""
    lines: list[Text] = []
    marks_by_id = own_marks or {}
    for group in model.parties:
        if group.seats is not None:
            lines.append(text("map.party_seats", party=Literal(group.party), seats=group.seats,
                              projected=stance_label(group.projected)))
        else:
            lines.append(text("map.party", party=Literal(group.party)))
        for row in group.rows:
            marks = []
            if row.reported:
                marks.append(text("map.mark.reported"))
            if row.deciding:
                marks.append(text("map.mark.deciding"))
            elif row.priority:
                marks.append(text("map.mark.priority"))
            if marks_by_id and row.politician_id in marks_by_id:
                marks.append(marks_by_id[row.politician_id])
            lines.append(
                text(
                    "map.row",
                    emoji=STANCE_EMOJI[row.stance],
                    name=Literal(row.name),
                    role=Literal(f", {row.role}") if row.role else "",
                    stance=stance_label(row.stance),
                    marks=Join((Literal(""), *marks), " ") if marks else "",
                )
            )
    return tuple(lines)


def map_summary(model: MapModel) -> Text:
    """The projected vote when seats are known, else the count of stances."""
    counts = model.counts()
    if model.has_seats:
        return text("map.projection", total=model.seats_total, majority=model.majority,
                    yes=model.projected.get("for", 0), no=model.projected.get("against", 0),
                    open=model.projected.get("undecided", 0),
                    verdict=text("map.majority_reached") if model.missing == 0
                    else text("map.votes_missing", count=model.missing))
    return text("map.counts", yes=counts["for"], no=counts["against"], undecided=counts["undecided"],
                unknown=counts["unknown"])


# -- services -----------------------------------------------------------------------------------------------

async def show_map(session: AsyncSession, actor: Actor, issue: str | None = None) -> Reply:
    """Show who decides an issue: a PNG grouped by party and the same data as a table."""
    found = await civics.find_issue(session, actor.workspace.id, issue)
    # Read once: the deciders, the substitutes and the stale entries are all of the body's politicians.
    in_the_body = await civics.in_body(session, found)
    model = await build_model(session, found, in_the_body)
    zone = actor.workspace.timezone
    when = civics.decision_when(found, zone)
    fields = [Field(text("map.field.summary"), map_summary(model))]
    if not model.has_seats:
        fields.append(Field(text("map.field.seats"), text("map.no_seats")))
    if model.priority:
        fields.append(Field(text("map.field.priority"),
                            Join(tuple(Literal(f"{r.name} ({r.party})") for r in model.priority[:20]))))
    substitutes = civics.substitutes(in_the_body, found)
    if substitutes:
        # Shown apart: a substitute votes only in a member's place, so is neither counted nor asked.
        fields.append(Field(text("map.field.substitutes"),
                            Join(tuple(Literal(f"{p.name} ({p.party})") for p in substitutes[:20]))))
    contact_marks: dict[int, Text] = {}
    if actor.is_coordinator:
        # Who among the members knows a decider (only those who shared it with the coordinators): the map is
        # a private reply, and only a coordinator's names them.
        known = await relationships.shared_contacts(session, actor.workspace.id,
                                                    [row.politician_id for row in model.rows])
        contact_marks = relationships.map_marks(known)
        messengers = relationships.map_field(known, {row.politician_id: f"{row.name} ({row.party})"
                                                     for row in model.rows})
        if messengers is not None:
            fields.append(messengers)
        today = actor.now.astimezone(ZoneInfo(zone)).date()
        stale = [p for p in in_the_body if civics.decides(p, found) and civics.is_stale(p, today)]
        if stale:
            # A few by name with when each was checked (or never): a field holds 1024 characters on Discord.
            names = tuple(Join((Literal(f"{p.name} ({p.party})"), politicians.checked_label(p)), "")
                          for p in stale[:MAP_STALE_NAMED])
            fields.append(Field(text("map.field.stale"), text(
                "map.stale", count=len(stale), total=len(model.rows), names=Join(names, "\n", "• "),
                more=more_than_shown("map.stale_more", len(stale), MAP_STALE_NAMED))))
    body_label = civics.body_label(found.body, found.committee)
    if not model.rows:
        table: Text | Join = text("map.empty", body=body_label, municipality=civics.municipality_label(
            found.municipality))
    else:
        table = Join(map_lines(model, contact_marks), separator="\n")
    labels = mapchart.MapLabels.build(actor.language, model, title=found.title, body=body_label, when=when)
    # Drawing takes a moment: in the chart worker, the event loop stays free for other members meanwhile.
    png = await charts.render(session, mapchart.draw_map, model, labels)
    return Reply(title=text("map.title", title=Literal(found.title), body=body_label), body=table,
                 fields=tuple(fields), files=(Attachment(f"karta-{found.id}.png", png),))


async def set_stance(
    session: AsyncSession,
    actor: Actor,
    issue: str | None = None,
    politician: str | None = None,
    stance: civics.StanceValue | None = None,
    source: str | None = None,
    municipality: str | None = None,
) -> Reply:
    """Set a politician's stance on an issue (a coordinator's word is confirmed at once); the history is
    kept."""
    actor.require_coordinator()
    found = await civics.find_issue(session, actor.workspace.id, issue)
    person = await civics.find_politician(session, actor.workspace.id, politician,
                                          civics.municipality(municipality, required=False))
    value = civics.STANCE.required(stance)
    url = validation.web_url(source, text("field.source"))
    await _supersede_reports(session, found.id, person.id)
    row = Stance(workspace_id=actor.workspace.id, issue_id=found.id, politician_id=person.id, stance=value,
                 source_url=url, status=civics.CONFIRMED, decided_by_member_id=actor.member.id,
                 created_at=actor.now, decided_at=actor.now)
    session.add(row)
    await session.flush()
    audit(session, actor, "stance.set", issue_id=found.id, politician_id=person.id, stance=value)
    return Reply(
        body=text(
            "stances.set",
            politician=civics.politician_label(person),
            stance=stance_label(value),
            issue=civics.issue_label(found),
        )
    )


async def _supersede_reports(session: AsyncSession, issue_id: int, politician_id: int,
                             keep: int | None = None) -> None:
    query = update(Stance).where(Stance.issue_id == issue_id, Stance.politician_id == politician_id,
                                 Stance.status == civics.REPORTED)
    if keep is not None:
        query = query.where(Stance.id != keep)
    await session.execute(query.values(status=civics.SUPERSEDED))


async def report(session: AsyncSession, actor: Actor, issue: Issue, politician: Politician, stance: str
                 ) -> Stance:
    """Record a member's report of what a politician answered; it shows as reported until confirmed."""
    row = Stance(
        workspace_id=actor.workspace.id,
        issue_id=issue.id,
        politician_id=politician.id,
        stance=stance,
        status=civics.REPORTED,
        reported_by_member_id=actor.member.id,
        created_at=actor.now,
    )
    session.add(row)
    await session.flush()
    return row


def review_buttons(stance_id: int) -> tuple[Button, ...]:
    """The buttons in the coordinators' channel that settle a member's report."""
    return (Button(text("stances.button.confirm"), CONFIRM_ACTION, str(stance_id), ButtonStyle.SUCCESS),
            Button(text("stances.button.reject"), REJECT_ACTION, str(stance_id), ButtonStyle.SECONDARY))


async def _latest_report(session: AsyncSession, actor: Actor, issue: str | None, politician: str | None,
                         municipality: str | None) -> Stance:
    found = await civics.find_issue(session, actor.workspace.id, issue)
    person = await civics.find_politician(session, actor.workspace.id, politician,
                                          civics.municipality(municipality, required=False))
    row = await session.scalar(select(Stance).where(
        Stance.issue_id == found.id, Stance.politician_id == person.id, Stance.status == civics.REPORTED)
        .order_by(Stance.id.desc()).limit(1))
    if row is None:
        raise UserError("stances.no_report", politician=civics.politician_label(person),
                        issue=civics.issue_label(found))
    return row


async def confirm(
    session: AsyncSession, actor: Actor, issue: str | None = None, politician: str | None = None,
    municipality: str | None = None,
) -> Reply:
    """Confirm the latest report of a politician's stance on an issue."""
    actor.require_coordinator()
    return await _settle(
        session, actor, await _latest_report(session, actor, issue, politician, municipality), confirmed=True
    )


async def reject(
    session: AsyncSession, actor: Actor, issue: str | None = None, politician: str | None = None,
    municipality: str | None = None,
) -> Reply:
    """Reject the latest report of a politician's stance on an issue; the map goes back to the confirmed
    stance."""
    actor.require_coordinator()
    return await _settle(
        session, actor, await _latest_report(session, actor, issue, politician, municipality), confirmed=False
    )


async def _settle(session: AsyncSession, actor: Actor, row: Stance, *, confirmed: bool) -> Reply:
    issue = await session.get_one(Issue, row.issue_id)
    politician = await session.get_one(Politician, row.politician_id)
    if row.status != civics.REPORTED:
        return Reply(body=text("stances.already_settled", politician=civics.politician_label(politician),
                               status=text(f"stances.status.{row.status}")), replaces_source=True)
    row.status = civics.CONFIRMED if confirmed else civics.REJECTED
    row.decided_by_member_id = actor.member.id
    row.decided_at = actor.now
    if confirmed:
        await _supersede_reports(session, row.issue_id, row.politician_id, keep=row.id)
    audit(session, actor, "stance.confirmed" if confirmed else "stance.rejected", issue_id=issue.id,
          politician_id=politician.id, stance_id=row.id)
    key = "stances.confirmed" if confirmed else "stances.rejected"
    return Reply(
        body=text(
            key,
            politician=civics.politician_label(politician),
            stance=stance_label(row.stance),
            issue=civics.issue_label(issue),
        ),
        replaces_source=True,
    )


async def _pressed_row(session: AsyncSession, actor: Actor, arg: str) -> Stance:
    actor.require_coordinator()
    return await pressed_row(session, actor, Stance, arg)


async def confirm_pressed(session: AsyncSession, actor: Actor, arg: str) -> Reply:
    """Confirm the report a button names (by its row's id): in the coordinators' channel, or on the board."""
    return await _settle(session, actor, await _pressed_row(session, actor, arg), confirmed=True)


async def reject_pressed(session: AsyncSession, actor: Actor, arg: str) -> Reply:
    """Reject the report a button names (by its row's id): in the coordinators' channel, or on the board."""
    return await _settle(session, actor, await _pressed_row(session, actor, arg), confirmed=False)


@dataclass(frozen=True)
class WaitingReport:
    """A member's report of a stance that waits for a coordinator: the row, its issue, the politician and who
    reported it (None: their data was erased)."""

    stance: Stance
    issue: Issue
    politician: Politician
    reporter: Member | None


async def waiting_reports(session: AsyncSession, workspace_id: int, issue_id: int | None = None
                          ) -> list[WaitingReport]:
    """The reports no coordinator confirmed or rejected yet (of one issue when given), the oldest first: what
    the buttons in the coordinators' channel settle, for the campaign board."""
    query = (select(Stance, Issue, Politician, Member).join(Issue, Issue.id == Stance.issue_id)
             .join(Politician, Politician.id == Stance.politician_id)
             .outerjoin(Member, Member.id == Stance.reported_by_member_id)
             .where(Stance.workspace_id == workspace_id, Stance.status == civics.REPORTED))
    if issue_id is not None:
        query = query.where(Stance.issue_id == issue_id)
    return [WaitingReport(*row) for row in (await session.execute(query.order_by(Stance.id))).all()]


async def history(
    session: AsyncSession, actor: Actor, issue: str | None = None, politician: str | None = None,
    municipality: str | None = None,
) -> Reply:
    """Show every stance recorded for a politician on an issue, newest first; which member reported one is
    political data about that member, named to coordinators only (others read "reported by a member")."""
    found = await civics.find_issue(session, actor.workspace.id, issue)
    person = await civics.find_politician(session, actor.workspace.id, politician,
                                          civics.municipality(municipality, required=False))
    rows = (await session.execute(
        select(Stance, Member).outerjoin(Member, Member.id == Stance.reported_by_member_id)
        .where(Stance.issue_id == found.id, Stance.politician_id == person.id)
        .order_by(Stance.id.desc()))).all()
    title = text(
        "stances.history.title", politician=civics.politician_label(person), issue=civics.issue_label(found)
    )
    if not rows:
        return Reply(title=title, body=text("stances.history.none"))
    zone = actor.workspace.timezone
    lines = tuple(text("stances.history.line", when=When(row.created_at, zone, "short"),
                       stance=stance_label(row.stance), status=text(f"stances.status.{row.status}"),
                       by=_reported_by(actor, reporter),
                       source=Literal(f" {row.source_url}") if row.source_url else "")
                  for row, reporter in rows[:HISTORY_SHOWN])
    return Reply(title=title, body=Join(lines, separator="\n", bullet="• "))


def _reported_by(actor: Actor, reporter: Member | None) -> Text | str:
    if reporter is None:
        return ""
    if not actor.is_coordinator:
        return text("stances.history.by_member")
    return text("stances.history.by", name=Literal(reporter.display_name))


# -- council seats ------------------------------------------------------------------------------------------

def parse_seats(raw: str | None) -> list[tuple[str, int]]:
    """Read "S:18, M:14, SD:10" (or "S 18 M 14", "S=18; M=14") into (party, seats) pairs (None: not given)."""
    label = text("field.seats")
    value = (raw or "").strip()
    if not value:
        raise validation.FieldProblem(label, text("errors.required"))
    pairs: list[tuple[str, int]] = []
    seen: set[str] = set()
    consumed = 0
    for match in _SEAT_ITEM.finditer(value):
        between = value[consumed:match.start()]
        if between.strip(" ,;"):
            raise validation.FieldProblem(label, text("errors.seats", value=value[:80]))
        consumed = match.end()
        party, seats = match[1].strip(" ,;"), int(match[2])
        if not party or len(party) > 40 or seats > MAX_SEATS:
            raise validation.FieldProblem(label, text("errors.seats", value=value[:80]))
        if civics.party_key(party) in seen:
            raise validation.FieldProblem(label, text("errors.seats_repeated", party=Literal(party)))
        seen.add(civics.party_key(party))
        pairs.append((party, seats))
    if value[consumed:].strip(" ,;") or not pairs or sum(s for _, s in pairs) == 0:
        raise validation.FieldProblem(label, text("errors.seats", value=value[:80]))
    return pairs


async def set_seats(
    session: AsyncSession,
    actor: Actor,
    municipality: str | None = None,
    body: civics.Body | None = None,
    seats: str | None = None,
    committee: str | None = None,
) -> Reply:
    """Enter a body's seats per party (replacing what was there), for the projected vote on the map."""
    actor.require_coordinator()
    values = validation.read_all({
        "municipality": lambda: civics.municipality(municipality),
        "body": lambda: civics.BODY.read(body, required=True),
        "committee": lambda: validation.clean_text(committee, text("field.committee"), max_length=100),
        "seats": lambda: parse_seats(seats),
    })
    place, code, committee_name, pairs = (values[k] for k in ("municipality", "body", "committee", "seats"))
    await store_seats(session, actor, place, code, committee_name, pairs)
    shown = await show_seats(session, actor, municipality=place, body=code, committee=committee_name or "")
    return Reply(body=text("council.saved"), title=shown.title, fields=shown.fields)


async def store_seats(session: AsyncSession, actor: Actor, place: str, code: str, committee: str | None,
                      pairs: Sequence[tuple[str, int]]) -> None:
    """Replace a body's seats per party (checked values: the municipality's code, the body's); also what the
    council import sets from Valmyndigheten's file."""
    where = civics.scope(code, place)
    committee_key = _committee_key(code, committee)
    await session.execute(delete(CouncilSeat).where(
        CouncilSeat.workspace_id == actor.workspace.id, CouncilSeat.municipality == where,
        CouncilSeat.body == code, CouncilSeat.committee_key == committee_key))
    for party, count in pairs:
        if count:
            session.add(
                CouncilSeat(
                    workspace_id=actor.workspace.id,
                    municipality=where,
                    body=code,
                    committee_key=committee_key,
                    party=party,
                    party_key=civics.party_key(party),
                    seats=count,
                    updated_at=actor.now,
                )
            )
    audit(session, actor, "council.seats", municipality=where, body=code, total=sum(c for _, c in pairs))
    await session.flush()


async def show_seats(
    session: AsyncSession, actor: Actor, municipality: str | None = None, body: civics.Body | None = None,
    committee: str | None = None,
) -> Reply:
    """Show a body's seats per party and the majority."""
    place = civics.municipality(municipality)
    code = civics.BODY.read(body, required=True)
    assert place is not None and code is not None
    seats = await seats_for(session, actor.workspace.id, code, place, committee or None)
    where = civics.municipality_label(place) if code != civics.REGION_BODY else text("council.region")
    title = text("council.title", body=civics.body_label(code, committee or None), place=where)
    if not seats:
        return Reply(title=title, body=text("council.none"))
    total = sum(count for _, count in seats.values())
    ordered = sorted(seats.values(), key=lambda item: (-item[1], item[0].lower()))
    return Reply(
        title=title,
        fields=(
            Field(
                text("council.field.parties"),
                Join(tuple(Literal(f"{party}: {count}") for party, count in ordered)),
            ),
            Field(text("council.field.total"), text("council.total", total=total, majority=total // 2 + 1)),
        ),
    )


async def _export_decided(session: AsyncSession, member: Member) -> list[dict[str, object]]:
    rows = (await session.execute(
        select(Stance, Issue.title, Politician.name).join(Issue, Issue.id == Stance.issue_id)
        .join(Politician, Politician.id == Stance.politician_id)
        .where(Stance.decided_by_member_id == member.id).order_by(Stance.id))).all()
    return [{"issue": title, "politician": name, "stance": s.stance, "status": s.status,
             "at": s.decided_at.isoformat() if s.decided_at else None} for s, title, name in rows]


async def _erase_decided(session: AsyncSession, member: Member) -> None:
    """Stances stay on the map; who set or confirmed them goes with the member row (SET NULL)."""


FEATURE = Feature(
    "stances",
    actions={CONFIRM_ACTION: confirm_pressed, REJECT_ACTION: reject_pressed},
    member_data=(MemberData("stance_decisions", _export_decided, _erase_decided,
                            covers=("stance.decided_by_member_id",)),),
)
