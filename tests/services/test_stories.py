"""Stories: the form, the post in the stories channel, 👏, finding and featuring, consent in every export."""

from __future__ import annotations

import csv
import io
import json

import pytest
from sqlalchemy import func, select

from bot.app import App
from bot.errors import NotCoordinator, UserError
from bot.i18n import render
from bot.models import AuditLog, CoachingProgress, LiveMessage, Member, Story, StoryApplause, Workspace
from bot.replies import Channel, Literal, PostToChannel, Reply
from bot.services import issues, mydata, stories, workspaces
from bot.validation import FieldProblem, FormProblems
from tests.conftest import RecordingNotifier, identity
from tests.issue_fixtures import ANNA, BO, COORDINATOR, ISSUE, create_issue
from tests.support.onboarding import onboard
from tests.support.replies import field_value, shown

CIA = identity("cia")
TWEET_STORY = {"title": "Tweeten gav tre kunder", "kind": "tweet",
               "value": "Tre nya kunder hittade oss via X efter tweeten om parkeringen.",
               "link": "https://x.com/anna/status/1", "visibility": "public"}


async def share(app: App, who=ANNA, **changes: str) -> Reply:
    return await app.submit(who, stories.FORM_ID, TWEET_STORY | changes)


async def story_count(app: App) -> int:
    async with app.sessionmaker() as session:
        return await session.scalar(select(func.count(Story.id))) or 0


def rows(data: bytes) -> list[list[str]]:
    assert data.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))


async def test_sharing_opens_a_form_and_posts_the_story_in_the_stories_channel(app: App,
                                                                              notifier: RecordingNotifier):
    await onboard(app, ANNA)
    form = (await app.run(ANNA, stories.start_share)).form
    assert [f.name for f in form.fields] == ["title", "kind", "value", "link", "visibility"]
    assert form.values == {"visibility": "group"}
    notifier.sent.clear()

    reply = await share(app)

    [post] = notifier.to(f"channel:{Channel.STORIES}")
    assert post.text.startswith("Tweeten gav tre kunder\nTre nya kunder hittade oss via X")
    assert "Av: Anna, Annas Blommor" in post.text and "Vad: En tweet" in post.text
    [applaud] = post.reply.buttons
    assert (applaud.action, render(applaud.label, "sv")) == (stories.APPLAUD_ACTION, "👏 Inspirerande (0)")
    [notice] = notifier.to(f"channel:{Channel.COORDINATORS}")
    assert notice.reply.buttons[0].action == stories.FEATURE_ACTION
    assert "Vem får se den?: Även förbundets publika material, med mitt namn och företag" in shown(reply)
    # Sharing a story is the ladder's last step.
    assert "Dela en berättelse om affärsnytta med gruppen ✅" in shown(reply)
    async with app.sessionmaker() as session:
        assert await session.scalar(select(func.count(CoachingProgress.id))) == 1


async def test_an_empty_story_or_a_bad_link_is_refused_and_nothing_is_stored(app: App):
    await onboard(app, ANNA)

    with pytest.raises(FormProblems) as empty:
        await share(app, title="  ", value="")
    with pytest.raises(FieldProblem) as bad_link:
        await share(app, link="javascript:alert(1)")
    with pytest.raises(FieldProblem) as unknown_choice:
        await share(app, visibility="alla i hela världen")
    with pytest.raises(UserError) as not_onboarded:
        await share(app, BO)

    assert render(empty.value.text, "sv") == ("Formuläret har 2 saker att rätta:\n• Rubrik: måste fyllas i.\n"
                                              "• Vad gav det ditt företag?: måste fyllas i.")
    assert render(bad_link.value.text, "sv").startswith("Länk: ")
    assert unknown_choice.value.field_label.key == "stories.field.visibility"
    assert not_onboarded.value.text.key == "profile.not_onboarded"
    assert await story_count(app) == 0


async def test_applause_is_counted_once_per_member_and_shown_on_the_post(app: App):
    for who in (ANNA, BO, CIA):
        await onboard(app, who)
    await share(app)
    async with app.sessionmaker() as session:
        story_id = await session.scalar(select(Story.id))

    await app.press(BO, stories.APPLAUD_ACTION, str(story_id))
    second = await app.press(CIA, stories.APPLAUD_ACTION, str(story_id))
    taken_back = await app.press(BO, stories.APPLAUD_ACTION, str(story_id))

    assert second.replaces_source and render(second.buttons[0].label, "sv") == "👏 Inspirerande (2)"
    assert render(taken_back.buttons[0].label, "sv") == "👏 Inspirerande (1)"
    assert render(taken_back.title, "sv") == "Tweeten gav tre kunder"
    with pytest.raises(UserError) as gone:
        await app.press(BO, stories.APPLAUD_ACTION, "999")
    assert gone.value.text.key == "errors.unknown_button"


async def test_stories_are_listed_searched_and_shown(app: App):
    await onboard(app, ANNA)
    await onboard(app, BO, company="Bos Bygg")
    await onboard(app, CIA)
    await share(app)
    await share(
        app,
        BO,
        title="Bloggen gav en rekrytering",
        kind="blog",
        value="En snickare sökte jobb hos oss.",
        link="",
        visibility="group",
    )

    listed = await app.run(CIA, stories.list_stories)
    found = await app.run(CIA, stories.search, query="snickare")
    by_company = await app.run(CIA, stories.search, query="annas blommor")
    one = await app.run(CIA, stories.show, story="#1")

    assert render(listed.title, "sv") == "📣 Gruppens berättelser (2)"
    assert render(listed.body, "sv").splitlines() == [
        "#2 **Bloggen gav en rekrytering** – Bo · Ett blogginlägg · 👏 0",
        "#1 **Tweeten gav tre kunder** – Anna · En tweet · 👏 0"]
    assert render(found.title, "sv") == '🔎 Berättelser om "snickare" (1)'
    assert render(by_company.body, "sv").startswith("#1 **Tweeten gav tre kunder**")
    assert one.private and render(one.title, "sv") == "Tweeten gav tre kunder"
    assert render((await app.run(CIA, stories.search, query="flygplats")).body, "sv") == \
        'Ingen berättelse handlar om "flygplats".'
    with pytest.raises(UserError) as unknown:
        await app.run(CIA, stories.show, story="77")
    assert render(unknown.value.text, "sv").startswith("Det finns ingen berättelse nummer 77")
    async with app.sessionmaker() as session:
        assert await stories.choices(session, CIA, "blogg") == [("#2 Bloggen gav en rekrytering", "2")]


async def test_a_group_only_story_is_for_members_who_consented_and_the_others_are_told_how_to_join(app: App):
    outsider, declined = identity("utomstående"), identity("nekade")
    await onboard(app, ANNA)
    await onboard(app, BO)
    await share(app, title="Publik berättelse")
    await share(app, title="Bara för gruppen", value="Det vi berättar för varandra.", visibility="group")
    await app.run(outsider, stories.list_stories)  # joined the server, never onboarded
    await onboard(app, declined, consent="nej")  # declined: the answer says so, and nothing is stored

    for viewer in (outsider, declined):
        listed = await app.run(viewer, stories.list_stories)
        found = await app.run(viewer, stories.search, query="berättelse")
        with pytest.raises(UserError) as refused:
            await app.run(viewer, stories.show, story="2")
        async with app.sessionmaker() as session:
            suggested = await stories.choices(session, viewer, "")

        assert render(listed.body, "sv") == "#1 **Publik berättelse** – Anna · En tweet · 👏 0"
        assert "Bara för gruppen" not in shown(found) and "Publik berättelse" in shown(found)
        assert "gått med i gruppen med /kom-igång och gett sitt samtycke" in shown(listed)
        assert render(refused.value.text, "sv") == (
            "Berättelse #2 är bara för gruppens medlemmar. Gå med i gruppen med /kom-igång och ge ditt "
            "samtycke, så kan du läsa den.")
        assert render(refused.value.text, "en").startswith("Story #2 is for the group's members only.")
        assert suggested == [("#1 Publik berättelse", "1")]
    for viewer in (BO, ANNA, COORDINATOR):
        listed = await app.run(viewer, stories.list_stories)
        assert "Bara för gruppen" in shown(listed) and "/onboard" not in shown(listed)
        assert render((await app.run(viewer, stories.show, story="2")).body, "sv") == \
            "Det vi berättar för varandra."
        async with app.sessionmaker() as session:
            assert [ref for _, ref in await stories.choices(session, viewer, "")] == ["2", "1"]
    # The 👏 under a post cannot be pressed with a forged number to read a story either.
    with pytest.raises(UserError) as not_onboarded:
        await app.press(declined, stories.APPLAUD_ACTION, "2")
    assert not_onboarded.value.text.key == "profile.not_onboarded"
    assert "Bara för gruppen" in shown(await app.press(BO, stories.APPLAUD_ACTION, "2"))


async def test_the_author_sees_their_own_group_only_story_whatever_else_they_may_see(app: App):
    await onboard(app, ANNA)
    await share(app, title="Min egen", visibility="group")
    async with app.sessionmaker() as session:
        anna = await session.scalar(select(Member).where(Member.external_id == "anna"))
        anna.consented_at = None  # as if her consent were withdrawn: her own story is still hers to see
        await session.commit()

    assert "Min egen" in shown(await app.run(ANNA, stories.list_stories))
    assert render((await app.run(ANNA, stories.show, story="1")).title, "sv") == "Min egen"


async def test_a_group_only_story_is_not_posted_where_anyone_in_the_server_reads(
    app: App, notifier: RecordingNotifier
):
    await onboard(app, ANNA)
    await app.run(COORDINATOR, workspaces.configure, announcements="111")
    notifier.sent.clear()

    saved = await share(app, title="Bara för oss", value="Vårt lilla samarbete.", visibility="group")
    featured = await app.run(COORDINATOR, stories.feature, story="1")
    await app.run(COORDINATOR, workspaces.configure, stories="222")
    await share(app, title="Också för oss", visibility="group")

    # No stories channel chosen: not in the announcements it would fall back to, and the author is told.
    assert render(saved.body, "sv").startswith(
        "Din berättelse är sparad, och gruppens medlemmar hittar den med /berättelse lista. Eftersom den "
        "bara är för gruppen läggs den inte upp i annonskanalen")
    posted = (Channel.COORDINATORS, Channel.ANNOUNCEMENTS, Channel.COORDINATORS, Channel.STORIES)
    assert sorted(s.to for s in notifier.sent) == sorted(f"channel:{channel}" for channel in posted)
    announcement = notifier.to(f"channel:{Channel.ANNOUNCEMENTS}")[0].text
    assert announcement == ("⭐ En av gruppens egna berättelser är lyft: #1. Medlemmar läser den med "
                            "/berättelse visa berättelse:1.")
    assert "Bara för oss" in render(featured.body, "sv")  # the coordinator who featured it is told its title
    assert notifier.to(f"channel:{Channel.STORIES}")[0].text.startswith("Också för oss")


async def test_a_coordinator_features_a_story_and_the_group_is_told(app: App, notifier: RecordingNotifier):
    await onboard(app, ANNA)
    await share(app)
    notifier.sent.clear()

    with pytest.raises(NotCoordinator):
        await app.run(ANNA, stories.feature, story="1")
    done = await app.run(COORDINATOR, stories.feature, story="1")
    again = await app.run(COORDINATOR, stories.feature, story="1")
    featured = await app.run(ANNA, stories.list_stories, featured=True)

    assert render(done.body, "sv").startswith("⭐ Berättelsen Tweeten gav tre kunder är lyft.")
    [announcement] = notifier.to(f"channel:{Channel.ANNOUNCEMENTS}")
    assert announcement.text.startswith("⭐ Veckans berättelse: Tweeten gav tre kunder")
    assert render(again.body, "sv") == "Berättelsen Tweeten gav tre kunder är redan lyft."
    assert render(featured.body, "sv").endswith("· ⭐")
    removed = await app.run(COORDINATOR, stories.feature, story="1", remove=True)
    assert render(removed.body, "sv") == "Berättelsen Tweeten gav tre kunder är inte längre lyft."
    assert render((await app.run(ANNA, stories.list_stories, featured=True)).body, "sv") == \
        "Ingen berättelse är lyft än."


async def test_the_public_export_holds_only_public_stories_named_as_each_member_chose(app: App):
    for who in (ANNA, BO, CIA):
        await onboard(app, who)
    await share(app)                                                      # name and company
    await share(app, BO, title="Bara för oss", value="En förfrågan.", visibility="group", link="")
    await share(app, CIA, title="=HYPERLINK(\"http://evil\")", kind="media", value="@SUM(1+1) *fet* text",
                visibility="public_anonymous", link="")
    await share(
        app,
        BO,
        title="Intervju i BLT",
        kind="media",
        value="Två samarbeten.",
        visibility="public_name",
        link="https://blt.se/a",
    )
    await app.press(CIA, stories.APPLAUD_ACTION, "1")

    with pytest.raises(NotCoordinator):
        await app.run(ANNA, stories.export)
    reply = await app.run(COORDINATOR, stories.export)

    markdown, table = reply.files
    assert (markdown.filename, table.filename) == ("berattelser-publika-2026-12-01.md",
                                                   "berattelser-publika-2026-12-01.csv")
    assert rows(table.data) == [
        ["Datum", "Rubrik", "Vad", "Vad det gav", "Länk", "Av", "Lyft", "Inspirerande"],
        [
            "2026-12-01",
            "Tweeten gav tre kunder",
            "En tweet",
            TWEET_STORY["value"],
            "https://x.com/anna/status/1",
            "Anna, Annas Blommor",
            "Nej",
            "1",
        ],
        [
            "2026-12-01",
            '\'=HYPERLINK("http://evil")',
            "Media (artikel, intervju)",
            "'@SUM(1+1) *fet* text",
            "",
            "En medlem i Jobbskaparna",
            "Nej",
            "0",
        ],
        [
            "2026-12-01",
            "Intervju i BLT",
            "Media (artikel, intervju)",
            "Två samarbeten.",
            "https://blt.se/a",
            "Bo",
            "Nej",
            "0",
        ],
    ]
    text = markdown.data.decode()
    assert "Bara för oss" not in text and "En förfrågan" not in text and "Cia" not in text
    assert "## Tweeten gav tre kunder\n\n*Anna, Annas Blommor · En tweet · 1 december 2026*" in text
    assert "## =HYPERLINK(\"http://evil\")\n\n*En medlem i Jobbskaparna ·" in text
    assert "@SUM(1+1) \\*fet\\* text" in text
    assert "Läs mer: <https://blt.se/a>" in text
    assert render(reply.body, "sv").startswith("Här är berättelserna (3)")


async def test_the_group_export_holds_every_story_with_who_may_see_it(app: App):
    await onboard(app, ANNA)
    await onboard(app, BO, company="Bos Bygg")
    await share(app)
    await share(app, BO, title="Bara för oss", value="En förfrågan.", visibility="group", link="")
    await app.run(COORDINATOR, stories.feature, story="2")

    reply = await app.run(COORDINATOR, stories.export, audience=stories.AUDIENCE.read("gruppen"))
    featured_only = await app.run(COORDINATOR, stories.export, audience=stories.Audience.GROUP, featured=True)

    table = rows(reply.files[1].data)
    assert table[0][-1] == "Vem får se den"
    assert [(r[1], r[5], r[6], r[8]) for r in table[1:]] == [
        ("Tweeten gav tre kunder", "Anna, Annas Blommor", "Nej",
         "Även förbundets publika material, med mitt namn och företag"),
        ("Bara för oss", "Bo, Bos Bygg", "Ja", "Bara gruppen")]
    assert "(bara för gruppen)" in reply.files[0].data.decode()
    assert [r[1] for r in rows(featured_only.files[1].data)[1:]] == ["Bara för oss"]


async def test_a_story_is_deleted_by_its_author_or_a_coordinator_only(app: App):
    for who in (ANNA, BO):
        await onboard(app, who)
    await share(app)
    await share(app, BO, title="Bos berättelse")

    # Someone else's story is refused as someone else's (not as a command for coordinators), asked or pressed.
    with pytest.raises(UserError) as asked:
        await app.run(BO, stories.delete_request, story="1")
    assert render(asked.value.text, "sv") == (
        "Berättelse nummer 1 är någon annans. Bara den som delade den, eller en koordinator, kan radera den.")
    ask = await app.run(ANNA, stories.delete_request, story="1")
    confirm, cancel = ask.buttons
    with pytest.raises(UserError) as pressed:
        await app.press(BO, confirm.action, confirm.arg)
    assert pressed.value.text.key == "stories.delete.not_yours"
    assert not isinstance(pressed.value, NotCoordinator)
    assert (
        render((await app.press(ANNA, cancel.action, cancel.arg)).body, "sv")
        == "Okej, berättelsen ligger kvar."
    )
    done = await app.press(ANNA, confirm.action, confirm.arg)
    assert (
        done.replaces_source and render(done.body, "sv") == "Berättelsen Tweeten gav tre kunder är raderad."
    )
    await app.press(COORDINATOR, stories.DELETE_CONFIRM, "2")
    assert await story_count(app) == 0
    assert render((await app.press(ANNA, confirm.action, confirm.arg)).body, "sv") == \
        "Berättelsen finns inte längre."


async def test_mydata_exports_a_members_stories_and_deleting_the_member_deletes_them(app: App):
    for who in (ANNA, BO):
        await onboard(app, who)
    await share(app)
    await share(app, BO, title="Bos berättelse")
    await app.press(ANNA, stories.APPLAUD_ACTION, "2")
    await app.press(BO, stories.APPLAUD_ACTION, "1")

    data = json.loads((await app.run(ANNA, mydata.export)).files[0].data)
    assert [s["title"] for s in data["stories"]["stories"]] == ["Tweeten gav tre kunder"]
    assert data["stories"]["stories"][0]["visibility"] == "public"
    assert [a["story"] for a in data["stories"]["applauded"]] == ["Bos berättelse"]

    await app.press(ANNA, mydata.DELETE_CONFIRM, "")
    async with app.sessionmaker() as session:
        assert list(await session.scalars(select(Story.title))) == ["Bos berättelse"]
        assert await session.scalar(select(func.count(StoryApplause.id))) == 0


async def test_the_stories_channel_falls_back_to_the_announcements_until_one_is_chosen(app: App):
    await onboard(app, ANNA)
    await app.run(COORDINATOR, workspaces.configure, announcements="111")
    async with app.sessionmaker() as session:
        workspace = await session.scalar(select(Workspace))
    assert workspaces.channel_id(workspace, Channel.STORIES) == "111"

    reply = await app.run(COORDINATOR, workspaces.configure, stories="222")

    async with app.sessionmaker() as session:
        workspace = await session.scalar(select(Workspace))
    assert workspaces.channel_id(workspace, Channel.STORIES) == "222"
    assert "Berättelsekanal: #222" in shown(reply)


async def issue_of_story(app: App, story_id: int = 1) -> int | None:
    async with app.sessionmaker() as session:
        return await session.scalar(select(Story.issue_id).where(Story.id == story_id))


async def test_a_story_shared_about_an_issue_keeps_it_and_shows_it_and_an_unknown_issue_stores_nothing(
    app: App, notifier: RecordingNotifier
):
    await onboard(app, ANNA)
    issue_id = await create_issue(app)

    # The form carries the issue as its arg (Discord's modal); the console gives it as an option.
    form = (await app.run(ANNA, stories.start_share, "Parkering")).form
    assert form.arg == str(issue_id)
    await app.submit(ANNA, stories.FORM_ID, TWEET_STORY, form.arg)
    await share(app, title="Den andra", issue="#" + str(issue_id))
    with pytest.raises(UserError) as unknown:
        await share(app, title="Den tredje", issue="Finns inte")

    assert unknown.value.text.key == "issues.unknown"
    assert (await issue_of_story(app, 1), await issue_of_story(app, 2), await story_count(app)) == (
        issue_id, issue_id, 2)
    assert field_value(await app.run(ANNA, stories.show, story="1"), "Om") == ISSUE["title"]
    [post, _] = notifier.to(f"channel:{Channel.STORIES}")
    assert field_value(post.reply, "Om") == ISSUE["title"]


async def test_a_story_is_said_to_be_about_an_issue_by_its_author_or_a_coordinator_only(app: App):
    for who in (ANNA, BO):
        await onboard(app, who)
    issue_id = await create_issue(app)
    await share(app)

    with pytest.raises(UserError) as refused:
        await app.run(BO, stories.about, story="1", issue="Parkering")
    assert render(refused.value.text, "sv") == (
        "Berättelse nummer 1 är någon annans. Bara den som delade den, eller en koordinator, kan säga vilken "
        "fråga den handlar om.")
    assert not isinstance(refused.value, NotCoordinator)
    assert await issue_of_story(app) is None

    done = await app.run(ANNA, stories.about, story="1", issue="Parkering")
    assert render(done.body, "sv") == ("Berättelsen Tweeten gav tre kunder handlar nu om frågan Parkering i "
                                       "centrum. Är den publik syns den på frågans publika sida när gruppens "
                                       "berättelsesida är publicerad.")
    assert await issue_of_story(app) == issue_id
    # A decided issue may still be linked: a story after the decision tells what it meant.
    await app.run(COORDINATOR, issues.close, issue="Parkering", outcome="won")
    await app.run(COORDINATOR, stories.about, story="1")
    assert await issue_of_story(app) is None
    await app.run(COORDINATOR, stories.about, story="1", issue=str(issue_id))
    assert await issue_of_story(app) == issue_id
    async with app.sessionmaker() as session:
        audited = list(await session.scalars(select(AuditLog.action).where(AuditLog.action == "story.about")))
    assert len(audited) == 3


async def test_a_story_cannot_be_about_another_workspaces_issue(app: App):
    other = identity("karin", coordinator=True, workspace="guild-2")
    await onboard(app, ANNA)
    await share(app)
    await app.run(other, issues.create, **ISSUE)

    with pytest.raises(UserError) as refused:
        await app.run(ANNA, stories.about, story="1", issue="1")

    assert refused.value.text.key == "issues.unknown"
    assert await issue_of_story(app) is None


async def test_stories_of_another_workspace_cannot_be_seen(app: App):
    other = identity("anna", workspace="guild-2")
    await onboard(app, ANNA)
    await onboard(app, other)
    await share(app)

    with pytest.raises(UserError):
        await app.run(other, stories.show, story="1")
    assert render((await app.run(other, stories.list_stories)).body, "sv").startswith("Ingen har delat")
    effects = (await share(app, other)).effects
    assert isinstance(effects[0], PostToChannel) and isinstance(effects[0].reply.title, Literal)


async def test_deleting_a_story_deletes_the_bots_post_of_it_too(app: App, notifier: RecordingNotifier):
    await onboard(app, ANNA)
    await share(app)
    async with app.sessionmaker() as session:
        [(key, posted)] = (await session.execute(select(LiveMessage.key, LiveMessage.message_id))).all()
    assert key == f"{stories.POST_KEY}1" and posted is not None

    await app.press(ANNA, stories.DELETE_CONFIRM, "1")

    assert posted in notifier.deleted
    async with app.sessionmaker() as session:
        assert await session.scalar(select(func.count(LiveMessage.id))) == 0


@pytest.mark.parametrize(("name", "slug"), [
    ("Blekinge Jobbskapare!", "blekinge-jobbskapare"),
    ("Företagare i Sölvesborg & Åhus", "foretagare-i-solvesborg-ahus"),
    ("Jobbskaparna – Karlskrona, Ronneby och Karlshamn", "jobbskaparna-karlskrona-ronneby"),
    ("???", "jobbskaparna"),
])
def test_a_public_pages_address_is_made_of_the_groups_name(name: str, slug: str):
    assert stories.slug_of(name) == slug


async def test_only_coordinators_hide_stories_or_publish_the_page_and_only_with_the_board_on(app: App):
    await onboard(app, ANNA)
    await share(app)

    with pytest.raises(NotCoordinator):
        await app.run(ANNA, stories.hide, "1")
    with pytest.raises(NotCoordinator):
        await app.run(ANNA, stories.public_page, on=True)
    # Without BOARD_URL there is nowhere to publish.
    with pytest.raises(UserError) as off:
        await app.run(COORDINATOR, stories.public_page, on=True)

    assert render(off.value.text, "sv").startswith("Kampanjtavlan är inte påslagen")
    async with app.sessionmaker() as session:
        assert (await session.scalar(select(Story))).hidden_at is None
        assert await session.scalar(select(Workspace.public_slug)) is None


async def test_a_hidden_story_stays_in_the_groups_list_and_export_but_not_in_the_public_one(app: App):
    await onboard(app, ANNA)
    await share(app)

    reply = await app.run(COORDINATOR, stories.hide, "#1")
    again = await app.run(COORDINATOR, stories.hide, "1")

    assert "är dold" in shown(reply) and "är redan dold" in shown(again)
    assert "Tweeten gav tre kunder" in shown(await app.run(ANNA, stories.list_stories))
    public = await app.run(COORDINATOR, stories.export, audience=stories.Audience.PUBLIC)
    group = await app.run(COORDINATOR, stories.export, audience=stories.Audience.GROUP)
    assert b"Tweeten gav tre kunder" not in public.files[0].data
    assert b"Tweeten gav tre kunder" in group.files[0].data
    data = json.loads((await app.run(ANNA, mydata.export)).files[0].data)
    assert data["stories"]["stories"][0]["hidden_at"] is not None
