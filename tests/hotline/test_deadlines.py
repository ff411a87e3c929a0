"""Deadlines: calendar mode per tier, and working-day mode over the holiday calendar."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from hotline.deadlines import Days, deadline_after, tier_duration, working_days_between
from hotline.models import DeadlineTier, Holiday, HolidayKind

pytestmark = pytest.mark.django_db

BEIJING = ZoneInfo("Asia/Shanghai")
UTC = ZoneInfo("UTC")


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=BEIJING)


@pytest.fixture
def calendar_2026(db) -> None:
    """Mid-Autumn Festival and National Day 2026 with their make-up workdays (调休上班)."""
    Holiday.objects.create(date=date(2026, 9, 20), kind=HolidayKind.WORKDAY, name="国庆节调休")
    Holiday.objects.create(date=date(2026, 9, 25), kind=HolidayKind.HOLIDAY, name="中秋节")
    for day in range(1, 8):
        Holiday.objects.create(date=date(2026, 10, day), kind=HolidayKind.HOLIDAY, name="国庆节")
    Holiday.objects.create(date=date(2026, 10, 10), kind=HolidayKind.WORKDAY, name="国庆节调休")


@pytest.fixture
def working_days(settings, calendar_2026) -> None:
    settings.HOTLINE_DEADLINE_MODE = "working_days"


@pytest.mark.parametrize(
    ("tier", "expected"),
    [
        (DeadlineTier.EMERGENCY, at(2026, 9, 30, 17, 30)),
        (DeadlineTier.UTILITY, at(2026, 10, 1, 15, 30)),
        (DeadlineTier.GENERAL, at(2026, 10, 7, 15, 30)),
        (DeadlineTier.COMPLEX, at(2026, 10, 15, 15, 30)),
    ],
)
def test_calendar_mode_adds_the_tier_duration_ignoring_holidays(settings, calendar_2026, tier, expected):
    # Given the default calendar mode and the National Day holidays in the calendar
    settings.HOTLINE_DEADLINE_MODE = "calendar"
    # When a ticket of each tier starts on the eve of National Day
    deadline = deadline_after(start=at(2026, 9, 30, 15, 30), duration=tier_duration(tier))
    # Then its deadline is plain calendar time
    assert deadline == expected


def test_working_days_skip_a_weekend(working_days):
    # Given a Friday morning start, 7 working days: Mon–Fri, then Mon and Tue
    deadline = deadline_after(start=at(2026, 3, 6, 9, 0), duration=Days(7))
    assert deadline == at(2026, 3, 17, 9, 0)


def test_working_days_skip_national_day_and_count_the_make_up_saturday(working_days):
    # Given a start on the eve of National Day (Oct 1–7 holidays, Saturday Oct 10 a workday)
    deadline = deadline_after(start=at(2026, 9, 30, 15, 30), duration=tier_duration(DeadlineTier.GENERAL))
    # Then the 7 working days are Oct 8, 9, 10 (Sat), 12, 13, 14, 15, at the same clock time
    assert deadline == at(2026, 10, 15, 15, 30)


def test_working_days_count_a_make_up_sunday_and_skip_a_weekday_holiday(working_days):
    # Given a Friday evening start before Sunday Sep 20 (workday) and Friday Sep 25 (Mid-Autumn)
    deadline = deadline_after(start=at(2026, 9, 18, 17, 0), duration=Days(7))
    # Then the days are Sep 20 (Sun), 21, 22, 23, 24, 28, 29
    assert deadline == at(2026, 9, 29, 17, 0)


def test_complex_tier_over_national_day(working_days):
    deadline = deadline_after(start=at(2026, 9, 30, 15, 30), duration=tier_duration(DeadlineTier.COMPLEX))
    # Oct 8, 9, 10, 12–16, 19–23, 26, 27 are the 15 working days
    assert deadline == at(2026, 10, 27, 15, 30)


def test_working_days_use_the_local_date_of_a_utc_start(working_days):
    # Given 23:30 UTC on Sep 30, which is 07:30 on Oct 1 (a holiday) in Beijing
    start = datetime(2026, 9, 30, 23, 30, tzinfo=UTC)
    # Then counting starts after Oct 1 local, and the deadline keeps the local clock time
    deadline = deadline_after(start=start, duration=Days(7))
    assert deadline == at(2026, 10, 15, 7, 30)
    assert deadline.astimezone(UTC) == datetime(2026, 10, 14, 23, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("tier", "expected"),
    [(DeadlineTier.EMERGENCY, at(2026, 10, 1, 0, 0)), (DeadlineTier.UTILITY, at(2026, 10, 1, 22, 0))],
)
def test_hour_tiers_stay_calendar_time_in_working_day_mode(working_days, tier, expected):
    # Given a late-evening start before a holiday, emergencies and utilities run around the clock
    assert deadline_after(start=at(2026, 9, 30, 22, 0), duration=tier_duration(tier)) == expected


def test_a_plain_timedelta_of_days_stays_calendar_time(working_days):
    # Only Days durations count working days; 24 hours and one plain day are the same timedelta
    assert deadline_after(start=at(2026, 9, 30, 15, 30), duration=timedelta(days=7)) == at(2026, 10, 7, 15, 30)


def test_a_working_day_deadline_costs_one_query(working_days, django_assert_num_queries):
    with django_assert_num_queries(1):
        deadline_after(start=at(2026, 9, 30, 15, 30), duration=Days(15))


def test_a_long_stretch_of_holidays_is_crossed(working_days):
    # Given (artificially) six weeks of holidays, the calendar loads the next range as needed
    for offset in range(42):
        Holiday.objects.get_or_create(date=date(2027, 1, 1) + timedelta(days=offset), defaults={"kind": "holiday"})
    deadline = deadline_after(start=at(2026, 12, 31, 9, 0), duration=Days(1))
    assert deadline == at(2027, 2, 12, 9, 0)


def test_working_days_between(calendar_2026):
    assert working_days_between(start=date(2026, 9, 30), end=date(2026, 10, 15)) == 7
    assert working_days_between(start=date(2026, 3, 6), end=date(2026, 3, 9)) == 1
    assert working_days_between(start=date(2026, 3, 9), end=date(2026, 3, 9)) == 0


def test_a_city_admin_enters_a_make_up_workday_in_the_admin(admin_client, settings):
    # Given the admin's holiday calendar
    settings.HOTLINE_DEADLINE_MODE = "working_days"
    response = admin_client.post(
        "/admin/hotline/holiday/add/", {"date": "2026-10-10", "kind": "workday", "name": "国庆节调休"}
    )
    assert response.status_code == 302
    # Then a Friday-evening 1-day deadline lands on that Saturday
    assert deadline_after(start=at(2026, 10, 9, 18, 0), duration=Days(1)) == at(2026, 10, 10, 18, 0)
