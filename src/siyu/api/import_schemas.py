"""Response schemas of customer imports (the XOut / XPage families of :mod:`siyu.api.schemas`)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from siyu.api.schemas import Out, PageOut
from siyu.domain.imports import ImportStatus


class ImportErrorOut(Out):
    row: int = Field(description="The row as Excel numbers it (the header is row 1)")
    column: str | None
    value: str | None
    reason: str = Field(description="What is wrong, in English")
    code: str | None = Field(description="The reason's stable error code, e.g. `phone.invalid`")
    params: dict[str, str | int | float] | None = Field(description="The values quoted in the reason")


class ImportErrorPage(PageOut[ImportErrorOut]):
    pass


class ImportOut(Out):
    id: int
    filename: str
    dry_run: bool
    status: ImportStatus
    rows_expected: int | None = Field(description="Data rows in the file, estimated at upload (null when unknown)")
    rows_total: int = Field(description="Rows read so far (all of them once the run is done)")
    progress: float | None = Field(description="Share of the file read, 0 to 1 (null when the size is unknown or the run failed)")
    rows_good: int
    rows_bad: int
    customers_created: int
    customers_updated: int
    customers_merged: int
    errors: int
    message: str | None = Field(description="Why the run failed, in English")
    message_code: str | None = Field(description="The failure's error code, e.g. `file.bad_csv`")
    message_params: dict[str, str | int | float] | None
    actor: str
    created_at: datetime
    finished_at: datetime | None


class ImportPage(PageOut[ImportOut]):
    pass
