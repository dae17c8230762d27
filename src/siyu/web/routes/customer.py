"""One customer (客户详情): identities, profile, extended fields, relations, owner, timeline.

Tags on the customer live in ``customer_tags``, the stage in ``stages``, merges in ``duplicates``;
each posts back here.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from pydantic import BaseModel

from siyu.domain.customers import Profile
from siyu.domain.errors import Conflict, InvalidInput
from siyu.domain.fields import CustomField, FieldKind
from siyu.domain.identities import IdentityKey, IdentityKind
from siyu.services import actors, contact_pressure, customers, fields, member_levels, merging, orders, tags
from siyu.services.customers import CustomerDetail
from siyu.web.console import get_console
from siyu.domain.paging import PageRequest
from siyu.web.forms import Paging, PostedForm, failure, optional_id, paging
from siyu.web.i18n import Language, N_
from siyu.web.lookups import all_staff, all_stores, grouped_tags
from siyu.web.render import flash, fragment, is_htmx, language_for, page, redirect
from siyu.web.session import CurrentViewer, Viewer
from siyu.web.timeline import Names, describe, opt_out_source, order_source, order_status

router = APIRouter()
Field = Annotated[str, Form()]


class ProfileFields(BaseModel):
    """The profile form as typed, kept as text so a rejected form comes back unchanged."""

    name: str = ""
    gender: str = ""
    birthday: str = ""
    region: str = ""
    avatar: str = ""
    member_level: str = ""

    @classmethod
    def of(cls, detail: CustomerDetail) -> ProfileFields:
        c = detail.customer
        return cls(name=c.name, gender=str(c.gender.value), birthday=c.birthday.isoformat() if c.birthday else "",
                   region=c.region or "", avatar=c.avatar or "", member_level=c.member_level or "")

    def profile(self) -> Profile:
        """An emptied box clears its value (the name excepted: an empty name keeps the current one)."""
        return Profile.parse(name=self.name, gender=self.gender, birthday=self.birthday, region=self.region,
                             avatar=self.avatar, member_level=self.member_level, clear_empty=True)


Profiled = Annotated[ProfileFields, Form()]


def _shown_value(definition: CustomField, value: Any) -> Any:
    """A stored field value as the form shows it: a list for multi choice, else text."""
    if definition.kind is FieldKind.MULTI:
        return list(value or [])
    return "" if value is None else str(value)


def field_values(detail: CustomerDetail) -> dict[str, Any]:
    return {definition.key: _shown_value(definition, value) for definition, value in detail.fields}


def _level_choices(language: Language, listed: tuple[str, ...], chosen: str) -> list[tuple[str, str]]:
    """The tenant's member levels, and the chosen one (current or typed) when it is not listed,
    so saving the form neither loses nor silently clears it."""
    extra = [(chosen, language.gettext("%(level)s (not a listed level)", level=chosen))] if chosen and chosen not in listed else []
    return [(name, name) for name in listed] + extra


def _page(request: Request, viewer: Viewer, customer_id: int, timeline_page: PageRequest | None = None, *,
          form: str = "", values: dict[str, Any] | None = None, errors: dict[str, str] | None = None,
          status_code: int = 200) -> Response:
    """The customer page; ``form`` names the section whose post failed, shown with ``values`` and ``errors``."""
    context, actor = get_console(request).context, viewer.actor
    detail = customers.get_customer(context.uow(), actor, customer_id)
    events = customers.timeline(context.uow(), actor, customer_id, timeline_page or paging())
    staff_names = {member.id: member.name for member in all_staff(context, actor)}
    staff_names.update({shown.relation.staff_id: shown.staff_name for shown in detail.relations})
    names = Names(staff=staff_names, fields={definition.key: definition.label for definition, _ in detail.fields})
    language = language_for(request)
    profile = values if form == "profile" else ProfileFields.of(detail).model_dump()
    levels = member_levels.get_member_levels(context.uow(), actor)
    merges = merging.merges_of(context.uow(), actor, customer_id)
    opted = contact_pressure.find_opt_out(context.uow(), actor, customer_id)
    labels = [e.actor for e in events.items] + [a.applied_by for a in detail.tags] + [m.actor for m in merges]
    labels += [opted.actor] if opted else []
    view = {
        "detail": detail,
        "customer": detail.customer,
        "timeline": events,
        "orders": orders.customer_orders(context.uow(), actor, customer_id, PageRequest(page_size=5)),
        "order_source": lambda source: order_source(language, source),
        "order_status": lambda status: order_status(language, status),
        "lines": [describe(language, event, names) for event in events.items],
        "merges": merges,
        "opt_out": opted,
        "opt_out_source": lambda source: opt_out_source(language, source),
        "actors": actors.actor_names(context.uow(), actor, labels),
        "tag_groups": grouped_tags(tags.list_tags(context.uow(), actor)),
        "applied_ids": [applied.tag.id for applied in detail.tags],
        "store_names": {store.id: store.name for store in all_stores(context, actor)},
        "profile": profile,
        "level_choices": _level_choices(language, levels.names, str(profile.get("member_level") or "")),
        "field_values": values if form == "fields" else field_values(detail),
        "identity": values if form == "identity" else {"kind": IdentityKind.PHONE.value, "value": ""},
        "form": form,
        "errors": errors or {},
        "query": "",
    }
    if is_htmx(request) and request.headers.get("hx-target") == "timeline":
        return fragment(request, "customers/_timeline.html", view)
    return page(request, "customers/detail.html", view, status_code=status_code)


@router.get("/customers/{customer_id:int}")
def show_customer(request: Request, viewer: CurrentViewer, timeline_page: Paging, customer_id: int) -> Response:
    return _page(request, viewer, customer_id, timeline_page)


def _saved(request: Request, customer_id: int, message: str, **values: str) -> Response:
    response = redirect(f"/customers/{customer_id}")
    flash(request, response, message, **values)
    return response


@router.post("/customers/{customer_id:int}/profile")
def update_profile(request: Request, viewer: CurrentViewer, customer_id: int, fields: Profiled) -> Response:
    try:
        customers.update_profile(get_console(request).context.uow(), viewer.actor, customer_id, fields.profile(), listed_level=True)
    except (InvalidInput, Conflict) as exc:
        errors, status = failure(language_for(request), exc)
        return _page(request, viewer, customer_id, form="profile", values=fields.model_dump(), errors=errors,
                     status_code=status)
    return _saved(request, customer_id, N_("Profile saved."))


@router.post("/customers/{customer_id:int}/fields")
def update_fields(request: Request, viewer: CurrentViewer, customer_id: int, posted: PostedForm) -> Response:
    context = get_console(request).context
    values: dict[str, Any] = {
        definition.key: [str(v) for v in posted.getlist(definition.key)] if definition.kind is FieldKind.MULTI
        else str(posted.get(definition.key) or "")
        for definition in fields.list_fields(context.uow(), viewer.actor)
    }
    try:
        customers.set_fields(context.uow(), viewer.actor, customer_id, values)
    except (InvalidInput, Conflict) as exc:
        errors, status = failure(language_for(request), exc)
        return _page(request, viewer, customer_id, form="fields", values=values, errors=errors, status_code=status)
    return _saved(request, customer_id, N_("Extended fields saved."))


@router.post("/customers/{customer_id:int}/identities")
def add_identity(request: Request, viewer: CurrentViewer, customer_id: int, kind: Field = "", value: Field = "") -> Response:
    try:
        key = IdentityKey.parse(kind, value)
        customers.add_identity(get_console(request).context.uow(), viewer.actor, customer_id, key)
    except (InvalidInput, Conflict) as exc:
        errors, status = failure(language_for(request), exc)
        # The domain names the kind as the field; the form has one value box.
        errors = {("kind" if exc.field == "kind" else "value"): message for message in errors.values()}
        return _page(request, viewer, customer_id, form="identity", values={"kind": kind, "value": value},
                     errors=errors, status_code=status)
    return _saved(request, customer_id, N_("Identity added."))


@router.post("/customers/{customer_id:int}/owner")
def set_owner(request: Request, viewer: CurrentViewer, customer_id: int, owner_staff_id: Field = "") -> Response:
    try:
        customers.set_owner(get_console(request).context.uow(), viewer.actor, customer_id,
                            optional_id(owner_staff_id, "owner_staff_id"))
    except (InvalidInput, Conflict) as exc:
        errors, status = failure(language_for(request), exc)
        return _page(request, viewer, customer_id, form="owner", values={"owner_staff_id": owner_staff_id},
                     errors=errors, status_code=status)
    return _saved(request, customer_id, N_("Owner saved."))
