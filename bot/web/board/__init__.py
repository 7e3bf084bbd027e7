"""The coordinators' campaign board, and the groups' public stories pages (on when BOARD_URL is set).

Served by the process's web server (bot.web.server) beside the health checks. `site` is the frame (sign-in,
sessions, CSRF, templates, running a service as the coordinator); each section of the board is a page module
listed in PAGES, in the order of the menu.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.web.board import agenda, campaign, live, members, politicians, public, stories
from bot.web.board.site import Board, Page

if TYPE_CHECKING:
    from bot.web.server import WebServer

# The board's sections, in the order of the menu (the board opens on the first); the live pages' event stream.
PAGES: tuple[Page, ...] = (campaign.PAGE, politicians.PAGE, members.PAGE, stories.PAGE, agenda.PAGE,
                           live.PAGE, public.PAGE)


def add_routes(server: WebServer) -> None:
    """Add the board's routes to the web server when the board is on."""
    if server.app.settings.board_url is not None:
        Board(server, PAGES)
