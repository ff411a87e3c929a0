"""Calendar months, the period of rankings, rollups and reports: their arithmetic in one place.

A month is the date of its first day; its bounds are in the hotline's time zone (Asia/Shanghai).
"""

from datetime import date, datetime

from django.utils import timezone


def add_months(month: date, count: int) -> date:
    """The first day of the month `count` months after (or before, if negative) `month`'s."""
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def previous_month(month: date) -> date:
    return add_months(month, -1)


def next_month(month: date) -> date:
    return add_months(month, 1)


def month_bounds(month: date) -> tuple[datetime, datetime]:
    """[start, end) of a calendar month in the hotline's time zone, as aware datetimes."""
    tz = timezone.get_default_timezone()
    end = next_month(month)
    return datetime(month.year, month.month, 1, tzinfo=tz), datetime(end.year, end.month, 1, tzinfo=tz)
