"""The disclosure report as an Excel workbook: one sheet per section with its sentences, its tables
(rates as numbers formatted as percentages) and its charts as native Excel charts (openpyxl.chart),
drawn from a data block written beside them on the same sheet."""

import io
import re
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, PieChart, Reference
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from analytics.report import Chart, Report, Table

PERCENT = "0.00%"
TEXT_WIDTH = 8  # columns the sentences span
CHART_COLUMN = 10  # charts' data blocks start in column J
BOLD = Font(bold=True)


def _sheet_title(title: str, used: set[str]) -> str:
    """Excel's rules: at most 31 characters, none of []:*?/\\, unique in the workbook."""
    name = re.sub(r"[\[\]:*?/\\]", " ", title)[:31] or "Sheet"
    base, number = name, 2
    while name in used:
        suffix = f" {number}"
        name, number = base[: 31 - len(suffix)] + suffix, number + 1
    used.add(name)
    return name


def _cell_value(value: Any) -> Any:
    return float(value) if isinstance(value, Decimal) else value


def _write_table(sheet: Worksheet, table: Table, row: int) -> int:
    sheet.cell(row=row, column=1, value=table.title).font = BOLD
    row += 1
    for column, header in enumerate(table.headers, start=1):
        sheet.cell(row=row, column=column, value=str(header)).font = BOLD
    for values in table.rows:
        row += 1
        for column, value in enumerate(values, start=1):
            cell = sheet.cell(row=row, column=column, value=_cell_value(value))
            if column - 1 in table.percent_columns:
                cell.number_format = PERCENT
    return row + 2


def _write_chart(sheet: Worksheet, chart: Chart, row: int) -> int:
    """The chart's numbers as a small table in column J onwards, and the chart next to it."""
    first = row
    sheet.cell(row=row, column=CHART_COLUMN, value=chart.title).font = BOLD
    for offset, (name, _values) in enumerate(chart.series, start=1):
        sheet.cell(row=row, column=CHART_COLUMN + offset, value=str(name)).font = BOLD
    for index, label in enumerate(chart.labels, start=1):
        sheet.cell(row=row + index, column=CHART_COLUMN, value=str(label))
        for offset, (_name, values) in enumerate(chart.series, start=1):
            sheet.cell(row=row + index, column=CHART_COLUMN + offset, value=_cell_value(values[index - 1]))
    last = row + max(len(chart.labels), 1)
    drawing = {"bar": BarChart, "pie": PieChart, "line": LineChart}[chart.kind]()
    drawing.title = chart.title
    data = Reference(
        sheet, min_col=CHART_COLUMN + 1, max_col=CHART_COLUMN + len(chart.series), min_row=first, max_row=last
    )
    drawing.add_data(data, titles_from_data=True)
    drawing.set_categories(Reference(sheet, min_col=CHART_COLUMN, min_row=first + 1, max_row=last))
    drawing.width, drawing.height = 16, 8
    sheet.add_chart(drawing, f"{get_column_letter(CHART_COLUMN + len(chart.series) + 2)}{first}")
    # A chart is about 16 rows high: keep the next one below it.
    return max(last, first + 16) + 2


def report_workbook(report: Report) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    used: set[str] = set()
    for section in report.sections:
        sheet = workbook.create_sheet(_sheet_title(section.title, used))
        sheet.column_dimensions["A"].width = 28
        sheet.cell(row=1, column=1, value=report.title).font = Font(bold=True, size=14)
        sheet.cell(row=2, column=1, value=section.title).font = Font(bold=True, size=12)
        row = 4
        for paragraph in section.paragraphs:
            sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=TEXT_WIDTH)
            cell = sheet.cell(row=row, column=1, value=paragraph)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            # Roughly one line of 60 characters per 15 points of height.
            sheet.row_dimensions[row].height = 15 * (len(paragraph) // 60 + 1)
            row += 1
        row += 1
        for table in section.tables:
            row = _write_table(sheet, table, row)
        chart_row = 4
        for chart in section.charts:
            chart_row = _write_chart(sheet, chart, chart_row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def report_filename(report: Report) -> str:
    return f"disclosure-report-{report.period.param}.xlsx"
