"""Issue 19 on Slack, driven by signed requests: a rapid response pressed by members and tallied live in the
coordinators' channel, a contact reported by phone, a relationship recorded and shared, the peer pairing's
round. The same services as on Discord and in the console; here what Slack's requests and its Web API
carry."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.models import Action, Ask, Member, PeerPair, RapidAnswer, RapidResponse, Relationship
from bot.services import rapid
from tests.slack.conftest import ANNOUNCEMENTS, COORDINATORS, Slack
from tests.slack.test_issues import CREATE, set_up
from tests.slack.texts import button_ids, slack_text

POLITICIAN = ("politician add name:“Åsa Ek” party:S municipality:Karlskrona body:kommunfullmäktige "
              "x_handle:asaek")


async def _rapid_id(slack: Slack) -> int:
    async with slack.app.sessionmaker() as session:
        return (await session.scalars(select(RapidResponse.id))).one()


async def test_a_rapid_response_is_pressed_in_a_dm_and_in_the_channel_tallied_live_and_closed(
        slack: Slack):
    await set_up(slack)
    response, number = await slack.command(
        "UKIM", 'rapid start link:<https://x.com/kommunalrad/status/1> ask:"Svara kommunalrådet." '
                "deadline:2h municipality:Karlskrona")
    await slack.deliver()
    rapid_id = await _rapid_id(slack)

    assert response.status == 200
    [started] = slack.fake.responses_to(number)
    assert started["response_type"] == "ephemeral" and "Snabbresponsen är igång" in slack_text(started)
    # Anna and Bo follow Karlskrona and want DMs: the alert with its button by DM, and in the channel.
    [dm] = [m for m in slack.fake.messages
            if m["channel"] == "DUANNA" and "jb:rapid.done" in str(m["blocks"])]
    assert button_ids(dm)[:2] == [f"jb:rapid.done:{rapid_id}", f"jb:rapid.link:{rapid_id}"]
    [live] = [m for m in slack.fake.messages
              if m["channel"] == COORDINATORS and "*Har svarat/delat*\n0 av 2" in slack_text(m)]
    live_ts = live["ts"]

    pressed, anna_number = await slack.press("UANNA", f"jb:rapid.done:{rapid_id}", channel="DUANNA")
    await slack.press("UBO", f"jb:rapid.done:{rapid_id}", channel=ANNOUNCEMENTS)
    again, again_number = await slack.press("UANNA", f"jb:rapid.done:{rapid_id}", channel="DUANNA")
    slack.app.clock.advance(rapid.REFRESH_DELAY)  # type: ignore[attr-defined]
    await slack.deliver()

    assert pressed.status == 200 and again.status == 200
    assert "Du är med i räkningen" in slack_text(slack.fake.responses_to(anna_number)[0])
    assert "Du är med i räkningen" not in slack_text(slack.fake.responses_to(again_number)[0])
    async with slack.app.sessionmaker() as session:
        pressers = set(await session.scalars(
            select(Member.external_id).join(RapidAnswer, RapidAnswer.member_id == Member.id)))
        actions = list(await session.scalars(select(Action.source).where(Action.kind == "tweet")))
    assert pressers == {"UANNA", "UBO"} and sorted(actions) == [f"rapid:{rapid_id}"] * 2
    # The coordinators' message edited in place (chat.update on its ts), once for both presses.
    [edit] = [c.args for c in slack.fake.calls_to("chat.update") if c.args["ts"] == live_ts]
    assert "*Har svarat/delat*\n2 av 2" in slack_text(edit)

    slack.app.clock.advance(timedelta(hours=2))  # type: ignore[attr-defined]
    await slack.deliver()

    [thanks] = [m for m in slack.fake.posts_in(ANNOUNCEMENTS) if "Tack för snabbresponsen" in slack_text(m)]
    assert "2 av oss svarade eller delade" in slack_text(thanks)
    closed = [c.args for c in slack.fake.calls_to("chat.update") if c.args["ts"] == live_ts][-1]
    assert "Snabbrespons stängd" in slack_text(closed)


async def test_a_phone_call_a_relationship_and_a_peer_round_on_slack(slack: Slack):
    await set_up(slack)
    await slack.command("UKIM", POLITICIAN)
    await slack.command("UKIM", CREATE)
    await slack.deliver()

    # A question by phone, with no link, and the politician's answer: an ask, an action, a stance reported.
    called, number = await slack.command(
        "UANNA", 'kontakt politiker:"Åsa Ek" hur:telefon fråga:"Parkering i centrum" svar:för '
                 'sa:"Hon stödjer förslaget"')
    # Bo has met her and lets the coordinators see it.
    await slack.command("UBO", 'relation add politician:"Åsa Ek" met_on:idag how:"samma förening"')
    shared, _ = await slack.press("UBO", "jb:relationships.share:yes", channel="DUBO")
    _, contacts_number = await slack.command("UKIM", 'relation contacts politician:"Åsa Ek"')
    # Anna learns, Bo teaches; the coordinator makes a round at once.
    await slack.command("UANNA", 'fadder gå-med roll:"lära mig"')
    await slack.command("UBO", "peer join role:teach")
    await slack.command("UKIM", "peer settings enabled:ja")
    await slack.command("UKIM", "peer now")
    await slack.deliver()

    assert called.status == 200 and shared.status == 200
    assert "Åsa Ek" in slack_text(slack.fake.responses_to(number)[0])
    async with slack.app.sessionmaker() as session:
        ask = (await session.scalars(select(Ask))).one()
        relationship = (await session.scalars(select(Relationship))).one()
        [pair] = list(await session.scalars(select(PeerPair)))
        names = dict((await session.execute(select(Member.id, Member.external_id))).all())
    assert (ask.channel, ask.asked_url, ask.answer, ask.answer_note) == ("phone", None, "for",
                                                                         "Hon stödjer förslaget")
    assert (names[relationship.member_id], relationship.kind, relationship.shared) == ("UBO", "met", True)
    assert "Bo" in slack_text(slack.fake.responses_to(contacts_number)[0])
    assert (names[pair.learner_id], names[pair.teacher_id]) == ("UANNA", "UBO")
    # Each gets the introduction by DM, naming the other.
    [intro] = [m for m in slack.fake.messages
               if m["channel"] == "DUANNA" and "fadderkontakt" in slack_text(m)]
    assert "Bo" in slack_text(intro)
