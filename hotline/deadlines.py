"""Deadline arithmetic (DESIGN.md §5): when a duration that starts at a given moment ends.

settings.HOTLINE_DEADLINE_MODE picks the rule:

- "calendar" (default): start + duration.
- "working_days": a `Days` duration (what `tier_duration` gives for the day tiers, general 7 d
  and complex 15 d; build one with `Days(n)` for other day counts) counts working days, Monday
  to Friday plus make-up workdays (调休上班) minus public holidays (节假日) from the Holiday
  table; the deadline is at the start's local clock time on the Nth working day after the
  start's local date. Any other timedelta (2 h, the 24 h utility tier, 15 min) stays calendar
  time: emergencies and water/power/gas/heating are handled around the clock. A marker type,
  because 24 hours and one day are the same timedelta.

Dates are local (settings.TIME_ZONE) dates; the result is timezone-aware, stored as UTC.
"""

from datetime import date, datetime, timedelta

from django.conf import settings
from django.utils import timezone

from hotline.models import Holiday, HolidayKind

ONE_DAY = timedelta(days=1)
# The tiers whose durations are configured in days (DEADLINE_GENERAL_DAYS, DEADLINE_COMPLEX_DAYS).
DAY_TIERS = frozenset({"general", "complex"})


class Days(timedelta):
    """A duration counted in days: working days when the deadline mode is "working_days"."""


def tier_duration(tier: str) -> timedelta:
    duration = settings.HOTLINE_DEADLINES[tier]
    return Days(seconds=duration.total_seconds()) if tier in DAY_TIERS else duration


def deadline_after(*, start: datetime, duration: timedelta) -> datetime:
    """The moment `duration` after `start`, by the configured deadline mode."""
    counts_working_days = isinstance(duration, Days) and duration > timedelta(0) and not duration % ONE_DAY
    if settings.HOTLINE_DEADLINE_MODE != "working_days" or not counts_working_days:
        return start + duration
    local = timezone.localtime(start)
    day = nth_working_day_after(day=local.date(), n=duration.days)
    return timezone.make_aware(datetime.combine(day, local.time()), local.tzinfo)


class WorkingCalendar:
    """Working days between two dates, from one query over the Holiday rows in that range."""

    def __init__(self, *, first: date, last: date):
        self.first, self.last = first, last
        rows = Holiday.objects.filter(date__range=(first, last)).values_list("date", "kind")
        self.holidays = {day for day, kind in rows if kind == HolidayKind.HOLIDAY}
        self.workdays = {day for day, kind in rows if kind == HolidayKind.WORKDAY}

    def is_working_day(self, day: date) -> bool:
        if day in self.holidays:
            return False
        return day.weekday() < 5 or day in self.workdays


def nth_working_day_after(*, day: date, n: int) -> date:
    """The nth working day after `day` (`day` itself never counts); `day` when n <= 0."""
    if n <= 0:
        return day
    # Golden Week and weekends together never take more than about half the days of a range, so
    # twice the span plus a margin covers it; a longer stretch just loads the next range.
    remaining, current = n, day
    while True:
        calendar = WorkingCalendar(first=current + ONE_DAY, last=current + timedelta(days=2 * remaining + 14))
        while current < calendar.last:
            current += ONE_DAY
            if calendar.is_working_day(current):
                remaining -= 1
                if remaining == 0:
                    return current


def working_days_between(*, start: date, end: date) -> int:
    """Working days after `start` up to and including `end` (0 when end <= start)."""
    if end <= start:
        return 0
    calendar = WorkingCalendar(first=start + ONE_DAY, last=end)
    return sum(calendar.is_working_day(start + timedelta(days=i)) for i in range(1, (end - start).days + 1))
