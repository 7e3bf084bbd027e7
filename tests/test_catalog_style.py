"""The catalogs read against the style guide (docs/stilguide.md): the slips it can check mechanically.

Each check is a small function over one text, tried first on the slip it is for (so it can fail), then on
every text of the catalogs."""

from __future__ import annotations

import re
import string

import pytest

from bot import i18n

# Fields that hold a number: a noun after one of them must come from a plural form.
NUMBER_FIELDS = frozenset({
    "count", "days", "weeks", "years", "hours", "minutes", "seconds", "length", "limit", "over", "max",
    "words", "rows", "total", "seats", "tried", "done", "kept", "made", "assigned", "asked", "answered",
    "added", "updated", "unchanged", "yes", "no", "open", "undecided", "unknown", "majority", "points",
    "number", "page", "pages",
})
# What a plural noun ends with, and the words that end so without being one (or are the same in both numbers).
PLURAL_ENDING = {"sv": re.compile(r"(ar|er|or)$"), "en": re.compile(r"s$")}
NOT_PLURAL_NOUNS = {"sv": {"politiker", "efter", "eller", "över", "under"},
                    "en": {"is", "was", "has", "does", "as", "this", "its"}}
# Texts that complete something else and so start in lower case: a field's problem after its name
# ("Titel: måste fyllas i."), a row's problem after its number, a line's tail.
FRAGMENTS = frozenset({
    "errors.required", "errors.control_characters", "errors.too_long", "errors.url_site", "csv.extra_cells",
    "csv.line_break", "issues.committee_required", "coaching.streak.none",
})
# English words that have a Swedish one (the guide's list); names of products and commands aside.
ENGLISH_WORDS = frozenset({
    "please", "the", "and", "you", "your", "delete", "share", "update", "updated", "follow", "followers",
    "deadline", "push", "pushen", "pinga", "pingar", "engagement", "content", "community", "event", "reach",
    "story", "stories", "done", "link", "featured", "reminder", "reminders",
})
BAD_PLURAL_MARK = re.compile(r"\w\((?:r|s|er|ar|or|n|na|mar|es)\)")
COMMAND_WORD = re.compile(r"(?<![\w/.:{])/(?:jobb )?([\w-]+)")


def _field_texts(entry: str) -> str:
    """The entry with each field as X (a field's name is no word of the text, and a text may start with a
    field that is a name), plural branches kept."""
    return "".join(literal + ("X" if name is not None else "")
                   for literal, name, _, _ in string.Formatter().parse(i18n.flattened(entry)))


def ad_hoc_plurals(entry: str) -> list[str]:
    return BAD_PLURAL_MARK.findall(entry)


def fixed_plural_nouns(entry: str, language: str) -> list[str]:
    """A number field directly followed by a plural noun ("{count} röster"): it needs a plural form."""
    return [match.group(0) for match in re.finditer(r"\{(\w+)\}[ \u00a0]+(\w+)", entry)
            if match.group(1) in NUMBER_FIELDS and PLURAL_ENDING[language].search(match.group(2))
            and match.group(2).lower() not in NOT_PLURAL_NOUNS[language]]


def english_command_names() -> set[str]:
    """Command words whose English name is not also their Swedish one (`onboard`, not `coach`)."""
    names = set()
    for key in i18n.catalog("en"):
        if key.startswith("cmd.") and key.endswith(".name") and ".opt." not in key:
            english, swedish = i18n.catalog("en")[key], i18n.catalog("sv")[key]
            if english != swedish:
                names.add(english)
    return names


def english_commands(entry: str) -> list[str]:
    """Commands written out in a text, as typed (`/onboard`, `/jobb issue`), whose name is English."""
    english = english_command_names()
    return [match.group(0) for match in COMMAND_WORD.finditer(_field_texts(entry))
            if match.group(1) in english]


def lower_case_starts(entry: str) -> list[str]:
    """The start of the text, and of every sentence in it, when it is a lower-case letter."""
    texts = _field_texts(entry)
    found = []
    first = re.match(r"[^\w]*(\w+)(://)?", texts)
    continues = texts.strip().startswith("…")  # "…och 3 till.": the tail of a list
    if first and first.group(1)[0].islower() and not first.group(2) and not continues \
            and texts.strip()[-1:] in (".", "!", "?"):
        found.append(first.group(1))
    after_stop = r"(?<!\bt\.ex)(?<!\be\.g)(?<!\bi\.e)[.!?] +([a-zåäö]\w*)"  # not after "e.g."
    found += [m.group(1) for m in re.finditer(after_stop, texts)]
    return found


def double_spaces(entry: str) -> list[str]:
    """Two spaces between words (wider padding, as the console's help has in columns, is layout)."""
    return re.findall(r"\w  \w", entry)


def english_words(entry: str) -> list[str]:
    words = re.findall(r"[A-Za-zÅÄÖåäö]+", _field_texts(entry))
    return [word for word in words if word.lower() in ENGLISH_WORDS]


def _texts(language: str) -> list[tuple[str, str]]:
    # The commands' own names are words typed on Discord, not sentences; their descriptions are checked.
    return [(key, entry) for key, entry in i18n.catalog(language).items()
            if not (key.startswith("cmd.") and key.endswith(".name"))]


# -- each check finds its slip ---------------------------------------------------------------------------


def test_the_checks_find_the_known_slips():
    assert ad_hoc_plurals("⏭️ {count} påminnelse(r) hoppades över") == ["e(r)"]
    assert ad_hoc_plurals("{count} member(s) get a follow-up") == ["r(s)"]
    assert fixed_plural_nouns("Det saknas {count} röster för majoritet.", "sv") == ["{count} röster"]
    assert fixed_plural_nouns("Here are {count} decisions as a calendar file.", "en") == ["{count} decisions"]
    assert fixed_plural_nouns("Det saknas {count, plural, one {# röst} other {# röster}}.", "sv") == []
    assert english_commands("Skriv /onboard för att komma igång.") == ["/onboard"]
    assert english_commands("till exempel `/jobb issue create`") == ["/jobb issue"]
    assert english_commands("Skriv {cmd:onboard} för att komma igång.") == []
    assert lower_case_starts("är vet inte än.") == ["är"]
    assert lower_case_starts("Ett steg. återställ:ja ger det tillbaka.") == ["återställ"]
    assert double_spaces("Hej  du") == ["j  d"]
    assert english_words("Dags att pinga media, please.") == ["pinga", "please"]


# -- the catalogs -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_no_text_writes_a_plural_with_a_bracketed_ending(language: str):
    assert [(key, ad_hoc_plurals(entry)) for key, entry in _texts(language) if ad_hoc_plurals(entry)] == []


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_no_number_is_followed_by_a_fixed_plural_noun(language: str):
    found = [(key, fixed_plural_nouns(entry, language)) for key, entry in _texts(language)
             if fixed_plural_nouns(entry, language)]
    assert found == []


def test_no_swedish_text_names_an_english_command():
    assert [(key, english_commands(entry)) for key, entry in _texts("sv") if english_commands(entry)] == []


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_sentences_start_with_a_capital_letter(language: str):
    found = [(key, lower_case_starts(entry)) for key, entry in _texts(language)
             if key not in FRAGMENTS and lower_case_starts(entry)]
    assert found == []


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_no_text_has_two_spaces_between_words(language: str):
    assert [(key, double_spaces(entry)) for key, entry in _texts(language) if double_spaces(entry)] == []


def test_swedish_texts_use_swedish_words():
    assert [(key, english_words(entry)) for key, entry in _texts("sv") if english_words(entry)] == []
