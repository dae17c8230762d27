from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, or_, select, update
from sqlalchemy.orm import Session

from siyu.adapters.db.paging import fetch_page
from siyu.adapters.db.tables import stores
from siyu.domain.access import Scope
from siyu.domain.organisation import Store
from siyu.domain.paging import Page, PageRequest


def _store(row: Any) -> Store:
    return Store(
        id=row.id,
        tenant_id=row.tenant_id,
        name=row.name,
        code=row.code,
        region_id=row.region_id,
        city=row.city,
        address=row.address,
        is_open=row.is_open,
        created_at=row.created_at,
    )


class StoreRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def _visible(self, scope: Scope):  # type: ignore[no-untyped-def]
        query = select(stores).where(stores.c.tenant_id == scope.tenant_id)
        if scope.store_id is not None:
            query = query.where(stores.c.id == scope.store_id)
        return query

    def add(self, tenant_id: int, *, now: datetime, **values: Any) -> Store:
        new_id = self.session.execute(
            insert(stores).values(tenant_id=tenant_id, created_at=now, **values)
        ).inserted_primary_key[0]  # type: ignore[index]
        return self.get(Scope(tenant_id), new_id)  # type: ignore[return-value]

    def update(self, tenant_id: int, store_id: int, **values: Any) -> None:
        self.session.execute(
            update(stores).where(stores.c.tenant_id == tenant_id, stores.c.id == store_id).values(**values)
        )

    def get(self, scope: Scope, store_id: int) -> Store | None:
        row = self.session.execute(self._visible(scope).where(stores.c.id == store_id)).one_or_none()
        return _store(row) if row else None

    def find_by_name_or_code(self, tenant_id: int, name: str, code: str | None) -> Store | None:
        clause = stores.c.name == name if code is None else or_(stores.c.name == name, stores.c.code == code)
        row = self.session.execute(
            select(stores).where(stores.c.tenant_id == tenant_id, clause).limit(1)
        ).one_or_none()
        return _store(row) if row else None

    def list(
        self, scope: Scope, request: PageRequest, *, region_id: int | None = None, q: str | None = None
    ) -> Page[Store]:
        query = self._visible(scope)
        if region_id is not None:
            query = query.where(stores.c.region_id == region_id)
        if q:
            like = f"%{q}%"
            query = query.where(or_(stores.c.name.ilike(like), stores.c.code.ilike(like), stores.c.city.ilike(like)))
        return fetch_page(self.session, query.order_by(stores.c.name, stores.c.id), request, _store)

    def all(self, scope: Scope) -> list[Store]:
        return [_store(r) for r in self.session.execute(self._visible(scope).order_by(stores.c.name)).all()]
