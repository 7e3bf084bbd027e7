"""Shared setup for the issue tests: members in Karlskrona and elsewhere, politicians, an issue."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.app import App
from bot.models import Issue, Member, Politician
from bot.services import issues, politicians
from tests.conftest import identity

COORDINATOR = identity("karin", coordinator=True)
ANNA, BO, CIA, DAN = identity("anna"), identity("bo"), identity("cia"), identity("dan")
OLLE = identity("olle")  # lives in Ronneby
# Karlskrona's council, as a coordinator would export it from Excel: semicolons, Swedish headers, å ä ö.
POLITICIANS_CSV = (
    "Namn;Parti;Roll;Kommun;Organ;X;E-post\n"
    "Åsa Ek;S;Kommunalråd;Karlskrona;KF+KS;asaek;asa.ek@karlskrona.se\n"
    "Björn Öst;M;;Karlskrona;kommunfullmäktige;bjornost;\n"
    "Cecilia Ärlig;SD;;Karlskrona;KF;;\n"
    "David Lund;C;;Karlskrona;KF;davidlund;\n"
    "Eva Ström;KD;;Karlskrona;KF;;\n"
)
ISSUE = {
    "title": "Parkering i centrum", "summary": "Kommunen vill ta bort 200 parkeringsplatser vid Stortorget.",
    "municipality": "Karlskrona", "body": "kommunfullmäktige", "decision": "28 jan 18:00",
    "hashtag": "#ParkeraKarlskrona", "position": "Behåll platserna. Kunderna kommer med bil till butikerna.",
    "source": "https://www.karlskrona.se/kf",
}


async def import_politicians(app: App, csv_text: str = POLITICIANS_CSV) -> Any:
    return await app.run(COORDINATOR, politicians.import_csv, csv_text.encode("utf-8"), "politiker.csv")


async def create_issue(app: App, **changes: str | None) -> int:
    """Create the parking issue (or another); return its id."""
    await app.run(COORDINATOR, issues.create, **(ISSUE | changes))
    async with app.sessionmaker() as session:
        return await session.scalar(select(Issue.id).order_by(Issue.id.desc()).limit(1))


async def member(app: App, external_id: str) -> Member:
    async with app.sessionmaker() as session:
        return await session.scalar(select(Member).where(Member.external_id == external_id))


async def politician_ids(app: App) -> dict[str, int]:
    async with app.sessionmaker() as session:
        return {p.name: p.id for p in await session.scalars(select(Politician))}
