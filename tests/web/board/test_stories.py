"""The board's stories page: every story with who may see it; feature, hide, publish and export through the
chat commands' services (same audit, same effects); CSRF, bad input and another workspace's stories."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select

from bot.app import App
from bot.models import AuditLog, Member, Story, Workspace
from bot.replies import Channel
from bot.services import issues, stories
from tests.conftest import RecordingNotifier, Sent, identity
from tests.issue_fixtures import ISSUE
from tests.support.onboarding import onboard
from tests.web.board.conftest import COORDINATOR, OTHER_COORDINATOR, BoardClient

ANNA = identity("anna")
PUBLIC_STORY = {"title": "Tweeten gav tre kunder", "kind": "tweet",
                "value": "Tre nya kunder hittade oss via X efter tweeten om parkeringen.",
                "link": "https://x.com/anna/status/1", "visibility": "public"}
GROUP_STORY = PUBLIC_STORY | {"title": "Bara för gruppen: offerten", "visibility": "group"}


async def share(app: App, story: dict[str, str], who: Any = ANNA) -> int:
    """A member shares a story; its id."""
    await app.submit(who, stories.FORM_ID, story)
    async with app.sessionmaker() as session:
        found = await session.scalar(select(Story.id).where(Story.title == story["title"]))
    assert found is not None
    return found


async def story_row(app: App, story_id: int) -> Story:
    async with app.sessionmaker() as session:
        return await session.get_one(Story, story_id)


async def audited(app: App, action: str) -> list[dict[str, Any]]:
    async with app.sessionmaker() as session:
        return list(await session.scalars(select(AuditLog.detail).where(AuditLog.action == action)))


async def announced(notifier: RecordingNotifier) -> list[Sent]:
    """The posts in the announcements channel, once the board sent a write's effects (after its answer)."""
    for _ in range(200):
        if notifier.to(f"channel:{Channel.ANNOUNCEMENTS}"):
            break
        await asyncio.sleep(0.01)
    return notifier.to(f"channel:{Channel.ANNOUNCEMENTS}")


async def two_stories(app: App) -> tuple[int, int]:
    await onboard(app, ANNA)
    return await share(app, PUBLIC_STORY), await share(app, GROUP_STORY)


async def test_the_page_lists_every_story_with_who_may_see_it_and_what_can_be_done(
        app: App, coordinator: BoardClient):
    public_id, group_id = await two_stories(app)

    status, page = await coordinator.get("/board/stories")

    assert status == 200
    assert "Gruppens berättelser (2)" in page
    assert "Tweeten gav tre kunder" in page and "Bara för gruppen: offerten" in page
    assert "Anna, Annas Blommor" in page
    assert "Även förbundets publika material, med mitt namn och företag" in page and "Bara gruppen" in page
    assert f"Lyft #{public_id}" in page and f"Dölj #{public_id}" in page
    # A group-only story is never public: there is nothing to hide it from.
    assert f"Dölj #{group_id}" not in page
    assert 'aria-current="page"' in page and "Publicera sidan" in page


async def test_signed_out_the_page_and_its_writes_are_refused(app: App, browser: BoardClient):
    public_id, _ = await two_stories(app)

    assert (await browser.get("/board/stories"))[0] == 401
    assert (await browser.post("/board/stories/feature", {"story": str(public_id)}))[0] == 401
    assert (await story_row(app, public_id)).featured_at is None


async def test_featuring_on_the_board_is_the_chat_command(app: App, coordinator: BoardClient,
                                                          notifier: RecordingNotifier):
    public_id, _ = await two_stories(app)
    await coordinator.get("/board/stories")
    notifier.sent.clear()

    status, page = await coordinator.post("/board/stories/feature", {"story": str(public_id)})

    assert status == 200 and coordinator.last_url.endswith("/board/stories")
    assert "Berättelsen Tweeten gav tre kunder är lyft." in page
    assert (await story_row(app, public_id)).featured_at is not None
    assert await audited(app, "story.featured") == [{"story_id": public_id}]
    # The same announcement as in chat, stored to be posted.
    [announcement] = await announced(notifier)
    assert announcement.text.startswith("⭐ Veckans berättelse: Tweeten gav tre kunder")

    _, page = await coordinator.post("/board/stories/feature", {"story": str(public_id), "remove": "yes"})
    assert "inte längre lyft" in page
    assert (await story_row(app, public_id)).featured_at is None
    assert await audited(app, "story.unfeatured") == [{"story_id": public_id}]


async def test_hiding_on_the_board_is_the_chat_command_and_can_be_undone(app: App, coordinator: BoardClient):
    public_id, _ = await two_stories(app)
    await coordinator.get("/board/stories")

    _, page = await coordinator.post("/board/stories/hide", {"story": str(public_id)})

    assert f"Berättelse #{public_id}, Tweeten gav tre kunder, är dold." in page
    assert "Dold för utomstående" in page and f"Visa #{public_id} igen" in page
    assert (await story_row(app, public_id)).hidden_at is not None
    assert await audited(app, "story.hidden") == [{"story_id": public_id}]
    # The public export leaves it out, as the chat command's does.
    export = await app.run(COORDINATOR, stories.export)
    assert b"Tweeten gav tre kunder" not in export.files[0].data

    _, page = await coordinator.post("/board/stories/hide", {"story": str(public_id), "undo": "yes"})
    assert "visas igen" in page
    assert (await story_row(app, public_id)).hidden_at is None
    assert await audited(app, "story.unhidden") == [{"story_id": public_id}]


async def test_a_write_without_its_token_is_refused_and_changes_nothing(app: App, coordinator: BoardClient):
    public_id, _ = await two_stories(app)
    await coordinator.get("/board/stories")

    status, _ = await coordinator.post("/board/stories/hide", {"story": str(public_id)}, csrf=False)
    status_public, _ = await coordinator.post("/board/stories/public", {"on": "yes"}, csrf=False)

    assert status == status_public == 403
    assert (await story_row(app, public_id)).hidden_at is None
    assert await audited(app, "story.hidden") == []
    async with app.sessionmaker() as session:
        assert await session.scalar(select(Workspace.public_slug).where(Workspace.public_slug.is_not(None))) \
            is None


async def test_an_unknown_story_is_explained_in_swedish_and_nothing_is_written(app: App,
                                                                             coordinator: BoardClient):
    await two_stories(app)
    await coordinator.get("/board/stories")

    status, page = await coordinator.post("/board/stories/feature", {"story": "9999"})

    assert status == 422
    assert "Det finns ingen berättelse nummer 9999 i gruppen." in page
    assert "Tweeten gav tre kunder" in page
    assert await audited(app, "story.featured") == []


async def test_another_workspaces_coordinator_never_sees_nor_changes_these_stories(
        app: App, other_coordinator: BoardClient):
    public_id, group_id = await two_stories(app)

    status, page = await other_coordinator.get("/board/stories")
    assert status == 200
    assert "Tweeten gav tre kunder" not in page and "Bara för gruppen" not in page
    assert "Gruppens berättelser (0)" in page and "Ingen har delat en berättelse än." in page

    status, page = await other_coordinator.post("/board/stories/feature", {"story": str(public_id)})
    status_hide, _ = await other_coordinator.post("/board/stories/hide", {"story": str(group_id)})

    assert status == status_hide == 422
    assert f"Det finns ingen berättelse nummer {public_id} i gruppen." in page
    assert (await story_row(app, public_id)).featured_at is None
    assert (await story_row(app, group_id)).hidden_at is None


async def test_the_export_gives_the_chat_commands_files(app: App, coordinator: BoardClient):
    await two_stories(app)
    await coordinator.get("/board/stories")
    chat = await app.run(COORDINATOR, stories.export, audience=stories.Audience.GROUP)
    markdown, csv_file = chat.files

    async with coordinator.http.post(coordinator.root + "/board/stories/export", data={
            "audience": "group", "format": "csv", "csrf": coordinator.csrf}) as response:
        assert response.status == 200
        assert response.headers["Content-Disposition"] == f'attachment; filename="{csv_file.filename}"'
        assert await response.read() == csv_file.data
    async with coordinator.http.post(coordinator.root + "/board/stories/export", data={
            "audience": "public", "format": "md", "csrf": coordinator.csrf}) as response:
        public_markdown = await response.read()
    assert b"Tweeten gav tre kunder" in public_markdown and b"Bara f" not in public_markdown
    assert b"Bara f\xc3\xb6r gruppen: offerten" in markdown.data
    assert [detail["audience"] for detail in await audited(app, "stories.exported")] == [
        "group", "group", "public"]


async def test_a_forged_audience_is_refused_with_the_fields_name(app: App, coordinator: BoardClient):
    await two_stories(app)
    await coordinator.get("/board/stories")

    status, page = await coordinator.post("/board/stories/export", {"audience": "alla", "format": "md"})

    assert status == 422
    assert "För vem" in page and 'value="public"' in page
    assert await audited(app, "stories.exported") == []


async def test_publishing_on_the_board_gives_the_address_and_taking_it_down_ends_it(
        app: App, coordinator: BoardClient, browser: BoardClient):
    await two_stories(app)
    await coordinator.get("/board/stories")

    _, page = await coordinator.post("/board/stories/public", {"on": "yes"})

    assert "Gruppens publika berättelsesida är publicerad." in page
    assert 'href="http://tavla.test/berattelser/testgruppen"' in page and "Ta ner sidan" in page
    assert [detail["slug"] for detail in await audited(app, "stories.public_on")] == ["testgruppen"]
    assert (await browser.get("/berattelser/testgruppen"))[0] == 200

    _, page = await coordinator.post("/board/stories/public", {"on": "no"})

    assert "Gruppens publika berättelsesida är nedtagen." in page and "Publicera sidan" in page
    assert len(await audited(app, "stories.public_off")) == 1
    assert (await browser.get("/berattelser/testgruppen"))[0] == 404


# -- which issue a story is about; the list a page at a time, by issue ---------------------------------------


async def test_saying_which_issue_a_story_is_about_on_the_board_is_the_chat_command(app: App,
                                                                                    coordinator: BoardClient):
    public_id, group_id = await two_stories(app)
    await app.run(COORDINATOR, issues.create, **ISSUE)
    await coordinator.get("/board/stories")

    status, page = await coordinator.post("/board/stories/about", {"story": str(public_id), "issue": "1"})

    assert status == 200 and coordinator.last_url.endswith("/board/stories")
    assert "Berättelsen Tweeten gav tre kunder handlar nu om frågan Parkering i centrum." in page
    assert '<option value="1" selected>#1 Parkering i centrum</option>' in page
    assert (await story_row(app, public_id)).issue_id == 1
    assert await audited(app, "story.about") == [{"story_id": public_id, "issue_id": 1}]

    _, page = await coordinator.post("/board/stories/about", {"story": str(public_id), "issue": ""})
    assert "handlar inte längre om någon fråga" in page
    assert (await story_row(app, public_id)).issue_id is None
    assert (await story_row(app, group_id)).issue_id is None


async def test_another_workspaces_issue_or_story_is_refused_and_a_write_without_its_token_too(
        app: App, coordinator: BoardClient, other_coordinator: BoardClient):
    public_id, _ = await two_stories(app)
    await app.run(OTHER_COORDINATOR, issues.create, **ISSUE)
    await coordinator.get("/board/stories")

    status, page = await coordinator.post("/board/stories/about", {"story": str(public_id), "issue": "1"})
    assert status == 422 and "Parkering" not in page and "Tweeten gav tre kunder" in page
    await app.run(COORDINATOR, issues.create, **ISSUE)
    status_token, _ = await coordinator.post("/board/stories/about", {"story": str(public_id), "issue": "2"},
                                             csrf=False)
    await other_coordinator.get("/board/stories")
    status_other, other_page = await other_coordinator.post("/board/stories/about",
                                                            {"story": str(public_id), "issue": "1"})

    assert status_token == 403
    assert status_other == 422 and f"Det finns ingen berättelse nummer {public_id} i gruppen." in other_page
    assert (await story_row(app, public_id)).issue_id is None
    assert await audited(app, "story.about") == []


async def many_stories(app: App, count: int, issue_id: int | None = None) -> None:
    """Stories written straight into the database: the list's pages need many, not the sharing."""
    async with app.sessionmaker() as session:
        member = await session.scalar(select(Member).where(Member.external_id == ANNA.user_external_id))
        assert member is not None
        now = app.clock.now()
        session.add_all(Story(workspace_id=member.workspace_id, member_id=member.id,
                              title=f"Berättelse {n:02}", kind="tweet", value="Fler kunder.",
                              visibility="public", credit="name", issue_id=issue_id, created_at=now,
                              updated_at=now) for n in range(count))
        await session.commit()


async def test_the_list_shows_fifty_stories_a_page(app: App, coordinator: BoardClient):
    await two_stories(app)
    await many_stories(app, 50)

    first = (await coordinator.get("/board/stories"))[1]
    second = (await coordinator.get("/board/stories?page=2"))[1]

    assert "Gruppens berättelser (52)" in first and "Sida 1 av 2" in first
    assert first.count('<tr id="story-') == 50 and second.count('<tr id="story-') == 2
    assert 'href="/board/stories?page=2#list-heading" rel="next"' in first
    assert "Sida 2 av 2" in second and 'rel="prev"' in second and 'rel="next"' not in second
    # The oldest two, Anna's shared ones, come last.
    assert "Tweeten gav tre kunder" in second and "Tweeten gav tre kunder" not in first


async def test_the_list_is_filtered_by_issue(app: App, coordinator: BoardClient):
    public_id, _ = await two_stories(app)
    await app.run(COORDINATOR, issues.create, **ISSUE)
    await app.run(COORDINATOR, stories.about, story=str(public_id), issue="1")
    await many_stories(app, 51, issue_id=1)

    page = (await coordinator.get("/board/stories?issue=1"))[1]
    last = (await coordinator.get("/board/stories?issue=1&page=2"))[1]

    assert "Gruppens berättelser (52)" in page and "Bara för gruppen: offerten" not in page
    assert 'href="/board/stories?page=2&amp;issue=1#list-heading"' in page
    assert '<option value="1" selected>#1 Parkering i centrum</option>' in page
    assert "Tweeten gav tre kunder" in last
