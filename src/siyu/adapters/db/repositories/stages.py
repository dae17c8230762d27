from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from siyu.adapters.db.tables import customers, stage_changes, stages
from siyu.domain.tags import Stage


class StageRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def all(self, tenant_id: int) -> list[Stage]:
        rows = self.session.execute(select(stages).where(stages.c.tenant_id == tenant_id).order_by(stages.c.position)).all()
        return [Stage(id=r.id, name=r.name, position=r.position) for r in rows]

    def add(self, tenant_id: int, name: str, *, now: datetime) -> Stage:
        position = self.session.execute(
            select(func.coalesce(func.max(stages.c.position), 0)).where(stages.c.tenant_id == tenant_id)
        ).scalar_one() + 1
        new_id = self.session.execute(
            insert(stages).values(tenant_id=tenant_id, name=name, position=position, created_at=now)
        ).inserted_primary_key[0]  # type: ignore[index]
        return Stage(id=new_id, name=name, position=position)

    def update(self, tenant_id: int, stage_id: int, **values: Any) -> None:
        self.session.execute(update(stages).where(stages.c.tenant_id == tenant_id, stages.c.id == stage_id).values(**values))

    def in_use(self, tenant_id: int, stage_id: int) -> int:
        return self.session.execute(
            select(func.count()).select_from(customers).where(customers.c.tenant_id == tenant_id, customers.c.stage_id == stage_id)
        ).scalar_one()

    def delete(self, tenant_id: int, stage_id: int) -> None:
        self.session.execute(delete(stages).where(stages.c.tenant_id == tenant_id, stages.c.id == stage_id))

    def record_change(self, tenant_id: int, customer_id: int, from_id: int | None, to_id: int | None, *, actor: str, now: datetime) -> None:
        self.session.execute(
            insert(stage_changes).values(
                tenant_id=tenant_id, customer_id=customer_id, from_stage_id=from_id, to_stage_id=to_id, actor=actor, changed_at=now
            )
        )

    def history(self, tenant_id: int, customer_id: int) -> list[Any]:
        s = stage_changes.c
        return list(self.session.execute(
            select(stage_changes).where(s.tenant_id == tenant_id, s.customer_id == customer_id).order_by(s.changed_at, s.id)
        ).all())

    def history_ids(self, tenant_id: int, customer_id: int) -> list[int]:
        s = stage_changes.c
        return list(self.session.execute(select(s.id).where(s.tenant_id == tenant_id, s.customer_id == customer_id)).scalars())

    def move_history(self, tenant_id: int, ids: list[int], to_customer: int) -> None:
        if ids:
            s = stage_changes.c
            self.session.execute(update(stage_changes).where(s.tenant_id == tenant_id, s.id.in_(ids)).values(customer_id=to_customer))
