"""Order imports: a run over one order file, its counts, and where it has got to.

A run reads the file in batches of whole orders; each batch's orders, bad rows and counts are
committed together with ``rows_done``, the file row its last order ended on. A run that stops
half way (the worker crashed) is resumed by reading the file again from ``rows_done + 1``:
what was committed is neither written nor counted twice. Bad rows are :class:`CellError`, as
in customer imports.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from siyu.domain.errors import Param
from siyu.domain.imports import ImportStatus, share_read

REPORT_HEADER = ("row", "column", "value", "reason")


@dataclass(slots=True)
class OrderImportCounts:
    rows_total: int = 0  # data rows read (blank rows aside)
    rows_good: int = 0
    rows_bad: int = 0
    rows_done: int = 0  # the file row (header = 1) the last committed batch ended on: where a resumed run continues
    orders_created: int = 0
    orders_updated: int = 0
    orders_unchanged: int = 0
    orders_rejected: int = 0
    orders_unmatched: int = 0  # written (or, in a dry run, would be) with no customer yet
    refunds_added: int = 0


@dataclass(frozen=True, slots=True)
class OrderImportRun:
    id: int
    filename: str
    dry_run: bool
    source: str | None  # the orders' source when the file has no source column
    status: ImportStatus
    counts: OrderImportCounts
    errors: int  # bad cells and columns recorded (a bad row may have several)
    message: str | None  # why the run failed, in English
    actor: str
    created_at: datetime
    finished_at: datetime | None
    rows_expected: int | None = None  # data rows the file holds, estimated when it was uploaded
    message_code: str | None = None
    message_params: Mapping[str, Param] | None = None

    @property
    def progress(self) -> float | None:
        return share_read(self.status, self.counts.rows_total, self.rows_expected)
