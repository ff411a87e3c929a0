"""Reading the stored files back as a reader would: the workbook's cells and the PDF's text."""

import io
from pathlib import Path

from openpyxl import load_workbook
from pypdf import PdfReader


def workbook_cells(data: bytes) -> dict[str, list[list[object]]]:
    """Every sheet's rows of cell values, by sheet title."""
    book = load_workbook(io.BytesIO(data), read_only=True)
    return {sheet.title: [list(row) for row in sheet.iter_rows(values_only=True)] for sheet in book.worksheets}


def table_rows(data: bytes, title: str) -> list[list[object]]:
    """The rows (header first) of the table with this title in the workbook."""
    for rows in workbook_cells(data).values():
        for index, row in enumerate(rows):
            if row and row[0] == title:
                found = []
                for line in rows[index + 1 :]:
                    if not any(value is not None for value in line):
                        break
                    found.append(line)
                return found
    raise AssertionError(f"no table {title!r} in the workbook")


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


def pdf_fonts_embedded(data: bytes) -> bool:
    """Every font of every page carries its font program (FontFile*), i.e. is embedded."""
    reader = PdfReader(io.BytesIO(data))
    seen = 0
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendants = font.get("/DescendantFonts")
            target = descendants[0].get_object() if descendants else font
            descriptor = target["/FontDescriptor"].get_object()
            if not any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")):
                return False
            seen += 1
    return seen > 0


def read(path: Path) -> bytes:
    return path.read_bytes()
