"""Ids typed or carried by a button, on both databases: a number beyond the database's integer or in another
script's digits finds nothing (and says so), never crashes and never finds a row the user did not name."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.app import App
from bot.errors import UserError
from bot.models import Workspace
from bot.services import civics, follows, issues, media, stories
from bot.validation import MAX_RECORD_ID
from tests.issue_fixtures import ANNA, COORDINATOR, create_issue, import_politicians
from tests.services.test_stories import share
from tests.support.onboarding import onboard

# 1 is a row's id in every table below; each of these must not be read as it (nor as any other id).
HOSTILE_IDS = ("9" * 20, "#" + "9" * 20, str(MAX_RECORD_ID + 1), "٣", "１", "#１", "-1", "0")


@pytest.fixture
async def seeded(app: App) -> App:
    await onboard(app, ANNA)
    assert await create_issue(app) == 1
    await import_politicians(app)
    await share(app)
    await app.run(COORDINATOR, media.add, name="Blekinge Läns Tidning", municipality="Karlskrona")
    return app


@pytest.mark.parametrize("typed", HOSTILE_IDS)
async def test_a_typed_id_that_cannot_be_one_is_an_unknown_name_or_number(seeded: App, typed: str):
    app = seeded
    for call, key, options in (
        (issues.show, "issues.unknown", {"issue": typed}),
        (stories.show, "stories.unknown", {"story": typed}),
        (media.remove, "media.unknown", {"media": typed}),
    ):
        with pytest.raises(UserError) as refused:
            await app.run(COORDINATOR, call, **options)
        assert refused.value.text.key == key, call
    async with app.sessionmaker() as session:
        workspace_id = await session.scalar(select(Workspace.id))
        with pytest.raises(UserError) as refused:
            await civics.find_politician(session, workspace_id, typed)
        assert refused.value.text.key == "politicians.unknown"


@pytest.mark.parametrize("arg", ["9" * 20, str(MAX_RECORD_ID + 1), "١", "１", "-1"])
async def test_a_button_whose_id_cannot_be_one_is_an_unknown_button(seeded: App, arg: str):
    for action in (stories.APPLAUD_ACTION, follows.FOLLOW_ISSUE_ACTION):
        with pytest.raises(UserError) as refused:
            await seeded.press(ANNA, action, arg)
        assert refused.value.text.key == "errors.unknown_button", action


async def test_the_same_ids_in_ascii_find_the_rows(seeded: App):
    assert (await seeded.run(COORDINATOR, issues.show, issue="#1")).title is not None
    assert (await seeded.run(COORDINATOR, stories.show, story="1")).body is not None
