"""Customer imports in the console: upload a file, watch the worker import it, read the report.

The upload is streamed to the data folder and checked, the run is recorded at once, and the
worker runs it (``siyu.task_queueing.queue_customer_import``, shared with the API); the run's page polls
its counts while it is running.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response

from siyu.domain.errors import InvalidInput
from siyu.domain.imports import ImportStatus
from siyu.domain.paging import PageRequest
from siyu.services import actors, imports
from siyu.task_queueing import queue_customer_import
from siyu.web.console import get_console
from siyu.web.forms import Paging, failure
from siyu.web.render import fragment, is_htmx, language_for, page, redirect
from siyu.web.session import CurrentViewer, Viewer

router = APIRouter()
ENCODINGS = ("utf-8", "gbk")


def _list(request: Request, viewer: Viewer, paging: PageRequest, *, errors: dict[str, str] | None = None,
          status_code: int = 200) -> Response:
    runs = imports.list_imports(get_console(request).context.uow(), viewer.actor, paging)
    view = {"runs": runs, "errors": errors or {}, "encodings": ENCODINGS, "query": "",
            "actors": actors.actor_names(get_console(request).context.uow(), viewer.actor, (r.actor for r in runs.items))}
    return page(request, "customers/imports.html", view, status_code=status_code)


@router.get("/customers/imports")
def list_imports(request: Request, viewer: CurrentViewer, paging: Paging) -> Response:
    return _list(request, viewer, paging)


@router.post("/customers/imports")
def upload(
    request: Request, viewer: CurrentViewer, paging: Paging,
    file: Annotated[UploadFile, File()], dry_run: Annotated[bool, Form()] = False, encoding: Annotated[str, Form()] = "utf-8",
) -> Response:
    try:
        if encoding not in ENCODINGS:
            raise InvalidInput("form.choose_encoding", "choose an encoding from the list", field="encoding")
        run = queue_customer_import(get_console(request).context, viewer.actor, file.file, filename=file.filename or "",
                                    dry_run=dry_run, encoding=None if encoding == "utf-8" else encoding)
    except InvalidInput as exc:
        errors, status = failure(language_for(request), exc)
        return _list(request, viewer, paging, errors=errors, status_code=status)
    return redirect(f"/customers/imports/{run.id}")


@router.get("/customers/imports/{import_id:int}")
def show_import(request: Request, viewer: CurrentViewer, paging: Paging, import_id: int) -> Response:
    uow = get_console(request).context.uow
    run = imports.get_import(uow(), viewer.actor, import_id)
    bad = imports.list_import_errors(uow(), viewer.actor, import_id, paging)
    view = {"run": run, "bad": bad, "running": run.status is ImportStatus.RUNNING, "query": "",
            "actors": actors.actor_names(uow(), viewer.actor, [run.actor])}
    if is_htmx(request):
        return fragment(request, "customers/_import_status.html", view)
    return page(request, "customers/import.html", view)
