"""Agenda items proposed to the coordinators: matched, posted once, dismissed for good, turned into an issue
with the prefilled form, linked to the council meeting a committee's item is likely to reach."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.app import App
from bot.errors import NotCoordinator, UserError
from bot.i18n import render
from bot.models import AgendaItem, AgendaMeeting, AgendaSource, AuditLog, Issue, Reminder, Workspace
from bot.replies import Reply
from bot.services import agenda, asks, civics, countdowns, timeline, watch_sources
from bot.validation import FieldProblem, FormProblems
from tests.conftest import START, RecordingNotifier, identity
from tests.support.local_server import Served, serving
from tests.support.replies import fields_of

COORDINATOR = identity("karin", coordinator=True)
MEMBER = identity("anna")
KS_MEETING = datetime(2026, 12, 9, 13, 0, tzinfo=UTC)     # 14:00 in Stockholm
KF_MEETING = datetime(2026, 12, 17, 17, 0, tzinfo=UTC)    # 18:00
LATER_KF = datetime(2027, 1, 28, 17, 0, tzinfo=UTC)
_numbers = count(1)


async def workspace_id(app: App) -> int:
    """The test workspace (made by a coordinator's first command)."""
    await app.run(COORDINATOR, agenda.set_keywords)
    async with app.sessionmaker() as session:
        return await session.scalar(select(Workspace.id))


async def source(app: App, body: str = "kommunstyrelsen", kind: str = "feed", municipality: str = "karlskrona"
                 ) -> int:
    """A source as the watcher stores it (its polling is not what these tests are about)."""
    ws = await workspace_id(app)
    async with app.sessionmaker() as session, session.begin():
        row = AgendaSource(workspace_id=ws, municipality=municipality, body=body, kind=kind,
                           url=f"https://www.karlskrona.se/{body}/{next(_numbers)}.xml", created_at=START,
                           next_poll_at=START, failures=0)
        session.add(row)
        await session.flush()
        return row.id


async def meeting(app: App, source_id: int, at: datetime, body: str = "kommunfullmaktige",
                  title: str = "Kommunfullmäktige sammanträder") -> int:
    async with app.sessionmaker() as session, session.begin():
        found = await session.get_one(AgendaSource, source_id)
        row = AgendaMeeting(workspace_id=found.workspace_id, source_id=source_id,
                            municipality=found.municipality, body=body, starts_at=at, title=title,
                            uid=f"uid-{next(_numbers)}", created_at=START, updated_at=START)
        session.add(row)
        await session.flush()
        return row.id


async def poll(app: App, source_id: int, *titles: str, at: datetime = KS_MEETING,
               meeting_id: int | None = None, link: str | None = "https://www.karlskrona.se/ks/kallelse.pdf"
               ) -> dict[str, Any]:
    """Store items as a poll of the source would (new, each once by its fingerprint), then let the matcher
    look at them, as the watcher does; return what the matcher said and the items' statuses by title."""
    async with app.sessionmaker() as session, session.begin():
        found = await session.get_one(AgendaSource, source_id)
        for number, title in enumerate(titles, 1):
            fingerprint = hashlib.sha256(f"{found.body}|{title}|{at.date()}".encode()).hexdigest()
            exists = await session.scalar(select(AgendaItem.id).where(
                AgendaItem.workspace_id == found.workspace_id, AgendaItem.fingerprint == fingerprint))
            if exists is None:
                session.add(AgendaItem(
                    workspace_id=found.workspace_id, source_id=source_id, meeting_id=meeting_id,
                    municipality=found.municipality, body=found.body, committee=found.committee,
                    meeting_at=at, title=title, number=f"§ {number}", link=link, fingerprint=fingerprint,
                    status="new", first_seen_at=app.clock.now()))
        await session.flush()
        proposed = await agenda.items_stored(session, found.workspace_id, app.clock.now())
    return {"proposed": proposed, "status": await statuses(app)}


async def statuses(app: App) -> dict[str, list[str]]:
    async with app.sessionmaker() as session:
        found: dict[str, list[str]] = {}
        for item in await session.scalars(select(AgendaItem).order_by(AgendaItem.id)):
            found.setdefault(item.title, []).append(item.status)
        return found


async def item_id(app: App, title: str) -> int:
    async with app.sessionmaker() as session:
        return await session.scalar(select(AgendaItem.id).where(AgendaItem.title == title)
                                    .order_by(AgendaItem.id).limit(1))


def proposals(notifier: RecordingNotifier) -> list[Reply]:
    return [s.reply for s in notifier.to("channel:coordinators")]


async def test_a_matching_item_is_proposed_to_the_coordinators_and_one_matching_nothing_is_ignored(
        app: App, notifier: RecordingNotifier):
    ks = await source(app)
    result = await poll(app, ks, "Motion om fler parkeringsplatser vid Stortorget", "Val av revisorer")
    await app.dispatcher.run_due()

    assert result == {"proposed": 1, "status": {
        "Motion om fler parkeringsplatser vid Stortorget": ["proposed"], "Val av revisorer": ["ignored"]}}
    [proposal] = proposals(notifier)
    assert render(proposal.title, "sv") == \
        "På dagordningen: § 1 Motion om fler parkeringsplatser vid Stortorget"
    fields = fields_of(proposal)
    assert fields["Kommun"] == "Karlskrona"
    assert fields["Beslutande organ"] == "kommunstyrelsen"
    assert fields["Träff på"] == "ämnet Parkering"
    assert "9 december 2026" in fields["Sammanträde"] and "14:00" in fields["Sammanträde"]
    assert [b.action for b in proposal.buttons] == [agenda.CREATE_ACTION, agenda.DISMISS_ACTION]
    assert [render(b.label, "sv") for b in proposal.buttons] == ["Skapa fråga", "Avfärda"]
    assert [link.url for link in proposal.links] == ["https://www.karlskrona.se/ks/kallelse.pdf"]


async def test_a_coordinators_keyword_matches_an_inflected_compound(app: App, notifier: RecordingNotifier):
    await app.run(COORDINATOR, agenda.set_keywords, "torget, Stortorget, Affärsverken")
    ks = await source(app)
    result = await poll(app, ks, "Stortorgets framtida utformning", "Ägardirektiv för Affärsverken AB",
                        "Delårsrapport")
    await app.dispatcher.run_due()

    assert result["status"] == {"Stortorgets framtida utformning": ["proposed"],
                                "Ägardirektiv för Affärsverken AB": ["proposed"],
                                "Delårsrapport": ["ignored"]}
    assert sorted(fields_of(p)["Träff på"] for p in proposals(notifier)) == [
        "nyckelordet ”Affärsverken”", "nyckelordet ”torget”"]


async def test_an_item_is_proposed_once_across_two_polls_and_two_sources(app: App,
                                                                        notifier: RecordingNotifier):
    feed, calendar_pdf = await source(app), await source(app, kind="pdf")
    await poll(app, feed, "Upphandling av snöröjning")
    await app.dispatcher.run_due()
    again = await poll(app, feed, "Upphandling av snöröjning")            # the feed repeats it
    other = await poll(app, calendar_pdf, "Upphandling av  snöröjning.", at=KS_MEETING + timedelta(days=1))
    await app.dispatcher.run_due()

    assert again["proposed"] == other["proposed"] == 0
    assert len(proposals(notifier)) == 1
    assert other["status"] == {"Upphandling av snöröjning": ["proposed"],
                               "Upphandling av  snöröjning.": ["ignored"]}


async def test_a_dismissed_item_stays_dismissed(app: App, notifier: RecordingNotifier):
    ks = await source(app)
    await poll(app, ks, "Ny detaljplan för kvarteret Hästen")
    await app.dispatcher.run_due()
    reply = await app.press(COORDINATOR, agenda.DISMISS_ACTION, str(await item_id(app, "Ny detaljplan för "
                                                                                         "kvarteret Hästen")))
    kf = await source(app, body="kommunfullmaktige")
    later = await poll(app, kf, "Ny detaljplan för kvarteret Hästen", at=KF_MEETING)
    await app.dispatcher.run_due()

    assert reply.replaces_source
    assert "föreslås inte igen" in render(reply.body, "sv")
    assert later == {"proposed": 0,
                     "status": {"Ny detaljplan för kvarteret Hästen": ["dismissed", "dismissed"]}}
    assert len(proposals(notifier)) == 1
    async with app.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(AuditLog).where(
            AuditLog.action == "agenda.dismissed")) == 1
    with pytest.raises(UserError) as refused:
        await app.press(COORDINATOR, agenda.CREATE_ACTION, str(await item_id(app, "Ny detaljplan för "
                                                                                  "kvarteret Hästen")))
    assert "redan avfärdat" in render(refused.value.text, "sv")


async def test_a_proposal_dismissed_before_it_went_out_is_not_posted(app: App, notifier: RecordingNotifier):
    ks = await source(app)
    await poll(app, ks, "Nya busslinjer till Trossö")
    await app.press(COORDINATOR, agenda.DISMISS_ACTION, str(await item_id(app, "Nya busslinjer till Trossö")))
    await app.dispatcher.run_due()

    assert proposals(notifier) == []


async def test_an_executive_board_item_is_linked_to_the_next_council_meeting(
        app: App, notifier: RecordingNotifier):
    ks, kf_calendar = await source(app), await source(app, body="kommunfullmaktige", kind="calendar")
    await meeting(app, kf_calendar, LATER_KF)
    next_kf = await meeting(app, kf_calendar, KF_MEETING)
    await meeting(app, kf_calendar, KS_MEETING - timedelta(days=14))     # before the board's meeting
    await poll(app, ks, "Motion om parkering vid Stortorget")
    await app.dispatcher.run_due()

    async with app.sessionmaker() as session:
        item = await session.scalar(select(AgendaItem))
    assert item.council_meeting_id == next_kf
    council = fields_of(proposals(notifier)[0])["Troligen i kommunfullmäktige"]
    assert "17 december 2026" in council and "18:00" in council


async def test_a_council_item_is_not_linked_and_a_board_item_without_a_calendar_says_so(
        app: App, notifier: RecordingNotifier):
    kf = await source(app, body="kommunfullmaktige")
    await meeting(app, kf, LATER_KF)
    await poll(app, kf, "Skolskjutsar inför läsåret", at=KF_MEETING)
    await app.dispatcher.run_due()
    await poll(app, await source(app, municipality="ronneby"), "Cykelvägen i Kallinge")
    await app.dispatcher.run_due()

    council_item, ronneby_item = proposals(notifier)
    assert "Troligen i kommunfullmäktige" not in fields_of(council_item)
    assert "inget kommande sammanträde känt" in fields_of(ronneby_item)["Troligen i kommunfullmäktige"]


async def test_the_issue_form_is_prefilled_from_the_item_and_the_council_meeting(app: App):
    ks, kf_calendar = await source(app), await source(app, body="kommunfullmaktige", kind="calendar")
    await meeting(app, kf_calendar, KF_MEETING)
    await poll(app, ks, "Motion om parkering vid Stortorget")

    reply = await app.press(COORDINATOR, agenda.CREATE_ACTION,
                            str(await item_id(app, "Motion om parkering vid Stortorget")))

    assert reply.form is not None and reply.form.form_id == agenda.ISSUE_FORM
    assert dict(reply.form.values) == {
        "title": "Motion om parkering vid Stortorget", "municipality": "karlskrona",
        "body": "kommunfullmaktige", "decision": "2026-12-17 18:00", "hashtag": "#ParkeringStortorget",
        "source": "https://www.karlskrona.se/ks/kallelse.pdf"}
    required = {f.name for f in reply.form.fields if f.required}
    assert {"summary", "position"} <= required and not {"summary", "position"} & set(reply.form.values)


async def test_a_committee_item_without_a_council_meeting_is_decided_at_its_own_meeting(app: App):
    nämnd = await source(app, body="namnd")
    async with app.sessionmaker() as session, session.begin():
        (await session.get_one(AgendaSource, nämnd)).committee = "Tekniska nämnden"
    await poll(app, nämnd, "Gångbron över Borgmästarefjärden", link=None)

    reply = await app.press(COORDINATOR, agenda.CREATE_ACTION,
                            str(await item_id(app, "Gångbron över Borgmästarefjärden")))

    assert reply.form is not None
    assert dict(reply.form.values) == {
        "title": "Gångbron över Borgmästarefjärden", "municipality": "karlskrona", "body": "namnd",
        "committee": "Tekniska nämnden", "decision": "2026-12-09 14:00",
        "hashtag": "#GångbronBorgmästarefjärden"}


async def test_submitting_the_form_creates_the_issue_links_it_and_plans_its_rounds_and_countdown(app: App):
    ks, kf_calendar = await source(app), await source(app, body="kommunfullmaktige", kind="calendar")
    await meeting(app, kf_calendar, KF_MEETING)
    await poll(app, ks, "Motion om parkering vid Stortorget")
    item = await item_id(app, "Motion om parkering vid Stortorget")
    form = (await app.press(COORDINATOR, agenda.CREATE_ACTION, str(item))).form
    assert form is not None

    reply = await app.submit(COORDINATOR, agenda.ISSUE_FORM, dict(form.values) | {
        "summary": "Kommunen vill ta bort 200 platser.", "position": "Behåll platserna."}, form.arg)

    assert render(reply.title, "sv") == "Frågan är skapad: Motion om parkering vid Stortorget"
    async with app.sessionmaker() as session:
        issue = await session.scalar(select(Issue))
        linked = await session.get_one(AgendaItem, item)
        planned = set(await session.scalars(select(Reminder.kind).where(Reminder.key.startswith(
            asks.round_key_prefix(issue)) | Reminder.key.startswith(timeline.key_prefix(issue.id)))))
        audited = await session.scalar(select(AuditLog.detail)
                                       .where(AuditLog.action == "agenda.issue_created"))
    assert (issue.title, issue.body, issue.decision_at, issue.source_url) == (
        "Motion om parkering vid Stortorget", "kommunfullmaktige", KF_MEETING,
        "https://www.karlskrona.se/ks/kallelse.pdf")
    assert (linked.status, linked.issue_id) == ("created", issue.id)
    assert audited == {"item_id": item, "issue_id": issue.id}
    assert {asks.ASK_KIND, countdowns.STAGE_KIND} <= planned
    with pytest.raises(UserError):
        await app.submit(COORDINATOR, agenda.ISSUE_FORM, dict(form.values), form.arg)   # not twice


async def test_a_form_without_the_summary_and_position_creates_nothing(app: App):
    ks = await source(app)
    await poll(app, ks, "Motion om parkering vid Stortorget")
    item = await item_id(app, "Motion om parkering vid Stortorget")
    form = (await app.press(COORDINATOR, agenda.CREATE_ACTION, str(item))).form
    assert form is not None

    with pytest.raises(FormProblems) as refused:   # the form's problems, all at once
        await app.submit(COORDINATOR, agenda.ISSUE_FORM, dict(form.values), form.arg)

    shown = render(refused.value.text, "sv")
    assert "Sammanfattning" in shown and "Vår hållning" in shown
    assert (await statuses(app)) == {"Motion om parkering vid Stortorget": ["proposed"]}
    async with app.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Issue)) == 0


async def test_only_coordinators_press_the_buttons_and_set_the_keywords(app: App):
    ks = await source(app)
    await poll(app, ks, "Motion om parkering vid Stortorget")
    item = str(await item_id(app, "Motion om parkering vid Stortorget"))

    for call in (lambda: app.press(MEMBER, agenda.CREATE_ACTION, item),
                 lambda: app.press(MEMBER, agenda.DISMISS_ACTION, item),
                 lambda: app.run(MEMBER, agenda.set_keywords, "torget")):
        with pytest.raises(NotCoordinator):
            await call()
    assert (await statuses(app)) == {"Motion om parkering vid Stortorget": ["proposed"]}


async def test_keywords_are_set_shown_checked_and_cleared(app: App):
    saved = await app.run(COORDINATOR, agenda.set_keywords, "torget, Stortorget,  Affärsverken, torget")
    shown = await app.run(COORDINATOR, agenda.set_keywords)
    with pytest.raises(FieldProblem) as too_short:
        await app.run(COORDINATOR, agenda.set_keywords, "torget, ab")
    kept = await app.run(COORDINATOR, agenda.set_keywords)
    cleared = await app.run(COORDINATOR, agenda.set_keywords, "-")

    assert render(saved.body, "sv") == \
        "Sparat. Nyckelorden för dagordningarna är nu: torget, Stortorget, Affärsverken"
    assert render(shown.body, "sv") == \
        "Gruppens nyckelord för dagordningarna: torget, Stortorget, Affärsverken"
    assert render(too_short.value.text, "sv").startswith("Nyckelord: ”ab” är för kort")
    assert render(kept.body, "sv") == render(shown.body, "sv")
    assert render(cleared.body, "sv") == "Sparat. Nyckelorden för dagordningarna är nu: inga ännu"
    async with app.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(AuditLog).where(
            AuditLog.action == "agenda.keywords")) == 2


async def test_the_proposal_reads_in_english_too(app: App, notifier: RecordingNotifier):
    ks = await source(app)
    await poll(app, ks, "Strategi för besöksnäringen")
    await app.dispatcher.run_due()

    [proposal] = proposals(notifier)
    assert render(proposal.title, "en") == "On the agenda: § 1 Strategi för besöksnäringen"
    assert [render(b.label, "en") for b in proposal.buttons] == ["Create issue", "Dismiss"]


def test_a_hashtag_is_suggested_from_the_telling_words_of_a_title():
    assert agenda.suggested_hashtag("Motion om fler parkeringsplatser vid Stortorget") == \
        "#ParkeringsplatserStortorget"
    assert agenda.suggested_hashtag("Detaljplan för Hästö 3:12") == "#DetaljplanHästö"


# -- through the watcher's own poll: a local notice board -------------------------------------------------


NOTICE = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Anslagstavla – Karlskrona kommun</title>
<link>https://www.karlskrona.se/anslagstavla</link><description>Kungörelser</description>
<item><title>Kungörelse: Kommunstyrelsen sammanträder 9 december 2026 kl. 14.00</title>
<link>{base}/anslag/ks-1</link><guid isPermaLink="false">ks-1</guid>
<description><![CDATA[<p>Ärenden:</p><p>1. Val av justerare</p>
<p>2. Motion om fler parkeringsplatser vid Stortorget (KS 2026/123)</p>]]></description></item>
</channel></rss>"""


@pytest.fixture
async def notice_board() -> AsyncIterator[str]:
    """A municipality's notice board on this machine; its feed's address."""
    async with serving() as site:
        site.paths["/anslagstavla.xml"] = Served(NOTICE.format(base=site.base).encode())
        yield site.url("/anslagstavla.xml")


async def test_the_watchers_poll_proposes_what_it_stored_and_a_later_poll_nothing_again(
        app: App, notifier: RecordingNotifier, notice_board: str):
    await app.run(COORDINATOR, watch_sources.add, municipality="Karlskrona", body=civics.Body.KOMMUNSTYRELSEN,
                  kind=watch_sources.SourceKind.FEED, url=notice_board)
    await app.dispatcher.run_due()   # the first poll is due at once
    await app.dispatcher.run_due()   # (the proposal it planned, if the first run did not send it)
    app.clock.advance(timedelta(hours=7))
    await app.dispatcher.run_due()   # the next poll: the same notice again
    await app.dispatcher.run_due()

    assert (await statuses(app)) == {"Val av justerare": ["ignored"],
                                     "Motion om fler parkeringsplatser vid Stortorget": ["proposed"]}
    [proposal] = proposals(notifier)
    assert render(proposal.title, "sv") == \
        "På dagordningen: 2 Motion om fler parkeringsplatser vid Stortorget"
