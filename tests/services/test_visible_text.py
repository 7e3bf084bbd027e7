"""Every required text of every feature needs a character that shows: a lone zero-width space (or any text of
invisible characters) is refused as missing, in the reader's language, and nothing is stored."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.app import App
from bot.errors import UserError
from bot.i18n import render
from bot.models import Issue, MediaContact, Member, Politician, Story
from bot.services import issues, media, onboarding, politicians, stories
from bot.validation import FieldProblem
from tests.issue_fixtures import ANNA, COORDINATOR, ISSUE
from tests.support.onboarding import ANSWERS, onboard

INVISIBLE = ("\u200b", "\u2060\ufeff", "\u202e", " \u200d ")
STORY = {"title": "Tweeten gav tre kunder", "kind": "tweet", "value": "Tre nya kunder.",
         "visibility": "group"}


async def issue_title(app: App, typed: str) -> Any:
    return await app.run(COORDINATOR, issues.create, **(ISSUE | {"title": typed}))


async def politician_name(app: App, typed: str) -> Any:
    return await app.run(COORDINATOR, politicians.add, name=typed, party="S", municipality="Karlskrona")


async def politician_party(app: App, typed: str) -> Any:
    return await app.run(COORDINATOR, politicians.add, name="Åsa Ek", party=typed, municipality="Karlskrona")


async def media_name(app: App, typed: str) -> Any:
    return await app.run(COORDINATOR, media.add, name=typed, municipality="Karlskrona")


async def company(app: App, typed: str) -> Any:
    return await app.submit(ANNA, onboarding.FORM_ID, dict(ANSWERS) | {"company": typed})


async def story_title(app: App, typed: str) -> Any:
    await onboard(app, ANNA)
    return await app.submit(ANNA, stories.FORM_ID, STORY | {"title": typed})


async def story_text(app: App, typed: str) -> Any:
    await onboard(app, ANNA)
    return await app.submit(ANNA, stories.FORM_ID, STORY | {"value": typed})


Entry = Callable[[App, str], Awaitable[Any]]
# Each required text: how it is entered, its field's name in Swedish, and the table nothing may reach.
REQUIRED: list[tuple[Entry, str, type]] = [
    (issue_title, "Titel", Issue),
    (politician_name, "Namn", Politician),
    (politician_party, "Parti", Politician),
    (media_name, "Namn", MediaContact),
    (company, "Företag", Member),
    (story_title, "Rubrik", Story),
    (story_text, "Vad gav det ditt företag?", Story),
]


@pytest.mark.parametrize("typed", INVISIBLE, ids=["zwsp", "joiners", "override", "zwj-in-spaces"])
@pytest.mark.parametrize(("enter", "field", "table"), REQUIRED, ids=[entry[0].__name__ for entry in REQUIRED])
async def test_a_required_text_of_invisible_characters_is_refused_as_missing(
        app: App, enter: Entry, field: str, table: type, typed: str):
    async with app.sessionmaker() as session:
        before = await session.scalar(select(func.count()).select_from(table))

    with pytest.raises(FieldProblem) as raised:
        await enter(app, typed)

    assert raised.value.problem.key == "errors.required"
    assert render(raised.value.text, "sv") == f"{field}: måste fyllas i."
    async with app.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(table)) == before


async def test_a_politician_list_with_an_invisible_name_is_refused_by_its_line(app: App):
    data = "Namn;Parti;Kommun\nÅsa Ek;S;Karlskrona\n\u200b;M;Karlskrona\n".encode()

    with pytest.raises(UserError) as raised:
        await app.run(COORDINATOR, politicians.import_csv, data, "fil.csv")

    assert "Rad 3: Namn: måste fyllas i." in render(raised.value.text, "sv")
    async with app.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Politician)) == 0
