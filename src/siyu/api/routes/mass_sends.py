"""Mass sends (群发): create (now or scheduled), preview the audience, list, report, cancel."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Depends, Response

from siyu.api.deps import CurrentActor, Paging, Uow, get_context
from siyu.api.mass_send_schemas import (
    AudienceCountOut, MassSendAudience, MassSendCreate, MassSendOut, MassSendPage, MassSendReportOut,
)
from siyu.api.schemas import page_out
from siyu.bootstrap import Context
from siyu.domain.mass_sends import MassSendDraft
from siyu.services import mass_sends

router = APIRouter(prefix="/api/v1")
Ctx = Annotated[Context, Depends(get_context)]


@router.post("/mass-sends", response_model=MassSendOut, status_code=202, tags=["mass sends"])
def create_mass_send(body: MassSendCreate, context: Ctx, uow: Uow, actor: CurrentActor, response: Response) -> MassSendOut:
    """Record a mass send; the worker plans it at its time (one WeCom task per staff member and
    10,000 customers), submits it and polls the results until final. ``experiment`` makes the
    send's own experiment in the same transaction: a holdout that is not sent, and/or a variant B
    text that half of those sent get."""
    draft = MassSendDraft.parse(**body.model_dump(exclude={"experiment"}))
    made = mass_sends.create_mass_send(uow, actor, draft, experiment=body.experiment.parse() if body.experiment else None)
    if made.scheduled_at <= made.created_at:
        context.tasks["advance_mass_send"](actor.tenant_id, made.id)
    response.headers["Location"] = f"/api/v1/mass-sends/{made.id}"
    return MassSendOut.model_validate(made)


@router.post("/mass-sends/audience-count", response_model=AudienceCountOut, tags=["mass sends"])
def count_audience(body: MassSendAudience, uow: Uow, actor: CurrentActor) -> AudienceCountOut:
    return AudienceCountOut(customers=mass_sends.audience_count(uow, actor, segment_id=body.segment_id,
                                                                customer_ids=body.customer_ids))


@router.get("/mass-sends", response_model=MassSendPage, tags=["mass sends"])
def list_mass_sends(uow: Uow, actor: CurrentActor, paging: Paging, status: str | None = None) -> MassSendPage:
    return page_out(MassSendPage, mass_sends.list_mass_sends(uow, actor, paging, status=status))


@router.get("/mass-sends/{send_id}", response_model=MassSendReportOut, tags=["mass sends"])
def get_mass_send(send_id: int, uow: Uow, actor: CurrentActor) -> MassSendReportOut:
    """The send with its report: targets by status, exclusions by reason, each staff member's confirmation."""
    report = mass_sends.mass_send_report(uow, actor, send_id)
    return MassSendReportOut(send=MassSendOut.model_validate(report.send), audience=report.audience, targets=report.targets,
                             exclusions=report.exclusions, staff=[asdict(s) for s in report.staff], tasks=report.tasks)


@router.post("/mass-sends/{send_id}/cancel", response_model=MassSendOut, tags=["mass sends"])
def cancel_mass_send(send_id: int, context: Ctx, uow: Uow, actor: CurrentActor) -> MassSendOut:
    """Stop what is not sent yet; tasks already in WeCom are cancelled by the worker."""
    cancelled = mass_sends.cancel_mass_send(uow, actor, send_id)
    context.tasks["advance_mass_send"](actor.tenant_id, send_id)
    return MassSendOut.model_validate(cancelled)
