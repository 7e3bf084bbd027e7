"""Shared setup for the issue tests: members in Karlskrona and elsewhere, politicians, an issue."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app import App
from bot.models import Issue, Member, Politician
from bot.services import civics, drafts, issues, media, politicians, stances
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


async def contexts_read_one_issue_at_a_time(session: AsyncSession, workspace_id: int, municipality: str | None
                                            ) -> list[drafts.IssueContext]:
    """The open issues with their targets as drafts read them before issue 14: each issue's whole map model
    and its municipality's media, one issue after another."""
    query = select(Issue).where(Issue.workspace_id == workspace_id, Issue.status == civics.OPEN)
    if municipality:
        query = query.where(Issue.municipality == municipality)
    found = []
    for issue in await session.scalars(query.order_by(Issue.decision_at, Issue.id)):
        priority = (await stances.build_model(session, issue)).priority
        found.append(drafts.IssueContext(
            id=issue.id, title=issue.title, municipality=issue.municipality, hashtag=issue.hashtag,
            decision_at=issue.decision_at, position=issue.position, source_url=issue.source_url,
            body=issue.body, committee=issue.committee, topics=tuple(issue.topics or ()),
            target_handles=tuple(r.handle for r in priority if r.handle),
            target_names=tuple(r.name for r in priority),
            handle_names=tuple(r.name for r in priority if r.handle),
            media_handles=tuple(await media.handles_for(session, workspace_id, issue.municipality))))
    return found


async def several_open_issues(app: App) -> None:
    """Open issues in two towns and three bodies, with seats, stances, reports and media."""
    await import_politicians(app, POLITICIANS_CSV + "Frida Berg;S;;Ronneby;KF;fridaberg;\n"
                                                    "Gustav Ros;M;;Ronneby;KF;;\n")
    await create_issue(app)
    await create_issue(app, title="Hamnens öppettider", body="KS", decision="2027-01-20 18:00",
                       hashtag="#Hamnen")
    await create_issue(app, title="Skolmat", municipality="Ronneby", decision="2027-01-10 18:00",
                       hashtag="LokalMat")
    await create_issue(app, title="Torghandel", decision="2027-03-01 18:00", hashtag="#Torget")
    await app.run(COORDINATOR, stances.set_seats, municipality="Karlskrona", body="KF",
                  seats="S:20, M:15, SD:12, C:4, KD:2")
    await app.run(COORDINATOR, stances.set_stance, issue="Parkering", politician="Åsa Ek", stance="for")
    await app.run(COORDINATOR, stances.set_stance, issue="Hamnens", politician="Åsa Ek", stance="against")
    await app.run(COORDINATOR, stances.set_stance, issue="Skolmat", politician="Frida Berg", stance="for")
    await app.run(COORDINATOR, media.add, name="Sydöstran", municipality="Karlskrona", x_handle="sydostran")
    await app.run(COORDINATOR, media.add, name="BLT", municipality="Karlskrona", x_handle="blt")
    await app.run(COORDINATOR, media.add, name="Ronneby Tidning", municipality="Ronneby", x_handle="rt")

