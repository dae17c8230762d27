"""Contact ways (live codes) with their QR codes, materials, and welcome messages."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from siyu.api.acquisition_schemas import (
    ContactWayCreate,
    ContactWayOut,
    ContactWayPage,
    ContactWayUpdate,
    MaterialCreate,
    MaterialOut,
    MaterialPage,
    MaterialUpdate,
    WelcomeCreate,
    WelcomeOut,
    WelcomePage,
    WelcomeSendOut,
    WelcomeUpdate,
)
from siyu.api.deps import CurrentActor, Paging, Uow, get_context
from siyu.api.schemas import page_out
from siyu.bootstrap import Context
from siyu.domain.access import Actor
from siyu.domain.contact_ways import ContactWay, ContactWayDraft, StaffRule
from siyu.domain.welcome import MaterialDraft, WelcomeDraft
from siyu.services import contact_ways, welcome
from siyu.services.material_files import forget_material_files
from siyu.task_queueing import queue_welcome_media

router = APIRouter(prefix="/api/v1", tags=["acquisition"])
Ctx = Annotated[Context, Depends(get_context)]


def _draft(body: ContactWayCreate) -> ContactWayDraft:
    values = body.model_dump()
    rules = [StaffRule.parse(**r) for r in values.pop("staff")]
    return ContactWayDraft.parse(**values, staff=rules)


def _out(way: ContactWay, counts: dict[int, int] | None = None) -> ContactWayOut:
    values = asdict(way)
    values["staff"] = [r.as_dict() for r in way.staff]
    return ContactWayOut.model_validate({**values, "adds_today": counts or {}})


def _with_counts(uow: Uow, actor: Actor, ways: list[ContactWay]) -> list[ContactWayOut]:
    counts = contact_ways.adds_today(uow, actor, [w.id for w in ways])
    return [_out(w, counts.get(w.id)) for w in ways]


@router.get("/contact-ways", response_model=ContactWayPage)
def list_contact_ways(uow: Uow, actor: CurrentActor, paging: Paging, channel_id: int | None = None,
                      archived: bool = False) -> ContactWayPage:
    page = contact_ways.list_contact_ways(uow, actor, paging, channel_id=channel_id, archived=archived)
    return ContactWayPage(items=_with_counts(uow, actor, list(page.items)), total=page.total, page=page.page,
                          page_size=page.page_size, pages=page.pages)


@router.post("/contact-ways", response_model=ContactWayOut, status_code=201)
def create_contact_way(body: ContactWayCreate, context: Ctx, uow: Uow, actor: CurrentActor) -> ContactWayOut:
    return _out(contact_ways.create_contact_way(uow, context.secret_box, context.wecom_channel, actor, _draft(body)))


@router.get("/contact-ways/{way_id}", response_model=ContactWayOut)
def get_contact_way(way_id: int, uow: Uow, actor: CurrentActor) -> ContactWayOut:
    return _with_counts(uow, actor, [contact_ways.get_contact_way(uow, actor, way_id)])[0]


@router.put("/contact-ways/{way_id}", response_model=ContactWayOut)
def update_contact_way(way_id: int, body: ContactWayUpdate, context: Ctx, uow: Uow, actor: CurrentActor) -> ContactWayOut:
    return _out(contact_ways.update_contact_way(uow, context.secret_box, context.wecom_channel, actor, way_id, _draft(body)))


@router.post("/contact-ways/{way_id}/archive", response_model=ContactWayOut)
def archive_contact_way(way_id: int, context: Ctx, uow: Uow, actor: CurrentActor) -> ContactWayOut:
    return _out(contact_ways.archive_contact_way(uow, context.secret_box, context.wecom_channel, actor, way_id))


@router.get("/contact-ways/{way_id}/qr", responses={200: {"content": {"image/png": {}, "image/jpeg": {}}}})
def contact_way_qr(way_id: int, context: Ctx, uow: Uow, actor: CurrentActor) -> Response:
    """WeCom's own QR image of the way (fetched from WeCom; 502 with ``wecom.qr_fetch_failed`` if it cannot be)."""
    image, media_type = contact_ways.qr_code_image(uow, context.secret_box, context.wecom_channel, actor, way_id)
    return Response(image, media_type=media_type)


@router.get("/materials", response_model=MaterialPage)
def list_materials(uow: Uow, actor: CurrentActor, paging: Paging,
                   kind: Annotated[str | None, Query(pattern="^(image|video|file|link|miniprogram)$")] = None) -> MaterialPage:
    return page_out(MaterialPage, welcome.list_materials(uow, actor, paging, kind=kind))


@router.post("/materials", response_model=MaterialOut, status_code=201)
def create_material(body: MaterialCreate, uow: Uow, actor: CurrentActor) -> MaterialOut:
    return MaterialOut.model_validate(asdict(welcome.create_material(uow, actor, MaterialDraft.parse(**body.model_dump()))))


@router.get("/materials/{material_id}", response_model=MaterialOut)
def get_material(material_id: int, uow: Uow, actor: CurrentActor) -> MaterialOut:
    return MaterialOut.model_validate(asdict(welcome.get_material(uow, actor, material_id)))


@router.put("/materials/{material_id}", response_model=MaterialOut)
def update_material(material_id: int, body: MaterialUpdate, context: Ctx, uow: Uow, actor: CurrentActor) -> MaterialOut:
    draft = MaterialDraft.parse(**body.model_dump())
    before = welcome.get_material(uow, actor, material_id)
    saved = welcome.update_material(uow, actor, material_id, draft)
    forget_material_files(context.settings, uow, actor, before.url, before.pic_url)  # a file uploaded in the console, replaced
    return MaterialOut.model_validate(asdict(saved))


@router.delete("/materials/{material_id}", status_code=204)
def delete_material(material_id: int, context: Ctx, uow: Uow, actor: CurrentActor) -> Response:
    before = welcome.get_material(uow, actor, material_id)
    welcome.delete_material(uow, actor, material_id)
    forget_material_files(context.settings, uow, actor, before.url, before.pic_url)
    return Response(status_code=204)


@router.get("/welcome-messages", response_model=WelcomePage)
def list_welcome_messages(uow: Uow, actor: CurrentActor, paging: Paging) -> WelcomePage:
    return page_out(WelcomePage, welcome.list_welcome_messages(uow, actor, paging))


@router.post("/welcome-messages", response_model=WelcomeOut, status_code=201)
def create_welcome_message(body: WelcomeCreate, context: Ctx, uow: Uow, actor: CurrentActor) -> WelcomeOut:
    saved = welcome.save_welcome_message(uow, actor, WelcomeDraft.parse(**body.model_dump()))
    queue_welcome_media(context, actor, saved)
    return WelcomeOut.model_validate(asdict(saved))


@router.get("/welcome-messages/{message_id}", response_model=WelcomeOut)
def get_welcome_message(message_id: int, uow: Uow, actor: CurrentActor) -> WelcomeOut:
    return WelcomeOut.model_validate(asdict(welcome.get_welcome_message(uow, actor, message_id)))


@router.put("/welcome-messages/{message_id}", response_model=WelcomeOut)
def update_welcome_message(message_id: int, body: WelcomeUpdate, context: Ctx, uow: Uow, actor: CurrentActor) -> WelcomeOut:
    saved = welcome.save_welcome_message(uow, actor, WelcomeDraft.parse(**body.model_dump()), message_id)
    queue_welcome_media(context, actor, saved)
    return WelcomeOut.model_validate(asdict(saved))


@router.delete("/welcome-messages/{message_id}", status_code=204)
def delete_welcome_message(message_id: int, uow: Uow, actor: CurrentActor) -> Response:
    welcome.delete_welcome_message(uow, actor, message_id)
    return Response(status_code=204)


@router.get("/customers/{customer_id}/welcome-sends", response_model=list[WelcomeSendOut])
def customer_welcome_sends(customer_id: int, uow: Uow, actor: CurrentActor) -> list[WelcomeSendOut]:
    return [WelcomeSendOut.model_validate(asdict(s)) for s in welcome.sends_for_customer(uow, actor, customer_id)]
