"""Plain CSV files of messages (the evaluation interface): header aliases, gzip, normalised text."""

import csv
import gzip
import io
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from intake.classifier.text import ticket_text

# Message bodies can be longer than the csv module's default 128 KiB field limit.
csv.field_size_limit(sys.maxsize)

GZIP_MAGIC = b"\x1f\x8b"
# Our column name → the names it may have; the Chinese ones are the public message exports'.
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id", "留言编号"),
    "title": ("title", "留言主题"),
    "text": ("text", "留言详情"),
    "category": ("category", "一级分类"),
}


class CsvFormatError(ValueError):
    """The file cannot be read as a message CSV (missing columns, not CSV text)."""


@dataclass(frozen=True, slots=True)
class Message:
    id: str
    text: str
    category: str | None


def _open_text(path: Path) -> io.TextIOBase:
    with path.open("rb") as raw:
        compressed = raw.read(2) == GZIP_MAGIC
    # The caller closes the wrapper, and so the file.
    binary = gzip.open(path, "rb") if compressed else path.open("rb")  # noqa: SIM115
    # utf-8-sig: spreadsheet exports often start with a byte-order mark.
    return io.TextIOWrapper(binary, encoding="utf-8-sig", newline="")


def _column(header: list[str], name: str) -> int | None:
    stripped = [cell.strip() for cell in header]
    for alias in HEADER_ALIASES[name]:
        if alias in stripped:
            return stripped.index(alias)
    return None


def read_messages(path: Path | str, *, require_category: bool = False) -> Iterator[Message]:
    """The messages of a CSV file (plain or gzip) with `title,text` (or 留言主题,留言详情), and
    optionally `id` and `category` (or 一级分类). Rows are streamed; a row without an id gets its
    line number."""
    path = Path(path)
    try:
        with _open_text(path) as stream:
            reader = csv.reader(stream)
            header = next(reader, None)
            if header is None:
                raise CsvFormatError(f"{path}: empty file")
            columns = {name: _column(header, name) for name in HEADER_ALIASES}
            if columns["title"] is None or columns["text"] is None:
                raise CsvFormatError(f"{path}: needs columns title,text (or 留言主题,留言详情); found {header}")
            if require_category and columns["category"] is None:
                raise CsvFormatError(f"{path}: needs a category column (or 一级分类)")
            width = max(index for index in columns.values() if index is not None) + 1
            for number, row in enumerate(reader, start=2):
                if not any(cell.strip() for cell in row):
                    continue
                if len(row) < width:
                    raise CsvFormatError(f"{path}, line {reader.line_num}: {len(row)} columns, expected {width}")
                category = row[columns["category"]].strip() if columns["category"] is not None else None
                yield Message(
                    id=row[columns["id"]].strip() if columns["id"] is not None else str(number),
                    text=ticket_text(title=row[columns["title"]], text=row[columns["text"]]),
                    category=category or None,
                )
    except (UnicodeDecodeError, gzip.BadGzipFile, EOFError, csv.Error) as error:
        raise CsvFormatError(f"{path}: not a UTF-8 CSV file ({error})") from error
