"""The shared vocabulary of issues and politicians: deciding bodies, topics, stances, and finding things by
name."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Protocol, cast

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import validation
from bot.errors import UserError
from bot.models import Issue, Politician, Stance, Workspace
from bot.replies import Choice, Join, Literal, Text, When, text
from bot.services.profile_fields import MUNICIPALITIES, choice_label


class Body(StrEnum):
    """A deciding body (the values the database keeps)."""

    KOMMUNFULLMAKTIGE = "kommunfullmaktige"
    KOMMUNSTYRELSEN = "kommunstyrelsen"
    NAMND = "namnd"
    REGIONFULLMAKTIGE = "regionfullmaktige"


BODIES = tuple(body.value for body in Body)
COMMITTEE_BODY = Body.NAMND.value
REGION_BODY = Body.REGIONFULLMAKTIGE.value
# Seats and politicians of the region's council do not belong to one municipality.
REGION = "region"
# A body by its value, its name in either language, or KF/KS/RF.
BODY = validation.ChoiceSet(Body, "field.body", "body", {
    "kf": "kommunfullmaktige", "ks": "kommunstyrelsen", "rf": "regionfullmaktige", "namnden": "namnd",
    "committee": "namnd"})


class Role(StrEnum):
    """A politician's role in one body (the values `Politician.roles` keeps)."""

    ORDFORANDE = "ordforande"
    VICE_ORDFORANDE = "vice_ordforande"
    LEDAMOT = "ledamot"
    ERSATTARE = "ersattare"


# A role by its value or its name in either language; the numbered vice chairs are vice chairs too.
ROLE = validation.ChoiceSet(Role, "field.politician.body_role", "politicians.body_role", {
    "ordf": "ordforande", "vice ordf": "vice_ordforande", "1:e vice ordforande": "vice_ordforande",
    "forste vice ordforande": "vice_ordforande", "2:e vice ordforande": "vice_ordforande",
    "andre vice ordforande": "vice_ordforande", "first vice chair": "vice_ordforande",
    "second vice chair": "vice_ordforande", "vice chairman": "vice_ordforande", "chairman": "ordforande",
    "chairperson": "ordforande", "ordinarie ledamot": "ledamot", "ordinarie": "ledamot",
    "suppleant": "ersattare", "deputy": "ersattare", "alternate": "ersattare"})
# Who decides: a substitute (ersättare) votes only in a member's place, so is shown apart and not asked.
DECIDING_ROLES = frozenset({Role.ORDFORANDE, Role.VICE_ORDFORANDE, Role.LEDAMOT})
# A body's chair first, then the vice chairs, then the members: whom a draft addresses when it names a person.
ROLE_ORDER = (Role.ORDFORANDE, Role.VICE_ORDFORANDE, Role.LEDAMOT, Role.ERSATTARE)
# The municipal term after the election of 13 September 2026 starts on 15 October 2026: a list checked before
# it may still name the last term's councillors.
TERM_START = date(2026, 10, 15)
# An entry not checked for a year is worth checking again even within a term (people leave, roles change).
STALE_AFTER = timedelta(days=365)
# "ordförande i kommunstyrelsen", "kommunstyrelsen = ordförande", "KS: ordf": a role and its body in one part.
_ROLE_IN_BODY = re.compile(r"^(?P<role>.+?)\s+(?:i|in|of|for|för)\s+(?P<body>.+)$", re.IGNORECASE)
# (A colon only with a space after it: "1:e vice ordförande" is a role, not a body "1".)
_BODY_IS_ROLE = re.compile(r"^(?P<body>[^=:]+?)\s*(?:=|:\s)\s*(?P<role>.+)$")
# Parts of a free-text title that may each name a role in a body ("Ordförande i KS, ledamot i KF").
_TITLE_PARTS = re.compile(r"\s*(?:[,;+&|]|\bsamt\b)\s*", re.IGNORECASE)
TOPICS = ("parkering", "upphandling", "infrastruktur", "skola", "naringslivsklimat", "bostader",
          "kollektivtrafik", "besoksnaring")
TOPIC_CHOICES = tuple(Choice(t, text(f"topic.{t}")) for t in TOPICS)


class StanceValue(StrEnum):
    """A politician's stance on an issue (the values the database keeps)."""

    FOR = "for"
    AGAINST = "against"
    UNDECIDED = "undecided"
    UNKNOWN = "unknown"


STANCE = validation.ChoiceSet(StanceValue, "field.stance", "stance")
STANCES = tuple(s.value for s in StanceValue)
# What a member reports back after asking: a stance, or that no answer came.
ANSWERS = ("for", "against", "undecided", "no_answer")


class Outcome(StrEnum):
    """How an issue ended (the values the database keeps)."""

    WON = "won"
    LOST = "lost"
    POSTPONED = "postponed"
    WITHDRAWN = "withdrawn"
    OTHER = "other"


OUTCOME = validation.ChoiceSet(Outcome, "field.outcome", "issues.outcome")
OPEN, CLOSED = "open", "closed"
CONFIRMED, REPORTED, REJECTED, SUPERSEDED = "confirmed", "reported", "rejected", "superseded"
# Several bodies in one value: "kommunfullmäktige+kommunstyrelsen", "KF, KS", "KF/KS".
_LIST_SEPARATORS = re.compile(r"\s*(?:[+,/&|]|\boch\b|\band\b)\s*", re.IGNORECASE)


def municipality(raw: str | None, *, required: bool = True) -> str | None:
    """Read a municipality by its code or name."""
    return validation.choice(raw, text("field.municipality"), MUNICIPALITIES, required=required)


def municipality_label(code: str | None) -> Text | Literal:
    """Show a municipality."""
    return choice_label("municipality", code)


def bodies(raw: str | None) -> list[str]:
    """Read one or several bodies ("KF+KS"); each at most once, in the order of BODIES."""
    found = {BODY.read(part) for part in _LIST_SEPARATORS.split(raw or "") if part.strip()}
    return [b for b in BODIES if b in found]


def roles(raw: str | None, bodies_given: Sequence[str] = ()) -> dict[str, str]:
    """Read roles in bodies: "kommunstyrelsen=ordförande, KF=ledamot", "ordförande i KS", a body alone (a
    member of it) or a role alone (that role in each of `bodies_given`). In the order of BODIES."""
    found: dict[str, str] = {}
    for part in _LIST_SEPARATORS.split(raw or ""):
        if not part.strip():
            continue
        pair = _BODY_IS_ROLE.match(part) or _ROLE_IN_BODY.match(part)
        if pair is not None:
            found[str(BODY.read(pair["body"], required=True))] = str(ROLE.read(pair["role"], required=True))
        elif _is_body(part):
            found.setdefault(str(BODY.read(part, required=True)), Role.LEDAMOT.value)
        else:
            role = ROLE.read(part, required=True)
            for body in bodies_given:
                found[body] = str(role)
    return {body: found[body] for body in BODIES if body in found}


def _is_body(part: str) -> bool:
    try:
        return BODY.read(part) is not None
    except validation.FieldProblem:
        return False


def _role_word(part: str) -> Role | None:
    """The role a free text names: "1:e vice ordförande" is vice chair, "ordf." chair, and so on."""
    folded = validation.fold(part)
    if "ersattare" in folded or "substitute" in folded or "suppleant" in folded:
        return Role.ERSATTARE
    if "vice" in folded:
        return Role.VICE_ORDFORANDE
    if "ordf" in folded or "chair" in folded:
        return Role.ORDFORANDE
    if "ledamot" in folded or "member" in folded:
        return Role.LEDAMOT
    return None


def roles_in_title(title: str | None) -> dict[str, str]:
    """The roles a free-text title names, tolerantly ("Ordförande i kommunstyrelsen, ledamot i KF"); a title
    that names no body ("Kommunalråd") names none. Never refuses: a title is shown as typed."""
    found: dict[str, str] = {}
    for part in _TITLE_PARTS.split(title or ""):
        words = validation.fold(part).replace(".", " ").split()
        named = [body for body in (_word_body(word) for word in words) if body is not None]
        if len(set(named)) == 1:
            found[named[0]] = str(_role_word(part) or Role.LEDAMOT)
    return {body: found[body] for body in BODIES if body in found}


def committee_in_title(title: str | None) -> str | None:
    """The committee a title names as where its role is held ("Ordförande i Tekniska nämnden" → "Tekniska
    nämnden"); None when it names none."""
    for part in _TITLE_PARTS.split(title or ""):
        found = _ROLE_IN_BODY.match(part.strip())
        if found is not None and _word_body(validation.fold(found["body"]).split()[-1]) == COMMITTEE_BODY:
            return found["body"].strip()[:100]
    return None


def _word_body(word: str) -> str | None:
    """The body one word of a title names: its name, KF/KS/RF, or a committee ("…nämnden")."""
    if word.endswith(("namnd", "namnden", "committee")):
        return COMMITTEE_BODY
    if word.endswith(("fullmaktiges", "styrelsens")):
        word = word.removesuffix("s")  # "kommunstyrelsens ordförande"
    if word in ("kf", "ks", "rf") or word.endswith(("fullmaktige", "styrelsen")):
        try:
            return BODY.read(word)
        except validation.FieldProblem:
            return None
    return None


def role_of(politician: Decider, body: str) -> str | None:
    """A politician's role in a body (None: not in it); one in a body without a known role is a member."""
    known = politician.roles or {}
    if body in known:
        return known[body]
    return Role.LEDAMOT.value if body in (politician.bodies or []) else None


def roles_label(politician: Decider) -> Join | Text:
    """Show the bodies a politician sits in with the role in each but a member's ("kommunfullmäktige,
    kommunstyrelsen (ordförande)")."""
    codes = [body for body in BODIES if role_of(politician, body)]
    if not codes:
        return text("profile.empty")
    return Join(tuple(
        body_label(code, politician.committee) if role_of(politician, code) == Role.LEDAMOT else
        text("politicians.in_body", body=body_label(code, politician.committee),
             role=text(f"politicians.body_role.{role_of(politician, code)}"))
        for code in codes))


def is_stale(politician: Decider, today: date) -> bool:
    """Say whether an entry is worth checking again: never checked, checked before the current term started,
    or longer than STALE_AFTER ago."""
    checked = politician.checked_on
    return checked is None or checked < TERM_START or today - checked > STALE_AFTER


def topics(raw: str | None) -> list[str]:
    """Read a comma-separated list of topics by code or name."""
    found = {validation.choice(part, text("field.topics"), TOPIC_CHOICES)
             for part in _LIST_SEPARATORS.split(raw or "") if part.strip()}
    return [t for t in TOPICS if t in found]


def email(raw: str | None, label: Text) -> str | None:
    """Accept an e-mail address (or nothing)."""
    return validation.email_address(raw, label)


def body_label(code: str, committee: str | None = None) -> Text | Literal:
    """Show a deciding body; a nämnd by its own name when it has one."""
    if code == COMMITTEE_BODY and committee:
        return Literal(committee)
    return text(f"body.{code}") if code in BODIES else Literal(code)


def bodies_label(codes: Sequence[str], committee: str | None = None) -> Join | Text:
    """Show the bodies a politician sits in."""
    if not codes:
        return text("profile.empty")
    return Join(tuple(body_label(code, committee) for code in codes))


def topics_label(codes: Sequence[str]) -> Join | Text:
    """Show an issue's topics."""
    if not codes:
        return text("profile.empty")
    return Join(tuple(text(f"topic.{code}") for code in codes if code in TOPICS))


def scope(body_code: str, municipality_code: str) -> str:
    """Return where a body's seats belong: the region for regionfullmäktige, else the municipality."""
    return REGION if body_code == REGION_BODY else municipality_code


def name_key(name: str) -> str:
    """Fold a name for comparison: case, diacritics and spacing do not make another person."""
    return " ".join(validation.fold(name).split())[:100]


def party_key(party: str) -> str:
    """Fold a party name for grouping."""
    return " ".join(validation.fold(party).split())[:40]


def issue_label(issue: Issue) -> Literal:
    """Show an issue by its title."""
    return Literal(issue.title)


def decision_when(issue: Issue, zone: str, style: str | None = None) -> When:
    """Show when an issue is decided: the date and time, or only the date when no time was given."""
    return When(issue.decision_at, zone, style or ("full" if issue.decision_has_time else "date"))


def politician_label(politician: Politician) -> Literal:
    """Show a politician as "Name (Party)"."""
    return Literal(f"{politician.name} ({politician.party})")


async def find_issue(
    session: AsyncSession, workspace_id: int, ref: str | None, *, open_only: bool = False
) -> Issue:
    """Find an issue by its number or its title (or the start of it); refuse an unknown or ambiguous one."""
    value = (ref or "").strip().removeprefix("#")
    if not value:
        raise UserError("issues.missing")
    query = select(Issue).where(Issue.workspace_id == workspace_id)
    if open_only:
        query = query.where(Issue.status == OPEN)
    if (issue_id := validation.record_id(value)) is not None:
        issue = await session.scalar(query.where(Issue.id == issue_id))
        if issue is not None:
            return issue
    candidates = list(await session.scalars(query.order_by(Issue.decision_at, Issue.id)))
    wanted = name_key(value)
    exact = [i for i in candidates if name_key(i.title) == wanted]
    matches = exact or [i for i in candidates if name_key(i.title).startswith(wanted)] or \
        [i for i in candidates if wanted in name_key(i.title)]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise UserError("issues.unknown", value=Literal(value[:60]))
    raise UserError("issues.ambiguous", value=Literal(value[:60]),
                    matches=Join(tuple(Literal(f"#{i.id} {i.title}") for i in matches[:10])))


async def find_politician(
    session: AsyncSession, workspace_id: int, ref: str | None, municipality_code: str | None = None
) -> Politician:
    """Find a politician by number or name (in a municipality when several share the name)."""
    value = (ref or "").strip()
    if not value:
        raise UserError("politicians.missing")
    politician_id = validation.record_id(value)
    if politician_id is not None:
        value = value.removeprefix("#")
    query = select(Politician).where(Politician.workspace_id == workspace_id)
    if politician_id is not None:
        politician = await session.scalar(query.where(Politician.id == politician_id))
        if politician is not None:
            return politician
    if municipality_code:
        query = query.where(Politician.municipality == municipality_code)
    matches = list(await session.scalars(query.where(Politician.name_key == name_key(value))
                                         .order_by(Politician.municipality, Politician.id)))
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise UserError("politicians.unknown", value=Literal(value[:60]))
    raise UserError(
        "politicians.ambiguous",
        value=Literal(value[:60]),
        matches=Join(
            tuple(
                Join((Literal(f"#{p.id} {p.name}"), municipality_label(p.municipality)), " – ")
                for p in matches
            )
        ),
    )


async def deciders(session: AsyncSession, issue: Issue) -> list[Politician]:
    """Return the politicians who decide the issue (a deciding role in its body, not left), by party and
    name."""
    return [p for p in await in_body(session, issue) if decides(p, issue)]


def substitutes(in_the_body: Sequence[Politician], issue: Issue) -> list[Politician]:
    """Of the politicians in the issue's body (`in_body`), the substitutes (ersättare) who have not left:
    shown apart, never asked."""
    return [p for p in in_the_body if p.left_on is None and role_in(p, issue) == Role.ERSATTARE]


async def in_body(session: AsyncSession, issue: Issue) -> list[Politician]:
    """Return every politician with a role in the issue's body (deciders, substitutes, those who left), by
    party and name: one statement, which the map splits (civics.decides, substitutes)."""
    query = select(Politician).where(Politician.workspace_id == issue.workspace_id)
    if issue.body != REGION_BODY:
        query = query.where(Politician.municipality == issue.municipality)
    found = [politician for politician in await session.scalars(query) if sits_on(politician, issue)]
    return sorted(found, key=lambda p: (party_key(p.party), p.name_key, p.id))


def addressee(politicians: Sequence[Politician], issue: Issue) -> Politician | None:
    """Whom a draft about the issue addresses when no one was assigned: the body's chair first, then a vice
    chair, then a member, preferring one with an X handle within each role. None: no decider known."""
    ranked = sorted((p for p in politicians if decides(p, issue)),
                    key=lambda p: (ROLE_ORDER.index(Role(role_in(p, issue) or Role.LEDAMOT)),
                                   p.x_handle is None, party_key(p.party), p.name_key, p.id))
    return ranked[0] if ranked else None


class Decider(Protocol):
    """What the map needs of a politician (a Politician, or a row of its columns)."""

    @property
    def id(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def name_key(self) -> str: ...
    @property
    def party(self) -> str: ...
    @property
    def role(self) -> str | None: ...
    @property
    def municipality(self) -> str: ...
    @property
    def bodies(self) -> list[str]: ...
    @property
    def roles(self) -> dict[str, str] | None: ...
    @property
    def left_on(self) -> date | None: ...
    @property
    def checked_on(self) -> date | None: ...
    @property
    def committee(self) -> str | None: ...
    @property
    def x_handle(self) -> str | None: ...


async def deciders_of(session: AsyncSession, issues: Sequence[Issue]) -> dict[int, list[Decider]]:
    """Return the deciders of each issue (by issue id; of one workspace), by party and name, in one
    statement that reads only the columns the map needs."""
    found: dict[int, list[Decider]] = {issue.id: [] for issue in issues}
    if not issues:
        return found
    query = select(Politician.id, Politician.name, Politician.name_key, Politician.party, Politician.role,
                   Politician.municipality, Politician.bodies, Politician.roles, Politician.left_on,
                   Politician.checked_on, Politician.committee, Politician.x_handle
                   ).where(Politician.workspace_id == issues[0].workspace_id)
    if all(issue.body != REGION_BODY for issue in issues):
        query = query.where(Politician.municipality.in_(sorted({issue.municipality for issue in issues})))
    for politician in cast("list[Decider]", list(await session.execute(query))):
        for issue in issues:
            if decides(politician, issue):
                found[issue.id].append(politician)
    for politicians in found.values():
        politicians.sort(key=lambda p: (party_key(p.party), p.name_key, p.id))
    return found


def role_in(politician: Decider, issue: Issue) -> str | None:
    """A politician's role in the body that decides an issue (None: not in it)."""
    return role_of(politician, issue.body) if sits_on(politician, issue) else None


def decides(politician: Decider, issue: Issue) -> bool:
    """Say whether a politician decides an issue: a deciding role in its body (not a substitute), not
    left."""
    return politician.left_on is None and role_in(politician, issue) in DECIDING_ROLES


def sits_on(politician: Decider, issue: Issue) -> bool:
    """Say whether a politician sits in the body that decides an issue, in any role (a substitute too)."""
    if issue.body != REGION_BODY and politician.municipality != issue.municipality:
        return False
    if role_of(politician, issue.body) is None:
        return False
    return not (issue.body == COMMITTEE_BODY and issue.committee and politician.committee
                and name_key(politician.committee) != name_key(issue.committee))


@dataclass(frozen=True)
class StanceState:
    """What is known about one politician's stance on an issue: the confirmed one and a newer report."""

    confirmed: Stance | None
    reported: Stance | None

    @property
    def shown(self) -> str:
        """Return the stance to show: a newer report until a coordinator settles it, else the confirmed
        one."""
        if self.reported is not None:
            return self.reported.stance
        return self.confirmed.stance if self.confirmed is not None else "unknown"

    @property
    def is_reported(self) -> bool:
        return self.reported is not None


async def stance_states(session: AsyncSession, issue_id: int) -> dict[int, StanceState]:
    """Return each politician's stance state on an issue, from the history."""
    rows = await session.scalars(select(Stance).where(Stance.issue_id == issue_id,
                                                      Stance.status.in_((CONFIRMED, REPORTED)))
                                 .order_by(Stance.id))
    confirmed: dict[int, Stance] = {}
    reported: dict[int, Stance] = {}
    for row in rows:
        if row.status == CONFIRMED:
            confirmed[row.politician_id] = row
            reported.pop(row.politician_id, None)
        else:
            reported[row.politician_id] = row
    return {
        pid: StanceState(confirmed.get(pid), reported.get(pid)) for pid in confirmed.keys() | reported.keys()
    }


@dataclass(frozen=True)
class ShownStance:
    """What the map shows of one politician's stance (as StanceState.shown and is_reported), without the
    rows of its history."""

    shown: str
    is_reported: bool


async def shown_stances_of(session: AsyncSession, issue_ids: Sequence[int]
                           ) -> dict[int, dict[int, ShownStance]]:
    """Return what the map shows of each politician's stance on each issue (by issue id), as stance_states
    would, in one statement that reads only the columns it needs."""
    confirmed: dict[int, dict[int, str]] = {issue_id: {} for issue_id in issue_ids}
    reported: dict[int, dict[int, str]] = {issue_id: {} for issue_id in issue_ids}
    if issue_ids:
        rows = await session.execute(
            select(Stance.issue_id, Stance.politician_id, Stance.status, Stance.stance)
            .where(Stance.issue_id.in_(sorted(set(issue_ids))), Stance.status.in_((CONFIRMED, REPORTED)))
            .order_by(Stance.id))
        for issue_id, politician_id, status, stance in rows:
            if status == CONFIRMED:
                confirmed[issue_id][politician_id] = stance
                reported[issue_id].pop(politician_id, None)
            else:
                reported[issue_id][politician_id] = stance
    return {issue_id: {pid: ShownStance(reported[issue_id].get(pid) or confirmed[issue_id][pid],
                                        pid in reported[issue_id])
                       for pid in confirmed[issue_id].keys() | reported[issue_id].keys()}
            for issue_id in issue_ids}


async def workspace_id_for(session: AsyncSession, platform: str, external_id: str) -> int | None:
    """Return a workspace's id without creating anything (for suggestions while a user types)."""
    return await session.scalar(select(Workspace.id).where(Workspace.platform == platform,
                                                           Workspace.external_id == external_id))
