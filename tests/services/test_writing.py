"""The writing help: draft tweets within X's limit, blog prompts, and feedback on a member's draft."""

from __future__ import annotations

import pytest

from bot.app import App
from bot.coach import rules, templates
from bot.errors import UserError
from bot.i18n import render
from bot.replies import Reply
from bot.services import writing
from bot.services.drafts import fits_x, x_length
from bot.validation import FieldProblem
from tests.services.conftest import ANNA, intent_text, onboard
from tests.support.replies import field_value, shown

# -- /coach tweet and /coach blog ----------------------------------------------------------------------------


def _assert_drafts(reply: Reply, *must: str) -> list[str]:
    posts = [render(f.value, "sv") for f in reply.fields if render(f.name, "sv").startswith("Utkast")]
    assert len(posts) == 3 and len(set(posts)) == 3
    for post in posts:
        assert fits_x(post), (x_length(post), post)
        for tag in must:
            assert tag in post, (tag, post)
    x_links = [link.url for link in reply.links if link.url.startswith("https://x.com/intent/")]
    assert [intent_text(url) for url in x_links] == posts
    # A member who has not said which platforms they use gets X and Facebook links (LinkedIn gets a text of
    # its own, a tweet is not a LinkedIn post).
    assert all(len(link.url) <= templates.MAX_LINK_URL for link in reply.links)
    # LinkedIn and Facebook share only a link: they come with an issue's source, and never carry the text.
    assert {link.url.split("?")[0] for link in reply.links} <= {
        "https://x.com/intent/post", "https://www.linkedin.com/sharing/share-offsite/",
        "https://www.facebook.com/sharer/sharer.php"}
    others = [link.url for link in reply.links if link.url not in x_links]
    assert not any("quote=" in url or "text=" in url for url in others)
    return posts


async def test_three_tweets_fit_x_and_carry_the_campaign_hashtag(app: App):
    await onboard(app)

    reply = await app.run(ANNA, writing.tweet, topic="Parkering i centrum")

    posts = _assert_drafts(reply, "#BlekingeFöretagare", "Parkering i centrum")
    assert render(reply.title, "sv") == "Tre tweetutkast: Parkering i centrum"
    assert any("Annas Blommor" in post for post in posts)


async def test_tweets_about_an_issue_tag_the_politician_and_the_media_with_the_issues_hashtag(
        app: App, issues):
    await onboard(app)

    reply = await app.run(ANNA, writing.tweet, issue="7")

    posts = _assert_drafts(reply, "@kommunalrad_kk", "@blekingelt", "#ParkeraKarlskrona")
    assert all("#BlekingeFöretagare" not in post for post in posts)
    assert any("den 17/12" in post for post in posts)


async def test_an_issue_may_be_chosen_by_its_title_and_its_hashtag_is_normalized(app: App, issues):
    await onboard(app)

    reply = await app.run(ANNA, writing.tweet, issue="hamnens")

    _assert_drafts(reply, "@ronnebyrad", "@ronnebytidning", "#Hamnen")


async def test_long_topics_and_company_names_in_emoji_and_cjk_are_shortened_to_fit(app: App):
    await onboard(app, company="Ett mycket långt företagsnamn med många ord 日本語 och 🌸🌸🌸 "
                               "Aktiebolag i Blekinge län")

    reply = await app.run(ANNA, writing.tweet, topic="🚗" * 20 + " 停车场 " * 10 + "x" * 30)

    _assert_drafts(reply, "#BlekingeFöretagare")


async def test_without_an_issue_the_open_issues_are_offered(app: App, issues):
    await onboard(app)

    reply = await app.run(ANNA, writing.tweet)

    assert "7: Parkering i centrum den 17/12" in field_value(reply, "Öppna frågor du kan skriva om")


@pytest.mark.parametrize(("options", "key"), [
    ({"topic": "x" * 101}, "errors.too_long"),
    ({"issue": "Flygplatsen"}, "coaching.errors.unknown_issue"),
])
async def test_bad_input_to_tweet_gets_a_clear_message(app: App, issues, options, key):
    await onboard(app)

    with pytest.raises(UserError) as refused:
        await app.run(ANNA, writing.tweet, **options)

    found = refused.value.problem.key if isinstance(refused.value, FieldProblem) else refused.value.text.key
    assert found == key
    if key == "coaching.errors.unknown_issue":
        assert "7: Parkering i centrum" in render(refused.value.text, "sv")


async def test_an_unknown_issue_when_there_are_none_says_so(app: App):
    await onboard(app)

    with pytest.raises(UserError) as refused:
        await app.run(ANNA, writing.blog, issue="12")

    assert render(refused.value.text, "en") == \
        'I cannot find an open issue "12". There are no open issues right now.'


async def test_a_blog_prompt_has_titles_and_an_outline_with_the_business_angle(app: App, issues):
    await onboard(app)

    reply = await app.run(ANNA, writing.blog, issue="Parkering i centrum")

    assert render(reply.title, "sv") == "Blogginlägg: Parkering i centrum"
    assert len(field_value(reply, "Rubrikidéer").splitlines()) == 3
    assert "Annas Blommor" in field_value(reply, "Vad det betyder för mitt företag")
    assert "För en butik" in field_value(reply, "Vad det betyder för mitt företag")
    assert "Eva Ek" in field_value(reply, "Vad politikerna kan göra")
    assert "#ParkeraKarlskrona" in field_value(reply, "Uppmaning")


# -- /coach feedback -----------------------------------------------------------------------------------------


async def test_feedback_puts_the_three_most_important_fixes_first_and_improves_in_the_members_voice(app: App):
    await onboard(app)
    draft = "KOMMUNEN ÄR INKOMPETENT!!! Fixa parkeringen vid torget " + "nu " * 90

    reply = await app.run(ANNA, writing.feedback, draft=draft)

    first = field_value(reply, "Fixa först").splitlines()
    assert len(first) == 3
    assert first[0].startswith("1. Inlägget är för långt")
    assert first[1].startswith("2. Tonen: undvik ord som \"inkompetent\"")
    assert first[2].startswith("3. Visa affärsnyttan")
    more = field_value(reply, "Mer att tänka på")
    assert "#BlekingeFöretagare" in more and "Ställ en fråga" in more
    improved = field_value(reply, "Förbättrad version")
    assert fits_x(improved) and "#BlekingeFöretagare" in improved and "?" in improved
    # The improved version drops what the feedback asks the member to drop, and keeps the rest of their words.
    assert improved.startswith("Fixa parkeringen vid torget")
    assert "inkompetent" not in improved.lower() and "!!" not in improved


@pytest.mark.parametrize(("draft", "kept"), [
    ("Bra jobbat med torget. Men avgiften är en skandal! Hur tänker ni?",
     "Bra jobbat med torget. Hur tänker ni?"),
    ("Ni idioter, fixa parkeringen.", "Fixa parkeringen."),
    ("@kommunalrad_kk ni är idioter! Fixa det. #ParkeraKarlskrona",
     "@kommunalrad_kk Fixa det. #ParkeraKarlskrona"),
    ("Läs https://example.se/a,b. Fy fan!", "Läs https://example.se/a,b."),
    ("Mejla a@b.se, idioter", "Mejla a@b.se"),
    ("Ni är idioter", ""),
    ("Parkeringen är viktig, tycker vi.", "Parkeringen är viktig, tycker vi."),
])
def test_harsh_clauses_go_but_mentions_hashtags_and_the_rest_stay(draft: str, kept: str):
    assert rules.without_harsh_words(draft) == kept


async def test_an_improved_version_of_nothing_but_insults_still_offers_something_to_post(app: App):
    await onboard(app)

    reply = await app.run(ANNA, writing.feedback, draft="Ni är idioter")

    improved = field_value(reply, "Förbättrad version")
    assert "idiot" not in improved.lower()
    assert "Annas Blommor" in improved and "?" in improved and "#BlekingeFöretagare" in improved


async def test_feedback_knows_the_issues_politician_and_media(app: App, issues):
    await onboard(app)

    reply = await app.run(ANNA, writing.feedback,
                          draft="Hur tänker ni kring parkeringen? Våra kunder behöver den.", issue="7")

    assert "Nämn en politiker med @namn (till exempel @kommunalrad_kk)" in field_value(reply, "Fixa först")
    improved = field_value(reply, "Förbättrad version")
    assert improved.startswith("@kommunalrad_kk Hur tänker ni")
    assert "@blekingelt #ParkeraKarlskrona" in improved


async def test_a_good_draft_gets_praise_and_nothing_to_fix(app: App, issues):
    await onboard(app)
    draft = ("@kommunalrad_kk Hur röstar ni om parkeringen? För våra kunder på Annas Blommor är den viktig. "
             "@blekingelt #ParkeraKarlskrona")

    reply = await app.run(ANNA, writing.feedback, draft=draft, issue="7")

    assert render(reply.body, "sv") == "Snyggt! Inget viktigt att fixa."
    assert len(field_value(reply, "Det här är bra").splitlines()) == 7
    assert field_value(reply, "Förbättrad version") == draft


async def test_without_issue_a_good_draft_is_known_by_its_hashtag_and_not_told_to_add_the_campaigns(
        app: App, issues):
    await onboard(app)
    draft = ("@kommunalrad_kk Hur röstar ni om parkeringen? För våra kunder på Annas Blommor är den viktig. "
             "@blekingelt #ParkeraKarlskrona")

    reply = await app.run(ANNA, writing.feedback, draft=draft)

    assert render(reply.body, "sv") == "Snyggt! Inget viktigt att fixa."
    assert "#BlekingeFöretagare" not in shown(reply)
    assert field_value(reply, "Förbättrad version") == draft


async def test_without_issue_a_draft_is_known_by_its_politician_and_asked_for_the_issues_media(
        app: App, issues):
    await onboard(app, municipality="ronneby")
    # Anna is in Ronneby, the draft asks Karlskrona's politician: it is about parking, not the harbour.
    draft = "@kommunalrad_kk Hur röstar ni om parkeringen? Våra kunder behöver den. #BlekingeFöretagare"

    reply = await app.run(ANNA, writing.feedback, draft=draft)

    assert render(reply.body, "sv").startswith("En sak att fixa.")
    assert field_value(reply, "Fixa först") == \
        "1. Tagga lokala medier (till exempel @blekingelt), så kan de nappa på frågan."
    assert "Hashtaggen #BlekingeFöretagare är med." in field_value(reply, "Det här är bra")
    assert field_value(reply, "Förbättrad version") == f"{draft} @blekingelt"


async def test_feedback_counts_what_there_is_to_fix(app: App, issues):
    await onboard(app)

    reply = await app.run(ANNA, writing.feedback, draft="Våra kunder behöver parkeringen.", issue="7")

    assert render(reply.body, "sv").startswith("4 saker att fixa")
    assert render(reply.body, "en").startswith("4 things to fix")


async def test_a_long_text_is_read_as_a_blog_paragraph(app: App):
    await onboard(app)
    paragraph = ("Parkeringen i centrum är viktig för oss. " * 20).strip()

    reply = await app.run(ANNA, writing.feedback, draft=paragraph)

    assert render(reply.title, "en") == "Feedback on your paragraph"
    assert "Improved version" in render(reply.body, "en")
    assert "Stycket har 140 ord" in field_value(reply, "Fixa först")


async def test_a_short_draft_said_to_be_a_blog_paragraph_gets_paragraph_feedback(app: App):
    await onboard(app)

    reply = await app.run(ANNA, writing.feedback, draft="Parkeringen i centrum är viktig för oss.",
                          kind=writing.DraftKind.BLOG)

    assert render(reply.title, "en") == "Feedback on your paragraph"


@pytest.mark.parametrize(("typed", "kind"), [("tweet", "tweet"), ("Bloggstycke", "blog"), ("blogg", "blog"),
                                             ("inlägg", "tweet"), ("blog paragraph", "blog")])
def test_a_draft_kind_is_read_by_its_value_its_name_or_a_shorter_word(typed: str, kind: str):
    assert writing.DRAFT_KIND.read(typed) == kind


def test_an_unknown_draft_kind_says_which_kinds_there_are():
    with pytest.raises(UserError) as refused:  # what the edges read a draft's kind with
        writing.DRAFT_KIND.read("dikt")

    assert render(refused.value.text, "sv") == '"dikt" är ingen typ av text. Välj tweet eller blogg.'


@pytest.mark.parametrize(("draft", "key"), [
    (None, "errors.required"),
    ("   ", "errors.required"),
    ("x" * 2001, "errors.too_long"),
])
async def test_bad_input_to_feedback_gets_a_clear_message(app: App, draft: str | None, key: str):
    await onboard(app)

    with pytest.raises(FieldProblem) as refused:
        await app.run(ANNA, writing.feedback, draft=draft)

    assert refused.value.problem.key == key
