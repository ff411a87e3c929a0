from typing import Any

from django import template

from analytics.report import percent

register = template.Library()


@register.simple_tag
def report_cell(value: Any, column: int, percent_columns: list[int]) -> str:
    """A stored table cell as printed: rates as 85.83%, — for an empty one."""
    if column in percent_columns:
        return percent(value)
    return "—" if value is None else str(value)
