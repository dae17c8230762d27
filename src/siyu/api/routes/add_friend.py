"""Bulk add-friend batches (批量加好友): upload a phone list, follow each number until added."""

from __future__ import annotations

from pathlib import PurePath
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, UploadFile

from siyu.adapters.files.uploads import kept_while_read
from siyu.api.add_friend_schemas import (
    AddFriendBatchDetailOut, AddFriendBatchOut, AddFriendBatchPage, AddFriendNumberOut, AddFriendNumberPage, AddFriendRematchOut,
    AddFriendReportOut, AssignedOut,
)
from siyu.api.deps import CurrentActor, Paging, Uow, get_context
from siyu.api.import_schemas import ImportErrorOut
from siyu.api.schemas import ErrorOut, page_out
from siyu.bootstrap import Context
from siyu.domain.access import Permission
from siyu.domain.add_friend import MAX_FILE_MB, BatchDraft, ImportReport, parse_state
from siyu.services import add_friend, add_friend_matching
from siyu.services.add_friend import Assignment

router = APIRouter(prefix="/api/v1", tags=["add-friend batches"])
FILE = Annotated[UploadFile, File(description="A .csv (UTF-8, or see `encoding`) or .xlsx list: phone, and optionally name, "
                                              "staff (a WeCom userid or staff id) and note; the header is row 1")]
STAFF_IDS = Annotated[list[int] | None, Form(description="Staff who share the rows that name nobody, round robin, in this order")]
STORE_ID = Annotated[int | None, Form(description="Or (after `staff_ids`) the active guides of this store")]
DRY_RUN = Annotated[bool, Form(description="Read and check everything, save nothing: the report is the preview")]
ENCODING = Annotated[str | None, Form(description="The CSV's encoding when it is not UTF-8, e.g. gbk", max_length=20)]
RESPONSES: dict[int | str, dict[str, object]] = {
    413: {"model": ErrorOut, "description": f"The file is larger than {MAX_FILE_MB} MiB"},
    422: {"model": ErrorOut, "description": "The file cannot be read at all (not .csv/.xlsx, not in its encoding, empty, no phone "
          "column, too many rows) or the staff to share it are not usable; nothing was saved"},
}


def _report(report: ImportReport) -> AddFriendReportOut:
    return AddFriendReportOut(
        batch_id=report.batch_id, dry_run=report.dry_run, rows_total=report.rows_total, rows_new=report.rows_new,
        rows_already_in_batch=report.rows_already_in_batch, rows_bad=report.rows_bad, already_added=report.already_added,
        assigned=[AssignedOut(staff_id=s, numbers=n) for s, n in (report.assigned or {}).items()],
        errors=[ImportErrorOut.model_validate(e) for e in report.errors or []],
    )


@router.post("/add-friend-batches", response_model=AddFriendReportOut, status_code=201, responses=RESPONSES)
def create_batch(context: Annotated[Context, Depends(get_context)], actor: CurrentActor, file: FILE,
                 name: Annotated[str | None, Form(max_length=64, description="The batch's name (default: the file's name)")] = None,
                 due_days: Annotated[int, Form(ge=0, le=30, description="Tasks due at the end of the day (Asia/Shanghai) this many days on; 0: today, on the guides' list at once")] = 0, staff_ids: STAFF_IDS = None, store_id: STORE_ID = None,
                 dry_run: DRY_RUN = False, encoding: ENCODING = None) -> AddFriendReportOut:
    """A new batch from a phone list, read now: good rows become numbers, each with a guide task for its staff member;
    every bad row is in the report's `errors` with its row, column and reason."""
    actor.require(Permission.CUSTOMERS_MANAGE)  # before the upload is written to disk
    draft = BatchDraft.parse(name=name or PurePath(file.filename or "").stem, due_days=due_days)
    with kept_while_read(file.file, context.settings.data_dir / "uploads", filename=file.filename or "",
                         max_bytes=MAX_FILE_MB << 20) as path:
        report = add_friend.create_batch(context.uow(), actor, draft, path, encoding=encoding or None, dry_run=dry_run,
                                         assignment=Assignment(tuple(staff_ids or ()), store_id))
    return _report(report)


@router.post("/add-friend-batches/{batch_id}/numbers", response_model=AddFriendReportOut, responses=RESPONSES)
def import_numbers(batch_id: int, context: Annotated[Context, Depends(get_context)], actor: CurrentActor, file: FILE,
                   staff_ids: STAFF_IDS = None, store_id: STORE_ID = None, dry_run: DRY_RUN = False,
                   encoding: ENCODING = None) -> AddFriendReportOut:
    """More numbers into the batch; phones it has already are counted in `rows_already_in_batch`, not added again."""
    actor.require(Permission.CUSTOMERS_MANAGE)  # before the upload is written to disk
    with kept_while_read(file.file, context.settings.data_dir / "uploads", filename=file.filename or "",
                         max_bytes=MAX_FILE_MB << 20) as path:
        report = add_friend.import_numbers(context.uow(), actor, batch_id, path, encoding=encoding or None, dry_run=dry_run,
                                           assignment=Assignment(tuple(staff_ids or ()), store_id))
    return _report(report)


@router.get("/add-friend-batches", response_model=AddFriendBatchPage)
def list_batches(uow: Uow, actor: CurrentActor, paging: Paging) -> AddFriendBatchPage:
    """Newest first, with their counts and completion rates."""
    return page_out(AddFriendBatchPage, add_friend.list_batches(uow, actor, paging))


@router.get("/add-friend-batches/{batch_id}", response_model=AddFriendBatchDetailOut)
def get_batch(batch_id: int, uow: Uow, actor: CurrentActor) -> AddFriendBatchDetailOut:
    """The batch's counts and completion rate (added / assigned), overall and per assigned staff member."""
    detail = add_friend.get_batch(uow, actor, batch_id)
    return AddFriendBatchDetailOut.model_validate({**AddFriendBatchOut.model_validate(detail.batch).model_dump(),
                                                   "staff": detail.staff})


@router.get("/add-friend-batches/{batch_id}/numbers", response_model=AddFriendNumberPage)
def list_numbers(batch_id: int, uow: Uow, actor: CurrentActor, paging: Paging, state: str | None = None,
                 staff_id: int | None = None) -> AddFriendNumberPage:
    """The batch's numbers in import order; `state`: pending, added, added_by_other_staff or invalid."""
    return page_out(AddFriendNumberPage, add_friend.list_numbers(uow, actor, batch_id, paging,
                                                                 state=parse_state(state) if state else None, staff_id=staff_id))


@router.post("/add-friend-batches/{batch_id}/rematch", response_model=AddFriendRematchOut)
def rematch_batch(batch_id: int, uow: Uow, actor: CurrentActor) -> AddFriendRematchOut:
    """Match the batch's waiting numbers against the phones and relations known now (the worker does so every
    ten minutes)."""
    batch, changed = add_friend_matching.rematch_batch(uow, actor, batch_id)
    return AddFriendRematchOut(changed=changed, batch=AddFriendBatchOut.model_validate(batch))


@router.post("/add-friend-numbers/{number_id}/invalid", response_model=AddFriendNumberOut)
def mark_invalid(number_id: int, uow: Uow, actor: CurrentActor) -> AddFriendNumberOut:
    """Not to be added (an empty number, not on WeChat): its task is cancelled."""
    return AddFriendNumberOut.model_validate(add_friend.mark_invalid(uow, actor, number_id))
