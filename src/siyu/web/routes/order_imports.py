"""Order imports in the console (导入订单): upload a file, watch the worker import it, read and
download the report. The same shape as the customer imports (:mod:`siyu.web.routes.imports`):
the upload is stored and checked, the run recorded at once, the worker runs it
(``siyu.task_queueing.queue_order_import``, shared with the API), and the run's page polls its counts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response, StreamingResponse

from siyu.domain.errors import InvalidInput
from siyu.domain.imports import ImportStatus
from siyu.domain.paging import PageRequest
from siyu.services import actors, order_imports
from siyu.task_queueing import queue_order_import
from siyu.web.console import get_console
from siyu.web.forms import Paging, failure
from siyu.web.render import fragment, is_htmx, language_for, page, redirect
from siyu.web.routes.imports import ENCODINGS
from siyu.web.session import CurrentViewer, Viewer

router = APIRouter()


def _list(request: Request, viewer: Viewer, paging: PageRequest, *, errors: dict[str, str] | None = None,
          status_code: int = 200) -> Response:
    uow = get_console(request).context.uow
    runs = order_imports.list_imports(uow(), viewer.actor, paging)
    view = {"runs": runs, "errors": errors or {}, "encodings": ENCODINGS, "query": "",
            "actors": actors.actor_names(uow(), viewer.actor, (r.actor for r in runs.items))}
    return page(request, "orders/imports.html", view, status_code=status_code)


@router.get("/orders/imports")
def list_imports(request: Request, viewer: CurrentViewer, paging: Paging) -> Response:
    return _list(request, viewer, paging)


@router.post("/orders/imports")
def upload(
    request: Request, viewer: CurrentViewer, paging: Paging, file: Annotated[UploadFile, File()],
    dry_run: Annotated[bool, Form()] = False, encoding: Annotated[str, Form()] = "utf-8",
    source: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    try:
        if encoding not in ENCODINGS:
            raise InvalidInput("form.choose_encoding", "choose an encoding from the list", field="encoding")
        run = queue_order_import(get_console(request).context, viewer.actor, file.file, filename=file.filename or "",
                                 dry_run=dry_run, encoding=None if encoding == "utf-8" else encoding, source=source.strip() or None)
    except InvalidInput as exc:
        errors, status = failure(language_for(request), exc)
        return _list(request, viewer, paging, errors=errors, status_code=status)
    return redirect(f"/orders/imports/{run.id}")


@router.get("/orders/imports/{order_import_id:int}")
def show_import(request: Request, viewer: CurrentViewer, paging: Paging, order_import_id: int) -> Response:
    uow = get_console(request).context.uow
    run = order_imports.get_import(uow(), viewer.actor, order_import_id)
    bad = order_imports.list_import_errors(uow(), viewer.actor, order_import_id, paging)
    view = {"run": run, "counts": run.counts, "bad": bad, "running": run.status is ImportStatus.RUNNING, "query": "",
            "actors": actors.actor_names(uow(), viewer.actor, [run.actor])}
    if is_htmx(request):
        return fragment(request, "orders/_import_status.html", view)
    return page(request, "orders/import.html", view)


@router.get("/orders/imports/{order_import_id:int}/report.csv")
def download_report(request: Request, viewer: CurrentViewer, order_import_id: int) -> Response:
    """Every bad row as CSV, the reasons in the viewer's language."""
    language = language_for(request)
    body = order_imports.report_csv(get_console(request).context.uow(), viewer.actor, order_import_id,
                                    lambda error: language.coded(error.code, error.params, error.reason))
    return StreamingResponse(body, media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": f'attachment; filename="order-import-{order_import_id}-report.csv"'})
