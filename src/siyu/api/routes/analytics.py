"""The warehouse's analyses (RFM, cohorts, channel ROI, funnel, staff, LTV) and its sync status.

Every analysis takes ``store_id``, ``region_id`` and ``channel_id`` (``siyu.analytics.scope``:
each query's docstring says whether it narrows its customer base, the orders credited, or the
rows shown).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from siyu.analytics import periods
from siyu.analytics.base import Timed
from siyu.analytics.funnel import MAX_WINDOW_DAYS, Breakdown
from siyu.analytics.lifetime_value import LtvQuery
from siyu.analytics.rfm import RfmQuery, Segment
from siyu.analytics.scope import Scope
from siyu.analytics.staff import Level
from siyu.api.analytics_schemas import (
    Answered,
    ChannelsOut,
    CohortsOut,
    CustomerLtvPage,
    FunnelOut,
    LtvOut,
    StaffOut,
    RfmCustomerPage,
    PrivateDomainOut,
    RfmOut,
    WarehouseStatusOut,
)
from siyu.api.deps import CurrentActor, Paging, get_context
from siyu.api.schemas import page_out
from siyu.bootstrap import Context
from siyu.services import analytics_scopes, warehouse_freshness

router = APIRouter(prefix="/api/v1")
Ctx = Annotated[Context, Depends(get_context)]


def _scope(ctx: Ctx, actor: CurrentActor, store_id: int | None = None, region_id: int | None = None,
           channel_id: int | None = None) -> Scope:
    """The scope of the query string; an id that is not one of the tenant's is a 422."""
    analytics_scopes.check_scope(ctx.uow(), actor, store_id=store_id, region_id=region_id, channel_id=channel_id)
    return Scope(store_id=store_id, region_id=region_id, channel_id=channel_id)


Scoped = Annotated[Scope, Depends(_scope)]


def _answered(timed: Timed[Any]) -> Answered:
    return Answered(sync_version=timed.sync_version, cached=timed.cached, ms=round(timed.seconds * 1000, 1))


@router.get("/analytics/rfm", response_model=RfmOut, tags=["analytics"])
def rfm(
    ctx: Ctx, actor: CurrentActor, paging: Paging, scope: Scoped, as_of: date | None = None, segment: Segment | None = None
) -> RfmOut:
    """RFM scores and segments of every buying customer (docs/warehouse.md#rfm); customers paginate."""
    with ctx.warehouse() as wh:
        timed = RfmQuery(tenant_id=actor.tenant_id, as_of=as_of, scope=scope).answer(actor, wh, ctx.analytics_cache)
    result = timed.result
    return RfmOut.model_validate({
        "as_of": result.as_of, "segments": list(result.segments),
        "customers": page_out(RfmCustomerPage, result.page(paging, segment=segment)), "answered": _answered(timed),
    }, from_attributes=True)


@router.get("/analytics/cohorts", response_model=CohortsOut, tags=["analytics"])
def cohorts(
    ctx: Ctx, actor: CurrentActor, scope: Scoped, since: date | None = None, until: date | None = None,
    months: Annotated[int, Query(ge=0, le=36)] = 12, as_of: date | None = None,
) -> CohortsOut:
    """Cohorts by month of add and channel (default: the last twelve months of adds)."""
    query = periods.cohort_query(actor.tenant_id, since, until, months, as_of, scope)
    with ctx.warehouse() as wh:
        timed = query.answer(actor, wh, ctx.analytics_cache)
    return CohortsOut.model_validate({"as_of": timed.result.as_of, "cohorts": list(timed.result.cohorts),
                                      "answered": _answered(timed)}, from_attributes=True)


@router.get("/analytics/channels", response_model=ChannelsOut, tags=["analytics"])
def channels(ctx: Ctx, actor: CurrentActor, scope: Scoped, start: date | None = None, end: date | None = None,
             as_of: date | None = None) -> ChannelsOut:
    """Channel ROI for a period of business days (default: this month so far)."""
    query = periods.channel_query(actor.tenant_id, start, end, as_of, scope)
    with ctx.warehouse() as wh:
        timed = query.answer(actor, wh, ctx.analytics_cache)
    result = timed.result
    return ChannelsOut.model_validate({"start": result.start, "end": result.end, "as_of": result.as_of,
                                       "channels": list(result.channels), "answered": _answered(timed)}, from_attributes=True)


@router.get("/analytics/private-domain", response_model=PrivateDomainOut, tags=["analytics"])
def private_domain(ctx: Ctx, actor: CurrentActor, scope: Scoped, since: date | None = None,
                   until: date | None = None) -> PrivateDomainOut:
    """Private-domain GMV against total GMV, by month (default: the last twelve months)."""
    query = periods.private_domain_query(actor.tenant_id, since, until, scope)
    with ctx.warehouse() as wh:
        timed = query.answer(actor, wh, ctx.analytics_cache)
    return PrivateDomainOut.model_validate({"months": list(timed.result.months), "answered": _answered(timed)}, from_attributes=True)


@router.get("/warehouse/status", response_model=WarehouseStatusOut, tags=["analytics"])
def warehouse_status(ctx: Ctx, actor: CurrentActor) -> WarehouseStatusOut:
    """When the analytics warehouse last synced this tenant (and its sync version)."""
    with ctx.warehouse() as wh:
        return WarehouseStatusOut.model_validate(warehouse_freshness.warehouse_status(actor, wh))


@router.get("/analytics/funnel", response_model=FunnelOut, tags=["analytics"])
def funnel(
    ctx: Ctx, actor: CurrentActor, scope: Scoped, start: date | None = None, end: date | None = None,
    window_days: Annotated[int, Query(ge=1, le=MAX_WINDOW_DAYS)] = 30, by: Breakdown = Breakdown.NONE,
) -> FunnelOut:
    """The AIPL funnel for a period (default: this month so far), ordered steps within a conversion
    window from awareness, optionally by channel, store, staff or region (docs/warehouse.md#the-questions)."""
    query = periods.funnel_query(actor.tenant_id, start, end, window_days, by, scope)
    with ctx.warehouse() as wh:
        timed = query.answer(actor, wh, ctx.analytics_cache)
    r = timed.result
    return FunnelOut.model_validate({"start": r.start, "end": r.end, "window_days": r.window_days, "by": r.by, "total": r.total,
                                     "groups": list(r.groups), "answered": _answered(timed)}, from_attributes=True)


@router.get("/analytics/staff", response_model=StaffOut, tags=["analytics"])
def staff_performance(
    ctx: Ctx, actor: CurrentActor, scope: Scoped, start: date | None = None, end: date | None = None,
    level: Level = Level.STAFF,
) -> StaffOut:
    """Adds, deletions, customers served, attributed GMV and repurchase per staff member, store,
    region or the nation, ranked by GMV (default period: this month so far)."""
    query = periods.staff_query(actor.tenant_id, start, end, level, scope)
    with ctx.warehouse() as wh:
        timed = query.answer(actor, wh, ctx.analytics_cache)
    r = timed.result
    return StaffOut.model_validate({"start": r.start, "end": r.end, "level": r.level, "rows": list(r.rows),
                                    "answered": _answered(timed)}, from_attributes=True)


@router.get("/analytics/ltv", response_model=LtvOut, tags=["analytics"])
def lifetime_value(ctx: Ctx, actor: CurrentActor, paging: Paging, scope: Scoped, as_of: date | None = None) -> LtvOut:
    """Lifetime value: the tenant's BG/NBD and Gamma-Gamma fit, and per customer P(alive) and the
    predicted purchases and value over 90 and 365 days; customers paginate."""
    with ctx.warehouse() as wh:
        timed = LtvQuery(tenant_id=actor.tenant_id, as_of=as_of, scope=scope).answer(actor, wh, ctx.analytics_cache)
    r = timed.result
    return LtvOut.model_validate({"as_of": r.as_of, "fit": r.fit, "customers": page_out(CustomerLtvPage, r.page(paging)),
                                  "answered": _answered(timed)}, from_attributes=True)
