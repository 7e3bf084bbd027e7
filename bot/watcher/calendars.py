"""A body's meeting calendar (iCal), read with icalendar: each VEVENT is a meeting.

Times: a DTSTART with a TZID or in UTC is taken as it says; a floating one (no zone) is local time of the
workspace (Europe/Stockholm); an all-day event (a DATE) is kept at noon local time without a time.
Recurring events are NOT expanded: an event with an RRULE is one meeting at its DTSTART (municipal calendars
publish each meeting as an event of its own); a moved occurrence (RECURRENCE-ID) is a meeting of its own.
Cancelled events (STATUS:CANCELLED) are left out. An event's description may list the agenda items, and its
URL or ATTACH may be the agenda PDF.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import icalendar

from bot.watcher.agenda import Entry, MeetingTime, Unreadable, agenda_items, is_pdf_link, local_moment

MAX_EVENTS = 500


def _when(value: object, zone: str) -> MeetingTime | None:
    if isinstance(value, datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=ZoneInfo(zone))
        return MeetingTime(aware.astimezone(UTC), True)
    if isinstance(value, date):
        return local_moment(value, None, zone)
    return None


def parse_calendar(data: bytes, zone: str) -> list[Entry]:
    """The meetings of an iCalendar file; Unreadable when it is none."""
    try:
        calendar = icalendar.Calendar.from_ical(data)
    except (ValueError, IndexError, KeyError) as error:
        raise Unreadable(f"not iCalendar ({type(error).__name__})") from None
    if calendar.name != "VCALENDAR":
        raise Unreadable("not iCalendar")
    entries = []
    for event in calendar.walk("VEVENT")[:MAX_EVENTS]:
        if str(event.get("STATUS", "")).upper() == "CANCELLED" or event.get("DTSTART") is None:
            continue
        when = _when(event.decoded("DTSTART"), zone)
        if when is None:
            continue
        uid = str(event.get("UID", "")) or f"{event.get('SUMMARY', '')}@{when.starts_at.isoformat()}"
        if event.get("RECURRENCE-ID") is not None:
            uid = f"{uid}#{event.decoded('RECURRENCE-ID').isoformat()}"
        title = " ".join(str(event.get("SUMMARY", "")).split())
        description = str(event.get("DESCRIPTION", ""))
        url = str(event["URL"]) if event.get("URL") else None
        attachments = event.get("ATTACH", [])
        attachments = attachments if isinstance(attachments, list) else [attachments]
        pdfs = [str(found) for found in [url, *attachments] if found and is_pdf_link(str(found))]
        entries.append(Entry(uid=uid[:300], title=title[:300] or uid[:300], link=url, when=when,
                             items=tuple(agenda_items(description)), pdf_links=tuple(dict.fromkeys(pdfs))))
    return entries
