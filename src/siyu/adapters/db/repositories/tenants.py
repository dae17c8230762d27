from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from siyu.adapters.db.tables import tenants
from siyu.domain.organisation import Tenant


def _tenant(row: object) -> Tenant:
    return Tenant(id=row.id, slug=row.slug, name=row.name, created_at=row.created_at)  # type: ignore[attr-defined]


class TenantRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, *, slug: str, name: str, now: datetime) -> Tenant:
        new_id = self.session.execute(insert(tenants).values(slug=slug, name=name, created_at=now)).inserted_primary_key[0]  # type: ignore[index]
        return self.get(new_id)  # type: ignore[return-value]

    def get(self, tenant_id: int) -> Tenant | None:
        row = self.session.execute(select(tenants).where(tenants.c.id == tenant_id)).one_or_none()
        return _tenant(row) if row else None

    def find_by_slug(self, slug: str) -> Tenant | None:
        row = self.session.execute(select(tenants).where(tenants.c.slug == slug)).one_or_none()
        return _tenant(row) if row else None
