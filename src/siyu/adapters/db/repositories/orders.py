"""Orders, their lines and refunds. Batch-shaped: one query per kind of lookup per batch."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.orm import Session

from siyu.adapters.db.paging import fetch_page
from siyu.adapters.db.tables import customers, events, order_lines, orders, refunds, staff, stores
from siyu.domain.access import Scope
from siyu.domain.orders import Order, OrderLine, OrderStatus, Refund
from siyu.domain.paging import Page, PageRequest

CHUNK = 500


@dataclass(frozen=True, slots=True)
class StoredOrder:
    """What a batch needs to know of an order that exists already."""

    id: int
    digest: str
    amount: Decimal
    refunded_amount: Decimal
    customer_id: int | None
    ordered_at: datetime


def _order(row: Any, lines: tuple[OrderLine, ...] = (), refund_rows: tuple[Refund, ...] = ()) -> Order:
    return Order(
        id=row.id, source=row.source, source_order_id=row.source_order_id, customer_id=row.customer_id,
        identities=dict(row.identities or {}), store_id=row.store_id, staff_id=row.staff_id, channel_id=row.channel_id,
        ordered_at=row.ordered_at, amount=Decimal(row.amount), refunded_amount=Decimal(row.refunded_amount),
        status=OrderStatus(row.status), created_at=row.created_at, updated_at=row.updated_at, lines=lines, refunds=refund_rows,
    )


def _chunks(values: list[Any]) -> Any:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


class OrderRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # batch writes

    def stored(self, tenant_id: int, keys: list[tuple[str, str]]) -> dict[tuple[str, str], StoredOrder]:
        o = orders.c
        by_source: dict[str, list[str]] = defaultdict(list)
        for source, order_id in keys:
            by_source[source].append(order_id)
        found: dict[tuple[str, str], StoredOrder] = {}
        for source, ids in by_source.items():
            for chunk in _chunks(sorted(set(ids))):
                rows = self.session.execute(
                    select(o.id, o.source_order_id, o.digest, o.amount, o.refunded_amount, o.customer_id, o.ordered_at).where(
                        o.tenant_id == tenant_id, o.source == source, o.source_order_id.in_(chunk)
                    )
                ).all()
                for r in rows:
                    found[(source, r.source_order_id)] = StoredOrder(
                        r.id, r.digest, Decimal(r.amount), Decimal(r.refunded_amount), r.customer_id, r.ordered_at
                    )
        return found

    def refunds_of(self, tenant_id: int, order_ids: list[int]) -> dict[int, dict[str, tuple[Decimal, datetime]]]:
        f = refunds.c
        out: dict[int, dict[str, tuple[Decimal, datetime]]] = defaultdict(dict)
        for chunk in _chunks(sorted(set(order_ids))):
            rows = self.session.execute(
                select(f.order_id, f.source_refund_id, f.amount, f.refunded_at).where(f.tenant_id == tenant_id, f.order_id.in_(chunk))
            ).all()
            for r in rows:
                out[r.order_id][r.source_refund_id] = (Decimal(r.amount), r.refunded_at)
        return out

    def insert_orders(self, rows: list[dict[str, Any]]) -> list[int]:
        """Insert new orders; their ids, in the order of ``rows``."""
        if not rows:
            return []
        statement = insert(orders).returning(orders.c.id, sort_by_parameter_order=True)
        return list(self.session.execute(statement, rows).scalars())

    def update_orders(self, tenant_id: int, rows: list[dict[str, Any]]) -> None:
        """``rows`` carry ``b_id`` and the same set of columns to change."""
        if not rows:
            return
        o = orders.c
        columns = [k for k in rows[0] if k != "b_id"]
        statement = (
            update(orders)
            .where(o.tenant_id == tenant_id, o.id == bindparam("b_id"))
            .values({c: bindparam(c) for c in columns})
        )
        self.session.connection().execute(statement, rows)

    def replace_lines(self, tenant_id: int, order_ids: list[int], rows: list[dict[str, Any]]) -> None:
        line = order_lines.c
        for chunk in _chunks(sorted(set(order_ids))):
            self.session.execute(delete(order_lines).where(line.tenant_id == tenant_id, line.order_id.in_(chunk)))
        self.insert_lines(rows)

    def insert_lines(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            self.session.execute(insert(order_lines), rows)

    def insert_refunds(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            self.session.execute(insert(refunds), rows)

    # reads

    def get(self, scope: Scope, order_id: int) -> Order | None:
        row = self.session.execute(self._visible(scope).where(orders.c.id == order_id)).one_or_none()
        if row is None:
            return None
        line, f = order_lines.c, refunds.c
        lines = tuple(
            OrderLine(r.sku, r.name, r.quantity, Decimal(r.amount))
            for r in self.session.execute(
                select(order_lines).where(line.tenant_id == scope.tenant_id, line.order_id == order_id).order_by(line.id)
            )
        )
        refund_rows = tuple(
            Refund(r.source_refund_id, Decimal(r.amount), r.refunded_at, r.reason)
            for r in self.session.execute(
                select(refunds).where(f.tenant_id == scope.tenant_id, f.order_id == order_id).order_by(f.refunded_at, f.id)
            )
        )
        return _order(row, lines, refund_rows)

    def _visible(self, scope: Scope):  # type: ignore[no-untyped-def]
        o = orders.c
        query = select(orders).where(o.tenant_id == scope.tenant_id)
        if scope.staff_id is not None:
            query = query.where(o.staff_id == scope.staff_id)
        elif scope.store_id is not None:
            query = query.where(o.store_id == scope.store_id)
        return query

    def list(
        self, scope: Scope, request: PageRequest, *, source: str | None = None, customer_id: int | None = None,
        unmatched: bool = False, store_id: int | None = None, channel_id: int | None = None,
    ) -> Page[Order]:
        o = orders.c
        query = self._visible(scope)
        if unmatched:
            query = query.where(o.customer_id.is_(None))
        if customer_id is not None:
            query = query.where(o.customer_id == customer_id)
        if source is not None:
            query = query.where(o.source == source)
        if store_id is not None:
            query = query.where(o.store_id == store_id)
        if channel_id is not None:
            query = query.where(o.channel_id == channel_id)
        return fetch_page(self.session, query.order_by(o.ordered_at.desc(), o.id.desc()), request, _order)

    def for_customer(self, tenant_id: int, customer_id: int, request: PageRequest) -> Page[Order]:
        """Every order of the customer, whoever is asking (the caller checked the customer)."""
        return self.list(Scope(tenant_id), request, customer_id=customer_id)

    def totals_for_customer(self, tenant_id: int, customer_id: int) -> tuple[int, Decimal]:
        """(orders that count as purchases, net amount)."""
        o = orders.c
        row = self.session.execute(
            select(func.count(), func.coalesce(func.sum(o.amount - o.refunded_amount), 0)).where(
                o.tenant_id == tenant_id, o.customer_id == customer_id, o.status != OrderStatus.REFUNDED.value
            )
        ).one()
        return int(row[0]), Decimal(row[1]).quantize(Decimal("0.01"))

    def unmatched_after(self, tenant_id: int, after_id: int, limit: int) -> list[tuple[int, dict[str, str]]]:
        o = orders.c
        rows = self.session.execute(
            select(o.id, o.identities).where(o.tenant_id == tenant_id, o.customer_id.is_(None), o.id > after_id).order_by(o.id).limit(limit)
        ).all()
        return [(r.id, dict(r.identities or {})) for r in rows]

    def ids_for_customer(self, tenant_id: int, customer_id: int) -> list[int]:
        o = orders.c
        return list(self.session.execute(select(o.id).where(o.tenant_id == tenant_id, o.customer_id == customer_id).order_by(o.id)).scalars())

    def orders_of_merged_away(self, tenant_id: int, limit: int) -> list[tuple[int, int]]:
        """(order id, customer id) of orders still pointing at a merged-away customer."""
        o, c = orders.c, customers.c
        rows = self.session.execute(
            select(o.id, o.customer_id)
            .join(customers, (c.tenant_id == o.tenant_id) & (c.id == o.customer_id))
            .where(o.tenant_id == tenant_id, c.merged_into_id.is_not(None))
            .order_by(o.id)
            .limit(limit)
        ).all()
        return [(r.id, r.customer_id) for r in rows]

    def move(self, tenant_id: int, ids: list[int], to_customer: int | None, *, now: datetime) -> None:
        o = orders.c
        for chunk in _chunks(list(ids)):
            self.session.execute(
                update(orders).where(o.tenant_id == tenant_id, o.id.in_(chunk)).values(customer_id=to_customer, updated_at=now)
            )

    # references, by the keys sources know

    def store_ids(self, tenant_id: int, codes: set[str]) -> dict[str, int]:
        if not codes:
            return {}
        s = stores.c
        rows = self.session.execute(select(s.code, s.id).where(s.tenant_id == tenant_id, s.code.in_(sorted(codes)))).all()
        return {r.code: r.id for r in rows}

    def staff_ids(self, tenant_id: int, userids: set[str]) -> dict[str, int]:
        """WeCom userids compare case-insensitively; keys are lowercased."""
        if not userids:
            return {}
        m = staff.c
        lowered = sorted({u.lower() for u in userids})
        rows = self.session.execute(select(func.lower(m.wecom_userid).label("u"), m.id).where(m.tenant_id == tenant_id, func.lower(m.wecom_userid).in_(lowered))).all()
        return {r.u: r.id for r in rows}

    def tenants_with_unmatched(self) -> list[int]:
        """Tenants with an order or event that has no customer (for the worker's sweep)."""
        o, e = orders.c, events.c
        with_orders = select(o.tenant_id).where(o.customer_id.is_(None)).distinct()
        with_events = select(e.tenant_id).where(e.customer_id.is_(None)).distinct()
        return sorted(set(self.session.execute(with_orders).scalars()) | set(self.session.execute(with_events).scalars()))
