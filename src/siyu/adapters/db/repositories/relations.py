from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from siyu.adapters.db.tables import staff_relations
from siyu.domain.customers import Relation, RelationState


def _relation(row: Any) -> Relation:
    return Relation(
        id=row.id,
        customer_id=row.customer_id,
        staff_id=row.staff_id,
        state=RelationState(row.state),
        added_at=row.added_at,
        add_way=row.add_way,
        channel_state=row.channel_state,
        remark=row.remark,
        description=row.description,
        ended_at=row.ended_at,
    )


class RelationRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def find(self, tenant_id: int, customer_id: int, staff_id: int) -> Relation | None:
        r = staff_relations.c
        row = self.session.execute(
            select(staff_relations).where(r.tenant_id == tenant_id, r.customer_id == customer_id, r.staff_id == staff_id)
        ).one_or_none()
        return _relation(row) if row else None

    def add(self, tenant_id: int, customer_id: int, staff_id: int, *, added_at: datetime, **values: Any) -> None:
        self.session.execute(
            insert(staff_relations).values(
                tenant_id=tenant_id, customer_id=customer_id, staff_id=staff_id, added_at=added_at,
                state=values.pop("state", RelationState.ACTIVE.value), **values,
            )
        )

    def update(self, tenant_id: int, relation_id: int, **values: Any) -> None:
        r = staff_relations.c
        self.session.execute(update(staff_relations).where(r.tenant_id == tenant_id, r.id == relation_id).values(**values))

    def for_customer(self, tenant_id: int, customer_id: int) -> list[Relation]:
        r = staff_relations.c
        rows = self.session.execute(
            select(staff_relations).where(r.tenant_id == tenant_id, r.customer_id == customer_id).order_by(r.added_at, r.id)
        ).all()
        return [_relation(row) for row in rows]

    def move(self, tenant_id: int, ids: list[int], to_customer: int) -> None:
        if ids:
            r = staff_relations.c
            self.session.execute(update(staff_relations).where(r.tenant_id == tenant_id, r.id.in_(ids)).values(customer_id=to_customer))
