"""Reading a spreadsheet as a header and a stream of rows of text cells.

CSV goes through the stdlib ``csv`` module, XLSX through openpyxl in read-only mode (it parses
the sheet's XML as it goes instead of building every cell). Either way the caller sees
``(row number, cells)`` pairs, numbered as the user sees them in Excel: the header is row 1.

A CSV is checked for its encoding before the first row is handed out (one quick pass over the
bytes, which also estimates the row count), so a file that is not UTF-8 is refused whole
instead of half-imported.
"""

from __future__ import annotations

import codecs
import csv
import re
import warnings
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from types import TracebackType
from typing import Any

from siyu.domain.errors import InvalidInput

CHUNK = 1 << 20
_XLSX_MAGIC = b"PK\x03\x04"
_XLS_MAGIC = b"\xd0\xcf\x11\xe0"
_CJK = re.compile(r"[\u4e00-\u9fff]")
# Excel on Chinese Windows saves "ANSI" CSV as code page 936 (GBK); GB18030 is its superset.
_CODEC_ALIASES = {"gbk": "gb18030", "gb2312": "gb18030", "cp936": "gb18030", "gb18030": "gb18030",
                  "utf-8": "utf-8-sig", "utf8": "utf-8-sig", "utf-8-sig": "utf-8-sig"}


@dataclass
class Sheet:
    """The first worksheet (or the CSV): its header row and its data rows, read lazily."""

    header: list[str]
    rows: Iterator[tuple[int, list[str]]]
    total: int | None  # data rows, estimated before reading (None when unknown)
    _close: Callable[[], None]

    def close(self) -> None:
        self._close()

    def __enter__(self) -> Sheet:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


def open_sheet(path: Path, *, encoding: str | None = None) -> Sheet:
    """Open a CSV or XLSX file (told apart by content; a ``.xlsx`` name must hold a workbook). Raises InvalidInput
    for a file that cannot be read, with what to do about it."""
    with open(path, "rb") as raw:
        magic = raw.read(4)
    if magic == _XLSX_MAGIC:
        return _xlsx(path)
    if path.suffix.lower() == ".xlsx":  # named as a workbook but not one: say so, not "no identity column"
        raise InvalidInput("file.not_xlsx", "the file is not a readable XLSX workbook (%(detail)s)", field="file",
                           detail="not a zip archive")
    if magic == _XLS_MAGIC:
        raise InvalidInput("file.old_xls", "old Excel .xls files are not supported: save the file as .xlsx or CSV UTF-8", field="file")
    return _csv(path, encoding)


def codec_for(encoding: str | None) -> str:
    if not encoding:
        return "utf-8-sig"
    name = encoding.strip().lower()
    if name in _CODEC_ALIASES:
        return _CODEC_ALIASES[name]
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise InvalidInput("file.unknown_encoding", "unknown encoding “%(encoding)s” (use utf-8 or gbk)", field="encoding",
                           encoding=encoding) from None


def _csv(path: Path, encoding: str | None) -> Sheet:
    codec = codec_for(encoding)
    lines = _check_encoding(path, codec, explicit=encoding)
    handle = open(path, encoding=codec, newline="")  # noqa: SIM115 (closed by Sheet.close)
    reader = csv.reader(handle)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        handle.close()
        raise InvalidInput("file.bad_csv", "row %(row)s is not valid CSV: %(detail)s", field="file", row=1, detail=str(exc)) from None
    if header is None:
        handle.close()
        raise InvalidInput("file.empty", "the file is empty", field="file")

    def rows() -> Iterator[tuple[int, list[str]]]:
        number = 1
        try:
            for number, cells in enumerate(reader, start=2):  # noqa: B007 (read in the except)
                yield number, cells
        except csv.Error as exc:
            raise InvalidInput("file.bad_csv", "row %(row)s is not valid CSV: %(detail)s", field="file", row=number + 1,
                               detail=str(exc)) from None

    return Sheet(header=header, rows=rows(), total=max(lines - 1, 0), _close=handle.close)


def _check_encoding(path: Path, codec: str, *, explicit: str | None) -> int:
    """Decode the whole file once (in chunks) and count its lines; refuse it if it does not decode."""
    decoder = codecs.getincrementaldecoder(codec)("strict")
    lines = offset = 0
    last = b""
    with open(path, "rb") as raw:
        while chunk := raw.read(CHUNK):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                raise _not_decodable(path, codec, explicit, offset + exc.start) from None
            lines += chunk.count(b"\n")
            offset += len(chunk)
            last = chunk[-1:]
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise _not_decodable(path, codec, explicit, offset - 1) from None
    return lines + (1 if last not in (b"", b"\n") else 0)


def _not_decodable(path: Path, codec: str, explicit: str | None, at: int) -> InvalidInput:
    if explicit:
        return InvalidInput("file.not_in_encoding", "the file is not valid %(encoding)s (at byte %(at)s): check the encoding it was saved in",
                            field="encoding", encoding=explicit, at=at)
    with open(path, "rb") as raw:
        raw.seek(at)
        sample = raw.read(64 * 1024)
    try:
        text = codecs.getincrementaldecoder("gb18030")("strict").decode(sample)
    except UnicodeDecodeError:
        text = ""
    if _CJK.search(text):
        return InvalidInput(
            "file.looks_gbk", "the file is not UTF-8 (it looks like GBK/GB18030): save it as UTF-8, or import with encoding gbk",
            field="encoding",
        )
    return InvalidInput("file.not_utf8", "the file is not UTF-8 (at byte %(at)s): save it as UTF-8, or import with its encoding",
                        field="encoding", at=at)


def _xlsx(path: Path) -> Sheet:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        with warnings.catch_warnings():
            # Harmless notes about styles or extensions openpyxl does not keep; reading needs neither.
            warnings.filterwarnings("ignore", category=UserWarning, module="openpyxl")
            book = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError) as exc:
        raise InvalidInput("file.not_xlsx", "the file is not a readable XLSX workbook (%(detail)s)", field="file", detail=str(exc)) from None
    if not book.worksheets:
        book.close()
        raise InvalidInput("file.no_worksheet", "the workbook has no worksheet", field="file")
    sheet = book.worksheets[0]
    values = sheet.iter_rows(values_only=True)
    first = next(values, None)
    if first is None:
        book.close()
        raise InvalidInput("file.empty", "the file is empty", field="file")
    max_row = sheet.max_row

    def rows() -> Iterator[tuple[int, list[str]]]:
        for number, cells in enumerate(values, start=2):
            yield number, [cell_text(v) for v in cells]

    total = max_row - 1 if isinstance(max_row, int) and max_row > 1 else None
    return Sheet(header=[cell_text(v) for v in first], rows=rows(), total=total, _close=book.close)


def cell_text(value: Any) -> str:
    """An XLSX cell as the text a person typed: 13800138000 not 13800138000.0, dates as ISO."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
