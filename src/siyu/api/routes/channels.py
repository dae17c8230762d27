"""Acquisition channels and their costs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from siyu.api.commerce_schemas import ChannelCreate, ChannelOut, ChannelPage, ChannelUpdate, CostCreate, CostOut, CostPage, CostUpdate
from siyu.api.deps import CurrentActor, Paging, Uow
from siyu.api.schemas import page_out
from siyu.domain.channels import ChannelDraft, CostDraft
from siyu.services import channels

router = APIRouter(prefix="/api/v1", tags=["channels"])


@router.get("/channels", response_model=ChannelPage)
def list_channels(
    uow: Uow, actor: CurrentActor, paging: Paging, q: Annotated[str | None, Query(max_length=64)] = None,
    group: Annotated[str | None, Query(max_length=64)] = None, archived: bool = False,
) -> ChannelPage:
    return page_out(ChannelPage, channels.list_channels(uow, actor, paging, q=q, group=group, archived=archived))


@router.post("/channels", response_model=ChannelOut, status_code=201)
def create_channel(body: ChannelCreate, uow: Uow, actor: CurrentActor) -> ChannelOut:
    return ChannelOut.model_validate(channels.create_channel(uow, actor, ChannelDraft.parse(**body.model_dump())))


@router.get("/channels/{channel_id}", response_model=ChannelOut)
def get_channel(channel_id: int, uow: Uow, actor: CurrentActor) -> ChannelOut:
    return ChannelOut.model_validate(channels.get_channel(uow, actor, channel_id))


@router.put("/channels/{channel_id}", response_model=ChannelOut)
def update_channel(channel_id: int, body: ChannelUpdate, uow: Uow, actor: CurrentActor) -> ChannelOut:
    return ChannelOut.model_validate(channels.update_channel(uow, actor, channel_id, ChannelDraft.parse(**body.model_dump())))


@router.post("/channels/{channel_id}/archive", response_model=ChannelOut)
def archive_channel(channel_id: int, uow: Uow, actor: CurrentActor) -> ChannelOut:
    return ChannelOut.model_validate(channels.archive_channel(uow, actor, channel_id))


@router.post("/channels/{channel_id}/restore", response_model=ChannelOut)
def restore_channel(channel_id: int, uow: Uow, actor: CurrentActor) -> ChannelOut:
    return ChannelOut.model_validate(channels.archive_channel(uow, actor, channel_id, archived=False))


@router.get("/channels/{channel_id}/costs", response_model=CostPage)
def list_costs(channel_id: int, uow: Uow, actor: CurrentActor, paging: Paging) -> CostPage:
    return page_out(CostPage, channels.list_costs(uow, actor, channel_id, paging))


@router.post("/channels/{channel_id}/costs", response_model=CostOut, status_code=201)
def add_cost(channel_id: int, body: CostCreate, uow: Uow, actor: CurrentActor) -> CostOut:
    return CostOut.model_validate(channels.add_cost(uow, actor, channel_id, CostDraft.parse(**body.model_dump())))


@router.put("/channels/{channel_id}/costs/{cost_id}", response_model=CostOut)
def update_cost(channel_id: int, cost_id: int, body: CostUpdate, uow: Uow, actor: CurrentActor) -> CostOut:
    return CostOut.model_validate(channels.update_cost(uow, actor, channel_id, cost_id, CostDraft.parse(**body.model_dump())))


@router.delete("/channels/{channel_id}/costs/{cost_id}", status_code=204)
def delete_cost(channel_id: int, cost_id: int, uow: Uow, actor: CurrentActor) -> Response:
    channels.delete_cost(uow, actor, channel_id, cost_id)
    return Response(status_code=204)
