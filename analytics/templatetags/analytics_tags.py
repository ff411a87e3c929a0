"""Number formats of the analytics pages."""

from decimal import Decimal

from django import template

from analytics import report

register = template.Library()


@register.filter
def pct(rate: Decimal | None) -> str:
    """A rate (0–1) as 85.83%; — when there is none."""
    return report.percent(rate)


@register.filter
def signed_pct(rate: Decimal | None) -> str:
    """A change (0.25 = +25 %) with its sign; — without a previous figure."""
    if rate is None:
        return "—"
    return f"{'+' if rate > 0 else ''}{rate * 100:.2f}%"


@register.filter
def change_class(rate: Decimal | None) -> str:
    """Rising volume is the warning sign on a hotline."""
    if rate is None or rate == 0:
        return ""
    return "up" if rate > 0 else "down"
