"""Customers: list, read, create (OneID), edit, tag, stage, timeline."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from siyu.api.customer_schemas import (
    AppliedTagOut,
    CustomerCreate,
    CustomerDetailOut,
    CustomerOut,
    CustomerPage,
    CustomerRowOut,
    CustomerUpdate,
    FieldsUpdate,
    FieldValueOut,
    IdentityIn,
    IdentityOut,
    OwnerUpdate,
    RelationOut,
    ResolutionOut,
    StageMove,
    TimelinePage,
)
from siyu.api.deps import CurrentActor, Paging, Uow
from siyu.api.schemas import page_out
from siyu.domain.customers import CustomerRecord, Profile
from siyu.domain.identities import IdentityKey
from siyu.services import customers, stages
from siyu.services.customers import CustomerFilter

router = APIRouter(prefix="/api/v1", tags=["customers"])


def _profile(body: CustomerCreate) -> Profile:
    return Profile.parse(name=body.name, gender=body.gender, avatar=body.avatar, birthday=body.birthday, region=body.region,
                         member_level=body.member_level)


@router.get("/customers", response_model=CustomerPage)
def list_customers(
    uow: Uow,
    actor: CurrentActor,
    paging: Paging,
    q: Annotated[str | None, Query(max_length=64, description=(
        "3 characters or more: found anywhere in the name, a staff remark, a phone, email, member number or POS id "
        "(so the last 4 digits of a phone work); 1-2 characters: names and remarks starting with it; any length: an "
        "identity equal to it. Case is ignored; a mobile in any spelling (+86, spaces, dashes) is found too."))] = None,
    tag_id: Annotated[list[int], Query(description="customers with any of these tags")] = [],  # noqa: B006
    stage_id: int | None = None,
    staff_id: int | None = None,
    store_id: int | None = None,
    added_from: datetime | None = None,
    added_to: datetime | None = None,
) -> CustomerPage:
    flt = CustomerFilter(q=q, tag_ids=tuple(tag_id), stage_id=stage_id, staff_id=staff_id, store_id=store_id,
                         added_from=added_from, added_to=added_to)
    page = customers.list_customers(uow, actor, flt, paging)
    items = [
        CustomerRowOut(
            customer=CustomerOut.model_validate(row.customer),
            identities=[IdentityOut.model_validate(i) for i in row.identities],
            tag_ids=row.tag_ids, stage_name=row.stage_name, owner_name=row.owner_name,
        )
        for row in page.items
    ]
    return CustomerPage(items=items, total=page.total, page=page.page, page_size=page.page_size, pages=page.pages,
                        total_capped=page.total_capped, has_next=page.has_next)


@router.post("/customers", response_model=ResolutionOut, status_code=201)
def create_customer(body: CustomerCreate, uow: Uow, actor: CurrentActor) -> ResolutionOut:
    """Create a customer, or attach to (and merge) the customers its identities already name."""
    record = CustomerRecord(
        keys=tuple(IdentityKey.parse(i.kind, i.value) for i in body.identities), profile=_profile(body), fields=body.fields
    )
    resolution = customers.create_customer(uow, actor, record)
    return ResolutionOut(customer_id=resolution.customer_id, created=resolution.created, merged_ids=list(resolution.merged_ids))


@router.get("/customers/{customer_id}", response_model=CustomerDetailOut)
def get_customer(customer_id: int, uow: Uow, actor: CurrentActor) -> CustomerDetailOut:
    detail = customers.get_customer(uow, actor, customer_id)
    return CustomerDetailOut(
        customer=CustomerOut.model_validate(detail.customer),
        identities=[IdentityOut.model_validate(i) for i in detail.identities],
        relations=[
            RelationOut(staff_id=r.relation.staff_id, staff_name=r.staff_name, state=r.relation.state, added_at=r.relation.added_at,
                        add_way=r.relation.add_way, channel_state=r.relation.channel_state, remark=r.relation.remark,
                        description=r.relation.description, ended_at=r.relation.ended_at)
            for r in detail.relations
        ],
        tags=[AppliedTagOut(tag_id=t.tag.id, label=t.tag.label, source=t.source, applied_by=t.applied_by, applied_at=t.applied_at)
              for t in detail.tags],
        stage=detail.stage.name if detail.stage else None,
        fields=[FieldValueOut(key=d.key, label=d.label, kind=d.kind, value=v) for d, v in detail.fields],
    )


@router.patch("/customers/{customer_id}", response_model=CustomerOut)
def update_customer(customer_id: int, body: CustomerUpdate, uow: Uow, actor: CurrentActor) -> CustomerOut:
    """Change the profile: fields left out stay; a field sent as `null` is cleared (not `name`)."""
    profile = Profile.parse(name=body.name, gender=body.gender, avatar=body.avatar, birthday=body.birthday, region=body.region,
                            member_level=body.member_level,
                            clear=body.cleared())
    return CustomerOut.model_validate(customers.update_profile(uow, actor, customer_id, profile))


@router.put("/customers/{customer_id}/fields", response_model=CustomerOut)
def set_fields(customer_id: int, body: FieldsUpdate, uow: Uow, actor: CurrentActor) -> CustomerOut:
    return CustomerOut.model_validate(customers.set_fields(uow, actor, customer_id, body.values))


@router.post("/customers/{customer_id}/identities", status_code=204)
def add_identity(customer_id: int, body: IdentityIn, uow: Uow, actor: CurrentActor) -> None:
    customers.add_identity(uow, actor, customer_id, IdentityKey.parse(body.kind, body.value))


@router.put("/customers/{customer_id}/stage", response_model=CustomerOut)
def move_stage(customer_id: int, body: StageMove, uow: Uow, actor: CurrentActor) -> CustomerOut:
    return CustomerOut.model_validate(stages.move_stage(uow, actor, customer_id, body.stage_id))


@router.put("/customers/{customer_id}/owner", response_model=CustomerOut)
def set_owner(customer_id: int, body: OwnerUpdate, uow: Uow, actor: CurrentActor) -> CustomerOut:
    return CustomerOut.model_validate(customers.set_owner(uow, actor, customer_id, body.staff_id))


@router.get("/customers/{customer_id}/timeline", response_model=TimelinePage)
def timeline(customer_id: int, uow: Uow, actor: CurrentActor, paging: Paging) -> TimelinePage:
    return page_out(TimelinePage, customers.timeline(uow, actor, customer_id, paging))
