"""Agenda items matched against the group's topics and keywords, in Swedish: inflections and compounds."""

from __future__ import annotations

import pytest

from bot.services import civics
from bot.services.agenda_matching import TOPIC_WORDS, Match, match, read_keywords, title_key


@pytest.mark.parametrize(("title", "topic"), [
    ("Motion om fler parkeringsplatser vid Stortorget", "parkering"),
    ("Ny parkeringsavgift i centrum", "parkering"),
    ("Fler P-platser vid resecentrum", "parkering"),
    ("Infartsparkeringen vid Amiralen", "parkering"),
    ("Upphandling av snöröjning 2027", "upphandling"),
    ("Ombyggnad av gångbron över Borgmästarefjärden", "infrastruktur"),
    ("Cykelvägen mellan Lyckeby och Nättraby", "infrastruktur"),
    ("Nya vägar i Rödeby", "infrastruktur"),
    ("Skolskjutsar inför läsåret", "skola"),
    ("Grundskolans lokaler i Jämjö", "skola"),
    ("Näringslivsprogram för Karlskrona kommun", "naringslivsklimat"),
    ("Etablering av logistikcentrum i Vämö", "naringslivsklimat"),
    ("Detaljplan för kvarteret Hästen", "bostader"),
    ("Nya busslinjer till Trossö", "kollektivtrafik"),
    ("Strategi för besöksnäringen", "besoksnaring"),
])
def test_a_title_names_its_topic_inflected_and_in_compounds(title: str, topic: str):
    assert match([title], []) == Match(topic=topic)


def test_every_topic_has_its_words():
    assert set(TOPIC_WORDS) == set(civics.TOPICS)


@pytest.mark.parametrize("title", [
    "Brottsförebyggande rådets verksamhetsplan",   # "bro" only as a word's head
    "Val av revisorer",
    "Vägran att lämna ut handlingar",              # "väg" is not a word's head here
    "Årsredovisning för kommunens stiftelser",
])
def test_a_title_naming_no_topic_matches_nothing(title: str):
    assert match([title], []) is None


def test_a_coordinators_keyword_matches_inflected_and_in_compounds():
    keywords = read_keywords("torget, Stortorget, Affärsverken")
    assert match(["Stortorgets framtida utformning"], keywords) == Match(keyword="torget")
    assert match(["Ägardirektiv för AFFÄRSVERKEN"], keywords) == Match(keyword="Affärsverken")
    assert match(["Sammanträde i fullmäktige"], keywords) is None


def test_a_keyword_of_several_words_matches_them_in_a_row():
    assert match(["Ny plan för Västra hamnen"], ["västra hamn"]) == Match(keyword="västra hamn")
    assert match(["Hamnen i västra Karlskrona"], ["västra hamn"]) is None


def test_the_meetings_title_counts_too():
    assert match(["Ärende 4", "Kungörelse: tekniska nämnden om parkering"], []) == Match(topic="parkering")


def test_keywords_are_read_without_blanks_or_repeats():
    assert read_keywords(" torget ,, Torget, Affärs  verken ,") == ["torget", "Affärs verken"]


def test_the_same_title_from_two_sources_has_one_key():
    assert title_key("Motion om  parkering vid Stortorget.") == \
        title_key("motion om parkering vid stortorget")
