"""Orders (batch in, lists out, the unmatched ones, matching) and behaviour events."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from siyu.api.commerce_schemas import (
    EventBatch,
    EventBatchOut,
    EventPage,
    EventResultOut,
    MatchOut,
    OrderBatch,
    OrderBatchOut,
    OrderDetailOut,
    OrderPage,
    OrderResultOut,
    RefundBatch,
    RefundBatchOut,
    RefundResultOut,
)
from siyu.api.deps import CurrentActor, Paging, Uow
from siyu.api.schemas import page_out
from siyu.domain.events import EventOutcome
from siyu.domain.orders import OrderOutcome, RefundOutcome
from siyu.services import events, order_matching, orders

router = APIRouter(prefix="/api/v1")


@router.post("/orders:batch", response_model=OrderBatchOut, tags=["orders"])
def record_orders(body: OrderBatch, uow: Uow, actor: CurrentActor) -> OrderBatchOut:
    """Create or update up to 500 orders. Idempotent on (source, order_id): the same order again
    changes nothing, a changed one is updated, refunds are added by their refund_id. Each order
    has its own result; a rejected order does not stop the others."""
    results = orders.record_orders(uow, actor, body.orders)
    count = {outcome: sum(1 for r in results if r.outcome is outcome) for outcome in OrderOutcome}
    written = [r for r in results if r.outcome is not OrderOutcome.REJECTED]
    return OrderBatchOut(
        created=count[OrderOutcome.CREATED], updated=count[OrderOutcome.UPDATED], unchanged=count[OrderOutcome.UNCHANGED],
        rejected=count[OrderOutcome.REJECTED], unmatched=sum(1 for r in written if r.customer_id is None),
        results=[OrderResultOut.model_validate(r) for r in results],
    )


@router.post("/refunds:batch", response_model=RefundBatchOut, tags=["orders"])
def record_refunds(body: RefundBatch, uow: Uow, actor: CurrentActor) -> RefundBatchOut:
    """Add up to 500 refunds to orders sent before, idempotent on (order, refund_id); each refund
    has its own result. (Refunds may also travel inside a resent order.)"""
    results = orders.record_refunds(uow, actor, body.refunds)
    count = {outcome: sum(1 for r in results if r.outcome is outcome) for outcome in RefundOutcome}
    return RefundBatchOut(added=count[RefundOutcome.ADDED], unchanged=count[RefundOutcome.UNCHANGED],
                          rejected=count[RefundOutcome.REJECTED], results=[RefundResultOut.model_validate(r) for r in results])


@router.get("/orders", response_model=OrderPage, tags=["orders"])
def list_orders(
    uow: Uow, actor: CurrentActor, paging: Paging, source: Annotated[str | None, Query(max_length=20)] = None,
    store_id: int | None = None, channel_id: int | None = None,
) -> OrderPage:
    return page_out(OrderPage, orders.list_orders(uow, actor, paging, source=source, store_id=store_id, channel_id=channel_id))


@router.get("/orders/unmatched", response_model=OrderPage, tags=["orders"])
def list_unmatched_orders(uow: Uow, actor: CurrentActor, paging: Paging) -> OrderPage:
    """Orders whose identities match no customer yet."""
    return page_out(OrderPage, orders.list_unmatched_orders(uow, actor, paging))


@router.post("/orders:match", response_model=MatchOut, tags=["orders"])
def match_unmatched(uow: Uow, actor: CurrentActor) -> MatchOut:
    """Match unmatched orders and events to customers whose identities are known now."""
    return MatchOut.model_validate(order_matching.match_unmatched(uow, actor))


@router.get("/orders/{order_id}", response_model=OrderDetailOut, tags=["orders"])
def get_order(order_id: int, uow: Uow, actor: CurrentActor) -> OrderDetailOut:
    return OrderDetailOut.model_validate(orders.get_order(uow, actor, order_id))


@router.get("/customers/{customer_id}/orders", response_model=OrderPage, tags=["orders"])
def customer_orders(customer_id: int, uow: Uow, actor: CurrentActor, paging: Paging) -> OrderPage:
    return page_out(OrderPage, orders.customer_orders(uow, actor, customer_id, paging).orders)


@router.post("/events:batch", response_model=EventBatchOut, tags=["events"])
def track_events(body: EventBatch, uow: Uow, actor: CurrentActor) -> EventBatchOut:
    """Store up to 1,000 behaviour events, idempotent on event_id; each event has its own result.

    A customer's reply to the brand's staff is an event named `message_replied` (from the conversation
    archive: `event_id` = its msgid, `occurred_at` = when the customer sent it, `identity` usually
    `wecom_external`; optional `properties.staff_userid`): experiment reports count repliers and the
    guide-task leaderboards replied tasks from it."""
    results = events.track_events(uow, actor, body.events)
    count = {outcome: sum(1 for r in results if r.outcome is outcome) for outcome in EventOutcome}
    return EventBatchOut(
        stored=count[EventOutcome.STORED], duplicate=count[EventOutcome.DUPLICATE], rejected=count[EventOutcome.REJECTED],
        results=[EventResultOut.model_validate(r) for r in results],
    )


@router.get("/events", response_model=EventPage, tags=["events"])
def list_events(
    uow: Uow, actor: CurrentActor, paging: Paging, name: Annotated[str | None, Query(max_length=64)] = None,
    unmatched: bool = False,
) -> EventPage:
    return page_out(EventPage, events.list_events(uow, actor, paging, name=name, unmatched=unmatched))


@router.get("/customers/{customer_id}/events", response_model=EventPage, tags=["events"])
def customer_events(customer_id: int, uow: Uow, actor: CurrentActor, paging: Paging) -> EventPage:
    return page_out(EventPage, events.customer_events(uow, actor, customer_id, paging))
