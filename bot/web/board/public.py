"""A group's public stories page (when its coordinators published it with /story-admin public): no login, the
public stories only (not hidden, by members still in the group), each named as its author chose; a page per
story with share previews (Open Graph, Twitter card), and an Atom feed. Anything else, and a page taken down,
answers 404.

An issue (a decision) has a page of its own, /berattelser/<slug>/fraga/<issue id>: what the decision means for
businesses here, with the group's position (which its alerts publish) and the public stories about it, and a
feed of those.

The public reads Swedish: the address is /berattelser/<slug>; the page is in the group's language, `?lang=en`
or `?lang=sv` switches. Pages may be cached for a short while (ETag, Last-Modified); hiding a story or taking
the page down shows within that while.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from email.utils import format_datetime
from typing import Any
from urllib.parse import urlsplit
from xml.etree import ElementTree

from aiohttp import web

from bot import charts, i18n, storycard
from bot.models import Issue, Member, Story, Workspace
from bot.services import civics, stories
from bot.web.board.site import Board, Page

PREFIX = stories.PUBLIC_PATH.rstrip("/")
# Short: a story hidden or a page taken down must not stay in caches for long.
CACHE_CONTROL = "public, max-age=120"
OG_LOCALES = {"sv": "sv_SE", "en": "en_GB"}
# A share preview's text: the start of the story.
DESCRIPTION_LENGTH = 200
ATOM = "http://www.w3.org/2005/Atom"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
# Share cards drawn lately, by what they show: a previewer or a crawler asking again costs no drawing.
CARDS_KEPT = 128


def excerpt(value: str, length: int = DESCRIPTION_LENGTH) -> str:
    """The start of a text, cut at a word, for a share preview."""
    flat = " ".join(value.split())
    if len(flat) <= length:
        return flat
    return flat[:length].rsplit(" ", 1)[0].rstrip(",.;:") + "…"


def _stamp(at: datetime) -> str:
    """An Atom date (RFC 3339), to the second."""
    return at.replace(microsecond=0).isoformat()


class PublicPages:
    """The handlers of /berattelser/<slug>, its stories and its feed."""

    def __init__(self, board: Board) -> None:
        self.board = board
        self.app = board.app
        # tag: URIs name their authority by a domain (no port), and stay the same if the group's slug changes.
        self.authority = urlsplit(board.base_url).hostname or "localhost"
        self._cards: OrderedDict[tuple[str, ...], bytes] = OrderedDict()

    # -- what the pages share ------------------------------------------------------------------------------

    def _language(self, request: web.Request, workspace: Workspace) -> str:
        wanted = request.query.get("lang")
        return wanted if wanted in i18n.LANGUAGES else i18n.normalize_language(workspace.language)

    def _paths(self, workspace: Workspace, language: str, below: str = "", feed: str = "") -> dict[str, Any]:
        """The addresses the pages link to, in the language read (the group's own needs no `?lang`); the
        language switch stays on the page (`below` the list: a story's); `feed`: the feed's place below the
        list (an issue's)."""
        home = f"{PREFIX}/{workspace.public_slug}"
        own = i18n.normalize_language(workspace.language)
        here = home + below
        return {"home": home, "lang_query": "" if language == own else f"?lang={language}",
                "feed_url": self.board.url(f"{home}{feed}/feed.atom"),
                "switch": [{"language": other, "href": here if other == own else f"{here}?lang={other}"}
                           for other in i18n.LANGUAGES if other != language]}

    def _cached(self, request: web.Request, body: bytes, content_type: str, modified: datetime,
                status: int = 200) -> web.Response:
        """A response that caches may keep for a short while, and that a browser revalidates by its ETag."""
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        headers = {"Cache-Control": CACHE_CONTROL, "ETag": etag,
                   "Last-Modified": format_datetime(modified.replace(microsecond=0), usegmt=True)}
        # Only the ETag answers "not modified": a story erased makes the newest change older, not newer.
        wanted = [tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")]
        if status == 200 and (etag in wanted or "*" in wanted):
            return web.Response(status=304, headers=headers)
        return web.Response(body=body, status=status, content_type=content_type,
                            charset=None if content_type.startswith("image/") else "utf-8", headers=headers)

    def _page(self, request: web.Request, template: str, workspace: Workspace, language: str,
              modified: datetime, **values: Any) -> web.Response:
        below = values.pop("below", "")
        paths = self._paths(workspace, language, below, values.pop("feed", ""))
        # The address to share: the page's own, without whatever else a link added to it.
        canonical = self.board.url(paths["home"] + below + paths["lang_query"])
        page = self.board.render(request, template, language=language, group=workspace.name or "Jobbskaparna",
                                 zone=workspace.timezone, og_locale=OG_LOCALES.get(language, "sv_SE"),
                                 canonical=canonical, **paths, **values)
        return self._cached(request, page.body, "text/html", modified)  # type: ignore[arg-type]

    def _missing(self, request: web.Request) -> web.Response:
        language = i18n.normalize_language(request.query.get("lang") or self.app.settings.default_language)
        return self.board.render(request, "public_missing.html", language=language, status=404, robots=True)

    def or_missing(self, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                   ) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        """A public page's handler, answering the page of a group that published none (or of what it does not
        show) when the handler finds nothing to show."""
        async def wrapped(request: web.Request) -> web.StreamResponse:
            try:
                return await handler(request)
            except _NotPublished:
                return self._missing(request)
        return wrapped

    async def _published(self, request: web.Request) -> Workspace:
        async with self.app.deferred_sessionmaker() as session:
            workspace = await stories.published_workspace(session, request.match_info["slug"])
        if workspace is None:
            raise _NotPublished
        return workspace

    # -- the pages -------------------------------------------------------------------------------------------

    async def index(self, request: web.Request) -> web.StreamResponse:
        """The group's public stories, the featured first, then the newest."""
        workspace = await self._published(request)
        async with self.app.deferred_sessionmaker() as session:
            rows = await stories.public_stories(session, workspace.id)
            about = await stories.public_issues(session, workspace.id)
        language = self._language(request, workspace)
        modified = max([_newest(workspace, rows), *(issue.updated_at for issue, _ in about)])
        return self._page(request, "public_stories.html", workspace, language, modified,
                          rows=rows, byline_of=stories.public_byline, kind=stories.kind_label,
                          issues=about, issue_of={issue.id: issue for issue, _ in about},
                          issue_path=stories.ISSUE_PATH)

    async def issue(self, request: web.Request) -> web.StreamResponse:
        """An issue's page: what the decision means for businesses here, and the public stories about it."""
        workspace, issue, rows = await self._issue_rows(request)
        language = self._language(request, workspace)
        below = f"{stories.ISSUE_PATH.rstrip('/')}/{issue.id}"
        outcome = None if issue.status == civics.OPEN else f"issues.outcome.{issue.outcome or 'other'}"
        return self._page(request, "public_issue.html", workspace, language,
                          _newest_of_issue(workspace, issue, rows), issue=issue, rows=rows,
                          byline_of=stories.public_byline, kind=stories.kind_label,
                          municipality=civics.municipality_label(issue.municipality),
                          body=civics.body_label(issue.body, issue.committee),
                          decision=civics.decision_when(issue, workspace.timezone), outcome=outcome,
                          description=excerpt(issue.position), below=below, feed=below)

    async def issue_feed(self, request: web.Request) -> web.StreamResponse:
        """The public stories about an issue as an Atom 1.0 feed, newest first."""
        workspace, issue, rows = await self._issue_rows(request)
        language = self._language(request, workspace)
        rows = sorted(rows, key=lambda row: (row[0].created_at, row[0].id), reverse=True)
        body = self._atom(workspace, rows, language, issue)
        return self._cached(request, body, "application/atom+xml", _newest_of_issue(workspace, issue, rows))

    async def _issue_rows(self, request: web.Request) -> tuple[Workspace, Issue, list[tuple[Story, Member]]]:
        """The published workspace, its issue of the address and the public stories about it; another
        workspace's issue is as unknown as one that never was."""
        workspace = await self._published(request)
        async with self.app.deferred_sessionmaker() as session:
            issue = await stories.public_issue(session, workspace.id, int(request.match_info["issue"]))
            if issue is None:
                raise _NotPublished
            rows = await stories.public_stories(session, workspace.id, issue_id=issue.id)
        return workspace, issue, rows

    async def story(self, request: web.Request) -> web.StreamResponse:
        """One public story, with its share preview."""
        workspace = await self._published(request)
        async with self.app.deferred_sessionmaker() as session:
            found = await stories.public_story(session, workspace.id, int(request.match_info["story"]))
            about = None if found is None or found[0].issue_id is None \
                else await stories.public_issue(session, workspace.id, found[0].issue_id)
        if found is None:
            return self._missing(request)
        story, author = found
        language = self._language(request, workspace)
        paths = self._paths(workspace, language)
        return self._page(request, "public_story.html", workspace, language, _newest(workspace, [found]),
                          story=story, by=stories.public_byline(story, author, language),
                          kind=stories.kind_label, description=excerpt(story.value), below=f"/{story.id}",
                          about=about, issue_path=stories.ISSUE_PATH,
                          image=self.board.url(f"{paths['home']}/{story.id}.png{paths['lang_query']}"))

    async def card(self, request: web.Request) -> web.StreamResponse:
        """A public story's share preview image (PNG), drawn in the chart worker."""
        workspace = await self._published(request)
        async with self.app.deferred_sessionmaker() as session:
            found = await stories.public_story(session, workspace.id, int(request.match_info["story"]))
            if found is None:
                return self._missing(request)
            story, author = found
            language = self._language(request, workspace)
            group = workspace.name or "Jobbskaparna"
            shown = (i18n.translate("board.public.heading", language, group=group), story.title,
                     stories.public_byline(story, author, language),
                     urlsplit(self.board.base_url).netloc)
            png = self._cards.get(shown)
            if png is None:
                png = await charts.render(session, storycard.draw_card, *shown)
                self._cards[shown] = png
                if len(self._cards) > CARDS_KEPT:
                    self._cards.popitem(last=False)
            else:
                self._cards.move_to_end(shown)
        return self._cached(request, png, "image/png", _newest(workspace, [found]))

    async def feed(self, request: web.Request) -> web.StreamResponse:
        """The public stories as an Atom 1.0 feed, newest first."""
        workspace = await self._published(request)
        async with self.app.deferred_sessionmaker() as session:
            rows = await stories.public_stories(session, workspace.id)
        language = self._language(request, workspace)
        rows = sorted(rows, key=lambda row: (row[0].created_at, row[0].id), reverse=True)
        body = self._atom(workspace, rows, language)
        return self._cached(request, body, "application/atom+xml", _newest(workspace, rows))

    def _atom(self, workspace: Workspace, rows: Sequence[tuple[Story, Member]], language: str,
              issue: Issue | None = None) -> bytes:
        """Atom 1.0 (RFC 4287): ids as tag: URIs, an author per entry as they chose to be named; `issue`: the
        feed of the stories about it."""
        below = "" if issue is None else f"{stories.ISSUE_PATH.rstrip('/')}/{issue.id}"
        paths = self._paths(workspace, language, feed=below)
        group = workspace.name or "Jobbskaparna"
        ElementTree.register_namespace("", ATOM)

        def child(parent: ElementTree.Element, tag: str, value: str | None = None, **attributes: str
                  ) -> ElementTree.Element:
            element = ElementTree.SubElement(parent, f"{{{ATOM}}}{tag}", attributes)
            if value is not None:
                element.text = value
            return element

        feed = ElementTree.Element(f"{{{ATOM}}}feed", {XML_LANG: language})
        child(feed, "id", f"tag:{self.authority},{workspace.created_at.date().isoformat()}:stories/"
                          f"{workspace.id}" + ("" if issue is None else f"/issue/{issue.id}"))
        if issue is None:
            child(feed, "title", i18n.translate("board.public.heading", language, group=group))
            child(feed, "subtitle", i18n.translate("board.public.intro", language, group=group))
            child(feed, "updated", _stamp(_newest(workspace, rows)))
        else:
            child(feed, "title", i18n.translate("board.public.issue.heading", language, title=issue.title))
            child(feed, "subtitle", excerpt(issue.position))
            child(feed, "updated", _stamp(_newest_of_issue(workspace, issue, rows)))
        child(child(feed, "author"), "name", group)
        child(feed, "link", rel="self", type="application/atom+xml", href=paths["feed_url"])
        child(feed, "link", rel="alternate", type="text/html",
              href=self.board.url(paths["home"] + below + paths["lang_query"]))
        child(feed, "generator", "Jobbskaparna")
        for story, author in rows:
            entry = child(feed, "entry")
            child(entry, "id", f"tag:{self.authority},{story.created_at.date().isoformat()}:stories/"
                               f"{workspace.id}/{story.id}")
            child(entry, "title", story.title)
            child(entry, "published", _stamp(story.created_at))
            child(entry, "updated", _stamp(story.updated_at))
            child(child(entry, "author"), "name", stories.public_byline(story, author, language))
            child(entry, "link", rel="alternate", type="text/html",
                  href=self.board.url(f"{paths['home']}/{story.id}{paths['lang_query']}"))
            child(entry, "category", term=story.kind,
                  label=i18n.render(stories.kind_label(story.kind), language))
            content = story.value if not story.link else f"{story.value}\n\n{story.link}"
            child(entry, "summary", excerpt(story.value), type="text")
            child(entry, "content", content, type="text")
        return ElementTree.tostring(feed, encoding="utf-8", xml_declaration=True)


class _NotPublished(Exception):
    """No group has published a page at this address."""


def _newest(workspace: Workspace, rows: Sequence[tuple[Story, Member]]) -> datetime:
    """When what a page shows last changed: its newest story, or the page's publishing."""
    return max([workspace.updated_at, *(story.updated_at for story, _ in rows)])


def _newest_of_issue(workspace: Workspace, issue: Issue, rows: Sequence[tuple[Story, Member]]) -> datetime:
    """When an issue's page last changed: its newest story, the issue's last change, or the page's
    publishing."""
    return max(_newest(workspace, rows), issue.updated_at)


def add_routes(board: Board) -> None:
    pages = PublicPages(board)
    router = board.server.web.router
    issue = PREFIX + "/{slug}" + stories.ISSUE_PATH + r"{issue:\d{1,12}}"
    for path, handler in ((PREFIX + "/{slug}", pages.index), (PREFIX + "/{slug}/feed.atom", pages.feed),
                          (PREFIX + r"/{slug}/{story:\d{1,12}}", pages.story),
                          (PREFIX + r"/{slug}/{story:\d{1,12}}.png", pages.card),
                          (issue, pages.issue), (issue + "/feed.atom", pages.issue_feed)):
        router.add_get(path, pages.or_missing(handler))


# Routes only: the public pages are no section of the coordinators' board.
PAGE = Page("public", add_routes, nav=False)
