"""Extended fields (扩展字段): the fields a brand defines for its customers."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from pydantic import BaseModel

from siyu.domain.access import Permission
from siyu.domain.errors import Conflict, InvalidInput, NotFound
from siyu.domain.fields import CustomField, FieldKind
from siyu.services import fields
from siyu.web.console import get_console
from siyu.web.forms import failure
from siyu.web.i18n import N_
from siyu.web.render import flash, language_for, page, redirect
from siyu.web.session import CurrentViewer, Viewer

router = APIRouter()
CHOICES = (FieldKind.SINGLE, FieldKind.MULTI)
_OPTION_SEPARATORS = re.compile(r"[\n\r,，;；]+")


class FieldForm(BaseModel):
    """The field form as typed, kept as text so a rejected form comes back unchanged."""

    key: str = ""
    label: str = ""
    kind: str = FieldKind.TEXT.value
    options: str = ""
    required: str = ""

    @classmethod
    def of(cls, field: CustomField) -> FieldForm:
        return cls(key=field.key, label=field.label, kind=field.kind.value, options="\n".join(field.options),
                   required="on" if field.required else "")

    def option_list(self) -> list[str]:
        """One option a line (commas also separate them)."""
        return [option.strip() for option in _OPTION_SEPARATORS.split(self.options) if option.strip()]


Posted = Annotated[FieldForm, Form()]


def _list(request: Request, viewer: Viewer, form: FieldForm | None = None, errors: dict[str, str] | None = None,
          status_code: int = 200) -> Response:
    viewer.actor.require(Permission.CUSTOMERS_MANAGE)
    defined = fields.list_fields(get_console(request).context.uow(), viewer.actor)
    view = {"fields": defined, "values": (form or FieldForm()).model_dump(), "errors": errors or {},
            "here": "/customers/fields"}
    return page(request, "customers/fields.html", view, status_code=status_code)


def _edit(request: Request, viewer: Viewer, field: CustomField, form: FieldForm,
          errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    view = {"field": field, "values": form.model_dump(), "errors": errors or {}}
    return page(request, "customers/field_form.html", view, status_code=status_code)


def _defined(request: Request, viewer: Viewer, field_key: str) -> CustomField:
    found = {field.key: field for field in fields.list_fields(get_console(request).context.uow(), viewer.actor)}
    if field_key not in found:
        raise NotFound("field.not_found", "no such field")
    return found[field_key]


@router.get("/customers/fields")
def list_fields(request: Request, viewer: CurrentViewer) -> Response:
    return _list(request, viewer)


@router.post("/customers/fields")
def define_field(request: Request, viewer: CurrentViewer, form: Posted) -> Response:
    try:
        field = fields.define_field(
            get_console(request).context.uow(), viewer.actor, key=form.key, label=form.label, kind=form.kind,
            options=form.option_list(), required=bool(form.required),
        )
    except (InvalidInput, Conflict) as exc:
        errors, status = failure(language_for(request), exc)
        return _list(request, viewer, form, errors, status)
    response = redirect("/customers/fields")
    flash(request, response, N_("Field “%(label)s” defined."), label=field.label)
    return response


@router.get("/customers/fields/{field_key}/edit")
def edit_field(request: Request, viewer: CurrentViewer, field_key: str) -> Response:
    field = _defined(request, viewer, field_key)
    viewer.actor.require(Permission.CUSTOMERS_MANAGE)
    return _edit(request, viewer, field, FieldForm.of(field))


@router.post("/customers/fields/{field_key}/edit")
def update_field(request: Request, viewer: CurrentViewer, field_key: str, form: Posted) -> Response:
    field = _defined(request, viewer, field_key)
    try:
        saved = fields.update_field(
            get_console(request).context.uow(), viewer.actor, field_key, label=form.label,
            options=form.option_list() if field.kind in CHOICES else None, required=bool(form.required),
        )
    except (InvalidInput, Conflict) as exc:
        errors, status = failure(language_for(request), exc)
        kept = form.model_copy(update={"key": field.key, "kind": field.kind.value})
        return _edit(request, viewer, field, kept, errors, status)
    response = redirect("/customers/fields")
    flash(request, response, N_("Field “%(label)s” saved."), label=saved.label)
    return response
