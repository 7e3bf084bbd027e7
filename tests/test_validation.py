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
