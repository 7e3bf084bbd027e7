"""A corpus of generated drafts from every draft builder, and the checks X and Discord put on them.

Shared by tests/test_draft_corpus.py (which asserts every count is 0) and bench/coach_quality.py (which prints
the counts and a sample for a person to read). Profiles and issues are drawn from a seeded random generator,
with the hard cases on purpose: long names and titles, 15-character handles, emoji and flags, links under
foreign TLDs, 100-character hashtags, many media handles and several politicians.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

from twitter_text import extract_urls, parse_tweet

from bot.coach import templates
from bot.coach.brief import Brief
from bot.i18n import translate
from bot.models import Issue, Politician
from bot.replies import Link
from bot.services import asks, countdowns, drafts, issues, timeline
from bot.services.civics import BODIES

LANGUAGES = ("sv", "en")
ZONE = "Europe/Stockholm"
BUILDERS = ("ladder", "coach_tweet", "ask", "countdown", "thanks", "hashtag")
STAGE_DAYS = (14, 7, 3, 1, 0)  # one of each call to action: ask, mobilize, media, final, vote

_COMPANIES = ("Annas Blommor", "Bygg & Bo i Blekinge AB", "Café Ödmjuk 🌸", "Kalle's Kök & Catering 🇸🇪",
              "Ronneby Rör och Värme Service Handelsbolag med Filialer i Hela Sydöstra Sverige Aktiebolag",
              "日本食 Sushi Bar", "Lindqvist-Öberg Transport 🚚🚚", "TechNorth")
_MUNICIPALITIES = ("Karlskrona", "Ronneby", "Karlshamn", "Sölvesborg", "Olofström")
_TITLES = ("Parkering i centrum",
           "Ny detaljplan för hamnområdet i Karlskrona med bostäder, handel och kontor",
           "Öppettider för återvinningscentralen 🚮", "Cykelväg 🇸🇪 längs kusten",
           "Förslag om sänkt avgift för uteserveringar och torghandel under sommarhalvåret i innerstaden",
           "Bredband", "Skolskjutsar på landsbygden och busslinjernas framtid i norra kommundelen")
_WHYS = ("Det gäller jobben.", "Fler besökare ger fler jobb i hela kommunen, och handeln behöver det nu.",
         "Läs mer på https://www.kommun.example.de/beslut/2026/hamnen. Resten av texten förklarar varför.",
         "Kunder som inte hittar parkering åker till köpcentret 🚗 utanför stan; det drabbar alla butiker.",
         "Se bolaget.travel/program för programmet! Vi vill att fler ska kunna starta företag här.")
_TLDS = ("se", "de", "travel", "nu", "museum", "com", "co.uk", "org")
_SYLLABLES = ("ka", "rls", "kro", "na", "ron", "ne", "by", "ham", "ör", "bygg", "a", "ä", "tor", "get", "x")
_NAMES = ("Anna-Karin Lindqvist Öberg", "Per Olsson", "Mohammed Al-Hassan", "Eva Ek",
          "Maria Josefina Andersson-Rydberg")


@dataclass
class Draft:
    """One generated draft, what went in, and the links a reply would give with it."""

    builder: str
    language: str
    text: str
    hashtag: str
    links: tuple[Link, ...]
    # The handles, hashtags and links the builder was given: the only ones a draft may carry, whole.
    handles: frozenset[str]
    hashtags: frozenset[str]
    urls: frozenset[str]


@dataclass
class Counts:
    """What the corpus checks found, per language."""

    drafts: int = 0
    by_builder: Counter[str] = field(default_factory=Counter)
    over_x: int = 0
    cut_entities: int = 0
    long_buttons: int = 0
    missing_hashtag: int = 0
    missing_x_button: int = 0
    x_button_differs: int = 0
    count_differs: int = 0
    greets_body: int = 0
    problems: list[str] = field(default_factory=list)

    def failures(self) -> int:
        return (self.over_x + self.cut_entities + self.long_buttons + self.missing_hashtag
                + self.missing_x_button + self.x_button_differs + self.count_differs + self.greets_body)


def _handle(rng: random.Random) -> str:
    length = rng.choice((4, 8, 15, 15))
    alphabet = "abcdefghijklmnopqrstuvwxyz_0123456789"
    return rng.choice("abcdefghijklmnopqrstuvwxyz") + "".join(rng.choice(alphabet) for _ in range(length - 1))


def _hashtag(rng: random.Random) -> str:
    length = rng.choice((8, 20, 40, 100))
    word = "".join(rng.choice(_SYLLABLES) for _ in range(length))[:length].capitalize()
    return "#" + word


def _source(rng: random.Random) -> str | None:
    if rng.random() < 0.3:
        return None
    host = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 6)))
    path = "/".join("".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(1, 8)))
                    for _ in range(rng.randint(0, 6)))
    url = f"https://www.{host}.{rng.choice(_TLDS)}/{path}"
    if rng.random() < 0.4:
        url += "?id=" + str(rng.randint(1, 10**9)) + "&lang=sv"
    return url[:300]


# What members tell of their business (issue 16): nothing, short, with emoji, and as long as the form takes.
_OFFERS = ("", "snittblommor och binderi", "Bygg, renovering och takläggning i hela länet 🏠",
           "Catering, konferens och festlokal för upp till 200 gäster med råvaror från Blekinges gårdar")
_FACTS = ("", "6 anställda", "på Ronnebygatan sedan 1998, 12 anställda och 3 000 kunder om året 🌸",
          ("Familjeföretag i tredje generationen med 45 anställda, egen verkstad, lärlingar varje år och en "
           "lokal leverantör av allt trä vi använder sedan 1952"))


@dataclass(frozen=True)
class _Case:
    language: str
    company: str
    industry: str
    municipality: str
    title: str
    why: str
    hashtag: str
    source_url: str | None
    politicians: tuple[tuple[str, str | None], ...]  # (name, handle without @)
    media: tuple[str, ...]
    decision_at: datetime
    body: str
    offer: str = ""
    facts: str = ""


def _case(rng: random.Random, language: str) -> _Case:
    politicians = tuple((name, _handle(rng) if rng.random() < 0.75 else None)
                        for name in rng.sample(_NAMES, rng.randint(1, len(_NAMES))))
    return _Case(
        language=language,
        company=rng.choice(_COMPANIES),
        industry=rng.choice(templates.INDUSTRIES),
        municipality=rng.choice(_MUNICIPALITIES),
        title=rng.choice(_TITLES),
        why=rng.choice(_WHYS),
        hashtag=_hashtag(rng),
        source_url=_source(rng),
        politicians=politicians,
        media=tuple(_handle(rng) for _ in range(rng.choice((0, 1, 2, 4, 8)))),
        decision_at=datetime(2026, 12, 1, 17, tzinfo=UTC) + timedelta(days=rng.randint(0, 60)),
        body=rng.choice(BODIES),
        offer=rng.choice(_OFFERS),
        facts=rng.choice(_FACTS),
    )


def _issue(case: _Case) -> Issue:
    return Issue(id=1, workspace_id=1, title=case.title, summary=case.why, municipality="karlskrona",
                 body=case.body,
                 committee="Tekniska nämnden" if case.body == "namnd" else None, decision_at=case.decision_at,
                 decision_has_time=True, hashtag=case.hashtag, source_url=case.source_url, position=case.why,
                 status="open", version=1)


def _brief(case: _Case, *, with_issue: bool) -> Brief:
    context = drafts.IssueContext(
        id=1, title=case.title, municipality=case.municipality, hashtag=case.hashtag,
        decision_at=case.decision_at, position=case.why, source_url=case.source_url,
        target_handles=tuple(h for _, h in case.politicians if h),
        target_names=tuple(n for n, _ in case.politicians),
        media_handles=case.media)
    return Brief(language=case.language, company=case.company, industry=case.industry,
                 municipality=case.municipality, experience="beginner", goal="", hashtag=case.hashtag,
                 topic="" if with_issue else case.title, issue=context if with_issue else None, timezone=ZONE,
                 offer=case.offer, facts=case.facts)


def _drafts_of(case: _Case) -> Iterator[tuple[str, str]]:
    """(builder, text) for every draft the builders make of one case."""
    with_issue = _brief(case, with_issue=True)
    for kind in templates.TWEET_KINDS:
        yield "ladder", templates.step_tweet(with_issue, kind, case.hashtag)
    for brief in (with_issue, _brief(case, with_issue=False)):
        for post in templates.tweets(brief, brief.hashtag):
            yield "coach_tweet", post
    issue = _issue(case)
    # What the issue means for the member's business, richest first, as a member's asks and DMs tell it.
    stakes = tuple(templates.stake(brief) for brief in templates.plainer(with_issue))
    name, handle = case.politicians[0]
    politician = Politician(name=name, party="S", x_handle=handle)
    yield "ask", asks.compose(issue, politician, case.media, ZONE, case.language, stakes)
    yield "ask", asks.compose(issue, None, case.media, ZONE, case.language)
    context = countdowns.DraftContext(tuple(("@" + h) if h else n for n, h in case.politicians),
                                      tuple("@" + h for h in case.media))
    nobody = countdowns.DraftContext((), context.media)  # no decider known: the body must not be greeted
    for days in STAGE_DAYS:
        step = timeline.step_of(days)
        yield "countdown", countdowns.compose(issue, step, days, context, ZONE, case.language)
        yield "countdown", countdowns.compose(issue, step, days, context, ZONE, case.language, stakes)
        yield "countdown", countdowns.compose(issue, step, days, nobody, ZONE, case.language)
    names = [("@" + h) if h else n for n, h in case.politicians]
    for outcome in countdowns.VOTE_OUTCOMES:
        yield "thanks", countdowns.thanks_text(names, outcome, case.title, case.hashtag, case.language)
        yield "thanks", countdowns.thanks_text(names, outcome, case.title, case.hashtag, case.language,
                                               stakes)
    yield "hashtag", issues.ready_text(issue, case.media, ZONE, case.language)


def generate(language: str, cases: int, seed: int = 16) -> list[Draft]:
    """Every builder's drafts over `cases` generated profiles and issues, in one language."""
    rng = random.Random(f"{seed}-{language}")
    found: list[Draft] = []
    for _ in range(cases):
        case = _case(rng, language)
        handles = frozenset({"@" + h for _, h in case.politicians if h} | {"@" + h for h in case.media})
        urls = frozenset(extract_urls(case.why) + ([case.source_url] if case.source_url else []))
        for builder, post in _drafts_of(case):
            links = drafts.share_links(post, url=case.source_url)
            tags = frozenset({case.hashtag})
            found.append(Draft(builder, language, post, case.hashtag, links, handles, tags, urls))
    return found


_MENTION = re.compile(r"(?<![\w@])@\w+")
_TAG = re.compile(r"(?<![\w#&])#\w+")


# A greeting and whom it greets, up to the end of the greeting ("Hej kommunstyrelsen i Karlskrona!").
_GREETING = re.compile(r"\b(?:Hej|Hi|Hello)\s+([^!?.,]+)", re.IGNORECASE)
# The names of the bodies in either language, and the corpus' committee: a draft greets people, never these.
_BODY_NAMES = tuple({translate(f"body.{code}", language).lower() for code in BODIES for language in LANGUAGES}
                    | {"tekniska nämnden"})


def greets_body(post: str) -> bool:
    """Say whether a draft greets a deciding body as if it were a person ("Hej kommunstyrelsen! Hur röstar
    du…")."""
    return any(match.group(1).lower().startswith(_BODY_NAMES) for match in _GREETING.finditer(post))


def _intent_text(url: str) -> str:
    return parse_qs(urlsplit(url).query)["text"][0]


def check(corpus: list[Draft]) -> Counts:
    """Count the drafts over X's limit, with a cut handle, hashtag or link, a link button over Discord's
    limit, without the hashtag they promise, or without their X button (carrying the draft as it is)."""
    counts = Counts()
    for draft in corpus:
        counts.drafts += 1
        counts.by_builder[draft.builder] += 1
        problems = []
        port = parse_tweet(draft.text).weightedLength
        if port > drafts.X_LIMIT:
            counts.over_x += 1
            problems.append(f"over X's limit ({port})")
        if drafts.x_length(draft.text) != port:
            counts.count_differs += 1
            problems.append(f"counted {drafts.x_length(draft.text)}, the port {port}")
        strangers = ([m for m in _MENTION.findall(draft.text) if m not in draft.handles]
                     + [t for t in _TAG.findall(draft.text) if t not in draft.hashtags]
                     + [u for u in extract_urls(draft.text) if u not in draft.urls])
        if strangers:
            counts.cut_entities += 1
            problems.append(f"cut or unknown {strangers}")
        if any(len(link.url) > drafts.MAX_LINK_URL for link in draft.links):
            counts.long_buttons += 1
            problems.append("a link button over 512")
        if not templates.has_tag(draft.text, draft.hashtag):
            counts.missing_hashtag += 1
            problems.append(f"without {draft.hashtag}")
        if greets_body(draft.text):
            counts.greets_body += 1
            problems.append("greets a body as a person")
        x_buttons = [link.url for link in draft.links if link.url.startswith("https://x.com/intent/post?")]
        if len(x_buttons) != 1:
            counts.missing_x_button += 1
            problems.append("no X button")
        elif _intent_text(x_buttons[0]) != draft.text:
            counts.x_button_differs += 1
            problems.append("the X button carries another text")
        if problems:
            counts.problems.append(f"{draft.builder}/{draft.language}: {'; '.join(problems)}: {draft.text!r}")
    return counts
