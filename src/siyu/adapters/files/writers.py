"""Writing rows to CSV or XLSX as they come, for exports.

- CSV is UTF-8 with a byte-order mark: Excel on Windows reads a BOM-less CSV as the local
  code page and garbles Chinese.
- XLSX uses openpyxl's write-only mode, which spills rows to a temporary file instead of
  keeping cells in memory, and zips the workbook on close.
- Text that a spreadsheet would run as a formula (``=HYPERLINK(...)`` typed in as a customer's
  name) is written as plain text: CSV cells starting ``= + - @`` get a leading ``'`` (OWASP's
  advice for CSV injection); XLSX cells are typed as strings.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from typing import IO, Any, Protocol

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class SheetFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"

    @property
    def media_type(self) -> str:
        if self is SheetFormat.CSV:
            return "text/csv; charset=utf-8"
        return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class SheetWriter(Protocol):
    def write(self, row: list[Any]) -> None: ...

    def close(self) -> None: ...


class CsvWriter:
    def __init__(self, out: IO[bytes]) -> None:
        self._text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="")  # type: ignore[arg-type]
        self._csv = csv.writer(self._text)

    def write(self, row: list[Any]) -> None:
        self._csv.writerow([_csv_safe(v) for v in row])

    def close(self) -> None:
        self._text.flush()
        self._text.detach()  # leave the caller's stream open


class XlsxWriter:
    def __init__(self, out: IO[bytes], *, title: str) -> None:
        from openpyxl import Workbook

        self._out = out
        self._book = Workbook(write_only=True)
        self._sheet = self._book.create_sheet(title)

    def write(self, row: list[Any]) -> None:
        self._sheet.append([self._cell(v) for v in row])

    def _cell(self, value: Any) -> Any:
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        if not isinstance(value, str):
            return value
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if not value.startswith("="):
            return value
        cell = WriteOnlyCell(self._sheet, value=value)
        cell.data_type = "s"  # text, not a formula
        return cell

    def close(self) -> None:
        self._book.save(self._out)


@contextmanager
def open_writer(fmt: SheetFormat, out: IO[bytes], *, title: str = "Sheet1") -> Iterator[SheetWriter]:
    """A writer for ``fmt`` over the binary stream ``out``; leaving the block finishes the file."""
    writer: SheetWriter = CsvWriter(out) if fmt is SheetFormat.CSV else XlsxWriter(out, title=title)
    try:
        yield writer
    except BaseException:
        if isinstance(writer, CsvWriter):
            writer.close()  # detach, so the caller's stream stays theirs to close
        raise
    writer.close()


def _csv_safe(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value
