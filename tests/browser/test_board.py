"""The board in a real browser: a coordinator edits a politician and sees the issue's map change without a
reload; every section of the board passes the accessibility check and fits a phone, kept as screenshots; a
coordinator features a story and publishes the public page, which a stranger then reads with the decision's
page."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect

from bot import i18n
from bot.app import App
from bot.services import issues, stories
from bot.web.server import WebServer
from tests.browser.conftest import NewContext
from tests.browser.support import BOTH_VIEWPORTS, check_page, server_root, sign_in
from tests.issue_fixtures import ISSUE, politician_ids
from tests.support.onboarding import onboard
from tests.web.board.conftest import COORDINATOR
from tests.web.board.test_campaign import campaign_of
from tests.web.board.test_stories import ANNA, PUBLIC_STORY, share


def sv(key: str, **params: object) -> str:
    return i18n.translate(key, "sv", **params)


async def test_a_coordinator_edits_a_politician_and_the_open_issue_page_shows_the_map_change_by_itself(
        coordinator_page: Page, app: App, board_server: WebServer):
    issue_id = await campaign_of(app)
    bjorn = (await politician_ids(app))["Björn Öst"]
    root = server_root(board_server)
    issue_page = coordinator_page
    await issue_page.goto(f"{root}/board/campaign/{issue_id}")
    deciders = issue_page.get_by_role("region", name=sv("board.campaign.map.politicians"))
    await expect(deciders).to_contain_text("Björn Öst")

    # In another tab of the same browser: Björn now sits in kommunstyrelsen, not the council.
    editor = await issue_page.context.new_page()
    await editor.goto(f"{root}/board/politicians/{bjorn}")
    await editor.get_by_label(sv("field.politician.roles"), exact=True).fill("kommunstyrelsen=ordförande")
    await editor.get_by_role("button", name=sv("board.politicians.save")).click()
    await expect(editor.get_by_role("status")).to_contain_text("Björn Öst")

    # The issue's page, untouched, follows: he no longer decides the council's issue.
    await expect(deciders).not_to_contain_text("Björn Öst", timeout=15_000)
    await expect(deciders).to_contain_text("Åsa Ek")
    await expect(issue_page.locator("[data-live-status]")).to_have_text(sv("board.live.updated"))
    await check_page(issue_page, "board-campaign-issue-after-an-edit")


@pytest.mark.parametrize("viewport", BOTH_VIEWPORTS)
async def test_every_section_of_the_board_is_accessible_and_fits_the_screen(
        page: Page, app: App, board_server: WebServer, new_context: NewContext, viewport: str):
    issue_id = await campaign_of(app)
    asa = (await politician_ids(app))["Åsa Ek"]
    await sign_in(page, app, board_server, COORDINATOR)
    root = server_root(board_server)

    for path, name in (("/board/campaign", "campaign"), (f"/board/campaign/{issue_id}", "campaign-issue"),
                       ("/board/politicians", "politicians"), (f"/board/politicians/{asa}", "politician"),
                       ("/board/members", "members"), ("/board/stories", "stories"),
                       ("/board/agenda", "agenda"),
                       ("/board/sessions", "sessions")):
        opened = await page.goto(root + path)
        assert opened is not None and opened.status == 200, path
        await check_page(page, f"board-{name}")

    # A form sent with a mistake: the problem next to its field, still accessible.
    await page.goto(f"{root}/board/politicians/{asa}")
    handle = page.get_by_label(sv("field.politician.x_handle"), exact=False)
    await handle.fill("åsa ek!")
    await page.get_by_role("button", name=sv("board.politicians.save")).click()
    await expect(handle).to_have_attribute("aria-invalid", "true")
    await check_page(page, "board-politician-with-a-problem")


@pytest.mark.parametrize("viewport", BOTH_VIEWPORTS)
async def test_a_coordinator_features_a_story_publishes_the_page_and_a_stranger_reads_it_and_the_decisions(
        page: Page, app: App, board_server: WebServer, new_context: NewContext, viewport: str):
    await onboard(app, ANNA)
    story_id = await share(app, PUBLIC_STORY)
    await app.run(COORDINATOR, issues.create, **ISSUE)
    await app.run(ANNA, stories.about, story=str(story_id), issue="1")
    await sign_in(page, app, board_server, COORDINATOR)
    root = server_root(board_server)

    await page.goto(f"{root}/board/stories")
    await page.get_by_role("button", name=sv("board.stories.feature", id=story_id)).click()
    await expect(page.get_by_role("status")).to_contain_text(PUBLIC_STORY["title"])
    await page.get_by_role("button", name=sv("board.stories.public.publish")).click()
    await expect(page.get_by_role("button", name=sv("board.stories.public.take_down"))).to_be_visible()
    await check_page(page, "board-stories-published")

    # Someone with no login, in a browser of their own.
    stranger = await (await new_context()).new_page()
    await stranger.goto(f"{root}/berattelser/testgruppen")
    await expect(stranger.get_by_role("heading", level=1)).to_have_text(
        sv("board.public.heading", group="Testgruppen"))
    await expect(stranger.locator("article.featured")).to_contain_text(PUBLIC_STORY["title"])
    await check_page(stranger, "public-stories")
    await stranger.get_by_role("link", name=sv("board.public.issue.heading", title=ISSUE["title"])).click()
    await expect(stranger.get_by_role("heading", level=1)).to_have_text(
        sv("board.public.issue.heading", title=ISSUE["title"]))
    await expect(stranger.get_by_role("article").last).to_contain_text(PUBLIC_STORY["title"])
    await check_page(stranger, "public-issue")
