"""Every column that can refer to a member is exported and erased: the schema says which, features declare.

The columns that can refer to a member are found in the schema (Base.metadata), not listed here: every
foreign key to member.id, and every JSON, unbounded text or key column. Each must be covered by a feature's
MemberData or declared impersonal (bot.contributions), so that a table a later issue adds fails here until
its feature says how its member data is exported and erased.

A coordinator who is also a member uses every feature (joins, onboards, creates an issue, follows it, offers
help, logs what she did, asks a politician and reports the answer, sets a stance, pledges, shares a story and
applauds one, joins the leaderboard, takes a coaching step, pauses the nudges, is named in the digest), then
exports and erases her data: the export holds each of her rows, and after the erasure no row refers to her
and no stored text names her; the audit log keeps only the anonymous fact.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import JSON, Column, ForeignKey, Integer, MetaData, String, Table, Text, select
from sqlalchemy.sql.schema import Column as SchemaColumn

from bot.app import App
from bot.clock import FrozenClock
from bot.contributions import Contributions
from bot.features import FEATURES
from bot.i18n import render
from bot.models import (
    AuditLog,
    Base,
    BoardLink,
    BoardSession,
    Delivery,
    Issue,
    LiveMessage,
    Member,
    RapidResponse,
    Reminder,
    Story,
)
from bot.replies import Reply, Role, reply_from_json, reply_to_json
from bot.services import (
    activity,
    asks,
    board,
    civics,
    conversation,
    council_import,
    follows,
    issues,
    ladder,
    mydata,
    nudges,
    pairing,
    pledges,
    politicians,
    rapid,
    relationships,
    stances,
    stories,
    watch_sources,
    workspaces,
)
from bot.services.context import Identity
from tests.conftest import RecordingNotifier, identity
from tests.issue_fixtures import ISSUE, POLITICIANS_CSV
from tests.support.onboarding import COMPLETE, onboard

# A coordinator who is a member too (so that what only coordinators do is filled as well), with a name, id
# and company that appear nowhere else.
INGRID = Identity("test", "guild-1", "vallmo4711", "Ingrid Vallmö", "Testgruppen", is_admin=True)
KARIN = identity("karin", coordinator=True)
BO = identity("bo")
HER_TRACES = ("Ingrid Vallmö", "vallmo4711", "Vallmös Keramik", "vallmokeramik")
FIRST_DIGEST = datetime(2026, 12, 7, 7, 0, tzinfo=UTC)
# Columns of her own rows that are the bot's bookkeeping, not what she stored or did: not looked for in the
# export (the deliveries' texts are, as rendered).
BOOKKEEPING = frozenset({"delivery.key", "delivery.nonce", "delivery.message", "delivery.last_error",
                         "delivery.channel", "delivery.not_before", "activity_score.period",
                         "member.dm_channel_id", "board_link.token_hash", "board_session.token_hash",
                         "board_session.csrf_token"})


def declarable(metadata: MetaData) -> list[str]:
    """The columns ("table.column") that can refer to a member: foreign keys to member.id, JSON, unbounded
    text and key columns."""
    found = []
    for table in metadata.sorted_tables:
        for column in table.columns:
            refers = any(fk.target_fullname == "member.id" for fk in column.foreign_keys)
            if refers or isinstance(column.type, JSON | Text) or column.name == "key":
                found.append(f"{table.name}.{column.name}")
    return found


def undeclared(metadata: MetaData, contributions: Contributions) -> list[str]:
    """The columns that can refer to a member which no feature covers or declares impersonal."""
    declared = contributions.covered_columns().keys() | contributions.impersonal.keys()
    return [column for column in declarable(metadata) if column not in declared]


def member_columns() -> list[SchemaColumn[Any]]:
    return [column for table in Base.metadata.sorted_tables for column in table.columns
            if any(fk.target_fullname == "member.id" for fk in column.foreign_keys)]


def test_every_column_that_can_refer_to_a_member_is_declared_by_a_feature():
    contributions = Contributions.assemble(FEATURES)

    assert undeclared(Base.metadata, contributions) == []
    # And nothing is declared that the schema does not have (a renamed column is declared again).
    names = {f"{table.name}.{column.name}"
             for table in Base.metadata.sorted_tables for column in table.columns}
    stale = (contributions.covered_columns().keys() | contributions.impersonal.keys()) - names
    assert stale == set()


def test_a_new_table_that_refers_to_a_member_fails_until_a_feature_covers_it():
    metadata = MetaData()
    for table in Base.metadata.sorted_tables:
        table.to_metadata(metadata)
    Table("scrapbook", metadata, Column("id", Integer, primary_key=True),
          Column("owner_id", ForeignKey("member.id")), Column("notes", JSON), Column("label", String(20)))

    assert undeclared(metadata, Contributions.assemble(FEATURES)) == ["scrapbook.owner_id", "scrapbook.notes"]


async def use_every_feature(app: App, clock: FrozenClock) -> int:
    """Ingrid uses every feature; return the id of her story."""
    await app.run(KARIN, workspaces.configure, announcements="111", coordinators="222", stories="333",
                  member_role="444")
    await app.member_joined("test", "guild-1", "Testgruppen", INGRID.user_external_id, INGRID.display_name)
    await onboard(app, INGRID, answers=COMPLETE, company="Vallmös Keramik", x_handle="@vallmokeramik")
    await onboard(app, BO)
    await app.run(KARIN, politicians.import_csv, POLITICIANS_CSV.encode(), "politiker.csv")
    # A council file read in and not yet confirmed (it waits with her as the coordinator who read it).
    await app.run(INGRID, council_import.import_file, b"Valtyp;Geografi;Parti;Namn\nKF;1080;S;Lena Berg\n",
                  "ledamoter.skv")
    await app.run(INGRID, issues.create, **ISSUE)
    issue_id = await _one(app, select(Issue.id))
    await app.run(INGRID, follows.follow, issue="Parkering", topic="parkering")
    await app.press(INGRID, follows.HELP_ACTION, str(issue_id))
    await app.run(INGRID, activity.did, kind=activity.ActivityKind.TWEET, link="https://x.com/vallmo/status/1")
    await app.run(INGRID, activity.did, kind=activity.ActivityKind.ASK,
                  status=activity.ActivityStatus.ATTEMPTED)
    await app.run(INGRID, asks.my_question, issue="Parkering")
    await app.run(INGRID, asks.mark_asked, issue="Parkering", link="https://x.com/vallmo/status/2",
                  politician="Eva Ström")
    await app.press(INGRID, asks.ANSWER_ACTION, f"{issue_id}-for")
    await app.run(INGRID, stances.set_stance, issue="Parkering", politician="Åsa Ek",
                  stance=stances.civics.StanceValue("for"), source="https://www.karlskrona.se/protokoll")
    await app.run(INGRID, watch_sources.add, municipality="karlskrona", body=civics.Body.KOMMUNFULLMAKTIGE,
                  kind=watch_sources.SourceKind.FEED, url="https://www.karlskrona.se/anslagstavla.rss")
    await app.run(INGRID, rapid.start, link="https://x.com/kommunalrad/status/9", ask="Svara kommunalrådet.",
                  deadline="2h", issue="Parkering")
    await app.press(INGRID, rapid.DONE_ACTION, str(await _one(app, select(RapidResponse.id))))
    await app.run(INGRID, rapid.urgent_setting, allow=False)
    await app.run(INGRID, pledges.pledge, issue="Parkering", kind=pledges.PledgeKind.TWEET)
    # She met a politician yesterday (her follow-up is planned for the morning) and shares it.
    await app.run(INGRID, relationships.add, politician="Eva Ström", met_on="igår", how="Samma förening",
                  note="Pratade om torget")
    await app.press(INGRID, relationships.SHARE_ACTION, relationships.YES)
    await app.submit(INGRID, stories.FORM_ID, {"title": "Muggar via X", "kind": "tweet",
                                               "value": "Tre kaféer beställde muggar.", "link": "https://x.com/v/1"})
    story_id = await _one(app, select(Story.id))
    await app.submit(BO, stories.FORM_ID, {"title": "Bos berättelse", "kind": "blog", "value": "En kund."})
    await app.press(INGRID, stories.APPLAUD_ACTION, str(story_id + 1))
    await app.press(BO, stories.APPLAUD_ACTION, str(story_id))
    await app.run(KARIN, stories.feature, story=str(story_id))
    await app.run(INGRID, activity.leaderboard_join)
    await app.run(INGRID, ladder.done)
    # A peer round pairs her, as a teacher, with Bo (and after the digest, the other way round).
    await app.run(INGRID, pairing.join, role="teach")
    await app.run(BO, pairing.join, role="learn")
    await app.run(KARIN, pairing.round_now)
    await app.dispatcher.run_due()
    # The week's digest names her (a new member, the author of the featured story); reminders DM her (the
    # retry of her attempt, the weekly nudge).
    while clock.now() < FIRST_DIGEST + timedelta(hours=6):
        clock.advance(timedelta(hours=6))
        await app.dispatcher.run_due()
        await app.dispatcher.run_due()
    await app.run(INGRID, nudges.pause)
    await app.run(INGRID, pairing.join, role="learn")
    await app.run(BO, pairing.join, role="teach")
    await app.run(KARIN, pairing.round_now)
    await app.dispatcher.run_due()
    # She writes to the bot: the step it shows her is remembered, and a link waits for her yes.
    await app.converse(INGRID, conversation.Said("nästa"))
    await app.converse(INGRID, conversation.Said("https://x.com/vallmo/status/3"))
    # She signs in to the campaign board with a link the bot gave her (as /board does with the board on), and
    # the answer of a change she made there waits to be shown.
    await sign_in_to_the_board(app, INGRID, "her-one-time-token")
    return story_id


async def sign_in_to_the_board(app: App, who: Identity, token: str) -> None:
    """Give `who` a login link to the board (the row /board writes) and spend it from a browser."""
    now = app.clock.now()
    async with app.sessionmaker() as session, session.begin():
        member = await _member_of(session, who)
        session.add(BoardLink(token_hash=board.token_hash(token), workspace_id=member.workspace_id,
                              member_id=member.id, created_at=now, expires_at=now + board.LINK_LIFETIME))
    async with app.sessionmaker() as session, session.begin():
        opened = await board.spend_link(session, token, now, hours=12, user_agent="Firefox på hennes dator")
        assert opened is not None
        row = await session.get(BoardSession, board.token_hash(opened.token))
        assert row is not None
        row.flash = reply_to_json(Reply.say("board.link.title"))


async def _member_of(session: Any, who: Identity) -> Member:
    return (await session.scalars(select(Member).where(Member.external_id == who.user_external_id))).one()


async def _one(app: App, query: Any) -> Any:
    async with app.sessionmaker() as session:
        return await session.scalar(query)


async def rows_referring_to(app: App, member_id: int) -> dict[str, list[dict[str, Any]]]:
    """Every row whose foreign key names the member, by "table.column"."""
    found: dict[str, list[dict[str, Any]]] = {}
    async with app.sessionmaker() as session:
        for column in member_columns():
            rows = (await session.execute(select(column.table).where(column == member_id))).mappings().all()
            found[f"{column.table.name}.{column.name}"] = [dict(row) for row in rows]
    return found


async def stored_texts(app: App) -> list[tuple[str, str]]:
    """Every stored string and JSON value of every table, as ("table.column", text)."""
    found = []
    async with app.sessionmaker() as session:
        for table in Base.metadata.sorted_tables:
            textual = [c for c in table.columns if isinstance(c.type, String | Text | JSON)]
            for row in (await session.execute(select(*textual))).all() if textual else ():
                for column, value in zip(textual, row, strict=True):
                    if value is not None:
                        shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                        found.append((f"{table.name}.{column.name}", shown))
    return found


def _holds_member_id(value: Any, member_id: int) -> bool:
    if isinstance(value, dict):
        return any((key.endswith("member_id") and item == member_id) or _holds_member_id(item, member_id)
                   for key, item in value.items())
    if isinstance(value, list):
        return any(_holds_member_id(item, member_id) for item in value)
    return False


async def ids_of(app: App, member_id: int) -> list[tuple[str, str]]:
    """Rows that name the member by id beside a foreign key: a JSON "member_id", a key "...:member:<id>"."""
    found = []
    async with app.sessionmaker() as session:
        for table in Base.metadata.sorted_tables:
            for column in table.columns:
                if isinstance(column.type, JSON):
                    values = await session.scalars(select(column).where(column.is_not(None)))
                    found += [(f"{table.name}.{column.name}", json.dumps(v)) for v in values
                              if _holds_member_id(v, member_id)]
                elif column.name == "key":
                    keys = await session.scalars(select(column))
                    found += [(f"{table.name}.{column.name}", v) for v in keys
                              if v.endswith(f":member:{member_id}") or f":member:{member_id}:" in v]
    return found


async def retries(app: App) -> list[int]:
    async with app.sessionmaker() as session:
        return list(await session.scalars(select(Reminder.id).where(Reminder.kind == activity.RETRY_KIND)))


def _shown_values(table: str, row: dict[str, Any]) -> list[str]:
    """What of a row of hers the export must show: its texts and times (not ids, flags or bookkeeping)."""
    values = []
    for name, value in row.items():
        if f"{table}.{name}" in BOOKKEEPING or name in ("key", "nonce") or value is None:
            continue
        if isinstance(value, datetime):
            values.append(value.isoformat())
        elif isinstance(value, str) and value:
            values.append(value)
    return values


@pytest.mark.parametrize("delete_posts", [True, False])
async def test_the_export_holds_everything_and_the_erasure_leaves_nothing(
        app: App, clock: FrozenClock, notifier: RecordingNotifier, delete_posts: bool):
    story_id = await use_every_feature(app, clock)
    her = await _one(app, select(Member).where(Member.external_id == INGRID.user_external_id))
    before = await rows_referring_to(app, her.id)
    unfilled = sorted(column for column, rows in before.items() if not rows)
    assert unfilled == []  # the member used every feature: a column no feature filled is not tested
    assert any(trace in text for _, text in await stored_texts(app) for trace in HER_TRACES
               if not _.startswith("member."))  # stored texts name her (the digest, a notice)
    assert await ids_of(app, her.id)  # a reminder about her holds her id (the nudge to onboard)
    assert await retries(app) != []  # and one the retry of her attempt
    post_id = await _one(app, select(LiveMessage.message_id).where(LiveMessage.key == f"story:{story_id}"))
    assert post_id is not None

    [exported] = (await app.run(INGRID, mydata.export)).files
    export = exported.data.decode()
    assert exported.filename == "jobbskaparna-vallmo4711.json"
    # Her own rows (which go with her: ON DELETE CASCADE) are exported whole; the group's rows she acted on
    # (which stay without her: SET NULL) are exported as what she did, recognisable by one of their values.
    cascades = {f"{c.table.name}.{c.name}": any(fk.ondelete == "CASCADE" for fk in c.foreign_keys)
                for c in member_columns()}
    missing = [(column, value) for column, rows in before.items() if cascades[column] for row in rows
               for value in _shown_values(column.split(".")[0], row) if value not in export]
    unrecognised = [(column, row) for column, rows in before.items() if not cascades[column] for row in rows
                    if not any(value in export for value in _shown_values(column.split(".")[0], row))]
    assert missing == [] and unrecognised == []
    data = json.loads(export)
    assert data["profile"]["external_id"] == "vallmo4711"
    # The stored messages to others that name her (the digest, the coordinators' notices), as they read.
    assert any("Ingrid Vallmö" in json.dumps(line["message"], ensure_ascii=False)
               for line in data["deliveries"]["about_you"])
    assert data["deliveries"]["to_you"] and all(line["message"] for line in data["deliveries"]["to_you"])
    # Her own reminders: the onboarding's nudge, and the follow-up after her meeting with a politician.
    assert [r["kind"] for r in data["reminders"]] == ["onboarding.nudge", "relationships.followup"]
    assert data["stories"]["stories"][0]["post"] == post_id

    asked = await app.run(INGRID, mydata.delete_request)
    assert [b.arg for b in asked.buttons] == [mydata.DELETE_POSTS, mydata.KEEP_POSTS, ""]
    chosen = mydata.DELETE_POSTS if delete_posts else mydata.KEEP_POSTS
    done = await app.press(INGRID, mydata.DELETE_CONFIRM, chosen)

    after = await rows_referring_to(app, her.id)
    assert {column: rows for column, rows in after.items() if rows} == {}
    assert await ids_of(app, her.id) == []
    assert await retries(app) == []
    naming = [(column, text) for column, text in await stored_texts(app)
              for trace in HER_TRACES if trace.casefold() in text.casefold()]
    assert naming == []
    async with app.sessionmaker() as session:
        assert await session.get(Member, her.id) is None
        facts = list(await session.scalars(select(AuditLog).where(AuditLog.action == "member.data_deleted")))
        unsigned = list(await session.scalars(
            select(AuditLog.action).where(AuditLog.actor_member_id.is_(None)).order_by(AuditLog.id)))
    assert [(f.actor_member_id, f.detail) for f in facts] == [(None, {})]
    # What she changed as a coordinator stays in the log, without her.
    wrote = [row["action"] for row in before["audit_log.actor_member_id"]]
    assert unsigned == [*wrote, "member.data_deleted"]
    assert notifier.revoked == [("vallmo4711", Role.MEMBER)]
    assert (post_id in notifier.deleted) is delete_posts
    stays = render(done.body, "sv").partition("Det här finns kvar:")[2]
    assert "utan namn eller id" in stays and "inkorg" in stays
    assert ("valde att behålla" in stays) is not delete_posts
    assert "som koordinator" in stays  # she was one


async def test_the_digest_kept_for_the_group_loses_her_name_but_keeps_its_figures(
        app: App, clock: FrozenClock, notifier: RecordingNotifier):
    await use_every_feature(app, clock)
    digests = [s for s in notifier.sent if s.to == "channel:coordinators" and "sammanfattning" in s.text]
    assert digests and "Ingrid Vallmö" in digests[-1].text

    await app.press(INGRID, mydata.DELETE_CONFIRM, mydata.KEEP_POSTS)

    async with app.sessionmaker() as session:
        stored = [reply_from_json(d.message) for d in await session.scalars(
            select(Delivery).where(Delivery.reminder_id.is_not(None), Delivery.member_id.is_(None)))]
    [kept] = [r for r in stored if r.title is not None and "sammanfattning" in render(r.title, "sv")]
    shown = "\n".join(render(f.value, "sv") for f in kept.fields)
    assert "Ingrid Vallmö" not in shown and "Vallmös Keramik" not in shown
    assert "(en medlem som raderat sina uppgifter)" in shown and "Bo" in shown


async def test_a_member_without_story_posts_is_asked_only_to_confirm(app: App):
    await onboard(app, BO)

    asked = await app.run(BO, mydata.delete_request)

    assert [b.action for b in asked.buttons] == [mydata.DELETE_CONFIRM, mydata.DELETE_CANCEL]
    assert "inlägg" not in render(asked.body, "sv")
    done = await app.press(BO, mydata.DELETE_CONFIRM, "")
    assert "som koordinator" not in render(done.body, "sv")


async def test_a_stored_message_is_scrubbed_of_her_only():
    member = Member(id=42, external_id="4711", display_name="Al Berg", company="Berg & Son")
    message = {"body": {"key": "x", "params": {"name": {"$": {"literal": "Al Berg"}},
                                               "who": {"$": {"mention": "user", "id": "4711"}},
                                               "other": {"$": {"literal": "Allt om Alberga"}}}},
               "mentions": ["4711", "999"], "note": "Tack Al Berg!", "member_id": 42, "count": 42,
               "files": [["chart.png", "iVBO+Al/4711"]]}

    scrubbed = mydata._scrubbed(message, member, mydata._pattern(member))

    assert scrubbed == {"body": {"key": "x", "params": {"name": {"$": mydata.ERASED_TEXT},
                                                        "who": {"$": mydata.ERASED_TEXT},
                                                        "other": {"$": {"literal": "Allt om Alberga"}}}},
                        "mentions": ["999"], "note": "Tack —!", "member_id": None, "count": 42,
                        "files": [["chart.png", "iVBO+Al/4711"]]}


def test_identifiers_are_her_id_name_company_and_handle_longest_first():
    member = Member(external_id="4711", display_name="Al", company="", x_handle="alberg")
    assert mydata.identifiers(member) == ["alberg", "4711", "Al"]



def test_a_member_with_nothing_to_look_for_scrubs_nothing():
    member = Member(id=1, external_id="x", display_name="", company=None, x_handle=None)

    assert mydata._scrubbed({"note": "Allt om Alberga"}, member, mydata._pattern(member)) == {
        "note": "Allt om Alberga"}


def test_the_scrub_takes_the_name_as_written_and_leaves_the_same_word_in_lower_case():
    per = Member(id=7, workspace_id=1, external_id="4242", display_name="Per", company="AB Per")
    pattern = mydata._pattern(per)

    assert mydata._scrubbed("Tack Per! 2 inlägg per vecka (AB Per, <@4242>).", per, pattern) == \
        "Tack —! 2 inlägg per vecka (—, <@—>)."
