"""Guide tasks (导购任务): the managers' list with filters and assignment, the lifecycle rules, and
the guide's mobile page (/m/tasks) opened inside WeCom: today's list with one-click done, and
their rank."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from siyu.domain.access import Permission, Role
from siyu.domain.errors import InvalidInput, NotFound, PermissionDenied
from siyu.domain.guide_tasks import BoardLevel, RuleDraft, TaskFilter, TaskKind, TaskSource, TaskState
from siyu.domain.organisation import StaffStatus
from siyu.domain.paging import PageRequest
from siyu.services import guide_tasks, staff, stages, stores
from siyu.services.clock import utcnow
from siyu.web.console import get_console
from siyu.web.forms import FORM_WIDE, Paging, failure, filter_choice, filter_id, query_string
from siyu.web.render import fragment, is_htmx, language_for, page, redirect
from siyu.web.session import CurrentViewer, Viewer

router = APIRouter()
Field = Annotated[str, Form()]
BRAND_TZ = ZoneInfo("Asia/Shanghai")
BACK = {"m": "/m/tasks", "tasks": "/tasks"}


def parse_due(raw: str) -> datetime:
    """A ``datetime-local`` value, read as Beijing time."""
    try:
        return datetime.fromisoformat(raw.strip()).replace(tzinfo=BRAND_TZ)
    except ValueError:
        raise InvalidInput("guide_task.bad_due", "give the due date and time", field="due_at") from None


def _list(request: Request, viewer: Viewer, paging: PageRequest, *, values: dict[str, str] | None = None,
          errors: dict[str, str] | None = None, rule_values: dict[str, str] | None = None,
          rule_errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    uow, actor = get_console(request).context.uow, viewer.actor
    params = request.query_params
    filters = {"state": params.get("state", ""), "staff_id": params.get("staff_id", ""), "store_id": params.get("store_id", ""),
               "source_kind": params.get("source_kind", ""), "overdue": params.get("overdue", "")}
    flt = TaskFilter(state=filter_choice(TaskState, filters["state"]), staff_id=filter_id(filters["staff_id"]),
                     store_id=filter_id(filters["store_id"]), source_kind=filter_choice(TaskSource, filters["source_kind"]))
    found = guide_tasks.list_tasks(uow(), actor, flt, paging, overdue=filters["overdue"] == "1")
    people = [s for s in staff.list_staff(uow(), actor, PageRequest(page_size=200), status=StaffStatus.ACTIVE).items]
    language = language_for(request)
    view = {
        "tasks": found, "filters": filters, "query": query_string(filters),
        "values": values or {"kind": TaskKind.FOLLOW_UP.value}, "errors": errors or {},
        "rule_values": rule_values or {"rule_kind": TaskKind.FOLLOW_UP.value, "rule_days": "3"}, "rule_errors": rule_errors or {},
        "people": [(str(s.id), s.name) for s in people],
        "assignable": [(str(s.id), s.name) for s in people if actor.role is not Role.GUIDE or s.id == actor.staff_id],
        "store_choices": [(str(s.id), s.name) for s in stores.list_stores(uow(), actor, PageRequest(page_size=200)).items],
        "kinds": [(k.value, language.label("task_kind", k)) for k in TaskKind],
        "states": [(s.value, language.label("task_state", s)) for s in TaskState],
        "sources": [(s.value, language.label("task_source", s)) for s in TaskSource],
        "can_rules": actor.can(Permission.CUSTOMERS_MANAGE),
        "rules": guide_tasks.list_rules(uow(), actor),
        "stage_choices": [(str(s.id), s.name) for s in stages.list_stages(uow(), actor)],
    }
    return page(request, "tasks/list.html", view, status_code=status_code)


@router.get("/tasks")
def list_tasks(request: Request, viewer: CurrentViewer, paging: Paging) -> Response:
    return _list(request, viewer, paging)


@router.post("/tasks")
def create_task(request: Request, viewer: CurrentViewer, paging: Paging, staff_id: Field = "", kind: Field = "", title: Field = "",
                script: Field = "", due_at: Field = "") -> Response:
    values = {"staff_id": staff_id, "kind": kind, "title": title, "script": script, "due_at": due_at}
    try:
        if not staff_id.isdigit():
            raise InvalidInput("form.choose_option", "choose one of the options", field="staff_id")
        guide_tasks.create_task(get_console(request).context.uow(), viewer.actor, staff_id=int(staff_id), customer_id=None,
                                kind=kind, title=title, script=script, due_at=parse_due(due_at))
    except (InvalidInput, NotFound, PermissionDenied) as exc:
        errors, status = failure(language_for(request), exc)
        return _list(request, viewer, paging, values=values, errors=errors, status_code=status)
    return redirect("/tasks")


def _close(request: Request, viewer: Viewer, task_id: int, to: TaskState, back: str) -> Response:
    uow = get_console(request).context.uow
    action = {TaskState.DONE: guide_tasks.complete_task, TaskState.SKIPPED: guide_tasks.skip_task,
              TaskState.CANCELLED: guide_tasks.cancel_task}[to]
    closed = action(uow(), viewer.actor, task_id)
    if is_htmx(request):  # the mobile page's one click: the card shows its new state in place
        return fragment(request, "tasks/_card.html", {"task": closed, "now": utcnow()})
    return redirect(BACK.get(back, "/tasks"))


@router.post("/tasks/{task_id:int}/done")
def complete_task(request: Request, viewer: CurrentViewer, task_id: int, back: Field = "tasks") -> Response:
    return _close(request, viewer, task_id, TaskState.DONE, back)


@router.post("/tasks/{task_id:int}/skip")
def skip_task(request: Request, viewer: CurrentViewer, task_id: int, back: Field = "tasks") -> Response:
    return _close(request, viewer, task_id, TaskState.SKIPPED, back)


@router.post("/tasks/{task_id:int}/cancel")
def cancel_task(request: Request, viewer: CurrentViewer, task_id: int, back: Field = "tasks") -> Response:
    return _close(request, viewer, task_id, TaskState.CANCELLED, back)


@router.post("/tasks/rules")
def create_rule(request: Request, viewer: CurrentViewer, paging: Paging, rule_stage_id: Field = "", rule_days: Field = "",
                rule_kind: Field = "", rule_title: Field = "", rule_script: Field = "") -> Response:
    """A lifecycle reminder (its form's fields carry a ``rule_`` prefix: the page has the task form too)."""
    values = {"rule_stage_id": rule_stage_id, "rule_days": rule_days, "rule_kind": rule_kind, "rule_title": rule_title,
              "rule_script": rule_script}
    stage_id, days, kind, title, script = rule_stage_id, rule_days, rule_kind, rule_title, rule_script
    try:
        if not stage_id.isdigit():
            raise InvalidInput("form.choose_option", "choose one of the options", field="stage_id")
        if not days.strip().isdigit():
            raise InvalidInput("guide_task.bad_rule_days", "a rule waits 1 to %(max)s days", field="days", max=365)
        guide_tasks.create_rule(get_console(request).context.uow(), viewer.actor,
                                RuleDraft.parse(stage_id=int(stage_id), days=int(days), kind=kind, title=title, script=script))
    except (InvalidInput, NotFound) as exc:
        errors, status = failure(language_for(request), exc)
        errors = {(key if key == FORM_WIDE else f"rule_{key}"): text for key, text in errors.items()}
        return _list(request, viewer, paging, rule_values=values, rule_errors=errors, status_code=status)
    return redirect("/tasks")


@router.post("/tasks/rules/{rule_id:int}/delete")
def delete_rule(request: Request, viewer: CurrentViewer, rule_id: int) -> Response:
    guide_tasks.delete_rule(get_console(request).context.uow(), viewer.actor, rule_id)
    return redirect("/tasks")


@router.get("/m/tasks")
def mobile_tasks(request: Request, viewer: CurrentViewer, paging: Paging) -> Response:
    """The guide's page inside WeCom: today's and overdue tasks, one click to mark done, and where they rank."""
    uow, actor = get_console(request).context.uow, viewer.actor
    today = guide_tasks.daily_tasks(uow(), actor, paging) if actor.staff_id is not None else None
    guides = guide_tasks.leaderboard(uow(), actor, BoardLevel.GUIDE)
    store_board = guide_tasks.leaderboard(uow(), actor, BoardLevel.STORE)
    view = {"today": today, "query": "", "now": utcnow(), "guides": guides, "mine": guides.rank_of(actor.staff_id) if actor.staff_id else None,
            "my_store": store_board.rank_of(actor.store_id) if actor.store_id else None, "stores": store_board}
    return page(request, "tasks/mobile.html", view)
