"""Reading a decision time as people write it, in Swedish and English, in Stockholm's time (DST included)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.errors import UserError
from bot.i18n import render
from bot.replies import When, text
from bot.timeparse import parse_date, parse_moment, parse_weekday
from bot.validation import FieldProblem

STOCKHOLM = ZoneInfo("Europe/Stockholm")
ZONE = "Europe/Stockholm"
# Tuesday 1 December 2026, 10:00 in Stockholm.
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def local(raw: str, now: datetime = NOW) -> tuple[datetime, bool]:
    moment = parse_moment(raw, now, ZONE)
    assert moment.at.tzinfo is not None and moment.at.utcoffset().total_seconds() == 0
    return moment.at.astimezone(STOCKHOLM).replace(tzinfo=None), moment.has_time


def refused(raw: str, now: datetime = NOW) -> UserError:
    with pytest.raises(UserError) as error:
        parse_moment(raw, now, ZONE)
    return error.value


@pytest.mark.parametrize(("raw", "expected"), [
    ("17 dec 18:00", datetime(2026, 12, 17, 18, 0)),
    ("17 december 2026 kl. 18", datetime(2026, 12, 17, 18, 0)),
    ("17 december 2026 kl 18.30", datetime(2026, 12, 17, 18, 30)),
    ("den 17:e december klockan 18:00", datetime(2026, 12, 17, 18, 0)),
    ("2026-12-17 18:00", datetime(2026, 12, 17, 18, 0)),
    ("2026-12-17T18:00", datetime(2026, 12, 17, 18, 0)),
    ("17/12 18:00", datetime(2026, 12, 17, 18, 0)),
    ("17/12/2026 kl. 18", datetime(2026, 12, 17, 18, 0)),
    ("17/12 2026 18:00", datetime(2026, 12, 17, 18, 0)),
    ("Dec 17 6pm", datetime(2026, 12, 17, 18, 0)),
    ("December 17, 2026 6:30 pm", datetime(2026, 12, 17, 18, 30)),
    ("17th December at 6 p.m.", datetime(2026, 12, 17, 18, 0)),
    ("12/17 6pm", datetime(2026, 12, 17, 18, 0)),  # an English month/day shows itself by the 17
    ("torsdag 17 dec 18:00", datetime(2026, 12, 17, 18, 0)),
    ("17 DEC 18:00", datetime(2026, 12, 17, 18, 0)),
])
def test_dates_with_a_time_in_swedish_and_english(raw: str, expected: datetime):
    assert local(raw) == (expected, True)


@pytest.mark.parametrize(("raw", "expected"), [
    ("tisdag 18:00", datetime(2026, 12, 1, 18, 0)),  # today is a Tuesday, and 18:00 is still ahead: today
    ("tuesday 6pm", datetime(2026, 12, 1, 18, 0)),
    ("tisdag", datetime(2026, 12, 1, 12, 0)),  # a day alone is in time all day
    ("tisdag 08:00", datetime(2026, 12, 8, 8, 0)),  # 08:00 has passed this Tuesday: the next one
    ("nästa tisdag kl 18", datetime(2026, 12, 8, 18, 0)),  # "next" is never today
    ("next tuesday 6pm", datetime(2026, 12, 8, 18, 0)),
    ("onsdag 09:00", datetime(2026, 12, 2, 9, 0)),
    ("on wednesday at 9am", datetime(2026, 12, 2, 9, 0)),
    ("måndag 13:15", datetime(2026, 12, 7, 13, 15)),
    ("mandag 13:15", datetime(2026, 12, 7, 13, 15)),
    ("sön 12", datetime(2026, 12, 6, 12, 0)),
    ("fri 12am", datetime(2026, 12, 4, 0, 0)),
    ("fri 12pm", datetime(2026, 12, 4, 12, 0)),
])
def test_a_weekday_is_the_next_such_day_on_which_the_time_is_still_ahead(raw: str, expected: datetime):
    assert local(raw)[0] == expected


@pytest.mark.parametrize(("raw", "expected"), [
    ("i morgon 09:00", datetime(2026, 12, 2, 9, 0)),
    ("imorgon kl 9", datetime(2026, 12, 2, 9, 0)),
    ("tomorrow 9:00", datetime(2026, 12, 2, 9, 0)),
    ("i dag 18:00", datetime(2026, 12, 1, 18, 0)),
    ("today 6pm", datetime(2026, 12, 1, 18, 0)),
    ("i övermorgon 08:30", datetime(2026, 12, 3, 8, 30)),
])
def test_today_and_tomorrow(raw: str, expected: datetime):
    assert local(raw) == (expected, True)


def test_a_date_without_a_year_is_the_nearest_such_date():
    assert local("28 jan 18:00") == (datetime(2027, 1, 28, 18, 0), True)  # in December: the coming January
    assert local("3 jan") == (datetime(2027, 1, 3, 12, 0), False)
    assert local("1 dec 11:00") == (datetime(2026, 12, 1, 11, 0), True)  # later today
    assert local("29 feb") == (datetime(2028, 2, 29, 12, 0), False)  # the next year that has it


@pytest.mark.parametrize(("raw", "read_as"), [
    ("1 dec 09:00", "tisdag 1 december 2026 kl. 09:00"),  # an hour ago: not next year
    ("1 dec 09:59", "tisdag 1 december 2026 kl. 09:59"),
    ("30 nov", "måndag 30 november 2026"),  # yesterday's date: not next year
    ("15 aug 18:00", "lördag 15 augusti 2026 kl. 18:00"),  # nearer behind than ahead
])
def test_a_date_without_a_year_that_has_passed_is_refused_not_moved_a_year(raw: str, read_as: str):
    error = refused(raw)

    assert error.text.key == "time.past"
    assert render(error.text, "sv") == (
        f'"{raw}" läser jag som {read_as}, och den tiden har redan varit. Ange en tid som ligger framåt.'
    )


@pytest.mark.parametrize(("raw", "read_as"), [
    ("igår", "måndag 30 november 2026"),
    ("i går 18:00", "måndag 30 november 2026 kl. 18:00"),
    ("yesterday 6pm", "måndag 30 november 2026 kl. 18:00"),
    ("i förrgår", "söndag 29 november 2026"),
])
def test_yesterday_is_read_and_refused_as_passed(raw: str, read_as: str):
    error = refused(raw)

    assert error.text.key == "time.past"
    assert f"läser jag som {read_as}, och den tiden har redan varit" in render(error.text, "sv")


def test_a_date_alone_is_kept_at_noon_and_marked_as_without_time():
    assert local("17 dec") == (datetime(2026, 12, 17, 12, 0), False)
    assert local("2026-12-17") == (datetime(2026, 12, 17, 12, 0), False)
    assert local("i dag") == (datetime(2026, 12, 1, 12, 0), False)  # today still counts without a time


def test_the_zone_is_daylight_saving_correct():
    summer = parse_moment("2027-06-15 18:00", NOW, ZONE)
    winter = parse_moment("2027-01-15 18:00", NOW, ZONE)

    assert summer.at == datetime(2027, 6, 15, 16, 0, tzinfo=UTC)
    assert winter.at == datetime(2027, 1, 15, 17, 0, tzinfo=UTC)


# Sunday 25 October 2026, when the clocks go back at 03:00 summer time: 02:00-02:59 comes twice.
FALL_BACK = datetime(2026, 10, 1, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize("raw", ["2026-10-25 02:30", "25 okt 02:30", "söndag 02:30"])
def test_a_time_that_comes_twice_the_night_the_clocks_go_back_is_asked_about(raw: str):
    now = datetime(2026, 10, 24, 10, 0, tzinfo=UTC) if raw.startswith("söndag") else FALL_BACK
    error = refused(raw, now)

    assert error.text.key == "time.ambiguous"
    assert render(error.text, "sv") == (
        "Klockan 02:30 kommer två gånger natten till söndag 25 oktober 2026, eftersom klockan då ställs "
        'tillbaka från sommartid till vintertid. Vilken menar du? Skriv "2026-10-25 02:30 sommartid" för den '
        'första (UTC+02:00) eller "2026-10-25 02:30 vintertid" för den andra (UTC+01:00).'
    )
    assert '"2026-10-25 02:30 summer time"' in render(error.text, "en")


@pytest.mark.parametrize(("raw", "expected"), [
    ("2026-10-25 02:30 sommartid", datetime(2026, 10, 25, 0, 30, tzinfo=UTC)),
    ("2026-10-25 02:30 vintertid", datetime(2026, 10, 25, 1, 30, tzinfo=UTC)),
    ("25 okt 02:30 Sommartid", datetime(2026, 10, 25, 0, 30, tzinfo=UTC)),
    ("2026-10-25 2:30am summer time", datetime(2026, 10, 25, 0, 30, tzinfo=UTC)),
    ("2026-10-25 02:30 winter time", datetime(2026, 10, 25, 1, 30, tzinfo=UTC)),
    ("2026-10-25 02:30 +02:00", datetime(2026, 10, 25, 0, 30, tzinfo=UTC)),
    ("2026-10-25T02:30+01:00", datetime(2026, 10, 25, 1, 30, tzinfo=UTC)),
    ("2026-10-25 02:30 UTC+1", datetime(2026, 10, 25, 1, 30, tzinfo=UTC)),
])
def test_the_readings_offered_for_a_doubled_time_are_accepted(raw: str, expected: datetime):
    assert parse_moment(raw, FALL_BACK, ZONE).at == expected


def test_a_doubled_time_is_said_back_with_which_one_it_is():
    winter = parse_moment("2026-10-25 02:30 vintertid", FALL_BACK, ZONE)

    assert render(When(winter.at, ZONE), "sv") == "söndag 25 oktober 2026 kl. 02:30 (vintertid)"
    assert render(When(winter.at, ZONE), "en") == "Sunday 25 October 2026, 02:30 (winter time)"
    assert render(When(winter.at - timedelta(hours=1), ZONE), "sv").endswith("kl. 02:30 (sommartid)")
    assert render(When(winter.at + timedelta(hours=1), ZONE), "sv").endswith("kl. 03:30")


def test_summer_or_winter_time_that_is_not_in_force_is_refused():
    error = refused("17 dec 18:00 sommartid")

    assert error.text.key == "time.season_mismatch"
    assert render(error.text, "sv") == (
        'Klockan 18:00 torsdag 17 december 2026 är det vintertid här, så "sommartid" stämmer inte. '
        "Ta bort det eller ange en annan tid."
    )
    assert parse_moment("17 dec 18:00 vintertid", NOW, ZONE).at == datetime(2026, 12, 17, 17, 0, tzinfo=UTC)


def test_a_utc_offset_fixes_the_moment_whatever_the_zone():
    assert parse_moment("17 dec 18:00 +02:00", NOW, ZONE).at == datetime(2026, 12, 17, 16, 0, tzinfo=UTC)


@pytest.mark.parametrize("raw", ["2027-03-28 02:30", "28 mars 2027 kl 02:30", "2027-03-28 02:30 sommartid"])
def test_an_hour_skipped_in_spring_is_refused_with_the_times_either_side(raw: str):
    error = refused(raw)

    assert error.text.key == "time.nonexistent"
    assert render(error.text, "sv") == (
        "Klockan 02:30 finns inte natten till söndag 28 mars 2027: då ställs klockan fram till sommartid och "
        'hoppar över den tiden. Skriv "2027-03-28 03:30" eller "2027-03-28 01:30" i stället.'
    )
    assert "does not exist on Sunday 28 March 2027" in render(error.text, "en")


@pytest.mark.parametrize(("raw", "expected"), [
    ("2027-03-28 03:30", datetime(2027, 3, 28, 1, 30, tzinfo=UTC)),
    ("2027-03-28 01:30", datetime(2027, 3, 28, 0, 30, tzinfo=UTC)),
])
def test_the_times_suggested_around_the_skipped_hour_are_accepted(raw: str, expected: datetime):
    assert parse_moment(raw, NOW, ZONE).at == expected


@pytest.mark.parametrize("raw", ["i dag 08:00", "2026-11-30 18:00", "1 dec 2026 09:59", "2025-12-17"])
def test_a_past_time_is_refused_with_the_time_shown(raw: str):
    error = refused(raw)

    assert error.text.key == "time.past"
    assert "har redan varit" in render(error.text, "sv")


def test_the_past_message_shows_the_moment_in_both_languages():
    error = refused("i dag 08:00")

    assert render(error.text, "sv") == (
        '"i dag 08:00" läser jag som tisdag 1 december 2026 kl. 08:00, och den tiden har redan varit. '
        "Ange en tid som ligger framåt."
    )
    assert render(error.text, "en") == (
        'I read "i dag 08:00" as Tuesday 1 December 2026, 08:00, which has already passed. '
        "Give a time in the future."
    )


@pytest.mark.parametrize("raw", ["", "   ", "snart", "17 dex 18:00", "17 dec 25:00", "17 dec 18:61", "18:00",
                                 "17 dec 18:00 eller 19", "tisdag onsdag", "13pm tomorrow"])
def test_what_is_not_a_time_gets_examples(raw: str):
    error = refused(raw)

    assert error.text.key == "time.unreadable"
    assert "17 dec 18:00" in render(error.text, "sv")


@pytest.mark.parametrize("raw", ["31 feb", "2027-02-30 18:00", "31/4"])
def test_a_date_that_does_not_exist_is_refused(raw: str):
    assert refused(raw).text.key == "time.bad_date"


def test_a_weekday_that_contradicts_the_date_is_refused():
    error = refused("tisdag 17 dec 18:00")

    assert error.text.key == "time.weekday_mismatch"
    assert "torsdag 17 december 2026" in render(error.text, "sv")


def test_a_time_years_away_is_probably_a_typo():
    assert refused("2036-12-17 18:00").text.key == "time.too_far"


def test_another_zone_gives_another_moment():
    helsinki = parse_moment("2026-12-17 18:00", NOW, "Europe/Helsinki")

    assert helsinki.at == datetime(2026, 12, 17, 16, 0, tzinfo=UTC)


@pytest.mark.parametrize(("raw", "expected"), [
    ("2026-11-20", date(2026, 11, 20)),
    ("20/11 2026", date(2026, 11, 20)),
    ("20 nov", date(2026, 11, 20)),
    ("5 dec", date(2025, 12, 5)),  # without a year: the latest such day that has come
    ("i dag", date(2026, 12, 1)),
    ("igår", date(2026, 11, 30)),
    ("yesterday", date(2026, 11, 30)),
])
def test_a_checked_date_is_a_day_that_has_come(raw: str, expected: date):
    assert parse_date(raw, date(2026, 12, 1)) == expected


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("2027-01-01", "time.future_date"),
        ("i morgon", "time.future_date"),
        ("snart", "time.unreadable_date"),
        ("20 nov 18:00", "time.unreadable_date"),
        ("30/2 2026", "time.bad_date"),
    ],
)
def test_a_checked_date_in_the_future_or_unreadable_is_refused(raw: str, key: str):
    with pytest.raises(UserError) as error:
        parse_date(raw, date(2026, 12, 1))

    assert error.value.text.key == key


@pytest.mark.parametrize(("raw", "start", "expected"), [
    ("i morgon", None, date(2026, 12, 2)),
    ("tomorrow", None, date(2026, 12, 2)),
    ("2026-12-24", None, date(2026, 12, 24)),
    ("20 dec", None, date(2026, 12, 20)),  # without a year: the nearest, this December
    ("5 jan", None, date(2027, 1, 5)),
    ("5 jan", date(2026, 1, 1), date(2026, 1, 5)),  # the end of a range that starts then: after the start
    ("20 nov", None, date(2026, 11, 20)),
    ("i dag", None, date(2026, 12, 1)),
])
def test_the_end_of_a_range_may_lie_ahead(raw: str, start: date | None, expected: date):
    assert parse_date(raw, date(2026, 12, 1), future=True, on_or_after=start) == expected


@pytest.mark.parametrize(("raw", "expected"), [
    ("tors", 4), ("torsdag", 4), ("Torsdag", 4), ("thursday", 4), ("thu", 4), ("tor", 4), ("4", 4),
    ("måndag", 1), ("mon", 1), ("1", 1), ("lördag", 6), ("Söndag", 7), ("sun", 7), ("7", 7),
])
def test_a_weekday_is_read_by_name_abbreviation_or_number_as_its_iso_number(raw: str, expected: int):
    assert parse_weekday(raw, "digest.errors.day") == expected


@pytest.mark.parametrize("raw", ["helgdag", "0", "8", "", "tors 18:00"])
def test_anything_else_is_refused_with_the_callers_text(raw: str):
    with pytest.raises(UserError) as error:
        parse_weekday(raw, "coaching.errors.day")

    assert error.value.text.key == "coaching.errors.day"
    assert not isinstance(error.value, FieldProblem)


def test_a_refused_weekday_can_be_one_fields_problem_of_a_form():
    with pytest.raises(FieldProblem) as error:
        parse_weekday("helgdag", "digest.errors.day", field=text("digest.field.day"))

    assert error.value.field_label == text("digest.field.day")
    assert render(error.value.problem, "sv").startswith('"helgdag" är ingen veckodag.')
