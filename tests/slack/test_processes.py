"""Two Slack processes on one database (Socket Mode spreads events over all the app's connections): an event
is answered once whichever process gets it, and a form offered by one opens on the other.

Two bolt apps, each over its own core App (its own engine), share the database and the fake Web API.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.app import App
from bot.clock import FrozenClock
from bot.config import Settings
from bot.models import SlackEvent, SlackForm
from bot.replies import Choice, FieldKind, Form, FormField, Literal, Reply, form_from_json, form_to_json, text
from bot.slack import adapter as slack_adapter
from bot.slack import render
from bot.slack.app import build_app, web_client
from tests.slack.conftest import SECRET, Slack
from tests.slack.fakeslack import BOT_TOKEN, FakeSlack
from tests.slack.test_conversation import DM, Converse, dm, posts
from tests.slack.texts import button_ids

FORM = Form("profile.edit", text("profile.form.title"),
            (FormField("offer", text("field.offer"), placeholder=text("field.offer")),
             FormField("kind", text("field.offer"), FieldKind.CHOICE,
                       choices=(Choice("a", Literal("A")), Choice("b", text("field.offer"))))),
            arg="7", values={"offer": "Bygg AB"})


@pytest.fixture
async def other(settings: Settings, clock: FrozenClock, fake_slack: FakeSlack) -> AsyncIterator[Slack]:
    """A second process: its own core App and bolt app on the same database and the same Slack."""
    core = App(settings, clock)
    bolt, adapter = build_app(core, web_client(BOT_TOKEN, fake_slack.api_base), signing_secret=SECRET,
                              process_before_response=True)
    core.notifier = core.dispatcher.notifier = adapter.notifier
    yield Slack(fake_slack, core, bolt, adapter)
    await core.close()


@pytest.fixture
def both_converse(slack: Slack, other: Slack, monkeypatch: pytest.MonkeyPatch) -> Converse:
    stub = Converse(Reply(body=Literal("Svaret")))
    monkeypatch.setattr(slack.app, "converse", stub)
    monkeypatch.setattr(other.app, "converse", stub)
    return stub


async def test_an_event_slack_sends_to_two_processes_is_answered_once(slack: Slack, other: Slack,
                                                                      both_converse: Converse):
    await slack.event(dm("hjälp"), event_id="EvTWICE")
    await other.event(dm("hjälp"), event_id="EvTWICE", retry=1)
    await slack.event(dm("hjälp"), event_id="EvTWICE", retry=2)

    assert len(both_converse.said) == 1
    assert len(posts(slack)) == 1


async def test_events_older_than_slacks_retries_are_swept(slack: Slack, clock: FrozenClock,
                                                         both_converse: Converse):
    await slack.event(dm("hjälp", ts="1796000100.000001"))
    clock.advance(slack_adapter.EVENT_MEMORY + slack_adapter.SWEEP_EVERY)
    await slack.event(dm("hej", ts="1796000100.000002"))

    async with slack.app.sessionmaker() as session:
        keys = list(await session.scalars(select(SlackEvent.key)))
    assert keys == [f"{DM}/1796000100.000002"]


async def test_a_form_offered_by_one_process_opens_on_the_other(slack: Slack, other: Slack,
                                                                both_converse: Converse):
    both_converse.answer = Reply(form=FORM)
    await slack.event(dm("ändra min profil"))
    [offer] = posts(slack)

    await other.press("UANNA", button_ids(offer)[0], channel=DM)

    view = other.last_view()
    assert view["callback_id"] == render.FORM_CALLBACK + "profile.edit"
    assert view["blocks"][0]["element"]["initial_value"] == "Bygg AB"


async def test_an_offered_form_expires_after_a_day(slack: Slack, other: Slack, clock: FrozenClock,
                                                   both_converse: Converse):
    both_converse.answer = Reply(form=FORM)
    await slack.event(dm("ändra min profil"))
    [offer] = posts(slack)
    clock.advance(slack_adapter.FORM_MEMORY + timedelta(minutes=1))

    await other.press("UANNA", button_ids(offer)[0], channel=DM)

    assert not other.fake.calls_to("views.open")
    async with slack.app.sessionmaker() as session:
        # Still stored (swept at a later offer), but no longer opened.
        assert await session.scalar(select(func.count()).select_from(SlackForm)) == 1


def test_a_form_travels_through_json_unchanged():
    assert form_from_json(form_to_json(FORM)) == FORM
