"""Regions (区域): the list, with an inline form to add one and to rename each."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from siyu.domain.errors import Conflict, InvalidInput
from siyu.domain.paging import PageRequest
from siyu.services import regions
from siyu.web.console import get_console
from siyu.web.forms import Paging, failure
from siyu.web.i18n import N_
from siyu.web.render import flash, language_for, page, redirect
from siyu.web.session import CurrentViewer, Viewer

router = APIRouter()
Name = Annotated[str, Form()]


def _list(request: Request, viewer: Viewer, paging: PageRequest, *, editing: int | None = None,
          name: str = "", errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    """The list; ``editing`` is the region whose rename form failed (0 for the new-region form)."""
    found = regions.list_regions(get_console(request).context.uow(), viewer.actor, paging)
    view = {"regions": found, "editing": editing, "name": name, "errors": errors or {}, "query": "", "here": "/regions"}
    return page(request, "regions/list.html", view, status_code=status_code)


@router.get("/regions")
def list_regions(request: Request, viewer: CurrentViewer, paging: Paging) -> Response:
    return _list(request, viewer, paging)


@router.post("/regions")
def create_region(request: Request, viewer: CurrentViewer, paging: Paging, name: Name = "") -> Response:
    try:
        region = regions.create_region(get_console(request).context.uow(), viewer.actor, name)
    except (InvalidInput, Conflict) as exc:
        errors, status = failure(language_for(request), exc)
        return _list(request, viewer, paging, editing=0, name=name, errors=errors, status_code=status)
    response = redirect("/regions")
    flash(request, response, N_("Region “%(name)s” created."), name=region.name)
    return response


@router.post("/regions/{region_id:int}/rename")
def rename_region(request: Request, viewer: CurrentViewer, paging: Paging, region_id: int, name: Name = "") -> Response:
    try:
        region = regions.rename_region(get_console(request).context.uow(), viewer.actor, region_id, name)
    except (InvalidInput, Conflict) as exc:
        errors, status = failure(language_for(request), exc)
        return _list(request, viewer, paging, editing=region_id, name=name, errors=errors, status_code=status)
    response = redirect(f"/regions?page={paging.page}" if paging.page > 1 else "/regions")
    flash(request, response, N_("Region renamed to “%(name)s”."), name=region.name)
    return response
