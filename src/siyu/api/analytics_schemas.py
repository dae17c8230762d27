"""Response schemas of the analytics API: the typed results of siyu.analytics, as JSON."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel

from siyu.api.schemas import Out, PageOut
from siyu.analytics.rfm import Segment


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
    buyers: int
    gmv: Decimal
    cost: Decimal
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
