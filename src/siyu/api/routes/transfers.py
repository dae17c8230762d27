"""Transfers (在职继承 / 离职继承): start one (the worker sends it to WeCom and polls), follow it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, Field

from siyu.api.deps import CurrentActor, Paging, Uow, get_context
from siyu.api.schemas import Out, PageOut, page_out
from siyu.bootstrap import Context
from siyu.services import transfers

router = APIRouter(prefix="/api/v1")
Ctx = Annotated[Context, Depends(get_context)]
STARTED: dict[int | str, dict[str, object]] = {
    202: {"description": "The transfer, queued for the worker",
          "headers": {"Location": {"description": "The transfer to poll: `/api/v1/transfers/{id}`", "schema": {"type": "string"}}}},
}


class TransferCreate(BaseModel):
    handover_staff_id: int
    takeover_staff_id: int
    customer_ids: list[int] | None = Field(default=None, max_length=10_000, description="Leave out for all the handover's customers")
    message: str | None = Field(default=None, max_length=200, description="transfer_success_msg, for on-job transfers")
    groups: bool = Field(default=True, description="Move the customer groups the handover owns too")


class TransferOut(Out):
    id: int
    resigned: bool = Field(description="离职继承 (the handover has resigned) or 在职继承")
    handover_staff_id: int
    takeover_staff_id: int
    status: str = Field(description="submitting, waiting (for WeCom's confirmation, within 24 h), done")
    message: str | None
    counts: dict[str, int] = Field(description="Items per status (pending, waiting, done, failed) and groups moved/failed")
    actor: str
    created_at: datetime
    finished_at: datetime | None


class TransferPage(PageOut[TransferOut]):
    pass


class TransferItemOut(Out):
    id: int
    customer_id: int
    external_userid: str
    status: str
    reason: str | None = Field(description="Why it failed: refused, takeover_at_limit, too_frequent, protected_90_days, ...")
    updated_at: datetime


class TransferItemPage(PageOut[TransferItemOut]):
    pass


@router.post("/transfers", response_model=TransferOut, status_code=202, tags=["transfers"], responses=STARTED)
def start_transfer(body: TransferCreate, context: Ctx, uow: Uow, actor: CurrentActor, response: Response) -> TransferOut:
    """Move customers (and groups) from one staff member to another. A resigned handover makes
    it a 离职继承. WeCom's rules apply: 100 per call, an on-job transfer moves a customer at
    most twice in 90 days (those fail with `protected_90_days`)."""
    made = transfers.start_transfer(uow, actor, **body.model_dump())
    context.tasks["run_transfer"](actor.tenant_id, made.id)
    response.headers["Location"] = f"/api/v1/transfers/{made.id}"
    return TransferOut.model_validate(transfers.get_transfer(uow, actor, made.id))


@router.get("/transfers", response_model=TransferPage, tags=["transfers"])
def list_transfers(uow: Uow, actor: CurrentActor, paging: Paging) -> TransferPage:
    return page_out(TransferPage, transfers.list_transfers(uow, actor, paging))


@router.get("/transfers/{transfer_id}", response_model=TransferOut, tags=["transfers"])
def get_transfer(transfer_id: int, uow: Uow, actor: CurrentActor) -> TransferOut:
    return TransferOut.model_validate(transfers.get_transfer(uow, actor, transfer_id))


@router.get("/transfers/{transfer_id}/items", response_model=TransferItemPage, tags=["transfers"])
def list_transfer_items(transfer_id: int, uow: Uow, actor: CurrentActor, paging: Paging) -> TransferItemPage:
    return page_out(TransferItemPage, transfers.transfer_items(uow, actor, transfer_id, paging))
