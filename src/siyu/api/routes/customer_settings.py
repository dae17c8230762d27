"""Tags, stages, extended fields, bulk tagging, merges and possible duplicates."""

from __future__ import annotations

from fastapi import APIRouter

from siyu.api.customer_schemas import (
    CustomerOut,
    DuplicateOut,
    FieldCreate,
    FieldOut,
    FieldUpdate,
    MergeCreate,
    MergeOut,
    MergePage,
    StageCreate,
    StageOrder,
    StageOut,
    TagBulk,
    TagChangeOut,
    TagCreate,
    TagOut,
    TagUpdate,
)
from siyu.api.deps import CurrentActor, Paging, Uow
from siyu.api.schemas import page_out
from siyu.services import fields, merging, stages, tags

router = APIRouter(prefix="/api/v1", tags=["customer settings"])


@router.get("/tags", response_model=list[TagOut])
def list_tags(uow: Uow, actor: CurrentActor) -> list[TagOut]:
    return [TagOut.model_validate(t) for t in tags.list_tags(uow, actor)]


@router.post("/tags", response_model=TagOut, status_code=201)
def create_tag(body: TagCreate, uow: Uow, actor: CurrentActor) -> TagOut:
    return TagOut.model_validate(tags.create_tag(uow, actor, group=body.group, name=body.name))


@router.put("/tags/{tag_id}", response_model=TagOut)
def rename_tag(tag_id: int, body: TagUpdate, uow: Uow, actor: CurrentActor) -> TagOut:
    return TagOut.model_validate(tags.rename_tag(uow, actor, tag_id, body.name))


@router.delete("/tags/{tag_id}", status_code=204)
def delete_tag(tag_id: int, uow: Uow, actor: CurrentActor) -> None:
    tags.delete_tag(uow, actor, tag_id)


@router.post("/tags/apply", response_model=TagChangeOut)
def apply_tags(body: TagBulk, uow: Uow, actor: CurrentActor) -> TagChangeOut:
    change = tags.apply_tags(uow, actor, body.customer_ids, body.tag_ids)
    return TagChangeOut(customers=change.customers, changed=change.changed)


@router.post("/tags/remove", response_model=TagChangeOut)
def remove_tags(body: TagBulk, uow: Uow, actor: CurrentActor) -> TagChangeOut:
    change = tags.remove_tags(uow, actor, body.customer_ids, body.tag_ids)
    return TagChangeOut(customers=change.customers, changed=change.changed)


@router.get("/stages", response_model=list[StageOut])
def list_stages(uow: Uow, actor: CurrentActor) -> list[StageOut]:
    return [StageOut.model_validate(s) for s in stages.list_stages(uow, actor)]


@router.post("/stages", response_model=StageOut, status_code=201)
def create_stage(body: StageCreate, uow: Uow, actor: CurrentActor) -> StageOut:
    return StageOut.model_validate(stages.create_stage(uow, actor, body.name))


@router.put("/stages/order", response_model=list[StageOut])
def reorder_stages(body: StageOrder, uow: Uow, actor: CurrentActor) -> list[StageOut]:
    return [StageOut.model_validate(s) for s in stages.reorder_stages(uow, actor, body.stage_ids)]


@router.put("/stages/{stage_id}", response_model=StageOut)
def rename_stage(stage_id: int, body: StageCreate, uow: Uow, actor: CurrentActor) -> StageOut:
    return StageOut.model_validate(stages.rename_stage(uow, actor, stage_id, body.name))


@router.delete("/stages/{stage_id}", status_code=204)
def delete_stage(stage_id: int, uow: Uow, actor: CurrentActor) -> None:
    stages.delete_stage(uow, actor, stage_id)


@router.get("/fields", response_model=list[FieldOut])
def list_fields(uow: Uow, actor: CurrentActor) -> list[FieldOut]:
    return [FieldOut.model_validate(f) for f in fields.list_fields(uow, actor)]


@router.post("/fields", response_model=FieldOut, status_code=201)
def define_field(body: FieldCreate, uow: Uow, actor: CurrentActor) -> FieldOut:
    return FieldOut.model_validate(
        fields.define_field(uow, actor, key=body.key, label=body.label, kind=body.kind, options=body.options, required=body.required)
    )


@router.put("/fields/{key}", response_model=FieldOut)
def update_field(key: str, body: FieldUpdate, uow: Uow, actor: CurrentActor) -> FieldOut:
    return FieldOut.model_validate(fields.update_field(uow, actor, key, label=body.label, options=body.options, required=body.required))


@router.get("/merges", response_model=MergePage)
def list_merges(uow: Uow, actor: CurrentActor, paging: Paging) -> MergePage:
    return page_out(MergePage, merging.list_merges(uow, actor, paging))


@router.post("/merges", response_model=MergeOut, status_code=201)
def merge_customers(body: MergeCreate, uow: Uow, actor: CurrentActor) -> MergeOut:
    first, second = body.customer_ids
    return MergeOut.model_validate(merging.merge_customers(uow, actor, first, second, reason=body.reason))


@router.post("/merges/{merge_id}/undo", response_model=CustomerOut)
def undo_merge(merge_id: int, uow: Uow, actor: CurrentActor) -> CustomerOut:
    """Undo a merge; answers with the customer that was merged away, restored."""
    return CustomerOut.model_validate(merging.undo_merge(uow, actor, merge_id))


@router.get("/duplicates", response_model=list[DuplicateOut])
def possible_duplicates(uow: Uow, actor: CurrentActor) -> list[DuplicateOut]:
    return [DuplicateOut(first_id=p.first_id, second_id=p.second_id, reasons=p.reasons) for p in merging.possible_duplicates(uow, actor)]


@router.post("/duplicates/{first_id}/{second_id}/dismiss", status_code=204)
def dismiss_duplicate(first_id: int, second_id: int, uow: Uow, actor: CurrentActor) -> None:
    merging.dismiss_duplicate(uow, actor, first_id, second_id)
