"""bot/business_hours.py: the team's hours in its own time zone, read with line numbers."""

from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from bot.business import DEFAULT_BUSINESS_FILE
from bot.business_hours import (
    BusinessHours,
    BusinessHoursError,
    load_business_hours,
    parse_business_hours,
)

PATH = Path("business.yml")
HOURS = """\
company:
  name: Northwind Home
hours:
  time_zone: America/New_York
  weekly:
    monday: 9:00-18:00
    tuesday: 9:00-18:00
    wednesday: 9:00-18:00
    thursday: 9:00-18:00
    friday: 9:00-17:00
    saturday: closed
  closed_on: [2026-12-25]
"""


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def hours() -> BusinessHours:
    parsed = parse_business_hours(HOURS, PATH)
    assert parsed is not None
    return parsed


def test_saturday_is_closed_and_the_team_is_back_on_monday(hours):
    saturday_noon = utc("2026-03-07 17:00")  # 12:00 in New York

    assert not hours.is_open(saturday_noon)
    assert hours.back_at(saturday_noon) == "on Monday at 9:00 (New York time)"


def test_friday_evening_after_closing_points_to_monday(hours):
    friday_evening = utc("2026-03-06 23:30")  # 18:30 in New York, Friday closes at 17:00

    assert not hours.is_open(friday_evening)
    assert hours.back_at(friday_evening) == "on Monday at 9:00 (New York time)"


def test_monday_morning_is_open_and_before_opening_is_today(hours):
    assert hours.is_open(utc("2026-03-09 14:00"))  # 10:00 in New York
    early = utc("2026-03-09 12:00")  # 8:00 in New York
    assert not hours.is_open(early)
    assert hours.back_at(early) == "today at 9:00 (New York time)"


def test_after_closing_on_a_weekday_it_is_tomorrow(hours):
    assert hours.back_at(utc("2026-03-10 23:00")) == "tomorrow at 9:00 (New York time)"


def test_the_time_zone_decides_the_day_not_utc(hours):
    # 01:00 UTC on Saturday is still Friday 20:00 in New York (closed since 17:00).
    assert not hours.is_open(utc("2026-03-07 01:00"))
    # 13:30 UTC on Monday is 9:30 in New York during daylight saving time (UTC-4).
    assert hours.is_open(utc("2026-03-09 13:30"))


def test_a_holiday_is_closed_and_skipped(hours):
    christmas = utc("2026-12-25 15:00")  # a Friday

    assert not hours.is_open(christmas)
    assert hours.back_at(christmas) == "on Monday at 9:00 (New York time)"


def test_far_openings_name_the_date():
    source = HOURS.replace(
        "  closed_on: [2026-12-25]",
        "  closed_on: [2026-03-09, 2026-03-10, 2026-03-11, 2026-03-12, 2026-03-13, 2026-03-16]",
    )
    hours = parse_business_hours(source, PATH)
    assert hours is not None
    assert hours.next_opening(utc("2026-03-07 17:00")).date() == date(2026, 3, 17)
    assert hours.back_at(utc("2026-03-07 17:00")) == "on Tuesday 17 March at 9:00 (New York time)"


def test_a_file_without_hours_keeps_no_hours():
    assert parse_business_hours("company:\n  name: Northwind Home\n", PATH) is None


def test_the_repositorys_business_file_has_hours_in_new_york():
    hours = load_business_hours(DEFAULT_BUSINESS_FILE)
    assert hours is not None
    assert hours.place == "New York"
    assert not hours.is_open(utc("2026-03-07 17:00"))  # a Saturday


@pytest.mark.parametrize(
    ("broken", "line", "words"),
    [
        ("    monday: 9:00-18:00\n", "    monday: nine to six\n", "must look like 9:00-18:00"),
        ("  time_zone: America/New_York\n", "  time_zone: Mars/Olympus\n", "not a time zone"),
        ("    friday: 9:00-17:00\n", "    friday: 17:00-9:00\n", "must close after it opens"),
        ("    saturday: closed\n", "    caturday: closed\n", "not a weekday"),
        ("  closed_on: [2026-12-25]\n", "  closed_on: [christmas]\n", "not a date"),
    ],
)
def test_mistakes_name_their_line(broken, line, words):
    source = HOURS.replace(broken, line)
    expected_line = source.splitlines().index(line.rstrip("\n")) + 1

    with pytest.raises(BusinessHoursError) as error:
        parse_business_hours(source, PATH)

    assert f"line {expected_line}:" in str(error.value)
    assert words in str(error.value)


def test_hours_without_a_time_zone_or_an_open_day_are_refused():
    with pytest.raises(BusinessHoursError, match="missing 'time_zone'"):
        parse_business_hours(HOURS.replace("  time_zone: America/New_York\n", ""), PATH)
    all_closed = "hours:\n  time_zone: UTC\n  weekly:\n    monday: closed\n"
    with pytest.raises(BusinessHoursError, match="at least one day"):
        parse_business_hours(all_closed, PATH)
