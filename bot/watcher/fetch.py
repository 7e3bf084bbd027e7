"""One polite GET: conditional (If-None-Match / If-Modified-Since), with connect and read timeouts, a size
cap, redirects followed a few times, and a User-Agent that names the bot and where to reach its makers.

Errors are reduced to a short reason ("HTTP 404", "timeout", "too large") that is stored on the source and
logged: never the URL's query (it may carry a key) nor the server's body.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import httpx2

log = logging.getLogger(__name__)

# Who is asking: a municipality's web team may want to know (with WATCH_CONTACT_URL, where to reach them).
USER_AGENT = "Jobbskaparna-bot/1.0 (agenda watcher)"


def user_agent(contact: str | None) -> str:
    """The User-Agent naming the bot and, when set, its operators' contact link."""
    return f"Jobbskaparna-bot/1.0 (agenda watcher; +{contact})" if contact else USER_AGENT
CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 30.0
# The whole download, however slowly it trickles in.
TOTAL_TIMEOUT = 60.0
# Agenda PDFs with their attachments run to a few MB; more is not an agenda.
MAX_BYTES = 10 * 1024 * 1024
MAX_REDIRECTS = 5
# Statuses whose Retry-After is honoured.
RETRY_AFTER_STATUSES = (429, 503)


class FetchError(Exception):
    """A fetch that failed: a short reason to store and log, and the server's Retry-After when it gave one."""

    def __init__(self, reason: str, retry_at: datetime | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_at = retry_at


@dataclass(frozen=True)
class Fetched:
    """A 200 answer's body and its validators; `not_modified` for a 304 (no body)."""

    body: bytes = b""
    etag: str | None = None
    last_modified: str | None = None
    content_type: str = ""
    not_modified: bool = False


def retry_at(value: str | None, now: datetime) -> datetime | None:
    """When a Retry-After header says to come back: seconds, or an HTTP date; None when unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return now + timedelta(seconds=int(value))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return when.astimezone(UTC) if when.tzinfo else when.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Fetcher:
    """How the watcher fetches; tests shorten the timeouts."""

    connect_timeout: float = CONNECT_TIMEOUT
    read_timeout: float = READ_TIMEOUT
    total_timeout: float = TOTAL_TIMEOUT
    max_bytes: int = MAX_BYTES
    user_agent: str = USER_AGENT

    def client(self) -> httpx2.AsyncClient:
        """A client for one poll (a source's feed and the PDFs it links to)."""
        return httpx2.AsyncClient(
            timeout=httpx2.Timeout(self.read_timeout, connect=self.connect_timeout),
            follow_redirects=True, max_redirects=MAX_REDIRECTS, headers={"User-Agent": self.user_agent})

    async def get(self, client: httpx2.AsyncClient, url: str, now: datetime, *, etag: str | None = None,
                  last_modified: str | None = None) -> Fetched:
        """GET a URL, conditionally when validators are given; raise FetchError with a short reason."""
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        try:
            async with asyncio.timeout(self.total_timeout):
                return await self._get(client, url, headers, now)
        except TimeoutError:
            raise FetchError("timeout") from None
        except httpx2.TimeoutException:
            raise FetchError("timeout") from None
        except httpx2.TooManyRedirects:
            raise FetchError("too many redirects") from None
        except httpx2.HTTPError as error:
            # The class name only: the message may repeat the URL (and a key in its query).
            log.info("Fetch failed: %s", type(error).__name__)
            raise FetchError("connection failed") from None

    async def _get(self, client: httpx2.AsyncClient, url: str, headers: dict[str, str], now: datetime
                   ) -> Fetched:
        async with client.stream("GET", url, headers=headers) as response:
            if response.status_code == 304:
                return Fetched(not_modified=True, etag=response.headers.get("ETag"),
                               last_modified=response.headers.get("Last-Modified"))
            if response.status_code != 200:
                later = (retry_at(response.headers.get("Retry-After"), now)
                         if response.status_code in RETRY_AFTER_STATUSES else None)
                raise FetchError(f"HTTP {response.status_code}", later)
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > self.max_bytes:
                raise FetchError("too large")
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body.extend(chunk)
                if len(body) > self.max_bytes:
                    raise FetchError("too large")
            content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
            return Fetched(body=bytes(body), etag=response.headers.get("ETag"),
                           last_modified=response.headers.get("Last-Modified"), content_type=content_type)
