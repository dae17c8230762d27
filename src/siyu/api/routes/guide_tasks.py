"""Guide tasks (导购任务): create, list, today's, complete, skip, cancel; lifecycle rules; leaderboards."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import AwareDatetime

from siyu.api.deps import CurrentActor, Paging, Uow
from siyu.api.guide_task_schemas import BoardRowOut, GuideTaskCreate, GuideTaskOut, GuideTaskPage, LeaderboardOut, RuleIn, RuleOut
from siyu.api.schemas import page_out
from siyu.domain.guide_tasks import RuleDraft, TaskFilter, parse_level, parse_source, parse_state
from siyu.services import guide_tasks

router = APIRouter(prefix="/api/v1")


@router.post("/guide-tasks", response_model=GuideTaskOut, status_code=201, tags=["guide tasks"])
def create_task(body: GuideTaskCreate, uow: Uow, actor: CurrentActor) -> GuideTaskOut:
    """Assign a task to a staff member the caller manages."""
    made = guide_tasks.create_task(uow, actor, staff_id=body.staff_id, customer_id=body.customer_id, kind=body.kind, title=body.title,
                                   script=body.script, due_at=body.due_at)
    return GuideTaskOut.model_validate(made)


@router.get("/guide-tasks", response_model=GuideTaskPage, tags=["guide tasks"])
def list_tasks(uow: Uow, actor: CurrentActor, paging: Paging, staff_id: int | None = None, store_id: int | None = None,
               customer_id: int | None = None, state: str | None = None, source_kind: str | None = None,
               due_from: Annotated[AwareDatetime | None, Query()] = None, due_before: Annotated[AwareDatetime | None, Query()] = None,
               overdue: bool = False) -> GuideTaskPage:
    """Tasks in the caller's scope, oldest due first, filtered (``overdue``: open and past due now)."""
    flt = TaskFilter(staff_id=staff_id, store_id=store_id, customer_id=customer_id, state=parse_state(state) if state else None,
                     source_kind=parse_source(source_kind) if source_kind else None, due_from=due_from, due_before=due_before)
    return page_out(GuideTaskPage, guide_tasks.list_tasks(uow, actor, flt, paging, overdue=overdue))


@router.get("/guide-tasks/today", response_model=GuideTaskPage, tags=["guide tasks"])
def todays_tasks(uow: Uow, actor: CurrentActor, paging: Paging) -> GuideTaskPage:
    """The caller's own open tasks due today (Asia/Shanghai) or overdue (for an actor linked to a staff member)."""
    return page_out(GuideTaskPage, guide_tasks.daily_tasks(uow, actor, paging))


@router.get("/guide-tasks/leaderboard", response_model=LeaderboardOut, tags=["guide tasks"])
def leaderboard(uow: Uow, actor: CurrentActor, level: str = "guide", days: Annotated[int, Query(ge=1, le=92)] = 7) -> LeaderboardOut:
    """Completion rate and outcomes (orders, GMV and replied tasks within 7 days after done) by guide, store,
    region or nation, over the last ``days`` days (Asia/Shanghai, today included), computed live. A task is
    replied when its customer has a `message_replied` event (sent through POST /api/v1/events:batch) in
    that time."""
    board = guide_tasks.leaderboard(uow, actor, parse_level(level), days=days)
    return LeaderboardOut(level=board.level.value, since=board.since, until=board.until,
                          rows=[BoardRowOut.model_validate(r) for r in board.rows])


@router.get("/guide-tasks/rules", response_model=list[RuleOut], tags=["guide tasks"])
def list_rules(uow: Uow, actor: CurrentActor) -> list[RuleOut]:
    return [RuleOut.model_validate(r) for r in guide_tasks.list_rules(uow, actor)]


def _draft(body: RuleIn) -> RuleDraft:
    return RuleDraft.parse(stage_id=body.stage_id, days=body.days, kind=body.kind, title=body.title, script=body.script,
                           active=body.active)


@router.post("/guide-tasks/rules", response_model=RuleOut, status_code=201, tags=["guide tasks"])
def create_rule(body: RuleIn, uow: Uow, actor: CurrentActor) -> RuleOut:
    """A lifecycle rule: a customer N days in the stage -> this task for their owner staff member."""
    return RuleOut.model_validate(guide_tasks.create_rule(uow, actor, _draft(body)))


@router.put("/guide-tasks/rules/{rule_id}", response_model=RuleOut, tags=["guide tasks"])
def update_rule(rule_id: int, body: RuleIn, uow: Uow, actor: CurrentActor) -> RuleOut:
    return RuleOut.model_validate(guide_tasks.update_rule(uow, actor, rule_id, _draft(body)))


@router.delete("/guide-tasks/rules/{rule_id}", status_code=204, tags=["guide tasks"])
def delete_rule(rule_id: int, uow: Uow, actor: CurrentActor) -> Response:
    guide_tasks.delete_rule(uow, actor, rule_id)
    return Response(status_code=204)


@router.get("/guide-tasks/{task_id}", response_model=GuideTaskOut, tags=["guide tasks"])
def get_task(task_id: int, uow: Uow, actor: CurrentActor) -> GuideTaskOut:
    return GuideTaskOut.model_validate(guide_tasks.get_task(uow, actor, task_id))


@router.post("/guide-tasks/{task_id}/complete", response_model=GuideTaskOut, tags=["guide tasks"])
def complete_task(task_id: int, uow: Uow, actor: CurrentActor) -> GuideTaskOut:
    """Mark done; orders of its customer in the next 7 days become its outcome."""
    return GuideTaskOut.model_validate(guide_tasks.complete_task(uow, actor, task_id))


@router.post("/guide-tasks/{task_id}/skip", response_model=GuideTaskOut, tags=["guide tasks"])
def skip_task(task_id: int, uow: Uow, actor: CurrentActor) -> GuideTaskOut:
    return GuideTaskOut.model_validate(guide_tasks.skip_task(uow, actor, task_id))


@router.post("/guide-tasks/{task_id}/cancel", response_model=GuideTaskOut, tags=["guide tasks"])
def cancel_task(task_id: int, uow: Uow, actor: CurrentActor) -> GuideTaskOut:
    return GuideTaskOut.model_validate(guide_tasks.cancel_task(uow, actor, task_id))
