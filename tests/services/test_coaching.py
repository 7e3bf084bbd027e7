"""Coaching: the ladder, drafts within X's limit, feedback, progress, streaks, weekly nudges and the overview."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from bot.app import App
from bot.clock import FrozenClock
from bot.coach import rules, templates
from bot.errors import NotCoordinator, UserError
from bot.i18n import render
from bot.models import AuditLog, CoachingProgress, Member, Reminder
from bot.replies import Reply
from bot.services import coaching, drafts, mydata, onboarding, workspaces
from bot.services.drafts import IssueContext, fits_x, x_length
from bot.validation import FieldProblem
from tests.conftest import RecordingNotifier, identity
from tests.services.test_onboarding import FORM

ANNA, BO, CIA = identity("anna"), identity("bo", coordinator=True), identity("cia")
NEWCOMER = FORM | {"municipality": "Karlskrona", "experience": "none", "goal": ""}
PARKING = IssueContext(
    id=7, title="Parkering i centrum", municipality="karlskrona", hashtag="#ParkeraKarlskrona",
    decision_at=datetime(2026, 12, 17, 17, 0, tzinfo=UTC), position="Behåll korttidsparkeringen",
    target_handles=("kommunalrad_kk",), target_names=("Eva Ek",), media_handles=("blekingelt",))
HARBOUR = IssueContext(id=9, title="Hamnens öppettider", municipality="ronneby", hashtag="Hamnen",
                       target_handles=("ronnebyrad",), media_handles=("ronnebytidning",))


@pytest.fixture
def issues() -> Iterator[list[IssueContext]]:
    """Register a small issue source for the test (the issues feature's own is not needed), then remove it."""
    known: list[IssueContext] = [PARKING, HARBOUR]

    async def source(session, workspace_id: int, municipality: str | None) -> list[IssueContext]:
        return [i for i in known if municipality is None or i.municipality == municipality]

    drafts.issue_source(source)
    yield known
    drafts._issue_sources.remove(source)


async def onboard(app: App, who=ANNA, **changes: str) -> None:
    await app.submit(who, onboarding.FORM_ID, NEWCOMER | changes)


def shown(reply: Reply, language: str = "sv") -> str:
    parts = [render(p, language) for p in (reply.title, reply.body) if p is not None]
    parts += [f"{render(f.name, language)}: {render(f.value, language)}" for f in reply.fields]
    return "\n".join(parts)


def field(reply: Reply, name: str, language: str = "sv") -> str:
    for f in reply.fields:
        if render(f.name, language).startswith(name):
            return render(f.value, language)
    raise AssertionError(f"no field {name!r} in {[render(f.name, language) for f in reply.fields]}")


def intent_text(url: str) -> str:
    assert url.startswith("https://x.com/intent/post?")
    return parse_qs(urlsplit(url).query)["text"][0]


# -- the ladder and /coach next ---------------------------------------------------------------------------------


async def test_a_member_with_no_experience_gets_a_first_tweet_that_fits_x_with_the_hashtag(app: App):
    await onboard(app)

    reply = await app.run(ANNA, coaching.next_step)

    assert render(reply.title, "sv") == "Steg 1 av 6: Presentera ditt företag på X med gruppens hashtagg"
    draft = field(reply, "Ditt utkast")
    assert fits_x(draft) and "#BlekingeFöretagare" in draft and "Annas Blommor" in draft
    assert "Inget X-konto än?" in field(reply, "Tips")
    x_link = reply.links[0]
    assert intent_text(x_link.url) == draft
    assert [b.action for b in reply.buttons] == [coaching.DONE_ACTION, coaching.DONE_LINK_ACTION]
    assert all(len(link.url) <= templates.MAX_LINK_URL for link in reply.links)


async def test_every_step_says_what_it_brings_the_business_in_the_members_trade_and_town(app: App):
    await onboard(app, industry="Bygg och fastighet", municipality="Ronneby", goal="Fler beställare")

    text = shown(await app.run(ANNA, coaching.next_step))

    assert "För ett byggföretag betyder det fler förfrågningar från beställare i Ronneby" in text
    assert "Det tar dig också närmare ditt mål: Fler beställare" in text


async def test_an_experienced_member_gets_a_tip_to_mark_done_with_evidence(app: App):
    await onboard(app, experience="active")

    assert "Markera steget som klart med en länk" in field(await app.run(ANNA, coaching.next_step), "Tips")


async def test_coaching_needs_a_profile(app: App):
    for call in (coaching.next_step, coaching.tweet, coaching.progress, coaching.done):
        with pytest.raises(UserError) as refused:
            await app.run(ANNA, call)
        assert refused.value.text.key == "profile.not_onboarded"


async def test_the_onboarding_shows_the_real_first_step_of_the_ladder(app: App):
    reply = await app.submit(ANNA, onboarding.FORM_ID, NEWCOMER)

    first = render(reply.fields[0].value, "sv")
    assert first.startswith("**Steg 1 av 6: Presentera ditt företag på X med gruppens hashtagg**")
    assert "Annas Blommor" in first and "Karlskrona" in first
    assert coaching.NEXT_ACTION in [b.action for b in reply.buttons]


async def test_the_question_step_drafts_about_the_soonest_open_issue_in_the_members_town(app: App, issues):
    await onboard(app)
    for _ in range(2):
        await app.run(ANNA, coaching.done)

    reply = await app.run(ANNA, coaching.next_step)

    draft = field(reply, "Ditt utkast")
    assert render(reply.title, "sv").startswith("Steg 3 av 6: Ställ en fråga")
    assert draft.startswith("@kommunalrad_kk ") and "@blekingelt" in draft and "#ParkeraKarlskrona" in draft
    assert "Parkering i centrum" in draft and fits_x(draft)
    assert field(reply, "Öppen fråga i Karlskrona") == "7: Parkering i centrum den 17/12"


async def test_the_follow_step_lists_the_known_politicians_and_media(app: App, issues):
    await onboard(app)
    await app.run(ANNA, coaching.done)

    reply = await app.run(ANNA, coaching.next_step)

    assert field(reply, "Att följa") == "@kommunalrad_kk, @blekingelt"
    assert "https://x.com/blekingelt" in [link.url for link in reply.links]


async def test_the_blog_step_comes_with_title_ideas_and_an_outline(app: App):
    await onboard(app)
    for key in ("intro", "follow", "ask"):
        await app.run(ANNA, coaching.done, step=key)

    text = shown(await app.run(ANNA, coaching.next_step))

    for heading in ("Rubrikidéer", "Problemet", "Vad det betyder för mitt företag", "Vad politikerna kan göra",
                    "Uppmaning"):
        assert heading in text, heading


# -- done, undo, progress ---------------------------------------------------------------------------------------


async def test_marking_a_step_done_moves_the_bar_and_shows_the_next(app: App):
    await onboard(app)

    reply = await app.run(ANNA, coaching.done)

    assert render(reply.title, "sv") == "✅ Klart: Presentera ditt företag på X med gruppens hashtagg"
    assert field(reply, "Dina framsteg").startswith("██░░░░░░░░ 1 av 6 steg")
    assert field(reply, "Nästa steg") == "Steg 2: Följ de viktigaste lokala politikerna och lokala medier"
    assert render((await app.run(ANNA, coaching.next_step)).title, "sv").startswith("Steg 2 av 6")


async def test_a_done_step_keeps_its_link_as_evidence_and_a_second_done_only_adds_the_link(app: App):
    await onboard(app)

    await app.press(ANNA, coaching.DONE_ACTION, "intro")
    again = await app.run(ANNA, coaching.done, step="intro", link="x.com/anna/status/1")

    assert render(again.body, "sv") == '"Presentera ditt företag på X med gruppens hashtagg" var redan klart. ' \
                                       "Jag sparade länken: https://x.com/anna/status/1"
    async with app.sessionmaker() as session:
        rows = list(await session.scalars(select(CoachingProgress)))
    assert [r.evidence_url for r in rows] == ["https://x.com/anna/status/1"]


async def test_the_link_button_opens_a_form_whose_link_is_stored(app: App):
    await onboard(app)

    opened = await app.press(ANNA, coaching.DONE_LINK_ACTION, "intro")
    assert opened.form is not None and opened.form.arg == "intro"
    reply = await app.submit(ANNA, coaching.DONE_FORM, {"link": "https://x.com/anna/status/2"}, "intro")

    assert field(reply, "Bevis") == "https://x.com/anna/status/2"


@pytest.mark.parametrize(("options", "problem"), [
    ({"link": "not a link"}, "errors.url"),
    ({"step": "nosuchstep"}, "coaching.errors.unknown_step"),
    ({"step": "9"}, "coaching.errors.unknown_step"),
])
async def test_bad_input_to_done_gets_a_clear_message_and_changes_nothing(app: App, options, problem):
    await onboard(app)

    with pytest.raises(UserError) as refused:
        await app.run(ANNA, coaching.done, **options)

    key = refused.value.problem.key if isinstance(refused.value, FieldProblem) else refused.value.text.key
    assert key == problem
    async with app.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(CoachingProgress)) == 0


async def test_undo_takes_a_step_back(app: App):
    await onboard(app)
    await app.run(ANNA, coaching.done)

    reply = await app.press(ANNA, coaching.UNDO_ACTION, "intro")

    assert render(reply.body, "sv") == 'Ångrat: "Presentera ditt företag på X med gruppens hashtagg" är inte ' \
                                       "klart längre."
    assert render((await app.run(ANNA, coaching.next_step)).title, "sv").startswith("Steg 1 av 6")


async def test_progress_shows_the_whole_ladder_with_evidence(app: App):
    await onboard(app)
    await app.run(ANNA, coaching.done, link="https://x.com/anna/status/3")

    reply = await app.run(ANNA, coaching.progress)

    lines = render(reply.body, "sv").splitlines()
    assert lines[0] == "✅ 1. Presentera ditt företag på X med gruppens hashtagg · https://x.com/anna/status/3"
    assert lines[1].startswith("➡️ 2.") and lines[2].startswith("⬜ 3.") and len(lines) == 6
    assert field(reply, "Veckopåminnelser") == "På: varje måndag kl. 09:00."


async def test_at_the_top_of_the_ladder_there_is_nothing_left(app: App):
    await onboard(app)
    for _ in range(6):
        await app.run(ANNA, coaching.done)

    assert render((await app.run(ANNA, coaching.next_step)).title, "sv") == "Du har klättrat hela stegen! 🎉"
    assert render((await app.run(ANNA, coaching.done)).body, "sv") == "Alla steg är redan klara. Snyggt jobbat!"


# -- /coach tweet and /coach blog -------------------------------------------------------------------------------


def _assert_drafts(reply: Reply, *must: str) -> list[str]:
    posts = [render(f.value, "sv") for f in reply.fields if render(f.name, "sv").startswith("Utkast")]
    assert len(posts) == 3 and len(set(posts)) == 3
    for post in posts:
        assert fits_x(post), (x_length(post), post)
        for tag in must:
            assert tag in post, (tag, post)
    x_links = [link.url for link in reply.links if link.url.startswith("https://x.com/intent/")]
    assert [intent_text(url) for url in x_links] == posts
    assert len(reply.links) == 9 and all(len(link.url) <= templates.MAX_LINK_URL for link in reply.links)
    assert {link.url.split("?")[0] for link in reply.links} == {
        "https://x.com/intent/post", "https://www.linkedin.com/feed/", "https://www.facebook.com/sharer/sharer.php"}
    return posts


async def test_three_tweets_fit_x_and_carry_the_campaign_hashtag(app: App):
    await onboard(app)

    reply = await app.run(ANNA, coaching.tweet, topic="Parkering i centrum")

    posts = _assert_drafts(reply, "#BlekingeFöretagare", "Parkering i centrum")
    assert render(reply.title, "sv") == "Tre tweetutkast: Parkering i centrum"
    assert any("Annas Blommor" in post for post in posts)


async def test_tweets_about_an_issue_tag_the_politician_and_the_media_with_the_issues_hashtag(app: App, issues):
    await onboard(app)

    reply = await app.run(ANNA, coaching.tweet, issue="7")

    posts = _assert_drafts(reply, "@kommunalrad_kk", "@blekingelt", "#ParkeraKarlskrona")
    assert all("#BlekingeFöretagare" not in post for post in posts)
    assert any("den 17/12" in post for post in posts)


async def test_an_issue_may_be_chosen_by_its_title_and_its_hashtag_is_normalized(app: App, issues):
    await onboard(app)

    _assert_drafts(await app.run(ANNA, coaching.tweet, issue="hamnens"), "@ronnebyrad", "@ronnebytidning", "#Hamnen")


async def test_long_topics_and_company_names_in_emoji_and_cjk_are_shortened_to_fit(app: App):
    await onboard(app, company="Ett mycket långt företagsnamn med många ord 日本語 och 🌸🌸🌸 Aktiebolag i Blekinge län")

    reply = await app.run(ANNA, coaching.tweet, topic="🚗" * 20 + " 停车场 " * 10 + "x" * 30)

    _assert_drafts(reply, "#BlekingeFöretagare")


async def test_without_an_issue_the_open_issues_are_offered(app: App, issues):
    await onboard(app)

    reply = await app.run(ANNA, coaching.tweet)

    assert "7: Parkering i centrum den 17/12" in field(reply, "Öppna frågor du kan skriva om")


@pytest.mark.parametrize(("options", "key"), [
    ({"topic": "x" * 101}, "errors.too_long"),
    ({"issue": "Flygplatsen"}, "coaching.errors.unknown_issue"),
])
async def test_bad_input_to_tweet_gets_a_clear_message(app: App, issues, options, key):
    await onboard(app)

    with pytest.raises(UserError) as refused:
        await app.run(ANNA, coaching.tweet, **options)

    found = refused.value.problem.key if isinstance(refused.value, FieldProblem) else refused.value.text.key
    assert found == key
    if key == "coaching.errors.unknown_issue":
        assert "7: Parkering i centrum" in render(refused.value.text, "sv")


async def test_an_unknown_issue_when_there_are_none_says_so(app: App):
    await onboard(app)

    with pytest.raises(UserError) as refused:
        await app.run(ANNA, coaching.blog, issue="12")

    assert render(refused.value.text, "en") == 'I cannot find an open issue "12". There are no open issues right now.'


async def test_a_blog_prompt_has_titles_and_an_outline_with_the_business_angle(app: App, issues):
    await onboard(app)

    reply = await app.run(ANNA, coaching.blog, issue="Parkering i centrum")

    assert render(reply.title, "sv") == "Blogginlägg: Parkering i centrum"
    assert len(field(reply, "Rubrikidéer").splitlines()) == 3
    assert "Annas Blommor" in field(reply, "Vad det betyder för mitt företag")
    assert "För en butik" in field(reply, "Vad det betyder för mitt företag")
    assert "Eva Ek" in field(reply, "Vad politikerna kan göra")
    assert "#ParkeraKarlskrona" in field(reply, "Uppmaning")


# -- /coach feedback --------------------------------------------------------------------------------------------


async def test_feedback_puts_the_three_most_important_fixes_first_and_improves_in_the_members_voice(app: App):
    await onboard(app)
    draft = "KOMMUNEN ÄR INKOMPETENT!!! Fixa parkeringen vid torget " + "nu " * 90

    reply = await app.run(ANNA, coaching.feedback, draft=draft)

    first = field(reply, "Fixa först").splitlines()
    assert len(first) == 3
    assert first[0].startswith("1. Inlägget är för långt")
    assert first[1].startswith("2. Tonen: undvik ord som \"inkompetent\"")
    assert first[2].startswith("3. Visa affärsnyttan")
    more = field(reply, "Mer att tänka på")
    assert "#BlekingeFöretagare" in more and "Ställ en fråga" in more
    improved = field(reply, "Förbättrad version")
    assert fits_x(improved) and "#BlekingeFöretagare" in improved and "?" in improved
    # The improved version drops what the feedback asks the member to drop, and keeps the rest of their words.
    assert improved.startswith("Fixa parkeringen vid torget")
    assert "inkompetent" not in improved.lower() and "!!" not in improved


@pytest.mark.parametrize(("draft", "kept"), [
    ("Bra jobbat med torget. Men avgiften är en skandal! Hur tänker ni?", "Bra jobbat med torget. Hur tänker ni?"),
    ("Ni idioter, fixa parkeringen.", "Fixa parkeringen."),
    ("@kommunalrad_kk ni är idioter! Fixa det. #ParkeraKarlskrona", "@kommunalrad_kk Fixa det. #ParkeraKarlskrona"),
    ("Läs https://example.se/a,b. Fy fan!", "Läs https://example.se/a,b."),
    ("Mejla a@b.se, idioter", "Mejla a@b.se"),
    ("Ni är idioter", ""),
    ("Parkeringen är viktig, tycker vi.", "Parkeringen är viktig, tycker vi."),
])
def test_harsh_clauses_go_but_mentions_hashtags_and_the_rest_stay(draft: str, kept: str):
    assert rules.without_harsh_words(draft) == kept


async def test_an_improved_version_of_nothing_but_insults_still_offers_something_to_post(app: App):
    await onboard(app)

    reply = await app.run(ANNA, coaching.feedback, draft="Ni är idioter")

    improved = field(reply, "Förbättrad version")
    assert "idiot" not in improved.lower()
    assert "Annas Blommor" in improved and "?" in improved and "#BlekingeFöretagare" in improved


async def test_feedback_knows_the_issues_politician_and_media(app: App, issues):
    await onboard(app)

    reply = await app.run(ANNA, coaching.feedback, draft="Hur tänker ni kring parkeringen? Våra kunder behöver den.",
                          issue="7")

    assert "Nämn en politiker med @namn (till exempel @kommunalrad_kk)" in field(reply, "Fixa först")
    improved = field(reply, "Förbättrad version")
    assert improved.startswith("@kommunalrad_kk Hur tänker ni") and "@blekingelt #ParkeraKarlskrona" in improved


async def test_a_good_draft_gets_praise_and_nothing_to_fix(app: App, issues):
    await onboard(app)
    draft = ("@kommunalrad_kk Hur röstar ni om parkeringen? För våra kunder på Annas Blommor är den viktig. "
             "@blekingelt #ParkeraKarlskrona")

    reply = await app.run(ANNA, coaching.feedback, draft=draft, issue="7")

    assert render(reply.body, "sv") == "Snyggt! Inget viktigt att fixa."
    assert len(field(reply, "Det här är bra").splitlines()) == 7
    assert field(reply, "Förbättrad version") == draft


async def test_a_long_text_is_read_as_a_blog_paragraph(app: App):
    await onboard(app)
    paragraph = ("Parkeringen i centrum är viktig för oss. " * 20).strip()

    reply = await app.run(ANNA, coaching.feedback, draft=paragraph)

    assert render(reply.title, "en") == "Feedback on your paragraph"
    assert "Improved version" in render(reply.body, "en")
    assert "Stycket har 140 ord" in field(reply, "Fixa först")


@pytest.mark.parametrize(("draft", "kind", "key"), [
    ("", "", "errors.required"),
    ("   ", "", "errors.required"),
    ("x" * 2001, "", "errors.too_long"),
    ("Hej", "dikt", "coaching.errors.feedback_kind"),
])
async def test_bad_input_to_feedback_gets_a_clear_message(app: App, draft: str, kind: str, key: str):
    await onboard(app)

    with pytest.raises(UserError) as refused:
        await app.run(ANNA, coaching.feedback, draft=draft, kind=kind)

    found = refused.value.problem.key if isinstance(refused.value, FieldProblem) else refused.value.text.key
    assert found == key


# -- pause, resume and the weekly nudge -------------------------------------------------------------------------

MONDAY_NINE = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)  # 09:00 in Stockholm


async def _nudges(app: App, notifier: RecordingNotifier, member: str = "anna") -> list[str]:
    await app.dispatcher.run_due()
    return [s.text for s in notifier.to(f"dm:{member}") if "Veckans steg" in s.text]


async def test_the_weekly_nudge_dms_the_next_step_once_a_week_at_the_configured_time(
        app: App, clock: FrozenClock, notifier: RecordingNotifier):
    await onboard(app)

    clock.set(MONDAY_NINE - timedelta(minutes=1))
    assert await _nudges(app, notifier) == []
    clock.set(MONDAY_NINE)
    [nudge] = await _nudges(app, notifier)
    assert nudge.startswith("Veckans steg 1 av 6: Presentera ditt företag på X")
    assert "Dina framsteg: ░░░░░░░░░░ 0 av 6 steg" in nudge
    clock.advance(timedelta(days=6))
    assert len(await _nudges(app, notifier)) == 1
    clock.set(MONDAY_NINE + timedelta(days=7))
    assert len(await _nudges(app, notifier)) == 2


async def test_a_paused_member_and_one_without_dm_reminders_get_no_nudge(
        app: App, clock: FrozenClock, notifier: RecordingNotifier):
    await onboard(app)
    await onboard(app, CIA, dm_reminders="nej")
    await onboard(app, identity("dan"))
    await app.run(ANNA, coaching.pause)

    clock.set(MONDAY_NINE)
    await app.dispatcher.run_due()

    assert notifier.to("dm:anna") == [] and notifier.to("dm:cia") == []
    assert len(notifier.to("dm:dan")) == 1


async def test_resume_starts_the_nudges_again_and_turns_on_dm_reminders(
        app: App, clock: FrozenClock, notifier: RecordingNotifier):
    await onboard(app, dm_reminders="nej")
    await app.run(ANNA, coaching.pause)

    reply = await app.run(ANNA, coaching.resume)

    assert render(reply.body, "sv") == ("Välkommen tillbaka! Nästa påminnelse kommer måndag 7/12 kl. 09:00. Jag slog "
                                        "också på påminnelser i DM i din profil.")
    clock.set(MONDAY_NINE)
    assert len(await _nudges(app, notifier)) == 1


async def test_the_pause_button_in_a_nudge_pauses(app: App, clock: FrozenClock, notifier: RecordingNotifier):
    await onboard(app)
    clock.set(MONDAY_NINE)
    await app.dispatcher.run_due()
    [nudge] = notifier.to("dm:anna")
    pause = next(b for b in nudge.reply.buttons if b.action == coaching.PAUSE_ACTION)

    reply = await app.press(ANNA, pause.action, pause.arg)

    assert "Pausat." in render(reply.body, "sv")
    clock.set(MONDAY_NINE + timedelta(days=7))
    await app.dispatcher.run_due()
    assert len(notifier.to("dm:anna")) == 1


async def test_a_nudge_due_in_quiet_hours_waits_until_they_end(settings, clock: FrozenClock,
                                                              notifier: RecordingNotifier):
    # A group whose quiet hours (06–10) cover the default nudge hour: the DM waits for 10:00.
    quiet = settings.model_copy(update={"quiet_hours_start": 6, "quiet_hours_end": 10})
    application = App(quiet, clock)
    application.notifier = application.dispatcher.notifier = notifier
    try:
        await onboard(application)
        clock.set(MONDAY_NINE)
        assert await _nudges(application, notifier) == []
        clock.set(MONDAY_NINE + timedelta(hours=1))
        assert len(await _nudges(application, notifier)) == 1
    finally:
        await application.close()


async def test_a_nudge_the_bot_slept_through_is_skipped_and_next_weeks_is_planned(
        app: App, clock: FrozenClock, notifier: RecordingNotifier):
    await onboard(app)

    clock.set(MONDAY_NINE + timedelta(days=3))
    assert await _nudges(app, notifier) == []
    clock.set(MONDAY_NINE + timedelta(days=7))
    assert len(await _nudges(app, notifier)) == 1


async def test_coordinators_set_the_day_hour_and_hashtag_and_the_nudge_moves(
        app: App, clock: FrozenClock, notifier: RecordingNotifier):
    await onboard(app)

    reply = await app.run(BO, coaching.configure, hashtag="KarlskronaFöretagare", day="onsdag", hour="14")

    assert field(reply, "Kampanjens hashtagg") == "#KarlskronaFöretagare"
    assert field(reply, "Nästa påminnelse") == "onsdag 2/12 kl. 14:00"
    async with app.sessionmaker() as session:
        pending = list(await session.scalars(select(Reminder).where(Reminder.kind == coaching.WEEKLY_KIND,
                                                                    Reminder.status == "pending")))
        [audit] = list(await session.scalars(select(AuditLog).where(AuditLog.action == "coaching.settings")))
    assert len(pending) == 1 and audit.detail == {"changed": ["hashtag", "nudge_hour", "nudge_weekday"]}
    assert "#KarlskronaFöretagare" in field(await app.run(ANNA, coaching.next_step), "Ditt utkast")
    clock.set(datetime(2026, 12, 2, 13, 0, tzinfo=UTC))
    assert len(await _nudges(app, notifier)) == 1


async def test_turning_the_nudges_off_cancels_them(app: App, clock: FrozenClock, notifier: RecordingNotifier):
    await onboard(app)

    reply = await app.run(BO, coaching.configure, nudges="nej")

    assert field(reply, "Nästa påminnelse") == "ingen, påminnelserna är avstängda"
    clock.set(MONDAY_NINE + timedelta(days=14))
    assert await _nudges(app, notifier) == []
    assert field(await app.run(ANNA, coaching.progress), "Veckopåminnelser").startswith("Avstängda för hela gruppen")


@pytest.mark.parametrize(("options", "key"), [
    ({"hour": "22"}, "coaching.errors.quiet_hour"),
    ({"hour": "7"}, "coaching.errors.quiet_hour"),
    ({"hour": "25"}, "coaching.errors.hour"),
    ({"day": "fredagsmys"}, "coaching.errors.day"),
    ({"hashtag": "två ord"}, "errors.field"),
    ({"nudges": "kanske"}, "errors.field"),
])
async def test_bad_settings_get_a_clear_message(app: App, options, key):
    with pytest.raises(UserError) as refused:
        await app.run(BO, coaching.configure, **options)

    assert refused.value.text.key == key


async def test_settings_are_for_coordinators(app: App):
    await onboard(app)
    for call in (coaching.configure, coaching.overview, coaching.configure_ladder):
        with pytest.raises(NotCoordinator):
            await app.run(ANNA, call)


# -- streaks ----------------------------------------------------------------------------------------------------


async def test_a_streak_counts_weeks_in_a_row_with_a_step_and_other_features_can_feed_it(app: App,
                                                                                        clock: FrozenClock):
    await onboard(app)

    async def streak() -> int:
        reply = await app.run(ANNA, coaching.progress)
        return int(field(reply, "Dina framsteg").split("🔥 ")[1].split()[0]) if "🔥" in field(
            reply, "Dina framsteg") else 0

    assert await streak() == 0
    await app.run(ANNA, coaching.done)
    assert await streak() == 1
    clock.advance(timedelta(days=7))
    assert await streak() == 1  # this week may still bring a step
    await app.run(ANNA, coaching.done)
    assert await streak() == 2
    clock.advance(timedelta(days=14))
    assert await streak() == 0  # a whole week went by empty

    # An action logged by another feature (here a stand-in source) keeps a streak alive too.
    async def actions(session, workspace_id, member_ids):
        return [(member_id, clock.now()) for member_id in member_ids]

    coaching.activity_source(actions)
    try:
        assert await streak() == 1
    finally:
        coaching._activity_sources.remove(actions)


# -- the coordinators' overview and the ladder ------------------------------------------------------------------


async def test_the_overview_shows_who_stands_on_which_step_as_text_and_a_png(app: App):
    await onboard(app)
    await onboard(app, CIA)
    await app.run(ANNA, coaching.done)
    await app.run(CIA, coaching.pause)

    reply = await app.run(BO, coaching.overview)

    lines = render(reply.body, "sv").splitlines()
    assert render(reply.title, "sv") == "Var står medlemmarna? (2)"
    assert lines[0] == "**1. Presentera ditt företag på X med gruppens hashtagg** (1): Cia (pausad)"
    assert lines[1] == "**2. Följ de viktigaste lokala politikerna och lokala medier** (1): Anna 🔥1"
    assert lines[-1] == "**Klara med hela stegen** (0): –"
    [chart] = reply.files
    assert chart.filename.endswith(".png") and chart.data.startswith(b"\x89PNG\r\n\x1a\n")


async def test_the_overview_without_members_says_so(app: App):
    reply = await app.run(BO, coaching.overview)

    assert render(reply.body, "en") == "No members have joined yet." and reply.files == ()


async def test_coordinators_reorder_retire_and_add_steps(app: App):
    await onboard(app)

    await app.run(BO, coaching.configure_ladder, step="blog", position="1")
    await app.run(BO, coaching.configure_ladder, step="follow", active="nej")
    reply = await app.run(BO, coaching.configure_ladder, step="like5", title="Gilla fem inlägg",
                          why="Det kostar inget och syns.", example="Gilla lokaltidningens inlägg.", kind="follow",
                          position="2")

    lines = render(reply.body, "sv").splitlines()
    assert lines[1].startswith("1. **Skriv ditt första blogginlägg om ditt företag")
    assert lines[2] == "2. **Gilla fem inlägg** (nyckel: like5, typ: följa) ✏️"
    assert "Följ de viktigaste" in field(reply, "Avstängda steg")
    first = await app.run(ANNA, coaching.next_step)
    assert render(first.title, "sv").startswith("Steg 1 av 6: Skriv ditt första blogginlägg")
    await app.run(ANNA, coaching.done)
    second = await app.run(ANNA, coaching.next_step)
    assert render(second.title, "sv") == "Steg 2 av 6: Gilla fem inlägg"
    assert render(second.body, "sv") == "Det kostar inget och syns."


async def test_a_coordinator_may_rewrite_a_step_and_reset_it(app: App):
    await onboard(app)

    await app.run(BO, coaching.configure_ladder, step="intro", title="Din första tweet")
    assert render((await app.run(ANNA, coaching.next_step)).title, "sv") == "Steg 1 av 6: Din första tweet"
    await app.run(BO, coaching.configure_ladder, step="intro", reset="ja")
    assert "Presentera ditt företag" in render((await app.run(ANNA, coaching.next_step)).title, "sv")


@pytest.mark.parametrize(("options", "key"), [
    ({"step": "Ny Nyckel!"}, "coaching.errors.step_key"),
    ({"step": "nytt", "title": "Nytt steg"}, "coaching.errors.new_step_needs"),
    ({"step": "intro", "kind": "dans"}, "coaching.errors.kind"),
    ({"step": "intro", "position": "12"}, "coaching.errors.position"),
    ({"title": "Utan steg"}, "coaching.errors.step_needed"),
    ({"step": "intro", "why": "x" * 501}, "errors.field"),
])
async def test_bad_ladder_changes_get_a_clear_message(app: App, options, key):
    with pytest.raises(UserError) as refused:
        await app.run(BO, coaching.configure_ladder, **options)

    assert refused.value.text.key == key


async def test_the_last_active_step_cannot_be_retired(app: App):
    for key in ("intro", "follow", "ask", "blog", "media"):
        await app.run(BO, coaching.configure_ladder, step=key, active="nej")

    with pytest.raises(UserError) as refused:
        await app.run(BO, coaching.configure_ladder, step="story", active="nej")

    assert refused.value.text.key == "coaching.errors.last_step"


# -- languages, workspaces, data --------------------------------------------------------------------------------


async def test_an_english_member_gets_everything_in_english(app: App):
    await onboard(app)
    await app.run(BO, workspaces.configure, language="en")

    reply = await app.run(ANNA, coaching.next_step)

    assert render(reply.title, "en") == "Step 1 of 6: Introduce your business on X with the group's hashtag"
    assert field(reply, "Your draft", "en").startswith("Hello Karlskrona! We are Annas Blommor.")
    tweets = await app.run(ANNA, coaching.tweet)
    assert render(tweets.title, "en") == "Three draft tweets: your business"


async def test_progress_does_not_leak_across_workspaces(app: App):
    other = identity("anna", workspace="guild-2")
    await onboard(app)
    await onboard(app, other)
    await app.run(ANNA, coaching.done)
    await app.run(BO, coaching.configure_ladder, step="intro", title="Bara i grupp 1")

    reply = await app.run(other, coaching.next_step)

    assert render(reply.title, "sv") == "Steg 1 av 6: Presentera ditt företag på X med gruppens hashtagg"
    overview = render((await app.run(identity("eve", coordinator=True, workspace="guild-2"), coaching.overview)).body,
                      "sv")
    assert overview.splitlines()[0].endswith("(1): Anna")


async def test_mydata_exports_and_erases_the_coaching_progress(app: App):
    await onboard(app)
    await app.run(ANNA, coaching.done, link="https://x.com/anna/status/4")
    await app.run(ANNA, coaching.pause)

    exported = json.loads((await app.run(ANNA, mydata.export)).files[0].data)
    assert exported["coaching"]["steps_done"][0]["step"] == "intro"
    assert exported["coaching"]["steps_done"][0]["evidence_url"] == "https://x.com/anna/status/4"
    assert exported["coaching"]["nudges_paused"] is True

    await app.press(ANNA, mydata.DELETE_CONFIRM, "")
    async with app.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(CoachingProgress)) == 0
        assert await session.scalar(select(func.count()).select_from(Member)) == 0
