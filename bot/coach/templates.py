"""The coach's templates: drafts and blog plans from the catalogs, always within X's limit.

They answer whenever the model is not configured, too slow or not usable, so every text here is complete on
its own: the business value in the member's trade and town, the campaign's #hashtag, and for an issue the
politician's and the local media's handles.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from bot.coach.brief import BlogPlan, Brief
from bot.i18n import translate
from bot.services import drafts
from bot.services.drafts import ELLIPSIS, decision_date, shorten

# Discord refuses a link button whose URL is longer; every draft's X button stays within it (drafts.x_intent).
MAX_LINK_URL = drafts.MAX_LINK_URL
# Below this, a shortened topic or issue title says nothing any more; the body is cut instead.
MIN_SHRINK = 12
INDUSTRIES = (
    "construction",
    "retail",
    "hospitality",
    "tech",
    "manufacturing",
    "services",
    "transport",
    "health",
    "agriculture",
    "culture",
    "other",
)
TWEET_KINDS = ("tweet", "follow", "question")


def industry(brief: Brief) -> str:
    """Return the industry whose texts apply (the catalogs' "other" when the profile has none we know)."""
    return brief.industry if brief.industry in INDUSTRIES else "other"


def value(brief: Brief) -> str:
    """Say in a sentence what being visible brings a business of the member's trade."""
    return translate(f"coaching.value.{industry(brief)}", brief.language, municipality=brief.municipality)


def pitch(brief: Brief) -> str:
    """Introduce the member's business in a short first-person sentence fit for a tweet."""
    return translate(f"coaching.pitch.{industry(brief)}", brief.language, municipality=brief.municipality)


def when(brief: Brief) -> str:
    """Say when the issue is decided (" den 17/12"), or nothing when no date is known."""
    return "" if brief.issue is None else decision_date(brief.issue, brief.timezone, brief.language)


def topic(brief: Brief) -> str:
    """Return what the draft is about: the issue, the member's topic, or the business climate."""
    if brief.issue is not None:
        return brief.issue.title
    return brief.topic or translate("coaching.topic.default", brief.language)


def shareable(post: str) -> bool:
    """Tell whether a post fits X and rides whole in its X button's link."""
    return drafts.shareable(post)


def has_tag(post: str, tag: str) -> bool:
    """Tell whether a post carries a #hashtag or an @handle (whole word, any case)."""
    folded = post.casefold()
    needle = tag.casefold()
    start = folded.find(needle)
    while start != -1:
        end = start + len(needle)
        if end == len(folded) or not (folded[end].isalnum() or folded[end] == "_"):
            return True
        start = folded.find(needle, end)
    return False


def complete(post: str, brief: Brief, hashtag: str) -> str | None:
    """Add what a draft must carry (the hashtag, the issue's handles) if missing; None if it then does not
    fit."""
    post = " ".join(post.split())
    missing = [tag for tag in (brief.politician, brief.media, hashtag) if tag and not has_tag(post, tag)]
    if missing:
        post = f"{post} {' '.join(missing)}"
    return post if shareable(post) else None


def compose(brief: Brief, key: str, params: Mapping[str, str], *, hashtag: str,
            shrink: tuple[str, ...] = ("topic", "issue")) -> str:
    """Render a tweet from the catalog with its handles and hashtag, shortening the topic until it fits."""
    values = dict(params)
    prefix = brief.politician or ""
    suffix = " ".join(tag for tag in (brief.media, hashtag) if tag)
    while True:
        body = translate(key, brief.language, **values)
        post = _join(prefix, body, suffix)
        if shareable(post):
            return post
        # Titles and topics shrink by whole words; a single long word stays as it is.
        candidates = [name for name in shrink
                      if len(values.get(name, "")) > MIN_SHRINK and len(values[name].split()) > 1]
        if not candidates:
            break
        longest = max(candidates, key=lambda name: len(values[name]))
        values[longest] = _shorter(values[longest])
    # Only a very long company name gets here: cut the body's prose, keep the handles and the hashtag.
    return _join(prefix, shorten(body, lambda cut: shareable(_join(prefix, cut, suffix))), suffix)


def _join(*parts: str) -> str:
    return " ".join(part for part in parts if part)


def _shorter(value: str) -> str:
    """Take the last word off a title or topic (one of several words), marking the cut."""
    words = value.removesuffix(ELLIPSIS).split()
    return " ".join(words[:-1]).rstrip(",;:–-—") + ELLIPSIS


def _params(brief: Brief) -> dict[str, str]:
    about = topic(brief)
    return {
        "company": brief.company,
        "municipality": brief.municipality,
        "pitch": pitch(brief),
        "topic": about,
        "topic_start": about[:1].upper() + about[1:],
        "issue": brief.issue.title if brief.issue else "",
        "when": when(brief),
        "hashtag": "",
    }


def tweets(brief: Brief, hashtag: str) -> list[str]:
    """Three tweets: with an issue a question, the business value and an invitation; without, about the
    topic."""
    variant = "issue" if brief.issue is not None else "plain"
    params = _params(brief)
    return [
        compose(brief, f"coaching.tweet.{variant}.{number}", params, hashtag=hashtag) for number in (1, 2, 3)
    ]


def step_tweet(brief: Brief, kind: str, hashtag: str) -> str:
    """The ready tweet of a ladder step: an introduction, a hello to those one follows, or a question."""
    params = _params(brief)
    if kind == "question":
        key = "coaching.draft.question.issue" if brief.issue is not None else "coaching.draft.question"
    elif kind == "follow":
        key = "coaching.draft.follow"
        # Following is about people, not yet about an issue: no handles to ping in a hello.
        brief = dataclasses.replace(brief, issue=None)
    else:
        key = "coaching.draft.tweet"
        brief = dataclasses.replace(brief, issue=None)
    return compose(brief, key, params, hashtag=hashtag, shrink=("topic", "issue", "company"))


def step_text(brief: Brief, kind: str, hashtag: str) -> str:
    """The ready text of a step that is not a tweet: a pitch to the local media, or a story for the group."""
    params = _params(brief) | {"hashtag": hashtag}
    if kind == "media":
        line = (translate("coaching.draft.media.issue_line", brief.language, issue=brief.issue.title,
                          when=when(brief)) if brief.issue is not None else "")
        return translate("coaching.draft.media", brief.language, **params | {"issue_line": line})
    return translate("coaching.draft.story", brief.language, **params)


def blog(brief: Brief, hashtag: str) -> BlogPlan:
    """Title ideas and an outline (problem, my business, the politicians, a call to action)."""
    language = brief.language
    params = _params(brief) | {"hashtag": hashtag, "value": value(brief)}
    if brief.issue is not None:
        names = ", ".join([*brief.issue.target_names[:2]] or [h for h in (brief.politician,) if h])
        issue_line = translate("coaching.blog.issue_line", language, when=when(brief),
                               targets=names or translate("coaching.blog.targets_unknown", language))
    else:
        issue_line = ""
    titles = tuple(translate(f"coaching.blog.title.{n}", language, **params) for n in (1, 2, 3))
    return BlogPlan(
        titles=titles,
        problem=translate("coaching.blog.problem", language, **params),
        business=translate("coaching.blog.business", language, **params),
        politicians=translate("coaching.blog.politicians", language, **params | {"issue_line": issue_line}),
        action=translate("coaching.blog.action", language, **params),
    )
