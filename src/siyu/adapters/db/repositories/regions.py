from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from siyu.adapters.db.paging import fetch_page
from siyu.adapters.db.tables import regions, stores
from siyu.domain.access import Scope
from siyu.domain.organisation import Region
from siyu.domain.paging import Page, PageRequest


def _region(row: object) -> Region:
    return Region(id=row.id, tenant_id=row.tenant_id, name=row.name, created_at=row.created_at)  # type: ignore[attr-defined]


class RegionRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def _visible(self, scope: Scope):  # type: ignore[no-untyped-def]
        query = select(regions).where(regions.c.tenant_id == scope.tenant_id)
        if scope.store_id is not None:
            query = query.where(
                regions.c.id.in_(
                    select(stores.c.region_id).where(
                        stores.c.tenant_id == scope.tenant_id, stores.c.id == scope.store_id
                    )
                )
            )
        return query

    def add(self, tenant_id: int, *, name: str, now: datetime) -> Region:
        new_id = self.session.execute(
            insert(regions).values(tenant_id=tenant_id, name=name, created_at=now)
        ).inserted_primary_key[0]  # type: ignore[index]
        return self.get(Scope(tenant_id), new_id)  # type: ignore[return-value]

    def get(self, scope: Scope, region_id: int) -> Region | None:
        row = self.session.execute(self._visible(scope).where(regions.c.id == region_id)).one_or_none()
        return _region(row) if row else None

    def find_by_name(self, tenant_id: int, name: str) -> Region | None:
        row = self.session.execute(
            select(regions).where(regions.c.tenant_id == tenant_id, regions.c.name == name)
        ).one_or_none()
        return _region(row) if row else None

    def rename(self, tenant_id: int, region_id: int, name: str) -> None:
        self.session.execute(
            update(regions).where(regions.c.tenant_id == tenant_id, regions.c.id == region_id).values(name=name)
        )

    def list(self, scope: Scope, request: PageRequest) -> Page[Region]:
        return fetch_page(self.session, self._visible(scope).order_by(regions.c.name, regions.c.id), request, _region)

    def all(self, scope: Scope) -> list[Region]:
        rows = self.session.execute(self._visible(scope).order_by(regions.c.name)).all()
        return [_region(r) for r in rows]
