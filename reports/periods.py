"""The periods of 《市民热线反映》: a day, an ISO week (Monday to Sunday), a calendar month or a
calendar quarter. Each has a parameter form for URLs and the command (2026-11-05, 2026-W45,
2026-11, 2026-Q4), a label, the previous period of the same kind, and the last complete one."""

import re
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hotline.errors import DomainError
from hotline.months import add_months


class ReportKind(models.TextChoices):
    DAILY = "daily", gettext_lazy("Daily")
    WEEKLY = "weekly", gettext_lazy("Weekly")
    MONTHLY = "monthly", gettext_lazy("Monthly")
    QUARTERLY = "quarterly", gettext_lazy("Quarterly")


_DAY = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_WEEK = re.compile(r"^(\d{4})-?W(\d{1,2})$", re.IGNORECASE)
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_QUARTER = re.compile(r"^(\d{4})-?Q([1-4])$", re.IGNORECASE)
_EXAMPLES = {
    ReportKind.DAILY: "2026-11-05",
    ReportKind.WEEKLY: "2026-W45",
    ReportKind.MONTHLY: "2026-11",
    ReportKind.QUARTERLY: "2026-Q4",
}


def _invalid(kind: str) -> DomainError:
    message = _("Give the period as %(example)s.") % {"example": _EXAMPLES[ReportKind(kind)]}
    return DomainError("invalid", _("The input is not valid."), status=400, fields={"period": [message]})


@dataclass(frozen=True)
class ReportPeriod:
    kind: str  # a ReportKind value
    start: date  # the first day

    def __post_init__(self) -> None:
        aligned = {
            ReportKind.DAILY: True,
            ReportKind.WEEKLY: self.start.isoweekday() == 1,
            ReportKind.MONTHLY: self.start.day == 1,
            ReportKind.QUARTERLY: self.start.day == 1 and self.start.month % 3 == 1,
        }[ReportKind(self.kind)]
        if not aligned:
            raise ValueError(f"{self.start} does not start a {self.kind} period")

    @classmethod
    def containing(cls, kind: str, day: date) -> "ReportPeriod":
        """The period of `kind` that `day` falls in."""
        if kind == ReportKind.DAILY:
            return cls(kind, day)
        if kind == ReportKind.WEEKLY:
            return cls(kind, day - timedelta(days=day.isoweekday() - 1))
        if kind == ReportKind.MONTHLY:
            return cls(kind, day.replace(day=1))
        return cls(kind, date(day.year, (day.month - 1) // 3 * 3 + 1, 1))

    @classmethod
    def last_complete(cls, kind: str, today: date) -> "ReportPeriod":
        """The latest period of `kind` that ended before `today` (yesterday, last week …)."""
        return cls.containing(kind, today).previous()

    @classmethod
    def parse(cls, kind: str, value: str) -> "ReportPeriod":
        """2026-11-05 (a day; for a week, any day of it), 2026-W45, 2026-11 or 2026-Q4."""
        if kind not in ReportKind.values:
            raise DomainError(
                "invalid",
                _("The input is not valid."),
                status=400,
                fields={"kind": [_("Choose daily, weekly, monthly or quarterly.")]},
            )
        value = (value or "").strip()
        try:
            period = cls._match(kind, value)
        except ValueError:
            period = None
        if period is None or not 2000 <= period.start.year <= 2100:
            raise _invalid(kind)
        return period

    @classmethod
    def _match(cls, kind: str, value: str) -> "ReportPeriod | None":
        if (found := _DAY.match(value)) and kind in (ReportKind.DAILY, ReportKind.WEEKLY):
            return cls.containing(kind, date(int(found[1]), int(found[2]), int(found[3])))
        if (found := _WEEK.match(value)) and kind == ReportKind.WEEKLY:
            return cls(kind, date.fromisocalendar(int(found[1]), int(found[2]), 1))
        if (found := _MONTH.match(value)) and kind == ReportKind.MONTHLY:
            return cls(kind, date(int(found[1]), int(found[2]), 1))
        if (found := _QUARTER.match(value)) and kind == ReportKind.QUARTERLY:
            return cls(kind, date(int(found[1]), int(found[2]) * 3 - 2, 1))
        return None

    @property
    def end(self) -> date:
        """The first day after the period."""
        if self.kind == ReportKind.DAILY:
            return self.start + timedelta(days=1)
        if self.kind == ReportKind.WEEKLY:
            return self.start + timedelta(days=7)
        return add_months(self.start, 1 if self.kind == ReportKind.MONTHLY else 3)

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    @property
    def month_aligned(self) -> bool:
        """Whole calendar months: the monthly rollup and the monthly rankings cover it."""
        return self.kind in (ReportKind.MONTHLY, ReportKind.QUARTERLY)

    def months(self) -> list[date]:
        """The calendar months the period touches, first days."""
        months, month = [], self.start.replace(day=1)
        while month < self.end:
            months.append(month)
            month = add_months(month, 1)
        return months

    def previous(self, count: int = 1) -> "ReportPeriod":
        if self.kind == ReportKind.DAILY:
            return ReportPeriod(self.kind, self.start - timedelta(days=count))
        if self.kind == ReportKind.WEEKLY:
            return ReportPeriod(self.kind, self.start - timedelta(days=7 * count))
        step = 1 if self.kind == ReportKind.MONTHLY else 3
        return ReportPeriod(self.kind, add_months(self.start, -step * count))

    @property
    def param(self) -> str:
        if self.kind == ReportKind.DAILY:
            return self.start.isoformat()
        if self.kind == ReportKind.WEEKLY:
            year, week, _day = self.start.isocalendar()
            return f"{year}-W{week:02d}"
        if self.kind == ReportKind.MONTHLY:
            return f"{self.start:%Y-%m}"
        return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"

    @property
    def label(self) -> str:
        if self.kind == ReportKind.DAILY:
            return _("%(month)s/%(day)s/%(year)s") % {
                "year": self.start.year,
                "month": self.start.month,
                "day": self.start.day,
            }
        if self.kind == ReportKind.WEEKLY:
            year, week, _day = self.start.isocalendar()
            return _("week %(week)s of %(year)s (%(first)s to %(last)s)") % {
                "week": week,
                "year": year,
                "first": f"{self.start:%m-%d}",
                "last": f"{self.last_day:%m-%d}",
            }
        if self.kind == ReportKind.MONTHLY:
            return _("%(month)s/%(year)s") % {"year": self.start.year, "month": self.start.month}
        return _("Q%(quarter)s %(year)s") % {"quarter": (self.start.month - 1) // 3 + 1, "year": self.start.year}
