"""WeCom sync runs: start one (the worker runs it), follow it, list them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, Field

from siyu.api.deps import CurrentActor, Paging, Uow, get_context
from siyu.api.schemas import Out, PageOut, page_out
from siyu.bootstrap import Context
from siyu.domain.wecom_sync import COUNTS, SyncRun
from siyu.services import wecom_sync

router = APIRouter(prefix="/api/v1")
Ctx = Annotated[Context, Depends(get_context)]
STARTED: dict[int | str, dict[str, object]] = {
    202: {"description": "The run, queued for the worker (or the unfinished run, resumed)",
          "headers": {"Location": {"description": "The run to poll: `/api/v1/wecom/syncs/{id}`", "schema": {"type": "string"}}}},
}


class SyncStart(BaseModel):
    full: bool = Field(default=False, description="Re-read and rewrite every relation (an incremental run skips unchanged ones)")


class SyncRunOut(Out):
    id: int
    full: bool
    status: str = Field(description="running, interrupted (WeCom failed mid-way: starting again resumes it), done, failed")
    step: str = Field(description="staff, tags, customers, groups, ending, done")
    position: dict[str, object] = Field(description="Where the run stands: step, chunk of 100 staff, WeCom's cursor")
    counts: dict[str, int] = Field(description="What changed: " + ", ".join(COUNTS))
    unknown_userids: list[str] = Field(description="Staff with WeCom's customer-contact permission whom Siyu does not know yet")
    error: str | None
    actor: str
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None


class SyncRunPage(PageOut[SyncRunOut]):
    pass


def _out(run: SyncRun) -> SyncRunOut:
    return SyncRunOut(id=run.id, full=run.full, status=run.status.value, step=run.step.value, position=run.position,
                      counts={name: run.count(name) for name in COUNTS}, unknown_userids=run.unknown_userids, error=run.error,
                      actor=run.actor, created_at=run.created_at, updated_at=run.updated_at, finished_at=run.finished_at)


@router.post("/wecom/syncs", response_model=SyncRunOut, status_code=202, tags=["wecom"], responses=STARTED)
def start_wecom_sync(body: SyncStart, context: Ctx, uow: Uow, actor: CurrentActor, response: Response) -> SyncRunOut:
    """Start a sync of staff, corp tags (both ways), customers and groups; the worker runs it.
    An unfinished run (running or interrupted) is resumed instead of starting a second one."""
    run = wecom_sync.start_sync(uow, actor, full=body.full)
    context.tasks["run_wecom_sync"](actor.tenant_id, run.id)
    response.headers["Location"] = f"/api/v1/wecom/syncs/{run.id}"
    return _out(wecom_sync.get_sync(uow, actor, run.id))


@router.get("/wecom/syncs", response_model=SyncRunPage, tags=["wecom"])
def list_wecom_syncs(uow: Uow, actor: CurrentActor, paging: Paging) -> SyncRunPage:
    page = wecom_sync.list_syncs(uow, actor, paging)
    return page_out(SyncRunPage, type(page)([_out(r) for r in page.items], page.total, page.page, page.page_size))


@router.get("/wecom/syncs/{run_id}", response_model=SyncRunOut, tags=["wecom"])
def get_wecom_sync(run_id: int, uow: Uow, actor: CurrentActor) -> SyncRunOut:
    return _out(wecom_sync.get_sync(uow, actor, run_id))
