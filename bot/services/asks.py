"""Ask in good time: before a decision, each follower gets a question to one politician, spread over the
targets.

Rounds fall due a number of days before the decision (21 and 14 by default). Who asks whom is recorded per
member (so a restart does not reshuffle, and the coordinators can see it); members mark that they asked, with
a link, and report the answer in one click; a reported stance waits for a coordinator to confirm it.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, not_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot import delivery, reminders, validation
from bot.contributions import Feature, MemberData
from bot.errors import UserError
from bot.i18n import render, translate
from bot.models import (
    Ask,
    Issue,
    IssueSettings,
    Member,
    Politician,
    Reminder,
    Stance,
    Workspace,
)
from bot.replies import (
    Button,
    ButtonStyle,
    Channel,
    Field,
    FieldKind,
    Form,
    FormField,
    Join,
    Literal,
    PostToChannel,
    Reply,
    Text,
    When,
    more_than_shown,
    text,
)
from bot.services import (
    activity,
    audience,
    civics,
    drafts,
    follows,
    media,
    politicians,
    profile_fields,
    relationships,
    stances,
    writing,
)
from bot.services.context import (
    Actor,
    audience_language,
    audit,
    language_of,
    pressed_row,
    record_form,
    settings_row,
)

log = logging.getLogger(__name__)

ASK_KIND = "issues.ask"
DEFAULT_ASK_DAYS = (21, 14)
MAX_ASK_DAYS = 120
# A round that could not go out within two days (the bot was down) is skipped rather than sent stale.
ASK_GRACE = timedelta(days=2)
ASKED_ACTION = "asks.asked"
ANSWER_ACTION = "asks.answer"
MINE_ACTION = "asks.mine"
ASKED_FORM = "asks.asked"
# The longest note of a contact, and of the politician's answer in words (ask.note, ask.answer_note).
MAX_NOTE = 500
OVERVIEW_SHOWN = 40
# The stale deciders a round's notice names; the rest are counted.
STALE_NAMED = 20
NO_ROUNDS = validation.NONE_WORDS | {"0"}


# -- rounds --------------------------------------------------------------------------------------------------


def parse_ask_days(raw: str) -> list[int]:
    """Read "21, 14" into [21, 14] (each 1–120 days, latest first); "0" or "av"/"off" means no rounds."""
    return validation.day_list(raw, text("field.ask_days"), problem="errors.ask_days", lowest=1,
                               highest=MAX_ASK_DAYS, none_words=NO_ROUNDS)


async def workspace_ask_days(session: AsyncSession, workspace_id: int) -> list[int]:
    """Return the workspace's default rounds."""
    settings = await session.get(IssueSettings, workspace_id)
    return list(settings.ask_days) if settings is not None else list(DEFAULT_ASK_DAYS)


async def ask_days_for(session: AsyncSession, issue: Issue) -> list[int]:
    """Return an issue's rounds: its own, or the workspace's."""
    if issue.ask_days is not None:
        return list(issue.ask_days)
    return await workspace_ask_days(session, issue.workspace_id)


def round_key_prefix(issue: Issue) -> str:
    """What the keys of an issue's question rounds start with."""
    return f"{ASK_KIND}:{issue.id}:"


def _key(issue: Issue, days: int) -> str:
    # The version is in the key: when the decision moves, rounds that already went out may come due again.
    return f"{round_key_prefix(issue)}v{issue.version}:{days}"


async def schedule_rounds(session: AsyncSession, issue: Issue, now: datetime) -> list[datetime]:
    """Plan the issue's rounds that are still to come; cancel the ones no longer wanted. Return the times."""
    wanted: dict[str, datetime] = {}
    if issue.status == civics.OPEN:
        for days in await ask_days_for(session, issue):
            due = issue.decision_at - timedelta(days=days)
            if due > now:
                wanted[_key(issue, days)] = due
                await reminders.schedule(session, workspace_id=issue.workspace_id, kind=ASK_KIND,
                                         key=_key(issue, days), due_at=due, now=now,
                                         payload={"issue_id": issue.id, "days": days}, grace=ASK_GRACE)
    await reminders.cancel_prefixed(session, workspace_id=issue.workspace_id, prefix=round_key_prefix(issue),
                                    keep=wanted.keys())
    return sorted(wanted.values())


async def _plan_rounds(session: AsyncSession, issue: Issue, now: datetime) -> None:
    """Follow an issue that was created, changed or closed: its rounds move with the decision, or stop."""
    await schedule_rounds(session, issue, now)


async def planned_rounds(session: AsyncSession, issue: Issue) -> list[datetime]:
    """When the issue's rounds of questions that are still to come fall due."""
    due = await session.scalars(
        select(Reminder.due_at)
        .where(
            Reminder.workspace_id == issue.workspace_id,
            Reminder.kind == ASK_KIND,
            Reminder.status == reminders.PENDING,
            Reminder.key.startswith(round_key_prefix(issue), autoescape=True),
        )
        .order_by(Reminder.due_at)
    )
    return list(due)


def targets(model: stances.MapModel) -> list[stances.MapRow]:
    """The politicians to ask: the undecided and unknown; when there are none, the deciding votes."""
    return list(model.undecided) or list(model.priority)


async def assign(session: AsyncSession, issue: Issue, members: Sequence[Member], round_days: int,
                 model: stances.MapModel, now: datetime) -> dict[int, Ask]:
    """Give each member one politician to ask in a round, spread so that not everyone asks the same person.

    Deterministic: members in id order each take the target with the fewest askers so far on this issue (ties
    by the map's order), preferring one they were not given before. A member who shared with the coordinators
    that they know one of the targets asks that one (the right messenger asks: bot.services.relationships).
    Existing assignments are kept. A round assigned a batch of members at a time (in id order) gives what one
    pass over them all gives: the askers so far are counted in SQL, and only the members' own questions and
    relationships are read.
    """
    order = [row.politician_id for row in targets(model)]
    load: Counter[int] = Counter()
    for politician_id, asked in (await session.execute(
            select(Ask.politician_id, func.count()).where(Ask.issue_id == issue.id,
                                                          Ask.politician_id.is_not(None))
            .group_by(Ask.politician_id))).all():
        if politician_id is not None:
            load[politician_id] = asked
    # A batch at most (reminders.BATCH) or one member: the IN list is bounded.
    existing = list(await session.scalars(select(Ask).where(
        Ask.issue_id == issue.id, Ask.member_id.in_(sorted({m.id for m in members}))).order_by(Ask.id)))
    given: dict[int, set[int]] = {}
    for ask in existing:
        if ask.politician_id is not None:
            given.setdefault(ask.member_id, set()).add(ask.politician_id)
    this_round = {a.member_id: a for a in existing if a.round == round_days}
    known = await relationships.known_by(session, [m.id for m in members if m.id not in this_round], order)
    result: dict[int, Ask] = {}
    for member in sorted(members, key=lambda m: m.id):
        if member.id in this_round:
            result[member.id] = this_round[member.id]
            continue
        chosen = None
        if order:
            fresh = [p for p in order if p not in given.get(member.id, set())] or order
            acquainted = [p for p in fresh if p in known.get(member.id, set())]
            chosen = min(acquainted or fresh, key=lambda p: (load[p], order.index(p)))
            load[chosen] += 1
            given.setdefault(member.id, set()).add(chosen)
        ask = Ask(
            workspace_id=issue.workspace_id,
            issue_id=issue.id,
            member_id=member.id,
            politician_id=chosen,
            round=round_days,
            assigned_at=now,
        )
        session.add(ask)
        result[member.id] = ask
    await session.flush()
    return result


async def _describe_round(session: AsyncSession, reminder: Reminder) -> Text:
    """Name a skipped round of questions for the coordinators."""
    issue = await session.get(Issue, reminder.payload["issue_id"])
    workspace = await session.get_one(Workspace, reminder.workspace_id)
    return text("asks.skipped.round", days=reminder.payload["days"],
                title=Literal(issue.title if issue else f"#{reminder.payload['issue_id']}"),
                when=When(reminder.due_at, workspace.timezone, "short"))


async def _plan_round(session: AsyncSession, reminder: Reminder, now: datetime
                      ) -> list[reminders.Planned] | reminders.InBatches:
    """Plan a round of questions: each follower is given a politician to ask and, if they want DMs, their
    question by DM, a batch at a time (see reminders.InBatches); the others are called in the channel."""
    issue = await session.get(Issue, reminder.payload["issue_id"])
    if issue is None or issue.status != civics.OPEN or issue.decision_at <= now:
        return []
    workspace = await session.get_one(Workspace, issue.workspace_id)
    round_days = int(reminder.payload["days"])
    # The body's politicians read once: the map's deciders, whom a draft greets and who is stale.
    in_the_body = await civics.in_body(session, issue)
    model = await stances.build_model(session, issue, in_the_body)
    deciders = [p for p in in_the_body if civics.decides(p, issue)]
    chair = civics.addressee(deciders, issue)
    today = now.astimezone(ZoneInfo(workspace.timezone)).date()
    stale = stale_notice(issue, [p for p in deciders if civics.is_stale(p, today)])
    media_handles = await media.handles_for(session, issue.workspace_id, issue.municipality)
    of_followers = (Member.workspace_id == issue.workspace_id, Member.onboarded_at.is_not(None),
                    Member.id.in_(follows.following(issue)))
    # Followers who ask the same politician in the same language, with the same business told and on the same
    # platforms, get the same message: composed once, and stored once by delivery.
    drafted: dict[tuple[int | None, str, tuple[str, ...], tuple[str, ...]], Reply] = {}
    followers = 0

    async def batch(writer: AsyncSession, after: int) -> tuple[list[reminders.Planned], int | None]:
        # In a short write transaction of its own (InBatches.writes): the batch's questions are assigned.
        nonlocal followers
        members = list(await writer.scalars(select(Member).where(*of_followers, Member.id > after)
                                            .order_by(Member.id).limit(reminders.BATCH)))
        assigned = await assign(writer, issue, members, round_days, model, now)
        planned: list[reminders.Planned] = []
        if after == 0 and stale is not None:
            # Once per round (its delivery key is the round's and the channel's), before the questions.
            planned.append(reminders.Planned(stale, channel=Channel.COORDINATORS))
        for member in members:
            # Planners decide who wants DMs: the others are mentioned in the announcement channel instead.
            if delivery.wants_dm(member, now):
                ask = assigned[member.id]
                language = language_of(member, workspace)
                readers = audience_language(workspace)
                told = writing.stakes(member, readers)
                platforms = profile_fields.platforms_of(member.platforms)
                key = (ask.politician_id, language, told, platforms)
                if key not in drafted:
                    politician = (await writer.get(Politician, ask.politician_id)
                                  if ask.politician_id else None)
                    drafted[key] = draft_reply(issue, politician, media_handles, workspace.timezone, readers,
                                               reader=language, round_days=round_days, stakes=told,
                                               platforms=platforms, addressee=chair)
                planned.append(
                    reminders.Planned(drafted[key], member_id=member.id, channel=Channel.ANNOUNCEMENTS)
                )
        followers += len(members)
        if len(members) == reminders.BATCH:
            return planned, members[-1].id
        # The last batch: the call in the channel, after the DMs, for those not reached by DM.
        in_channel = (*of_followers, not_(delivery.wants_dm_clause(now)))
        mentioned = await delivery.channel_mentions(writer, in_channel, "Ask round of issue %s", issue.id)
        if mentioned:
            planned.append(reminders.Planned(_channel_call(issue, mentioned, workspace.timezone),
                                             channel=Channel.ANNOUNCEMENTS))
        log.info("Ask round %s of issue %s: %d followers", round_days, issue.id, followers)
        return planned, None

    return reminders.InBatches(batch, writes=True)


def stale_notice(issue: Issue, stale: Sequence[Politician]) -> Reply | None:
    """The coordinators' notice, as a round of questions goes out, naming the deciders whose entries may be
    out of date (civics.is_stale), so they can check them; None when none is."""
    if not stale:
        return None
    names = tuple(Join((Literal(f"{p.name} ({p.party})"), politicians.checked_label(p)), "")
                  for p in stale[:STALE_NAMED])
    return Reply(title=text("asks.stale.title", title=Literal(issue.title)),
                 body=text("asks.stale.body", count=len(stale),
                           body=civics.body_label(issue.body, issue.committee),
                           names=Join(names, "\n", "• "),
                           more=more_than_shown("asks.stale.more", len(stale), STALE_NAMED)),
                 private=False)


def _channel_call(issue: Issue, mentioned: tuple[str, ...], zone: str) -> Reply:
    return Reply(title=text("asks.call.title", title=Literal(issue.title)),
                 body=text("asks.call.body", body=civics.body_label(issue.body, issue.committee),
                           municipality=civics.municipality_label(issue.municipality),
                           when=civics.decision_when(issue, zone),
                           hashtag=Literal(issue.hashtag)),
                 buttons=(Button(text("asks.button.mine"), MINE_ACTION, str(issue.id), ButtonStyle.PRIMARY),),
                 private=False, mentions=mentioned)


# -- the draft -----------------------------------------------------------------------------------------------


def _first_sentence(value: str, limit: int = 140) -> str:
    sentence = re.split(r"(?<=[.!?])\s", value.strip(), maxsplit=1)[0]
    return drafts.shorten(sentence, lambda cut: drafts.x_length(cut) <= limit)


def compose(issue: Issue, politician: Politician | None, media_handles: Sequence[str], zone: str,
            language: str, stakes: Sequence[str] = ()) -> str:
    """Write the question a member can post: to the politician (@handle or name), what the issue means for
    the member's business (`stakes`, richest first), the #hashtag and @media. Without a politician it is a
    public question about how the body votes: a body is never greeted as a person ("Hej kommunstyrelsen…
    Hur röstar du").

    It always fits X and its X button: the member's stake goes first (told more plainly before it goes), then
    the why, then media beyond the first two, then the title's last words, then the question's; the handles
    and the hashtag stay whole.
    """
    local = issue.decision_at.astimezone(ZoneInfo(zone))
    day = f"{local.day} {translate(f'time.month.{local.month}', language)}"
    body = render(civics.body_label(issue.body, issue.committee), language)
    place = render(civics.municipality_label(issue.municipality), language)
    target = None if politician is None else drafts.handle(politician.x_handle) or politician.name
    outlets = ["@" + h for h in media_handles]
    why = _first_sentence(issue.position)
    told = [(stake, reason) for stake in stakes for reason in (why, "")] + [("", why), ("", "")]
    stake = ""

    def build(title: str) -> str:
        question = (
            translate("asks.draft.question", language, target=target, title=title, body=body, date=day)
            if target else
            translate("asks.draft.question_public", language, title=title, body=body, municipality=place,
                      date=day))
        return " ".join(part for part in (question, stake, why, issue.hashtag, *outlets) if part)

    # The member's business first (the richest telling that fits), the issue's why as long as it fits too.
    for stake, why in told:
        if drafts.shareable(build(issue.title)):
            break
    return drafts.give_way(build, issue.title, outlets)


def draft_reply(issue: Issue, politician: Politician | None, media_handles: Sequence[str], zone: str,
                language: str, *, reader: str | None = None, round_days: int | None = None,
                private: bool = False, stakes: Sequence[str] = (),
                platforms: Sequence[str] = profile_fields.DEFAULT_PLATFORMS,
                addressee: Politician | None = None) -> Reply:
    """The message with a member's question: whom to ask, the draft with what the issue means for their
    business, share links on their platforms, and the buttons to report. The draft is in `language`, its
    readers' (context.audience_language); the message around it is read in the member's, `reader`, and says
    why when the two differ. Without a politician to ask, the draft still addresses a person when one is
    known: `addressee` (civics.addressee: the body's chair first)."""
    post = compose(issue, politician or addressee, media_handles, zone, language, stakes)
    when = civics.decision_when(issue, zone)
    body_label = civics.body_label(issue.body, issue.committee)
    if round_days:
        body = text("asks.draft.body_round", days=round_days, body=body_label, when=when)
    else:
        body = text("asks.draft.body", body=body_label, when=when)
    fields = [Field(text("asks.field.target"), _target_label(politician)),
              Field(text("asks.field.draft"), Literal(post)),
              Field(text("asks.field.position"), Literal(issue.position))]
    buttons: tuple[Button, ...] = ()
    if politician is not None:
        buttons = (Button(text("asks.button.asked"), ASKED_ACTION, str(issue.id), ButtonStyle.SUCCESS),
                   *answer_buttons(issue.id))
    links = drafts.share_links(post, url=issue.source_url, platforms=platforms)
    reply = Reply(title=text("asks.draft.title", title=Literal(issue.title)), body=body, fields=tuple(fields),
                  buttons=buttons, links=links, private=private, personal=True)
    return audience.explained(reply, reader or language, language)


async def addressee(session: AsyncSession, issue: Issue) -> Politician | None:
    """Whom a draft addresses when no politician was given to ask: the body's chair first (civics.addressee);
    None when no decider is known."""
    return civics.addressee(await civics.deciders(session, issue), issue)


def _target_label(politician: Politician | None) -> Text | Literal:
    if politician is None:
        return text("asks.no_target")
    parts = [f"{politician.name} ({politician.party})"]
    if politician.role:
        parts.append(politician.role)
    if politician.x_handle:
        parts.append("@" + politician.x_handle)
    return Literal(", ".join(parts))


def answer_buttons(issue_id: int) -> tuple[Button, ...]:
    """One click to tell what the politician answered."""
    styles = {"for": ButtonStyle.SUCCESS, "against": ButtonStyle.DANGER, "undecided": ButtonStyle.SECONDARY,
              "no_answer": ButtonStyle.SECONDARY}
    return tuple(
        Button(text(f"asks.button.answer.{answer}"), ANSWER_ACTION, f"{issue_id}-{answer}", styles[answer])
        for answer in civics.ANSWERS
    )


# -- members -------------------------------------------------------------------------------------------------


async def _my_asks(session: AsyncSession, member: Member, issue: Issue) -> list[Ask]:
    return list(await session.scalars(select(Ask).where(Ask.issue_id == issue.id, Ask.member_id == member.id)
                                      .order_by(Ask.id.desc())))


async def _adhoc_round(session: AsyncSession, member: Member, issue: Issue) -> int:
    """Questions outside the scheduled rounds are numbered 0, -1, -2, …"""
    lowest = await session.scalar(
        select(func.min(Ask.round)).where(
            Ask.issue_id == issue.id, Ask.member_id == member.id, Ask.round <= 0
        )
    )
    return 0 if lowest is None else lowest - 1


async def my_question(session: AsyncSession, actor: Actor, issue: str | None = None) -> Reply:
    """Give the member their question about an issue now: their current target, or a new one."""
    member = actor.require_onboarded()
    found = await civics.find_issue(session, actor.workspace.id, issue, open_only=True)
    mine = await _my_asks(session, member, found)
    current = next((a for a in mine if a.asked_at is None and a.politician_id is not None), None)
    if current is None:
        model = await stances.build_model(session, found)
        assigned = await assign(session, found, [member], await _adhoc_round(session, member, found), model,
                                actor.now)
        current = assigned[member.id]
    politician = await session.get(Politician, current.politician_id) if current.politician_id else None
    handles = await media.handles_for(session, actor.workspace.id, found.municipality)
    return draft_reply(found, politician, handles, actor.workspace.timezone, actor.audience_language,
                       reader=actor.language, private=True,
                       stakes=writing.stakes(member, actor.audience_language),
                       platforms=profile_fields.platforms_of(member.platforms),
                       addressee=await addressee(session, found))


async def _mine_pressed(session: AsyncSession, actor: Actor, arg: str) -> Reply:
    issue = await pressed_row(session, actor, Issue, arg)
    return await my_question(session, actor, str(issue.id))


def asked_form(issue_id: int) -> Form:
    """The form that takes how the member asked (on X, by e-mail, phone, letter, at a meeting or a fika), the
    link to the question (needed on X only) and a note."""
    return Form(ASKED_FORM, text("asks.form.title"), (
        FormField("how", text("contacts.field.how"), FieldKind.CHOICE, required=True,
                  choices=activity.CHANNEL.choices),
        FormField("link", text("asks.form.link"), max_length=300,
                  placeholder=text("asks.form.link.placeholder"),
                  description=text("asks.form.link.description")),
        FormField("note", text("contacts.field.note"), FieldKind.PARAGRAPH, max_length=MAX_NOTE,
                  placeholder=text("asks.form.note.placeholder")),
    ), arg=str(issue_id), values={"how": activity.ContactChannel.X.value})  # most ask on X, as drafted


async def _asked_pressed(session: AsyncSession, actor: Actor, arg: str) -> Reply:
    actor.require_onboarded()
    issue = await pressed_row(session, actor, Issue, arg)
    return Reply(form=asked_form(issue.id))


async def _asked_submitted(
    session: AsyncSession, actor: Actor, values: Mapping[str, str], arg: str = ""
) -> Reply:
    issue = await pressed_row(session, actor, Issue, arg)
    # The form's choice arrives as its value (a console's as typed): read as the command's option is.
    how = validation.read_all({"how": lambda: activity.CHANNEL.read(values.get("how"))})["how"]
    return await mark_asked(session, actor, str(issue.id), values.get("link"), how=how,
                            note=values.get("note"))


def link_for(channel: str, link: str | None, label: Text) -> str | None:
    """The link to a question, checked: required for a question on X (the post), optional otherwise (a phone
    call has none)."""
    url = validation.web_url(link, label)
    if url is None and channel == activity.ContactChannel.X:
        raise validation.FieldProblem(label, text("contacts.errors.link_for_x"))
    return url


def note_text(value: str | None, label: Text) -> str | None:
    """A member's free note of a contact (or the politician's answer in words), checked."""
    return validation.clean_text(value, label, max_length=MAX_NOTE)


def politician_reachable(person: Politician, actor: Actor) -> Politician:
    """The politician, unless they left the council (civics: left_on), which is refused kindly."""
    today = actor.today
    if person.left_on is not None and person.left_on <= today:
        raise UserError("contacts.errors.politician_left", politician=civics.politician_label(person),
                        date=Literal(person.left_on.isoformat()))
    return person


async def mark_asked(
    session: AsyncSession, actor: Actor, issue: str | None = None, link: str | None = None,
    politician: str | None = None, how: activity.ContactChannel | None = None, note: str | None = None,
) -> Reply:
    """Record that the member asked their politician (or the one named): on X with a link to the question,
    or by e-mail, phone, letter, at a meeting or a fika (`how`), with a link or a note if they like."""
    actor.require_onboarded()
    found = await civics.find_issue(session, actor.workspace.id, issue)
    values = validation.read_all({
        "how": lambda: activity.CHANNEL.read(how) or activity.ContactChannel.X,
        "note": lambda: note_text(note, text("contacts.field.note")),
    })
    channel = values["how"]
    url = link_for(channel, link, text("asks.form.link"))
    person = None
    if politician:
        person = politician_reachable(await civics.find_politician(session, actor.workspace.id, politician),
                                      actor)
    return await record_contact(session, actor, found, person, channel.value, url, values["note"])


async def record_contact(session: AsyncSession, actor: Actor, issue: Issue, person: Politician | None,
                         channel: str, url: str | None, note: str | None, answer: str | None = None,
                         said: str | None = None) -> Reply:
    """Record a member's question about an issue, asked in any way: on their ask for that politician (an
    ad-hoc one when they had none for them), or, without a politician, on the one they were given. It counts
    as an action (the digest, /stats, the coaching's question step, a contact pledge); an answer is reported
    as report_answer does."""
    member = actor.require_onboarded()
    mine = await _my_asks(session, member, issue)
    ask: Ask | None
    if person is not None:
        ask = next((a for a in mine if a.politician_id == person.id), None)
        if ask is None:
            ask = Ask(workspace_id=actor.workspace.id, issue_id=issue.id, member_id=member.id,
                      politician_id=person.id, round=await _adhoc_round(session, member, issue),
                      assigned_at=actor.now)
            session.add(ask)
    else:
        ask = next((a for a in mine if a.asked_at is None and a.politician_id is not None), None) or \
            next((a for a in mine if a.politician_id is not None), None)
        if ask is None:
            raise UserError("asks.none_assigned", title=Literal(issue.title))
    ask.asked_at = actor.now
    ask.channel = channel
    ask.asked_url = url
    ask.note = note or ask.note
    ask.answer_note = said or ask.answer_note
    await session.flush()
    if answer is not None:
        return await report_answer(session, actor, issue, answer, ask=ask)
    # Asking counts as an action: it shows in the digest and /stats, and reaches the coaching's question step.
    logged = await activity.record(session, actor, "ask", issue_id=issue.id, link=url,
                                   source=f"asks:{ask.id}", politician_id=ask.politician_id, channel=channel,
                                   note=note)
    asked = await session.get_one(Politician, ask.politician_id)
    return Reply(body=text("asks.asked.thanks", politician=civics.politician_label(asked)),
                 fields=activity.told_in_reply(session, logged), buttons=answer_buttons(issue.id))


async def _asked_written(session: AsyncSession, actor: Actor, arg: str, link: str | None) -> Reply:
    """A member wrote back to their question (or to the call to ask): a link to the question they asked is
    recorded as the asked button's form does; "klart" alone gets that button, since an ask needs its link."""
    if link is not None:
        return await mark_asked(session, actor, arg, link)
    actor.require_onboarded()
    issue = await pressed_row(session, actor, Issue, arg)
    return Reply(body=text("conversation.asks.link_needed", title=Literal(issue.title)),
                 buttons=(Button(text("asks.button.asked"), ASKED_ACTION, str(issue.id),
                                 ButtonStyle.SUCCESS),))


async def _answer_pressed(session: AsyncSession, actor: Actor, arg: str) -> Reply:
    issue_id, _, answer = arg.partition("-")
    if answer not in civics.ANSWERS:
        raise UserError("errors.unknown_button")
    issue = await pressed_row(session, actor, Issue, issue_id)
    return await report_answer(session, actor, issue, answer)


async def report_answer(session: AsyncSession, actor: Actor, issue: Issue, answer: str, ask: Ask | None = None
                        ) -> Reply:
    """Record what the politician answered (to the given question, or to the member's latest); a stance shows
    on the map as reported until a coordinator confirms."""
    member = actor.require_onboarded()
    if ask is None:
        mine = [a for a in await _my_asks(session, member, issue) if a.politician_id is not None]
        ask = next((a for a in mine if a.asked_at is not None and a.answer is None), None) or \
            next((a for a in mine if a.asked_at is not None), None) or next(iter(mine), None)
    if ask is None:
        raise UserError("asks.none_assigned", title=Literal(issue.title))
    politician = await session.get_one(Politician, ask.politician_id)
    ask.asked_at = ask.asked_at or actor.now
    ask.answer = answer
    ask.answered_at = actor.now
    # No answer makes the question an attempt, followed up with a reminder to try again; an answer settles it.
    logged = await activity.record(
        session,
        actor,
        "ask",
        activity.ATTEMPTED if answer == "no_answer" else activity.DONE,
        issue_id=issue.id,
        link=ask.asked_url,
        source=f"asks:{ask.id}",
        politician_id=ask.politician_id,
        channel=ask.channel,
        note=ask.note,
    )
    if answer == "no_answer":
        return Reply(body=text("asks.answer.no_answer", politician=civics.politician_label(politician)))
    # A member who corrects their answer replaces their own earlier report.
    await session.execute(update(Stance).where(
        Stance.issue_id == issue.id, Stance.politician_id == politician.id, Stance.status == civics.REPORTED,
        Stance.reported_by_member_id == member.id).values(status=civics.SUPERSEDED))
    row = await stances.report(session, actor, issue, politician, answer)
    notice = Reply(
        body=text(
            "asks.answer.notice",
            name=Literal(member.display_name),
            politician=civics.politician_label(politician),
            stance=stances.stance_label(answer),
            issue=Literal(issue.title),
            link=Literal(f" {ask.asked_url}") if ask.asked_url else "",
        ),
        fields=_contact_fields(ask),
        buttons=stances.review_buttons(row.id),
        private=False,
    )
    return Reply(body=text("asks.answer.reported", politician=civics.politician_label(politician),
                           stance=stances.stance_label(answer)),
                 fields=activity.told_in_reply(session, logged),
                 effects=(PostToChannel(Channel.COORDINATORS, notice),))


def _contact_fields(ask: Ask) -> tuple[Field, ...]:
    """How the member asked, and what the politician said in words, for the coordinators who confirm it."""
    fields = [Field(text("contacts.field.how"), activity.channel_label(ask.channel), inline=True)]
    if ask.answer_note:
        fields.append(Field(text("contacts.field.said"), Literal(ask.answer_note)))
    return tuple(fields)


# -- coordinators --------------------------------------------------------------------------------------------


Assignment = tuple[Ask, Member, Politician | None]


async def assignments_of(session: AsyncSession, workspace_id: int, issue_ids: Sequence[int]
                         ) -> dict[int, list[Assignment]]:
    """Who was given whom to ask about each issue (by issue id), and how it went, in one statement: what the
    coordinators' overview and the campaign board show. Ordered by politician, then member, the latest round
    first."""
    found: dict[int, list[Assignment]] = {issue_id: [] for issue_id in issue_ids}
    if not issue_ids:
        return found
    rows = (await session.execute(
        select(Ask, Member, Politician).join(Member, Member.id == Ask.member_id)
        .outerjoin(Politician, Politician.id == Ask.politician_id)
        .where(Ask.workspace_id == workspace_id, Ask.issue_id.in_(sorted(set(issue_ids)))))).all()
    for ask, member, politician in sorted(rows, key=lambda r: (r[2].name_key if r[2] else "~",
                                                               r[1].display_name.lower(), -r[0].round)):
        found[ask.issue_id].append((ask, member, politician))
    return found


@dataclass(frozen=True)
class AskTotals:
    """How the questions about an issue went, counted: given, asked, answered."""

    given: int = 0
    asked: int = 0
    answered: int = 0


async def totals_of(session: AsyncSession, workspace_id: int, issue_ids: Sequence[int]
                    ) -> dict[int, AskTotals]:
    """The questions about each issue counted (by issue id), in one statement: the campaign board's overview,
    which sums up what `assignments_of` lists (the same questions, counted as PoliticianAsks counts them)."""
    found = {issue_id: AskTotals() for issue_id in issue_ids}
    if not issue_ids:
        return found
    rows = await session.execute(
        select(Ask.issue_id, func.count(Ask.id), func.count(Ask.asked_at), func.count(Ask.answer))
        .join(Member, Member.id == Ask.member_id)
        .where(Ask.workspace_id == workspace_id, Ask.issue_id.in_(sorted(set(issue_ids))))
        .group_by(Ask.issue_id))
    for issue_id, given, asked, answered in rows:
        found[issue_id] = AskTotals(given, asked, answered)
    return found


@dataclass(frozen=True)
class PoliticianAsks:
    """The questions to one politician about an issue: who was to ask, how many did, and the answers."""

    politician: Politician | None
    askers: tuple[Assignment, ...]

    @property
    def asked(self) -> int:
        return sum(1 for ask, _, _ in self.askers if ask.asked_at is not None)

    @property
    def answered(self) -> int:
        return sum(1 for ask, _, _ in self.askers if ask.answer is not None)

    @property
    def answers(self) -> dict[str, int]:
        """How many askers got each answer (a stance, or no answer)."""
        return dict(Counter(ask.answer for ask, _, _ in self.askers if ask.answer is not None))


def per_politician(rows: Sequence[Assignment]) -> list[PoliticianAsks]:
    """Group an issue's assignments (as assignments_of orders them) by the politician to ask; the questions
    without one (nobody left to ask) last."""
    groups: dict[int | None, list[Assignment]] = {}
    people: dict[int | None, Politician | None] = {}
    for row in rows:
        key = row[2].id if row[2] is not None else None
        groups.setdefault(key, []).append(row)
        people.setdefault(key, row[2])
    return [PoliticianAsks(people[key], tuple(group)) for key, group in groups.items()]


async def overview(session: AsyncSession, actor: Actor, issue: str | None = None) -> Reply:
    """Show the coordinators who was asked to question whom about an issue, who did, and the answers."""
    actor.require_coordinator()
    found = await civics.find_issue(session, actor.workspace.id, issue)
    rows = (await assignments_of(session, actor.workspace.id, [found.id]))[found.id]
    title = text("asks.overview.title", title=Literal(found.title))
    if not rows:
        return Reply(title=title, body=text("asks.overview.none"))
    zone = actor.workspace.timezone
    lines: list[Text] = []
    for ask, member, politician in rows[:OVERVIEW_SHOWN]:
        status: Text
        if ask.asked_at is not None:
            status = text("asks.overview.asked", when=When(ask.asked_at, zone, "short"),
                          channel=activity.channel_label(ask.channel),
                          link=Literal(f" {ask.asked_url}") if ask.asked_url else "")
        else:
            status = text("asks.overview.not_yet")
        lines.append(
            text(
                "asks.overview.line",
                member=Literal(member.display_name),
                politician=civics.politician_label(politician) if politician else text("asks.no_target"),
                round=text("asks.overview.round", days=ask.round)
                if ask.round > 0
                else text("asks.overview.adhoc"),
                status=status,
                answer=text("asks.overview.answer", answer=stances.stance_label(ask.answer))
                if ask.answer
                else "",
            )
        )
    asked = sum(1 for r in rows if r[0].asked_at is not None)
    answered = sum(1 for r in rows if r[0].answer is not None)
    return Reply(
        title=title,
        body=text(
            "asks.overview.body",
            lines=Join(tuple(lines), "\n", "• "),
            more=more_than_shown("asks.overview.more", len(rows), OVERVIEW_SHOWN),
        ),
        fields=(
            Field(
                text("asks.overview.totals"),
                text("asks.overview.counts", assigned=len(rows), asked=asked, answered=answered),
            ),
        ),
    )


async def set_ask_days(
    session: AsyncSession, actor: Actor, ask_days: str | None = None, issue: str | None = None
) -> Reply:
    """Set when followers are asked (days before the decision), for one issue or as the workspace's
    default."""
    actor.require_coordinator()
    if issue:
        found = await civics.find_issue(session, actor.workspace.id, issue)
        if ask_days:
            found.ask_days = parse_ask_days(ask_days)
            found.updated_at = actor.now
            audit(session, actor, "issue.ask_days", issue_id=found.id, days=found.ask_days)
        days = await ask_days_for(session, found)
        planned = await schedule_rounds(session, found, actor.now)
        if not days:
            return Reply(body=text("asks.days.issue_off", title=Literal(found.title)))
        return Reply(
            body=text(
                "asks.days.issue",
                title=Literal(found.title),
                days=validation.day_list_label(days),
                planned=_planned_label(planned, actor.workspace.timezone),
            )
        )
    if ask_days:
        days = parse_ask_days(ask_days)
        settings = await settings_row(session, IssueSettings, actor.workspace.id, ask_days=days,
                                      updated_at=actor.now)
        settings.ask_days, settings.updated_at = days, actor.now
        audit(session, actor, "issue.default_ask_days", days=days)
        open_issues = await session.scalars(select(Issue).where(Issue.workspace_id == actor.workspace.id,
                                                                Issue.status == civics.OPEN))
        # An issue with rounds of its own keeps them (a JSON null is not SQL NULL, so this is checked here).
        for found in [i for i in open_issues if i.ask_days is None]:
            await schedule_rounds(session, found, actor.now)
    days = await workspace_ask_days(session, actor.workspace.id)
    if not days:
        return Reply(body=text("asks.days.workspace_off"))
    return Reply(body=text("asks.days.workspace", days=validation.day_list_label(days)))


def _planned_label(planned: Sequence[datetime], zone: str) -> Text | Join:
    if not planned:
        return text("asks.days.nothing_planned")
    return Join(tuple(When(at, zone, "short") for at in planned))


# -- my data -------------------------------------------------------------------------------------------------


async def _export(session: AsyncSession, member: Member) -> dict[str, Any]:
    asks = (await session.execute(
        select(Ask, Issue.title, Politician.name).join(Issue, Issue.id == Ask.issue_id)
        .outerjoin(Politician, Politician.id == Ask.politician_id)
        .where(Ask.member_id == member.id).order_by(Ask.id))).all()
    reports = (await session.execute(
        select(Stance, Issue.title, Politician.name).join(Issue, Issue.id == Stance.issue_id)
        .join(Politician, Politician.id == Stance.politician_id)
        .where(Stance.reported_by_member_id == member.id).order_by(Stance.id))).all()

    def iso(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "asks": [{"issue": title, "politician": name, "round": a.round, "assigned_at": iso(a.assigned_at),
                  "asked_at": iso(a.asked_at), "channel": a.channel, "asked_url": a.asked_url, "note": a.note,
                  "answer": a.answer, "answer_note": a.answer_note, "answered_at": iso(a.answered_at)}
                 for a, title, name in asks],
        "stance_reports": [{"issue": title, "politician": name, "stance": s.stance, "status": s.status,
                            "at": iso(s.created_at)} for s, title, name in reports],
    }


async def _erase(session: AsyncSession, member: Member) -> None:
    """Asks go with the member row (CASCADE); reports stay on the map without saying who made
    them (SET NULL)."""


FEATURE = Feature(
    "asks",
    on_issue_changed=(_plan_rounds,),
    actions={MINE_ACTION: _mine_pressed, ASKED_ACTION: _asked_pressed, ANSWER_ACTION: _answer_pressed},
    forms={ASKED_FORM: _asked_submitted},
    form_openers={ASKED_ACTION: record_form(asked_form)},
    answers={ASKED_ACTION: _asked_written, MINE_ACTION: _asked_written},
    planners={ASK_KIND: _plan_round},
    describers={ASK_KIND: _describe_round},
    member_data=(MemberData("issue_asks", _export, _erase,
                            covers=("ask.member_id", "stance.reported_by_member_id")),),
    impersonal={"issue.ask_days": "days before a decision",
                "issue_settings.ask_days": "days before a decision"},
)
