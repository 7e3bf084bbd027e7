"""The campaign page, where the board opens: the open issues, soonest decision first, with the countdown, the
pledges made and kept, the questions per politician and the stance map with its seat math; a page per issue
with the details; and the members' reports of stances that wait for a coordinator, to confirm or reject.

Everything shown is read with the functions the chat commands use (stances.build_models and map_summary for
the map as /issue map, pledges.pledge_counts_of as the countdown, asks.assignments_of as /issue asks), so the
board and the chat always agree; confirming or rejecting runs the coordinators' buttons' service. The page's
content is a live region (data-live): board.js fetches it again when the workspace changes (see live.py).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import UserError
from bot.models import Issue
from bot.replies import Renderable, Text, When, text
from bot.services import asks, civics, pledges, stances, stories, timeline
from bot.services import board as logins
from bot.services.asks import AskTotals
from bot.services.issues import open_issues
from bot.web.board import live
from bot.web.board.site import Board, Page

PATH = "/board/campaign"
REVIEW_PATH = "/board/campaign/review"
# The stances in the order the map's bar and table show them.
STANCES = ("for", "undecided", "unknown", "against")
# The bar's drawing, in the SVG's own units (it scales to the page's width).
BAR_WIDTH, BAR_HEIGHT, BAR_TOP, BAR_BAND = 600, 56, 14, 28
# A segment narrower than this has no number written in it (the table has it).
BAR_LABEL_MIN = 28
# Hours rather than days this close to the decision.
HOURS_BEFORE = timedelta(hours=48)
_ISSUE_PATH = re.compile(r"/board/campaign(?:/[0-9]+)?")


# -- what the page shows -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Segment:
    """A part of the map's bar: a stance, how many (seats, or politicians without seats) and where."""

    stance: str
    count: int
    x: float
    width: float

    @property
    def labelled(self) -> bool:
        return self.width >= BAR_LABEL_MIN


@dataclass(frozen=True)
class SeatBar:
    """The map as one bar: the projected seats per stance against the majority line; without seats, the
    deciders per stance."""

    segments: tuple[Segment, ...]
    seats: bool
    majority_x: float | None

    @property
    def middle(self) -> float:
        return BAR_TOP + BAR_BAND / 2


@dataclass(frozen=True)
class PartyLine:
    """A party's row of the map's table: its seats, how they are projected to vote, its deciders' stances."""

    party: str
    seats: int | None
    projected: str
    counts: dict[str, int]


@dataclass(frozen=True)
class IssueView:
    """One issue as the campaign page shows it."""

    issue: Issue
    decision: When
    body: Renderable
    municipality: Renderable
    left: Text
    pledges: dict[str, tuple[int, int]]
    # Per politician on an issue's page; the overview has only the totals.
    asks: list[asks.PoliticianAsks]
    ask_totals: AskTotals
    model: stances.MapModel
    summary: Text
    bar: SeatBar | None
    parties: tuple[PartyLine, ...]

    @property
    def pledges_made(self) -> int:
        return sum(made for made, _ in self.pledges.values())

    @property
    def pledges_kept(self) -> int:
        return sum(kept for _, kept in self.pledges.values())


def time_left(issue: Issue, zone: str, now: datetime) -> Text:
    """How long until the decision, in words: hours when it is near and its time is known, else days (as the
    countdown counts them: calendar days in the workspace's time zone)."""
    if now >= issue.decision_at:
        return text("board.campaign.left.passed")
    if issue.decision_has_time and issue.decision_at - now < HOURS_BEFORE:
        hours = int((issue.decision_at - now).total_seconds() // 3600)
        return text("board.campaign.left.hours", count=hours) if hours else text("board.campaign.left.soon")
    days = timeline.days_left(issue, zone, now)
    return text("countdown.days", count=days) if days > 1 else text(f"countdown.days.{days}")


def seat_bar(model: stances.MapModel) -> SeatBar | None:
    """Lay out the map's bar: with seats, the projected vote (for, undecided, against) and the majority line,
    as the PNG of /issue map draws it; without, the deciders per stance. None: nothing to draw."""
    if model.has_seats and model.seats_total:
        counts = {stance: model.projected.get(stance, 0) for stance in ("for", "undecided", "against")}
        total = model.seats_total
    else:
        counts = {stance: count for stance, count in model.counts().items() if stance in STANCES}
        counts = {stance: counts[stance] for stance in STANCES}
        total = sum(counts.values())
    if not total:
        return None
    segments, x = [], 0.0
    for stance, count in counts.items():
        width = BAR_WIDTH * count / total
        if count:
            segments.append(Segment(stance, count, round(x, 2), round(width, 2)))
        x += width
    majority_x = (round(BAR_WIDTH * model.majority / total, 2)
                  if model.has_seats and model.majority is not None else None)
    return SeatBar(tuple(segments), model.has_seats, majority_x)


def party_lines(model: stances.MapModel) -> tuple[PartyLine, ...]:
    """The map's parties as the table's rows (in the map's order: the most seats first)."""
    return tuple(PartyLine(group.party, group.seats, group.projected,
                           {stance: sum(1 for row in group.rows if row.stance == stance)
                            for stance in STANCES})
                 for group in model.parties)


async def issue_views(session: AsyncSession, issues: Sequence[Issue], zone: str, now: datetime, *,
                      detailed: bool = True) -> list[IssueView]:
    """The issues as the page shows them, in a handful of statements whatever their number; `detailed=False`
    (the overview) counts the questions instead of reading each one."""
    if not issues:
        return []
    ids = [issue.id for issue in issues]
    workspace_id = issues[0].workspace_id
    models = await stances.build_models(session, issues)
    counts = await pledges.pledge_counts_of(session, ids)
    given = await asks.assignments_of(session, workspace_id, ids) if detailed else {}
    totals = await asks.totals_of(session, workspace_id, ids)
    return [IssueView(issue, civics.decision_when(issue, zone),
                      civics.body_label(issue.body, issue.committee),
                      civics.municipality_label(issue.municipality), time_left(issue, zone, now),
                      counts[issue.id],
                      asks.per_politician(given.get(issue.id, [])), totals[issue.id], models[issue.id],
                      stances.map_summary(models[issue.id]), seat_bar(models[issue.id]),
                      party_lines(models[issue.id]))
            for issue in issues]


# -- the handlers --------------------------------------------------------------------------------------------

class CampaignPage:
    """The campaign page's handlers over the board."""

    def __init__(self, board: Board) -> None:
        self.board = board

    async def overview(self, request: web.Request, visit: logins.Visit) -> web.StreamResponse:
        return await self._overview(request, visit)

    async def _overview(self, request: web.Request, visit: logins.Visit, *, error: str | None = None,
                        status: int = 200) -> web.StreamResponse:
        zone, now = visit.workspace.timezone, self.board.app.clock.now()
        async with self.board.app.deferred_sessionmaker() as session:
            since = await live.workspace_stamp(session, visit.workspace.id)
            shown = await open_issues(session, visit.workspace.id)
            views = await issue_views(session, shown, zone, now, detailed=False)
            reports = await stances.waiting_reports(session, visit.workspace.id)
        return self.board.render(request, "campaign.html", visit, status=status, error=error, views=views,
                                 reports=reports, zone=zone, since=since, back=PATH, **_drawing())

    async def issue(self, request: web.Request, visit: logins.Visit) -> web.StreamResponse:
        return await self._issue(request, visit, int(request.match_info["issue_id"]))

    async def _issue(self, request: web.Request, visit: logins.Visit, issue_id: int, *,
                     error: str | None = None, status: int = 200) -> web.StreamResponse:
        zone, now = visit.workspace.timezone, self.board.app.clock.now()
        async with self.board.app.deferred_sessionmaker() as session:
            found = await session.scalar(select(Issue).where(Issue.id == issue_id,
                                                             Issue.workspace_id == visit.workspace.id))
            if found is None:
                # Another workspace's issue is as unknown as one that never was.
                return self.board.render(request, "campaign_missing.html", visit, status=404)
            since = await live.workspace_stamp(session, visit.workspace.id)
            (view,) = await issue_views(session, [found], zone, now)
            reports = await stances.waiting_reports(session, visit.workspace.id, found.id)
        slug = visit.workspace.public_slug
        # The issue's public page, for a politician or a journalist, once the stories page is published.
        public_url = None if slug is None else stories.public_issue_url(self.board.base_url, slug, found.id)
        return self.board.render(request, "campaign_issue.html", visit, status=status, error=error, view=view,
                                 reports=reports, zone=zone, since=since, back=f"{PATH}/{found.id}",
                                 public_url=public_url, **_drawing())

    async def review(self, request: web.Request, visit: logins.Visit, form: MultiDictProxy[Any]
                     ) -> web.StreamResponse:
        """Confirm or reject a member's report: the service of the buttons in the coordinators' channel."""
        back = form.get("next")
        if not isinstance(back, str) or not _ISSUE_PATH.fullmatch(back):
            back = PATH
        settle = {"confirm": stances.confirm_pressed, "reject": stances.reject_pressed}.get(
            str(form.get("decision", "")))
        try:
            if settle is None:
                raise UserError("errors.unknown_button")
            reply = await self.board.run(visit, settle, str(form.get("report", "")))
        except UserError as problem:
            explained = self.board.explain(visit, problem)
            if back == PATH:
                return await self._overview(request, visit, error=explained, status=422)
            return await self._issue(request, visit, int(back.rsplit("/", 1)[1]), error=explained, status=422)
        return await self.board.done(visit, reply, back)


def _drawing() -> dict[str, Any]:
    """The bar's measures, for the template."""
    return {"bar_width": BAR_WIDTH, "bar_height": BAR_HEIGHT, "bar_top": BAR_TOP, "bar_band": BAR_BAND,
            "stances": STANCES}


def add_routes(board: Board) -> None:
    page = CampaignPage(board)
    router = board.server.web.router
    router.add_get(PATH, board.read(page.overview))
    router.add_get(PATH + "/{issue_id:[0-9]{1,9}}", board.read(page.issue))
    router.add_post(REVIEW_PATH, board.write(page.review))


PAGE = Page("campaign", add_routes)
