"""The periods of the reports: parsing, bounds, the last complete one."""

from datetime import date

import pytest

from hotline.errors import DomainError
from reports.periods import ReportKind, ReportPeriod


@pytest.mark.parametrize(
    ("kind", "value", "start", "last_day", "param"),
    [
        ("daily", "2026-11-05", date(2026, 11, 5), date(2026, 11, 5), "2026-11-05"),
        ("weekly", "2026-W45", date(2026, 11, 2), date(2026, 11, 8), "2026-W45"),
        ("weekly", "2026-11-05", date(2026, 11, 2), date(2026, 11, 8), "2026-W45"),
        ("monthly", "2026-11", date(2026, 11, 1), date(2026, 11, 30), "2026-11"),
        ("quarterly", "2026-Q4", date(2026, 10, 1), date(2026, 12, 31), "2026-Q4"),
        ("quarterly", "2027-q1", date(2027, 1, 1), date(2027, 3, 31), "2027-Q1"),
    ],
)
def test_a_period_parses_to_its_days(kind, value, start, last_day, param):
    period = ReportPeriod.parse(kind, value)
    assert (period.start, period.last_day, period.param) == (start, last_day, param)


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("monthly", "2026-13"),
        ("monthly", "2026-11-05"),
        ("quarterly", "2026-Q5"),
        ("daily", "2026-02-30"),
        ("weekly", "x"),
    ],
)
def test_a_bad_period_is_an_invalid_input(kind, value):
    with pytest.raises(DomainError) as raised:
        ReportPeriod.parse(kind, value)
    assert raised.value.code == "invalid"
    assert "period" in raised.value.fields


@pytest.mark.parametrize(
    ("kind", "start"),
    [
        (ReportKind.DAILY, date(2027, 1, 3)),  # yesterday
        (ReportKind.WEEKLY, date(2026, 12, 28)),  # the Monday of last week (ISO)
        (ReportKind.MONTHLY, date(2026, 12, 1)),
        (ReportKind.QUARTERLY, date(2026, 10, 1)),
    ],
)
def test_the_last_complete_period_ended_before_today(kind, start):
    # Given Monday 4 January 2027
    period = ReportPeriod.last_complete(kind, date(2027, 1, 4))
    assert period.start == start
    assert period.end <= date(2027, 1, 4)


def test_the_previous_period_has_the_same_kind_and_length():
    quarter = ReportPeriod.parse("quarterly", "2026-Q1")
    assert quarter.previous() == ReportPeriod.parse("quarterly", "2025-Q4")
    assert ReportPeriod.parse("weekly", "2026-W01").previous().param == "2025-W52"
