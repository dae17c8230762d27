"""Response schemas of order imports (the XOut / XPage families of :mod:`siyu.api.schemas`)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from siyu.api.schemas import Out, PageOut
from siyu.domain.imports import ImportStatus


class OrderImportCountsOut(Out):
    rows_total: int = Field(description="Rows read so far (all of them once the run is done)")
    rows_good: int
    rows_bad: int
    rows_done: int = Field(description="The file row (header = 1) the last saved batch ended on; a resumed run reads on from here")
    orders_created: int
    orders_updated: int = Field(description="Orders already known by source and order id that changed")
    orders_unchanged: int
    orders_rejected: int
    orders_unmatched: int = Field(description="Orders written with no customer yet (kept; matched when an identity appears)")
    refunds_added: int


class OrderImportOut(Out):
    id: int
    filename: str
    dry_run: bool
    source: str | None = Field(description="The orders' source when the file has no source column")
    status: ImportStatus
    rows_expected: int | None = Field(description="Data rows in the file, estimated at upload (null when unknown)")
    progress: float | None = Field(description="Share of the file read, 0 to 1 (null when the size is unknown or the run failed)")
    counts: OrderImportCountsOut
    errors: int = Field(description="Bad cells and columns recorded, under `/order-imports/{id}/errors`")
    message: str | None = Field(description="Why the run failed, in English")
    message_code: str | None
    message_params: dict[str, str | int | float] | None
    actor: str
    created_at: datetime
    finished_at: datetime | None


class OrderImportPage(PageOut[OrderImportOut]):
    pass
