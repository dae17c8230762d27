"""Order imports (CSV/XLSX upload): queue a run, poll it, read its bad rows and download its report."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Response, UploadFile
from fastapi.responses import StreamingResponse

from siyu.api.deps import CurrentActor, Paging, Uow, get_context
from siyu.api.import_schemas import ImportErrorPage
from siyu.api.order_import_schemas import OrderImportOut, OrderImportPage
from siyu.api.schemas import ErrorOut, page_out
from siyu.bootstrap import Context
from siyu.services import order_imports
from siyu.task_queueing import queue_order_import

router = APIRouter(prefix="/api/v1")
UPLOAD_RESPONSES: dict[int | str, dict[str, object]] = {
    202: {"description": "The run, queued for the worker",
          "headers": {"Location": {"description": "The run to poll: `/api/v1/order-imports/{id}`", "schema": {"type": "string"}}}},
    413: {"model": ErrorOut, "description": "The file is larger than the limit (`SIYU_IMPORT_MAX_MB`, 256 MiB by default)"},
    422: {"model": ErrorOut, "description": "The file cannot be imported at all: not .csv/.xlsx, not in its encoding, "
          "empty, or without a needed column (`order_import.missing_columns`; nothing was recorded)"},
}


@router.post("/imports/orders", response_model=OrderImportOut, status_code=202, tags=["imports"], responses=UPLOAD_RESPONSES)
def import_orders(
    context: Annotated[Context, Depends(get_context)],
    actor: CurrentActor,
    response: Response,
    file: Annotated[UploadFile, File(description="A .csv (UTF-8, or see `encoding`) or .xlsx file, one row per order line")],
    dry_run: Annotated[bool, Form(description="Check and count everything, save nothing but the report")] = False,
    encoding: Annotated[str | None, Form(description="The CSV's encoding when it is not UTF-8, e.g. gbk", max_length=20)] = None,
    source: Annotated[str | None, Form(description="The orders' source when the file has no source column", max_length=20)] = None,
) -> OrderImportOut:
    """Queue an import of orders (``orders.manage``); the worker runs it. Orders are idempotent
    on source and order id (a re-import changes nothing, a changed order is updated), refunds
    are added once, orders matching no customer are kept and counted as unmatched. The answer
    (202) is the run, `running`, with a `Location` to poll; every bad row is under
    `/order-imports/{id}/errors` (paged) and `/order-imports/{id}/report` (CSV)."""
    run = queue_order_import(context, actor, file.file, filename=file.filename or "", dry_run=dry_run,
                             encoding=encoding or None, source=(source or "").strip() or None)
    response.headers["Location"] = f"/api/v1/order-imports/{run.id}"
    return OrderImportOut.model_validate(run)


@router.get("/order-imports", response_model=OrderImportPage, tags=["imports"])
def list_order_imports(uow: Uow, actor: CurrentActor, paging: Paging) -> OrderImportPage:
    return page_out(OrderImportPage, order_imports.list_imports(uow, actor, paging))


@router.get("/order-imports/{order_import_id}", response_model=OrderImportOut, tags=["imports"])
def get_order_import(order_import_id: int, uow: Uow, actor: CurrentActor) -> OrderImportOut:
    """A run: `running` until the worker has read the file, then `done` or `failed` (`message` says why)."""
    return OrderImportOut.model_validate(order_imports.get_import(uow, actor, order_import_id))


@router.get("/order-imports/{order_import_id}/errors", response_model=ImportErrorPage, tags=["imports"])
def list_order_import_errors(order_import_id: int, uow: Uow, actor: CurrentActor, paging: Paging) -> ImportErrorPage:
    """Every bad row of the run, by row number (the header is row 1), with its column and reason."""
    return page_out(ImportErrorPage, order_imports.list_import_errors(uow, actor, order_import_id, paging))


@router.get("/order-imports/{order_import_id}/report", tags=["imports"], response_class=StreamingResponse,
            responses={200: {"content": {"text/csv": {}}, "description": "row, column, value, reason; UTF-8 with BOM"}})
def order_import_report(order_import_id: int, uow: Uow, actor: CurrentActor) -> StreamingResponse:
    """The run's bad rows as a CSV file, reasons in English."""
    return StreamingResponse(order_imports.report_csv(uow, actor, order_import_id), media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": f'attachment; filename="order-import-{order_import_id}-report.csv"'})
