"""Moments tasks (朋友圈任务): the list with a form to ask staff to post one, and each task's per-staff completion."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from siyu.domain.errors import Conflict, InvalidInput, NotFound
from siyu.domain.moments import MomentDraft
from siyu.domain.organisation import StaffStatus
from siyu.domain.paging import PageRequest
from siyu.domain.welcome import MaterialKind
from siyu.services import moments, staff, stores, tags, welcome
from siyu.web.console import get_console
from siyu.web.forms import Paging, failure, filter_ids
from siyu.web.render import language_for, page, redirect
from siyu.web.session import CurrentViewer, Viewer

router = APIRouter()
Ids = Annotated[list[str], Form()]


def _names(request: Request, viewer: Viewer) -> dict[int, str]:
    uow = get_console(request).context.uow
    return {s.id: s.name for s in staff.list_staff(uow(), viewer.actor, PageRequest(page_size=200)).items}


_ICONS = {MaterialKind.LINK: "🔗", MaterialKind.VIDEO: "🎬"}


def _list(request: Request, viewer: Viewer, paging: PageRequest, *, values: dict[str, object] | None = None,
          errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    uow = get_console(request).context.uow
    actor = viewer.actor
    people = staff.list_staff(uow(), actor, PageRequest(page_size=200)).items
    usable = [m for m in welcome.list_materials(uow(), actor, PageRequest(page_size=100)).items
              if m.kind not in (MaterialKind.MINIPROGRAM, MaterialKind.FILE)]  # moments take images, a video or a link
    view = {
        "moments": moments.list_moments(uow(), actor, paging), "values": values or {}, "errors": errors or {}, "query": "",
        "staff": [(s.id, s.name) for s in people if s.status is StaffStatus.ACTIVE],
        "stores": [(s.id, s.name) for s in stores.list_stores(uow(), actor, PageRequest(page_size=200)).items],
        "tags": [(t.id, t.label) for t in tags.list_tags(uow(), actor)],
        "materials": [(m.id, f"{m.title} ({_ICONS.get(m.kind, '🖼')})") for m in usable],
    }
    return page(request, "moments/list.html", view, status_code=status_code)


@router.get("/moments")
def list_moments(request: Request, viewer: CurrentViewer, paging: Paging) -> Response:
    return _list(request, viewer, paging)


@router.post("/moments")
def create_moment(request: Request, viewer: CurrentViewer, paging: Paging, text: Annotated[str, Form()] = "",
                  staff_ids: Ids = [], store_ids: Ids = [], tag_ids: Ids = [], material_ids: Ids = []) -> Response:  # noqa: B006 - FastAPI copies defaults
    chosen = {"staff_ids": filter_ids(staff_ids), "store_ids": filter_ids(store_ids), "tag_ids": filter_ids(tag_ids),
              "material_ids": filter_ids(material_ids)}
    context = get_console(request).context
    try:
        made = moments.create_moment(context.uow(), viewer.actor, MomentDraft.parse(text=text, **chosen))
    except (InvalidInput, NotFound) as exc:
        errors, status = failure(language_for(request), exc)
        return _list(request, viewer, paging, values={"text": text, **chosen}, errors=errors, status_code=status)
    context.tasks["run_moment"](viewer.actor.tenant_id, made.id)
    return redirect(f"/moments/{made.id}")


@router.get("/moments/{moment_id:int}")
def show_moment(request: Request, viewer: CurrentViewer, moment_id: int) -> Response:
    uow = get_console(request).context.uow
    found = moments.get_moment(uow(), viewer.actor, moment_id)
    senders = moments.moment_senders(uow(), viewer.actor, moment_id)
    return page(request, "moments/show.html", {"moment": found, "senders": senders, "names": _names(request, viewer),
                                               "errors": {}})


@router.post("/moments/{moment_id:int}/cancel")
def cancel_moment(request: Request, viewer: CurrentViewer, moment_id: int) -> Response:
    context = get_console(request).context
    try:
        moments.cancel_moment(context.uow(), context.secret_box, context.wecom_channel, viewer.actor, moment_id)
    except Conflict as exc:
        errors, status = failure(language_for(request), exc)
        found = moments.get_moment(context.uow(), viewer.actor, moment_id)
        senders = moments.moment_senders(context.uow(), viewer.actor, moment_id)
        return page(request, "moments/show.html", {"moment": found, "senders": senders, "names": _names(request, viewer),
                                                   "errors": errors}, status_code=status)
    return redirect(f"/moments/{moment_id}")
