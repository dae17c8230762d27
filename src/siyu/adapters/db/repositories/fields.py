from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from siyu.adapters.db.tables import custom_fields
from siyu.domain.fields import CustomField, FieldKind


def _field(row: Any) -> CustomField:
    return CustomField(
        id=row.id, key=row.key, label=row.label, kind=FieldKind(row.kind), options=tuple(row.options or ()),
        required=row.required, position=row.position,
    )


class FieldRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def all(self, tenant_id: int) -> dict[str, CustomField]:
        rows = self.session.execute(
            select(custom_fields).where(custom_fields.c.tenant_id == tenant_id).order_by(custom_fields.c.position, custom_fields.c.id)
        ).all()
        return {r.key: _field(r) for r in rows}

    def add(self, tenant_id: int, *, now: datetime, **values: Any) -> CustomField:
        position = self.session.execute(
            select(func.coalesce(func.max(custom_fields.c.position), 0)).where(custom_fields.c.tenant_id == tenant_id)
        ).scalar_one() + 1
        self.session.execute(insert(custom_fields).values(tenant_id=tenant_id, position=position, created_at=now, **values))
        return self.all(tenant_id)[values["key"]]

    def update(self, tenant_id: int, key: str, **values: Any) -> None:
        c = custom_fields.c
        self.session.execute(update(custom_fields).where(c.tenant_id == tenant_id, c.key == key).values(**values))
