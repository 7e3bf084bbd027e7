"""Drafts: X's way of counting, hashtags, handles and share links."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from twitter_text import parse_tweet

from bot.services import drafts
from bot.validation import FieldProblem


@pytest.mark.parametrize(("post", "length"), [
    ("Hej Karlskrona!", 15),
    ("åäö ÅÄÖ", 7),
    ("Läs mer: https://example.se/en/mycket/lang/adress/som/fortsatter?med=parametrar", 9 + 23),
    ("Se www.blekinge.se nu", 3 + 23 + 3),
    ("👍", 2),
    ("👍🏽", 2),  # a skin tone does not add
    ("👨‍👩‍👧", 2),  # a family joined with ZWJ is one emoji
    ("日本", 4),
    ("“citat”", 7),
    # Counted as twitter-text counts them, where a count by hand went wrong:
    ("Läs på example.travel/program nu", 7 + 23 + 3),  # a link under any TLD is 23
    ("Se rathaus.de.", 3 + 23 + 1),  # the full stop after a link is not part of it
    ("Mejla anna@blommor.se", 6 + 15),  # an e-mail address is text, not a link
    ("🇸🇪", 2),  # a flag is one emoji
    ("Vi… och ©", 2 + 2 + 5 + 2),  # the ellipsis and © weigh two
])
def test_x_length_counts_as_x_does(post: str, length: int):
    assert drafts.x_length(post) == length


@pytest.mark.parametrize("post", [
    "Rad ett\r\nrad två\n\nrad tre",
    "Mellanslag\u3000ideografiskt och\u00a0hårt",
    "👨\u200d👩\u200d👧 och 🇸🇪🇩🇪 och 1\ufe0f\u20e3",
    "Se https://example.travel/a?b=c. och www.exempel.de/x), eller mejla a@b.se!",
    "e\u0301 kombinerad och ǅ",
])
def test_counting_word_by_word_gives_the_ports_count_of_the_whole_text(post: str):
    assert drafts.x_length(post) == parse_tweet(post).weightedLength


def test_a_post_of_280_latin_characters_fits_and_281_does_not():
    assert drafts.fits_x("a" * 280) and not drafts.fits_x("a" * 281)
    assert not drafts.fits_x("🙂" * 141)


def test_shortening_cuts_prose_at_a_word_boundary_and_keeps_every_handle_hashtag_and_link():
    post = ("@kommunalrad_xy Hej! Hur röstar ni om parkeringen i centrum, och vad betyder det för oss som "
            "har butik där? Läs https://example.travel/a.b #ParkeraKarlskrona @blt_se")

    short = drafts.shorten(post, lambda cut: drafts.x_length(cut) <= 110)

    assert drafts.x_length(short) <= 110
    assert short.startswith("@kommunalrad_xy Hej! Hur röstar ni")
    assert short.endswith("… https://example.travel/a.b #ParkeraKarlskrona @blt_se")
    assert set(short.replace("…", "").split()) <= set(post.split())


def test_shortening_leaves_a_fitting_post_alone_and_drops_no_dangling_comma():
    assert drafts.shorten("Kort och bra #Tag") == "Kort och bra #Tag"
    assert drafts.shorten("Ett, två, tre #Tag", lambda cut: len(cut) <= 15) == "Ett, två… #Tag"


@pytest.mark.parametrize(("raw", "tag"), [("#BlekingeBygger", "#BlekingeBygger"), ("företagKarlskrona",
                                                                                   "#företagKarlskrona")])
def test_a_hashtag_is_one_word(raw: str, tag: str):
    assert drafts.normalize_hashtag(raw) == tag


@pytest.mark.parametrize("raw", ["", "#", "två ord", "#2026", "#tag!"])
def test_a_hashtag_with_spaces_or_signs_is_refused(raw: str):
    with pytest.raises(FieldProblem):
        drafts.normalize_hashtag(raw)


def test_the_x_link_carries_the_whole_post_and_without_a_source_it_is_the_only_link():
    post = "Hej @kommunalrad! Hur tänker ni om parkeringen? #BlekingeBygger @lokaltidningen"

    (x,) = drafts.share_links(post)

    assert x.url.startswith("https://x.com/intent/post?")
    assert parse_qs(urlsplit(x.url).query)["text"] == [post]


def test_linkedin_and_facebook_share_the_source_and_never_the_text():
    post = "Hej @kommunalrad! Hur tänker ni om parkeringen? #BlekingeBygger"
    source = "https://www.karlskrona.se/arenden/parkering?id=17&visa=ja"

    _x, linkedin, facebook = drafts.share_links(post, url=source)

    assert linkedin.url.startswith("https://www.linkedin.com/sharing/share-offsite/?")
    assert parse_qs(urlsplit(linkedin.url).query) == {"url": [source]}
    assert facebook.url.startswith("https://www.facebook.com/sharer/sharer.php?")
    assert parse_qs(urlsplit(facebook.url).query) == {"u": [source]}


def test_share_links_give_only_the_platforms_asked_for():
    source = "https://example.de/rathaus"

    links = drafts.share_links("Hej #Tag", url=source, platforms=("linkedin",))

    assert [link.url.split("?")[0] for link in links] == ["https://www.linkedin.com/sharing/share-offsite/"]


def test_a_post_too_long_for_a_button_keeps_its_x_button_with_the_prose_shortened():
    post = ("Åsa på Ödeshögs Ålderdomliga Ängsgård undrar över örtagårdarnas öde. " * 4
            + "@kommunalrad_xy #ÖppnaÄngarnaÅterIgen https://example.travel/ängar")
    assert len(drafts._intent_url(post)) > drafts.MAX_LINK_URL

    (x,) = drafts.share_links(post)

    shared = parse_qs(urlsplit(x.url).query)["text"][0]
    assert len(x.url) <= drafts.MAX_LINK_URL
    assert shared.startswith("Åsa på Ödeshögs") and "…" in shared
    assert shared.endswith("@kommunalrad_xy #ÖppnaÄngarnaÅterIgen https://example.travel/ängar")
