"""Response schemas of the analytics API: the typed results of siyu.analytics, as JSON."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, Field

from siyu.api.schemas import Out, PageOut
from siyu.analytics.funnel import Breakdown
from siyu.analytics.rfm import Segment
from siyu.analytics.staff import Level


class Answered(BaseModel):
    """How the answer was made: the warehouse's sync version, whether it came from the cache."""

    sync_version: int
    cached: bool
    ms: float


class RfmScoreOut(Out):
    customer_id: int
    last_purchase_day: date
    recency_days: int
    frequency: int
    monetary: Decimal
    r: int
    f: int
    m: int
    segment: Segment


class SegmentCountOut(Out):
    segment: Segment
    customers: int
    monetary: Decimal


class RfmCustomerPage(PageOut[RfmScoreOut]):
    pass


class RfmOut(BaseModel):
    as_of: date
    segments: list[SegmentCountOut]
    customers: RfmCustomerPage
    answered: Answered


class CohortMonthOut(Out):
    offset: int
    still_friends: int
    still_friend_rate: float
    repurchasers: int
    repurchase_rate: float


class CohortOut(Out):
    month: date
    channel_id: int | None
    channel_name: str | None
    size: int
    months: list[CohortMonthOut]


class CohortsOut(BaseModel):
    as_of: date
    cohorts: list[CohortOut]
    answered: Answered


class ChannelRoiOut(Out):
    channel_id: int
    name: str
    group_name: str | None
    adds: int
    matured_7d: int
    still_friends_7d: int
    still_friend_rate_7d: float | None
    matured_30d: int
    still_friends_30d: int
    still_friend_rate_30d: float | None
    deleted: int
    deletion_rate: float | None
    group_joins: int = Field(description="People who joined a customer group through the channel's group codes in the period (QR scans, counted per join)")
    buyers: int
    gmv: Decimal
    cost: Decimal | None
    cac: Decimal | None
    cost_per_buyer: Decimal | None
    roi: float | None


class ChannelsOut(BaseModel):
    start: date
    end: date
    as_of: date
    channels: list[ChannelRoiOut]
    answered: Answered


class WarehouseStatusOut(Out):
    version: int
    last_synced_at: datetime | None
    rows_changed: int


class MonthShareOut(Out):
    month: date
    orders: int
    private_orders: int
    gmv: Decimal
    private_gmv: Decimal
    share: float | None


class PrivateDomainOut(BaseModel):
    months: list[MonthShareOut]
    answered: Answered


class FunnelCountsOut(Out):
    key_id: int | None
    key_name: str | None
    awareness: int
    interest: int
    purchase: int
    loyalty: int
    interest_rate: float | None
    purchase_rate: float | None
    loyalty_rate: float | None
    overall_rate: float | None


class FunnelOut(BaseModel):
    start: date
    end: date
    window_days: int
    by: Breakdown
    total: FunnelCountsOut
    groups: list[FunnelCountsOut]
    answered: Answered


class StaffPerformanceOut(Out):
    level: Level
    key_id: int | None
    name: str | None
    store_id: int | None
    region_id: int | None
    adds: int
    deletions: int
    customers_served: int
    buyers: int
    repurchasers: int
    repurchase_rate: float | None
    gmv: Decimal
    rank: int
    rank_in_region: int | None
    rank_in_store: int | None


class StaffOut(BaseModel):
    start: date
    end: date
    level: Level
    rows: list[StaffPerformanceOut]
    answered: Answered


class CustomerLtvOut(Out):
    customer_id: int
    frequency: int
    recency_days: int
    age_days: int
    monetary: Decimal
    probability_alive: float
    purchases_90d: float
    purchases_365d: float
    value_90d: Decimal
    value_365d: Decimal


class CustomerLtvPage(PageOut[CustomerLtvOut]):
    pass


class LtvFitOut(Out):
    bgnbd: dict[str, float]
    gamma_gamma: dict[str, float]
    bgnbd_log_likelihood: float
    gamma_gamma_log_likelihood: float
    customers: int
    repeat_customers: int


class LtvOut(BaseModel):
    as_of: date
    fit: LtvFitOut
    customers: CustomerLtvPage
    answered: Answered
