"""Read a moment the way people write it, in Swedish or English: "17 dec 18:00", "tisdag 18:00",
"tomorrow 9am".

Platform-neutral: the result is an aware UTC datetime, computed in the workspace's time zone (daylight saving
included). What is read is never moved to make it fit: a moment that has passed is refused as passed, with
what it was read as, so the person sees what the bot understood. Callers echo an accepted moment back as a
`When` (a Discord timestamp), for the same reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
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
                 "i overmorgon": 2, "overmorgon": 2, "day after tomorrow": 2,
                 # Read, so that a moment on them is refused as passed rather than as unreadable.
                 "igar": -1, "i gar": -1, "yesterday": -1,
                 "i forrgar": -2, "forrgar": -2, "day before yesterday": -2}
# Words that carry no meaning of their own: "den 17 december", "kl. 18", "on tuesday at 6pm", "nästa tisdag".
FILLER = {"den", "the", "on", "pa", "at", "kl", "klockan", "@", "nasta", "next", "om", "of"}
# Which of the two readings of a wall-clock time that comes twice (the night the clocks go back) is meant:
# True the one in summer (daylight saving) time, False the one in winter (standard) time.
SEASONS = {"sommartid": True, "summer time": True, "summertime": True, "daylight time": True,
           "vintertid": False, "normaltid": False, "winter time": False, "wintertime": False,
           "standard time": False}
# UTC offsets may be written with the time, as ISO 8601 does, for the same purpose: "02:30 +01:00".
MAX_OFFSET = timedelta(hours=14)

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
_NEXT = re.compile(r"\b(?:nasta|next)\b")
_TIME = re.compile(r"^(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?$")
_SEASON = re.compile(r"\b(" + "|".join(sorted(SEASONS, key=len, reverse=True)) + r")\b")
# Looked for in what is left once the date is taken, so the dashes of "2026-10-25" are never read as one.
_OFFSET = re.compile(r"(?:(?<=\d)|(?<!\S))(?:(?:utc|gmt)\s*)?([+-])(\d{1,2})(?::?(\d{2}))?$")


@dataclass(frozen=True)
class Moment:
    """A parsed moment: when (aware UTC), and whether a time of day was given or only a date."""

    at: datetime
    has_time: bool


def day_moment(day: date, zone: str) -> datetime:
    """The moment that stands for a whole local day (noon, so that it shows as that day in every zone)."""
    return datetime.combine(day, DATE_ONLY_TIME, tzinfo=ZoneInfo(zone)).astimezone(UTC)


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


def _take_marker(rest: str, raw: str) -> tuple[timedelta | bool | None, str, str]:
    """Find what says which reading of a doubled hour is meant: a UTC offset, or summer or winter time.

    Return it (None when there is none), the words that said it, and the rest of the text.
    """
    if match := _SEASON.search(rest):
        return SEASONS[match[1]], match[1], (rest[:match.start()] + " " + rest[match.end():]).strip()
    if match := _OFFSET.search(rest):
        offset = timedelta(hours=int(match[2]), minutes=int(match[3] or 0))
        if offset > MAX_OFFSET or int(match[3] or 0) > 59:
            raise _unreadable(raw)
        return (-offset if match[1] == "-" else offset), match[0].strip(), rest[:match.start()].strip()
    return None, "", rest


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


def _offset_text(offset: timedelta | None) -> str:
    minutes = int((offset or timedelta(0)).total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _local(day: date, at: time, zone: str, marker: timedelta | bool | None, said: str) -> datetime:
    """Build a wall-clock time in the zone, and ask rather than guess where that night makes it unclear.

    A time skipped when the clocks go forward does not exist: refused, with the times either side suggested.
    A time that comes twice when they go back is refused unless summer or winter time (or a UTC offset)
    says which is meant; both are offered as text to type. A UTC offset fixes the moment whatever the zone.
    """
    tz = ZoneInfo(zone)
    if isinstance(marker, timedelta):
        return datetime.combine(day, at, tzinfo=timezone(marker)).astimezone(tz)
    wall = datetime.combine(day, at)
    readings = {}
    for fold_ in (0, 1):
        reading = wall.replace(tzinfo=tz, fold=fold_)
        # A reading that does not come back as the same wall-clock time is in the hour the clocks skip.
        if reading.astimezone(UTC).astimezone(tz).replace(tzinfo=None) == wall:
            readings[reading.utcoffset()] = reading
    night = When(day_moment(day, zone), zone, "date")
    if not readings:
        before, after = (wall.replace(tzinfo=tz, fold=f).utcoffset() or timedelta(0) for f in (0, 1))
        skipped = abs(after - before)
        raise UserError("time.nonexistent", time=f"{at:%H:%M}", date=night,
                        later=f"{wall + skipped:%Y-%m-%d %H:%M}", earlier=f"{wall - skipped:%Y-%m-%d %H:%M}")
    if marker is not None:
        chosen = next((r for r in readings.values() if bool(r.dst()) == marker), None)
        if chosen is None:
            only = next(iter(readings.values()))
            raise UserError("time.season_mismatch", time=f"{at:%H:%M}", date=night, word=said,
                            season=text("time.season.summer" if only.dst() else "time.season.winter"))
        return chosen
    if len(readings) > 1:
        first, second = sorted(readings.values(), key=lambda r: r.astimezone(UTC))
        summer, winter = (second, first) if second.dst() and not first.dst() else (first, second)
        raise UserError("time.ambiguous", time=f"{at:%H:%M}", date=night, moment=f"{wall:%Y-%m-%d %H:%M}",
                        summer=_offset_text(summer.utcoffset()), winter=_offset_text(winter.utcoffset()))
    return next(iter(readings.values()))


def _valid_date(year: int, month: int, day: int, raw: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise UserError("time.bad_date", value=raw.strip()[:60]) from None


def _occurrences(month: int, day: int, years: range) -> list[date]:
    found = []
    for year in years:
        try:
            found.append(date(year, month, day))
        except ValueError:  # 29 February, in a year without it
            continue
    return found


def _nearest(month: int, day: int, today: date) -> date:
    """The occurrence of a day of the year nearest to today: the coming one up to half a year ahead, the last
    one up to half a year back (a tie goes to the coming one); 29 February may be further ahead."""
    near = _occurrences(month, day, range(today.year - 1, today.year + 2))
    if not near:
        return _occurrences(month, day, range(today.year + 2, today.year + 9))[0]
    return min(near, key=lambda d: (abs((d - today).days), d < today))


def parse_moment(raw: str, now: datetime, zone: str) -> Moment:
    """Read a moment in the future from what a person typed, in the zone's local time.

    - A weekday is the next such day on which the moment is still ahead: today when its time is still to
      come ("tisdag 18:00" on a Tuesday morning is today), otherwise a week later; "nästa tisdag"/"next
      tuesday" is never today.
    - "i dag", "i morgon", "i övermorgon", "igår", "i förrgår" (and English) count from today.
    - A date without a year is its occurrence nearest to today: "3 jan" typed in December is the coming
      January, while "5 dec" typed on 6 December is yesterday's date. A moment that has passed is refused as
      passed, never moved a year on; with a year, the year is as typed.
    - A date alone (no time of day) is kept at noon, and is in time for the whole of its day.
    - The night the clocks go back, a time that comes twice is asked about ("02:30 sommartid" or "02:30
      vintertid", or a UTC offset "02:30 +02:00" picks one); the night they go forward, a time that does not
      exist is refused with the times either side suggested.

    Raises UserError with a catalog text when it cannot be read, does not exist, is unclear, or is not in the
    future.
    """
    value = _normalize(raw or "")
    if not value:
        raise _unreadable(raw or "")
    local_now = now.astimezone(ZoneInfo(zone))
    today = local_now.date()
    taken = _take_date(value, today)
    if taken is None:
        raise _unreadable(raw)
    found, rest = taken
    said_weekday = None
    if not isinstance(found, int) and (named := _WEEKDAY.search(rest)):
        # "tisdag 17 december": the weekday only confirms the date.
        said_weekday = WEEKDAYS[named[1]]
        rest = (rest[:named.start()] + " " + rest[named.end():]).strip()
    marker, said, rest = _take_marker(rest, raw)
    at = _take_time(rest, raw)
    clock = at or DATE_ONLY_TIME

    def later(moment: datetime) -> bool:
        # Without a time, a date is in time as long as the day itself has not passed.
        return moment > now if at is not None else moment.date() >= today

    if isinstance(found, int):
        ahead = (found - today.weekday()) % 7
        if ahead == 0 and (_NEXT.search(value) or (at is not None and at <= local_now.time())):
            ahead = 7
        day = today + timedelta(days=ahead)
    elif isinstance(found, date):
        day = found
    else:
        year, month, day_number = found
        _valid_date(2028 if year is None else year, month, day_number, raw)  # 2028 has 29 February
        day = date(year, month, day_number) if year is not None else _nearest(month, day_number, today)
    moment = _local(day, clock, zone, marker, said)
    style = "full" if at is not None else "date"
    if said_weekday is not None and moment.weekday() != said_weekday:
        raise UserError("time.weekday_mismatch", when=When(moment.astimezone(UTC), zone, "date"))
    if not later(moment):
        raise UserError("time.past", value=raw.strip()[:60], when=When(moment.astimezone(UTC), zone, style))
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
    if folded.isascii() and folded.isdigit() and 1 <= int(folded) <= 7:
        return int(folded)
    if folded in WEEKDAYS:
        return WEEKDAYS[folded] + 1
    if field is not None:
        raise FieldProblem(field, text(error, value=raw[:20]))
    raise UserError(error, value=raw[:20])


def parse_date(raw: str, today: date, *, future: bool = False, on_or_after: date | None = None) -> date:
    """Read a day ("2026-11-20", "20/11 2026", "20 nov", "i dag", "igår", "tomorrow"): by default one that has
    come, and a future one is refused; with `future`, any day (the end of a date range may lie ahead).

    A date without a year is the latest such date that has come; with `future`, the first on or after
    `on_or_after` when it is given (the end of a range that starts then), else the one nearest to today.
    """
    value = _normalize(raw or "")
    taken = _take_date(value, today) if value else None
    if taken is None or taken[1].strip() or isinstance(taken[0], int):
        raise UserError("time.unreadable_date", value=(raw or "").strip()[:60])
    found = taken[0]
    if isinstance(found, date):
        day = found
    else:
        year, month, day_number = found
        _valid_date(2028 if year is None else year, month, day_number, raw)  # 2028 has 29 February
        if year is not None:
            day = date(year, month, day_number)
        elif not future:
            day = max(d for d in _occurrences(month, day_number, range(today.year - 8, today.year + 1))
                      if d <= today)
        elif on_or_after is not None:
            first_year = on_or_after.year
            day = min(d for d in _occurrences(month, day_number, range(first_year, first_year + 9))
                      if d >= on_or_after)
        else:
            day = _nearest(month, day_number, today)
    if day > today and not future:
        raise UserError("time.future_date", value=(raw or "").strip()[:60])
    return day
