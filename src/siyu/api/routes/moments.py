"""Moments tasks (朋友圈任务): ask staff to post a moment visible by tag; follow who did."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from siyu.api.deps import CurrentActor, Paging, Uow, get_context
from siyu.api.moment_schemas import MomentCreate, MomentDetailOut, MomentOut, MomentPage, MomentSenderOut
from siyu.api.schemas import page_out
from siyu.bootstrap import Context
from siyu.domain.moments import MomentDraft
from siyu.services import moments

router = APIRouter(prefix="/api/v1")
Ctx = Annotated[Context, Depends(get_context)]
STARTED: dict[int | str, dict[str, object]] = {
    202: {"description": "The moments task, queued for the worker",
          "headers": {"Location": {"description": "The task to follow: `/api/v1/moments/{id}`", "schema": {"type": "string"}}}},
}


def _detail(uow: Uow, actor: CurrentActor, moment_id: int) -> MomentDetailOut:
    found = moments.get_moment(uow, actor, moment_id)
    senders = moments.moment_senders(uow, actor, moment_id)
    return MomentDetailOut.model_validate({**MomentOut.model_validate(found).model_dump(),
                                           "sender_list": [MomentSenderOut.model_validate(s) for s in senders]})


@router.post("/moments", response_model=MomentDetailOut, status_code=202, tags=["moments"], responses=STARTED)
def create_moment(body: MomentCreate, context: Ctx, uow: Uow, actor: CurrentActor, response: Response) -> MomentDetailOut:
    """Record a moments task and queue it: the worker hands it to WeCom (`add_moment_task`), polls
    WeCom's job, then each sender's publish status until all posted or 3 days passed."""
    made = moments.create_moment(uow, actor, MomentDraft.parse(**body.model_dump()))
    context.tasks["run_moment"](actor.tenant_id, made.id)
    response.headers["Location"] = f"/api/v1/moments/{made.id}"
    return _detail(uow, actor, made.id)


@router.get("/moments", response_model=MomentPage, tags=["moments"])
def list_moments(uow: Uow, actor: CurrentActor, paging: Paging) -> MomentPage:
    return page_out(MomentPage, moments.list_moments(uow, actor, paging))


@router.get("/moments/{moment_id}", response_model=MomentDetailOut, tags=["moments"])
def get_moment(moment_id: int, uow: Uow, actor: CurrentActor) -> MomentDetailOut:
    return _detail(uow, actor, moment_id)


@router.post("/moments/{moment_id}/cancel", response_model=MomentDetailOut, tags=["moments"])
def cancel_moment(moment_id: int, context: Ctx, uow: Uow, actor: CurrentActor) -> MomentDetailOut:
    """Stop the task: staff who have not posted it can no longer do so (`cancel_moment_task`)."""
    moments.cancel_moment(uow, context.secret_box, context.wecom_channel, actor, moment_id)
    return _detail(uow, actor, moment_id)
