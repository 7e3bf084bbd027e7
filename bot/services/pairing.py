"""Peers who teach peers: a round now and then (monthly by default) pairs members who want to learn social
media with members who use it already, in the same municipality or industry where it can, and asks them two
weeks later whether they met.

Members opt in (`/peer join`), as learners or teachers: their profile's experience suggests which (none and
beginner learn, active teaches), and they may say otherwise. Coordinators turn the rounds on and set their
rhythm, weekday and hour (`/peer-admin settings`; off by default), try one at once (`/peer-admin now`) and see
the pairs of the last rounds and whether they met (`/peer-admin pairs`).

A round is a reminder that plans the next one when it fires (kept in step with the settings as the digest's
is), and makes its pairs in the reminder's own transaction, with their deliveries and the check-in two weeks
later: a restart makes neither a second round nor a second message. Each member of a pair gets one DM: who the
other is (only what they put in their profile), a first topic (the learner's next coaching step, else an open
issue in their municipality) and a mention to reach them by. A teacher takes one learner a round: the
introduction and the check-in stay a conversation of two, and the learners and teachers who waited longest go
first, so that with few of either each gets a turn over the rounds. A learner left over is told so, kindly,
by a DM that mentions nobody in a channel if DMs are closed.

A "yes" to the check-in is stored for the coordinators and is not logged as an action: actions are what the
group does in public (a tweet, a question to a politician) and count for pledges, streaks and the digest; a
fika between two members is none of those.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot import reminders, timeparse, validation
from bot.contributions import Feature, MemberData
from bot.errors import UserError
from bot.models import (
    Issue,
    Member,
    PeerMember,
    PeerPair,
    PeerRound,
    PeerSettings,
    Reminder,
    Workspace,
)
from bot.replies import (
    Button,
    ButtonStyle,
    Channel,
    Field,
    Join,
    Literal,
    Mention,
    Renderable,
    Reply,
    Text,
    When,
    text,
)
from bot.services import civics, digest, ladder
from bot.services.context import Actor, apply_settings, pressed_row, settings_row
from bot.services.profile_fields import choice_label

log = logging.getLogger(__name__)

ROUND_KIND = "pairing.round"
# A round a coordinator asked for at once (/peer-admin now): its own kind, so that keeping the rhythm's one
# pending round never cancels it.
NOW_KIND = "pairing.round_now"
CHECKIN_KIND = "pairing.checkin"
CHECKIN_AFTER = timedelta(days=14)
# A round for a date the bot slept through is not made days late; the next one is planned as usual.
STALE_ROUND = timedelta(days=2)
DEFAULT_WEEKDAY = 1  # Monday: the first Monday of the month
DEFAULT_HOUR = 10
# Rounds every N weeks fall in the weeks counted from this Monday, so that the rhythm does not drift when the
# bot restarts or the settings are saved again.
WEEKS_EPOCH = date(2024, 1, 1)
ROUNDS_SHOWN = 3
PAIRS_SHOWN = 20

MET_ACTION = "pairing.met"
NOT_YET_ACTION = "pairing.not_yet"
NOT_MET_ACTION = "pairing.not_met"


class PeerRole(StrEnum):
    """What a member wants from the pairing."""

    LEARN = "learn"
    TEACH = "teach"


class Rhythm(StrEnum):
    """How often a round goes out."""

    MONTHLY = "monthly"
    EVERY_2_WEEKS = "every_2_weeks"
    EVERY_3_WEEKS = "every_3_weeks"
    EVERY_4_WEEKS = "every_4_weeks"


class Answer(StrEnum):
    """An answer to the check-in."""

    YES = "yes"
    NOT_YET = "not_yet"
    NO = "no"


ROLE = validation.ChoiceSet(PeerRole, "pairing.field.role", "pairing.role")
RHYTHM = validation.ChoiceSet(Rhythm, "pairing.field.rhythm", "pairing.rhythm")
WEEKS = {Rhythm.EVERY_2_WEEKS: 2, Rhythm.EVERY_3_WEEKS: 3, Rhythm.EVERY_4_WEEKS: 4}


def default_role(experience: str | None) -> PeerRole:
    """The role a member's experience suggests: who is active on social media teaches, the others learn."""
    return PeerRole.TEACH if experience == "active" else PeerRole.LEARN


# -- settings and the schedule -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PairingSettings:
    """A workspace's pairing settings, stored or default."""

    enabled: bool = False
    rhythm: Rhythm = Rhythm.MONTHLY
    weekday: int = DEFAULT_WEEKDAY
    hour: int = DEFAULT_HOUR


async def settings_of(session: AsyncSession, workspace_id: int) -> PairingSettings:
    """Return the workspace's pairing settings (the defaults, off, until a coordinator changes them)."""
    row = await session.get(PeerSettings, workspace_id)
    if row is None:
        return PairingSettings()
    return PairingSettings(row.enabled, Rhythm(row.rhythm), row.weekday, row.hour)


def _first_weekday(year: int, month: int, weekday: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.isoweekday()) % 7)


def next_round_at(settings: PairingSettings, zone: str, after: datetime) -> datetime:
    """Return the first round strictly after `after`: monthly on the month's first chosen weekday, or every N
    weeks on that weekday, at the hour in the workspace's zone."""
    tz = ZoneInfo(zone)
    weeks = WEEKS.get(settings.rhythm)
    if weeks is not None:
        due = reminders.next_weekly(settings.weekday, settings.hour, zone, after)
        while ((due.astimezone(tz).date() - WEEKS_EPOCH).days // 7) % weeks:
            due = reminders.next_weekly(settings.weekday, settings.hour, zone, due)
        return due
    local = after.astimezone(tz)
    year, month = local.year, local.month
    while True:
        # Built as wall-clock time in the zone, so a daylight-saving change keeps the hour.
        candidate = datetime.combine(_first_weekday(year, month, settings.weekday), time(settings.hour),
                                     tzinfo=tz)
        if candidate > after:
            return candidate.astimezone(UTC)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def _round_key(settings: PairingSettings, zone: str, workspace_id: int, due: datetime) -> str:
    """A round's key: its month, or its ISO week, so that no month (week) gets two when the day is moved."""
    local = due.astimezone(ZoneInfo(zone))
    if settings.rhythm == Rhythm.MONTHLY:
        return f"{ROUND_KIND}:{workspace_id}:{local.year}-{local.month:02d}"
    year, week, _ = local.isocalendar()
    return f"{ROUND_KIND}:{workspace_id}:{year}-W{week:02d}"


async def ensure_planned(session: AsyncSession, workspace: Workspace, now: datetime) -> datetime | None:
    """Make sure exactly one round is pending (none when the pairing is off); return when it falls due."""
    settings = await settings_of(session, workspace.id)
    zone = workspace.timezone
    return await reminders.keep_one_pending(
        session, workspace_id=workspace.id, kind=ROUND_KIND, enabled=settings.enabled,
        next_due=lambda after: next_round_at(settings, zone, after),
        key_for=lambda due: _round_key(settings, zone, workspace.id, due), now=now,
        payload={"workspace_id": workspace.id})


# -- the pairing ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """A member who takes part in a round, as the pairing sees them."""

    id: int
    municipality: str | None = None
    industry: str | None = None


def _same_municipality(learner: Candidate, teacher: Candidate) -> bool:
    # "Another municipality" names no place two members share.
    return learner.municipality not in (None, "other") and learner.municipality == teacher.municipality


def _same_industry(learner: Candidate, teacher: Candidate) -> bool:
    return learner.industry not in (None, "other") and learner.industry == teacher.industry


def _anyone(learner: Candidate, teacher: Candidate) -> bool:
    return True


def pair_up(learners: Sequence[Candidate], teachers: Sequence[Candidate],
            last_round: Collection[tuple[int, int]]
            ) -> tuple[list[tuple[Candidate, Candidate]], list[Candidate]]:
    """Pair learners with teachers, one learner a teacher; return the pairs (in the learners' order) and the
    learners left over.

    The learners come in the order they go first in (who waited longest), the teachers in the order they are
    preferred when several fit. A pair of the same municipality is made first, then of the same industry,
    then any; a pair of the last round (`last_round`, as (learner id, teacher id)) only when no other is left.
    The same input always gives the same pairs.
    """
    free = list(teachers)
    waiting = list(learners)
    chosen: dict[int, Candidate] = {}
    for fresh_only in (True, False):
        for fits in (_same_municipality, _same_industry, _anyone):
            for learner in list(waiting):
                teacher = next((t for t in free if t.id != learner.id and fits(learner, t)
                                and not (fresh_only and (learner.id, t.id) in last_round)), None)
                if teacher is not None:
                    chosen[learner.id] = teacher
                    free.remove(teacher)
                    waiting.remove(learner)
    return [(learner, chosen[learner.id]) for learner in learners if learner.id in chosen], waiting


def _name(member: Member) -> Renderable:
    return Literal(member.display_name) if member.display_name else Mention("user", member.external_id)


def _about(member: Member) -> Join:
    """What a member shared in their profile that introduces them: only the fields they filled in."""
    lines: list[Renderable] = [text("pairing.about.name", name=_name(member))]
    if member.company:
        lines.append(text("pairing.about.company", company=Literal(member.company)))
    if member.industry:
        lines.append(text("pairing.about.industry", industry=choice_label("industry", member.industry)))
    if member.municipality:
        lines.append(text("pairing.about.municipality",
                          municipality=civics.municipality_label(member.municipality)))
    if member.x_handle:
        lines.append(text("pairing.about.x", handle=Literal("@" + member.x_handle.removeprefix("@"))))
    return Join(tuple(lines), separator="\n")


def _introduction(member: Member, other: Member, role: PeerRole, topic: Renderable) -> Reply:
    """The DM that tells a member of a pair who the other is, what to start with and how to reach them."""
    return Reply(
        title=text("pairing.intro.title"),
        body=text(f"pairing.intro.{role.value}", name=_name(other)),
        fields=(Field(text("pairing.intro.about"), _about(other)),
                Field(text("pairing.intro.topic"), topic),
                Field(text("pairing.intro.reach"),
                      text("pairing.intro.reach_how", mention=Mention("user", other.external_id)))),
        # About another member's profile: a fallback in a channel says only that there is a message.
        private=False, personal=True)


async def _topics(session: AsyncSession, workspace_id: int, learners: Sequence[Member]
                  ) -> dict[int, Renderable]:
    """A first topic for each learner: their next coaching step, else the soonest open issue in their
    municipality, else a general one. Three statements, whatever the number of learners."""
    steps = await ladder.steps_of(session, workspace_id)
    done = await ladder.done_of(session, [m.id for m in learners])
    places = sorted({m.municipality for m in learners if m.municipality})
    issues: dict[str, Issue] = {}
    if places:
        for issue in await session.scalars(select(Issue).where(
                Issue.workspace_id == workspace_id, Issue.status == civics.OPEN,
                Issue.municipality.in_(places)).order_by(Issue.decision_at, Issue.id)):
            issues.setdefault(issue.municipality, issue)
    topics: dict[int, Renderable] = {}
    for learner in learners:
        _, _, step = ladder.standing(steps, done[learner.id], learner.experience)
        nearby = issues.get(learner.municipality or "")
        if step is not None:
            topics[learner.id] = text("pairing.topic.step", step=step.title_text())
        elif nearby is not None:
            topics[learner.id] = text("pairing.topic.issue", title=Literal(nearby.title),
                                      municipality=civics.municipality_label(nearby.municipality))
        else:
            topics[learner.id] = text("pairing.topic.general")
    return topics


async def _describe(session: AsyncSession, reminder: Reminder) -> Text:
    """Name a skipped round or check-in for the coordinators."""
    workspace = await session.get_one(Workspace, reminder.workspace_id)
    kind = "checkin" if reminder.kind == CHECKIN_KIND else "round"
    return text(f"pairing.skipped.{kind}", when=When(reminder.due_at, workspace.timezone, "short"))


async def _plan_round(session: AsyncSession, reminder: Reminder, now: datetime) -> list[reminders.Planned]:
    """Plan the next round (of the rhythm), then make this one: its pairs, their DMs and the check-in."""
    workspace = await session.get(Workspace, reminder.workspace_id)
    if workspace is None:
        return []
    if reminder.kind == ROUND_KIND:
        # The next round is planned first, so a round that cannot be made never breaks the chain.
        await ensure_planned(session, workspace, max(now, reminder.due_at))
        if not (await settings_of(session, workspace.id)).enabled:
            return []
        if now - reminder.due_at > STALE_ROUND:
            log.info("Pairing round %s is %s late; skipped, the next is planned", reminder.id,
                     now - reminder.due_at)
            return []
    return await make_round(session, workspace, reminder.key, now)


async def make_round(session: AsyncSession, workspace: Workspace, key: str, now: datetime
                     ) -> list[reminders.Planned]:
    """Make the round with this key (once: a second call makes nothing): pair the members who opted in, store
    the pairs, plan the check-in, and return the DMs and the coordinators' summary."""
    if await session.scalar(select(PeerRound.id).where(PeerRound.workspace_id == workspace.id,
                                                       PeerRound.key == key)) is not None:
        return []
    opted = (await session.execute(
        select(Member, PeerMember.role).join(PeerMember, PeerMember.member_id == Member.id)
        .where(PeerMember.workspace_id == workspace.id, Member.onboarded_at.is_not(None),
               Member.consented_at.is_not(None))
        .order_by(PeerMember.joined_at, Member.id))).all()
    if not opted:
        return []  # nobody takes part: no round to make, nothing to tell
    members = {member.id: member for member, _ in opted}
    last_round = await session.scalar(select(func.max(PeerRound.id)).where(
        PeerRound.workspace_id == workspace.id))
    last_pairs: set[tuple[int, int]] = set()
    if last_round is not None:
        last_pairs = {(learner, teacher) for learner, teacher in (await session.execute(
            select(PeerPair.learner_id, PeerPair.teacher_id).where(PeerPair.round_id == last_round))).all()}
    # Who waited longest goes first, learners and teachers alike: never paired, then paired longest ago (the
    # lower round id); then who joined first.
    last_paired: dict[int, int] = {}
    for side in (PeerPair.learner_id, PeerPair.teacher_id):
        last_paired |= {member_id: round_id for member_id, round_id in (await session.execute(
            select(side, func.max(PeerPair.round_id)).where(PeerPair.workspace_id == workspace.id)
            .group_by(side))).all()}
    joined_order = {member.id: index for index, (member, _) in enumerate(opted)}

    def waiting_order(role: PeerRole) -> list[Member]:
        return sorted((member for member, chosen in opted if chosen == role),
                      key=lambda m: (last_paired.get(m.id, 0), joined_order[m.id]))

    learners, teachers = waiting_order(PeerRole.LEARN), waiting_order(PeerRole.TEACH)

    def candidate(member: Member) -> Candidate:
        return Candidate(member.id, member.municipality, member.industry)

    matched, left_over = pair_up([candidate(m) for m in learners], [candidate(m) for m in teachers],
                                 last_pairs)
    peer_round = PeerRound(workspace_id=workspace.id, key=key, started_at=now, checkin_at=now + CHECKIN_AFTER)
    session.add(peer_round)
    await session.flush()
    session.add_all([PeerPair(workspace_id=workspace.id, round_id=peer_round.id, learner_id=learner.id,
                              teacher_id=teacher.id) for learner, teacher in matched])
    if matched:
        await reminders.schedule(session, workspace_id=workspace.id, kind=CHECKIN_KIND,
                                 key=f"{CHECKIN_KIND}:{peer_round.id}", due_at=peer_round.checkin_at, now=now,
                                 payload={"round_id": peer_round.id})
    topics = await _topics(session, workspace.id, [members[learner.id] for learner, _ in matched])
    planned = []
    for learner_candidate, teacher_candidate in matched:
        learner, teacher = members[learner_candidate.id], members[teacher_candidate.id]
        topic = topics[learner.id]
        planned.append(reminders.Planned(_introduction(learner, teacher, PeerRole.LEARN, topic),
                                         member_id=learner.id, channel=Channel.ANNOUNCEMENTS))
        planned.append(reminders.Planned(_introduction(teacher, learner, PeerRole.TEACH, topic),
                                         member_id=teacher.id, channel=Channel.ANNOUNCEMENTS))
    # Quiet: a learner left over is not worth a mention in a channel when their DMs are closed.
    planned += [reminders.Planned(Reply(body=text("pairing.left_over"), private=False), member_id=learner.id,
                                  quiet=True) for learner in left_over]
    planned.append(reminders.Planned(Reply(body=text(
        "pairing.round.summary", count=len(matched), left_over=len(left_over),
        free=len(teachers) - len(matched)), private=False), channel=Channel.COORDINATORS))
    log.info("Pairing round %s of workspace %s: %d pairs, %d learners left over", peer_round.id, workspace.id,
             len(matched), len(left_over))
    return planned


# -- the check-in --------------------------------------------------------------------------------------------


def _checkin(pair: PeerPair, other: Member) -> Reply:
    arg = str(pair.id)
    return Reply(
        title=text("pairing.checkin.title"),
        body=text("pairing.checkin.body", name=_name(other)),
        buttons=(Button(text("pairing.button.yes"), MET_ACTION, arg, ButtonStyle.SUCCESS),
                 Button(text("pairing.button.not_yet"), NOT_YET_ACTION, arg, ButtonStyle.SECONDARY),
                 Button(text("pairing.button.no"), NOT_MET_ACTION, arg, ButtonStyle.SECONDARY)),
        private=False, personal=True)


async def _plan_checkin(session: AsyncSession, reminder: Reminder, now: datetime) -> list[reminders.Planned]:
    """Ask both members of each pair of a round whether they met: those still in the pairing."""
    learner, teacher = aliased(Member), aliased(Member)
    rows = (await session.execute(
        select(PeerPair, learner, teacher).join(learner, learner.id == PeerPair.learner_id)
        .join(teacher, teacher.id == PeerPair.teacher_id)
        .where(PeerPair.round_id == reminder.payload["round_id"]).order_by(PeerPair.id))).all()
    still_in = set(await session.scalars(select(PeerMember.member_id).where(
        PeerMember.workspace_id == reminder.workspace_id)))
    planned = []
    for pair, learner_row, teacher_row in rows:
        for member, other in ((learner_row, teacher_row), (teacher_row, learner_row)):
            if member.id in still_in:
                planned.append(reminders.Planned(_checkin(pair, other), member_id=member.id,
                                                 channel=Channel.ANNOUNCEMENTS))
    return planned


async def _answered(session: AsyncSession, actor: Actor, arg: str, answer: Answer) -> Reply:
    member = actor.require_onboarded()
    pair = await pressed_row(session, actor, PeerPair, arg)
    if member.id == pair.learner_id:
        pair.learner_answer, other_id = answer, pair.teacher_id
    elif member.id == pair.teacher_id:
        pair.teacher_answer, other_id = answer, pair.learner_id
    else:
        raise UserError("errors.unknown_button")
    pair.answered_at = actor.now
    other = await session.get_one(Member, other_id)
    return Reply(body=text(f"pairing.checkin.thanks_{answer.value}", name=_name(other),
                           mention=Mention("user", other.external_id)))


async def met(session: AsyncSession, actor: Actor, arg: str) -> Reply:
    """The pair met: stored for the coordinators."""
    return await _answered(session, actor, arg, Answer.YES)


async def not_yet(session: AsyncSession, actor: Actor, arg: str) -> Reply:
    """The pair has not met yet."""
    return await _answered(session, actor, arg, Answer.NOT_YET)


async def not_met(session: AsyncSession, actor: Actor, arg: str) -> Reply:
    """The pair will not meet."""
    return await _answered(session, actor, arg, Answer.NO)


def pair_state(pair: PeerPair, checkin_at: datetime, now: datetime) -> str:
    """Where a pair stands for the coordinators: met, not_yet, no, waiting (the check-in is ahead) or
    no_answer; one "yes" of the two is enough to have met."""
    answers = {pair.learner_answer, pair.teacher_answer}
    for answer in (Answer.YES, Answer.NOT_YET, Answer.NO):
        if answer.value in answers:
            return answer.value
    return "waiting" if checkin_at > now else "no_answer"


def _state_text(state: str, checkin_at: datetime, zone: str) -> Text:
    # Only "waiting" says when: the day the pair is asked.
    return text(f"pairing.state.{state}", when=When(checkin_at, zone, "date"))


# -- members -------------------------------------------------------------------------------------------------


def _require_consent(actor: Actor) -> Member:
    member = actor.require_onboarded()
    if member.consented_at is None:
        raise UserError("profile.not_onboarded")
    return member


async def _next_round_text(session: AsyncSession, actor: Actor) -> Renderable:
    due = await ensure_planned(session, actor.workspace, actor.now)
    return When(due, actor.workspace.timezone, "full") if due else text("pairing.off")


async def join(session: AsyncSession, actor: Actor, role: PeerRole | None = None) -> Reply:
    """Take part in the pairing, to learn or to teach (by default what the profile's experience suggests);
    a member already in changes their role."""
    member = _require_consent(actor)
    wanted = ROLE.read(role) if role is not None else None
    row = await session.get(PeerMember, member.id)
    if row is None:
        chosen = wanted or default_role(member.experience)
        session.add(PeerMember(member_id=member.id, workspace_id=actor.workspace.id, role=chosen,
                               joined_at=actor.now, updated_at=actor.now))
        key = "pairing.joined"
    elif wanted is not None and wanted != row.role:
        chosen = wanted
        row.role, row.updated_at = chosen, actor.now
        key = "pairing.role_changed"
    else:
        chosen = PeerRole(row.role)
        key = "pairing.already"
    return Reply(body=text(key, role=text(f"pairing.role.{chosen.value}")),
                 fields=(Field(text("pairing.next"), await _next_round_text(session, actor)),))


async def leave(session: AsyncSession, actor: Actor) -> Reply:
    """Leave the pairing: no more rounds nor check-ins."""
    member = actor.require_onboarded()
    removed = await session.scalar(select(PeerMember.member_id).where(PeerMember.member_id == member.id))
    if removed is None:
        return Reply(body=text("pairing.not_in"))
    await session.execute(delete(PeerMember).where(PeerMember.member_id == member.id))
    return Reply(body=text("pairing.left"))


async def status(session: AsyncSession, actor: Actor) -> Reply:
    """Show whether the member takes part, as what, their latest pair and the next round."""
    member = actor.require_onboarded()
    row = await session.get(PeerMember, member.id)
    next_round = Field(text("pairing.next"), await _next_round_text(session, actor))
    if row is None:
        return Reply(title=text("pairing.title"), body=text("pairing.not_in"), fields=(next_round,))
    latest = (await session.execute(
        select(PeerPair, PeerRound).join(PeerRound, PeerRound.id == PeerPair.round_id)
        .where((PeerPair.learner_id == member.id) | (PeerPair.teacher_id == member.id))
        .order_by(PeerPair.round_id.desc()).limit(1))).first()
    fields = [Field(text("pairing.field.role"), text(f"pairing.role.{row.role}"), inline=True), next_round]
    if latest is not None:
        pair, peer_round = latest
        other = await session.get_one(Member, pair.teacher_id if pair.learner_id == member.id
                                      else pair.learner_id)
        fields.append(Field(text("pairing.latest"), text(
            "pairing.latest.line", name=_name(other), mention=Mention("user", other.external_id),
            when=When(peer_round.started_at, actor.workspace.timezone, "date"),
            state=_state_text(pair_state(pair, peer_round.checkin_at, actor.now), peer_round.checkin_at,
                              actor.workspace.timezone))))
    return Reply(title=text("pairing.title"), body=text("pairing.in"), fields=tuple(fields))


# -- coordinators --------------------------------------------------------------------------------------------


def _hour(hour: int) -> int:
    if not 0 <= hour <= 23:
        raise validation.FieldProblem(text("pairing.field.hour"),
                                      text("pairing.errors.hour", value=str(hour)[:10]))
    return hour


async def _counts(session: AsyncSession, workspace_id: int) -> dict[str, int]:
    return dict((await session.execute(
        select(PeerMember.role, func.count()).join(Member, Member.id == PeerMember.member_id)
        .where(PeerMember.workspace_id == workspace_id, Member.onboarded_at.is_not(None),
               Member.consented_at.is_not(None)).group_by(PeerMember.role))).all())


async def configure(session: AsyncSession, actor: Actor, enabled: bool | None = None,
                    rhythm: Rhythm | None = None, day: str | int | None = None,
                    hour: int | None = None) -> Reply:
    """Turn the rounds on or off, set their rhythm, weekday and hour; show the settings and who takes part."""
    actor.require_coordinator()
    readers: dict[str, Any] = {}
    if rhythm is not None:
        readers["rhythm"] = lambda: RHYTHM.read(rhythm)
    if day is not None and str(day).strip():
        readers["weekday"] = lambda: timeparse.parse_weekday(str(day), "pairing.errors.day",
                                                             field=text("pairing.field.day"))
    if hour is not None:
        readers["hour"] = lambda: _hour(hour)
    changes = validation.read_all(readers)
    if enabled is not None:
        changes["enabled"] = enabled
    defaults = PairingSettings()
    row = await settings_row(session, PeerSettings, actor.workspace.id, enabled=defaults.enabled,
                             rhythm=defaults.rhythm.value, weekday=defaults.weekday, hour=defaults.hour,
                             created_at=actor.now, updated_at=actor.now)
    changed = apply_settings(session, actor, row, changes, "pairing.settings")
    due = await ensure_planned(session, actor.workspace, actor.now)
    counts = await _counts(session, actor.workspace.id)
    return Reply(
        title=text("pairing.settings.title"),
        body=text("pairing.settings.saved" if changed else "pairing.settings.current"),
        fields=(
            Field(text("pairing.settings.state"),
                  text("pairing.settings.on" if row.enabled else "pairing.settings.off"), inline=True),
            Field(text("pairing.field.rhythm"), text(f"pairing.rhythm.{row.rhythm}"), inline=True),
            Field(text("pairing.settings.when"), text(f"pairing.settings.when.{row.rhythm}",
                                                      day=text(f"time.weekday.{row.weekday - 1}"),
                                                      hour=f"{row.hour:02d}"), inline=True),
            Field(text("pairing.next"), When(due, actor.workspace.timezone, "full") if due
                  else text("pairing.off")),
            Field(text("pairing.settings.members"), text(
                "pairing.settings.counts", learners=counts.get(PeerRole.LEARN, 0),
                teachers=counts.get(PeerRole.TEACH, 0))),
        ),
    )


async def round_now(session: AsyncSession, actor: Actor) -> Reply:
    """Make a round at once (to try it), whether or not the rounds are on; the DMs go out in a moment."""
    actor.require_coordinator()
    counts = await _counts(session, actor.workspace.id)
    learners, teachers = counts.get(PeerRole.LEARN, 0), counts.get(PeerRole.TEACH, 0)
    if not learners or not teachers:
        raise UserError("pairing.now.nobody", learners=learners, teachers=teachers)
    await reminders.schedule(session, workspace_id=actor.workspace.id, kind=NOW_KIND,
                             key=f"{NOW_KIND}:{actor.workspace.id}:{actor.now.isoformat()}", due_at=actor.now,
                             now=actor.now)
    return Reply(body=text("pairing.now.started", learners=learners, teachers=teachers))


async def pairs(session: AsyncSession, actor: Actor) -> Reply:
    """Show the pairs of the last rounds and whether they met."""
    actor.require_coordinator()
    rounds = list(await session.scalars(select(PeerRound).where(PeerRound.workspace_id == actor.workspace.id)
                                        .order_by(PeerRound.id.desc()).limit(ROUNDS_SHOWN)))
    if not rounds:
        return Reply(title=text("pairing.pairs.title"), body=text("pairing.pairs.none"))
    learner, teacher = aliased(Member), aliased(Member)
    rows = (await session.execute(
        select(PeerPair, learner, teacher).join(learner, learner.id == PeerPair.learner_id)
        .join(teacher, teacher.id == PeerPair.teacher_id)
        .where(PeerPair.round_id.in_([r.id for r in rounds])).order_by(PeerPair.round_id, PeerPair.id))).all()
    zone = actor.workspace.timezone
    fields = []
    for peer_round in rounds:
        of_round = [(pair, learner_row, teacher_row) for pair, learner_row, teacher_row in rows
                    if pair.round_id == peer_round.id]
        states = [pair_state(pair, peer_round.checkin_at, actor.now) for pair, _, _ in of_round]
        lines: list[Renderable] = [
            text("pairing.pairs.line", learner=_name(learner_row), teacher=_name(teacher_row),
                 state=_state_text(state, peer_round.checkin_at, zone))
            for (_, learner_row, teacher_row), state in list(zip(of_round, states, strict=True))[:PAIRS_SHOWN]
        ]
        if len(of_round) > PAIRS_SHOWN:
            lines.append(text("pairing.pairs.more", count=len(of_round) - PAIRS_SHOWN))
        fields.append(Field(
            # The date as words: a field's name shows no Discord timestamp.
            text("pairing.pairs.round", when=digest.day_text(peer_round.started_at, zone),
                 count=len(of_round), met=states.count(Answer.YES.value)),
            Join(tuple(lines), separator="\n") if lines else text("pairing.pairs.empty")))
    return Reply(title=text("pairing.pairs.title"), fields=tuple(fields))


# -- member data ---------------------------------------------------------------------------------------------


async def _export(session: AsyncSession, member: Member) -> dict[str, Any]:
    row = await session.get(PeerMember, member.id)
    rounds = (await session.execute(
        select(PeerRound.started_at, PeerPair.learner_id, PeerPair.learner_answer, PeerPair.teacher_answer,
               PeerPair.answered_at)
        .join(PeerRound, PeerRound.id == PeerPair.round_id)
        .where((PeerPair.learner_id == member.id) | (PeerPair.teacher_id == member.id))
        .order_by(PeerPair.round_id))).all()
    return {
        "taking_part": None if row is None else {"role": row.role, "since": row.joined_at.isoformat(),
                                                 "changed": row.updated_at.isoformat()},
        # The member's own side of each pair: when, as what, and what they answered (not who the other was:
        # that is the other member's data).
        "pairs": [{"round": at.isoformat(), "role": "learn" if learner_id == member.id else "teach",
                   "answer": learner_answer if learner_id == member.id else teacher_answer,
                   "answered": answered_at.isoformat() if answered_at else None}
                  for at, learner_id, learner_answer, teacher_answer, answered_at in rounds],
    }


async def _erase(session: AsyncSession, member: Member) -> None:
    """Taking part and the pairs go with the member row (ON DELETE CASCADE)."""


FEATURE = Feature(
    "pairing",
    actions={MET_ACTION: met, NOT_YET_ACTION: not_yet, NOT_MET_ACTION: not_met},
    planners={ROUND_KIND: _plan_round, NOW_KIND: _plan_round, CHECKIN_KIND: _plan_checkin},
    describers={ROUND_KIND: _describe, NOW_KIND: _describe, CHECKIN_KIND: _describe},
    impersonal={"peer_round.key": "the key of the reminder that made the round: the workspace and the month,"
                                  " the week or the moment a coordinator asked for it"},
    member_data=(MemberData("peer_pairing", _export, _erase,
                            covers=("peer_member.member_id", "peer_pair.learner_id",
                                    "peer_pair.teacher_id")),),
)
