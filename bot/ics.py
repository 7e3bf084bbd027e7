"""iCalendar (RFC 5545) files: CRLF line endings, lines folded at 75 octets, text escaped, times in UTC."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

LINE_OCTETS = 75
PRODID = "-//Jobbskaparna//Beslut//SV"


@dataclass(frozen=True)
class Event:
    """One calendar event: a decision."""

    uid: str
    start: datetime | date  # a date for an all-day event
    summary: str
    description: str = ""
    location: str = ""
    url: str | None = None
    sequence: int = 0
    last_modified: datetime | None = None
    duration: timedelta = timedelta(hours=2)


def escape(value: str) -> str:
    """Escape a TEXT value: backslash, semicolon, comma and line breaks."""
    return (value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n"))


def fold(line: str) -> str:
    """Fold a content line into lines of at most 75 octets, never inside a UTF-8 character."""
    encoded = line.encode("utf-8")
    if len(encoded) <= LINE_OCTETS:
        return line
    parts: list[str] = []
    current = ""
    size = 0
    limit = LINE_OCTETS
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            parts.append(current)
            # A continuation line starts with one space, which counts towards its 75 octets.
            current, size, limit = char, width, LINE_OCTETS - 1
        else:
            current += char
            size += width
    parts.append(current)
    return "\r\n ".join(parts)


def _utc(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def calendar(name: str, events: Iterable[Event], now: datetime) -> bytes:
    """Build a calendar file with one VEVENT per event."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN", "METHOD:PUBLISH",
             f"X-WR-CALNAME:{escape(name)}"]
    for event in events:
        lines += ["BEGIN:VEVENT", f"UID:{event.uid}", f"DTSTAMP:{_utc(now)}"]
        if isinstance(event.start, datetime):
            lines += [f"DTSTART:{_utc(event.start)}", f"DTEND:{_utc(event.start + event.duration)}"]
        else:
            lines += [f"DTSTART;VALUE=DATE:{event.start:%Y%m%d}",
                      f"DTEND;VALUE=DATE:{event.start + timedelta(days=1):%Y%m%d}"]
        lines += [f"SEQUENCE:{event.sequence}", f"SUMMARY:{escape(event.summary)}"]
        if event.description:
            lines.append(f"DESCRIPTION:{escape(event.description)}")
        if event.location:
            lines.append(f"LOCATION:{escape(event.location)}")
        if event.url:
            lines.append(f"URL:{event.url}")
        if event.last_modified is not None:
            lines.append(f"LAST-MODIFIED:{_utc(event.last_modified)}")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines).encode("utf-8")
