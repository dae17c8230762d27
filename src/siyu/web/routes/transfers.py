"""Transfers (客户转接): start one from a staff member to another, and watch it until WeCom is done."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from siyu.domain.errors import InvalidInput, NotFound
from siyu.domain.organisation import StaffStatus
from siyu.domain.paging import PageRequest
from siyu.services import staff, transfers
from siyu.web.console import get_console
from siyu.web.forms import Paging, failure
from siyu.web.render import language_for, page, redirect
from siyu.web.session import CurrentViewer, Viewer

router = APIRouter()
Field = Annotated[str, Form()]


def _list(request: Request, viewer: Viewer, paging: PageRequest, *, values: dict[str, str] | None = None,
          errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    uow = get_console(request).context.uow
    found = transfers.list_transfers(uow(), viewer.actor, paging)
    people = staff.list_staff(uow(), viewer.actor, PageRequest(page_size=200)).items
    names = {s.id: s.name for s in people}
    view = {"transfers": found, "names": names, "values": values or {}, "errors": errors or {}, "query": "",
            "handovers": [(s.id, s.name + (" ✕" if s.status is StaffStatus.RESIGNED else "")) for s in people],
            "takeovers": [(s.id, s.name) for s in people if s.status is StaffStatus.ACTIVE]}
    return page(request, "transfers/list.html", view, status_code=status_code)


@router.get("/transfers")
def list_transfers(request: Request, viewer: CurrentViewer, paging: Paging) -> Response:
    return _list(request, viewer, paging)


@router.post("/transfers")
def start_transfer(request: Request, viewer: CurrentViewer, paging: Paging, handover_staff_id: Field = "",
                   takeover_staff_id: Field = "", message: Field = "") -> Response:
    values = {"handover_staff_id": handover_staff_id, "takeover_staff_id": takeover_staff_id, "message": message}
    context = get_console(request).context
    try:
        if not handover_staff_id.isdigit() or not takeover_staff_id.isdigit():
            raise InvalidInput("form.choose_option", "choose one of the options",
                               field="takeover_staff_id" if handover_staff_id.isdigit() else "handover_staff_id")
        made = transfers.start_transfer(context.uow(), viewer.actor, handover_staff_id=int(handover_staff_id),
                                        takeover_staff_id=int(takeover_staff_id), message=message.strip()[:200] or None)
    except (InvalidInput, NotFound) as exc:
        errors, status = failure(language_for(request), exc)
        return _list(request, viewer, paging, values=values, errors=errors, status_code=status)
    context.tasks["run_transfer"](viewer.actor.tenant_id, made.id)
    return redirect(f"/transfers/{made.id}")


@router.get("/transfers/{transfer_id:int}")
def show_transfer(request: Request, viewer: CurrentViewer, transfer_id: int, paging: Paging) -> Response:
    uow = get_console(request).context.uow
    found = transfers.get_transfer(uow(), viewer.actor, transfer_id)
    items = transfers.transfer_items(uow(), viewer.actor, transfer_id, paging)
    people = {s.id: s.name for s in staff.list_staff(uow(), viewer.actor, PageRequest(page_size=200)).items}
    return page(request, "transfers/show.html", {"transfer": found, "items": items, "names": people, "query": ""})
