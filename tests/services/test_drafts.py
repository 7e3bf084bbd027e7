"""Drafts: X's way of counting, hashtags, handles and share links."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

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
])
def test_x_length_counts_as_x_does(post: str, length: int):
    assert drafts.x_length(post) == length


def test_a_post_of_280_latin_characters_fits_and_281_does_not():
    assert drafts.fits_x("a" * 280) and not drafts.fits_x("a" * 281)
    assert not drafts.fits_x("🙂" * 141)


@pytest.mark.parametrize(("raw", "tag"), [("#BlekingeBygger", "#BlekingeBygger"), ("företagKarlskrona",
                                                                                   "#företagKarlskrona")])
def test_a_hashtag_is_one_word(raw: str, tag: str):
    assert drafts.normalize_hashtag(raw) == tag


@pytest.mark.parametrize("raw", ["", "#", "två ord", "#2026", "#tag!"])
def test_a_hashtag_with_spaces_or_signs_is_refused(raw: str):
    with pytest.raises(FieldProblem):
        drafts.normalize_hashtag(raw)


def test_share_links_carry_the_whole_post():
    post = "Hej @kommunalrad! Hur tänker ni om parkeringen? #BlekingeBygger @lokaltidningen"

    x, linkedin, facebook = drafts.share_links(post, hashtag="#BlekingeBygger")

    assert x.url.startswith("https://x.com/intent/post?")
    assert parse_qs(urlsplit(x.url).query)["text"] == [post]
    assert parse_qs(urlsplit(linkedin.url).query)["text"] == [post]
    query = parse_qs(urlsplit(facebook.url).query)
    assert query["quote"] == [post] and query["u"] == ["https://x.com/hashtag/BlekingeBygger"]
