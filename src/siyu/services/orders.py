"""Orders in (Permission ``orders.manage``) and out (``orders.view``).

Every way in — the batch API, file imports, the demo — goes through :func:`write_orders`, so
they follow one rule (:mod:`siyu.domain.orders`): idempotent on ``(source, source_order_id)``,
changed resends update, refunds idempotent on their id and never above the amount, the
customer looked up through OneID and never created. Orders that match nobody are kept with no
customer; :func:`siyu.services.order_matching.match_unmatched` (run by the worker after
customer imports, and on demand) gives them their customer once one of their identities is known.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from siyu.adapters.db.unit_of_work import SqlUnitOfWork
from siyu.domain.access import Actor, Permission, Scope
from siyu.domain.errors import Conflict, DomainError, InvalidInput, NotFound
from siyu.domain.orders import (
    Order,
    OrderDraft,
    OrderOutcome,
    OrderResult,
    RefundDraft,
    RefundOutcome,
    RefundResult,
    order_status,
    pick_customer,
)
from siyu.domain.paging import Page, PageRequest
from siyu.domain.timeline import EventKind
from siyu.services import journey_triggers
from siyu.services.clock import utcnow
from siyu.services.customers import actor_label

MAX_BATCH = 500  # orders per API call


def record_orders(uow: SqlUnitOfWork, actor: Actor, raw_orders: Sequence[object], *, now: datetime | None = None) -> list[OrderResult]:
    """The batch API: each order checked on its own; the good ones written in one transaction."""
    actor.require(Permission.ORDERS_MANAGE)
    if len(raw_orders) > MAX_BATCH:
        raise InvalidInput("order.batch_too_large", "at most %(max)s orders per call", field="orders", max=MAX_BATCH)
    now = now or utcnow()
    parsed, rejected = parse_orders(raw_orders, now=now)
    with uow:
        results = write_orders(uow, actor.tenant_id, parsed, actor=actor_label(actor), now=now)
        uow.commit()
    return sorted(results + rejected, key=lambda r: r.index)


def parse_orders(raw_orders: Sequence[object], *, now: datetime) -> tuple[list[tuple[int, OrderDraft]], list[OrderResult]]:
    parsed: list[tuple[int, OrderDraft]] = []
    rejected: list[OrderResult] = []
    for index, raw in enumerate(raw_orders):
        try:
            parsed.append((index, OrderDraft.parse(raw, now=now)))
        except InvalidInput as exc:
            source = raw.get("source") if isinstance(raw, dict) else None
            order_id = raw.get("order_id") if isinstance(raw, dict) else None
            rejected.append(OrderResult(
                index, None if source is None else str(source)[:20], None if order_id is None else str(order_id)[:64],
                OrderOutcome.REJECTED, field=exc.field, reason=exc.message, code=exc.code, params=exc.params,
            ))
    return parsed, rejected


@dataclass(slots=True)
class _New:
    index: int
    draft: OrderDraft
    refunds: list[RefundDraft]
    customer_id: int | None


def write_orders(
    uow: SqlUnitOfWork, tenant_id: int, items: list[tuple[int, OrderDraft]], *, actor: str, now: datetime
) -> list[OrderResult]:
    """Write checked orders inside the caller's unit of work; one result per item.

    An order is written whole or not at all: a reference that does not exist (store code,
    guide, channel), a changed refund or refunds above the amount reject that order only.
    """
    results: list[OrderResult] = []
    seen: set[tuple[str, str]] = set()
    unique: list[tuple[int, OrderDraft]] = []
    for index, draft in items:
        if draft.key in seen:
            results.append(_rejected(index, draft, InvalidInput("order.twice_in_batch", "the same order appears twice in this batch; send it once",
                                                                 field="order_id")))
        else:
            seen.add(draft.key)
            unique.append((index, draft))
    if not unique:
        return results

    stored = uow.orders.stored(tenant_id, [d.key for _, d in unique])
    stores = uow.orders.store_ids(tenant_id, {d.store_code for _, d in unique if d.store_code})
    staff = uow.orders.staff_ids(tenant_id, {d.staff_userid for _, d in unique if d.staff_userid})
    channels = uow.channels.ids_by_state(tenant_id, {d.channel_state for _, d in unique if d.channel_state})
    owners = uow.identities.owners(tenant_id, sorted({k for _, d in unique for k in d.identities}))
    known_refunds = uow.orders.refunds_of(tenant_id, [s.id for s in stored.values()]) if stored else {}

    fresh: list[_New] = []
    new_rows: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    replaced: list[int] = []
    line_rows: list[dict[str, Any]] = []
    refund_rows: list[dict[str, Any]] = []
    timeline: list[dict[str, Any]] = []
    matched_now_ids: set[int] = set()

    for index, draft in unique:
        if draft.store_code and draft.store_code not in stores:
            results.append(_rejected(index, draft, InvalidInput("order.unknown_store", "no store with code “%(store)s”", field="store_code",
                                                                 store=draft.store_code)))
            continue
        if draft.staff_userid and draft.staff_userid.lower() not in staff:
            results.append(_rejected(index, draft, InvalidInput("order.unknown_staff", "no staff member with WeCom userid “%(userid)s”",
                                                                 field="staff_userid", userid=draft.staff_userid)))
            continue
        if draft.channel_state and draft.channel_state not in channels:
            results.append(_rejected(index, draft, InvalidInput("order.unknown_channel", "no channel with code “%(channel)s”", field="channel",
                                                                 channel=draft.channel_state)))
            continue
        existing = stored.get(draft.key)
        known = known_refunds.get(existing.id, {}) if existing else {}
        new_refunds: list[RefundDraft] = []
        problem: DomainError | None = None
        for i, refund in enumerate(draft.refunds):
            before = known.get(refund.source_refund_id)
            if before is not None:
                if before[0] != refund.amount:
                    problem = Conflict("refund.changed", "refund %(refund)s was recorded as %(recorded)s; a refund cannot change",
                                       field=f"refunds[{i}].amount", refund=refund.source_refund_id, recorded=str(before[0]))
                    break
                continue
            if refund.source_refund_id not in {r.source_refund_id for r in new_refunds}:
                new_refunds.append(refund)
        refunded = (existing.refunded_amount if existing else Decimal(0)) + sum((r.amount for r in new_refunds), Decimal(0))
        if problem is None and refunded > draft.amount:
            problem = InvalidInput("refund.above_amount", "refunds would add up to %(refunded)s, more than the amount paid (%(amount)s)",
                                   field="refunds" if new_refunds else "amount", refunded=str(refunded), amount=str(draft.amount))
        if problem is None and existing is not None and any(r[1] < draft.ordered_at for r in known.values()):
            problem = InvalidInput("order.after_its_refund", "a refund recorded for this order comes before this order time",
                                   field="ordered_at")
        if problem is not None:
            results.append(_rejected(index, draft, problem))
            continue

        customer_id = existing.customer_id if existing and existing.customer_id is not None else pick_customer(draft.identities, owners)
        header = {
            "store_id": stores.get(draft.store_code) if draft.store_code else None,
            "staff_id": staff.get(draft.staff_userid.lower()) if draft.staff_userid else None,
            "channel_id": channels.get(draft.channel_state) if draft.channel_state else None,
            "ordered_at": draft.ordered_at, "amount": draft.amount,
            "identities": {k.kind.value: k.value for k in draft.identities}, "digest": draft.digest,
            "customer_id": customer_id, "refunded_amount": refunded, "status": order_status(draft.amount, refunded).value,
        }
        if existing is None:
            new_rows.append({"tenant_id": tenant_id, "source": draft.source, "source_order_id": draft.source_order_id,
                             "created_at": now, "updated_at": now, **header})
            fresh.append(_New(index, draft, new_refunds, customer_id))
            continue
        changed = existing.digest != draft.digest
        matched_now = existing.customer_id is None and customer_id is not None
        if matched_now:
            matched_now_ids.add(existing.id)
        if not (changed or new_refunds or matched_now):
            results.append(OrderResult(index, draft.source, draft.source_order_id, OrderOutcome.UNCHANGED, existing.id, customer_id))
            continue
        updates.append({"b_id": existing.id, "updated_at": now, **header})
        if changed:
            replaced.append(existing.id)
            line_rows += _lines(tenant_id, existing.id, draft, now)
        refund_rows += _refunds(tenant_id, existing.id, new_refunds, now)
        if customer_id is not None:
            if matched_now:
                timeline.append(_placed(tenant_id, customer_id, existing.id, draft, actor))
            timeline += [_refunded(tenant_id, customer_id, existing.id, draft, r, actor) for r in new_refunds]
        results.append(OrderResult(index, draft.source, draft.source_order_id, OrderOutcome.UPDATED, existing.id, customer_id,
                                   refunds_added=len(new_refunds)))

    uow.orders.update_orders(tenant_id, updates)
    uow.orders.replace_lines(tenant_id, replaced, [])
    new_ids = uow.orders.insert_orders(new_rows)
    for order_id, item in zip(new_ids, fresh, strict=True):
        line_rows += _lines(tenant_id, order_id, item.draft, now)
        refund_rows += _refunds(tenant_id, order_id, item.refunds, now)
        if item.customer_id is not None:
            timeline.append(_placed(tenant_id, item.customer_id, order_id, item.draft, actor))
            timeline += [_refunded(tenant_id, item.customer_id, order_id, item.draft, r, actor) for r in item.refunds]
        results.append(OrderResult(item.index, item.draft.source, item.draft.source_order_id, OrderOutcome.CREATED, order_id,
                                   item.customer_id, refunds_added=len(item.refunds)))
    uow.orders.insert_lines(line_rows)
    uow.orders.insert_refunds(refund_rows)
    uow.timeline.add_many(timeline)
    journey_triggers.purchased(uow, tenant_id, [(r.customer_id, r.order_id) for r in results if r.customer_id is not None and (
        r.outcome is OrderOutcome.CREATED or r.order_id in matched_now_ids)])
    return results


def _rejected(index: int, draft: OrderDraft, error: DomainError) -> OrderResult:
    """The order rejected with ``error``'s field, English text, code and params (it is not raised)."""
    return OrderResult(index, draft.source, draft.source_order_id, OrderOutcome.REJECTED, field=error.field, reason=error.message,
                       code=error.code, params=error.params)


def _refund_rejected(index: int, refund_id: str | None, order_id: int | None, error: DomainError) -> RefundResult:
    return RefundResult(index, refund_id, RefundOutcome.REJECTED, order_id, field=error.field, reason=error.message,
                        code=error.code, params=error.params)


def _lines(tenant_id: int, order_id: int, draft: OrderDraft, now: datetime) -> list[dict[str, Any]]:
    return [{"tenant_id": tenant_id, "order_id": order_id, "sku": x.sku, "name": x.name, "quantity": x.quantity,
             "amount": x.amount, "created_at": now} for x in draft.lines]


def _refunds(tenant_id: int, order_id: int, refunds: list[RefundDraft], now: datetime) -> list[dict[str, Any]]:
    return [{"tenant_id": tenant_id, "order_id": order_id, "source_refund_id": r.source_refund_id, "amount": r.amount,
             "refunded_at": r.refunded_at, "reason": r.reason, "created_at": now} for r in refunds]


def _placed(tenant_id: int, customer_id: int, order_id: int, draft: OrderDraft, actor: str) -> dict[str, Any]:
    return placed_row(tenant_id, customer_id, draft.source, draft.source_order_id, draft.ordered_at, draft.amount, actor)


def _refunded(tenant_id: int, customer_id: int, order_id: int, draft: OrderDraft, refund: RefundDraft, actor: str) -> dict[str, Any]:
    return refunded_row(tenant_id, customer_id, draft.source, draft.source_order_id, refund.source_refund_id,
                        refund.refunded_at, refund.amount, actor)


def placed_row(tenant_id: int, customer_id: int, source: str, source_order_id: str, at: datetime, amount: Decimal,
               actor: str) -> dict[str, Any]:
    """The timeline row of an order matched to its customer (dated when it was placed)."""
    return {"tenant_id": tenant_id, "customer_id": customer_id, "kind": EventKind.ORDER_PLACED.value, "occurred_at": at,
            "actor": actor, "data": {"source": source, "source_order_id": source_order_id, "amount": str(amount)}}


def refunded_row(tenant_id: int, customer_id: int, source: str, source_order_id: str, refund_id: str, at: datetime,
                 amount: Decimal, actor: str) -> dict[str, Any]:
    return {"tenant_id": tenant_id, "customer_id": customer_id, "kind": EventKind.ORDER_REFUNDED.value, "occurred_at": at,
            "actor": actor,
            "data": {"source": source, "source_order_id": source_order_id, "refund_id": refund_id, "amount": str(amount)}}


def record_refunds(uow: SqlUnitOfWork, actor: Actor, raw_refunds: Sequence[object], *, now: datetime | None = None) -> list[RefundResult]:
    """Refunds of orders sent before, each ``{source, order_id, refund_id, amount, refunded_at, reason}``:
    for sources that report refunds on their own. The same rules as refunds inside an order."""
    actor.require(Permission.ORDERS_MANAGE)
    if len(raw_refunds) > MAX_BATCH:
        raise InvalidInput("refund.batch_too_large", "at most %(max)s refunds per call", field="refunds", max=MAX_BATCH)
    now = now or utcnow()
    results: list[RefundResult] = []
    parsed: list[tuple[int, tuple[str, str], RefundDraft]] = []
    for index, raw in enumerate(raw_refunds):
        try:
            if not isinstance(raw, dict):
                raise InvalidInput("refund.not_object", "a refund is a JSON object", field="refund")
            key = (str(raw.get("source") or "").strip().lower(), str(raw.get("order_id") or "").strip())
            if not all(key):
                raise InvalidInput("refund.order_missing", "source and order_id name the refunded order", field="order_id")
            parsed.append((index, key, RefundDraft.parse(raw, 0, now=now)))
        except InvalidInput as exc:
            refund_id = raw.get("refund_id") if isinstance(raw, dict) else None
            results.append(RefundResult(index, None if refund_id is None else str(refund_id)[:64], RefundOutcome.REJECTED,
                                        field=(exc.field or "").replace("refunds[0].", "") or None, reason=exc.message,
                                        code=exc.code, params=exc.params))
    label = actor_label(actor)
    with uow:
        stored = uow.orders.stored(actor.tenant_id, sorted({key for _, key, _ in parsed}))
        known = uow.orders.refunds_of(actor.tenant_id, [s.id for s in stored.values()]) if stored else {}
        refunded = {key: order.refunded_amount for key, order in stored.items()}
        rows: list[dict[str, Any]] = []
        timeline: list[dict[str, Any]] = []
        for index, key, refund in parsed:
            order = stored.get(key)
            if order is None:
                results.append(_refund_rejected(index, refund.source_refund_id, None, InvalidInput(
                    "refund.unknown_order", "no order %(order)s from %(source)s; send the order first", field="order_id",
                    order=key[1], source=key[0])))
                continue
            before = known.get(order.id, {}).get(refund.source_refund_id)
            if before is not None:
                if before[0] == refund.amount:
                    results.append(RefundResult(index, refund.source_refund_id, RefundOutcome.UNCHANGED, order.id))
                else:
                    results.append(_refund_rejected(index, refund.source_refund_id, order.id, Conflict(
                        "refund.changed", "refund %(refund)s was recorded as %(recorded)s; a refund cannot change", field="amount",
                        refund=refund.source_refund_id, recorded=str(before[0]))))
                continue
            if refund.refunded_at < order.ordered_at:
                results.append(_refund_rejected(index, refund.source_refund_id, order.id, InvalidInput(
                    "refund.before_order", "a refund cannot come before its order", field="refunded_at")))
                continue
            if refunded[key] + refund.amount > order.amount:
                results.append(_refund_rejected(index, refund.source_refund_id, order.id, InvalidInput(
                    "refund.above_amount", "refunds would add up to %(refunded)s, more than the amount paid (%(amount)s)",
                    field="amount", refunded=str(refunded[key] + refund.amount), amount=str(order.amount))))
                continue
            refunded[key] += refund.amount
            known.setdefault(order.id, {})[refund.source_refund_id] = (refund.amount, refund.refunded_at)
            rows += _refunds(actor.tenant_id, order.id, [refund], now)
            if order.customer_id is not None:
                timeline.append(refunded_row(actor.tenant_id, order.customer_id, key[0], key[1], refund.source_refund_id,
                                             refund.refunded_at, refund.amount, label))
            results.append(RefundResult(index, refund.source_refund_id, RefundOutcome.ADDED, order.id))
        changed = {key for key in refunded if refunded[key] != stored[key].refunded_amount}
        uow.orders.update_orders(actor.tenant_id, [
            {"b_id": stored[key].id, "refunded_amount": refunded[key], "status": order_status(stored[key].amount, refunded[key]).value,
             "updated_at": now}
            for key in sorted(changed)
        ])
        uow.orders.insert_refunds(rows)
        uow.timeline.add_many(timeline)
        uow.commit()
    return sorted(results, key=lambda r: r.index)


# reading

def list_orders(
    uow: SqlUnitOfWork, actor: Actor, request: PageRequest = PageRequest(), *, source: str | None = None,
    store_id: int | None = None, channel_id: int | None = None,
) -> Page[Order]:
    actor.require(Permission.ORDERS_VIEW)
    with uow:
        return uow.orders.list(actor.scope, request, source=source, store_id=store_id, channel_id=channel_id)


def list_unmatched_orders(uow: SqlUnitOfWork, actor: Actor, request: PageRequest = PageRequest()) -> Page[Order]:
    """Orders whose identities match no customer yet, newest first."""
    actor.require(Permission.ORDERS_MANAGE)
    with uow:
        return uow.orders.list(Scope(actor.tenant_id), request, unmatched=True)


def get_order(uow: SqlUnitOfWork, actor: Actor, order_id: int) -> Order:
    actor.require(Permission.ORDERS_VIEW)
    with uow:
        found = uow.orders.get(actor.scope, order_id)
    if found is None:
        raise NotFound("order.not_found", "no such order")
    return found


@dataclass(frozen=True, slots=True)
class CustomerOrders:
    orders: Page[Order]
    purchases: int  # orders not refunded in full
    net_amount: Decimal


def customer_orders(uow: SqlUnitOfWork, actor: Actor, customer_id: int, request: PageRequest = PageRequest(page_size=10)) -> CustomerOrders:
    """The orders of a customer the actor may see (``customers.view`` and the row scope)."""
    actor.require(Permission.CUSTOMERS_VIEW)
    with uow:
        if uow.customers.get(actor.scope, customer_id) is None:
            raise NotFound("customer.not_found", "no such customer")
        page = uow.orders.for_customer(actor.tenant_id, customer_id, request)
        purchases, net = uow.orders.totals_for_customer(actor.tenant_id, customer_id)
    return CustomerOrders(page, purchases, net)
