"""The material library (素材库) in the console: the list by kind, and the create and edit form
with each kind's fields (an image, video or file uploaded, or its URL; a link's title,
description, URL and cover; a mini-program's appid, page, title and cover). Uploads are kept by
``siyu.services.material_files``; a material a welcome message or an unfinished send carries is
not deleted (``siyu.services.welcome.delete_material``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel

from siyu.domain.access import Permission
from siyu.domain.errors import Conflict, InvalidInput
from siyu.domain.welcome import Material, MaterialDraft, MaterialKind
from siyu.services import welcome
from siyu.services.material_files import forget_material_files, keep_material_file
from siyu.web.console import get_console
from siyu.web.forms import Paging, failure, filter_choice, query_string
from siyu.web.i18n import N_
from siyu.web.render import flash, flash_error, language_for, page, redirect
from siyu.web.session import CurrentViewer, Viewer

router = APIRouter()
KINDS = ((MaterialKind.IMAGE, N_("Image")), (MaterialKind.VIDEO, N_("Video")), (MaterialKind.FILE, N_("File")),
         (MaterialKind.LINK, N_("Link")), (MaterialKind.MINIPROGRAM, N_("Mini-program")))
UPLOADED = (MaterialKind.IMAGE.value, MaterialKind.VIDEO.value, MaterialKind.FILE.value)


class MaterialFields(BaseModel):
    """The form as typed, kept as text so a rejected form comes back unchanged."""

    kind: str = MaterialKind.IMAGE.value
    title: str = ""
    url: str = ""
    pic_url: str = ""
    description: str = ""
    appid: str = ""
    page: str = ""

    @classmethod
    def of(cls, material: Material) -> MaterialFields:
        return cls(kind=material.kind.value, title=material.title, url=material.url, pic_url=material.pic_url,
                   description=material.description, appid=material.appid, page=material.page)

    def draft(self) -> MaterialDraft:
        return MaterialDraft.parse(**self.model_dump())


Fields = Annotated[MaterialFields, Form()]
Upload = Annotated[UploadFile | None, File()]


@router.get("/materials")
def list_materials(request: Request, viewer: CurrentViewer, paging: Paging, kind: str = "") -> Response:
    chosen = filter_choice(MaterialKind, kind)
    found = welcome.list_materials(get_console(request).context.uow(), viewer.actor, paging, kind=chosen.value if chosen else None)
    view = {"materials": found, "kinds": KINDS, "kind": chosen.value if chosen else "", "query": query_string({"kind": kind if chosen else ""}),
            "kind_names": dict(KINDS), "can_manage": viewer.actor.can(Permission.CHANNELS_MANAGE)}
    return page(request, "materials/list.html", view)


def _form(request: Request, viewer: Viewer, values: MaterialFields, *, material: Material | None = None,
          errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    viewer.actor.require(Permission.CHANNELS_MANAGE)
    view = {"values": values.model_dump(), "material": material, "errors": errors or {}, "kinds": KINDS, "uploaded": UPLOADED}
    return page(request, "materials/form.html", view, status_code=status_code)


def _saved(request: Request, viewer: Viewer, fields: MaterialFields, file: UploadFile | None, material_id: int | None) -> Material:
    """Keep the uploaded file (its URL goes into the form, so a later error keeps it), then save."""
    context = get_console(request).context
    if file is not None and file.filename:
        fields.url = keep_material_file(context.settings, viewer.actor, fields.kind, file.file, file.filename)
    draft = fields.draft()
    if material_id is None:
        return welcome.create_material(context.uow(), viewer.actor, draft)
    return welcome.update_material(context.uow(), viewer.actor, material_id, draft)


@router.get("/materials/new")
def new_material(request: Request, viewer: CurrentViewer, kind: str = "") -> Response:
    chosen = filter_choice(MaterialKind, kind)
    return _form(request, viewer, MaterialFields(kind=chosen.value) if chosen else MaterialFields())


@router.post("/materials/new")
def create_material(request: Request, viewer: CurrentViewer, fields: Fields, file: Upload = None) -> Response:
    try:
        made = _saved(request, viewer, fields, file, None)
    except InvalidInput as exc:
        errors, status = failure(language_for(request), exc)
        return _form(request, viewer, fields, errors=errors, status_code=status)
    response = redirect("/materials")
    flash(request, response, N_("Material “%(name)s” created."), name=made.title)
    return response


@router.get("/materials/{material_id}/edit")
def edit_material(request: Request, viewer: CurrentViewer, material_id: int) -> Response:
    material = welcome.get_material(get_console(request).context.uow(), viewer.actor, material_id)
    return _form(request, viewer, MaterialFields.of(material), material=material)


@router.post("/materials/{material_id}/edit")
def update_material(request: Request, viewer: CurrentViewer, material_id: int, fields: Fields, file: Upload = None) -> Response:
    material = welcome.get_material(get_console(request).context.uow(), viewer.actor, material_id)
    try:
        saved = _saved(request, viewer, fields, file, material_id)
    except InvalidInput as exc:
        errors, status = failure(language_for(request), exc)
        return _form(request, viewer, fields, material=material, errors=errors, status_code=status)
    context = get_console(request).context
    forget_material_files(context.settings, context.uow(), viewer.actor, material.url, material.pic_url)  # if replaced
    response = redirect("/materials")
    flash(request, response, N_("Material “%(name)s” saved."), name=saved.title)
    return response


@router.post("/materials/{material_id}/delete")
def delete_material(request: Request, viewer: CurrentViewer, material_id: int) -> Response:
    context = get_console(request).context
    material = welcome.get_material(context.uow(), viewer.actor, material_id)
    response = redirect("/materials")
    try:
        welcome.delete_material(context.uow(), viewer.actor, material_id)
    except Conflict as exc:
        flash_error(request, response, exc)
        return response
    forget_material_files(context.settings, context.uow(), viewer.actor, material.url, material.pic_url)
    flash(request, response, N_("Material “%(name)s” deleted."), name=material.title)
    return response
