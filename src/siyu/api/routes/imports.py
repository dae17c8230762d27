"""Customer imports (CSV/XLSX upload) and exports (a filtered list as CSV/XLSX)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path, PurePath
from typing import IO, Annotated

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.responses import StreamingResponse

from siyu.api.deps import CurrentActor, Paging, Uow
from siyu.api.import_schemas import ImportErrorOut, ImportErrorPage, ImportOut, ImportPage, ImportSummaryOut
from siyu.api.schemas import page_out
from siyu.domain.paging import PageRequest
from siyu.services import exports, imports
from siyu.services.clock import utcnow
from siyu.services.customers import CustomerFilter

router = APIRouter(prefix="/api/v1")
CHUNK = 1 << 20
SPOOL_LIMIT = 16 << 20  # exports larger than this go to a temporary file, not memory
FIRST_ERRORS = 20


@router.post("/imports/customers", response_model=ImportSummaryOut, status_code=201, tags=["imports"])
def import_customers(
    uow: Uow,
    actor: CurrentActor,
    file: Annotated[UploadFile, File(description="A CSV (UTF-8, or see `encoding`) or XLSX file; the header is row 1")],
    dry_run: Annotated[bool, Form(description="Check and count everything, save nothing but the report")] = False,
    encoding: Annotated[str | None, Form(description="The CSV's encoding when it is not UTF-8, e.g. gbk", max_length=20)] = None,
) -> ImportSummaryOut:
    """Import customers by the OneID rule. Bad rows are reported (see `first_errors`, and all of
    them under `/imports/{id}/errors`); good rows go in. The upload is streamed to a temporary
    file, never held in memory."""
    name = PurePath(file.filename or "upload").name
    with tempfile.NamedTemporaryFile(prefix="siyu-import-", suffix=PurePath(name).suffix[:10]) as spooled:
        shutil.copyfileobj(file.file, spooled, CHUNK)
        spooled.flush()
        run = imports.import_customers(uow, actor, Path(spooled.name), filename=name, dry_run=dry_run, encoding=encoding)
    first = imports.list_import_errors(uow, actor, run.id, PageRequest(page_size=FIRST_ERRORS))
    return ImportSummaryOut.model_validate(
        {**ImportOut.model_validate(run).model_dump(), "first_errors": [ImportErrorOut.model_validate(e) for e in first.items]}
    )


@router.get("/imports", response_model=ImportPage, tags=["imports"])
def list_imports(uow: Uow, actor: CurrentActor, paging: Paging) -> ImportPage:
    return page_out(ImportPage, imports.list_imports(uow, actor, paging))


@router.get("/imports/{import_id}", response_model=ImportOut, tags=["imports"])
def get_import(import_id: int, uow: Uow, actor: CurrentActor) -> ImportOut:
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
