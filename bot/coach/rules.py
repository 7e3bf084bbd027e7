"""Feedback rules for a draft tweet or blog paragraph: they always run, with or without a model.

Each rule looks at one thing (length as X counts it, tone, business value, hashtag, a named politician, a
question, a media handle) and says what to fix, or what is good. The rules also write an improved version
that keeps the member's own words and only adds or trims what a rule asked for.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from bot.coach.brief import Brief
from bot.coach.templates import has_tag, shareable
from bot.i18n import translate
from bot.replies import Text, text
from bot.services.drafts import X_LIMIT, shorten, x_length
from bot.validation import fold

TWEET = "tweet"
BLOG = "blog"
KINDS = (TWEET, BLOG)
# A text longer than this (as X counts) is taken for a blog paragraph unless the member says otherwise.
AUTO_BLOG_ABOVE = 420
MAX_PARAGRAPH_WORDS = 120
FIRST_FIXES = 3

# Lower is more important: an overlong tweet cannot be posted at all; a hostile tone costs more than a
# missing tag.
PRIORITY = {"length": 0, "tone": 1, "business": 2, "hashtag": 3, "politician": 4, "question": 5, "media": 6}
BLOG_PRIORITY = {"length": 0, "tone": 1, "business": 2, "politician": 3, "question": 4, "hashtag": 5}

# Word stems that show a business angle (folded: lower case, no diacritics), Swedish and English.
BUSINESS_STEMS = (
    "foretag",
    "kund",
    "jobb",
    "anstall",
    "affar",
    "omsattning",
    "forsalj",
    "butik",
    "tillvaxt",
    "vaxa",
    "lonsam",
    "investera",
    "uppdrag",
    "bestall",
    "gaster",
    "order",
    "rekryt",
    "arbetstillfall",
    "handlare",
    "salj",
    "business",
    "customer",
    "client",
    "job",
    "hire",
    "hiring",
    "sales",
    "revenue",
    "growth",
    "grow",
    "shop",
    "store",
    "invest",
    "guests",
    "company",
    "companies",
    "employ",
    "trade",
    "profit",
)
HARSH_WORDS = (
    "idiot", "idioter", "idioterna", "skandal", "skandalost", "inkompetent", "inkompetenta", "korrupt",
    "korrupta", "pinsamt", "lojligt", "fy fan", "tramsigt", "clowner", "stupid", "idiots", "incompetent",
    "corrupt", "disgrace", "disgraceful", "shameful", "pathetic", "clowns", "morons",
)
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
# An @mention or a #hashtag standing as a word (not the @ of an e-mail address).
_TAG = re.compile(r"(?<![\w@#])[@#]\w+")
# A sentence or a clause with the marks that end it and the space after them (a mark inside a link is no end).
_CLAUSE = re.compile(r".+?(?:[.!?…,;:]+(?:\s+|$)|$)", re.DOTALL)
_HANDLE = re.compile(r"(?<![\w@])@([A-Za-z0-9_]{1,15})\b")
_EXCLAMATIONS = re.compile(r"!{2,}")


@dataclass(frozen=True)
class Finding:
    """What one rule found: fixed or fine, and the message that says so."""

    rule: str
    ok: bool
    message: Text
    priority: int


def kind_of(draft: str, requested: str = "") -> str:
    """Tell whether a draft is a tweet or a blog paragraph (the member may say; long texts are paragraphs)."""
    if requested in KINDS:
        return requested
    return BLOG if x_length(draft) > AUTO_BLOG_ABOVE or "\n\n" in draft.strip() else TWEET


def review(draft: str, brief: Brief, hashtag: str, kind: str, *, politicians: Iterable[str] = (),
           media: Iterable[str] = ()) -> list[Finding]:
    """Run every rule on a draft; `politicians` and `media` are handles and names known from open issues."""
    order = PRIORITY if kind == TWEET else BLOG_PRIORITY
    known_politicians = [p for p in politicians if p]
    known_media = [m.lstrip("@") for m in media if m]
    findings = [
        _length(draft, kind),
        _tone(draft),
        _business(draft, brief),
        _hashtag(draft, hashtag, kind),
        _politician(draft, known_politicians, known_media, brief),
        _question(draft),
    ]
    if kind == TWEET:
        findings.append(_media(draft, known_media, brief))
    return sorted(
        (Finding(f.rule, f.ok, f.message, order[f.rule]) for f in findings), key=lambda f: f.priority
    )


def first_fixes(findings: list[Finding]) -> tuple[list[Finding], list[Finding], list[Finding]]:
    """Split findings into the most important fixes, the other fixes, and what is already good."""
    fixes = [f for f in findings if not f.ok]
    return fixes[:FIRST_FIXES], fixes[FIRST_FIXES:], [f for f in findings if f.ok]


def _length(draft: str, kind: str) -> Finding:
    if kind == TWEET:
        length = x_length(draft)
        if length > X_LIMIT:
            return Finding("length", False, text("coaching.rule.length.fix", length=length, limit=X_LIMIT,
                                                 over=length - X_LIMIT), 0)
        return Finding("length", True, text("coaching.rule.length.ok", length=length, limit=X_LIMIT), 0)
    words = len(draft.split())
    if words > MAX_PARAGRAPH_WORDS:
        return Finding(
            "length", False, text("coaching.rule.paragraph.fix", words=words, max=MAX_PARAGRAPH_WORDS), 0
        )
    return Finding("length", True, text("coaching.rule.paragraph.ok", words=words), 0)


def _shouting(draft: str) -> bool:
    words = [w for w in draft.split() if not w.startswith(("#", "@"))]
    loud = [w for w in words if len(_letters(w)) >= 4 and _letters(w).isupper()]
    return len(loud) >= 2 or (len(loud) == 1 and len(words) <= 3)


def _letters(word: str) -> str:
    return "".join(_WORD.findall(word))


def harsh_word(draft: str) -> str | None:
    """The first harsh word (an insult) in a text, or None."""
    folded = " " + " ".join(_WORD.findall(fold(draft))) + " "
    return next((word for word in HARSH_WORDS if f" {word} " in folded), None)


def _tone(draft: str) -> Finding:
    harsh = harsh_word(draft)
    if harsh is not None:
        problem = text("coaching.rule.tone.harsh", word=harsh)
    elif _shouting(draft):
        problem = text("coaching.rule.tone.caps")
    elif _EXCLAMATIONS.search(draft) or draft.count("!") > 2:
        problem = text("coaching.rule.tone.exclamations")
    else:
        return Finding("tone", True, text("coaching.rule.tone.ok"), 0)
    return Finding("tone", False, text("coaching.rule.tone.fix", problem=problem), 0)


def _business(draft: str, brief: Brief) -> Finding:
    folded = fold(draft)
    words = _WORD.findall(folded)
    company = fold(brief.company)
    if (company and company in folded) or any(w.startswith(BUSINESS_STEMS) for w in words):
        return Finding("business", True, text("coaching.rule.business.ok"), 0)
    return Finding("business", False, text("coaching.rule.business.fix", company=brief.company), 0)


def _hashtag(draft: str, hashtag: str, kind: str) -> Finding:
    if has_tag(draft, hashtag):
        return Finding("hashtag", True, text("coaching.rule.hashtag.ok", hashtag=hashtag), 0)
    key = "coaching.rule.hashtag.fix" if kind == TWEET else "coaching.rule.hashtag.share"
    return Finding("hashtag", False, text(key, hashtag=hashtag), 0)


def _politician(draft: str, known: list[str], media: list[str], brief: Brief) -> Finding:
    folded = fold(draft)
    handles = {h.casefold() for h in _HANDLE.findall(draft)}
    named = any(
        fold(name.lstrip("@")) in folded if not name.startswith("@") else name[1:].casefold() in handles
        for name in known
    )
    # Without known politicians, any @handle that is not a known media handle counts as naming someone.
    if not known:
        named = bool(handles - {m.casefold() for m in media})
    if named:
        return Finding("politician", True, text("coaching.rule.politician.ok"), 0)
    suggestion = brief.politician or next((p for p in known if p.startswith("@")), None)
    hint = text("coaching.rule.suggestion", handle=suggestion) if suggestion else ""
    return Finding("politician", False, text("coaching.rule.politician.fix", suggestion=hint), 0)


def _question(draft: str) -> Finding:
    if "?" in draft:
        return Finding("question", True, text("coaching.rule.question.ok"), 0)
    return Finding("question", False, text("coaching.rule.question.fix"), 0)


def _media(draft: str, known: list[str], brief: Brief) -> Finding:
    handles = {h.casefold() for h in _HANDLE.findall(draft)}
    tagged = any(m.casefold() in handles for m in known) if known else len(handles) >= 2
    if tagged:
        return Finding("media", True, text("coaching.rule.media.ok"), 0)
    suggestion = brief.media or (f"@{known[0]}" if known else None)
    hint = text("coaching.rule.suggestion", handle=suggestion) if suggestion else ""
    return Finding("media", False, text("coaching.rule.media.fix", suggestion=hint), 0)


def calm(draft: str) -> str:
    """Lower shouted words and extra exclamation marks, leaving everything else as the member wrote it."""
    shouting = _shouting(draft)
    words = []
    sentence_start = True
    for word in draft.split(" "):
        letters = _letters(word)
        # In a shouted text every word in capitals goes; otherwise short ones may be acronyms (EU, AB).
        loud = letters.isupper() and len(letters) >= (2 if shouting else 4)
        if not word.startswith(("#", "@")) and loud:
            word = word.lower()
            if sentence_start:
                word = word[:1].upper() + word[1:]
        words.append(word)
        if word:
            sentence_start = word[-1] in ".!?"
    return _EXCLAMATIONS.sub("!", " ".join(words))


def without_harsh_words(draft: str) -> str:
    """Leave out the sentences and clauses that carry a harsh word, and nothing else.

    The improved version must not repeat what the feedback asks the member to drop.
    """
    clauses = _CLAUSE.findall(draft)
    if all(harsh_word(clause) is None for clause in clauses):
        return draft
    # A clause with a harsh word goes, but for its @mentions and #hashtags: they reach the politician and
    # allies.
    parts = [clause if harsh_word(clause) is None else "".join(f"{tag} " for tag in _TAG.findall(clause))
             for clause in clauses]
    left = "".join(parts).strip().rstrip(",;:").rstrip()
    return left[:1].upper() + left[1:]


def _sentence(body: str) -> str:
    """End a text with a full stop when it ends without one, so that added sentences read as sentences."""
    return body if not body or body[-1] in ".!?…:" else body + "."


def improve(draft: str, brief: Brief, hashtag: str, kind: str, findings: list[Finding]) -> str:
    """Rewrite as little as the rules ask: calm the tone, add the business value, a question and the tags."""
    failing = {f.rule for f in findings if not f.ok}
    body = " ".join(draft.split()) if kind == TWEET else draft.strip()
    if "tone" in failing:
        body = calm(without_harsh_words(body))
    head: list[str] = []
    if "business" in failing or "question" in failing:
        body = _sentence(body)
    tail: list[str] = []
    if "politician" in failing and brief.politician:
        head.append(brief.politician)
    if "business" in failing:
        tail.append(translate("coaching.improve.business", brief.language, company=brief.company))
    if "question" in failing:
        tail.append(translate("coaching.improve.question", brief.language))
    if kind == TWEET:
        if "media" in failing and brief.media:
            tail.append(brief.media)
        if "hashtag" in failing:
            tail.append(hashtag)

    def build(core: str) -> str:
        separator = " " if kind == TWEET else "\n\n"
        added = " ".join(tail)
        start = " ".join(part for part in (*head, core) if part)  # the core is empty when all was harsh
        return separator.join(part for part in (start, added) if part)

    if not build(body):
        # All the member wrote was harsh and nothing else was missing: offer the question to ask instead.
        body = translate("coaching.improve.question", brief.language)
    if kind == TWEET:
        # The member's own words are cut, never what was added (the handles, the question, the hashtag).
        body = shorten(body, lambda cut: shareable(build(cut)))
    return build(body)
