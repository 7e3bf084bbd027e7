"""/issue, /council and /hashtag on Discord: options to services, replies as embeds, files and buttons."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import discord
import pytest
from sqlalchemy import select

from bot.app import App
from bot.discordbot.checks import CoordinatorOnly, identity_of, is_coordinator
from bot.discordbot.views import FormPageModal
from bot.errors import NotCoordinator, UserError
from bot.models import Issue
from bot.services import asks, civics, follows, politicians
from cogs._options import issue_autocomplete, topics_autocomplete
from cogs.issues import Issues
from tests.conftest import RecordingNotifier
from tests.helpers import (
    MockBot,
    MockInteraction,
    MockMember,
    choice,
    custom_ids,
    fill_modal,
    press,
    sent,
    shown_text,
)
from tests.support.onboarding import onboard

DECISION = int(datetime(2027, 1, 28, 17, 0, tzinfo=UTC).timestamp())
CSV = "Namn;Parti;Kommun;Organ;X\nÅsa Ek;S;Karlskrona;KF;asaek\nBjörn Öst;M;Karlskrona;KF;bjornost\n"


@pytest.fixture
def cog(bot: MockBot) -> Issues:
    return Issues(bot)


async def create(cog: Issues, interaction: Any, **changes: Any) -> None:
    options = {"title": "Parkering i centrum", "summary": "200 platser försvinner.",
               "municipality": choice("karlskrona"), "body": choice("kommunfullmaktige"),
               "decision": "28 jan 18:00", "hashtag": "#ParkeraKarlskrona",
               "position": "Behåll platserna.", "source": "https://karlskrona.se/kf"} | changes
    await Issues.issue_create.callback(cog, interaction, **options)


async def issue_id(app: App) -> int:
    async with app.sessionmaker() as session:
        return await session.scalar(select(Issue.id))


async def test_a_coordinator_creates_an_issue_and_sees_the_decision_as_a_discord_timestamp(
    cog: Issues, interact: Any, admin: MockMember, app: App, member: MockMember, notifier: RecordingNotifier
):
    await onboard(app, identity_of(member))
    interaction = interact(user=admin)

    await create(cog, interaction, topics="Parkering")
    await app.dispatcher.run_due()

    answer = sent(interaction)
    assert answer["ephemeral"] is True
    assert answer["embed"].title == "Frågan är skapad: Parkering i centrum"
    shown = {f.name: f.value for f in answer["embed"].fields}
    assert shown["Beslut"] == f"<t:{DECISION}:F> (<t:{DECISION}:R>)"
    assert shown["Ämnen"] == "Parkering"
    [dm] = notifier.to(f"dm:{member.id}")
    assert [b.action for b in dm.reply.buttons] == [follows.FOLLOW_ISSUE_ACTION, follows.HELP_ACTION]


async def test_a_member_is_refused_the_coordinator_commands(cog: Issues, interact: Any):
    interaction = interact()

    with pytest.raises(CoordinatorOnly):
        await is_coordinator(interaction)
    with pytest.raises(NotCoordinator):
        await create(cog, interaction)


async def test_bad_input_reaches_the_member_as_a_readable_error(
    cog: Issues, interact: Any, admin: MockMember
):
    with pytest.raises(UserError) as error:
        await create(cog, interact(user=admin), hashtag="#två ord", decision="i går 18:00")

    assert [p.problem.key for p in error.value.problems] == ["time.past", "errors.hashtag"]


async def test_edit_list_show_and_close(cog: Issues, interact: Any, admin: MockMember, app: App):
    await create(cog, interact(user=admin))
    number = str(await issue_id(app))

    edited = interact(user=admin)
    await Issues.issue_edit.callback(cog, edited, issue=number, decision="4 feb 18:00")
    assert sent(edited)["embed"].title == "Ändrad: Parkering i centrum"

    listed = interact()
    await Issues.issue_list.callback(cog, listed, None, None)
    assert "**Parkering i centrum**" in shown_text(sent(listed))

    shown = interact()
    await Issues.issue_show.callback(cog, shown, number)
    assert custom_ids(sent(shown)) == [f"jb:follows.issue:{number}", f"jb:follows.help:{number}"]

    closed = interact(user=admin)
    await Issues.issue_close.callback(cog, closed, number, choice(civics.Outcome.WON), "Platserna blir kvar")
    assert "Stängd: Parkering i centrum (vunnen)" in shown_text(sent(closed))


async def test_the_map_is_drawn_after_a_defer_and_sent_as_a_png_with_the_table(
        cog: Issues, interact: Any, admin: MockMember, app: App):
    await create(cog, interact(user=admin))
    await app.run(identity_of(admin), politicians.import_csv, CSV.encode(), "p.csv")
    interaction = interact()

    await Issues.issue_map.callback(cog, interaction, "Parkering")

    interaction.response.defer.assert_awaited_once_with(thinking=True, ephemeral=True)
    answer = interaction.edit_original_response.await_args.kwargs
    [png] = answer["attachments"]
    assert png.filename.endswith(".png")
    assert "Åsa Ek" in answer["embed"].description and "Björn Öst" in answer["embed"].description


async def test_the_calendar_and_the_hashtags(cog: Issues, interact: Any, admin: MockMember):
    await create(cog, interact(user=admin))

    calendar = interact()
    await Issues.issue_calendar.callback(cog, calendar)
    tags = interact()
    await Issues.hashtag.callback(cog, tags, None)

    [ics] = sent(calendar)["files"]
    assert ics.filename == "jobbskaparna-beslut.ics"
    assert "#ParkeraKarlskrona" in shown_text(sent(tags))


async def test_seats_are_entered_and_shown(cog: Issues, interact: Any, admin: MockMember):
    entered = interact(user=admin)
    await Issues.council_seats.callback(cog, entered, choice("karlskrona"), choice("kommunfullmaktige"),
                                        "S:20, M:15, SD:12, C:4")
    shown = interact()
    await Issues.council_show.callback(cog, shown, choice("karlskrona"), choice("kommunfullmaktige"))

    assert {f.name: f.value for f in sent(shown)["embed"].fields}["Totalt"] == "51 mandat, majoritet 26"


async def test_asking_pressing_asked_and_submitting_the_link(cog: Issues, interact: Any, admin: MockMember,
                                                             app: App, member: MockMember):
    await onboard(app, identity_of(member))
    await app.run(identity_of(admin), politicians.import_csv, CSV.encode(), "p.csv")
    await create(cog, interact(user=admin))
    number = await issue_id(app)

    mine = interact()
    await Issues.issue_ask.callback(cog, mine, "Parkering")
    ids = custom_ids(sent(mine))
    assert ids[0] == f"jb:{asks.ASKED_ACTION}:{number}" and len(ids) == 5

    pressed = interact()
    await press(pressed, ids[0])
    modal: FormPageModal = pressed.response.send_modal.await_args.args[0]
    submitted = interact(type=discord.InteractionType.modal_submit, data={"custom_id": modal.custom_id})
    fill_modal(modal, submitted, {"link": "https://x.com/anna/status/1"})
    await modal.on_submit(submitted)

    assert "Tack för att du frågade" in shown_text(sent(submitted))
    answered = interact()
    await press(answered, f"jb:{asks.ANSWER_ACTION}:{number}-for")
    assert "markerat som rapporterat" in shown_text(sent(answered))


async def test_issues_are_suggested_by_title_as_the_user_types(interact: Any, admin: MockMember, cog: Issues,
                                                               app: App):
    await create(cog, interact(user=admin))
    await create(cog, interact(user=admin), title="Skolmat i Ronneby", hashtag="LokalMat")

    suggested = await issue_autocomplete(interact(), "skol")
    everything = await issue_autocomplete(interact(), "")
    topics = await topics_autocomplete(interact(), "Parkering, sko")

    assert [c.name for c in suggested] == ["#2 Skolmat i Ronneby"] and suggested[0].value == "2"
    assert len(everything) == 2
    assert [c.value for c in topics] == ["Parkering, Skola"]


async def test_nothing_is_suggested_before_the_server_has_a_workspace(bot: MockBot):
    assert await issue_autocomplete(MockInteraction(user=MockMember(), client=bot), "x") == []
