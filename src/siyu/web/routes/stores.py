"""Stores (门店): the list with search and region filter, and the create and edit forms."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from pydantic import BaseModel

from siyu.domain.access import Permission
from siyu.domain.errors import Conflict, InvalidInput
from siyu.domain.organisation import Store, StoreDraft
from siyu.services import stores
from siyu.web.console import get_console
from siyu.web.forms import Paging, failure, filter_id, optional_id, query_string
from siyu.web.i18n import N_
from siyu.web.lookups import all_regions
from siyu.web.render import flash, fragment, is_htmx, language_for, page, redirect
from siyu.web.session import CurrentViewer, Viewer

router = APIRouter()


class StoreFields(BaseModel):
    """The store form as typed, kept as text so a rejected form comes back unchanged."""

    name: str = ""
    code: str = ""
    region_id: str = ""
    city: str = ""
    address: str = ""
    is_open: str = ""

    @classmethod
    def of(cls, store: Store) -> StoreFields:
        return cls(name=store.name, code=store.code or "", region_id=str(store.region_id or ""),
                   city=store.city or "", address=store.address or "", is_open="on" if store.is_open else "")

    def draft(self) -> StoreDraft:
        return StoreDraft.parse(name=self.name, code=self.code, region_id=optional_id(self.region_id, "region_id"),
                                city=self.city, address=self.address, is_open=bool(self.is_open))


Fields = Annotated[StoreFields, Form()]


@router.get("/stores")
def list_stores(request: Request, viewer: CurrentViewer, paging: Paging, q: str = "", region_id: str = "") -> Response:
    context = get_console(request).context
    region = filter_id(region_id)
    found = stores.list_stores(context.uow(), viewer.actor, paging, region_id=region, q=q.strip()[:64] or None)
    known = all_regions(context, viewer.actor)
    view = {
        "stores": found,
        "regions": known,
        "region_names": {region.id: region.name for region in known},
        "filters": {"q": q, "region_id": region},
        "query": query_string({"q": q.strip(), "region_id": region}),
    }
    if is_htmx(request):
        return fragment(request, "stores/_table.html", view)
    return page(request, "stores/list.html", view)


def _form(request: Request, viewer: Viewer, store: Store | None, fields: StoreFields,
          errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    view = {"store": store, "values": fields.model_dump(), "errors": errors or {},
            "regions": all_regions(get_console(request).context, viewer.actor)}
    return page(request, "stores/form.html", view, status_code=status_code)


def _save(request: Request, viewer: Viewer, fields: StoreFields, store: Store | None) -> Response:
    uow = get_console(request).context.uow()
    try:
        draft = fields.draft()
        if store is None:
            saved, message = stores.create_store(uow, viewer.actor, draft), N_("Store “%(name)s” created.")
        else:
            saved, message = stores.update_store(uow, viewer.actor, store.id, draft), N_("Store “%(name)s” saved.")
    except (InvalidInput, Conflict) as exc:
        errors, status = failure(language_for(request), exc)
        return _form(request, viewer, store, fields, errors, status)
    response = redirect("/stores")
    flash(request, response, message, name=saved.name)
    return response


@router.get("/stores/new")
def new_store(request: Request, viewer: CurrentViewer) -> Response:
    viewer.actor.require(Permission.ORG_MANAGE)
    return _form(request, viewer, None, StoreFields(is_open="on"))


@router.post("/stores/new")
def create_store(request: Request, viewer: CurrentViewer, fields: Fields) -> Response:
    return _save(request, viewer, fields, None)


@router.get("/stores/{store_id:int}/edit")
def edit_store(request: Request, viewer: CurrentViewer, store_id: int) -> Response:
    store = stores.get_store(get_console(request).context.uow(), viewer.actor, store_id)
    viewer.actor.require(Permission.ORG_MANAGE)
    return _form(request, viewer, store, StoreFields.of(store))


@router.post("/stores/{store_id:int}/edit")
def update_store(request: Request, viewer: CurrentViewer, store_id: int, fields: Fields) -> Response:
    store = stores.get_store(get_console(request).context.uow(), viewer.actor, store_id)
    return _save(request, viewer, fields, store)
