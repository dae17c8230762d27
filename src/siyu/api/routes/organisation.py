"""Regions, stores and staff."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from siyu.api.deps import CurrentActor, Paging, Uow
from siyu.api.schemas import (
    RegionCreate,
    RegionOut,
    RegionPage,
    RegionUpdate,
    StaffCreate,
    StaffOut,
    StaffPage,
    StaffUpdate,
    StoreCreate,
    StoreOut,
    StorePage,
    StoreUpdate,
    page_out,
)
from siyu.domain.access import Role
from siyu.domain.organisation import StaffDraft, StaffStatus, StoreDraft
from siyu.services import regions, staff, stores

router = APIRouter(prefix="/api/v1")


@router.get("/regions", response_model=RegionPage, tags=["organisation"])
def list_regions(uow: Uow, actor: CurrentActor, paging: Paging) -> RegionPage:
    return page_out(RegionPage, regions.list_regions(uow, actor, paging))


@router.post("/regions", response_model=RegionOut, status_code=201, tags=["organisation"])
def create_region(body: RegionCreate, uow: Uow, actor: CurrentActor) -> RegionOut:
    return RegionOut.model_validate(regions.create_region(uow, actor, body.name))


@router.get("/regions/{region_id}", response_model=RegionOut, tags=["organisation"])
def get_region(region_id: int, uow: Uow, actor: CurrentActor) -> RegionOut:
    return RegionOut.model_validate(regions.get_region(uow, actor, region_id))


@router.put("/regions/{region_id}", response_model=RegionOut, tags=["organisation"])
def update_region(region_id: int, body: RegionUpdate, uow: Uow, actor: CurrentActor) -> RegionOut:
    return RegionOut.model_validate(regions.rename_region(uow, actor, region_id, body.name))


@router.get("/stores", response_model=StorePage, tags=["organisation"])
def list_stores(
    uow: Uow,
    actor: CurrentActor,
    paging: Paging,
    region_id: int | None = None,
    q: Annotated[str | None, Query(max_length=64)] = None,
) -> StorePage:
    return page_out(StorePage, stores.list_stores(uow, actor, paging, region_id=region_id, q=q))


@router.post("/stores", response_model=StoreOut, status_code=201, tags=["organisation"])
def create_store(body: StoreCreate, uow: Uow, actor: CurrentActor) -> StoreOut:
    return StoreOut.model_validate(stores.create_store(uow, actor, StoreDraft.parse(**body.model_dump())))


@router.get("/stores/{store_id}", response_model=StoreOut, tags=["organisation"])
def get_store(store_id: int, uow: Uow, actor: CurrentActor) -> StoreOut:
    return StoreOut.model_validate(stores.get_store(uow, actor, store_id))


@router.put("/stores/{store_id}", response_model=StoreOut, tags=["organisation"])
def update_store(store_id: int, body: StoreUpdate, uow: Uow, actor: CurrentActor) -> StoreOut:
    return StoreOut.model_validate(stores.update_store(uow, actor, store_id, StoreDraft.parse(**body.model_dump())))


@router.get("/staff", response_model=StaffPage, tags=["organisation"])
def list_staff(
    uow: Uow,
    actor: CurrentActor,
    paging: Paging,
    store_id: int | None = None,
    status: StaffStatus | None = None,
    role: Role | None = None,
    q: Annotated[str | None, Query(max_length=64)] = None,
) -> StaffPage:
    page = staff.list_staff(uow, actor, paging, store_id=store_id, status=status, role=role, q=q)
    return page_out(StaffPage, page)


@router.post("/staff", response_model=StaffOut, status_code=201, tags=["organisation"])
def create_staff(body: StaffCreate, uow: Uow, actor: CurrentActor) -> StaffOut:
    return StaffOut.model_validate(staff.create_staff(uow, actor, StaffDraft.parse(**body.model_dump())))


@router.get("/staff/{staff_id}", response_model=StaffOut, tags=["organisation"])
def get_staff(staff_id: int, uow: Uow, actor: CurrentActor) -> StaffOut:
    return StaffOut.model_validate(staff.get_staff(uow, actor, staff_id))


@router.put("/staff/{staff_id}", response_model=StaffOut, tags=["organisation"])
def update_staff(staff_id: int, body: StaffUpdate, uow: Uow, actor: CurrentActor) -> StaffOut:
    return StaffOut.model_validate(staff.update_staff(uow, actor, staff_id, StaffDraft.parse(**body.model_dump())))


@router.post("/staff/{staff_id}/resign", response_model=StaffOut, tags=["organisation"])
def resign_staff(staff_id: int, uow: Uow, actor: CurrentActor) -> StaffOut:
    return StaffOut.model_validate(staff.resign_staff(uow, actor, staff_id))


@router.post("/staff/{staff_id}/reinstate", response_model=StaffOut, tags=["organisation"])
def reinstate_staff(staff_id: int, uow: Uow, actor: CurrentActor) -> StaffOut:
    return StaffOut.model_validate(staff.reinstate_staff(uow, actor, staff_id))
