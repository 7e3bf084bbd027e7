"""The board's stories: every story of the group (who may see it, its applause, featured or hidden, the issue
it is about), 50 a page, filtered by issue, and what a coordinator does with them in chat: feature one
(/story-admin feature), hide one from everything meant for outsiders and show it again (hide, unhide), say
which issue it is about (/story about), publish the public stories page (public), and export them (export, the
same files). Each write runs the chat command's service function."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from bot.errors import UserError
from bot.replies import Reply
from bot.services import stories
from bot.services.board import Visit
from bot.web.board.site import Board, Page

PATH = "/board/stories"
PER_PAGE = 50
FORMATS = {"md": ".md", "csv": ".csv"}
CONTENT_TYPES = {".md": "text/markdown", ".csv": "text/csv"}


class StoriesPage:
    """The handlers of /board/stories, over the board."""

    def __init__(self, board: Board) -> None:
        self.board = board

    async def show(self, request: web.Request, visit: Visit, *, error: str | None = None,
                   status: int = 200, export: dict[str, str] | None = None) -> web.Response:
        """The stories, newest first, with what may be done to each; `export`: the export form's values."""
        issue_id = _number(request.query.get("issue"))
        async with self.board.app.deferred_sessionmaker() as session:
            listed = await stories.board_rows(session, visit.workspace.id,
                                              page=_number(request.query.get("page")) or 1, per_page=PER_PAGE,
                                              issue_id=issue_id)
        slug = visit.workspace.public_slug
        public_url = None if slug is None else stories.public_url(self.board.base_url, slug)
        return self.board.render(
            request, "stories.html", visit, status=status, error=error, rows=listed.rows, listed=listed,
            issue_filter=issue_id, issue_titles=dict(listed.issues), public_url=public_url,
            group=stories.GROUP, zone=visit.workspace.timezone, consent=stories.consent_label,
            kind=stories.kind_label,
            export=export or {"audience": stories.PUBLIC, "format": "md", "featured": ""})

    async def _write(self, request: web.Request, visit: Visit, call: Any, **options: Any
                     ) -> web.StreamResponse:
        """Run a chat command's service as the coordinator; its answer is shown once on the stories page."""
        try:
            reply = await self.board.run(visit, call, **options)
        except UserError as error:
            return await self.show(request, visit, error=self.board.explain(visit, error), status=422)
        # The answer is shown once; its effects (the announcement of a featured story) are on their way.
        return await self.board.done(visit, reply, PATH)

    async def feature(self, request: web.Request, visit: Visit, form: MultiDictProxy[Any]
                      ) -> web.StreamResponse:
        return await self._write(request, visit, stories.feature, story=_text(form, "story"),
                                 remove=form.get("remove") == "yes")

    async def hide(self, request: web.Request, visit: Visit, form: MultiDictProxy[Any]) -> web.StreamResponse:
        call = stories.unhide if form.get("undo") == "yes" else stories.hide
        return await self._write(request, visit, call, story=_text(form, "story"))

    async def about(self, request: web.Request, visit: Visit, form: MultiDictProxy[Any]
                    ) -> web.StreamResponse:
        return await self._write(request, visit, stories.about, story=_text(form, "story"),
                                 issue=_text(form, "issue") or None)

    async def public(self, request: web.Request, visit: Visit, form: MultiDictProxy[Any]
                     ) -> web.StreamResponse:
        return await self._write(request, visit, stories.public_page, on=form.get("on") == "yes")

    async def export(self, request: web.Request, visit: Visit, form: MultiDictProxy[Any]
                     ) -> web.StreamResponse:
        """The file `story export` gives (Markdown or CSV), as a download."""
        typed = {"audience": _text(form, "audience"), "format": _text(form, "format"),
                 "featured": _text(form, "featured")}
        try:
            audience = stories.AUDIENCE.read(typed["audience"] or None)
            reply: Reply = await self.board.run(visit, stories.export, audience=audience,
                                                featured=typed["featured"] == "yes")
        except UserError as error:
            return await self.show(request, visit, error=self.board.explain(visit, error), status=422,
                                   export=typed)
        ending = FORMATS.get(typed["format"], ".md")
        file = next(file for file in reply.files if file.filename.endswith(ending))
        return web.Response(body=file.data, content_type=CONTENT_TYPES[ending], charset="utf-8", headers={
            "Content-Disposition": f'attachment; filename="{file.filename}"', "Cache-Control": "no-store"})


def _number(raw: str | None) -> int | None:
    """A number in the address (?page=2, ?issue=4); anything else is none."""
    return int(raw) if raw is not None and raw.isdigit() and len(raw) < 10 else None


def _text(form: MultiDictProxy[Any], name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def add_routes(board: Board) -> None:
    page = StoriesPage(board)
    router = board.server.web.router
    router.add_get(PATH, board.read(page.show))
    router.add_post(f"{PATH}/feature", board.write(page.feature))
    router.add_post(f"{PATH}/hide", board.write(page.hide))
    router.add_post(f"{PATH}/about", board.write(page.about))
    router.add_post(f"{PATH}/public", board.write(page.public))
    router.add_post(f"{PATH}/export", board.write(page.export))


PAGE = Page("stories", add_routes)
