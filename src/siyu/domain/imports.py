"""Customer imports: a run over one file, its counts, and every bad cell it found."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from siyu.domain.errors import DomainError, Param

VALUE_MAX = 200  # what import_errors keeps of a bad cell
REASON_MAX = 300


class ImportStatus(StrEnum):
    RUNNING = "running"
    DONE = "done"  # the file was read to the end (bad rows, if any, are in the errors)
    FAILED = "failed"  # the file could not be read, or writing stopped; ``message`` says why


@dataclass(frozen=True, slots=True)
class CellError:
    """One problem, where the user can find it: ``row`` counts as Excel does (header = 1);
    ``column`` is the header as written in the file (None for a problem of the whole row)."""

    row: int
    column: str | None
    value: str | None
    reason: str  # in English; ``code`` and ``params`` let the console say it in its language
    code: str | None = field(default=None, compare=False)
    params: Mapping[str, Param] | None = field(default=None, compare=False)

    @classmethod
    def of(cls, row: int, column: str | None, value: str | None, error: DomainError) -> CellError:
        return cls(row, column, value, error.message, error.code, error.params)

    def stored(self) -> CellError:
        value = None if self.value is None else self.value[:VALUE_MAX]
        column = None if self.column is None else self.column[:64]
        return CellError(self.row, column, value, self.reason[:REASON_MAX], self.code, self.params)


@dataclass(slots=True)
class ImportCounts:
    rows_total: int = 0
    rows_good: int = 0
    rows_bad: int = 0
    customers_created: int = 0
    customers_updated: int = 0
    customers_merged: int = 0
    rows_done: int = 0  # the file row (header = 1) the last committed batch ended on: where a resumed run continues


@dataclass(frozen=True, slots=True)
class ImportRun:
    id: int
    filename: str
    dry_run: bool
    status: ImportStatus
    rows_total: int
    rows_good: int
    rows_bad: int
    customers_created: int
    customers_updated: int
    customers_merged: int
    errors: int  # bad cells and columns recorded (a bad row may have several)
    message: str | None  # why the run failed, in English
    actor: str
    created_at: datetime
    finished_at: datetime | None
    rows_expected: int | None = None  # data rows the file holds, estimated when it was uploaded
    message_code: str | None = None  # the failure's error code and values, to translate ``message``
    message_params: Mapping[str, Param] | None = None
    rows_done: int = 0

    @property
    def progress(self) -> float | None:
        return share_read(self.status, self.rows_total, self.rows_expected)


def share_read(status: ImportStatus, rows_read: int, rows_expected: int | None) -> float | None:
    """An import run's progress (customer and order imports): the share of the file read so far
    (0 to 1); 1 once done; None when the size is unknown or the run failed."""
    if status is not ImportStatus.RUNNING:
        return 1.0 if status is ImportStatus.DONE else None
    if not rows_expected:
        return None
    return min(rows_read / rows_expected, 1.0)
