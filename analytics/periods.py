"""The period an analytics page or report covers: a calendar year or a calendar month."""

import re
from dataclasses import dataclass
from datetime import date

from django.utils import timezone
from django.utils.translation import gettext as _

from hotline.errors import DomainError
from hotline.months import add_months

_PATTERN = re.compile(r"^(?P<year>\d{4})(?:-(?P<month>\d{1,2}))?$")


@dataclass(frozen=True)
class Period:
    start: date  # first day of the first month
    months: int  # 12 for a year, 1 for a month

    @classmethod
    def year(cls, year: int) -> "Period":
        return cls(date(year, 1, 1), 12)

    @classmethod
    def month(cls, month: date) -> "Period":
        return cls(month.replace(day=1), 1)

    @classmethod
    def parse(cls, value: str | None, *, default: str = "month", months_only: bool = False) -> "Period":
        """A year ("2026") or a month ("2026-10"); empty means the current month (or year)."""
        if not value:
            today = timezone.localdate()
            return cls.year(today.year) if default == "year" else cls.month(today)
        found = _PATTERN.match(value.strip())
        if found and 2000 <= int(found["year"]) <= 2100:
            if found["month"] is None and not months_only:
                return cls.year(int(found["year"]))
            if found["month"] is not None and 1 <= int(found["month"]) <= 12:
                return cls.month(date(int(found["year"]), int(found["month"]), 1))
        if months_only:
            message, field = _("Give a month (2026-10)."), "month"
        else:
            message, field = _("Give a year (2026) or a month (2026-10)."), "period"
        raise DomainError("invalid", _("The input is not valid."), status=400, fields={field: [message]})

    @property
    def is_year(self) -> bool:
        return self.months == 12

    @property
    def end(self) -> date:
        """The first day after the period."""
        return add_months(self.start, self.months)

    @property
    def last_day(self) -> date:
        return date.fromordinal(self.end.toordinal() - 1)

    @property
    def param(self) -> str:
        return f"{self.start:%Y}" if self.is_year else f"{self.start:%Y-%m}"

    @property
    def label(self) -> str:
        if self.is_year:
            return _("year %(year)s") % {"year": self.start.year}
        return _("%(month)s/%(year)s") % {"year": self.start.year, "month": self.start.month}

    def previous(self) -> "Period":
        return Period(add_months(self.start, -self.months), self.months)

    def month_list(self) -> list[date]:
        return [add_months(self.start, index) for index in range(self.months)]

    def trend_months(self) -> list[date]:
        """The months a trend chart shows: the year's twelve, or the twelve ending with the month."""
        first = self.start if self.is_year else add_months(self.start, -11)
        return [add_months(first, index) for index in range(12)]
