"""The board's politicians: a table to filter and sort, stale entries flagged; add, edit and remove one;
import a spreadsheet after a preview of what it changes; export.

Every change runs the service function of the chat command (`politician add/edit/remove/import/export`,
bot.services.politicians) as the signed-in coordinator. The import's preview is the import's own plan
(politicians.plan_import), worked out without writing; the file travels from the preview to the confirmation
in the page, signed with the session's cookie (which the page's scripts cannot read) together with the plan's
digest, and the import refuses to run when the file would now do anything else than the preview showed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from aiohttp import web
from aiohttp.web_request import FileField
from multidict import MultiDictProxy

from bot import i18n, validation
from bot.errors import UserError
from bot.models import Politician
from bot.services import civics, politicians
from bot.services.board import Visit
from bot.services.profile_fields import MUNICIPALITIES
from bot.web.board.site import Board, Page

PATH = "/board/politicians"
# A page of the table: 300 politicians are three pages, each rendered from the one query of the workspace's.
PER_PAGE = 100
# The form's fields, as the chat command names its options. The bodies and the roles in them are one field,
# "kommunstyrelsen=ordförande + KF" (a body alone: a member of it), as the import's roles column.
FIELDS = ("name", "party", "municipality", "role", "roles", "committee", "x_handle", "email", "checked")
# The field a problem's label names (the labels of the services' FieldProblems).
FIELD_OF_LABEL = {f"field.politician.{field}": field for field in FIELDS} | {
    "field.municipality": "municipality", "field.politician.body": "roles", "field.body": "roles",
    "field.politician.body_role": "roles"}
SORTS = ("name", "party", "municipality", "checked")
FILE_FIELD = "file"
SIGNED = b"politicians.import"


@dataclass(frozen=True)
class Filters:
    """What the table shows: the GET form's values as typed (kept in the form and in the sorting links)."""

    query: str = ""
    municipality: str = ""
    party: str = ""
    body: str = ""
    stale: bool = False
    sort: str = "name"
    descending: bool = False
    page: int = 1

    @classmethod
    def of(cls, args: Mapping[str, str]) -> Filters:
        page = validation.record_id(args.get("page", "")) or 1
        sort = args.get("sort", "")
        return cls(query=args.get("q", "").strip()[:100], municipality=args.get("municipality", ""),
                   party=args.get("party", "").strip()[:40], body=args.get("body", ""),
                   stale=args.get("stale") == "1", sort=sort if sort in SORTS else "name",
                   descending=args.get("dir") == "desc", page=page)

    def link(self, **changes: Any) -> str:
        """This table's address with some of its settings changed."""
        values = {"q": self.query, "municipality": self.municipality, "party": self.party, "body": self.body,
                  "stale": "1" if self.stale else "", "sort": self.sort,
                  "dir": "desc" if self.descending else "", "page": str(self.page)} | changes
        defaults = {"sort": "name", "page": "1"}
        kept = {name: value for name, value in values.items() if value and defaults.get(name) != value}
        return PATH + ("?" + urlencode(kept) if kept else "")

    def keeps(self, politician: Politician, today: date) -> bool:
        if self.municipality and politician.municipality != self.municipality:
            return False
        if self.party and civics.party_key(politician.party) != civics.party_key(self.party):
            return False
        if self.body and self.body not in (politician.bodies or []):
            return False
        if self.stale and not politicians.needs_check(politician, today):
            return False
        if self.query:
            wanted = validation.fold(self.query)
            searched = (politician.name, politician.party, politician.role or "", politician.committee or "",
                        politician.x_handle or "", politician.email or "")
            return any(wanted in validation.fold(value) for value in searched)
        return True


def _sorted(rows: list[Politician], sort: str, descending: bool) -> list[Politician]:
    """The rows by a column, either way; those equal in it by name, always A to Z."""
    by_name = sorted(rows, key=lambda p: (p.name_key, p.id))
    if sort == "party":
        return sorted(by_name, key=lambda p: civics.party_key(p.party), reverse=descending)
    if sort == "municipality":
        return sorted(by_name, key=lambda p: p.municipality, reverse=descending)
    if sort == "checked":
        # Never checked first: the most stale.
        return sorted(by_name, key=lambda p: (p.checked_on is not None, p.checked_on or date.min),
                      reverse=descending)
    return by_name[::-1] if descending else by_name


def add_routes(board: Board) -> None:
    pages = PoliticiansPage(board)
    router = board.server.web.router
    router.add_get(PATH, board.read(pages.table))
    router.add_get(PATH + "/new", board.read(pages.new))
    router.add_post(PATH + "/new", board.write(pages.add))
    router.add_get(PATH + "/import", board.read(pages.upload))
    router.add_post(PATH + "/import/preview", board.write(pages.preview))
    router.add_post(PATH + "/import", board.write(pages.import_file))
    router.add_post(PATH + "/export", board.write(pages.export))
    router.add_get(PATH + r"/{politician_id:\d+}", board.read(pages.show))
    router.add_post(PATH + r"/{politician_id:\d+}", board.write(pages.edit))
    router.add_post(PATH + r"/{politician_id:\d+}/remove", board.write(pages.ask_remove))
    router.add_post(PATH + r"/{politician_id:\d+}/remove/confirm", board.write(pages.remove))


class PoliticiansPage:
    """The handlers of the politicians' pages."""

    def __init__(self, board: Board) -> None:
        self.board = board

    # -- the table ---------------------------------------------------------------------------------------

    async def table(self, request: web.Request, visit: Visit) -> web.StreamResponse:
        return await self._table(request, visit, Filters.of(request.query))

    async def _table(self, request: web.Request, visit: Visit, filters: Filters,
                     error: UserError | None = None) -> web.Response:
        today = self._today(visit)
        everyone: list[Politician] = await self.board.read_only(politicians.of_workspace, visit.workspace.id)
        shown = _sorted([p for p in everyone if filters.keeps(p, today)], filters.sort, filters.descending)
        pages = max(1, -(-len(shown) // PER_PAGE))
        page = min(filters.page, pages)
        rows = shown[(page - 1) * PER_PAGE:page * PER_PAGE]
        # Each column's heading links to the table sorted by it (again: the other way round).
        order = "descending" if filters.descending else "ascending"
        columns = [{
            "key": key,
            "sorted": order if key == filters.sort else "",
            "href": filters.link(sort=key, page="1",
                                 dir="desc" if key == filters.sort and not filters.descending else ""),
        } for key in SORTS]
        # A party written two ways ("MP", "mp") is one choice, as the filter folds it.
        parties = sorted({civics.party_key(p.party): p.party for p in everyone}.values(),
                         key=civics.party_key)
        return self.board.render(
            request, "politicians.html", visit, status=422 if error else 200,
            error=self.board.explain(visit, error) if error else None,
            filters=filters, rows=rows, total=len(everyone),
            matching=len(shown), page=page, pages=pages, columns=columns, today=today,
            stale={p.id for p in rows if politicians.needs_check(p, today)},
            previous=filters.link(page=str(page - 1)) if page > 1 else None,
            next=filters.link(page=str(page + 1)) if page < pages else None,
            municipalities=MUNICIPALITIES, parties=parties, bodies=civics.BODIES,
            municipality_label=civics.municipality_label, roles_label=civics.roles_label)

    # -- add, edit, remove ---------------------------------------------------------------------------------

    async def new(self, request: web.Request, visit: Visit) -> web.StreamResponse:
        return self._form(request, visit, None, dict.fromkeys(FIELDS, ""))

    async def add(self, request: web.Request, visit: Visit, form: MultiDictProxy[Any]) -> web.StreamResponse:
        typed = _typed(form)
        try:
            reply = await self.board.run(visit, politicians.add, **{
                field: value or None for field, value in typed.items()})
        except UserError as error:
            return self._form(request, visit, None, typed, error)
        return await self.board.done(visit, reply, PATH)

    async def show(self, request: web.Request, visit: Visit) -> web.StreamResponse:
        person = await self._politician(request, visit)
        return self._form(request, visit, person, _prefilled(person, visit.language))

    async def edit(self, request: web.Request, visit: Visit, form: MultiDictProxy[Any]) -> web.StreamResponse:
        person = await self._politician(request, visit)
        typed = _typed(form)
        # Only what was changed is sent, as the chat command's options: a field left as it was is not given.
        before = _prefilled(person, visit.language)
        changes = {field: value for field, value in typed.items() if value != before[field]}
        try:
            reply = await self.board.run(visit, politicians.edit, politician=f"#{person.id}", **changes)
        except UserError as error:
            return self._form(request, visit, person, typed, error)
        return await self.board.done(visit, reply, f"{PATH}/{person.id}")

    async def ask_remove(self, request: web.Request, visit: Visit, form: MultiDictProxy[Any]
                         ) -> web.StreamResponse:
        person = await self._politician(request, visit)
        try:
            reply = await self.board.run(visit, politicians.remove, politician=f"#{person.id}")
        except UserError as error:
            return self._form(request, visit, person, _prefilled(person, visit.language), error)
        confirm = next(b for b in reply.buttons if b.action == politicians.REMOVE_CONFIRM)
        cancel = next(b for b in reply.buttons if b.action == politicians.REMOVE_CANCEL)
        return self.board.render(request, "politicians_remove.html", visit, person=person, reply=reply,
                                 confirm=confirm, cancel=cancel)

    async def remove(self, request: web.Request, visit: Visit, form: MultiDictProxy[Any]
                     ) -> web.StreamResponse:
        # The chat's confirmation button: its action, with the politician's number as its argument (another
        # workspace's number is "gone" there, and nothing is removed).
        confirmed = self.board.app.contributions.actions[politicians.REMOVE_CONFIRM]
        try:
            reply = await self.board.run(visit, confirmed, request.match_info["politician_id"])
        except UserError as error:
            return await self._table(request, visit, Filters(), error)
        return await self.board.done(visit, reply, PATH)

    # -- import and export -----------------------------------------------------------------------------------

    async def upload(self, request: web.Request, visit: Visit) -> web.StreamResponse:
        return self._import_page(request, visit, plan=None)

    async def preview(self, request: web.Request, visit: Visit, form: MultiDictProxy[Any]
                      ) -> web.StreamResponse:
        upload = form.get(FILE_FIELD)
        if not isinstance(upload, FileField):
            return self._import_page(request, visit, plan=None, status=422,
                                     error=i18n.translate("board.politicians.import.no_file", visit.language))
        data = upload.file.read()
        return await self._preview(request, visit, data, (upload.filename or "")[:100])

    async def import_file(self, request: web.Request, visit: Visit, form: MultiDictProxy[Any]
                          ) -> web.StreamResponse:
        filename = str(form.get("filename", ""))[:100]
        fingerprint = str(form.get("fingerprint", ""))
        try:
            data = base64.b64decode(str(form.get("data", "")), validate=True)
        except (binascii.Error, ValueError):
            data = b""
        if not data or not hmac.compare_digest(str(form.get("signature", "")),
                                               self._signature(request, data, filename, fingerprint)):
            return self._import_page(request, visit, plan=None, status=422, error=i18n.translate(
                "board.politicians.import.tampered", visit.language))
        try:
            reply = await self.board.run(visit, politicians.import_csv, data, filename, previewed=fingerprint)
        except UserError as error:
            # The list changed since the preview: the new preview, to look at again.
            return await self._preview(request, visit, data, filename, error)
        return await self.board.done(visit, reply, PATH)

    async def export(self, request: web.Request, visit: Visit, form: MultiDictProxy[Any]
                     ) -> web.StreamResponse:
        municipality = str(form.get("municipality", "")) or None
        try:
            reply = await self.board.run(visit, politicians.export_csv, municipality)
        except UserError as error:
            return await self._table(request, visit, Filters(), error)
        exported = reply.files[0]
        return web.Response(body=exported.data, content_type="text/csv", charset="utf-8", headers={
            "Content-Disposition": f'attachment; filename="{exported.filename}"',
            "Cache-Control": "no-store"})

    # -- helpers ---------------------------------------------------------------------------------------------

    async def _preview(self, request: web.Request, visit: Visit, data: bytes, filename: str,
                       error: UserError | None = None) -> web.StreamResponse:
        try:
            plan = await self.board.read_only(politicians.plan_import, visit.workspace.id, self._today(visit),
                                              data)
        except UserError as refused:
            return self._import_page(request, visit, plan=None, status=422,
                                     error=self.board.explain(visit, refused))
        return self._import_page(
            request, visit, plan=plan, filename=filename, status=422 if error else 200,
            error=self.board.explain(visit, error) if error else None,
            data=base64.b64encode(data).decode("ascii"), fingerprint=plan.fingerprint,
            signature=self._signature(request, data, filename, plan.fingerprint))

    def _import_page(self, request: web.Request, visit: Visit, **values: Any) -> web.Response:
        return self.board.render(request, "politicians_import.html", visit,
                                 municipality_label=civics.municipality_label, **values)

    def _signature(self, request: web.Request, data: bytes, filename: str, fingerprint: str) -> str:
        """Sign a previewed file with the session's token (the cookie: the server has it with each request,
        the page's scripts never): a changed file, name or plan is refused."""
        key = request.cookies.get(self.board.cookie_name, "").encode()
        message = b"\0".join((SIGNED, hashlib.sha256(data).hexdigest().encode(), filename.encode(),
                              fingerprint.encode()))
        return hmac.new(key, message, hashlib.sha256).hexdigest()

    async def _politician(self, request: web.Request, visit: Visit) -> Politician:
        """The politician the address names, of this workspace; any other number is not found."""
        politician_id = validation.record_id(request.match_info["politician_id"])
        person = None
        if politician_id is not None:
            person = await self.board.read_only(politicians.of_workspace_by_id, visit.workspace.id,
                                                politician_id)
        if person is None:
            raise web.HTTPNotFound()
        return person

    def _form(self, request: web.Request, visit: Visit, person: Politician | None, values: Mapping[str, str],
              error: UserError | None = None) -> web.Response:
        return self.board.render(
            request, "politicians_edit.html", visit, person=person, values=values,
            problems=_field_problems(error, visit.language) if error else {},
            error=self.board.explain(visit, error) if error else None, status=422 if error else 200,
            municipalities=MUNICIPALITIES,
            needs_check=person is not None and politicians.needs_check(person, self._today(visit)))

    def _today(self, visit: Visit) -> date:
        return self.board.app.clock.now().astimezone(ZoneInfo(visit.workspace.timezone)).date()


def _typed(form: MultiDictProxy[Any]) -> dict[str, str]:
    """The form's fields as typed (a field not sent is empty)."""
    return {field: str(form.get(field, "")).strip() for field in FIELDS}


def _prefilled(person: Politician, language: str) -> dict[str, str]:
    """A politician's columns as the form shows them, and the service reads them back unchanged."""
    return {"name": person.name, "party": person.party, "municipality": person.municipality,
            "role": person.role or "", "roles": politicians.roles_value(person, language),
            "committee": person.committee or "", "x_handle": person.x_handle or "",
            "email": person.email or "",
            "checked": person.checked_on.isoformat() if person.checked_on else ""}


def _field_problems(error: UserError, language: str) -> dict[str, str]:
    """What is wrong with each field the error names (the page shows each next to its field)."""
    if isinstance(error, validation.FormProblems):
        problems = error.problems
    elif isinstance(error, validation.FieldProblem):
        problems = [error]
    else:
        return {}
    found: dict[str, str] = {}
    for problem in problems:
        field = FIELD_OF_LABEL.get(problem.field_label.key)
        if field is not None:
            found.setdefault(field, i18n.render(problem.problem, language))
    return found


PAGE = Page("politicians", add_routes)
