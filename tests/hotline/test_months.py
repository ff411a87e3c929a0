"""Month arithmetic: across year ends, both ways, and the bounds in the hotline's time zone."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from hotline.months import add_months, month_bounds, next_month, previous_month

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("month", "count", "expected"),
    [
        (date(2026, 1, 1), -1, date(2025, 12, 1)),
        (date(2026, 12, 1), 1, date(2027, 1, 1)),
        (date(2026, 3, 1), -14, date(2025, 1, 1)),
        (date(2026, 11, 1), 0, date(2026, 11, 1)),
    ],
)
def test_add_months_crosses_year_ends(month, count, expected):
    assert add_months(month, count) == expected


def test_previous_and_next_month():
    assert previous_month(date(2026, 1, 1)) == date(2025, 12, 1)
    assert next_month(date(2026, 12, 1)) == date(2027, 1, 1)


def test_a_december_ends_at_midnight_of_the_new_year_in_shanghai():
    start, end = month_bounds(date(2026, 12, 1))
    assert (start, end) == (datetime(2026, 12, 1, tzinfo=SHANGHAI), datetime(2027, 1, 1, tzinfo=SHANGHAI))
