"""The coaching ladder: /coach next and its drafts, done, undo, progress, the overview, changing steps."""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict

import pytest
from sqlalchemy import func, select

from bot import i18n
from bot.app import App
from bot.coach import templates
from bot.errors import UserError
from bot.i18n import render
from bot.models import CoachingProgress, CoachingStep, Member
from bot.replies import Literal
from bot.services import activity, drafts, ladder, mydata, nudges, onboarding, profile, workspaces, writing
from bot.services.context import Identity
from bot.services.drafts import fits_x
from bot.services.profile_fields import INDUSTRIES
from bot.validation import FieldProblem
from tests.conftest import identity
from tests.issue_fixtures import contexts_read_one_issue_at_a_time, several_open_issues
from tests.services.conftest import ANNA, BO, CIA, intent_text, onboard
from tests.support.onboarding import NEWCOMER, answers
from tests.support.replies import field_value, shown

# -- /coach next ---------------------------------------------------------------------------------------------


async def test_a_member_with_no_experience_gets_a_first_tweet_that_fits_x_with_the_hashtag(app: App):
    await onboard(app)

    reply = await app.run(ANNA, ladder.next_step)

    assert render(reply.title, "sv") == "Steg 1 av 6: Presentera ditt företag på X med gruppens hashtagg"
    draft = field_value(reply, "Ditt utkast")
    assert fits_x(draft) and "#BlekingeFöretagare" in draft and "Annas Blommor" in draft
    assert "Inget X-konto än?" in field_value(reply, "Tips")
    x_link = reply.links[0]
    assert intent_text(x_link.url) == draft
    assert [b.action for b in reply.buttons] == [ladder.DONE_ACTION, ladder.DONE_LINK_ACTION]
    assert all(len(link.url) <= templates.MAX_LINK_URL for link in reply.links)


async def test_every_step_says_what_it_brings_the_business_in_the_members_trade_and_town(app: App):
    await onboard(app, industry="Bygg och fastighet", municipality="Ronneby", goal="Fler beställare")

    text = shown(await app.run(ANNA, ladder.next_step))

    assert "För ett byggföretag betyder det fler förfrågningar från beställare i Ronneby" in text
    assert "Det tar dig också närmare ditt mål: Fler beställare" in text


async def test_coaching_needs_a_profile(app: App):
    for call in (ladder.next_step, writing.tweet, ladder.progress, ladder.done):
        with pytest.raises(UserError) as refused:
            await app.run(ANNA, call)
        assert refused.value.text.key == "profile.not_onboarded"


async def test_the_onboarding_shows_the_real_first_step_of_the_ladder(app: App):
    reply = await app.submit(ANNA, onboarding.FORM_ID, answers(NEWCOMER))

    first = render(reply.fields[0].value, "sv")
    assert first.startswith("**Steg 1 av 6: Presentera ditt företag på X med gruppens hashtagg**")
    assert "Annas Blommor" in first and "Karlskrona" in first
    assert ladder.NEXT_ACTION in [b.action for b in reply.buttons]


async def test_the_question_step_drafts_about_the_soonest_open_issue_in_the_members_town(app: App, issues):
    await onboard(app)
    for _ in range(2):
        await app.run(ANNA, ladder.done)

    reply = await app.run(ANNA, ladder.next_step)

    draft = field_value(reply, "Ditt utkast")
    assert render(reply.title, "sv").startswith("Steg 3 av 6: Ställ en fråga")
    assert draft.startswith("@kommunalrad_kk ") and "@blekingelt" in draft and "#ParkeraKarlskrona" in draft
    assert "Parkering i centrum" in draft and fits_x(draft)
    assert field_value(reply, "Öppen fråga i Karlskrona") == "7: Parkering i centrum den 17/12"


async def test_the_follow_step_lists_the_known_politicians_and_media(app: App, issues):
    await onboard(app)
    await app.run(ANNA, ladder.done)

    reply = await app.run(ANNA, ladder.next_step)

    assert field_value(reply, "Att följa") == "@kommunalrad_kk, @blekingelt"
    assert "https://x.com/blekingelt" in [link.url for link in reply.links]


async def test_with_several_open_issues_the_coach_shows_what_reading_every_issue_whole_showed(
        app: App, monkeypatch: pytest.MonkeyPatch):
    await several_open_issues(app)
    await onboard(app)
    await onboard(app, CIA)  # the same answers as Anna's

    async def replies(who: Identity) -> list[tuple[str, tuple[str, ...]]]:
        shown_replies = []
        for call, options in ((writing.tweet, {}), (writing.tweet, {"issue": "Skolmat"}), (writing.blog, {}),
                              (writing.feedback, {"draft": "Parkeringen behövs för våra kunder."}),
                              (writing.feedback, {"draft": "Hamnen ska vara öppen.", "issue": "Hamnens"})):
            reply = await app.run(who, call, **options)
            shown_replies.append((shown(reply), tuple(link.url for link in reply.links)))
        async with app.sessionmaker() as session:
            steps = await session.scalar(select(func.count(CoachingStep.id)))
        for _ in range(steps or 6):  # every step of the ladder, each after the one before is done
            reply = await app.run(who, ladder.next_step)
            shown_replies.append((shown(reply), tuple(link.url for link in reply.links)))
            await app.run(who, ladder.done)
        return shown_replies

    now = await replies(ANNA)
    # As the drafts read the open issues before: every issue's whole map, one issue after another.
    monkeypatch.setattr(drafts, "open_issues", contexts_read_one_issue_at_a_time)
    monkeypatch.setattr(drafts, "with_targets", lambda session, workspace_id, issues: _as_they_are(issues))
    before = await replies(CIA)

    assert now == before
    everything = "\n".join(text for text, _ in now)
    assert "@sydostran" in everything and "@bjornost" in everything and "@rt" in everything


async def _as_they_are(issues: list[drafts.IssueContext]) -> list[drafts.IssueContext]:
    return list(issues)


async def test_the_blog_step_comes_with_title_ideas_and_an_outline(app: App):
    await onboard(app)
    for key in ("intro", "follow", "ask"):
        await app.run(ANNA, ladder.done, step=key)

    text = shown(await app.run(ANNA, ladder.next_step))

    for heading in ("Rubrikidéer", "Problemet", "Vad det betyder för mitt företag",
                    "Vad politikerna kan göra", "Uppmaning"):
        assert heading in text, heading


# -- experience and trade -----------------------------------------------------------------------------------

SKIPS = "Steg du hoppar över"


@pytest.mark.parametrize(("experience", "start", "skipped"), [
    ("none", "Steg 1 av 6: Presentera ditt företag", None),
    ("beginner", "Steg 1 av 6: Presentera ditt företag", None),
    ("active", "Steg 3 av 6: Ställ en fråga till en politiker",
     ("1. Presentera ditt företag på X med gruppens hashtagg, "
      "2. Följ de viktigaste lokala politikerna och lokala medier")),
])
async def test_experience_decides_the_first_step_and_which_steps_are_skipped(
        app: App, experience: str, start: str, skipped: str | None):
    await onboard(app, experience=experience)

    reply = await app.run(ANNA, ladder.next_step)

    assert render(reply.title, "sv").startswith(start)
    names = [render(f.name, "sv") for f in reply.fields]
    if skipped is None:
        assert SKIPS not in names
    else:
        assert field_value(reply, SKIPS).startswith(
            f"Du har redan erfarenhet av sociala medier, så de här behöver du inte göra: {skipped}. "
            "De räknas inte som klara.")


async def test_the_onboarding_of_an_active_member_starts_at_the_question_and_says_why(app: App):
    reply = await app.submit(ANNA, onboarding.FORM_ID, answers(NEWCOMER, experience="active"))

    first = render(reply.fields[0].value, "sv")
    assert first.startswith("**Steg 3 av 6: Ställ en fråga till en politiker")
    assert 'Du svarade "Aktiv" om sociala medier, så du börjar här och hoppar över de första stegen.' in first


@pytest.mark.parametrize(("experience", "steps_done", "tip"), [
    ("none", 0, "Inget X-konto än?"),
    ("beginner", 0, "Du har redan ett konto."),
    ("beginner", 2, "Svara på något politikern redan har skrivit"),
    ("active", 0, "Tagga också lokaltidningen"),
])
async def test_the_tip_fits_the_members_experience_and_the_step(app: App, experience, steps_done, tip):
    await onboard(app, experience=experience)
    for _ in range(steps_done):
        await app.run(ANNA, ladder.done)

    assert field_value(await app.run(ANNA, ladder.next_step), "Tips").startswith(tip)


async def test_nothing_skipped_is_done_and_progress_shows_the_skipped_steps_as_skipped(app: App):
    await onboard(app, experience="active")

    reply = await app.run(ANNA, ladder.progress)

    lines = render(reply.body, "sv").splitlines()
    assert lines[:3] == ["⏭️ 1. Presentera ditt företag på X med gruppens hashtagg (hoppas över)",
                         "⏭️ 2. Följ de viktigaste lokala politikerna och lokala medier (hoppas över)",
                         "➡️ 3. Ställ en fråga till en politiker om en öppen fråga"]
    assert field_value(reply, "Dina framsteg") == (
        "▒▒▒░░░░░░░ 0 av 6 steg · ingen svit än: gör ett steg den här veckan!\n"
        "⏭️ 2 steg hoppas över tack vare din erfarenhet. Det räknas inte som klart.")
    async with app.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(CoachingProgress)) == 0


async def test_done_marks_the_next_useful_step_and_a_skipped_step_may_still_be_done(app: App):
    await onboard(app, experience="active")

    first = await app.run(ANNA, ladder.done)
    assert render(first.title, "sv") == "✅ Klart: Ställ en fråga till en politiker om en öppen fråga"
    await app.run(ANNA, ladder.done, step="intro")

    lines = render((await app.run(ANNA, ladder.progress)).body, "sv").splitlines()
    assert lines[0].startswith("✅ 1.") and lines[1].startswith("⏭️ 2.") and lines[2].startswith("✅ 3.")
    assert lines[3].startswith("➡️ 4.")
    progress = field_value(await app.run(ANNA, ladder.next_step), "Dina framsteg")
    assert progress.startswith("███▒▒░░░░░ 2 av 6 steg") and "⏭️ 1 steg hoppas över" in progress


async def test_an_active_member_past_the_last_step_is_told_what_was_skipped(app: App):
    await onboard(app, experience="active")
    for _ in range(4):
        await app.run(ANNA, ladder.done)

    reply = await app.run(ANNA, ladder.next_step)

    assert render(reply.title, "sv") == "Du har klättrat hela stegen! 🎉"
    assert field_value(reply, "Dina framsteg").startswith("███████▒▒▒ 4 av 6 steg")
    assert "1. Presentera ditt företag" in field_value(reply, SKIPS)


async def test_a_changed_experience_moves_the_ladder_and_keeps_the_done_steps(app: App):
    await onboard(app, experience="active")
    await app.run(ANNA, ladder.done)  # the question, the first step an active member has

    await app.submit(ANNA, profile.EDIT_FORM_ID, {"experience": "Ingen än"})

    assert render((await app.run(ANNA, ladder.next_step)).title, "sv").startswith("Steg 1 av 6: Presentera")
    lines = render((await app.run(ANNA, ladder.progress)).body, "sv").splitlines()
    assert lines[0].startswith("➡️ 1.") and lines[1].startswith("⬜ 2.") and lines[2].startswith("✅ 3.")
    await app.submit(ANNA, profile.EDIT_FORM_ID, {"experience": "Aktiv"})
    assert render((await app.run(ANNA, ladder.next_step)).title, "sv").startswith("Steg 4 av 6: Skriv")


async def test_a_tweet_logged_by_an_active_member_reaches_their_next_tweet_step_not_a_skipped_one(app: App):
    await app.run(BO, ladder.configure_ladder, step="hashtag", title="Mobilisera med hashtaggen",
                  why="Fler röster syns mer.", example="Be tre kunder dela ditt inlägg.",
                  kind=ladder.StepKind.TWEET)
    await onboard(app, experience="active")
    await onboard(app, CIA, experience="active")

    await app.run(ANNA, activity.did, kind="tweet")
    await app.run(CIA, activity.did, kind="tweet")
    await app.run(CIA, activity.did, kind="tweet")

    lines = render((await app.run(ANNA, ladder.progress)).body, "sv").splitlines()
    assert lines[0].startswith("⏭️ 1.") and lines[-1] == "✅ 7. Mobilisera med hashtaggen"
    # Once the tweet steps on the way are done, a tweet is the skipped step done after all.
    assert render((await app.run(CIA, ladder.progress)).body, "sv").splitlines()[0].startswith("✅ 1.")


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_every_industry_of_the_onboarding_has_its_own_examples_in_both_languages(language: str):
    for key in sorted(ladder.DEFAULT_KEYS):
        examples = {}
        for choice in INDUSTRIES:
            message = f"coaching.step.{key}.example.{choice.value}"
            assert i18n.has(message, language), message
            assert i18n.has(f"coaching.value.{choice.value}", language)
            examples[choice.value] = render(ladder.Step(key, "tweet", 1).example_text(
                {"municipality": "Karlskrona", "hashtag": "#Tag", "company": Literal("X")}, choice.value),
                language)
        # Each trade its own example: none is another trade's copied.
        assert len(set(examples.values())) == len(INDUSTRIES), key


async def test_the_example_shows_a_business_of_the_members_trade(app: App):
    await onboard(app, industry="Bygg och fastighet")

    example = field_value(await app.run(ANNA, ladder.next_step), "Så kan det se ut")

    assert example.startswith("Hej Karlskrona! Vi är Nilssons Bygg")
    assert example.endswith("#BlekingeFöretagare")


async def test_the_overview_shows_who_skips_steps_and_stands_on_the_next_useful_one(app: App):
    await onboard(app)
    await onboard(app, CIA, experience="active")

    before = render((await app.run(BO, ladder.overview)).body, "sv").splitlines()
    await app.run(ANNA, ladder.done)
    after = render((await app.run(BO, ladder.overview)).body, "sv").splitlines()

    # Before the ladder is stored (nobody has done a step) and after.
    assert before[0].endswith("(1): Anna") and before[1].endswith("(0): –")
    assert before[2].endswith("(1): Cia ⏭️2")
    assert after[0].endswith("(0): –") and after[1].endswith("(1): Anna 🔥1")
    assert after[2].endswith("(1): Cia ⏭️2")
    for lines in (before, after):
        assert lines[-1].startswith("⏭️ = antal steg som medlemmen hoppar över")


# -- done, undo, progress ------------------------------------------------------------------------------------


async def test_marking_a_step_done_moves_the_bar_and_shows_the_next(app: App):
    await onboard(app)

    reply = await app.run(ANNA, ladder.done)

    assert render(reply.title, "sv") == "✅ Klart: Presentera ditt företag på X med gruppens hashtagg"
    assert field_value(reply, "Dina framsteg").startswith("██░░░░░░░░ 1 av 6 steg")
    assert field_value(reply, "Nästa steg") == \
        "Steg 2: Följ de viktigaste lokala politikerna och lokala medier"
    assert render((await app.run(ANNA, ladder.next_step)).title, "sv").startswith("Steg 2 av 6")


async def test_a_done_step_keeps_its_link_as_evidence_and_a_second_done_only_adds_the_link(app: App):
    await onboard(app)

    await app.press(ANNA, ladder.DONE_ACTION, "intro")
    again = await app.run(ANNA, ladder.done, step="intro", link="x.com/anna/status/1")

    assert render(again.body, "sv") == \
        '"Presentera ditt företag på X med gruppens hashtagg" var redan klart. ' \
        "Jag sparade länken: https://x.com/anna/status/1"
    async with app.sessionmaker() as session:
        rows = list(await session.scalars(select(CoachingProgress)))
    assert [r.evidence_url for r in rows] == ["https://x.com/anna/status/1"]


async def test_the_link_button_opens_a_form_whose_link_is_stored(app: App):
    await onboard(app)

    opened = await app.press(ANNA, ladder.DONE_LINK_ACTION, "intro")
    assert opened.form is not None and opened.form.arg == "intro"
    reply = await app.submit(ANNA, ladder.DONE_FORM, {"link": "https://x.com/anna/status/2"}, "intro")

    assert field_value(reply, "Bevis") == "https://x.com/anna/status/2"


@pytest.mark.parametrize(("options", "problem"), [
    ({"link": "not a link"}, "errors.url"),
    ({"step": "nosuchstep"}, "coaching.errors.unknown_step"),
    ({"step": "9"}, "coaching.errors.unknown_step"),
])
async def test_bad_input_to_done_gets_a_clear_message_and_changes_nothing(app: App, options, problem):
    await onboard(app)

    with pytest.raises(UserError) as refused:
        await app.run(ANNA, ladder.done, **options)

    key = refused.value.problem.key if isinstance(refused.value, FieldProblem) else refused.value.text.key
    assert key == problem
    async with app.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(CoachingProgress)) == 0


async def test_undo_takes_a_step_back(app: App):
    await onboard(app)
    await app.run(ANNA, ladder.done)

    reply = await app.press(ANNA, ladder.UNDO_ACTION, "intro")

    assert render(reply.body, "sv") == \
        'Ångrat: "Presentera ditt företag på X med gruppens hashtagg" är inte klart längre.'
    assert render((await app.run(ANNA, ladder.next_step)).title, "sv").startswith("Steg 1 av 6")


async def test_progress_shows_the_whole_ladder_with_evidence(app: App):
    await onboard(app)
    await app.run(ANNA, ladder.done, link="https://x.com/anna/status/3")

    reply = await app.run(ANNA, ladder.progress)

    lines = render(reply.body, "sv").splitlines()
    assert lines[0] == "✅ 1. Presentera ditt företag på X med gruppens hashtagg · https://x.com/anna/status/3"
    assert lines[1].startswith("➡️ 2.") and lines[2].startswith("⬜ 3.") and len(lines) == 6
    assert field_value(reply, "Veckopåminnelser") == "På: varje måndag kl. 09:00."


async def test_at_the_top_of_the_ladder_there_is_nothing_left(app: App):
    await onboard(app)
    for _ in range(6):
        await app.run(ANNA, ladder.done)

    assert render((await app.run(ANNA, ladder.next_step)).title, "sv") == "Du har klättrat hela stegen! 🎉"
    assert render((await app.run(ANNA, ladder.done)).body, "sv") == "Alla steg är redan klara. Snyggt jobbat!"


# -- the coordinators' overview and the ladder ---------------------------------------------------------------


async def test_the_overview_shows_who_stands_on_which_step_as_text_and_a_png(app: App):
    await onboard(app)
    await onboard(app, CIA)
    await app.run(ANNA, ladder.done)
    await app.run(CIA, nudges.pause)

    reply = await app.run(BO, ladder.overview)

    lines = render(reply.body, "sv").splitlines()
    assert render(reply.title, "sv") == "Var står medlemmarna? (2)"
    assert lines[0] == "**1. Presentera ditt företag på X med gruppens hashtagg** (1): Cia (pausad)"
    assert lines[1] == "**2. Följ de viktigaste lokala politikerna och lokala medier** (1): Anna 🔥1"
    assert lines[-1] == "**Klara med hela stegen** (0): –"
    [chart] = reply.files
    assert chart.filename.endswith(".png") and chart.data.startswith(b"\x89PNG\r\n\x1a\n")


async def test_the_overview_without_members_says_so(app: App):
    reply = await app.run(BO, ladder.overview)

    assert render(reply.body, "en") == "No members have joined yet." and reply.files == ()


async def test_coordinators_reorder_retire_and_add_steps(app: App):
    await onboard(app)

    await app.run(BO, ladder.configure_ladder, step="blog", position=1)
    await app.run(BO, ladder.configure_ladder, step="follow", active=False)
    reply = await app.run(BO, ladder.configure_ladder, step="like5", title="Gilla fem inlägg",
                          why="Det kostar inget och syns.", example="Gilla lokaltidningens inlägg.",
                          kind=ladder.StepKind.FOLLOW, position=2)

    lines = render(reply.body, "sv").splitlines()
    assert lines[1].startswith("1. **Skriv ditt första blogginlägg om ditt företag")
    assert lines[2] == "2. **Gilla fem inlägg** (nyckel: like5, typ: följa) ✏️"
    assert "Följ de viktigaste" in field_value(reply, "Avstängda steg")
    first = await app.run(ANNA, ladder.next_step)
    assert render(first.title, "sv").startswith("Steg 1 av 6: Skriv ditt första blogginlägg")
    await app.run(ANNA, ladder.done)
    second = await app.run(ANNA, ladder.next_step)
    assert render(second.title, "sv") == "Steg 2 av 6: Gilla fem inlägg"
    assert render(second.body, "sv") == "Det kostar inget och syns."


async def test_a_coordinator_may_rewrite_a_step_and_reset_it(app: App):
    await onboard(app)

    await app.run(BO, ladder.configure_ladder, step="intro", title="Din första tweet")
    assert render((await app.run(ANNA, ladder.next_step)).title, "sv") == "Steg 1 av 6: Din första tweet"
    await app.run(BO, ladder.configure_ladder, step="intro", reset=True)
    assert "Presentera ditt företag" in render((await app.run(ANNA, ladder.next_step)).title, "sv")


@pytest.mark.parametrize(("options", "key"), [
    ({"step": "Ny Nyckel!"}, "coaching.errors.step_key"),
    ({"step": "nytt", "title": "Nytt steg"}, "coaching.errors.new_step_needs"),
    ({"step": "intro", "position": 12}, "coaching.errors.position"),
    ({"title": "Utan steg"}, "coaching.errors.step_needed"),
    ({"step": "intro", "why": "x" * 501}, "errors.field"),
])
async def test_bad_ladder_changes_get_a_clear_message(app: App, options, key):
    with pytest.raises(UserError) as refused:
        await app.run(BO, ladder.configure_ladder, **options)

    # A field's problem is told under the field's name: its own text is the problem's.
    problem = refused.value.problem if isinstance(refused.value, FieldProblem) else refused.value.text
    assert key in (refused.value.text.key, problem.key)


@pytest.mark.parametrize(("typed", "kind"),
                         [("fråga", "question"), ("Berattelse", "story"), ("blog", "blog")])
def test_a_step_kind_is_read_by_its_value_or_its_name_in_either_language(typed: str, kind: str):
    assert ladder.STEP_KIND.read(typed) == kind


def test_an_unknown_step_kind_says_which_kinds_there_are():
    with pytest.raises(UserError) as refused:  # what the edges read a step's kind with
        ladder.STEP_KIND.read("dans")

    assert render(refused.value.text, "sv") == (
        '"dans" är ingen stegtyp. Välj något av: tweet, följa, fråga, blogg, media, berättelse.')


async def test_the_last_active_step_cannot_be_retired(app: App):
    for key in ("intro", "follow", "ask", "blog", "media"):
        await app.run(BO, ladder.configure_ladder, step=key, active=False)

    with pytest.raises(UserError) as refused:
        await app.run(BO, ladder.configure_ladder, step="story", active=False)

    assert refused.value.text.key == "coaching.errors.last_step"


# -- languages, workspaces, data -----------------------------------------------------------------------------


async def test_an_english_member_gets_everything_in_english(app: App):
    await onboard(app)
    await app.run(BO, workspaces.configure, language="en")

    reply = await app.run(ANNA, ladder.next_step)

    assert render(reply.title, "en") == "Step 1 of 6: Introduce your business on X with the group's hashtag"
    assert field_value(reply, "Your draft", "en").startswith("Hello Karlskrona! We are Annas Blommor.")
    tweets = await app.run(ANNA, writing.tweet)
    assert render(tweets.title, "en") == "Three draft tweets: your business"


async def test_progress_does_not_leak_across_workspaces(app: App):
    other = identity("anna", workspace="guild-2")
    await onboard(app)
    await onboard(app, other)
    await app.run(ANNA, ladder.done)
    await app.run(BO, ladder.configure_ladder, step="intro", title="Bara i grupp 1")

    reply = await app.run(other, ladder.next_step)

    assert render(reply.title, "sv") == "Steg 1 av 6: Presentera ditt företag på X med gruppens hashtagg"
    eve = identity("eve", coordinator=True, workspace="guild-2")
    overview = render((await app.run(eve, ladder.overview)).body, "sv")
    assert overview.splitlines()[0].endswith("(1): Anna")


async def test_mydata_exports_and_erases_the_coaching_progress(app: App):
    await onboard(app)
    await app.run(ANNA, ladder.done, link="https://x.com/anna/status/4")
    await app.run(ANNA, nudges.pause)

    exported = json.loads((await app.run(ANNA, mydata.export)).files[0].data)
    assert exported["coaching"]["steps_done"][0]["step"] == "intro"
    assert exported["coaching"]["steps_done"][0]["evidence_url"] == "https://x.com/anna/status/4"
    assert exported["coaching"]["nudges_paused"] is True

    await app.press(ANNA, mydata.DELETE_CONFIRM, "")
    async with app.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(CoachingProgress)) == 0
        assert await session.scalar(select(func.count()).select_from(Member)) == 0


async def _recount(app: App) -> tuple[list[ladder.Step], dict[str | None, int], dict[str | None, list[str]]]:
    """Who stands on which step, counted the slow way: every member's finished steps loaded."""
    async with app.sessionmaker() as session:
        members = list(await session.scalars(select(Member).where(Member.onboarded_at.is_not(None))
                                             .order_by(Member.display_name, Member.id)))
        steps = [s for s in await ladder.steps_of(session, members[0].workspace_id) if s.active]
        done: dict[int, set[str]] = defaultdict(set)
        for member_id, key in await session.execute(select(CoachingProgress.member_id, CoachingStep.key)
                                                    .join(CoachingStep)):
            done[member_id].add(key)
    counts: Counter[str | None] = Counter()
    names: dict[str | None, list[str]] = defaultdict(list)
    for member in members:
        skips = {"intro", "follow"} if member.experience == "active" else set()
        current = next((s.key for s in steps if s.key not in done[member.id] and s.key not in skips), None)
        counts[current] += 1
        names[current].append(member.display_name)
    return steps, dict(counts), names


async def test_the_overview_counts_in_sql_what_a_recount_of_every_member_gives(
        app: App, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(ladder, "OVERVIEW_NAMES", 2)
    members = [identity(f"m{number}") for number in range(8)]
    for number, member in enumerate(members):
        # Every third member already active on social media: they skip the first steps.
        await onboard(app, member, experience="active" if number % 3 == 1 else "none")
        for _ in range(number % 4):
            await app.run(member, ladder.done)
    # Steps finished out of order, a retired step and a paused member.
    await app.run(members[0], ladder.done, step="ask")
    await app.run(members[4], ladder.done, step="blog")
    await app.run(BO, ladder.configure_ladder, step="follow", active=False)
    await app.run(members[5], nudges.pause)

    steps, counts, names = await _recount(app)
    reply = await app.run(BO, ladder.overview)

    lines = render(reply.body, "sv").splitlines()
    assert lines.pop().startswith("⏭️ = ")  # the legend: some skip steps
    assert len(lines) == len(steps) + 1 and sum(counts.values()) == len(members)
    for number, step in enumerate([*steps, None], 1):
        line = lines[number - 1]
        key = step.key if step else None
        count = counts.get(key, 0)
        assert f"** ({count}): " in line
        first = [name + (" (pausad)" if name == "M5" else "") for name in names[key][:2]]
        expected = ", ".join(first) + (f", …och {count - 2} till" if count > 2 else "") if count else "–"
        assert re.sub(r" 🔥1| ⏭️\d", "", line.split("): ", 1)[1]) == expected, line
    assert render(reply.title, "sv") == f"Var står medlemmarna? ({len(members)})"


async def test_the_overview_before_the_ladder_is_stored_has_everyone_on_the_first_step(app: App):
    await onboard(app)
    await onboard(app, CIA)

    lines = render((await app.run(BO, ladder.overview)).body, "sv").splitlines()

    assert lines[0] == "**1. Presentera ditt företag på X med gruppens hashtagg** (2): Anna, Cia"
    assert all(line.endswith("(0): –") for line in lines[1:])
