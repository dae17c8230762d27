"""Segments (人群): saved rules (CRUD), the live count of a rule being edited, a segment's count,
members and export.

Counts and members come from the warehouse (``siyu.analytics.segments``), as of its last sync
(``last_synced_at`` in every answer), and are cut to the caller's scope: a guide sees the
members they follow, a store manager those of their store's staff, admins and operators the
whole tenant (``scoped`` says which). Member rows are read from the operational store, so a
customer merged away or no longer followed since the sync is left out of the page; phones are
masked without ``phones.view``, as in the customer list. Exports have the customer export's
columns and rules (``siyu.services.exports``).
"""

from __future__ import annotations

import tempfile
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse

from siyu.analytics.segments import SegmentCountQuery, SegmentMembersQuery, all_members
from siyu.api.customer_schemas import IdentityOut
from siyu.api.deps import CurrentActor, Paging, Uow, get_context
from siyu.api.routes.imports import SPOOL_LIMIT, _stream
from siyu.api.schemas import ProblemsErrorOut
from siyu.api.segment_schemas import (
    CountOut,
    MemberOut,
    MemberPage,
    RulePreview,
    SegmentCreate,
    SegmentOut,
    SegmentPage,
    SegmentUpdate,
)
from siyu.bootstrap import Context
from siyu.domain.access import Actor
from siyu.domain.segments import Segment
from siyu.services import customers, exports, segments, warehouse_freshness
from siyu.services.clock import utcnow
from siyu.services.segments import Evaluable

router = APIRouter(prefix="/api/v1", tags=["segments"])
Ctx = Annotated[Context, Depends(get_context)]
RULE_ERRORS: dict[int | str, dict[str, Any]] = {
    422: {"model": ProblemsErrorOut, "description": "The rule has problems: `error.problems` lists each with its `field` path"}}


def _out(segment: Segment) -> SegmentOut:
    return SegmentOut(id=segment.id, name=segment.name, description=segment.description, rule=segment.rule.to_dict(),
                      materialise_as_tag_id=segment.materialise_as_tag_id, created_by=segment.created_by,
                      created_at=segment.created_at, updated_by=segment.updated_by, updated_at=segment.updated_at)


def _count(ctx: Context, actor: Actor, ready: Evaluable) -> CountOut:
    query = SegmentCountQuery(tenant_id=actor.tenant_id, rule=ready.rule, fields=ready.fields, saved=ready.saved)
    with ctx.warehouse() as wh:
        status = warehouse_freshness.data_as_of(actor, wh)
        timed = query.answer(actor, wh, ctx.analytics_cache)
    return CountOut(customers=timed.result, last_synced_at=status.last_synced_at, sync_version=timed.sync_version,
                    scoped=not actor.scope.whole_tenant)


@router.get("/segments", response_model=SegmentPage)
def list_segments(uow: Uow, actor: CurrentActor, paging: Paging) -> SegmentPage:
    page = segments.list_segments(uow, actor, paging)
    return SegmentPage(items=[_out(s) for s in page.items], total=page.total, page=page.page, page_size=page.page_size,
                       pages=page.pages)


@router.post("/segments", response_model=SegmentOut, status_code=201, responses=RULE_ERRORS)
def create_segment(body: SegmentCreate, uow: Uow, actor: CurrentActor) -> SegmentOut:
    """Save a rule under a name; a bad rule is a 422 naming the condition at fault (`error.field`)."""
    return _out(segments.create_segment(uow, actor, name=body.name, rule=body.rule, description=body.description,
                                        materialise_as_tag_id=body.materialise_as_tag_id))


@router.post("/segments/preview", response_model=CountOut, responses=RULE_ERRORS)
def preview_segment(body: RulePreview, ctx: Ctx, actor: CurrentActor) -> CountOut:
    """Count the customers a rule matches, without saving it (the editor's live count), on the
    warehouse as of its last sync. A rule with problems is a 422 `segment.rule_problems` whose
    `error.problems` has one coded error per group or condition at fault."""
    return _count(ctx, actor, segments.preview_rule(ctx.uow(), actor, body.rule, segment_id=body.segment_id))


@router.get("/segments/{segment_id}", response_model=SegmentOut)
def get_segment(segment_id: int, uow: Uow, actor: CurrentActor) -> SegmentOut:
    return _out(segments.get_segment(uow, actor, segment_id))


@router.patch("/segments/{segment_id}", response_model=SegmentOut, responses=RULE_ERRORS)
def update_segment(segment_id: int, body: SegmentUpdate, uow: Uow, actor: CurrentActor) -> SegmentOut:
    """Change what is sent; `materialise_as_tag_id: null` (sent) stops keeping a tag."""
    changes: dict[str, Any] = {"name": body.name, "rule": body.rule, "description": body.description}
    if "materialise_as_tag_id" in body.model_fields_set:
        changes["materialise_as_tag_id"] = body.materialise_as_tag_id
    return _out(segments.update_segment(uow, actor, segment_id, **changes))


@router.delete("/segments/{segment_id}", status_code=204)
def delete_segment(segment_id: int, uow: Uow, actor: CurrentActor) -> None:
    """Delete a segment no other segment refers to (409 `segment.in_use` otherwise)."""
    segments.delete_segment(uow, actor, segment_id)


@router.get("/segments/{segment_id}/count", response_model=CountOut)
def count_segment(segment_id: int, ctx: Ctx, actor: CurrentActor) -> CountOut:
    """How many customers the segment has, as of the warehouse's last sync, within the caller's scope."""
    return _count(ctx, actor, segments.evaluable_segment(ctx.uow(), actor, segment_id))


@router.get("/segments/{segment_id}/members", response_model=MemberPage)
def segment_members(segment_id: int, ctx: Ctx, actor: CurrentActor, paging: Paging) -> MemberPage:
    """A page of the segment's customers by id (within the caller's scope); phones masked without `phones.view`."""
    ready = segments.evaluable_segment(ctx.uow(), actor, segment_id)
    query = SegmentMembersQuery(tenant_id=actor.tenant_id, rule=ready.rule, fields=ready.fields, saved=ready.saved,
                                page=paging.page, page_size=paging.page_size)
    with ctx.warehouse() as wh:
        status = warehouse_freshness.data_as_of(actor, wh)
        timed = query.answer(actor, wh, ctx.analytics_cache)
    page = timed.result
    items = [MemberOut(customer_id=r.customer.id, name=r.customer.name, owner_staff_id=r.customer.owner_staff_id,
                       owner_name=r.owner_name, phone=r.phone, identities=[IdentityOut.model_validate(i) for i in r.identities],
                       tag_ids=r.tag_ids, stage_name=r.stage_name)
             for r in customers.rows_of(ctx.uow(), actor, page.items)]
    return MemberPage(items=items, total=page.total, page=page.page, page_size=page.page_size, pages=page.pages,
                      last_synced_at=status.last_synced_at, sync_version=timed.sync_version)


@router.get(
    "/segments/{segment_id}/export",
    response_class=StreamingResponse,
    responses={200: {"content": {f.media_type.split(";")[0]: {} for f in exports.SheetFormat}, "description": "The file"}},
)
def export_segment(
    segment_id: int, ctx: Ctx, actor: CurrentActor,
    fmt: Annotated[exports.SheetFormat, Query(alias="format")] = exports.SheetFormat.CSV,
) -> StreamingResponse:
    """The segment's customers (within the caller's scope) with the customer export's columns, as CSV
    (UTF-8 with BOM) or XLSX. Phones are masked without `phones.view`; admins and operators need
    `customers.manage` (a segment can be every customer)."""
    ready = segments.evaluable_segment(ctx.uow(), actor, segment_id)
    query = SegmentCountQuery(tenant_id=actor.tenant_id, rule=ready.rule, fields=ready.fields, saved=ready.saved)
    with ctx.warehouse() as wh:
        ids = all_members(wh, query.for_actor(actor))
    buffer = tempfile.SpooledTemporaryFile(max_size=SPOOL_LIMIT)  # noqa: SIM115 (closed by _stream)
    try:
        exports.export_listed(ctx.uow(), actor, ids, buffer, fmt=fmt, title="segment")
    except BaseException:
        buffer.close()
        raise
    buffer.seek(0)
    filename = f"segment-{segment_id}-{utcnow().astimezone(exports.SHANGHAI):%Y%m%d-%H%M%S}.{fmt.value}"
    return StreamingResponse(_stream(buffer), media_type=fmt.media_type,
                             headers={"Content-Disposition": f'attachment; filename="{filename}"'})
