"""Following municipalities, topics and issues; offering help; the media contacts every draft pings."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import select

from bot.app import App
from bot.errors import NotCoordinator, UserError
from bot.i18n import render
from bot.models import Follow, Issue, MediaContact, Member, Workspace
from bot.replies import Channel
from bot.services import civics, follows, media
from bot.validation import FieldProblem, FormProblems
from tests.conftest import RecordingNotifier, identity
from tests.issue_fixtures import ANNA, COORDINATOR, OLLE, create_issue
from tests.support.onboarding import onboard
from tests.support.replies import fields_of


async def followed(app: App, external_id: str) -> set[tuple[str, str]]:
    async with app.sessionmaker() as session:
        return {
            (f.kind, f.value)
            for f in await session.scalars(
                select(Follow)
                .join(Member, Member.id == Follow.member_id)
                .where(Member.external_id == external_id)
            )
        }


async def test_a_new_member_follows_their_own_municipality(app: App):
    await onboard(app, ANNA, municipality="Sölvesborg")

    assert await followed(app, "anna") == {("municipality", "solvesborg")}
    shown = await app.run(ANNA, follows.follow)
    assert fields_of(shown)["Kommuner"] == "Sölvesborg" and fields_of(shown)["Ämnen"] == "–"


async def test_follow_and_unfollow_municipalities_topics_and_issues(app: App):
    await onboard(app, ANNA)
    await create_issue(app, municipality="Ronneby")

    added = await app.run(ANNA, follows.follow, municipality="Ronneby, Olofström", topic="kollektivtrafik")
    again = await app.run(ANNA, follows.follow, topic="Kollektivtrafik")
    issue = await app.run(ANNA, follows.follow, issue="Parkering")

    assert render(added.body, "sv") == "Nu följer du: Ronneby, Olofström, Kollektivtrafik."
    assert render(again.body, "sv") == "Du följer redan: Kollektivtrafik."
    assert "Parkering i centrum" in render(issue.body, "sv")
    assert fields_of(issue)["Kommuner"] == "Karlskrona, Ronneby, Olofström"

    removed = await app.run(ANNA, follows.unfollow, municipality="karlskrona", issue="Parkering")
    not_following = await app.run(ANNA, follows.unfollow, topic="skola")

    assert render(removed.body, "sv") == "Du följer inte längre: Karlskrona, Parkering i centrum."
    assert render(not_following.body, "sv") == "Du följde inte Skola."
    assert await followed(app, "anna") == {("municipality", "ronneby"), ("municipality", "olofstrom"),
                                           ("topic", "kollektivtrafik")}


async def test_bad_follow_input_changes_nothing(app: App):
    await onboard(app, ANNA)

    with pytest.raises(FormProblems):
        await app.run(ANNA, follows.follow, municipality="Malmö", topic="fotboll")
    with pytest.raises(UserError) as nothing:
        await app.run(ANNA, follows.unfollow)
    assert nothing.value.text.key == "follows.nothing_given"
    with pytest.raises(UserError) as unknown:
        await app.run(ANNA, follows.follow, issue="Finns inte")
    assert unknown.value.text.key == "issues.unknown"
    assert await followed(app, "anna") == {("municipality", "karlskrona")}


async def test_following_needs_a_profile(app: App):
    with pytest.raises(UserError) as error:
        await app.run(OLLE, follows.follow, municipality="Ronneby")

    assert error.value.text.key == "profile.not_onboarded"


async def test_the_buttons_follow_the_issue_and_offer_help_once(app: App, notifier: RecordingNotifier):
    await onboard(app, OLLE, municipality="Ronneby")
    issue_id = await create_issue(app)
    notifier.sent.clear()

    followed_reply = await app.press(OLLE, follows.FOLLOW_ISSUE_ACTION, str(issue_id))
    helped = await app.press(OLLE, follows.HELP_ACTION, str(issue_id))
    helped_again = await app.press(OLLE, follows.HELP_ACTION, str(issue_id))

    assert "Nu följer du frågan Parkering i centrum" in render(followed_reply.body, "sv")
    assert "Koordinatorerna vet nu" in render(helped.body, "sv")
    assert "redan erbjudit" in render(helped_again.body, "sv")
    [notice] = notifier.to(f"channel:{Channel.COORDINATORS}")
    assert notice.text == "🙋 Olle (Annas Blommor, Ronneby) vill hjälpa till med frågan Parkering i centrum."
    assert ("issue", str(issue_id)) in await followed(app, "olle")
    with pytest.raises(UserError) as stale:
        await app.press(OLLE, follows.FOLLOW_ISSUE_ACTION, "999")
    assert stale.value.text.key == "errors.unknown_button"


async def test_media_are_added_listed_and_removed_by_coordinators(app: App):
    added = await app.run(COORDINATOR, media.add, name="Sydöstran", municipality="Karlskrona",
                          x_handle="https://x.com/sydostran")
    await app.run(
        COORDINATOR,
        media.add,
        name="Anna Reporter",
        municipality="Karlskrona",
        x_handle="@annarep",
        kind=media.MediaKind.JOURNALIST,
        outlet="Sydöstran",
        email="anna@sydostran.se",
    )
    await app.run(COORDINATOR, media.add, name="BLT", municipality="Ronneby", x_handle="blt_se")

    assert render(added.body, "sv") == "Tillagd: **Sydöstran** (redaktion), Karlskrona @sydostran"
    listed = render((await app.run(ANNA, media.list_media, municipality="Karlskrona")).body, "sv")
    assert "**Anna Reporter** (journalist, Sydöstran), Karlskrona @annarep" in listed and "BLT" not in listed
    async with app.sessionmaker() as session:
        assert await media.handles_for(session, 1, "karlskrona") == ["sydostran", "annarep"]
    with pytest.raises(UserError) as twice:
        await app.run(COORDINATOR, media.add, name="sydöstran", municipality="Karlskrona")
    assert twice.value.text.key == "media.exists"
    with pytest.raises(NotCoordinator):
        await app.run(ANNA, media.remove, media="BLT")

    removed = await app.run(COORDINATOR, media.remove, media="@blt_se")

    assert render(removed.body, "sv").startswith("Borttagen: **BLT**")
    with pytest.raises(UserError) as gone:
        await app.run(COORDINATOR, media.remove, media="BLT")
    assert gone.value.text.key == "media.unknown"


async def test_bad_media_input_changes_nothing(app: App):
    with pytest.raises(FormProblems) as error:
        await app.run(COORDINATOR, media.add, municipality="Karlskrona", x_handle="två ord", email="nej")

    assert len(error.value.problems) == 3
    with pytest.raises(FieldProblem):  # as the edges read a kind
        media.KIND.read("tidning")
    with pytest.raises(FieldProblem):
        await app.run(COORDINATOR, media.add, name="Radio Blekinge")  # no municipality
    async with app.sessionmaker() as session:
        assert list(await session.scalars(select(MediaContact))) == []


async def test_the_follower_count_is_the_number_of_followers_on_varied_data(app: App):
    """follower_count counts in SQL what followers() loads: each member once, onboarded ones only, of the
    issue's workspace, by municipality, topic or the issue itself."""
    await onboard(app, ANNA)
    await onboard(app, identity("eva", workspace="guild-2"))
    rng = random.Random(14)
    now = app.clock.now()
    municipalities = ("karlskrona", "ronneby", "karlshamn")
    async with app.sessionmaker() as session, session.begin():
        workspaces = list(await session.scalars(select(Workspace.id).order_by(Workspace.id)))
        issues = [Issue(workspace_id=workspaces[n % 2], title=f"Fråga {n}", summary="",
                        municipality=rng.choice(municipalities), body="kommunfullmaktige", decision_at=now,
                        hashtag="#x", position="", topics=rng.sample(civics.TOPICS, rng.randrange(3)),
                        status="open", version=1, created_at=now, updated_at=now) for n in range(12)]
        session.add_all(issues)
        await session.flush()
        for number in range(120):
            member = Member(workspace_id=rng.choice(workspaces), external_id=f"m{number}",
                            display_name=f"M {number}", joined_at=now,
                            onboarded_at=now if rng.random() < 0.8 else None)
            session.add(member)
            await session.flush()
            wanted = {("municipality", rng.choice(municipalities)) for _ in range(rng.randrange(3))}
            wanted |= {("topic", rng.choice(civics.TOPICS)) for _ in range(rng.randrange(3))}
            wanted |= {("issue", str(rng.choice(issues).id)) for _ in range(rng.randrange(2))}
            session.add_all(Follow(workspace_id=member.workspace_id, member_id=member.id, kind=kind,
                                   value=value, created_at=now) for kind, value in wanted)

    async with app.sessionmaker() as session:
        counted = [(await follows.follower_count(session, issue),
                    len(await follows.followers(session, issue)))
                   for issue in await session.scalars(select(Issue).order_by(Issue.id))]
    assert all(count == loaded for count, loaded in counted), counted
    assert sum(loaded for _, loaded in counted) > 100
