"""The stored report's files: an Excel workbook (one sheet per section) and a PDF with its
Chinese font embedded (WeasyPrint over the same template the page includes).

Both render the report's stored content (builder.as_json), as the page does. Where the PDF
cannot be made (WeasyPrint or its Pango libraries missing, no Chinese font installed), the
reason is raised as PdfUnavailable: the report keeps its workbook and records the reason.
"""

import io
import logging
import re
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

logger = logging.getLogger(__name__)

PERCENT = "0.00%"
TEXT_WIDTH = 8
BOLD = Font(bold=True)
STYLESHEET = Path(__file__).with_name("pdf.css")


def _sheet_title(title: str, used: set[str]) -> str:
    """Excel's rules: at most 31 characters, none of []:*?/\\, unique in the workbook."""
    name = re.sub(r"[\[\]:*?/\\]", " ", title)[:31] or "Sheet"
    base, number = name, 2
    while name in used:
        suffix = f" {number}"
        name, number = base[: 31 - len(suffix)] + suffix, number + 1
    used.add(name)
    return name


def workbook(content: dict[str, Any]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    used: set[str] = set()
    for section in content["sections"]:
        sheet = book.create_sheet(_sheet_title(section["title"], used))
        sheet.column_dimensions["A"].width = 24
        sheet.column_dimensions["B"].width = 30
        sheet.cell(row=1, column=1, value=content["title"]).font = Font(bold=True, size=14)
        sheet.cell(row=2, column=1, value=section["title"]).font = Font(bold=True, size=12)
        row = 4
        for paragraph in section["paragraphs"]:
            sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=TEXT_WIDTH)
            cell = sheet.cell(row=row, column=1, value=paragraph)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            sheet.row_dimensions[row].height = 15 * (len(paragraph) // 60 + 1)
            row += 1
        row += 1
        for table in section["tables"]:
            sheet.cell(row=row, column=1, value=table["title"]).font = BOLD
            row += 1
            for column, header in enumerate(table["headers"], start=1):
                sheet.cell(row=row, column=column, value=header).font = BOLD
            for values in table["rows"]:
                row += 1
                for column, value in enumerate(values, start=1):
                    cell = sheet.cell(row=row, column=column, value=value)
                    if column - 1 in table["percent_columns"]:
                        cell.number_format = PERCENT
            row += 3
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


class PdfUnavailable(Exception):  # noqa: N818 (a state, not a failure of the caller)
    """The PDF cannot be made on this machine; the message says why and what to install."""


@cache
def chinese_font_installed() -> bool:
    """A font covering Chinese is known to fontconfig (fonts-noto-cjk, fonts-wqy-zenhei …)."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return False
    try:
        found = subprocess.run([fc_list, ":lang=zh-cn", "family"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return False
    return bool(found.stdout.strip())


def pdf(content: dict[str, Any]) -> bytes:
    """The report as a PDF (A4), its fonts embedded (subset) by WeasyPrint."""
    if not settings.REPORTS_PDF_ENABLED:
        raise PdfUnavailable(_("PDF files are switched off (REPORTS_PDF_ENABLED)."))
    try:
        import weasyprint
    except (ImportError, OSError) as error:
        raise PdfUnavailable(
            _("WeasyPrint cannot run here (%(error)s): install it with its Pango libraries.") % {"error": error}
        ) from error
    if not chinese_font_installed():
        raise PdfUnavailable(_("No Chinese font is installed: install fonts-noto-cjk (Debian) for the PDF files."))
    html = render_to_string("reports/pdf.html", {"content": content, "fonts": settings.REPORTS_PDF_FONTS})
    stylesheet = STYLESHEET.read_text(encoding="utf-8").replace("FONTS", settings.REPORTS_PDF_FONTS)
    try:
        return weasyprint.HTML(string=html).write_pdf(stylesheets=[weasyprint.CSS(string=stylesheet)])
    except Exception as error:  # a library failure must not lose the report's workbook
        logger.exception("PDF rendering failed")
        raise PdfUnavailable(_("The PDF could not be rendered: %(error)s") % {"error": error}) from error
