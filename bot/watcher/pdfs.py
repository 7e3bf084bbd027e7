"""An agenda PDF's text (pypdf reads its text layer; there is no OCR) and its agenda items: the lines that
repeat at the top or bottom of the pages (headers, footers) and page numbers are dropped first."""

from __future__ import annotations

import io
import logging
import re
from collections import Counter

from pypdf import PdfReader
from pypdf.errors import PyPdfError

from bot.watcher import agenda

log = logging.getLogger(__name__)

# "Sida 2 av 5", "Sida 2", "2 (5)", "- 2 -", "Page 2 of 5", a bare number.
_PAGE_NUMBER = re.compile(r"^(?:(?:sida|page)\s+\d+(?:\s*(?:av|of|/)\s*\d+)?|\d+\s*\(\d+\)|-\s*\d+\s*-|\d+)$",
                          re.IGNORECASE)
# How many lines at each end of a page may be a header or footer.
EDGE_LINES = 3
# More pages are not read: an agenda's items come first, attachments after.
MAX_PAGES = 40


class NoTextLayer(Exception):
    """A PDF without text to read (a scan): no items, and the source says so."""


class UnreadablePdf(Exception):
    """Not a PDF, or one pypdf cannot open."""


def page_texts(data: bytes) -> list[str]:
    """The text of each page; NoTextLayer when no page has any, UnreadablePdf when it is no PDF."""
    try:
        reader = PdfReader(io.BytesIO(data))
        texts = [page.extract_text() or "" for page in reader.pages[:MAX_PAGES]]
    except (PyPdfError, ValueError, KeyError, TypeError) as error:
        log.info("Unreadable PDF: %s", type(error).__name__)
        raise UnreadablePdf from None
    if not any(text.strip() for text in texts):
        raise NoTextLayer
    return texts


def body_text(pages: list[str]) -> str:
    """The pages' text without headers, footers and page numbers: a line that stands at the top or bottom of
    more than one page (in any page's words) is the page's furniture, not the agenda."""
    page_lines = [[line.strip() for line in page.splitlines() if line.strip()] for page in pages]
    edges: Counter[str] = Counter()
    for lines in page_lines:
        edges.update({_furniture_key(line) for line in lines[:EDGE_LINES] + lines[-EDGE_LINES:]})
    repeated = {key for key, count in edges.items() if count > 1} if len(pages) > 1 else set()
    kept = []
    for lines in page_lines:
        for position, line in enumerate(lines):
            at_edge = position < EDGE_LINES or position >= len(lines) - EDGE_LINES
            if _PAGE_NUMBER.match(line) or (at_edge and _furniture_key(line) in repeated):
                continue
            kept.append(line)
    return "\n".join(kept)


def _furniture_key(line: str) -> str:
    """A header or footer line with its page number taken out ("Sida 2 av 5" and "Sida 3 av 5" are one)."""
    return re.sub(r"\d+", "#", line.casefold())


def agenda_items(data: bytes) -> tuple[list[tuple[str, str]], str]:
    """An agenda PDF's items (number, title) and its text without the page furniture."""
    text = body_text(page_texts(data))
    return agenda.agenda_items(text), text
