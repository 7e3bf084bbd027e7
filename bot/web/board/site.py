"""The board's frame: sign-in by a one-time link, sessions, protection of every write, the templates, and how
a page runs a service as the signed-in coordinator.

A page module gives a `Page` (its key, its routes); its handlers are wrapped by `Board.read` (a signed-in
coordinator's GET) or `Board.write` (a POST that must carry the session's CSRF token), and render templates
from bot/web/templates with `Board.render`. A write runs the same service function as the slash command,
through `Board.run`: the same rules, audit and alerts; its answer is shown once on the page the write leads to
(`Board.done`), and its effects (DMs, posts) are sent after the browser was answered.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import hmac
import logging
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar
from urllib.parse import urlsplit

from aiohttp import web
from jinja2 import Environment, PackageLoader, StrictUndefined, pass_context, select_autoescape
from markupsafe import Markup
from multidict import MultiDictProxy

from bot import i18n
from bot.app import Answering
from bot.errors import UserError
from bot.replies import Renderable, Reply, When, reply_from_json, reply_to_json
from bot.services import board as logins
from bot.services import context
from bot.web.board.markup import html

if TYPE_CHECKING:
    from bot.web.server import WebServer

log = logging.getLogger(__name__)

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
# Every board and public page: nothing but this server's own files, no inline script or style, no frames.
CONTENT_SECURITY_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                           "connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; "
                           "base-uri 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    # A login link must not leave in a Referer header, nor a board address.
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
}



# What board.js sends when it fetches a live page again.
LIVE_HEADER = "X-Board-Live"

P = ParamSpec("P")
R = TypeVar("R", Reply, Reply | None)
ReadHandler = Callable[[web.Request, logins.Visit], Awaitable[web.StreamResponse]]
WriteHandler = Callable[[web.Request, logins.Visit, MultiDictProxy[Any]], Awaitable[web.StreamResponse]]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Page:
    """One section of the board: its key names its path (/board/<key>) and its menu entry (board.nav.<key>);
    `add_routes` adds its handlers. `nav=False`: routes only (the public stories pages)."""

    key: str
    add_routes: Callable[[Board], None]
    nav: bool = True

    @property
    def path(self) -> str:
        return f"/board/{self.key}"


def preferred_language(header: str | None, default: str) -> str:
    """The first of our languages an Accept-Language header asks for (by its q-values), else `default`."""
    wanted: list[tuple[float, int, str]] = []
    for position, part in enumerate((header or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        language = i18n.locale_language(tag.strip())
        if language is not None and quality > 0:
            wanted.append((-quality, position, language))
    return min(wanted)[2] if wanted else default


class Board:
    """The board's routes on the web server, its templates, and its sign-in."""

    def __init__(self, server: WebServer, pages: Iterable[Page]) -> None:
        self.server = server
        self.app = server.app
        settings = self.app.settings
        assert settings.board_url is not None
        self.base_url = settings.board_url
        base = urlsplit(self.base_url)
        self.origin = f"{base.scheme}://{base.netloc}"
        self.secure = base.scheme == "https"
        # Over https the cookie is __Host-: sent only over https, to this host, never set by a subdomain.
        self.cookie_name = "__Host-board" if self.secure else "board"
        self.session_hours = settings.board_session_hours
        self.pages = tuple(pages)
        self.env = Environment(loader=PackageLoader("bot.web", "templates"), autoescape=select_autoescape(),
                               undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
        self.env.globals.update(t=_t, r=_r, rich=_rich, when=_when, static=self.static_url)
        self._static_versions: dict[str, str] = {}
        # The effects of writes, sent after the browser was answered (close() waits for them).
        self._carrying_out: set[asyncio.Task[None]] = set()
        router = server.web.router
        server.web.middlewares.append(_security_headers)
        router.add_get("/board", self._home)
        router.add_get("/board/", self._home)
        router.add_get("/board/login/{token}", self._login_page)
        router.add_post("/board/login/{token}", self._login)
        router.add_post("/board/logout", self.write(self._logout))
        router.add_post("/board/language", self.write(self._language))
        router.add_get("/board/sessions", self.read(self._sessions))
        router.add_post("/board/sessions/end", self.write(self._end_session))
        router.add_static("/board/static", STATIC_DIR)
        for page in self.pages:
            page.add_routes(self)
        server.web.on_shutdown.append(self._wait_for_effects)

    # -- what pages use ---------------------------------------------------------------------------------

    def read(self, handler: ReadHandler) -> Handler:
        """A GET for signed-in coordinators: without a live session, the signed-out page (401)."""
        async def wrapped(request: web.Request) -> web.StreamResponse:
            # A live page fetching itself again (board.js) leaves the last change's answer to the page load.
            visit = await self._visit(request, take_flash=LIVE_HEADER not in request.headers)
            if visit is None:
                return self._signed_out(request)
            return await handler(request, visit)
        return wrapped

    def write(self, handler: WriteHandler) -> Handler:
        """A POST for signed-in coordinators that carries the session's CSRF token (a form's `csrf` field or
        the X-CSRF-Token header) and, when the browser says where it comes from, comes from the board."""
        async def wrapped(request: web.Request) -> web.StreamResponse:
            visit = await self._visit(request, take_flash=False)
            if visit is None:
                return self._signed_out(request)
            form = await request.post()
            sent = request.headers.get("X-CSRF-Token") or form.get("csrf")
            if (not isinstance(sent, str) or not hmac.compare_digest(sent, visit.session.csrf_token)
                    or not self._same_origin(request)):
                log.warning("Refused a write on the board without its token or from another site (%s)",
                            request.path)
                return self.render(request, "refused.html", visit, status=403)
            return await handler(request, visit, form)
        return wrapped

    async def run(self, visit: logins.Visit, call: Callable[Concatenate[Any, context.Actor, P], Awaitable[R]],
                  *args: P.args, **kwargs: P.kwargs) -> R:
        """Run a service call as the signed-in coordinator (App.run: one unit of work, same rules and audit as
        the slash command). Its effects are sent after the browser is answered. A UserError is raised, for the
        page to show with `explain`."""
        async with self.app.answering(then_carry_out=False) as answering:
            reply = await self.app.run(visit.identity, call, *args, **kwargs)
        if answering.effect_ids:
            task = asyncio.create_task(self._carry_out(answering))
            self._carrying_out.add(task)
            task.add_done_callback(self._carrying_out.discard)
        return reply

    async def read_only(self, call: Callable[..., Awaitable[Any]], *args: Any) -> Any:
        """Run a read (a page's query) in a session that does not wait for writers."""
        async with self.app.deferred_sessionmaker() as session:
            return await call(session, *args)

    def explain(self, visit: logins.Visit | None, error: UserError, language: str | None = None) -> str:
        """What went wrong, as the coordinator reads it."""
        return i18n.render(error.text, language or (visit.language if visit else self.app.settings.
                                                    default_language))

    async def done(self, visit: logins.Visit, reply: Reply | None, to: str) -> web.StreamResponse:
        """After a write: keep its answer to show once, and send the browser to `to` (303, so that a reload
        does not send the form again)."""
        if reply is not None:
            # What is kept is what the page shows: the words. Its effects (an announcement, DMs) are stored
            # and on their way (see run), and a form is the page's own to show.
            shown = dataclasses.replace(reply, effects=(), form=None)
            async with self.app.sessionmaker() as session, session.begin():
                row = await session.get(type(visit.session), visit.session.token_hash)
                if row is not None:
                    row.flash = reply_to_json(shown)
        raise web.HTTPSeeOther(to)

    def render(self, request: web.Request, template: str, visit: logins.Visit | None = None, *,
               status: int = 200, language: str | None = None, **values: Any) -> web.Response:
        """A page from the templates, in the coordinator's language (or the one given: the public pages)."""
        language = language or (visit.language if visit else self.app.settings.default_language)
        current = next((page.key for page in self.pages if page.nav and request.path.startswith(page.path)),
                       None)
        page = self.env.get_template(template).render(
            language=language, visit=visit,
            # Where the language switch goes back to: this page, or after a form's answer its section's start
            # (the form's address takes only POSTs).
            request_path=request.path_qs if request.method == "GET" else
            (f"/board/{current}" if current else "/board/"),
            workspace_name=visit.workspace.name if visit else "",
            csrf=visit.session.csrf_token if visit else "",
            nav=[{"key": page.key, "path": page.path, "current": page.key == current}
                 for page in self.pages if page.nav],
            flash=getattr(visit, "flash", None), error=values.pop("error", None), **values)
        return web.Response(text=page, status=status, content_type="text/html", charset="utf-8",
                            headers={"Cache-Control": "no-store"} if visit else None)

    def static_url(self, name: str) -> str:
        """A static file's address with its content's hash, so that a new version is never read from a
        browser's cache."""
        version = self._static_versions.get(name)
        if version is None:
            version = hashlib.sha256((STATIC_DIR / name).read_bytes()).hexdigest()[:12]
            self._static_versions[name] = version
        return f"/board/static/{name}?v={version}"

    def url(self, path: str) -> str:
        """The public address of a path (for feeds and share previews)."""
        return self.base_url + path

    # -- sign-in and sessions ------------------------------------------------------------------------------

    async def _visit(self, request: web.Request, *, take_flash: bool = True) -> logins.Visit | None:
        token = request.cookies.get(self.cookie_name)
        if not token:
            return None
        now = self.app.clock.now()
        async with self.app.sessionmaker() as session, session.begin():
            visit = await logins.visit_of(session, token, now)
            flash = None
            if visit is not None and take_flash and visit.session.flash is not None:
                flash = reply_from_json(visit.session.flash)
                visit.session.flash = None
        if visit is not None:
            visit.flash = flash
        return visit

    def _signed_out(self, request: web.Request) -> web.Response:
        language = preferred_language(request.headers.get("Accept-Language"),
                                      self.app.settings.default_language)
        return self.render(request, "signed_out.html", status=401, language=language)

    def _same_origin(self, request: web.Request) -> bool:
        """Whether the browser's Origin (sent with every POST by today's browsers) is the board's. Under the
        board's own Referrer-Policy (no-referrer) a browser sends "Origin: null" even from the board's pages:
        then its Sec-Fetch-Site says where the form was. A request that says neither passes (the CSRF token
        is checked anyway)."""
        origin = request.headers.get("Origin")
        if origin is not None and origin != "null":
            own = f"{request.scheme}://{request.host}"
            return origin in (self.origin, own)
        return request.headers.get("Sec-Fetch-Site", "same-origin") in ("same-origin", "none")

    async def _home(self, request: web.Request) -> web.StreamResponse:
        first = next((page for page in self.pages if page.nav), None)
        raise web.HTTPSeeOther(first.path if first is not None else "/board/sessions")

    async def _login_page(self, request: web.Request) -> web.StreamResponse:
        """The link's page: a button that spends it (link previews and scanners only GET it)."""
        token = request.match_info["token"]
        async with self.app.deferred_sessionmaker() as session:
            info = await logins.link_info(session, token, self.app.clock.now())
        language = info.language or preferred_language(request.headers.get("Accept-Language"),
                                                       self.app.settings.default_language)
        fresh = info.state is logins.LinkState.FRESH
        return self.render(request, "login.html", language=language, state=info.state.value,
                           group=info.workspace_name, status=200 if fresh else 410, action=request.path,
                           robots=True)

    async def _login(self, request: web.Request) -> web.StreamResponse:
        token = request.match_info["token"]
        async with self.app.sessionmaker() as session, session.begin():
            opened = await logins.spend_link(session, token, self.app.clock.now(), hours=self.session_hours,
                                             user_agent=request.headers.get("User-Agent", ""))
        if opened is None:
            return await self._login_page(request)
        response = web.HTTPSeeOther("/board/")
        response.set_cookie(self.cookie_name, opened.token, max_age=int(self.session_hours * 3600), path="/",
                            secure=self.secure, httponly=True, samesite="Lax")
        log.info("A coordinator signed in to the board (workspace %s)", opened.workspace_id)
        raise response

    async def _logout(self, request: web.Request, visit: logins.Visit, form: MultiDictProxy[Any]
                      ) -> web.StreamResponse:
        now = self.app.clock.now()
        async with self.app.sessionmaker() as session, session.begin():
            await logins.end_session(session, visit, visit.session.token_hash, now)
        response = self.render(request, "signed_out.html", language=visit.language, ended=True)
        response.del_cookie(self.cookie_name, path="/")
        return response

    async def _language(self, request: web.Request, visit: logins.Visit, form: MultiDictProxy[Any]
                        ) -> web.StreamResponse:
        language = form.get("language")
        if isinstance(language, str) and language in i18n.LANGUAGES:
            async with self.app.sessionmaker() as session, session.begin():
                row = await session.get(type(visit.session), visit.session.token_hash)
                if row is not None:
                    row.language = language
        raise web.HTTPSeeOther(_local_path(form.get("next")))

    async def _sessions(self, request: web.Request, visit: logins.Visit) -> web.StreamResponse:
        async with self.app.deferred_sessionmaker() as session:
            sessions = await logins.sessions_of(session, visit, self.app.clock.now())
        return self.render(request, "sessions.html", visit, sessions=sessions,
                           zone=visit.workspace.timezone)

    async def _end_session(self, request: web.Request, visit: logins.Visit, form: MultiDictProxy[Any]
                           ) -> web.StreamResponse:
        hashed = form.get("session")
        if hashed == visit.session.token_hash:
            return await self._logout(request, visit, form)
        if isinstance(hashed, str):
            async with self.app.sessionmaker() as session, session.begin():
                await logins.end_session(session, visit, hashed, self.app.clock.now())
        raise web.HTTPSeeOther("/board/sessions")

    # -- effects ---------------------------------------------------------------------------------------------

    async def _carry_out(self, answering: Answering) -> None:
        """Send a write's effects; what its author is to be told (a role not granted) goes to them by DM, as
        the board is no conversation."""
        try:
            await self.app.finish(answering)
            await self.app.say_notices(answering, _no_conversation, failures=(_NoConversation,))
        except Exception:
            log.exception("Sending the effects of a change made on the board failed (they are stored and "
                          "will be sent again)")

    async def _wait_for_effects(self, _web: web.Application) -> None:
        if self._carrying_out:
            await asyncio.wait(set(self._carrying_out), timeout=5)


class _NoConversation(Exception):
    """The board cannot say anything after its answer: the notices go by DM."""


async def _no_conversation(reply: Reply, language: str) -> None:
    raise _NoConversation


@web.middleware
async def _security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as exception:
        _secure(exception.headers)
        raise
    _secure(response.headers)
    return response


def _secure(headers: MutableMapping[str, str]) -> None:
    for name, value in SECURITY_HEADERS.items():
        headers.setdefault(name, value)


def _local_path(value: object) -> str:
    """A path on this site to go back to; anything else (another site, //host) goes to the board's start."""
    if isinstance(value, str) and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/board/"


@pass_context
def _t(ctx: Any, key: str, **params: Any) -> str:
    """A catalog text in the page's language."""
    return i18n.translate(key, ctx["language"], **params)


@pass_context
def _r(ctx: Any, item: Renderable | str | None) -> Markup:
    """A reply's text (a Text, Literal, Join…) in the page's language, without chat's marks (for a cell, an
    attribute)."""
    return html(item, ctx["language"], rich=False)


@pass_context
def _rich(ctx: Any, item: Renderable | str | None) -> Markup:
    """A reply's text in the page's language, chat's **bold** and `code` as HTML (for an answer shown)."""
    return html(item, ctx["language"], rich=True)


@pass_context
def _when(ctx: Any, at: Any, zone: str = "Europe/Stockholm", style: str = "short") -> str:
    """A moment as local text in the page's language."""
    return "" if at is None else i18n.plain_moment(When(at, zone, style), ctx["language"])

