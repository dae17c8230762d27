"""Tags (标签): the tag groups and tags of the brand, and tagging one customer by hand."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from siyu.domain.access import Permission
from siyu.domain.errors import Conflict, InvalidInput
from siyu.services import actors, customers, tags
from siyu.web.console import get_console
from siyu.web.forms import failure, filter_ids
from siyu.web.i18n import N_
from siyu.web.lookups import grouped_tags
from siyu.web.render import flash, flash_error, fragment, is_htmx, language_for, page, redirect
from siyu.web.session import CurrentViewer, Viewer

router = APIRouter()
Field = Annotated[str, Form()]
Many = Annotated[list[str] | None, Form()]


def _list(request: Request, viewer: Viewer, *, editing: int | None = None, values: dict[str, str] | None = None,
          errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    """The tags page; ``editing`` is the tag whose rename failed (0 for the new-tag form)."""
    viewer.actor.require(Permission.CUSTOMERS_MANAGE)
    known = tags.list_tags(get_console(request).context.uow(), viewer.actor)
    view = {
        "tag_groups": grouped_tags(known),
        "total": len(known),
        "editing": editing,
        "values": values or {"group": "", "name": ""},
        "errors": errors or {},
        "here": "/customers/tags",
    }
    return page(request, "customers/tags.html", view, status_code=status_code)


@router.get("/customers/tags")
def list_tags(request: Request, viewer: CurrentViewer) -> Response:
    return _list(request, viewer)


@router.post("/customers/tags")
def create_tag(request: Request, viewer: CurrentViewer, group: Field = "", name: Field = "") -> Response:
    try:
        tag = tags.create_tag(get_console(request).context.uow(), viewer.actor, group=group, name=name)
    except (InvalidInput, Conflict) as exc:
        errors, status = failure(language_for(request), exc)
        return _list(request, viewer, editing=0, values={"group": group, "name": name}, errors=errors, status_code=status)
    response = redirect("/customers/tags")
    flash(request, response, N_("Tag “%(name)s” created."), name=tag.label)
    return response


@router.post("/customers/tags/{tag_id:int}/rename")
def rename_tag(request: Request, viewer: CurrentViewer, tag_id: int, name: Field = "") -> Response:
    try:
        tag = tags.rename_tag(get_console(request).context.uow(), viewer.actor, tag_id, name)
    except (InvalidInput, Conflict) as exc:
        errors, status = failure(language_for(request), exc)
        return _list(request, viewer, editing=tag_id, values={"name": name}, errors=errors, status_code=status)
    response = redirect("/customers/tags")
    flash(request, response, N_("Tag renamed to “%(name)s”."), name=tag.label)
    return response


@router.post("/customers/tags/{tag_id:int}/delete")
def delete_tag(request: Request, viewer: CurrentViewer, tag_id: int) -> Response:
    tags.delete_tag(get_console(request).context.uow(), viewer.actor, tag_id)
    response = redirect("/customers/tags")
    flash(request, response, N_("Tag deleted; it was taken off every customer."))
    return response


def _card(request: Request, viewer: Viewer, customer_id: int, result: str = "") -> Response:
    """The tags card of the customer page, for HTMX to swap in."""
    context = get_console(request).context
    detail = customers.get_customer(context.uow(), viewer.actor, customer_id)
    view = {
        "detail": detail,
        "customer": detail.customer,
        "tag_groups": grouped_tags(tags.list_tags(context.uow(), viewer.actor)),
        "applied_ids": [applied.tag.id for applied in detail.tags],
        "actors": actors.actor_names(context.uow(), viewer.actor, (applied.applied_by for applied in detail.tags)),
        "result": language_for(request).gettext(result) if result else "",
    }
    return fragment(request, "customers/_tags.html", view)


def _tagged(request: Request, viewer: Viewer, customer_id: int, tag_ids: list[int], *, add: bool) -> Response:
    # The customer first: one outside the actor's scope is not found, whatever the tags.
    customers.get_customer(get_console(request).context.uow(), viewer.actor, customer_id)
    change = tags.apply_tags if add else tags.remove_tags
    message = N_("Tag added.") if add else N_("Tag removed.")
    try:
        change(get_console(request).context.uow(), viewer.actor, [customer_id], tag_ids)
    except InvalidInput as exc:
        if is_htmx(request):
            raise  # shown as the console's error toast
        response = redirect(f"/customers/{customer_id}#tags-card")
        flash_error(request, response, exc)
        return response
    if is_htmx(request):
        return _card(request, viewer, customer_id, message)
    response = redirect(f"/customers/{customer_id}#tags-card")
    flash(request, response, message)
    return response


@router.post("/customers/{customer_id:int}/tags")
def tag_customer(request: Request, viewer: CurrentViewer, customer_id: int, tag_ids: Many = None) -> Response:
    return _tagged(request, viewer, customer_id, list(filter_ids(tag_ids)), add=True)


@router.post("/customers/{customer_id:int}/tags/{tag_id:int}/remove")
def untag_customer(request: Request, viewer: CurrentViewer, customer_id: int, tag_id: int) -> Response:
    return _tagged(request, viewer, customer_id, [tag_id], add=False)
