from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, insert, or_, select, update
from sqlalchemy.orm import Session

from siyu.adapters.db.paging import fetch_page
from siyu.adapters.db.tables import customer_identities, customer_tags, customers, staff, staff_relations
from siyu.domain.access import Scope
from siyu.domain.customers import Customer, Gender, RelationState
from siyu.domain.paging import Page, PageRequest


def _customer(row: Any) -> Customer:
    return Customer(
        id=row.id,
        tenant_id=row.tenant_id,
        name=row.name,
        gender=Gender(row.gender),
        avatar=row.avatar,
        birthday=row.birthday,
        region=row.region,
        stage_id=row.stage_id,
        owner_staff_id=row.owner_staff_id,
        fields=dict(row.fields or {}),
        added_at=row.added_at,
        merged_into_id=row.merged_into_id,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


@dataclass(frozen=True, slots=True)
class CustomerFilter:
    q: str | None = None
    tag_ids: tuple[int, ...] = ()
    stage_id: int | None = None
    staff_id: int | None = None
    store_id: int | None = None
    added_from: datetime | None = None
    added_to: datetime | None = None


def scope_clause(scope: Scope):  # type: ignore[no-untyped-def]
    """Which customers an actor sees: those followed (actively) by their staff or store."""
    c = customers.c
    clauses = [c.tenant_id == scope.tenant_id, c.merged_into_id.is_(None)]
    if scope.staff_id is not None:
        clauses.append(_followed_by(scope.tenant_id, staff_relations.c.staff_id == scope.staff_id))
    elif scope.store_id is not None:
        in_store = staff_relations.c.staff_id.in_(
            select(staff.c.id).where(staff.c.tenant_id == scope.tenant_id, staff.c.store_id == scope.store_id)
        )
        clauses.append(_followed_by(scope.tenant_id, in_store))
    return and_(*clauses)


def _followed_by(tenant_id: int, staff_condition):  # type: ignore[no-untyped-def]
    r = staff_relations.c
    return exists().where(
        r.tenant_id == tenant_id, r.customer_id == customers.c.id, r.state == RelationState.ACTIVE.value, staff_condition
    )


class CustomerRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, tenant_id: int, *, now: datetime, added_at: datetime | None = None, **values: Any) -> int:
        values.setdefault("fields", {})
        values["gender"] = int(values.get("gender") or 0)
        return self.session.execute(  # type: ignore[no-any-return]
            insert(customers).values(
                tenant_id=tenant_id, created_at=now, updated_at=now, added_at=added_at or now, **values
            )
        ).inserted_primary_key[0]

    def get(self, scope: Scope, customer_id: int) -> Customer | None:
        row = self.session.execute(
            select(customers).where(scope_clause(scope), customers.c.id == customer_id)
        ).one_or_none()
        return _customer(row) if row else None

    def get_any(self, tenant_id: int, customer_id: int) -> Customer | None:
        """Merged-away customers included (for merge bookkeeping only)."""
        row = self.session.execute(
            select(customers).where(customers.c.tenant_id == tenant_id, customers.c.id == customer_id)
        ).one_or_none()
        return _customer(row) if row else None

    def many(self, tenant_id: int, ids: list[int]) -> list[Customer]:
        rows = self.session.execute(
            select(customers).where(customers.c.tenant_id == tenant_id, customers.c.id.in_(ids))
        ).all()
        return [_customer(r) for r in rows]

    def update(self, tenant_id: int, customer_id: int, *, now: datetime, **values: Any) -> None:
        if "gender" in values and values["gender"] is not None:
            values["gender"] = int(values["gender"])
        self.session.execute(
            update(customers)
            .where(customers.c.tenant_id == tenant_id, customers.c.id == customer_id)
            .values(updated_at=now, **values)
        )

    def survivor_of(self, tenant_id: int, customer_id: int) -> int | None:
        """Follow merged_into links to the live customer (chains are short: one per merge)."""
        seen: set[int] = set()
        current: int | None = customer_id
        while current is not None and current not in seen:
            seen.add(current)
            found = self.get_any(tenant_id, current)
            if found is None:
                return None
            if found.merged_into_id is None:
                return found.id
            current = found.merged_into_id
        return None

    def _filtered(self, scope: Scope, flt: CustomerFilter):  # type: ignore[no-untyped-def]
        c = customers.c
        query = select(customers).where(scope_clause(scope))
        if flt.q:
            text = flt.q.strip()
            like = f"%{text}%"
            i, r = customer_identities.c, staff_relations.c
            query = query.where(
                or_(
                    c.name.ilike(like),
                    exists().where(i.tenant_id == scope.tenant_id, i.customer_id == c.id, i.value == _identity_needle(text)),
                    exists().where(r.tenant_id == scope.tenant_id, r.customer_id == c.id, r.remark.ilike(like)),
                )
            )
        if flt.tag_ids:
            t = customer_tags.c
            query = query.where(
                exists().where(t.tenant_id == scope.tenant_id, t.customer_id == c.id, t.tag_id.in_(flt.tag_ids))
            )
        if flt.stage_id is not None:
            query = query.where(c.stage_id == flt.stage_id)
        if flt.staff_id is not None:
            query = query.where(_followed_by(scope.tenant_id, staff_relations.c.staff_id == flt.staff_id))
        if flt.store_id is not None:
            in_store = staff_relations.c.staff_id.in_(
                select(staff.c.id).where(staff.c.tenant_id == scope.tenant_id, staff.c.store_id == flt.store_id)
            )
            query = query.where(_followed_by(scope.tenant_id, in_store))
        if flt.added_from is not None:
            query = query.where(c.added_at >= flt.added_from)
        if flt.added_to is not None:
            query = query.where(c.added_at < flt.added_to)
        return query

    def list(self, scope: Scope, flt: CustomerFilter, request: PageRequest) -> Page[Customer]:
        query = self._filtered(scope, flt).order_by(customers.c.added_at.desc(), customers.c.id.desc())
        return fetch_page(self.session, query, request, _customer)

    def stream(self, scope: Scope, flt: CustomerFilter, *, batch: int = 2000):  # type: ignore[no-untyped-def]
        """Every matching customer, in id order, a batch at a time (for exports)."""
        last = 0
        while True:
            rows = self.session.execute(
                self._filtered(scope, flt).where(customers.c.id > last).order_by(customers.c.id).limit(batch)
            ).all()
            if not rows:
                return
            yield [_customer(r) for r in rows]
            last = rows[-1].id


def _identity_needle(text: str) -> str:
    """Search text as it would be stored: phone numbers normalised, emails lowercased."""
    from siyu.domain.errors import InvalidInput
    from siyu.domain.phones import normalise_mobile

    try:
        return normalise_mobile(text)
    except InvalidInput:
        return text.lower() if "@" in text else text
