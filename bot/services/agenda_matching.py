"""Whether an agenda item's words name one of the group's topics or keywords: Swedish language data and pure
functions, no database.

Swedish inflects at the end of a word and puts the head of a compound last ("parkeringsplatser",
"cykelvägen", "Stortorgets"). A long stem (five letters or more) is specific enough to be found anywhere in a
word ("parkering" in "infartsparkeringen"); a short one ("väg", "bro", "gata") only as the head of a word,
optionally inflected ("vägen", "gångbron", "gatorna"), so that "bro" does not find "brottsförebyggande". Words
are compared folded (validation.fold: case and diacritics do not matter).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot import validation

# Each topic of civics.TOPICS with the stems that name it in an agenda (Swedish; folded when compared).
TOPIC_WORDS: dict[str, tuple[str, ...]] = {
    "parkering": ("parkering", "p-plats", "parkeringsavgift", "p-hus", "p-skiva"),
    "upphandling": ("upphandl", "avtalsforlangning", "ramavtal"),
    "infrastruktur": ("infrastruktur", "väg", "gata", "gatu", "bro", "trafiksakerhet", "cykelbana"),
    "skola": ("skola", "skolor", "skolan", "förskol", "grundskol", "gymnasie", "skolskjuts"),
    "naringslivsklimat": ("näringsliv", "företag", "etablering", "handel"),
    "bostader": ("detaljplan", "bostäder", "bostad", "bostads", "bygglov", "exploatering"),
    "kollektivtrafik": ("kollektivtrafik", "busslinje", "busshållplats", "busstrafik", "pendeltåg",
                        "tågtrafik", "länstrafik"),
    "besoksnaring": ("besöksnäring", "turism", "turist", "evenemang", "camping", "gästhamn"),
}
# A short stem is found only as a word's head; these endings may follow it ("vägen", "broarna", "gatans").
_ENDINGS = ("", "s", "n", "ns", "en", "ens", "ar", "ars", "arna", "arnas", "or", "ors", "orna", "ornas", "na",
            "nas", "an", "ans", "er", "erna")
SHORT_STEM = 5
_WORD = re.compile(r"[\w-]+")


@dataclass(frozen=True)
class Match:
    """What an agenda item matched: a topic (its code) or a coordinators' keyword (as they wrote it)."""

    topic: str | None = None
    keyword: str | None = None


def words(*texts: str | None) -> list[str]:
    """The folded words of some texts (a hyphen stays inside a word: "p-platser")."""
    return [word.strip("-") for value in texts if value for word in _WORD.findall(validation.fold(value))]


def stem_found(stem: str, folded_words: Sequence[str]) -> bool:
    """Tell whether a stem (several words allowed) names something in the folded words."""
    parts = words(stem)
    if not parts:
        return False
    if len(parts) > 1:
        # A phrase: its words in a row, the last one inflected as a single stem would be.
        for start in range(len(folded_words) - len(parts) + 1):
            window = folded_words[start:start + len(parts)]
            if window[:-1] == parts[:-1] and stem_found(parts[-1], window[-1:]):
                return True
        return False
    folded = parts[0]
    if len(folded) >= SHORT_STEM:
        return any(folded in word for word in folded_words)
    return any(word.endswith(folded + ending) for word in folded_words for ending in _ENDINGS)


def match(texts: Iterable[str | None], keywords: Sequence[str]) -> Match | None:
    """The first topic, then the first keyword, that the texts (an item's title, its meeting's title) name."""
    found = words(*texts)
    for topic, stems in TOPIC_WORDS.items():
        if any(stem_found(stem, found) for stem in stems):
            return Match(topic=topic)
    for keyword in keywords:
        if stem_found(keyword, found):
            return Match(keyword=keyword)
    return None


def read_keywords(raw: str) -> list[str]:
    """Split a comma-separated list of keywords, dropping blanks and repeats (compared folded)."""
    kept: list[str] = []
    for part in raw.split(","):
        keyword = " ".join(part.split())
        if keyword and validation.fold(keyword) not in (validation.fold(k) for k in kept):
            kept.append(keyword)
    return kept


def title_key(title: str) -> str:
    """Fold an item's title so that the same item from two sources (or polls) compares equal."""
    return " ".join(words(title))[:200]
