"""A group's public stories page: off until published (404), then only the public stories not hidden, named
as each author chose; a page per story with share previews; an Atom feed; caching; never another group's."""

from __future__ import annotations

import html
import io
import json
import re

import feedparser
from PIL import Image
from sqlalchemy import select

from bot.app import App
from bot.i18n import render
from bot.models import Workspace
from bot.services import issues, mydata, stories
from tests.conftest import identity
from tests.issue_fixtures import ISSUE
from tests.support.onboarding import onboard
from tests.web.board.conftest import BOARD_URL, COORDINATOR, OTHER_COORDINATOR, BoardClient
from tests.web.board.test_stories import ANNA, GROUP_STORY, PUBLIC_STORY, share

BO = identity("bo")
# Bo shares anonymously: his name must never be on the public page nor in the feed.
ANONYMOUS_STORY = PUBLIC_STORY | {"title": "Bloggen gav en praktikant", "kind": "blog",
                                  "value": "En student läste inlägget och sökte praktik.",
                                  "visibility": "public_anonymous", "link": ""}
PAGE = "/berattelser/testgruppen"


async def published(app: App, *, more: bool = True) -> dict[str, int]:
    """Anna's public and group-only stories, Bo's anonymous one, and the page published; their ids."""
    await onboard(app, ANNA)
    ids = {"public": await share(app, PUBLIC_STORY), "group": await share(app, GROUP_STORY)}
    if more:
        await onboard(app, BO)
        ids["anonymous"] = await share(app, ANONYMOUS_STORY, BO)
    reply = await app.run(COORDINATOR, stories.public_page, on=True)
    assert reply.links[0].url == "http://tavla.test" + PAGE
    return ids


def og(page: str, name: str) -> str:
    """The content of a share preview's meta tag, as a previewer reads it (unescaped)."""
    found = re.search(rf'<meta (?:property|name)="{re.escape(name)}" content="([^"]*)">', page)
    assert found is not None, name
    return html.unescape(found.group(1))


async def test_a_page_never_published_or_taken_down_is_not_found(app: App, browser: BoardClient):
    await onboard(app, ANNA)
    await share(app, PUBLIC_STORY)

    status, page = await browser.get(PAGE)
    assert status == 404 and "Sidan finns inte" in page and "Tweeten" not in page

    await app.run(COORDINATOR, stories.public_page, on=True)
    assert (await browser.get(PAGE))[0] == 200
    await app.run(COORDINATOR, stories.public_page, on=False)

    assert (await browser.get(PAGE))[0] == 404
    assert (await browser.get(PAGE + "/feed.atom"))[0] == 404


async def test_the_page_shows_the_public_stories_named_as_each_author_chose(app: App, browser: BoardClient):
    ids = await published(app)

    status, page = await browser.get(PAGE)

    assert status == 200
    assert "<h1>Berättelser från Testgruppen</h1>" in page and '<html lang="sv">' in page
    assert "Tweeten gav tre kunder" in page and "Av Anna, Annas Blommor" in page
    assert "Bloggen gav en praktikant" in page and "Av En medlem i Jobbskaparna" in page
    assert f'href="{PAGE}/{ids["public"]}"' in page
    # Never a group-only story, never the anonymous author's name.
    assert "Bara för gruppen" not in page
    assert "Bo" not in re.sub(r"Bloggen|body", "", page)
    # Anyone may read it: no login, index allowed, the same strict headers as the board.
    assert 'name="robots"' not in page
    status, headers = (await browser.get_bytes(PAGE))[0::2]
    assert "default-src 'none'" in headers["Content-Security-Policy"]


async def test_the_featured_stories_come_first(app: App, browser: BoardClient):
    ids = await published(app)
    await app.run(COORDINATOR, stories.feature, str(ids["public"]))

    page = (await browser.get(PAGE))[1]

    # Anna's older story, featured, before Bo's newer one.
    assert page.index("Tweeten gav tre kunder") < page.index("Bloggen gav en praktikant")
    assert "⭐ Utvald" in page


async def test_a_story_hidden_in_chat_leaves_the_page_its_own_page_and_the_feed(app: App,
                                                                               browser: BoardClient):
    ids = await published(app)

    await app.run(COORDINATOR, stories.hide, str(ids["public"]))

    assert "Tweeten gav tre kunder" not in (await browser.get(PAGE))[1]
    assert (await browser.get(f"{PAGE}/{ids['public']}"))[0] == 404
    feed = feedparser.parse((await browser.get_bytes(PAGE + "/feed.atom"))[1])
    assert [entry.title for entry in feed.entries] == ["Bloggen gav en praktikant"]

    await app.run(COORDINATOR, stories.unhide, str(ids["public"]))
    assert "Tweeten gav tre kunder" in (await browser.get(PAGE))[1]


async def test_a_group_only_story_has_no_public_page(app: App, browser: BoardClient):
    ids = await published(app)

    status, page = await browser.get(f"{PAGE}/{ids['group']}")

    assert status == 404 and "Bara för gruppen" not in page


async def test_the_feed_is_atom_with_the_public_stories_as_their_authors_chose(app: App,
                                                                              browser: BoardClient):
    ids = await published(app)

    status, body, headers = await browser.get_bytes(PAGE + "/feed.atom")
    feed = feedparser.parse(body)

    assert status == 200 and headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    assert not feed.bozo and feed.version == "atom10"
    assert feed.feed.title == "Berättelser från Testgruppen"
    assert feed.feed.link == "http://tavla.test" + PAGE
    assert [entry.title for entry in feed.entries] == ["Bloggen gav en praktikant", "Tweeten gav tre kunder"]
    anonymous, public = feed.entries
    assert anonymous.author == "En medlem i Jobbskaparna" and public.author == "Anna, Annas Blommor"
    assert public.link == f"http://tavla.test{PAGE}/{ids['public']}"
    assert re.fullmatch(rf"tag:tavla\.test,\d{{4}}-\d{{2}}-\d{{2}}:stories/\d+/{ids['public']}", public.id)
    assert public.updated_parsed is not None and public.published_parsed is not None
    assert "https://x.com/anna/status/1" in public.content[0].value
    assert b"Bo" not in body.replace(b"Bloggen", b"")
    assert "Bara för gruppen" not in body.decode()


async def test_a_storys_page_carries_escaped_share_previews(app: App, browser: BoardClient):
    await onboard(app, ANNA)
    tricky = await share(app, PUBLIC_STORY | {"title": 'Vi fick "fler" kunder <b>& mer</b>',
                                              "value": "Allt " * 80})
    await app.run(COORDINATOR, stories.public_page, on=True)

    status, page = await browser.get(f"{PAGE}/{tricky}")

    assert status == 200
    assert og(page, "og:title") == 'Vi fick "fler" kunder <b>& mer</b>'
    assert "<b>& mer</b>" not in page
    assert og(page, "og:type") == "article" and og(page, "og:locale") == "sv_SE"
    assert og(page, "og:url") == f"http://tavla.test{PAGE}/{tricky}"
    # A link's extras (a tracker's parameters) are not the page's address.
    assert og((await browser.get(f"{PAGE}/{tricky}?utm_source=x"))[1], "og:url") == og(page, "og:url")
    assert og(page, "og:site_name") == "Berättelser från Testgruppen"
    assert og(page, "og:description").endswith("Allt…") and len(og(page, "og:description")) <= 201
    assert og(page, "twitter:card") == "summary_large_image"
    assert og(page, "twitter:title") == og(page, "og:title")
    assert og(page, "og:image") == og(page, "twitter:image") == f"http://tavla.test{PAGE}/{tricky}.png"
    assert og(page, "og:image:alt") == og(page, "og:title")


async def test_the_page_switches_to_english(app: App, browser: BoardClient):
    ids = await published(app)

    page = (await browser.get(PAGE + "?lang=en"))[1]

    assert '<html lang="en">' in page and "<h1>Stories from Testgruppen</h1>" in page
    assert "By A member of Jobbskaparna" in page
    assert f'href="{PAGE}/{ids["public"]}?lang=en"' in page and f'href="{PAGE}" lang="sv"' in page
    story = (await browser.get(f"{PAGE}/{ids['public']}?lang=en"))[1]
    assert og(story, "og:locale") == "en_GB"
    assert og(story, "og:url") == f"http://tavla.test{PAGE}/{ids['public']}?lang=en"
    # The switch back stays on the story.
    assert f'href="{PAGE}/{ids["public"]}" lang="sv"' in story


async def test_the_page_may_be_cached_briefly_and_is_revalidated_by_its_etag(app: App, browser: BoardClient):
    ids = await published(app)

    async with browser.http.get(browser.root + PAGE) as first:
        status, headers = first.status, first.headers
    assert status == 200
    assert headers["Cache-Control"] == "public, max-age=120"
    assert headers["Last-Modified"].endswith("GMT")
    async with browser.http.get(browser.root + PAGE, headers={"If-None-Match": headers["ETag"]}) as again:
        assert again.status == 304

    await app.run(COORDINATOR, stories.hide, str(ids["anonymous"]))
    async with browser.http.get(browser.root + PAGE, headers={"If-None-Match": headers["ETag"]}) as changed:
        assert changed.status == 200
        assert "Bloggen gav en praktikant" not in await changed.text()


async def test_a_member_who_erased_their_data_is_gone_from_the_page_and_the_feed(app: App,
                                                                                browser: BoardClient):
    await published(app)

    await app.press(ANNA, mydata.DELETE_CONFIRM, "")

    page = (await browser.get(PAGE))[1]
    feed = (await browser.get_bytes(PAGE + "/feed.atom"))[1].decode()
    for shown in (page, feed):
        assert "Tweeten gav tre kunder" not in shown and "Annas Blommor" not in shown
        assert "Bloggen gav en praktikant" in shown


async def test_another_groups_page_never_shows_this_groups_stories(app: App, browser: BoardClient):
    ids = await published(app, more=False)
    reply = await app.run(OTHER_COORDINATOR, stories.public_page, on=True)
    other = reply.links[0].url.removeprefix(BOARD_URL)

    status, page = await browser.get(other)
    assert status == 200 and "Tweeten gav tre kunder" not in page and "Här finns inga berättelser än." in page
    assert (await browser.get(f"{other}/{ids['public']}"))[0] == 404
    feed = feedparser.parse((await browser.get_bytes(f"{other}/feed.atom"))[1])
    assert feed.entries == []


async def test_a_second_group_of_the_same_name_gets_an_address_with_a_number(app: App):
    # Another server whose group is also called Testgruppen.
    twin = identity("olle", coordinator=True, workspace="guild-3")

    first = await app.run(COORDINATOR, stories.public_page, on=True)
    second = await app.run(twin, stories.public_page, on=True)

    assert [reply.links[0].url for reply in (first, second)] == [
        f"{BOARD_URL}{PAGE}", f"{BOARD_URL}{PAGE}-2"]
    async with app.sessionmaker() as session:
        assert set(await session.scalars(select(Workspace.public_slug))) == {"testgruppen", "testgruppen-2"}


async def test_a_storys_share_image_is_a_png_card_named_as_the_author_chose(app: App, browser: BoardClient):
    ids = await published(app)

    status, png, headers = await browser.get_bytes(f"{PAGE}/{ids['anonymous']}.png")

    assert status == 200 and headers["Content-Type"] == "image/png"
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    card = Image.open(io.BytesIO(png))
    assert card.size == (1200, 630)
    assert json.loads(card.info["Description"]) == {
        "heading": "Berättelser från Testgruppen", "title": "Bloggen gav en praktikant",
        "byline": "En medlem i Jobbskaparna"}
    # A group-only or hidden story has no card.
    assert (await browser.get_bytes(f"{PAGE}/{ids['group']}.png"))[0] == 404
    await app.run(COORDINATOR, stories.hide, str(ids["anonymous"]))
    assert (await browser.get_bytes(f"{PAGE}/{ids['anonymous']}.png"))[0] == 404


# -- an issue's page: what the decision means for businesses here --------------------------------------------


async def about_issue(app: App, **changes: str) -> tuple[dict[str, int], int]:
    """The published page's stories, an issue, and the public, the group-only and the anonymous (then hidden)
    story about it; Anna's second public story is about nothing. The ids, and the issue's."""
    ids = await published(app)
    await app.run(COORDINATOR, issues.create, **(ISSUE | changes))
    ids["unlinked"] = await share(app, PUBLIC_STORY | {"title": "Om inget särskilt"})
    for name in ("public", "group", "anonymous"):
        await app.run(COORDINATOR, stories.about, story=str(ids[name]), issue="1")
    await app.run(COORDINATOR, stories.hide, str(ids["anonymous"]))
    return ids, 1


async def test_an_issues_page_shows_the_decision_the_position_and_only_its_public_stories(
        app: App, browser: BoardClient):
    ids, issue_id = await about_issue(app)

    status, page = await browser.get(f"{PAGE}/fraga/{issue_id}")

    assert status == 200
    assert "<h1>Parkering i centrum: vad beslutet betyder för företagen här</h1>" in page
    for fact in ("Karlskrona", "kommunfullmäktige", "#ParkeraKarlskrona", "Inte beslutat än",
                 "Behåll platserna. Kunderna kommer med bil till butikerna."):
        assert fact in page
    assert f'href="{PAGE}/{ids["public"]}"' in page and "Av Anna, Annas Blommor" in page
    # Never a group-only story, one a coordinator hid, or one about something else.
    for absent in ("Bara för gruppen", "Bloggen gav en praktikant", "Om inget särskilt"):
        assert absent not in page

    await app.run(COORDINATOR, issues.close, issue="Parkering", outcome="won")
    assert "Beslutat: vunnen" in (await browser.get(f"{PAGE}/fraga/{issue_id}"))[1]


async def test_an_issue_without_public_stories_says_so_and_another_groups_issue_is_not_found(
        app: App, browser: BoardClient):
    await published(app, more=False)
    await app.run(COORDINATOR, issues.create, **ISSUE)
    await app.run(OTHER_COORDINATOR, issues.create, **ISSUE)

    status, page = await browser.get(f"{PAGE}/fraga/1")
    assert status == 200 and "Inga berättelser om beslutet än." in page and "Tweeten" not in page
    # The other group's issue (number 2) is no page of this group's; nor is an issue that never was.
    assert (await browser.get(f"{PAGE}/fraga/2"))[0] == 404
    assert (await browser.get(f"{PAGE}/fraga/2/feed.atom"))[0] == 404
    assert (await browser.get(f"{PAGE}/fraga/99"))[0] == 404

    await app.run(COORDINATOR, stories.public_page, on=False)
    assert (await browser.get(f"{PAGE}/fraga/1"))[0] == 404


async def test_an_issues_page_carries_escaped_share_previews_its_address_and_english(
        app: App, browser: BoardClient):
    _, issue_id = await about_issue(app, title='Torget "nu" <b>& sen</b>',
                                    position='Behåll "torget" <i>öppet</i> & levande.')
    here = f"{PAGE}/fraga/{issue_id}"

    page = (await browser.get(here + "?utm_source=x"))[1]

    assert og(page, "og:title") == 'Torget "nu" <b>& sen</b>: vad beslutet betyder för företagen här'
    assert og(page, "twitter:title") == og(page, "og:title")
    assert og(page, "og:description") == 'Behåll "torget" <i>öppet</i> & levande.'
    assert "<b>& sen</b>" not in page and "<i>öppet</i>" not in page
    assert og(page, "og:url") == f"http://tavla.test{here}"
    assert f'<link rel="canonical" href="http://tavla.test{here}">' in page
    assert f'href="http://tavla.test{here}/feed.atom"' in page
    english = (await browser.get(here + "?lang=en"))[1]
    assert '<html lang="en">' in english and "what the decision means for businesses here" in english
    assert "Not decided yet" in english and f'href="{here}" lang="sv"' in english
    async with browser.http.get(browser.root + here) as first:
        etag = first.headers["ETag"]
    async with browser.http.get(browser.root + here, headers={"If-None-Match": etag}) as again:
        assert again.status == 304


async def test_an_issues_feed_is_atom_with_its_public_stories_only(app: App, browser: BoardClient):
    ids, issue_id = await about_issue(app)

    status, body, _ = await browser.get_bytes(f"{PAGE}/fraga/{issue_id}/feed.atom")
    feed = feedparser.parse(body)

    assert status == 200 and not feed.bozo and feed.version == "atom10"
    assert feed.feed.title == "Parkering i centrum: vad beslutet betyder för företagen här"
    assert feed.feed.link == f"http://tavla.test{PAGE}/fraga/{issue_id}"
    assert [entry.title for entry in feed.entries] == ["Tweeten gav tre kunder"]
    assert feed.entries[0].link == f"http://tavla.test{PAGE}/{ids['public']}"
    assert re.fullmatch(rf"tag:tavla\.test,\d{{4}}-\d{{2}}-\d{{2}}:stories/\d+/issue/{issue_id}",
                        feed.feed.id)


async def test_the_list_names_the_issues_with_public_stories_and_each_story_links_its_issue(
        app: App, browser: BoardClient):
    ids, issue_id = await about_issue(app)
    await app.run(COORDINATOR, issues.create, **(ISSUE | {"title": "Bara gruppens fråga"}))
    await app.run(COORDINATOR, stories.about, story=str(ids["group"]), issue="Bara gruppens")

    page = (await browser.get(PAGE))[1]

    assert "<h2 id=\"public-issues\">Frågor</h2>" in page
    link = f'href="{PAGE}/fraga/{issue_id}"'
    # Listed once among the issues, and once under the story about it.
    assert page.count(link) == 2 and "(1 berättelse)" in page
    assert "Bara gruppens fråga" not in page
    story = (await browser.get(f"{PAGE}/{ids['public']}"))[1]
    assert link in story


async def test_the_status_answer_in_chat_links_the_pages_of_the_issues_with_public_stories(app: App):
    _, issue_id = await about_issue(app)
    await app.run(COORDINATOR, issues.create, **(ISSUE | {"title": "Utan berättelser"}))

    reply = await app.run(COORDINATOR, stories.public_page)

    assert [link.url for link in reply.links] == [f"http://tavla.test{PAGE}",
                                                  f"http://tavla.test{PAGE}/fraga/{issue_id}"]
    assert render(reply.links[1].label, "sv") == "Frågan: Parkering i centrum"
