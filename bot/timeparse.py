"""Read a moment the way people write it, in Swedish or English: "17 dec 18:00", "tisdag 18:00",
"tomorrow 9am".

Platform-neutral: the result is an aware UTC datetime, computed in the workspace's time zone (daylight saving
included). A date without a year is the next such date; a weekday is the next such day; a past moment is
refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.errors import UserError
from bot.replies import Text, When, text
from bot.validation import FieldProblem, fold

# A date given without a time is kept at noon local time, so that it shows as the same day in every zone.
DATE_ONLY_TIME = time(12, 0)
MAX_AHEAD = timedelta(days=3 * 366)
EXAMPLES = '"17 dec 18:00", "2026-12-17 18:00", "tisdag 18:00", "i morgon 09:00", "tuesday 6pm"'

MONTHS = {
    "januari": 1, "january": 1, "jan": 1,
    "februari": 2, "february": 2, "feb": 2,
    "mars": 3, "march": 3, "mar": 3,
    "april": 4, "apr": 4,
    "maj": 5, "may": 5,
    "juni": 6, "june": 6, "jun": 6,
    "juli": 7, "july": 7, "jul": 7,
    "augusti": 8, "august": 8, "aug": 8,
    "september": 9, "sept": 9, "sep": 9,
    "oktober": 10, "october": 10, "okt": 10, "oct": 10,
    "november": 11, "nov": 11,
    "december": 12, "dec": 12,
}
# Folded (no diacritics): "måndag" is written "mandag" here, and so is what the user typed.
WEEKDAYS = {
    "mandag": 0, "monday": 0, "man": 0, "mon": 0,
    "tisdag": 1, "tuesday": 1, "tis": 1, "tue": 1, "tues": 1,
    "onsdag": 2, "wednesday": 2, "ons": 2, "wed": 2,
    "torsdag": 3, "thursday": 3, "tors": 3, "tor": 3, "thu": 3, "thur": 3, "thurs": 3,
    "fredag": 4, "friday": 4, "fre": 4, "fri": 4,
    "lordag": 5, "saturday": 5, "lor": 5, "sat": 5,
    "sondag": 6, "sunday": 6, "son": 6, "sun": 6,
}
RELATIVE_DAYS = {"idag": 0, "i dag": 0, "today": 0, "imorgon": 1, "i morgon": 1, "tomorrow": 1,
                 "i overmorgon": 2, "overmorgon": 2, "day after tomorrow": 2}
# Words that carry no meaning of their own: "den 17 december", "kl. 18", "on tuesday at 6pm", "nästa tisdag".
FILLER = {"den", "the", "on", "pa", "at", "kl", "klockan", "@", "nasta", "next", "om", "of"}

_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_ORDINAL = r"(?:st|nd|rd|th|e|:e)?"
_ISO = re.compile(r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)(?:t(?=\d))?")
_NUMERIC = re.compile(r"(?<![\d:.])(\d{1,2})/(\d{1,2})(?:/(\d{4}|\d{2})|\s+(\d{4})(?![\d:.]))?(?![\d/])")
_DAY_MONTH = re.compile(
    rf"(?<![\d:.])(\d{{1,2}}){_ORDINAL}\.?\s*(?:of\s+)?({_MONTH})\b\.?(?:\s*(\d{{4}})\b)?"
)
_MONTH_DAY = re.compile(rf"\b({_MONTH})\b\.?\s*(\d{{1,2}}){_ORDINAL}\b(?:\s*,?\s*(\d{{4}})\b)?")
_RELATIVE = re.compile(r"\b(" + "|".join(sorted((re.escape(k) for k in RELATIVE_DAYS), key=len, reverse=True))
                       + r")\b")
_WEEKDAY = re.compile(r"\b(" + "|".join(sorted(WEEKDAYS, key=len, reverse=True)) + r")\b\.?")
_TIME = re.compile(r"^(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?$")


@dataclass(frozen=True)
class Moment:
    """A parsed moment: when (aware UTC), and whether a time of day was given or only a date."""

    at: datetime
    has_time: bool


def _unreadable(raw: str) -> UserError:
    return UserError("time.unreadable", value=raw.strip()[:60], examples=EXAMPLES)


def _normalize(raw: str) -> str:
    value = fold(raw)
    value = value.replace(",", " ").replace("kl.", " kl ")
    return re.sub(r"\s+", " ", value).strip()


def _year(raw: str | None) -> int | None:
    if raw is None:
        return None
    year = int(raw)
    return 2000 + year if year < 100 else year


def _take_date(value: str, today: date) -> tuple[tuple[int | None, int, int] | date | int, str] | None:
    """Find the date part: (year or None, month, day), a date (relative days), or a weekday number.

    Return it with the rest of the text, or None when there is no date.
    """
    if match := _ISO.search(value):
        found: tuple[int | None, int, int] | date | int = (int(match[1]), int(match[2]), int(match[3]))
    elif match := _DAY_MONTH.search(value):
        found = (_year(match[3]), MONTHS[match[2]], int(match[1]))
    elif match := _MONTH_DAY.search(value):
        found = (_year(match[3]), MONTHS[match[1]], int(match[2]))
    elif match := _NUMERIC.search(value):
        first, second = int(match[1]), int(match[2])
        # Swedish writes day/month; an English month/day shows itself by a "day" over 12 in second place.
        day, month = (second, first) if second > 12 >= first else (first, second)
        found = (_year(match[3] or match[4]), month, day)
    elif match := _RELATIVE.search(value):
        found = today + timedelta(days=RELATIVE_DAYS[match[1]])
    elif match := _WEEKDAY.search(value):
        found = WEEKDAYS[match[1]]
    else:
        return None
    rest = (value[:match.start()] + " " + value[match.end():]).strip()
    return found, rest


def _take_time(rest: str, raw: str) -> time | None:
    words = [w for w in rest.split() if w not in FILLER]
    if not words:
        return None
    match = _TIME.match(" ".join(words))
    if not match:
        raise _unreadable(raw)
    hour, minute, meridiem = int(match[1]), int(match[2] or 0), (match[3] or "").replace(".", "")
    if meridiem:
        if not 1 <= hour <= 12:
            raise _unreadable(raw)
        hour = hour % 12 + (12 if meridiem == "pm" else 0)
    if hour > 23 or minute > 59:
        raise _unreadable(raw)
    return time(hour, minute)


def _local(day: date, at: time, tz: ZoneInfo) -> datetime:
    """Build a wall-clock time in the zone; refuse one that does not exist (the hour skipped in spring)."""
    local = datetime.combine(day, at, tzinfo=tz)
    if local.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != local.replace(tzinfo=None):
        raise UserError("time.nonexistent", time=at.strftime("%H:%M"), date=day.isoformat())
    return local


def _valid_date(year: int, month: int, day: int, raw: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise UserError("time.bad_date", value=raw.strip()[:60]) from None


def parse_moment(raw: str, now: datetime, zone: str) -> Moment:
    """Read a moment in the future from what a person typed, in the zone's local time.

    Raises UserError with a catalog text when it cannot be read, does not exist, or is not in the future.
    """
    tz = ZoneInfo(zone)
    value = _normalize(raw or "")
    if not value:
        raise _unreadable(raw or "")
    local_now = now.astimezone(tz)
    taken = _take_date(value, local_now.date())
    if taken is None:
        raise _unreadable(raw)
    found, rest = taken
    said_weekday = None
    if not isinstance(found, int) and (named := _WEEKDAY.search(rest)):
        # "tisdag 17 december": the weekday only confirms the date.
        said_weekday = WEEKDAYS[named[1]]
        rest = (rest[:named.start()] + " " + rest[named.end():]).strip()
    at = _take_time(rest, raw)
    clock = at or DATE_ONLY_TIME

    def later(moment: datetime) -> bool:
        # Without a time, a date is in time as long as the day itself has not passed.
        return moment > now if at is not None else moment.date() >= local_now.date()

    if isinstance(found, int):  # a weekday: the next such day after today
        ahead = (found - local_now.weekday() - 1) % 7 + 1
        moment = _local(local_now.date() + timedelta(days=ahead), clock, tz)
    elif isinstance(found, date):
        moment = _local(found, clock, tz)
    else:
        year, month, day = found
        if year is not None:
            moment = _local(_valid_date(year, month, day, raw), clock, tz)
        else:
            # The next such date: this year's if it is still to come, else the next year that has it (29 Feb).
            _valid_date(2028, month, day, raw)
            upcoming: datetime | None = None
            for candidate_year in range(local_now.year, local_now.year + 9):
                try:
                    candidate = _local(date(candidate_year, month, day), clock, tz)
                except ValueError:
                    continue
                if later(candidate):
                    upcoming = candidate
                    break
            if upcoming is None:  # pragma: no cover - every month/day pair recurs within eight years
                raise _unreadable(raw)
            moment = upcoming
    if said_weekday is not None and moment.weekday() != said_weekday:
        raise UserError("time.weekday_mismatch", when=When(moment.astimezone(UTC), zone, "date"))
    if not later(moment):
        raise UserError("time.past", when=When(moment.astimezone(UTC), zone, "full" if at else "date"))
    if moment - local_now > MAX_AHEAD:
        raise UserError("time.too_far", when=When(moment.astimezone(UTC), zone, "date"))
    return Moment(moment.astimezone(UTC), at is not None)


def parse_weekday(raw: str, error: str, *, field: Text | None = None) -> int:
    """Read a weekday as its ISO number (1 Monday … 7 Sunday): its Swedish or English name or abbreviation
    ("torsdag", "tors", "thursday", "thu"), or the number itself.

    Anything else is refused with the catalog text `error` (its {value} is what was typed); as that field's
    problem when `field` names one, so that a form reports it with its other problems.
    """
    folded = fold(raw)
    if folded.isdigit() and 1 <= int(folded) <= 7:
        return int(folded)
    if folded in WEEKDAYS:
        return WEEKDAYS[folded] + 1
    if field is not None:
        raise FieldProblem(field, text(error, value=raw[:20]))
    raise UserError(error, value=raw[:20])


def parse_date(raw: str, today: date) -> date:
    """Read a day that has already come ("2026-11-20", "20/11 2026", "20 nov", "i dag", "yesterday").

    A date without a year is the latest such date that is not in the future. Refuses a future date.
    """
    value = _normalize(raw or "")
    relative = {"igar": -1, "i gar": -1, "yesterday": -1}
    if value in relative:
        return today + timedelta(days=relative[value])
    taken = _take_date(value, today) if value else None
    if taken is None or taken[1].strip() or isinstance(taken[0], int):
        raise UserError("time.unreadable_date", value=(raw or "").strip()[:60])
    found = taken[0]
    if isinstance(found, date):
        day = found
    else:
        year, month, day_number = found
        if year is None:
            _valid_date(2028, month, day_number, raw)
            candidates = []
            for candidate_year in range(today.year, today.year - 9, -1):
                try:
                    candidates.append(date(candidate_year, month, day_number))
                except ValueError:
                    continue
            day = next(d for d in candidates if d <= today)
        else:
            day = _valid_date(year, month, day_number, raw)
    if day > today:
        raise UserError("time.future_date", value=(raw or "").strip()[:60])
    return day
