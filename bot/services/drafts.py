"""Drafts for members to post themselves: length as X counts it, hashtags, handles and share links.

The bot never posts for a member: it hands them a text and links that open X, LinkedIn or Facebook with
the text filled in.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot import contributions
from bot.i18n import translate
from bot.replies import Link, text
from bot.validation import FieldProblem

X_LIMIT = 280
# X shortens every link to t.co: a link counts 23 characters whatever its length.
X_URL_LENGTH = 23
# twitter-text v3: these code point ranges weigh 1, everything else (CJK, emoji, …) weighs 2.
_LIGHT_RANGES = ((0x0000, 0x10FF), (0x2000, 0x200D), (0x2010, 0x201F), (0x2032, 0x2037))
_URL = re.compile(r"(?:https?://|www\.)[^\s]+|\b[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.(?:se|com|nu|org|net|eu|io)"
                  r"(?:/[^\s]*)?", re.IGNORECASE)
_HASHTAG = re.compile(r"^[\w]+$")
_HANDLE = re.compile(r"^[A-Za-z0-9_]{1,15}$")


def _weight(char: str) -> int:
    code = ord(char)
    return 1 if any(low <= code <= high for low, high in _LIGHT_RANGES) else 2


def x_length(post: str) -> int:
    """Count a post as X does: NFC, links as 23, emoji and CJK double."""
    post = unicodedata.normalize("NFC", post)
    total, last = 0, 0
    for match in _URL.finditer(post):
        total += _weighted(post[last:match.start()]) + X_URL_LENGTH
        last = match.end()
    return total + _weighted(post[last:])


def _weighted(segment: str) -> int:
    total = 0
    skip_joined = False
    for char in segment:
        if skip_joined:
            skip_joined = False
            continue
        if char == "\u200d":  # an emoji joined to the previous one counts with it
            skip_joined = True
            continue
        if (
            unicodedata.category(char) == "Mn"
            or 0xFE00 <= ord(char) <= 0xFE0F
            or 0x1F3FB <= ord(char) <= 0x1F3FF
        ):
            continue  # combining marks, variation selectors and skin tones add nothing
        total += _weight(char)
    return total


def fits_x(post: str) -> bool:
    """Tell whether a post fits X's limit."""
    return x_length(post) <= X_LIMIT


def normalize_hashtag(raw: str) -> str:
    """Return a hashtag as #word (letters, digits, _; å, ä, ö welcome), or raise a FieldProblem."""
    tag = (raw or "").strip().removeprefix("#")
    if not tag or not _HASHTAG.match(tag) or tag.isdigit() or len(tag) > 100:
        raise FieldProblem(text("field.hashtag"), text("errors.hashtag", value=(raw or "")[:40]))
    return "#" + tag


def handle(raw: str | None) -> str | None:
    """Return an X handle as @name, or None when there is none."""
    name = (raw or "").strip().removeprefix("@")
    return "@" + name if name and _HANDLE.match(name) else None


def share_links(post: str, url: str | None = None, hashtag: str | None = None) -> tuple[Link, ...]:
    """Links that open X, LinkedIn and Facebook with the post filled in; the member posts it themselves."""
    x = "https://x.com/intent/post?" + urlencode({"text": post}, quote_via=quote)
    linkedin = "https://www.linkedin.com/feed/?" + urlencode(
        {"shareActive": "true", "text": post}, quote_via=quote
    )
    # Facebook shares a link and lets the member write around it; without one, share the campaign's hashtag
    # page.
    target = url or (f"https://x.com/hashtag/{hashtag.removeprefix('#')}" if hashtag else "https://x.com")
    facebook = "https://www.facebook.com/sharer/sharer.php?" + urlencode({"u": target, "quote": post},
                                                                         quote_via=quote)
    return (Link(text("draft.share.x"), x), Link(text("draft.share.linkedin"), linkedin),
            Link(text("draft.share.facebook"), facebook))


@dataclass(frozen=True)
class IssueContext:
    """What a draft needs to know about an open issue: who decides, the hashtag, and whom to ping."""

    id: int
    title: str
    municipality: str
    hashtag: str
    decision_at: datetime | None = None
    position: str | None = None
    source_url: str | None = None
    # X handles (without @) of the politicians a member should ask, most important first.
    target_handles: Sequence[str] = field(default_factory=tuple)
    target_names: Sequence[str] = field(default_factory=tuple)
    # The names of the politicians whose handles target_handles are, in the same order (not every target has
    # a handle, so target_names does not line up with them).
    handle_names: Sequence[str] = field(default_factory=tuple)
    # X handles (without @) of the local media to bring into the dialogue.
    media_handles: Sequence[str] = field(default_factory=tuple)


def decision_date(issue: IssueContext, zone: str, language: str) -> str:
    """Say when the issue is decided in a draft (" den 17/12"), in `zone`; empty when no date is known."""
    if issue.decision_at is None:
        return ""
    local = issue.decision_at.astimezone(ZoneInfo(zone))
    return translate("coaching.when.date", language, date=f"{local.day}/{local.month}")


async def open_issues(
    session: AsyncSession, workspace_id: int, municipality: str | None
) -> list[IssueContext]:
    """Return the open issues of a workspace (in a municipality, when given), soonest decision first, without
    their targets (with_targets adds them)."""
    found: list[IssueContext] = []
    for source in contributions.of(session).issue_sources:
        found.extend(await source(session, workspace_id, municipality))
    return found


async def with_targets(session: AsyncSession, workspace_id: int, issues: Sequence[IssueContext]
                       ) -> list[IssueContext]:
    """Return the issues with whom to ask and which media to ping filled in (for the drafts that name them),
    in a fixed number of statements whatever their number."""
    found = list(issues)
    for fill in contributions.of(session).issue_targets:
        if found:
            found = await fill(session, workspace_id, found)
    return found
