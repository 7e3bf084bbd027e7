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
# LinkedIn takes 3,000 characters; a LinkedIn draft is shown whole in a message field (Discord's hold 1,024).
LINKEDIN_LIMIT = 3000
LINKEDIN_SHOWN = 1000
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


def business(brief: Brief) -> str:
    """Introduce the member's business in a sentence: what it offers and the facts its owner is proud of, or,
    when the profile has neither, a sentence of its trade."""
    params = _business_params(brief)
    if brief.offer and brief.facts:
        return translate("coaching.business.offer_facts", brief.language, **params)
    if brief.offer:
        return translate("coaching.business.offer", brief.language, **params)
    if brief.facts:
        return translate("coaching.business.facts", brief.language, **params)
    return pitch(brief)


def gain(brief: Brief) -> str:
    """Say what is at stake for a business of the member's trade ("the customers who need to find the
    shop")."""
    return translate(f"coaching.gain.{industry(brief)}", brief.language, municipality=brief.municipality)


def stake(brief: Brief) -> str:
    """Say in a sentence what an issue means for the member's business, in their own terms when they gave
    them."""
    params = _business_params(brief) | {"gain": gain(brief)}
    told = "_".join(name for name in ("offer", "facts") if getattr(brief, name)) or "company"
    return translate(f"coaching.stake.{told}", brief.language, **params)


def as_part_of_sentence(written: str) -> str:
    """Ready a member's words to stand inside a sentence: no closing full stop, and a capital letter that only
    starts the text lowered ("Snittblommor och binderi" reads "snittblommor och binderi"); a word in capitals
    or with more capitals (IKEA, McDonald's) is kept as written."""
    words = " ".join(written.split()).rstrip(" .!;,")
    first = words.split(" ", 1)[0] if words else ""
    if len(first) > 1 and first[0].isupper() and first[1:] == first[1:].lower():
        return words[0].lower() + words[1:]
    return words


def _business_params(brief: Brief) -> dict[str, str]:
    return {"company": brief.company, "municipality": brief.municipality,
            "offer": as_part_of_sentence(brief.offer), "facts": as_part_of_sentence(brief.facts)}


def plainer(brief: Brief) -> list[Brief]:
    """The brief, then as it would be with less of the business told: without the facts, then without the
    offer too. A draft takes the first with which it fits whole."""
    found = [brief]
    if brief.facts:
        found.append(dataclasses.replace(brief, facts=""))
    if brief.offer:
        found.append(dataclasses.replace(brief, offer="", facts=""))
    return found


def when(brief: Brief) -> str:
    """Say when the issue is decided (" den 17/12"), or nothing when no date is known."""
    return "" if brief.issue is None else decision_date(brief.issue, brief.timezone, brief.language)


def topic(brief: Brief) -> str:
    """Return what the draft is about: the issue (its title as a title, in quotes), the member's topic, or
    the business climate."""
    if brief.issue is not None:
        return translate("coaching.title_quoted", brief.language, title=brief.issue.title)
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
    told = bool(brief.offer or brief.facts)
    return {
        "company": brief.company,
        "municipality": brief.municipality,
        "pitch": pitch(brief),
        "business": business(brief),
        # A first hello names the business: its own words when given, else its name and trade.
        "intro": business(brief) if told else translate("coaching.business.none", brief.language,
                                                        company=brief.company, pitch=pitch(brief)),
        "stake": stake(brief),
        "gain": gain(brief),
        "gain_line": translate("coaching.gain_line", brief.language, gain=gain(brief)),
        "topic": about,
        "topic_start": about[:1].upper() + about[1:],
        # Quoted by the catalog's texts, so that a shortened title keeps its closing quote.
        "issue": brief.issue.title if brief.issue else "",
        "when": when(brief),
        "hashtag": "",
    }


def _richest(brief: Brief, key: str, hashtag: str, shrink: tuple[str, ...] = ("topic", "issue")) -> str:
    """Compose a tweet with as much of the business as fits whole; only the plainest is shortened."""
    candidates = plainer(brief)
    for candidate in candidates[:-1]:
        params = _params(candidate)
        post = compose(candidate, key, params, hashtag=hashtag, shrink=())
        if translate(key, candidate.language, **params) in post:
            return post
    return compose(candidates[-1], key, _params(candidates[-1]), hashtag=hashtag, shrink=shrink)


def tweets(brief: Brief, hashtag: str) -> list[str]:
    """Three tweets: with an issue a question, the business value and an invitation; without, about the
    topic."""
    variant = "issue" if brief.issue is not None else "plain"
    return [_richest(brief, f"coaching.tweet.{variant}.{number}", hashtag) for number in (1, 2, 3)]


def step_tweet(brief: Brief, kind: str, hashtag: str) -> str:
    """The ready tweet of a ladder step: an introduction, a hello to those one follows, or a question."""
    if kind == "question":
        key = "coaching.draft.question.issue" if brief.issue is not None else "coaching.draft.question"
    elif kind == "follow":
        key = "coaching.draft.follow"
        # Following is about people, not yet about an issue: no handles to ping in a hello.
        brief = dataclasses.replace(brief, issue=None)
    else:
        key = "coaching.draft.tweet"
        brief = dataclasses.replace(brief, issue=None)
    return _richest(brief, key, hashtag, shrink=("topic", "issue", "company"))


def step_text(brief: Brief, kind: str, hashtag: str) -> str:
    """The ready text of a step that is not a tweet: a pitch to the local media, or a story for the group."""
    params = _params(brief) | {"hashtag": hashtag}
    if kind == "media":
        line = (translate("coaching.draft.media.issue_line", brief.language, issue=brief.issue.title,
                          when=when(brief)) if brief.issue is not None else "")
        told = [translate(f"coaching.draft.media.{name}", brief.language, **_business_params(brief))
                for name in ("offer", "facts") if getattr(brief, name)]
        business_line = "".join(f"{sentence} " for sentence in told)
        return translate("coaching.draft.media", brief.language,
                         **params | {"issue_line": line, "business_line": business_line})
    return translate("coaching.draft.story", brief.language, **params)


def linkedin(brief: Brief, hashtag: str) -> str:
    """A post for LinkedIn: longer and more businesslike than a tweet, the business and what the issue means
    for it, the deciders by name (LinkedIn knows no X handles), and the hashtag once."""
    params = _params(brief) | {"hashtag": hashtag}
    if brief.issue is not None:
        names = ", ".join(name for name in brief.issue.target_names[:3] if name)
        params["targets_line"] = (translate("coaching.linkedin.targets_line", brief.language, names=names)
                                  if names else "")
        post = translate("coaching.linkedin.issue", brief.language, **params)
    else:
        post = translate("coaching.linkedin.plain", brief.language, **params)
    # Shown whole in a message field, far under LinkedIn's own limit.
    return post if len(post) <= LINKEDIN_SHOWN else post[:LINKEDIN_SHOWN - 1].rsplit(" ", 1)[0] + ELLIPSIS


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
