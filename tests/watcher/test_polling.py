"""The agenda watcher end to end against a local HTTP server, on SQLite and PostgreSQL: a coordinator adds a
source, the dispatcher polls it when due (conditionally, politely, with backoff), and what it found is stored
once as meetings and `new` agenda items."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app import App
from bot.clock import FrozenClock
from bot.config import load_settings
from bot.errors import NotCoordinator, UserError
from bot.i18n import render
from bot.models import AgendaItem, AgendaMeeting, AgendaSource, AuditLog, Reminder
from bot.reminders import CANCELLED, PENDING
from bot.services import civics, watch_sources, workspaces
from bot.services.watch_sources import SourceKind
from bot.validation import FieldProblem
from bot.watcher import poll
from bot.watcher.fetch import USER_AGENT, Fetcher
from tests.conftest import START, RecordingNotifier, identity
from tests.fakes.openai_server import free_port
from tests.support.local_server import LocalServer, Served
from tests.watcher import files

KARIN = identity("karin", coordinator=True)
ANNA = identity("anna")
KF = civics.Body.KOMMUNFULLMAKTIGE
# The council's meeting the notice names: 17 December 2026 18.00 in Stockholm.
KF_MEETING = datetime(2026, 12, 17, 17, 0, tzinfo=UTC)


async def add(app: App, url: str, kind: SourceKind = SourceKind.FEED, body: civics.Body = KF,
              **more: str) -> int:
    await app.run(KARIN, watch_sources.add, municipality="karlskrona", body=body, kind=kind, url=url, **more)
    async with app.sessionmaker() as session:
        return (await session.scalars(select(AgendaSource.id).order_by(AgendaSource.id.desc()))).first() or 0


async def source(app: App, source_id: int) -> AgendaSource:
    async with app.sessionmaker() as session:
        return await session.get_one(AgendaSource, source_id)


async def items(app: App) -> list[AgendaItem]:
    async with app.sessionmaker() as session:
        return list(await session.scalars(select(AgendaItem).order_by(AgendaItem.id)))


async def meetings(app: App) -> list[AgendaMeeting]:
    async with app.sessionmaker() as session:
        return list(await session.scalars(select(AgendaMeeting).order_by(AgendaMeeting.starts_at)))


async def poll_at(app: App, clock: FrozenClock, due: object) -> None:
    """Move the clock to when the source's next poll is due and let the dispatcher run it."""
    clock.set(due)  # type: ignore[arg-type]
    await app.dispatcher.run_due()


def feed_with(server: LocalServer, *entries: tuple[str, str, str, str]) -> str:
    server.paths["/anslagstavla.rss"] = Served(files.rss(list(entries)))
    return server.url("/anslagstavla.rss")


async def test_nothing_is_fetched_until_a_source_is_added_then_its_items_are_stored_as_new(
        app: App, server: LocalServer, clock: FrozenClock):
    url = feed_with(server, files.kf_notice(server.base))
    await app.dispatcher.run_due()
    assert server.requests == []  # offline by default

    source_id = await add(app, url)
    await app.dispatcher.run_due()

    [request] = server.requested("/anslagstavla.rss")
    assert request.headers["User-Agent"] == USER_AGENT
    stored = await items(app)
    assert [(i.number, i.title) for i in stored] == [
        ("1", "Val av justerare"), ("2", "Motion om parkering vid Stortorget"),
        ("3", "Budget 2027 för Karlskrona kommun")]
    [meeting] = await meetings(app)
    assert meeting.title == files.KF_NOTICE and meeting.uid == "kf-2026-12-17"
    assert meeting.starts_at == KF_MEETING and meeting.body == "kommunfullmaktige"
    # Stored as new, then looked at by the matcher in the same transaction (bot.services.agenda).
    assert {i.title: i.status for i in stored} == {
        "Val av justerare": "ignored", "Motion om parkering vid Stortorget": "proposed",
        "Budget 2027 för Karlskrona kommun": "ignored"}
    assert all(i.meeting_id == meeting.id and i.meeting_at == meeting.starts_at
               and i.municipality == "karlskrona" and i.link == f"{server.base}/anslagstavla/kf-2026-12-17"
               for i in stored)
    polled = await source(app, source_id)
    assert polled.last_ok_at == START and polled.failures == 0 and polled.last_error is None
    assert polled.next_poll_at == START + poll.POLL_INTERVAL


async def test_the_user_agent_names_the_operators_contact_when_set(
        tmp_path: Path, database_url: str, clock: FrozenClock, server: LocalServer):
    settings = load_settings(database_url=database_url, data_dir=tmp_path / "data",
                             output_dir=tmp_path / "out", watch_contact_url="https://jobbskaparna.example/om-oss",
                             _env_file=None)
    contacted = App(settings, clock)
    try:
        await add(contacted, feed_with(server, files.kf_notice(server.base)))
        await contacted.dispatcher.run_due()
    finally:
        await contacted.close()

    [request] = server.requested("/anslagstavla.rss")
    assert request.headers["User-Agent"] == "Jobbskaparna-bot/1.0 (agenda watcher; +https://jobbskaparna.example/om-oss)"


async def test_a_feed_that_repeats_its_items_stores_each_once(
        app: App, server: LocalServer, clock: FrozenClock):
    notice = files.kf_notice(server.base)
    # The same notice twice in one feed (a board that lists it under two headings).
    url = feed_with(server, notice, (notice[0] + "-kopia", *notice[1:]))
    source_id = await add(app, url)
    await app.dispatcher.run_due()
    assert len(await items(app)) == 3

    # The next poll: the same notice again, and a new one with one item in common.
    later = ("kf-extra", "Kungörelse: Kommunfullmäktige sammanträder 17 december 2026 kl. 18.00 (tillägg)",
             f"{server.base}/anslagstavla/kf-extra",
             ("<p>Tillägg till föredragningslistan:</p><ol><li>Motion om parkering vid Stortorget</li>"
              "<li>Avsägelse av uppdrag som ersättare i kommunfullmäktige</li></ol>"))
    feed_with(server, notice, later)
    await poll_at(app, clock, (await source(app, source_id)).next_poll_at)

    assert [i.title for i in await items(app)] == [
        "Val av justerare", "Motion om parkering vid Stortorget", "Budget 2027 för Karlskrona kommun",
        "Avsägelse av uppdrag som ersättare i kommunfullmäktige"]
    assert len(server.requested("/anslagstavla.rss")) == 2


@pytest.mark.parametrize(("validator", "header", "value"), [
    ("etag", "If-None-Match", '"v1"'),
    ("last_modified", "If-Modified-Since", "Mon, 30 Nov 2026 07:00:00 GMT"),
])
async def test_the_second_poll_is_conditional_and_a_304_changes_nothing(
        app: App, server: LocalServer, clock: FrozenClock, validator: str, header: str, value: str):
    url = feed_with(server, files.kf_notice(server.base))
    setattr(server.paths["/anslagstavla.rss"], validator, value)
    source_id = await add(app, url)
    await app.dispatcher.run_due()
    first = await source(app, source_id)
    assert getattr(first, validator) == value

    await poll_at(app, clock, first.next_poll_at)

    first_request, second_request = server.requested("/anslagstavla.rss")
    assert header not in first_request.headers
    assert second_request.headers[header] == value
    second = await source(app, source_id)
    assert len(await items(app)) == 3
    assert second.last_ok_at == first.next_poll_at and second.failures == 0
    assert second.next_poll_at == first.next_poll_at + poll.POLL_INTERVAL


async def test_failures_back_off_and_the_coordinators_are_told_once(
        app: App, server: LocalServer, clock: FrozenClock, notifier: RecordingNotifier):
    await app.run(KARIN, workspaces.configure, coordinators="222")
    source_id = await add(app, server.url("/finns-inte.rss"))  # the server answers 404

    waits = []
    for _ in range(4):
        before = clock.now()
        await app.dispatcher.run_due()
        failed = await source(app, source_id)
        waits.append(failed.next_poll_at - before)
        clock.set(failed.next_poll_at)

    assert failed.failures == 4 and failed.last_error == "HTTP 404" and failed.last_ok_at is None
    # 6 hours × 2^failures, at most a day.
    assert waits == [timedelta(hours=12), timedelta(hours=24), timedelta(hours=24), timedelta(hours=24)]
    [told] = notifier.to("channel:coordinators")
    assert "misslyckats 3 gånger i rad" in told.text and "HTTP 404" in told.text

    # It works again: the count starts over, and a later run of failures is told again.
    server.paths["/finns-inte.rss"] = Served(files.rss([files.kf_notice(server.base)]))
    await app.dispatcher.run_due()
    recovered = await source(app, source_id)
    assert recovered.failures == 0 and recovered.failure_told_at is None and recovered.last_error is None


async def test_the_items_a_removed_source_found_stay(app: App, server: LocalServer):
    await add(app, feed_with(server, files.kf_notice(server.base)))
    await app.dispatcher.run_due()

    # By its address this time.
    await app.run(KARIN, watch_sources.remove, source=server.url("/anslagstavla.rss"))

    kept = await items(app)
    assert len(kept) == 3 and {i.source_id for i in kept} == {None}
    assert sorted(i.status for i in kept) == ["ignored", "ignored", "proposed"]  # as the matcher left them
    # The source's meetings go with it (the items keep their date).
    assert await meetings(app) == [] and {i.meeting_at for i in kept} == {KF_MEETING}


async def test_a_503_with_retry_after_is_honoured(app: App, server: LocalServer):
    server.paths["/upptagen.rss"] = Served(b"", status=503, headers={"Retry-After": str(2 * 24 * 3600)})
    source_id = await add(app, server.url("/upptagen.rss"))

    await app.dispatcher.run_due()

    busy = await source(app, source_id)
    assert busy.last_error == "HTTP 503" and busy.failures == 1
    # Two days, though the backoff alone would have come back after 12 hours.
    assert busy.next_poll_at == START + timedelta(days=2)


async def test_a_slow_server_times_out_outside_any_transaction(app: App, server: LocalServer):
    server.paths["/trog.rss"] = Served(files.rss([files.kf_notice(server.base)]), delay=3)
    source_id = await add(app, server.url("/trog.rss"))
    sessions = poll.Sessions(app.deferred_sessionmaker, app.sessionmaker)

    await poll.poll_source(sessions, source_id, START, Fetcher(read_timeout=0.2, total_timeout=1))

    slow = await source(app, source_id)
    assert slow.last_error == "timeout" and slow.failures == 1 and await items(app) == []


async def test_the_database_takes_writes_while_a_source_is_being_fetched(app: App, server: LocalServer):
    gate = asyncio.Event()
    server.paths["/anslagstavla.rss"] = Served(files.rss([files.kf_notice(server.base)]), gate=gate)
    await add(app, server.url("/anslagstavla.rss"))
    polling = asyncio.create_task(app.dispatcher.run_due())
    while not server.requested("/anslagstavla.rss"):
        await asyncio.sleep(0.01)

    # The server has not answered yet: a coordinator's command writes meanwhile (no lock is held across the
    # network; on SQLite a held write lock would make this wait and fail).
    await add(app, "https://www.karlskrona.se/ks.ics", kind=SourceKind.CALENDAR)
    assert not polling.done()

    gate.set()
    await polling
    assert len(await items(app)) == 3


async def test_a_file_over_the_size_cap_is_not_read(app: App, server: LocalServer):
    url = feed_with(server, files.kf_notice(server.base))
    source_id = await add(app, url)
    sessions = poll.Sessions(app.deferred_sessionmaker, app.sessionmaker)

    await poll.poll_source(sessions, source_id, START, Fetcher(max_bytes=100))

    assert (await source(app, source_id)).last_error == "too large" and await items(app) == []


async def test_a_server_that_is_down_is_a_failure_said_in_the_readers_language(app: App):
    source_id = await add(app, f"http://127.0.0.1:{free_port()}/anslagstavla.rss")

    await app.dispatcher.run_due()

    assert (await source(app, source_id)).last_error == "connection failed"
    shown = (await app.run(KARIN, watch_sources.list_sources)).body
    assert "1 misslyckat försök i rad (servern gick inte att nå)" in render(shown, "sv")
    assert "1 failed attempt in a row (the server could not be reached)" in render(shown, "en")


async def test_bad_xml_is_a_failure_with_its_reason(app: App, server: LocalServer):
    server.paths["/trasig.rss"] = Served(files.BROKEN_XML)
    source_id = await add(app, server.url("/trasig.rss"))

    await app.dispatcher.run_due()

    broken = await source(app, source_id)
    assert broken.last_error == "bad XML" and broken.failures == 1 and await items(app) == []


async def test_a_feed_entry_linking_the_agenda_pdf_gets_the_pdfs_items_and_the_pdf_is_read_once(
        app: App, server: LocalServer, clock: FrozenClock):
    server.paths["/kf-2026-12-17.pdf"] = Served(files.agenda_pdf(), content_type="application/pdf")
    notice = ("kf-2026-12-17", files.KF_NOTICE, f"{server.base}/anslagstavla/kf-2026-12-17",
              '<p>Handlingar: <a href="/kf-2026-12-17.pdf">Föredragningslista</a></p>')
    source_id = await add(app, feed_with(server, notice))
    await app.dispatcher.run_due()

    stored = await items(app)
    assert [(i.number, i.title) for i in stored] == [
        ("1", "Val av justerare"), ("2", "Motion om parkering vid Stortorget"),
        ("3", "Medborgarförslag om belysning längs gång- och cykelvägen vid Amiralitetsparken"),
        ("§ 12", "Ändring av taxa för bygglov"), ("Ärende 13", "Upphandling av skolskjuts")]
    assert {i.link for i in stored} == {server.url("/kf-2026-12-17.pdf")}
    assert {i.meeting_at for i in stored} == {KF_MEETING}

    # The entry is known now: the next poll does not fetch its PDF again.
    await poll_at(app, clock, (await source(app, source_id)).next_poll_at)
    assert len(server.requested("/kf-2026-12-17.pdf")) == 1
    assert len(server.requested("/anslagstavla.rss")) == 2


async def test_agendas_over_a_polls_budget_wait_for_the_next_poll(
        app: App, server: LocalServer, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(poll, "MAX_PDFS", 1)
    server.paths["/kf.pdf"] = Served(files.agenda_pdf(), content_type="application/pdf")
    server.paths["/ks.pdf"] = Served(files.agenda_pdf([["Föredragningslista", "Kommunstyrelsen 2026-12-08",
                                                        "1. Taxa för torghandel"]]),
                                     content_type="application/pdf")
    kf = ("kf", files.KF_NOTICE, f"{server.base}/kf", '<a href="/kf.pdf">Föredragningslista</a>')
    ks = ("ks", "Kungörelse: Kommunstyrelsen sammanträder 8 december 2026 kl. 09.00", f"{server.base}/ks",
          '<a href="/ks.pdf">Föredragningslista</a>')
    url = feed_with(server, kf, ks)
    server.paths["/anslagstavla.rss"].etag = '"v1"'
    source_id = await add(app, url)
    await app.dispatcher.run_due()
    assert len(await items(app)) == 5 and server.requested("/ks.pdf") == []

    await poll_at(app, clock, (await source(app, source_id)).next_poll_at)

    # Read again in full (not a 304: the feed's validators were not kept), and the waiting agenda with it.
    assert "If-None-Match" not in server.requested("/anslagstavla.rss")[1].headers
    assert len(server.requested("/ks.pdf")) == 1 and len(server.requested("/kf.pdf")) == 1
    assert [i.title for i in await items(app)][-1] == "Taxa för torghandel"


async def test_a_scanned_agenda_gives_no_items_and_says_it_has_no_text_layer(app: App, server: LocalServer):
    server.paths["/skannad.pdf"] = Served(files.scanned_pdf(), content_type="application/pdf")
    source_id = await add(app, server.url("/skannad.pdf"), kind=SourceKind.PDF)

    await app.dispatcher.run_due()

    scanned = await source(app, source_id)
    assert scanned.last_error == "no text layer" and await items(app) == []
    # Fetching again will not give it a text layer: not counted as a failure to back off from.
    assert scanned.failures == 0 and scanned.next_poll_at == START + poll.POLL_INTERVAL
    shown = render((await app.run(KARIN, watch_sources.list_sources)).body, "sv")
    assert "inskannad PDF utan text" in shown


async def test_an_agenda_pdf_source_is_a_meeting_with_its_items(app: App, server: LocalServer):
    server.paths["/kf.pdf"] = Served(files.agenda_pdf(), content_type="application/pdf")
    await add(app, server.url("/kf.pdf"), kind=SourceKind.PDF)

    await app.dispatcher.run_due()

    [meeting] = await meetings(app)
    assert meeting.title == "Föredragningslista" and meeting.starts_at == KF_MEETING
    assert len(await items(app)) == 5


async def test_a_calendars_meetings_are_stored_with_their_items(app: App, server: LocalServer):
    server.paths["/sammantraden.ics"] = Served(files.MEETINGS_ICS, content_type="text/calendar")
    await add(app, server.url("/sammantraden.ics"), kind=SourceKind.CALENDAR,
              body=civics.Body.KOMMUNSTYRELSEN)

    await app.dispatcher.run_due()

    assert [m.title for m in await meetings(app)] == [
        "Arbetsutskottet", "Kommunstyrelsen", "Kommunfullmäktige", "Byggnadsnämnden"]
    assert [(i.title, i.body) for i in await items(app)] == [
        ("Ny parkeringsnorm för centrum", "kommunstyrelsen"), ("Taxa för torghandel", "kommunstyrelsen")]


async def test_only_coordinators_add_and_a_bad_address_is_refused_by_name(app: App):
    with pytest.raises(NotCoordinator):
        await app.run(ANNA, watch_sources.add, municipality="karlskrona", body=KF, kind=SourceKind.FEED,
                      url="https://www.karlskrona.se/anslagstavla.rss")
    with pytest.raises(UserError) as refused:
        await app.run(KARIN, watch_sources.add, municipality="karlskrona", body=KF, kind=SourceKind.FEED,
                      url="ftp://www.karlskrona.se/anslagstavla.rss")
    # Named by its field, in the user's language.
    assert render(refused.value.text, "sv").startswith("Adress:")
    with pytest.raises(FieldProblem) as no_committee:
        await app.run(KARIN, watch_sources.add, municipality="karlskrona", body=civics.Body.NAMND,
                      kind=SourceKind.FEED, url="https://www.karlskrona.se/bn.rss")
    assert render(no_committee.value.field_label, "sv") == "Nämnd"
    async with app.sessionmaker() as session:
        assert list(await session.scalars(select(AgendaSource))) == []


async def test_the_same_address_twice_is_refused(app: App):
    await add(app, "https://www.karlskrona.se/anslagstavla.rss")

    with pytest.raises(UserError) as refused:
        await add(app, "https://www.karlskrona.se/anslagstavla.rss", body=civics.Body.KOMMUNSTYRELSEN)

    assert render(refused.value.text, "sv").startswith("Den adressen bevakas redan")


async def test_the_list_shows_each_sources_last_poll_error_and_next_poll_and_remove_stops_it(
        app: App, server: LocalServer):
    ok = await add(app, feed_with(server, files.kf_notice(server.base)))
    broken = await add(app, server.url("/borta.rss"), body=civics.Body.KOMMUNSTYRELSEN)
    await app.dispatcher.run_due()

    shown = render((await app.run(KARIN, watch_sources.list_sources)).body, "sv")

    feed = server.url("/anslagstavla.rss")
    assert f"**#{ok}** flöde (RSS/Atom) – Karlskrona, kommunfullmäktige: {feed}" in shown
    assert "1 misslyckat försök i rad (HTTP 404)" in shown
    assert shown.count("senast hämtad") == 2 and shown.count("nästa hämtning") == 2

    removed = await app.run(KARIN, watch_sources.remove, source=f"#{broken}")

    assert render(removed.body, "sv").startswith("Bevakas inte längre:")
    async with app.sessionmaker() as session:
        pending = list(await session.scalars(select(Reminder.key).where(
            Reminder.kind == poll.KIND, Reminder.status == PENDING)))
        cancelled = list(await session.scalars(select(Reminder.key).where(
            Reminder.kind == poll.KIND, Reminder.status == CANCELLED)))
        audited = list(await session.scalars(select(AuditLog.action).order_by(AuditLog.id)))
    assert all(key.startswith(f"{poll.KIND}:{ok}:") for key in pending) and len(pending) == 1
    assert cancelled and all(key.startswith(f"{poll.KIND}:{broken}:") for key in cancelled)
    assert audited[-3:] == ["watch.added", "watch.added", "watch.removed"]
    async with app.sessionmaker() as session:
        assert list(await session.scalars(select(AgendaSource.id))) == [ok]
