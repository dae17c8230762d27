"""Group live codes (群活码): one QR code that takes customers into a channel's groups as they fill."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Depends, Response

from siyu.api.deps import CurrentActor, Paging, Uow, get_context
from siyu.api.group_code_schemas import GroupCodeCreate, GroupCodeOut, GroupCodePage, GroupCodeUpdate
from siyu.bootstrap import Context
from siyu.domain.group_codes import GroupCode, GroupCodeDraft
from siyu.services import group_codes

router = APIRouter(prefix="/api/v1", tags=["acquisition"])
Ctx = Annotated[Context, Depends(get_context)]


def _draft(body: GroupCodeCreate, context: Context) -> GroupCodeDraft:
    return GroupCodeDraft.parse(**body.model_dump(), members_max=context.settings.group_members_max)


def _out(code: GroupCode, joins: int = 0, pool: list[object] | None = None) -> GroupCodeOut:
    return GroupCodeOut.model_validate({**asdict(code), "joins": joins, "pool": [asdict(p) for p in pool or []]})  # type: ignore[call-overload]


@router.get("/group-codes", response_model=GroupCodePage)
def list_group_codes(uow: Uow, actor: CurrentActor, paging: Paging, archived: bool = False) -> GroupCodePage:
    page = group_codes.list_group_codes(uow, actor, paging, archived=archived)
    joins = group_codes.joins(uow, actor, [c.id for c in page.items])
    return GroupCodePage(items=[_out(c, joins.get(c.id, 0)) for c in page.items], total=page.total, page=page.page,
                         page_size=page.page_size, pages=page.pages)


@router.post("/group-codes", response_model=GroupCodeOut, status_code=201)
def create_group_code(body: GroupCodeCreate, context: Ctx, uow: Uow, actor: CurrentActor) -> GroupCodeOut:
    return _out(group_codes.create_group_code(uow, context.secret_box, context.wecom_channel, actor, _draft(body, context),
                                              members_max=context.settings.group_members_max))


@router.get("/group-codes/{group_code_id}", response_model=GroupCodeOut)
def get_group_code(group_code_id: int, uow: Uow, actor: CurrentActor) -> GroupCodeOut:
    code = group_codes.get_group_code(uow, actor, group_code_id)
    return _out(code, group_codes.joins(uow, actor, [code.id]).get(code.id, 0), list(group_codes.pool_of(uow, actor, code)))


@router.put("/group-codes/{group_code_id}", response_model=GroupCodeOut)
def update_group_code(group_code_id: int, body: GroupCodeUpdate, context: Ctx, uow: Uow, actor: CurrentActor) -> GroupCodeOut:
    return _out(group_codes.update_group_code(uow, context.secret_box, context.wecom_channel, actor, group_code_id,
                                              _draft(body, context), members_max=context.settings.group_members_max))


@router.post("/group-codes/{group_code_id}/archive", response_model=GroupCodeOut)
def archive_group_code(group_code_id: int, context: Ctx, uow: Uow, actor: CurrentActor) -> GroupCodeOut:
    return _out(group_codes.archive_group_code(uow, context.secret_box, context.wecom_channel, actor, group_code_id))


@router.get("/group-codes/{group_code_id}/qr", responses={200: {"content": {"image/png": {}, "image/jpeg": {}}}})
def group_code_qr(group_code_id: int, context: Ctx, uow: Uow, actor: CurrentActor) -> Response:
    """WeCom's own QR image of the code (fetched from WeCom; 502 with ``wecom.qr_fetch_failed`` if it cannot be)."""
    image, media_type = group_codes.qr_code_image(uow, context.secret_box, context.wecom_channel, actor, group_code_id)
    return Response(image, media_type=media_type)
