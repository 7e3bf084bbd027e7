"""What an agenda text says: the meeting's date and time in Swedish ("17 december 2026 kl. 18.00",
"2026-12-17 kl 18:00"), the numbered agenda items ("1.", "§ 12", "Ärende 3") with their diarienummer ("KS
2026/123") stripped, and the fingerprint that stores an item once."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

MONTHS = {
    "januari": 1, "februari": 2, "mars": 3, "april": 4, "maj": 5, "juni": 6, "juli": 7, "augusti": 8,
    "september": 9, "oktober": 10, "november": 11, "december": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9, "okt": 10,
    "nov": 11, "dec": 12,
    "january": 1, "february": 2, "march": 3, "may": 5, "june": 6, "july": 7, "august": 8, "october": 10,
}
# A meeting whose time is not given is kept at noon local time, as an issue's date without a time is.
DATE_ONLY_TIME = time(12, 0)
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_DAY_MONTH = re.compile(rf"(?<!\d)(\d{{1,2}})(?:e|:e)?\s+({_MONTH})\.?\s+(\d{{4}})(?!\d)", re.IGNORECASE)
_ISO = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")
# "kl. 18.00", "klockan 18:00", ", 18:00", "kl 9" right after the date.
_TIME = re.compile(r"^[\s,]*(?:(?:kl\.?|klockan)\s*(\d{1,2})(?:[.:](\d{2}))?|(\d{1,2})[.:](\d{2}))(?!\d)",
                   re.IGNORECASE)


@dataclass(frozen=True)
class MeetingTime:
    """When a meeting starts (aware UTC), and whether the text gave the time or only the date."""

    starts_at: datetime
    has_time: bool


def local_moment(day: date, at: time | None, zone: str) -> MeetingTime:
    """A local date (and time, else noon) as an aware UTC moment."""
    local = datetime.combine(day, at or DATE_ONLY_TIME, tzinfo=ZoneInfo(zone))
    return MeetingTime(local.astimezone(UTC), at is not None)


def find_meeting_time(text: str, zone: str) -> MeetingTime | None:
    """The first date in a text ("17 december 2026", "2026-12-17") with the time that follows it, if any."""
    found: list[tuple[int, date, int]] = []
    for match in _DAY_MONTH.finditer(text):
        try:
            found.append((match.start(), date(int(match[3]), MONTHS[match[2].lower()], int(match[1])),
                          match.end()))
        except ValueError:
            continue
    for match in _ISO.finditer(text):
        try:
            found.append((match.start(), date(int(match[1]), int(match[2]), int(match[3])), match.end()))
        except ValueError:
            continue
    if not found:
        return None
    found.sort()
    day = found[0][1]
    # The first date; its time where any mention of that day gives one (a title names the day, the text the
    # hour).
    times = (_time_after(text, end) for _, mentioned, end in found if mentioned == day)
    return local_moment(day, next((at for at in times if at is not None), None), zone)


def _time_after(text: str, end: int) -> time | None:
    clock = _TIME.match(text[end:end + 30])
    if not clock:
        return None
    hour, minute = (clock[1], clock[2]) if clock[1] else (clock[3], clock[4])
    if int(hour) < 24 and int(minute or 0) < 60:
        return time(int(hour), int(minute or 0))
    return None


# A numbered agenda line: "1.", "12)", "§ 12", "§12", "Ärende 3", "Ärende 3:"; the number then the title.
_NUMBERED = re.compile(r"^\s*(§\s*\d{1,3}|(?:ärende|arende|punkt)\s+\d{1,3}|\d{1,3}\s*[.)])[:.\s]\s*(\S.*)$",
                       re.IGNORECASE)
# A diarienummer: "KS 2026/123", "Dnr KS 2026/123", "Dnr: 2026-123", "KS.2026.123", "BN 2026/45-2".
_DIARIENUMMER = re.compile(
    r"[\(\[]?\s*(?:(?:dnr|diarienr|diarienummer)\.?:?\s*(?:[A-ZÅÄÖ]{1,6}[ .]?)?\d{4}[/.\-]\d{1,6}"
    r"|\b[A-ZÅÄÖ]{1,6}[ .]?\d{4}[/.]\d{1,6}|\b\d{4}/\d{1,6})(?:[-./]\d{1,4})*\s*[\)\]]?",
    re.IGNORECASE)
# Lines under an item that describe it rather than continue its title.
_LABELS = re.compile(r"^\s*(?:dnr|diarienr|diarienummer|föredragande|handläggare|beslutsunderlag|bilaga|"
                     r"bilagor|förslag till beslut|ärendebeskrivning|beredning)\b", re.IGNORECASE)
MAX_TITLE = 300


def strip_diarienummer(title: str) -> str:
    """The title without its diarienummer and the separators left around it."""
    stripped = _DIARIENUMMER.sub(" ", title)
    stripped = re.sub(r"\s{2,}", " ", stripped)
    return stripped.strip(" \t-–—,;:|").strip()


def _number(raw: str) -> str:
    """The number as printed, tidied: "§ 12", "12", "Ärende 3"."""
    raw = raw.strip().rstrip(".)").strip()
    if raw.startswith("§"):
        return "§ " + raw[1:].strip()
    word, _, digits = raw.partition(" ")
    if digits:
        return f"{word[:1].upper()}{word[1:].lower()} {digits.strip()}"
    return raw


def agenda_items(text: str) -> list[tuple[str, str]]:
    """The numbered items of an agenda text as (number, title): a title wrapped onto the next line is joined
    (the line goes on in lower case), description lines (Dnr, Föredragande, …) are not part of it."""
    items: list[tuple[str, str]] = []
    lines = [line.strip() for line in text.splitlines()]
    index = 0
    while index < len(lines):
        match = _NUMBERED.match(lines[index])
        index += 1
        if not match:
            continue
        title = match[2].strip()
        # A wrapped title: the next line goes on in lower case and is no new item or description.
        while (index < len(lines) and lines[index] and lines[index][0].islower()
               and not _NUMBERED.match(lines[index]) and not _LABELS.match(lines[index])
               and not title.endswith((".", "?", "!"))):
            title = f"{title} {lines[index]}"
            index += 1
        title = strip_diarienummer(title)
        if _looks_like_title(title):
            items.append((_number(match[1]), title[:MAX_TITLE]))
    return items


def _looks_like_title(title: str) -> bool:
    """A title has words: not a bare date, page number or amount."""
    return sum(character.isalpha() for character in title) >= 3


def normalized(title: str) -> str:
    """A title folded for comparison: case, diacritics, punctuation and spacing do not count."""
    folded = unicodedata.normalize("NFKD", title.casefold())
    folded = "".join(character for character in folded if not unicodedata.combining(character))
    return " ".join(re.findall(r"\w+", folded))


def fingerprint(title: str, body: str, committee: str | None, meeting_day: date | None) -> str:
    """What makes an item the same item: its normalized title, the body (and nämnd) and the meeting's date."""
    day = meeting_day.isoformat() if meeting_day else ""
    parts = (normalized(title), body, normalized(committee or ""), day)
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


@dataclass(frozen=True)
class Entry:
    """What one feed entry or calendar event says: a meeting (when its date is known), its agenda items (from
    its own text), and the agenda PDFs it links to."""

    uid: str
    title: str
    link: str | None
    when: MeetingTime | None
    items: tuple[tuple[str, str], ...] = ()
    pdf_links: tuple[str, ...] = ()


class Unreadable(Exception):
    """A feed or calendar that cannot be read (bad XML, not iCalendar): its short reason is stored."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def is_pdf_link(url: str, content_type: str | None = None) -> bool:
    """A link to a PDF, by its declared type or its path."""
    if content_type and "pdf" in content_type.lower():
        return True
    return url.split("?", 1)[0].split("#", 1)[0].lower().endswith(".pdf")
