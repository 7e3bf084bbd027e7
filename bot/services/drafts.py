"""Drafts for members to post themselves: length as X counts it, hashtags, handles and share links.

The bot never posts for a member: it hands them a text, a link that opens X with it filled in, and links
that share the issue's source on LinkedIn and Facebook (which take a link, not a text).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession
from twitter_text import extract_urls_with_indices, parse_tweet

from bot import contributions
from bot.i18n import translate
from bot.replies import Link, text
from bot.validation import FieldProblem

X_LIMIT = 280
# Discord refuses a link button whose URL is longer (and with it the whole message); Slack allows 3000, so a
# share link within this fits on every platform.
MAX_LINK_URL = 512
ELLIPSIS = "…"
PLATFORMS = ("x", "linkedin", "facebook")
_X_INTENT = "https://x.com/intent/post?"
_HASHTAG = re.compile(r"^[\w]+$")
_HANDLE = re.compile(r"^[A-Za-z0-9_]{1,15}$")
# Entities that shortening keeps whole, as twitter-text reads them: a @mention (or an e-mail address, which
# carries one) and a #hashtag run to the end of their word characters; links come from the port itself.
_MENTION_OR_TAG = re.compile(r"[^\s@#]*[@#＠＃]\w+")
# Taken off the last word kept before a cut, where the ellipsis goes: a comma or colon left dangling reads
# badly.
_DANGLING = ",;:–-—"
_WHITE_SPACE = re.compile(r"(\s+)")
_SENTENCE_END = ".!?…"


def x_length(post: str) -> int:
    """Count a post as X does, with the twitter-text port: NFC, every link as 23, emoji and CJK double.

    The port is counted word by word (and each run of white space): no link or emoji spans white space, so
    the sum is the whole text's count (tests/test_draft_corpus.py checks that on every draft), and the words a
    shortened draft shares with the longer one are not counted again (a whole 280-character post costs the
    port about 2 ms, nearly all in its emoji pattern).
    """
    return sum(_part_length(part) for part in _WHITE_SPACE.split(post) if part)


@functools.lru_cache(maxsize=16384)
def _part_length(part: str) -> int:
    return int(parse_tweet(part).weightedLength)


def fits_x(post: str) -> bool:
    """Tell whether a post fits X's limit."""
    return x_length(post) <= X_LIMIT


def _protected_spans(post: str) -> list[tuple[int, int]]:
    """Where the links, @handles and #hashtags of a post are (start, end): text that is never cut."""
    spans = [(found["indices"][0], found["indices"][1]) for found in extract_urls_with_indices(post)]
    spans.extend(match.span() for match in _MENTION_OR_TAG.finditer(post))
    return spans


def shorten(post: str, fits: Callable[[str], bool] = fits_x, *, keep_words: int = 0) -> str:
    """Shorten a text until `fits` accepts it: cut prose from its end at a word boundary, with an ellipsis.

    A link, @handle or #hashtag is never cut: they stay whole and in place, whatever prose around them goes.
    At least `keep_words` words of prose stay; when even that does not fit, the shortest such text is returned
    (the caller decides what else may go).
    """
    if fits(post):
        return post
    words = [(match.start(), match.end()) for match in re.finditer(r"\S+", post)]
    spans = _protected_spans(post)
    protected = [any(start < end_ and start_ < end for start_, end_ in spans) for start, end in words]
    prose = [index for index, kept in enumerate(protected) if not kept]

    def without(cut: int) -> str:
        """The post without its last `cut` words of prose, an ellipsis where the first of them stood."""
        gone = set(prose[len(prose) - cut:]) if cut else set()
        parts: list[str] = []
        marked = False
        for index, (start, end) in enumerate(words):
            if index in gone:
                if not marked:
                    marked = True
                    if not parts or protected[index - 1]:
                        parts.append(ELLIPSIS)
                    elif parts[-1][-1] not in _SENTENCE_END:  # a whole sentence gone needs no mark
                        parts[-1] = parts[-1].rstrip(_DANGLING) + ELLIPSIS
                continue
            parts.append(post[start:end])
        return " ".join(parts)

    # Fewer words never count more, so the least cut that fits is found by halving.
    high = max(len(prose) - keep_words, 0)
    if high == 0 or not fits(without(high)):
        return without(high)
    return without(least(1, high, lambda count: fits(without(count))))


def least(low: int, high: int, holds: Callable[[int], bool]) -> int:
    """The least number in low..high for which `holds` is true, found by halving: it must hold at `high`, and
    from wherever it first holds on (as "this many words cut make it fit")."""
    while low < high:
        middle = (low + high) // 2
        if holds(middle):
            high = middle
        else:
            low = middle + 1
    return low


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


def rides_whole(post: str) -> bool:
    """Tell whether a post fits in its X button's link as it is (a longer one is shortened for the button)."""
    return len(_intent_url(post)) <= MAX_LINK_URL


def shareable(post: str) -> bool:
    """Tell whether a post fits X and rides whole in its X button, as every draft the bot shows should."""
    return fits_x(post) and rides_whole(post)


# A draft names at most this many media outlets once it has to give way: more read as a list, not a question.
MEDIA_WHEN_SHORT = 2


def give_way(build: Callable[[str], str], title: str, outlets: list[str]) -> str:
    """Fit a draft that `build` makes of an issue's title and the media handles in `outlets` (which this
    shortens in place): media beyond the first MEDIA_WHEN_SHORT go first, then the title's last words (two
    stay), then the prose, and only then the remaining media handles; a handle, hashtag or link is never
    cut."""
    while not shareable(build(title)) and len(outlets) > MEDIA_WHEN_SHORT:
        outlets.pop()
    title = shorten(title, lambda cut: shareable(build(cut)), keep_words=2)
    post = shorten(build(title), shareable)
    while not shareable(post) and outlets:
        outlets.pop()
        post = shorten(build(title), shareable)
    return post


def x_intent(post: str) -> str:
    """The link that opens X with the post filled in, shortened (prose only) until it fits on a button."""
    return _intent_url(shorten(post, rides_whole))


def _intent_url(post: str) -> str:
    return _X_INTENT + urlencode({"text": post}, quote_via=quote)


def share_links(post: str, url: str | None = None, *, platforms: Collection[str] = PLATFORMS
                ) -> tuple[Link, ...]:
    """Links that open X with the post filled in, and LinkedIn and Facebook sharing the issue's source.

    The member posts it themselves. X always gets its button (the text in its URL is shortened to fit a
    button, never dropped); LinkedIn and Facebook take only a link (Facebook has ignored a suggested text for
    years), so without a source there is nothing for them to share and the reply's copy-ready draft serves.
    """
    links: list[Link] = []
    if "x" in platforms:
        links.append(Link(text("draft.share.x"), x_intent(post)))
    if url:
        offsite = [("linkedin", "draft.share.linkedin", "https://www.linkedin.com/sharing/share-offsite/?url"),
                   ("facebook", "draft.share.facebook", "https://www.facebook.com/sharer/sharer.php?u")]
        for platform, label, prefix in offsite:
            shared = prefix + "=" + quote(url, safe="")
            if platform in platforms and len(shared) <= MAX_LINK_URL:
                links.append(Link(text(label), shared))
    return tuple(links)


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
    # Who decides (civics' body code, and the nämnd's name) and the issue's topic codes: what the coach's
    # answer to a question tells of the issue, and the words a question may name it by.
    body: str = ""
    committee: str | None = None
    topics: Sequence[str] = field(default_factory=tuple)


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
