"""Staff (员工 / 导购): the filtered list, create and edit forms, resign and reinstate."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from pydantic import BaseModel

from siyu.domain.access import ASSIGNABLE_ROLES, Actor, Permission, Role
from siyu.domain.errors import Conflict, InvalidInput
from siyu.domain.organisation import Staff, StaffDraft, StaffStatus
from siyu.services import staff
from siyu.web.console import get_console
from siyu.web.forms import Paging, failure, filter_choice, filter_id, optional_id, query_string
from siyu.web.i18n import N_
from siyu.web.lookups import all_stores
from siyu.web.render import flash, fragment, is_htmx, language_for, page, redirect
from siyu.web.session import CurrentViewer, Viewer

router = APIRouter()


class StaffFields(BaseModel):
    """The staff form as typed, kept as text so a rejected form comes back unchanged."""

    wecom_userid: str = ""
    name: str = ""
    mobile: str = ""
    store_id: str = ""
    role: str = Role.GUIDE.value

    @classmethod
    def of(cls, member: Staff) -> StaffFields:
        return cls(wecom_userid=member.wecom_userid, name=member.name, mobile=member.mobile or "",
                   store_id=str(member.store_id or ""), role=member.role.value)

    def draft(self) -> StaffDraft:
        return StaffDraft.parse(wecom_userid=self.wecom_userid, name=self.name, mobile=self.mobile,
                                store_id=optional_id(self.store_id, "store_id"), role=self.role)


Fields = Annotated[StaffFields, Form()]


def _store_names(request: Request, actor: Actor) -> dict[int, str]:
    return {store.id: store.name for store in all_stores(get_console(request).context, actor)}


def _assignable(actor: Actor) -> list[Role]:
    return [role for role in Role if role in ASSIGNABLE_ROLES[actor.role]]


@router.get("/staff")
def list_staff(
    request: Request, viewer: CurrentViewer, paging: Paging,
    q: str = "", store_id: str = "", status: str = "", role: str = "",
) -> Response:
    text, store, state, kind = q.strip()[:64], filter_id(store_id), filter_choice(StaffStatus, status), filter_choice(Role, role)
    found = staff.list_staff(get_console(request).context.uow(), viewer.actor, paging,
                             store_id=store, status=state, role=kind, q=text or None)
    filters = {"q": text, "store_id": store, "status": state, "role": kind}
    view = {"members": found, "store_names": _store_names(request, viewer.actor), "filters": filters,
            "query": query_string(filters), "assignable": _assignable(viewer.actor)}
    if is_htmx(request):
        return fragment(request, "staff/_table.html", view)
    return page(request, "staff/list.html", view)


def _form(request: Request, viewer: Viewer, member: Staff | None, fields: StaffFields,
          errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    view = {"member": member, "values": fields.model_dump(), "errors": errors or {},
            "store_names": _store_names(request, viewer.actor), "assignable": _assignable(viewer.actor)}
    return page(request, "staff/form.html", view, status_code=status_code)


def _save(request: Request, viewer: Viewer, fields: StaffFields, member: Staff | None) -> Response:
    uow = get_console(request).context.uow()
    try:
        draft = fields.draft()
        if member is None:
            saved, message = staff.create_staff(uow, viewer.actor, draft), N_("%(name)s was added.")
        else:
            saved, message = staff.update_staff(uow, viewer.actor, member.id, draft), N_("%(name)s was saved.")
    except (InvalidInput, Conflict) as exc:
        errors, status = failure(language_for(request), exc)
        return _form(request, viewer, member, fields, errors, status)
    response = redirect("/staff")
    flash(request, response, message, name=saved.name)
    return response


@router.get("/staff/new")
def new_staff(request: Request, viewer: CurrentViewer) -> Response:
    viewer.actor.require(Permission.STAFF_MANAGE)
    return _form(request, viewer, None, StaffFields(store_id=str(viewer.actor.store_id or "")))


@router.post("/staff/new")
def create_staff(request: Request, viewer: CurrentViewer, fields: Fields) -> Response:
    return _save(request, viewer, fields, None)


@router.get("/staff/{staff_id:int}/edit")
def edit_staff(request: Request, viewer: CurrentViewer, staff_id: int) -> Response:
    member = staff.get_staff(get_console(request).context.uow(), viewer.actor, staff_id)
    viewer.actor.require(Permission.STAFF_MANAGE)
    viewer.actor.require_assignable(member.role)
    return _form(request, viewer, member, StaffFields.of(member))


@router.post("/staff/{staff_id:int}/edit")
def update_staff(request: Request, viewer: CurrentViewer, staff_id: int, fields: Fields) -> Response:
    member = staff.get_staff(get_console(request).context.uow(), viewer.actor, staff_id)
    return _save(request, viewer, fields, member)


def _change_status(request: Request, viewer: Viewer, staff_id: int,
                   change: Callable[..., Staff], message: str) -> Response:
    member = change(get_console(request).context.uow(), viewer.actor, staff_id)
    if is_htmx(request):
        view = {"member": member, "store_names": _store_names(request, viewer.actor),
                "assignable": _assignable(viewer.actor)}
        return fragment(request, "staff/_row.html", view)
    response = redirect("/staff")
    flash(request, response, message, name=member.name)
    return response


@router.post("/staff/{staff_id:int}/resign")
def resign_staff(request: Request, viewer: CurrentViewer, staff_id: int) -> Response:
    return _change_status(request, viewer, staff_id, staff.resign_staff, N_("%(name)s is marked as resigned."))


@router.post("/staff/{staff_id:int}/reinstate")
def reinstate_staff(request: Request, viewer: CurrentViewer, staff_id: int) -> Response:
    return _change_status(request, viewer, staff_id, staff.reinstate_staff, N_("%(name)s is active again."))
