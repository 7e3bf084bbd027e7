"""Lists of days as coordinators type them: for question rounds and countdown stages alike."""

from __future__ import annotations

import pytest

from bot import validation
from bot.errors import UserError
from bot.i18n import render
from bot.replies import text
from bot.services import activity, asks, issues, timeline


@pytest.mark.parametrize(("typed", "days"), [
    ("21, 14", [21, 14]),
    ("7 14;3/7", [14, 7, 3]),  # any separator, duplicates once, latest first
    ("  Av ", []),
    ("INGA", []),
])
def test_a_list_of_days_is_read_latest_first(typed: str, days: list[int]):
    assert validation.day_list(typed, text("field.ask_days"), problem="errors.ask_days", lowest=1,
                               highest=30) == days


@pytest.mark.parametrize("typed", ["", "0", "31", "två veckor", "14, -3", ",,", "٣", "99999999999999999999"])
def test_a_day_outside_the_bounds_or_not_a_number_is_refused_with_the_highest_day(typed: str):
    with pytest.raises(validation.FieldProblem) as raised:
        validation.day_list(typed, text("field.ask_days"), problem="errors.ask_days", lowest=1, highest=30,
                            none_words=())
    assert "30" in render(raised.value.problem, "sv")


@pytest.mark.parametrize(("typed", "row_id"), [
    ("12", 12),
    (" #12 ", 12),  # as a list shows it
    ("007", 7),
    (str(validation.MAX_RECORD_ID), validation.MAX_RECORD_ID),  # the largest a PostgreSQL integer holds
])
def test_an_id_is_read_from_ascii_digits_with_or_without_a_hash(typed: str, row_id: int):
    assert validation.record_id(typed) == row_id


@pytest.mark.parametrize("typed", [
    None, "", " ", "#", "0", "-3", "+3", "1.0", "12abc", "1 2", "#-1",
    str(validation.MAX_RECORD_ID + 1), "9" * 20,  # beyond the database's integer: no row has it
    "٣", "３", "١٢", "²",  # digits of other scripts, which str.isdigit() and int() take
    "1\u200b", "\u202e12",
])
def test_what_cannot_be_an_id_is_none_not_a_number_never_typed(typed: str | None):
    assert validation.record_id(typed) is None


@pytest.mark.parametrize(("typed", "number"), [
    ("0", 0), ("-3", -3), (" 23 ", 23), ("+5", 5), ("9" * 18, int("9" * 18))])
def test_a_whole_number_is_read_in_ascii_digits_with_a_sign(typed: str, number: int):
    assert validation.whole_number(typed) == number


@pytest.mark.parametrize("typed", [None, "", "-", "3.5", "٣", "３", "1e3", "9" * 19, "--1"])
def test_a_whole_number_refuses_other_scripts_fractions_and_endless_digits(typed: str | None):
    assert validation.whole_number(typed) is None


def test_rounds_start_a_day_before_and_stages_may_fall_on_the_day_itself():
    assert asks.parse_ask_days("0") == []  # no rounds
    assert timeline.parse_days("0") == [0]  # the morning of the vote
    with pytest.raises(validation.FieldProblem):
        asks.parse_ask_days(str(asks.MAX_ASK_DAYS + 1))
    with pytest.raises(validation.FieldProblem):
        timeline.parse_days(str(timeline.MAX_DAYS + 1))


def test_days_are_shown_as_they_are_typed():
    assert render(validation.day_list_label([21, 14]), "sv") == "21, 14"


def test_fields_a_command_does_not_have_are_named_in_the_refusal():
    validation.refuse_unknown_fields({"title": "x"}, ("title", "summary"))
    with pytest.raises(UserError) as raised:
        validation.refuse_unknown_fields({"title": "x", "zz": "1", "aa": ""}, ("title", "summary"))
    assert raised.value.text.key == "errors.unknown_fields"
    assert raised.value.text.params["fields"] == "aa, zz"


def test_read_all_returns_the_values_by_name_or_reports_every_problem_at_once():
    def refused(name: str) -> str:
        raise validation.FieldProblem(text(f"field.{name}"), text("errors.email", value=name))

    assert validation.read_all({"a": lambda: 1, "b": lambda: "two"}) == {"a": 1, "b": "two"}
    with pytest.raises(validation.FieldProblem):  # one problem is raised as it is
        validation.read_all({"ok": lambda: 1, "email": lambda: refused("email")})
    with pytest.raises(validation.FormProblems) as several:
        validation.read_all(
            {"email": lambda: refused("email"), "title": lambda: refused("title"), "ok": lambda: 1}
        )
    assert [p.field_label for p in several.value.problems] == [text("field.email"), text("field.title")]


def test_a_choice_set_reads_a_value_label_or_alias_as_its_enum_and_refuses_as_choice_does():
    assert issues.STATUS.read("stängda") is issues.IssueStatus.CLOSED
    assert issues.STATUS.read("Closed") is issues.IssueStatus.CLOSED
    assert issues.STATUS.read(issues.IssueStatus.ALL) is issues.IssueStatus.ALL
    assert issues.STATUS.read(" ") is None
    assert activity.KIND.read("Bloggade") is activity.ActivityKind.BLOG
    assert all(type(c.value) is issues.IssueStatus for c in issues.STATUS_CHOICES)
    with pytest.raises(validation.FieldProblem) as by_set:
        issues.STATUS.read("stängd?")
    with pytest.raises(validation.FieldProblem) as by_choice:
        validation.choice("stängd?", text("field.status"), issues.STATUS_CHOICES)
    assert render(by_set.value.text, "sv") == render(by_choice.value.text, "sv")
    with pytest.raises(validation.FieldProblem) as missing:
        activity.KIND.required(None)
    assert missing.value.problem.key == "errors.required"


INVISIBLE = [
    "\u200b",                      # zero-width space
    " \u200c\u200d\u2060\ufeff ",  # joiners, word joiner, byte order mark among spaces
    "\u202e",                      # a right-to-left override alone
    "\u2068\u2069\u200f",          # an empty isolate and a right-to-left mark
    "\ufe0f\U000e0041",            # a variation selector and a tag character
    "\u0301",                      # a combining accent with nothing to sit on
    "\u3164\u2800",                # the Hangul filler and the empty braille pattern
    "\u00a0\u3000",                # no-break and ideographic spaces
]


@pytest.mark.parametrize("typed", INVISIBLE)
def test_a_required_text_with_nothing_visible_is_refused_as_missing(typed: str):
    with pytest.raises(validation.FieldProblem) as raised:
        validation.clean_text(typed, text("field.title"), max_length=100, required=True)

    assert raised.value.problem.key == "errors.required"
    assert render(raised.value.text, "sv") == "Titel: måste fyllas i."


@pytest.mark.parametrize("typed", INVISIBLE)
def test_an_optional_text_with_nothing_visible_is_not_given(typed: str):
    assert validation.clean_text(typed, text("field.note"), max_length=100) is None


@pytest.mark.parametrize("typed", [
    "Åsa Ek", "Par\u200bkering", "❤\ufe0f", "👩\u200d🌾 Odlarna", "e\u0301", "شركة البناء", "\u202eAB",
])
def test_a_text_with_something_visible_is_kept_as_typed(typed: str):
    assert validation.clean_text(typed, text("field.title"), max_length=100, required=True) == typed


def problem_of(check, typed: str) -> str:
    with pytest.raises(validation.FieldProblem) as raised:
        check(typed)
    return render(raised.value.text, "sv")


def handle(typed: str) -> str | None:
    return validation.x_handle(typed, text("field.x_handle"))


@pytest.mark.parametrize(("typed", "stored"), [
    ("@annasblommor", "annasblommor"),
    ("Anna_B", "Anna_B"),
    ("https://x.com/annasblommor", "annasblommor"),
    ("x.com/annasblommor?s=21&t=abc", "annasblommor"),  # as the app's share button copies it
    ("https://mobile.twitter.com/@annasblommor/", "annasblommor"),
    ("", None),
])
def test_a_handle_is_read_from_a_name_or_a_profile_link(typed: str, stored: str | None):
    assert handle(typed) == stored


@pytest.mark.parametrize("typed", ["@everyone", "here", "@Channel", "https://x.com/everyone"])
def test_a_word_that_calls_everyone_is_no_handle_and_the_refusal_shows_what_was_typed(typed: str):
    message = problem_of(handle, typed)

    assert message.startswith(f'X/Twitter: "{typed}" är inget X-konto: @everyone, @here och @channel')


@pytest.mark.parametrize(("typed", "key"), [
    ("@TwitterSupport", "errors.x_handle_reserved"),  # X allows no new name with these words
    ("@siteadmin", "errors.x_handle_reserved"),
    ("https://x.com/home", "errors.x_handle"),          # a page of the site, not a profile
    ("@anna blommor", "errors.x_handle"),
    ("@" + "a" * 16, "errors.x_handle"),
])
def test_a_handle_x_would_not_allow_is_refused_with_what_was_typed(typed: str, key: str):
    with pytest.raises(validation.FieldProblem) as raised:
        handle(typed)

    assert raised.value.problem.key == key
    assert raised.value.problem.params["value"] == typed


def email(typed: str) -> str | None:
    return validation.email_address(typed, text("field.email"))


@pytest.mark.parametrize(("typed", "stored"), [
    ("asa.ek@karlskrona.se", "asa.ek@karlskrona.se"),
    (" Asa.Ek@Karlskrona.SE ", "Asa.Ek@karlskrona.se"),  # the domain in lower case, the mailbox as typed
    ("åsa@räksmörgås.se", "åsa@räksmörgås.se"),
    # Only the form is checked, nobody asks DNS: a domain that does not exist (yet) passes.
    ("kim@jobbskaparna-finns-inte-0x1f.se", "kim@jobbskaparna-finns-inte-0x1f.se"),
    ("", None),
])
def test_an_email_address_is_checked_by_its_form_only(typed: str, stored: str | None):
    assert email(typed) == stored


@pytest.mark.parametrize("typed", [
    "<script>@x.se", "Åsa Ek <asa@x.se>", "asa@x", "asa..ek@x.se", "asa@x.se.", "@x.se", "asa@", "nej",
    'asa"ek@x.se', "asa@-x.se", "asa@host.localhost",
])
def test_what_is_no_email_address_is_refused_in_swedish_with_what_was_typed(typed: str):
    message = problem_of(email, typed)

    assert message == f'E-post: "{typed}" är ingen e-postadress.'


def link(typed: str) -> str | None:
    return validation.web_url(typed, text("field.source"))


@pytest.mark.parametrize(("typed", "stored"), [
    ("karlskrona.se/kf", "https://karlskrona.se/kf"),
    ("http://karlskrona.se", "http://karlskrona.se"),
    ("HTTPS://Karlskrona.se/KF?a=1&b=2#x", "HTTPS://Karlskrona.se/KF?a=1&b=2#x"),
    ("karlskrona.se:8080/kf", "https://karlskrona.se:8080/kf"),  # a port is not a scheme
    ("https://räksmörgås.se", "https://räksmörgås.se"),
])
def test_a_web_link_is_kept_with_https_added_when_left_out(typed: str, stored: str):
    assert link(typed) == stored


@pytest.mark.parametrize(("typed", "scheme"), [
    ("javascript:alert(1)", "javascript"),
    ("JavaScript://%0aalert(1)", "JavaScript"),
    ("data:text/html,<b>hej</b>", "data"),
    ("mailto:kim@example.com", "mailto"),
    ("ftp://karlskrona.se", "ftp"),
])
def test_a_link_of_another_scheme_is_refused_showing_it_as_typed_not_as_https(typed: str, scheme: str):
    message = problem_of(link, typed)

    assert message.startswith(f'Källa: "{typed}" går inte att spara som länk: den börjar med {scheme}:')
    assert "https://" + typed not in message


@pytest.mark.parametrize("typed", [
    "karlskrona", "http://karlskrona", "https:/karlskrona.se", "karl skrona.se", "karlskrona.se:abc",
    "https://karlskrona.se@elsewhere.example", 'karlskrona.se/"><script>', "https://-x.se", "https://x..se",
    "karlskrona.se/\u202eexe.fdp", "https://" + "a" * 300 + ".se",
])
def test_what_is_no_web_link_is_refused_showing_it_as_typed(typed: str):
    message = problem_of(link, typed)

    assert message == f'Källa: "{typed[:60]}" är inte en webbadress. Skriv till exempel https://dittforetag.se.'


@pytest.mark.parametrize("typed", ["Parkering\u200b", "\ufeffParkering", "\u200d Parkering \u2060"])
def test_invisible_characters_at_the_ends_of_a_text_are_dropped_with_the_white_space(typed: str):
    assert validation.clean_text(typed, text("field.title"), max_length=100) == "Parkering"


def test_a_joiner_inside_a_text_stays_where_it_joins_an_emoji():
    family = "Familjen \U0001F468\u200d\U0001F469\u200d\U0001F467"
    assert validation.clean_text(family, text("field.title"), max_length=100) == family
