"""Answer first: a reply's effects are stored with it, sent only after the answer, and told truthfully."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import func, select

from bot import delivery
from bot.app import App
from bot.clock import FrozenClock
from bot.delivery import RoleNotGranted
from bot.i18n import render
from bot.models import Delivery, Member, Workspace
from bot.replies import Reply, Role
from bot.services import onboarding, workspaces
from bot.services.context import Identity
from tests.conftest import RecordingNotifier, identity
from tests.support.onboarding import onboard

ANNA = identity("anna")
COORDINATOR = identity("kim", coordinator=True)


class RefusingNotifier(RecordingNotifier):
    """A platform that refuses to grant roles, as Discord does (403 50013) when the bot's role sits below."""

    refuse: bool = True

    async def grant_role(self, workspace: Workspace, member: Member, role: Role) -> None:
        if self.refuse:
            raise RoleNotGranted("50013 Missing Permissions")
        await super().grant_role(workspace, member, role)


async def _pending(app: App) -> list[tuple[str, str]]:
    async with app.sessionmaker() as session:
        return [
            (row.key, row.status) for row in await session.scalars(select(Delivery).order_by(Delivery.id))
        ]


async def test_effects_wait_inside_the_answer_and_go_out_after_it(app: App, notifier: RecordingNotifier):
    async with app.answering() as answering:
        await onboard(app, ANNA)
        # The answer is being given: nothing of the onboarding's posts or role has gone out yet.
        assert notifier.sent == [] and notifier.roles == []
        assert len(answering.effect_ids) == 2

    assert notifier.roles == [("anna", Role.MEMBER)]
    assert [s.to for s in notifier.sent] == ["channel:coordinators"]
    assert answering.notices == [] and answering.language == "sv"
    # Done effects leave nothing behind.
    assert await _pending(app) == []


async def test_effects_of_a_process_that_died_before_sending_them_go_out_once_later(
        app: App, clock: FrozenClock, notifier: RecordingNotifier):
    # The answer was given, then the process died before sending the effects
    # (they are never carried out here).
    async with app.answering(then_carry_out=False) as answering:
        await onboard(app, ANNA)
    assert [status for _, status in await _pending(app)] == ["pending", "pending"]

    await app.dispatcher.run_due()
    assert notifier.sent == []  # not before the hold: the adapter may still be sending them itself

    clock.advance(delivery.EFFECT_HOLD)
    await app.dispatcher.run_due()
    await app.dispatcher.run_due()
    await app.finish(answering)  # a late carry-out finds them sent: nothing twice

    assert notifier.roles == [("anna", Role.MEMBER)]
    assert [s.to for s in notifier.sent] == ["channel:coordinators"]


async def test_a_refused_role_is_told_to_the_member_and_the_coordinators_and_granted_after_setup(
        app: App, clock: FrozenClock):
    refusing = RefusingNotifier()
    app.notifier = app.dispatcher.notifier = refusing

    async with app.answering() as answering:
        reply = await onboard(app, ANNA)
    # The scheduler was woken for the coordinators' notice; here the test runs the dispatch itself.
    await app.dispatcher.run_due()

    assert "på väg" in render(reply.body, "sv")  # the answer does not claim the role was given
    assert refusing.roles == []
    # The member hears it in the conversation; the coordinators get what to fix.
    assert [n.reply.body.key for n in answering.notices] == ["delivery.role_refused.member"]
    assert [s.to for s in refusing.sent] == ["channel:coordinators", "channel:coordinators"]
    assert "kunde inte ge" in refusing.sent[1].text
    said: list[str] = []

    async def say(reply: Reply, language: str) -> None:
        said.append(render(reply.body, language))

    await app.say_notices(answering, say)
    assert said and said[0].startswith("Din profil är sparad, men")
    clock.advance(timedelta(minutes=5))
    await app.dispatcher.run_due()
    assert not refusing.to("dm:anna")  # said once, in the conversation

    # A coordinator fixes the role order and runs /setup: the grant is tried again.
    refusing.refuse = False
    await app.run(COORDINATOR, workspaces.configure)
    await app.dispatcher.run_due()
    assert refusing.roles == [("anna", Role.MEMBER)]


async def test_a_notice_the_conversation_could_not_take_goes_by_dm(app: App, clock: FrozenClock):
    refusing = RefusingNotifier()
    app.notifier = app.dispatcher.notifier = refusing
    async with app.answering() as answering:
        await onboard(app, ANNA)

    async def gone(reply: Reply, language: str) -> None:
        raise ConnectionError("the conversation is gone")

    await app.say_notices(answering, gone, (ConnectionError,))
    await app.dispatcher.run_due()

    assert [s.text for s in refusing.to("dm:anna")][-1].startswith("Din profil är sparad, men")


async def test_the_notice_goes_by_dm_when_nobody_said_it(app: App, clock: FrozenClock):
    refusing = RefusingNotifier()
    app.notifier = app.dispatcher.notifier = refusing
    # Outside an answer (or when the adapter died before saying it) the dispatcher sends it after the hold.
    await onboard(app, ANNA)
    await app.dispatcher.run_due()
    assert not refusing.to("dm:anna")

    clock.advance(delivery.NOTICE_HOLD)
    await app.dispatcher.run_due()
    assert len(refusing.to("dm:anna")) == 1


async def test_the_first_users_of_a_new_workspace_acting_at_once_all_get_an_answer(app: App):
    users = [Identity("test", "brand-new", f"user{n}", f"User {n}", "Ny grupp") for n in range(20)]

    replies = await asyncio.gather(
        *(app.run(user, onboarding.start) for user in users), return_exceptions=True
    )

    assert [r for r in replies if isinstance(r, BaseException)] == []
    async with app.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Workspace)) == 1
        assert await session.scalar(select(func.count()).select_from(Member)) == 20


async def test_twenty_members_onboarding_at_once_all_get_in(app: App):
    # The first onboardings of a workspace also create its coaching ladder, on first use:
    # a race on PostgreSQL.
    users = [identity(f"member{n}") for n in range(20)]
    await app.run(COORDINATOR, workspaces.configure)  # the server exists; its ladder does not yet
    for user in users:
        await app.member_joined("test", user.workspace_external_id, "Testgruppen", user.user_external_id,
                                user.display_name)

    results = await asyncio.gather(*(onboard(app, user) for user in users), return_exceptions=True)

    assert [r for r in results if isinstance(r, BaseException)] == []
    async with app.sessionmaker() as session:
        onboarded = select(func.count()).select_from(Member).where(Member.onboarded_at.is_not(None))
        assert await session.scalar(onboarded) == 20


async def test_a_button_that_opens_a_form_writes_nothing_before_it(app: App):
    opened = await app.opened_form(ANNA, onboarding.START_ACTION, "")

    assert opened is not None and opened[0].form_id == onboarding.FORM_ID and opened[1] == "sv"
    async with app.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Member)) == 0
