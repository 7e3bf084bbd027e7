"""Talk to the coach: what a member writes to the bot in a DM, or to it by a mention, gets an answer.

The words are read by rules, in Swedish and English, without a model: "klart" marks what the bot's message
they answer is about (a step, a pledge, a retry), a link is offered to be logged for it, "nästa", "paus",
"hjälp", "stopp" and "start" do what they say, thanks and greetings are answered, a question goes to the coach
(bot.services.questions), and anything else gets a short menu of what the member can do now.

The message they answer is the one the platform names (`Said.answering`), else the bot's newest DMs to them
within CONTEXT_TTL: each feature says, by the action of a button on its message, what "klart" or a link means
for it (`Feature.answers`); the first that applies answers.

Within reason: MESSAGES_PER_MINUTE a member (the first message over it is told to slow down, the next ones get
nothing until the minute has passed), the model MODEL_PER_HOUR times an hour a member. What the conversation
keeps (the offer waiting for a yes with its link, the last questions and answers, the times of the messages)
lives in one `conversation` row a member for CONTEXT_TTL after their last message: older, it is ignored when
read, and the workspace's expiry sweep (a reminder due when the oldest row expires) deletes it. Before consent
no text is kept at all. What members write is never logged.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot import contributions, delivery, reminders, validation
from bot.coach import CoachModel
from bot.contributions import Feature, MemberData
from bot.errors import UserError
from bot.models import Ask, CoachingMember, Conversation, Delivery, Issue, Member, Reminder, Workspace
from bot.replies import (
    Button,
    ButtonStyle,
    Field,
    Literal,
    Renderable,
    Reply,
    SendDirect,
    Text,
    When,
    reply_from_json,
    reply_to_json,
    text,
)
from bot.services import activity, asks, civics, ladder, nudges, onboarding, questions, stories
from bot.services.context import Actor

log = logging.getLogger(__name__)

# How long the conversation remembers: the bot's DMs a "klart" may be about, an offer, the last questions.
CONTEXT_TTL = timedelta(hours=24)
# A member's messages answered in a sliding minute; the first over it is told to slow down.
MESSAGES_PER_MINUTE = 10
MINUTE = timedelta(minutes=1)
# The coach's model answers a member's questions at most this often in a sliding hour; then the help texts do.
MODEL_PER_HOUR = 4
HOUR = timedelta(hours=1)
# The questions and answers kept for a follow-up question, each cut to TURN_CHARS characters.
MAX_TURNS = 3
TURN_CHARS = 300
# The bot's newest DMs to a member looked at for the message a "klart" or link answers.
LOOKBACK = 5
# The menu's buttons at most.
MENU_BUTTONS = 5

CONFIRM_ACTION = "conversation.confirm"
DECLINE_ACTION = "conversation.decline"
# The coach's answers that ask a yes or no about their buttons ("Vill du markera steg 1 som klart?"): a "ja"
# after one of them presses its first button. (A step shown is no question: "ja" after it does nothing.)
ASKING = frozenset({"conversation.done.offer_step"})
# An offer with no message to answer: log the link as a post of the member's own.
POST_OFFER = "post"
EXPIRE_KIND = "conversation.expire"
# The expiry sweeps that ran are removed after this long.
TIDY_AFTER = timedelta(days=1)


class Where(StrEnum):
    """Where the member wrote: in a DM to the bot, or in a channel, mentioning it."""

    DM = "dm"
    MENTION = "mention"


@dataclass(frozen=True)
class Said:
    """What a member wrote to the bot, as the platform hands it over.

    `text` is what they wrote, the bot's own mention taken out. `answering` holds the buttons (action, arg) of
    the bot's message they answer, when the platform tells which one (a Discord reply carries the message it
    answers, with its buttons); empty when it does not say, and the service takes the last message the bot
    sent them.
    """

    text: str
    where: Where = Where.DM
    answering: Sequence[tuple[str, str]] = ()


# -- the words ---------------------------------------------------------------------------------------------


class Intent(StrEnum):
    """What a short message means, by the tables below."""

    DONE = "done"
    NEXT = "next"
    PAUSE = "pause"
    HELP = "help"
    STOP = "stop"
    START = "start"
    THANKS = "thanks"
    GREETING = "greeting"
    # An answer to the coach's own question ("Ska jag logga länken?", "Vill du markera steg 1 som klart?").
    YES = "yes"
    NO = "no"


# What members write, one table a language, as `validation.fold` leaves it (lower case, no accents) and with
# the punctuation and emoji at either end trimmed: the whole message must be one of these (a longer sentence
# is a question, or gets the menu). Both tables are read whatever the member's language: people mix them.
WORDS: Mapping[str, Mapping[Intent, frozenset[str]]] = {
    "sv": {
        Intent.DONE: frozenset({"klart", "klar", "fixat", "fixad", "gjort", "gjort det", "jag har gjort det",
                                "nu ar det klart", "det ar klart", "jag ar klar", "klart nu", "fardigt",
                                "fardig", "ja klart", "check", "bock"}),
        Intent.NEXT: frozenset({"nasta", "nasta steg", "vad nu", "vad ska jag gora nu", "vad gor jag nu",
                                "vidare", "nytt steg"}),
        Intent.PAUSE: frozenset({"paus", "pausa", "inte nu", "pausa paminnelserna", "ta en paus", "senare"}),
        Intent.HELP: frozenset({"hjalp", "hur gor jag", "vad kan du", "meny", "menyn", "vad kan jag gora"}),
        Intent.STOP: frozenset({"stopp", "stoppa", "sluta", "avsluta", "avregistrera", "inga fler dm",
                                "sluta skicka"}),
        Intent.START: frozenset({"start", "starta", "borja igen", "starta igen", "fortsatt"}),
        Intent.THANKS: frozenset({"tack", "tack sa mycket", "tusen tack", "tackar", "stort tack",
                                  "tack tack"}),
        Intent.GREETING: frozenset({"hej", "hallo", "hejsan", "tja", "tjena", "god morgon", "hej hej",
                                    "god kvall"}),
        Intent.YES: frozenset({"ja", "japp", "jajamen", "ja tack", "ja garna", "garna", "okej", "ok",
                               "absolut", "kor", "gor det", "sakert"}),
        Intent.NO: frozenset({"nej", "nej tack", "na", "nae", "inte alls", "strunta i det", "glom det"}),
    },
    "en": {
        Intent.DONE: frozenset({"done", "finished", "did it", "i did it", "all done", "completed", "complete",
                                "its done", "it's done"}),
        Intent.NEXT: frozenset({"next", "next step", "what now", "what next", "whats next", "what's next"}),
        Intent.PAUSE: frozenset({"pause", "not now", "later", "snooze"}),
        Intent.HELP: frozenset({"help", "menu", "what can you do", "how do i", "how does this work"}),
        Intent.STOP: frozenset({"stop", "unsubscribe", "no more dms", "quit"}),
        Intent.START: frozenset({"resume", "start again", "subscribe"}),
        Intent.THANKS: frozenset({"thanks", "thank you", "thx", "ty", "cheers", "thanks a lot"}),
        Intent.GREETING: frozenset({"hi", "hello", "hey", "good morning", "hiya"}),
        Intent.YES: frozenset({"yes", "yep", "yeah", "sure", "okay", "yes please", "please do", "go ahead"}),
        Intent.NO: frozenset({"no", "nope", "no thanks", "never mind", "forget it"}),
    },
}
# Messages of only these marks mean done ("👍"), or help ("?"), before the marks are trimmed away.
DONE_MARKS = frozenset({"✅", "👍", "✔", "✔️", "☑️", "🎉", "💪"})
HELP_MARKS = frozenset({"?", "??", "???"})
# A message that starts with one of these words (or holds a question mark) is a question for the coach.
QUESTION_WORDS: Mapping[str, frozenset[str]] = {
    "sv": frozenset({"hur", "vad", "varfor", "nar", "vem", "vilken", "vilket", "vilka", "var", "kan", "ska",
                     "bor", "maste", "far", "finns", "ar", "hjalp"}),
    "en": frozenset({"how", "what", "why", "when", "who", "which", "where", "can", "could", "should", "do",
                     "does", "is", "are", "will", "would", "help"}),
}
# Read as the words' whole: one table of all the languages, built once.
_INTENTS: dict[str, Intent] = {phrase: intent for table in WORDS.values()
                               for intent, phrases in table.items() for phrase in phrases}
_QUESTION_WORDS = frozenset(word for table in QUESTION_WORDS.values() for word in table)
# What is trimmed at either end: anything but letters and digits (punctuation, emoji, spaces).
_EDGES = re.compile(r"^[\W_]+|[\W_]+$")
_SPACES = re.compile(r"\s+")
# A link in a message: with its scheme, from www., or a site with a path ("x.com/anna/status/1").
_LINK = re.compile(r"(?:https?://|www\.)\S+|\b[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}/\S+", re.IGNORECASE)
_LINK_TAIL = ".,;:!?)]}»\"'"


def words_of(raw: str) -> str:
    """The message as the tables read it: folded, apostrophes kept, spaces single, marks at the ends gone."""
    return _EDGES.sub("", _SPACES.sub(" ", validation.fold(raw)))


def intent_of(raw: str) -> Intent | None:
    """What a short message means, or None (a question, a link, or anything else)."""
    stripped = raw.strip()
    if stripped in DONE_MARKS:
        return Intent.DONE
    if stripped in HELP_MARKS:
        return Intent.HELP
    return _INTENTS.get(words_of(stripped))


def link_in(raw: str) -> str | None:
    """The first web link in a message, as the bot keeps links (validation.web_url); None without one."""
    for match in _LINK.finditer(raw):
        candidate = match.group(0).rstrip(_LINK_TAIL)
        try:
            url = validation.web_url(candidate, text("conversation.link"))
        except validation.FieldProblem:
            continue
        if url is not None:
            return url
    return None


def is_question(raw: str) -> bool:
    """A question for the coach: it holds a question mark, or starts with a question word."""
    if "?" in raw:
        return True
    first = words_of(raw).split(" ", 1)[0]
    return first in _QUESTION_WORDS


# -- the conversation's row --------------------------------------------------------------------------------


def _times(values: Sequence[Any], since: datetime) -> list[datetime]:
    """The stored times (ISO text) after `since`."""
    found = []
    for value in values or ():
        at = datetime.fromisoformat(value)
        if at > since:
            found.append(at)
    return found


def _stale(row: Conversation, now: datetime) -> bool:
    return row.updated_at <= now - CONTEXT_TTL


async def _row(session: AsyncSession, actor: Actor) -> tuple[Conversation, bool]:
    """The member's conversation, as it stands now: a row past CONTEXT_TTL is read as a new one; and whether
    it is new (then the expiry sweep may have to be planned)."""
    row = await session.get(Conversation, actor.member.id)
    if row is None:
        row = Conversation(member_id=actor.member.id, workspace_id=actor.workspace.id, offer=None,
                           last_answer=None, turns=[],
                           heard=[], model_asked=[], slowed_at=None, updated_at=actor.now)
        session.add(row)
        return row, True
    if _stale(row, actor.now):
        row.offer, row.last_answer, row.turns, row.heard, row.model_asked, row.slowed_at = (
            None, None, [], [], [], None)
        return row, True
    return row, False


class Pace(StrEnum):
    """Whether a message is within the rate limit."""

    ANSWER = "answer"
    SLOW_DOWN = "slow_down"
    SILENT = "silent"


def _pace(row: Conversation, now: datetime) -> Pace:
    """Count the message in the sliding minute; the first over the limit is told to slow down, the rest get
    nothing. A message over the limit is not counted, so that writing on does not make the wait longer."""
    recent = _times(row.heard, now - MINUTE)
    if len(recent) >= MESSAGES_PER_MINUTE:
        if row.slowed_at is not None and row.slowed_at > now - MINUTE:
            return Pace.SILENT
        row.slowed_at = now
        return Pace.SLOW_DOWN
    row.heard = [at.isoformat() for at in (*recent, now)]
    return Pace.ANSWER


async def _touch(session: AsyncSession, row: Conversation, now: datetime, new: bool) -> None:
    """Mark the row as used now; for a new row, make sure the workspace's expiry sweep is planned.

    A row that lives has its sweep planned: one was planned when the row was new, and a sweep plans the next
    while rows are left. Moving the row's expiry later needs no change: the sweep due first plans the next.
    """
    row.updated_at = now
    if not new:
        return
    planned = await session.scalar(select(Reminder.id).where(
        Reminder.status == reminders.PENDING, Reminder.workspace_id == row.workspace_id,
        Reminder.kind == EXPIRE_KIND).limit(1))
    if planned is None:
        await _plan_sweep(session, row.workspace_id, now + CONTEXT_TTL, now)


async def _plan_sweep(session: AsyncSession, workspace_id: int, due: datetime, now: datetime) -> None:
    await reminders.schedule(session, workspace_id=workspace_id, kind=EXPIRE_KIND,
                             key=f"{EXPIRE_KIND}:{workspace_id}:{due:%Y%m%dT%H%M%S}", due_at=due, now=now)


async def _sweep(session: AsyncSession, reminder: Reminder, now: datetime) -> list[reminders.Planned]:
    """Delete the workspace's conversations past CONTEXT_TTL; plan the next sweep for when the oldest left
    expires (none when none is left: the next message plans one)."""
    workspace_id = reminder.workspace_id
    await session.execute(delete(Conversation).where(Conversation.workspace_id == workspace_id,
                                                     Conversation.updated_at <= now - CONTEXT_TTL))
    await session.execute(delete(Reminder).where(
        Reminder.workspace_id == workspace_id, Reminder.kind == EXPIRE_KIND,
        Reminder.status == reminders.FANNED_OUT, Reminder.due_at < now - TIDY_AFTER))
    oldest = await session.scalar(select(func.min(Conversation.updated_at))
                                  .where(Conversation.workspace_id == workspace_id))
    if oldest is not None:
        await _plan_sweep(session, workspace_id, max(oldest + CONTEXT_TTL, now), now)
    return []


async def _describe_sweep(session: AsyncSession, reminder: Reminder) -> Text:
    workspace = await session.get_one(Workspace, reminder.workspace_id)
    return text("conversation.skipped.expire", when=When(reminder.due_at, workspace.timezone, "short"))


# -- the message they answer -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answerable:
    """A message of the bot a member may be answering: its buttons that some feature answers, in order."""

    buttons: tuple[tuple[str, str], ...]
    # The message's own buttons (to show again when "klart" could mean several of them); empty when only the
    # platform's (action, arg) pairs are known.
    shown: tuple[Button, ...] = ()
    # The message's title, which an offer names ("for ”Steg 2 av 6: …”?"); None when it has none or it is
    # not known.
    about: Renderable | None = None
    # The coach's own last answer in this conversation (not a DM the bot sent on its own).
    own: bool = False


def _readable(message: dict[str, Any], answers: Mapping[str, Any], *, own: bool = False) -> Answerable | None:
    """A stored message as one the member may be answering; None when no feature answers its buttons."""
    reply = reply_from_json(message)
    shown = tuple(b for b in reply.buttons if b.action in answers)
    if not shown:
        return None
    return Answerable(tuple((b.action, b.arg) for b in shown), reply.buttons, reply.title, own)


async def _answerable(session: AsyncSession, actor: Actor, said: Said, row: Conversation) -> list[Answerable]:
    """The messages the member may be answering, the likeliest first: the one the platform names, else the
    newest of the bot's DMs to them and the coach's own last answer here, within CONTEXT_TTL."""
    answers = contributions.of(session).answers
    if said.answering:
        pairs = tuple((action, arg) for action, arg in said.answering if action in answers)
        return [Answerable(pairs)] if pairs else []
    rows = (await session.execute(
        select(Delivery.message, Delivery.sent_at).where(Delivery.member_id == actor.member.id,
                                                         Delivery.status == delivery.SENT,
                                                         Delivery.sent_at > actor.now - CONTEXT_TTL)
        .order_by(Delivery.sent_at.desc(), Delivery.id.desc()).limit(LOOKBACK))).all()
    found = [(sent_at, readable) for stored, sent_at in rows
             if sent_at is not None and (readable := _readable(stored, answers)) is not None]
    last = row.last_answer
    if last is not None and (own := _readable(last["message"], answers, own=True)) is not None:
        found.append((datetime.fromisoformat(last["at"]), own))
    found.sort(key=lambda entry: entry[0], reverse=True)
    return [message for _, message in found]


def _remember_answer(session: AsyncSession, row: Conversation, reply: Reply, now: datetime) -> None:
    """Keep the coach's answer when it carries buttons a feature answers: a "klart" after it is about it, and
    a "ja" too when it asked (only its title, those buttons and whether it asked are kept)."""
    answers = contributions.of(session).answers
    shown = tuple(b for b in reply.buttons if b.action in answers)
    if shown:
        asked = isinstance(reply.body, Text) and reply.body.key in ASKING
        row.last_answer = {"at": now.isoformat(), "asked": asked,
                           "message": reply_to_json(Reply(title=reply.title, buttons=shown))}


async def _done(session: AsyncSession, actor: Actor, said: Said, row: Conversation, *,
                only_own: bool = False) -> Reply | None:
    """"Klart": what the message they answer is about, done; None when no message says. `only_own`: only when
    that message is the coach's own last answer here (a "ja" to its question)."""
    answers = contributions.of(session).answers
    messages = await _answerable(session, actor, said, row)
    if only_own:
        messages = messages[:1] if messages and messages[0].own else []
    for message in messages:
        action = message.buttons[0][0]
        same = [arg for each, arg in message.buttons if each == action]
        if len(set(same)) > 1:
            # Several of a kind (two pledges in one follow-up): the member says which, by its button.
            return Reply(body=text("conversation.done.which"), buttons=message.shown)
        try:
            # In a savepoint: an answer refused (a step retired since the nudge) leaves nothing written.
            async with session.begin_nested():
                answered = await answers[action](session, actor, same[0], None)
        except UserError:
            continue  # "klart" is no command: a message it cannot be about is passed over
        if answered is not None:
            return answered
    return None


async def _current_step(session: AsyncSession, actor: Actor) -> tuple[int, ladder.Step] | None:
    """The member's next step on the ladder and its number, or None at the top."""
    steps = await ladder.steps_of(session, actor.workspace.id)
    finished = (await ladder.done_of(session, [actor.member.id])).get(actor.member.id, set())
    active, _, current = ladder.standing(steps, finished, actor.member.experience)
    return (active.index(current) + 1, current) if current is not None else None


async def _offer_step(session: AsyncSession, actor: Actor) -> Reply | None:
    """"Klart" about nothing the bot sent: offer to mark the next step done (never marked unasked)."""
    found = await _current_step(session, actor)
    if found is None:
        return None
    number, step = found
    return Reply(body=text("conversation.done.offer_step", number=number, title=step.title_text()),
                 buttons=(Button(text("coaching.button.done"), ladder.DONE_ACTION, step.key,
                                 ButtonStyle.SUCCESS), ladder.next_button()))


async def _offer_link(session: AsyncSession, actor: Actor, said: Said, row: Conversation, link: str) -> Reply:
    """A link: offer to log it for the message they answer (or as a post of their own); it waits in the
    conversation for their yes."""
    message = next(iter(await _answerable(session, actor, said, row)), None)
    about: Renderable | None = None
    # A message about several things of a kind (two pledges) does not say which the link is for.
    if message is not None and len({arg for action, arg in message.buttons
                                    if action == message.buttons[0][0]}) == 1:
        action, arg = message.buttons[0]
        # Named by its title when it has one, so that the member sees what the link would count for.
        key, about = ("conversation.link.offer_about", message.about) if message.about is not None else (
            "conversation.link.offer", None)
    else:
        action, arg, key = POST_OFFER, "", "conversation.link.offer_post"
    row.offer = {"action": action, "arg": arg, "link": link, "at": actor.now.isoformat()}
    return Reply(body=text(key, link=Literal(link), **({"about": about} if about is not None else {})),
                 buttons=(Button(text("conversation.button.confirm"), CONFIRM_ACTION,
                                 style=ButtonStyle.SUCCESS),
                          Button(text("conversation.button.decline"), DECLINE_ACTION,
                                 style=ButtonStyle.SECONDARY)))


def _offered_last(row: Conversation) -> bool:
    """Whether the coach's newest question here is a link waiting for a yes (not a later answer's)."""
    offer, last = row.offer, row.last_answer
    if offer is None:
        return False
    return last is None or offer.get("at", "") >= last["at"]


async def _confirm(session: AsyncSession, actor: Actor, _arg: str = "") -> Reply:
    """"Ja, logga": do what the waiting offer said, with its link."""
    actor.require_onboarded()
    row = await session.get(Conversation, actor.member.id)
    if row is None or row.offer is None or _stale(row, actor.now):
        return Reply(body=text("conversation.offer.gone"), replaces_source=True)
    offer, row.offer = row.offer, None
    link = offer["link"]
    answerer = contributions.of(session).answers.get(offer["action"])
    answered = await answerer(session, actor, offer["arg"], link) if answerer is not None else None
    if answered is None:
        answered = await activity.did(session, actor, activity.ActivityKind.TWEET, link=link)
    return dataclasses.replace(answered, replaces_source=True)


async def _decline(session: AsyncSession, actor: Actor, _arg: str = "") -> Reply:
    """"Nej": forget the waiting offer and its link."""
    row = await session.get(Conversation, actor.member.id)
    if row is not None:
        row.offer = None
    return Reply(body=text("conversation.offer.declined"), replaces_source=True)


# -- the answers -------------------------------------------------------------------------------------------


async def _menu_buttons(session: AsyncSession, actor: Actor) -> tuple[Button, ...]:
    """What the member can do now, at most MENU_BUTTONS: the onboarding before it; after it their next step,
    their question about the soonest open issue they ask about, pause or resume, a story, their stats."""
    member = actor.member
    if member.onboarded_at is None:
        return (onboarding.start_button(),)
    buttons = [ladder.next_button()]
    issue_id = await session.scalar(
        select(Issue.id).join(Ask, Ask.issue_id == Issue.id)
        .where(Ask.member_id == member.id, Issue.status == civics.OPEN, Issue.decision_at > actor.now)
        .order_by(Issue.decision_at, Issue.id).limit(1))
    if issue_id is not None:
        buttons.append(Button(text("asks.button.mine"), asks.MINE_ACTION, str(issue_id)))
    state = await session.get(CoachingMember, member.id)
    if state is not None and state.paused:
        buttons.append(Button(text("coaching.button.resume"), nudges.RESUME_ACTION,
                              style=ButtonStyle.SECONDARY))
    else:
        buttons.append(Button(text("coaching.button.pause"), nudges.PAUSE_ACTION,
                              style=ButtonStyle.SECONDARY))
    buttons.append(stories.share_button())
    buttons.append(Button(text("activity.button.stats"), activity.STATS_ACTION, style=ButtonStyle.SECONDARY))
    return tuple(buttons[:MENU_BUTTONS])


async def _menu(session: AsyncSession, actor: Actor, key: str = "conversation.menu") -> Reply:
    return Reply(body=text(key), buttons=await _menu_buttons(session, actor))


async def _stop(session: AsyncSession, actor: Actor) -> Reply:
    """Turn off the member's DMs at once: none planned for them is sent (nor the onboarding's nudge)."""
    member = actor.member
    member.dm_reminders = False
    pending = (await session.execute(
        select(Delivery.id, Delivery.message).where(Delivery.member_id == member.id,
                                                    Delivery.status == delivery.PENDING))).all()
    # A role the member is to get is no DM (its row names the member too): it stays.
    direct = [delivery_id for delivery_id, message in pending
              if "grant_role" not in message and delivery.REVOKE_ROLE not in message]
    if direct:
        # Cancelled, as a live message's outdated update is: the dispatcher sends only pending rows.
        await session.execute(update(Delivery)
                              .where(Delivery.id.in_(direct), Delivery.status == delivery.PENDING)
                              .values(status=delivery.CANCELLED))
    await reminders.cancel(session, workspace_id=actor.workspace.id,
                           key=f"{onboarding.NUDGE_KIND}:member:{member.id}")
    log.info("Member %s turned off DMs in a conversation (%d pending cancelled)", member.id, len(direct))
    # /coach resume is for those who onboarded; anyone may write "start".
    return Reply(body=text("conversation.stop.done" if member.onboarded_at is not None
                           else "conversation.stop.done_newcomer"))


async def _start(session: AsyncSession, actor: Actor) -> Reply:
    """Turn the member's DMs on again; an onboarded member's nudges too, as /coach resume does."""
    if actor.member.onboarded_at is not None:
        return await nudges.resume(session, actor)
    actor.member.dm_reminders = True
    return Reply(body=text("conversation.start.done"))


async def _question(session: AsyncSession, actor: Actor, raw: str, row: Conversation,
                    model: CoachModel | None) -> Reply:
    """A question for the coach: with the model while the member is within its hourly limit, with the
    conversation's last questions and answers."""
    asked = _times(row.model_asked, actor.now - HOUR)
    resting = model is not None and len(asked) >= MODEL_PER_HOUR
    earlier = [questions.Turn(turn["question"], turn["answer"]) for turn in row.turns or ()]
    answered = await questions.answer_question(session, actor, raw, None if resting else model, earlier)
    if answered.asked_model:
        asked.append(actor.now)
    row.model_asked = [at.isoformat() for at in asked]
    if answered.turn is not None:
        turn = {"question": answered.turn.question[:TURN_CHARS], "answer": answered.turn.answer[:TURN_CHARS]}
        row.turns = [*(row.turns or ())[-(MAX_TURNS - 1):], turn]
    reply = answered.reply
    if resting:
        reply = dataclasses.replace(reply, fields=(*reply.fields, Field(
            text("conversation.model_rest.title"), text("conversation.model_rest.body"))))
    return reply


async def _understood(session: AsyncSession, actor: Actor, said: Said, row: Conversation,
                      model: CoachModel | None) -> tuple[Reply, bool]:
    """Answer the message by the rules; also say whether the answer is personal (not for a channel)."""
    member = actor.member
    intent = intent_of(said.text)
    if intent is Intent.STOP:
        return await _stop(session, actor), False
    if intent is Intent.START:
        return await _start(session, actor), False
    if intent is Intent.HELP:
        return Reply(title=text("conversation.help.title"), body=text("conversation.help.body"),
                     buttons=await _menu_buttons(session, actor)), False
    if intent is Intent.THANKS:
        return await _menu(session, actor, "conversation.thanks"), False
    if intent is Intent.GREETING:
        return await _menu(session, actor, "conversation.greeting"), False
    if member.onboarded_at is None:
        # Before the onboarding (and the consent it asks for) nothing personal is done, nor any text kept.
        return await _menu(session, actor, "conversation.menu.newcomer"), False
    if intent is Intent.DONE:
        answered = await _done(session, actor, said, row) or await _offer_step(session, actor)
        return (answered, True) if answered is not None else (await _menu(session, actor), False)
    if intent is Intent.YES:
        # Yes to the coach's newest question here: the link offered, or what its last answer asked.
        if _offered_last(row):
            return await _confirm(session, actor), True
        answered = None
        if row.last_answer is not None and row.last_answer.get("asked"):
            answered = await _done(session, actor, said, row, only_own=True)
            row.last_answer = None  # answered: a second "ja" is about nothing
        return (answered, True) if answered is not None else (await _menu(session, actor), False)
    if intent is Intent.NO:
        # No to the coach's newest question: neither the link offered nor what it asked is done later.
        if _offered_last(row):
            return await _decline(session, actor), False
        row.last_answer = None
        return await _menu(session, actor, "conversation.no"), False
    if intent is Intent.NEXT:
        return await ladder.next_step(session, actor, model), True
    if intent is Intent.PAUSE:
        return await nudges.pause(session, actor), False
    link = link_in(said.text)
    if link is not None:
        return await _offer_link(session, actor, said, row, link), True
    if is_question(said.text):
        return await _question(session, actor, said.text, row, model), True
    return await _menu(session, actor), False


def _placed(reply: Reply, said: Said, member: Member, personal: bool) -> Reply:
    """The answer where the member wrote: in a DM as it is; to a mention in a channel publicly when it
    reveals nothing of theirs, else by DM (personal, so that a channel fallback shows nothing) with a short
    word in the channel."""
    reply = dataclasses.replace(reply, replaces_source=False)
    if said.where is Where.DM:
        return reply
    if not personal:
        return dataclasses.replace(reply, private=False)
    direct = dataclasses.replace(reply, effects=(), private=True, personal=True)
    return Reply(body=text("conversation.sent_privately"), private=False,
                 effects=(SendDirect(member.id, direct), *reply.effects))


async def answer(session: AsyncSession, actor: Actor, said: Said, model: CoachModel | None = None
                 ) -> Reply | None:
    """Answer what a member wrote; None when nothing is to be said (they write faster than the rate limit)."""
    row, new = await _row(session, actor)
    pace = _pace(row, actor.now)
    if pace is not Pace.ANSWER:
        await _touch(session, row, actor.now, new)
        if pace is Pace.SILENT:
            return None
        return Reply(body=text("conversation.slow_down"), private=said.where is Where.DM)
    reply, personal = await _understood(session, actor, said, row, model)
    _remember_answer(session, row, reply, actor.now)
    if actor.member.consented_at is None:
        row.offer, row.turns = None, []  # before consent no text is kept, not even for a day
    await _touch(session, row, actor.now, new)
    return _placed(reply, said, actor.member, personal)


# -- /mydata -----------------------------------------------------------------------------------------------


async def _export(session: AsyncSession, member: Member) -> dict[str, Any] | None:
    row = await session.get(Conversation, member.id)
    if row is None:
        return None
    return {"offer": row.offer, "last_answer": row.last_answer, "turns": row.turns, "messages_at": row.heard,
            "model_asked_at": row.model_asked, "updated_at": row.updated_at.isoformat()}


async def _erase(session: AsyncSession, member: Member) -> None:
    await session.execute(delete(Conversation).where(Conversation.member_id == member.id))


FEATURE = Feature(
    "conversation",
    actions={CONFIRM_ACTION: _confirm, DECLINE_ACTION: _decline},
    planners={EXPIRE_KIND: _sweep},
    describers={EXPIRE_KIND: _describe_sweep},
    member_data=(MemberData("conversation", _export, _erase,
                            covers=("conversation.member_id", "conversation.offer",
                                    "conversation.last_answer", "conversation.turns", "conversation.heard",
                                    "conversation.model_asked")),),
)
