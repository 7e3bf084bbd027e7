"""Realistic Swedish test files for the agenda watcher, made here: notice board feeds (RSS 2.0 and Atom), a
meeting calendar (iCal), agenda PDFs made with fpdf2 (the extractor reads with pypdf), and broken ones."""

from __future__ import annotations

import struct
import zlib

from fpdf import FPDF

KF_NOTICE = "Kungörelse: Kommunfullmäktige sammanträder 17 december 2026 kl. 18.00"


def rss(entries: list[tuple[str, str, str, str]]) -> bytes:
    """An RSS 2.0 notice board: entries of (guid, title, link, HTML description)."""
    items = "".join(
        f"<item><guid isPermaLink=\"false\">{guid}</guid><title>{title}</title><link>{link}</link>"
        f"<pubDate>Mon, 30 Nov 2026 08:00:00 +0100</pubDate>"
        f"<description><![CDATA[{html}]]></description></item>"
        for guid, title, link, html in entries)
    return ("<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\"><channel>"
            "<title>Karlskrona kommuns anslagstavla</title><link>https://www.karlskrona.se/anslagstavla</link>"
            f"<description>Kungörelser och protokoll</description>{items}</channel></rss>").encode()


def kf_notice(base: str, guid: str = "kf-2026-12-17", pdf: str | None = None) -> tuple[str, str, str, str]:
    """The council's notice of its meeting, listing the agenda, optionally linking the agenda PDF."""
    link = f"<p><a href=\"{pdf}\">Föredragningslista (pdf)</a></p>" if pdf else ""
    html = ("<p>Kommunfullmäktige sammanträder torsdagen den 17 december 2026 kl. 18.00 i "
            "Hogland, Rådhuset.</p><p>Ärenden:</p><ol><li>Val av justerare</li>"
            "<li>Motion om parkering vid Stortorget, KS 2026/123</li>"
            "<li>Budget 2027 för Karlskrona kommun (Dnr KS 2026/88)</li></ol>" + link)
    return guid, KF_NOTICE, f"{base}/anslagstavla/{guid}", html


def atom(entries: list[tuple[str, str, str, str]]) -> bytes:
    """An Atom notice board: entries of (id, title, link, HTML content)."""
    body = "".join(
        f"<entry><id>{entry_id}</id><title>{title}</title><link href=\"{link}\"/>"
        f"<updated>2026-11-30T08:00:00+01:00</updated><content type=\"html\"><![CDATA[{html}]]></content>"
        "</entry>" for entry_id, title, link, html in entries)
    return ("<?xml version=\"1.0\" encoding=\"utf-8\"?><feed xmlns=\"http://www.w3.org/2005/Atom\">"
            "<title>Ronneby kommun – anslagstavla</title><id>urn:ronneby:anslagstavla</id>"
            f"<updated>2026-11-30T08:00:00+01:00</updated>{body}</feed>").encode()


BROKEN_XML = b"<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Trasig</title><item><title>Kung"


def ics(events: str) -> bytes:
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Karlskrona kommun//Sammanträden//SV\r\n"
            + events + "END:VCALENDAR\r\n").encode()


MEETINGS_ICS = ics(
    # In Stockholm's zone (winter time: UTC+1), with the agenda PDF and the items in the description.
    "BEGIN:VEVENT\r\nUID:ks-2026-12-08@karlskrona.se\r\nDTSTAMP:20261120T080000Z\r\n"
    "DTSTART;TZID=Europe/Stockholm:20261208T090000\r\nSUMMARY:Kommunstyrelsen\r\n"
    "DESCRIPTION:Ärenden:\\n1. Ny parkeringsnorm för centrum\\, KS 2026/130\\n2. Taxa för torghandel\r\n"
    "END:VEVENT\r\n"
    # Floating time: local time of the workspace.
    "BEGIN:VEVENT\r\nUID:kf-2026-12-17@karlskrona.se\r\nDTSTAMP:20261120T080000Z\r\n"
    "DTSTART:20261217T180000\r\nSUMMARY:Kommunfullmäktige\r\nEND:VEVENT\r\n"
    # All day: the date only.
    "BEGIN:VEVENT\r\nUID:bn-2027-01-14@karlskrona.se\r\nDTSTAMP:20261120T080000Z\r\n"
    "DTSTART;VALUE=DATE:20270114\r\nSUMMARY:Byggnadsnämnden\r\nEND:VEVENT\r\n"
    # Cancelled: left out.
    "BEGIN:VEVENT\r\nUID:ks-2026-12-15@karlskrona.se\r\nDTSTAMP:20261120T080000Z\r\n"
    "DTSTART:20261215T080000Z\r\nSUMMARY:Kommunstyrelsen (inställt)\r\nSTATUS:CANCELLED\r\nEND:VEVENT\r\n"
    # Recurring: one meeting at its DTSTART, the rule not expanded.
    "BEGIN:VEVENT\r\nUID:au-series@karlskrona.se\r\nDTSTAMP:20261120T080000Z\r\n"
    "DTSTART:20261203T080000Z\r\nRRULE:FREQ=WEEKLY;COUNT=4\r\nSUMMARY:Arbetsutskottet\r\nEND:VEVENT\r\n")

AGENDA_PAGES = [
    ["Föredragningslista", "Kommunfullmäktige 2026-12-17 kl. 18.00, Rådhuset", "",
     "1. Val av justerare",
     "2. Motion om parkering vid Stortorget",
     "Dnr KS 2026/123",
     "Föredragande: kommunalråd Eva Ek",
     "3. Medborgarförslag om belysning längs",
     "gång- och cykelvägen vid Amiralitetsparken, KS 2026/77"],
    ["§ 12 Ändring av taxa för bygglov (BN 2026/45)",
     "Ärende 13: Upphandling av skolskjuts, KS.2026.201"],
]


def agenda_pdf(pages: list[list[str]] = AGENDA_PAGES) -> bytes:
    """An agenda PDF with a text layer, made with fpdf2: each page has the municipality's header and a
    "Sida n av m" footer, which are not agenda items."""
    pdf = FPDF()
    pdf.set_auto_page_break(False)
    for number, lines in enumerate(pages, start=1):
        pdf.add_page()
        pdf.set_font("helvetica", size=9)
        pdf.set_xy(10, 8)
        pdf.cell(0, 5, "KARLSKRONA KOMMUN  Kommunfullmäktige")
        pdf.set_font("helvetica", size=11)
        y = 25.0
        for line in lines:
            pdf.set_xy(15, y)
            pdf.cell(0, 6, line)
            y += 8
        pdf.set_font("helvetica", size=9)
        pdf.set_xy(10, 285)
        pdf.cell(0, 5, f"Sida {number} av {len(pages)}")
    return bytes(pdf.output())


def _png(width: int, height: int) -> bytes:
    """A grey PNG: what a scanner makes of a page, as far as a text extractor is concerned."""
    raw = b"".join(b"\x00" + b"\x80" * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw))
            + chunk(b"IEND", b""))


def scanned_pdf() -> bytes:
    """A scanned agenda: one page that is an image only, no text layer."""
    import io
    pdf = FPDF()
    pdf.add_page()
    pdf.image(io.BytesIO(_png(60, 80)), x=10, y=10, w=190)
    return bytes(pdf.output())
