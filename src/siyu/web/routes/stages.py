"""Lifecycle stages (客户阶段): the ordered list, and moving one customer to a stage."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from siyu.domain.access import Permission
from siyu.domain.errors import Conflict, InvalidInput, NotFound
from siyu.domain.paging import PageRequest
from siyu.services import customers, stages
from siyu.services.customers import CustomerFilter
from siyu.web.console import get_console
from siyu.web.forms import failure, optional_id
from siyu.web.i18n import N_
from siyu.web.render import flash, flash_error, language_for, page, redirect
from siyu.web.session import CurrentViewer, Viewer

router = APIRouter()
Field = Annotated[str, Form()]
COUNT_ONLY = PageRequest(page=1, page_size=1)


def _list(request: Request, viewer: Viewer, *, editing: int | None = None, name: str = "",
          errors: dict[str, str] | None = None, refused: str = "", status_code: int = 200) -> Response:
    """The stages page; ``editing`` is the stage whose form failed (0 for the new-stage form),
    ``refused`` why a stage could not be deleted."""
    viewer.actor.require(Permission.CUSTOMERS_MANAGE)
    context, actor = get_console(request).context, viewer.actor
    ordered = stages.list_stages(context.uow(), actor)
    # How many customers each stage holds: a count-only page per stage (there are a handful;
    # exact, from the (tenant, stage, added_at) index alone).
    counts = {stage.id: customers.list_customers(context.uow(), actor, CustomerFilter(stage_id=stage.id), COUNT_ONLY, exact_total=True).total
              for stage in ordered}
    view = {"stages": ordered, "counts": counts, "editing": editing, "name": name, "errors": errors or {},
            "refused": refused, "here": "/customers/stages"}
    return page(request, "customers/stages.html", view, status_code=status_code)


def _done(request: Request, message: str, **values: str) -> Response:
    response = redirect("/customers/stages")
    flash(request, response, message, **values)
    return response


@router.get("/customers/stages")
def list_stages(request: Request, viewer: CurrentViewer) -> Response:
    return _list(request, viewer)


@router.post("/customers/stages")
def create_stage(request: Request, viewer: CurrentViewer, name: Field = "") -> Response:
    try:
        stage = stages.create_stage(get_console(request).context.uow(), viewer.actor, name)
    except (InvalidInput, Conflict) as exc:
        errors, status = failure(language_for(request), exc)
        return _list(request, viewer, editing=0, name=name, errors=errors, status_code=status)
    return _done(request, N_("Stage “%(name)s” added."), name=stage.name)


@router.post("/customers/stages/{stage_id:int}/rename")
def rename_stage(request: Request, viewer: CurrentViewer, stage_id: int, name: Field = "") -> Response:
    try:
        stage = stages.rename_stage(get_console(request).context.uow(), viewer.actor, stage_id, name)
    except (InvalidInput, Conflict) as exc:
        errors, status = failure(language_for(request), exc)
        return _list(request, viewer, editing=stage_id, name=name, errors=errors, status_code=status)
    return _done(request, N_("Stage renamed to “%(name)s”."), name=stage.name)


@router.post("/customers/stages/{stage_id:int}/move")
def move_stage_in_order(request: Request, viewer: CurrentViewer, stage_id: int, direction: Field = "") -> Response:
    """One step up or down: the service takes the whole new order."""
    context = get_console(request).context
    order = [stage.id for stage in stages.list_stages(context.uow(), viewer.actor)]
    if stage_id not in order:
        raise NotFound("stage.not_found", "no such stage")
    at = order.index(stage_id)
    to = at - 1 if direction == "up" else at + 1 if direction == "down" else at
    if 0 <= to < len(order) and to != at:
        order[at], order[to] = order[to], order[at]
    stages.reorder_stages(context.uow(), viewer.actor, order)
    return redirect("/customers/stages")


@router.post("/customers/stages/{stage_id:int}/delete")
def delete_stage(request: Request, viewer: CurrentViewer, stage_id: int) -> Response:
    try:
        stages.delete_stage(get_console(request).context.uow(), viewer.actor, stage_id)
    except Conflict as exc:
        return _list(request, viewer, refused=language_for(request).error(exc), status_code=409)
    return _done(request, N_("Stage deleted."))


@router.post("/customers/{customer_id:int}/stage")
def move_customer(request: Request, viewer: CurrentViewer, customer_id: int, stage_id: Field = "") -> Response:
    uow = get_console(request).context.uow()
    try:
        moved = stages.move_stage(uow, viewer.actor, customer_id, optional_id(stage_id, "stage_id"))
    except InvalidInput as exc:
        response = redirect(f"/customers/{customer_id}#stage-owner")
        flash_error(request, response, exc)
        return response
    response = redirect(f"/customers/{customer_id}#stage-owner")
    if moved.stage_id is None:
        flash(request, response, N_("The customer is in no stage now."))
    else:
        name = next((s.name for s in stages.list_stages(get_console(request).context.uow(), viewer.actor) if s.id == moved.stage_id), "")
        flash(request, response, N_("Moved to the stage “%(name)s”."), name=name)
    return response
