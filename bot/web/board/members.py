"""The board's members page: how the members climb the coaching ladder, who cannot be reached by DM, and what
the group did week by week, each as a chart (inline SVG) with its numbers in a table.

It shows what the coordinators already see in chat, counted by the same queries: the steps as /coach overview
counts them, the closed DMs as /report lists them, the weeks as the digest's chart counts them. Only members
who onboarded (and so consented) are named; the weeks are counts, no names.
"""

from __future__ import annotations

from datetime import timedelta

from aiohttp import web

from bot import i18n
from bot.services import activity, digest, ladder, reachability
from bot.services.board import Visit
from bot.web.board import svg
from bot.web.board.site import Board, Page

PER_PAGE = 50
CLOSED_SHOWN = 100
WEEKS = 12


def add_routes(board: Board) -> None:
    async def members(request: web.Request, visit: Visit) -> web.StreamResponse:
        return await _members(board, request, visit)

    board.server.web.router.add_get("/board/members", board.read(members))


def _page_number(raw: str | None) -> int:
    """The page asked for in the address (?page=2); anything else is the first."""
    return int(raw) if raw is not None and raw.isdigit() and len(raw) < 7 else 1


async def _members(board: Board, request: web.Request, visit: Visit) -> web.StreamResponse:
    workspace = visit.workspace
    language = visit.language
    # Up to and including this moment, as /digest now counts: what was logged a moment ago is in this week.
    end = board.app.clock.now() + timedelta(microseconds=1)
    async with board.app.deferred_sessionmaker() as session:
        page = _page_number(request.query.get("page"))
        standing = await ladder.standing_page(session, workspace.id, page=page, per_page=PER_PAGE)
        closed = await reachability.closed_dms(session, workspace.id, limit=CLOSED_SHOWN)
        weeks = await digest.weekly(session, workspace, end, WEEKS)

    def t(key: str, **params: object) -> str:
        return i18n.translate(key, language, **params)

    step_labels = [t("coaching.chart.step", number=number, title=i18n.render(title, language))
                   for number, title, _ in standing.steps] + [t("coaching.chart.finished")]
    step_counts = [count for _, _, count in standing.steps] + [standing.finished]
    steps_chart = svg.horizontal_bars("steps-chart", step_labels, step_counts,
                                      title=t("coaching.chart.title"),
                                      description=t("board.members.coaching.desc"))

    days = weeks.local_days(workspace.timezone)
    kinds = [(i18n.render(activity.kind_label(kind), language), weeks.counts[kind])
             for kind in activity.KINDS]
    kinds.append((t("digest.chart.stories"), weeks.counts["story"]))
    activity_chart = svg.stacked_columns("activity-chart", [f"{day.day}/{day.month}" for day in days], kinds,
                                         title=t("digest.chart.title"),
                                         description=t("board.members.activity.desc", weeks=WEEKS))
    week_rows = [(t("digest.chart.week", date=f"{day.day}/{day.month}"),
                  [values[index] for _, values in kinds]) for index, day in enumerate(days)]
    return board.render(
        request, "members.html", visit, standing=standing, step_labels=step_labels, step_counts=step_counts,
        steps_chart=steps_chart, closed=closed, activity_chart=activity_chart,
        kind_names=[name for name, _ in kinds], week_rows=week_rows, weeks=WEEKS, zone=workspace.timezone)


PAGE = Page("members", add_routes)
