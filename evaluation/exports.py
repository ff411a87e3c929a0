"""CSV and Excel exports of a ranking: the columns of the page's table, headers in the user's language
(Chinese by default).

CSV starts with a UTF-8 byte-order mark, without which Excel reads Chinese text as mojibake.
In the xlsx file rates are numbers formatted as percentages, so they can be sorted and summed.
"""

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from evaluation.models import MonthlyRanking, UnitResult

CLASS_LABELS = (
    ("is_advanced", gettext_lazy("Advanced class")),
    ("is_improved", gettext_lazy("Improved class")),
    ("is_rectify", gettext_lazy("Rectify class")),
    ("is_governance_focus", gettext_lazy("Governance-focus class")),
)
PERCENT = "0.00%"


SAMPLE_TOO_SMALL = gettext_lazy("Sample too small")
GOVERNANCE_MET = gettext_lazy("reached the city average")
GOVERNANCE_NOT_MET = gettext_lazy("below the city average")


def classes(result: UnitResult) -> list[tuple[str, str]]:
    """A line's classes as (key, label): the class fields that hold, 治理类's 达标 or not, or the
    small sample alone (the export's column and the page's badges)."""
    if not result.sample_sufficient:
        return [("sample_too_small", str(SAMPLE_TOO_SMALL))]
    found = [(name, str(label)) for name, label in CLASS_LABELS if getattr(result, name)]
    if result.governance_met is not None:
        if result.governance_met:
            found.append(("governance_met", str(GOVERNANCE_MET)))
        else:
            found.append(("governance_not_met", str(GOVERNANCE_NOT_MET)))
    return found


def class_labels(result: UnitResult) -> list[str]:
    return [label for _key, label in classes(result)]


@dataclass(frozen=True)
class Column:
    header: Any  # a lazy translation
    value: Callable[[UnitResult], Any]
    percent: bool = False
    signed: bool = False


COLUMNS = (
    Column(gettext_lazy("Rank"), lambda r: r.rank if r.rank is not None else str(SAMPLE_TOO_SMALL)),
    Column(gettext_lazy("Unit"), lambda r: r.unit.name),
    Column(gettext_lazy("Response rate"), lambda r: r.response_rate, percent=True),
    Column(gettext_lazy("Resolution rate"), lambda r: r.resolution_rate, percent=True),
    Column(gettext_lazy("Satisfaction rate"), lambda r: r.satisfaction_rate, percent=True),
    Column(gettext_lazy("Bonus/penalty"), lambda r: r.adjustment),
    Column(gettext_lazy("Composite score"), lambda r: r.composite),
    Column(gettext_lazy("Previous composite score"), lambda r: r.previous_composite),
    Column(gettext_lazy("Rank change"), lambda r: r.rank_change, signed=True),
    Column(gettext_lazy("Classes"), lambda r: "、".join(class_labels(r))),
)


def headers() -> list[str]:
    return [str(column.header) for column in COLUMNS]


def _csv_cell(column: Column, value: Any) -> str:
    if value is None:
        return ""
    if column.percent:
        return f"{value * 100:.2f}%"
    if column.signed and value > 0:
        return f"+{value}"
    return str(value)


def _filename(ranking: MonthlyRanking, extension: str) -> str:
    return f"ranking-{ranking.month:%Y-%m}-{ranking.unit_kind}-v{ranking.version}.{extension}"


def csv_response(*, ranking: MonthlyRanking, results: Iterable[UnitResult]) -> HttpResponse:
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow(headers())
    for result in results:
        writer.writerow([_csv_cell(column, column.value(result)) for column in COLUMNS])
    response = HttpResponse(buffer.getvalue().encode("utf-8"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename(ranking, "csv")}"'
    return response


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_response(*, ranking: MonthlyRanking, results: Iterable[UnitResult]) -> HttpResponse:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=f"{ranking.month:%Y-%m}")
    bold = Font(bold=True)
    header_cells = []
    for text in headers():
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    for result in results:
        row = []
        for column in COLUMNS:
            value = column.value(result)
            cell = WriteOnlyCell(sheet, value=float(value) if isinstance(value, Decimal) else value)
            if column.percent:
                cell.number_format = PERCENT
            row.append(cell)
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{_filename(ranking, "xlsx")}"'
    return response
