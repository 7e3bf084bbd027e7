"""Ask in good time: rounds before the decision, one question per follower, targets spread,
asked and answered."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from bot import reminders
from bot.app import App
from bot.clock import FrozenClock
from bot.errors import NotCoordinator, UserError
from bot.i18n import render
from bot.models import Ask, Issue, Member, Politician, Reminder
from bot.replies import Channel
from bot.services import asks, drafts, follows, issues, media, mydata, politicians, stances
from bot.validation import FieldProblem
from tests.conftest import RecordingNotifier, identity
from tests.issue_fixtures import (
    ANNA,
    BO,
    CIA,
    COORDINATOR,
    DAN,
    OLLE,
    create_issue,
    import_politicians,
)
from tests.support import draft_corpus
from tests.support.onboarding import onboard
from tests.support.replies import fields_of

# The parking decision is on 28 January 2027 at 18:00; the first round is 21 days before.
ROUND_21 = datetime(2027, 1, 7, 17, 0, tzinfo=UTC)
ROUND_14 = datetime(2027, 1, 14, 17, 0, tzinfo=UTC)


async def asks_of(app: App) -> list[tuple[str, str | None, int]]:
    async with app.sessionmaker() as session:
        rows = (await session.execute(select(Ask, Member).join(Member, Member.id == Ask.member_id)
                                      .order_by(Ask.id))).all()
        names = {p.id: p.name for p in await session.scalars(select(Politician))}
    return [(m.external_id, names.get(a.politician_id), a.round) for a, m in rows]


async def the_group(app: App, notifier: RecordingNotifier) -> int:
    """Four followers in Karlskrona, one in Ronneby; five politicians, one already for us; the issue."""
    for who in (ANNA, BO, CIA):
        await onboard(app, who)
    await onboard(app, DAN, dm=False)
    await onboard(app, OLLE, municipality="Ronneby")
    await import_politicians(app)
    await app.run(COORDINATOR, media.add, name="Sydöstran", municipality="Karlskrona", x_handle="@sydostran")
    issue_id = await create_issue(app)
    await app.run(COORDINATOR, stances.set_stance, issue="Parkering", politician="Åsa Ek", stance="for")
    await app.dispatcher.run_due()
    notifier.sent.clear()
    return issue_id


async def test_rounds_are_planned_21_and_14_days_before_the_decision(app: App):
    issue_id = await create_issue(app)

    async with app.sessionmaker() as session:
        due = list(await session.scalars(select(Reminder.due_at).where(Reminder.kind == asks.ASK_KIND)
                                          .order_by(Reminder.due_at)))
        issue = await session.get_one(Issue, issue_id)
    assert due == [ROUND_21, ROUND_14]
    assert issue.ask_days is None


async def test_the_rounds_can_be_set_per_issue_and_per_workspace(app: App):
    first = await create_issue(app, ask_days="30, 7")
    second = await create_issue(app, title="Skolmat", hashtag="LokalMat")

    workspace = await app.run(COORDINATOR, asks.set_ask_days, ask_days="10")
    off = await app.run(COORDINATOR, asks.set_ask_days, ask_days="0", issue="Parkering")

    assert (
        render(workspace.body, "sv")
        == "Som standard får följarna en fråga att ställa så här många dagar före beslutet: 10."
    )
    assert render(off.body, "sv") == "Parkering i centrum: inga frågerundor (avstängt för frågan)."
    async with app.sessionmaker() as session:
        pending = {(r.payload["issue_id"], r.payload["days"]) for r in await session.scalars(
            select(Reminder).where(Reminder.kind == asks.ASK_KIND, Reminder.status == reminders.PENDING))}
    assert pending == {(second, 10)} and first != second
    with pytest.raises(NotCoordinator):
        await app.run(ANNA, asks.set_ask_days, ask_days="5")
    with pytest.raises(FieldProblem):
        await app.run(COORDINATOR, asks.set_ask_days, ask_days="tre veckor")


async def test_a_round_already_past_is_not_planned(app: App):
    await create_issue(app, decision="2026-12-20 18:00")  # 19 days ahead: only the 14-day round is to come

    async with app.sessionmaker() as session:
        due = list(await session.scalars(select(Reminder.due_at).where(Reminder.kind == asks.ASK_KIND)))
    assert due == [datetime(2026, 12, 6, 17, 0, tzinfo=UTC)]


async def test_each_follower_gets_one_question_and_the_targets_are_spread(app: App, clock: FrozenClock,
                                                                          notifier: RecordingNotifier):
    await the_group(app, notifier)

    clock.set(ROUND_21 - timedelta(minutes=1))
    await app.dispatcher.run_due()
    assert notifier.sent == []
    clock.set(ROUND_21)
    await app.dispatcher.run_due()
    await app.dispatcher.run_due()  # a second run sends nothing more

    for name in ("anna", "bo", "cia"):
        [draft] = notifier.to(f"dm:{name}")
        assert "21 dagar kvar till beslutet" in draft.text
    assert notifier.to("dm:olle") == [] and notifier.to("dm:dan") == []
    [call] = notifier.to(f"channel:{Channel.ANNOUNCEMENTS}")
    assert call.reply.mentions == ("dan",)  # no DMs: mentioned in the channel, with a button for his question
    assert [b.action for b in call.reply.buttons] == [asks.MINE_ACTION]
    given = await asks_of(app)
    targets = [target for _, target, _ in given]
    assert len(given) == 4 and len(set(targets)) == 4  # four members, four different politicians
    assert set(targets) == {"Björn Öst", "Cecilia Ärlig", "David Lund", "Eva Ström"}  # all undecided


async def test_more_followers_than_targets_are_spread_evenly(app: App, clock: FrozenClock,
                                                             notifier: RecordingNotifier):
    await the_group(app, notifier)
    await app.run(
        COORDINATOR, stances.set_stance, issue="Parkering", politician="Eva Ström", stance="against"
    )
    await app.run(COORDINATOR, stances.set_stance, issue="Parkering", politician="David Lund", stance="for")

    clock.set(ROUND_21)
    await app.dispatcher.run_due()

    load = Counter(target for _, target, _ in await asks_of(app))
    assert load == Counter({"Björn Öst": 2, "Cecilia Ärlig": 2})


async def test_followers_asking_the_same_politician_share_one_composed_message(app: App,
                                                                              notifier: RecordingNotifier):
    await the_group(app, notifier)
    await app.run(
        COORDINATOR, stances.set_stance, issue="Parkering", politician="Eva Ström", stance="against"
    )
    await app.run(COORDINATOR, stances.set_stance, issue="Parkering", politician="David Lund", stance="for")

    async with app.sessionmaker() as session, session.begin():
        reminder = (await session.scalars(select(Reminder).where(Reminder.kind == asks.ASK_KIND)
                                          .order_by(Reminder.due_at))).first()
        assert reminder is not None
        batches = await asks._plan_round(session, reminder, ROUND_21)
        # One batch (three followers), planned in the write transaction it writes the questions in.
        assert isinstance(batches, reminders.InBatches) and batches.writes
        planned, after = await batches.batch(session, 0)

    assert after is None
    # Three followers want DMs and two politicians are left: two of them ask the same one, in Swedish.
    dms = [p for p in planned if p.member_id is not None]
    assert len(dms) == 3 and len({id(p.reply) for p in dms}) == 2


async def test_the_draft_names_the_politician_the_hashtag_and_the_media_and_fits_x(
    app: App, clock: FrozenClock, notifier: RecordingNotifier
):
    await the_group(app, notifier)
    clock.set(ROUND_21)
    await app.dispatcher.run_due()

    [message] = notifier.to("dm:anna")
    fields = fields_of(message.reply)
    draft = fields["Utkast"]
    # Without seats the undecided are taken party by party in alphabetical order: Anna, the first, gets C.
    # The title as a title, then what the issue means for Anna's shop, then the issue's why.
    assert draft.startswith(
        "Hej @davidlund! Hur röstar du om ”Parkering i centrum” i kommunfullmäktige den 28 januari? "
        "För oss på Annas Blommor handlar det om kunderna som ska hitta till butiken. Behåll platserna."
    )
    assert draft.endswith("#ParkeraKarlskrona @sydostran")
    assert drafts.fits_x(draft)
    assert fields["Fråga"] == "David Lund (C), @davidlund"
    x_link = message.reply.links[0].url
    assert parse_qs(urlsplit(x_link).query)["text"] == [draft]
    assert [b.action for b in message.reply.buttons] == [asks.ASKED_ACTION] + [asks.ANSWER_ACTION] * 4


async def test_a_long_issue_still_fits_x():
    issue = Issue(
        id=1,
        title="Ombyggnad av hela stadskärnan " * 6,
        position="Vi vill " * 80,
        decision_at=ROUND_14,
        decision_has_time=True,
        body="kommunfullmaktige",
        committee=None,
        municipality="karlskrona",
        hashtag="#" + "Lång" * 20,
    )

    post = asks.compose(issue, None, ["sydostran", "blt_se"], "Europe/Stockholm", "sv")

    assert drafts.fits_x(post) and post.endswith("@sydostran @blt_se")


async def test_a_restart_does_not_reshuffle_and_the_next_round_gives_someone_new(app: App, clock: FrozenClock,
                                                                                 notifier: RecordingNotifier):
    issue_id = await the_group(app, notifier)
    clock.set(ROUND_21)
    await app.dispatcher.run_due()
    first = await asks_of(app)

    # The same round planned again (as after a crash before the deliveries were
    # written) gives the same people.
    async with app.sessionmaker() as session, session.begin():
        issue = await session.get_one(Issue, issue_id)
        members = await follows.followers(session, issue)
        model = await stances.build_model(session, issue)
        await asks.assign(session, issue, members, 21, model, clock.now())
    assert await asks_of(app) == first

    clock.set(ROUND_14)
    await app.dispatcher.run_due()
    second = [row for row in await asks_of(app) if row[2] == 14]
    before = {member: target for member, target, _ in first}
    assert len(second) == 4 and all(before[member] != target for member, target, _ in second)
    # Two rounds, two questions each (the countdown's own DM on day 14 is not a question of a round).
    for name in ("anna", "bo", "cia"):
        questions = [
            s for s in notifier.to(f"dm:{name}") if getattr(s.reply.title, "key", "") == "asks.draft.title"
        ]
        assert len(questions) == 2, name


async def test_a_round_is_skipped_when_stale_or_when_the_issue_closed(app: App, clock: FrozenClock,
                                                                      notifier: RecordingNotifier):
    await the_group(app, notifier)

    clock.set(ROUND_21 + asks.ASK_GRACE + timedelta(minutes=1))  # the bot was down for days
    report = await app.dispatcher.run_due()
    # Nobody gets the stale round; the coordinators are told it was skipped.
    assert len(report.skipped) == 1 and [s.to for s in notifier.sent] == [f"channel:{Channel.COORDINATORS}"]
    assert "• Frågerundan 21 dagar före beslutet om Parkering i centrum" in notifier.sent[0].text

    await app.run(COORDINATOR, issues.close, issue="Parkering", outcome="postponed")
    notifier.sent.clear()
    clock.set(ROUND_14)
    await app.dispatcher.run_due()
    assert notifier.sent == []


async def test_a_member_marks_asked_with_a_link_and_reports_the_answer_in_one_click(
        app: App, clock: FrozenClock, notifier: RecordingNotifier):
    issue_id = await the_group(app, notifier)
    clock.set(ROUND_21)
    await app.dispatcher.run_due()
    notifier.sent.clear()

    opened = await app.press(ANNA, asks.ASKED_ACTION, str(issue_id))
    assert opened.form is not None and opened.form.arg == str(issue_id)
    with pytest.raises(FieldProblem):
        await app.submit(ANNA, asks.ASKED_FORM, {"link": "inte en länk"}, opened.form.arg)
    thanks = await app.submit(ANNA, asks.ASKED_FORM, {"link": "https://x.com/anna/status/1"}, opened.form.arg)
    assert render(thanks.body, "sv").startswith("Tack för att du frågade David Lund (C)!")
    no_answer = await app.press(ANNA, asks.ANSWER_ACTION, f"{issue_id}-no_answer")
    assert "inget svar" in render(no_answer.body, "sv") and notifier.sent == []
    await app.press(BO, asks.ANSWER_ACTION, f"{issue_id}-against")  # Bo answers without the link

    overview = await app.run(COORDINATOR, asks.overview, issue="Parkering")

    lines = render(overview.body, "sv").splitlines()
    assert (
        "• Anna → David Lund (C) (21 dagar före): frågade 7 januari 2027 18:00 (X) "
        "https://x.com/anna/status/1, svar: inget svar"
    ) in lines
    assert any(line.startswith("• Bo → Eva Ström (KD) (21 dagar före): frågade") and "svar: emot" in line
               for line in lines)
    assert any("Dan → " in line and "inte frågat än" in line for line in lines)
    assert render(overview.fields[0].value, "sv") == "4 frågor utdelade, 2 ställda, 2 besvarade"
    with pytest.raises(NotCoordinator):
        await app.run(ANNA, asks.overview, issue="Parkering")


async def test_asking_someone_else_or_without_an_assignment(app: App, notifier: RecordingNotifier):
    issue_id = await the_group(app, notifier)

    with pytest.raises(UserError) as none_yet:
        await app.run(ANNA, asks.mark_asked, issue="Parkering", link="https://x.com/a/status/2")
    assert none_yet.value.text.key == "asks.none_assigned"
    with pytest.raises(UserError):
        await app.press(ANNA, asks.ANSWER_ACTION, f"{issue_id}-for")

    await app.run(
        ANNA, asks.mark_asked, issue="Parkering", link="https://x.com/a/status/2", politician="Eva Ström"
    )
    await app.press(ANNA, asks.ANSWER_ACTION, f"{issue_id}-undecided")
    assert await asks_of(app) == [("anna", "Eva Ström", 0)]


async def test_a_follower_who_came_late_asks_for_a_question(app: App, clock: FrozenClock,
                                                            notifier: RecordingNotifier):
    issue_id = await the_group(app, notifier)
    clock.set(ROUND_21)
    await app.dispatcher.run_due()

    mine = await app.press(DAN, asks.MINE_ACTION, str(issue_id))  # the channel button: his round-21 question
    await onboard(app, identity("fia"))
    fia = await app.run(identity("fia"), asks.my_question, issue="Parkering")

    assert mine.private and "Fråga" in [render(f.name, "sv") for f in mine.fields]
    assert ("dan", render(mine.fields[0].value, "sv").split(" (")[0], 21) in await asks_of(app)
    assert ("fia", "David Lund", 0) in await asks_of(app)  # all asked once: the first on the map
    assert fia.private


async def test_a_closed_issue_gives_no_new_questions(app: App, notifier: RecordingNotifier):
    await the_group(app, notifier)
    await app.run(COORDINATOR, issues.close, issue="Parkering", outcome="won")

    with pytest.raises(UserError) as closed:
        await app.run(ANNA, asks.my_question, issue="Parkering")
    assert closed.value.text.key == "issues.unknown"


async def test_my_data_holds_follows_questions_and_reports(
    app: App, clock: FrozenClock, notifier: RecordingNotifier
):
    issue_id = await the_group(app, notifier)
    clock.set(ROUND_21)
    await app.dispatcher.run_due()
    await app.run(ANNA, asks.mark_asked, issue="Parkering", link="https://x.com/anna/status/1")
    await app.press(ANNA, asks.ANSWER_ACTION, f"{issue_id}-for")
    await app.press(ANNA, follows.HELP_ACTION, str(issue_id))

    exported = json.loads((await app.run(ANNA, mydata.export)).files[0].data)

    assert {"kind": "municipality", "value": "karlskrona"} in [
        {k: f[k] for k in ("kind", "value")} for f in exported["issue_follows"]["follows"]]
    assert exported["issue_follows"]["offered_help"][0]["issue"] == "Parkering i centrum"
    [ask] = exported["issue_asks"]["asks"]
    assert (ask["politician"], ask["asked_url"], ask["answer"]) == (
        "David Lund",
        "https://x.com/anna/status/1",
        "for",
    )
    assert exported["issue_asks"]["stance_reports"][0]["status"] == "reported"

    await app.press(ANNA, mydata.DELETE_CONFIRM, "")
    assert [row for row in await asks_of(app) if row[0] == "anna"] == []


# -- the draft addresses a person, never a body -----------------------------------------------------------


@pytest.mark.parametrize("language", ["sv", "en"])
async def test_a_draft_with_nobody_to_ask_is_a_public_question_about_the_body(app: App, language: str):
    await create_issue(app, body="KS")
    async with app.sessionmaker() as session:
        issue = await session.scalar(select(Issue))

    post = asks.compose(issue, None, (), "Europe/Stockholm", language)

    expected = {"sv": "Hur röstar kommunstyrelsen i Karlskrona om ”Parkering i centrum” den 28 januari?",
                "en": "How will municipal executive board in Karlskrona vote on “Parkering i centrum” on "
                      "28 January?"}
    assert post.startswith(expected[language])
    assert not draft_corpus.greets_body(post)


async def test_a_draft_without_an_assigned_politician_addresses_the_bodys_chair(app: App):
    await import_politicians(app, "Namn;Parti;Kommun;Organ;Roller;X\n"
                                  "Bo Ledamot;M;Karlskrona;KS;ledamot;boledamot\n"
                                  "Cia Ordf;S;Karlskrona;KS;ordförande;\n"
                                  "Dan Ers;C;Karlskrona;KS;ersättare;danersattare\n")
    await create_issue(app, body="KS")
    async with app.sessionmaker() as session:
        issue = await session.scalar(select(Issue))
        chair = await asks.addressee(session, issue)

    reply = asks.draft_reply(issue, None, (), "Europe/Stockholm", "sv", addressee=chair)

    assert chair is not None and chair.name == "Cia Ordf"
    assert "Hej Cia Ordf! Hur röstar du" in render(reply.fields[1].value, "sv")
    assert reply.buttons == ()  # nobody was given to this member to ask: nothing to report yet


# -- stale entries and politicians who left -----------------------------------------------------------------


async def test_a_round_tells_the_coordinators_once_which_deciders_to_check(app: App, clock: FrozenClock,
                                                                          notifier: RecordingNotifier):
    await the_group(app, notifier)  # imported without dates: never checked
    await app.run(COORDINATOR, politicians.edit, politician="Björn Öst", checked="idag")

    clock.set(ROUND_21)
    await app.dispatcher.run_due()
    await app.dispatcher.run_due()  # a second run tells nothing again

    [notice] = notifier.to(f"channel:{Channel.COORDINATORS}")
    for language, told in (("sv", "4 beslutsfattare i kommunfullmäktige"),
                           ("en", "4 deciders in municipal council")):
        text = render(notice.reply.body, language)
        assert told in text
        assert "Åsa Ek (S)" in text and "Eva Ström (KD)" in text and "Björn Öst" not in text
    clock.set(ROUND_14)
    await app.dispatcher.run_due()
    assert len(notifier.to(f"channel:{Channel.COORDINATORS}")) == 2  # once per round


def test_the_notice_names_twenty_and_counts_the_rest():
    issue = Issue(title="Parkering", body="kommunfullmaktige", committee=None)
    stale = [Politician(name=f"P{n:02}", party="S", bodies=[], roles={}, checked_on=None) for n in range(23)]

    notice = asks.stale_notice(issue, stale)

    assert notice is not None and asks.stale_notice(issue, []) is None
    text = render(notice.body, "sv")
    assert "P19 (S)" in text and "P20" not in text and "…och 3 till." in text


async def test_a_politician_who_left_is_never_asked(app: App, clock: FrozenClock,
                                                    notifier: RecordingNotifier):
    await the_group(app, notifier)
    async with app.sessionmaker() as session, session.begin():
        gone = await session.scalar(select(Politician).where(Politician.name == "Björn Öst"))
        assert gone is not None
        gone.left_on = date(2026, 12, 1)

    clock.set(ROUND_21)
    await app.dispatcher.run_due()

    targets = {target for _, target, _ in await asks_of(app)}
    assert targets == {"Cecilia Ärlig", "David Lund", "Eva Ström"}
