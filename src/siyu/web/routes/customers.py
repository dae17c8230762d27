"""Customers (客户): the filtered list, and tagging many customers at once."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from starlette.datastructures import QueryParams

from siyu.domain.errors import InvalidInput
from siyu.services import customers, stages, tags
from siyu.services.customers import CustomerFilter
from siyu.web.console import get_console
from siyu.web.forms import filter_id, filter_ids, paging, query_string
from siyu.web.i18n import BRAND_TZ, N_
from siyu.web.lookups import all_staff, all_stores, grouped_tags
from siyu.web.render import flash, flash_error, fragment, is_htmx, language_for, page, redirect
from siyu.web.session import CurrentViewer, Viewer, safe_next

router = APIRouter()
Field = Annotated[str, Form()]
Many = Annotated[list[str] | None, Form()]

TAGS_ADDED = N_("Tags added: %(customers)s customers selected, %(changed)s tags newly applied.")
TAGS_REMOVED = N_("Tags removed: %(customers)s customers selected, %(changed)s tags taken off.")


def _day(raw: str | None) -> date | None:
    """A ``YYYY-MM-DD`` filter; anything else filters nothing."""
    try:
        return date.fromisoformat((raw or "").strip())
    except ValueError:
        return None


def _start_of(day: date | None) -> datetime | None:
    """Midnight of that day in the brand's time zone (dates in the console are Beijing dates)."""
    return datetime.combine(day, time.min, tzinfo=BRAND_TZ) if day else None


def read_filters(params: QueryParams) -> tuple[CustomerFilter, dict[str, object]]:
    """The list's filters from a query string: the service's filter, and the values to show back."""
    text = (params.get("q") or "").strip()[:64]
    tag_ids = filter_ids(params.getlist("tag_id"))
    stage, member, store = (filter_id(params.get(name)) for name in ("stage_id", "staff_id", "store_id"))
    first, last = _day(params.get("added_from")), _day(params.get("added_to"))
    flt = CustomerFilter(
        q=text or None, tag_ids=tag_ids, stage_id=stage, staff_id=member, store_id=store,
        added_from=_start_of(first), added_to=_start_of(last + timedelta(days=1)) if last else None,
    )
    shown = {
        "q": text, "tag_id": list(tag_ids), "stage_id": stage, "staff_id": member, "store_id": store,
        "added_from": first.isoformat() if first else "", "added_to": last.isoformat() if last else "",
    }
    return flt, shown


def _view(request: Request, viewer: Viewer, params: QueryParams, selected: tuple[int, ...] = ()) -> dict[str, object]:
    context, actor = get_console(request).context, viewer.actor
    flt, filters = read_filters(params)
    found = customers.list_customers(context.uow(), actor, flt, paging(params.get("page") or "1"))
    known = tags.list_tags(context.uow(), actor)
    return {
        "customers": found,
        "tag_by_id": {tag.id: tag for tag in known},
        "tag_groups": grouped_tags(known),
        "stages": stages.list_stages(context.uow(), actor),
        "staff_names": {member.id: member.name for member in all_staff(context, actor)},
        "store_names": {store.id: store.name for store in all_stores(context, actor)},
        "filters": filters,
        "filtered": any(value for value in filters.values()),
        "query": query_string(filters),
        "selected": selected,
    }


@router.get("/customers")
def list_customers(request: Request, viewer: CurrentViewer) -> Response:
    view = _view(request, viewer, request.query_params)
    if is_htmx(request):
        return fragment(request, "customers/_table.html", view)
    return page(request, "customers/list.html", view)


def _back(raw: str) -> str:
    """Where the bulk form came from: a customer list URL, never anywhere else."""
    target = safe_next(raw)
    return target if urlsplit(target).path == "/customers" else "/customers"


@router.post("/customers/bulk-tags")
def bulk_tags(request: Request, viewer: CurrentViewer, action: Field = "", customer_ids: Many = None,
              tag_ids: Many = None, back: Field = "/customers") -> Response:
    target, chosen_customers, chosen_tags = _back(back), filter_ids(customer_ids), filter_ids(tag_ids)
    uow = get_console(request).context.uow()
    try:
        if action not in ("add", "remove"):
            raise InvalidInput("form.choose_option", "choose one of the options", field="action")
        if action == "add":
            change, message = tags.apply_tags(uow, viewer.actor, list(chosen_customers), list(chosen_tags)), TAGS_ADDED
        else:
            change, message = tags.remove_tags(uow, viewer.actor, list(chosen_customers), list(chosen_tags)), TAGS_REMOVED
    except InvalidInput as exc:
        if is_htmx(request):
            raise  # shown as the console's error toast
        response = redirect(target)
        flash_error(request, response, exc)
        return response
    counts = {"customers": str(change.customers), "changed": str(change.changed)}
    if is_htmx(request):
        view = _view(request, viewer, QueryParams(urlsplit(target).query), chosen_customers)
        view["result"] = language_for(request).gettext(message, **counts)
        return fragment(request, "customers/_table.html", view)
    response = redirect(target)
    flash(request, response, message, **counts)
    return response
