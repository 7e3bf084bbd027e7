"""The board's agenda page: what the agenda watcher proposed to the coordinators, and its two buttons.

"Skapa fråga" and "Avfärda" do on the board what they do in chat, through the same service functions
(bot.services.agenda: open_issue_form, create_issue, dismiss) run as the signed-in coordinator: the issue form
prefilled from the item, the issue created by issues.create, the item marked, the same audit.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from bot import validation
from bot.errors import UserError
from bot.replies import Form
from bot.services import agenda, civics, watch_sources
from bot.services.board import Visit
from bot.web.board.site import Board, Page

LISTED = 100
# What the templates name an item's municipality and body by, as the chat's proposal does.
LABELS: dict[str, Any] = {"municipality_label": civics.municipality_label, "body_label": civics.body_label}


def add_routes(board: Board) -> None:
    async def listed(request: web.Request, visit: Visit) -> web.StreamResponse:
        return await _listed(board, request, visit)

    async def item(request: web.Request, visit: Visit) -> web.StreamResponse:
        return await _item(board, request, visit)

    async def create(request: web.Request, visit: Visit, form: MultiDictProxy[Any]) -> web.StreamResponse:
        return await _create(board, request, visit, form)

    async def dismiss(request: web.Request, visit: Visit, form: MultiDictProxy[Any]) -> web.StreamResponse:
        return await _dismiss(board, request, visit, form)

    router = board.server.web.router
    router.add_get("/board/agenda", board.read(listed))
    router.add_get("/board/agenda/{item}", board.read(item))
    router.add_post("/board/agenda/{item}/issue", board.write(create))
    router.add_post("/board/agenda/{item}/dismiss", board.write(dismiss))


async def _listed(board: Board, request: web.Request, visit: Visit, *, error: str | None = None,
                  status: int = 200) -> web.Response:
    async with board.app.deferred_sessionmaker() as session:
        sources = await watch_sources.source_count(session, visit.workspace.id)
        proposals = await agenda.proposals(session, visit.workspace.id, limit=LISTED)
    return board.render(request, "agenda.html", visit, sources=sources, proposals=proposals,
                        zone=visit.workspace.timezone, error=error, status=status, **LABELS)


async def _proposal(board: Board, request: web.Request, visit: Visit) -> agenda.Proposal | None:
    """The item the address names, if the watcher proposed it to this workspace's coordinators."""
    item_id = validation.record_id(request.match_info["item"])
    if item_id is None:
        return None
    async with board.app.deferred_sessionmaker() as session:
        return await agenda.proposal(session, visit.workspace.id, item_id)


def _missing(board: Board, request: web.Request, visit: Visit) -> web.Response:
    """Another workspace's item, or none: the same answer, so the board tells nothing about it."""
    return board.render(request, "agenda_missing.html", visit, status=404)


async def _item(board: Board, request: web.Request, visit: Visit) -> web.StreamResponse:
    """The issue form prefilled from the item, as the chat's "Skapa fråga" opens it."""
    found = await _proposal(board, request, visit)
    if found is None:
        return _missing(board, request, visit)
    if found.item.status != agenda.PROPOSED:
        return _item_page(board, request, visit, found, None, {})
    try:
        opened = await board.run(visit, agenda.open_issue_form, str(found.item.id))
    except UserError as error:
        return await _listed(board, request, visit, error=board.explain(visit, error), status=422)
    values = dict(opened.form.values) if opened.form else {}
    return _item_page(board, request, visit, found, opened.form, values)


def _item_page(board: Board, request: web.Request, visit: Visit, found: agenda.Proposal, form: Form | None,
               values: dict[str, str], *, error: str | None = None, status: int = 200) -> web.Response:
    return board.render(request, "agenda_item.html", visit, proposal=found, form=form, values=values,
                        zone=visit.workspace.timezone, error=error, status=status, **LABELS)


async def _create(board: Board, request: web.Request, visit: Visit, posted: MultiDictProxy[Any]
                  ) -> web.StreamResponse:
    """Create the issue from the sent form, as submitting the chat's form does."""
    found = await _proposal(board, request, visit)
    if found is None:
        return _missing(board, request, visit)
    arg = str(found.item.id)
    values = {name: value for name, value in posted.items() if name != "csrf" and isinstance(value, str)}
    try:
        reply = await board.run(visit, agenda.create_issue, values, arg)
    except UserError as error:
        explained = board.explain(visit, error)
        try:
            opened = await board.run(visit, agenda.open_issue_form, arg)
        except UserError:
            # Settled meanwhile (made an issue of, or dismissed): the list says what became of it.
            return await _listed(board, request, visit, error=explained, status=422)
        return _item_page(board, request, visit, found, opened.form, values, error=explained, status=422)
    return await board.done(visit, reply, "/board/agenda")


async def _dismiss(board: Board, request: web.Request, visit: Visit, posted: MultiDictProxy[Any]
                   ) -> web.StreamResponse:
    """Dismiss the item for good, as the chat's "Avfärda" does."""
    found = await _proposal(board, request, visit)
    if found is None:
        return _missing(board, request, visit)
    try:
        reply = await board.run(visit, agenda.dismiss, str(found.item.id))
    except UserError as error:
        return await _listed(board, request, visit, error=board.explain(visit, error), status=422)
    return await board.done(visit, reply, "/board/agenda")


PAGE = Page("agenda", add_routes)
