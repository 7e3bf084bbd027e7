"""The model is an untrusted author: every text it writes passes here before a member sees it.

A model's text is shown only when it passes the checks a member's own text gets (no control characters,
something visible, a length) and more: it names only the handles and carries only the links of its brief (the
issue's politicians and media, its source, and what the member wrote themselves), reaches no crowd (@everyone,
@here, Slack's <!channel>, a role), holds no harsh word, is in the language expected, pairs each politician's
handle with that politician's name, and echoes none of the prompt's own framing. Whatever fails, the caller
answers from the templates; the log says which check failed, never the text.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from bot.coach.brief import Brief, handle_owners
from bot.coach.rules import harsh_word
from bot.replies import text
from bot.services.drafts import X_LIMIT, x_length
from bot.validation import MENTION_WORDS, FieldProblem, clean_text, fold

log = logging.getLogger(__name__)

# What a model's text is, and how long it may be (a tweet as X counts it; the rest in characters).
TWEET = "tweet"
TEXT = "text"
TITLE = "title"
PART = "part"
COMMENT = "comment"
PARAGRAPH = "paragraph"
# The coach's answer to a member's free question (bot/services/questions.py): asked for in 600 characters,
# some slack for a model that counts loosely.
ANSWER = "answer"
MAX_LENGTH = {TWEET: 1200, TEXT: 1200, TITLE: 120, PART: 600, COMMENT: 300, PARAGRAPH: 2000, ANSWER: 800}

# An @ that starts a handle (or a crowd: @everyone), also as the full-width ＠ some fonts show alike; an @
# after a letter or a digit is an e-mail address, which counts as a link.
_AT = re.compile(r"[@＠]")
_HANDLE_AT = re.compile(r"[@＠](\w*)")
# Mentions that reach more than the people named: Slack's <!channel>, <!here>, <!subteam^…>, user and channel
# references (<@U1>, <#C1>), and Discord's <@123>, <@!123>, <@&role>, <#123>.
_PLATFORM_MENTION = re.compile(r"<\s*[@#!][^>]*>")
_CROWD_WORDS = MENTION_WORDS | {"all", "alla", "everybody", "channel", "room"}
# Links the platforms make clickable that twitter-text does not find: any scheme ("https://x.example"),
# and www. hosts.
_SCHEME_LINK = re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s<>\"')\]]+", re.IGNORECASE)
_WWW_LINK = re.compile(r"\bwww\.[^\s<>\"')\]]+", re.IGNORECASE)
# An e-mail address (someone to write to is a link too).
_EMAIL = re.compile(r"[\w.+-]+[@＠][\w-]+(?:\.[\w-]+)+")
_LINK_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
# Words and marks of the prompt's own framing (see prompts.py): a text that carries them echoes the prompt, or
# a member field that tried to give the model instructions.
ECHOES = (
    "<data", "</data", "```", "ignore previous", "ignore all previous", "ignore the above",
    "previous instructions", "system prompt", "disregard", "ignorera tidigare", "ignorera alla",
    "tidigare instruktioner", "glom tidigare", "systemprompt", "as an ai", "som en ai", "language model",
    "sprakmodell",
)


@dataclass(frozen=True)
class Rejected:
    """Why a model's text may not reach a member: the check that failed (for the log, never the text)."""

    check: str


def vetted(draft: str | None, brief: Brief, kind: str, *, language: str | None = None, also: str = "",
           what: str = "draft") -> str | None:
    """Return the model's text as a member may see it, or None (logged at info with the check that failed).

    `also` is what the member wrote themselves (a draft they asked feedback on): its handles and links may
    come back. `language` is the language the text must be in (the brief's by default).
    """
    if draft is None:
        return None
    verdict = check(draft, brief, kind, language=language, also=also)
    if isinstance(verdict, Rejected):
        log.info("The model's %s failed the %s check; answering from the templates", what, verdict.check)
        return None
    return verdict


def check(draft: str, brief: Brief, kind: str, *, language: str | None = None, also: str = ""
          ) -> str | Rejected:
    """Return the cleaned text when every check passes, else the first check that failed."""
    try:
        cleaned = clean_text(draft, text("coaching.field.text"), max_length=MAX_LENGTH[kind], required=True)
    except FieldProblem:
        return Rejected("member text")
    assert cleaned is not None  # required=True: a text with nothing visible raised
    if kind == TWEET and x_length(cleaned) > X_LIMIT:
        return Rejected("length")
    if _PLATFORM_MENTION.search(cleaned) or _crowd(cleaned):
        return Rejected("mention")
    if not handles(cleaned) <= allowed_handles(brief, also):
        return Rejected("handle")
    if not links(cleaned) <= allowed_links(brief, also):
        return Rejected("link")
    if harsh_word(cleaned) is not None:
        return Rejected("harsh word")
    folded = fold(cleaned)
    if any(echo in folded for echo in ECHOES) and not any(echo in fold(also) for echo in ECHOES):
        return Rejected("prompt echo")
    if not paired(cleaned, brief):
        return Rejected("handle and name")
    if kind == ANSWER and partisan(cleaned, brief):
        return Rejected("partisan")
    if not in_language(cleaned, language or brief.language, known=_proper_names(brief)):
        return Rejected("language")
    return cleaned


# -- handles and links -------------------------------------------------------------------------------------


def _crowd(post: str) -> bool:
    return any(name.casefold() in _CROWD_WORDS for name in _HANDLE_AT.findall(_visible(post)))


def _visible(post: str) -> str:
    """Drop the characters that show nothing, so that '@every\u200bone' reads as what it shows."""
    composed = unicodedata.normalize("NFC", post)
    return "".join(char for char in composed if unicodedata.category(char) not in ("Cf", "Mn"))


def handles(post: str) -> set[str]:
    """Every @ of a text as the handle it starts (casefolded; '' for a lone @), but an e-mail address's."""
    post = _visible(post)
    found = set()
    for at in _AT.finditer(post):
        before = post[at.start() - 1] if at.start() else " "
        if before.isalnum() or before == "_":
            continue  # an e-mail address (links() finds it): X makes no mention of an @ after a letter
        match = _HANDLE_AT.match(post, at.start())
        found.add(match.group(1).casefold() if match else "")
    return found


def allowed_handles(brief: Brief, also: str = "") -> set[str]:
    """The handles a text about this brief may name: the issue's politicians and media, the member's own."""
    issue = brief.issue
    known = [*issue.target_handles, *issue.media_handles] if issue is not None else []
    return {h.lstrip("@").casefold() for h in known if h} | (handles(also) - {""})


def links(post: str) -> set[str]:
    """Every link in a text (as X, Discord or Slack would make it clickable), in a form to compare."""
    addresses = {f"mailto:{address.casefold()}" for address in _EMAIL.findall(post)}
    return {_comparable(url) for url in _urls(post)} | addresses


def _urls(post: str) -> set[str]:
    # Imported when a model's text is checked, not with the bot: twitter-text's tables cost about 18 MB.
    from twitter_text import extract_urls  # type: ignore[import-untyped]  # it ships no types

    return {*extract_urls(post), *_SCHEME_LINK.findall(post), *_WWW_LINK.findall(post)}


def allowed_links(brief: Brief, also: str = "") -> set[str]:
    """The links a text about this brief may carry: the issue's source, and the member's own."""
    source = brief.issue.source_url if brief.issue is not None else None
    return ({_comparable(source)} if source else set()) | links(also)


def _comparable(url: str) -> str:
    url = _LINK_SCHEME.sub("", url.strip()).rstrip("/.,;:!?")
    host, slash, path = url.partition("/")
    return host.casefold().removeprefix("www.") + slash + path


# -- who is who ----------------------------------------------------------------------------------------------


def paired(post: str, brief: Brief) -> bool:
    """Tell whether each politician's handle in a text goes with that politician's name when names are used.

    A text that names politicians may tag only those it names ("Eva Ek, @kommunalrad_kk …"); tagging one and
    naming another ("Eva Ek, @bjornost …") puts one politician's handle on another's name.
    """
    if brief.issue is None:
        return True
    owners = handle_owners(brief.issue)
    folded = fold(post)
    named = {fold(name) for name in brief.issue.target_names if name and fold(name) in folded}
    if not named:
        return True
    tagged = handles(post)
    return all(fold(name) in named for handle, name in owners.items() if handle in tagged and name)


# -- respect toward every party -----------------------------------------------------------------------------

# The coach is factual and respectful toward every party and politician: it helps members talk to all of them
# and takes no side in an election. A model's answer that tells whom not to vote for, or puts a disparaging
# word next to a party's or a politician's name, is refused (the member gets the help texts, which are safe).
# Kept simple on purpose: phrases and words, folded (lower case, no diacritics), whole words. A false positive
# costs only the model's answer.
VOTE_AGAINST = (
    "rosta inte pa", "rosta aldrig pa", "rosta inte for", "rosta bort", "rostar inte pa", "rost inte pa",
    "don t vote for", "dont vote for", "do not vote for", "never vote for", "vote against them",
    "vote them out", "vote out", "not vote for",
)
# The parties of Sweden's councils by name and by their longer abbreviations (one-letter ones, "S", "M",
# "C", "V", "L", are ordinary words or initials too often to judge by).
PARTIES = (
    "socialdemokraterna", "socialdemokrater", "sossarna", "moderaterna", "moderater", "sverigedemokraterna",
    "sverigedemokrater", "centerpartiet", "vansterpartiet", "kristdemokraterna", "liberalerna",
    "miljopartiet", "sd", "kd", "mp", "social democrats", "moderates", "sweden democrats", "centre party",
    "center party", "left party", "christian democrats", "liberals", "green party",
)
# Words that disparage whom they stand next to (the harsh words of the rules are refused anywhere).
DISPARAGING = frozenset((
    "samst", "samsta", "varst", "varsta", "lognare", "ljuger", "ljog", "svek", "sviker", "svikit",
    "forradare", "forrader",
    "vardelos", "vardelosa", "odugliga", "oduglig", "katastrof", "katastrofal", "katastrofala", "fega",
    "hycklare", "hyckleri", "skamligt", "skamlig", "fusk", "fuskar", "worst", "liar", "liars", "lie", "lies",
    "lying", "lied", "betray", "betrayed", "betrays", "traitor", "traitors", "useless", "worthless",
    "hypocrite", "hypocrites", "disaster", "disastrous", "cowards", "cowardly", "shame", "dishonest",
))
# How many words apart a name and a disparaging word count as one judgement ("M sviker företagen").
NEAR_WORDS = 4


def partisan(post: str, brief: Brief, names: Iterable[str] = ()) -> bool:
    """Tell whether a text takes sides against a party or a politician: it tells whom not to vote for, or
    puts a disparaging word within NEAR_WORDS words of a party's or a politician's name (the issue's
    politicians, and any `names` given)."""
    words = fold(_visible(post))
    words = " ".join(_WORD.findall(words))
    if any(f" {phrase} " in f" {words} " for phrase in VOTE_AGAINST):
        return True
    targets = [*PARTIES, *(fold(name) for name in names if name)]
    if brief.issue is not None:
        targets += [fold(name) for name in brief.issue.target_names if name]
    tokens = words.split()
    for target in targets:
        target_words = " ".join(_WORD.findall(target)).split()
        if not target_words:
            continue
        width = len(target_words)
        for start in range(len(tokens) - width + 1):
            if tokens[start:start + width] != target_words:
                continue
            near = tokens[max(0, start - NEAR_WORDS):start + width + NEAR_WORDS]
            if any(word in DISPARAGING for word in near):
                return True
    return False


# -- language ------------------------------------------------------------------------------------------------

def _listed(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Short function words, the commonest of each language, chosen so that none is a word of the other (no "i",
# "men", "be", "under"): a few of them in any sentence tell Swedish from English. Compared in lower case with
# their diacritics, so that "för" is not "for".
FUNCTION_WORDS = {
    "sv": _listed(
        "och att det som på är av för med till den har här de inte om ett vi ni du jag kan vad hur när så "
        "eller från ska vill var vara vår våra vårt oss er dig mig sig sin sitt sina mer mycket alla också "
        "bara nu då där hos utan efter mellan genom varför vilken vilka kommer finns behöver gör blir "
        "skulle måste tack hej kunder kunderna företag butik kommunen"),
    "en": _listed(
        "the and to of is are that for with it this you we our your what how when will not can do does "
        "have has from by about they them their us there here would should must need more all also just "
        "now then why which who thanks hello customers business shop town council"),
}
# Function words of the languages a model slips into instead (Norwegian, Danish, German, Finnish) that are no
# Swedish or English word: a text with more of them than of the expected language's is not in it.
FOREIGN_WORDS = _listed(
    "ikke jeg og hva hvordan hvorfor hvor til deg meg dere skal også veldig hvis ble være mye noe kunne "
    "fordi uten fra ud op nogen meget hvad jer os vores jeres når våre dette denne hvem vil trenger "
    "bedrift bedriften blive bliver hele betyr butikk ved "
    "und der das ist nicht wir ich sie ein eine mit für auf zu von es im auch sich uns unsere wie oder "
    "aber wenn sind haben wird werden ja ei että ovat mitä kun jos mutta myös tai meidän miten "
    "joka kiitos") - FUNCTION_WORDS["sv"] - FUNCTION_WORDS["en"] - {"ja"}
# Below this many function words a text is too short to judge (a greeting, a title): it passes.
MIN_EVIDENCE = 2
MAX_FOREIGN = 2


def in_language(post: str, language: str, *, known: Iterable[str] = ()) -> bool:
    """Tell whether a text is in `language` (sv or en) by its function words.

    Handles, hashtags, links and the brief's own names (the company, the town, the issue's title, which may be
    in the other language) are left out first. A text is in the language when its function words outnumber
    those of the other language and of the languages a model slips into, by two to one, and it has at most one
    foreign word; a text with too few function words to tell passes.
    """
    if language not in FUNCTION_WORDS:
        return True
    counts = _counts(post, known)
    if sum(counts.values()) < MIN_EVIDENCE:
        return True
    own = counts.pop(language)
    # Two words that are neither Swedish nor English are a neighbour's language however many words it shares
    # with Swedish ("vi", "som", "har"): Norwegian and Danish share many.
    return own > 0 and own >= 2 * max(counts.values()) and counts["foreign"] < MAX_FOREIGN


def language_of(post: str) -> str | None:
    """Return the language (sv or en) a text is in by its function words, or None when it cannot tell."""
    return next((language for language in FUNCTION_WORDS
                 if sum(_counts(post, ()).values()) >= MIN_EVIDENCE and in_language(post, language)), None)


def _counts(post: str, known: Iterable[str]) -> dict[str, int]:
    """Count a text's function words of Swedish, English and the foreign languages, its names left out."""
    body = _visible(post)
    for url in sorted(_urls(body) | set(_EMAIL.findall(body)), key=len, reverse=True):
        body = body.replace(url, " ")
    body = re.sub(r"[@＠#]\w+", " ", body.casefold())
    for name in sorted((unicodedata.normalize("NFC", n).casefold() for n in known if n), key=len,
                       reverse=True):
        body = body.replace(name, " ")
    words = _WORD.findall(body)
    counts = {language: sum(word in listed for word in words) for language, listed in FUNCTION_WORDS.items()}
    counts["foreign"] = sum(word in FOREIGN_WORDS for word in words)
    return counts


def _proper_names(brief: Brief) -> list[str]:
    names = [brief.company, brief.municipality, brief.topic, brief.goal]
    if brief.issue is not None:
        names += [brief.issue.title, brief.issue.position or "", *brief.issue.target_names]
    return [name for name in names if name]
