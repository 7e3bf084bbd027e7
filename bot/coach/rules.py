"""Feedback rules for a draft tweet or blog paragraph: they always run, with or without a model.

Each rule looks at one thing (length as X counts it, tone and irony, business value in whole words, hashtag,
hashtag spam, a named politician, a question, a media handle, repetition) and says what to fix, or what is
good. The rules also work out which open issue a draft is about from its hashtags and handles, and write an
improved version that keeps the member's own words, every handle, hashtag, link and question, only adds or
trims what a rule asked for, and is never worse by the rules' own score.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from bot.coach.brief import Brief
from bot.coach.templates import ELLIPSIS, has_tag, shareable
from bot.i18n import clip, translate
from bot.replies import Literal, Text, text
from bot.services.drafts import X_LIMIT, IssueContext, fits_x, least, x_length
from bot.validation import fold

TWEET = "tweet"
BLOG = "blog"
KINDS = (TWEET, BLOG)
# A text longer than this (as X counts) is taken for a blog paragraph unless the member says otherwise.
AUTO_BLOG_ABOVE = 420
MAX_PARAGRAPH_WORDS = 120
FIRST_FIXES = 3

# Lower is more important: an overlong tweet cannot be posted at all; a hostile tone costs more than a
# missing tag; hashtag spam and repetition are polish. "spam" and "repetition" only speak when they find
# something: "you do not repeat yourself" is no praise.
PRIORITY = {"length": 0, "tone": 1, "business": 2, "hashtag": 3, "spam": 4, "politician": 5, "question": 6,
            "media": 7, "repetition": 8}
BLOG_PRIORITY = {"length": 0, "tone": 1, "business": 2, "politician": 3, "question": 4, "hashtag": 5,
                 "spam": 6, "repetition": 7}

# Whole words (folded: lower case, no diacritics) that show a business angle, Swedish and English. Whole
# words, not stems: the stem "kund" also finds "kunde" (could), "jobb" finds "jobbigt" (tiresome). Words
# that mean something else in the other language ("personal", "order") are left out.
BUSINESS_WORDS = frozenset((
    "foretag", "foretaget", "foretagets", "foretagen", "foretagens", "foretagare", "foretagaren",
    "foretagarna", "foretagande", "kund", "kunden", "kunder", "kunderna", "kundernas", "kunds", "jobb",
    "jobbet", "jobben", "arbetstillfallen", "arbetsplats", "arbetsplatser", "anstalld", "anstallda",
    "anstallde", "anstallning", "anstallningar", "anstalla", "anstaller", "personalen",
    "affar", "affaren", "affarer", "affarerna", "affarsnytta", "omsattning", "omsattningen",
    "forsaljning", "forsaljningen", "intakter", "butik", "butiken", "butiker", "butikerna", "handlare",
    "handlarna", "handeln", "tillvaxt", "vaxa", "vaxer", "lonsam", "lonsamt", "lonsamhet", "investera",
    "investerar", "investering", "investeringar", "bestallning", "bestallningar",
    "gast", "gaster", "gasterna", "besokare", "besokarna", "rekrytera", "rekryterar",
    "rekrytering", "salja", "saljer", "leverantor", "leverantorer", "restaurang", "restaurangen",
    "verkstad", "verkstaden", "business", "businesses", "customer", "customers", "client", "clients",
    "job", "jobs", "employ", "employs", "employee", "employees", "employer", "staff", "hire", "hires",
    "hiring", "sales", "revenue", "turnover", "growth", "grow", "grows", "shop", "shops", "store",
    "stores", "invest", "investment", "investments", "guests", "visitors", "company", "companies",
    "trade", "profit", "profits", "orders", "supplier", "suppliers"
))
# Phrases that show it without one of the words above.
BUSINESS_PHRASES = ("lokala ekonomin", "den lokala handeln", "halla oppet", "local economy", "main street",
                    "stay open", "small firms")
# Heads of Swedish compounds that keep the business sense ("småföretag", "sommarjobb", "näthandel"): safe
# because no common word ends in them by chance, unlike "kunder" in "sekunder".
BUSINESS_HEADS = ("foretag", "foretagen", "foretagare", "foretagarna", "jobb", "jobben", "butik", "butiker",
                  "handel", "handeln", "omsattning", "forsaljning", "anstallda", "personal", "gaster")
# A compound needs a first part of its own ("storjobb" but not a head alone, which the words cover).
MIN_COMPOUND_PREFIX = 3
HARSH_WORDS = (
    "idiot", "idioter", "idioterna", "skandal", "skandalost", "inkompetent", "inkompetenta", "korrupt",
    "korrupta", "pinsamt", "lojligt", "fy fan", "tramsigt", "clowner", "stupid", "idiots", "incompetent",
    "corrupt", "disgrace", "disgraceful", "shameful", "pathetic", "clowns", "morons",
)
# Irony where it is cheap to see (folded): it reads as scorn, so the tone is not called factual.
SARCASM_PHRASES = (
    "tack for inget", "tack for ingenting", "tack sa mycket for inget", "vilken overraskning",
    "vad forvanande", "heja heja", "thanks for nothing", "thanks a lot for nothing", "yeah right",
    "what a surprise", "slow clap", "nice going", "well done genius",
)
_PRAISE = ("jattebra", "toppen", "perfekt", "underbart", "fantastiskt", "stralande", "lysande", "genialt",
           "briljant", "smart", "great", "wonderful", "perfect", "brilliant", "fantastic", "genius", "lovely")
# Praise trailing off in an ellipsis ("ja, jättebra…", "Toppen..."), or the English "oh great" (folded).
_IRONIC_PRAISE = re.compile(
    r"\b(?:" + "|".join(_PRAISE) + r")\s*(?:…|\.\.\.)"
    r"|\boh,?\s+(?:great|wonderful|perfect|lovely|brilliant)\b")
# Fewer words than this left of an ironic sentence are dropped with it.
MIN_REMARK_WORDS = 3
_INTERJECTIONS = frozenset(("ja", "jaha", "jasa", "ah", "oh", "yeah", "jo", "well"))
SARCASM_EMOJI = ("🙄", "🙃", "😒", "🤡")
_EYE_ROLLS = re.compile(r"\s*(?:" + "|".join(SARCASM_EMOJI) + r")+\s*")
_QUOTES = "\"“”„'‘’»«"
# One or two lower-case words in quotes ("satsningen") stand for words the writer does not believe.
_SCARE_QUOTES = re.compile(rf"(?:(?<=\s)|^|(?<=\())[{_QUOTES}]([^\W\d_A-ZÅÄÖ][^\s{_QUOTES}]*"
                           rf"(?: [^\s{_QUOTES}]+)?)[{_QUOTES}](?=[\s.,!?…:;)]|$)")
# More hashtags than this reads as spam.
MAX_HASHTAGS = 3
# In a tweet, a longer word this many times is repetition (a paragraph repeats its topic by nature).
REPEATED_WORD_TIMES = 3
REPEATED_WORD_MIN_LETTERS = 5
# Common words that may come often, folded.
_COMMON = frozenset((
    "att", "och", "det", "som", "for", "med", "har", "inte", "till", "kan", "vill", "ska", "skulle",
    "eller", "fran", "efter", "under", "over", "mellan", "the", "and", "that", "this", "with", "have",
    "will", "would", "from", "there", "their", "they", "about", "which"
))
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
# An @mention or a #hashtag standing as a word (not the @ of an e-mail address).
_TAG = re.compile(r"(?<![\w@#])[@#]\w+")
# A link as a member writes it, with a scheme, "www." or a bare domain ("annasblommor.se/vår").
_LINK = re.compile(r"(?:https?://|www\.)\S+|\b[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}(?:/\S*)?", re.IGNORECASE)
# A sentence or a clause with the marks that end it and the space after them (a mark inside a link is no end).
_TAG_OR_LINK = re.compile(f"{_LINK.pattern}|{_TAG.pattern}", re.IGNORECASE)
_CLAUSE = re.compile(r".+?(?:[.!?…,;:]+(?:\s+|$)|$)", re.DOTALL)
_SENTENCE = re.compile(r".+?(?:[.!?…]+(?:\s+|$)|$)", re.DOTALL)
_HANDLE = re.compile(r"(?<![\w@])@([A-Za-z0-9_]{1,15})\b")
_EXCLAMATIONS = re.compile(r"!{2,}")
_PUNCTUATION = ".,;:!?…"


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
           media: Iterable[str] = (), also_accepted: Iterable[str] = ()) -> list[Finding]:
    """Run every rule on a draft; `politicians` and `media` are handles and names known from open issues,
    `also_accepted` hashtags that do as well as `hashtag`."""
    order = PRIORITY if kind == TWEET else BLOG_PRIORITY
    known_politicians = [p for p in politicians if p]
    known_media = [m.lstrip("@") for m in media if m]
    findings = [
        _length(draft, kind),
        _tone(draft),
        _business(draft, brief),
        _hashtag(draft, hashtag, kind, also_accepted),
        _politician(draft, known_politicians, known_media, brief),
        _question(draft),
        _spam(draft),
        _repetition(draft, kind),
    ]
    if kind == TWEET:
        findings.append(_media(draft, known_media, brief))
    return sorted(
        (Finding(f.rule, f.ok, f.message, order[f.rule]) for f in findings if f is not None),
        key=lambda f: f.priority,
    )


def first_fixes(findings: list[Finding]) -> tuple[list[Finding], list[Finding], list[Finding]]:
    """Split findings into the most important fixes, the other fixes, and what is already good."""
    fixes = [f for f in findings if not f.ok]
    return fixes[:FIRST_FIXES], fixes[FIRST_FIXES:], [f for f in findings if f.ok]


def failing(findings: Iterable[Finding]) -> frozenset[str]:
    """Name the rules a draft does not pass."""
    return frozenset(f.rule for f in findings if not f.ok)


def penalty(findings: Iterable[Finding]) -> int:
    """Score what is left to fix (0: nothing), the more important rules weighing more."""
    return sum(len(PRIORITY) - f.priority for f in findings if not f.ok)


def infer_issue(draft: str, issues: Sequence[IssueContext], municipality: str | None = None
                ) -> IssueContext | None:
    """Work out which open issue a draft is about from its hashtags and its politicians' handles.

    A local media handle alone says nothing (it covers every issue of its town); ties go to the member's
    municipality, then to the soonest decision (the order `issues` come in).
    """
    hashtags = {tag[1:].casefold() for tag in _TAG.findall(draft) if tag.startswith("#")}
    handles = {h.casefold() for h in _HANDLE.findall(draft)}
    best: tuple[int, int, int] | None = None
    chosen = None
    for index, issue in enumerate(issues):
        evidence = 3 * (issue.hashtag.removeprefix("#").casefold() in hashtags) + 2 * sum(
            h.lstrip("@").casefold() in handles for h in issue.target_handles if h)
        if not evidence:
            continue
        evidence += sum(h.lstrip("@").casefold() in handles for h in issue.media_handles if h)
        rank = (evidence, int(bool(municipality) and issue.municipality == municipality), -index)
        if best is None or rank > best:
            best, chosen = rank, issue
    return chosen


def _length(draft: str, kind: str) -> Finding:
    if kind == TWEET:
        length = x_length(draft)
        if length > X_LIMIT:
            return Finding("length", False, text("coaching.rule.length.fix", length=length, limit=X_LIMIT,
                                                 over=length - X_LIMIT), 0)
        return Finding("length", True, text("coaching.rule.length.ok", length=length, limit=X_LIMIT), 0)
    # The advice is to split into paragraphs, so a text already split is judged by its longest one.
    words = max(len(paragraph.split()) for paragraph in re.split(r"\n\s*\n", draft))
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


def _folded_words(draft: str) -> str:
    """The words of a text, folded, between single spaces and with a space at each end, for whole-word
    search."""
    return " " + " ".join(_WORD.findall(fold(draft))) + " "


def _has_phrase(words: str, phrase: str) -> bool:
    return bool(phrase) and f" {phrase} " in words


def harsh_word(draft: str) -> str | None:
    """The first harsh word (an insult) in a text, or None."""
    folded = _folded_words(draft)
    return next((word for word in HARSH_WORDS if f" {word} " in folded), None)


def ironic(draft: str) -> bool:
    """Tell whether a text carries a cheap-to-see mark of irony: a sarcastic phrase, praise said with a sigh
    ("ja, jättebra…"), an eye-roll emoji or scare quotes."""
    folded = fold(draft)
    words = _folded_words(draft)
    return (any(_has_phrase(words, phrase) for phrase in SARCASM_PHRASES)
            or _IRONIC_PRAISE.search(folded) is not None
            or any(emoji in draft for emoji in SARCASM_EMOJI)
            or _SCARE_QUOTES.search(_LINK.sub(" ", draft)) is not None)


def _tone(draft: str) -> Finding:
    harsh = harsh_word(draft)
    if harsh is not None:
        problem = text("coaching.rule.tone.harsh", word=harsh)
    elif _shouting(draft):
        problem = text("coaching.rule.tone.caps")
    elif ironic(draft):
        problem = text("coaching.rule.tone.sarcasm")
    elif _EXCLAMATIONS.search(draft) or draft.count("!") > 2:
        problem = text("coaching.rule.tone.exclamations")
    else:
        return Finding("tone", True, text("coaching.rule.tone.ok"), 0)
    return Finding("tone", False, text("coaching.rule.tone.fix", problem=problem), 0)


def business_value(draft: str, company: str = "") -> bool:
    """Tell whether a text shows a business angle: the company's name or a business word, as whole words."""
    prose = _LINK.sub(" ", _TAG.sub(" ", draft))
    words = _folded_words(prose)
    if _has_phrase(words, _folded_words(company).strip()):
        return True
    if any(_has_phrase(words, phrase) for phrase in BUSINESS_PHRASES):
        return True
    return any(word in BUSINESS_WORDS or any(
        word.endswith(head) and len(word) - len(head) >= MIN_COMPOUND_PREFIX for head in BUSINESS_HEADS)
        for word in words.split())


def _business(draft: str, brief: Brief) -> Finding:
    if business_value(draft, brief.company):
        return Finding("business", True, text("coaching.rule.business.ok"), 0)
    return Finding("business", False, text("coaching.rule.business.fix", company=brief.company), 0)


def _hashtag(draft: str, hashtag: str, kind: str, also_accepted: Iterable[str] = ()) -> Finding:
    found = next((tag for tag in (hashtag, *also_accepted) if tag and has_tag(draft, tag)), None)
    if found is not None:
        return Finding("hashtag", True, text("coaching.rule.hashtag.ok", hashtag=found), 0)
    key = "coaching.rule.hashtag.fix" if kind == TWEET else "coaching.rule.hashtag.share"
    return Finding("hashtag", False, text(key, hashtag=hashtag), 0)


def _spam(draft: str) -> Finding | None:
    """Too many hashtags, or one said twice, reads as an advert; None when the hashtags are fine."""
    hashtags = [tag for tag in _TAG.findall(_LINK.sub(" ", draft)) if tag.startswith("#")]
    seen: set[str] = set()
    for tag in hashtags:
        if tag.casefold() in seen:
            return Finding("spam", False, text("coaching.rule.spam.repeated", hashtag=tag), 0)
        seen.add(tag.casefold())
    if len(hashtags) > MAX_HASHTAGS:
        return Finding("spam", False,
                       text("coaching.rule.spam.many", count=len(hashtags), max=MAX_HASHTAGS), 0)
    return None


def _prose_words(sentence: str, *, folded: bool = True) -> list[str]:
    """The words of a text (folded unless asked) without its links, handles and hashtags."""
    prose = _TAG.sub(" ", _LINK.sub(" ", sentence))
    return _WORD.findall(fold(prose) if folded else prose)


def _said_once(words: list[str]) -> list[str]:
    """The words with a word repeated in a row said once ("nu nu nu" is "nu")."""
    return [word for i, word in enumerate(words) if i == 0 or word != words[i - 1]]


def _repetition(draft: str, kind: str) -> Finding | None:
    """A sentence said twice, a word twice in a row, or (in a tweet) a longer word said again and again."""
    seen: set[tuple[str, ...]] = set()
    for sentence in _SENTENCE.findall(draft):
        said = tuple(_prose_words(sentence))
        if len(said) >= 2 and said in seen:
            shown = " ".join(sentence.split())
            return Finding("repetition", False,
                           text("coaching.rule.repetition.sentence", sentence=Literal(clip(shown, 60))), 0)
        seen.add(said)
    written = _prose_words(draft, folded=False)
    words = [fold(word) for word in written]
    doubled = next((written[i] for i in range(1, len(words))
                    if words[i] == words[i - 1] and len(words[i]) >= 2), None)
    if doubled is not None:
        return Finding("repetition", False, text("coaching.rule.repetition.doubled", word=doubled.lower()), 0)
    if kind == TWEET:
        counts = Counter(w for w in words if len(w) >= REPEATED_WORD_MIN_LETTERS and w not in _COMMON)
        frequent = next(((w, n) for w, n in counts.most_common(1) if n >= REPEATED_WORD_TIMES), None)
        if frequent is not None:
            shown = next(word for word in written if fold(word) == frequent[0]).lower()
            return Finding("repetition", False, text("coaching.rule.repetition.word", word=shown,
                                                     count=frequent[1]), 0)
    return None


def _politician(draft: str, known: list[str], media: list[str], brief: Brief) -> Finding:
    words = _folded_words(draft)
    handles = {h.casefold() for h in _HANDLE.findall(draft)}
    named = any(
        _has_phrase(words, _folded_words(name).strip()) if not name.startswith("@")
        else name[1:].casefold() in handles
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


def _asks(sentence: str) -> bool:
    """Tell whether a text asks something (a "?" inside a link's query is no question)."""
    return "?" in _LINK.sub(" ", sentence)


def _question(draft: str) -> Finding:
    if _asks(draft):
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


# -- the improved version ------------------------------------------------------------------------------------


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
        if word and not word.startswith(("#", "@")):  # a leading handle does not start the sentence
            sentence_start = word[-1] in ".!?"
    return _EXCLAMATIONS.sub("!", " ".join(words))


def _without(parts: list[str], unwanted: Callable[[str], bool]) -> str:
    """Leave out the parts that are unwanted, but for their @mentions, #hashtags and links: they reach the
    politician and allies, and show what the member points at."""
    kept = [part if not unwanted(part) else "".join(f"{kept} " for kept in _TAG_OR_LINK.findall(part))
            for part in parts]
    return _capitalized("".join(kept).strip().rstrip(",;:").rstrip())


def _capitalized(body: str) -> str:
    """Start the first word after any leading handles and hashtags with a capital letter."""
    tokens = body.split(" ")
    for index, token in enumerate(tokens):
        if not _is_tag(token) and not _LINK.match(token):
            tokens[index] = token[:1].upper() + token[1:]
            break
    return " ".join(tokens)


def without_harsh_words(draft: str) -> str:
    """Leave out the sentences and clauses that carry a harsh word, and nothing else.

    The improved version must not repeat what the feedback asks the member to drop.
    """
    clauses = _CLAUSE.findall(draft)
    if all(harsh_word(clause) is None for clause in clauses):
        return draft
    return _without(clauses, lambda clause: harsh_word(clause) is not None)


def without_irony(draft: str) -> str:
    """Leave out what is said ironically (the clause, or the sentence when the irony spans it), eye-rolls and
    the quotes of scare quotes."""
    draft = _EYE_ROLLS.sub(_eye_roll_gone, draft)
    draft = _single_spaced(_SCARE_QUOTES.sub(lambda match: match.group(1), draft))
    parts = []
    for sentence in _SENTENCE.findall(draft):
        if not ironic(sentence):
            parts.append(sentence)
            continue
        # "Tack för inget, hur tänker ni nu?" keeps its question; an interjection left alone ("Ja,") goes too.
        left = _without(_CLAUSE.findall(sentence), lambda clause: ironic(clause) or (
            bool(_prose_words(clause)) and set(_prose_words(clause)) <= _INTERJECTIONS))
        # What is left of an ironic remark ("Tack för inget, kommunen." -> "Kommunen.") says nothing alone.
        if ironic(left) or (len(_prose_words(left)) < MIN_REMARK_WORDS and not _asks(left)):
            left = _without([sentence], lambda _: True)
        if left:
            # The sentence's own line break or space after it stays.
            parts.append(left + sentence[len(sentence.rstrip()):])
    return _capitalized("".join(parts).strip())


def _eye_roll_gone(match: re.Match[str]) -> str:
    # An eye-roll that ended a sentence leaves a full stop behind ("igen 🙄 Hur" -> "igen. Hur").
    before, after = match.string[:match.start()], match.string[match.end():]
    ends_sentence = before[-1:].isalnum() and after[:1].isupper()
    return ". " if ends_sentence else " "


def _single_spaced(draft: str) -> str:
    """Close the gaps left where something was taken out, keeping the member's line breaks."""
    return "\n".join(re.sub(r"[ \t]{2,}", " ", line).strip() for line in draft.split("\n"))


def without_repetition(draft: str) -> str:
    """Say a repeated sentence once and a word repeated in a row once."""
    kept: list[str] = []
    seen: set[tuple[str, ...]] = set()
    for sentence in _SENTENCE.findall(draft):
        words = tuple(_prose_words(sentence))
        if len(words) >= 2 and words in seen:
            # Its handles and hashtags are in the first one already.
            continue
        seen.add(words)
        kept.append(_without_doubled_words(sentence))
    return "".join(kept).strip()


def _without_doubled_words(sentence: str) -> str:
    tokens = sentence.split(" ")
    kept: list[str] = []
    for token in tokens:
        previous = kept[-1] if kept else ""
        if _prose_words(token) and _prose_words(token) == _prose_words(previous) and not _TAG.search(token):
            # Keep the first one as written, with the later one's punctuation ("Nu nu." -> "Nu.").
            kept[-1] = previous.rstrip(_PUNCTUATION) + token[len(token.rstrip(_PUNCTUATION)):]
            continue
        kept.append(token)
    return " ".join(kept)


def without_repeated_hashtags(draft: str) -> str:
    """Say each hashtag once: a repeat goes when it stands among the tags at the start or the end."""
    tokens = draft.split(" ")
    lead = next((i for i, t in enumerate(tokens) if not _is_tag(t)), len(tokens))
    trail = next((i for i in range(len(tokens) - 1, -1, -1) if not _is_tag(tokens[i])), -1) + 1
    seen: set[str] = set()
    kept = []
    for index, token in enumerate(tokens):
        key = token.casefold()
        if token.startswith("#") and key in seen and _is_tag(token) and (index < lead or index >= trail):
            continue
        if token.startswith("#"):
            seen.add(key)
        kept.append(token)
    return " ".join(kept)


def _is_tag(token: str) -> bool:
    return _TAG.fullmatch(token) is not None


def _sentence(body: str) -> str:
    """End a text with a full stop when it ends without one, so that added sentences read as sentences."""
    return body if not body or body[-1] in ".!?…:" else body + "."


def questions(draft: str) -> list[list[str]]:
    """The questions a text asks that the improved version must keep, as their folded words each said once (a
    question with a harsh word or irony goes with what the feedback asks the member to drop)."""
    return [_said_once(_prose_words(sentence)) for sentence in _SENTENCE.findall(draft)
            if _asks(sentence) and harsh_word(sentence) is None and not ironic(sentence)]


def keeps(draft: str, improved: str) -> bool:
    """Tell whether an improved version keeps every handle, hashtag, link and question of the draft."""
    if not all(has_tag(improved, tag) for tag in _TAG.findall(draft)):
        return False
    if not all(link in improved for link in _LINK.findall(draft)):
        return False
    words = " " + " ".join(_said_once(_prose_words(improved))) + " "
    return all(f" {' '.join(question)} " in words for question in questions(draft) if question)


def _fixed(draft: str, kind: str, failing_rules: frozenset[str]) -> str:
    """The draft with what the rules can mend in the member's own words: tone and repetition."""
    body = " ".join(draft.split()) if kind == TWEET else draft.strip()
    if "tone" in failing_rules:
        body = calm(without_irony(without_harsh_words(body)))
    if "repetition" in failing_rules:
        body = without_repetition(body)
    if "spam" in failing_rules:
        body = without_repeated_hashtags(body)
    return body


def _trailing_tags(body: str) -> tuple[str, str]:
    """Split a text into its prose and the run of handles and hashtags it ends with."""
    tokens = body.split(" ")
    start = len(tokens)
    while start > 0 and _is_tag(tokens[start - 1]):
        start -= 1
    return " ".join(tokens[:start]), " ".join(tokens[start:])


# What the rules may add, and the sets of additions tried without when all of them do not help (the draft
# already has four hashtags, say, or the additions leave no room for the member's own words).
ADDITIONS = frozenset({"politician", "business", "question", "media", "hashtag"})
_LEAVE_OUT: tuple[frozenset[str], ...] = (
    frozenset(), frozenset({"hashtag"}), frozenset({"media", "hashtag"}), frozenset({"business", "question"}),
    frozenset({"business", "question", "media", "hashtag"}), ADDITIONS)


def improve(draft: str, brief: Brief, hashtag: str, kind: str, *, politicians: Iterable[str] = (),
            media: Iterable[str] = (), also_accepted: Iterable[str] = ()) -> str:
    """Rewrite as little as the rules ask: calm the tone, say things once, add the business value, a question
    and the tags, and shorten the member's prose (never a handle, hashtag, link or question) to fit.

    The result keeps every handle, hashtag, link and question of the draft and passes every rule it passed,
    with a score never worse; when no rewrite manages that, the draft comes back as it is.
    """
    known_politicians, known_media, accepted = list(politicians), list(media), list(also_accepted)

    def check(candidate: str) -> list[Finding]:
        return review(candidate, brief, hashtag, kind, politicians=known_politicians, media=known_media,
                      also_accepted=accepted)

    before = check(draft)
    failing_before = failing(before)
    core = _fixed(draft, kind, failing_before)
    missing = failing(check(core)) & ADDITIONS
    best, best_penalty = draft, penalty(before)
    for left_out in _LEAVE_OUT:
        wanted = missing - left_out
        candidate = _with_additions(core, brief, hashtag, kind, wanted)
        found = check(candidate) if candidate is not None else []
        # Shortening may cut what a rule looked for (the company's name, say): add it back, and shorten again.
        for _ in range(len(ADDITIONS)):
            lost = (failing(found) & ADDITIONS) - wanted - left_out
            if candidate is None or not lost:
                break
            wanted |= lost
            candidate = _with_additions(core, brief, hashtag, kind, wanted)
            found = check(candidate) if candidate is not None else []
        if candidate is None or candidate == best:
            continue
        if failing(found) <= failing_before and penalty(found) < best_penalty and keeps(draft, candidate):
            best, best_penalty = candidate, penalty(found)
    return best


def _with_additions(core: str, brief: Brief, hashtag: str, kind: str, wanted: frozenset[str]) -> str | None:
    """The core with what the rules asked for added; for a tweet, with its prose shortened to fit. None when
    it cannot fit or nothing is left."""
    head = [brief.politician] if "politician" in wanted and brief.politician else []
    sentences: list[str] = []
    if "business" in wanted:
        sentences.append(translate("coaching.improve.business", brief.language, company=brief.company))
    if "question" in wanted:
        sentences.append(translate("coaching.improve.question", brief.language))
    tags: list[str] = []
    if kind == TWEET:
        if "media" in wanted and brief.media:
            tags.append(brief.media)
        if "hashtag" in wanted:
            tags.append(hashtag)

    def build(body: str) -> str:
        if kind == TWEET:
            prose, own_tags = _trailing_tags(body)
            prose = _sentence(prose) if sentences else prose
            return " ".join(part for part in (*head, prose, *sentences, own_tags, *tags) if part)
        start = " ".join(part for part in (*head, _sentence(body) if sentences else body) if part)
        added = " ".join(sentences)
        return "\n\n".join(part for part in (start, added) if part)

    built = build(core)
    if not built:
        return None
    if kind == BLOG or shareable(built):
        return built
    shortened = _shorten_prose(core, lambda body: shareable(build(body))) or \
        _shorten_prose(core, lambda body: fits_x(build(body)))
    return None if shortened is None else build(shortened)


def _shorten_prose(body: str, fits: Callable[[str], bool]) -> str | None:
    """Drop the member's prose words from the end until `fits` says yes, never a handle, hashtag, link or a
    word of a question; None when even all the prose gone is not enough.

    Kept beside drafts.shorten, which cuts prose the same way, because an improved version must also keep
    every word of the member's questions, which drafts.shorten does not know of.
    """
    tokens = body.split(" ")
    asked: set[int] = set()
    position = 0
    for sentence in _SENTENCE.findall(body):
        count = len(sentence.rstrip().split(" ")) if sentence.strip() else 0
        if _asks(sentence):
            asked.update(range(position, position + count))
        position += count
    prose = [i for i, token in enumerate(tokens)
             if i not in asked and token and not _TAG.search(token) and not _LINK.search(token)]

    def without_last(count: int) -> str:
        dropped = set(prose[len(prose) - count:]) if count else set()
        kept: list[str] = []
        for index, token in enumerate(tokens):
            if index in dropped:
                if kept and index - 1 not in dropped and kept[-1][-1:] not in ".!?…" \
                        and not _TAG.search(kept[-1]) and not _LINK.search(kept[-1]):
                    kept[-1] += ELLIPSIS
                continue
            kept.append(token)
        return " ".join(token for token in kept if token)

    if not prose or not fits(without_last(len(prose))):
        return None
    # fits(without_last(len(prose))) holds: the fewest words to drop.
    return without_last(least(0, len(prose), lambda count: fits(without_last(count))))
