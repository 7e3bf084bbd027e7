"""/onboard and on_member_join: the form over three modal pages, consent, and the welcome."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import discord
import pytest
from discord import app_commands
from sqlalchemy import select

from bot.app import App
from bot.discordbot import views
from bot.discordbot.checks import identity_of
from bot.discordbot.views import (
    FORM_PAGE_ACTION,
    MODAL_TIMEOUT,
    FormPageModal,
    answer_stale_modal,
)
from bot.errors import UserError
from bot.models import Member
from bot.replies import Channel, Role
from bot.services import mydata
from cogs.onboarding import Onboarding
from cogs.profile import Profile
from tests.conftest import RecordingNotifier
from tests.helpers import (
    MockBot,
    MockGuild,
    MockMember,
    MockUser,
    custom_ids,
    fill_modal,
    press,
    sent,
    shown_text,
)
from tests.support.onboarding import COMPLETE, modal_answers

ANSWERS = modal_answers(COMPLETE, blog_url="")


async def stored(app: App, user: Any) -> Member | None:
    async with app.sessionmaker() as session:
        return await session.scalar(select(Member).where(Member.external_id == str(user.id)))


def modal_of(interaction: Any) -> FormPageModal:
    modal = interaction.response.send_modal.await_args.args[0]
    assert isinstance(modal, FormPageModal)
    return modal


async def submit(interact: Any, modal: FormPageModal, answers: dict[str, Any]) -> Any:
    """Fill in and submit a modal page; return the interaction of the submit."""
    interaction = interact(type=discord.InteractionType.modal_submit, data={"custom_id": modal.custom_id})
    fill_modal(modal, interaction, answers)
    await modal.on_submit(interaction)
    return interaction


async def fill_in_the_form(interact: Any, first: FormPageModal, answers: dict[str, Any]) -> Any:
    """Go through every page, pressing Continue in between; return the last submit's interaction."""
    modal = first
    while True:
        done = await submit(interact, modal, answers)
        if modal.page + 1 == modal.page_count:
            return done
        [button] = custom_ids(sent(done))
        assert button == f"jb:{FORM_PAGE_ACTION}:onboarding/{modal.page + 1}"
        pressed = interact()
        await press(pressed, button)
        modal = modal_of(pressed)


@pytest.fixture
def cog(bot: MockBot) -> Onboarding:
    return Onboarding(bot)


async def test_onboard_opens_the_first_of_three_modal_pages(cog: Onboarding, interact: Any):
    interaction = interact()

    await Onboarding.onboard.callback(cog, interaction)

    modal = modal_of(interaction)
    assert (modal.page, modal.page_count, len(modal.children)) == (0, 3, 5)
    assert modal.title == "Välkommen till Jobbskaparna (1/3)"


async def test_the_form_goes_page_by_page_and_onboards_the_member(
    cog: Onboarding, interact: Any, app: App, member: MockMember, notifier: RecordingNotifier
):
    opening = interact()
    await Onboarding.onboard.callback(cog, opening)

    done = await fill_in_the_form(interact, modal_of(opening), ANSWERS)

    answer = sent(done)
    assert answer["ephemeral"] is True
    assert answer["embed"].title == "Välkommen ombord, Anna!"
    assert custom_ids(answer) == ["jb:coaching.next:", "jb:profile.show:"]
    row = await stored(app, member)
    assert (
        row.onboarded_at is not None and row.company == "Annas Blommor" and row.municipality == "solvesborg"
    )
    assert row.dm_reminders is True and row.x_handle == "annasblommor"
    assert notifier.roles == [(str(member.id), Role.MEMBER)]
    [notice] = notifier.to(f"channel:{Channel.COORDINATORS}")
    assert "Annas Blommor" in notice.text


async def test_between_pages_the_user_sees_a_continue_button(cog: Onboarding, interact: Any):
    opening = interact()
    await Onboarding.onboard.callback(cog, opening)

    done = await submit(interact, modal_of(opening), ANSWERS)

    message = sent(done)
    assert message["ephemeral"] is True
    assert message["content"] == "Del 1 av 3 är klar. Tryck på Fortsätt för nästa del."
    assert message["view"].children[0].label == "Fortsätt"


async def test_without_consent_nothing_of_the_form_is_stored_and_the_start_button_is_offered(
        cog: Onboarding, interact: Any, app: App, member: MockMember):
    opening = interact()
    await Onboarding.onboard.callback(cog, opening)

    done = await fill_in_the_form(interact, modal_of(opening), {**ANSWERS, "consent": False})

    message = sent(done)
    assert message["content"].startswith("Okej, du har inte gett ditt samtycke. Jag sparade ingenting av")
    assert custom_ids(message) == ["jb:onboarding.start:"]  # to change their mind
    row = await stored(app, member)  # only the decline (the bot sends them nothing unasked), no name
    assert row.consent_declined_at is not None and row.display_name == "" and row.company is None
    retry = interact()
    await press(retry, custom_ids(message)[0])
    assert modal_of(retry).children[0].component.default in (None, "")  # the answers were not kept


async def test_a_refused_field_sends_the_user_back_to_its_page(cog: Onboarding, interact: Any):
    opening = interact()
    await Onboarding.onboard.callback(cog, opening)

    done = await fill_in_the_form(interact, modal_of(opening), {**ANSWERS, "x_handle": "inte ett namn!"})

    message = sent(done)
    assert "X/Twitter" in message["content"]
    # X/Twitter is the sixth field: page two.
    assert custom_ids(message) == [f"jb:{FORM_PAGE_ACTION}:onboarding/1"]


async def test_a_continue_button_from_before_a_restart_says_the_form_expired(interact: Any):
    interaction = interact()

    await press(interaction, f"jb:{FORM_PAGE_ACTION}:onboarding/1")

    answer = sent(interaction)
    assert answer["ephemeral"] is True
    assert answer["content"] == "Formuläret hann gå ut. Börja om, så öppnar jag det igen."


async def test_a_modal_from_before_a_restart_is_answered_as_expired(interact: Any):
    interaction = interact(type=discord.InteractionType.modal_submit, data={"custom_id": "jbform:0badf00d:1"})

    await answer_stale_modal(interaction)

    assert sent(interaction)["content"] == "Formuläret hann gå ut. Börja om, så öppnar jag det igen."


async def test_an_open_modal_is_left_to_discord_py(cog: Onboarding, interact: Any):
    opening = interact()
    await Onboarding.onboard.callback(cog, opening)
    interaction = interact(type=discord.InteractionType.modal_submit,
                           data={"custom_id": modal_of(opening).custom_id})

    await answer_stale_modal(interaction)

    interaction.response.send_message.assert_not_awaited()


async def test_a_modal_is_registered_with_discord_py_before_it_is_shown(cog: Onboarding, interact: Any):
    # A submit can reach the bot before Discord's answer to the request that showed the modal; discord.py
    # drops a submit of a modal it does not know, so the modal must be known first.
    opening = interact()
    steps: list[str] = []
    opening.client.add_view.side_effect = lambda modal: steps.append(f"registered {modal.custom_id}")
    opening.response.send_modal.side_effect = lambda modal: steps.append(f"shown {modal.custom_id}")

    await Onboarding.onboard.callback(cog, opening)

    modal = modal_of(opening)
    assert steps == [f"registered {modal.custom_id}", f"shown {modal.custom_id}"]
    assert modal.is_persistent()  # what discord.py's add_view asks of it
    assert modal.custom_id in opening.client.forms.open_modals


async def test_a_submitted_modal_is_forgotten(cog: Onboarding, interact: Any):
    opening = interact()
    await Onboarding.onboard.callback(cog, opening)
    modal = modal_of(opening)

    await submit(interact, modal, ANSWERS)

    assert modal.custom_id not in opening.client.forms.open_modals and modal.is_finished()


async def test_a_modal_left_open_expires_and_its_late_submit_is_answered_as_expired(
        cog: Onboarding, interact: Any, monkeypatch: pytest.MonkeyPatch):
    opening = interact()
    await Onboarding.onboard.callback(cog, opening)
    left_open = modal_of(opening)
    later = time.monotonic() + MODAL_TIMEOUT + 1
    monkeypatch.setattr(views.time, "monotonic", lambda: later)

    await Onboarding.onboard.callback(cog, interact())  # anything that opens a form looks for expired ones
    late = interact(type=discord.InteractionType.modal_submit, data={"custom_id": left_open.custom_id})
    await answer_stale_modal(late)

    assert left_open.is_finished()
    assert sent(late)["content"] == "Formuläret hann gå ut. Börja om, så öppnar jag det igen."


async def test_onboard_refuses_a_member_who_is_already_onboarded(cog: Onboarding, interact: Any):
    opening = interact()
    await Onboarding.onboard.callback(cog, opening)
    await fill_in_the_form(interact, modal_of(opening), ANSWERS)

    with pytest.raises(UserError) as refused:
        await Onboarding.onboard.callback(cog, interact())

    assert refused.value.text.key == "onboarding.already_done"


async def test_a_member_who_joins_is_welcomed_by_dm_with_a_start_button(cog: Onboarding, guild: MockGuild,
                                                                         notifier: RecordingNotifier):
    newcomer = MockMember(guild=guild, name="bertil", display_name="Bertil")

    await cog.on_member_join(newcomer)

    [welcome] = notifier.to(f"dm:{newcomer.id}")
    assert f"Hej @{newcomer.id}!" in welcome.text  # a mention, which Discord shows as their name
    assert [b.custom_id for b in welcome.reply.buttons] == ["jb:onboarding.start:"]


async def test_bots_who_join_are_not_welcomed(cog: Onboarding, guild: MockGuild, notifier: RecordingNotifier):
    await cog.on_member_join(MockMember(guild=guild, bot=True))

    assert notifier.sent == []


async def test_the_start_button_in_a_dm_works_through_the_server_the_user_shares(
    interact: Any, member: MockMember
):
    in_dm = interact(user=MockUser(id=member.id, name="anna"))

    await press(in_dm, "jb:onboarding.start:")

    assert modal_of(in_dm).form_id == "onboarding"


async def test_a_dm_button_from_someone_in_no_shared_server_is_refused(interact: Any):
    stranger = interact(user=MockUser())

    await press(stranger, "jb:onboarding.start:")

    assert sent(stranger)["content"] == "Det här kommandot fungerar bara i gruppens server, inte i DM."


async def test_an_unknown_button_is_answered(interact: Any):
    interaction = interact()

    await press(interaction, "jb:gone.away:1")

    assert shown_text(sent(interaction)) == "Den här knappen hör till något som inte finns längre."


async def test_the_answer_goes_out_before_the_role_and_the_coordinators_notice(
        cog: Onboarding, interact: Any, notifier: RecordingNotifier):
    order: list[str] = []

    def tracked(**kwargs: Any) -> Any:
        interaction = interact(**kwargs)
        interaction.response.send_message.side_effect = lambda *a, **k: order.append("answer")
        return interaction

    grant_role, post = notifier.grant_role, notifier.post

    async def granting(*args: Any, **kwargs: Any) -> None:
        order.append("role")
        await grant_role(*args, **kwargs)

    async def posting(*args: Any, **kwargs: Any) -> str | None:
        order.append("post")
        return await post(*args, **kwargs)

    notifier.grant_role, notifier.post = granting, posting  # type: ignore[method-assign]
    first = interact()
    await Onboarding.onboard.callback(cog, first)

    await fill_in_the_form(tracked, modal_of(first), ANSWERS)

    # Three pages: two "continue" answers, the final answer, and only then the effects.
    assert order == ["answer", "answer", "answer", "role", "post"]


async def test_onboard_opens_the_form_at_once_even_when_the_interaction_is_old(
    cog: Onboarding, interact: Any
):
    # Created long ago (the whole group acted at once and this one waited its turn): a form needs nothing
    # written first, so the modal is still the first answer, not a deferral.
    interaction = interact(created_at=discord.utils.utcnow() - timedelta(seconds=2))

    await Onboarding.onboard.callback(cog, interaction)

    interaction.response.defer.assert_not_awaited()
    assert modal_of(interaction).page == 0


async def test_an_answer_not_ready_in_time_is_deferred_and_then_replaces_the_deferral(
        cog: Onboarding, interact: Any, app: App):
    interaction = interact(created_at=discord.utils.utcnow() - timedelta(seconds=2))
    await app.run(identity_of(interaction.user), mydata.delete_request)
    pressed = interact(created_at=discord.utils.utcnow() - timedelta(seconds=2))

    await press(pressed, f"jb:{mydata.DELETE_CANCEL}:")

    pressed.response.defer.assert_awaited_once_with()
    pressed.edit_original_response.assert_awaited_once()


async def test_a_command_answered_late_is_deferred_and_the_answer_replaces_the_deferral(
        interact: Any, bot: MockBot):
    interaction = interact(created_at=discord.utils.utcnow() - timedelta(seconds=2))

    await Profile.language_set.callback(
        Profile(bot), interaction, app_commands.Choice(name="English", value="en")
    )

    interaction.response.defer.assert_awaited_once_with(ephemeral=True, thinking=True)
    interaction.response.send_message.assert_not_awaited()
    edited = interaction.edit_original_response.await_args.kwargs
    assert edited["content"] == "Done! I will write to you in English from now on."
