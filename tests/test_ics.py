"""Calendar files as RFC 5545 wants them: CRLF, folded lines, escaped text, UTC times, stable UIDs."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot import ics

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def unfold(data: bytes) -> list[str]:
    return data.decode("utf-8").replace("\r\n ", "").split("\r\n")


def test_a_calendar_has_crlf_lines_of_at_most_75_octets():
    long_text = (
        "Kommunen föreslår att ta bort 200 parkeringsplatser på Stortorget; handlarna är oroliga, " * 4
    )
    data = ics.calendar("Beslut", [ics.Event("issue-1@x", datetime(2026, 12, 17, 17, 0, tzinfo=UTC),
                                             "Beslut: Parkering", description=long_text)], NOW)

    assert data.endswith(b"\r\n")
    assert b"\n" not in data.replace(b"\r\n", b"")
    for line in data.split(b"\r\n"):
        assert len(line) <= 75, line
    # Folding never splits a character: every physical line is valid UTF-8 on its own.
    for line in data.split(b"\r\n"):
        line.decode("utf-8")


def test_times_are_utc_and_text_is_escaped():
    lines = unfold(ics.calendar("Beslut, Blekinge", [
        ics.Event("issue-1@x", datetime(2026, 12, 17, 17, 0, tzinfo=UTC), "Parkering; centrum, Karlskrona",
                  description="Rad ett\nRad två \\ slut", location="KF, Karlskrona", sequence=2,
                  last_modified=NOW, url="https://karlskrona.se/kf"),
    ], NOW))

    assert lines[:6] == ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{ics.PRODID}", "CALSCALE:GREGORIAN",
                         "METHOD:PUBLISH", "X-WR-CALNAME:Beslut\\, Blekinge"]
    event = lines[lines.index("BEGIN:VEVENT"):lines.index("END:VEVENT") + 1]
    assert "UID:issue-1@x" in event
    assert "DTSTAMP:20261201T090000Z" in event
    assert "DTSTART:20261217T170000Z" in event and "DTEND:20261217T190000Z" in event
    assert "SUMMARY:Parkering\\; centrum\\, Karlskrona" in event
    assert "DESCRIPTION:Rad ett\\nRad två \\\\ slut" in event
    assert "SEQUENCE:2" in event and "LAST-MODIFIED:20261201T090000Z" in event
    assert "URL:https://karlskrona.se/kf" in event
    assert lines[-2:] == ["END:VCALENDAR", ""]


def test_a_date_without_a_time_is_an_all_day_event():
    lines = unfold(ics.calendar("B", [ics.Event("u", date(2026, 12, 17), "S")], NOW))

    assert "DTSTART;VALUE=DATE:20261217" in lines and "DTEND;VALUE=DATE:20261218" in lines


def test_folding_counts_octets_not_characters():
    line = "SUMMARY:" + "å" * 60  # 8 + 120 octets
    folded = ics.fold(line)

    parts = folded.split("\r\n")
    assert all(len(p.encode()) <= 75 for p in parts)
    assert all(p.startswith(" ") for p in parts[1:])
    assert folded.replace("\r\n ", "") == line
