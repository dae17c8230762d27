"""Request and response schemas of channels, orders and behaviour events."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field

from siyu.api.schemas import Out, PageOut
from siyu.domain.events import EventOutcome
from siyu.domain.orders import OrderOutcome, OrderStatus, RefundOutcome


class ChannelCreate(BaseModel):
    name: str = Field(min_length=1, max_length=64, examples=["抖音直播"])
    state: str = Field(min_length=1, max_length=30, description="The contact way's `state` code", examples=["ch-douyin-live"])
    group_name: str | None = Field(default=None, max_length=64, examples=["线上投放"])
    owner_staff_id: int | None = None


class ChannelUpdate(ChannelCreate):
    pass


class ChannelOut(Out):
    id: int
    name: str
    state: str
    group_name: str | None
    owner_staff_id: int | None
    archived_at: datetime | None
    created_at: datetime
    updated_at: datetime


class ChannelPage(PageOut[ChannelOut]):
    pass


class CostCreate(BaseModel):
    period_start: date = Field(description="First business day (Asia/Shanghai), inclusive")
    period_end: date = Field(description="Last business day, inclusive")
    amount: Decimal = Field(ge=0, max_digits=12, decimal_places=2, description="Yuan", examples=["12000.00"])
    note: str | None = Field(default=None, max_length=200)


class CostUpdate(CostCreate):
    pass


class CostOut(Out):
    id: int
    channel_id: int
    period_start: date
    period_end: date
    amount: Decimal
    note: str | None
    created_at: datetime
    updated_at: datetime


class CostPage(PageOut[CostOut]):
    pass


ORDER_FIELDS = """Each order is an object:
`source` (mall, store, tmall, jd, douyin, miniprogram ...), `order_id` (the source's id),
`ordered_at` (ISO 8601; without an offset it is China Standard Time), `amount` (yuan paid, > 0),
`identities` ({"phone": ..., "member_no": ..., "openid": ..., "unionid": ...}), `store_code`,
`staff_userid` (the guide credited, their WeCom userid), `channel` (a channel's code),
`lines` ([{sku, name, quantity, amount}]) and `refunds` ([{refund_id, amount, refunded_at, reason}])."""


class OrderBatch(BaseModel):
    orders: list[dict[str, Any]] = Field(max_length=500, description=ORDER_FIELDS)


class OrderResultOut(Out):
    index: int = Field(description="The order's position in the batch")
    source: str | None
    source_order_id: str | None
    outcome: OrderOutcome
    order_id: int | None
    customer_id: int | None = Field(description="None: the order matches no customer yet (it is kept)")
    refunds_added: int
    field: str | None
    reason: str | None = Field(description="Why it was rejected, in English")
    code: str | None = Field(default=None, description="The rejection's stable code (`order.unknown_store`), one catalog entry per code")
    params: dict[str, str | int | float] | None = Field(default=None, description="The values that fill the code's template")


class OrderBatchOut(BaseModel):
    created: int
    updated: int
    unchanged: int
    rejected: int
    unmatched: int = Field(description="Orders written that match no customer yet")
    results: list[OrderResultOut]


class RefundBatch(BaseModel):
    refunds: list[dict[str, Any]] = Field(
        max_length=500,
        description="Each refund: `source` and `order_id` (the order, sent before), `refund_id`, `amount` (yuan), "
                    "`refunded_at` (ISO 8601; no offset = China Standard Time) and optionally `reason`.",
    )


class RefundResultOut(Out):
    index: int
    source_refund_id: str | None
    outcome: RefundOutcome
    order_id: int | None
    field: str | None
    reason: str | None = Field(description="Why it was rejected, in English")
    code: str | None = Field(default=None, description="The rejection's stable code (`order.unknown_store`), one catalog entry per code")
    params: dict[str, str | int | float] | None = Field(default=None, description="The values that fill the code's template")


class RefundBatchOut(BaseModel):
    added: int
    unchanged: int
    rejected: int
    results: list[RefundResultOut]


class OrderLineOut(Out):
    sku: str
    name: str
    quantity: int
    amount: Decimal


class RefundOut(Out):
    source_refund_id: str
    amount: Decimal
    refunded_at: datetime
    reason: str | None


class OrderOut(Out):
    id: int
    source: str
    source_order_id: str
    customer_id: int | None
    store_id: int | None
    staff_id: int | None
    channel_id: int | None
    ordered_at: datetime
    amount: Decimal
    refunded_amount: Decimal
    net_amount: Decimal
    status: OrderStatus
    created_at: datetime
    updated_at: datetime


class OrderDetailOut(OrderOut):
    lines: list[OrderLineOut]
    refunds: list[RefundOut]


class OrderPage(PageOut[OrderOut]):
    pass


class MatchOut(Out):
    orders_matched: int
    events_matched: int
    orders_followed: int
    events_followed: int


EVENT_FIELDS = """Each event is an object: `event_id` (your id, the idempotency key), `name`
(e.g. miniprogram_visit, link_open, coupon_used), `occurred_at` (ISO 8601; no offset = China
Standard Time; at most 10 minutes ahead of the server), `identity` ({"kind": "openid",
"value": ...}), `properties` (a JSON object, at most 4 KB) and optionally `source`."""


class EventBatch(BaseModel):
    events: list[dict[str, Any]] = Field(max_length=1000, description=EVENT_FIELDS)


class EventResultOut(Out):
    index: int
    event_id: str | None
    outcome: EventOutcome
    customer_id: int | None
    field: str | None
    reason: str | None


class EventBatchOut(BaseModel):
    stored: int
    duplicate: int
    rejected: int
    results: list[EventResultOut]


class EventOut(Out):
    id: int
    event_id: str
    name: str
    occurred_at: datetime
    customer_id: int | None
    identity_kind: str | None
    properties: dict[str, Any]
    source: str | None
    received_at: datetime
    updated_at: datetime


class EventPage(PageOut[EventOut]):
    pass
