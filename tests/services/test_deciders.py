"""Who decides an issue: the politicians with a role in its body who have not left; substitutes apart."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.app import App
from bot.models import Issue
from bot.services import civics
from tests.issue_fixtures import create_issue, import_politicians


async def decider_names(app: App, issue_id: int) -> list[str]:
    async with app.sessionmaker() as session:
        issue = await session.get(Issue, issue_id)
        assert issue is not None
        return [p.name for p in await civics.deciders(session, issue)]


@pytest.mark.parametrize("csv_text", [
    "Namn;Parti;Kommun;Organ\nAnna Ordf;S;Karlskrona;kommunstyrelsen\n",
    "Namn;Parti;Kommun;Organ\nAnna Ordf;S;Karlskrona;KS\n",
    "Namn;Parti;Kommun;Organ\nAnna Ordf;S;Karlskrona;Kommunstyrelsen\n",
    "Namn;Parti;Kommun;Organ\nAnna Ordf;S;Karlskrona;\"kommunfullmäktige, kommunstyrelsen\"\n",
    "Namn;Parti;Kommun;Roll\nAnna Ordf;S;Karlskrona;ordförande i kommunstyrelsen\n",
    "Namn;Parti;Kommun;Uppdrag\nAnna Ordf;S;Karlskrona;Ordförande i kommunstyrelsen\n",
], ids=["name", "KS", "capital", "two", "role-column", "uppdrag-column"])
async def test_a_politician_imported_in_kommunstyrelsen_decides_its_issues(app: App, csv_text: str):
    await import_politicians(app, csv_text)
    issue_id = await create_issue(app, body="kommunstyrelsen")

    assert await decider_names(app, issue_id) == ["Anna Ordf"]
