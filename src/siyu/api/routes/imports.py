"""Customer imports (CSV/XLSX upload) and exports (a filtered list as CSV/XLSX)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from datetime import datetime
from typing import IO, Annotated

from fastapi import APIRouter, Depends, File, Form, Query, Response, UploadFile
from fastapi.responses import StreamingResponse

from siyu.api.deps import CurrentActor, Paging, Uow, get_context
from siyu.api.import_schemas import ImportErrorPage, ImportOut, ImportPage
from siyu.api.schemas import ErrorOut, page_out
from siyu.bootstrap import Context
from siyu.services import exports, imports
from siyu.services.clock import utcnow
from siyu.services.customers import CustomerFilter
from siyu.task_queueing import queue_customer_import

router = APIRouter(prefix="/api/v1")
CHUNK = 1 << 20
SPOOL_LIMIT = 16 << 20  # exports larger than this go to a temporary file, not memory
UPLOAD_RESPONSES: dict[int | str, dict[str, object]] = {
    202: {"description": "The run, queued for the worker",
          "headers": {"Location": {"description": "The run to poll: `/api/v1/imports/{id}`", "schema": {"type": "string"}}}},
    413: {"model": ErrorOut, "description": "The file is larger than the limit (`SIYU_IMPORT_MAX_MB`, 256 MiB by default)"},
    422: {"model": ErrorOut, "description": "The file cannot be imported at all: not .csv/.xlsx, not in its encoding, "
          "empty, or without an identity column (`error.code` says which; nothing was recorded)"},
}


@router.post("/imports/customers", response_model=ImportOut, status_code=202, tags=["imports"], responses=UPLOAD_RESPONSES)
def import_customers(
    context: Annotated[Context, Depends(get_context)],
    actor: CurrentActor,
    response: Response,
    file: Annotated[UploadFile, File(description="A .csv (UTF-8, or see `encoding`) or .xlsx file; the header is row 1")],
    dry_run: Annotated[bool, Form(description="Check and count everything, save nothing but the report")] = False,
    encoding: Annotated[str | None, Form(description="The CSV's encoding when it is not UTF-8, e.g. gbk", max_length=20)] = None,
) -> ImportOut:
    """Queue an import of customers by the OneID rule; the worker runs it. The answer (202) is
    the run, `running`, with a `Location` to poll: `GET /imports/{id}` shows its status, rows
    read of `rows_expected`, `progress` and counts; every bad row is under `/imports/{id}/errors`
    (paged) as soon as its batch is read. Good rows go in, bad rows are reported. The upload is
    streamed to disk, never held in memory, and checked first: a file that cannot be imported at
    all is refused here (413/422) and leaves nothing behind."""
    run = queue_customer_import(context, actor, file.file, filename=file.filename or "", dry_run=dry_run,
                                encoding=encoding or None)
    response.headers["Location"] = f"/api/v1/imports/{run.id}"
    return ImportOut.model_validate(run)


@router.get("/imports", response_model=ImportPage, tags=["imports"])
def list_imports(uow: Uow, actor: CurrentActor, paging: Paging) -> ImportPage:
    return page_out(ImportPage, imports.list_imports(uow, actor, paging))


@router.get("/imports/{import_id}", response_model=ImportOut, tags=["imports"])
def get_import(import_id: int, uow: Uow, actor: CurrentActor) -> ImportOut:
    """A run: `running` until the worker has read the file, then `done` (bad rows, if any, are
    under `/errors`) or `failed` (`message` says why)."""
    return ImportOut.model_validate(imports.get_import(uow, actor, import_id))


@router.get("/imports/{import_id}/errors", response_model=ImportErrorPage, tags=["imports"])
def list_import_errors(import_id: int, uow: Uow, actor: CurrentActor, paging: Paging) -> ImportErrorPage:
    """Every bad cell and column of the run, by row number (the header is row 1)."""
    return page_out(ImportErrorPage, imports.list_import_errors(uow, actor, import_id, paging))


@router.get(
    "/customers/export",
    tags=["customers"],
    response_class=StreamingResponse,
    responses={200: {"content": {f.media_type.split(";")[0]: {} for f in exports.SheetFormat}, "description": "The file"}},
)
def export_customers(
    uow: Uow,
    actor: CurrentActor,
    fmt: Annotated[exports.SheetFormat, Query(alias="format")] = exports.SheetFormat.CSV,
    q: Annotated[str | None, Query(max_length=64)] = None,
    tag_id: Annotated[list[int] | None, Query(description="Customers with any of these tags")] = None,
    stage_id: int | None = None,
    staff_id: int | None = None,
    store_id: int | None = None,
    added_from: datetime | None = None,
    added_to: datetime | None = None,
) -> StreamingResponse:
    """The customers matching the filters (within the caller's scope) as CSV (UTF-8 with BOM)
    or XLSX. Phones are masked without `phones.view`; all customers at once needs `customers.manage`."""
    flt = CustomerFilter(q=q, tag_ids=tuple(tag_id or ()), stage_id=stage_id, staff_id=staff_id, store_id=store_id,
                         added_from=added_from, added_to=added_to)
    buffer = tempfile.SpooledTemporaryFile(max_size=SPOOL_LIMIT)  # noqa: SIM115 (closed by _stream)
    try:
        exports.export_customers(uow, actor, flt, buffer, fmt=fmt)
    except BaseException:
        buffer.close()
        raise
    buffer.seek(0)
    filename = f"customers-{utcnow().astimezone(exports.SHANGHAI):%Y%m%d-%H%M%S}.{fmt.value}"
    return StreamingResponse(_stream(buffer), media_type=fmt.media_type,
                             headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _stream(buffer: IO[bytes]) -> Iterator[bytes]:
    try:
        while chunk := buffer.read(CHUNK):
            yield chunk
    finally:
        buffer.close()
