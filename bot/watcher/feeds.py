"""RSS 2.0 and Atom feeds of a municipality's notice board (anslagstavlan), read with feedparser: each entry
("Kungörelse: Kommunfullmäktige sammanträder 17 december 2026 kl. 18.00") is a meeting when it names a date,
with the agenda items its text lists and the agenda PDFs it links to."""

from __future__ import annotations

import html
from html.parser import HTMLParser
from urllib.parse import urljoin
from xml.sax import SAXParseException

import feedparser

from bot.watcher.agenda import Entry, Unreadable, agenda_items, find_meeting_time, is_pdf_link

MAX_ENTRIES = 100


class _Text(HTMLParser):
    """An entry's HTML as lines of text: list items of a numbered list get their numbers, links are kept."""

    def __init__(self, base: str) -> None:
        super().__init__(convert_charrefs=True)
        self.base = base
        self.parts: list[str] = []
        self.links: list[str] = []
        self._lists: list[int | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("p", "br", "div", "tr", "h1", "h2", "h3", "h4"):
            self.parts.append("\n")
        elif tag == "ol":
            self._lists.append(0)
        elif tag == "ul":
            self._lists.append(None)
        elif tag == "li":
            counter = self._lists[-1] if self._lists else None
            if counter is None:
                self.parts.append("\n")
            else:
                self._lists[-1] = counter + 1
                self.parts.append(f"\n{counter + 1}. ")
        elif tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.links.append(urljoin(self.base, href))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("ol", "ul") and self._lists:
            self._lists.pop()
        if tag in ("p", "li", "div", "tr"):
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def _text_and_links(markup: str, base: str) -> tuple[str, list[str]]:
    reader = _Text(base)
    reader.feed(markup)
    reader.close()
    return html.unescape("".join(reader.parts)), reader.links


def parse_feed(data: bytes, url: str, zone: str) -> list[Entry]:
    """The entries of an RSS or Atom feed; Unreadable when it is no feed (bad XML with nothing read, HTML)."""
    # Bytes, never a str: feedparser would take a str for a URL or a path and read it.
    parsed = feedparser.parse(data, response_headers={"content-location": url})
    # Not well-formed (a cut download, a broken export): what feedparser's lenient parser salvages of it may
    # be half an entry, so none is taken. Other irregularities it reports (a declared encoding that was not
    # the real one) are read through.
    if isinstance(parsed.get("bozo_exception"), SAXParseException):
        raise Unreadable("bad XML")
    if not parsed.version:
        raise Unreadable("not a feed")
    entries = []
    for raw in parsed.entries[:MAX_ENTRIES]:
        title = " ".join(str(raw.get("title", "")).split())
        link = urljoin(url, raw["link"]) if raw.get("link") else None
        # Atom's content, else RSS's description (feedparser gives Atom's content as the summary too).
        contents = [str(content.get("value", "")) for content in raw.get("content", [])]
        markup = "\n".join(contents) if contents else str(raw.get("summary", ""))
        text, links = _text_and_links(markup, url)
        pdfs = [urljoin(url, found["href"]) for found in raw.get("links", [])
                if found.get("href") and is_pdf_link(found["href"], found.get("type"))]
        pdfs += [found for found in links if is_pdf_link(found)]
        uid = str(raw.get("id") or link or title)
        entries.append(Entry(
            uid=uid[:300], title=title[:300] or uid[:300], link=link,
            when=find_meeting_time(f"{title}\n{text}", zone),
            items=tuple(dict.fromkeys(agenda_items(text))), pdf_links=tuple(dict.fromkeys(pdfs))))
    return entries
