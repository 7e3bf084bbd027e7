"""A member's free question to the coach ("hur skriver jag till kommunalrådet om parkeringen?"), answered.

With a model (and the member within its hourly limit, which the conversation keeps), a short answer grounded
in the member's profile, their next step on the ladder and the open issues, with a draft where one fits; the
model is an untrusted author, so the answer and the draft pass the coach's guard (bot/coach/guard.py), and
whatever fails it (or an off-topic question) is answered as without a model. Without one, the closest help
text (a small index of topics matched by words, in Swedish and English) with its command, and a button
where one fits. The question is never stored here: `Answered.turn` is what the conversation may keep for a
follow-up.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.coach import Brief, CoachModel, prompts
from bot.i18n import render
from bot.replies import Button, ButtonStyle, Field, Join, Literal, Renderable, Reply, text
from bot.services import (
    activity,
    asks,
    audience,
    civics,
    drafts,
    ladder,
    nudges,
    pledges,
    profile_fields,
    stories,
    writing,
)
from bot.services.coaching_settings import CoachingSettings, settings_of
from bot.services.context import Actor, is_group_member
from bot.validation import fold


@dataclass(frozen=True)
class Turn:
    """One question and the coach's answer, kept in the conversation's context for a follow-up question."""

    question: str
    answer: str


@dataclass(frozen=True)
class Answered:
    """The answer to a question: the reply, whether the model was asked (it counts against the member's hourly
    limit), and what to remember for a follow-up (None: nothing)."""

    reply: Reply
    asked_model: bool = False
    turn: Turn | None = None


# The prompt names at most this many open issues (the one the question names first), and the conversation's
# last few turns: enough to ground an answer, little enough to keep the prompt short.
MAX_ISSUES = 3
MAX_EARLIER = 3
# A question longer than this is cut before it goes to the model (a member's message, not a document).
MAX_QUESTION = 1000


# -- the help topics, for an answer without a model ----------------------------------------------------------


@dataclass(frozen=True)
class Topic:
    """A help topic: its catalog text (questions.topic.<name>), the words that find it, and what it offers.

    `words` are folded stems (lower case, no diacritics) with a weight: a word of the question that starts
    with a stem of at least MIN_STEM letters counts, a shorter stem only as the whole word. `issue_option`
    names the questions.issue.<option> text that points to the topic's command for an issue the question
    names; `buttons` gives the topic's buttons (given that issue, or None), where existing actions fit.
    """

    name: str
    words: Mapping[str, int]
    issue_option: str = "tweet"
    buttons: Callable[[drafts.IssueContext | None], tuple[Button, ...]] = lambda _issue: ()


MIN_STEM = 4


def _weighted(*groups: str) -> dict[str, int]:
    """Read "stem stem:2 …" lists (Swedish and English alike) into stems with their weights (1 unless
    given)."""
    found: dict[str, int] = {}
    for group in groups:
        for entry in group.split():
            stem, _, weight = entry.partition(":")
            found[stem] = int(weight or 1)
    return found


def _mine_ask(issue: drafts.IssueContext | None) -> tuple[Button, ...]:
    """The member's question to a politician about the issue (whom to ask, and what)."""
    return (Button(text("asks.button.mine"), asks.MINE_ACTION, str(issue.id)),) if issue is not None else ()


def _pledge(issue: drafts.IssueContext | None) -> tuple[Button, ...]:
    """The countdown's buttons that make a pledge on the issue (tweet, contact, attend)."""
    return pledges.pledge_buttons(issue.id) if issue is not None else ()


# Language data, as bot/coach/rules.py's lists: Swedish stems first, then English. Whole-word stems are the
# short ones ("x", "did"); longer stems find their inflections and compounds' first parts ("twittra",
# "politikern", "kommunalrådet"). Order breaks a tie: the first topic with the most weight wins.
TOPICS = (
    Topic("tweet", _weighted(
        "tweet:2 tweeta:2 twittra:2 twitter:2 x inlagg:2 posta:2 skriv:2 skriva:2 skriver:2 formulera:2 "
        "kontakta kommunalrad fraga:1 fragar staller:2 stalla:2 uppmarksam",
        "tweet:2 tweets:2 twitter:2 post:2 write:2 writing:2 wording:2 contact councillor councilor ask:1 "
        "message"), buttons=_mine_ask),
    Topic("blog", _weighted("blogg:5 artikel:3 debattartikel:5 insandare:5 text",
                            "blog:5 article:3 op-ed:5 opinion"), issue_option="blog"),
    Topic("feedback", _weighted("feedback:5 aterkoppling:5 granska:3 kolla:3 kommentar rattat utkast:3 "
                                "forbattra:3 lasa igenom battre",
                                "feedback:5 review:3 improve:3 draft:2 better check proofread:3"),
          issue_option="tweet"),
    Topic("hashtag", _weighted("hashtag:5 taggar tagg", "hashtag:5 tag"), issue_option="hashtag"),
    Topic("politicians", _weighted(
        "politiker:2 politikerna:2 kommunalrad:2 ledamot:2 ledamoter:2 parti:2 partier:2 bestammer:2 "
        "hallning:3 tycker:2 vem vilka karta:2 styr",
        "politician:2 politicians:2 councillor:2 councilor:2 party:2 parties:2 stance:3 stances:3 "
        "position:2 decides:2 think who map:2"), issue_option="map"),
    Topic("pledges", _weighted("lofte:4 lova:4 engagera:2 delta:2 narvara:2",
                               "pledge:4 promise:4 commit:2 attend:2 join"),
          issue_option="pledge", buttons=_pledge),
    Topic("issues", _weighted(
        "beslut:2 beslutet:2 beslutas:3 arende:2 arenden:2 fragor:2 oppna nar:2 datum:2 kalender:3 "
        "rostar:2 rosta:2 mote:2 motet:2 avgor:2",
        "decision:2 decided:3 issue:2 issues:2 open when:2 date:2 calendar:3 vote:2 votes:2 meeting:2"),
        issue_option="show"),
    Topic("media", _weighted("media:3 medier:3 tidning:3 tidningen:3 lokaltidning:3 journalist:3 reporter:3 "
                             "radio:2 press:2 nyheter:2",
                             "media:3 newspaper:3 paper:2 press:2 journalist:3 journalists:3 reporter:3 "
                             "radio:2 news:2")),
    Topic("did", _weighted("logga:3 loggar:3 registrera:3 gjort:2 gjorde:2 rapportera:2 poang:2 "
                           "statistik:3 traffa",
                           "log:3 logged:3 logging:3 did:2 record:2 report:2 points:2 stats:3 statistics:3"),
          buttons=lambda _issue: (Button(text("activity.button.stats"), activity.STATS_ACTION,
                                         style=ButtonStyle.SECONDARY),)),
    Topic("story", _weighted("berattelse:3 berattelser:3 historia:2 dela:1 nytta:2 exempel:2 framgang:2",
                             "story:3 stories:3 share:1 value:2 example:2 success:2"),
          buttons=lambda _issue: (stories.share_button(),)),
    Topic("ladder", _weighted("nasta:3 steg:3 stegen:3 borja:2 igang:2 stege:3 framat",
                              "next:3 step:3 steps:3 start:2 begin:2 ladder:3 started:2"),
          buttons=lambda _issue: (ladder.next_button(),)),
    Topic("pause", _weighted("paus:3 pausa:3 vila:2 semester:3 ledig:2 uppehall:3 paminnelser:2",
                             "pause:3 break:2 holiday:3 vacation:3 reminders:2 quiet"),
          buttons=lambda _issue: (Button(text("coaching.button.pause"), nudges.PAUSE_ACTION,
                                         style=ButtonStyle.SECONDARY),)),
    Topic("privacy", _weighted("data:2 uppgifter:3 personuppgifter:3 integritet:3 gdpr:3 radera:3 "
                               "exportera:3 sparar:2 sparas:2",
                               "data:2 privacy:3 gdpr:3 delete:3 export:3 personal:2 store:2 stored:2 keep"),
          issue_option="tweet"),
    Topic("language", _weighted("sprak:3 engelska:3 svenska:2 english:2",
                                "language:3 english:2 swedish:3 svenska:2")),
)
_WORDS = re.compile(r"[^\W_]+(?:-[^\W_]+)*", re.UNICODE)


def _question_words(question: str) -> list[str]:
    return _WORDS.findall(fold(question))


def _matches(word: str, stem: str) -> bool:
    return word == stem or (len(stem) >= MIN_STEM and word.startswith(stem))


def closest_topic(question: str) -> Topic | None:
    """The help topic a question is about: the one whose stems weigh most in it; None when none matches."""
    words = _question_words(question)
    best, best_weight = None, 0
    for topic in TOPICS:
        # Each word of the question counts once, with the weight of the heaviest stem it matches.
        weight = sum(max((value for stem, value in topic.words.items() if _matches(word, stem)), default=0)
                     for word in words)
        if weight > best_weight:
            best, best_weight = topic, weight
    return best


# Words of an issue's title too common to tell one issue from another, folded.
_COMMON_TITLE_WORDS = frozenset((
    "kommun", "kommunen", "kommunens", "centrum", "staden", "stad", "nytt", "nya", "fler", "mer", "mindre",
    "eller", "inte", "ska", "till", "fran", "over", "under", "efter", "mellan", "city", "town", "centre",
    "center", "more", "less", "from", "with", "over", "after", "issue", "fragan", "beslut",
))


def named_issue(question: str, issues: Sequence[drafts.IssueContext]) -> drafts.IssueContext | None:
    """The open issue a question names by a word of its title or one of its topics ("torget" finds "Nytt
    torg i Ronneby", "parkeringen" finds "Parkering i centrum"); the one with most such words, the soonest
    on a tie; None when it names none."""
    words = [word for word in _question_words(question) if len(word) >= MIN_STEM]
    best, best_count = None, 0
    for issue in issues:
        names = {word for word in _question_words(issue.title) if len(word) >= MIN_STEM}
        for topic in issue.topics:
            names |= {word for language in ("sv", "en")
                      for word in _question_words(render(text(f"topic.{topic}"), language))
                      if len(word) >= MIN_STEM} if topic in civics.TOPICS else set()
        names -= _COMMON_TITLE_WORDS
        # A title word found as the start of a question word ("parkering" in "parkeringen"), or a question
        # word as the start of a title word ("hamnen" in "hamnens").
        count = sum(1 for name in names if any(w.startswith(name) or name.startswith(w) for w in words))
        if count > best_count:
            best, best_count = issue, count
    return best


def help_answer(actor: Actor, question: str, issues: Sequence[drafts.IssueContext], *, off_topic: bool = False
                ) -> Reply:
    """The answer without a model: the closest help text with its command, the issue the question names,
    and the topic's buttons (the ladder's next step when it has none)."""
    topic = closest_topic(question)
    issue = named_issue(question, issues)
    parts: list[Renderable] = []
    if off_topic:
        parts.append(text("questions.off_topic"))
    parts.append(text(f"questions.topic.{topic.name}") if topic is not None else text("questions.general"))
    if issue is not None:
        option = topic.issue_option if topic is not None else "tweet"
        parts.append(text(f"questions.issue.{option}", title=Literal(issue.title),
                          when=writing.decision_date(issue, actor)))
    buttons = topic.buttons(issue) if topic is not None else ()
    return Reply(body=Join(tuple(parts), separator="\n\n"), buttons=buttons or (ladder.next_button(),))


# -- the model's answer --------------------------------------------------------------------------------------


async def answer_question(session: AsyncSession, actor: Actor, question: str, model: CoachModel | None = None,
                          earlier: Sequence[Turn] = ()) -> Answered:
    """Answer a member's free question; `model` is None when there is none or the member used up its hourly
    limit, `earlier` the conversation's recent turns."""
    question = question.strip()[:MAX_QUESTION]
    issues = await writing.local_issues(session, actor)
    # The model hears only of members who onboarded and consented: before that, only what the welcome needs
    # is kept, and a question is no exception.
    if model is None or not is_group_member(actor.member) or not question:
        return Answered(help_answer(actor, question, issues))
    named = named_issue(question, issues)
    shown = [named] if named is not None else []
    shown += [issue for issue in issues if issue is not named][:MAX_ISSUES - len(shown)]
    shown = await writing.with_targets(session, actor, shown)
    settings = await settings_of(session, actor.workspace.id)
    # A draft is public: the audience's language, the issue's hashtag and handles (the named issue, else the
    # soonest). The answer is for the member: in their language.
    draft_brief = writing.member_brief(actor, settings, issue=shown[0] if shown else None)
    brief = dataclasses.replace(draft_brief, language=actor.language)
    others = shown[1:]
    decided_by, topics = _decided(shown[0], brief.language) if shown else ("", [])
    step = await _next_step(session, actor, settings, brief.language)
    prompt = prompts.answer(
        brief, question, draft_brief=draft_brief, step=step, decided_by=decided_by, topics=topics,
        others=[prompts.issue_data(issue, brief.language, brief.timezone, *_decided(issue, brief.language))
                for issue in others],
        earlier=[(turn.question, turn.answer) for turn in earlier[-MAX_EARLIER:]])
    # The other issues' handles and links may come back in the answer, as the brief's issue's do.
    known = " ".join([*(f"@{h.lstrip('@')}" for i in others for h in (*i.target_handles, *i.media_handles)
                        if h),
                      *(i.source_url for i in others if i.source_url)])
    names = tuple(name for i in others for name in i.target_names if name)
    said = await model.answer(prompt, brief, draft_brief, known=known, names=names)
    if said is None:
        return Answered(help_answer(actor, question, issues), asked_model=True)
    if said.answer is None:
        return Answered(help_answer(actor, question, issues, off_topic=True), asked_model=True)
    return Answered(_model_reply(actor, said.answer, said.draft, draft_brief), asked_model=True,
                    turn=Turn(question, said.answer))


def _model_reply(actor: Actor, answer: str, draft: str | None, draft_brief: Brief) -> Reply:
    """The model's answer as a reply: the answer, the draft with its share links, and the next step."""
    if draft is None:
        return Reply(body=Literal(answer), buttons=(ladder.next_button(),))
    field = Field(text("questions.draft", length=drafts.x_length(draft), limit=drafts.X_LIMIT),
                  Literal(draft))
    platforms = profile_fields.platforms_of(actor.member.platforms)
    links = writing.share(draft, draft_brief.issue, platforms=platforms)
    reply = Reply(body=Literal(answer), fields=(field,), links=links, buttons=(ladder.next_button(),))
    return audience.explained(reply, actor.language, draft_brief.language)


async def _next_step(session: AsyncSession, actor: Actor, settings: CoachingSettings, language: str
                     ) -> tuple[str, str] | None:
    """The member's next step on the ladder (its title and why it pays off), in `language`; None at the
    top."""
    member = actor.member
    steps = await ladder.steps_of(session, actor.workspace.id)
    done = (await ladder.done_of(session, [member.id])).get(member.id, set())
    _active, _finished, current = ladder.standing(steps, done, member.experience)
    if current is None:
        return None
    params = ladder.step_params(member, settings)
    return render(current.title_text(), language), render(current.why_text(params), language)


def _decided(issue: drafts.IssueContext, language: str) -> tuple[str, list[str]]:
    """Who decides an issue and its topics, told in `language`, for the prompt."""
    decided_by = render(civics.body_label(issue.body, issue.committee), language) if issue.body else ""
    topics = [render(text(f"topic.{code}"), language) for code in issue.topics if code in civics.TOPICS]
    return decided_by, topics

