"""Bulk add-friend batches (批量加好友) in the console: the list, a new batch from an uploaded
phone list (preview first, then import, with the report), and each batch's progress per staff
member with its numbers filterable by state."""

from __future__ import annotations

from pathlib import PurePath
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response

from siyu.adapters.files.uploads import kept_while_read
from siyu.domain.access import Permission, Role
from siyu.domain.add_friend import MAX_FILE_MB, BatchDraft, ImportReport, NumberState
from siyu.domain.errors import DomainError, InvalidInput
from siyu.domain.organisation import StaffStatus
from siyu.domain.paging import PageRequest
from siyu.services import add_friend, add_friend_matching, staff, stores
from siyu.services.add_friend import Assignment
from siyu.web.console import get_console
from siyu.web.i18n import N_
from siyu.web.forms import Paging, failure, filter_choice, filter_ids, optional_id, query_string
from siyu.web.render import flash, language_for, page, redirect
from siyu.web.session import CurrentViewer, Viewer

router = APIRouter()
ALL = PageRequest(page=1, page_size=200)
ENCODINGS = ("utf-8", "gbk")
StaffIds = Annotated[list[str] | None, Form()]


def _choices(request: Request, viewer: Viewer) -> dict[str, object]:
    uow = get_console(request).context.uow
    members = staff.list_staff(uow(), viewer.actor, ALL, status=StaffStatus.ACTIVE).items
    return {"staff_options": [(m.id, m.name, m.wecom_userid) for m in members if m.role in (Role.GUIDE, Role.STORE_MANAGER)],
            "store_options": [(s.id, s.name) for s in stores.list_stores(uow(), viewer.actor, ALL).items], "encodings": ENCODINGS}


def _assignment(staff_ids: list[str] | None, store_id: str) -> Assignment:
    return Assignment(staff_ids=filter_ids(staff_ids), store_id=optional_id(store_id, "store_id"))


def _read(request: Request, viewer: Viewer, file: UploadFile | None, encoding: str):  # type: ignore[no-untyped-def]
    viewer.actor.require(Permission.CUSTOMERS_MANAGE)  # before the upload is written to disk
    if file is None or not file.filename:
        raise InvalidInput("form.choose_file", "choose a file", field="file")
    if encoding not in ENCODINGS:
        raise InvalidInput("form.choose_encoding", "choose an encoding from the list", field="encoding")
    return kept_while_read(file.file, get_console(request).context.settings.data_dir / "uploads", filename=file.filename,
                           max_bytes=MAX_FILE_MB << 20)


@router.get("/add-friend")
def list_batches(request: Request, viewer: CurrentViewer, paging: Paging) -> Response:
    found = add_friend.list_batches(get_console(request).context.uow(), viewer.actor, paging)
    return page(request, "add_friend/list.html", {"batches": found, "query": ""})


def _form(request: Request, viewer: Viewer, values: dict[str, object], *, report: ImportReport | None = None,
          errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    view = {"values": values, "report": report, "errors": errors or {}, **_choices(request, viewer)}
    return page(request, "add_friend/new.html", view, status_code=status_code)


@router.get("/add-friend/new")
def new_batch(request: Request, viewer: CurrentViewer) -> Response:
    add_friend.list_batches(get_console(request).context.uow(), viewer.actor, PageRequest(page_size=1))  # the permission, up front
    return _form(request, viewer, {"due_days": "0", "staff_ids": [], "store_id": ""})


@router.post("/add-friend/new")
def create_batch(request: Request, viewer: CurrentViewer, file: Annotated[UploadFile | None, File()] = None,
                 name: Annotated[str, Form()] = "", due_days: Annotated[str, Form()] = "0", staff_ids: StaffIds = None,
                 store_id: Annotated[str, Form()] = "", encoding: Annotated[str, Form()] = "utf-8",
                 dry_run: Annotated[bool, Form()] = False) -> Response:
    """A preview (dry run) shows the report under the form, to import for real next; an import shows the batch."""
    values = {"name": name, "due_days": due_days, "staff_ids": staff_ids or [], "store_id": store_id, "encoding": encoding}
    try:
        if not due_days.strip().isdigit():
            raise InvalidInput("form.whole_number", "enter a whole number", field="due_days")
        filename = file.filename if file is not None and file.filename else ""
        draft = BatchDraft.parse(name=name.strip() or PurePath(filename).stem, due_days=int(due_days))
        with _read(request, viewer, file, encoding) as path:
            report = add_friend.create_batch(get_console(request).context.uow(), viewer.actor, draft, path, dry_run=dry_run,
                                             assignment=_assignment(staff_ids, store_id),
                                             encoding=None if encoding == "utf-8" else encoding)
    except DomainError as exc:
        errors, status = failure(language_for(request), exc)
        return _form(request, viewer, values, errors=errors, status_code=status)
    if report.batch_id is None:
        return _form(request, viewer, values, report=report)
    return _detail(request, viewer, report.batch_id, PageRequest(), None, report=report)


def _detail(request: Request, viewer: Viewer, batch_id: int, paging: PageRequest, state: NumberState | None, *,
            report: ImportReport | None = None, errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    uow = get_console(request).context.uow
    detail = add_friend.get_batch(uow(), viewer.actor, batch_id)
    numbers = add_friend.list_numbers(uow(), viewer.actor, batch_id, paging, state=state)
    names = {p.staff_id: p.staff_name for p in detail.staff}
    view = {"batch": detail.batch, "staff": detail.staff, "numbers": numbers, "state": state.value if state else "",
            "states": list(NumberState), "query": query_string({"state": state.value if state else None}), "report": report,
            "names": names, "errors": errors or {}, **_choices(request, viewer)}
    return page(request, "add_friend/show.html", view, status_code=status_code)


@router.get("/add-friend/{batch_id:int}")
def show_batch(request: Request, viewer: CurrentViewer, paging: Paging, batch_id: int, state: str | None = None) -> Response:
    return _detail(request, viewer, batch_id, paging, filter_choice(NumberState, state))


@router.post("/add-friend/{batch_id:int}/numbers")
def import_numbers(request: Request, viewer: CurrentViewer, batch_id: int, file: Annotated[UploadFile | None, File()] = None,
                   staff_ids: StaffIds = None, store_id: Annotated[str, Form()] = "", encoding: Annotated[str, Form()] = "utf-8",
                   dry_run: Annotated[bool, Form()] = False) -> Response:
    """More numbers into the batch; the report shows above the batch."""
    uow = get_console(request).context.uow
    add_friend.get_batch(uow(), viewer.actor, batch_id)  # another tenant's batch is not found before the file is looked at
    try:
        with _read(request, viewer, file, encoding) as path:
            report = add_friend.import_numbers(uow(), viewer.actor, batch_id, path, dry_run=dry_run,
                                               assignment=_assignment(staff_ids, store_id),
                                               encoding=None if encoding == "utf-8" else encoding)
    except DomainError as exc:
        errors, status = failure(language_for(request), exc)
        return _detail(request, viewer, batch_id, PageRequest(), None, errors=errors, status_code=status)
    return _detail(request, viewer, batch_id, PageRequest(), None, report=report)


@router.post("/add-friend/{batch_id:int}/rematch")
def rematch(request: Request, viewer: CurrentViewer, batch_id: int) -> Response:
    _, changed = add_friend_matching.rematch_batch(get_console(request).context.uow(), viewer.actor, batch_id)
    response = redirect(f"/add-friend/{batch_id}")
    flash(request, response, N_("Matched again: %(count)s numbers changed."), count=changed)
    return response


@router.post("/add-friend/numbers/{number_id:int}/invalid")
def mark_invalid(request: Request, viewer: CurrentViewer, number_id: int) -> Response:
    number = add_friend.mark_invalid(get_console(request).context.uow(), viewer.actor, number_id)
    response = redirect(f"/add-friend/{number.batch_id}?state=invalid")
    flash(request, response, N_("Marked %(phone)s invalid; its task is cancelled."), phone=number.phone)
    return response

