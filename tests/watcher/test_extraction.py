"""Extraction without a network or a database: feeds, calendars, agenda PDFs (made with fpdf2, read with
pypdf), the Swedish dates and numbered lines of an agenda, and the fingerprint that stores an item once."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.watcher import agenda, calendars, feeds, pdfs
from bot.watcher.agenda import Unreadable
from tests.watcher import files

ZONE = "Europe/Stockholm"
BASE = "https://www.karlskrona.se"


def test_an_rss_notice_is_a_meeting_with_its_agenda_items_and_pdf():
    data = files.rss([files.kf_notice(BASE, pdf="/download/18.1/fredragningslista-kf-2026-12-17.pdf")])

    [entry] = feeds.parse_feed(data, f"{BASE}/anslagstavla.rss", ZONE)

    assert entry.uid == "kf-2026-12-17" and entry.title == files.KF_NOTICE
    # 18.00 in Stockholm in December is 17:00 UTC.
    assert entry.when == agenda.MeetingTime(datetime(2026, 12, 17, 17, 0, tzinfo=UTC), True)
    assert entry.items == (("1", "Val av justerare"), ("2", "Motion om parkering vid Stortorget"),
                           ("3", "Budget 2027 för Karlskrona kommun"))
    # A relative link is resolved against the feed's address.
    assert entry.pdf_links == (f"{BASE}/download/18.1/fredragningslista-kf-2026-12-17.pdf",)


def test_an_atom_feed_is_read_as_well():
    data = files.atom([("urn:ronneby:ks-2027-01-12", "Kallelse Kommunstyrelsen 12 januari 2027",
                        "https://www.ronneby.se/ks-2027-01-12",
                        "<p>Sammanträde 2027-01-12 kl 13:30.</p><p>§ 4 Ny översiktsplan för Ronneby</p>")])

    [entry] = feeds.parse_feed(data, "https://www.ronneby.se/anslagstavla.atom", ZONE)

    assert entry.uid == "urn:ronneby:ks-2027-01-12" and entry.link == "https://www.ronneby.se/ks-2027-01-12"
    assert entry.when == agenda.MeetingTime(datetime(2027, 1, 12, 12, 30, tzinfo=UTC), True)
    assert entry.items == (("§ 4", "Ny översiktsplan för Ronneby"),)
    assert entry.pdf_links == ()


@pytest.mark.parametrize(("data", "reason"), [
    (files.BROKEN_XML, "bad XML"),
    (b"<html><body><h1>Anslagstavla</h1></body></html>", "not a feed"),
])
def test_what_is_no_feed_is_unreadable_with_a_short_reason(data: bytes, reason: str):
    with pytest.raises(Unreadable) as raised:
        feeds.parse_feed(data, f"{BASE}/anslagstavla.rss", ZONE)

    assert raised.value.reason == reason


def test_a_calendars_events_are_meetings_in_the_right_zone():
    entries = {entry.uid: entry for entry in calendars.parse_calendar(files.MEETINGS_ICS, ZONE)}

    # The cancelled meeting is left out; the recurring one is one meeting at its DTSTART.
    assert set(entries) == {"ks-2026-12-08@karlskrona.se", "kf-2026-12-17@karlskrona.se",
                            "bn-2027-01-14@karlskrona.se", "au-series@karlskrona.se"}
    ks = entries["ks-2026-12-08@karlskrona.se"]
    assert ks.when == agenda.MeetingTime(datetime(2026, 12, 8, 8, 0, tzinfo=UTC), True)
    assert ks.title == "Kommunstyrelsen"
    assert ks.items == (("1", "Ny parkeringsnorm för centrum"), ("2", "Taxa för torghandel"))
    # Floating: Stockholm's local time.
    assert entries["kf-2026-12-17@karlskrona.se"].when == agenda.MeetingTime(
        datetime(2026, 12, 17, 17, 0, tzinfo=UTC), True)
    # All day: noon local time, without a time.
    assert entries["bn-2027-01-14@karlskrona.se"].when == agenda.MeetingTime(
        datetime(2027, 1, 14, 11, 0, tzinfo=UTC), False)
    assert entries["au-series@karlskrona.se"].when == agenda.MeetingTime(
        datetime(2026, 12, 3, 8, 0, tzinfo=UTC), True)


def test_what_is_no_calendar_is_unreadable():
    with pytest.raises(Unreadable):
        calendars.parse_calendar("Det här är ingen kalender".encode(), ZONE)


def test_an_agenda_pdfs_items_without_headers_footers_or_diarienummer():
    items, text = pdfs.agenda_items(files.agenda_pdf())

    assert items == [
        ("1", "Val av justerare"),
        ("2", "Motion om parkering vid Stortorget"),
        # Wrapped onto the next line: joined; its diarienummer stripped.
        ("3", "Medborgarförslag om belysning längs gång- och cykelvägen vid Amiralitetsparken"),
        ("§ 12", "Ändring av taxa för bygglov"),
        ("Ärende 13", "Upphandling av skolskjuts"),
    ]
    # The header on every page and the page numbers are gone; the heading is kept.
    assert "KARLSKRONA KOMMUN" not in text and "Sida" not in text
    assert text.splitlines()[0] == "Föredragningslista"
    assert agenda.find_meeting_time(text, ZONE) == agenda.MeetingTime(
        datetime(2026, 12, 17, 17, 0, tzinfo=UTC), True)


def test_a_scanned_pdf_has_no_text_layer_and_a_non_pdf_is_unreadable():
    with pytest.raises(pdfs.NoTextLayer):
        pdfs.agenda_items(files.scanned_pdf())
    with pytest.raises(pdfs.UnreadablePdf):
        pdfs.agenda_items(b"<html>Sidan finns inte</html>")


@pytest.mark.parametrize(("typed", "stripped"), [
    ("Motion om parkering vid Stortorget, KS 2026/123", "Motion om parkering vid Stortorget"),
    ("Dnr KS 2026/123 Motion om parkering", "Motion om parkering"),
    ("Taxa för bygglov (BN 2026/45-2)", "Taxa för bygglov"),
    ("Upphandling av skolskjuts – Dnr: 2026-201", "Upphandling av skolskjuts"),
    ("Skolskjuts KS.2026.201", "Skolskjuts"),
    # A date is no diarienummer.
    ("Budget 2027 och sammanträdet 2026-12-17", "Budget 2027 och sammanträdet 2026-12-17"),
])
def test_a_diarienummer_is_stripped_from_a_title(typed: str, stripped: str):
    assert agenda.strip_diarienummer(typed) == stripped


@pytest.mark.parametrize(("said", "expected"), [
    ("Kommunfullmäktige sammanträder 17 december 2026 kl. 18.00", datetime(2026, 12, 17, 17, 0, tzinfo=UTC)),
    ("Sammanträde den 3:e mars 2027, klockan 9", datetime(2027, 3, 3, 8, 0, tzinfo=UTC)),
    # Summer time: UTC+2.
    ("Byggnadsnämnden 2027-06-10 13.15", datetime(2027, 6, 10, 11, 15, tzinfo=UTC)),
])
def test_a_meetings_time_is_read_from_swedish_text(said: str, expected: datetime):
    found = agenda.find_meeting_time(said, ZONE)

    assert found is not None and found.starts_at == expected and found.has_time


def test_a_date_without_a_time_is_noon_without_a_time_and_no_date_is_none():
    assert agenda.find_meeting_time("Kommunstyrelsen 12 januari 2027", ZONE) == agenda.MeetingTime(
        datetime(2027, 1, 12, 11, 0, tzinfo=UTC), False)
    assert agenda.find_meeting_time("Protokoll från kommunstyrelsen", ZONE) is None


def test_the_same_item_written_differently_has_one_fingerprint_and_another_meeting_another():
    day = date(2026, 12, 17)
    one = agenda.fingerprint("Motion om parkering vid Stortorget", "kommunfullmaktige", None, day)

    assert agenda.fingerprint("  MOTION om parkering  vid Stortorget.", "kommunfullmaktige", None, day) == one
    assert agenda.fingerprint("Motion om parkering vid Stortorget", "kommunstyrelsen", None, day) != one
    assert agenda.fingerprint("Motion om parkering vid Stortorget", "kommunfullmaktige", None,
                              date(2027, 1, 28)) != one
