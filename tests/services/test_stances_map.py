"""Stances with their history, members' reports awaiting confirmation, seats, and the map as PNG and table."""

from __future__ import annotations

import io
import json

import pytest
from PIL import Image
from sqlalchemy import select

from bot.app import App
from bot.errors import NotCoordinator, UserError
from bot.i18n import render
from bot.models import CouncilSeat, Issue, Stance
from bot.replies import Channel
from bot.services import asks, civics, profile, stances
from bot.validation import FieldProblem
from tests.conftest import RecordingNotifier
from tests.issue_fixtures import ANNA, BO, COORDINATOR, create_issue, import_politicians
from tests.support.onboarding import onboard
from tests.support.replies import fields_of

SEATS = "S:20, M:15, SD:12, C:4, KD:2"  # 53 seats, majority 27


async def model_of(app: App, issue_id: int) -> stances.MapModel:
    async with app.sessionmaker() as session:
        return await stances.build_model(session, await session.get_one(Issue, issue_id))


async def setup_issue(app: App) -> int:
    await import_politicians(app)
    return await create_issue(app)


def rows(model: stances.MapModel) -> dict[str, stances.MapRow]:
    return {row.name: row for row in model.rows}


async def test_a_stance_is_set_with_a_source_and_its_history_is_kept(app: App):
    await setup_issue(app)

    await app.run(
        COORDINATOR, stances.set_stance, issue="Parkering", politician="björn öst",
        stance=civics.STANCE.read("vet inte än"),
    )
    reply = await app.run(
        COORDINATOR,
        stances.set_stance,
        issue="Parkering",
        politician="Björn Öst",
        stance=civics.StanceValue.FOR,
        source="https://sydostran.se/artikel",
    )
    history = await app.run(ANNA, stances.history, issue="Parkering", politician="Björn Öst")

    assert render(reply.body, "sv") == "Sparat: Björn Öst (M) i frågan Parkering i centrum – för."
    lines = render(history.body, "sv").splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("• 1 december 2026 10:00: för (bekräftad)") and "sydostran.se" in lines[0]
    assert "vet inte än (bekräftad)" in lines[1]


async def test_setting_a_stance_is_for_coordinators_and_checks_its_input(app: App):
    await setup_issue(app)

    with pytest.raises(NotCoordinator):
        await app.run(ANNA, stances.set_stance, issue="Parkering", politician="Åsa Ek", stance="for")
    with pytest.raises(FieldProblem) as bad:  # what the edges read a stance with
        civics.STANCE.read("kanske")
    assert bad.value.problem.key == "errors.choice"
    with pytest.raises(FieldProblem) as missing:
        await app.run(COORDINATOR, stances.set_stance, issue="Parkering", politician="Åsa Ek")
    assert missing.value.problem.key == "errors.required"
    for ref, key in (("Ingen fråga", "issues.unknown"), ("", "issues.missing")):
        with pytest.raises(UserError) as unknown:
            await app.run(COORDINATOR, stances.set_stance, issue=ref, politician="Åsa Ek", stance="for")
        assert unknown.value.text.key == key
    with pytest.raises(UserError) as nobody:
        await app.run(
            COORDINATOR, stances.set_stance, issue="Parkering", politician="Nils Holgersson", stance="for"
        )
    assert nobody.value.text.key == "politicians.unknown"
    async with app.sessionmaker() as session:
        assert list(await session.scalars(select(Stance))) == []


async def test_a_members_report_shows_as_reported_until_a_coordinator_confirms(app: App,
                                                                               notifier: RecordingNotifier):
    issue_id = await setup_issue(app)
    await onboard(app, ANNA)
    await app.run(ANNA, asks.my_question, issue="Parkering")  # Anna is given someone to ask
    notifier.sent.clear()

    reply = await app.press(ANNA, asks.ANSWER_ACTION, f"{issue_id}-for")

    [row] = [r for r in (await model_of(app, issue_id)).rows if r.reported]
    assert row.stance == "for"
    assert "markerat som rapporterat" in render(reply.body, "sv")
    [notice] = notifier.to(f"channel:{Channel.COORDINATORS}")
    assert f"Anna rapporterar om {row.name} ({row.party}) i frågan" in notice.text
    confirm = notice.reply.buttons[0]
    assert confirm.action == stances.CONFIRM_ACTION
    with pytest.raises(NotCoordinator):
        await app.press(ANNA, confirm.action, confirm.arg)

    settled = await app.press(COORDINATOR, confirm.action, confirm.arg)

    assert settled.replaces_source and render(settled.body, "sv").startswith("Bekräftat:")
    confirmed = rows(await model_of(app, issue_id))[row.name]
    assert confirmed.stance == "for" and not confirmed.reported
    again = await app.press(COORDINATOR, confirm.action, confirm.arg)
    assert "redan hanterad" in render(again.body, "sv")


async def test_a_rejected_report_leaves_the_confirmed_stance(app: App):
    issue_id = await setup_issue(app)
    await onboard(app, ANNA)
    await app.run(
        COORDINATOR, stances.set_stance, issue="Parkering", politician="Björn Öst", stance="against"
    )
    await app.run(ANNA, asks.mark_asked, issue="Parkering", link="https://x.com/anna/status/1",
                  politician="Björn Öst")
    await app.press(ANNA, asks.ANSWER_ACTION, f"{issue_id}-for")
    assert rows(await model_of(app, issue_id))["Björn Öst"].reported

    reply = await app.run(COORDINATOR, stances.reject, issue="Parkering", politician="Björn Öst")

    assert render(reply.body, "sv").startswith("Avvisat:")
    bjorn = rows(await model_of(app, issue_id))["Björn Öst"]
    assert (bjorn.stance, bjorn.reported) == ("against", False)
    with pytest.raises(UserError) as none_left:
        await app.run(COORDINATOR, stances.confirm, issue="Parkering", politician="Björn Öst")
    assert none_left.value.text.key == "stances.no_report"


async def test_who_reported_a_stance_is_named_to_coordinators_only(app: App):
    issue_id = await setup_issue(app)
    await onboard(app, ANNA)
    await onboard(app, BO)
    await app.run(ANNA, asks.mark_asked, issue="Parkering", link="https://x.com/anna/status/1",
                  politician="Björn Öst")
    await app.press(ANNA, asks.ANSWER_ACTION, f"{issue_id}-for")

    for_member = await app.run(BO, stances.history, issue="Parkering", politician="Björn Öst")
    for_coordinator = await app.run(COORDINATOR, stances.history, issue="Parkering", politician="Björn Öst")

    [member_line] = render(for_member.body, "sv").splitlines()
    assert member_line.endswith("för (rapporterad), rapporterat av en medlem") and "Anna" not in member_line
    [coordinator_line] = render(for_coordinator.body, "en").splitlines()
    assert coordinator_line.endswith("for (reported), reported by Anna")


async def test_seats_give_the_projected_vote_and_the_votes_missing(app: App):
    issue_id = await setup_issue(app)
    await app.run(COORDINATOR, stances.set_seats, municipality="Karlskrona", body="KF", seats=SEATS)
    await app.run(COORDINATOR, stances.set_stance, issue="Parkering", politician="Åsa Ek", stance="for")
    await app.run(
        COORDINATOR, stances.set_stance, issue="Parkering", politician="Cecilia Ärlig", stance="against"
    )

    model = await model_of(app, issue_id)

    assert (model.seats_total, model.majority) == (53, 27)
    assert model.projected == {"for": 20, "against": 12, "undecided": 21}
    assert model.missing == 7
    by_name = rows(model)
    # M (15 seats) could close the gap of 7 alone: its undecided politician holds the deciding votes.
    assert by_name["Björn Öst"].deciding and by_name["Björn Öst"].priority
    assert not by_name["David Lund"].deciding and by_name["David Lund"].priority  # C has only 4
    # SD is against, but its 12 seats alone would carry it: a deciding vote, after the undecided.
    assert by_name["Cecilia Ärlig"].deciding and not by_name["Åsa Ek"].priority
    assert [r.name for r in model.priority] == ["Björn Öst", "David Lund", "Eva Ström", "Cecilia Ärlig"]
    assert [r.name for r in model.undecided] == ["Björn Öst", "David Lund", "Eva Ström"]


async def test_a_party_is_projected_by_its_majority(app: App):
    issue_id = await setup_issue(app)
    await app.run(COORDINATOR, stances.set_seats, municipality="Karlskrona", body="KF", seats="S:30, M:23")
    await import_politicians(app, "Namn;Parti;Kommun\nÖrjan Ås;S;Karlskrona\nÅke Ö;S;Karlskrona\n")
    for name in ("Åsa Ek", "Örjan Ås"):
        await app.run(COORDINATOR, stances.set_stance, issue="Parkering", politician=name, stance="for")

    model = await model_of(app, issue_id)

    assert {g.party: g.projected for g in model.parties}["S"] == "for"  # 2 of 3 for
    assert model.projected["for"] == 30 and model.missing == 0
    assert render(stances.map_summary(model), "sv").endswith("Vi har majoritet.")


async def test_bad_seats_change_nothing(app: App):
    await app.run(COORDINATOR, stances.set_seats, municipality="Karlskrona", body="KF", seats="S:20 M:15")
    for seats in ("S:20, M", "S:20, S:3", "", "S:0", "inga"):
        with pytest.raises(UserError):
            await app.run(COORDINATOR, stances.set_seats, municipality="Karlskrona", body="KF", seats=seats)
    with pytest.raises(UserError):
        await app.run(COORDINATOR, stances.set_seats, municipality="Atlantis", body="KF", seats="S:1")
    async with app.sessionmaker() as session:
        assert sorted((s.party, s.seats) for s in await session.scalars(select(CouncilSeat))) == [
            ("M", 15), ("S", 20)]
    shown = await app.run(ANNA, stances.show_seats, municipality="Karlskrona", body="kommunfullmäktige")
    assert render(shown.fields[1].value, "sv") == "35 mandat, majoritet 18"


async def test_the_png_and_the_table_come_from_one_model_and_agree(app: App):
    issue_id = await setup_issue(app)
    await app.run(COORDINATOR, stances.set_seats, municipality="Karlskrona", body="KF", seats=SEATS)
    await app.run(COORDINATOR, stances.set_stance, issue="Parkering", politician="Åsa Ek", stance="for")
    await app.run(
        COORDINATOR, stances.set_stance, issue="Parkering", politician="Cecilia Ärlig", stance="against"
    )

    reply = await app.run(ANNA, stances.show_map, issue="Parkering")
    model = await model_of(app, issue_id)

    [png] = reply.files
    assert png.filename == f"karta-{issue_id}.png" and png.data.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(png.data))
    assert image.format == "PNG" and 600 <= image.width <= 3200 and 300 <= image.height <= 3000
    drawn = json.loads(image.text["Description"])
    assert drawn == json.loads(json.dumps(model.summary()))
    table = render(reply.body, "sv")
    for party, name, stance, reported, priority in drawn["rows"]:
        [line] = [line for line in table.splitlines() if name in line]
        assert render(stances.stance_label(stance), "sv") in line
        assert ("★" in line) == priority and ("rapporterat" in line) == reported
    for group in model.parties:
        assert f"**{group.party}** · {group.seats} mandat" in table
    summary = render(reply.fields[0].value, "sv")
    assert summary == (f"Prognos: {drawn['projected']['for']} för, {drawn['projected']['against']} emot, "
                       f"{drawn['projected']['undecided']} osäkra av {drawn['seats_total']} mandat. "
                       f"Majoritet: {drawn['majority']}. Det saknas {drawn['missing']} röster för majoritet.")


async def test_the_map_without_seats_counts_stances_and_says_how_to_add_seats(app: App):
    await setup_issue(app)

    reply = await app.run(ANNA, stances.show_map, issue="Parkering")

    fields = fields_of(reply)
    assert fields["Läget"] == "Ställningstaganden: 0 för, 0 emot, 0 vet inte än, 5 okända."
    assert "/organ mandat" in fields["Mandat"]
    assert reply.files[0].data.startswith(b"\x89PNG")


async def test_the_map_of_an_empty_body_still_draws_and_says_what_to_do(app: App):
    await create_issue(app, body="regionfullmäktige")

    reply = await app.run(ANNA, stances.show_map, issue="Parkering")

    assert "Inga politiker i regionfullmäktige" in render(reply.body, "sv")
    assert Image.open(io.BytesIO(reply.files[0].data)).format == "PNG"


async def test_the_map_speaks_english_to_an_english_member(app: App):
    await setup_issue(app)
    await onboard(app, ANNA)
    await app.run(ANNA, profile.set_language, "en")

    reply = await app.run(ANNA, stances.show_map, issue="Parkering")

    assert render(reply.title, "en") == "Who decides: Parkering i centrum (municipal council)"
    drawn = json.loads(Image.open(io.BytesIO(reply.files[0].data)).text["Description"])
    assert len(drawn["rows"]) == 5


async def test_only_the_deciding_body_is_on_the_map(app: App):
    issue_id = await setup_issue(app)
    await import_politicians(app, "Namn;Parti;Kommun;Organ\nKim Ny;L;Karlskrona;KS\nLo Ny;L;Ronneby;KF\n")

    names = set(rows(await model_of(app, issue_id)))
    ks_issue = await create_issue(app, title="Busstorget", body="KS")

    assert "Kim Ny" not in names and "Lo Ny" not in names and len(names) == 5
    assert set(rows(await model_of(app, ks_issue))) == {"Åsa Ek", "Kim Ny"}
